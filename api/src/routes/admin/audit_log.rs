//! `GET /admin/audit-log`: the record of admin actions, newest first.

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use skilldex_entity::audit_log;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    AppState,
    auth::AdminRead,
    error::{ApiError, ErrorEnvelopeDoc},
    extract::QueryParams,
    pagination::{Page, PageParams},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_log))
}

/// Filters of the audit log; all optional, combined with AND.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Username of the actor (case-insensitive).
    pub actor: Option<String>,
    /// Exact action, e.g. `blacklist.add`.
    pub action: Option<String>,
    /// Exact target type, e.g. `skill_version`.
    pub target_type: Option<String>,
}

/// One admin action.
#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// Username of the actor at the time.
    pub actor: Option<String>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: Value,
    /// `x-request-id` of the request that did it.
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(m: audit_log::Model) -> Self {
        Self {
            id: m.id,
            actor: m.actor_name,
            actor_id: m.actor_user_id,
            action: m.action,
            target_type: m.target_type,
            target_id: m.target_id,
            details: m.details,
            request_id: m.request_id,
            at: m.created_at,
        }
    }
}

/// Admin actions, newest first.
#[utoipa::path(
    get,
    path = "/admin/audit-log",
    tag = "admin",
    security(("bearer" = [])),
    params(AuditFilter, PageParams),
    responses(
        (status = 200, description = "One page of entries", body = Page<AuditEntry>),
        (status = 400, description = "Bad limit or cursor", body = ErrorEnvelopeDoc),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:read` scope", body = ErrorEnvelopeDoc),
    )
)]
async fn list_audit_log(
    _admin: AdminRead,
    State(state): State<AppState>,
    QueryParams(filter): QueryParams<AuditFilter>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let limit = page.limit()?;
    let mut condition = Condition::all();
    if let Some(actor) = filter.actor.filter(|a| !a.is_empty()) {
        condition = condition
            .add(Func::lower(Expr::col(audit_log::Column::ActorName)).eq(actor.to_lowercase()));
    }
    if let Some(action) = filter.action.filter(|a| !a.is_empty()) {
        condition = condition.add(audit_log::Column::Action.eq(action));
    }
    if let Some(target_type) = filter.target_type.filter(|t| !t.is_empty()) {
        condition = condition.add(audit_log::Column::TargetType.eq(target_type));
    }
    // Ids grow with time (identity column), so the id alone orders and positions.
    if let Some(before) = page.cursor::<i64>()? {
        condition = condition.add(audit_log::Column::Id.lt(before));
    }
    let rows = audit_log::Entity::find()
        .filter(condition)
        .order_by_desc(audit_log::Column::Id)
        .limit(u64::from(limit) + 1)
        .all(&state.db)
        .await?;
    let items = rows.into_iter().map(AuditEntry::from).collect();
    Ok(Json(Page::from_rows(items, limit, |e: &AuditEntry| e.id)))
}
