//! Authentication and authorization of admin requests.
//!
//! Two kinds of bearer credentials are accepted on `Authorization: Bearer …`:
//! - access JWTs (HS256, short-lived) from `POST /auth/login` or `/auth/refresh`; they carry
//!   the user's role, and an admin's session may do everything (`admin:read` and
//!   `admin:write`);
//! - API tokens `sdx_…`, stored as a sha256 hash, limited to the scopes they were created
//!   with, optionally expiring, revocable.
//!
//! Either way the user is loaded on every request, so disabling a user or revoking a token
//! takes effect at once. Missing or invalid credentials answer 401 with
//! `WWW-Authenticate: Bearer`; valid ones without the role or scope a route needs, 403.

pub mod jwt;
pub mod password;
pub mod secret;
pub mod session;

use std::time::Duration;

use axum::{extract::FromRequestParts, http::request::Parts};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Statement};
use serde::Serialize;
use skilldex_entity::{UserRole, users};
use uuid::Uuid;

use crate::{AppState, error::ApiError};

/// Scope of API tokens allowing the admin reads (`GET /admin/...`).
pub const SCOPE_ADMIN_READ: &str = "admin:read";
/// Scope of API tokens allowing admin writes; it implies `admin:read`.
pub const SCOPE_ADMIN_WRITE: &str = "admin:write";
/// Every scope a token may be created with.
pub const SCOPES: &[&str] = &[SCOPE_ADMIN_READ, SCOPE_ADMIN_WRITE];

/// `last_used_at` of an API token is written at most this often, so busy tokens do not
/// turn every request into a write.
const LAST_USED_GRANULARITY: Duration = Duration::from_secs(60);

/// How the request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Jwt,
    Token,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub username: String,
    pub role: UserRole,
    pub via: Via,
    /// What the caller may do: the token's scopes, or every scope for an admin's session.
    pub scopes: Vec<String>,
    /// The API token used, if any.
    pub token_id: Option<Uuid>,
}

impl Principal {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
            || (scope == SCOPE_ADMIN_READ && self.scopes.iter().any(|s| s == SCOPE_ADMIN_WRITE))
    }
}

/// Scopes an access JWT grants: a session can do what its role can.
pub fn session_scopes(role: UserRole) -> Vec<String> {
    match role {
        UserRole::Admin => SCOPES.iter().map(|s| s.to_string()).collect(),
        UserRole::Maintainer => Vec::new(),
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::Unauthorized {
        message: message.into(),
    }
}

/// The bearer credential of the request; 401 when absent or not a bearer credential.
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("missing bearer credentials"))?
        .to_str()
        .map_err(|_| unauthorized("malformed Authorization header"))?;
    let (scheme, credential) = value
        .split_once(' ')
        .ok_or_else(|| unauthorized("malformed Authorization header"))?;
    let credential = credential.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || credential.is_empty() {
        return Err(unauthorized("expected `Authorization: Bearer <token>`"));
    }
    Ok(credential)
}

/// Resolves a bearer credential to its principal; 401 for anything not currently valid.
pub async fn authenticate(state: &AppState, credential: &str) -> Result<Principal, ApiError> {
    if credential.starts_with(secret::API_TOKEN_PREFIX) {
        authenticate_api_token(&state.db, credential).await
    } else {
        let claims = jwt::verify(&state.settings.auth.jwt_secret, credential)
            .ok_or_else(|| unauthorized("invalid or expired access token"))?;
        let user = users::Entity::find_by_id(claims.sub)
            .one(&state.db)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| unauthorized("invalid or expired access token"))?;
        Ok(Principal {
            user_id: user.id,
            username: user.username,
            role: user.role,
            via: Via::Jwt,
            scopes: session_scopes(user.role),
            token_id: None,
        })
    }
}

async fn authenticate_api_token(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Principal, ApiError> {
    let invalid = || unauthorized("invalid, expired or revoked API token");
    let hash = secret::hash(token);
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT t.id, t.token_hash, t.scopes, u.id AS user_id, u.username, u.role, \
                    (t.last_used_at IS NULL OR t.last_used_at < now() - make_interval(secs => $2)) \
                        AS stale \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
               AND (t.expires_at IS NULL OR t.expires_at > now()) AND NOT u.disabled",
            [
                hash.clone().into(),
                (LAST_USED_GRANULARITY.as_secs() as f64).into(),
            ],
        ))
        .await?
        .ok_or_else(invalid)?;
    let stored: String = row.try_get("", "token_hash")?;
    // The index lookup already matched; comparing again in constant time keeps the final
    // decision independent of how the database compared.
    if !secret::constant_time_eq(stored.as_bytes(), hash.as_bytes()) {
        return Err(invalid());
    }
    let token_id: Uuid = row.try_get("", "id")?;
    let scopes: serde_json::Value = row.try_get("", "scopes")?;
    let role: String = row.try_get("", "role")?;
    let stale: bool = row.try_get("", "stale")?;
    if stale {
        touch_last_used(db.clone(), token_id);
    }
    Ok(Principal {
        user_id: row.try_get("", "user_id")?,
        username: row.try_get("", "username")?,
        role: UserRole::parse(&role).ok_or_else(invalid)?,
        via: Via::Token,
        scopes: scopes
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        token_id: Some(token_id),
    })
}

/// Records the use of a token in the background: the request does not wait for the write.
fn touch_last_used(db: DatabaseConnection, token_id: Uuid) {
    tokio::spawn(async move {
        let result = db
            .execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "UPDATE api_tokens SET last_used_at = now() WHERE id = $1",
                [token_id.into()],
            ))
            .await;
        if let Err(e) = result {
            tracing::warn!(%token_id, error = %e, "could not record the API token's last use");
        }
    });
}

/// The request id set by the request-id layer (`x-request-id`), for the audit log.
fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Any authenticated user (`GET /auth/me`).
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let credential = bearer(parts)?;
        authenticate(state, credential).await.map(Self)
    }
}

/// An admin allowed to read (`WRITE = false`, scope `admin:read`) or write (`WRITE = true`,
/// scope `admin:write`) admin resources. Carries the request id for the audit log.
#[derive(Debug, Clone)]
pub struct Admin<const WRITE: bool> {
    pub principal: Principal,
    pub request_id: Option<String>,
}

/// Admin reads.
pub type AdminRead = Admin<false>;
/// Admin writes.
pub type AdminWrite = Admin<true>;

impl<const WRITE: bool> FromRequestParts<AppState> for Admin<WRITE> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let credential = bearer(parts)?;
        let principal = authenticate(state, credential).await?;
        if principal.role != UserRole::Admin {
            return Err(ApiError::Forbidden {
                message: "this requires the admin role".into(),
            });
        }
        let scope = if WRITE {
            SCOPE_ADMIN_WRITE
        } else {
            SCOPE_ADMIN_READ
        };
        if !principal.has_scope(scope) {
            return Err(ApiError::Forbidden {
                message: format!("this requires the `{scope}` scope"),
            });
        }
        Ok(Self {
            principal,
            request_id: request_id(parts),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(scopes: &[&str]) -> Principal {
        Principal {
            user_id: Uuid::nil(),
            username: "a".into(),
            role: UserRole::Admin,
            via: Via::Token,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            token_id: None,
        }
    }

    #[test]
    fn write_implies_read() {
        assert!(principal(&[SCOPE_ADMIN_WRITE]).has_scope(SCOPE_ADMIN_READ));
        assert!(!principal(&[SCOPE_ADMIN_READ]).has_scope(SCOPE_ADMIN_WRITE));
        assert!(!principal(&[]).has_scope(SCOPE_ADMIN_READ));
        assert_eq!(session_scopes(UserRole::Admin).len(), 2);
        assert!(session_scopes(UserRole::Maintainer).is_empty());
    }
}
