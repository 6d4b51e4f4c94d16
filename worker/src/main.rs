use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use skilldex_core::{
    config::{
        DatabaseSettings, GithubSettings, LogSettings, S3Settings, TemporalSettings, parse_or_exit,
    },
    github::GithubClient,
    storage::ObjectStore,
    workflows::{Ping, PingInput, ping_workflow_id},
};
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};

/// Skilldex worker: runs sync, discovery and maintenance jobs as Temporal workflows.
#[derive(Parser, Debug)]
#[command(name = "skilldex-worker", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    temporal: TemporalSettings,
    #[command(flatten)]
    database: DatabaseSettings,
    #[command(flatten)]
    s3: S3Settings,
    #[command(flatten)]
    github: GithubSettings,
    #[command(flatten)]
    log: LogSettings,
    /// Scratch folder for repository downloads (and file contents beyond the extraction
    /// memory budget).
    #[arg(long = "worker-work-dir", env = "SKILLDEX_WORKER_WORK_DIR", default_value_os_t = std::env::temp_dir().join("skilldex-worker"))]
    work_dir: std::path::PathBuf,
    /// File contents of one extracted repository held in memory, in MiB; the rest goes to a
    /// single scratch file. Each concurrent sync may use this much.
    #[arg(
        long = "worker-extract-memory-mib",
        env = "SKILLDEX_WORKER_EXTRACT_MEMORY_MIB",
        default_value_t = 32
    )]
    extract_memory_mib: u64,
    /// Largest repository archive the worker downloads, in MiB.
    #[arg(
        long = "worker-max-archive-mib",
        env = "SKILLDEX_WORKER_MAX_ARCHIVE_MIB",
        default_value_t = 1024
    )]
    max_archive_mib: u64,
    /// Seconds to wait for Temporal at start-up before giving up.
    #[arg(
        long = "temporal-connect-timeout-secs",
        env = "SKILLDEX_TEMPORAL_CONNECT_TIMEOUT_SECS",
        default_value_t = 10
    )]
    temporal_connect_timeout_secs: u64,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Poll the task queue and run workflows and activities (the default).
    Run,
    /// Start the Ping workflow, wait for a worker to answer it, and print the reply: an
    /// end-to-end check of Temporal and the workers on the task queue.
    Ping {
        #[arg(long, default_value = "ping")]
        message: String,
        /// Seconds to wait for the result.
        #[arg(long, default_value_t = 30)]
        timeout_secs: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli: Cli = parse_or_exit();
    skilldex_core::telemetry::init(&cli.log);
    let identity = skilldex_core::temporal::process_identity("skilldex-worker");
    let client = skilldex_core::temporal::connect(
        &cli.temporal,
        &identity,
        Duration::from_secs(cli.temporal_connect_timeout_secs),
    )
    .await
    .context("connecting to Temporal")?;

    match cli.command.unwrap_or(Command::Run) {
        Command::Run => {
            let db = skilldex_core::db::connect(&cli.database)
                .await
                .context("connecting to PostgreSQL (SKILLDEX_DATABASE_URL)")?;
            let github = GithubClient::new(&cli.github).context("configuring the GitHub client")?;
            let config = skilldex_worker::WorkerConfig {
                task_queue: cli.temporal.task_queue.clone(),
                identity,
                db,
                store: ObjectStore::new(&cli.s3),
                github,
                work_dir: cli.work_dir.clone(),
                limits: skilldex_worker::activities::sync::SyncLimits {
                    max_archive_bytes: cli.max_archive_mib * 1024 * 1024,
                    extract_memory_bytes: cli.extract_memory_mib * 1024 * 1024,
                    ..Default::default()
                },
            };
            skilldex_worker::run(client, config, skilldex_core::shutdown::signal()).await
        }
        Command::Ping {
            message,
            timeout_secs,
        } => {
            let workflow_id = ping_workflow_id(chrono::Utc::now().timestamp_millis());
            let handle = client
                .start_workflow(
                    Ping,
                    PingInput { message },
                    WorkflowStartOptions::new(cli.temporal.task_queue.clone(), workflow_id.clone())
                        .build(),
                )
                .await
                .context("starting the Ping workflow")?;
            let output = tokio::time::timeout(
                Duration::from_secs(timeout_secs),
                handle.get_result(WorkflowGetResultOptions::default()),
            )
            .await
            .with_context(|| {
                format!(
                    "no worker answered {workflow_id} within {timeout_secs}s on task queue `{}`",
                    cli.temporal.task_queue
                )
            })?
            .context("the Ping workflow failed")?;
            println!(
                "{workflow_id}: {} (answered by {})",
                output.reply, output.worker
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Flattened settings must not reuse argument names (clap checks this only at run time).
    #[test]
    fn command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
