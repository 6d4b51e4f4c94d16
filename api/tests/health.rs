//! Health, metrics, request ids, error envelope and graceful shutdown of the api.

mod common;

use std::time::Duration;

use common::{TestApp, http_settings};
use serde_json::Value;
use skilldex_core::config::{HttpSettings, TemporalSettings};
use skilldex_test_support::temporal_settings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn process_health_reports_version() {
    let app = TestApp::spawn().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn dependency_health_checks_reach_the_real_services() {
    let app = TestApp::spawn().await;
    for path in ["/health/db", "/health/temporal", "/health/storage"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok", "{path}");
        assert!(body["latency_ms"].as_f64().is_some(), "{path}: {body}");
    }
}

#[tokio::test]
async fn unreachable_temporal_is_a_503_envelope_without_internals() {
    // Nothing listens on port 1 of loopback.
    let temporal = TemporalSettings {
        address: "http://127.0.0.1:1".parse().unwrap(),
        namespace: "default".into(),
        task_queue: "unused".into(),
    };
    let app = TestApp::spawn_with(temporal, http_settings()).await;
    let response = app.get("/health/temporal").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    assert_eq!(body["error"]["message"], "temporal is unavailable");
    assert!(
        !body.to_string().contains("127.0.0.1:1"),
        "address leaked: {body}"
    );

    // The database still answers: one dependency down does not take the api down.
    assert_eq!(app.get("/health/db").await.status(), 200);
}

#[tokio::test]
async fn database_outage_is_reported_as_503() {
    let app = TestApp::spawn().await;
    app.db.conn.clone().close().await.unwrap();
    let response = app.get("/health/db").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "database is unavailable");
}

#[tokio::test]
async fn unknown_route_is_a_json_404() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/does-not-exist").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(
        body["error"]["message"],
        "no route for /api/v1/does-not-exist"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_a_given_one() {
    let app = TestApp::spawn().await;
    let generated = app.get("/health").await;
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 36, "a uuid: {id}");

    let echoed = app
        .http
        .get(app.url("/health"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn metrics_count_requests_and_latency_by_route_template() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        assert_eq!(app.get("/health").await.status(), 200);
    }
    app.get("/api/v1/nope").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            r#"skilldex_http_requests_total{method="GET",route="/health",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"skilldex_http_request_duration_seconds_count{method="GET",route="/health"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"skilldex_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/health"}"#)
            || text.contains(r#"skilldex_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.001"}"#),
        "{text}"
    );
    // Unknown paths share one label instead of one series per path.
    assert!(!text.contains("/api/v1/nope"), "{text}");
}

#[tokio::test]
async fn oversized_bodies_are_a_413_envelope() {
    let app = TestApp::spawn().await;
    // Declared too large: refused before the body is read.
    let response = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(vec![b'x'; 128 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    assert_eq!(
        body["error"]["message"],
        "request body larger than 65536 bytes"
    );

    // Chunked, without a length: refused once reading passes the limit.
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let chunk = vec![b' '; 100 * 1024];
    let mut request = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
         transfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n",
        app.addr,
        chunk.len()
    )
    .into_bytes();
    request.extend_from_slice(&chunk);
    request.extend_from_slice(b"\r\n0\r\n\r\n");
    stream.write_all(&request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""code":"payload_too_large""#), "{answer}");
}

#[tokio::test]
async fn slow_requests_are_a_408_envelope() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let http = HttpSettings {
        request_timeout_secs: 1,
        ..http_settings()
    };
    let app = TestApp::spawn_with(temporal_settings("skilldex-api-tests"), http).await;
    // A lock held by another transaction keeps the stats query waiting.
    let lock = app.db.conn.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE skills IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let response = app.get("/api/v1/stats").await;
    let waited = started.elapsed();
    lock.rollback().await.unwrap();
    assert_eq!(response.status(), 408);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "timeout", "{body}");
    assert_eq!(body["error"]["message"], "the request took longer than 1 s");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    // Once the lock is gone the same request answers.
    assert_eq!(app.get("/api/v1/stats").await.status(), 200);
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn().await;
    let allowed = app
        .http
        .get(app.url("/health"))
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let denied = app
        .http
        .get(app.url("/health"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        denied
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_and_stops_listening() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    assert_eq!(app.get("/health").await.status(), 200);
    tokio::time::timeout(Duration::from_secs(10), app.shutdown())
        .await
        .expect("shutdown within the grace period")
        .expect("server ended cleanly");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn bootstrap_admin_is_created_and_updated_from_config() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    let mut auth = skilldex_core::config::AuthSettings {
        jwt_secret: "x".repeat(32),
        admin_username: "Admin".into(),
        admin_password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$first".into()),
        access_ttl_mins: 15,
        refresh_ttl_hours: 24,
    };
    assert!(
        skilldex_api::bootstrap::ensure_admin(&app.db.conn, &auth)
            .await
            .unwrap()
    );
    auth.admin_username = "admin".into(); // same account, other case
    auth.admin_password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$second".into());
    assert!(
        skilldex_api::bootstrap::ensure_admin(&app.db.conn, &auth)
            .await
            .unwrap()
    );

    let rows = app
        .db
        .conn
        .query_all_raw(Statement::from_string(
            app.db.conn.get_database_backend(),
            "SELECT username, password_hash, role FROM users",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let hash: String = rows[0].try_get("", "password_hash").unwrap();
    let role: String = rows[0].try_get("", "role").unwrap();
    assert!(hash.ends_with("$second"));
    assert_eq!(role, "admin");

    auth.admin_password_hash = None;
    assert!(
        !skilldex_api::bootstrap::ensure_admin(&app.db.conn, &auth)
            .await
            .unwrap()
    );
}
