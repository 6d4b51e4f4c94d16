use std::time::Duration;

use skilldex_core::{
    sync::{SyncInput, SyncOutput},
    workflows::JoinedRegistration,
};
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityExecutionError, ActivityOptions, ApplicationFailure, LocalActivityOptions,
    SyncWorkflowContext, WorkflowContext, WorkflowResult, WorkflowTermination,
};

use crate::activities::sync::{
    BuildRequest, IndexRequest, MarkStarted, RecordFailure, RecordSuccess, SyncActivities,
    failure_kind,
};

/// Implements the `SyncRepository` contract of `skilldex_core::workflows`: index one
/// repository at its HEAD commit. Workflow id `sync:github.com/{owner}/{repo}`, so Temporal
/// itself refuses a second concurrent sync of the same repository.
///
/// Every exit finishes the registrations the run answers (`succeeded`, or `failed` with the
/// error), again whenever one joined ([`RegistrationJoined`] signal) after it last did.
///
/// [`RegistrationJoined`]: skilldex_core::workflows::RegistrationJoined
#[workflow]
#[derive(Default)]
pub struct SyncRepositoryWorkflow {
    /// `RegistrationJoined` signals received so far.
    joined: u64,
}

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
fn short() -> LocalActivityOptions {
    super::short_local_activity(Duration::from_secs(60))
}

/// Recording how the run ended on its registrations: retried until it works, for up to a
/// day (a database outage must not leave a registration `running` for good).
fn finishing() -> LocalActivityOptions {
    LocalActivityOptions::builder()
        .start_to_close_timeout(Duration::from_secs(60))
        .schedule_to_close_timeout(Duration::from_secs(24 * 60 * 60))
        .timer_backoff_threshold(Duration::from_secs(10))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(1))
                .maximum_interval(Duration::from_secs(5 * 60))
                .maximum_attempts(0)
                .build(),
        )
        .build()
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
    /// A registration row carrying this run's workflow id was recorded.
    #[signal(name = "RegistrationJoined")]
    pub fn registration_joined(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        joined: JoinedRegistration,
    ) {
        tracing::debug!(registration = %joined.registration_id, "registration joined");
        self.joined += 1;
    }

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
            let message = format!("{repo} is blacklisted");
            Self::record_failure(ctx, &input, failure_kind::BLACKLISTED, &message, false).await;
            return Err(workflow_failure(failure_kind::BLACKLISTED, message));
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
        if let Err(e) = ctx
            .execute_local_activity(SyncActivities::mark_started, started, short())
            .await
        {
            return Err(Self::fail(ctx, &input, &e, true).await);
        }

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
        Self::record_failure(ctx, input, &kind, &message, record_on_repository).await;
        workflow_failure(&kind, message)
    }

    /// Records a failure on the repository (when it says something about it) and fails
    /// the registrations, including any that join meanwhile. A failure to record is logged:
    /// the run fails either way.
    async fn record_failure(
        ctx: &mut WorkflowContext<Self>,
        input: &SyncInput,
        kind: &str,
        message: &str,
        record_on_repository: bool,
    ) {
        let failure = RecordFailure {
            repo: input.repo.clone(),
            workflow_id: ctx.workflow_id().to_string(),
            kind: kind.to_string(),
            message: message.to_string(),
            record_on_repository,
        };
        let recorded = Self::finish_registrations(ctx, Finish::Failure(failure)).await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record the sync failure");
        }
    }

    /// Finishes the registrations this run answers: its own and any that joined it while
    /// it ran (an UPDATE of no rows when there are none).
    async fn succeed(
        ctx: &mut WorkflowContext<Self>,
        repository_id: Option<uuid::Uuid>,
        output: &SyncOutput,
    ) -> Result<(), ActivityExecutionError> {
        let success = RecordSuccess {
            workflow_id: ctx.workflow_id().to_string(),
            repository_id,
            result: serde_json::to_value(output).unwrap_or(serde_json::Value::Null),
            clear_repository_failure: output.up_to_date,
        };
        Self::finish_registrations(ctx, Finish::Success(success)).await
    }

    /// Records how the run ended (which finishes every unfinished registration of the
    /// workflow id) until no `RegistrationJoined` signal arrived while it did: a row recorded
    /// after the statement read the table is finished by the next round. A signal that
    /// arrives after the last round makes Temporal reject the run's completion and replay
    /// it with the signal, which then lands before that round.
    async fn finish_registrations(
        ctx: &WorkflowContext<Self>,
        mut finish: Finish,
    ) -> Result<(), ActivityExecutionError> {
        loop {
            // The repository row is done after the first round; later rounds are for the
            // registrations that joined meanwhile.
            let seen = ctx.state(|s| s.joined);
            match &mut finish {
                Finish::Success(success) => {
                    ctx.execute_local_activity(
                        SyncActivities::record_success,
                        success.clone(),
                        finishing(),
                    )
                    .await?;
                    success.clear_repository_failure = false;
                }
                Finish::Failure(failure) => {
                    ctx.execute_local_activity(
                        SyncActivities::record_failure,
                        failure.clone(),
                        finishing(),
                    )
                    .await?;
                    failure.record_on_repository = false;
                }
            }
            if ctx.state(|s| s.joined) == seen {
                return Ok(());
            }
        }
    }
}

/// How a run ended, to record on its registrations.
enum Finish {
    Success(RecordSuccess),
    Failure(RecordFailure),
}
