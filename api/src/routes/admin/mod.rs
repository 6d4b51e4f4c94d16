//! `/admin`: administration, for users with the admin role. Reads need the `admin:read`
//! scope, writes `admin:write` (sessions of admins have both). Every write is recorded in
//! the audit log, in the same transaction as the change where there is one.

pub mod audit_log;
pub mod blacklist;
pub mod discovery;
pub mod repositories;
pub mod tokens;

use std::time::Duration;

use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::{AppState, error::ApiError};

/// How long an admin request waits for Temporal to bring the schedules in step.
const SCHEDULE_SYNC_TIMEOUT: Duration = Duration::from_secs(10);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(tokens::router())
        .merge(discovery::router())
        .merge(blacklist::router())
        .merge(repositories::router())
        .merge(audit_log::router())
}

/// Whether the Temporal Schedules were brought in step with `discovery_sources` after a
/// change. `failed` leaves the committed change in place; the worker re-syncs the
/// schedules when it starts, and the next successful change syncs them too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleSync {
    Ok,
    Failed,
}

/// Brings every discovery schedule of this task queue in step with the database.
pub async fn sync_schedules(state: &AppState) -> ScheduleSync {
    let client = match state.temporal.client().await {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!(error = %e, "schedules not synced: Temporal unreachable");
            return ScheduleSync::Failed;
        }
    };
    let task_queue = &state.temporal.settings().task_queue;
    let sync = skilldex_core::schedules::sync_schedules(&client, &state.db, task_queue);
    match tokio::time::timeout(SCHEDULE_SYNC_TIMEOUT, sync).await {
        Ok(Ok(done)) => {
            tracing::info!(?done, "discovery schedules in step with discovery_sources");
            ScheduleSync::Ok
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "could not sync discovery schedules");
            ScheduleSync::Failed
        }
        Err(_) => {
            tracing::warn!(
                timeout_secs = SCHEDULE_SYNC_TIMEOUT.as_secs(),
                "syncing discovery schedules timed out"
            );
            ScheduleSync::Failed
        }
    }
}

/// A unique violation as 409 with `message`; other errors as usual.
fn conflict_on_unique(error: DbErr, message: &str) -> ApiError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::Conflict {
            message: message.into(),
        },
        _ => error.into(),
    }
}

/// Reads `Some(None)` for an explicit `null` and `None` for a missing field (PATCH bodies).
fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
