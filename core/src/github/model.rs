//! What Skilldex keeps from GitHub's answers, and the lenient wire shapes they come from.
//!
//! The wire structs name only the fields we use (GitHub adds fields all the time; octocrab's
//! full models reject some real answers, e.g. `license.spdx_id: null`), so unknown or
//! missing optional fields never break a sync.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Repository metadata as the index stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoMeta {
    /// Owner login, in GitHub's canonical spelling.
    pub owner: String,
    /// Repository name, in GitHub's canonical spelling.
    pub name: String,
    /// `owner/name` as GitHub spells it (requests are case-insensitive, this is not).
    pub full_name: String,
    /// GitHub's numeric repository id; survives renames and transfers.
    pub remote_id: u64,
    pub description: Option<String>,
    pub html_url: String,
    pub default_branch: String,
    pub stars: u64,
    pub forks: u64,
    pub topics: Vec<String>,
    /// SPDX id of the detected licence; `None` when GitHub found none or only "NOASSERTION".
    pub license_spdx: Option<String>,
    pub archived: bool,
    pub fork: bool,
    pub pushed_at: Option<DateTime<Utc>>,
    /// GitHub's `size` (KiB of the git repository): a cheap hint before downloading.
    pub size_kb: u64,
}

/// A repository as code search reports it (GitHub's "minimal repository": no stars, no
/// default branch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoRef {
    pub owner: String,
    pub name: String,
    pub full_name: String,
    pub remote_id: u64,
    pub html_url: String,
    pub fork: bool,
}

/// One file found by code search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeHit {
    /// File name, e.g. `SKILL.md`.
    pub name: String,
    /// Path inside the repository, e.g. `skills/pdf/SKILL.md`.
    pub path: String,
    /// Blob sha of the file.
    pub sha: String,
    pub html_url: String,
    pub repository: RepoRef,
}

/// One page of a search, with what is needed to ask for the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchPage<T> {
    pub items: Vec<T>,
    /// Matches GitHub counted; may exceed what it lets us page through (1000).
    pub total_count: u64,
    /// GitHub timed out and returned a partial result.
    pub incomplete_results: bool,
    pub page: u32,
    pub per_page: u32,
    /// Whether another page can be fetched (Link `rel="next"`, else count math, capped at
    /// GitHub's 1000 results).
    pub has_next: bool,
}

impl<T> SearchPage<T> {
    pub fn next_page(&self) -> Option<u32> {
        self.has_next.then_some(self.page + 1)
    }
}

// ---- wire shapes -----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub(crate) struct WireOwner {
    pub login: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireLicense {
    #[serde(default)]
    pub spdx_id: Option<String>,
}

/// "Get a repository" / search repository item (`full-repository` / `repo-search-result-item`).
#[derive(Debug, Deserialize)]
pub(crate) struct WireRepo {
    pub id: u64,
    pub name: String,
    pub full_name: String,
    pub owner: WireOwner,
    #[serde(default)]
    pub description: Option<String>,
    pub html_url: String,
    pub default_branch: String,
    #[serde(default)]
    pub stargazers_count: u64,
    #[serde(default)]
    pub forks_count: u64,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub license: Option<WireLicense>,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub fork: bool,
    #[serde(default)]
    pub pushed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub size: u64,
}

impl From<WireRepo> for RepoMeta {
    fn from(w: WireRepo) -> Self {
        let license_spdx = w
            .license
            .and_then(|l| l.spdx_id)
            .filter(|id| !id.is_empty() && id != "NOASSERTION");
        RepoMeta {
            owner: w.owner.login,
            name: w.name,
            full_name: w.full_name,
            remote_id: w.id,
            description: w.description.filter(|d| !d.is_empty()),
            html_url: w.html_url,
            default_branch: w.default_branch,
            stars: w.stargazers_count,
            forks: w.forks_count,
            topics: w.topics,
            license_spdx,
            archived: w.archived,
            fork: w.fork,
            pushed_at: w.pushed_at,
            size_kb: w.size,
        }
    }
}

/// `minimal-repository` inside code search items.
#[derive(Debug, Deserialize)]
pub(crate) struct WireMinimalRepo {
    pub id: u64,
    pub name: String,
    pub full_name: String,
    pub owner: WireOwner,
    pub html_url: String,
    #[serde(default)]
    pub fork: bool,
}

/// `code-search-result-item`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireCode {
    pub name: String,
    pub path: String,
    pub sha: String,
    pub html_url: String,
    pub repository: WireMinimalRepo,
}

impl From<WireCode> for CodeHit {
    fn from(w: WireCode) -> Self {
        CodeHit {
            name: w.name,
            path: w.path,
            sha: w.sha,
            html_url: w.html_url,
            repository: RepoRef {
                owner: w.repository.owner.login,
                name: w.repository.name,
                full_name: w.repository.full_name,
                remote_id: w.repository.id,
                html_url: w.repository.html_url,
                fork: w.repository.fork,
            },
        }
    }
}

/// Search envelope shared by every search endpoint.
#[derive(Debug, Deserialize)]
pub(crate) struct WireSearch<T> {
    pub total_count: u64,
    #[serde(default)]
    pub incomplete_results: bool,
    pub items: Vec<T>,
}

/// GitHub's error body: `{"message": "...", "documentation_url": "..."}`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireError {
    #[serde(default)]
    pub message: Option<String>,
}
