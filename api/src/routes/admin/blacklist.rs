//! `/admin/blacklist`: owners or repositories the registry never indexes. The public reads
//! filter on this table, so adding an entry hides the skills at once; removing it shows them
//! again (they were never deleted).

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use skilldex_core::sync::RepoName;
use skilldex_entity::blacklist;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::conflict_on_unique;
use crate::{
    AppState,
    audit::{self, Action},
    auth::{AdminRead, AdminWrite},
    error::{ApiError, ErrorEnvelopeDoc},
    extract::{Body, PathParams, QueryParams},
    pagination::{Page, PageParams},
};

const MAX_REASON_LEN: usize = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_blacklist, add_entry))
        .routes(routes!(remove_entry))
}

#[derive(Serialize, ToSchema)]
pub struct BlacklistEntry {
    pub id: Uuid,
    pub owner: String,
    /// `null`: every repository of `owner`.
    pub repo: Option<String>,
    pub reason: Option<String>,
    /// Username of the admin who added it.
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<blacklist::Model> for BlacklistEntry {
    fn from(m: blacklist::Model) -> Self {
        Self {
            id: m.id,
            owner: m.owner,
            repo: m.repo,
            reason: m.reason,
            created_by: m.created_by,
            created_at: m.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct AddBlacklistEntry {
    /// GitHub owner (user or organisation).
    pub owner: String,
    /// One repository of `owner`; absent or `null` blocks the whole owner.
    pub repo: Option<String>,
    pub reason: Option<String>,
}

/// Block an owner or a repository; its skills disappear from every public read.
#[utoipa::path(
    post,
    path = "/admin/blacklist",
    tag = "admin",
    security(("bearer" = [])),
    request_body = AddBlacklistEntry,
    responses(
        (status = 201, description = "Added", body = BlacklistEntry),
        (status = 400, description = "Invalid owner or repository name", body = ErrorEnvelopeDoc),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:write` scope", body = ErrorEnvelopeDoc),
        (status = 409, description = "Already blacklisted", body = ErrorEnvelopeDoc),
    )
)]
async fn add_entry(
    admin: AdminWrite,
    State(state): State<AppState>,
    Body(body): Body<AddBlacklistEntry>,
) -> Result<(StatusCode, Json<BlacklistEntry>), ApiError> {
    let owner = body.owner.trim();
    let repo = body
        .repo
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    // The names must be ones GitHub allows; a placeholder repository checks a lone owner.
    if let Err(e) = RepoName::new(owner, repo.unwrap_or("x")) {
        let field = if RepoName::new(owner, "x").is_err() {
            "owner"
        } else {
            "repo"
        };
        return Err(ApiError::bad_field(field, e.to_string()));
    }
    let reason = body
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_LEN) {
        return Err(ApiError::bad_field(
            "reason",
            format!("reason must be at most {MAX_REASON_LEN} characters"),
        ));
    }
    let txn = state.db.begin().await?;
    let entry = blacklist::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner: Set(owner.to_string()),
        repo: Set(repo.map(str::to_owned)),
        reason: Set(reason.map(str::to_owned)),
        created_by: Set(Some(admin.principal.username.clone())),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| conflict_on_unique(e, "already blacklisted"))?;
    audit::record(
        &txn,
        &admin.principal,
        admin.request_id.as_deref(),
        Action {
            action: "blacklist.add",
            target_type: "blacklist",
            target_id: entry.id.to_string(),
            details: serde_json::json!({
                "owner": entry.owner, "repo": entry.repo, "reason": entry.reason,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

/// Unblock; the skills of the owner or repository are visible again.
#[utoipa::path(
    delete,
    path = "/admin/blacklist/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Blacklist entry id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:write` scope", body = ErrorEnvelopeDoc),
        (status = 404, description = "No such entry", body = ErrorEnvelopeDoc),
    )
)]
async fn remove_entry(
    admin: AdminWrite,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> Result<StatusCode, ApiError> {
    let txn = state.db.begin().await?;
    let entry = blacklist::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("no such blacklist entry"))?;
    blacklist::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        &admin.principal,
        admin.request_id.as_deref(),
        Action {
            action: "blacklist.remove",
            target_type: "blacklist",
            target_id: id.to_string(),
            details: serde_json::json!({ "owner": entry.owner, "repo": entry.repo }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Blacklist entries, newest first.
#[utoipa::path(
    get,
    path = "/admin/blacklist",
    tag = "admin",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "One page of entries", body = Page<BlacklistEntry>),
        (status = 400, description = "Bad limit or cursor", body = ErrorEnvelopeDoc),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:read` scope", body = ErrorEnvelopeDoc),
    )
)]
async fn list_blacklist(
    _admin: AdminRead,
    State(state): State<AppState>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Json<Page<BlacklistEntry>>, ApiError> {
    let limit = page.limit()?;
    let mut query = blacklist::Entity::find()
        .order_by_desc(blacklist::Column::CreatedAt)
        .order_by_desc(blacklist::Column::Id)
        .limit(u64::from(limit) + 1);
    if let Some((created_at, id)) = page.cursor::<(DateTime<Utc>, Uuid)>()? {
        query = query.filter(
            Expr::tuple([
                Expr::col(blacklist::Column::CreatedAt),
                Expr::col(blacklist::Column::Id),
            ])
            .lt(Expr::tuple([Expr::val(created_at), Expr::val(id)])),
        );
    }
    let rows = query.all(&state.db).await?;
    let items = rows.into_iter().map(BlacklistEntry::from).collect();
    Ok(Json(Page::from_rows(items, limit, |e: &BlacklistEntry| {
        (e.created_at, e.id)
    })))
}
