//! Public read endpoints (search, skill pages, versions, files, downloads, repositories,
//! marketplaces, changes, stats) over skills indexed by the real build + S3 + index code.

mod common;

use std::{io::Read, time::Duration};

use common::{
    TestApp,
    index::{index_tree, tree},
};
use serde_json::Value;
use skilldex_core::storage::ObjectStore;
use skilldex_test_support::{fake_github::corpus_dir, s3_settings, unique_owner};

const COMMIT_1: &str = "1111111111111111111111111111111111111111";
const COMMIT_2: &str = "2222222222222222222222222222222222222222";

struct Fixture {
    app: TestApp,
    store: ObjectStore,
    /// Owner of the corpus copy of anthropics/skills in this test.
    anthropic: String,
    /// Owner of the corpus copy of obra/superpowers (a marketplace) in this test.
    obra: String,
}

/// The two corpus repositories, indexed under owners no other test uses.
async fn corpus() -> Fixture {
    let app = TestApp::spawn().await;
    let store = ObjectStore::new(&s3_settings());
    let anthropic = unique_owner("anthropics");
    let obra = unique_owner("obra");
    let root = corpus_dir();
    index_tree(
        &app.db.conn,
        &store,
        (&anthropic, "skills"),
        &root.join("anthropics_skills"),
        COMMIT_1,
        500,
    )
    .await;
    index_tree(
        &app.db.conn,
        &store,
        (&obra, "superpowers"),
        &root.join("obra_superpowers"),
        COMMIT_1,
        900,
    )
    .await;
    Fixture {
        app,
        store,
        anthropic,
        obra,
    }
}

async fn json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn names(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn search_ranks_name_matches_first_and_highlights_safely() {
    let f = corpus().await;
    let (status, body) = json(&f.app, "/api/v1/skills?q=pdf").await;
    assert_eq!(status, 200, "{body}");
    let found = names(&body);
    assert_eq!(found.first().map(String::as_str), Some("pdf"), "{found:?}");
    assert_eq!(body["fuzzy"], false);
    assert_eq!(body["total_exact"], true);
    assert!(body["total"].as_i64().unwrap() >= 1);
    let pdf = &body["items"][0];
    assert_eq!(pdf["owner"], f.anthropic.as_str());
    assert_eq!(pdf["repo"], "skills");
    assert_eq!(pdf["stars"], 500);
    assert_eq!(pdf["highlight"]["name"], "<mark>pdf</mark>");
    let description = pdf["highlight"]["description"].as_str().unwrap();
    assert!(description.contains("<mark>PDF</mark>"), "{description}");
    assert_eq!(
        description.replace("<mark>", "").replace("</mark>", ""),
        description
            .replace("<mark>", "")
            .replace("</mark>", "")
            .replace('<', "&lt;"),
        "only <mark> is markup"
    );
    assert_eq!(
        pdf["latest_version"]["content_hash"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert!(
        body.get("facets").unwrap().is_null(),
        "facets only on request"
    );
}

#[tokio::test]
async fn misspelled_queries_are_corrected() {
    let f = corpus().await;
    let (status, body) = json(&f.app, "/api/v1/skills?q=spredsheet").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["fuzzy"], true, "{body}");
    assert_eq!(body["corrected_query"], "spreadsheet");
    assert!(names(&body).contains(&"xlsx".to_owned()), "{body}");
    let (_, nothing) = json(&f.app, "/api/v1/skills?q=qqqqqqqqzzzz").await;
    assert_eq!(nothing["items"], Value::Array(vec![]));
    assert_eq!(nothing["total"], 0);
}

#[tokio::test]
async fn browse_filters_facets_and_pages() {
    let f = corpus().await;
    let owner = &f.obra;
    let (_, all) = json(
        &f.app,
        &format!("/api/v1/skills?owner={owner}&sort=name&limit=100&facets=true"),
    )
    .await;
    let everything = names(&all);
    assert!(everything.len() >= 10, "{everything:?}");
    let mut sorted = everything.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(everything, sorted, "sorted by name");
    assert_eq!(all["facets"]["owner"][0]["value"], owner.as_str());
    assert_eq!(
        all["facets"]["owner"][0]["count"].as_i64().unwrap() as usize,
        everything.len()
    );

    // Seek pagination walks the same list without gaps or repeats.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/skills?owner={owner}&sort=name&limit=3");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = json(&f.app, &path).await;
        assert_eq!(status, 200, "{page}");
        paged.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, everything);

    // Filters.
    let (_, by_repo) = json(
        &f.app,
        &format!("/api/v1/skills?repo={}/skills&limit=100", f.anthropic),
    )
    .await;
    assert!(names(&by_repo).contains(&"pdf".to_owned()));
    assert!(!names(&by_repo).contains(&"brainstorming".to_owned()));
    let (_, errors) = json(
        &f.app,
        &format!("/api/v1/skills?repo={}/skills&has_errors=true", f.anthropic),
    )
    .await;
    assert!(
        errors["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["has_errors"] == true && s["error_count"].as_i64().unwrap() > 0),
        "{errors}"
    );
    assert!(
        names(&errors).contains(&"claude-api".to_owned()),
        "the corpus's over-long description: {errors}"
    );
    let (_, in_marketplace) = json(
        &f.app,
        &format!("/api/v1/skills?owner={owner}&marketplace=superpowers-dev&limit=100"),
    )
    .await;
    let mut in_plugin = names(&in_marketplace);
    in_plugin.sort_by_key(|n| n.to_lowercase());
    assert_eq!(in_plugin, everything, "every skill is in the plugin");
    let (_, other) = json(
        &f.app,
        &format!("/api/v1/skills?owner={owner}&marketplace=anthropic-agent-skills"),
    )
    .await;
    assert_eq!(other["items"], Value::Array(vec![]));

    // Marketplace and plugin facets count what their filters find.
    let facet = |body: &Value, name: &str| -> Vec<(String, i64)> {
        body["facets"][name]
            .as_array()
            .unwrap_or_else(|| panic!("facet {name}: {body}"))
            .iter()
            .map(|v| {
                (
                    v["value"].as_str().unwrap_or_default().to_owned(),
                    v["count"].as_i64().unwrap_or(-1),
                )
            })
            .collect()
    };
    let count = everything.len() as i64;
    assert_eq!(
        facet(&all, "marketplace"),
        vec![("superpowers-dev".to_owned(), count)]
    );
    assert_eq!(
        facet(&all, "plugin"),
        vec![("superpowers".to_owned(), count)]
    );
    let (_, whole) = json(&f.app, "/api/v1/skills?facets=true&limit=100").await;
    let marketplaces = facet(&whole, "marketplace");
    let plugins = facet(&whole, "plugin");
    let names_of = |m: &[(String, i64)]| m.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert!(
        names_of(&marketplaces).contains(&"anthropic-agent-skills".to_owned()),
        "{marketplaces:?}"
    );
    assert!(
        names_of(&plugins).contains(&"document-skills".to_owned()),
        "{plugins:?}"
    );
    for (filter, values) in [("marketplace", &marketplaces), ("plugin", &plugins)] {
        for (value, expected) in values.iter() {
            let (status, page) = json(
                &f.app,
                &format!("/api/v1/skills?{filter}={value}&limit=100"),
            )
            .await;
            assert_eq!(status, 200, "{page}");
            assert_eq!(
                names(&page).len() as i64,
                *expected,
                "{filter}={value}: {page}"
            );
        }
    }
    let (_, documents) = json(
        &f.app,
        "/api/v1/skills?plugin=document-skills&facets=true&sort=name",
    )
    .await;
    assert_eq!(names(&documents), vec!["docx", "pdf", "pptx", "xlsx"]);
    assert_eq!(
        facet(&documents, "plugin"),
        vec![("document-skills".to_owned(), 4)]
    );
}

/// `n` listed skills under `owner` in repositories of `stars`, with chosen licences and
/// change times (two skills share each time), inserted directly.
async fn seed_ordered(app: &TestApp, owner: &str) {
    use sea_orm::ConnectionTrait;
    app.db
        .conn
        .execute_unprepared(&format!(
            "WITH repos AS (INSERT INTO repositories (owner, name, stars) \
                            SELECT '{owner}', 'r' || j, (ARRAY[50, 50, 10])[j] \
                            FROM generate_series(1, 3) AS j RETURNING id, name) \
             INSERT INTO skills (repository_id, name, path, description, license, has_errors, \
                                 error_count, updated_at) \
             SELECT repos.id, repos.name || '-s' || i, 'skills/s' || i, 'An ordered helper', \
                    (ARRAY['MIT', 'Apache-2.0', NULL])[1 + i % 3], true, 1, \
                    timestamptz '2026-01-01 00:00:00+00' + (i / 2) * interval '1 minute' \
             FROM repos, generate_series(1, 7) AS i"
        ))
        .await
        .expect("seed ordered skills");
}

/// Every item of a browse by following `next_cursor` with pages of 4.
async fn all_items(app: &TestApp, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => format!("/api/v1/skills?{query}&limit=4"),
            Some(c) => format!("/api/v1/skills?{query}&limit=4&cursor={c}"),
        };
        let (status, body) = json(app, &path).await;
        assert_eq!(status, 200, "{path}: {body}");
        out.extend(body["items"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
        assert!(out.len() <= 100, "paging does not end");
    }
}

#[tokio::test]
async fn license_and_updated_since_filter_and_stars_and_updated_order_page_stably() {
    use chrono::{DateTime, Utc};
    let app = TestApp::spawn().await;
    let owner = unique_owner("ordered");
    seed_ordered(&app, &owner).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let updated = |v: &Value| {
        v["updated_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
    };

    // Stars: repositories' stars descending, ties (two repositories of 50) by id; pages of
    // 4 walk it without gaps or repeats, and asking again gives the same order.
    let by_stars = all_items(&app, &format!("owner={owner}&sort=stars")).await;
    assert_eq!(by_stars.len(), 21);
    let mut expected = by_stars.clone();
    expected.sort_by(|a, b| {
        b["stars"]
            .as_i64()
            .cmp(&a["stars"].as_i64())
            .then_with(|| id(a).cmp(&id(b)))
    });
    let ids = |v: &[Value]| v.iter().map(id).collect::<Vec<_>>();
    assert_eq!(ids(&by_stars), ids(&expected));
    let mut unique = ids(&by_stars);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 21, "no repeats across pages");
    assert_eq!(
        ids(&all_items(&app, &format!("owner={owner}&sort=stars")).await),
        ids(&by_stars),
        "stable"
    );
    assert_eq!(by_stars[0]["stars"], 50);
    assert_eq!(by_stars[20]["stars"], 10);

    // Updated: newest first, ties (two skills per minute) by id.
    let by_updated = all_items(&app, &format!("owner={owner}&sort=updated")).await;
    let mut expected = by_updated.clone();
    expected.sort_by(|a, b| updated(b).cmp(&updated(a)).then_with(|| id(a).cmp(&id(b))));
    assert_eq!(by_updated.len(), 21);
    assert_eq!(ids(&by_updated), ids(&expected));
    assert_eq!(
        ids(&all_items(&app, &format!("owner={owner}")).await),
        ids(&by_updated),
        "updated is the browse default"
    );

    // License: exactly the skills with that licence, in either order.
    for sort in ["stars", "updated"] {
        let mit = all_items(&app, &format!("owner={owner}&license=MIT&sort={sort}")).await;
        let expected: Vec<Value> = (if sort == "stars" {
            &by_stars
        } else {
            &by_updated
        })
        .iter()
        .filter(|v| v["license"] == "MIT")
        .cloned()
        .collect();
        assert_eq!(
            expected.len(),
            6,
            "i % 3 == 0 for 2 of 7 skills in 3 repositories"
        );
        assert_eq!(ids(&mit), ids(&expected), "license=MIT&sort={sort}");
    }
    let (_, none) = json(
        &app,
        &format!("/api/v1/skills?owner={owner}&license=GPL-3.0"),
    )
    .await;
    assert_eq!(none["items"], Value::Array(vec![]));

    // updated_since: at or after the time, boundary included.
    let since: DateTime<Utc> = "2026-01-01T00:02:00Z".parse().unwrap();
    let recent = all_items(
        &app,
        &format!("owner={owner}&updated_since=2026-01-01T00:02:00Z&sort=stars"),
    )
    .await;
    let expected: Vec<Value> = by_stars
        .iter()
        .filter(|v| updated(v) >= since)
        .cloned()
        .collect();
    // i / 2 >= 2 for i in 4..=7: 4 skills per repository.
    assert_eq!(expected.len(), 12);
    assert!(recent.iter().any(|v| updated(v) == since), "inclusive");
    assert_eq!(ids(&recent), ids(&expected));
    let (status, body) = json(
        &app,
        &format!("/api/v1/skills?owner={owner}&updated_since=yesterday"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn bad_search_parameters_are_400s_naming_the_parameter() {
    let app = TestApp::spawn().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("sort=random", "sort"),
        ("cursor=zz", "cursor"),
        ("cursor=7b7d", "cursor"),
        ("repo=nope", "repo"),
    ] {
        let (status, body) = json(&app, &format!("/api/v1/skills?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "bad_request");
        assert_eq!(body["error"]["details"]["field"], field, "{query}");
    }
    let (status, body) = json(&app, "/api/v1/skills?limit=abc").await;
    assert_eq!(status, 400, "{body}");
    let long = "a".repeat(201);
    let (status, _) = json(&app, &format!("/api/v1/skills?q={long}")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn skill_page_has_everything_a_reader_needs() {
    let f = corpus().await;
    let (status, page) = json(
        &f.app,
        &format!("/api/v1/skills/{}/skills/PDF", f.anthropic.to_uppercase()),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["name"], "pdf");
    assert_eq!(page["status"], "active");
    assert_eq!(page["frontmatter"]["name"], "pdf");
    assert!(
        page["body"]
            .as_str()
            .unwrap()
            .contains("# PDF Processing Guide")
    );
    assert_eq!(
        page["repository"]["full_name"],
        format!("{}/skills", f.anthropic)
    );
    assert_eq!(page["repository"]["sync_status"], "succeeded");
    assert_eq!(page["repository"]["last_indexed_commit"], COMMIT_1);
    let hash = page["latest_version"]["content_hash"].as_str().unwrap();
    assert_eq!(page["latest_version"]["commit_sha"], COMMIT_1);
    let files: Vec<&str> = page["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"SKILL.md") && files.contains(&"forms.md"),
        "{files:?}"
    );
    assert_eq!(
        page["download_url"],
        format!(
            "/api/v1/skills/{}/skills/pdf/versions/{hash}/download",
            f.anthropic
        )
    );
    let install: Vec<&str> = page["install"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["command"].as_str().unwrap())
        .collect();
    assert!(
        install
            .iter()
            .any(|c| c.contains("tar -xz -C ~/.claude/skills"))
    );
    assert!(
        install
            .iter()
            .any(|c| c.contains("git sparse-checkout set 'skills/pdf'"))
    );
    assert!(page.get("highlight").unwrap().is_null());

    // Findings of a skill that cannot be published are on its page.
    let (_, invalid) = json(
        &f.app,
        &format!("/api/v1/skills/{}/skills/claude-api", f.anthropic),
    )
    .await;
    assert_eq!(invalid["has_errors"], true);
    assert!(invalid["latest_version"].is_null());
    assert!(invalid["download_url"].is_null());
    assert_eq!(invalid["findings"][0]["severity"], "error");
    assert_eq!(invalid["findings"][0]["code"], "description_too_long");

    let (status, missing) = json(&f.app, "/api/v1/skills/nobody/nothing/nope").await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"]["code"], "not_found");
    assert!(
        missing["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/api/v1/skills?q=nope")
    );
}

#[tokio::test]
async fn versions_files_and_downloads_come_from_the_real_archive() {
    let f = corpus().await;
    let base = format!("/api/v1/skills/{}/skills/pdf", f.anthropic);
    let (_, versions) = json(&f.app, &format!("{base}/versions")).await;
    assert_eq!(versions["items"].as_array().unwrap().len(), 1, "{versions}");
    let hash = versions["items"][0]["content_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, version) = json(&f.app, &format!("{base}/versions/{hash}")).await;
    assert_eq!(status, 200, "{version}");
    assert_eq!(version["frontmatter"]["name"], "pdf");
    let (_, latest) = json(&f.app, &format!("{base}/versions/latest")).await;
    assert_eq!(latest["content_hash"], hash.as_str());

    // A file, byte for byte, with safe headers.
    let response = f
        .app
        .get(&format!("{base}/versions/{hash}/files/SKILL.md"))
        .await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("charset=utf-8")
    );
    let served = response.text().await.unwrap();
    let on_disk =
        std::fs::read_to_string(corpus_dir().join("anthropics_skills/skills/pdf/SKILL.md"))
            .unwrap();
    assert_eq!(served, on_disk);

    // Nothing outside the manifest, however the path is spelled.
    for bad in [
        "../../../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "..%2F..%2FSKILL.md",
        "/etc/passwd",
        "nope.md",
    ] {
        let response = f
            .app
            .get(&format!("{base}/versions/{hash}/files/{bad}"))
            .await;
        assert_eq!(response.status(), 404, "{bad}");
    }
    let (status, body) = json(&f.app, &format!("{base}/versions/NOTAHASH")).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = json(&f.app, &format!("{base}/versions/{}", "0".repeat(64))).await;
    assert_eq!(status, 404);

    // Download: a presigned redirect by default, the bytes with redirect=false.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(f.app.url(&format!("{base}/versions/{hash}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("X-Amz-Signature"), "{location}");
    let presigned = reqwest::get(&location).await.unwrap();
    assert_eq!(presigned.status(), 200);
    let archive = presigned.bytes().await.unwrap();
    let response = f
        .app
        .get(&format!("{base}/versions/{hash}/download?redirect=false"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/gzip");
    let streamed = response.bytes().await.unwrap();
    assert_eq!(streamed, archive);
    let mut entries = Vec::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&streamed[..]));
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut sink = Vec::new();
        entry.read_to_end(&mut sink).unwrap();
        entries.push(entry.path().unwrap().to_string_lossy().into_owned());
    }
    assert!(entries.contains(&"pdf/SKILL.md".to_owned()), "{entries:?}");

    // Two downloads, counted by the batched counter.
    let mut counted = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (_, page) = json(&f.app, &base).await;
        counted = page["downloads"].as_i64().unwrap();
        if counted == 2 {
            break;
        }
    }
    assert_eq!(counted, 2);
}

#[tokio::test]
async fn a_changed_skill_keeps_its_old_version_and_yanks_warn() {
    let app = TestApp::spawn().await;
    let store = ObjectStore::new(&s3_settings());
    let owner = unique_owner("acme");
    let skill = |body: &str| {
        format!(
            "---\nname: notes\ndescription: Take notes about meetings. {body}\n---\n# Notes\n\n{body}\n"
        )
    };
    let v1 = tree(&[("skills/notes/SKILL.md", &skill("first"))]);
    index_tree(
        &app.db.conn,
        &store,
        (&owner, "kit"),
        v1.path(),
        COMMIT_1,
        1,
    )
    .await;
    let v2 = tree(&[("skills/notes/SKILL.md", &skill("second"))]);
    index_tree(
        &app.db.conn,
        &store,
        (&owner, "kit"),
        v2.path(),
        COMMIT_2,
        1,
    )
    .await;

    let base = format!("/api/v1/skills/{owner}/kit/notes");
    let (_, versions) = json(&app, &format!("{base}/versions")).await;
    let hashes: Vec<String> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["content_hash"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(hashes.len(), 2, "{versions}");
    assert_eq!(versions["items"][0]["commit_sha"], COMMIT_2, "newest first");
    let (_, latest) = json(&app, &format!("{base}/versions/latest")).await;
    assert_eq!(latest["content_hash"], hashes[0].as_str());
    let old = app
        .get(&format!("{base}/versions/{}/files/SKILL.md", hashes[1]))
        .await
        .text()
        .await
        .unwrap();
    assert!(old.contains("first"), "{old}");

    // Yanking the old version: still downloadable by hash, with a warning.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db.conn,
        &format!(
            "UPDATE skill_versions SET yanked = true, yanked_at = now(), \
             yanked_reason = 'leaked a token' WHERE content_hash = '{}'",
            hashes[1]
        ),
    )
    .await
    .unwrap();
    let response = app
        .get(&format!(
            "{base}/versions/{}/download?redirect=false",
            hashes[1]
        ))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["warning"],
        "299 - \"version yanked: leaked a token\""
    );
    let (_, versions) = json(&app, &format!("{base}/versions")).await;
    assert_eq!(versions["items"][1]["yanked"], true);
    assert_eq!(versions["items"][1]["yanked_reason"], "leaked a token");

    // The feed shows both publications and the yank, in order, and resumes after a cursor.
    let feed = feed_with(&app, "/api/v1/changes?limit=100", 3).await;
    let kinds: Vec<(&str, &str)> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap(),
                c["content_hash"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("published", hashes[1].as_str()),
            ("published", hashes[0].as_str()),
            ("yanked", hashes[1].as_str()),
        ]
    );
    assert_eq!(feed["items"][0]["skill"], format!("{owner}/kit/notes"));
    let position = feed["next_cursor"].as_str().unwrap();
    let (_, after) = json(&app, &format!("/api/v1/changes?cursor={position}")).await;
    assert_eq!(after["items"], Value::Array(vec![]));
    assert_eq!(after["next_cursor"], position, "the position to poll from");

    // A removed skill stays readable by address, leaves lists and feeds a removal.
    let gone = tree(&[("README.md", "nothing here")]);
    index_tree(
        &app.db.conn,
        &store,
        (&owner, "kit"),
        gone.path(),
        "3333333333333333333333333333333333333333",
        1,
    )
    .await;
    let (status, page) = json(&app, &base).await;
    assert_eq!(status, 200);
    assert_eq!(page["status"], "removed");
    let (_, listed) = json(&app, &format!("/api/v1/skills?owner={owner}")).await;
    assert_eq!(listed["items"], Value::Array(vec![]));
    let feed = feed_with(&app, &format!("/api/v1/changes?cursor={position}"), 1).await;
    assert_eq!(feed["items"][0]["kind"], "removed");
}

#[tokio::test]
async fn repositories_marketplaces_stats_and_the_blacklist() {
    let f = corpus().await;
    let (_, repositories) = json(&f.app, "/api/v1/repositories?sort=stars").await;
    let full_names: Vec<&str> = repositories["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        full_names,
        vec![
            format!("{}/superpowers", f.obra),
            format!("{}/skills", f.anthropic)
        ]
    );
    let (_, one) = json(
        &f.app,
        &format!("/api/v1/repositories/{}/skills", f.anthropic),
    )
    .await;
    assert_eq!(one["sync_status"], "succeeded");
    assert!(one["skill_count"].as_i64().unwrap() >= 15);
    assert!(one["skills"].as_array().unwrap().len() >= 15);
    assert!(one["problems"].is_array());
    let (status, _) = json(&f.app, "/api/v1/repositories/nobody/nothing").await;
    assert_eq!(status, 404);

    let (_, marketplaces) = json(&f.app, "/api/v1/marketplaces").await;
    let listed: Vec<(&str, &str)> = marketplaces["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), m["owner"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("anthropic-agent-skills", f.anthropic.as_str()),
            ("superpowers-dev", f.obra.as_str())
        ]
    );
    let (_, marketplace) = json(
        &f.app,
        &format!("/api/v1/marketplaces/{}/superpowers", f.obra),
    )
    .await;
    let plugins = marketplace["plugins"].as_array().unwrap();
    assert!(!plugins.is_empty(), "{marketplace}");
    assert!(
        plugins
            .iter()
            .any(|p| !p["skills"].as_array().unwrap().is_empty()),
        "{marketplace}"
    );

    let (_, stats) = json(&f.app, "/api/v1/stats").await;
    assert_eq!(stats["repositories"], 2);
    assert_eq!(stats["marketplaces"], 2);
    assert!(stats["skills"].as_i64().unwrap() >= 25, "{stats}");
    assert!(stats["versions"].as_i64().unwrap() >= 20, "{stats}");

    // Blacklisting an owner hides its skills everywhere.
    sea_orm::ConnectionTrait::execute_unprepared(
        &f.app.db.conn,
        &format!(
            "INSERT INTO blacklist (owner, reason) VALUES ('{}', 'test')",
            f.anthropic
        ),
    )
    .await
    .unwrap();
    let (_, search) = json(&f.app, "/api/v1/skills?q=pdf").await;
    assert!(!names(&search).contains(&"pdf".to_owned()), "{search}");
    let (status, _) = json(
        &f.app,
        &format!("/api/v1/skills/{}/skills/pdf", f.anthropic),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = json(
        &f.app,
        &format!("/api/v1/repositories/{}/skills", f.anthropic),
    )
    .await;
    assert_eq!(status, 404);
    let _ = &f.store;
}

/// Collects every item of a search by following `next_cursor`, as (name, downloads).
async fn all_pages(app: &TestApp, query: &str) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => format!("/api/v1/skills?{query}&limit=100"),
            Some(c) => format!("/api/v1/skills?{query}&limit=100&cursor={c}"),
        };
        let (status, body) = json(app, &path).await;
        assert_eq!(status, 200, "{path}: {body}");
        for item in body["items"].as_array().unwrap() {
            out.push((
                item["name"].as_str().unwrap().to_owned(),
                item["downloads"].as_i64().unwrap(),
            ));
        }
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
        assert!(out.len() <= 5_000, "paging does not end");
    }
}

/// More than 1,000 matches are read by an index-ordered scan, at most 1,000 are collected
/// and sorted (see `Density` in routes/skills.rs). Both must give the same order and the
/// same complete, duplicate-free pages.
#[tokio::test]
async fn common_and_rare_words_page_the_same_way() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    // 1,300 skills of one repository: all say "ubiquitous" in their description, 1,100 of
    // them also in their name; every 100th says "scarce". Listed without a version because
    // they have errors (like a skill that never validated).
    app.db
        .conn
        .execute_unprepared(
            "WITH repo AS (INSERT INTO repositories (owner, name, stars) \
                           VALUES ('bulk-owner', 'bulk', 7) RETURNING id) \
             INSERT INTO skills (repository_id, name, path, description, has_errors, \
                                 error_count, download_count) \
             SELECT repo.id, \
                    CASE WHEN i <= 1100 THEN 'ubiquitous-' ELSE 'plain-' END || i, \
                    'skills/s' || i, \
                    'A ubiquitous helper' || CASE WHEN i % 100 = 0 THEN ' for scarce cases' \
                                                  ELSE '' END, \
                    true, 1, (i * 7919) % 1000 \
             FROM repo, generate_series(1, 1300) AS i",
        )
        .await
        .expect("seed bulk skills");

    // Ties in downloads are ordered by id, which the test does not know: check the order
    // of the download counts only.
    let by_downloads = |v: &[(String, i64)]| v.windows(2).all(|w| w[0].1 >= w[1].1);
    // Relevance: name matches (tier 0) by downloads, then description-only matches.
    let common = all_pages(&app, "q=ubiquitous").await;
    assert_eq!(common.len(), 1300, "every match exactly once");
    let mut unique: Vec<_> = common.iter().map(|(n, _)| n.clone()).collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 1300, "no duplicates across pages");
    let (names, rest) = common.split_at(1100);
    assert!(names.iter().all(|(n, _)| n.starts_with("ubiquitous-")));
    assert!(rest.iter().all(|(n, _)| n.starts_with("plain-")));
    assert!(by_downloads(names) && by_downloads(rest));
    let (_, first) = json(&app, "/api/v1/skills?q=ubiquitous").await;
    assert_eq!(first["total"], 1000);
    assert_eq!(first["total_exact"], false);

    // A rare word (13 matches): collected, then sorted; tier 0 is empty here.
    let rare = all_pages(&app, "q=scarce").await;
    assert_eq!(rare.len(), 13);
    assert!(rare.iter().all(|(n, _)| n.ends_with("00")));
    assert!(by_downloads(&rare));
    let (_, first) = json(&app, "/api/v1/skills?q=scarce").await;
    assert_eq!(first["total"], 13);
    assert_eq!(first["total_exact"], true);

    // Other sorts page identically whichever way the matches are read.
    for (query, expected) in [("q=ubiquitous&sort=name", 1300), ("q=scarce&sort=name", 13)] {
        let got = all_pages(&app, query).await;
        let mut sorted = got.clone();
        sorted.sort_by_key(|(n, _)| n.to_lowercase());
        assert_eq!(got.len(), expected, "{query}");
        assert_eq!(got, sorted, "{query}");
    }
    let downloads = all_pages(&app, "q=ubiquitous&sort=downloads").await;
    assert_eq!(downloads.len(), 1300);
    assert!(by_downloads(&downloads));
}

/// A word found in many skills but only among the least downloaded ones: reading the most
/// downloaded skills first finds none within a bounded walk, so the name tier and then the
/// description tier are collected through the full-text indexes instead. Same order, same
/// complete pages, whichever way a tier is read; a negated word leaves out skills whose
/// description has it even when their name matches.
#[tokio::test]
async fn a_word_only_in_little_downloaded_skills_pages_in_order() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    // 4,100 skills more downloaded (1,000 and up) without the word; 1,100 named after it
    // and 30 with it in the description only, downloaded 0-999; every 10th of those also
    // says "seldom".
    app.db
        .conn
        .execute_unprepared(
            "WITH repo AS (INSERT INTO repositories (owner, name, stars) \
                           VALUES ('walk-owner', 'walk', 3) RETURNING id) \
             INSERT INTO skills (repository_id, name, path, description, has_errors, \
                                 error_count, download_count) \
             SELECT repo.id, \
                    CASE WHEN i <= 4100 THEN 'filler-' \
                         WHEN i <= 5200 THEN 'lonesome-' ELSE 'plain-' END || i, \
                    'skills/s' || i, \
                    CASE WHEN i <= 4100 THEN 'Something else entirely' \
                         ELSE 'A lonesome helper' END \
                    || CASE WHEN i > 4100 AND i % 10 = 0 THEN ', seldom used' ELSE '' END, \
                    true, 1, \
                    CASE WHEN i <= 4100 THEN 1000 + i ELSE (i * 7919) % 1000 END \
             FROM repo, generate_series(1, 5230) AS i",
        )
        .await
        .expect("seed skills");

    let by_downloads = |v: &[(String, i64)]| v.windows(2).all(|w| w[0].1 >= w[1].1);
    let all = all_pages(&app, "q=lonesome").await;
    assert_eq!(all.len(), 1130, "every match exactly once");
    let mut unique: Vec<_> = all.iter().map(|(n, _)| n.clone()).collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 1130, "no duplicates across pages");
    let (in_names, rest) = all.split_at(1100);
    assert!(in_names.iter().all(|(n, _)| n.starts_with("lonesome-")));
    assert!(
        rest.iter().all(|(n, _)| n.starts_with("plain-")),
        "{rest:?}"
    );
    assert!(by_downloads(in_names) && by_downloads(rest));
    let (_, first) = json(&app, "/api/v1/skills?q=lonesome&limit=5").await;
    assert_eq!(first["total"], 1000);
    assert_eq!(first["total_exact"], false);
    assert_eq!(names(&first).len(), 5);
    let highlight = first["items"][0]["highlight"]["name"]
        .as_str()
        .unwrap_or_default();
    assert!(highlight.contains("<mark>"), "{first}");

    // Negation: "-seldom" drops every 10th, name matches included.
    let without = all_pages(&app, "q=lonesome -seldom").await;
    assert_eq!(without.len(), 1017);
    let (in_names, rest) = without.split_at(990);
    assert!(
        in_names
            .iter()
            .all(|(n, _)| n.starts_with("lonesome-") && !n.ends_with('0'))
    );
    assert!(
        rest.iter()
            .all(|(n, _)| n.starts_with("plain-") && !n.ends_with('0'))
    );
    assert!(by_downloads(in_names) && by_downloads(rest));
}

/// A plugin hosted in another repository lists that repository's skills once both are
/// indexed, whichever was indexed first: all of them for `github` and `url` sources, those
/// in its folder for `git-subdir`.
#[tokio::test]
async fn a_plugin_hosted_elsewhere_lists_the_skills_of_its_repository() {
    let app = TestApp::spawn().await;
    let store = ObjectStore::new(&s3_settings());
    let market = unique_owner("market");
    let hosted = unique_owner("hosted");
    let git_url = format!("https://github.com/{hosted}/tools.git");
    let marketplace = serde_json::json!({
        "name": "mixed",
        "owner": { "name": "Test" },
        "plugins": [
            { "name": "remote", "source": { "source": "github", "repo": format!("{hosted}/tools") } },
            { "name": "by-url", "source": { "source": "url", "url": git_url } },
            { "name": "subdir", "source": { "source": "git-subdir", "url": git_url, "path": "./skills/" } },
            // A folder whose name is a prefix of a skill's folder holds none of it.
            { "name": "sibling", "source": { "source": "git-subdir", "url": git_url, "path": "skills/remote" } },
            { "name": "climbing", "source": { "source": "git-subdir", "url": git_url, "path": "../tools" } }
        ]
    })
    .to_string();
    let market_tree = tree(&[(".claude-plugin/marketplace.json", &marketplace)]);
    let skill = "---\nname: remote-skill\ndescription: A skill hosted next door.\n---\nBody.\n";
    let extra =
        "---\nname: extra-skill\ndescription: A skill outside the skills folder.\n---\nBody.\n";
    let hosted_tree = tree(&[
        ("skills/remote-skill/SKILL.md", skill),
        ("extra/extra-skill/SKILL.md", extra),
    ]);
    // The marketplace first: its plugin's repository is not indexed yet.
    index_tree(
        &app.db.conn,
        &store,
        (&market, "plugins"),
        market_tree.path(),
        COMMIT_1,
        1,
    )
    .await;
    let path = format!("/api/v1/marketplaces/{market}/plugins");
    let (status, body) = json(&app, &path).await;
    assert_eq!(status, 200, "{body}");
    let plugin_skills = |body: &serde_json::Value| -> Vec<(String, Vec<String>)> {
        body["plugins"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let mut skills: Vec<String> = p["skills"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s["name"].as_str().map(str::to_string))
                    .collect();
                skills.sort();
                (p["name"].as_str().unwrap_or_default().to_string(), skills)
            })
            .collect()
    };
    assert!(
        plugin_skills(&body)
            .iter()
            .all(|(_, skills)| skills.is_empty()),
        "{body}"
    );

    index_tree(
        &app.db.conn,
        &store,
        (&hosted, "tools"),
        hosted_tree.path(),
        COMMIT_1,
        1,
    )
    .await;
    let (_, body) = json(&app, &path).await;
    let both = vec!["extra-skill".to_string(), "remote-skill".to_string()];
    assert_eq!(
        plugin_skills(&body),
        vec![
            ("by-url".to_string(), both.clone()),
            ("climbing".to_string(), vec![]),
            ("remote".to_string(), both.clone()),
            ("sibling".to_string(), vec![]),
            ("subdir".to_string(), vec!["remote-skill".to_string()]),
        ],
        "{body}"
    );
    assert_eq!(body["plugins"][2]["skills"][0]["owner"], hosted.as_str());
    // Search filters by plugin and marketplace see them too.
    for (filter, expected) in [
        ("plugin=remote", both.clone()),
        ("plugin=by-url", both.clone()),
        ("plugin=subdir", vec!["remote-skill".to_string()]),
        ("plugin=sibling", vec![]),
        ("marketplace=mixed", both.clone()),
    ] {
        let (status, body) = json(&app, &format!("/api/v1/skills?{filter}&sort=name")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(names(&body), expected, "{filter}: {body}");
    }
    // Their facets agree: plugins by the skills their filters find, one marketplace.
    let (status, body) = json(&app, &format!("/api/v1/skills?owner={hosted}&facets=true")).await;
    assert_eq!(status, 200, "{body}");
    let values = |facet: &str| -> Vec<(String, i64)> {
        body["facets"][facet]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| {
                (
                    v["value"].as_str().unwrap_or_default().to_owned(),
                    v["count"].as_i64().unwrap_or(-1),
                )
            })
            .collect()
    };
    assert_eq!(values("marketplace"), vec![("mixed".to_owned(), 2)]);
    assert_eq!(
        values("plugin"),
        vec![
            ("by-url".to_owned(), 2),
            ("remote".to_owned(), 2),
            ("subdir".to_owned(), 1)
        ]
    );
    // The skill page names every plugin that holds the skill.
    let (status, body) = json(&app, &format!("/api/v1/skills/{hosted}/tools/extra-skill")).await;
    assert_eq!(status, 200, "{body}");
    let plugins: Vec<&str> = body["marketplaces"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["plugin"].as_str())
        .collect();
    assert_eq!(plugins, vec!["by-url", "remote"], "{body}");
}

/// Yanking the newest version moves `latest` back; a later sync of a commit that still
/// holds the yanked content (another skill changed) must not bring it back.
#[tokio::test]
async fn a_resync_does_not_make_a_yanked_version_latest_again() {
    let app = TestApp::spawn().await;
    let store = ObjectStore::new(&s3_settings());
    let owner = unique_owner("yank");
    let notes = |body: &str| {
        format!("---\nname: notes\ndescription: Take notes. {body}\n---\n# Notes\n\n{body}\n")
    };
    let other = "---\nname: other\ndescription: Another skill.\n---\nBody.\n";
    let v1 = tree(&[("skills/notes/SKILL.md", &notes("first"))]);
    let v2 = tree(&[("skills/notes/SKILL.md", &notes("second"))]);
    let v3 = tree(&[
        ("skills/notes/SKILL.md", &notes("second")),
        ("skills/other/SKILL.md", other),
    ]);
    index_tree(
        &app.db.conn,
        &store,
        (&owner, "kit"),
        v1.path(),
        COMMIT_1,
        1,
    )
    .await;
    index_tree(
        &app.db.conn,
        &store,
        (&owner, "kit"),
        v2.path(),
        COMMIT_2,
        1,
    )
    .await;
    let base = format!("/api/v1/skills/{owner}/kit/notes");
    let (_, versions) = json(&app, &format!("{base}/versions")).await;
    let newest = versions["items"][0]["content_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let older = versions["items"][1]["content_hash"]
        .as_str()
        .unwrap()
        .to_owned();

    // What the admin yank does: mark the version, point latest at the newest unyanked one.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db.conn,
        &format!(
            "UPDATE skill_versions SET yanked = true, yanked_at = now(), yanked_reason = 'bad' \
             WHERE content_hash = '{newest}'; \
             UPDATE skills SET latest_version_id = \
               (SELECT id FROM skill_versions WHERE content_hash = '{older}') \
             WHERE name = 'notes'"
        ),
    )
    .await
    .unwrap();
    index_tree(
        &app.db.conn,
        &store,
        (&owner, "kit"),
        v3.path(),
        "3333333333333333333333333333333333333333",
        1,
    )
    .await;
    let (_, latest) = json(&app, &format!("{base}/versions/latest")).await;
    assert_eq!(latest["content_hash"], older.as_str(), "{latest}");
    let (_, other_page) = json(&app, &format!("/api/v1/skills/{owner}/kit/other")).await;
    assert!(other_page["latest_version"].is_object(), "{other_page}");
}

/// The feed at `path` once it holds at least `count` items. An event shows only when every
/// older transaction on the server has ended, and tests in parallel share the server.
async fn feed_with(app: &TestApp, path: &str, count: usize) -> Value {
    for _ in 0..100 {
        let (status, feed) = json(app, path).await;
        assert_eq!(status, 200, "{feed}");
        if feed["items"].as_array().map_or(0, Vec::len) >= count {
            return feed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} did not reach {count} items within 10 s");
}

/// An event committed after a later-numbered one still reaches a poller that has already
/// read the later one's position: the feed holds events back while an older transaction
/// runs.
#[tokio::test]
async fn the_change_feed_never_skips_an_event_committed_late() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::spawn().await;
    let store = ObjectStore::new(&s3_settings());
    let owner = unique_owner("feed");
    let skill = |name: &str| format!("---\nname: {name}\ndescription: About {name}.\n---\nBody.\n");
    let files = tree(&[
        ("skills/early/SKILL.md", &skill("early")),
        ("skills/late/SKILL.md", &skill("late")),
    ]);
    index_tree(
        &app.db.conn,
        &store,
        (&owner, "kit"),
        files.path(),
        COMMIT_1,
        1,
    )
    .await;
    let published = feed_with(&app, "/api/v1/changes?limit=100", 2).await;
    let position = published["next_cursor"].as_str().unwrap().to_owned();
    let yank = |name: &str| {
        format!(
            "UPDATE skill_versions v SET yanked = true, yanked_at = now(), yanked_reason = 'x' \
             FROM skills s WHERE s.id = v.skill_id AND s.name = '{name}'"
        )
    };

    // A transaction writes an event and stays open; another writes one and commits.
    let slow = app.db.conn.begin().await.unwrap();
    slow.execute_unprepared(&yank("early")).await.unwrap();
    app.db.conn.execute_unprepared(&yank("late")).await.unwrap();
    let path = format!("/api/v1/changes?cursor={position}");
    let (_, meanwhile) = json(&app, &path).await;
    assert_eq!(
        meanwhile["items"],
        Value::Array(vec![]),
        "nothing is served past a transaction still running"
    );
    assert_eq!(meanwhile["next_cursor"], position.as_str());

    slow.commit().await.unwrap();
    let feed = feed_with(&app, &path, 2).await;
    let names: Vec<&str> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["skill"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, vec!["early", "late"], "in commit order: {feed}");
}
