//! A worker running in this process on its own thread and runtime, against the real test
//! PostgreSQL, Temporal and S3 and a fake GitHub, on a task queue of its own.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::{path::PathBuf, thread::JoinHandle, time::Duration};

use skilldex_core::{
    config::{DatabaseSettings, GithubSettings, TemporalSettings},
    github::GithubClient,
    storage::ObjectStore,
};
use skilldex_test_support::{s3_settings, temporal_settings};
use skilldex_worker::{WorkerConfig, activities::sync::SyncLimits};
use temporalio_client::Client;
use tokio::sync::oneshot;

/// A task queue no other test uses.
pub fn unique_queue() -> String {
    format!("test-{}", uuid::Uuid::new_v4().simple())
}

pub struct TestWorker {
    pub task_queue: String,
    pub temporal: TemporalSettings,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
    _work_dir: tempfile::TempDir,
}

impl TestWorker {
    pub fn start(database: DatabaseSettings, github: GithubSettings) -> Self {
        Self::start_on(database, github, unique_queue())
    }

    /// A worker on a given task queue (workflows may be started on it before it polls).
    pub fn start_on(
        database: DatabaseSettings,
        github: GithubSettings,
        task_queue: String,
    ) -> Self {
        let temporal = temporal_settings(&task_queue);
        let work_dir = tempfile::tempdir().expect("work dir");
        let work_path: PathBuf = work_dir.path().to_path_buf();
        let (stop, stopped) = oneshot::channel::<()>();
        let settings = temporal.clone();
        let queue = task_queue.clone();
        let thread = std::thread::spawn(move || -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let client = skilldex_core::temporal::connect(
                    &settings,
                    "test-worker",
                    Duration::from_secs(10),
                )
                .await?;
                let config = WorkerConfig {
                    task_queue: queue,
                    identity: "test-worker".into(),
                    db: skilldex_core::db::connect(&database).await?,
                    store: ObjectStore::new(&s3_settings()),
                    github: GithubClient::new(&github)?,
                    work_dir: work_path,
                    limits: SyncLimits::default(),
                };
                skilldex_worker::run(client, config, async {
                    let _ = stopped.await;
                })
                .await
            })
        });
        Self {
            task_queue,
            temporal,
            stop: Some(stop),
            thread: Some(thread),
            _work_dir: work_dir,
        }
    }

    /// A client for starting workflows on this worker's task queue.
    pub async fn client(&self) -> Client {
        skilldex_core::temporal::connect(&self.temporal, "test-client", Duration::from_secs(10))
            .await
            .expect("connect to Temporal")
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            match thread.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => panic!("worker failed: {e:#}"),
                Err(_) => panic!("worker thread panicked"),
            }
        }
    }
}

impl Drop for TestWorker {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.shutdown();
        } else if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
