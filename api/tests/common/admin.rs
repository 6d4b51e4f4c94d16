//! Accounts and credentials for the auth, admin and registration tests.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version, password_hash::SaltString};
use chrono::{DateTime, Utc};
use reqwest::{Method, Response};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value as DbValue};
use serde_json::Value;
use skilldex_api::auth::secret;
use uuid::Uuid;

use super::TestApp;

/// A PHC hash with tiny argon2 costs: tests create many users, and the verifier reads the
/// costs from the hash, so logins stay fast too.
pub fn cheap_hash(password: &str) -> String {
    let params = Params::new(8, 1, 1, None).expect("argon2 params");
    let salt = SaltString::encode_b64(b"skilldex-test-salt").expect("salt");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

pub async fn create_user(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
    role: &str,
) -> Uuid {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) RETURNING id",
            [username.into(), cheap_hash(password).into(), role.into()],
        ))
        .await
        .expect("insert user")
        .expect("user row");
    row.try_get("", "id").expect("user id")
}

pub async fn set_disabled(db: &DatabaseConnection, user_id: Uuid, disabled: bool) {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE users SET disabled = $2 WHERE id = $1",
        [user_id.into(), disabled.into()],
    ))
    .await
    .expect("update user");
}

/// Stores an API token for `user_id` the way the api does and returns the secret.
pub async fn insert_api_token(
    db: &DatabaseConnection,
    user_id: Uuid,
    scopes: &[&str],
    expires_at: Option<DateTime<Utc>>,
) -> String {
    let token = secret::generate(secret::API_TOKEN_PREFIX);
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO api_tokens (user_id, name, token_prefix, token_hash, scopes, expires_at) \
         VALUES ($1, 'test', $2, $3, $4, $5)",
        [
            user_id.into(),
            token[..12].to_string().into(),
            secret::hash(&token).into(),
            serde_json::json!(scopes).into(),
            DbValue::from(expires_at),
        ],
    ))
    .await
    .expect("insert token");
    token
}

impl TestApp {
    /// Sends a JSON request with optional bearer credentials.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request reaches the api")
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({ "username": username, "password": password })),
        )
        .await
    }

    /// Creates an admin account and returns an access token of a fresh session.
    pub async fn admin_session(&self, username: &str) -> (Uuid, String) {
        let id = create_user(&self.db.conn, username, "admin-password", "admin").await;
        let response = self.login(username, "admin-password").await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("session json");
        let token = body["access_token"]
            .as_str()
            .expect("access token")
            .to_string();
        (id, token)
    }
}

/// Status and JSON body (`Null` when the body is empty).
pub async fn status_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, body)
}
