//! GitHub source: repository metadata, HEAD commits, archive downloads and discovery
//! searches over GitHub's REST API, on `octocrab`'s HTTP stack (base URI, token, timeouts,
//! redirect following that drops credentials on cross-origin hops).
//!
//! Every answer is classified into [`GithubError`]; rate limits carry the delay GitHub asked
//! for so a Temporal activity can fail retryably with exactly that back-off. The client
//! never retries by itself: retries belong to Temporal's retry policy.

mod error;
mod model;

use std::{path::Path, time::Duration};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, combinators::BoxBody};
use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use tokio::io::AsyncWriteExt;
use tracing::{debug, warn};

pub use error::{BoxError, GithubError, RequestContext};
pub use model::{CodeHit, RepoMeta, RepoRef, SearchPage};
use model::{WireCode, WireError, WireRepo, WireSearch};

use crate::config::GithubSettings;

/// GitHub serves at most the first 1000 results of any search.
pub const MAX_SEARCH_RESULTS: u32 = 1000;
/// Largest page GitHub accepts.
pub const MAX_PER_PAGE: u32 = 100;

/// JSON answers bigger than this are refused (a repository object is a few KiB, a full
/// search page well under 1 MiB).
const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;
/// Enough of an error body to quote its message.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;
/// Delay when GitHub says "rate limited" without saying for how long (its docs: wait at
/// least one minute).
const DEFAULT_RATE_LIMIT_DELAY: Duration = Duration::from_secs(60);
/// Upper bound on a requested delay, so a bogus reset header cannot park a job for days.
const MAX_RATE_LIMIT_DELAY: Duration = Duration::from_secs(3600);
/// Write buffer for archive downloads: few syscalls, bounded memory.
const DOWNLOAD_BUFFER_BYTES: usize = 256 * 1024;

const ACCEPT_JSON: &str = "application/vnd.github+json";
const ACCEPT_SHA: &str = "application/vnd.github.sha";

type OctoResponse = http::Response<BoxBody<Bytes, octocrab::Error>>;

/// A GitHub REST client (api.github.com, GitHub Enterprise, or the fake server in tests).
/// Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct GithubClient {
    octo: Octocrab,
    api_url: String,
}

impl std::fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of debug output.
        f.debug_struct("GithubClient")
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl GithubClient {
    /// Builds a client for `settings.api_url`, authenticated with `settings.token` when set.
    ///
    /// Must be called inside a Tokio runtime (octocrab spawns its request buffer there), and
    /// the client must be used on that runtime.
    pub fn new(settings: &GithubSettings) -> Result<Self, GithubError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(GithubError::Config(
                "the GitHub client must be created inside a Tokio runtime".into(),
            ));
        }
        let api_url = settings.api_url.as_str().to_string();
        if !matches!(settings.api_url.scheme(), "http" | "https") {
            return Err(GithubError::Config(format!(
                "GitHub API URL must be http(s): {api_url}"
            )));
        }
        let mut builder = Octocrab::builder()
            .base_uri(api_url.as_str())
            .map_err(|e| GithubError::Config(format!("invalid GitHub API URL {api_url}: {e}")))?
            .set_connect_timeout(Some(Duration::from_secs(10)))
            // Per read, not per request: a long archive download keeps going while bytes flow.
            .set_read_timeout(Some(Duration::from_secs(60)))
            .set_write_timeout(Some(Duration::from_secs(60)));
        if let Some(token) = settings
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            builder = builder.personal_token(token.to_string());
        }
        let octo = builder
            .build()
            .map_err(|e| GithubError::Config(format!("building the GitHub client: {e}")))?;
        Ok(Self { octo, api_url })
    }

    /// Repository metadata (`GET /repos/{owner}/{repo}`). Owner and name are matched
    /// case-insensitively by GitHub; the answer carries the canonical spelling.
    pub async fn repository(&self, owner: &str, repo: &str) -> Result<RepoMeta, GithubError> {
        let ctx = RequestContext::new("GET /repos/{owner}/{repo}", format!("{owner}/{repo}"));
        check_name(&ctx, "owner", owner)?;
        check_name(&ctx, "repo", repo)?;
        let resp = self
            .get(&ctx, &format!("/repos/{owner}/{repo}"), ACCEPT_JSON)
            .await?;
        let wire: WireRepo = read_json(&ctx, resp).await?;
        Ok(wire.into())
    }

    /// Sha of the commit `branch` (or any ref) points at, in one cheap request:
    /// `GET /repos/{owner}/{repo}/commits/{ref}` with the `sha` media type, whose body is
    /// the bare sha.
    pub async fn head_commit(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
    ) -> Result<String, GithubError> {
        let ctx = RequestContext::new(
            "GET /repos/{owner}/{repo}/commits/{ref}",
            format!("{owner}/{repo}@{branch}"),
        );
        check_name(&ctx, "owner", owner)?;
        check_name(&ctx, "repo", repo)?;
        let git_ref = encode_ref(&ctx, branch)?;
        let resp = match self
            .get(
                &ctx,
                &format!("/repos/{owner}/{repo}/commits/{git_ref}"),
                ACCEPT_SHA,
            )
            .await
        {
            Ok(resp) => resp,
            // GitHub answers 422 "No commit found for SHA: x" for an unknown ref.
            Err(GithubError::Rejected {
                ctx, status: 422, ..
            }) => {
                return Err(GithubError::NotFound { ctx });
            }
            Err(e) => return Err(e),
        };
        let body = match read_capped(resp, 1024).await {
            Ok(body) => body,
            Err(ReadError::TooLarge) => {
                return Err(GithubError::InvalidResponse {
                    ctx,
                    reason: "expected a bare commit sha, got a large body".into(),
                });
            }
            Err(ReadError::Network(source)) => return Err(GithubError::Network { ctx, source }),
        };
        let sha = String::from_utf8_lossy(&body).trim().to_ascii_lowercase();
        if !is_commit_sha(&sha) {
            let shown: String = sha.chars().take(80).collect();
            return Err(GithubError::InvalidResponse {
                ctx,
                reason: format!("expected a commit sha, got {shown:?}"),
            });
        }
        Ok(sha)
    }

    /// Downloads the tar.gz archive of `git_ref` (use a commit sha for a reproducible
    /// archive) to `dest`, following GitHub's redirect to the archive host and streaming the
    /// body to disk chunk by chunk. Stops with [`GithubError::TooLarge`] once more than
    /// `max_bytes` arrive; on any error the partial file is removed. Returns the byte count.
    pub async fn download_tarball(
        &self,
        owner: &str,
        repo: &str,
        git_ref: &str,
        dest: &Path,
        max_bytes: u64,
    ) -> Result<u64, GithubError> {
        self.download_tarball_with_progress(owner, repo, git_ref, dest, max_bytes, |_| {})
            .await
    }

    /// [`Self::download_tarball`], calling `progress(bytes_so_far)` after every chunk (for
    /// activity heartbeats; throttle on the caller's side).
    pub async fn download_tarball_with_progress(
        &self,
        owner: &str,
        repo: &str,
        git_ref: &str,
        dest: &Path,
        max_bytes: u64,
        mut progress: impl FnMut(u64) + Send,
    ) -> Result<u64, GithubError> {
        let ctx = RequestContext::new(
            "GET /repos/{owner}/{repo}/tarball/{ref}",
            format!("{owner}/{repo}@{git_ref}"),
        );
        check_name(&ctx, "owner", owner)?;
        check_name(&ctx, "repo", repo)?;
        let encoded = encode_ref(&ctx, git_ref)?;
        let resp = self
            .get(
                &ctx,
                &format!("/repos/{owner}/{repo}/tarball/{encoded}"),
                ACCEPT_JSON,
            )
            .await?;
        // codeload streams without a length; when there is one, refuse before writing.
        if let Some(len) = content_length(resp.headers())
            && len > max_bytes
        {
            return Err(GithubError::TooLarge { ctx, max_bytes });
        }
        let file = tokio::fs::File::create(dest)
            .await
            .map_err(|source| GithubError::Io {
                ctx: ctx.clone(),
                path: dest.to_path_buf(),
                source,
            })?;
        let mut out = tokio::io::BufWriter::with_capacity(DOWNLOAD_BUFFER_BYTES, file);
        let result = stream_body(&ctx, resp, &mut out, dest, max_bytes, &mut progress).await;
        match result {
            Ok(written) => {
                debug!(endpoint = ctx.endpoint, target = %ctx.target, bytes = written, "archive downloaded");
                Ok(written)
            }
            Err(e) => {
                drop(out);
                if let Err(rm) = tokio::fs::remove_file(dest).await {
                    warn!(path = %dest.display(), error = %rm, "could not remove partial download");
                }
                Err(e)
            }
        }
    }

    /// One page of `GET /search/repositories` (e.g. `topic:agent-skills`).
    pub async fn search_repositories(
        &self,
        query: &str,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage<RepoMeta>, GithubError> {
        self.search::<WireRepo, RepoMeta>(
            "GET /search/repositories",
            "/search/repositories",
            query,
            page,
            per_page,
        )
        .await
    }

    /// One page of `GET /search/code` (e.g. `filename:SKILL.md`). GitHub requires a token
    /// for code search.
    pub async fn search_code(
        &self,
        query: &str,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage<CodeHit>, GithubError> {
        self.search::<WireCode, CodeHit>("GET /search/code", "/search/code", query, page, per_page)
            .await
    }

    async fn search<W, T>(
        &self,
        endpoint: &'static str,
        path: &str,
        query: &str,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage<T>, GithubError>
    where
        W: DeserializeOwned,
        T: From<W>,
    {
        let ctx = RequestContext::new(endpoint, format!("q={query} page={page}"));
        let invalid = |reason: String| GithubError::InvalidInput {
            ctx: ctx.clone(),
            reason,
        };
        if query.trim().is_empty() || query.len() > 1024 {
            return Err(invalid("query must be 1 to 1024 bytes".into()));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(invalid(format!("per_page must be 1..={MAX_PER_PAGE}")));
        }
        if page == 0 {
            return Err(invalid("pages start at 1".into()));
        }
        if u64::from(page - 1) * u64::from(per_page) >= u64::from(MAX_SEARCH_RESULTS) {
            return Err(invalid(format!(
                "GitHub serves only the first {MAX_SEARCH_RESULTS} search results"
            )));
        }
        let qs = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", query)
            .append_pair("per_page", &per_page.to_string())
            .append_pair("page", &page.to_string())
            .finish();
        let resp = self.get(&ctx, &format!("{path}?{qs}"), ACCEPT_JSON).await?;
        let link = resp
            .headers()
            .get(header::LINK)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let wire: WireSearch<W> = read_json(&ctx, resp).await?;
        let has_next = has_next_page(link.as_deref(), page, per_page, wire.total_count);
        Ok(SearchPage {
            items: wire.items.into_iter().map(T::from).collect(),
            total_count: wire.total_count,
            incomplete_results: wire.incomplete_results,
            page,
            per_page,
            has_next,
        })
    }

    /// Sends a GET for a path relative to the API base (so octocrab adds the token) and
    /// turns any non-2xx answer into a typed error.
    async fn get(
        &self,
        ctx: &RequestContext,
        path_and_query: &str,
        accept: &'static str,
    ) -> Result<OctoResponse, GithubError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
        let resp = self
            .octo
            ._get_with_headers(path_and_query, Some(headers))
            .await
            .map_err(|e| GithubError::Network {
                ctx: ctx.clone(),
                source: Box::new(e),
            })?;
        let status = resp.status();
        debug!(endpoint = ctx.endpoint, target = %ctx.target, status = status.as_u16(), "GitHub response");
        if status.is_success() {
            return Ok(resp);
        }
        let err = error_from_response(ctx, resp).await;
        if let GithubError::RateLimited { retry_after, .. } = &err {
            warn!(endpoint = ctx.endpoint, target = %ctx.target, retry_after_secs = retry_after.as_secs(), "GitHub rate limit");
        }
        Err(err)
    }
}

/// Owner and repository names go into the URL path verbatim, so only GitHub's own
/// alphabet is allowed (letters, digits, `-`, `_`, `.`).
fn check_name(ctx: &RequestContext, what: &str, value: &str) -> Result<(), GithubError> {
    let ok = !value.is_empty()
        && value.len() <= 100
        && value != "."
        && value != ".."
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(GithubError::InvalidInput {
            ctx: ctx.clone(),
            reason: format!("invalid {what} name {value:?}"),
        })
    }
}

/// Percent-encodes a git ref for the URL path, keeping `/` (branch names like
/// `feature/x` are valid refs and GitHub takes them unencoded).
fn encode_ref(ctx: &RequestContext, git_ref: &str) -> Result<String, GithubError> {
    let invalid = git_ref.is_empty()
        || git_ref.len() > 255
        || git_ref.starts_with('/')
        || git_ref.ends_with('/')
        || git_ref.contains("..")
        || git_ref.contains("//")
        || git_ref.chars().any(char::is_control);
    if invalid {
        return Err(GithubError::InvalidInput {
            ctx: ctx.clone(),
            reason: format!("invalid git ref {git_ref:?}"),
        });
    }
    let mut out = String::with_capacity(git_ref.len());
    for b in git_ref.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

fn is_commit_sha(s: &str) -> bool {
    // SHA-1 repositories today, SHA-256 ones tomorrow.
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

enum ReadError {
    TooLarge,
    Network(BoxError),
}

/// Collects a body, refusing to hold more than `cap` bytes.
async fn read_capped(resp: OctoResponse, cap: usize) -> Result<Vec<u8>, ReadError> {
    let mut body = resp.into_body();
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ReadError::Network(Box::new(e)))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > cap {
                return Err(ReadError::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

async fn read_json<T: DeserializeOwned>(
    ctx: &RequestContext,
    resp: OctoResponse,
) -> Result<T, GithubError> {
    let body = read_capped(resp, MAX_JSON_BYTES)
        .await
        .map_err(|e| match e {
            ReadError::TooLarge => GithubError::TooLarge {
                ctx: ctx.clone(),
                max_bytes: MAX_JSON_BYTES as u64,
            },
            ReadError::Network(source) => GithubError::Network {
                ctx: ctx.clone(),
                source,
            },
        })?;
    serde_json::from_slice(&body).map_err(|e| GithubError::InvalidResponse {
        ctx: ctx.clone(),
        reason: format!("unexpected JSON: {e}"),
    })
}

/// Streams the body into `out`, counting bytes against `max_bytes`.
async fn stream_body<W: tokio::io::AsyncWrite + Unpin>(
    ctx: &RequestContext,
    resp: OctoResponse,
    out: &mut W,
    dest: &Path,
    max_bytes: u64,
    progress: &mut (impl FnMut(u64) + Send),
) -> Result<u64, GithubError> {
    let io_err = |source: std::io::Error| GithubError::Io {
        ctx: ctx.clone(),
        path: dest.to_path_buf(),
        source,
    };
    let mut body = resp.into_body();
    let mut written: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| GithubError::Network {
            ctx: ctx.clone(),
            source: Box::new(e),
        })?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        written += data.len() as u64;
        if written > max_bytes {
            return Err(GithubError::TooLarge {
                ctx: ctx.clone(),
                max_bytes,
            });
        }
        out.write_all(&data).await.map_err(io_err)?;
        progress(written);
    }
    out.flush().await.map_err(io_err)?;
    Ok(written)
}

/// Turns a non-2xx answer into a typed error, reading at most a small part of its body.
async fn error_from_response(ctx: &RequestContext, resp: OctoResponse) -> GithubError {
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = read_capped(resp, MAX_ERROR_BODY_BYTES)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<WireError>(&body)
        .ok()
        .and_then(|e| e.message)
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&body);
            let text: String = text.trim().chars().take(200).collect();
            if text.is_empty() {
                status.canonical_reason().unwrap_or("").to_string()
            } else {
                text
            }
        });
    let ctx = ctx.clone();
    if let Some(retry_after) = rate_limit_delay(status, &headers, &message, Utc::now()) {
        return GithubError::RateLimited { ctx, retry_after };
    }
    let code = status.as_u16();
    match code {
        401 | 403 => GithubError::Unauthorized {
            ctx,
            status: code,
            message,
        },
        404 | 410 => GithubError::NotFound { ctx },
        500..=599 => GithubError::Server { ctx, status: code },
        _ => GithubError::Rejected {
            ctx,
            status: code,
            message,
        },
    }
}

/// GitHub's documented rate-limit rules: honour `retry-after`; else, with
/// `x-ratelimit-remaining: 0`, wait until `x-ratelimit-reset` (epoch seconds, measured
/// against the response's `Date` to dodge clock skew); else a 429, or a 403 whose message
/// says "rate limit", waits at least a minute.
fn rate_limit_delay(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    local_now: DateTime<Utc>,
) -> Option<Duration> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let server_now = text("date")
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(local_now);
    let clamp = |secs: i64| {
        Duration::from_secs(u64::try_from(secs.max(1)).unwrap_or(1)).min(MAX_RATE_LIMIT_DELAY)
    };
    if let Some(value) = text("retry-after") {
        if let Ok(secs) = value.parse::<i64>() {
            return Some(clamp(secs));
        }
        if let Ok(at) = DateTime::parse_from_rfc2822(value) {
            return Some(clamp((at.with_timezone(&Utc) - server_now).num_seconds()));
        }
    }
    if text("x-ratelimit-remaining") == Some("0") {
        return Some(
            text("x-ratelimit-reset")
                .and_then(|r| r.parse::<i64>().ok())
                .map(|reset| clamp(reset - server_now.timestamp()))
                .unwrap_or(DEFAULT_RATE_LIMIT_DELAY),
        );
    }
    if status == StatusCode::TOO_MANY_REQUESTS
        || message.to_ascii_lowercase().contains("rate limit")
    {
        return Some(DEFAULT_RATE_LIMIT_DELAY);
    }
    None
}

/// Whether a search has a next page: the `Link` header's `rel="next"` when GitHub sent
/// one, else count math; never past the 1000-result cap.
fn has_next_page(link: Option<&str>, page: u32, per_page: u32, total_count: u64) -> bool {
    let reachable = total_count.min(u64::from(MAX_SEARCH_RESULTS));
    let within_cap = u64::from(page) * u64::from(per_page) < reachable;
    match link {
        Some(link) => within_cap && link_has_rel(link, "next"),
        None => within_cap,
    }
}

/// Finds a relation in an RFC 8288 `Link` header (`<url>; rel="next", <url>; rel="last"`).
fn link_has_rel(link: &str, rel: &str) -> bool {
    let mut rest = link;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>') else {
            return false;
        };
        let after = &rest[start + end + 1..];
        // Parameters run until the next link target.
        let params_end = after.find('<').unwrap_or(after.len());
        for param in after[..params_end].split(';') {
            if let Some((key, value)) = param.split_once('=')
                && key.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case(rel))
            {
                return true;
            }
        }
        rest = &after[params_end..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn link_header_relations() {
        let link = "<https://api.github.com/search/code?q=a%2Cb&page=2>; rel=\"next\", \
                    <https://api.github.com/search/code?q=a%2Cb&page=34>; rel=\"last\"";
        assert!(link_has_rel(link, "next"));
        assert!(link_has_rel(link, "last"));
        assert!(!link_has_rel(link, "prev"));
        let last_page = "<https://x/?page=1>; rel=\"prev\", <https://x/?page=1>; rel=\"first\"";
        assert!(!link_has_rel(last_page, "next"));
        assert!(link_has_rel("<u>; rel=next", "next"));
    }

    #[test]
    fn next_page_math_respects_the_cap() {
        assert!(has_next_page(None, 1, 30, 31));
        assert!(!has_next_page(None, 2, 30, 31));
        assert!(!has_next_page(None, 10, 100, 50_000));
        assert!(has_next_page(None, 9, 100, 50_000));
        assert!(!has_next_page(Some("<u>; rel=\"last\""), 1, 30, 500));
    }

    #[test]
    fn rate_limit_rules() {
        let now = Utc::now();
        let forbidden = StatusCode::FORBIDDEN;
        assert_eq!(
            rate_limit_delay(forbidden, &headers(&[("retry-after", "17")]), "", now),
            Some(Duration::from_secs(17))
        );
        let reset = (now.timestamp() + 120).to_string();
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]);
        let d = rate_limit_delay(forbidden, &h, "", now).unwrap();
        assert!((119..=121).contains(&d.as_secs()), "{d:?}");
        assert_eq!(
            rate_limit_delay(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), "", now),
            Some(DEFAULT_RATE_LIMIT_DELAY)
        );
        assert_eq!(
            rate_limit_delay(forbidden, &HeaderMap::new(), "Resource not accessible", now),
            None
        );
        assert_eq!(
            rate_limit_delay(
                forbidden,
                &HeaderMap::new(),
                "You have exceeded a secondary rate limit",
                now
            ),
            Some(DEFAULT_RATE_LIMIT_DELAY)
        );
        let far = (now.timestamp() + 86_400 * 3).to_string();
        let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &far)]);
        assert_eq!(
            rate_limit_delay(forbidden, &h, "", now),
            Some(MAX_RATE_LIMIT_DELAY)
        );
        assert_eq!(
            rate_limit_delay(StatusCode::OK, &headers(&[("retry-after", "5")]), "", now),
            None
        );
    }

    #[test]
    fn names_and_refs_are_checked() {
        let ctx = RequestContext::new("GET /x", "t");
        assert!(check_name(&ctx, "owner", "obra").is_ok());
        assert!(check_name(&ctx, "repo", "skills.v2_x-y").is_ok());
        for bad in ["", "..", "a/b", "a?b", "a b", "%2e"] {
            assert!(check_name(&ctx, "repo", bad).is_err(), "{bad}");
        }
        assert_eq!(encode_ref(&ctx, "feature/x y").unwrap(), "feature/x%20y");
        assert_eq!(encode_ref(&ctx, "v1.0+b#2").unwrap(), "v1.0%2Bb%232");
        for bad in ["", "../x", "/main", "a//b", "main/", "a\nb"] {
            assert!(encode_ref(&ctx, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn commit_shas() {
        assert!(is_commit_sha("9d2f1ae187231d8199c64b5b762e1bdf2244733d"));
        assert!(!is_commit_sha("9d2f1ae"));
        assert!(!is_commit_sha("zz2f1ae187231d8199c64b5b762e1bdf2244733d"));
    }
}
