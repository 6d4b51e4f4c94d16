//! Activities of `Discovery`: one page of a discovery source per call (GitHub search, or the
//! one repository of a marketplace source), the repositories an indexed marketplace's
//! plugins come from, each filtered against the blacklist, and the run recorded on its
//! `discovery_sources` row.
//!
//! Payloads stay small: a page answers with repository names only. GitHub rate limits and
//! outages fail the activity as retryable, with GitHub's delay when it gave one.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::{Deserialize, Serialize};
use skilldex_core::{
    discovery::DiscoveryKind,
    github::{GithubClient, GithubError, MAX_PER_PAGE},
    index,
    sync::RepoName,
};
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// Failure type names of discovery activities.
pub mod failure_kind {
    pub const GITHUB: &str = "github";
    pub const DATABASE: &str = "database";
    pub const INVALID_SOURCE: &str = "invalid_source";
}

/// Everything the discovery activities use.
pub struct DiscoveryActivities {
    pub db: DatabaseConnection,
    pub github: GithubClient,
}

/// Which page of which source to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub kind: DiscoveryKind,
    pub query: String,
    /// 1-based.
    pub page: u32,
}

/// A repository a source returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub repo: RepoName,
    pub blacklisted: bool,
}

/// One page, reduced to what the workflow needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredPage {
    /// Distinct repositories of this page, in the source's order.
    pub repositories: Vec<Candidate>,
    /// The next page to ask for, if any.
    pub next_page: Option<u32>,
}

/// The run to record on the source row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRun {
    pub source_key: String,
    pub workflow_id: String,
}

fn non_retryable(kind: &str, message: impl Into<String>) -> ActivityError {
    ActivityError::application(
        ApplicationFailure::builder(message.into())
            .type_name(kind.to_string())
            .non_retryable(true)
            .build(),
    )
}

fn retryable(kind: &str, message: impl Into<String>, delay: Option<Duration>) -> ActivityError {
    ActivityError::application(
        ApplicationFailure::builder(message.into())
            .type_name(kind.to_string())
            .maybe_next_retry_delay(delay)
            .build(),
    )
}

fn github_failure(error: &GithubError) -> ActivityError {
    let message = error.to_string();
    if error.is_retryable() {
        retryable(failure_kind::GITHUB, message, error.retry_after())
    } else {
        non_retryable(failure_kind::GITHUB, message)
    }
}

fn db_failure(error: impl std::fmt::Display) -> ActivityError {
    retryable(failure_kind::DATABASE, error.to_string(), None)
}

/// Keeps the first spelling of each repository (GitHub names are case-insensitive).
fn push_distinct(seen: &mut BTreeSet<String>, out: &mut Vec<RepoName>, repo: RepoName) {
    if seen.insert(repo.full_name().to_ascii_lowercase()) {
        out.push(repo);
    }
}

#[activities]
impl DiscoveryActivities {
    /// Reads one page of the source and drops blacklisted repositories.
    #[activity]
    pub async fn discover_page(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: PageRequest,
    ) -> Result<DiscoveredPage, ActivityError> {
        let mut seen = BTreeSet::new();
        let mut found = Vec::new();
        let next_page = match input.kind {
            DiscoveryKind::TopicSearch => {
                let page = self
                    .github
                    .search_repositories(&input.query, input.page, MAX_PER_PAGE)
                    .await
                    .map_err(|e| github_failure(&e))?;
                for item in &page.items {
                    if let Ok(repo) = RepoName::new(&item.owner, &item.name) {
                        push_distinct(&mut seen, &mut found, repo);
                    }
                }
                page.next_page()
            }
            DiscoveryKind::CodeSearch => {
                let page = self
                    .github
                    .search_code(&input.query, input.page, MAX_PER_PAGE)
                    .await
                    .map_err(|e| github_failure(&e))?;
                for hit in &page.items {
                    if let Ok(repo) = RepoName::new(&hit.repository.owner, &hit.repository.name) {
                        push_distinct(&mut seen, &mut found, repo);
                    }
                }
                page.next_page()
            }
            DiscoveryKind::Marketplace => {
                // The marketplace repository itself: its sync indexes the marketplace, its
                // plugins and its skills. Plugins hosted in other repositories are read
                // from that index afterwards (`plugin_sources`).
                let repo = RepoName::parse(&input.query).map_err(|e| {
                    non_retryable(
                        failure_kind::INVALID_SOURCE,
                        format!(
                            "marketplace source `{}` is not a repository: {e}",
                            input.query
                        ),
                    )
                })?;
                found.push(repo);
                None
            }
        };
        let mut out = DiscoveredPage {
            next_page,
            ..Default::default()
        };
        for repo in found {
            let blacklisted = index::is_blacklisted(&self.db, &repo)
                .await
                .map_err(db_failure)?;
            out.repositories.push(Candidate { repo, blacklisted });
        }
        Ok(out)
    }

    /// The repositories the plugins of an indexed marketplace come from, blacklist marked.
    #[activity]
    pub async fn plugin_sources(
        self: Arc<Self>,
        _ctx: ActivityContext,
        marketplace: RepoName,
    ) -> Result<Vec<Candidate>, ActivityError> {
        let repos = index::plugin_source_repositories(&self.db, &marketplace)
            .await
            .map_err(db_failure)?;
        let mut out = Vec::with_capacity(repos.len());
        for repo in repos {
            let blacklisted = index::is_blacklisted(&self.db, &repo)
                .await
                .map_err(db_failure)?;
            out.push(Candidate { repo, blacklisted });
        }
        Ok(out)
    }

    /// Sets `last_run_at` and `last_workflow_id` on the source row (none for ad-hoc keys).
    #[activity]
    pub async fn record_run(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: RecordRun,
    ) -> Result<(), ActivityError> {
        self.db
            .execute_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "UPDATE discovery_sources SET last_run_at = now(), last_workflow_id = $2 \
                 WHERE key = $1",
                [input.source_key.into(), input.workflow_id.into()],
            ))
            .await
            .map_err(db_failure)?;
        Ok(())
    }
}
