//! Turns an extracted repository tree into built skills: discover, validate, package.
//! Blocking file I/O only; the worker runs it on a blocking thread and does the network
//! parts (download, upload) around it.

use std::{
    fs::File,
    io::BufWriter,
    path::{Path, PathBuf},
};

use serde_json::{Value, json};

use crate::{
    package::{PackageOptions, package_skill_with},
    spec::{
        DiscoveredSkill, DiscoveryLimits, Finding, Marketplace, PluginSource, ValidateOptions,
        discover_skills, sort_findings, validate_skill_dir,
    },
    sync::{BuiltArchive, BuiltMarketplace, BuiltPlugin, BuiltSkill, RepoName, archive_key},
};

/// Finding code for a skill that validated but could not be packaged (over a size limit…).
pub const PACKAGE_FAILED: &str = "package_failed";

/// A packaged archive waiting on local disk to be uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalArchive {
    pub content_hash: String,
    pub path: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TreeBuild {
    pub skills: Vec<BuiltSkill>,
    /// One per distinct content hash (two identical skills share an archive).
    pub archives: Vec<LocalArchive>,
    pub marketplace: Option<BuiltMarketplace>,
    /// Repository-level findings from discovery.
    pub problems: Vec<Finding>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot create the archive folder {path}: {source}")]
    OutDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Builds every skill found under `root`. `repo_name` names a skill at the repository root
/// (whose folder name is meaningless after extraction). Archives are written to `out_dir`
/// as `{content_hash}.tar.gz`.
pub fn build_tree(root: &Path, repo_name: &str, out_dir: &Path) -> Result<TreeBuild, BuildError> {
    std::fs::create_dir_all(out_dir).map_err(|source| BuildError::OutDir {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let discovery = discover_skills(root, &DiscoveryLimits::default());
    let mut skills = Vec::with_capacity(discovery.skills.len());
    let mut archives: Vec<LocalArchive> = Vec::new();
    for (index, found) in discovery.skills.iter().enumerate() {
        let skill = build_skill(root, repo_name, found, out_dir, index, &mut archives);
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

fn build_skill(
    root: &Path,
    repo_name: &str,
    found: &DiscoveredSkill,
    out_dir: &Path,
    index: usize,
    archives: &mut Vec<LocalArchive>,
) -> BuiltSkill {
    let dir = if found.dir.is_empty() {
        root.to_path_buf()
    } else {
        root.join(&found.dir)
    };
    let folder_name = found.dir_name().unwrap_or(repo_name).to_string();
    let report = validate_skill_dir(
        &dir,
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
        match package(&dir, &folder_name, out_dir, index) {
            Ok((built, local)) => {
                if !archives
                    .iter()
                    .any(|a| a.content_hash == local.content_hash)
                {
                    archives.push(local);
                } else {
                    // Same bytes as an earlier skill of this tree: keep one file.
                    let _ = std::fs::remove_file(&local.path);
                }
                archive = Some(built);
            }
            Err(message) => findings.push(Finding::error(PACKAGE_FAILED, message, "")),
        }
    }
    sort_findings(&mut findings);
    BuiltSkill {
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
    }
}

/// Packages one skill folder into `out_dir/{hash}.tar.gz`; the error is a user-facing
/// message.
fn package(
    dir: &Path,
    folder_name: &str,
    out_dir: &Path,
    index: usize,
) -> Result<(BuiltArchive, LocalArchive), String> {
    let partial = out_dir.join(format!("partial-{index}.tar.gz"));
    let file = File::create(&partial).map_err(|e| format!("cannot write the archive: {e}"))?;
    let options = PackageOptions {
        name: Some(folder_name.to_string()),
        ..PackageOptions::default()
    };
    let packaged = match package_skill_with(dir, BufWriter::new(file), &options) {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(format!("the skill could not be packaged: {e}"));
        }
    };
    let path = out_dir.join(format!("{}.tar.gz", packaged.content_hash));
    std::fs::rename(&partial, &path).map_err(|e| format!("cannot keep the archive: {e}"))?;
    Ok((
        BuiltArchive {
            key: archive_key(&packaged.content_hash),
            content_hash: packaged.content_hash.clone(),
            size: packaged.size,
            files: packaged.files,
        },
        LocalArchive {
            content_hash: packaged.content_hash,
            path,
        },
    ))
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
