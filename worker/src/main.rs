use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use skilldex_core::config::{LogSettings, TemporalSettings, parse_or_exit};

/// Skilldex worker: runs sync, discovery and maintenance jobs as Temporal workflows.
#[derive(Parser, Debug)]
#[command(name = "skilldex-worker", version)]
struct Cli {
    #[command(flatten)]
    temporal: TemporalSettings,
    #[command(flatten)]
    log: LogSettings,
    /// Seconds to wait for Temporal at start-up before giving up.
    #[arg(
        long = "temporal-connect-timeout-secs",
        env = "SKILLDEX_TEMPORAL_CONNECT_TIMEOUT_SECS",
        default_value_t = 10
    )]
    connect_timeout_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli: Cli = parse_or_exit();
    skilldex_core::telemetry::init(&cli.log);
    let identity = skilldex_core::temporal::process_identity("skilldex-worker");
    let client = skilldex_core::temporal::connect(
        &cli.temporal,
        &identity,
        Duration::from_secs(cli.connect_timeout_secs),
    )
    .await
    .context("starting the worker")?;
    let config = skilldex_worker::WorkerConfig {
        task_queue: cli.temporal.task_queue.clone(),
        identity,
    };
    skilldex_worker::run(client, config, skilldex_core::shutdown::signal()).await
}
