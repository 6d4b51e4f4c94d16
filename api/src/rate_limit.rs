//! Per-client-IP rate limiting of unauthenticated writes: a token bucket per client and
//! per [`Limit`], in memory. Registrations (`POST /repositories`) and the auth endpoints
//! (login, refresh, logout) have buckets of their own, so neither can use up the other's.
//!
//! Each client gets `burst` requests at once, refilled at `per_minute`. Memory is bounded:
//! buckets that have refilled completely carry no information and are pruned, and at most
//! [`MAX_CLIENTS`] buckets exist; when that many clients are all mid-burst, new clients are
//! refused until some refill (failing closed protects the workflows behind the limit).
//! IPv6 clients are keyed by their /64, the block one subscriber usually controls.
//!
//! The limit is per api process; behind several replicas each enforces its own.

use std::{
    collections::HashMap,
    marker::PhantomData,
    net::{IpAddr, SocketAddr},
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};
use skilldex_core::config::HttpSettings;

use crate::{AppState, error::ApiError};

/// Most clients tracked at once.
pub const MAX_CLIENTS: usize = 100_000;
/// How often full buckets are swept even when the table is not full.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug)]
struct Table {
    buckets: HashMap<IpAddr, Bucket>,
    last_sweep: Instant,
}

/// A token-bucket limiter keyed by client IP.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    max_clients: usize,
    table: Mutex<Table>,
}

impl RateLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self::with_capacity(per_minute, burst, MAX_CLIENTS)
    }

    fn with_capacity(per_minute: u32, burst: u32, max_clients: usize) -> Self {
        Self {
            per_second: f64::from(per_minute.max(1)) / 60.0,
            burst: f64::from(burst.max(1)),
            max_clients,
            table: Mutex::new(Table {
                buckets: HashMap::new(),
                last_sweep: Instant::now(),
            }),
        }
    }

    /// Takes one token for `ip`; `Err(seconds)` to wait when there is none.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.check_at(key(ip), Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        // A poisoned lock only means another request panicked mid-update; the table is
        // still a valid map of buckets.
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let full_after = Duration::from_secs_f64(self.burst / self.per_second);
        if now.duration_since(table.last_sweep) >= SWEEP_EVERY
            || (table.buckets.len() >= self.max_clients && !table.buckets.contains_key(&ip))
        {
            table
                .buckets
                .retain(|_, b| now.duration_since(b.updated) < full_after);
            table.last_sweep = now;
        }
        if table.buckets.len() >= self.max_clients && !table.buckets.contains_key(&ip) {
            return Err(1);
        }
        let bucket = table.buckets.entry(ip).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err((wait.ceil() as u64).max(1))
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .buckets
            .len()
    }
}

/// IPv4 addresses as they are; IPv6 ones reduced to their /64 (IPv4-mapped ones to IPv4).
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let segments = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(
                    segments[0],
                    segments[1],
                    segments[2],
                    segments[3],
                    0,
                    0,
                    0,
                    0,
                ))
            }
        },
    }
}

/// The client's IP: the first `X-Forwarded-For` address when the proxy is trusted, else the
/// socket's peer.
pub fn client_ip(parts: &Parts, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|first| first.trim().parse::<IpAddr>().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// The limiters of the api, one per [`Limit`].
#[derive(Debug)]
pub struct RateLimits {
    registrations: RateLimiter,
    auth: RateLimiter,
}

impl RateLimits {
    pub fn from_settings(http: &HttpSettings) -> Self {
        Self {
            registrations: RateLimiter::new(http.rate_limit_per_minute, http.rate_limit_burst),
            auth: RateLimiter::new(http.auth_rate_limit_per_minute, http.auth_rate_limit_burst),
        }
    }
}

/// Which limiter a route spends tokens of.
pub trait Limit {
    fn limiter(limits: &RateLimits) -> &RateLimiter;
}

/// `POST /repositories` (`SKILLDEX_HTTP_RATE_LIMIT_*`).
#[derive(Debug, Clone, Copy)]
pub struct Registrations;

impl Limit for Registrations {
    fn limiter(limits: &RateLimits) -> &RateLimiter {
        &limits.registrations
    }
}

/// Login, refresh and logout (`SKILLDEX_HTTP_AUTH_RATE_LIMIT_*`).
#[derive(Debug, Clone, Copy)]
pub struct Auth;

impl Limit for Auth {
    fn limiter(limits: &RateLimits) -> &RateLimiter {
        &limits.auth
    }
}

/// Extractor that spends one token of the client's bucket of limit `L`, or answers 429 with
/// `Retry-After`. Put it first in a handler's arguments, so refused requests cost nothing.
#[derive(Debug, Clone, Copy)]
pub struct RateLimited<L>(PhantomData<L>);

impl<L: Limit> FromRequestParts<AppState> for RateLimited<L> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = client_ip(parts, state.settings.http.trust_forwarded_for).unwrap_or_else(|| {
            // Only without `into_make_service_with_connect_info`; all such requests share
            // one bucket rather than escaping the limit.
            tracing::warn!("no client address for rate limiting");
            IpAddr::from([0, 0, 0, 0])
        });
        L::limiter(&state.rate_limits)
            .check(ip)
            .map(|()| RateLimited(PhantomData))
            .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn burst_then_refill() {
        let limiter = RateLimiter::new(60, 2);
        let start = Instant::now();
        assert!(limiter.check_at(ip(1), start).is_ok());
        assert!(limiter.check_at(ip(1), start).is_ok());
        assert_eq!(limiter.check_at(ip(1), start), Err(1));
        // Other clients have their own bucket.
        assert!(limiter.check_at(ip(2), start).is_ok());
        // One token per second at 60/min.
        assert!(
            limiter
                .check_at(ip(1), start + Duration::from_millis(1_000))
                .is_ok()
        );
        assert!(
            limiter
                .check_at(ip(1), start + Duration::from_millis(1_100))
                .is_err()
        );
    }

    #[test]
    fn retry_after_reflects_the_rate() {
        let limiter = RateLimiter::new(2, 1);
        let start = Instant::now();
        assert!(limiter.check_at(ip(1), start).is_ok());
        assert_eq!(limiter.check_at(ip(1), start), Err(30));
    }

    #[test]
    fn memory_is_bounded() {
        let limiter = RateLimiter::with_capacity(60, 2, 3);
        let start = Instant::now();
        for last in 1..=3 {
            assert!(limiter.check_at(ip(last), start).is_ok());
        }
        // Full of clients mid-burst: a new one is refused, a known one still served.
        assert!(limiter.check_at(ip(4), start).is_err());
        assert!(limiter.check_at(ip(1), start).is_ok());
        // Once buckets have refilled they are pruned and make room.
        let later = start + Duration::from_secs(10);
        assert!(limiter.check_at(ip(4), later).is_ok());
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(key(a), key(b));
        assert_ne!(key(a), key(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(key(mapped), ip(1));
    }
}
