//! The Ping workflow through the real Temporal dev server and an in-process worker.

mod common;

use std::time::Duration;

use common::TestWorker;
use skilldex_core::workflows::{Ping, PingInput, ping_workflow_id};
use skilldex_test_support::{fake_github::FakeGithub, migrated_database};
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_workflow_runs_on_a_worker_and_returns_its_reply() {
    let fake = FakeGithub::builder().start().await;
    let db = migrated_database().await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;

    let workflow_id = ping_workflow_id(chrono::Utc::now().timestamp_millis());
    let handle = client
        .start_workflow(
            Ping,
            PingInput {
                message: "hello skilldex".into(),
            },
            WorkflowStartOptions::new(worker.task_queue.clone(), workflow_id.clone()).build(),
        )
        .await
        .expect("start the Ping workflow");
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        handle.get_result(WorkflowGetResultOptions::default()),
    )
    .await
    .expect("Ping finished within a minute")
    .expect("Ping succeeded");

    assert_eq!(output.reply, "hello skilldex");
    assert_eq!(output.worker, "test-worker");
    // The worker shuts down gracefully (panics here if it fails to).
    worker.stop();
}
