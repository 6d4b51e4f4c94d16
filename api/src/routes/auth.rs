//! `/auth`: admin login, token refresh, logout and identity.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    AppState,
    auth::{
        Authenticated, Via,
        session::{self, Session},
    },
    error::{ApiError, ErrorEnvelopeDoc},
    extract::Body,
    rate_limit::{Auth, RateLimited},
};

/// Longest accepted password; argon2 would take anything, the cap keeps requests cheap.
const MAX_PASSWORD_LEN: usize = 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionUser {
    pub id: Uuid,
    pub username: String,
    /// `admin` or `maintainer`.
    pub role: String,
}

/// Tokens of a session.
#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    /// Access JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
    /// Single-use token for `POST /auth/refresh`; each refresh returns a new one.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub user: SessionUser,
}

impl From<Session> for SessionResponse {
    fn from(session: Session) -> Self {
        Self {
            access_token: session.access_token,
            expires_in: session.expires_in,
            refresh_token: session.refresh_token,
            token_type: "Bearer".into(),
            user: SessionUser {
                id: session.user.id,
                username: session.user.username,
                role: session.user.role.as_str().into(),
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub username: String,
    pub role: String,
    /// `jwt` for a login session, `token` for an API token.
    pub via: Via,
    pub scopes: Vec<String>,
}

/// Log in with a username and password.
///
/// Rate limited per client IP, in one bucket with refresh and logout.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = SessionResponse),
        (status = 400, description = "Malformed body", body = ErrorEnvelopeDoc),
        (status = 401, description = "Wrong username or password, or user disabled", body = ErrorEnvelopeDoc),
        (status = 429, description = "Too many auth requests from this client", body = ErrorEnvelopeDoc),
    )
)]
async fn login(
    _limit: RateLimited<Auth>,
    State(state): State<AppState>,
    Body(body): Body<LoginRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    if body.password.len() > MAX_PASSWORD_LEN || body.username.len() > 64 {
        return Err(ApiError::Unauthorized {
            message: "invalid username or password".into(),
        });
    }
    let session = session::login(
        &state.db,
        &state.settings.auth,
        &body.username,
        &body.password,
    )
    .await?;
    Ok(Json(session.into()))
}

/// Exchange a refresh token for a new access token and a new refresh token.
///
/// The presented token is used up; presenting it again revokes the whole session. Rate
/// limited per client IP with login and logout.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = SessionResponse),
        (status = 400, description = "Malformed body", body = ErrorEnvelopeDoc),
        (status = 401, description = "Invalid, expired, used or revoked refresh token", body = ErrorEnvelopeDoc),
        (status = 429, description = "Too many auth requests from this client", body = ErrorEnvelopeDoc),
    )
)]
async fn refresh(
    _limit: RateLimited<Auth>,
    State(state): State<AppState>,
    Body(body): Body<RefreshRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    let session = session::refresh(&state.db, &state.settings.auth, &body.refresh_token).await?;
    Ok(Json(session.into()))
}

/// End the session of a refresh token (idempotent).
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Session ended (or there was none)"),
        (status = 400, description = "Malformed body", body = ErrorEnvelopeDoc),
        (status = 429, description = "Too many auth requests from this client", body = ErrorEnvelopeDoc),
    )
)]
async fn logout(
    _limit: RateLimited<Auth>,
    State(state): State<AppState>,
    Body(body): Body<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    session::logout(&state.db, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the credentials belong to.
#[utoipa::path(
    get,
    path = "/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The authenticated user", body = Me),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
    )
)]
async fn me(Authenticated(principal): Authenticated) -> Json<Me> {
    Json(Me {
        id: principal.user_id,
        username: principal.username,
        role: principal.role.as_str().into(),
        via: principal.via,
        scopes: principal.scopes,
    })
}
