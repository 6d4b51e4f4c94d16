//! `POST /repositories` and `GET /registrations/{id}` against the real Temporal dev server,
//! PostgreSQL and S3; the success path runs a real worker in-process over a fake GitHub.

mod common;

use std::{thread::JoinHandle, time::Duration};

use common::{TestApp, admin::status_json, http_settings};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use skilldex_core::{
    config::{DatabaseSettings, GithubSettings, TemporalSettings},
    github::GithubClient,
    storage::ObjectStore,
    workflows::SyncRepository,
};
use skilldex_test_support::{
    fake_github::{FakeGithub, FakeRepo, fixtures::valid_skill_md},
    s3_settings, temporal_settings, unique_owner,
};
use skilldex_worker::{WorkerConfig, activities::sync::SyncLimits};
use temporalio_client::{Client, WorkflowDescribeOptions, WorkflowTerminateOptions};
use tokio::sync::oneshot;

fn unique_queue() -> String {
    format!("api-reg-{}", uuid::Uuid::new_v4().simple())
}

async fn temporal_client(settings: &TemporalSettings) -> Client {
    skilldex_core::temporal::connect(settings, "api-test-client", Duration::from_secs(10))
        .await
        .expect("connect to Temporal")
}

async fn register(app: &TestApp, repository: &str) -> (u16, Value) {
    status_json(
        app.call(
            Method::POST,
            "/api/v1/repositories",
            None,
            Some(json!({ "repository": repository })),
        )
        .await,
    )
    .await
}

async fn terminate(client: &Client, workflow_id: &str) {
    let _ = client
        .get_workflow_handle::<SyncRepository>(workflow_id)
        .terminate(WorkflowTerminateOptions::default())
        .await;
}

#[tokio::test]
async fn registering_starts_one_sync_and_joins_it_while_it_runs() {
    // No worker polls this queue, so the sync stays running until the test ends it.
    let temporal = temporal_settings(&unique_queue());
    let app = TestApp::spawn_with(temporal.clone(), http_settings()).await;
    let client = temporal_client(&temporal).await;
    let owner = unique_owner("reg");

    let (status, first) = register(&app, &format!("https://github.com/{owner}/Skills")).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["existing"], false);
    assert_eq!(first["status"], "queued");
    assert_eq!(first["repository"], format!("{owner}/Skills"));
    let workflow_id = first["workflow_id"].as_str().unwrap().to_string();
    assert_eq!(workflow_id, format!("sync:github.com/{owner}/skills"));

    let description = client
        .get_workflow_handle::<SyncRepository>(workflow_id.clone())
        .describe(WorkflowDescribeOptions::default())
        .await
        .expect("the sync workflow exists");
    assert_eq!(description.workflow_type(), "SyncRepository");
    assert_eq!(description.task_queue(), temporal.task_queue);

    // Same repository, other spelling: the running registration comes back.
    let (status, second) = register(&app, &format!("{owner}/skills")).await;
    assert_eq!(status, 202, "{second}");
    assert_eq!(second["existing"], true);
    assert_eq!(second["registration_id"], first["registration_id"]);
    assert_eq!(second["workflow_id"], first["workflow_id"]);

    let id = first["registration_id"].as_str().unwrap();
    let (status, registration) = status_json(
        app.call(
            Method::GET,
            &format!("/api/v1/registrations/{id}"),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{registration}");
    assert_eq!(registration["status"], "queued");
    assert_eq!(registration["repository"], format!("{owner}/Skills"));
    assert_eq!(registration["result"], Value::Null);
    assert_eq!(registration["skills"], json!([]));

    let trigger: String = app
        .db
        .conn
        .query_one_raw(Statement::from_sql_and_values(
            app.db.conn.get_database_backend(),
            "SELECT trigger FROM registration_requests WHERE id = $1::uuid",
            [id.into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "trigger")
        .unwrap();
    assert_eq!(trigger, "user");
    terminate(&client, &workflow_id).await;
}

#[tokio::test]
async fn addresses_other_than_github_repositories_are_400() {
    let app = TestApp::spawn().await;
    for bad in [
        "http://github.com/a/b",
        "ftp://github.com/a/b",
        "https://gitlab.com/a/b",
        "https://github.com.evil.example/a/b",
        "https://user:pw@github.com/a/b",
        "just-a-name",
        "a/b/c",
        "../etc/passwd",
        "",
    ] {
        let (status, body) = register(&app, bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "bad_request");
        assert_eq!(body["error"]["details"]["field"], "repository", "{bad}");
    }
    let (status, body) = status_json(
        app.call(
            Method::POST,
            "/api/v1/repositories",
            None,
            Some(json!({ "repo": "a/b" })),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = status_json(
        app.call(Method::GET, "/api/v1/registrations/not-a-uuid", None, None)
            .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = status_json(
        app.call(
            Method::GET,
            &format!("/api/v1/registrations/{}", uuid::Uuid::new_v4()),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn blacklisted_repositories_and_owners_are_403() {
    let app = TestApp::spawn().await;
    let owner = unique_owner("black");
    app.db
        .conn
        .execute_raw(Statement::from_sql_and_values(
            app.db.conn.get_database_backend(),
            "INSERT INTO blacklist (owner, repo) VALUES ($1, 'bad'), ($2, NULL)",
            [owner.clone().into(), format!("{owner}-all").into()],
        ))
        .await
        .unwrap();
    for repository in [format!("{owner}/BAD"), format!("{owner}-all/anything")] {
        let (status, body) = register(&app, &repository).await;
        assert_eq!(status, 403, "{repository}: {body}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
}

#[tokio::test]
async fn registrations_are_rate_limited_per_client() {
    let mut http = http_settings();
    http.rate_limit_per_minute = 1;
    http.rate_limit_burst = 2;
    let app = TestApp::spawn_with(temporal_settings(&unique_queue()), http).await;
    // Invalid addresses still spend tokens: the limit applies before anything else.
    for _ in 0..2 {
        let (status, _) = register(&app, "not a repository").await;
        assert_eq!(status, 400);
    }
    let response = app
        .call(
            Method::POST,
            "/api/v1/repositories",
            None,
            Some(json!({ "repository": "a/b" })),
        )
        .await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let (_, body) = status_json(response).await;
    assert_eq!(body["error"]["code"], "rate_limited");
    // Reads are not limited.
    let response = app
        .call(
            Method::GET,
            &format!("/api/v1/registrations/{}", uuid::Uuid::new_v4()),
            None,
            None,
        )
        .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn forwarded_for_is_used_only_when_trusted() {
    let mut http = http_settings();
    http.rate_limit_per_minute = 1;
    http.rate_limit_burst = 1;
    http.trust_forwarded_for = true;
    let app = TestApp::spawn_with(temporal_settings(&unique_queue()), http).await;
    let post = |client: &'static str| {
        app.http
            .post(app.url("/api/v1/repositories"))
            .header("x-forwarded-for", client)
            .json(&json!({ "repository": "bad address" }))
            .send()
    };
    assert_eq!(post("203.0.113.1").await.unwrap().status(), 400);
    assert_eq!(post("203.0.113.1, 10.0.0.1").await.unwrap().status(), 429);
    // Another client behind the proxy has its own bucket.
    assert_eq!(post("203.0.113.2").await.unwrap().status(), 400);
}

#[tokio::test]
async fn temporal_down_is_503_with_the_envelope() {
    let mut temporal = temporal_settings(&unique_queue());
    temporal.address = "http://127.0.0.1:9".parse().unwrap();
    let app = TestApp::spawn_with(temporal, http_settings()).await;
    let (status, body) = register(&app, &format!("{}/skills", unique_owner("down"))).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(
        !body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1"),
        "{body}"
    );
}

/// A worker in this process on its own runtime, polling `task_queue`.
struct InProcessWorker {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
    _work_dir: tempfile::TempDir,
}

impl InProcessWorker {
    fn start(
        temporal: TemporalSettings,
        database: DatabaseSettings,
        github: GithubSettings,
    ) -> Self {
        let work_dir = tempfile::tempdir().expect("work dir");
        let work_path = work_dir.path().to_path_buf();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let client = skilldex_core::temporal::connect(
                    &temporal,
                    "api-test-worker",
                    Duration::from_secs(10),
                )
                .await?;
                let config = WorkerConfig {
                    task_queue: temporal.task_queue.clone(),
                    identity: "api-test-worker".into(),
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
            stop: Some(stop),
            thread: Some(thread),
            _work_dir: work_dir,
        }
    }
}

impl Drop for InProcessWorker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take()
            && !std::thread::panicking()
        {
            match thread.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => panic!("worker failed: {e:#}"),
                Err(_) => panic!("worker thread panicked"),
            }
        }
    }
}

async fn wait_finished(app: &TestApp, id: &str) -> Value {
    for _ in 0..1800 {
        let (_, body) = status_json(
            app.call(
                Method::GET,
                &format!("/api/v1/registrations/{id}"),
                None,
                None,
            )
            .await,
        )
        .await;
        if body["status"] == "succeeded" || body["status"] == "failed" {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("registration {id} did not finish within three minutes");
}

async fn skill_count(db: &DatabaseConnection) -> i64 {
    skilldex_test_support::scalar(db, "SELECT count(*) FROM skills WHERE status = 'active'").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_succeeds_with_its_skills() {
    let owner = unique_owner("full");
    let fake = FakeGithub::builder()
        .repo(FakeRepo::from_files(
            &owner,
            "skills",
            [
                (
                    "skills/alpha/SKILL.md".to_string(),
                    valid_skill_md("alpha"),
                    0o644,
                ),
                (
                    "skills/beta/SKILL.md".to_string(),
                    valid_skill_md("beta"),
                    0o644,
                ),
                (
                    "skills/broken/SKILL.md".to_string(),
                    "no front matter here\n".to_string(),
                    0o644,
                ),
            ],
        ))
        .start()
        .await;
    let temporal = temporal_settings(&unique_queue());
    let app = TestApp::spawn_with(temporal.clone(), http_settings()).await;
    let _worker = InProcessWorker::start(temporal, app.db.settings(), fake.settings());

    let (status, accepted) = register(&app, &format!("https://github.com/{owner}/skills")).await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["registration_id"].as_str().unwrap().to_string();
    let done = wait_finished(&app, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["error"], Value::Null);
    assert!(done["started_at"].is_string() && done["finished_at"].is_string());
    let result = &done["result"];
    assert_eq!(result["new_versions"], 2, "{done}");
    assert_eq!(result["up_to_date"], false);
    assert!(result["commit"].is_string());
    let names: Vec<&str> = done["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap_or("?"))
        .collect();
    assert!(
        names.contains(&"alpha") && names.contains(&"beta"),
        "{done}"
    );
    for skill in done["skills"].as_array().unwrap() {
        assert_eq!(skill["owner"], owner);
        assert_eq!(skill["repo"], "skills");
        assert!(skill["errors"].is_number() && skill["warnings"].is_number());
    }
    assert_eq!(
        skill_count(&app.db.conn).await as usize,
        done["skills"].as_array().unwrap().len()
    );
}

/// Records a failed sync the way the worker does (the repository row and the
/// registration) and returns the registration id.
async fn record_failed_sync(
    db: &DatabaseConnection,
    owner: &str,
    kind: &str,
    message: &str,
) -> String {
    use skilldex_core::{
        index::mark_sync_failed,
        registration::{Outcome, finish},
        sync::RepoName,
    };
    let repo = RepoName::new(owner.to_owned(), "broken".to_owned()).unwrap();
    let workflow_id = repo.sync_workflow_id();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO registration_requests (repository_full_name, trigger, status, workflow_id) \
             VALUES ($1, 'user', 'running', $2) RETURNING id",
            [repo.full_name().into(), workflow_id.clone().into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let id: uuid::Uuid = row.try_get("", "id").unwrap();
    mark_sync_failed(db, &repo, kind, message).await.unwrap();
    finish(
        db,
        &workflow_id,
        Outcome::Failed {
            error: format!("{kind}: {message}"),
        },
    )
    .await
    .unwrap();
    id.to_string()
}

#[tokio::test]
async fn failed_syncs_show_internal_errors_only_by_their_kind() {
    let app = TestApp::spawn().await;
    let db = &app.db.conn;
    let leak = "error returned from database: password authentication failed for user \
                \"skilldex\" (10.0.0.5:5432)";
    let internal = unique_owner("internal");
    let id = record_failed_sync(db, &internal, "database", leak).await;
    let (status, registration) = status_json(
        app.call(
            Method::GET,
            &format!("/api/v1/registrations/{id}"),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{registration}");
    assert_eq!(registration["status"], "failed");
    assert_eq!(
        registration["error"],
        "the registry could not store the results of the sync; try again later"
    );
    let (_, repository) = status_json(
        app.call(
            Method::GET,
            &format!("/api/v1/repositories/{internal}/broken"),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(repository["sync_status"], "failed", "{repository}");
    assert_eq!(repository["last_error_kind"], "database");
    assert_eq!(
        repository["last_error"],
        "the registry could not store the results of the sync; try again later"
    );
    let (_, listed) = status_json(
        app.call(
            Method::GET,
            &format!("/api/v1/repositories?q={internal}"),
            None,
            None,
        )
        .await,
    )
    .await;
    assert!(!listed.to_string().contains("10.0.0.5"), "{listed}");

    // A failure about the repository itself keeps its message.
    let missing = unique_owner("missing");
    let message = format!("GitHub repos [{missing}/broken]: not found");
    let id = record_failed_sync(db, &missing, "not_found", &message).await;
    let (_, registration) = status_json(
        app.call(
            Method::GET,
            &format!("/api/v1/registrations/{id}"),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(registration["error"], format!("not_found: {message}"));
    let (_, repository) = status_json(
        app.call(
            Method::GET,
            &format!("/api/v1/repositories/{missing}/broken"),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(repository["last_error"], message.as_str());
}
