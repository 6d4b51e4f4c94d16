//! Liveness and dependency checks. `/health` says the process serves; the others make one
//! round trip to their dependency and answer 503 with the error envelope when it fails.

use std::time::Duration;

use axum::{Json, extract::State};
use serde::Serialize;

use crate::{AppState, error::ApiError};

/// How long a dependency check may take before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Serialize)]
pub struct Health {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// `GET /health`
pub async fn process() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: Some(env!("CARGO_PKG_VERSION")),
        latency_ms: None,
    })
}

fn ok(start: std::time::Instant) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: None,
        latency_ms: Some(start.elapsed().as_secs_f64() * 1000.0),
    })
}

/// `GET /health/db`
pub async fn database(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let start = std::time::Instant::now();
    match tokio::time::timeout(CHECK_TIMEOUT, skilldex_core::db::ping(&state.db)).await {
        Ok(Ok(())) => Ok(ok(start)),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "database health check failed");
            Err(ApiError::Unavailable {
                dependency: "database",
            })
        }
        Err(_) => Err(ApiError::Unavailable {
            dependency: "database",
        }),
    }
}

/// `GET /health/temporal`
pub async fn temporal(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let start = std::time::Instant::now();
    match state.temporal.ping(CHECK_TIMEOUT).await {
        Ok(()) => Ok(ok(start)),
        Err(e) => {
            tracing::warn!(error = %e, "temporal health check failed");
            Err(ApiError::Unavailable {
                dependency: "temporal",
            })
        }
    }
}

/// `GET /health/storage`
pub async fn storage(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let start = std::time::Instant::now();
    match tokio::time::timeout(CHECK_TIMEOUT, state.store.check()).await {
        Ok(Ok(())) => Ok(ok(start)),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "object storage health check failed");
            Err(ApiError::Unavailable {
                dependency: "object storage",
            })
        }
        Err(_) => Err(ApiError::Unavailable {
            dependency: "object storage",
        }),
    }
}
