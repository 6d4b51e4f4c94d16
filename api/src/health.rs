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

/// Runs one dependency check within [`CHECK_TIMEOUT`]: its latency when it answers, a 503
/// naming the dependency (never its address or error text) when it fails or times out.
async fn check<E: std::fmt::Display>(
    dependency: &'static str,
    probe: impl std::future::Future<Output = Result<(), E>>,
) -> Result<Json<Health>, ApiError> {
    let start = std::time::Instant::now();
    let failure = match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
        Ok(Ok(())) => return Ok(ok(start)),
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
    };
    tracing::warn!(dependency, error = %failure, "health check failed");
    Err(ApiError::Unavailable { dependency })
}

/// `GET /health/db`
pub async fn database(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    check("database", skilldex_core::db::ping(&state.db)).await
}

/// `GET /health/temporal`
pub async fn temporal(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    check("temporal", state.temporal.ping(CHECK_TIMEOUT)).await
}

/// `GET /health/storage`
pub async fn storage(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    check("object storage", state.store.check()).await
}
