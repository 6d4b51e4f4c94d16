//! The Skilldex Temporal worker: registers every workflow and activity on one task queue
//! and runs until asked to stop.

pub mod activities;
/// Moved to `skilldex_core` so the api can keep schedules in step too; re-exported for callers here.
pub use skilldex_core::schedules;
pub mod scratch;
pub mod workflows;

use std::{future::Future, path::PathBuf};

use anyhow::Context;
use sea_orm::DatabaseConnection;
use skilldex_core::{github::GithubClient, storage::ObjectStore};
use temporalio_client::Client;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use crate::{
    activities::{
        discovery::DiscoveryActivities,
        ping::PingActivities,
        sync::{SyncActivities, SyncLimits},
    },
    workflows::{discovery::DiscoveryWorkflow, ping::PingWorkflow, sync::SyncRepositoryWorkflow},
};

/// How long the start-up schedule sync may take before it is abandoned (with a warning).
const SCHEDULE_SYNC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What a worker needs besides its Temporal client.
pub struct WorkerConfig {
    pub task_queue: String,
    /// Temporal identity of this process.
    pub identity: String,
    pub db: DatabaseConnection,
    pub store: ObjectStore,
    pub github: GithubClient,
    /// Scratch space for repository downloads; this process uses its own subfolder
    /// ([`scratch::claim`]), emptied of a build's files when the build ends.
    pub work_dir: PathBuf,
    pub limits: SyncLimits,
}

/// Polls `config.task_queue` until `shutdown` resolves, then stops taking new tasks and
/// waits for the ones in flight (Temporal's graceful worker shutdown).
pub async fn run(
    client: Client,
    config: WorkerConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let runtime = Runtime::from_current_tokio(Default::default())
        .context("creating the Temporal worker runtime")?;
    let work_dir = scratch::claim(&config.work_dir).with_context(|| {
        format!(
            "preparing the scratch folder {} (SKILLDEX_WORKER_WORK_DIR)",
            config.work_dir.display()
        )
    })?;
    // Schedules are brought in step in the background: a slow Temporal or database must
    // not keep the worker from polling.
    {
        let (client, db, task_queue) =
            (client.clone(), config.db.clone(), config.task_queue.clone());
        tokio::spawn(async move {
            let sync = schedules::sync_schedules(&client, &db, &task_queue);
            match tokio::time::timeout(SCHEDULE_SYNC_TIMEOUT, sync).await {
                Ok(Ok(done)) => {
                    tracing::info!(?done, "discovery schedules in step with discovery_sources")
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %format!("{e:#}"), "could not sync discovery schedules")
                }
                Err(_) => tracing::warn!(
                    timeout_secs = SCHEDULE_SYNC_TIMEOUT.as_secs(),
                    "syncing discovery schedules timed out"
                ),
            }
        });
    }
    let options = WorkerOptions::new(config.task_queue.clone())
        .register_workflow::<PingWorkflow>()
        .context("registering the Ping workflow")?
        .register_workflow::<SyncRepositoryWorkflow>()
        .context("registering the SyncRepository workflow")?
        .register_workflow::<DiscoveryWorkflow>()
        .context("registering the Discovery workflow")?
        .register_activities(PingActivities {
            identity: config.identity.clone(),
        })
        .register_activities(DiscoveryActivities {
            db: config.db.clone(),
            github: config.github.clone(),
        })
        .register_activities(SyncActivities {
            db: config.db,
            store: config.store,
            github: config.github,
            work_dir,
            limits: config.limits,
        })
        .build();
    let mut worker =
        Worker::new(&runtime, client, options).context("creating the Temporal worker")?;
    let stop = worker.shutdown_handle();
    tracing::info!(task_queue = %config.task_queue, identity = %config.identity, "worker polling");

    let run = worker.run();
    tokio::pin!(run);
    tokio::select! {
        result = &mut run => {
            result.context("worker stopped unexpectedly")?;
        }
        () = shutdown => {
            tracing::info!("shutdown requested; finishing tasks in flight");
            stop();
            run.await.context("worker failed while shutting down")?;
        }
    }
    tracing::info!("worker stopped");
    Ok(())
}
