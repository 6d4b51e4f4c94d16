//! Workflow contracts shared by the api (which starts workflows) and the worker (which
//! runs them): type names, ids, inputs and outputs. The names are part of the operator
//! interface (`temporal workflow list --query 'WorkflowType="Ping"'`).

use serde::{Deserialize, Serialize};
use temporalio_client::WorkflowStartOptions;
use temporalio_common::{
    HasWorkflowDefinition, SignalDefinition, WorkflowDefinition,
    search_attributes::{SearchAttributeKey, SearchAttributes},
};

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

workflow_contract!(
    /// Index one repository at its HEAD commit; id [`crate::sync::RepoName::sync_workflow_id`].
    SyncRepository, "SyncRepository", crate::sync::SyncInput => crate::sync::SyncOutput
);

/// Signal to `SyncRepository`: a registration row carrying the run's workflow id was just
/// recorded. The api sends it with signal-with-start (`crate::registration::register`), so
/// the row is answered by a new run, or by the open one, which finishes every unfinished
/// registration of its workflow id again if one joined after it last did. A run cannot
/// close with a signal it has not handled (Temporal rejects the completion), so no row is
/// left queued however late it joins.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegistrationJoined;

impl RegistrationJoined {
    /// The Temporal signal name.
    pub const NAME: &'static str = "RegistrationJoined";
}

/// Payload of [`RegistrationJoined`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinedRegistration {
    /// `registration_requests.id` of the row that joined.
    pub registration_id: uuid::Uuid,
}

impl SignalDefinition for RegistrationJoined {
    type Workflow = SyncRepository;
    type Input = JoinedRegistration;
    fn name(&self) -> &str {
        Self::NAME
    }
}

workflow_contract!(
    /// Scan one discovery source and sync what it finds; id
    /// [`crate::discovery::discovery_workflow_id`].
    Discovery, "Discovery", crate::discovery::DiscoveryInput => crate::discovery::DiscoveryOutput
);

/// Search attribute with the repository (`owner/name`, lower case) a workflow works on.
pub const REPOSITORY_ATTRIBUTE: SearchAttributeKey<String> =
    SearchAttributeKey::keyword("SkilldexRepository");
/// Search attribute with what started a workflow: `user` (a registration), `admin`, or
/// `schedule`; a `Discovery` run's children carry the run's. Runs recorded before children
/// took their run's trigger carry `discovery`.
pub const TRIGGER_ATTRIBUTE: SearchAttributeKey<String> =
    SearchAttributeKey::keyword("SkilldexTrigger");

/// Start options of a `SyncRepository` run: its one-per-repository id and the search
/// attributes operators filter by (`temporal workflow list --query
/// 'SkilldexRepository="anthropics/skills"'`).
pub fn sync_start_options(
    task_queue: &str,
    input: &crate::sync::SyncInput,
) -> WorkflowStartOptions {
    let attributes = SearchAttributes::new([
        REPOSITORY_ATTRIBUTE.value_set(input.repo.full_name().to_ascii_lowercase()),
        TRIGGER_ATTRIBUTE.value_set(input.trigger.as_str().to_string()),
    ]);
    WorkflowStartOptions::new(task_queue.to_string(), input.repo.sync_workflow_id())
        .search_attributes(attributes)
        .build()
}
