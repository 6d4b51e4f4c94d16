//! A short-lived, in-memory cache of public read responses (search, skill pages, lists).
//!
//! A popular query or skill page is asked for many times a second; answering repeats from
//! memory for a few seconds (`SKILLDEX_HTTP_CACHE_TTL_SECS`, default 5) keeps the
//! database free for the long tail. Responses carry `Cache-Control: public, max-age=TTL`
//! so browsers and CDNs can do the same. Only successful GETs are stored, keyed by host,
//! path and query; entries expire by age (no invalidation), so a change (a new version, a
//! yank) shows within about one TTL. The cache is bounded: when full, expired entries are
//! dropped, and if that is not enough, everything.
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
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
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

#[derive(Clone)]
struct Entry {
    stored: Instant,
    content_type: Option<HeaderValue>,
    body: Bytes,
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
    inner: Mutex<Inner>,
}

/// What a request should do for its key.
enum Lookup {
    /// Answer with this entry: fresh, or stale while another request refreshes it.
    Hit(Entry),
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
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lookup(self: &Arc<Self>, key: &str) -> Option<Lookup> {
        let mut inner = self.inner.lock().ok()?;
        let entry = inner.entries.get(key);
        let age = entry.map(|e| e.stored.elapsed());
        if let (Some(entry), Some(age)) = (entry, age)
            && age < self.ttl
        {
            return Some(Lookup::Hit(entry.clone()));
        }
        if let Some(done) = inner.filling.get(key) {
            return Some(match (entry, age) {
                (Some(entry), Some(age)) if age < self.ttl * 2 => Lookup::Hit(entry.clone()),
                _ => Lookup::Wait(done.clone()),
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

    /// The entry for `key` if one is usable (fresh, or within the stale window), after a
    /// wait for another request's fill.
    fn usable(&self, key: &str) -> Option<Entry> {
        let inner = self.inner.lock().ok()?;
        let entry = inner.entries.get(key)?;
        (entry.stored.elapsed() < self.ttl * 2).then(|| entry.clone())
    }

    fn put(&self, key: String, content_type: Option<HeaderValue>, body: Bytes) {
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
                content_type,
                body,
            },
        );
    }
}

fn cache_control(ttl: Duration) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={}", ttl.as_secs()))
        .unwrap_or(HeaderValue::from_static("no-cache"))
}

fn key(headers: &HeaderMap, request: &Request) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    format!("{host}{}", request.uri())
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
    let key = key(request.headers(), &request);
    let guard = match cache.lookup(&key) {
        Some(Lookup::Hit(entry)) => return cached_response(entry, cache.ttl),
        Some(Lookup::Fill(guard)) => Some(guard),
        Some(Lookup::Wait(mut done)) => {
            // Err means the filler is done (its sender dropped); a timeout means it is slow.
            let _ = tokio::time::timeout(FILL_WAIT, done.changed()).await;
            if let Some(entry) = cache.usable(&key) {
                return cached_response(entry, cache.ttl);
            }
            // Nothing cacheable came of it (an error, a 404): answer this one directly.
            None
        }
        None => None,
    };
    let response = next.run(request).await;
    // Only complete, small bodies of known size are buffered; anything else streams through.
    let small = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n <= MAX_BODY_BYTES as u64);
    if guard.is_none() || response.status() != StatusCode::OK || !small {
        return response;
    }
    let (mut parts, body) = response.into_parts();
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
        parts.headers.get(header::CONTENT_TYPE).cloned(),
        body.clone(),
    );
    drop(guard);
    parts
        .headers
        .insert(header::CACHE_CONTROL, cache_control(cache.ttl));
    Response::from_parts(parts, Body::from(body))
}

fn cached_response(entry: Entry, ttl: Duration) -> Response {
    let mut response = (StatusCode::OK, entry.body).into_response();
    if let Some(content_type) = entry.content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, cache_control(ttl));
    response
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::{Router, routing::get};
    use tower::ServiceExt;

    use super::*;

    fn hit(cache: &Arc<ResponseCache>, key: &str) -> Option<Bytes> {
        match cache.lookup(key)? {
            Lookup::Hit(entry) => Some(entry.body),
            _ => None,
        }
    }

    #[test]
    fn entries_expire_and_the_cache_stays_bounded() {
        let cache = Arc::new(ResponseCache::new(Duration::from_millis(30)));
        cache.put("a".into(), None, Bytes::from_static(b"1"));
        assert_eq!(hit(&cache, "a"), Some(Bytes::from_static(b"1")));
        std::thread::sleep(Duration::from_millis(70));
        // Past twice the TTL: nothing to serve, this caller is asked to fill it.
        assert!(matches!(cache.lookup("a"), Some(Lookup::Fill(_))));
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(i.to_string(), None, Bytes::new());
        }
        assert!(cache.inner.lock().unwrap().entries.len() <= MAX_ENTRIES);
    }

    /// A router whose one cacheable route counts its calls, takes 100 ms and answers the
    /// call number.
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
            .route("/api/v1/skills", get(handler))
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
            Arc::new(ResponseCache::new(Duration::from_secs(5))),
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
            Arc::new(ResponseCache::new(Duration::from_millis(300))),
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
