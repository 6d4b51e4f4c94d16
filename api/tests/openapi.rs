//! The OpenAPI document at `/api/openapi.json` describes exactly the routes the api serves,
//! and the Swagger UI at `/api/docs` serves it.

mod common;

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use common::TestApp;
use serde_json::Value;

/// Every route of the api, as the contract reviewers see it: a route added to the document
/// must be added here, and a route dropped from the document fails this test. (A route
/// cannot be served without being in the document: see
/// `no_route_is_added_outside_the_document`.)
const EXPECTED: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/auth/me"),
    ("GET", "/api/v1/skills"),
    ("GET", "/api/v1/skills/{owner}/{repo}/{name}"),
    ("GET", "/api/v1/skills/{owner}/{repo}/{name}/versions"),
    (
        "GET",
        "/api/v1/skills/{owner}/{repo}/{name}/versions/{hash}",
    ),
    (
        "GET",
        "/api/v1/skills/{owner}/{repo}/{name}/versions/{hash}/files/{file}",
    ),
    (
        "GET",
        "/api/v1/skills/{owner}/{repo}/{name}/versions/{hash}/download",
    ),
    ("GET", "/api/v1/repositories"),
    ("POST", "/api/v1/repositories"),
    ("GET", "/api/v1/repositories/{owner}/{repo}"),
    ("GET", "/api/v1/registrations/{id}"),
    ("GET", "/api/v1/stats"),
    ("GET", "/api/v1/marketplaces"),
    ("GET", "/api/v1/marketplaces/{owner}/{repo}"),
    ("GET", "/api/v1/changes"),
    ("GET", "/api/v1/admin/tokens"),
    ("POST", "/api/v1/admin/tokens"),
    ("DELETE", "/api/v1/admin/tokens/{id}"),
    ("GET", "/api/v1/admin/discovery-sources"),
    ("POST", "/api/v1/admin/discovery-sources"),
    ("GET", "/api/v1/admin/discovery-sources/{id}"),
    ("PATCH", "/api/v1/admin/discovery-sources/{id}"),
    ("DELETE", "/api/v1/admin/discovery-sources/{id}"),
    ("POST", "/api/v1/admin/discovery-sources/{id}/run"),
    ("GET", "/api/v1/admin/blacklist"),
    ("POST", "/api/v1/admin/blacklist"),
    ("DELETE", "/api/v1/admin/blacklist/{id}"),
    ("POST", "/api/v1/admin/repositories/{owner}/{repo}/resync"),
    (
        "POST",
        "/api/v1/admin/skills/{owner}/{repo}/{name}/versions/{hash}/yank",
    ),
    (
        "POST",
        "/api/v1/admin/skills/{owner}/{repo}/{name}/versions/{hash}/unyank",
    ),
    ("GET", "/api/v1/admin/audit-log"),
];

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// A concrete URL for a documented path.
fn sample(path: &str) -> String {
    path.replace("{owner}", "someone")
        .replace("{repo}", "something")
        .replace("{name}", "a-skill")
        .replace("{hash}", &"0".repeat(64))
        .replace("{id}", "00000000-0000-0000-0000-000000000000")
        .replace("{file}", "scripts/run.sh")
}

#[tokio::test]
async fn the_document_lists_every_route_and_nothing_else() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let expected: BTreeSet<(String, String)> = EXPECTED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let actual = documented(&doc);
    let missing: Vec<_> = expected.difference(&actual).collect();
    let unexpected: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "missing from the document: {missing:?}; not in EXPECTED: {unexpected:?}"
    );

    // Every operation has a tag, a 2xx/3xx answer and documented error answers.
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            assert!(operation["tags"].is_array(), "{method} {path}: no tag");
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses
                    .keys()
                    .any(|k| k.starts_with('2') || k.starts_with('3')),
                "{method} {path}: no success response"
            );
        }
    }
    assert!(doc["components"]["schemas"]["Error"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    for (method, path) in documented(&doc) {
        let url = app.url(&sample(&path));
        let request = app
            .http
            .request(method.parse().unwrap(), &url)
            .header("content-type", "application/json")
            .body("{}");
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let no_route = status == 404
            && body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no route for"));
        assert!(
            !no_route && status != 405,
            "{method} {path} is documented but not served ({status}: {body})"
        );
    }
}

#[tokio::test]
async fn swagger_ui_serves_the_document() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/docs/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.to_lowercase().contains("swagger"), "{html}");
    let config = app.get("/api/docs/swagger-initializer.js").await;
    assert_eq!(config.status(), 200);
    assert!(config.text().await.unwrap().contains("/api/openapi.json"));
}

/// The methods that add a route to a router without documenting it, refused by
/// `api/clippy.toml`.
const UNDOCUMENTED_ROUTE_METHODS: &[&str] = &[
    "axum::routing::Router::route",
    "axum::routing::Router::route_service",
    "axum::routing::Router::nest",
    "axum::routing::Router::nest_service",
    "utoipa_axum::router::OpenApiRouter::route",
    "utoipa_axum::router::OpenApiRouter::route_service",
    "utoipa_axum::router::OpenApiRouter::nest_service",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Served `/api/v1` routes are documented by construction: handlers are added only with
/// `utoipa_axum::routes!`, which puts each in the document as it adds it to the router.
/// The guard that keeps it so is a lint, not a list: `api/clippy.toml` refuses every
/// router method that adds a route without documenting it (clippy runs with `-D
/// warnings`), and the one function allowed to use them, `outside_api` in `src/lib.rs`,
/// refuses `/api/v1` paths at start-up. This test fails when the lint is weakened: a
/// method dropped from `clippy.toml`, or the lint allowed anywhere else.
#[test]
fn no_route_is_added_outside_the_document() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = std::fs::read_to_string(root.join("clippy.toml")).unwrap();
    for method in UNDOCUMENTED_ROUTE_METHODS {
        assert!(
            config.contains(&format!("path = \"{method}\"")),
            "api/clippy.toml no longer refuses {method}"
        );
    }

    // Names that switch the lint off: the lint itself and the groups holding it.
    let switches = [
        concat!("clippy::", "disallowed_methods"),
        concat!("clippy::", "style"),
        concat!("clippy::", "all"),
    ];
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    files.sort();
    let mut allowed = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if switches.iter().any(|s| line.contains(s)) {
                let item = lines[i + 1..]
                    .iter()
                    .map(|l| l.trim())
                    .find(|l| !l.starts_with("#["))
                    .unwrap_or_default();
                let relative = file.strip_prefix(root).unwrap().display().to_string();
                allowed.push(format!("{relative}: {item}"));
            }
        }
    }
    assert_eq!(
        allowed,
        vec!["src/lib.rs: fn outside_api(".to_owned()],
        "only outside_api may add routes the document does not list"
    );
}
