//! Workflow contracts shared by the api (which starts workflows) and the worker (which
//! runs them): type names, ids, inputs and outputs. The names are part of the operator
//! interface (`temporal workflow list --query 'WorkflowType="Ping"'`).

use serde::{Deserialize, Serialize};
use temporalio_common::{HasWorkflowDefinition, WorkflowDefinition};

/// Declares a workflow contract: a marker type carrying the Temporal type name and the
/// input/output types, usable with `Client::start_workflow` without depending on the worker.
macro_rules! workflow_contract {
    ($(#[$doc:meta])* $marker:ident, $name:literal, $input:ty => $output:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $marker;

        impl $marker {
            /// The Temporal workflow type name.
            pub const NAME: &'static str = $name;
        }

        impl WorkflowDefinition for $marker {
            type Input = $input;
            type Output = $output;
            fn name(&self) -> &str {
                Self::NAME
            }
        }

        impl HasWorkflowDefinition for $marker {
            type Run = Self;
        }
    };
}

workflow_contract!(
    /// Round trip through Temporal and a worker activity; proves the job system works.
    Ping, "Ping", PingInput => PingOutput
);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PingInput {
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PingOutput {
    /// The message echoed by the activity.
    pub reply: String,
    /// Temporal identity of the worker that ran the activity.
    pub worker: String,
}

/// Workflow id of a ping started at `unix_millis` (one id per run keeps runs distinct in
/// `temporal workflow list`).
pub fn ping_workflow_id(unix_millis: i64) -> String {
    format!("ping:{unix_millis}")
}
