//! Reproducible skill archives.
//!
//! A skill folder becomes a `.tar.gz` whose bytes depend only on the files' paths, contents
//! and executable bits: entries sorted by path under one top-level folder named after the
//! skill, mtime 0, uid/gid 0, no user/group names, mode 0644 or 0755, no directory entries,
//! no symlinks, and a gzip header without mtime or file name. The archive is streamed to the
//! caller's writer and hashed on the way, so the content hash can address it in storage.
//!
//! The compressor (flate2 on zlib-rs, level [`COMPRESSION_LEVEL`]) is part of the format:
//! changing either changes every content hash. A golden-hash test guards it.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flate2::{Compression, GzBuilder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::tree::{DiskTree, EntryKind, FileTree, join_rel};

/// gzip level used for every archive; see the module docs before changing it.
pub const COMPRESSION_LEVEL: u32 = 6;
/// Folders never packaged: version-control metadata and installed dependencies or caches,
/// which belong to one machine, not to the skill.
pub const EXCLUDED_DIRS: [&str; 4] = [".git", "node_modules", ".venv", "__pycache__"];

/// Bounds on what a single skill archive may hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageLimits {
    pub max_files: usize,
    /// Sum of file sizes (uncompressed).
    pub max_total_bytes: u64,
    pub max_file_bytes: u64,
    /// Folder nesting below the skill root.
    pub max_depth: usize,
}

impl Default for PackageLimits {
    fn default() -> Self {
        Self {
            max_files: 5_000,
            max_total_bytes: 100 * 1024 * 1024,
            max_file_bytes: 50 * 1024 * 1024,
            max_depth: 16,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageOptions {
    /// Top-level folder inside the archive; defaults to the skill folder's name. Pass the
    /// skill name for a skill at a repository root (whose folder is a temporary directory).
    pub name: Option<String>,
    /// Folders below the skill folder (relative to it) left out of the archive: skills
    /// nested inside this one, published on their own.
    pub exclude: Vec<String>,
    pub limits: PackageLimits,
}

/// One packaged file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Path relative to the skill folder, `/`-separated (without the top-level folder).
    pub path: String,
    pub size: u64,
    /// sha256 of the content, lowercase hex.
    pub sha256: String,
    pub executable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    Symlink,
    /// Device, fifo, socket.
    SpecialFile,
    NonUtf8Name,
    ExcludedDir,
    /// A folder holding a skill of its own.
    NestedSkill,
}

/// Something in the folder that is deliberately not in the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedEntry {
    pub path: String,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackagedSkill {
    /// sha256 of the archive bytes, lowercase hex.
    pub content_hash: String,
    /// Archive size in bytes.
    pub size: u64,
    /// Sorted by path.
    pub files: Vec<ManifestEntry>,
    pub skipped: Vec<SkippedEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{path} is not a directory")]
    NotADirectory { path: PathBuf },
    #[error("archive name {name:?} must be a single non-empty path component")]
    InvalidName { name: String },
    #[error("more than {limit} files in the skill")]
    TooManyFiles { limit: usize },
    #[error("skill files add up to more than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("{path} is {size} bytes, over the {limit}-byte limit per file")]
    FileTooLarge { path: String, size: u64, limit: u64 },
    #[error("{path} is nested deeper than {limit} folders")]
    TooDeep { path: String, limit: usize },
    #[error("{path} changed size while it was being packaged")]
    FileChanged { path: String },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("writing the archive failed: {source}")]
    Write {
        #[source]
        source: io::Error,
    },
}

/// Packages `dir` with default options. See [`package_skill_with`].
pub fn package_skill(dir: &Path, out: impl Write) -> Result<PackagedSkill, PackageError> {
    package_skill_with(dir, out, &PackageOptions::default())
}

struct Planned {
    /// Relative to the skill folder.
    rel: String,
    size: u64,
    executable: bool,
}

/// Writes the reproducible archive of the folder `dir` on disk to `out`. See
/// [`package_tree`].
pub fn package_skill_with(
    dir: &Path,
    out: impl Write,
    opts: &PackageOptions,
) -> Result<PackagedSkill, PackageError> {
    let mut opts = opts.clone();
    if opts.name.is_none() {
        opts.name = Some(
            dir.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned(),
        );
    }
    package_tree(&DiskTree::new(dir), "", out, &opts).map_err(|e| match e {
        PackageError::NotADirectory { .. } => PackageError::NotADirectory {
            path: dir.to_path_buf(),
        },
        other => other,
    })
}

/// Writes the reproducible archive of folder `dir` of `tree` to `out` and returns its hash
/// and manifest. The top-level folder is `opts.name`, else `dir`'s own name. Limits are
/// checked on the whole folder before the first byte is written.
pub fn package_tree(
    tree: &dyn FileTree,
    dir: &str,
    out: impl Write,
    opts: &PackageOptions,
) -> Result<PackagedSkill, PackageError> {
    if tree.kind(dir) != Some(EntryKind::Dir) {
        return Err(PackageError::NotADirectory {
            path: PathBuf::from(dir),
        });
    }
    let name = match &opts.name {
        Some(n) => n.clone(),
        None => dir.rsplit('/').next().unwrap_or_default().to_owned(),
    };
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(PackageError::InvalidName { name });
    }

    let (mut files, mut skipped) = plan(tree, dir, opts)?;
    // Byte order of the `/`-joined path: independent of locale and filesystem order.
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    skipped.sort_by(|a, b| a.path.cmp(&b.path));

    let hashing = HashingWriter {
        inner: out,
        hasher: Sha256::new(),
        written: 0,
    };
    // Fixed header: no mtime, no file name, OS "unknown".
    let gz = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(hashing, Compression::new(COMPRESSION_LEVEL));
    let mut tar = tar::Builder::new(gz);
    let mut manifest = Vec::with_capacity(files.len());
    for f in &files {
        let file = tree
            .open(&join_rel(dir, &f.rel))
            .map_err(|source| PackageError::Io {
                path: f.rel.clone(),
                source,
            })?;
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(f.size);
        header.set_mode(if f.executable { 0o755 } else { 0o644 });
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        let mut reader = HashingReader {
            inner: file.take(f.size),
            hasher: Sha256::new(),
            read: 0,
        };
        tar.append_data(&mut header, format!("{name}/{}", f.rel), &mut reader)
            .map_err(|source| classify_write_error(source, &f.rel))?;
        if reader.read != f.size {
            return Err(PackageError::FileChanged {
                path: f.rel.clone(),
            });
        }
        manifest.push(ManifestEntry {
            path: f.rel.clone(),
            size: f.size,
            sha256: hex::encode(reader.hasher.finalize()),
            executable: f.executable,
        });
    }
    let gz = tar
        .into_inner()
        .map_err(|source| PackageError::Write { source })?;
    let mut hashing = gz
        .finish()
        .map_err(|source| PackageError::Write { source })?;
    hashing
        .inner
        .flush()
        .map_err(|source| PackageError::Write { source })?;
    let content_hash = hex::encode(hashing.hasher.finalize());
    tracing::debug!(skill = %name, files = manifest.len(), size = hashing.written, %content_hash, "packaged skill");
    Ok(PackagedSkill {
        content_hash,
        size: hashing.written,
        files: manifest,
        skipped,
    })
}

/// Errors from `append_data` are either reading the source file or writing the archive; the
/// source side is wrapped by [`HashingReader`] so we can tell them apart.
fn classify_write_error(e: io::Error, rel: &str) -> PackageError {
    if e.get_ref().is_some_and(|inner| inner.is::<ReadSide>()) {
        let source = match e.into_inner() {
            Some(inner) => match inner.downcast::<ReadSide>() {
                Ok(rs) => rs.0,
                Err(other) => io::Error::other(other),
            },
            None => io::Error::other("read failed"),
        };
        PackageError::Io {
            path: rel.to_owned(),
            source,
        }
    } else {
        PackageError::Write { source: e }
    }
}

#[derive(Debug)]
struct ReadSide(io::Error);

impl std::fmt::Display for ReadSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ReadSide {}

/// Lists the files of folder `root` of `tree` to package, enforcing the limits; never
/// follows symlinks.
fn plan(
    tree: &dyn FileTree,
    root: &str,
    opts: &PackageOptions,
) -> Result<(Vec<Planned>, Vec<SkippedEntry>), PackageError> {
    let limits = &opts.limits;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut total: u64 = 0;
    let mut stack: Vec<(String, usize)> = vec![(String::new(), 0)];
    while let Some((rel_dir, depth)) = stack.pop() {
        let entries =
            tree.read_dir(&join_rel(root, &rel_dir))
                .map_err(|source| PackageError::Io {
                    path: display_rel(&rel_dir),
                    source,
                })?;
        for entry in entries {
            let rel = join_rel(&rel_dir, &entry.name);
            if !entry.utf8 {
                skipped.push(SkippedEntry {
                    path: rel,
                    reason: SkipReason::NonUtf8Name,
                });
                continue;
            }
            match entry.kind {
                EntryKind::Symlink => skipped.push(SkippedEntry {
                    path: rel,
                    reason: SkipReason::Symlink,
                }),
                EntryKind::Special => skipped.push(SkippedEntry {
                    path: rel,
                    reason: SkipReason::SpecialFile,
                }),
                EntryKind::Dir if EXCLUDED_DIRS.contains(&entry.name.as_str()) => {
                    skipped.push(SkippedEntry {
                        path: rel,
                        reason: SkipReason::ExcludedDir,
                    });
                }
                EntryKind::Dir if opts.exclude.contains(&rel) => skipped.push(SkippedEntry {
                    path: rel,
                    reason: SkipReason::NestedSkill,
                }),
                EntryKind::Dir if depth + 1 > limits.max_depth => {
                    return Err(PackageError::TooDeep {
                        path: rel,
                        limit: limits.max_depth,
                    });
                }
                EntryKind::Dir => stack.push((rel, depth + 1)),
                EntryKind::File { size, executable } => {
                    if size > limits.max_file_bytes {
                        return Err(PackageError::FileTooLarge {
                            path: rel,
                            size,
                            limit: limits.max_file_bytes,
                        });
                    }
                    total = total.saturating_add(size);
                    if total > limits.max_total_bytes {
                        return Err(PackageError::TooLarge {
                            limit: limits.max_total_bytes,
                        });
                    }
                    if files.len() >= limits.max_files {
                        return Err(PackageError::TooManyFiles {
                            limit: limits.max_files,
                        });
                    }
                    files.push(Planned {
                        rel,
                        size,
                        executable,
                    });
                }
            }
        }
    }
    Ok((files, skipped))
}

fn display_rel(rel: &str) -> String {
    if rel.is_empty() {
        ".".to_owned()
    } else {
        rel.to_owned()
    }
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf).map_err(|e| {
            // io::copy retries Interrupted; everything else is tagged as a source-file error.
            if e.kind() == io::ErrorKind::Interrupted {
                e
            } else {
                io::Error::other(ReadSide(e))
            }
        })?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}
