//! `/admin/discovery-sources`: what the scheduled `Discovery` workflow scans. Every change
//! is followed by bringing the Temporal Schedules in step (see [`super::sync_schedules`]).

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait, prelude::Expr,
};
use serde::{Deserialize, Serialize};
use skilldex_core::{
    discovery::{
        DEFAULT_MAX_CONCURRENCY, DiscoveryInput, MAX_CONCURRENCY, concurrency_of,
        discovery_workflow_id,
    },
    sync::RepoName,
    workflows::Discovery,
};
use skilldex_entity::{DiscoveryKind, discovery_sources};
use temporalio_client::WorkflowStartOptions;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ScheduleSync, conflict_on_unique, double_option, sync_schedules};
use crate::{
    AppState,
    audit::{self, Action},
    auth::{AdminRead, AdminWrite},
    error::{ApiError, ErrorEnvelopeDoc},
    extract::{Body, PathParams, QueryParams},
    pagination::{Page, PageParams},
};

/// Shortest schedule interval: discovery pages through GitHub search, which is rate limited.
pub const MIN_INTERVAL_SECS: i32 = 60;
/// Longest schedule interval (30 days).
pub const MAX_INTERVAL_SECS: i32 = 30 * 24 * 3600;
/// GitHub search returns at most 1000 results.
pub const MAX_REPOSITORIES: i32 = 1000;
const MAX_QUERY_LEN: usize = 256;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sources, create_source))
        .routes(routes!(get_source, update_source, delete_source))
        .routes(routes!(run_source))
}

/// A discovery source.
#[derive(Serialize, ToSchema)]
pub struct DiscoverySource {
    pub id: Uuid,
    /// Slug used in workflow and schedule ids (`discovery:{key}`).
    pub key: String,
    /// `topic_search`, `code_search` or `marketplace`.
    pub kind: String,
    /// Search query, or `owner/name` of a marketplace repository.
    pub query: String,
    pub enabled: bool,
    pub interval_seconds: i32,
    pub max_repositories: Option<i32>,
    /// `SyncRepository` children a run keeps going at once (1 to 20).
    pub max_concurrency: i32,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_workflow_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<discovery_sources::Model> for DiscoverySource {
    fn from(m: discovery_sources::Model) -> Self {
        Self {
            id: m.id,
            key: m.key,
            kind: m.kind.as_str().into(),
            query: m.query,
            enabled: m.enabled,
            interval_seconds: m.interval_seconds,
            max_repositories: m.max_repositories,
            max_concurrency: m.max_concurrency,
            last_run_at: m.last_run_at,
            last_workflow_id: m.last_workflow_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A source after a change, with whether the schedules followed.
#[derive(Serialize, ToSchema)]
pub struct DiscoverySourceChanged {
    pub source: DiscoverySource,
    /// `ok`, or `failed` when Temporal could not be reached after the change was saved (the
    /// worker re-syncs schedules when it starts; the next change retries too).
    pub schedule_sync: ScheduleSync,
}

#[derive(Serialize, ToSchema)]
pub struct DiscoverySourceDeleted {
    pub id: Uuid,
    pub schedule_sync: ScheduleSync,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateDiscoverySource {
    /// `^[a-z0-9][a-z0-9_-]*$`, at most 64 characters; cannot change later.
    pub key: String,
    /// `topic_search`, `code_search` or `marketplace`.
    pub kind: String,
    pub query: String,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    pub interval_seconds: i32,
    pub max_repositories: Option<i32>,
    /// 1 to 20; default 4.
    pub max_concurrency: Option<i32>,
}

fn enabled_by_default() -> bool {
    true
}

/// Fields to change; absent fields stay as they are, `max_repositories: null` clears it.
#[derive(Deserialize, ToSchema)]
pub struct UpdateDiscoverySource {
    pub kind: Option<String>,
    pub query: Option<String>,
    pub enabled: Option<bool>,
    pub interval_seconds: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub max_repositories: Option<Option<i32>>,
    /// 1 to 20.
    pub max_concurrency: Option<i32>,
}

/// The run a manual start began.
#[derive(Serialize, ToSchema)]
pub struct DiscoveryRunStarted {
    pub source_id: Uuid,
    /// `discovery:{key}:{unix seconds}`.
    pub workflow_id: String,
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 64
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn parse_kind(kind: &str) -> Result<DiscoveryKind, ApiError> {
    DiscoveryKind::parse(kind).ok_or_else(|| {
        ApiError::bad_field(
            "kind",
            "kind must be `topic_search`, `code_search` or `marketplace`",
        )
    })
}

/// The query as stored: trimmed; `owner/name` for marketplaces.
fn normalize_query(kind: DiscoveryKind, query: &str) -> Result<String, ApiError> {
    let query = query.trim();
    if query.is_empty() || query.len() > MAX_QUERY_LEN {
        return Err(ApiError::bad_field(
            "query",
            format!("query must be 1 to {MAX_QUERY_LEN} bytes"),
        ));
    }
    match kind {
        DiscoveryKind::Marketplace => RepoName::parse(query)
            .map(|repo| repo.full_name())
            .map_err(|e| ApiError::bad_field("query", e.to_string())),
        DiscoveryKind::TopicSearch | DiscoveryKind::CodeSearch => Ok(query.to_string()),
    }
}

fn check_interval(seconds: i32) -> Result<(), ApiError> {
    if (MIN_INTERVAL_SECS..=MAX_INTERVAL_SECS).contains(&seconds) {
        Ok(())
    } else {
        Err(ApiError::bad_field(
            "interval_seconds",
            format!("interval_seconds must be {MIN_INTERVAL_SECS} to {MAX_INTERVAL_SECS}"),
        ))
    }
}

fn check_max(max: Option<i32>) -> Result<(), ApiError> {
    match max {
        Some(m) if !(1..=MAX_REPOSITORIES).contains(&m) => Err(ApiError::bad_field(
            "max_repositories",
            format!("max_repositories must be 1 to {MAX_REPOSITORIES}"),
        )),
        _ => Ok(()),
    }
}

fn check_concurrency(n: i32) -> Result<(), ApiError> {
    let max = MAX_CONCURRENCY as i32;
    if (1..=max).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::bad_field(
            "max_concurrency",
            format!("max_concurrency must be 1 to {max}"),
        ))
    }
}

async fn find(state: &AppState, id: Uuid) -> Result<discovery_sources::Model, ApiError> {
    discovery_sources::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("no such discovery source"))
}

/// Create a discovery source (and its schedule when enabled).
#[utoipa::path(
    post,
    path = "/admin/discovery-sources",
    tag = "admin",
    security(("bearer" = [])),
    request_body = CreateDiscoverySource,
    responses(
        (status = 201, description = "Created", body = DiscoverySourceChanged),
        (status = 400, description = "Invalid field", body = ErrorEnvelopeDoc),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:write` scope", body = ErrorEnvelopeDoc),
        (status = 409, description = "A source with this key exists", body = ErrorEnvelopeDoc),
    )
)]
async fn create_source(
    admin: AdminWrite,
    State(state): State<AppState>,
    Body(body): Body<CreateDiscoverySource>,
) -> Result<(StatusCode, Json<DiscoverySourceChanged>), ApiError> {
    if !valid_key(&body.key) {
        return Err(ApiError::bad_field(
            "key",
            "key must match ^[a-z0-9][a-z0-9_-]*$ and be at most 64 characters",
        ));
    }
    let kind = parse_kind(&body.kind)?;
    let query = normalize_query(kind, &body.query)?;
    check_interval(body.interval_seconds)?;
    check_max(body.max_repositories)?;
    let max_concurrency = body
        .max_concurrency
        .unwrap_or(DEFAULT_MAX_CONCURRENCY as i32);
    check_concurrency(max_concurrency)?;
    let txn = state.db.begin().await?;
    let created = discovery_sources::ActiveModel {
        id: Set(Uuid::now_v7()),
        key: Set(body.key.clone()),
        kind: Set(kind),
        query: Set(query),
        enabled: Set(body.enabled),
        interval_seconds: Set(body.interval_seconds),
        max_repositories: Set(body.max_repositories),
        max_concurrency: Set(max_concurrency),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| conflict_on_unique(e, "a discovery source with this key exists"))?;
    audit::record(
        &txn,
        &admin.principal,
        admin.request_id.as_deref(),
        Action {
            action: "discovery_source.create",
            target_type: "discovery_source",
            target_id: created.id.to_string(),
            details: serde_json::json!({
                "key": created.key, "kind": created.kind.as_str(), "query": created.query,
                "enabled": created.enabled, "interval_seconds": created.interval_seconds,
                "max_repositories": created.max_repositories,
                "max_concurrency": created.max_concurrency,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    let schedule_sync = sync_schedules(&state).await;
    Ok((
        StatusCode::CREATED,
        Json(DiscoverySourceChanged {
            source: created.into(),
            schedule_sync,
        }),
    ))
}

/// One discovery source.
#[utoipa::path(
    get,
    path = "/admin/discovery-sources/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Source id")),
    responses(
        (status = 200, description = "The source", body = DiscoverySource),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:read` scope", body = ErrorEnvelopeDoc),
        (status = 404, description = "No such source", body = ErrorEnvelopeDoc),
    )
)]
async fn get_source(
    _admin: AdminRead,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<DiscoverySource>, ApiError> {
    Ok(Json(find(&state, id).await?.into()))
}

/// Change a discovery source; its schedule follows.
#[utoipa::path(
    patch,
    path = "/admin/discovery-sources/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Source id")),
    request_body = UpdateDiscoverySource,
    responses(
        (status = 200, description = "Changed", body = DiscoverySourceChanged),
        (status = 400, description = "Invalid field", body = ErrorEnvelopeDoc),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:write` scope", body = ErrorEnvelopeDoc),
        (status = 404, description = "No such source", body = ErrorEnvelopeDoc),
    )
)]
async fn update_source(
    admin: AdminWrite,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    Body(body): Body<UpdateDiscoverySource>,
) -> Result<Json<DiscoverySourceChanged>, ApiError> {
    let txn = state.db.begin().await?;
    let current = discovery_sources::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("no such discovery source"))?;
    let kind = match &body.kind {
        Some(kind) => parse_kind(kind)?,
        None => current.kind,
    };
    let query = normalize_query(kind, body.query.as_deref().unwrap_or(&current.query))?;
    if let Some(seconds) = body.interval_seconds {
        check_interval(seconds)?;
    }
    if let Some(max) = body.max_repositories {
        check_max(max)?;
    }
    if let Some(n) = body.max_concurrency {
        check_concurrency(n)?;
    }
    let mut changed: discovery_sources::ActiveModel = current.into();
    changed.kind = Set(kind);
    changed.query = Set(query);
    if let Some(enabled) = body.enabled {
        changed.enabled = Set(enabled);
    }
    if let Some(seconds) = body.interval_seconds {
        changed.interval_seconds = Set(seconds);
    }
    if let Some(max) = body.max_repositories {
        changed.max_repositories = Set(max);
    }
    if let Some(n) = body.max_concurrency {
        changed.max_concurrency = Set(n);
    }
    let updated = changed.update(&txn).await?;
    audit::record(
        &txn,
        &admin.principal,
        admin.request_id.as_deref(),
        Action {
            action: "discovery_source.update",
            target_type: "discovery_source",
            target_id: id.to_string(),
            details: serde_json::json!({
                "key": updated.key, "kind": updated.kind.as_str(), "query": updated.query,
                "enabled": updated.enabled, "interval_seconds": updated.interval_seconds,
                "max_repositories": updated.max_repositories,
                "max_concurrency": updated.max_concurrency,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    let schedule_sync = sync_schedules(&state).await;
    Ok(Json(DiscoverySourceChanged {
        source: updated.into(),
        schedule_sync,
    }))
}

/// Delete a discovery source; its schedule is deleted too.
#[utoipa::path(
    delete,
    path = "/admin/discovery-sources/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Source id")),
    responses(
        (status = 200, description = "Deleted", body = DiscoverySourceDeleted),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:write` scope", body = ErrorEnvelopeDoc),
        (status = 404, description = "No such source", body = ErrorEnvelopeDoc),
    )
)]
async fn delete_source(
    admin: AdminWrite,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<DiscoverySourceDeleted>, ApiError> {
    let txn = state.db.begin().await?;
    let current = discovery_sources::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("no such discovery source"))?;
    discovery_sources::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &admin.principal,
        admin.request_id.as_deref(),
        Action {
            action: "discovery_source.delete",
            target_type: "discovery_source",
            target_id: id.to_string(),
            details: serde_json::json!({ "key": current.key }),
        },
    )
    .await?;
    txn.commit().await?;
    let schedule_sync = sync_schedules(&state).await;
    Ok(Json(DiscoverySourceDeleted { id, schedule_sync }))
}

/// Start a `Discovery` run of this source now, outside its schedule.
#[utoipa::path(
    post,
    path = "/admin/discovery-sources/{id}/run",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Source id")),
    responses(
        (status = 202, description = "Run started", body = DiscoveryRunStarted),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:write` scope", body = ErrorEnvelopeDoc),
        (status = 404, description = "No such source", body = ErrorEnvelopeDoc),
        (status = 409, description = "A run started this same second is still running", body = ErrorEnvelopeDoc),
        (status = 503, description = "Temporal is unavailable", body = ErrorEnvelopeDoc),
    )
)]
async fn run_source(
    admin: AdminWrite,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> Result<(StatusCode, Json<DiscoveryRunStarted>), ApiError> {
    let source = find(&state, id).await?;
    let kind = skilldex_core::discovery::DiscoveryKind::parse(source.kind.as_str())
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown discovery kind")))?;
    let input = DiscoveryInput {
        source_key: source.key.clone(),
        kind,
        query: source.query.clone(),
        max_repositories: source.max_repositories.and_then(|m| u32::try_from(m).ok()),
        max_concurrency: concurrency_of(source.max_concurrency),
        trigger: skilldex_core::sync::SyncTrigger::Admin,
    };
    let workflow_id = discovery_workflow_id(&source.key, Utc::now().timestamp());
    let client = state.temporal.client().await.map_err(|e| {
        tracing::warn!(error = %e, "Temporal unreachable");
        ApiError::Unavailable {
            dependency: "temporal",
        }
    })?;
    let options = WorkflowStartOptions::new(
        state.temporal.settings().task_queue.clone(),
        workflow_id.clone(),
    )
    .build();
    match client.start_workflow(Discovery, input, options).await {
        Ok(_) => {}
        Err(temporalio_client::errors::WorkflowStartError::AlreadyStarted { .. }) => {
            return Err(ApiError::Conflict {
                message: "a run of this source started this second is still running".into(),
            });
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not start a discovery run");
            return Err(ApiError::Unavailable {
                dependency: "temporal",
            });
        }
    }
    let txn = state.db.begin().await?;
    discovery_sources::Entity::update_many()
        .col_expr(
            discovery_sources::Column::LastRunAt,
            Expr::current_timestamp(),
        )
        .col_expr(
            discovery_sources::Column::LastWorkflowId,
            Expr::value(workflow_id.clone()),
        )
        .filter(discovery_sources::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &admin.principal,
        admin.request_id.as_deref(),
        Action {
            action: "discovery_source.run",
            target_type: "discovery_source",
            target_id: id.to_string(),
            details: serde_json::json!({ "key": source.key, "workflow_id": workflow_id }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(DiscoveryRunStarted {
            source_id: id,
            workflow_id,
        }),
    ))
}

/// Discovery sources, by key.
#[utoipa::path(
    get,
    path = "/admin/discovery-sources",
    tag = "admin",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "One page of sources", body = Page<DiscoverySource>),
        (status = 400, description = "Bad limit or cursor", body = ErrorEnvelopeDoc),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:read` scope", body = ErrorEnvelopeDoc),
    )
)]
async fn list_sources(
    _admin: AdminRead,
    State(state): State<AppState>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Json<Page<DiscoverySource>>, ApiError> {
    let limit = page.limit()?;
    let mut query = discovery_sources::Entity::find()
        .order_by_asc(discovery_sources::Column::Key)
        .limit(u64::from(limit) + 1);
    // Keys are unique, so the key alone is a stable position.
    if let Some(after) = page.cursor::<String>()? {
        query = query.filter(discovery_sources::Column::Key.gt(after));
    }
    let rows = query.all(&state.db).await?;
    let items = rows.into_iter().map(DiscoverySource::from).collect();
    Ok(Json(Page::from_rows(
        items,
        limit,
        |s: &DiscoverySource| s.key.clone(),
    )))
}
