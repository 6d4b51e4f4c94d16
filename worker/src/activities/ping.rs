use std::sync::Arc;

use skilldex_core::workflows::{PingInput, PingOutput};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// Activities with no dependencies beyond the worker's own identity.
pub struct PingActivities {
    /// Temporal identity of this worker process, reported back so callers can see who ran it.
    pub identity: String,
}

#[activities]
impl PingActivities {
    /// Echoes the message; the round trip proves a worker is polling the task queue.
    #[activity]
    pub async fn echo(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: PingInput,
    ) -> Result<PingOutput, ActivityError> {
        tracing::info!(message = %input.message, "ping activity");
        Ok(PingOutput {
            reply: input.message,
            worker: self.identity.clone(),
        })
    }
}
