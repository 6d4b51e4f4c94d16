//! Safe, streaming extraction of repository archives (`.tar.gz`, e.g. GitHub tarballs),
//! into a folder on disk ([`extract_tar_gz`]) or into memory ([`extract_tar_gz_to_memory`],
//! what the worker uses: see [`crate::tree`]).
//!
//! Only regular files and directories are ever created, only below the destination, with
//! modes 0644, 0755 or 0755 (directories) so a folder destination can always be removed. Links, devices and fifos are
//! recorded as skipped. Hostile input (absolute paths, `..`, duplicates, bombs) is refused with
//! a typed error naming the offending path. Limits are enforced while streaming: the
//! decompressed byte count and the compression ratio are checked on every read, so a bomb is
//! stopped long before it is written out.

use std::cell::Cell;
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::tree::{AddFileError, MemTree, MemTreeOptions};

use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};

/// Bounds on one extraction. Defaults suit a source repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractLimits {
    /// Decompressed bytes of the whole stream (tar headers included).
    pub max_total_bytes: u64,
    /// Regular files created.
    pub max_files: usize,
    /// Tar entries of any kind (skipped ones included).
    pub max_entries: usize,
    pub max_file_bytes: u64,
    /// Path components below `dest` (after stripping the top-level folder).
    pub max_depth: usize,
    /// Bytes of an entry path as stored in the archive.
    pub max_path_len: usize,
    /// Largest decompressed/compressed ratio tolerated once `ratio_grace_bytes` are out.
    pub max_ratio: u64,
    pub ratio_grace_bytes: u64,
    /// Drop the single top-level folder (`{owner}-{repo}-{sha}/` in GitHub tarballs). Entries
    /// outside it are an error.
    pub strip_top_level: bool,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        Self {
            max_total_bytes: 512 * 1024 * 1024,
            max_files: 20_000,
            max_entries: 50_000,
            max_file_bytes: 100 * 1024 * 1024,
            max_depth: 32,
            max_path_len: 1024,
            max_ratio: 200,
            ratio_grace_bytes: 8 * 1024 * 1024,
            strip_top_level: false,
        }
    }
}

impl ExtractLimits {
    /// Defaults with `strip_top_level` on, for GitHub tarballs.
    pub fn github() -> Self {
        Self {
            strip_top_level: true,
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SkippedKind {
    Symlink {
        target: String,
    },
    Hardlink {
        target: String,
    },
    CharDevice,
    BlockDevice,
    Fifo,
    /// GNU sparse files and other types we never create.
    Unsupported {
        type_byte: u8,
    },
    NonUtf8Path,
}

/// An entry deliberately not created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedEntry {
    /// Path relative to `dest` (after stripping), or as stored when it is not UTF-8 (lossy).
    pub path: String,
    #[serde(flatten)]
    pub kind: SkippedKind,
}

impl SkippedEntry {
    /// Whether the entry reaches outside the extracted tree: a link whose target is
    /// absolute or climbs above the root, or a device. Such entries are hostile or
    /// machine-specific; links inside the tree are merely not supported.
    pub fn escapes_tree(&self) -> bool {
        match &self.kind {
            SkippedKind::Symlink { target } => {
                // Relative to the link's own folder.
                let depth = self.path.matches('/').count();
                climbs_out(target, depth)
            }
            // Relative to the archive root (which holds GitHub's top-level folder).
            SkippedKind::Hardlink { target } => climbs_out(target, 0),
            SkippedKind::CharDevice | SkippedKind::BlockDevice => true,
            SkippedKind::Fifo | SkippedKind::Unsupported { .. } | SkippedKind::NonUtf8Path => false,
        }
    }
}

/// Whether `target`, resolved from a folder `depth` levels below the root, is absolute or
/// leaves the root.
fn climbs_out(target: &str, depth: usize) -> bool {
    if target.starts_with('/') || target.starts_with('\\') {
        return true;
    }
    let mut level = depth as i64;
    for part in target.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                level -= 1;
                if level < 0 {
                    return true;
                }
            }
            _ => level += 1,
        }
    }
    false
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractReport {
    pub files: usize,
    pub dirs: usize,
    /// Sum of extracted file sizes.
    pub file_bytes: u64,
    /// The stripped top-level folder name, if any.
    pub top_level: Option<String>,
    pub skipped: Vec<SkippedEntry>,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
}

/// Why an archive was refused. Every variant that concerns an entry carries its path, so the
/// error can be stored on a repository row and shown to a user.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("destination {path} exists and is not an empty directory")]
    DestNotEmpty { path: PathBuf },
    #[error("entry {path:?} has an absolute path")]
    AbsolutePath { path: String },
    #[error("entry {path:?} contains a `..` component")]
    ParentComponent { path: String },
    #[error("entry {path:?} would be written outside the destination")]
    EscapesDestination { path: String },
    #[error("entry {path:?} appears more than once or clashes with another entry")]
    DuplicateEntry { path: String },
    #[error("entry {path:?} is outside the archive's single top-level folder {top:?}")]
    MultipleTopLevel { path: String, top: String },
    #[error("entry {path:?} is longer than {limit} bytes")]
    PathTooLong { path: String, limit: usize },
    #[error("entry {path:?} is nested deeper than {limit} folders")]
    TooDeep { path: String, limit: usize },
    #[error("entry {path:?} is {size} bytes, over the {limit}-byte limit per file")]
    FileTooLarge { path: String, size: u64, limit: u64 },
    #[error("more than {limit} files (at {path:?})")]
    TooManyFiles { path: String, limit: usize },
    #[error("more than {limit} archive entries (at {path:?})")]
    TooManyEntries { path: String, limit: usize },
    #[error("archive expands to more than {limit} bytes (at {path:?})")]
    TotalTooLarge { path: Option<String>, limit: u64 },
    #[error(
        "archive expands more than {limit}x its compressed size (at {path:?}): likely a decompression bomb"
    )]
    CompressionRatio { path: Option<String>, limit: u64 },
    #[error("archive is corrupt (at {path:?}): {message}")]
    Corrupt {
        path: Option<String>,
        message: String,
    },
    #[error("reading the archive failed: {source}")]
    Read {
        #[source]
        source: io::Error,
    },
    #[error("writing {path:?} failed: {source}")]
    Write {
        path: String,
        #[source]
        source: io::Error,
    },
}

impl ArchiveError {
    /// Stable code for storage and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::DestNotEmpty { .. } => "archive_dest_not_empty",
            Self::AbsolutePath { .. } => "archive_absolute_path",
            Self::ParentComponent { .. } => "archive_parent_component",
            Self::EscapesDestination { .. } => "archive_escapes_destination",
            Self::DuplicateEntry { .. } => "archive_duplicate_entry",
            Self::MultipleTopLevel { .. } => "archive_multiple_top_level",
            Self::PathTooLong { .. } => "archive_path_too_long",
            Self::TooDeep { .. } => "archive_too_deep",
            Self::FileTooLarge { .. } => "archive_file_too_large",
            Self::TooManyFiles { .. } => "archive_too_many_files",
            Self::TooManyEntries { .. } => "archive_too_many_entries",
            Self::TotalTooLarge { .. } => "archive_too_large",
            Self::CompressionRatio { .. } => "archive_compression_ratio",
            Self::Corrupt { .. } => "archive_corrupt",
            Self::Read { .. } => "archive_read_failed",
            Self::Write { .. } => "archive_write_failed",
        }
    }

    /// The offending entry path, when the error concerns one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::AbsolutePath { path }
            | Self::ParentComponent { path }
            | Self::EscapesDestination { path }
            | Self::DuplicateEntry { path }
            | Self::MultipleTopLevel { path, .. }
            | Self::PathTooLong { path, .. }
            | Self::TooDeep { path, .. }
            | Self::FileTooLarge { path, .. }
            | Self::TooManyFiles { path, .. }
            | Self::TooManyEntries { path, .. }
            | Self::Write { path, .. } => Some(path),
            Self::TotalTooLarge { path, .. }
            | Self::CompressionRatio { path, .. }
            | Self::Corrupt { path, .. } => path.as_deref(),
            Self::DestNotEmpty { .. } | Self::Read { .. } => None,
        }
    }

    /// Whether the archive itself is at fault (hostile, corrupt or over a limit), so trying
    /// again cannot help. Reading the download or writing scratch space failing is the
    /// machine's problem, not the archive's, and is worth a retry.
    pub fn is_archive_fault(&self) -> bool {
        !matches!(
            self,
            Self::DestNotEmpty { .. } | Self::Read { .. } | Self::Write { .. }
        )
    }
}

/// Marks errors of the caller's reader, to tell them from corrupt data.
#[derive(Debug)]
struct SourceError(io::Error);

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SourceError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trip {
    Total,
    Ratio,
}

/// Counts compressed bytes read from the caller.
struct CountingReader<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                e
            } else {
                io::Error::other(SourceError(e))
            }
        })?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Counts decompressed bytes and stops the stream when a limit trips.
struct GuardReader<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    uncompressed: Rc<Cell<u64>>,
    trip: Rc<Cell<Option<Trip>>>,
    max_total: u64,
    max_ratio: u64,
    grace: u64,
}

impl<R: Read> Read for GuardReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.trip.get().is_some() {
            return Err(io::Error::other("extraction limit reached"));
        }
        let n = self.inner.read(buf)?;
        let total = self.uncompressed.get() + n as u64;
        self.uncompressed.set(total);
        let trip = if total > self.max_total {
            Some(Trip::Total)
        } else if total > self.grace
            && total > self.compressed.get().max(1).saturating_mul(self.max_ratio)
        {
            Some(Trip::Ratio)
        } else {
            None
        };
        if trip.is_some() {
            self.trip.set(trip);
            return Err(io::Error::other("extraction limit reached"));
        }
        Ok(n)
    }
}

fn is_source_error(e: &io::Error) -> bool {
    let mut current: &(dyn std::error::Error + 'static) = e;
    loop {
        if current.is::<SourceError>() {
            return true;
        }
        if let Some(io_err) = current.downcast_ref::<io::Error>()
            && let Some(inner) = io_err.get_ref()
        {
            current = inner;
            continue;
        }
        match current.source() {
            Some(s) => current = s,
            None => return false,
        }
    }
}

fn take_source_error(e: io::Error) -> io::Error {
    match e.get_ref().and_then(|i| i.downcast_ref::<SourceError>()) {
        Some(SourceError(inner)) => io::Error::new(inner.kind(), inner.to_string()),
        None => e,
    }
}

/// Where extracted entries go. The [`Extractor`] validates paths, limits and duplicates;
/// a sink only stores what it is handed.
trait Sink {
    /// Creates the folder `parts` and its parents; returns how many were new. `entry` is
    /// the archive entry, for errors.
    fn create_dirs(&mut self, parts: &[String], entry: &str) -> Result<usize, ArchiveError>;

    /// Stores a regular file of `size` bytes read from `content` (its parents exist);
    /// returns the bytes read.
    fn create_file(
        &mut self,
        parts: &[String],
        rel: &str,
        size: u64,
        executable: bool,
        content: &mut dyn Read,
    ) -> Result<u64, SinkError>;
}

enum SinkError {
    /// Reading the archive stream failed (mapped by the extractor: limits, corruption).
    Read(io::Error),
    Archive(ArchiveError),
}

/// Writes the tree below a folder on disk.
struct DiskSink<'a> {
    dest: &'a Path,
}

impl Sink for DiskSink<'_> {
    /// Refuses to pass through anything that is not a real directory (links are never
    /// created, but be sure).
    fn create_dirs(&mut self, parts: &[String], entry: &str) -> Result<usize, ArchiveError> {
        let mut created = 0;
        let mut path = self.dest.to_path_buf();
        for part in parts {
            path.push(part);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {}
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(ArchiveError::EscapesDestination {
                        path: entry.to_owned(),
                    });
                }
                Ok(_) => {
                    return Err(ArchiveError::DuplicateEntry {
                        path: entry.to_owned(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let write = |source| ArchiveError::Write {
                        path: entry.to_owned(),
                        source,
                    };
                    fs::create_dir(&path).map_err(write)?;
                    set_mode(&path, 0o755).map_err(write)?;
                    created += 1;
                }
                Err(source) => {
                    return Err(ArchiveError::Write {
                        path: entry.to_owned(),
                        source,
                    });
                }
            }
        }
        Ok(created)
    }

    fn create_file(
        &mut self,
        parts: &[String],
        rel: &str,
        _size: u64,
        executable: bool,
        content: &mut dyn Read,
    ) -> Result<u64, SinkError> {
        let mut path = self.dest.to_path_buf();
        path.extend(parts);
        let write = |source| {
            SinkError::Archive(ArchiveError::Write {
                path: rel.to_owned(),
                source,
            })
        };
        let mut file = create_new(&path).map_err(|source| {
            if source.kind() == io::ErrorKind::AlreadyExists {
                SinkError::Archive(ArchiveError::DuplicateEntry {
                    path: rel.to_owned(),
                })
            } else {
                write(source)
            }
        })?;
        let copied = copy(content, &mut file).map_err(|e| match e {
            CopyError::Read(e) => SinkError::Read(e),
            CopyError::Write(source) => write(source),
        })?;
        set_mode(&path, if executable { 0o755 } else { 0o644 }).map_err(write)?;
        Ok(copied)
    }
}

/// Fills a [`MemTree`].
struct MemSink {
    tree: MemTree,
}

impl Sink for MemSink {
    fn create_dirs(&mut self, parts: &[String], entry: &str) -> Result<usize, ArchiveError> {
        self.tree
            .create_dir_all(parts)
            .map_err(|_| ArchiveError::DuplicateEntry {
                path: entry.to_owned(),
            })
    }

    fn create_file(
        &mut self,
        parts: &[String],
        rel: &str,
        size: u64,
        executable: bool,
        content: &mut dyn Read,
    ) -> Result<u64, SinkError> {
        self.tree
            .add_file(parts, size, executable, content)
            .map_err(|e| match e {
                AddFileError::Exists => SinkError::Archive(ArchiveError::DuplicateEntry {
                    path: rel.to_owned(),
                }),
                AddFileError::Read(e) => SinkError::Read(e),
                AddFileError::Write(source) => SinkError::Archive(ArchiveError::Write {
                    path: rel.to_owned(),
                    source,
                }),
            })
    }
}

struct Extractor<'a, S> {
    sink: S,
    limits: &'a ExtractLimits,
    trip: Rc<Cell<Option<Trip>>>,
    report: ExtractReport,
    created_files: HashSet<String>,
    created_dirs: HashSet<String>,
    entries: usize,
    current: Option<String>,
}

impl<S: Sink> Extractor<'_, S> {
    fn stream_error(&self, e: io::Error) -> ArchiveError {
        let path = self.current.clone();
        match self.trip.get() {
            Some(Trip::Total) => ArchiveError::TotalTooLarge {
                path,
                limit: self.limits.max_total_bytes,
            },
            Some(Trip::Ratio) => ArchiveError::CompressionRatio {
                path,
                limit: self.limits.max_ratio,
            },
            None if is_source_error(&e) => ArchiveError::Read {
                source: take_source_error(e),
            },
            None => ArchiveError::Corrupt {
                path,
                message: e.to_string(),
            },
        }
    }

    /// Validates a stored path; returns its components below the destination, or `None`
    /// for the stripped top-level folder itself.
    fn components(
        &mut self,
        stored: &str,
        is_dir: bool,
    ) -> Result<Option<Vec<String>>, ArchiveError> {
        let err_path = stored.to_owned();
        if stored.len() > self.limits.max_path_len {
            return Err(ArchiveError::PathTooLong {
                path: err_path,
                limit: self.limits.max_path_len,
            });
        }
        if stored.starts_with('/') || stored.starts_with('\\') {
            return Err(ArchiveError::AbsolutePath { path: err_path });
        }
        let mut parts = Vec::new();
        for part in stored.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(ArchiveError::ParentComponent { path: err_path }),
                p => parts.push(p.to_owned()),
            }
        }
        if self.limits.strip_top_level {
            let Some(first) = parts.first().cloned() else {
                return Ok(None);
            };
            match &self.report.top_level {
                None => self.report.top_level = Some(first),
                Some(top) if *top == first => {}
                Some(top) => {
                    return Err(ArchiveError::MultipleTopLevel {
                        path: err_path,
                        top: top.clone(),
                    });
                }
            }
            // A lone file at the top cannot be the single top-level folder.
            if parts.len() == 1 && !is_dir {
                return Err(ArchiveError::MultipleTopLevel {
                    path: err_path,
                    top: parts.remove(0),
                });
            }
            parts.remove(0);
        }
        if parts.is_empty() {
            return Ok(None);
        }
        if parts.len() > self.limits.max_depth {
            return Err(ArchiveError::TooDeep {
                path: err_path,
                limit: self.limits.max_depth,
            });
        }
        Ok(Some(parts))
    }

    /// Creates `parts` as folders (each once).
    fn ensure_dirs(&mut self, parts: &[String], entry: &str) -> Result<(), ArchiveError> {
        let rel = parts.join("/");
        if parts.is_empty() || self.created_dirs.contains(&rel) {
            return Ok(());
        }
        if self.created_files.contains(&rel) {
            return Err(ArchiveError::DuplicateEntry {
                path: entry.to_owned(),
            });
        }
        self.report.dirs += self.sink.create_dirs(parts, entry)?;
        let mut prefix = String::new();
        for part in parts {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            self.created_dirs.insert(prefix.clone());
        }
        Ok(())
    }

    fn write_file<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        parts: &[String],
        rel: &str,
        executable: bool,
    ) -> Result<(), ArchiveError> {
        let size = entry.header().size().map_err(|e| ArchiveError::Corrupt {
            path: Some(rel.to_owned()),
            message: e.to_string(),
        })?;
        if size > self.limits.max_file_bytes {
            return Err(ArchiveError::FileTooLarge {
                path: rel.to_owned(),
                size,
                limit: self.limits.max_file_bytes,
            });
        }
        if self.report.files >= self.limits.max_files {
            return Err(ArchiveError::TooManyFiles {
                path: rel.to_owned(),
                limit: self.limits.max_files,
            });
        }
        if self.report.file_bytes.saturating_add(size) > self.limits.max_total_bytes {
            return Err(ArchiveError::TotalTooLarge {
                path: Some(rel.to_owned()),
                limit: self.limits.max_total_bytes,
            });
        }
        if !self.created_files.insert(rel.to_owned()) || self.created_dirs.contains(rel) {
            return Err(ArchiveError::DuplicateEntry {
                path: rel.to_owned(),
            });
        }
        let Some((_, parents)) = parts.split_last() else {
            return Err(ArchiveError::Corrupt {
                path: Some(rel.to_owned()),
                message: "empty file name".into(),
            });
        };
        self.ensure_dirs(parents, rel)?;
        let copied = self
            .sink
            .create_file(parts, rel, size, executable, entry)
            .map_err(|e| match e {
                SinkError::Read(e) => self.stream_error(e),
                SinkError::Archive(e) => e,
            })?;
        if copied != size {
            return Err(ArchiveError::Corrupt {
                path: Some(rel.to_owned()),
                message: format!("entry is truncated: {copied} of {size} bytes"),
            });
        }
        self.report.files += 1;
        self.report.file_bytes += size;
        Ok(())
    }

    fn skip(&mut self, path: String, kind: SkippedKind) {
        tracing::debug!(%path, ?kind, "archive entry skipped");
        self.report.skipped.push(SkippedEntry { path, kind });
    }

    /// Reads every entry of `tar` into the sink.
    fn run<R: Read>(&mut self, tar: &mut tar::Archive<R>) -> Result<(), ArchiveError> {
        let entries = tar.entries().map_err(|e| self.stream_error(e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| self.stream_error(e))?;
            let etype = entry.header().entry_type();
            // GitHub's `pax_global_header` carries the commit id; it is not a file.
            if etype.is_pax_global_extensions() {
                continue;
            }
            self.entries += 1;
            let stored_bytes = entry.path_bytes().into_owned();
            let Ok(stored) = String::from_utf8(stored_bytes.clone()) else {
                let lossy = String::from_utf8_lossy(&stored_bytes).into_owned();
                self.skip(lossy, SkippedKind::NonUtf8Path);
                continue;
            };
            self.current = Some(stored.clone());
            if self.entries > self.limits.max_entries {
                return Err(ArchiveError::TooManyEntries {
                    path: stored,
                    limit: self.limits.max_entries,
                });
            }
            let Some(parts) = self.components(&stored, etype.is_dir())? else {
                continue;
            };
            let rel = parts.join("/");
            if etype.is_file() || etype.is_contiguous() {
                let mode = entry.header().mode().unwrap_or(0o644);
                self.write_file(&mut entry, &parts, &rel, mode & 0o111 != 0)?;
            } else if etype.is_dir() {
                if self.created_files.contains(&rel) {
                    return Err(ArchiveError::DuplicateEntry { path: rel });
                }
                self.ensure_dirs(&parts, &rel)?;
            } else if etype.is_symlink() || etype.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                let kind = if etype.is_symlink() {
                    SkippedKind::Symlink { target }
                } else {
                    SkippedKind::Hardlink { target }
                };
                self.skip(rel, kind);
            } else if etype.is_character_special() {
                self.skip(rel, SkippedKind::CharDevice);
            } else if etype.is_block_special() {
                self.skip(rel, SkippedKind::BlockDevice);
            } else if etype.is_fifo() {
                self.skip(rel, SkippedKind::Fifo);
            } else {
                self.skip(
                    rel,
                    SkippedKind::Unsupported {
                        type_byte: etype.as_byte(),
                    },
                );
            }
        }
        self.current = None;
        Ok(())
    }
}

enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

fn copy(src: &mut dyn Read, dst: &mut File) -> Result<u64, CopyError> {
    use std::io::Write;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        dst.write_all(&buf[..n]).map_err(CopyError::Write)?;
        total += n as u64;
    }
}

#[cfg(unix)]
fn create_new(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
}

#[cfg(not(unix))]
fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

fn prepare_dest(dest: &Path) -> Result<(), ArchiveError> {
    match fs::symlink_metadata(dest) {
        Ok(m) if m.is_dir() => {
            let mut entries = fs::read_dir(dest).map_err(|source| ArchiveError::Write {
                path: dest.display().to_string(),
                source,
            })?;
            if entries.next().is_some() {
                return Err(ArchiveError::DestNotEmpty {
                    path: dest.to_path_buf(),
                });
            }
            Ok(())
        }
        Ok(_) => Err(ArchiveError::DestNotEmpty {
            path: dest.to_path_buf(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dest).map_err(|source| ArchiveError::Write {
                path: dest.display().to_string(),
                source,
            })
        }
        Err(source) => Err(ArchiveError::Write {
            path: dest.display().to_string(),
            source,
        }),
    }
}

/// Streams a `.tar.gz` through the limits into `sink`.
fn extract_into<S: Sink>(
    archive: impl Read,
    sink: S,
    limits: &ExtractLimits,
) -> Result<(S, ExtractReport), ArchiveError> {
    let compressed = Rc::new(Cell::new(0u64));
    let uncompressed = Rc::new(Cell::new(0u64));
    let trip = Rc::new(Cell::new(None));
    let guard = GuardReader {
        inner: GzDecoder::new(CountingReader {
            inner: archive,
            count: Rc::clone(&compressed),
        }),
        compressed: Rc::clone(&compressed),
        uncompressed: Rc::clone(&uncompressed),
        trip: Rc::clone(&trip),
        max_total: limits.max_total_bytes,
        max_ratio: limits.max_ratio,
        grace: limits.ratio_grace_bytes,
    };
    let mut ex = Extractor {
        sink,
        limits,
        trip,
        report: ExtractReport::default(),
        created_files: HashSet::new(),
        created_dirs: HashSet::new(),
        entries: 0,
        current: None,
    };
    let mut tar = tar::Archive::new(guard);
    ex.run(&mut tar)?;
    // Read to the end of the gzip member so its CRC and length are verified (still guarded).
    let mut rest = tar.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| ex.stream_error(e))?;
    ex.report.compressed_bytes = compressed.get();
    ex.report.uncompressed_bytes = uncompressed.get();
    tracing::debug!(
        files = ex.report.files,
        skipped = ex.report.skipped.len(),
        bytes = ex.report.file_bytes,
        "archive extracted"
    );
    Ok((ex.sink, ex.report))
}

/// Extracts a `.tar.gz` stream into `dest` (created if missing; must be empty if present).
///
/// On error, `dest` may hold a partial tree of plain files and directories that the caller
/// removes (`fs::remove_dir_all`); nothing is ever written outside it.
pub fn extract_tar_gz(
    archive: impl Read,
    dest: &Path,
    limits: ExtractLimits,
) -> Result<ExtractReport, ArchiveError> {
    prepare_dest(dest)?;
    extract_into(archive, DiskSink { dest }, &limits).map(|(_, report)| report)
}

/// Extracts a `.tar.gz` stream into a [`MemTree`] (same checks and limits as
/// [`extract_tar_gz`]); file contents beyond the memory budget of `options` go to one
/// anonymous spill file.
pub fn extract_tar_gz_to_memory(
    archive: impl Read,
    limits: &ExtractLimits,
    options: MemTreeOptions,
) -> Result<(MemTree, ExtractReport), ArchiveError> {
    let sink = MemSink {
        tree: MemTree::new(options),
    };
    extract_into(archive, sink, limits).map(|(sink, report)| (sink.tree, report))
}
