//! Typed GitHub failures, classified so a Temporal activity can decide between retrying
//! (with GitHub's own delay) and failing for good.

use std::{fmt, path::PathBuf, time::Duration};

/// Which request failed: the endpoint template and what it was about (`owner/repo`, a query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// Endpoint template, e.g. `GET /repos/{owner}/{repo}`.
    pub endpoint: &'static str,
    /// The concrete target, e.g. `anthropics/skills` or `q=topic:agent-skills page=2`.
    pub target: String,
}

impl RequestContext {
    pub fn new(endpoint: &'static str, target: impl Into<String>) -> Self {
        Self {
            endpoint,
            target: target.into(),
        }
    }
}

impl fmt::Display for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GitHub {} [{}]", self.endpoint, self.target)
    }
}

/// Boxed source error (octocrab, hyper or I/O), kept for `source()` chains.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// The client could not be built (bad base URL, no Tokio runtime, TLS set-up).
    #[error("GitHub client configuration: {0}")]
    Config(String),

    /// The caller passed something we refuse to put in a URL (owner, repo, ref, paging).
    #[error("{ctx}: invalid input: {reason}")]
    InvalidInput { ctx: RequestContext, reason: String },

    /// 404/410: the repository, ref or resource does not exist (or is not visible to us).
    #[error("{ctx}: not found")]
    NotFound { ctx: RequestContext },

    /// Primary or secondary rate limit; retry no sooner than `retry_after`.
    #[error("{ctx}: rate limited, retry after {}s", retry_after.as_secs())]
    RateLimited {
        ctx: RequestContext,
        retry_after: Duration,
    },

    /// 401, or a 403 that is not a rate limit: bad token or no access.
    #[error("{ctx}: unauthorized ({status}): {message}")]
    Unauthorized {
        ctx: RequestContext,
        status: u16,
        message: String,
    },

    /// Other 4xx answers (422 validation, 409 empty repository, 451 legal block...).
    #[error("{ctx}: rejected ({status}): {message}")]
    Rejected {
        ctx: RequestContext,
        status: u16,
        message: String,
    },

    /// 5xx from GitHub or codeload; usually transient.
    #[error("{ctx}: server error {status}")]
    Server { ctx: RequestContext, status: u16 },

    /// Connection, TLS, timeout or a body that broke off mid-stream.
    #[error("{ctx}: network error: {source}")]
    Network {
        ctx: RequestContext,
        #[source]
        source: BoxError,
    },

    /// The archive (or a JSON answer) is bigger than the caller's limit.
    #[error("{ctx}: response larger than the limit of {max_bytes} bytes")]
    TooLarge { ctx: RequestContext, max_bytes: u64 },

    /// A 2xx answer we cannot use (bad JSON, missing field, not a commit sha).
    #[error("{ctx}: invalid response: {reason}")]
    InvalidResponse { ctx: RequestContext, reason: String },

    /// Writing the download to local disk failed.
    #[error("{ctx}: writing {}: {source}", path.display())]
    Io {
        ctx: RequestContext,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl GithubError {
    /// Whether trying again later can succeed: rate limits, 5xx, network trouble and local
    /// disk hiccups. Not found, unauthorized, rejected, too large and invalid answers will
    /// fail the same way again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server { .. } | Self::Network { .. } | Self::Io { .. }
        )
    }

    /// The delay GitHub asked for, when it asked for one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// The request this error is about (none for configuration errors).
    pub fn context(&self) -> Option<&RequestContext> {
        match self {
            Self::Config(_) => None,
            Self::InvalidInput { ctx, .. }
            | Self::NotFound { ctx }
            | Self::RateLimited { ctx, .. }
            | Self::Unauthorized { ctx, .. }
            | Self::Rejected { ctx, .. }
            | Self::Server { ctx, .. }
            | Self::Network { ctx, .. }
            | Self::TooLarge { ctx, .. }
            | Self::InvalidResponse { ctx, .. }
            | Self::Io { ctx, .. } => Some(ctx),
        }
    }

    /// HTTP status GitHub answered with, when the error came from a status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::NotFound { .. } => Some(404),
            Self::Unauthorized { status, .. }
            | Self::Rejected { status, .. }
            | Self::Server { status, .. } => Some(*status),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_request() {
        let err = GithubError::RateLimited {
            ctx: RequestContext::new("GET /repos/{owner}/{repo}", "o/r"),
            retry_after: Duration::from_secs(42),
        };
        assert_eq!(
            err.to_string(),
            "GitHub GET /repos/{owner}/{repo} [o/r]: rate limited, retry after 42s"
        );
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));
    }

    #[test]
    fn permanent_errors_are_not_retryable() {
        let ctx = RequestContext::new("GET /x", "t");
        assert!(!GithubError::NotFound { ctx: ctx.clone() }.is_retryable());
        assert!(
            !GithubError::TooLarge {
                ctx: ctx.clone(),
                max_bytes: 1
            }
            .is_retryable()
        );
        assert!(GithubError::Server { ctx, status: 502 }.is_retryable());
    }
}
