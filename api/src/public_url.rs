//! The registry's public base URL, for absolute URLs in answers (the install commands of a
//! skill page).
//!
//! `SKILLDEX_HTTP_PUBLIC_URL` names it; then no answer depends on the `Host` or
//! `X-Forwarded-Proto` a client sends, and one client cannot make a cached page point
//! everyone else elsewhere. Without it the base is taken from those request headers, and the
//! response cache puts the same [`base`] in its key, so each origin a client names gets its
//! own entries.

use std::borrow::Cow;

use axum::http::{HeaderMap, header};

/// The base URL (no trailing `/`) answers use: the configured one, else the request's
/// scheme (`X-Forwarded-Proto`, `http` or `https`, default `http`) and `Host` (only host
/// and port characters, default `localhost`).
pub fn base<'a>(configured: Option<&'a str>, headers: &HeaderMap) -> Cow<'a, str> {
    if let Some(configured) = configured {
        return Cow::Borrowed(configured);
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    Cow::Owned(format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_configured_url_wins_over_request_headers() {
        let spoofed = headers(&[("host", "evil.example"), ("x-forwarded-proto", "https")]);
        assert_eq!(
            base(Some("https://skills.example.com"), &spoofed),
            "https://skills.example.com"
        );
    }

    #[test]
    fn without_one_the_request_names_the_origin() {
        assert_eq!(
            base(None, &headers(&[("host", "127.0.0.1:8080")])),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            base(
                None,
                &headers(&[
                    ("host", "skills.example.com"),
                    ("x-forwarded-proto", "https")
                ])
            ),
            "https://skills.example.com"
        );
        // Characters that could break out of the shell-quoted command are refused.
        assert_eq!(
            base(
                None,
                &headers(&[("host", "a'b;rm -rf"), ("x-forwarded-proto", "gopher")])
            ),
            "http://localhost"
        );
    }
}
