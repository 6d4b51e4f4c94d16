//! A short-lived, in-memory cache of public read responses (search, skill pages, lists).
//!
//! A popular query or skill page is asked for many times a second; answering repeats from
//! memory for a few seconds (`SKILLDEX_HTTP_CACHE_TTL_SECS`, default 5) keeps the
//! database free for the long tail. Responses without a `Cache-Control` of their own get
//! `public, max-age=TTL` so browsers and CDNs can do the same. Only successful GETs are
//! stored, keyed by path and query and the public base URL answers are built with
//! ([`crate::public_url::base`]: the configured one, or the origin the request named);
//! entries expire by age (no invalidation), so a change (a new version, a yank) shows
//! within about one TTL. The cache is bounded: when full, expired entries are dropped,
//! and if that is not enough, everything.
//!
//! The handler decides what may be stored: a response whose `Cache-Control` says
//! `no-store`, `private` or `no-cache` (downloads, which count every request), or that
//! sets a cookie or a `Vary`, is never stored, and its key is remembered as uncacheable
//! for one TTL so later requests skip the cache altogether. A hit replays the stored
//! response whole, every header included (security headers such as `nosniff` and the
//! file sandbox CSP, `ETag`, `Warning`), except the hop-by-hop ones and `Date`, and adds
//! `Age`.
//!
//! Each key is computed by one request at a time. Without that, every request arriving
//! while a popular entry is being recomputed runs the same query too: at tens of thousands
//! of requests a second that is thousands of identical queries queued on the pool, and
//! latency spikes to seconds once per TTL. So a missing entry is filled by the first
//! request while the others wait for it, and an entry past its TTL is refreshed by one
//! request while the others are served the previous answer (for at most one more TTL).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tokio::sync::watch;

/// Public reads worth caching; everything else (registrations, auth, admin, health)
/// always reaches its handler.
const CACHEABLE_PREFIXES: [&str; 5] = [
    "/api/v1/skills",
    "/api/v1/repositories",
    "/api/v1/marketplaces",
    "/api/v1/stats",
    "/api/v1/changes",
];

/// Entries kept at most.
const MAX_ENTRIES: usize = 20_000;
/// Bodies above this size are not cached.
const MAX_BODY_BYTES: usize = 512 * 1024;
/// How long a request waits for another one filling the same key before it runs the
/// handler itself.
const FILL_WAIT: Duration = Duration::from_secs(10);

/// Headers that describe one connection, not the response (RFC 9110 7.6.1), and `Date`,
/// which must say when this answer is sent; never replayed from the cache. `Content-Length`
/// is set again from the stored body.
const NOT_REPLAYED: [HeaderName; 10] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::DATE,
    header::CONTENT_LENGTH,
];

/// A response as it was answered, to be replayed.
#[derive(Clone)]
struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Entry {
    stored: Instant,
    /// `None` marks a key whose handler said its response must not be stored.
    response: Option<Stored>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    /// Keys a request is computing now; the receiver wakes when that request is done
    /// (its sender is dropped), whatever the outcome.
    filling: HashMap<String, watch::Receiver<()>>,
}

pub struct ResponseCache {
    ttl: Duration,
    /// `SKILLDEX_HTTP_PUBLIC_URL`: part of every key, like the request origin when unset.
    public_url: Option<String>,
    inner: Mutex<Inner>,
}

/// What a request should do for its key.
enum Lookup {
    /// Answer with this response: fresh, or stale while another request refreshes it.
    Hit(Stored, Duration),
    /// The key's responses are not stored: run the handler, take no fill turn.
    Bypass,
    /// Compute the response and store it; the guard lets waiting requests go when dropped.
    Fill(FillGuard),
    /// Another request is computing the response; wait for it.
    Wait(watch::Receiver<()>),
}

/// Marks a key as being filled until dropped (also on error or cancellation).
struct FillGuard {
    cache: Arc<ResponseCache>,
    key: String,
    _done: watch::Sender<()>,
}

impl Drop for FillGuard {
    fn drop(&mut self) {
        if let Ok(mut inner) = self.cache.inner.lock() {
            inner.filling.remove(&self.key);
        }
        // `_done` is dropped after this, which wakes the waiters.
    }
}

impl ResponseCache {
    pub fn new(ttl: Duration, public_url: Option<String>) -> Self {
        Self {
            ttl,
            public_url,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lookup(self: &Arc<Self>, key: &str) -> Option<Lookup> {
        let mut inner = self.inner.lock().ok()?;
        let entry = inner.entries.get(key);
        if let Some(entry) = entry {
            let age = entry.stored.elapsed();
            if age < self.ttl {
                return Some(match &entry.response {
                    Some(stored) => Lookup::Hit(stored.clone(), age),
                    None => Lookup::Bypass,
                });
            }
        }
        if let Some(done) = inner.filling.get(key) {
            let stale = entry.and_then(|e| {
                let age = e.stored.elapsed();
                e.response
                    .as_ref()
                    .filter(|_| age < self.ttl * 2)
                    .map(|stored| (stored.clone(), age))
            });
            return Some(match stale {
                Some((stored, age)) => Lookup::Hit(stored, age),
                None => Lookup::Wait(done.clone()),
            });
        }
        let (done_tx, done_rx) = watch::channel(());
        inner.filling.insert(key.to_string(), done_rx);
        Some(Lookup::Fill(FillGuard {
            cache: self.clone(),
            key: key.to_string(),
            _done: done_tx,
        }))
    }

    /// The response stored for `key` if one is usable (fresh, or within the stale
    /// window), after a wait for another request's fill.
    fn usable(&self, key: &str) -> Option<(Stored, Duration)> {
        let inner = self.inner.lock().ok()?;
        let entry = inner.entries.get(key)?;
        let age = entry.stored.elapsed();
        entry
            .response
            .as_ref()
            .filter(|_| age < self.ttl * 2)
            .map(|stored| (stored.clone(), age))
    }

    /// Stores `response` for `key`, or with `None` marks the key as not storable.
    fn put(&self, key: String, response: Option<Stored>) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.entries.len() >= MAX_ENTRIES {
            let keep_for = self.ttl * 2;
            inner.entries.retain(|_, e| e.stored.elapsed() < keep_for);
            if inner.entries.len() >= MAX_ENTRIES {
                inner.entries.clear();
            }
        }
        inner.entries.insert(
            key,
            Entry {
                stored: Instant::now(),
                response,
            },
        );
    }
}

fn cache_control(ttl: Duration) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={}", ttl.as_secs()))
        .unwrap_or(HeaderValue::from_static("no-cache"))
}

/// Whether the handler allows shared caches to store its response: no `Cache-Control`
/// directive against it (`no-store`, `private`, `no-cache`), no cookie, and no `Vary`
/// (the key does not hold the request headers a `Vary` would name).
fn storable(headers: &HeaderMap) -> bool {
    let forbidden = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("no-store").split(','))
        .map(|directive| {
            directive
                .split('=')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .any(|name| matches!(name.as_str(), "no-store" | "private" | "no-cache"));
    !forbidden && !headers.contains_key(header::SET_COOKIE) && !headers.contains_key(header::VARY)
}

/// The headers of `headers` worth replaying: all but the hop-by-hop ones (those listed
/// in `Connection` too) and `Date`.
fn replayable(headers: &HeaderMap) -> HeaderMap {
    let listed: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let mut kept = headers.clone();
    for name in NOT_REPLAYED.iter() {
        kept.remove(name);
    }
    for name in listed {
        kept.remove(name.as_str());
    }
    kept
}

/// The key of a request: everything an answer may depend on. Answers depend on the path,
/// the query and, through absolute URLs, the public base URL; the request headers that
/// can change that base are part of it when no public URL is configured.
fn key(cache: &ResponseCache, request: &Request) -> String {
    let base = crate::public_url::base(cache.public_url.as_deref(), request.headers());
    format!("{base}{}", request.uri())
}

/// Middleware for public read routes.
pub async fn layer(
    State(cache): State<Arc<ResponseCache>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let cacheable = request.method() == Method::GET
        && CACHEABLE_PREFIXES.iter().any(|p| path.starts_with(p))
        && !request.headers().contains_key(header::AUTHORIZATION);
    if cache.ttl.is_zero() || !cacheable {
        return next.run(request).await;
    }
    let key = key(&cache, &request);
    let guard = match cache.lookup(&key) {
        Some(Lookup::Hit(stored, age)) => return cached_response(stored, age),
        Some(Lookup::Fill(guard)) => Some(guard),
        Some(Lookup::Wait(mut done)) => {
            // Err means the filler is done (its sender dropped); a timeout means it is slow.
            let _ = tokio::time::timeout(FILL_WAIT, done.changed()).await;
            if let Some((stored, age)) = cache.usable(&key) {
                return cached_response(stored, age);
            }
            // Nothing cacheable came of it (an error, a 404, a `no-store` answer): answer
            // this one directly.
            None
        }
        Some(Lookup::Bypass) | None => None,
    };
    let mut response = next.run(request).await;
    if !storable(response.headers()) {
        if guard.is_some() {
            cache.put(key, None);
        }
        return response;
    }
    if response.status() == StatusCode::OK
        && !response.headers().contains_key(header::CACHE_CONTROL)
    {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, cache_control(cache.ttl));
    }
    // Only complete, small bodies of known size are buffered; anything else streams through.
    let small = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n <= MAX_BODY_BYTES as u64);
    if guard.is_none() || response.status() != StatusCode::OK || !small {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(e) => {
            tracing::warn!(error = %e, "reading a response body for the cache failed");
            return crate::error::ApiError::internal(anyhow::anyhow!("response body: {e}"))
                .into_response();
        }
    };
    cache.put(
        key,
        Some(Stored {
            status: parts.status,
            headers: replayable(&parts.headers),
            body: body.clone(),
        }),
    );
    drop(guard);
    Response::from_parts(parts, Body::from(body))
}

/// The stored response as it was first answered, with its `Age`.
fn cached_response(stored: Stored, age: Duration) -> Response {
    let mut response = (stored.status, stored.body).into_response();
    *response.headers_mut() = stored.headers;
    response
        .headers_mut()
        .insert(header::AGE, HeaderValue::from(age.as_secs()));
    response
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use tower::ServiceExt;

    use super::*;

    fn hit(cache: &Arc<ResponseCache>, key: &str) -> Option<Bytes> {
        match cache.lookup(key)? {
            Lookup::Hit(stored, _) => Some(stored.body),
            _ => None,
        }
    }

    fn stored(body: &'static [u8]) -> Option<Stored> {
        Some(Stored {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(body),
        })
    }

    #[test]
    fn entries_expire_and_the_cache_stays_bounded() {
        let cache = Arc::new(ResponseCache::new(Duration::from_millis(30), None));
        cache.put("a".into(), stored(b"1"));
        assert_eq!(hit(&cache, "a"), Some(Bytes::from_static(b"1")));
        std::thread::sleep(Duration::from_millis(70));
        // Past twice the TTL: nothing to serve, this caller is asked to fill it.
        assert!(matches!(cache.lookup("a"), Some(Lookup::Fill(_))));
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(i.to_string(), stored(b""));
        }
        assert!(cache.inner.lock().unwrap().entries.len() <= MAX_ENTRIES);
    }

    /// A router that counts its calls, takes 100 ms and answers the call number (as the
    /// fallback: the middleware looks at the request path, not the route).
    fn counting_app(cache: Arc<ResponseCache>, calls: Arc<AtomicUsize>) -> Router {
        let handler = move || {
            let calls = calls.clone();
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                n.to_string()
            }
        };
        Router::new()
            .fallback(handler)
            .layer(axum::middleware::from_fn_with_state(cache, layer))
    }

    async fn body_of(app: Router) -> String {
        let request = Request::get("/api/v1/skills?q=data")
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn concurrent_misses_run_the_handler_once() {
        let calls = Arc::new(AtomicUsize::new(0));
        let app = counting_app(
            Arc::new(ResponseCache::new(Duration::from_secs(5), None)),
            calls.clone(),
        );
        let bodies = spawn_all((0..20).map(|_| body_of(app.clone()))).await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "one fill for 20 concurrent misses"
        );
        assert!(bodies.iter().all(|b| b == "1"), "{bodies:?}");
    }

    #[tokio::test]
    async fn a_stale_entry_is_served_while_one_request_refreshes_it() {
        let calls = Arc::new(AtomicUsize::new(0));
        let app = counting_app(
            Arc::new(ResponseCache::new(Duration::from_millis(300), None)),
            calls.clone(),
        );
        assert_eq!(body_of(app.clone()).await, "1");
        tokio::time::sleep(Duration::from_millis(350)).await;
        // The first request past the TTL refreshes (and waits for it); the ones arriving
        // meanwhile get the stale answer at once.
        let refresher = tokio::spawn(body_of(app.clone()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let started = Instant::now();
        let stale = spawn_all((0..10).map(|_| body_of(app.clone()))).await;
        assert!(
            started.elapsed() < Duration::from_millis(80),
            "stale answers do not wait"
        );
        assert!(stale.iter().all(|b| b == "1"), "{stale:?}");
        assert_eq!(refresher.await.unwrap(), "2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(body_of(app.clone()).await, "2");
    }

    #[test]
    fn handlers_decide_what_is_stored() {
        let headers = |pairs: &[(&str, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.append(
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                );
            }
            map
        };
        assert!(storable(&headers(&[])));
        assert!(storable(&headers(&[(
            "cache-control",
            "public, max-age=60"
        )])));
        for refused in [
            headers(&[("cache-control", "no-store")]),
            headers(&[("cache-control", "max-age=0, Private")]),
            headers(&[("cache-control", "public"), ("cache-control", "no-cache")]),
            headers(&[("cache-control", "no-cache=\"set-cookie\"")]),
            headers(&[("set-cookie", "a=b")]),
            headers(&[("vary", "accept-language")]),
        ] {
            assert!(!storable(&refused), "{refused:?}");
        }

        let kept = replayable(&headers(&[
            ("content-type", "text/html; charset=utf-8"),
            ("x-content-type-options", "nosniff"),
            ("content-security-policy", "sandbox"),
            ("etag", "\"abc\""),
            ("date", "Tue, 01 Dec 2026 00:00:00 GMT"),
            ("connection", "keep-alive, x-per-hop"),
            ("x-per-hop", "1"),
            ("transfer-encoding", "chunked"),
            ("content-length", "12"),
        ]));
        let names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        assert_eq!(
            names,
            [
                "content-type",
                "x-content-type-options",
                "content-security-policy",
                "etag"
            ]
        );
    }

    /// A handler answering `no-store`, counting its calls.
    #[tokio::test]
    async fn no_store_answers_are_never_replayed_and_skip_the_fill_turn() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let handler = move || {
            let calls = counted.clone();
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                (
                    [(header::CACHE_CONTROL, "no-store"), (header::ETAG, "\"e\"")],
                    n.to_string(),
                )
            }
        };
        let cache = Arc::new(ResponseCache::new(Duration::from_secs(5), None));
        let app = Router::new()
            .fallback(handler)
            .layer(axum::middleware::from_fn_with_state(cache.clone(), layer));
        for expected in 1..=3 {
            let response = app
                .clone()
                .oneshot(
                    Request::get("/api/v1/skills?q=data")
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
            assert_eq!(response.headers()[header::ETAG], "\"e\"");
            assert!(response.headers().get(header::AGE).is_none());
            let body = axum::body::to_bytes(response.into_body(), 64)
                .await
                .unwrap();
            assert_eq!(body, expected.to_string().as_bytes());
        }
        assert!(matches!(
            cache.lookup("http://localhost/api/v1/skills?q=data"),
            Some(Lookup::Bypass)
        ));
    }

    /// Runs the futures concurrently, as tasks, and collects their outputs in order.
    async fn spawn_all<F: std::future::Future<Output = String> + Send + 'static>(
        futures: impl Iterator<Item = F>,
    ) -> Vec<String> {
        let handles: Vec<_> = futures.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for handle in handles {
            out.push(handle.await.unwrap());
        }
        out
    }
}
