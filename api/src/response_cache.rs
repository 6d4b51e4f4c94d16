//! A short-lived, in-memory cache of public read responses (search, skill pages, lists).
//!
//! A popular query or skill page is asked for many times a second; answering repeats from
//! memory for a few seconds (`SKILLDEX_HTTP_CACHE_TTL_SECS`, default 5) keeps the
//! database free for the long tail. Responses carry `Cache-Control: public, max-age=TTL`
//! so browsers and CDNs can do the same. Only successful GETs are stored, keyed by host,
//! path and query; entries expire by age (no invalidation), so a change (a new version, a
//! yank) shows within one TTL. The cache is bounded: when full, expired entries are
//! dropped, and if that is not enough, everything.

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

struct Entry {
    stored: Instant,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

pub struct ResponseCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl ResponseCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, key: &str) -> Option<(Option<HeaderValue>, Bytes)> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        (entry.stored.elapsed() < self.ttl)
            .then(|| (entry.content_type.clone(), entry.body.clone()))
    }

    fn put(&self, key: String, content_type: Option<HeaderValue>, body: Bytes) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, e| e.stored.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
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
    if let Some((content_type, body)) = cache.get(&key) {
        let mut response = (StatusCode::OK, body).into_response();
        if let Some(content_type) = content_type {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, content_type);
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, cache_control(cache.ttl));
        return response;
    }
    let response = next.run(request).await;
    // Only complete, small bodies of known size are buffered; anything else streams through.
    let small = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n <= MAX_BODY_BYTES as u64);
    if response.status() != StatusCode::OK || !small {
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
    parts
        .headers
        .insert(header::CACHE_CONTROL, cache_control(cache.ttl));
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_cache_stays_bounded() {
        let cache = ResponseCache::new(Duration::from_millis(30));
        cache.put("a".into(), None, Bytes::from_static(b"1"));
        assert_eq!(
            cache.get("a").map(|(_, b)| b),
            Some(Bytes::from_static(b"1"))
        );
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get("a").is_none());
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(i.to_string(), None, Bytes::new());
        }
        assert!(cache.entries.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
