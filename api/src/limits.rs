//! Limits every request is held to, answered with the error envelope like any other
//! error: the body size (413 `payload_too_large`) and the time to the response
//! (408 `timeout`). tower-http's layers for the same answer with plain text or an empty
//! body.

use std::time::Duration;

use axum::{
    body::Body,
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::error::ApiError;

/// Refuses bodies above `limit` bytes: at once when `Content-Length` says so, else when
/// reading the body passes the limit (the JSON extractor then answers 413).
pub async fn body_limit(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::PayloadTooLarge {
            message: format!("request body larger than {limit} bytes"),
        }
        .into_response();
    }
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// Answers 408 when the handler has not answered within `after`; the handler's future is
/// dropped (its database queries are cancelled with it).
pub async fn timeout(State(after): State<Duration>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(after, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(path, timeout_secs = after.as_secs(), "request timed out");
            ApiError::Timeout {
                after_secs: after.as_secs(),
            }
            .into_response()
        }
    }
}
