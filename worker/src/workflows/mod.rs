//! Workflows: deterministic orchestration only; all I/O happens in activities.

pub mod discovery;
pub mod ping;
pub mod sync;

use std::time::Duration;

use temporalio_common::RetryPolicy;
use temporalio_sdk::{ActivityOptions, LocalActivityOptions};

/// Retries of short steps. GitHub rate limits retry after GitHub's own delay, which the
/// activity sets on its failure.
fn short_retry() -> RetryPolicy {
    RetryPolicy::builder()
        .initial_interval(Duration::from_secs(1))
        .maximum_interval(Duration::from_secs(60))
        .maximum_attempts(10)
        .build()
}

/// Options of short activities (one database statement, one GitHub page or call).
pub(crate) fn short_activity() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(60))
        .retry_policy(short_retry())
        .build()
}

/// Options of short steps run as *local* activities: executed by the worker that runs the
/// workflow task and recorded as a marker, with no activity task round trip through the
/// server. A `SyncRepository` run makes several such steps (HEAD check, status and
/// registration updates, the index transaction); as server-scheduled activities each cost
/// two extra workflow tasks, which dominated sync time on the dev server. Local activities
/// cannot heartbeat, so the long, heartbeating build step stays a regular activity.
/// Retries beyond `timer_backoff_threshold` wait on a durable timer, so a GitHub rate limit
/// delay survives a worker restart.
pub(crate) fn short_local_activity(start_to_close: Duration) -> LocalActivityOptions {
    LocalActivityOptions::builder()
        .start_to_close_timeout(start_to_close)
        .schedule_to_close_timeout(Duration::from_secs(60 * 60))
        .timer_backoff_threshold(Duration::from_secs(10))
        .retry_policy(short_retry())
        .build()
}
