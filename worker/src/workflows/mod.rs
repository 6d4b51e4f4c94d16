//! Workflows: deterministic orchestration only; all I/O happens in activities.

pub mod discovery;
pub mod ping;
pub mod sync;

use std::time::Duration;

use temporalio_common::RetryPolicy;
use temporalio_sdk::ActivityOptions;

/// Options of short activities (one database statement, one GitHub page or call). GitHub
/// rate limits retry after GitHub's own delay, which the activity sets on its failure.
pub(crate) fn short_activity() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(60))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(1))
                .maximum_interval(Duration::from_secs(60))
                .maximum_attempts(10)
                .build(),
        )
        .build()
}
