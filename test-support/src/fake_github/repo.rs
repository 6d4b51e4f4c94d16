//! Repositories the fake serves: a file tree (or a hand-built archive) plus the metadata
//! GitHub reports about it.

use std::{
    io,
    path::{Path, PathBuf},
};

use std::collections::BTreeMap;

use axum::body::Bytes;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Git mode of a regular file.
pub const MODE_FILE: u32 = 0o100644;
/// Git mode of an executable file.
pub const MODE_EXECUTABLE: u32 = 0o100755;
/// Git mode of a symbolic link (the file content is the link target).
pub const MODE_SYMLINK: u32 = 0o120000;

/// One file of a repository tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeFile {
    /// Path inside the repository, `/`-separated, no leading slash.
    pub path: String,
    /// File content, or the link target for symlinks.
    pub content: Bytes,
    /// Git mode: [`MODE_FILE`], [`MODE_EXECUTABLE`] or [`MODE_SYMLINK`].
    pub mode: u32,
}

impl FakeFile {
    /// Accepts git modes (`0o100644`, `0o120000`) or plain permissions (`0o644`, `0o755`).
    pub fn new(path: impl Into<String>, content: impl AsRef<[u8]>, mode: u32) -> Self {
        Self {
            path: path.into().trim_start_matches('/').to_string(),
            content: Bytes::copy_from_slice(content.as_ref()),
            mode: normalize_mode(mode),
        }
    }

    pub fn is_symlink(&self) -> bool {
        self.mode == MODE_SYMLINK
    }

    pub fn is_executable(&self) -> bool {
        self.mode == MODE_EXECUTABLE
    }
}

fn normalize_mode(mode: u32) -> u32 {
    if mode & 0o170000 == 0o120000 {
        MODE_SYMLINK
    } else if mode & 0o111 != 0 {
        MODE_EXECUTABLE
    } else {
        MODE_FILE
    }
}

/// What a commit's archive is made of.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    /// A file tree, archived like `git archive` does.
    Tree(Vec<FakeFile>),
    /// Raw `.tar.gz` bytes served as they are (hostile archives).
    RawArchive(Bytes),
    /// A gzip bomb: one tar entry of `uncompressed` zero bytes, generated while streaming.
    GzipBomb { uncompressed: u64 },
}

impl Content {
    /// Commit id for this content: a hash, so the same tree always gets the same sha and
    /// any change moves HEAD.
    pub(crate) fn sha(&self) -> String {
        let mut h = Sha256::new();
        match self {
            Content::Tree(files) => {
                h.update(b"tree\0");
                for f in files {
                    h.update(f.path.as_bytes());
                    h.update([0]);
                    h.update(format!("{:o}", f.mode).as_bytes());
                    h.update([0]);
                    h.update((f.content.len() as u64).to_be_bytes());
                    h.update(&f.content);
                }
            }
            Content::RawArchive(bytes) => {
                h.update(b"raw\0");
                h.update(bytes);
            }
            Content::GzipBomb { uncompressed } => {
                h.update(b"bomb\0");
                h.update(uncompressed.to_be_bytes());
            }
        }
        hex::encode(h.finalize())[..40].to_string()
    }

    pub(crate) fn files(&self) -> &[FakeFile] {
        match self {
            Content::Tree(files) => files,
            _ => &[],
        }
    }
}

/// Git's object id of a blob: sha1 of `blob {len}\0{content}` (what GitHub reports as a
/// file's `sha`, e.g. in code search results). For a symlink the content is its target.
pub fn git_blob_sha(content: &[u8]) -> String {
    hex::encode(git_blob_id(content))
}

fn git_blob_id(content: &[u8]) -> [u8; 20] {
    git_object_id("blob", content)
}

fn git_object_id(kind: &str, body: &[u8]) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(format!("{kind} {}\0", body.len()).as_bytes());
    h.update(body);
    h.finalize().into()
}

/// Git's object id of the root tree of `files` (nested trees for folders), as `git
/// write-tree` computes it: entries `{mode} {name}\0{20-byte id}`, sorted by name with
/// folder names compared as if they ended in `/`. An empty list is git's empty tree.
pub fn git_tree_sha(files: &[FakeFile]) -> String {
    let entries: Vec<(&str, &FakeFile)> = files.iter().map(|f| (f.path.as_str(), f)).collect();
    hex::encode(tree_id(&entries))
}

/// Id of the tree holding `entries`, whose paths are relative to that tree.
fn tree_id(entries: &[(&str, &FakeFile)]) -> [u8; 20] {
    enum Node<'a> {
        File(&'a FakeFile),
        Dir(Vec<(&'a str, &'a FakeFile)>),
    }
    let mut nodes: BTreeMap<&str, Node> = BTreeMap::new();
    for &(path, file) in entries {
        match path.split_once('/') {
            None => {
                nodes.insert(path, Node::File(file));
            }
            Some((dir, rest)) => {
                let node = nodes.entry(dir).or_insert_with(|| Node::Dir(Vec::new()));
                if let Node::Dir(children) = node {
                    children.push((rest, file));
                }
            }
        }
    }
    // Git orders a folder `a` as `a/`: after `a.txt`, before `a0`.
    let mut sorted: Vec<(Vec<u8>, &str, Node)> = nodes
        .into_iter()
        .map(|(name, node)| {
            let mut key = name.as_bytes().to_vec();
            if matches!(node, Node::Dir(_)) {
                key.push(b'/');
            }
            (key, name, node)
        })
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut body = Vec::new();
    for (_, name, node) in sorted {
        let (mode, id) = match node {
            Node::File(f) => (format!("{:o}", f.mode), git_blob_id(&f.content)),
            Node::Dir(children) => ("40000".to_string(), tree_id(&children)),
        };
        body.extend_from_slice(mode.as_bytes());
        body.push(b' ');
        body.extend_from_slice(name.as_bytes());
        body.push(0);
        body.extend_from_slice(&id);
    }
    git_object_id("tree", &body)
}

/// Metadata GitHub reports for a repository (what "Get a repository" shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSettings {
    /// Numeric id; assigned by the server when `None`.
    pub id: Option<u64>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub topics: Vec<String>,
    pub stars: u64,
    pub forks: u64,
    /// SPDX id (`MIT`, `Apache-2.0`, `NOASSERTION`), or `None` for no licence.
    pub license: Option<String>,
    pub archived: bool,
    pub fork: bool,
    pub default_branch: String,
    /// `User` or `Organization`.
    pub owner_type: String,
}

impl Default for RepoSettings {
    fn default() -> Self {
        Self {
            id: None,
            description: None,
            homepage: None,
            topics: Vec::new(),
            stars: 0,
            forks: 0,
            license: None,
            archived: false,
            fork: false,
            default_branch: "main".into(),
            owner_type: "User".into(),
        }
    }
}

/// A repository to serve. Build it from a directory, from files, or from raw archive bytes,
/// then adjust metadata with the chained setters.
#[derive(Debug, Clone)]
pub struct FakeRepo {
    pub(crate) owner: String,
    pub(crate) name: String,
    pub(crate) content: Content,
    pub(crate) settings: RepoSettings,
}

impl FakeRepo {
    /// The same repository served under another owner. Workflow ids are global in a
    /// Temporal namespace (`sync:github.com/{owner}/{repo}`), so tests that run at the same
    /// time must not sync the same repository name: give each its own owner.
    #[must_use]
    pub fn with_owner(mut self, owner: &str) -> Self {
        self.owner = owner.to_string();
        self
    }

    /// Every file under `dir` (recursively, `.git` skipped, symlinks kept as symlinks).
    /// Panics when the directory cannot be read: for tests; see [`Self::try_from_dir`].
    pub fn from_dir(owner: &str, name: &str, dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        Self::try_from_dir(owner, name, dir).unwrap_or_else(|e| {
            panic!(
                "cannot load fake repo {owner}/{name} from {}: {e}",
                dir.display()
            )
        })
    }

    pub fn try_from_dir(owner: &str, name: &str, dir: impl AsRef<Path>) -> io::Result<Self> {
        let files = read_tree(dir.as_ref())?;
        Ok(Self::with_content(owner, name, Content::Tree(files)))
    }

    /// Files given as `(path, content, mode)`; mode is a git mode or plain permissions.
    pub fn from_files<P, B>(
        owner: &str,
        name: &str,
        files: impl IntoIterator<Item = (P, B, u32)>,
    ) -> Self
    where
        P: Into<String>,
        B: AsRef<[u8]>,
    {
        Self::with_content(owner, name, Content::Tree(collect_files(files)))
    }

    /// Serves `tar_gz` as the archive of every commit, byte for byte (hostile archives).
    pub fn from_raw_archive(owner: &str, name: &str, tar_gz: impl Into<Bytes>) -> Self {
        Self::with_content(owner, name, Content::RawArchive(tar_gz.into()))
    }

    /// Serves a gzip bomb: a valid tar.gz whose single file inflates to `uncompressed`
    /// zero bytes, generated on the fly (about 1 KiB on the wire per MiB inflated).
    pub fn gzip_bomb(owner: &str, name: &str, uncompressed: u64) -> Self {
        Self::with_content(owner, name, Content::GzipBomb { uncompressed })
    }

    pub(crate) fn with_content(owner: &str, name: &str, content: Content) -> Self {
        Self {
            owner: owner.to_string(),
            name: name.to_string(),
            content,
            settings: RepoSettings::default(),
        }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The files of the tree (empty for raw archives and bombs).
    pub fn files(&self) -> &[FakeFile] {
        self.content.files()
    }

    /// The commit sha this repository's HEAD will have.
    pub fn head_sha(&self) -> String {
        self.content.sha()
    }

    pub fn id(mut self, id: u64) -> Self {
        self.settings.id = Some(id);
        self
    }

    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.settings.description = Some(description.into());
        self
    }

    pub fn homepage(mut self, homepage: impl Into<String>) -> Self {
        self.settings.homepage = Some(homepage.into());
        self
    }

    pub fn topics<S: Into<String>>(mut self, topics: impl IntoIterator<Item = S>) -> Self {
        self.settings.topics = topics.into_iter().map(Into::into).collect();
        self
    }

    pub fn stars(mut self, stars: u64) -> Self {
        self.settings.stars = stars;
        self
    }

    pub fn forks(mut self, forks: u64) -> Self {
        self.settings.forks = forks;
        self
    }

    pub fn license(mut self, spdx_id: impl Into<String>) -> Self {
        self.settings.license = Some(spdx_id.into());
        self
    }

    pub fn archived(mut self, archived: bool) -> Self {
        self.settings.archived = archived;
        self
    }

    pub fn fork(mut self, fork: bool) -> Self {
        self.settings.fork = fork;
        self
    }

    pub fn default_branch(mut self, branch: impl Into<String>) -> Self {
        self.settings.default_branch = branch.into();
        self
    }

    pub fn organization(mut self) -> Self {
        self.settings.owner_type = "Organization".into();
        self
    }

    /// Replaces all metadata at once.
    pub fn settings(mut self, settings: RepoSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Leaves out files for which `keep` is false (e.g. provenance notes in a corpus copy).
    pub fn filter_files(mut self, keep: impl Fn(&FakeFile) -> bool) -> Self {
        if let Content::Tree(files) = &mut self.content {
            files.retain(|f| keep(f));
        }
        self
    }
}

pub(crate) fn collect_files<P, B>(files: impl IntoIterator<Item = (P, B, u32)>) -> Vec<FakeFile>
where
    P: Into<String>,
    B: AsRef<[u8]>,
{
    let mut files: Vec<FakeFile> = files
        .into_iter()
        .map(|(p, b, m)| FakeFile::new(p, b, m))
        .collect();
    sort_dedup(&mut files);
    files
}

/// Sorted by path, last write wins for duplicates.
pub(crate) fn sort_dedup(files: &mut Vec<FakeFile>) {
    files.reverse();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|later, earlier| later.path == earlier.path);
}

fn read_tree(root: &Path) -> io::Result<Vec<FakeFile>> {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path)?;
            let rel = path
                .strip_prefix(root)
                .map_err(io::Error::other)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path)?;
                files.push(FakeFile::new(
                    rel,
                    target.to_string_lossy().as_bytes(),
                    MODE_SYMLINK,
                ));
            } else if meta.is_dir() {
                if entry.file_name() != ".git" {
                    stack.push(path);
                }
            } else if meta.is_file() {
                let content = std::fs::read(&path)?;
                files.push(FakeFile::new(rel, content, unix_mode(&meta)));
            }
        }
    }
    sort_dedup(&mut files);
    Ok(files)
}

#[cfg(unix)]
fn unix_mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode()
}

#[cfg(not(unix))]
fn unix_mode(_meta: &std::fs::Metadata) -> u32 {
    MODE_FILE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha_follows_content() {
        let a = FakeRepo::from_files("o", "r", vec![("a/SKILL.md", "x", 0o644)]);
        let b = FakeRepo::from_files("o", "r", vec![("a/SKILL.md", "x", 0o100644)]);
        let c = FakeRepo::from_files("o", "r", vec![("a/SKILL.md", "y", 0o644)]);
        assert_eq!(a.head_sha(), b.head_sha());
        assert_ne!(a.head_sha(), c.head_sha());
        assert_eq!(a.head_sha().len(), 40);
    }

    #[test]
    fn object_ids_are_gits() {
        // `git hash-object` of an empty file and of "hello\n".
        assert_eq!(
            git_blob_sha(b""),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
        assert_eq!(
            git_blob_sha(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        // git's empty tree.
        assert_eq!(
            git_tree_sha(&[]),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
        // `git write-tree` of this tree (files, an executable, a symlink, a folder whose
        // name sorts differently with its implicit `/`), as git computes it.
        let files = vec![
            FakeFile::new("a.txt", "hello\n", 0o644),
            FakeFile::new("a/SKILL.md", "---\nname: a\n---\n", 0o644),
            FakeFile::new("a/run.sh", "#!/bin/sh\n", 0o755),
            FakeFile::new("link", "a.txt", MODE_SYMLINK),
        ];
        assert_eq!(
            git_tree_sha(&files),
            "30c751462c4561be9a99fcef6b5efad2482944ae"
        );
    }

    #[test]
    fn modes_are_normalized_and_duplicates_collapse() {
        let r = FakeRepo::from_files(
            "o",
            "r",
            vec![
                ("/b", "1", 0o755),
                ("a", "/etc", 0o120777),
                ("b", "2", 0o644),
            ],
        );
        let files = r.files();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path, "a");
        assert!(files[0].is_symlink());
        assert_eq!(files[1].path, "b");
        assert_eq!(&files[1].content[..], b"2");
        assert_eq!(files[1].mode, MODE_FILE);
    }
}
