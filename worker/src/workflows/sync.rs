use std::time::Duration;

use skilldex_core::sync::{SyncInput, SyncOutput};
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityExecutionError, ActivityOptions, ApplicationFailure, WorkflowContext, WorkflowResult,
    WorkflowTermination,
};

use crate::activities::sync::{
    BuildRequest, IndexRequest, MarkStarted, RecordFailure, RecordSuccess, SyncActivities,
    failure_kind,
};

/// Implements the `SyncRepository` contract of `skilldex_core::workflows`: index one
/// repository at its HEAD commit. Workflow id `sync:github.com/{owner}/{repo}`, so Temporal
/// itself refuses a second concurrent sync of the same repository.
#[workflow]
#[derive(Default)]
pub struct SyncRepositoryWorkflow;

/// Download, extract, package, upload: long, heartbeating.
fn long() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(30 * 60))
        .heartbeat_timeout(Duration::from_secs(20))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(2))
                .maximum_interval(Duration::from_secs(5 * 60))
                .maximum_attempts(8)
                .build(),
        )
        .build()
}

/// One database statement or one GitHub call, run as a local activity.
fn short() -> temporalio_sdk::LocalActivityOptions {
    super::short_local_activity(Duration::from_secs(60))
}

/// Fails the workflow for good (the activities already retried what was retryable).
fn workflow_failure(kind: &str, message: String) -> WorkflowTermination {
    WorkflowTermination::failed_application(
        ApplicationFailure::builder(format!("{kind}: {message}"))
            .type_name(kind.to_string())
            .non_retryable(true)
            .build(),
    )
}

/// The failure type and message the activity raised, for the repository row.
fn describe(error: &ActivityExecutionError) -> (String, String) {
    use temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo;
    let Some(failure) = error.failure() else {
        return (failure_kind::INTERNAL.into(), error.to_string());
    };
    // The activity's own failure is the cause of the "activity failed" wrapper.
    let inner = failure.cause.as_deref().unwrap_or(failure);
    let kind = match &inner.failure_info {
        Some(FailureInfo::ApplicationFailureInfo(info)) if !info.r#type.is_empty() => {
            info.r#type.clone()
        }
        Some(FailureInfo::TimeoutFailureInfo(_)) => "timeout".into(),
        _ => failure_kind::INTERNAL.into(),
    };
    (kind, inner.message.clone())
}

#[workflow_methods]
impl SyncRepositoryWorkflow {
    #[run(name = "SyncRepository")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: SyncInput,
    ) -> WorkflowResult<SyncOutput> {
        let repo = input.repo.clone();
        let head = ctx
            .execute_local_activity(SyncActivities::check_head, repo.clone(), short())
            .await;
        let head = match head {
            Ok(head) => head,
            Err(e) => return Err(Self::fail(ctx, &input, &e, true).await),
        };
        if head.blacklisted {
            let failure = RecordFailure {
                repo: repo.clone(),
                workflow_id: ctx.workflow_id().to_string(),
                kind: failure_kind::BLACKLISTED.into(),
                message: format!("{repo} is blacklisted"),
                record_on_repository: false,
            };
            ctx.execute_local_activity(SyncActivities::record_failure, failure, short())
                .await?;
            return Err(workflow_failure(
                failure_kind::BLACKLISTED,
                format!("{repo} is blacklisted"),
            ));
        }
        if !input.force && head.last_indexed.as_deref() == Some(head.head.as_str()) {
            // Nothing changed: no download, no writes (beyond closing a registration).
            let output = SyncOutput {
                repository: repo.full_name(),
                commit: head.head,
                up_to_date: true,
                index: None,
                archives_uploaded: 0,
                archives_reused: 0,
                skills: Vec::new(),
                problems: Vec::new(),
            };
            Self::succeed(ctx, head.repository_id, &output).await?;
            return Ok(output);
        }

        let started = MarkStarted {
            repo: repo.clone(),
            workflow_id: ctx.workflow_id().to_string(),
            run_id: ctx.run_id().to_string(),
        };
        ctx.execute_local_activity(SyncActivities::mark_started, started, short())
            .await?;

        let build = ctx
            .execute_activity(
                SyncActivities::build,
                BuildRequest {
                    repo: repo.clone(),
                    commit: head.head.clone(),
                },
                long(),
            )
            .await;
        let build = match build {
            Ok(build) => build,
            Err(e) => return Err(Self::fail(ctx, &input, &e, true).await),
        };
        let summary = ctx
            .execute_local_activity(
                SyncActivities::index,
                IndexRequest {
                    repo: repo.clone(),
                    manifest_key: build.manifest_key.clone(),
                },
                // One transaction of a bounded number of set-based statements.
                super::short_local_activity(Duration::from_secs(5 * 60)),
            )
            .await;
        let summary = match summary {
            Ok(summary) => summary,
            Err(e) => return Err(Self::fail(ctx, &input, &e, true).await),
        };
        let repository_id = summary.repository_id;
        let output = SyncOutput {
            repository: repo.full_name(),
            commit: head.head,
            up_to_date: false,
            index: Some(summary),
            archives_uploaded: build.archives_uploaded,
            archives_reused: build.archives_reused,
            skills: build.skills,
            problems: build.problems,
        };
        Self::succeed(ctx, Some(repository_id), &output).await?;
        Ok(output)
    }
}

impl SyncRepositoryWorkflow {
    /// Records the failure on the repository and registration, then fails the workflow
    /// with the original error (so `temporal workflow describe` shows it too).
    async fn fail(
        ctx: &mut WorkflowContext<Self>,
        input: &SyncInput,
        error: &ActivityExecutionError,
        record_on_repository: bool,
    ) -> WorkflowTermination {
        let (kind, message) = describe(error);
        let failure = RecordFailure {
            repo: input.repo.clone(),
            workflow_id: ctx.workflow_id().to_string(),
            kind: kind.clone(),
            message: message.clone(),
            record_on_repository,
        };
        if let Err(e) = ctx
            .execute_local_activity(SyncActivities::record_failure, failure, short())
            .await
        {
            tracing::error!(error = %e, "could not record the sync failure");
        }
        workflow_failure(&kind, message)
    }

    /// Finishes the registrations this run answers: its own and any that joined it while
    /// it ran (an UPDATE of no rows when there are none).
    async fn succeed(
        ctx: &mut WorkflowContext<Self>,
        repository_id: Option<uuid::Uuid>,
        output: &SyncOutput,
    ) -> Result<(), ActivityExecutionError> {
        let workflow_id = ctx.workflow_id().to_string();
        let result = serde_json::to_value(output).unwrap_or(serde_json::Value::Null);
        ctx.execute_local_activity(
            SyncActivities::record_success,
            RecordSuccess {
                workflow_id,
                repository_id,
                result,
            },
            short(),
        )
        .await
    }
}
