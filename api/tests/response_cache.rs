//! The response cache in front of the public reads, switched on (the other test binaries
//! run with it off): a hit replays the whole stored response, and what a handler marks
//! `no-store` (downloads) is never stored.

mod common;

use std::time::Duration;

use common::{
    TestApp, http_settings,
    index::{index_tree, tree},
};
use reqwest::header::HeaderMap;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;
use skilldex_core::{config::HttpSettings, storage::ObjectStore};
use skilldex_test_support::{s3_settings, temporal_settings, unique_owner};
use uuid::Uuid;

const COMMIT: &str = "1111111111111111111111111111111111111111";
/// Long enough that every repeat in a test is a hit.
const TTL_SECS: u64 = 60;

/// A skill shipping an HTML page and an SVG, indexed under a fresh owner; returns the
/// skill's address and its version hash.
async fn skill_with_active_content(app: &TestApp) -> (String, String) {
    let owner = unique_owner("cache");
    let files = tree(&[
        (
            "skills/pages/SKILL.md",
            "---\nname: pages\ndescription: Ships a web page and an image.\n---\n# Pages\n",
        ),
        (
            "skills/pages/page.html",
            "<html><body><script>alert(document.cookie)</script></body></html>\n",
        ),
        (
            "skills/pages/logo.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>\n",
        ),
    ]);
    let store = ObjectStore::new(&s3_settings());
    index_tree(
        &app.db.conn,
        &store,
        (&owner, "site"),
        files.path(),
        COMMIT,
        3,
    )
    .await;
    let hash = one_string(
        &app.db.conn,
        "SELECT v.content_hash AS value FROM skill_versions v JOIN skills s ON s.id = v.skill_id \
         JOIN repositories r ON r.id = s.repository_id WHERE r.owner = $1",
        &owner,
    )
    .await;
    (format!("/api/v1/skills/{owner}/site/pages"), hash)
}

async fn one_string(db: &DatabaseConnection, sql: &str, param: &str) -> String {
    db.query_one_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [param.into()],
    ))
    .await
    .unwrap()
    .expect("one row")
    .try_get("", "value")
    .unwrap()
}

/// `GET path` with a request id of our own; the headers and body.
async fn fetch(app: &TestApp, path: &str, request_id: &str) -> (u16, HeaderMap, Vec<u8>) {
    let response = app
        .http
        .get(app.url(path))
        .header("x-request-id", request_id)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn files_served_from_the_cache_keep_nosniff_and_the_sandbox() {
    let app = TestApp::spawn_cached(TTL_SECS).await;
    let (base, hash) = skill_with_active_content(&app).await;
    for (file, content_type) in [
        ("page.html", "text/html; charset=utf-8"),
        ("logo.svg", "image/svg+xml"),
    ] {
        let path = format!("{base}/versions/{hash}/files/{file}");
        let (status, first, first_body) = fetch(&app, &path, "first").await;
        assert_eq!(status, 200, "{file}");
        assert!(
            first.get("age").is_none(),
            "{file}: the first read is a miss"
        );
        let (status, hit, hit_body) = fetch(&app, &path, "second").await;
        assert_eq!(status, 200, "{file}");
        assert!(
            hit.get("age").is_some(),
            "{file}: the repeat is a hit: {hit:?}"
        );
        assert_eq!(hit_body, first_body, "{file}");
        for headers in [&first, &hit] {
            assert_eq!(headers["x-content-type-options"], "nosniff", "{file}");
            assert!(
                headers["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .starts_with("sandbox"),
                "{file}: {headers:?}"
            );
            assert_eq!(headers["content-type"], content_type, "{file}");
        }
        // The outer layers still run on a hit: the request id is this request's.
        assert_eq!(hit["x-request-id"], "second");
    }
}

#[tokio::test]
async fn a_hit_replays_every_header_of_the_stored_response() {
    let app = TestApp::spawn_cached(TTL_SECS).await;
    let (base, _) = skill_with_active_content(&app).await;
    let (status, first, first_body) = fetch(&app, &base, "a").await;
    assert_eq!(status, 200);
    let (_, hit, hit_body) = fetch(&app, &base, "b").await;
    assert!(hit.get("age").is_some(), "{hit:?}");
    assert_eq!(hit_body, first_body);
    for (name, value) in &first {
        if ["date", "x-request-id", "content-length"].contains(&name.as_str()) {
            continue;
        }
        assert_eq!(hit.get(name), Some(value), "{name} replayed");
    }
    assert_eq!(
        hit["cache-control"],
        format!("public, max-age={TTL_SECS}").as_str()
    );
    assert_eq!(hit["content-type"], "application/json");
    assert_eq!(hit["x-request-id"], "b");
}

async fn download_count(db: &DatabaseConnection, base: &str) -> i64 {
    let name = base.rsplit('/').next().unwrap();
    let owner = base.split('/').nth(4).unwrap();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT s.download_count FROM skills s JOIN repositories r ON r.id = s.repository_id \
             WHERE r.owner = $1 AND s.name = $2",
            [owner.into(), name.into()],
        ))
        .await
        .unwrap()
        .expect("the skill");
    row.try_get("", "download_count").unwrap()
}

#[tokio::test]
async fn every_download_reaches_the_handler_and_is_counted() {
    let app = TestApp::spawn_cached(TTL_SECS).await;
    let (base, hash) = skill_with_active_content(&app).await;
    app.db
        .conn
        .execute_unprepared(&format!(
            "UPDATE skill_versions SET yanked = true, yanked_at = now(), \
             yanked_reason = 'broken' WHERE content_hash = '{hash}'"
        ))
        .await
        .unwrap();
    let path = format!("{base}/versions/{hash}/download?redirect=false");
    let mut bodies = Vec::new();
    for i in 0..3 {
        let (status, headers, body) = fetch(&app, &path, &Uuid::new_v4().to_string()).await;
        assert_eq!(status, 200, "download {i}");
        assert!(
            headers.get("age").is_none(),
            "download {i} came from the cache"
        );
        assert_eq!(headers["cache-control"], "no-store", "download {i}");
        assert_eq!(headers["etag"], format!("\"{hash}\"").as_str());
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"pages-"),
            "{headers:?}"
        );
        assert_eq!(headers["warning"], "299 - \"version yanked: broken\"");
        bodies.push(body);
    }
    assert!(bodies.iter().all(|b| b == &bodies[0] && !b.is_empty()));

    // Redirects are not stored either.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..2 {
        let response = no_redirects
            .get(app.url(&format!("{base}/versions/{hash}/download")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
        assert!(response.headers().get("age").is_none());
    }

    let mut counted = 0;
    for _ in 0..100 {
        counted = download_count(&app.db.conn, &base).await;
        if counted == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(counted, 5, "three streamed and two redirected downloads");
}

/// The first install command of a skill page fetched with `headers`, and whether it was a
/// cache hit.
async fn install_command(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (String, bool) {
    let mut request = app.http.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let hit = response.headers().get("age").is_some();
    let page: Value = response.json().await.unwrap();
    let command = page["install"][0]["command"].as_str().unwrap().to_owned();
    (command, hit)
}

#[tokio::test]
async fn request_headers_cannot_change_the_page_other_clients_get() {
    let app = TestApp::spawn_cached(TTL_SECS).await;
    let (base, _) = skill_with_active_content(&app).await;
    let origin = format!("http://{}", app.addr);

    // A client claiming https (or another host) first: its answer says so...
    let (spoofed, _) = install_command(&app, &base, &[("x-forwarded-proto", "https")]).await;
    assert!(
        spoofed.contains(&format!("'https://{}/", app.addr)),
        "{spoofed}"
    );
    let (evil, _) = install_command(&app, &base, &[("host", "evil.example")]).await;
    assert!(evil.contains("'http://evil.example/"), "{evil}");

    // ...but is not what a plain client is served from the cache.
    let (plain, hit) = install_command(&app, &base, &[]).await;
    assert!(!hit, "the origin is part of the key");
    assert!(
        plain.contains(&format!("'{origin}/api/v1/skills/")),
        "{plain}"
    );
    let (again, hit) = install_command(&app, &base, &[]).await;
    assert!(hit);
    assert_eq!(again, plain);
}

#[tokio::test]
async fn a_configured_public_url_is_the_only_base_of_install_commands() {
    let http = HttpSettings {
        cache_ttl_secs: TTL_SECS,
        public_url: Some("https://skills.example.com".into()),
        ..http_settings()
    };
    let app = TestApp::spawn_with(temporal_settings("skilldex-api-tests"), http).await;
    let (base, hash) = skill_with_active_content(&app).await;
    let expected = format!("'https://skills.example.com{base}/versions/{hash}/download'");
    let (spoofed, hit) = install_command(
        &app,
        &base,
        &[("host", "evil.example"), ("x-forwarded-proto", "http")],
    )
    .await;
    assert!(!hit);
    assert!(spoofed.contains(&expected), "{spoofed}");
    // Headers no longer matter, so every client shares one entry.
    let (plain, hit) = install_command(&app, &base, &[]).await;
    assert!(hit);
    assert_eq!(plain, spoofed);
}
