//! Registering GitHub repositories for indexing (`POST /repositories`) and following a
//! registration (`GET /registrations/{id}`).

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use skilldex_core::{
    registration::{self, Registration, RegistrationError},
    sync::{RepoName, SyncTrigger},
};
use skilldex_entity::registration_requests;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    AppState,
    error::{ApiError, ErrorEnvelopeDoc},
    extract::{Body, PathParams},
    rate_limit::{RateLimited, Registrations},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(get_registration))
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// `owner/repo`, `github.com/owner/repo` or `https://github.com/owner/repo`.
    #[schema(example = "anthropics/skills")]
    pub repository: String,
}

/// A registration as `POST /repositories` and the admin resync answer it.
#[derive(Serialize, ToSchema)]
pub struct RegistrationAccepted {
    pub registration_id: Uuid,
    /// Temporal workflow id of the sync (`sync:github.com/{owner}/{repo}`).
    pub workflow_id: String,
    /// `queued` or `running`.
    pub status: String,
    /// A sync of this repository was already under way; this is its registration.
    pub existing: bool,
    /// `owner/repo`.
    pub repository: String,
}

impl RegistrationAccepted {
    pub fn new(registration: Registration, repo: &RepoName) -> Self {
        Self {
            registration_id: registration.id,
            workflow_id: registration.workflow_id,
            status: registration.status,
            existing: registration.existing,
            repository: repo.full_name(),
        }
    }
}

/// Counts of a finished sync.
#[derive(Serialize, ToSchema)]
pub struct RegistrationResult {
    /// Skills found at the indexed commit.
    pub skills: u64,
    pub new_versions: u64,
    pub unchanged: u64,
    /// Skills with errors (recorded, not published).
    pub invalid: u64,
    pub removed: u64,
    /// HEAD was already indexed; nothing was rebuilt.
    pub up_to_date: bool,
    /// The commit the sync looked at.
    pub commit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RegisteredSkill {
    pub name: String,
    pub path: String,
    pub owner: String,
    pub repo: String,
    /// Error findings of the skill at the last sync.
    pub errors: i32,
    pub warnings: i32,
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationStatus {
    pub id: Uuid,
    /// `owner/repo`.
    pub repository: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    pub workflow_id: Option<String>,
    /// Why the sync failed, for users (internal details left out).
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub result: Option<RegistrationResult>,
    /// Active skills of the repository once the sync succeeded; empty before.
    pub skills: Vec<RegisteredSkill>,
}

/// Maps a failed registration to its answer: blacklisted 403, Temporal down 503.
pub fn registration_error(error: RegistrationError) -> ApiError {
    match error {
        RegistrationError::Blacklisted(repository) => ApiError::Forbidden {
            message: format!("{repository} is blacklisted and cannot be registered"),
        },
        RegistrationError::Temporal { .. } => {
            tracing::warn!(error = %error, "could not start a sync");
            ApiError::Unavailable {
                dependency: "temporal",
            }
        }
        RegistrationError::Database { source, .. } => source.into(),
        other @ RegistrationError::Blacklist { .. } => ApiError::internal(other),
    }
}

/// Records a registration and starts (or joins) the repository's sync.
pub async fn start_registration(
    state: &AppState,
    repo: &RepoName,
    trigger: SyncTrigger,
    requested_by: Option<&str>,
    force: bool,
) -> Result<Registration, ApiError> {
    let client = state.temporal.client().await.map_err(|e| {
        tracing::warn!(error = %e, "Temporal unreachable");
        ApiError::Unavailable {
            dependency: "temporal",
        }
    })?;
    registration::register_with(
        &state.db,
        &client,
        &state.temporal.settings().task_queue,
        repo,
        trigger,
        requested_by,
        force,
    )
    .await
    .map_err(registration_error)
}

/// Register a GitHub repository for indexing.
///
/// Starts a `SyncRepository` workflow, or answers with the registration of the sync already
/// running for this repository (`existing: true`). Rate limited per client IP.
#[utoipa::path(
    post,
    path = "/repositories",
    tag = "repositories",
    request_body = RegisterRequest,
    responses(
        (status = 202, description = "Registration accepted; the sync runs in the background", body = RegistrationAccepted),
        (status = 400, description = "Not a GitHub repository address", body = ErrorEnvelopeDoc),
        (status = 403, description = "The repository or its owner is blacklisted", body = ErrorEnvelopeDoc),
        (status = 429, description = "Too many registrations from this client", body = ErrorEnvelopeDoc),
        (status = 503, description = "Temporal is unavailable", body = ErrorEnvelopeDoc),
    )
)]
async fn register(
    _limit: RateLimited<Registrations>,
    State(state): State<AppState>,
    Body(body): Body<RegisterRequest>,
) -> Result<(StatusCode, Json<RegistrationAccepted>), ApiError> {
    let repo = RepoName::parse(&body.repository)
        .map_err(|e| ApiError::bad_field("repository", e.to_string()))?;
    let registration = start_registration(&state, &repo, SyncTrigger::User, None, false).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RegistrationAccepted::new(registration, &repo)),
    ))
}

/// Status of a registration, with the results once its sync finished.
#[utoipa::path(
    get,
    path = "/registrations/{id}",
    tag = "repositories",
    params(("id" = Uuid, Path, description = "Registration id")),
    responses(
        (status = 200, description = "The registration", body = RegistrationStatus),
        (status = 400, description = "Malformed id", body = ErrorEnvelopeDoc),
        (status = 404, description = "No such registration", body = ErrorEnvelopeDoc),
    )
)]
async fn get_registration(
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<RegistrationStatus>, ApiError> {
    let row = registration_requests::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("no such registration"))?;
    let succeeded = row.status == skilldex_entity::RegistrationStatus::Succeeded;
    let skills = match (succeeded, row.repository_id) {
        (true, Some(repository_id)) => repository_skills(&state, repository_id).await?,
        _ => Vec::new(),
    };
    Ok(Json(RegistrationStatus {
        id: row.id,
        repository: row.repository_full_name,
        status: row.status.as_str().into(),
        workflow_id: row.workflow_id,
        error: row
            .error
            .as_deref()
            .map(crate::sync_errors::public_registration_error),
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        result: row.result.as_ref().filter(|_| succeeded).map(result_counts),
        skills,
    }))
}

/// The counts of a stored `SyncOutput` (the workflow's result, kept as JSON).
fn result_counts(output: &Value) -> RegistrationResult {
    let count = |field: &str| {
        output
            .get("index")
            .and_then(|index| index.get(field))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    RegistrationResult {
        skills: count("skills"),
        new_versions: count("new_versions"),
        unchanged: count("unchanged"),
        invalid: count("invalid"),
        removed: count("removed"),
        up_to_date: output
            .get("up_to_date")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        commit: output
            .get("commit")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

async fn repository_skills(
    state: &AppState,
    repository_id: Uuid,
) -> Result<Vec<RegisteredSkill>, ApiError> {
    let rows = state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            state.db.get_database_backend(),
            "SELECT s.name, s.path, r.owner, r.name AS repo, s.error_count, s.warning_count \
             FROM skills s JOIN repositories r ON r.id = s.repository_id \
             WHERE s.repository_id = $1 AND s.status = 'active' \
             ORDER BY s.name, s.path",
            [repository_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(RegisteredSkill {
                name: row.try_get("", "name")?,
                path: row.try_get("", "path")?,
                owner: row.try_get("", "owner")?,
                repo: row.try_get("", "repo")?,
                errors: row.try_get("", "error_count")?,
                warnings: row.try_get("", "warning_count")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(ApiError::from)
}
