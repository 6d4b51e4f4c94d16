use std::time::Duration;

use skilldex_core::workflows::{PingInput, PingOutput};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ActivityOptions, WorkflowContext, WorkflowResult};

use crate::activities::ping::PingActivities;

/// Implements the `Ping` contract of `skilldex_core::workflows`.
#[workflow]
#[derive(Default)]
pub struct PingWorkflow;

#[workflow_methods]
impl PingWorkflow {
    // The type name must equal `skilldex_core::workflows::Ping::NAME`; a test checks it.
    #[run(name = "Ping")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: PingInput,
    ) -> WorkflowResult<PingOutput> {
        let output = ctx
            .execute_activity(
                PingActivities::echo,
                input,
                ActivityOptions::start_to_close_timeout(Duration::from_secs(10)),
            )
            .await?;
        Ok(output)
    }
}
