//! Turns an extracted repository tree into built skills: discover, validate, package.
//! Blocking file I/O only; the worker runs it on a blocking thread and does the network
//! parts (download, upload) around it.

use std::{
    fs::File,
    io::{self, BufWriter, Write},
    path::{Path, PathBuf},
};

use serde_json::{Value, json};

use crate::{
    package::{PackageOptions, package_tree},
    spec::{
        DiscoveredSkill, DiscoveryLimits, Finding, Marketplace, PluginSource, ValidateOptions,
        discover_in, sort_findings, validate_skill_in,
    },
    storage::{ObjectStore, StorageError},
    sync::{BuiltArchive, BuiltMarketplace, BuiltPlugin, BuiltSkill, RepoName, archive_key},
    tree::{DiskTree, FileTree},
};

/// Archives up to this size stay in memory until they are uploaded; larger ones are written
/// to the output folder.
pub const IN_MEMORY_ARCHIVE_MAX: usize = 8 * 1024 * 1024;

/// Finding code for a skill that validated but could not be packaged (over a size limit…).
pub const PACKAGE_FAILED: &str = "package_failed";

/// A packaged archive waiting to be uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalArchive {
    pub content_hash: String,
    pub bytes: ArchiveBytes,
}

/// Where a packaged archive's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveBytes {
    Memory(Vec<u8>),
    File(PathBuf),
}

impl LocalArchive {
    /// Bytes of the archive.
    pub fn size(&self) -> Option<u64> {
        match &self.bytes {
            ArchiveBytes::Memory(bytes) => Some(bytes.len() as u64),
            ArchiveBytes::File(path) => std::fs::metadata(path).ok().map(|m| m.len()),
        }
    }

    /// Stores the archive under its content-addressed key.
    pub async fn upload(&self, store: &ObjectStore) -> Result<(), StorageError> {
        let key = archive_key(&self.content_hash);
        match &self.bytes {
            ArchiveBytes::Memory(bytes) => {
                store
                    .put_bytes(&key, bytes.clone(), ARCHIVE_CONTENT_TYPE)
                    .await
            }
            ArchiveBytes::File(path) => store.put_file(&key, path, ARCHIVE_CONTENT_TYPE).await,
        }
    }
}

/// Content type of skill archives in storage.
pub const ARCHIVE_CONTENT_TYPE: &str = "application/gzip";

#[derive(Debug, Clone, PartialEq)]
pub struct TreeBuild {
    pub skills: Vec<BuiltSkill>,
    /// One per distinct content hash (two identical skills share an archive).
    pub archives: Vec<LocalArchive>,
    pub marketplace: Option<BuiltMarketplace>,
    /// Repository-level findings from discovery.
    pub problems: Vec<Finding>,
}

/// The machine failed while building (scratch space); the repository is not at fault.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot write the archive {path}: {source}")]
    Scratch {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Builds every skill found under `root` on disk. See [`build_from`].
pub fn build_tree(root: &Path, repo_name: &str, out_dir: &Path) -> Result<TreeBuild, BuildError> {
    build_from(&DiskTree::new(root), repo_name, out_dir)
}

/// Builds every skill found in `tree`. `repo_name` names a skill at the repository root
/// (whose folder name is meaningless after extraction). Archives stay in memory up to
/// [`IN_MEMORY_ARCHIVE_MAX`]; larger ones are written to `out_dir` (created when needed) as
/// `{content_hash}.tar.gz`.
pub fn build_from(
    tree: &dyn FileTree,
    repo_name: &str,
    out_dir: &Path,
) -> Result<TreeBuild, BuildError> {
    let discovery = discover_in(tree, &DiscoveryLimits::default());
    let mut skills = Vec::with_capacity(discovery.skills.len());
    let mut archives: Vec<LocalArchive> = Vec::new();
    for (index, found) in discovery.skills.iter().enumerate() {
        let nested = nested_skill_dirs(&found.dir, &discovery.skills);
        let skill = build_skill(
            tree,
            repo_name,
            found,
            nested,
            out_dir,
            index,
            &mut archives,
        )?;
        skills.push(skill);
    }
    let marketplace = discovery
        .marketplace
        .as_ref()
        .map(|m| built_marketplace(m, &discovery.skills));
    Ok(TreeBuild {
        skills,
        archives,
        marketplace,
        problems: discovery.findings,
    })
}

/// Folders of the skills inside `dir` (relative to it): published on their own, so not
/// packaged with the skill around them.
fn nested_skill_dirs(dir: &str, skills: &[DiscoveredSkill]) -> Vec<String> {
    skills
        .iter()
        .filter_map(|s| {
            if s.dir == dir {
                None
            } else if dir.is_empty() {
                Some(s.dir.clone())
            } else {
                s.dir
                    .strip_prefix(dir)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .map(str::to_owned)
            }
        })
        .collect()
}

fn build_skill(
    tree: &dyn FileTree,
    repo_name: &str,
    found: &DiscoveredSkill,
    nested: Vec<String>,
    out_dir: &Path,
    index: usize,
    archives: &mut Vec<LocalArchive>,
) -> Result<BuiltSkill, BuildError> {
    let folder_name = found.dir_name().unwrap_or(repo_name).to_string();
    let report = validate_skill_in(
        tree,
        &found.dir,
        &ValidateOptions {
            dir_name: Some(folder_name.clone()),
            ..ValidateOptions::default()
        },
    );
    let mut findings = report.findings.clone();
    let parsed = report.parsed.as_ref();
    let frontmatter = parsed.map(|p| &p.frontmatter);
    let name = frontmatter
        .and_then(|f| f.name.clone())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| folder_name.clone());

    let mut archive = None;
    if !report.has_errors() {
        let options = PackageOptions {
            name: Some(folder_name.clone()),
            exclude: nested,
            ..PackageOptions::default()
        };
        match package(tree, &found.dir, &options, out_dir, index)? {
            Ok((built, local)) => {
                if !archives
                    .iter()
                    .any(|a| a.content_hash == local.content_hash)
                {
                    archives.push(local);
                } else if let ArchiveBytes::File(path) = &local.bytes {
                    // Same bytes as an earlier skill of this tree: keep one file.
                    let _ = std::fs::remove_file(path);
                }
                archive = Some(built);
            }
            Err(message) => findings.push(Finding::error(PACKAGE_FAILED, message, "")),
        }
    }
    sort_findings(&mut findings);
    Ok(BuiltSkill {
        path: found.dir.clone(),
        name,
        description: frontmatter.and_then(|f| f.description.clone()),
        license: frontmatter.and_then(|f| f.license.clone()),
        frontmatter: parsed
            .map(|p| p.raw_frontmatter.clone())
            .unwrap_or_else(|| json!({})),
        body: parsed.map(|p| p.body.clone()).unwrap_or_default(),
        findings,
        archive,
    })
}

/// Packages one skill folder. The inner error is the skill's own problem (a user-facing
/// message for a finding); the outer one is the machine's (scratch space).
#[allow(clippy::type_complexity)]
fn package(
    tree: &dyn FileTree,
    dir: &str,
    options: &PackageOptions,
    out_dir: &Path,
    index: usize,
) -> Result<Result<(BuiltArchive, LocalArchive), String>, BuildError> {
    let partial = out_dir.join(format!("partial-{index}.tar.gz"));
    let mut writer = ArchiveWriter::new(partial.clone());
    let packaged = match package_tree(tree, dir, &mut writer, options) {
        Ok(p) => p,
        Err(e) => {
            writer.discard();
            if let Some(source) = writer.error.take() {
                return Err(BuildError::Scratch {
                    path: partial,
                    source,
                });
            }
            return Ok(Err(format!("the skill could not be packaged: {e}")));
        }
    };
    let bytes = match writer.finish() {
        Ok(ArchiveBytes::File(partial)) => {
            let path = out_dir.join(format!("{}.tar.gz", packaged.content_hash));
            std::fs::rename(&partial, &path).map_err(|source| BuildError::Scratch {
                path: path.clone(),
                source,
            })?;
            ArchiveBytes::File(path)
        }
        Ok(memory) => memory,
        Err(source) => {
            return Err(BuildError::Scratch {
                path: partial,
                source,
            });
        }
    };
    Ok(Ok((
        BuiltArchive {
            key: archive_key(&packaged.content_hash),
            content_hash: packaged.content_hash.clone(),
            size: packaged.size,
            files: packaged.files,
        },
        LocalArchive {
            content_hash: packaged.content_hash,
            bytes,
        },
    )))
}

/// Collects an archive in memory, moving it to `path` once it grows past
/// [`IN_MEMORY_ARCHIVE_MAX`]. Remembers its own I/O error so the caller can tell a full disk
/// from a skill that cannot be packaged.
struct ArchiveWriter {
    memory: Vec<u8>,
    file: Option<BufWriter<File>>,
    path: PathBuf,
    error: Option<io::Error>,
}

impl ArchiveWriter {
    fn new(path: PathBuf) -> Self {
        Self {
            memory: Vec::new(),
            file: None,
            path,
            error: None,
        }
    }

    fn spill(&mut self) -> io::Result<()> {
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = BufWriter::new(File::create(&self.path)?);
        file.write_all(&self.memory)?;
        self.memory = Vec::new();
        self.file = Some(file);
        Ok(())
    }

    fn finish(mut self) -> io::Result<ArchiveBytes> {
        match self.file.take() {
            None => Ok(ArchiveBytes::Memory(std::mem::take(&mut self.memory))),
            Some(file) => {
                file.into_inner().map_err(|e| e.into_error())?.sync_data()?;
                Ok(ArchiveBytes::File(self.path.clone()))
            }
        }
    }

    fn discard(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
        self.memory = Vec::new();
    }

    fn record<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result {
            self.error = Some(io::Error::new(e.kind(), e.to_string()));
        }
        result
    }
}

impl Write for ArchiveWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() && self.memory.len() + buf.len() > IN_MEMORY_ARCHIVE_MAX {
            let spilled = self.spill();
            self.record(spilled)?;
        }
        match self.file.as_mut() {
            Some(file) => {
                let written = file.write(buf);
                self.record(written)
            }
            None => {
                self.memory.extend_from_slice(buf);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => {
                let flushed = file.flush();
                self.record(flushed)
            }
            None => Ok(()),
        }
    }
}

fn source_kind(source: &PluginSource) -> &'static str {
    match source {
        PluginSource::Path { .. } => "relative",
        PluginSource::Github { .. } => "github",
        PluginSource::Url { .. } => "url",
        PluginSource::GitSubdir { .. } => "git_subdir",
        PluginSource::Npm { .. } => "npm",
        PluginSource::Other { .. } => "other",
    }
}

/// The GitHub repository (`owner/name`) a plugin hosted outside the marketplace repository
/// comes from, and for `git-subdir` the plugin's folder in it (`None`: the whole
/// repository). Sources that name no github.com repository (other hosts, ssh URLs, npm), and
/// subfolders that are absolute or climb out with `..`, give `None`: nothing is linked.
pub fn github_plugin_home(source: &PluginSource) -> Option<(String, Option<String>)> {
    let (named, path) = match source {
        PluginSource::Github { repo, .. } => (repo, None),
        PluginSource::Url { url, .. } => (url, None),
        PluginSource::GitSubdir { url, path, .. } => (url, Some(path.as_str())),
        PluginSource::Path { .. } | PluginSource::Npm { .. } | PluginSource::Other { .. } => {
            return None;
        }
    };
    let repo = RepoName::parse(named).ok()?.full_name();
    let folder = match path {
        None => None,
        Some(path) => {
            if path.starts_with('/') || path.contains('\\') {
                return None;
            }
            let parts: Vec<&str> = path
                .split('/')
                .filter(|p| !p.is_empty() && *p != ".")
                .collect();
            if parts.contains(&"..") {
                return None;
            }
            (!parts.is_empty()).then(|| parts.join("/"))
        }
    };
    Some((repo, folder))
}

fn built_marketplace(marketplace: &Marketplace, skills: &[DiscoveredSkill]) -> BuiltMarketplace {
    let owner = marketplace.owner.as_ref();
    let metadata = marketplace.metadata.as_ref();
    let plugins = marketplace
        .plugins
        .iter()
        .map(|plugin| BuiltPlugin {
            name: plugin.name.clone(),
            description: plugin.fields.description.clone(),
            version: plugin.fields.version.clone(),
            source_kind: source_kind(&plugin.source).to_string(),
            source: plugin.source.to_value(),
            category: plugin.fields.category.clone(),
            keywords: plugin.fields.keywords.clone(),
            homepage: plugin.fields.homepage.clone(),
            license: plugin.fields.license.clone(),
            raw: plugin.raw.clone(),
            skill_paths: skills
                .iter()
                .filter(|s| s.plugins.contains(&plugin.name))
                .map(|s| s.dir.clone())
                .collect(),
        })
        .collect();
    BuiltMarketplace {
        name: marketplace.name.clone(),
        owner_name: owner.and_then(|o| o.name.clone()),
        owner_email: owner.and_then(|o| o.email.clone()),
        description: marketplace
            .description
            .clone()
            .or_else(|| metadata.and_then(|m| m.description.clone())),
        version: metadata.and_then(|m| m.version.clone()),
        raw: if marketplace.raw.is_null() {
            Value::Object(Default::default())
        } else {
            marketplace.raw.clone()
        },
        plugins,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(source: serde_json::Value) -> Option<(String, Option<String>)> {
        github_plugin_home(&serde_json::from_value(source).expect("a source"))
    }

    #[test]
    fn plugins_hosted_on_github_name_their_repository_and_folder() {
        let repo = |r: &str, p: Option<&str>| Some((r.to_string(), p.map(str::to_string)));
        assert_eq!(
            home(json!({"source": "github", "repo": "Acme/Tools"})),
            repo("Acme/Tools", None)
        );
        assert_eq!(
            home(json!({"source": "url", "url": "https://github.com/acme/kit.git"})),
            repo("acme/kit", None)
        );
        assert_eq!(
            home(
                json!({"source": "git-subdir", "url": "https://github.com/acme/mono", "path": "./plugins/x/"})
            ),
            repo("acme/mono", Some("plugins/x"))
        );
        assert_eq!(
            home(
                json!({"source": "git-subdir", "url": "https://github.com/acme/mono", "path": "."})
            ),
            repo("acme/mono", None),
            "the repository's root is the whole repository"
        );
    }

    #[test]
    fn other_hosts_and_escaping_folders_link_nothing() {
        for source in [
            json!("./plugins/local"),
            json!({"source": "url", "url": "https://gitlab.com/acme/kit.git"}),
            json!({"source": "url", "url": "git@github.com:acme/kit.git"}),
            json!({"source": "url", "url": "http://github.com/acme/kit.git"}),
            json!({"source": "npm", "package": "@acme/kit"}),
            json!({"source": "git-subdir", "url": "https://github.com/acme/mono", "path": "../other"}),
            json!({"source": "git-subdir", "url": "https://github.com/acme/mono", "path": "/etc"}),
            json!({"source": "github", "repo": "not a repo"}),
        ] {
            assert_eq!(home(source.clone()), None, "{source}");
        }
    }
}
