//! Registry totals (`GET /api/v1/stats`) agree with what the public reads list.

mod common;

use common::{
    TestApp,
    index::{index_tree, tree},
};
use sea_orm::ConnectionTrait;
use serde_json::Value;
use skilldex_core::storage::ObjectStore;
use skilldex_test_support::{s3_settings, unique_owner};

fn skill(name: &str, words: &str) -> String {
    format!("---\nname: {name}\ndescription: The {name} skill. {words}\n---\n# {name}\n\n{words}\n")
}

async fn json(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// Counts every item of a list by following `next_cursor`.
async fn count_all(app: &TestApp, path: &str, keep: impl Fn(&Value) -> bool) -> i64 {
    let mut count = 0;
    let mut cursor: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{separator}limit=100&cursor={c}"),
            None => format!("{path}{separator}limit=100"),
        };
        let page = json(app, &url).await;
        count += page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| keep(i))
            .count() as i64;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return count,
        }
    }
}

#[tokio::test]
async fn totals_count_only_what_is_listed() {
    let app = TestApp::spawn().await;
    let store = ObjectStore::new(&s3_settings());
    let db = &app.db.conn;
    let (shown, hidden, gone) = (
        unique_owner("shown"),
        unique_owner("hidden"),
        unique_owner("gone"),
    );
    let marketplace = r#"{"name": "hidden-market", "owner": {"name": "x"},
        "plugins": [{"name": "p", "source": "./"}]}"#;

    // shown/kit: two skills, `alpha` with two versions of which one is yanked below.
    let first = tree(&[
        ("skills/alpha/SKILL.md", &skill("alpha", "first")),
        ("skills/beta/SKILL.md", &skill("beta", "first")),
    ]);
    index_tree(
        db,
        &store,
        (&shown, "kit"),
        first.path(),
        &"1".repeat(40),
        5,
    )
    .await;
    let second = tree(&[
        ("skills/alpha/SKILL.md", &skill("alpha", "second")),
        ("skills/beta/SKILL.md", &skill("beta", "first")),
    ]);
    index_tree(
        db,
        &store,
        (&shown, "kit"),
        second.path(),
        &"2".repeat(40),
        5,
    )
    .await;
    // hidden/market: a marketplace with a skill, blacklisted below.
    let market = tree(&[
        (".claude-plugin/marketplace.json", marketplace),
        ("skills/gamma/SKILL.md", &skill("gamma", "hidden")),
    ]);
    index_tree(
        db,
        &store,
        (&hidden, "market"),
        market.path(),
        &"3".repeat(40),
        5,
    )
    .await;
    // gone/old: its only skill is removed by a later sync.
    let old = tree(&[("skills/delta/SKILL.md", &skill("delta", "old"))]);
    index_tree(db, &store, (&gone, "old"), old.path(), &"4".repeat(40), 5).await;
    let empty = tree(&[("README.md", "nothing left")]);
    index_tree(db, &store, (&gone, "old"), empty.path(), &"5".repeat(40), 5).await;

    db.execute_unprepared("UPDATE skills SET download_count = 10")
        .await
        .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE skill_versions v SET yanked = true, yanked_at = now(), yanked_reason = 'old' \
         FROM skills s JOIN repositories r ON r.id = s.repository_id \
         WHERE v.skill_id = s.id AND r.owner = '{shown}' AND s.name = 'alpha' \
           AND v.commit_sha = '{}'",
        "1".repeat(40)
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "INSERT INTO blacklist (owner, reason) VALUES ('{hidden}', 'test')"
    ))
    .await
    .unwrap();

    let stats = json(&app, "/api/v1/stats").await;
    // What the lists show.
    let skills = count_all(&app, "/api/v1/skills", |_| true).await;
    let repositories = count_all(&app, "/api/v1/repositories", |r| {
        r["skill_count"].as_i64().unwrap_or(0) > 0
    })
    .await;
    let marketplaces = count_all(&app, "/api/v1/marketplaces", |_| true).await;
    let mut versions = 0;
    for name in ["alpha", "beta"] {
        versions += count_all(
            &app,
            &format!("/api/v1/skills/{shown}/kit/{name}/versions"),
            |v| v["yanked"] == false,
        )
        .await;
    }
    assert_eq!(
        (skills, repositories, versions, marketplaces),
        (2, 1, 2, 0),
        "the lists themselves"
    );
    assert_eq!(stats["skills"], skills, "{stats}");
    assert_eq!(stats["repositories"], repositories, "{stats}");
    assert_eq!(stats["versions"], versions, "{stats}");
    assert_eq!(
        stats["downloads"], 20,
        "downloads of alpha and beta: {stats}"
    );
    assert_eq!(stats["marketplaces"], marketplaces, "{stats}");
}
