//! Login, refresh, logout and identity; API tokens and access JWTs as credentials.

mod common;

use std::time::Duration;

use common::{
    TestApp,
    admin::{create_user, insert_api_token, set_disabled, status_json},
    http_settings,
};
use reqwest::Method;
use serde_json::{Value, json};
use skilldex_test_support::temporal_settings;

const ME: &str = "/api/v1/auth/me";

async fn refresh(app: &TestApp, token: &str) -> (u16, Value) {
    status_json(
        app.call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({ "refresh_token": token })),
        )
        .await,
    )
    .await
}

fn assert_unauthorized(status: u16, body: &Value) {
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
}

#[tokio::test]
async fn login_me_refresh_rotation_and_logout() {
    let app = TestApp::spawn().await;
    let id = create_user(&app.db.conn, "Alice", "s3cret-pass", "admin").await;

    // Usernames are case-insensitive.
    let (status, session) = status_json(app.login("alice", "s3cret-pass").await).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 15 * 60);
    assert_eq!(session["user"]["id"], id.to_string());
    assert_eq!(session["user"]["username"], "Alice");
    assert_eq!(session["user"]["role"], "admin");
    let access = session["access_token"].as_str().unwrap().to_string();
    let first_refresh = session["refresh_token"].as_str().unwrap().to_string();
    assert!(first_refresh.starts_with("sdr_"));

    let (status, me) = status_json(app.call(Method::GET, ME, Some(&access), None).await).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "Alice");
    assert_eq!(me["via"], "jwt");
    assert_eq!(me["scopes"], json!(["admin:read", "admin:write"]));

    // Refresh rotates: a new pair, and the used refresh token is spent.
    let (status, rotated) = refresh(&app, &first_refresh).await;
    assert_eq!(status, 200, "{rotated}");
    let second_refresh = rotated["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second_refresh, first_refresh);
    let new_access = rotated["access_token"].as_str().unwrap();
    let (status, _) = status_json(app.call(Method::GET, ME, Some(new_access), None).await).await;
    assert_eq!(status, 200);

    // Replaying the spent token fails and revokes the whole session (the rotated one too).
    let (status, body) = refresh(&app, &first_refresh).await;
    assert_unauthorized(status, &body);
    let (status, body) = refresh(&app, &second_refresh).await;
    assert_unauthorized(status, &body);

    // Logout ends a session; logging out twice or with nonsense is still 204.
    let (_, session) = status_json(app.login("alice", "s3cret-pass").await).await;
    let refresh_token = session["refresh_token"].as_str().unwrap().to_string();
    for token in [
        refresh_token.as_str(),
        refresh_token.as_str(),
        "sdr_nonsense",
    ] {
        let response = app
            .call(
                Method::POST,
                "/api/v1/auth/logout",
                None,
                Some(json!({ "refresh_token": token })),
            )
            .await;
        assert_eq!(response.status(), 204);
    }
    let (status, body) = refresh(&app, &refresh_token).await;
    assert_unauthorized(status, &body);

    let last_login: Option<chrono::DateTime<chrono::Utc>> = {
        use sea_orm::{ConnectionTrait, Statement};
        app.db
            .conn
            .query_one_raw(Statement::from_sql_and_values(
                app.db.conn.get_database_backend(),
                "SELECT last_login_at FROM users WHERE id = $1",
                [id.into()],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "last_login_at")
            .unwrap()
    };
    assert!(last_login.is_some());
}

#[tokio::test]
async fn failed_logins_look_alike() {
    let app = TestApp::spawn().await;
    let id = create_user(&app.db.conn, "bob", "right-password", "admin").await;

    let unknown = status_json(app.login("nobody", "right-password").await).await;
    let wrong = status_json(app.login("bob", "wrong-password").await).await;
    set_disabled(&app.db.conn, id, true).await;
    let disabled = status_json(app.login("bob", "right-password").await).await;
    for (status, body) in [&unknown, &wrong, &disabled] {
        assert_unauthorized(*status, body);
        assert_eq!(body["error"]["message"], "invalid username or password");
    }

    let response = app.login("bob", "wrong-password").await;
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer",
        "401 answers carry the challenge"
    );

    // Malformed bodies are 400 with the envelope.
    let response = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "username": "bob" })),
        )
        .await;
    let (status, body) = status_json(response).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
}

#[tokio::test]
async fn bad_credentials_are_401_with_a_challenge() {
    let app = TestApp::spawn().await;
    let id = create_user(&app.db.conn, "carol", "pw-carol-123", "admin").await;
    let secret = common::auth_settings().jwt_secret;

    let expired = skilldex_api::auth::jwt::issue(&secret, id, -1).unwrap();
    let foreign = skilldex_api::auth::jwt::issue(&"y".repeat(40), id, 600).unwrap();
    for credential in [
        None,
        Some("garbage"),
        Some(expired.as_str()),
        Some(foreign.as_str()),
        Some("sdx_0000000000000000000000000000000000000000000000000000000000000000"),
    ] {
        let response = app.call(Method::GET, ME, credential, None).await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let (status, body) = status_json(response).await;
        assert_unauthorized(status, &body);
    }
    // Not a bearer scheme at all.
    let response = app
        .http
        .get(app.url(ME))
        .header("authorization", "Basic Y2Fyb2w6cHc=")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // A valid JWT stops working as soon as its user is disabled.
    let valid = skilldex_api::auth::jwt::issue(&secret, id, 600).unwrap();
    assert_eq!(
        app.call(Method::GET, ME, Some(&valid), None).await.status(),
        200
    );
    set_disabled(&app.db.conn, id, true).await;
    let (status, body) = status_json(app.call(Method::GET, ME, Some(&valid), None).await).await;
    assert_unauthorized(status, &body);
}

#[tokio::test]
async fn api_tokens_authenticate_until_revoked_expired_or_disabled() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    let id = create_user(&app.db.conn, "dave", "pw-dave-123", "admin").await;
    let db = &app.db.conn;

    let token = insert_api_token(db, id, &["admin:read"], None).await;
    let (status, me) = status_json(app.call(Method::GET, ME, Some(&token), None).await).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["via"], "token");
    assert_eq!(me["username"], "dave");
    assert_eq!(me["scopes"], json!(["admin:read"]));

    // Use is recorded in the background.
    let mut recorded = false;
    for _ in 0..50 {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT count(*) AS n FROM api_tokens WHERE last_used_at IS NOT NULL",
            ))
            .await
            .unwrap()
            .unwrap();
        if row.try_get::<i64>("", "n").unwrap() == 1 {
            recorded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recorded, "last_used_at was not recorded");

    let expired = insert_api_token(
        db,
        id,
        &["admin:read"],
        Some(chrono::Utc::now() - chrono::Duration::minutes(1)),
    )
    .await;
    let (status, body) = status_json(app.call(Method::GET, ME, Some(&expired), None).await).await;
    assert_unauthorized(status, &body);

    db.execute_unprepared("UPDATE api_tokens SET revoked_at = now()")
        .await
        .unwrap();
    let (status, body) = status_json(app.call(Method::GET, ME, Some(&token), None).await).await;
    assert_unauthorized(status, &body);

    let fresh = insert_api_token(db, id, &["admin:write"], None).await;
    assert_eq!(
        app.call(Method::GET, ME, Some(&fresh), None).await.status(),
        200
    );
    set_disabled(db, id, true).await;
    let (status, body) = status_json(app.call(Method::GET, ME, Some(&fresh), None).await).await;
    assert_unauthorized(status, &body);
}

#[tokio::test]
async fn maintainers_are_authenticated_but_not_admins() {
    let app = TestApp::spawn().await;
    create_user(&app.db.conn, "erin", "pw-erin-123", "maintainer").await;
    let (_, session) = status_json(app.login("erin", "pw-erin-123").await).await;
    let access = session["access_token"].as_str().unwrap();
    let (status, me) = status_json(app.call(Method::GET, ME, Some(access), None).await).await;
    assert_eq!(status, 200);
    assert_eq!(me["role"], "maintainer");
    assert_eq!(me["scopes"], json!([]));
    let (status, body) = status_json(
        app.call(Method::GET, "/api/v1/admin/audit-log", Some(access), None)
            .await,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
}

/// The `.env.example` admin hash is the documented development password.
#[test]
fn env_example_admin_hash_matches_the_documented_password() {
    let example = include_str!("../../.env.example");
    let line = example
        .lines()
        .find(|l| l.starts_with("SKILLDEX_AUTH_ADMIN_PASSWORD_HASH="))
        .expect("an admin hash in .env.example");
    let hash = line.split_once('=').unwrap().1.trim_matches('\'');
    assert!(skilldex_api::auth::password::verify_password(
        "skilldex-dev",
        hash
    ));
    assert!(example.contains("skilldex-dev"));
}

/// Login, refresh and logout share one per-client bucket, apart from registrations: using
/// up one does not lock the client out of the other.
#[tokio::test]
async fn auth_endpoints_have_their_own_rate_limit() {
    let mut http = http_settings();
    http.rate_limit_per_minute = 1;
    http.rate_limit_burst = 1;
    http.auth_rate_limit_per_minute = 1;
    http.auth_rate_limit_burst = 2;
    let app = TestApp::spawn_with(temporal_settings("skilldex-api-tests"), http).await;
    let register = || {
        app.call(
            Method::POST,
            "/api/v1/repositories",
            None,
            Some(json!({ "repository": "not a repository" })),
        )
    };
    assert_eq!(register().await.status(), 400);
    assert_eq!(register().await.status(), 429, "registrations used up");

    let (status, body) = refresh(&app, "sdr_unknown").await;
    assert_unauthorized(status, &body);
    let logout = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({ "refresh_token": "sdr_unknown" })),
        )
        .await;
    assert_eq!(logout.status(), 204);

    let limited = app
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({ "refresh_token": "sdr_unknown" })),
        )
        .await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (55..=60).contains(&retry_after),
        "one token a minute: {retry_after}"
    );
    let (_, body) = status_json(limited).await;
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    let login = app.login("admin", "whatever").await;
    assert_eq!(login.status(), 429, "login shares the auth bucket");
}
