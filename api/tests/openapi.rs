//! The OpenAPI document at `/api/openapi.json` describes exactly the routes the api serves,
//! and the Swagger UI at `/api/docs` serves it.

mod common;

use std::collections::BTreeSet;

use common::TestApp;
use serde_json::Value;

/// Every route of the api. A route added to the router must be added here (and so to the
/// document), and a route dropped from the document fails this test.
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
