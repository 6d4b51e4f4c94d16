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
    /// No credentials, or credentials that are not valid (expired, revoked, malformed).
    #[error("{message}")]
    Unauthorized { message: String },
    /// Valid credentials without the role or scope the route needs, or a refused target
    /// (a blacklisted repository).
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    Conflict { message: String },
    /// Too many requests from one client; `retry_after` becomes the `Retry-After` header.
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("{message}")]
    PayloadTooLarge { message: String },
    /// The request was not answered within `SKILLDEX_HTTP_REQUEST_TIMEOUT_SECS`.
    #[error("the request took longer than {after_secs} s")]
    Timeout { after_secs: u64 },
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
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::BadRequest { .. } => "bad_request",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::Conflict { .. } => "conflict",
            Self::RateLimited { .. } => "rate_limited",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::Timeout { .. } => "timeout",
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
        let mut response = error_response(status, self.code(), self.to_string(), details);
        match &self {
            Self::RateLimited { retry_after_secs } => {
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(*retry_after_secs),
                );
            }
            Self::Unauthorized { .. } => {
                response.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer"),
                );
            }
            _ => {}
        }
        response
    }
}

impl ApiError {
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound {
            message: message.into(),
        }
    }

    /// A 400 naming the parameter or field at fault in `details.field`.
    pub fn bad_field(field: &str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            details: Some(serde_json::json!({ "field": field })),
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }
}

/// Database errors are internal unless the pool could not reach the server.
impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        match error {
            sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                tracing::warn!(error = %error, "database unreachable");
                Self::Unavailable {
                    dependency: "database",
                }
            }
            other => Self::Internal(other.into()),
        }
    }
}

/// The error envelope as the OpenAPI document describes it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorEnvelopeDoc {
    pub error: ErrorBodyDoc,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorBody)]
pub struct ErrorBodyDoc {
    /// Machine-readable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `timeout`, `payload_too_large`, `rate_limited`, `unavailable`, `internal`.
    pub code: String,
    /// Human-readable message; never contains internal details.
    pub message: String,
    /// Extra structured context, e.g. `{"field": "limit"}`.
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
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
