//! The built UI served by the api (`SKILLDEX_UI_DIR`): single-page-app routes answer 200
//! with index.html, missing assets 404, unknown API paths keep the JSON envelope, and the
//! UI carries its security headers.

mod common;

use common::{TestApp, http_settings};
use serde_json::Value;
use skilldex_api::ui::CONTENT_SECURITY_POLICY;
use skilldex_test_support::temporal_settings;

const INDEX: &str = "<!doctype html><title>Skilldex</title><script type=\"module\" src=\"/assets/index-abc123.js\"></script>";
const SCRIPT: &str = "console.log('skilldex');";

async fn spawn_with_ui() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(dir.path().join("assets/index-abc123.js"), SCRIPT).unwrap();
    let mut http = http_settings();
    http.ui_dir = Some(dir.path().to_path_buf());
    let app = TestApp::spawn_with(temporal_settings("skilldex-api-tests"), http).await;
    (app, dir)
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn deep_links_answer_200_with_index_html_and_the_security_headers() {
    let (app, _dir) = spawn_with_ui().await;
    for path in [
        "/",
        "/skills/anthropics/skills/pdf",
        "/admin",
        "/admin/blacklist",
        "/search?q=pdf&sort=stars",
        "/repositories/owner/name.with.dots",
        "/registrations/0b9c6a1e-0000-4000-8000-000000000000",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            header(&response, "content-type").starts_with("text/html"),
            "{path}"
        );
        let csp = header(&response, "content-security-policy").to_string();
        assert_eq!(csp, CONTENT_SECURITY_POLICY, "{path}");
        for directive in [
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp} lacks {directive}");
        }
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert_eq!(
            header(&response, "referrer-policy"),
            "strict-origin-when-cross-origin"
        );
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        assert_eq!(response.text().await.unwrap(), INDEX, "{path}");
    }
}

#[tokio::test]
async fn assets_are_served_and_missing_ones_are_404_not_index_html() {
    let (app, _dir) = spawn_with_ui().await;
    let response = app.get("/assets/index-abc123.js").await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-type").contains("javascript"));
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert!(header(&response, "cache-control").contains("immutable"));
    assert_eq!(response.text().await.unwrap(), SCRIPT);

    for path in ["/assets/index-gone.js", "/assets/app.css", "/robots.txt"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("<!doctype html>"), "{path} got index.html");
    }
}

#[tokio::test]
async fn unknown_api_paths_keep_the_json_envelope() {
    let (app, _dir) = spawn_with_ui().await;
    let response = app.get("/api/v1/no-such-thing").await;
    assert_eq!(response.status(), 404);
    assert!(header(&response, "content-type").starts_with("application/json"));
    assert!(
        response.headers().get("content-security-policy").is_none(),
        "UI headers on an API answer"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}
