//! Activities of `Discovery`: one page of a discovery source per call (GitHub search, or the
//! one repository of a marketplace source), the repositories an indexed marketplace's
//! plugins come from, each checked against the blacklist and the index, and the run
//! recorded on its `discovery_sources` row.
//!
//! A repository whose indexed commit is current is marked up to date, so the workflow
//! starts no child for it: either the search's `pushed_at` is no later than one the index
//! holds (no GitHub call), or GitHub's HEAD equals the indexed commit (one call, the one the
//! child would have made). In the second case the `pushed_at` the search reported is
//! recorded (`repositories.indexed_pushed_at`) once it is [settled], so the next run needs
//! no call at all.
//!
//! Payloads stay small: a page answers with repository names and flags only. GitHub rate
//! limits and outages fail the activity as retryable, with GitHub's delay when it gave one.
//!
//! [settled]: skilldex_core::discovery::settled

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use futures::{StreamExt, stream};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::{Deserialize, Serialize};
use skilldex_core::{
    discovery::{DiscoveryKind, Freshness, freshness, settled},
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

/// GitHub HEAD checks one page makes at once.
const HEAD_CHECKS_AT_ONCE: usize = 8;

/// A repository a source returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub repo: RepoName,
    pub blacklisted: bool,
    /// Indexed at its current HEAD: no sync needed.
    #[serde(default)]
    pub up_to_date: bool,
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

/// A repository as a source reported it: its name and, from a repository search, when it
/// was last pushed to.
struct Found {
    repo: RepoName,
    pushed_at: Option<DateTime<Utc>>,
}

/// Keeps the first spelling of each repository (GitHub names are case-insensitive).
fn push_distinct(seen: &mut BTreeSet<String>, out: &mut Vec<Found>, found: Found) {
    if seen.insert(found.repo.full_name().to_ascii_lowercase()) {
        out.push(found);
    }
}

#[activities]
impl DiscoveryActivities {
    /// Reads one page of the source and marks blacklisted and up-to-date repositories.
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
                        let pushed_at = item.pushed_at;
                        push_distinct(&mut seen, &mut found, Found { repo, pushed_at });
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
                // Code search reports a "minimal repository", without `pushed_at`.
                for hit in &page.items {
                    if let Ok(repo) = RepoName::new(&hit.repository.owner, &hit.repository.name) {
                        let pushed_at = None;
                        push_distinct(&mut seen, &mut found, Found { repo, pushed_at });
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
                found.push(Found {
                    repo,
                    pushed_at: None,
                });
                None
            }
        };
        Ok(DiscoveredPage {
            repositories: self.classify(found).await?,
            next_page,
        })
    }

    /// The repositories the plugins of an indexed marketplace come from, blacklisted and
    /// up-to-date ones marked.
    #[activity]
    pub async fn plugin_sources(
        self: Arc<Self>,
        _ctx: ActivityContext,
        marketplace: RepoName,
    ) -> Result<Vec<Candidate>, ActivityError> {
        let repos = index::plugin_source_repositories(&self.db, &marketplace)
            .await
            .map_err(db_failure)?;
        let found = repos
            .into_iter()
            .map(|repo| Found {
                repo,
                pushed_at: None,
            })
            .collect();
        self.classify(found).await
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

impl DiscoveryActivities {
    /// Marks each repository blacklisted, or up to date (see the module documentation).
    async fn classify(&self, found: Vec<Found>) -> Result<Vec<Candidate>, ActivityError> {
        let observed = Utc::now();
        let names: Vec<RepoName> = found.iter().map(|f| f.repo.clone()).collect();
        let indexed = index::indexed_repos(&self.db, &names)
            .await
            .map_err(db_failure)?;
        let blacklist = index::blacklisted(&self.db, &names)
            .await
            .map_err(db_failure)?;
        let mut checks = Vec::new();
        let mut out = Vec::with_capacity(found.len());
        for ((f, indexed), blacklisted) in found.into_iter().zip(indexed).zip(blacklist) {
            let state = if blacklisted {
                Freshness::Stale
            } else {
                freshness(indexed.as_ref(), f.pushed_at)
            };
            if let Freshness::CheckHead { indexed_commit } = state.clone() {
                checks.push((out.len(), f.repo.clone(), indexed_commit, f.pushed_at));
            }
            out.push(Candidate {
                repo: f.repo,
                blacklisted,
                up_to_date: state == Freshness::UpToDate,
            });
        }
        let results: Vec<Result<(usize, bool), ActivityError>> = stream::iter(checks)
            .map(|(i, repo, commit, pushed_at)| async move {
                let current = self.head_is(&repo, &commit).await?;
                if current && let Some(pushed_at) = pushed_at.filter(|p| settled(*p, observed)) {
                    index::record_indexed_push(&self.db, &repo, &commit, pushed_at)
                        .await
                        .map_err(db_failure)?;
                }
                Ok((i, current))
            })
            .buffered(HEAD_CHECKS_AT_ONCE)
            .collect()
            .await;
        for result in results {
            let (i, current) = result?;
            if let Some(candidate) = out.get_mut(i) {
                candidate.up_to_date = current;
            }
        }
        Ok(out)
    }

    /// Whether GitHub's HEAD of `repo` is `commit`. A repository GitHub refuses for good
    /// (gone, renamed away, empty) is left to its `SyncRepository` child, which records why
    /// on the repository; rate limits and outages fail the page, to be retried.
    async fn head_is(&self, repo: &RepoName, commit: &str) -> Result<bool, ActivityError> {
        match self
            .github
            .head_commit(&repo.owner, &repo.name, "HEAD")
            .await
        {
            Ok(head) => Ok(head == commit),
            Err(e) if e.is_retryable() => Err(github_failure(&e)),
            Err(e) => {
                tracing::info!(repository = %repo, error = %e, "HEAD check failed; syncing it");
                Ok(false)
            }
        }
    }
}
