use std::{
    cell::RefCell,
    collections::{BTreeSet, VecDeque},
    rc::Rc,
};

use skilldex_core::{
    discovery::{DiscoveryInput, DiscoveryKind, DiscoveryOutput, MAX_CONCURRENCY},
    github::MAX_SEARCH_RESULTS,
    sync::{RepoName, SyncInput, SyncTrigger},
    workflows::{REPOSITORY_ATTRIBUTE, SyncRepository, TRIGGER_ATTRIBUTE},
};
use temporalio_common::search_attributes::SearchAttributes;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ChildWorkflowOptions, ChildWorkflowStartError, ParentClosePolicy,
    StartChildWorkflowExecutionFailedCause, WorkflowContext, WorkflowResult, workflows::join_all,
};

use crate::activities::discovery::{Candidate, DiscoveryActivities, PageRequest, RecordRun};

/// Implements the `Discovery` contract of `skilldex_core::workflows`: page through one
/// discovery source, drop blacklisted, duplicate and up-to-date repositories (indexed at
/// their current HEAD; see `activities::discovery`), and sync the rest as `SyncRepository`
/// children, at most `max_concurrency` at a time. A child that fails or whose repository
/// is already syncing is counted, never fatal. Children carry the run's trigger
/// (`schedule` or `admin`) as `SkilldexTrigger`, and the run's id in their summary (and as
/// Temporal's `ParentWorkflowId`). A marketplace source syncs the marketplace repository
/// first, then the repositories its plugins come from (read from the fresh index), within
/// the same limits.
#[workflow]
#[derive(Default)]
pub struct DiscoveryWorkflow;

/// Pages GitHub lets a search reach with 100 results a page.
const MAX_PAGES: u32 = MAX_SEARCH_RESULTS / 100;

#[workflow_methods]
impl DiscoveryWorkflow {
    #[run(name = "Discovery")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: DiscoveryInput,
    ) -> WorkflowResult<DiscoveryOutput> {
        // A schedule's start action cannot carry search attributes (the SDK has no field
        // for them), so every run records its own trigger. Patched: runs started before
        // this command existed replay without it.
        if ctx.patched("discovery-trigger-attribute") {
            ctx.upsert_search_attributes([
                TRIGGER_ATTRIBUTE.value_set(input.trigger.as_str().to_string())
            ]);
        }
        ctx.execute_activity(
            DiscoveryActivities::record_run,
            RecordRun {
                source_key: input.source_key.clone(),
                workflow_id: ctx.workflow_id().to_string(),
            },
            super::short_activity(),
        )
        .await?;

        let limit = input.max_repositories.map(|m| m as usize);
        let mut admit = Admission {
            limit,
            admitted: 0,
            first: None,
            seen: BTreeSet::new(),
        };
        let mut output = DiscoveryOutput::default();
        let mut queue = VecDeque::new();
        let mut page = Some(1);
        'pages: while let Some(number) = page.filter(|n| *n <= MAX_PAGES) {
            if admit.full() {
                break;
            }
            let result = ctx
                .execute_activity(
                    DiscoveryActivities::discover_page,
                    PageRequest {
                        kind: input.kind,
                        query: input.query.clone(),
                        page: number,
                    },
                    super::short_activity(),
                )
                .await?;
            for candidate in result.repositories {
                if admit.full() {
                    break 'pages;
                }
                admit.offer(candidate, &mut output, &mut queue);
            }
            page = result.next_page;
        }

        let lanes = input.max_concurrency.clamp(1, MAX_CONCURRENCY) as usize;
        let parent = Parent {
            workflow_id: ctx.workflow_id().to_string(),
            trigger: input.trigger,
        };
        let mut output = sync_all(ctx, &parent, queue, lanes, output).await;

        if input.kind == DiscoveryKind::Marketplace
            && !admit.full()
            && let Some(marketplace) = admit.first.clone()
        {
            let sources = ctx
                .execute_activity(
                    DiscoveryActivities::plugin_sources,
                    marketplace,
                    super::short_activity(),
                )
                .await?;
            let mut queue = VecDeque::new();
            for candidate in sources {
                if admit.full() {
                    break;
                }
                admit.offer(candidate, &mut output, &mut queue);
            }
            output = sync_all(ctx, &parent, queue, lanes, output).await;
        }
        Ok(output)
    }
}

/// Which candidates a run takes: each repository once (GitHub names are case-insensitive),
/// at most `limit` of them to sync; blacklisted and up-to-date ones are counted, not synced,
/// and do not count against the limit.
struct Admission {
    limit: Option<usize>,
    admitted: usize,
    seen: BTreeSet<String>,
    /// The first repository that is not blacklisted (for a marketplace source, the
    /// marketplace, whose plugins are followed even when it is up to date).
    first: Option<RepoName>,
}

impl Admission {
    fn full(&self) -> bool {
        self.limit.is_some_and(|l| self.admitted >= l)
    }

    fn offer(
        &mut self,
        candidate: Candidate,
        output: &mut DiscoveryOutput,
        queue: &mut VecDeque<RepoName>,
    ) {
        if self.full()
            || !self
                .seen
                .insert(candidate.repo.full_name().to_ascii_lowercase())
        {
            return;
        }
        output.found += 1;
        if candidate.blacklisted {
            output.skipped_blacklisted += 1;
            return;
        }
        self.first.get_or_insert_with(|| candidate.repo.clone());
        if candidate.up_to_date {
            output.up_to_date += 1;
        } else {
            self.admitted += 1;
            queue.push_back(candidate.repo);
        }
    }
}

/// The run its children are started by.
struct Parent {
    workflow_id: String,
    trigger: SyncTrigger,
}

/// Syncs every queued repository as a child, `lanes` at a time, adding to `output`'s counts.
async fn sync_all(
    ctx: &WorkflowContext<DiscoveryWorkflow>,
    parent: &Parent,
    queue: VecDeque<RepoName>,
    lanes: usize,
    output: DiscoveryOutput,
) -> DiscoveryOutput {
    let queue = Rc::new(RefCell::new(queue));
    let counts = Rc::new(RefCell::new(output));
    let lanes = (0..lanes).map(|_| {
        let ctx = ctx.clone();
        let queue = queue.clone();
        let counts = counts.clone();
        async move {
            loop {
                let Some(repo) = queue.borrow_mut().pop_front() else {
                    break;
                };
                let outcome = sync_child(&ctx, parent, repo).await;
                let mut counts = counts.borrow_mut();
                match outcome {
                    ChildOutcome::Succeeded => {
                        counts.started += 1;
                        counts.succeeded += 1;
                    }
                    ChildOutcome::Failed => {
                        counts.started += 1;
                        counts.failed += 1;
                    }
                    ChildOutcome::AlreadyRunning => counts.already_running += 1,
                    ChildOutcome::NotStarted => counts.failed += 1,
                }
            }
        }
    });
    join_all(lanes).await;
    counts.take()
}

enum ChildOutcome {
    Succeeded,
    Failed,
    AlreadyRunning,
    NotStarted,
}

/// Runs one `SyncRepository` child to its end. The child carries the trigger of the run
/// (what an operator filters by: `schedule` or `admin`), and names the run in its summary.
async fn sync_child(
    ctx: &WorkflowContext<DiscoveryWorkflow>,
    parent: &Parent,
    repo: RepoName,
) -> ChildOutcome {
    let input = SyncInput {
        repo: repo.clone(),
        trigger: parent.trigger,
        registration_id: None,
        force: false,
    };
    let attributes = SearchAttributes::new([
        REPOSITORY_ATTRIBUTE.value_set(repo.full_name().to_ascii_lowercase()),
        TRIGGER_ATTRIBUTE.value_set(parent.trigger.as_str().to_string()),
    ]);
    let options = ChildWorkflowOptions::builder()
        .workflow_id(repo.sync_workflow_id())
        .parent_close_policy(ParentClosePolicy::Abandon)
        .search_attributes(attributes)
        .static_summary(format!(
            "{} discovery {}",
            parent.trigger.as_str(),
            parent.workflow_id
        ))
        .build();
    let started = match ctx
        .start_child_workflow(SyncRepository, input, options)
        .await
    {
        Ok(started) => started,
        Err(ChildWorkflowStartError::StartFailed {
            cause: StartChildWorkflowExecutionFailedCause::WorkflowAlreadyExists,
            ..
        }) => {
            tracing::info!(%repo, "a sync of this repository is already running");
            return ChildOutcome::AlreadyRunning;
        }
        Err(e) => {
            tracing::warn!(%repo, error = %e, "could not start the sync");
            return ChildOutcome::NotStarted;
        }
    };
    match started.result().await {
        Ok(_) => ChildOutcome::Succeeded,
        Err(e) => {
            tracing::info!(%repo, error = %e, "sync failed");
            ChildOutcome::Failed
        }
    }
}
