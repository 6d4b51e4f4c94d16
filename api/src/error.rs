//! The one error envelope every route answers with:
//! `{ "error": { "code": "...", "message": "...", "details": ... } }`.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    NotFound { message: String },
    #[error("{message}")]
    BadRequest {
        message: String,
        details: Option<Value>,
    },
    /// A dependency (database, Temporal, object storage) cannot be reached. The message
    /// names the dependency, never its address or internal error text.
    #[error("{dependency} is unavailable")]
    Unavailable { dependency: &'static str },
    /// Anything unexpected; logged in full, answered without internals.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Value>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::BadRequest { .. } => "bad_request",
            Self::Unavailable { .. } => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(e) => tracing::error!(error = ?e, "request failed"),
            Self::Unavailable { dependency } => {
                tracing::warn!(dependency, "dependency unavailable")
            }
            _ => {}
        }
        let details = match &self {
            Self::BadRequest { details, .. } => details.clone(),
            _ => None,
        };
        error_response(status, self.code(), self.to_string(), details)
    }
}

/// Builds an envelope response; also used by the fallback and panic handlers.
pub fn error_response(
    status: StatusCode,
    code: &str,
    message: String,
    details: Option<Value>,
) -> Response {
    let body = Envelope {
        error: ErrorBody {
            code,
            message,
            details,
        },
    };
    (status, Json(body)).into_response()
}
