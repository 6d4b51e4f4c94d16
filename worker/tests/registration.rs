//! The registration path the api uses, through the real Temporal, worker, S3 and Postgres.

mod common;

use std::time::Duration;

use common::TestWorker;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use skilldex_core::{
    registration::{RegistrationError, register},
    sync::{RepoName, SyncTrigger},
    workflows::{JoinedRegistration, RegistrationJoined, SyncRepository},
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

/// Waits until a statement `UPDATE registration_requests …` waits for a row lock.
async fn blocked_update(db: &DatabaseConnection) {
    for _ in 0..1200 {
        let waiting = skilldex_test_support::scalar(
            db,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND query LIKE 'UPDATE registration_requests%'",
        )
        .await;
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the run never reached its registration update");
}

/// The race of a registration that joins a run which already recorded its registrations:
/// the run's finishing statement has read the table (it waits here on a row lock the test
/// holds) when the new row is recorded and the run is told (what `register` does for an
/// open run: insert the row, then signal-with-start, which signals it). The run must not
/// close before it has finished that row too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_joining_after_the_run_recorded_its_registrations_is_finished() {
    let owner = unique_owner("late");
    let fake = FakeGithub::builder()
        .repo(fixtures::obra_superpowers().with_owner(&owner))
        .start()
        .await;
    let db = migrated_database().await;
    let queue = common::unique_queue();
    let client = skilldex_core::temporal::connect(
        &skilldex_test_support::temporal_settings(&queue),
        "test-client",
        Duration::from_secs(10),
    )
    .await
    .expect("connect to Temporal");
    let repo = RepoName::new(owner.clone(), "superpowers").unwrap();

    // The first registration starts the run; no worker polls yet.
    let first = register(&db.conn, &client, &queue, &repo, SyncTrigger::User, None)
        .await
        .expect("register");
    // Its row is `running` and locked, so the run's finishing UPDATE (and only it: the
    // start of the run looks for `queued` rows) waits on it.
    db.conn
        .execute_raw(Statement::from_string(
            db.conn.get_database_backend(),
            format!(
                "UPDATE registration_requests SET status = 'running', started_at = now() \
                 WHERE id = '{}'",
                first.id
            ),
        ))
        .await
        .unwrap();
    let lock = db.conn.begin().await.unwrap();
    lock.execute_raw(Statement::from_string(
        lock.get_database_backend(),
        format!(
            "SELECT id FROM registration_requests WHERE id = '{}' FOR UPDATE",
            first.id
        ),
    ))
    .await
    .unwrap();

    let worker = common::TestWorker::start_on(db.settings(), fake.settings(), queue.clone());
    blocked_update(&db.conn).await;

    // A registration recorded now is not in the rows that statement updates.
    let late = Uuid::new_v4();
    db.conn
        .execute_raw(Statement::from_sql_and_values(
            db.conn.get_database_backend(),
            "INSERT INTO registration_requests \
             (id, repository_full_name, trigger, status, workflow_id) \
             VALUES ($1, $2, 'user', 'queued', $3)",
            [
                late.into(),
                repo.full_name().into(),
                first.workflow_id.clone().into(),
            ],
        ))
        .await
        .unwrap();
    client
        .get_workflow_handle::<SyncRepository>(first.workflow_id.clone())
        .signal(
            RegistrationJoined,
            JoinedRegistration {
                registration_id: late,
            },
            Default::default(),
        )
        .await
        .expect("signal the run");
    tokio::time::sleep(Duration::from_secs(1)).await;
    lock.commit().await.unwrap();

    let done = finished(&db.conn, first.id).await;
    assert_eq!(done.status, "succeeded", "{:?}", done.error);
    let first_result = finished(&db.conn, first.id).await.result;
    let done = finished(&db.conn, late).await;
    assert_eq!(done.status, "succeeded", "{:?}", done.error);
    assert!(done.repository_id.is_some());
    // Answered by the same run, at the same commit. (When the signal lands after the last
    // round, Temporal rejects the run's completion and the run replays its last workflow
    // task, local activities included: the index step runs again, finds every version
    // already there, and this row gets that second, all-unchanged summary.)
    let result = done.result.expect("the run's result");
    let first_result = first_result.expect("the first row's result");
    assert_eq!(result["commit"], first_result["commit"], "{result}");
    assert_eq!(
        result["index"]["repository_id"], first_result["index"]["repository_id"],
        "{result}"
    );
    let index = &result["index"];
    assert_eq!(
        index["new_versions"].as_u64().unwrap() + index["unchanged"].as_u64().unwrap(),
        14,
        "{result}"
    );
    assert_eq!(
        skilldex_test_support::scalar(&db.conn, "SELECT count(*) FROM skill_versions").await,
        14,
        "one version per skill however often the index step ran"
    );
    assert_eq!(
        skilldex_test_support::scalar(
            &db.conn,
            "SELECT count(*) FROM registration_requests WHERE status <> 'succeeded'"
        )
        .await,
        0
    );
    worker.stop();
}

/// A run whose `mark_started` step fails (the database refuses to mark the repository
/// syncing, for its data: not worth a retry) still finishes its registration: failed, with
/// a message that names the database but not its error. (A transient error takes the same
/// path once its retries, about four minutes, are spent.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_mark_started_fails_the_registration_instead_of_leaving_it_queued() {
    let owner = unique_owner("nostart");
    let fake = FakeGithub::builder()
        .repo(fixtures::obra_superpowers().with_owner(&owner))
        .start()
        .await;
    let db = migrated_database().await;
    for sql in [
        "CREATE FUNCTION refuse_syncing() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'test: repositories refuse to sync' \
         USING ERRCODE = 'check_violation'; END $$",
        "CREATE TRIGGER refuse_syncing BEFORE INSERT OR UPDATE ON repositories \
         FOR EACH ROW WHEN (NEW.sync_status = 'syncing') EXECUTE FUNCTION refuse_syncing()",
    ] {
        db.conn
            .execute_raw(Statement::from_string(db.conn.get_database_backend(), sql))
            .await
            .expect(sql);
    }
    let worker = common::TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;
    let repo = RepoName::new(owner.clone(), "superpowers").unwrap();
    let registration = register(
        &db.conn,
        &client,
        &worker.task_queue,
        &repo,
        SyncTrigger::User,
        None,
    )
    .await
    .expect("register");

    let mut done = row(&db.conn, registration.id).await;
    for _ in 0..(10 * 60 * 10) {
        if done.status == "succeeded" || done.status == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        done = row(&db.conn, registration.id).await;
    }
    assert_eq!(done.status, "failed", "{:?}", done.error);
    let error = done.error.unwrap_or_default();
    assert_eq!(
        error, "database: the index refused the sync's writes; the worker's log has the details",
        "a fixed message: the database's own words stay in the worker's log"
    );
    let kind: Option<String> = db
        .conn
        .query_one_raw(Statement::from_sql_and_values(
            db.conn.get_database_backend(),
            "SELECT last_error_kind FROM repositories WHERE owner = $1",
            [owner.clone().into()],
        ))
        .await
        .unwrap()
        .expect("the failure is recorded on a repository row")
        .try_get("", "last_error_kind")
        .unwrap();
    assert_eq!(kind.as_deref(), Some("database"));
    worker.stop();
}
