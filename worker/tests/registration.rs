//! The registration path the api uses, through the real Temporal, worker, S3 and Postgres.

mod common;

use std::time::Duration;

use common::TestWorker;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use skilldex_core::{
    registration::{RegistrationError, register},
    sync::{RepoName, SyncTrigger},
};
use skilldex_test_support::{
    fake_github::{FakeGithub, fixtures},
    migrated_database, unique_owner,
};
use uuid::Uuid;

struct Row {
    status: String,
    error: Option<String>,
    workflow_id: Option<String>,
    result: Option<serde_json::Value>,
    repository_id: Option<Uuid>,
}

async fn row(db: &DatabaseConnection, id: Uuid) -> Row {
    let r = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT status, error, workflow_id, result, repository_id FROM registration_requests WHERE id = $1",
            [id.into()],
        ))
        .await
        .unwrap()
        .expect("registration row");
    Row {
        status: r.try_get("", "status").unwrap(),
        error: r.try_get("", "error").unwrap(),
        workflow_id: r.try_get("", "workflow_id").unwrap(),
        result: r.try_get("", "result").unwrap(),
        repository_id: r.try_get("", "repository_id").unwrap(),
    }
}

/// Polls until the registration is finished.
async fn finished(db: &DatabaseConnection, id: Uuid) -> Row {
    for _ in 0..1800 {
        let r = row(db, id).await;
        if r.status == "succeeded" || r.status == "failed" {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("registration {id} did not finish within three minutes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_start_one_sync_and_end_succeeded_or_failed() {
    let owner = unique_owner("obra");
    let fake = FakeGithub::builder()
        .repo(fixtures::obra_superpowers().with_owner(&owner))
        .start()
        .await;
    let db = migrated_database().await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;
    let queue = worker.task_queue.clone();
    let repo = RepoName::parse(&format!("https://github.com/{owner}/superpowers")).unwrap();

    // Twice in a row: the second request joins the first instead of starting a sync.
    let first = register(
        &db.conn,
        &client,
        &queue,
        &repo,
        SyncTrigger::User,
        Some("127.0.0.1"),
    )
    .await
    .expect("register");
    assert!(!first.existing);
    assert_eq!(
        first.workflow_id,
        format!("sync:github.com/{owner}/superpowers")
    );
    let second = register(&db.conn, &client, &queue, &repo, SyncTrigger::User, None)
        .await
        .expect("register again");
    assert!(second.existing, "a sync is queued or running");
    assert_eq!(second.id, first.id);

    let done = finished(&db.conn, first.id).await;
    assert_eq!(done.status, "succeeded", "{:?}", done.error);
    assert_eq!(
        done.workflow_id,
        Some(format!("sync:github.com/{owner}/superpowers"))
    );
    assert!(done.repository_id.is_some());
    let result = done.result.expect("result recorded");
    assert!(
        result["index"]["new_versions"].as_u64().unwrap() > 0,
        "{result}"
    );
    assert_eq!(
        db.conn
            .query_one_raw(Statement::from_string(
                db.conn.get_database_backend(),
                "SELECT count(*) AS n FROM registration_requests",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap(),
        1
    );

    // Finished: a new registration starts a new (up-to-date) sync and succeeds.
    let again = register(&db.conn, &client, &queue, &repo, SyncTrigger::User, None)
        .await
        .unwrap();
    assert!(!again.existing);
    let done = finished(&db.conn, again.id).await;
    assert_eq!(done.status, "succeeded");
    assert_eq!(done.result.unwrap()["up_to_date"], true);
    assert!(
        done.repository_id.is_some(),
        "an up-to-date sync names its repository"
    );

    // A repository GitHub does not know fails with a readable reason.
    let missing = RepoName::new(unique_owner("nobody"), "nothing-here").unwrap();
    let failed = register(&db.conn, &client, &queue, &missing, SyncTrigger::User, None)
        .await
        .unwrap();
    let done = finished(&db.conn, failed.id).await;
    assert_eq!(done.status, "failed");
    assert!(
        done.error
            .as_deref()
            .unwrap_or_default()
            .starts_with("not_found"),
        "{:?}",
        done.error
    );

    // Blacklisted repositories are refused before anything is recorded.
    db.conn
        .execute_raw(Statement::from_string(
            db.conn.get_database_backend(),
            "INSERT INTO blacklist (owner, repo, reason) VALUES ('spammer', NULL, 'spam')",
        ))
        .await
        .unwrap();
    let refused = register(
        &db.conn,
        &client,
        &queue,
        &RepoName::new("Spammer", "anything").unwrap(),
        SyncTrigger::User,
        None,
    )
    .await;
    assert!(
        matches!(refused, Err(RegistrationError::Blacklisted(_))),
        "{refused:?}"
    );

    worker.stop();
}
