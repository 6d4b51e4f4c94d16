//! Admin routes: authentication and authorization of every route, and each resource's
//! success paths recorded in the audit log.

mod common;

use common::{
    TestApp,
    admin::{create_user, insert_api_token, status_json},
    http_settings,
};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use skilldex_core::{
    config::TemporalSettings,
    workflows::{Discovery, SyncRepository},
};
use skilldex_test_support::{temporal_settings, unique_owner};
use temporalio_client::{Client, WorkflowDescribeOptions, WorkflowTerminateOptions};
use uuid::Uuid;

const HASH: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn unique_queue() -> String {
    format!("api-admin-{}", Uuid::new_v4().simple())
}

async fn spawn_with_queue() -> (TestApp, TemporalSettings) {
    let temporal = temporal_settings(&unique_queue());
    (
        TestApp::spawn_with(temporal.clone(), http_settings()).await,
        temporal,
    )
}

async fn temporal_client(settings: &TemporalSettings) -> Client {
    skilldex_core::temporal::connect(
        settings,
        "api-admin-test",
        std::time::Duration::from_secs(10),
    )
    .await
    .expect("connect to Temporal")
}

async fn audit_actions(db: &DatabaseConnection) -> Vec<(String, String, String, Option<String>)> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT action, target_type, actor_name, request_id FROM audit_log ORDER BY id",
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get("", "action").unwrap(),
            r.try_get("", "target_type").unwrap(),
            r.try_get("", "actor_name").unwrap(),
            r.try_get("", "request_id").unwrap(),
        )
    })
    .collect()
}

/// Every admin route, with a body good enough to get past parsing.
fn admin_routes() -> Vec<(Method, String, Option<Value>, bool)> {
    let id = Uuid::new_v4();
    let skill = format!("/api/v1/admin/skills/o/r/n/versions/{HASH}");
    vec![
        (Method::GET, "/api/v1/admin/tokens".into(), None, false),
        (
            Method::POST,
            "/api/v1/admin/tokens".into(),
            Some(json!({"name": "x", "scopes": ["admin:read"]})),
            true,
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/tokens/{id}"),
            None,
            true,
        ),
        (
            Method::GET,
            "/api/v1/admin/discovery-sources".into(),
            None,
            false,
        ),
        (
            Method::POST,
            "/api/v1/admin/discovery-sources".into(),
            Some(
                json!({"key": "k", "kind": "topic_search", "query": "q", "interval_seconds": 3600}),
            ),
            true,
        ),
        (
            Method::GET,
            format!("/api/v1/admin/discovery-sources/{id}"),
            None,
            false,
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/discovery-sources/{id}"),
            Some(json!({"enabled": false})),
            true,
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/discovery-sources/{id}"),
            None,
            true,
        ),
        (
            Method::POST,
            format!("/api/v1/admin/discovery-sources/{id}/run"),
            None,
            true,
        ),
        (Method::GET, "/api/v1/admin/blacklist".into(), None, false),
        (
            Method::POST,
            "/api/v1/admin/blacklist".into(),
            Some(json!({"owner": "o"})),
            true,
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/blacklist/{id}"),
            None,
            true,
        ),
        (
            Method::POST,
            "/api/v1/admin/repositories/o/r/resync".into(),
            None,
            true,
        ),
        (
            Method::POST,
            format!("{skill}/yank"),
            Some(json!({"reason": "r"})),
            true,
        ),
        (Method::POST, format!("{skill}/unyank"), None, true),
        (Method::GET, "/api/v1/admin/audit-log".into(), None, false),
    ]
}

#[tokio::test]
async fn every_admin_route_requires_credentials_the_admin_role_and_the_scope() {
    let app = TestApp::spawn().await;
    let db = &app.db.conn;
    let admin = create_user(db, "root", "pw", "admin").await;
    let maintainer = create_user(db, "maint", "pw", "maintainer").await;
    let read_only = insert_api_token(db, admin, &["admin:read"], None).await;
    let no_scope = insert_api_token(db, admin, &[], None).await;
    let maintainer_writer = insert_api_token(db, maintainer, &["admin:write"], None).await;
    let writer = insert_api_token(db, admin, &["admin:write"], None).await;

    for (method, path, body, write) in admin_routes() {
        let call = |token: Option<String>| {
            let (method, path, body) = (method.clone(), path.clone(), body.clone());
            let app = &app;
            async move { app.call(method, &path, token.as_deref(), body).await }
        };

        let response = call(None).await;
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer",
            "{method} {path}"
        );
        let (status, envelope) = status_json(response).await;
        assert_eq!(status, 401, "{method} {path}: {envelope}");
        assert_eq!(envelope["error"]["code"], "unauthorized");

        let (status, _) = status_json(call(Some("sdx_not-a-token".to_string())).await).await;
        assert_eq!(status, 401, "{method} {path} with a bad token");

        for token in [&maintainer_writer, &no_scope] {
            let (status, envelope) = status_json(call(Some(token.clone())).await).await;
            assert_eq!(status, 403, "{method} {path}: {envelope}");
            assert_eq!(envelope["error"]["code"], "forbidden");
        }
        let (status, envelope) = status_json(call(Some(read_only.clone())).await).await;
        if write {
            assert_eq!(status, 403, "{method} {path}: read-only token on a write");
            assert_eq!(envelope["error"]["code"], "forbidden");
        } else {
            // Past authorization: the list, or 404 for the made-up id.
            assert!(
                status == 200 || status == 404,
                "{method} {path}: {envelope}"
            );
            // admin:write includes admin:read.
            let (status, _) = status_json(call(Some(writer.clone())).await).await;
            assert!(status == 200 || status == 404, "{method} {path}: {status}");
        }
    }
    assert!(
        audit_actions(db).await.is_empty(),
        "refused requests change nothing"
    );
}

#[tokio::test]
async fn api_tokens_are_created_once_listed_and_revoked() {
    let app = TestApp::spawn().await;
    let (_, session) = app.admin_session("tokenadmin").await;

    let response = app
        .http
        .post(app.url("/api/v1/admin/tokens"))
        .bearer_auth(&session)
        .header("x-request-id", "req-create-token")
        .json(&json!({"name": " ci ", "scopes": ["admin:read", "admin:read"]}))
        .send()
        .await
        .unwrap();
    let (status, created) = status_json(response).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["name"], "ci");
    assert_eq!(created["scopes"], json!(["admin:read"]));
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("sdx_"));

    // The new token works, within its scope.
    let (status, me) = status_json(
        app.call(Method::GET, "/api/v1/auth/me", Some(&token), None)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(me["via"], "token");
    let (status, _) = status_json(
        app.call(
            Method::POST,
            "/api/v1/admin/blacklist",
            Some(&token),
            Some(json!({"owner": "x"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);

    let (status, second) = status_json(
        app.call(
            Method::POST,
            "/api/v1/admin/tokens",
            Some(&session),
            Some(json!({"name": "deploy", "scopes": ["admin:write"],
                        "expires_at": "2099-01-01T00:00:00Z"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["expires_at"], "2099-01-01T00:00:00Z");

    // Listing never shows the secret; pages follow the cursor.
    let (status, page) = status_json(
        app.call(
            Method::GET,
            "/api/v1/admin/tokens?limit=1",
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["name"], "deploy");
    assert!(page["items"][0].get("token").is_none());
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = status_json(
        app.call(
            Method::GET,
            &format!("/api/v1/admin/tokens?limit=1&cursor={cursor}"),
            Some(&token),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(rest["items"][0]["name"], "ci");
    assert_eq!(rest["items"][0]["prefix"], &token[..12]);
    assert_eq!(rest["items"][0]["user"], "tokenadmin");
    assert_eq!(rest["next_cursor"], Value::Null);

    for bad in [
        json!({"name": "", "scopes": ["admin:read"]}),
        json!({"name": "x", "scopes": []}),
        json!({"name": "x", "scopes": ["root"]}),
        json!({"name": "x", "scopes": ["admin:read"], "expires_at": "2001-01-01T00:00:00Z"}),
    ] {
        let (status, body) = status_json(
            app.call(
                Method::POST,
                "/api/v1/admin/tokens",
                Some(&session),
                Some(bad.clone()),
            )
            .await,
        )
        .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }

    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/admin/tokens/{id}");
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&session), None)
            .await
            .status(),
        204
    );
    let (status, _) = status_json(
        app.call(Method::GET, "/api/v1/auth/me", Some(&token), None)
            .await,
    )
    .await;
    assert_eq!(status, 401, "a revoked token stops working at once");
    let missing = format!("/api/v1/admin/tokens/{}", Uuid::new_v4());
    assert_eq!(
        app.call(Method::DELETE, &missing, Some(&session), None)
            .await
            .status(),
        404
    );

    let actions = audit_actions(&app.db.conn).await;
    let names: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        names,
        ["api_token.create", "api_token.create", "api_token.revoke"]
    );
    assert_eq!(actions[0].1, "api_token");
    assert_eq!(actions[0].2, "tokenadmin");
    assert_eq!(actions[0].3.as_deref(), Some("req-create-token"));
    assert!(actions[2].3.is_some(), "the request id layer assigns one");
}

#[tokio::test]
async fn blacklist_entries_are_added_listed_and_removed() {
    let app = TestApp::spawn().await;
    let (_, session) = app.admin_session("bl-admin").await;
    let add = |body: Value| {
        app.call(
            Method::POST,
            "/api/v1/admin/blacklist",
            Some(&session),
            Some(body),
        )
    };

    let (status, entry) =
        status_json(add(json!({"owner": "Spammer", "repo": "junk", "reason": "spam"})).await).await;
    assert_eq!(status, 201, "{entry}");
    assert_eq!(entry["owner"], "Spammer");
    assert_eq!(entry["repo"], "junk");
    assert_eq!(entry["created_by"], "bl-admin");
    let (status, body) = status_json(add(json!({"owner": "spammer", "repo": "JUNK"})).await).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let (status, owner_entry) = status_json(add(json!({"owner": "spammer"})).await).await;
    assert_eq!(status, 201, "{owner_entry}");
    assert_eq!(owner_entry["repo"], Value::Null);
    for (bad, field) in [
        (json!({"owner": "a/b"}), "owner"),
        (json!({"owner": ""}), "owner"),
        (json!({"owner": "ok", "repo": "x/y"}), "repo"),
    ] {
        let (status, body) = status_json(add(bad.clone()).await).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["details"]["field"], field, "{bad}");
    }

    let (status, page) = status_json(
        app.call(Method::GET, "/api/v1/admin/blacklist", Some(&session), None)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["id"], owner_entry["id"], "newest first");

    // Registering a blacklisted repository is refused through the public route too.
    let (status, _) = status_json(
        app.call(
            Method::POST,
            "/api/v1/repositories",
            None,
            Some(json!({"repository": "spammer/other"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);

    let path = format!("/api/v1/admin/blacklist/{}", entry["id"].as_str().unwrap());
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&session), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&session), None)
            .await
            .status(),
        404
    );

    let names: Vec<String> = audit_actions(&app.db.conn)
        .await
        .into_iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(
        names,
        ["blacklist.add", "blacklist.add", "blacklist.remove"]
    );
}

/// `max_concurrency` of the input the source's schedule starts `Discovery` with.
async fn scheduled_concurrency(client: &Client, key: &str) -> u32 {
    let description = client
        .get_schedule_handle(format!("discovery:{key}"))
        .describe(Default::default())
        .await
        .expect("describe the schedule");
    let temporalio_client::schedules::ScheduleDescriptionAction::StartWorkflow(start) =
        description.action()
    else {
        panic!("a start-workflow action");
    };
    let input: skilldex_core::discovery::DiscoveryInput =
        start.args().await.expect("args").expect("an input");
    input.max_concurrency
}

async fn schedule_exists(client: &Client, key: &str) -> bool {
    client
        .get_schedule_handle(format!("discovery:{key}"))
        .describe(Default::default())
        .await
        .is_ok()
}

#[tokio::test]
async fn discovery_sources_keep_their_schedules_in_step() {
    let (app, temporal) = spawn_with_queue().await;
    let client = temporal_client(&temporal).await;
    let (_, session) = app.admin_session("disc-admin").await;
    let key = unique_owner("src").to_ascii_lowercase();

    let (status, created) = status_json(
        app.call(
            Method::POST,
            "/api/v1/admin/discovery-sources",
            Some(&session),
            Some(json!({"key": key, "kind": "marketplace",
                        "query": "https://github.com/Anthropics/skills",
                        "interval_seconds": 3600, "max_repositories": 50,
                        "max_concurrency": 7})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["schedule_sync"], "ok");
    assert_eq!(created["source"]["max_concurrency"], 7);
    assert_eq!(scheduled_concurrency(&client, &key).await, 7);
    assert_eq!(
        created["source"]["query"], "Anthropics/skills",
        "normalized"
    );
    assert_eq!(created["source"]["enabled"], true);
    assert!(schedule_exists(&client, &key).await);
    let id = created["source"]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/admin/discovery-sources/{id}");

    let (status, duplicate) = status_json(
        app.call(
            Method::POST,
            "/api/v1/admin/discovery-sources",
            Some(&session),
            Some(
                json!({"key": key, "kind": "topic_search", "query": "topic:x",
                        "interval_seconds": 3600}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409, "{duplicate}");
    for (bad, field) in [
        (
            json!({"key": "Bad Key", "kind": "topic_search", "query": "q", "interval_seconds": 3600}),
            "key",
        ),
        (
            json!({"key": "k", "kind": "nope", "query": "q", "interval_seconds": 3600}),
            "kind",
        ),
        (
            json!({"key": "k", "kind": "marketplace", "query": "not a repo", "interval_seconds": 3600}),
            "query",
        ),
        (
            json!({"key": "k", "kind": "topic_search", "query": "q", "interval_seconds": 1}),
            "interval_seconds",
        ),
        (
            json!({"key": "k", "kind": "topic_search", "query": "q", "interval_seconds": 3600, "max_repositories": 0}),
            "max_repositories",
        ),
        (
            json!({"key": "k", "kind": "topic_search", "query": "q", "interval_seconds": 3600, "max_concurrency": 0}),
            "max_concurrency",
        ),
        (
            json!({"key": "k", "kind": "topic_search", "query": "q", "interval_seconds": 3600, "max_concurrency": 21}),
            "max_concurrency",
        ),
    ] {
        let (status, body) = status_json(
            app.call(
                Method::POST,
                "/api/v1/admin/discovery-sources",
                Some(&session),
                Some(bad.clone()),
            )
            .await,
        )
        .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["details"]["field"], field, "{bad}");
    }

    let (status, listed) = status_json(
        app.call(
            Method::GET,
            "/api/v1/admin/discovery-sources",
            Some(&session),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["max_concurrency"], 7);

    // A manual run starts a Discovery workflow now.
    let (status, run) = status_json(
        app.call(Method::POST, &format!("{path}/run"), Some(&session), None)
            .await,
    )
    .await;
    assert_eq!(status, 202, "{run}");
    let workflow_id = run["workflow_id"].as_str().unwrap().to_string();
    assert!(
        workflow_id.starts_with(&format!("discovery:{key}:")),
        "{workflow_id}"
    );
    let handle = client.get_workflow_handle::<Discovery>(workflow_id.clone());
    let description = handle
        .describe(WorkflowDescribeOptions::default())
        .await
        .expect("the discovery run exists");
    assert_eq!(description.workflow_type(), "Discovery");
    let _ = handle.terminate(WorkflowTerminateOptions::default()).await;
    // The run takes the source's concurrency (and says an admin started it).
    use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
    let events = handle
        .fetch_history(Default::default())
        .into_events()
        .await
        .expect("history of the run");
    let started = events
        .into_iter()
        .find_map(|e| match e.attributes {
            Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => Some(a),
            _ => None,
        })
        .expect("a started event");
    let input: Value =
        serde_json::from_slice(&started.input.expect("an input").payloads[0].data).unwrap();
    assert_eq!(input["max_concurrency"], 7, "{input}");
    assert_eq!(input["trigger"], "admin", "{input}");
    let (_, source) = status_json(app.call(Method::GET, &path, Some(&session), None).await).await;
    assert_eq!(source["last_workflow_id"], workflow_id);
    assert!(source["last_run_at"].is_string());

    // Disabling removes the schedule; clearing the limit uses null.
    let (status, patched) = status_json(
        app.call(
            Method::PATCH,
            &path,
            Some(&session),
            Some(json!({"enabled": false, "max_repositories": null})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["schedule_sync"], "ok");
    assert_eq!(patched["source"]["enabled"], false);
    assert_eq!(patched["source"]["max_repositories"], Value::Null);
    assert_eq!(patched["source"]["interval_seconds"], 3600, "untouched");
    assert_eq!(patched["source"]["max_concurrency"], 7, "untouched");
    assert!(!schedule_exists(&client, &key).await);

    let (status, patched) = status_json(
        app.call(
            Method::PATCH,
            &path,
            Some(&session),
            Some(json!({"enabled": true, "interval_seconds": 7200, "max_concurrency": 12})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert!(schedule_exists(&client, &key).await);
    assert_eq!(patched["source"]["max_concurrency"], 12);
    assert_eq!(scheduled_concurrency(&client, &key).await, 12);
    let (status, body) = status_json(
        app.call(
            Method::PATCH,
            &path,
            Some(&session),
            Some(json!({"max_concurrency": 50})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"]["field"], "max_concurrency");

    let (status, deleted) =
        status_json(app.call(Method::DELETE, &path, Some(&session), None).await).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["schedule_sync"], "ok");
    assert!(!schedule_exists(&client, &key).await);
    let (status, _) = status_json(app.call(Method::GET, &path, Some(&session), None).await).await;
    assert_eq!(status, 404);

    let names: Vec<String> = audit_actions(&app.db.conn)
        .await
        .into_iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(
        names,
        [
            "discovery_source.create",
            "discovery_source.run",
            "discovery_source.update",
            "discovery_source.update",
            "discovery_source.delete",
        ]
    );
}

#[tokio::test]
async fn a_schedule_sync_failure_is_reported_after_the_change_is_saved() {
    let mut temporal = temporal_settings(&unique_queue());
    temporal.address = "http://127.0.0.1:9".parse().unwrap();
    let app = TestApp::spawn_with(temporal, http_settings()).await;
    let (_, session) = app.admin_session("offline-admin").await;
    let (status, created) = status_json(
        app.call(
            Method::POST,
            "/api/v1/admin/discovery-sources",
            Some(&session),
            Some(
                json!({"key": "offline", "kind": "topic_search", "query": "topic:agent-skills",
                        "interval_seconds": 86400}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["schedule_sync"], "failed");
    let count =
        skilldex_test_support::scalar(&app.db.conn, "SELECT count(*) FROM discovery_sources").await;
    assert_eq!(count, 1, "the change is kept");
    let id = created["source"]["id"].as_str().unwrap();
    let (status, body) = status_json(
        app.call(
            Method::POST,
            &format!("/api/v1/admin/discovery-sources/{id}/run"),
            Some(&session),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
}

#[tokio::test]
async fn resync_starts_a_forced_admin_registration() {
    let (app, temporal) = spawn_with_queue().await;
    let client = temporal_client(&temporal).await;
    let (_, session) = app.admin_session("sync-admin").await;
    let owner = unique_owner("resync");

    let (status, accepted) = status_json(
        app.call(
            Method::POST,
            &format!("/api/v1/admin/repositories/{owner}/skills/resync"),
            Some(&session),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["existing"], false);
    let workflow_id = accepted["workflow_id"].as_str().unwrap().to_string();
    let handle = client.get_workflow_handle::<SyncRepository>(workflow_id.clone());
    handle
        .describe(WorkflowDescribeOptions::default())
        .await
        .expect("the sync exists");
    let _ = handle.terminate(WorkflowTerminateOptions::default()).await;

    let row = app
        .db
        .conn
        .query_one_raw(Statement::from_sql_and_values(
            app.db.conn.get_database_backend(),
            "SELECT trigger, requested_by FROM registration_requests WHERE id = $1::uuid",
            [accepted["registration_id"].as_str().unwrap().into()],
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "trigger").unwrap(), "admin");
    assert_eq!(
        row.try_get::<Option<String>>("", "requested_by")
            .unwrap()
            .as_deref(),
        Some("sync-admin")
    );
    let actions = audit_actions(&app.db.conn).await;
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].0, "repository.resync");

    let (status, body) = status_json(
        app.call(
            Method::POST,
            "/api/v1/admin/repositories/bad..name!/x/resync",
            Some(&session),
            None,
        )
        .await,
    )
    .await;
    assert!(status == 400 || status == 404, "{status}: {body}");
}

struct SkillFixture {
    older: String,
    newer: String,
    skill_id: Uuid,
}

async fn skill_with_two_versions(db: &DatabaseConnection) -> SkillFixture {
    let exec = |sql: String| async move {
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap()
    };
    let repo: Uuid =
        exec("INSERT INTO repositories (owner, name) VALUES ('Acme', 'tools') RETURNING id".into())
            .await
            .try_get("", "id")
            .unwrap();
    let skill_id: Uuid = exec(format!(
        "INSERT INTO skills (repository_id, name, path) VALUES ('{repo}', 'pdf', 'skills/pdf') RETURNING id"
    ))
    .await
    .try_get("", "id")
    .unwrap();
    let older = "1".repeat(64);
    let newer = "2".repeat(64);
    let mut newer_id = Uuid::nil();
    for (hash, age) in [(&older, "2 days"), (&newer, "1 day")] {
        let id: Uuid = exec(format!(
            "INSERT INTO skill_versions (skill_id, content_hash, commit_sha, archive_key, archive_size, \
             file_count, frontmatter, body, findings, published_at) \
             VALUES ('{skill_id}', '{hash}', '{c}', 'skills/sha256/{hash}', 10, 1, '{{}}', '', '[]', \
             now() - interval '{age}') RETURNING id",
            c = "c".repeat(40)
        ))
        .await
        .try_get("", "id")
        .unwrap();
        newer_id = id;
    }
    db.execute_unprepared(&format!(
        "UPDATE skills SET latest_version_id = '{newer_id}' WHERE id = '{skill_id}'"
    ))
    .await
    .unwrap();
    SkillFixture {
        older,
        newer,
        skill_id,
    }
}

async fn latest_hash(db: &DatabaseConnection, skill_id: Uuid) -> Option<String> {
    db.query_one_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT v.content_hash FROM skills s LEFT JOIN skill_versions v ON v.id = s.latest_version_id \
         WHERE s.id = $1",
        [skill_id.into()],
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "content_hash")
    .unwrap()
}

#[tokio::test]
async fn yanking_moves_latest_to_the_newest_unyanked_version() {
    let app = TestApp::spawn().await;
    let db = &app.db.conn;
    let (_, session) = app.admin_session("yank-admin").await;
    let fixture = skill_with_two_versions(db).await;
    let base = "/api/v1/admin/skills/acme/TOOLS/pdf/versions";
    let yank = |hash: String, reason: &'static str| {
        let path = format!("{base}/{hash}/yank");
        let (app, session) = (&app, session.clone());
        async move {
            app.call(
                Method::POST,
                &path,
                Some(&session),
                Some(json!({"reason": reason})),
            )
            .await
        }
    };

    let (status, yanked) = status_json(yank(fixture.newer.clone(), "leaked a secret").await).await;
    assert_eq!(status, 200, "{yanked}");
    assert_eq!(yanked["yanked"], true);
    assert_eq!(yanked["yanked_reason"], "leaked a secret");
    assert!(yanked["yanked_at"].is_string());
    assert_eq!(yanked["latest_version"], fixture.older);
    assert_eq!(
        latest_hash(db, fixture.skill_id).await.as_deref(),
        Some(fixture.older.as_str())
    );

    let (status, both) = status_json(yank(fixture.older.clone(), "also bad").await).await;
    assert_eq!(status, 200, "{both}");
    assert_eq!(both["latest_version"], Value::Null);
    assert_eq!(latest_hash(db, fixture.skill_id).await, None);

    let (status, unyanked) = status_json(
        app.call(
            Method::POST,
            &format!("{base}/{}/unyank?path=skills/pdf", fixture.newer),
            Some(&session),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{unyanked}");
    assert_eq!(unyanked["yanked"], false);
    assert_eq!(unyanked["yanked_reason"], Value::Null);
    assert_eq!(unyanked["latest_version"], fixture.newer);
    assert_eq!(
        latest_hash(db, fixture.skill_id).await.as_deref(),
        Some(fixture.newer.as_str())
    );

    // Errors: malformed hash, unknown version, unknown skill, empty reason.
    let (status, _) = status_json(yank("xyz".into(), "r").await).await;
    assert_eq!(status, 400);
    let (status, _) = status_json(yank("3".repeat(64), "r").await).await;
    assert_eq!(status, 404);
    let (status, _) = status_json(
        app.call(
            Method::POST,
            &format!("/api/v1/admin/skills/acme/tools/nope/versions/{HASH}/yank"),
            Some(&session),
            Some(json!({"reason": "r"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = status_json(yank(fixture.older.clone(), "").await).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["details"]["field"], "reason");

    let actions = audit_actions(db).await;
    let names: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "skill_version.yank",
            "skill_version.yank",
            "skill_version.unyank"
        ]
    );
    let target: String = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT target_id FROM audit_log ORDER BY id LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "target_id")
        .unwrap();
    assert_eq!(target, format!("acme/TOOLS/pdf@{}", fixture.newer));
}

/// An address the public skill page finds is one the admin actions find: owner,
/// repository and name in any case, `?path=` with or without slashes.
#[tokio::test]
async fn yank_and_unyank_find_skills_by_the_public_address_rule() {
    let app = TestApp::spawn().await;
    let db = &app.db.conn;
    let (_, session) = app.admin_session("address-admin").await;
    let fixture = skill_with_two_versions(db).await;
    let (status, page) = status_json(
        app.call(Method::GET, "/api/v1/skills/ACME/Tools/PDF", None, None)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["name"], "pdf");

    let (status, yanked) = status_json(
        app.call(
            Method::POST,
            &format!(
                "/api/v1/admin/skills/ACME/Tools/PDF/versions/{}/yank",
                fixture.newer
            ),
            Some(&session),
            Some(json!({"reason": "bad"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{yanked}");
    assert_eq!(yanked["yanked"], true);

    // Hidden from the public by a blacklist entry, still within reach of an admin.
    db.execute_unprepared("INSERT INTO blacklist (owner, reason) VALUES ('acme', 'test')")
        .await
        .unwrap();
    let (status, _) = status_json(
        app.call(Method::GET, "/api/v1/skills/ACME/Tools/PDF", None, None)
            .await,
    )
    .await;
    assert_eq!(status, 404);
    let (status, unyanked) = status_json(
        app.call(
            Method::POST,
            &format!(
                "/api/v1/admin/skills/acme/TOOLS/Pdf/versions/{}/unyank?path=/skills/pdf/",
                fixture.newer
            ),
            Some(&session),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{unyanked}");
    assert_eq!(unyanked["yanked"], false);
    assert_eq!(
        latest_hash(db, fixture.skill_id).await.as_deref(),
        Some(fixture.newer.as_str())
    );
}

#[tokio::test]
async fn the_audit_log_filters_and_pages() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.admin_session("Alice").await;
    let (_, bob) = app.admin_session("bob").await;
    for (token, owner) in [(&alice, "one"), (&alice, "two"), (&bob, "three")] {
        let response = app
            .call(
                Method::POST,
                "/api/v1/admin/blacklist",
                Some(token),
                Some(json!({"owner": owner})),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let (_, token) = status_json(
        app.call(
            Method::POST,
            "/api/v1/admin/tokens",
            Some(&bob),
            Some(json!({"name": "t", "scopes": ["admin:read"]})),
        )
        .await,
    )
    .await;
    assert!(token["token"].is_string());
    let list = |query: &str| {
        let path = format!("/api/v1/admin/audit-log{query}");
        let alice = alice.clone();
        let app = &app;
        async move { status_json(app.call(Method::GET, &path, Some(&alice), None).await).await }
    };

    let (status, all) = list("").await;
    assert_eq!(status, 200, "{all}");
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["action"], "api_token.create", "newest first");
    for field in [
        "id",
        "actor",
        "action",
        "target_type",
        "target_id",
        "details",
        "request_id",
        "at",
    ] {
        assert!(
            items[0].get(field).is_some(),
            "{field} missing: {}",
            items[0]
        );
    }

    let (_, page1) = list("?action=blacklist.add&limit=2").await;
    assert_eq!(page1["items"].as_array().unwrap().len(), 2);
    assert_eq!(page1["items"][0]["details"]["owner"], "three");
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = list(&format!("?action=blacklist.add&limit=2&cursor={cursor}")).await;
    assert_eq!(page2["items"].as_array().unwrap().len(), 1);
    assert_eq!(page2["items"][0]["details"]["owner"], "one");
    assert_eq!(page2["next_cursor"], Value::Null);

    let (_, by_actor) = list("?actor=ALICE").await;
    assert_eq!(by_actor["items"].as_array().unwrap().len(), 2);
    let (_, by_type) = list("?target_type=api_token").await;
    assert_eq!(by_type["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_type["items"][0]["actor"], "bob");

    let (status, body) = list("?limit=0").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"]["field"], "limit");
    let (status, body) = list("?cursor=zz").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"]["field"], "cursor");
}

/// Every auth, admin and registration route is in the OpenAPI document; admin routes
/// declare the bearer scheme and the error envelope.
#[tokio::test]
async fn openapi_documents_these_routes() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut expected: Vec<(String, String)> = admin_routes()
        .into_iter()
        .map(|(method, path, _, _)| (method.as_str().to_lowercase(), path))
        .collect();
    expected.extend(
        [
            ("post", "/api/v1/auth/login"),
            ("post", "/api/v1/auth/refresh"),
            ("post", "/api/v1/auth/logout"),
            ("get", "/api/v1/auth/me"),
            ("post", "/api/v1/repositories"),
            ("get", "/api/v1/registrations/{id}"),
        ]
        .map(|(m, p)| (m.to_string(), p.to_string())),
    );
    for (method, concrete) in expected {
        // Back from the concrete paths above to the templates.
        let template = concrete
            .split('/')
            .enumerate()
            .map(|(i, part)| {
                let admin_skill = concrete.starts_with("/api/v1/admin/skills/");
                let admin_repo = concrete.starts_with("/api/v1/admin/repositories/");
                match (i, part) {
                    (_, p) if Uuid::parse_str(p).is_ok() => "{id}".to_string(),
                    (5, _) if admin_skill || admin_repo => "{owner}".to_string(),
                    (6, _) if admin_skill || admin_repo => "{repo}".to_string(),
                    (7, _) if admin_skill => "{name}".to_string(),
                    (9, _) if admin_skill => "{hash}".to_string(),
                    (_, p) => p.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let operation = &doc["paths"][&template][&method];
        assert!(operation.is_object(), "{method} {template} not documented");
        if template.starts_with("/api/v1/admin/") {
            assert_eq!(operation["security"], json!([{"bearer": []}]), "{template}");
            assert_eq!(operation["tags"], json!(["admin"]), "{template}");
            for status in ["401", "403"] {
                assert_eq!(
                    operation["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{method} {template} {status}"
                );
            }
        }
    }
    assert!(
        doc["paths"]["/api/v1/repositories"]["get"].is_object(),
        "reads kept beside the POST"
    );
}
