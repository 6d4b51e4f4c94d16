//! Contract of the `Discovery` workflow and its schedules: what a discovery source is, what a
//! run takes and returns, and the ids operators see (`temporal workflow list`,
//! `temporal schedule list`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Concurrent `SyncRepository` children of one discovery run unless the source says
/// otherwise (`discovery_sources.max_concurrency` defaults to it).
pub const DEFAULT_MAX_CONCURRENCY: u32 = 4;
/// Upper bound on concurrent children, whatever the input says (the column's CHECK too).
pub const MAX_CONCURRENCY: u32 = 20;
/// How long after a push discovery waits before it trusts the push's `pushed_at` as a
/// marker of what HEAD holds. GitHub reports `pushed_at` in whole seconds on its own clock:
/// a second push in the same second as the first, after HEAD was read, would report the
/// same value. A minute covers that and any skew between GitHub's clock and ours.
pub const PUSH_SETTLE_SECS: i64 = 60;
/// Prefix of every discovery schedule id.
pub const SCHEDULE_PREFIX: &str = "discovery:";

/// What a discovery source scans (`discovery_sources.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoveryKind {
    /// GitHub repository search, e.g. `topic:agent-skills`.
    TopicSearch,
    /// GitHub code search, e.g. `filename:SKILL.md`; each distinct repository counts once.
    CodeSearch,
    /// One marketplace repository, `owner/name`.
    Marketplace,
}

impl DiscoveryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TopicSearch => "topic_search",
            Self::CodeSearch => "code_search",
            Self::Marketplace => "marketplace",
        }
    }

    /// Parses the database spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "topic_search" => Some(Self::TopicSearch),
            "code_search" => Some(Self::CodeSearch),
            "marketplace" => Some(Self::Marketplace),
            _ => None,
        }
    }
}

fn default_max_concurrency() -> u32 {
    DEFAULT_MAX_CONCURRENCY
}

/// `discovery_sources.max_concurrency` as a run takes it: within 1..=[`MAX_CONCURRENCY`]
/// (the column's CHECK holds it there already).
pub fn concurrency_of(column: i32) -> u32 {
    u32::try_from(column)
        .unwrap_or(DEFAULT_MAX_CONCURRENCY)
        .clamp(1, MAX_CONCURRENCY)
}

/// Input of the `Discovery` workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryInput {
    /// `discovery_sources.key` (ad-hoc runs may use a key with no row).
    pub source_key: String,
    pub kind: DiscoveryKind,
    /// Search query, or `owner/name` of a marketplace repository.
    pub query: String,
    /// Most repositories to sync in one run (after dropping blacklisted and duplicate ones);
    /// `None` means as many as GitHub lets us page through (1000 results).
    #[serde(default)]
    pub max_repositories: Option<u32>,
    /// Most `SyncRepository` children running at once (1..=[`MAX_CONCURRENCY`]).
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: u32,
    /// What started the run (`schedule` or `admin`); the run records it as the
    /// `SkilldexTrigger` search attribute. Inputs without it come from schedules.
    #[serde(default = "default_trigger")]
    pub trigger: crate::sync::SyncTrigger,
}

fn default_trigger() -> crate::sync::SyncTrigger {
    crate::sync::SyncTrigger::Schedule
}

/// Result of the `Discovery` workflow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryOutput {
    /// Distinct repositories the source returned (and this run looked at).
    pub found: usize,
    pub skipped_blacklisted: usize,
    /// `SyncRepository` children started.
    pub started: usize,
    pub succeeded: usize,
    pub failed: usize,
    /// A sync of the repository was already running (started by someone else).
    pub already_running: usize,
    /// Indexed at their current HEAD already: no child started (counted in `found`).
    #[serde(default)]
    pub up_to_date: usize,
}

/// What the index knows about a repository, for discovery's up-to-date check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedRepo {
    pub last_indexed_commit: Option<String>,
    /// `repositories.indexed_pushed_at`: every push up to it is in `last_indexed_commit`.
    pub indexed_pushed_at: Option<DateTime<Utc>>,
}

/// Whether a discovered repository needs a `SyncRepository` child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Nothing was pushed since the indexed commit: no child, no GitHub call.
    UpToDate,
    /// Never indexed: sync it.
    Stale,
    /// Indexed, but whether anything was pushed since is unknown (the source gave no
    /// `pushed_at`, a later one, or the index never recorded one): compare GitHub's HEAD
    /// with this commit.
    CheckHead { indexed_commit: String },
}

/// Decides from the index and the `pushed_at` the source reported whether a repository
/// needs syncing. `UpToDate` only when the source's `pushed_at` is no later than one the
/// indexed commit is known to include: GitHub moves `pushed_at` on every push, so an equal
/// value means no push since. The sync status does not matter: a failed or running sync
/// never changes the indexed commit, and a newer HEAD it was after shows as a later push
/// (or a different HEAD).
pub fn freshness(indexed: Option<&IndexedRepo>, pushed_at: Option<DateTime<Utc>>) -> Freshness {
    let Some(commit) = indexed.and_then(|i| i.last_indexed_commit.clone()) else {
        return Freshness::Stale;
    };
    let known = indexed.and_then(|i| i.indexed_pushed_at);
    match (pushed_at, known) {
        (Some(pushed), Some(known)) if pushed <= known => Freshness::UpToDate,
        _ => Freshness::CheckHead {
            indexed_commit: commit,
        },
    }
}

/// Whether a `pushed_at` observed at `observed` may be recorded as included in a HEAD read
/// after that observation: only once [`PUSH_SETTLE_SECS`] have passed since the push, so no
/// later push can report the same `pushed_at`.
pub fn settled(pushed_at: DateTime<Utc>, observed: DateTime<Utc>) -> bool {
    (observed - pushed_at).num_seconds() >= PUSH_SETTLE_SECS
}

/// `discovery:{source-key}:{unix-seconds}`: the id of a run started by hand.
pub fn discovery_workflow_id(source_key: &str, unix_seconds: i64) -> String {
    format!("{SCHEDULE_PREFIX}{source_key}:{unix_seconds}")
}

/// `discovery:{source-key}`: the id of the source's Temporal Schedule. Temporal names each
/// scheduled run `discovery:{source-key}-{RFC 3339 time}`.
pub fn discovery_schedule_id(source_key: &str) -> String {
    format!("{SCHEDULE_PREFIX}{source_key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_kinds() {
        assert_eq!(discovery_workflow_id("skills", 42), "discovery:skills:42");
        assert_eq!(discovery_schedule_id("skills"), "discovery:skills");
        for kind in [
            DiscoveryKind::TopicSearch,
            DiscoveryKind::CodeSearch,
            DiscoveryKind::Marketplace,
        ] {
            assert_eq!(DiscoveryKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().into())
            );
        }
        let input: DiscoveryInput = serde_json::from_value(serde_json::json!({
            "source_key": "k", "kind": "topic_search", "query": "topic:x"
        }))
        .unwrap();
        assert_eq!(input.max_concurrency, DEFAULT_MAX_CONCURRENCY);
        assert_eq!(input.max_repositories, None);
        let output: DiscoveryOutput = serde_json::from_value(serde_json::json!({
            "found": 1, "skipped_blacklisted": 0, "started": 1, "succeeded": 1, "failed": 0,
            "already_running": 0
        }))
        .unwrap();
        assert_eq!(output.up_to_date, 0, "outputs of older runs still read");
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn only_a_push_no_later_than_a_known_one_is_up_to_date() {
        let indexed = |known: Option<i64>| IndexedRepo {
            last_indexed_commit: Some("abc".into()),
            indexed_pushed_at: known.map(at),
        };
        let check = Freshness::CheckHead {
            indexed_commit: "abc".into(),
        };
        // Never indexed (no row, or a row from a failed first sync): sync.
        assert_eq!(freshness(None, Some(at(0))), Freshness::Stale);
        let no_commit = IndexedRepo {
            last_indexed_commit: None,
            indexed_pushed_at: None,
        };
        assert_eq!(freshness(Some(&no_commit), Some(at(0))), Freshness::Stale);
        // Same or older push than the one the index holds: up to date.
        assert_eq!(
            freshness(Some(&indexed(Some(10))), Some(at(10))),
            Freshness::UpToDate
        );
        assert_eq!(
            freshness(Some(&indexed(Some(10))), Some(at(9))),
            Freshness::UpToDate
        );
        // Pushed after it, no known push, or no pushed_at from the source: ask for HEAD.
        assert_eq!(freshness(Some(&indexed(Some(10))), Some(at(11))), check);
        assert_eq!(freshness(Some(&indexed(None)), Some(at(1))), check);
        assert_eq!(freshness(Some(&indexed(Some(10))), None), check);
    }

    #[test]
    fn a_push_settles_after_a_minute() {
        assert!(!settled(at(0), at(0)));
        assert!(!settled(at(0), at(PUSH_SETTLE_SECS - 1)));
        assert!(settled(at(0), at(PUSH_SETTLE_SECS)));
        // A clock behind GitHub's never settles a push "in the future".
        assert!(!settled(at(10), at(0)));
    }
}
