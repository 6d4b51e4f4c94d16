//! Admin actions on indexed content: resync a repository, yank or unyank a skill version.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, Statement, TransactionTrait, Value as DbValue,
};
use serde::{Deserialize, Serialize};
use skilldex_core::sync::{RepoName, SyncTrigger};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    AppState,
    audit::{self, Action},
    auth::AdminWrite,
    error::{ApiError, ErrorEnvelopeDoc},
    extract::{Body, PathParams, QueryParams},
    routes::{
        address::{Audience, SkillAddress, find_skill_row},
        registrations::{RegistrationAccepted, start_registration},
    },
};

const MAX_REASON_LEN: usize = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(resync))
        .routes(routes!(yank))
        .routes(routes!(unyank))
}

/// Resync the repository even when its HEAD is already indexed.
///
/// Records a registration with trigger `admin` and starts a forced `SyncRepository`; when
/// a sync of the repository is already running, answers with its registration
/// (`existing: true`) and that run is not forced.
#[utoipa::path(
    post,
    path = "/admin/repositories/{owner}/{repo}/resync",
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("owner" = String, Path, description = "GitHub owner"),
        ("repo" = String, Path, description = "GitHub repository"),
    ),
    responses(
        (status = 202, description = "Sync started or joined", body = RegistrationAccepted),
        (status = 400, description = "Invalid owner or repository name", body = ErrorEnvelopeDoc),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, no `admin:write` scope, or blacklisted", body = ErrorEnvelopeDoc),
        (status = 503, description = "Temporal is unavailable", body = ErrorEnvelopeDoc),
    )
)]
async fn resync(
    admin: AdminWrite,
    State(state): State<AppState>,
    PathParams((owner, repo)): PathParams<(String, String)>,
) -> Result<(StatusCode, Json<RegistrationAccepted>), ApiError> {
    let repo = RepoName::new(owner, repo).map_err(|e| ApiError::BadRequest {
        message: e.to_string(),
        details: None,
    })?;
    let registration = start_registration(
        &state,
        &repo,
        SyncTrigger::Admin,
        Some(&admin.principal.username),
        true,
    )
    .await?;
    // The registration commits inside `register`; the audit record follows it.
    audit::record(
        &state.db,
        &admin.principal,
        admin.request_id.as_deref(),
        Action {
            action: "repository.resync",
            target_type: "repository",
            target_id: repo.full_name(),
            details: serde_json::json!({
                "registration_id": registration.id,
                "workflow_id": registration.workflow_id,
                "existing": registration.existing,
            }),
        },
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RegistrationAccepted::new(registration, &repo)),
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct SkillPathQuery {
    /// Folder of the skill in its repository, when two skills share a name.
    pub path: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct YankRequest {
    /// Why; shown to clients downloading the version.
    pub reason: String,
}

/// A version after a yank or unyank.
#[derive(Serialize, ToSchema)]
pub struct YankedVersion {
    pub content_hash: String,
    pub commit_sha: String,
    pub published_at: DateTime<Utc>,
    pub yanked: bool,
    pub yanked_reason: Option<String>,
    pub yanked_at: Option<DateTime<Utc>>,
    /// The skill's latest version now: its newest version that is not yanked.
    pub latest_version: Option<String>,
}

type VersionPath = (String, String, String, String);

/// Yank a version: hidden from search and "latest", still downloadable by hash.
#[utoipa::path(
    post,
    path = "/admin/skills/{owner}/{repo}/{name}/versions/{hash}/yank",
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("owner" = String, Path, description = "GitHub owner"),
        ("repo" = String, Path, description = "GitHub repository"),
        ("name" = String, Path, description = "Skill name"),
        ("hash" = String, Path, description = "Content hash (sha256 hex) of the version"),
        SkillPathQuery,
    ),
    request_body = YankRequest,
    responses(
        (status = 200, description = "Yanked (again: reason updated)", body = YankedVersion),
        (status = 400, description = "Malformed hash or missing reason", body = ErrorEnvelopeDoc),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:write` scope", body = ErrorEnvelopeDoc),
        (status = 404, description = "No such skill or version", body = ErrorEnvelopeDoc),
    )
)]
async fn yank(
    admin: AdminWrite,
    State(state): State<AppState>,
    PathParams(path): PathParams<VersionPath>,
    QueryParams(query): QueryParams<SkillPathQuery>,
    Body(body): Body<YankRequest>,
) -> Result<Json<YankedVersion>, ApiError> {
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_LEN {
        return Err(ApiError::bad_field(
            "reason",
            format!("reason must be 1 to {MAX_REASON_LEN} characters"),
        ));
    }
    set_yanked(&state, &admin, path, query.path, Some(reason)).await
}

/// Unyank a version: it counts again for "latest" and search.
#[utoipa::path(
    post,
    path = "/admin/skills/{owner}/{repo}/{name}/versions/{hash}/unyank",
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("owner" = String, Path, description = "GitHub owner"),
        ("repo" = String, Path, description = "GitHub repository"),
        ("name" = String, Path, description = "Skill name"),
        ("hash" = String, Path, description = "Content hash (sha256 hex) of the version"),
        SkillPathQuery,
    ),
    responses(
        (status = 200, description = "Not yanked (any more)", body = YankedVersion),
        (status = 400, description = "Malformed hash", body = ErrorEnvelopeDoc),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelopeDoc),
        (status = 403, description = "Not an admin, or no `admin:write` scope", body = ErrorEnvelopeDoc),
        (status = 404, description = "No such skill or version", body = ErrorEnvelopeDoc),
    )
)]
async fn unyank(
    admin: AdminWrite,
    State(state): State<AppState>,
    PathParams(path): PathParams<VersionPath>,
    QueryParams(query): QueryParams<SkillPathQuery>,
) -> Result<Json<YankedVersion>, ApiError> {
    set_yanked(&state, &admin, path, query.path, None).await
}

fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Yanks (`reason` set) or unyanks a version, recomputes the skill's latest version and
/// records the action, all in one transaction. Only the yank columns change: the other
/// columns of a version are immutable (a trigger enforces it).
async fn set_yanked(
    state: &AppState,
    admin: &AdminWrite,
    (owner, repo, name, hash): VersionPath,
    skill_path: Option<String>,
    reason: Option<&str>,
) -> Result<Json<YankedVersion>, ApiError> {
    let hash = hash.to_ascii_lowercase();
    if !is_sha256_hex(&hash) {
        return Err(ApiError::bad_field(
            "hash",
            "hash must be a sha256 in hex (64 characters)",
        ));
    }
    let txn = state.db.begin().await?;
    let skill_id = find_skill(&txn, &owner, &repo, &name, skill_path.as_deref()).await?;
    let updated = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "UPDATE skill_versions SET \
                 yanked = $3, \
                 yanked_reason = $4, \
                 yanked_at = CASE WHEN $3 THEN coalesce(yanked_at, now()) END \
             WHERE skill_id = $1 AND content_hash = $2 \
             RETURNING id, content_hash, commit_sha, published_at, yanked, yanked_reason, yanked_at",
            [
                skill_id.into(),
                hash.clone().into(),
                reason.is_some().into(),
                DbValue::from(reason.map(str::to_owned)),
            ],
        ))
        .await?
        .ok_or_else(|| ApiError::not_found("no such version of this skill"))?;
    let latest = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "WITH newest AS ( \
                 SELECT id, content_hash FROM skill_versions \
                 WHERE skill_id = $1 AND NOT yanked \
                 ORDER BY published_at DESC, id DESC LIMIT 1) \
             UPDATE skills SET latest_version_id = (SELECT id FROM newest) WHERE id = $1 \
             RETURNING (SELECT content_hash FROM newest) AS latest",
            [skill_id.into()],
        ))
        .await?
        .ok_or_else(|| ApiError::not_found("no such skill"))?;
    let latest_version: Option<String> = latest.try_get("", "latest")?;
    let (action, details) = match reason {
        Some(reason) => (
            "skill_version.yank",
            serde_json::json!({ "reason": reason, "latest_version": latest_version }),
        ),
        None => (
            "skill_version.unyank",
            serde_json::json!({ "latest_version": latest_version }),
        ),
    };
    audit::record(
        &txn,
        &admin.principal,
        admin.request_id.as_deref(),
        Action {
            action,
            target_type: "skill_version",
            target_id: format!("{owner}/{repo}/{name}@{hash}"),
            details,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Json(YankedVersion {
        content_hash: updated.try_get("", "content_hash")?,
        commit_sha: updated.try_get("", "commit_sha")?,
        published_at: updated.try_get("", "published_at")?,
        yanked: updated.try_get("", "yanked")?,
        yanked_reason: updated.try_get("", "yanked_reason")?,
        yanked_at: updated.try_get("", "yanked_at")?,
        latest_version,
    }))
}

/// The id of the skill `{owner}/{repo}/{name}` (`path` choosing among skills sharing a
/// name), by the address rule the public reads use, blacklisted repositories included; the
/// row stays locked until the transaction ends.
async fn find_skill(
    txn: &DatabaseTransaction,
    owner: &str,
    repo: &str,
    name: &str,
    path: Option<&str>,
) -> Result<Uuid, ApiError> {
    let address = SkillAddress {
        owner,
        repo,
        name,
        path,
    };
    let row = find_skill_row(txn, "s.id", address, Audience::AdminForUpdate)
        .await?
        .ok_or_else(|| ApiError::not_found("no such skill"))?;
    Ok(row.try_get("", "id")?)
}
