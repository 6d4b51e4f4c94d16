//! Serving the built web UI (`SKILLDEX_UI_DIR`, a Vite `dist/` folder).
//!
//! The UI is a single-page app: a path that is not a file (`/skills/a/b/c`, `/admin`,
//! `/search?q=pdf`) answers `200` with `index.html` and the app routes it client-side. A
//! missing file under `/assets/` (hashed bundles) or a missing top-level file with an
//! extension (`/robots.txt`) answers `404`, so a stale bundle reference fails loudly instead
//! of being parsed as HTML. Every answer carries the security headers below; `index.html`
//! is `no-cache` (a deploy shows at once), the hashed assets are immutable.

use std::{convert::Infallible, path::Path};

use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower::{ServiceExt, service_fn};
use tower_http::services::{ServeDir, ServeFile};

/// What the built app needs and nothing more: its own scripts, styles and API; images from
/// this origin (skill files) and any `https:` host (SKILL.md may embed remote images); no
/// plugins, no `<base>`, no framing. React sets inline styles through the CSSOM, which
/// `style-src 'self'` allows; sanitized Markdown keeps no `style` attribute.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' https:; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub const REFERRER_POLICY: &str = "strict-origin-when-cross-origin";

/// The UI under `dir`, as a fallback service for the api's router.
pub fn router(dir: &Path) -> Router {
    let index = dir.join("index.html");
    let spa = service_fn(move |request: Request| {
        let index = index.clone();
        async move {
            if is_asset_path(request.uri().path()) {
                return Ok::<_, Infallible>(StatusCode::NOT_FOUND.into_response());
            }
            let response = ServeFile::new(index).oneshot(request).await?;
            Ok(response.map(Body::new))
        }
    });
    Router::new()
        .fallback_service(ServeDir::new(dir).fallback(spa))
        .layer(middleware::from_fn(headers))
}

/// Paths that name a file rather than a page of the app.
fn is_asset_path(path: &str) -> bool {
    if path.starts_with("/assets/") {
        return true;
    }
    // `/favicon.ico`, `/robots.txt`; deeper paths are routes (`/repositories/o/my.repo`).
    let rest = path.trim_start_matches('/');
    !rest.contains('/') && rest.contains('.')
}

async fn headers(request: Request, next: Next) -> Response {
    let hashed = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let cache = if hashed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(REFERRER_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::is_asset_path;

    #[test]
    fn asset_paths_are_files_and_routes_are_pages() {
        for path in [
            "/assets/index-abc.js",
            "/assets/x",
            "/favicon.ico",
            "/robots.txt",
        ] {
            assert!(is_asset_path(path), "{path}");
        }
        for path in [
            "/",
            "/admin",
            "/admin/blacklist",
            "/search",
            "/skills/a/b/c",
            "/repositories/owner/my.repo",
            "/registrations/6f1c",
        ] {
            assert!(!is_asset_path(path), "{path}");
        }
    }
}
