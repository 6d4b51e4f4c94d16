//! What a repository sync produces and hands from one step to the next.
//!
//! The build step (download, extract, discover, validate, package, upload) writes a
//! [`BuildManifest`] to object storage next to the archives; the index step reads it back and
//! writes it to PostgreSQL in one transaction. Passing the manifest through S3 rather than
//! through Temporal keeps workflow payloads small (SKILL.md bodies can be large) and lets
//! each step retry on any worker.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    github::RepoMeta,
    package::ManifestEntry,
    spec::{Finding, Severity},
};

/// GitHub is the only host today; ids and rows carry it so others can follow.
pub const GITHUB_HOST: &str = "github.com";

/// A repository named by owner and name (case-insensitive, as on GitHub).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RepoName {
    pub owner: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoNameError {
    #[error("expected a GitHub repository as `owner/repo` or https://github.com/owner/repo")]
    Shape,
    #[error("only github.com repositories can be registered (got host `{0}`)")]
    Host(String),
    #[error("only https URLs are accepted (got `{0}`)")]
    Scheme(String),
    #[error("`{0}` is not a valid GitHub owner or repository name")]
    Name(String),
}

impl RepoName {
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Result<Self, RepoNameError> {
        let owner = owner.into();
        let name = name.into();
        if !valid_owner(&owner) {
            return Err(RepoNameError::Name(owner));
        }
        if !valid_repo(&name) {
            return Err(RepoNameError::Name(name));
        }
        Ok(Self { owner, name })
    }

    /// Accepts `owner/repo`, `github.com/owner/repo`, and `https://github.com/owner/repo`
    /// (with an optional `.git`, trailing slash, or deeper path such as `/tree/main/x`).
    pub fn parse(input: &str) -> Result<Self, RepoNameError> {
        let input = input.trim();
        let path = if input.contains("://") {
            let url = url::Url::parse(input).map_err(|_| RepoNameError::Shape)?;
            if url.scheme() != "https" {
                return Err(RepoNameError::Scheme(url.scheme().to_string()));
            }
            let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
            if host != "github.com" && host != "www.github.com" {
                return Err(RepoNameError::Host(host));
            }
            if url.username() != "" || url.password().is_some() || url.port().is_some() {
                return Err(RepoNameError::Shape);
            }
            url.path().to_string()
        } else if let Some(rest) = input.strip_prefix("github.com/") {
            rest.to_string()
        } else {
            input.to_string()
        };
        let mut parts = path.trim_matches('/').split('/');
        let (Some(owner), Some(repo)) = (parts.next(), parts.next()) else {
            return Err(RepoNameError::Shape);
        };
        if !input.contains("://") && parts.next().is_some() {
            return Err(RepoNameError::Shape);
        }
        let repo = repo.strip_suffix(".git").unwrap_or(repo);
        Self::new(owner, repo)
    }

    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// `sync:github.com/{owner}/{repo}`, lower-cased so one repository has one id whatever
    /// spelling a caller used: Temporal then refuses a second concurrent sync of it.
    pub fn sync_workflow_id(&self) -> String {
        format!(
            "sync:{GITHUB_HOST}/{}/{}",
            self.owner.to_ascii_lowercase(),
            self.name.to_ascii_lowercase()
        )
    }
}

impl std::fmt::Display for RepoName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// GitHub logins: 1–39 alphanumerics or single hyphens, not at either end.
fn valid_owner(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// GitHub repository names: 1–100 of alphanumerics, `-`, `_`, `.`; not `.` or `..`.
fn valid_repo(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Who asked for a sync; recorded on registrations and as a search attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncTrigger {
    /// A registration (`POST /repositories`).
    User,
    /// An admin: a resync, or a `Discovery` run started from the admin API (its children).
    Admin,
    /// A `Discovery` run started by its schedule (its children).
    Schedule,
    /// What `Discovery` children carried before they took their run's trigger; still read
    /// from older histories, no longer written.
    Discovery,
}

impl SyncTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
            Self::Schedule => "schedule",
            Self::Discovery => "discovery",
        }
    }
}

/// Input of the `SyncRepository` workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncInput {
    pub repo: RepoName,
    pub trigger: SyncTrigger,
    /// The registration request this sync answers, updated as it progresses.
    pub registration_id: Option<uuid::Uuid>,
    /// Rebuild even when HEAD equals the last indexed commit.
    pub force: bool,
}

/// One skill as the build step found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuiltSkill {
    /// Folder inside the repository, `/`-separated, `""` for the root.
    pub path: String,
    /// `name` from the front matter, or the folder name when the front matter has none.
    pub name: String,
    pub description: Option<String>,
    pub license: Option<String>,
    /// The front matter as JSON (unknown fields included); `{}` when unparsable.
    pub frontmatter: Value,
    /// SKILL.md body (Markdown), empty when unparsable.
    pub body: String,
    /// Errors and warnings, sorted.
    pub findings: Vec<Finding>,
    /// The archive, present only for a publishable skill (no error findings).
    pub archive: Option<BuiltArchive>,
}

impl BuiltSkill {
    pub fn error_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count()
    }
}

/// A packaged skill stored in object storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuiltArchive {
    /// sha256 of the archive bytes; the version's identity.
    pub content_hash: String,
    /// Object key, `skills/sha256/{content_hash}`.
    pub key: String,
    pub size: u64,
    pub files: Vec<ManifestEntry>,
}

/// A plugin of a marketplace, with the skill folders it contains in this repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuiltPlugin {
    pub name: String,
    pub description: Option<String>,
    pub version: Option<String>,
    /// `relative`, `github`, `url`, `git_subdir`, `npm` or `other`.
    pub source_kind: String,
    pub source: Value,
    pub category: Option<String>,
    pub keywords: Vec<String>,
    pub homepage: Option<String>,
    pub license: Option<String>,
    pub raw: Value,
    /// `BuiltSkill::path`s of this repository's skills that belong to the plugin.
    pub skill_paths: Vec<String>,
}

/// `.claude-plugin/marketplace.json` of the repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuiltMarketplace {
    pub name: String,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    pub description: Option<String>,
    pub version: Option<String>,
    pub raw: Value,
    pub plugins: Vec<BuiltPlugin>,
}

/// Everything the index step writes for one commit of one repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildManifest {
    pub repo: RepoMeta,
    pub commit: String,
    pub skills: Vec<BuiltSkill>,
    pub marketplace: Option<BuiltMarketplace>,
    /// Repository-level findings (limits reached, unreadable marketplace.json, …).
    pub problems: Vec<Finding>,
}

impl BuildManifest {
    /// Object key of the manifest of `commit`: content-addressed by commit, so a retried
    /// build overwrites the same object instead of leaving a second one.
    pub fn key(repo: &RepoName, commit: &str) -> String {
        format!(
            "sync-manifests/{GITHUB_HOST}/{}/{}/{commit}.json",
            repo.owner.to_ascii_lowercase(),
            repo.name.to_ascii_lowercase()
        )
    }
}

/// Object key of a skill archive.
pub fn archive_key(content_hash: &str) -> String {
    format!("skills/sha256/{content_hash}")
}

/// What the index step changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexSummary {
    pub repository_id: uuid::Uuid,
    /// Skills seen in this commit.
    pub skills: usize,
    /// New immutable versions written.
    pub new_versions: usize,
    /// Publishable skills whose content matched an existing version.
    pub unchanged: usize,
    /// Skills with error findings (recorded, not published).
    pub invalid: usize,
    /// Skills gone from the repository, now marked removed.
    pub removed: usize,
}

/// Result of the `SyncRepository` workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncOutput {
    pub repository: String,
    pub commit: String,
    /// HEAD equalled the last indexed commit: nothing was downloaded or written.
    pub up_to_date: bool,
    pub index: Option<IndexSummary>,
    pub archives_uploaded: usize,
    pub archives_reused: usize,
    /// Per-skill validation results.
    pub skills: Vec<SkillResult>,
    /// Repository-level findings: entries not extracted, discovery limits, bad manifests.
    #[serde(default)]
    pub problems: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillResult {
    pub path: String,
    pub name: String,
    pub errors: usize,
    pub warnings: usize,
    pub content_hash: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_accepted_shapes() {
        for input in [
            "anthropics/skills",
            " anthropics/skills ",
            "github.com/anthropics/skills",
            "https://github.com/anthropics/skills",
            "https://github.com/anthropics/skills.git",
            "https://github.com/anthropics/skills/",
            "https://www.github.com/anthropics/skills/tree/main/skills/pdf",
        ] {
            let repo = RepoName::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(repo.full_name(), "anthropics/skills", "{input}");
        }
    }

    #[test]
    fn rejects_other_hosts_schemes_and_shapes() {
        assert_eq!(
            RepoName::parse("https://gitlab.com/a/b"),
            Err(RepoNameError::Host("gitlab.com".into()))
        );
        assert_eq!(
            RepoName::parse("http://github.com/a/b"),
            Err(RepoNameError::Scheme("http".into()))
        );
        assert!(matches!(
            RepoName::parse("git@github.com:a/b.git"),
            Err(RepoNameError::Name(_) | RepoNameError::Shape)
        ));
        assert!(RepoName::parse("file:///etc/passwd").is_err());
        assert!(RepoName::parse("https://user:pw@github.com/a/b").is_err());
        assert!(RepoName::parse("https://github.com:8443/a/b").is_err());
        assert!(RepoName::parse("a").is_err());
        assert!(RepoName::parse("a/b/c").is_err());
        assert!(RepoName::parse("../etc").is_err());
        assert!(RepoName::parse("-bad/x").is_err());
        assert!(RepoName::parse("a/..").is_err());
        assert!(RepoName::parse("a/b c").is_err());
    }

    #[test]
    fn workflow_id_is_one_per_repository() {
        let a = RepoName::parse("Anthropics/Skills").unwrap();
        let b = RepoName::parse("anthropics/skills").unwrap();
        assert_eq!(a.sync_workflow_id(), "sync:github.com/anthropics/skills");
        assert_eq!(a.sync_workflow_id(), b.sync_workflow_id());
    }
}
