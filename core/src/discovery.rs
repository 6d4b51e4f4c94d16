//! Contract of the `Discovery` workflow and its schedules: what a discovery source is, what a
//! run takes and returns, and the ids operators see (`temporal workflow list`,
//! `temporal schedule list`).

use serde::{Deserialize, Serialize};

/// Concurrent `SyncRepository` children of one discovery run unless the source says
/// otherwise (`discovery_sources.max_concurrency` defaults to it).
pub const DEFAULT_MAX_CONCURRENCY: u32 = 4;
/// Upper bound on concurrent children, whatever the input says (the column's CHECK too).
pub const MAX_CONCURRENCY: u32 = 20;
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
    }
}
