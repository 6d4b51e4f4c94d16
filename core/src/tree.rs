//! Read-only file trees: what discovery, validation and packaging read a repository from.
//!
//! Two implementations:
//! - [`DiskTree`]: a folder on disk (tests, benchmarks, local tools).
//! - [`MemTree`]: an extracted archive held in memory, with files beyond a memory budget
//!   spilled into one anonymous scratch file. The worker syncs into it, so a sync creates
//!   at most two files (the download and the spill file), not one per file of the
//!   repository: on some filesystems (ext4 without a journal) creating and deleting
//!   thousands of inodes per sync was most of the worker's time.
//!
//! Paths are relative to the tree's root, `/`-separated, without `.` or `..` components;
//! `""` is the root. Links are never followed: a path through a symlink does not exist.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read, Seek, Write};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

/// What a tree entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Dir,
    File {
        size: u64,
        executable: bool,
    },
    Symlink,
    /// Device, fifo, socket.
    Special,
}

impl EntryKind {
    pub fn is_dir(self) -> bool {
        matches!(self, EntryKind::Dir)
    }

    pub fn is_file(self) -> bool {
        matches!(self, EntryKind::File { .. })
    }
}

/// One child of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// The name; lossily converted when `utf8` is false.
    pub name: String,
    pub utf8: bool,
    pub kind: EntryKind,
}

/// Failure to read a file of a tree whole.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path} is over the {limit}-byte limit")]
    TooLarge { path: String, limit: u64 },
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// A read-only tree of folders and files.
pub trait FileTree: Sync {
    /// Children of the folder `dir`, in no particular order.
    fn read_dir(&self, dir: &str) -> io::Result<Vec<TreeEntry>>;

    /// What `rel` is, without following links (a path through a link is `None`). The root
    /// is `""`.
    fn kind(&self, rel: &str) -> Option<EntryKind>;

    /// Opens the regular file `rel`.
    fn open(&self, rel: &str) -> io::Result<Box<dyn Read + '_>>;

    /// Reads the regular file `rel`, never more than `limit + 1` bytes.
    fn read_limited(&self, rel: &str, limit: u64) -> Result<Vec<u8>, ReadError> {
        let io = |source| ReadError::Io {
            path: rel.to_owned(),
            source,
        };
        let mut buf = Vec::new();
        self.open(rel)
            .map_err(io)?
            .take(limit.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(io)?;
        if buf.len() as u64 > limit {
            return Err(ReadError::TooLarge {
                path: rel.to_owned(),
                limit,
            });
        }
        Ok(buf)
    }
}

/// `dir/name`: `name` at the root, `dir` itself for an empty `name`.
pub fn join_rel(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else if name.is_empty() {
        dir.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The components of a relative path, or `None` if it is absolute or climbs with `..`.
fn components(rel: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts)
}

// ---- disk ------------------------------------------------------------------------------

/// A folder on disk.
#[derive(Debug, Clone)]
pub struct DiskTree {
    root: PathBuf,
}

impl DiskTree {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, rel: &str) -> io::Result<PathBuf> {
        let parts = components(rel)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path leaves the tree"))?;
        let mut path = self.root.clone();
        path.extend(parts);
        Ok(path)
    }
}

fn disk_kind(
    file_type: fs::FileType,
    meta: impl FnOnce() -> io::Result<fs::Metadata>,
) -> EntryKind {
    if file_type.is_symlink() {
        EntryKind::Symlink
    } else if file_type.is_dir() {
        EntryKind::Dir
    } else if file_type.is_file() {
        match meta() {
            Ok(m) => EntryKind::File {
                size: m.len(),
                executable: is_executable(&m),
            },
            Err(_) => EntryKind::Special,
        }
    } else {
        EntryKind::Special
    }
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

impl FileTree for DiskTree {
    fn read_dir(&self, dir: &str) -> io::Result<Vec<TreeEntry>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(self.path(dir)?)? {
            let entry = entry?;
            // DirEntry::file_type and ::metadata do not follow symlinks.
            let kind = disk_kind(entry.file_type()?, || entry.metadata());
            let (name, utf8) = match entry.file_name().into_string() {
                Ok(n) => (n, true),
                Err(raw) => (raw.to_string_lossy().into_owned(), false),
            };
            out.push(TreeEntry { name, utf8, kind });
        }
        Ok(out)
    }

    fn kind(&self, rel: &str) -> Option<EntryKind> {
        let parts = components(rel)?;
        let mut path = self.root.clone();
        // The root is whatever the caller named (followed if it is a link).
        let root = fs::metadata(&path).ok()?;
        let mut kind = disk_kind(root.file_type(), || Ok(root.clone()));
        for (i, part) in parts.iter().enumerate() {
            if i > 0 && !kind.is_dir() {
                return None;
            }
            path.push(part);
            let meta = fs::symlink_metadata(&path).ok()?;
            kind = disk_kind(meta.file_type(), || Ok(meta.clone()));
            if kind == EntryKind::Symlink {
                return None;
            }
        }
        Some(kind)
    }

    fn open(&self, rel: &str) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(File::open(self.path(rel)?)?))
    }
}

// ---- memory ----------------------------------------------------------------------------

/// Where [`MemTree`] keeps file contents: in memory up to `memory_bytes`, the rest in one
/// anonymous file created in `spill_dir` on first need (removed by the OS when closed, even
/// if the process is killed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemTreeOptions {
    pub memory_bytes: u64,
    /// A single file larger than this goes to the spill file even if memory is left.
    pub max_in_memory_file: u64,
    pub spill_dir: PathBuf,
}

impl MemTreeOptions {
    pub fn new(spill_dir: impl Into<PathBuf>) -> Self {
        Self {
            memory_bytes: 32 * 1024 * 1024,
            max_in_memory_file: 4 * 1024 * 1024,
            spill_dir: spill_dir.into(),
        }
    }
}

#[derive(Debug, Clone)]
enum Blob {
    Memory(Range<usize>),
    Spilled { offset: u64, len: u64 },
}

/// An in-memory tree (see the module docs), filled by the extractor.
#[derive(Debug)]
pub struct MemTree {
    options: MemTreeOptions,
    /// Children of every folder, the root (`""`) included.
    dirs: HashMap<String, Vec<TreeEntry>>,
    /// Contents of every file, by path.
    files: HashMap<String, Blob>,
    arena: Vec<u8>,
    spill: Option<File>,
    spill_len: u64,
}

impl MemTree {
    pub fn new(options: MemTreeOptions) -> Self {
        let mut dirs = HashMap::new();
        dirs.insert(String::new(), Vec::new());
        Self {
            options,
            dirs,
            files: HashMap::new(),
            arena: Vec::new(),
            spill: None,
            spill_len: 0,
        }
    }

    /// Bytes of file content held in memory.
    pub fn memory_bytes(&self) -> usize {
        self.arena.len()
    }

    /// Bytes of file content in the spill file.
    pub fn spilled_bytes(&self) -> u64 {
        self.spill_len
    }

    fn entry_mut(&mut self, dir: &str, name: &str) -> Option<&mut TreeEntry> {
        self.dirs.get_mut(dir)?.iter_mut().find(|e| e.name == name)
    }

    /// Adds an entry `name` of kind `kind` to folder `dir` (which must exist). Callers
    /// check for duplicates first.
    fn add_entry(&mut self, dir: &str, name: &str, kind: EntryKind) {
        if let Some(children) = self.dirs.get_mut(dir) {
            children.push(TreeEntry {
                name: name.to_owned(),
                utf8: true,
                kind,
            });
        }
    }

    /// Creates folder `parts` and its parents; returns how many were new. Fails with
    /// `AlreadyExists` when one of them is a file.
    pub fn create_dir_all(&mut self, parts: &[String]) -> io::Result<usize> {
        let mut created = 0;
        let mut rel = String::new();
        for part in parts {
            let child = join_rel(&rel, part);
            if !self.dirs.contains_key(&child) {
                if self.files.contains_key(&child) || self.entry_mut(&rel, part).is_some() {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!("{child} exists and is not a folder"),
                    ));
                }
                self.add_entry(&rel, part, EntryKind::Dir);
                self.dirs.insert(child.clone(), Vec::new());
                created += 1;
            }
            rel = child;
        }
        Ok(created)
    }

    /// Adds the file `parts` with `size` bytes read from `content`; returns the bytes read
    /// (less than `size` when `content` ends early, in which case nothing is added).
    pub fn add_file(
        &mut self,
        parts: &[String],
        size: u64,
        executable: bool,
        content: &mut dyn Read,
    ) -> Result<u64, AddFileError> {
        let Some((name, parents)) = parts.split_last() else {
            return Err(AddFileError::Exists);
        };
        self.create_dir_all(parents)
            .map_err(|_| AddFileError::Exists)?;
        let dir = parents.join("/");
        let rel = join_rel(&dir, name);
        if self.entry_mut(&dir, name).is_some() {
            return Err(AddFileError::Exists);
        }
        let in_memory = size <= self.options.max_in_memory_file
            && (self.arena.len() as u64).saturating_add(size) <= self.options.memory_bytes;
        let (blob, read) = if in_memory {
            let start = self.arena.len();
            let read = content
                .take(size)
                .read_to_end(&mut self.arena)
                .map_err(AddFileError::Read)? as u64;
            (Blob::Memory(start..self.arena.len()), read)
        } else {
            let offset = self.spill_len;
            let read = self.spill_copy(content, size)?;
            (Blob::Spilled { offset, len: read }, read)
        };
        if read != size {
            if let Blob::Memory(range) = &blob {
                self.arena.truncate(range.start);
            }
            return Ok(read);
        }
        self.add_entry(&dir, name, EntryKind::File { size, executable });
        self.files.insert(rel, blob);
        Ok(read)
    }

    fn spill_copy(&mut self, content: &mut dyn Read, size: u64) -> Result<u64, AddFileError> {
        if self.spill.is_none() {
            fs::create_dir_all(&self.options.spill_dir).map_err(AddFileError::Write)?;
            let file =
                tempfile::tempfile_in(&self.options.spill_dir).map_err(AddFileError::Write)?;
            self.spill = Some(file);
        }
        let Some(file) = self.spill.as_mut() else {
            return Err(AddFileError::Write(io::Error::other("no spill file")));
        };
        file.seek(io::SeekFrom::Start(self.spill_len))
            .map_err(AddFileError::Write)?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        let mut limited = content.take(size);
        loop {
            let n = match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(AddFileError::Read(e)),
            };
            file.write_all(&buf[..n]).map_err(AddFileError::Write)?;
            total += n as u64;
        }
        self.spill_len += total;
        Ok(total)
    }
}

/// Why [`MemTree::add_file`] failed.
#[derive(Debug)]
pub enum AddFileError {
    /// An entry of that path (or a file where a folder is needed) already exists.
    Exists,
    /// Reading the content failed.
    Read(io::Error),
    /// Writing the spill file failed.
    Write(io::Error),
}

/// Reads a range of the spill file without moving a shared cursor.
struct SpillReader<'a> {
    file: &'a File,
    offset: u64,
    remaining: u64,
}

impl Read for SpillReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = read_at(self.file, &mut buf[..want], self.offset)?;
        self.offset += n as u64;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    file.read_at(buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::windows::fs::FileExt;
    file.seek_read(buf, offset)
}

impl FileTree for MemTree {
    fn read_dir(&self, dir: &str) -> io::Result<Vec<TreeEntry>> {
        self.dirs
            .get(dir)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no folder {dir:?}")))
    }

    fn kind(&self, rel: &str) -> Option<EntryKind> {
        let parts = components(rel)?;
        let Some((name, parents)) = parts.split_last() else {
            return Some(EntryKind::Dir);
        };
        let dir = parents.join("/");
        // Every parent is a folder exactly when `dir` is a known folder: links and files
        // never get children.
        self.dirs
            .get(&dir)?
            .iter()
            .find(|e| e.name == *name)
            .map(|e| e.kind)
            .filter(|k| *k != EntryKind::Symlink)
    }

    fn open(&self, rel: &str) -> io::Result<Box<dyn Read + '_>> {
        let key = components(rel)
            .map(|p| p.join("/"))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path leaves the tree"))?;
        let blob = self
            .files
            .get(&key)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no file {rel:?}")))?;
        match blob {
            Blob::Memory(range) => Ok(Box::new(&self.arena[range.clone()])),
            Blob::Spilled { offset, len } => {
                let spill = self
                    .spill
                    .as_ref()
                    .ok_or_else(|| io::Error::other("the spill file is gone"))?;
                Ok(Box::new(SpillReader {
                    file: spill,
                    offset: *offset,
                    remaining: *len,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &str) -> Vec<String> {
        p.split('/').map(str::to_owned).collect()
    }

    fn names(tree: &dyn FileTree, dir: &str) -> Vec<String> {
        let mut n: Vec<String> = tree
            .read_dir(dir)
            .expect("dir")
            .into_iter()
            .map(|e| e.name)
            .collect();
        n.sort();
        n
    }

    #[test]
    fn memory_tree_lists_reads_and_spills() {
        let spill = tempfile::tempdir().expect("tempdir");
        let mut options = MemTreeOptions::new(spill.path());
        options.memory_bytes = 10;
        let mut tree = MemTree::new(options);
        tree.add_file(&parts("a/b/small.txt"), 5, false, &mut &b"hello"[..])
            .expect("small");
        tree.add_file(&parts("a/big.bin"), 20, true, &mut &[7u8; 20][..])
            .expect("big");
        assert_eq!(tree.memory_bytes(), 5);
        assert_eq!(tree.spilled_bytes(), 20);
        assert_eq!(names(&tree, ""), ["a"]);
        assert_eq!(names(&tree, "a"), ["b", "big.bin"]);
        assert_eq!(tree.kind("a"), Some(EntryKind::Dir));
        assert_eq!(
            tree.kind("a/big.bin"),
            Some(EntryKind::File {
                size: 20,
                executable: true
            })
        );
        assert_eq!(tree.kind("a/missing"), None);
        assert_eq!(tree.kind("../a"), None);
        assert_eq!(
            tree.read_limited("a/b/small.txt", 100).expect("read"),
            b"hello"
        );
        assert_eq!(
            tree.read_limited("a/big.bin", 100).expect("read"),
            [7u8; 20]
        );
        assert!(matches!(
            tree.read_limited("a/big.bin", 19),
            Err(ReadError::TooLarge { .. })
        ));
        // Two readers of the spill file at once do not disturb each other.
        let mut r1 = tree.open("a/big.bin").expect("open");
        let mut r2 = tree.open("a/big.bin").expect("open");
        let mut b1 = [0u8; 3];
        let mut b2 = Vec::new();
        r1.read_exact(&mut b1).expect("r1");
        r2.read_to_end(&mut b2).expect("r2");
        assert_eq!(b2.len(), 20);
        assert_eq!(
            std::fs::read_dir(spill.path()).expect("ls").count(),
            0,
            "the spill file is anonymous"
        );
    }

    #[test]
    fn memory_tree_refuses_duplicates_and_files_as_folders() {
        let spill = tempfile::tempdir().expect("tempdir");
        let mut tree = MemTree::new(MemTreeOptions::new(spill.path()));
        tree.add_file(&parts("x"), 1, false, &mut &b"1"[..])
            .expect("x");
        assert!(matches!(
            tree.add_file(&parts("x"), 1, false, &mut &b"1"[..]),
            Err(AddFileError::Exists)
        ));
        assert!(matches!(
            tree.add_file(&parts("x/y"), 1, false, &mut &b"1"[..]),
            Err(AddFileError::Exists)
        ));
        assert!(tree.create_dir_all(&parts("x")).is_err());
        // A truncated entry adds nothing.
        assert_eq!(
            tree.add_file(&parts("short"), 10, false, &mut &b"abc"[..])
                .expect("short"),
            3
        );
        assert_eq!(tree.kind("short"), None);
        assert_eq!(tree.memory_bytes(), 1);
    }

    #[test]
    fn disk_tree_never_follows_links() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("real")).expect("mkdir");
        std::fs::write(dir.path().join("real/f.txt"), "x").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link"))
            .expect("symlink");
        let tree = DiskTree::new(dir.path());
        assert_eq!(
            tree.kind("real/f.txt"),
            Some(EntryKind::File {
                size: 1,
                executable: false
            })
        );
        #[cfg(unix)]
        {
            assert_eq!(tree.kind("link"), None);
            assert_eq!(tree.kind("link/f.txt"), None);
            let kinds: Vec<EntryKind> = tree
                .read_dir("")
                .expect("ls")
                .into_iter()
                .filter(|e| e.name == "link")
                .map(|e| e.kind)
                .collect();
            assert_eq!(kinds, [EntryKind::Symlink]);
        }
        assert_eq!(tree.kind("real/f.txt/x"), None);
    }
}
