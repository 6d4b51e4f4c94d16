//! The Ping workflow through the real Temporal dev server and an in-process worker.

use std::time::Duration;

use skilldex_core::workflows::{Ping, PingInput, ping_workflow_id};
use skilldex_test_support::temporal_settings;
use skilldex_worker::{WorkerConfig, run};
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_workflow_runs_on_a_worker_and_returns_its_reply() {
    // A task queue of its own keeps this test's tasks away from any other worker.
    let queue = format!("test-ping-{}", uuid::Uuid::new_v4().simple());
    let settings = temporal_settings(&queue);
    let client = skilldex_core::temporal::connect(&settings, "ping-test", Duration::from_secs(10))
        .await
        .expect("connect to the test Temporal server");

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let worker = run(
        client.clone(),
        WorkerConfig {
            task_queue: queue.clone(),
            identity: "ping-test-worker".into(),
        },
        async {
            let _ = stop_rx.await;
        },
    );

    let workflow_id = ping_workflow_id(chrono::Utc::now().timestamp_millis());
    let caller = async {
        let handle = client
            .start_workflow(
                Ping,
                PingInput {
                    message: "hello skilldex".into(),
                },
                WorkflowStartOptions::new(queue.clone(), workflow_id.clone()).build(),
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
        let _ = stop_tx.send(());
        output
    };

    let (worker_result, output) = tokio::join!(worker, caller);
    worker_result.expect("worker shut down cleanly");
    assert_eq!(output.reply, "hello skilldex");
    assert_eq!(output.worker, "ping-test-worker");
}
