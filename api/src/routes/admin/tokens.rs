//! `/admin/tokens`: API tokens (`sdx_…`). A token is shown once, when created; only its
//! sha256 and first characters are stored.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, QueryResult, Statement, TransactionTrait, Value as DbValue};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    AppState,
    audit::{self, Action},
    auth::{AdminRead, AdminWrite, SCOPES, secret},
    error::{ApiError, ErrorEnvelopeDoc},
    extract::{Body, PathParams, QueryParams},
    pagination::{Page, PageParams},
};

const MAX_NAME_LEN: usize = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateToken {
    /// What the token is for, e.g. `ci-discovery`.
    pub name: String,
    /// `admin:read` and/or `admin:write` (which implies `admin:read`).
    pub scopes: Vec<String>,
    /// When the token stops working; never when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new token; `token` is shown only in this answer.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: Uuid,
    pub name: String,
    #[schema(example = "sdx_0123…")]
    pub token: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token as listed: never the secret, only its first characters.
#[derive(Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    /// `sdx_` and the next 8 characters of the token.
    pub prefix: String,
    pub scopes: Vec<String>,
    /// Username of the owner.
    pub user: String,
    pub created_at: DateTime<Utc>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn validate(body: &CreateToken) -> Result<Vec<String>, ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(ApiError::bad_field(
            "name",
            format!("name must be 1 to {MAX_NAME_LEN} characters"),
        ));
    }
    if body.scopes.is_empty() {
        return Err(ApiError::bad_field(
            "scopes",
            "at least one scope is needed",
        ));
    }
    let mut scopes = Vec::new();
    for scope in &body.scopes {
        if !SCOPES.contains(&scope.as_str()) {
            return Err(ApiError::bad_field(
                "scopes",
                format!("unknown scope `{scope}` (known: {})", SCOPES.join(", ")),
            ));
        }
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    if body.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(ApiError::bad_field(
            "expires_at",
            "expires_at is in the past",
        ));
    }
    Ok(scopes)
}

/// Create an API token for the calling user.
#[utoipa::path(
    post,
    path = "/admin/tokens",
    tag = "admin",
    security(("bearer" = [])),
    request_body = CreateToken,
    responses(
        (status = 201, description = "Created; the token is shown only now", body = CreatedToken),
        (status = 400, description = "Invalid name, scopes or expiry", body = ErrorEnvelopeDoc),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:write` scope", body = ErrorEnvelopeDoc),
    )
)]
async fn create_token(
    admin: AdminWrite,
    State(state): State<AppState>,
    Body(body): Body<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let scopes = validate(&body)?;
    let name = body.name.trim().to_string();
    let token = secret::generate(secret::API_TOKEN_PREFIX);
    let txn = state.db.begin().await?;
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "INSERT INTO api_tokens (user_id, name, token_prefix, token_hash, scopes, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            [
                admin.principal.user_id.into(),
                name.clone().into(),
                token[..secret::SHOWN_PREFIX_LEN].to_string().into(),
                secret::hash(&token).into(),
                serde_json::json!(scopes).into(),
                DbValue::from(body.expires_at),
            ],
        ))
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("token insert returned no row")))?;
    let id: Uuid = row.try_get("", "id")?;
    audit::record(
        &txn,
        &admin.principal,
        admin.request_id.as_deref(),
        Action {
            action: "api_token.create",
            target_type: "api_token",
            target_id: id.to_string(),
            details: serde_json::json!({
                "name": name, "scopes": scopes, "expires_at": body.expires_at,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id,
            name,
            token,
            scopes,
            expires_at: body.expires_at,
        }),
    ))
}

/// Revoke an API token (idempotent).
#[utoipa::path(
    delete,
    path = "/admin/tokens/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:write` scope", body = ErrorEnvelopeDoc),
        (status = 404, description = "No such token", body = ErrorEnvelopeDoc),
    )
)]
async fn revoke_token(
    admin: AdminWrite,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> Result<StatusCode, ApiError> {
    let txn = state.db.begin().await?;
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 \
             RETURNING name",
            [id.into()],
        ))
        .await?
        .ok_or_else(|| ApiError::not_found("no such API token"))?;
    let name: String = row.try_get("", "name")?;
    audit::record(
        &txn,
        &admin.principal,
        admin.request_id.as_deref(),
        Action {
            action: "api_token.revoke",
            target_type: "api_token",
            target_id: id.to_string(),
            details: serde_json::json!({ "name": name }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

fn token_info(row: &QueryResult) -> Result<TokenInfo, sea_orm::DbErr> {
    let scopes: serde_json::Value = row.try_get("", "scopes")?;
    Ok(TokenInfo {
        id: row.try_get("", "id")?,
        name: row.try_get("", "name")?,
        prefix: row.try_get("", "token_prefix")?,
        scopes: serde_json::from_value(scopes).unwrap_or_default(),
        user: row.try_get("", "username")?,
        created_at: row.try_get("", "created_at")?,
        last_used_at: row.try_get("", "last_used_at")?,
        expires_at: row.try_get("", "expires_at")?,
        revoked_at: row.try_get("", "revoked_at")?,
    })
}

/// API tokens of every user, newest first, revoked and expired ones included.
#[utoipa::path(
    get,
    path = "/admin/tokens",
    tag = "admin",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "One page of tokens", body = Page<TokenInfo>),
        (status = 400, description = "Bad limit or cursor", body = ErrorEnvelopeDoc),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:read` scope", body = ErrorEnvelopeDoc),
    )
)]
async fn list_tokens(
    _admin: AdminRead,
    State(state): State<AppState>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Json<Page<TokenInfo>>, ApiError> {
    let limit = page.limit()?;
    let cursor: Option<(DateTime<Utc>, Uuid)> = page.cursor()?;
    let (after_time, after_id) = cursor.unzip();
    let rows = state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            state.db.get_database_backend(),
            "SELECT t.id, t.name, t.token_prefix, t.scopes, u.username, t.created_at, \
                    t.last_used_at, t.expires_at, t.revoked_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE $1::timestamptz IS NULL OR (t.created_at, t.id) < ($1, $2::uuid) \
             ORDER BY t.created_at DESC, t.id DESC LIMIT $3",
            [
                DbValue::from(after_time),
                DbValue::from(after_id),
                i64::from(limit + 1).into(),
            ],
        ))
        .await?;
    let items = rows.iter().map(token_info).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Page::from_rows(items, limit, |t| {
        (t.created_at, t.id)
    })))
}
