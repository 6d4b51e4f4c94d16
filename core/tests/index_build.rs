//! `core::index` against a real PostgreSQL: every test gets a fresh, migrated database.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, QueryResult, Statement, Value};
use serde_json::json;
use sha2::{Digest, Sha256};
use skilldex_core::{
    github::RepoMeta,
    index::{self, IndexError, MAX_ERROR_CHARS, index_build},
    package::ManifestEntry,
    spec::Finding,
    sync::{
        BuildManifest, BuiltArchive, BuiltMarketplace, BuiltPlugin, BuiltSkill, RepoName,
        archive_key,
    },
};
use skilldex_test_support::migrated_database;
use uuid::Uuid;

// ---- manifest builders ------------------------------------------------------------------

fn sha(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn commit(n: u32) -> String {
    sha(&format!("commit {n}"))[..40].to_owned()
}

fn meta(owner: &str, name: &str) -> RepoMeta {
    RepoMeta {
        owner: owner.to_owned(),
        name: name.to_owned(),
        full_name: format!("{owner}/{name}"),
        remote_id: 123_456_789,
        description: Some("Agent skills".to_owned()),
        html_url: format!("https://github.com/{owner}/{name}"),
        default_branch: "main".to_owned(),
        stars: 42,
        forks: 7,
        topics: vec!["claude-skills".to_owned(), "agent-skills".to_owned()],
        license_spdx: Some("Apache-2.0".to_owned()),
        archived: false,
        fork: false,
        pushed_at: Some(Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()),
        size_kb: 100,
    }
}

/// A publishable skill whose content (and so its hash) is determined by `content`.
fn skill(path: &str, content: &str, files: usize) -> BuiltSkill {
    let name = path.rsplit('/').next().unwrap_or("root").to_owned();
    let mut entries = vec![ManifestEntry {
        path: "SKILL.md".to_owned(),
        size: 100 + content.len() as u64,
        sha256: sha(&format!("{path} SKILL.md {content}")),
        executable: false,
    }];
    for i in 1..files {
        entries.push(ManifestEntry {
            path: format!("scripts/tool_{i}.py"),
            size: i as u64,
            sha256: sha(&format!("{path} {i} {content}")),
            executable: i % 2 == 0,
        });
    }
    let content_hash = sha(&format!("archive of {path}: {content}"));
    BuiltSkill {
        path: path.to_owned(),
        name: name.clone(),
        description: Some(format!("Does {name} things ({content}).")),
        license: Some("MIT".to_owned()),
        frontmatter: json!({"name": name, "description": format!("Does {name} things.")}),
        body: format!("# {name}\n\n{content}\n"),
        findings: vec![Finding::warning("body_long", "long body", "SKILL.md").at_line(Some(3))],
        archive: Some(BuiltArchive {
            key: archive_key(&content_hash),
            content_hash,
            size: 2048,
            files: entries,
        }),
    }
}

/// A skill with an error finding: recorded, never published.
fn invalid_skill(path: &str) -> BuiltSkill {
    BuiltSkill {
        path: path.to_owned(),
        name: path.rsplit('/').next().unwrap().to_owned(),
        description: None,
        license: None,
        frontmatter: json!({}),
        body: String::new(),
        findings: vec![
            Finding::error("description_missing", "description is required", "SKILL.md")
                .at_line(Some(1))
                .with_field("description"),
            Finding::warning("name_mismatch", "name differs from folder", "SKILL.md"),
        ],
        archive: None,
    }
}

fn manifest(
    repo: RepoMeta,
    commit: String,
    skills: Vec<BuiltSkill>,
    marketplace: Option<BuiltMarketplace>,
) -> BuildManifest {
    BuildManifest {
        repo,
        commit,
        skills,
        marketplace,
        problems: Vec::new(),
    }
}

fn plugin(name: &str, skill_paths: &[&str]) -> BuiltPlugin {
    BuiltPlugin {
        name: name.to_owned(),
        description: Some(format!("The {name} plugin")),
        version: Some("1.0.0".to_owned()),
        source_kind: "relative".to_owned(),
        source: json!("./"),
        category: Some("documents".to_owned()),
        keywords: vec!["docs".to_owned()],
        homepage: None,
        license: Some("MIT".to_owned()),
        raw: json!({"name": name, "source": "./"}),
        skill_paths: skill_paths.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn marketplace(plugins: Vec<BuiltPlugin>) -> BuiltMarketplace {
    BuiltMarketplace {
        name: "acme-skills".to_owned(),
        owner_name: Some("Acme".to_owned()),
        owner_email: Some("skills@acme.test".to_owned()),
        description: Some("Acme's skills".to_owned()),
        version: Some("1".to_owned()),
        raw: json!({"name": "acme-skills", "plugins": []}),
        plugins,
    }
}

fn repo(owner: &str, name: &str) -> RepoName {
    RepoName::new(owner, name).unwrap()
}

// ---- database helpers -------------------------------------------------------------------

const TABLES: &[&str] = &[
    "repositories",
    "skills",
    "skill_versions",
    "skill_files",
    "marketplaces",
    "plugins",
    "plugin_skills",
];

async fn rows(conn: &DatabaseConnection, sql: &str, values: Vec<Value>) -> Vec<QueryResult> {
    conn.query_all_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        values,
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn one(conn: &DatabaseConnection, sql: &str, values: Vec<Value>) -> QueryResult {
    let mut all = rows(conn, sql, values).await;
    assert_eq!(all.len(), 1, "{sql}: expected one row");
    all.remove(0)
}

async fn exec(conn: &DatabaseConnection, sql: &str, values: Vec<Value>) {
    conn.execute_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        values,
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn col<T: sea_orm::TryGetable>(row: &QueryResult, name: &str) -> T {
    row.try_get("", name)
        .unwrap_or_else(|e| panic!("column {name}: {e}"))
}

async fn counts(conn: &DatabaseConnection) -> BTreeMap<&'static str, i64> {
    let mut out = BTreeMap::new();
    for table in TABLES {
        let row = one(conn, &format!("SELECT count(*) AS n FROM {table}"), vec![]).await;
        out.insert(*table, col::<i64>(&row, "n"));
    }
    out
}

/// Every row of every index table as text (timestamps included), to prove that a second
/// identical index changes nothing at all.
async fn snapshot(conn: &DatabaseConnection) -> BTreeMap<&'static str, Vec<String>> {
    let mut out = BTreeMap::new();
    for table in TABLES {
        let all = rows(
            conn,
            &format!("SELECT t::text AS r FROM {table} t ORDER BY 1"),
            vec![],
        )
        .await;
        out.insert(*table, all.iter().map(|r| col::<String>(r, "r")).collect());
    }
    out
}

#[derive(Debug)]
struct SkillRow {
    id: Uuid,
    name: String,
    status: String,
    removed: bool,
    latest_version_id: Option<Uuid>,
    has_errors: bool,
    error_count: i32,
    warning_count: i32,
    findings: serde_json::Value,
}

async fn skill_row(conn: &DatabaseConnection, path: &str) -> SkillRow {
    let row = one(
        conn,
        "SELECT id, name, status, removed_at IS NOT NULL AS removed, latest_version_id, \
         has_errors, error_count, warning_count, findings FROM skills WHERE path = $1",
        vec![path.into()],
    )
    .await;
    SkillRow {
        id: col(&row, "id"),
        name: col(&row, "name"),
        status: col(&row, "status"),
        removed: col(&row, "removed"),
        latest_version_id: col(&row, "latest_version_id"),
        has_errors: col(&row, "has_errors"),
        error_count: col(&row, "error_count"),
        warning_count: col(&row, "warning_count"),
        findings: col(&row, "findings"),
    }
}

async fn version_id(conn: &DatabaseConnection, skill_id: Uuid, content_hash: &str) -> Uuid {
    col(
        &one(
            conn,
            "SELECT id FROM skill_versions WHERE skill_id = $1 AND content_hash = $2",
            vec![skill_id.into(), content_hash.into()],
        )
        .await,
        "id",
    )
}

fn hash_of(skill: &BuiltSkill) -> String {
    skill.archive.as_ref().unwrap().content_hash.clone()
}

// ---- index_build --------------------------------------------------------------------------

#[tokio::test]
async fn first_index_publishes_versions_and_files() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let pdf = skill("skills/pdf", "v1", 3);
    let docx = skill("skills/docx", "v1", 2);
    let broken = invalid_skill("skills/broken");
    let m = manifest(
        meta("Acme", "Skills"),
        commit(1),
        vec![pdf.clone(), docx.clone(), broken],
        None,
    );

    let summary = index_build(conn, &m).await.expect("index");
    assert_eq!(summary.skills, 3);
    assert_eq!(summary.new_versions, 2);
    assert_eq!(summary.unchanged, 0);
    assert_eq!(summary.invalid, 1);
    assert_eq!(summary.removed, 0);

    let counts = counts(conn).await;
    assert_eq!(counts["repositories"], 1);
    assert_eq!(counts["skills"], 3);
    assert_eq!(counts["skill_versions"], 2);
    assert_eq!(counts["skill_files"], 5);
    assert_eq!(counts["marketplaces"], 0);

    // The repository, with GitHub's metadata and the sync bookkeeping.
    let r = one(
        conn,
        "SELECT id, host, owner, name, remote_id, description, html_url, default_branch, stars, \
         forks, topics, license, archived, fork, pushed_at, last_indexed_commit, sync_status, \
         last_synced_at IS NOT NULL AS synced, last_error FROM repositories",
        vec![],
    )
    .await;
    assert_eq!(col::<Uuid>(&r, "id"), summary.repository_id);
    assert_eq!(col::<String>(&r, "host"), "github.com");
    assert_eq!(col::<String>(&r, "owner"), "Acme");
    assert_eq!(col::<String>(&r, "name"), "Skills");
    assert_eq!(col::<Option<i64>>(&r, "remote_id"), Some(123_456_789));
    assert_eq!(
        col::<String>(&r, "html_url"),
        "https://github.com/Acme/Skills"
    );
    assert_eq!(col::<String>(&r, "default_branch"), "main");
    assert_eq!(col::<i32>(&r, "stars"), 42);
    assert_eq!(col::<i32>(&r, "forks"), 7);
    assert_eq!(
        col::<serde_json::Value>(&r, "topics"),
        json!(["claude-skills", "agent-skills"])
    );
    assert_eq!(
        col::<Option<String>>(&r, "license").as_deref(),
        Some("Apache-2.0")
    );
    assert!(!col::<bool>(&r, "archived"));
    assert_eq!(
        col::<Option<DateTime<Utc>>>(&r, "pushed_at"),
        Some(Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap())
    );
    assert_eq!(
        col::<Option<String>>(&r, "last_indexed_commit"),
        Some(commit(1))
    );
    assert_eq!(col::<String>(&r, "sync_status"), "succeeded");
    assert!(col::<bool>(&r, "synced"));
    assert_eq!(col::<Option<String>>(&r, "last_error"), None);

    // A published skill points at its version, which holds the content.
    let s = skill_row(conn, "skills/pdf").await;
    assert_eq!(s.name, "pdf");
    assert_eq!(s.status, "active");
    assert!(!s.has_errors);
    assert_eq!((s.error_count, s.warning_count), (0, 1));
    assert_eq!(s.findings[0]["code"], "body_long");
    let v = one(
        conn,
        "SELECT id, content_hash, commit_sha, archive_key, archive_size, file_count, frontmatter, \
         body, findings, error_count, warning_count, yanked FROM skill_versions WHERE skill_id = $1",
        vec![s.id.into()],
    )
    .await;
    assert_eq!(Some(col::<Uuid>(&v, "id")), s.latest_version_id);
    assert_eq!(col::<String>(&v, "content_hash"), hash_of(&pdf));
    assert_eq!(col::<String>(&v, "commit_sha"), commit(1));
    assert_eq!(
        col::<String>(&v, "archive_key"),
        format!("skills/sha256/{}", hash_of(&pdf))
    );
    assert_eq!(col::<i64>(&v, "archive_size"), 2048);
    assert_eq!(col::<i32>(&v, "file_count"), 3);
    assert_eq!(col::<serde_json::Value>(&v, "frontmatter"), pdf.frontmatter);
    assert_eq!(col::<String>(&v, "body"), pdf.body);
    assert_eq!(
        col::<serde_json::Value>(&v, "findings"),
        serde_json::to_value(&pdf.findings).unwrap()
    );
    assert_eq!(col::<i32>(&v, "warning_count"), 1);
    assert!(!col::<bool>(&v, "yanked"));

    let files = rows(
        conn,
        "SELECT path, size, sha256, content_type, executable FROM skill_files \
         WHERE version_id = $1 ORDER BY path",
        vec![s.latest_version_id.unwrap().into()],
    )
    .await;
    let files: Vec<(String, i64, String, String, bool)> = files
        .iter()
        .map(|f| {
            (
                col(f, "path"),
                col(f, "size"),
                col(f, "sha256"),
                col(f, "content_type"),
                col(f, "executable"),
            )
        })
        .collect();
    let archive = pdf.archive.as_ref().unwrap();
    let mut expected: Vec<(String, i64, String, String, bool)> = archive
        .files
        .iter()
        .map(|f| {
            (
                f.path.clone(),
                f.size as i64,
                f.sha256.clone(),
                index::content_type(&f.path).to_owned(),
                f.executable,
            )
        })
        .collect();
    expected.sort();
    assert_eq!(files, expected);
    assert_eq!(files[0].3, "text/markdown; charset=utf-8");

    // The invalid skill is recorded with its findings, without a version.
    let b = skill_row(conn, "skills/broken").await;
    assert_eq!(b.status, "active");
    assert!(b.has_errors);
    assert_eq!((b.error_count, b.warning_count), (1, 1));
    assert_eq!(b.latest_version_id, None);
    assert_eq!(b.findings[0]["severity"], "error");
    assert_eq!(b.findings[0]["code"], "description_missing");
    assert_eq!(b.findings[0]["field"], "description");
    assert_eq!(b.findings[0]["line"], 1);
}

#[tokio::test]
async fn second_identical_index_writes_nothing() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let m = manifest(
        meta("acme", "skills"),
        commit(1),
        vec![
            skill("a", "v1", 4),
            skill("b/c", "v1", 2),
            invalid_skill("broken"),
        ],
        Some(marketplace(vec![plugin("docs", &["a", "b/c"])])),
    );
    let first = index_build(conn, &m).await.unwrap();
    assert_eq!(first.new_versions, 2);
    let counts_before = counts(conn).await;
    let mut before = snapshot(conn).await;

    let second = index_build(conn, &m).await.unwrap();
    assert_eq!(second.repository_id, first.repository_id);
    assert_eq!(second.new_versions, 0);
    assert_eq!(second.unchanged, 2);
    assert_eq!(second.invalid, 1);
    assert_eq!(second.removed, 0);
    assert_eq!(counts(conn).await, counts_before);

    // Not one row changed, timestamps included, except the repository's sync bookkeeping.
    let mut after = snapshot(conn).await;
    before.remove("repositories");
    after.remove("repositories");
    assert_eq!(after, before);
}

#[tokio::test]
async fn changed_content_adds_a_version_and_a_revert_points_back() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let v1 = skill("skills/pdf", "v1", 2);
    let v2 = skill("skills/pdf", "v2", 3);
    let other = skill("skills/docx", "v1", 2);
    let meta = meta("acme", "skills");

    index_build(
        conn,
        &manifest(
            meta.clone(),
            commit(1),
            vec![v1.clone(), other.clone()],
            None,
        ),
    )
    .await
    .unwrap();
    let skill_id = skill_row(conn, "skills/pdf").await.id;
    let old = version_id(conn, skill_id, &hash_of(&v1)).await;

    // New content: a new version; the old one stays; latest points to the new one.
    let s = index_build(
        conn,
        &manifest(
            meta.clone(),
            commit(2),
            vec![v2.clone(), other.clone()],
            None,
        ),
    )
    .await
    .unwrap();
    assert_eq!((s.new_versions, s.unchanged), (1, 1));
    let new = version_id(conn, skill_id, &hash_of(&v2)).await;
    assert_ne!(new, old);
    assert_eq!(
        skill_row(conn, "skills/pdf").await.latest_version_id,
        Some(new)
    );
    let c = counts(conn).await;
    assert_eq!(c["skill_versions"], 3);
    assert_eq!(c["skill_files"], 2 + 2 + 3);
    let commit_of_new: String = col(
        &one(
            conn,
            "SELECT commit_sha FROM skill_versions WHERE id = $1",
            vec![new.into()],
        )
        .await,
        "commit_sha",
    );
    assert_eq!(commit_of_new, commit(2));
    // The old version row is untouched (and still has its files).
    let old_row = one(
        conn,
        "SELECT commit_sha, (SELECT count(*) FROM skill_files WHERE version_id = $1) AS files \
         FROM skill_versions WHERE id = $1",
        vec![old.into()],
    )
    .await;
    assert_eq!(col::<String>(&old_row, "commit_sha"), commit(1));
    assert_eq!(col::<i64>(&old_row, "files"), 2);

    // Back to the old content: latest points at the old version again, no new row.
    let before = counts(conn).await;
    let s = index_build(
        conn,
        &manifest(meta, commit(3), vec![v1.clone(), other], None),
    )
    .await
    .unwrap();
    assert_eq!((s.new_versions, s.unchanged), (0, 2));
    assert_eq!(counts(conn).await, before);
    assert_eq!(
        skill_row(conn, "skills/pdf").await.latest_version_id,
        Some(old)
    );
}

#[tokio::test]
async fn dropped_skill_is_removed_and_comes_back_active() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let meta = meta("acme", "skills");
    let a = skill("a", "v1", 1);
    let b = skill("b", "v1", 1);

    index_build(
        conn,
        &manifest(meta.clone(), commit(1), vec![a.clone(), b.clone()], None),
    )
    .await
    .unwrap();
    let b_before = skill_row(conn, "b").await;

    let s = index_build(
        conn,
        &manifest(meta.clone(), commit(2), vec![a.clone()], None),
    )
    .await
    .unwrap();
    assert_eq!(s.removed, 1);
    let gone = skill_row(conn, "b").await;
    assert_eq!(gone.status, "removed");
    assert!(gone.removed);
    assert_eq!(gone.id, b_before.id);
    // Never deleted: the skill and its version are still there.
    assert_eq!(gone.latest_version_id, b_before.latest_version_id);
    assert_eq!(counts(conn).await["skill_versions"], 2);

    // Indexing again without it does not count it as removed twice.
    let s = index_build(
        conn,
        &manifest(meta.clone(), commit(3), vec![a.clone()], None),
    )
    .await
    .unwrap();
    assert_eq!(s.removed, 0);

    // Back: active again, same row, same version.
    let s = index_build(conn, &manifest(meta.clone(), commit(4), vec![a, b], None))
        .await
        .unwrap();
    assert_eq!((s.removed, s.new_versions, s.unchanged), (0, 0, 2));
    let back = skill_row(conn, "b").await;
    assert_eq!(back.status, "active");
    assert!(!back.removed);
    assert_eq!(back.id, b_before.id);
    assert_eq!(back.latest_version_id, b_before.latest_version_id);

    // An empty repository removes everything.
    let s = index_build(conn, &manifest(meta, commit(5), vec![], None))
        .await
        .unwrap();
    assert_eq!((s.skills, s.removed), (0, 2));
    assert_eq!(counts(conn).await["skills"], 2);
}

#[tokio::test]
async fn skill_with_errors_keeps_its_last_published_version() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let meta = meta("acme", "skills");
    let good = skill("pdf", "v1", 2);
    index_build(
        conn,
        &manifest(meta.clone(), commit(1), vec![good.clone()], None),
    )
    .await
    .unwrap();
    let published = skill_row(conn, "pdf").await;

    // The next commit breaks it: recorded with its findings, no version, latest unchanged.
    let mut broken = invalid_skill("pdf");
    broken.name = "pdf".to_owned();
    let s = index_build(conn, &manifest(meta.clone(), commit(2), vec![broken], None))
        .await
        .unwrap();
    assert_eq!((s.invalid, s.new_versions, s.unchanged), (1, 0, 0));
    let now = skill_row(conn, "pdf").await;
    assert!(now.has_errors);
    assert_eq!(now.error_count, 1);
    assert_eq!(now.findings.as_array().unwrap().len(), 2);
    assert_eq!(now.latest_version_id, published.latest_version_id);
    assert_eq!(counts(conn).await["skill_versions"], 1);

    // Fixed: errors cleared, findings replaced.
    index_build(conn, &manifest(meta, commit(3), vec![good], None))
        .await
        .unwrap();
    let fixed = skill_row(conn, "pdf").await;
    assert!(!fixed.has_errors);
    assert_eq!(fixed.error_count, 0);
    assert_eq!(fixed.findings[0]["code"], "body_long");
}

#[tokio::test]
async fn marketplace_plugins_and_links_are_written_and_pruned() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let meta = meta("acme", "skills");
    let skills = vec![
        skill("a", "v1", 1),
        skill("b", "v1", 1),
        skill("c", "v1", 1),
    ];

    // The github-sourced plugin points at a repository the index knows.
    index_build(
        conn,
        &manifest(self::meta("other", "tools"), commit(9), vec![], None),
    )
    .await
    .unwrap();
    let mut external = plugin("external", &[]);
    external.source_kind = "github".to_owned();
    external.source = json!({"source": "github", "repo": "Other/Tools"});
    let mut weird = plugin("weird", &["nope"]);
    weird.source_kind = "something-new".to_owned();

    let m1 = manifest(
        meta.clone(),
        commit(1),
        skills.clone(),
        Some(marketplace(vec![
            plugin("docs", &["a", "b"]),
            plugin("misc", &["c", "missing/skill"]),
            plugin("docs", &["c"]), // repeated name: the first one wins
            external,
            weird,
        ])),
    );
    let s = index_build(conn, &m1).await.unwrap();

    let mk = one(
        conn,
        "SELECT id, name, owner_name, owner_email, description, version, raw FROM marketplaces \
         WHERE repository_id = $1",
        vec![s.repository_id.into()],
    )
    .await;
    let marketplace_id: Uuid = col(&mk, "id");
    assert_eq!(col::<String>(&mk, "name"), "acme-skills");
    assert_eq!(
        col::<Option<String>>(&mk, "owner_email").as_deref(),
        Some("skills@acme.test")
    );

    let plugins = rows(
        conn,
        "SELECT name, source_kind, source, source_repository_id, keywords FROM plugins \
         WHERE marketplace_id = $1 ORDER BY name",
        vec![marketplace_id.into()],
    )
    .await;
    let names: Vec<String> = plugins.iter().map(|p| col(p, "name")).collect();
    assert_eq!(names, ["docs", "external", "misc", "weird"]);
    let other_id: Uuid = col(
        &one(
            conn,
            "SELECT id FROM repositories WHERE name = 'tools'",
            vec![],
        )
        .await,
        "id",
    );
    assert_eq!(
        col::<Option<Uuid>>(&plugins[0], "source_repository_id"),
        Some(s.repository_id)
    );
    assert_eq!(
        col::<Option<Uuid>>(&plugins[1], "source_repository_id"),
        Some(other_id)
    );
    assert_eq!(col::<String>(&plugins[1], "source_kind"), "github");
    assert_eq!(col::<String>(&plugins[3], "source_kind"), "other");
    assert_eq!(
        col::<Option<Uuid>>(&plugins[3], "source_repository_id"),
        None
    );
    assert_eq!(
        col::<serde_json::Value>(&plugins[0], "keywords"),
        json!(["docs"])
    );

    async fn links(conn: &DatabaseConnection) -> Vec<(String, String)> {
        rows(
            conn,
            "SELECT p.name AS plugin, s.path AS skill FROM plugin_skills ps \
             JOIN plugins p ON p.id = ps.plugin_id JOIN skills s ON s.id = ps.skill_id \
             ORDER BY 1, 2",
            vec![],
        )
        .await
        .iter()
        .map(|r| (col(r, "plugin"), col(r, "skill")))
        .collect()
    }
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    assert_eq!(
        links(conn).await,
        pairs(&[("docs", "a"), ("docs", "b"), ("misc", "c")])
    );

    // Idempotent, marketplace included.
    let before = snapshot(conn).await;
    index_build(conn, &m1).await.unwrap();
    let mut after = snapshot(conn).await;
    let mut before = before;
    before.remove("repositories");
    after.remove("repositories");
    assert_eq!(after, before);

    // Plugins no longer listed are deleted (with their links); links follow skill_paths.
    let m2 = manifest(
        meta.clone(),
        commit(2),
        skills.clone(),
        Some(marketplace(vec![plugin("docs", &["b", "c"])])),
    );
    index_build(conn, &m2).await.unwrap();
    let names: Vec<String> = rows(conn, "SELECT name FROM plugins ORDER BY name", vec![])
        .await
        .iter()
        .map(|p| col(p, "name"))
        .collect();
    assert_eq!(names, ["docs"]);
    assert_eq!(links(conn).await, pairs(&[("docs", "b"), ("docs", "c")]));
    // The surviving plugin kept its id.
    assert_eq!(
        col::<Uuid>(
            &one(conn, "SELECT marketplace_id FROM plugins", vec![]).await,
            "marketplace_id"
        ),
        marketplace_id
    );

    // No marketplace any more: the row goes, with its plugins and links; skills stay.
    index_build(conn, &manifest(meta, commit(3), skills, None))
        .await
        .unwrap();
    let c = counts(conn).await;
    assert_eq!(
        (c["marketplaces"], c["plugins"], c["plugin_skills"]),
        (0, 0, 0)
    );
    assert_eq!(c["skills"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_index_builds_write_one_version_per_skill() {
    let db = migrated_database().await;
    for round in 0..3u32 {
        // Round 0 races on a repository that does not exist yet; later rounds on an existing
        // one with new content.
        let m = Arc::new(manifest(
            meta("acme", "skills"),
            commit(round),
            (0..8)
                .map(|i| skill(&format!("skills/s{i}"), &format!("round {round}"), 3))
                .collect(),
            Some(marketplace(vec![plugin(
                "all",
                &["skills/s0", "skills/s1"],
            )])),
        ));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let conn = db.conn.clone();
                let m = Arc::clone(&m);
                tokio::spawn(async move { index_build(&conn, &m).await })
            })
            .collect();
        let mut new_versions = 0;
        for task in tasks {
            let summary = task.await.unwrap().expect("concurrent index");
            new_versions += summary.new_versions;
        }
        assert_eq!(
            new_versions, 8,
            "round {round}: versions written once in total"
        );
        let c = counts(&db.conn).await;
        assert_eq!(c["repositories"], 1);
        assert_eq!(c["skills"], 8);
        assert_eq!(c["skill_versions"], 8 * (i64::from(round) + 1));
        assert_eq!(c["skill_files"], 3 * 8 * (i64::from(round) + 1));
        assert_eq!(
            (c["marketplaces"], c["plugins"], c["plugin_skills"]),
            (1, 1, 2)
        );
    }
}

#[tokio::test]
async fn index_takes_a_handful_of_statements() {
    let db = migrated_database().await;
    let mut conn = Database::connect(&db.url).await.unwrap();
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&statements);
    conn.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });

    let skills: Vec<BuiltSkill> = (0..10)
        .map(|i| skill(&format!("skills/s{i}"), "v1", 20))
        .collect();
    let paths: Vec<String> = skills.iter().map(|s| s.path.clone()).collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let m = manifest(
        meta("acme", "skills"),
        commit(1),
        skills,
        Some(marketplace(vec![
            plugin("first", &paths[..5]),
            plugin("second", &paths[5..]),
        ])),
    );
    let summary = index_build(&conn, &m).await.unwrap();
    assert_eq!(summary.new_versions, 10);
    let first = statements.swap(0, Ordering::SeqCst);
    // Repository, links from other marketplaces' plugins hosted here, skills, versions,
    // files, latest, removals, marketplace, plugin prune, plugins, links (BEGIN/COMMIT are
    // not statements of ours).
    assert!(
        (7..=11).contains(&first),
        "{first} statements for 10 skills x 20 files"
    );
    assert_eq!(counts(&conn).await["skill_files"], 200);

    statements.store(0, Ordering::SeqCst);
    index_build(&conn, &m).await.unwrap();
    let second = statements.load(Ordering::SeqCst);
    assert!(
        (7..=11).contains(&second),
        "{second} statements on the second run"
    );
    eprintln!("statements: first {first}, second {second}");
    conn.close().await.ok();
}

#[tokio::test]
async fn invalid_manifests_are_rejected_without_writes() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let meta = meta("acme", "skills");

    let twice = manifest(
        meta.clone(),
        commit(1),
        vec![skill("a", "v1", 1), skill("a", "v2", 1)],
        None,
    );
    let err = index_build(conn, &twice).await.unwrap_err();
    assert!(matches!(err, IndexError::InvalidManifest { .. }), "{err}");
    assert_eq!(err.kind(), "invalid_manifest");
    assert!(err.to_string().contains("acme/skills"), "{err}");

    let mut bad_hash = skill("a", "v1", 1);
    bad_hash.archive.as_mut().unwrap().content_hash = "ABC".to_owned();
    let err = index_build(
        conn,
        &manifest(meta.clone(), commit(1), vec![bad_hash], None),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, IndexError::InvalidManifest { .. }), "{err}");

    let err = index_build(conn, &manifest(meta, String::new(), vec![], None))
        .await
        .unwrap_err();
    assert!(matches!(err, IndexError::InvalidManifest { .. }), "{err}");

    assert!(counts(conn).await.values().all(|n| *n == 0));
}

#[tokio::test]
async fn repository_problems_are_stored_and_cleared_by_a_clean_sync() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let mut first = manifest(
        meta("acme", "skills"),
        commit(1),
        vec![skill("a", "v1", 1)],
        None,
    );
    first.problems = vec![Finding::warning(
        "entry_skipped",
        "symlink not extracted",
        "skills/a/link",
    )];
    index_build(conn, &first).await.expect("first index");
    let problems = |row: &QueryResult| col::<serde_json::Value>(row, "problems");
    let sql = "SELECT problems FROM repositories";
    let row = one(conn, sql, vec![]).await;
    assert_eq!(
        problems(&row),
        json!([{"severity": "warning", "code": "entry_skipped",
                "message": "symlink not extracted", "file": "skills/a/link",
                "line": null, "field": null}])
    );

    let second = manifest(
        meta("acme", "skills"),
        commit(2),
        vec![skill("a", "v1", 1)],
        None,
    );
    index_build(conn, &second).await.expect("second index");
    let row = one(conn, sql, vec![]).await;
    assert_eq!(
        problems(&row),
        json!([]),
        "a sync without problems clears them"
    );
}

#[tokio::test]
async fn nul_characters_do_not_break_an_index() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let mut s = skill("a", "v1", 1);
    s.body = "before\0after".to_owned();
    s.description = Some("with\0nul".to_owned());
    s.frontmatter = json!({"name": "a", "odd\0key": "va\0lue"});
    index_build(
        conn,
        &manifest(meta("acme", "skills"), commit(1), vec![s], None),
    )
    .await
    .expect("NULs are stripped");
    let row = one(
        conn,
        "SELECT v.body, s.description, v.frontmatter FROM skills s \
         JOIN skill_versions v ON v.id = s.latest_version_id",
        vec![],
    )
    .await;
    assert_eq!(col::<String>(&row, "body"), "beforeafter");
    assert_eq!(
        col::<Option<String>>(&row, "description").as_deref(),
        Some("withnul")
    );
    assert_eq!(
        col::<serde_json::Value>(&row, "frontmatter"),
        json!({"name": "a", "oddkey": "value"})
    );
}

#[tokio::test]
async fn failed_index_rolls_back_everything() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let meta = meta("acme", "skills");
    index_build(
        conn,
        &manifest(meta.clone(), commit(1), vec![skill("a", "v1", 1)], None),
    )
    .await
    .unwrap();
    let before = snapshot(conn).await;

    // A file path the schema refuses (leading '/') fails the transaction half-way through.
    let mut bad = skill("b", "v1", 1);
    bad.archive.as_mut().unwrap().files[0].path = "/etc/passwd".to_owned();
    let err = index_build(
        conn,
        &manifest(meta, commit(2), vec![skill("a", "v2", 1), bad], None),
    )
    .await
    .unwrap_err();
    match &err {
        IndexError::Db {
            step, repository, ..
        } => {
            assert_eq!(*step, "insert files");
            assert_eq!(repository, "acme/skills");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("insert files"), "{err}");
    assert!(
        !err.is_retryable(),
        "a manifest the schema refuses (CHECK violation) fails the same way every time"
    );
    assert_eq!(snapshot(conn).await, before);

    // Losing the connection is worth a retry.
    let lost = IndexError::Db {
        step: "insert files",
        repository: "acme/skills".into(),
        source: sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal("connection reset".into())),
    };
    assert!(lost.is_retryable());
}

// ---- status helpers ---------------------------------------------------------------------

async fn repository_status(conn: &DatabaseConnection) -> (String, Option<String>, Option<String>) {
    let r = one(
        conn,
        "SELECT sync_status, last_error, last_error_kind FROM repositories",
        vec![],
    )
    .await;
    (
        col(&r, "sync_status"),
        col(&r, "last_error"),
        col(&r, "last_error_kind"),
    )
}

#[tokio::test]
async fn sync_status_helpers() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let typed = repo("ACME", "Skills");

    // Unknown repository.
    assert_eq!(
        index::last_indexed_commit(conn, &typed).await.unwrap(),
        None
    );

    // Started: a minimal row, spelled as the caller typed it.
    index::mark_sync_started(conn, &typed).await.unwrap();
    let r = one(
        conn,
        "SELECT owner, name, html_url, default_branch, sync_status, \
         last_sync_started_at IS NOT NULL AS started, last_indexed_commit FROM repositories",
        vec![],
    )
    .await;
    assert_eq!(col::<String>(&r, "owner"), "ACME");
    assert_eq!(col::<String>(&r, "name"), "Skills");
    assert_eq!(
        col::<Option<String>>(&r, "html_url").as_deref(),
        Some("https://github.com/ACME/Skills")
    );
    assert_eq!(
        col::<Option<String>>(&r, "default_branch").as_deref(),
        Some("")
    );
    assert_eq!(col::<String>(&r, "sync_status"), "syncing");
    assert!(col::<bool>(&r, "started"));
    assert_eq!(
        index::last_indexed_commit(conn, &typed).await.unwrap(),
        None
    );

    // Failed, with a long message that is cut.
    let long = "x".repeat(10_000);
    index::mark_sync_failed(conn, &repo("acme", "skills"), "github_not_found", &long)
        .await
        .unwrap();
    let (status, error, kind) = repository_status(conn).await;
    assert_eq!(status, "failed");
    assert_eq!(error.unwrap().chars().count(), MAX_ERROR_CHARS);
    assert_eq!(kind.as_deref(), Some("github_not_found"));
    assert_eq!(counts(conn).await["repositories"], 1);

    // Indexed: canonical spelling from GitHub, errors cleared, commit known.
    let summary = index_build(
        conn,
        &manifest(meta("acme", "skills"), commit(1), vec![], None),
    )
    .await
    .unwrap();
    assert_eq!(
        repository_status(conn).await,
        ("succeeded".to_owned(), None, None)
    );
    let r = one(conn, "SELECT id, owner, name FROM repositories", vec![]).await;
    assert_eq!(col::<Uuid>(&r, "id"), summary.repository_id);
    assert_eq!(col::<String>(&r, "owner"), "acme");
    assert_eq!(col::<String>(&r, "name"), "skills");
    for spelling in [
        repo("acme", "skills"),
        repo("Acme", "SKILLS"),
        typed.clone(),
    ] {
        assert_eq!(
            index::last_indexed_commit(conn, &spelling).await.unwrap(),
            Some(commit(1))
        );
    }

    // A new sync starts and fails: the last indexed commit stays.
    index::mark_sync_started(conn, &typed).await.unwrap();
    assert_eq!(repository_status(conn).await.0, "syncing");
    index::mark_sync_failed(conn, &typed, "download", "boom")
        .await
        .unwrap();
    let (status, error, _) = repository_status(conn).await;
    assert_eq!(
        (status.as_str(), error.as_deref()),
        ("failed", Some("boom"))
    );
    assert_eq!(
        index::last_indexed_commit(conn, &typed).await.unwrap(),
        Some(commit(1))
    );
    let r = one(conn, "SELECT owner FROM repositories", vec![]).await;
    assert_eq!(col::<String>(&r, "owner"), "acme", "spelling kept");

    // A failure for a repository never seen creates its row.
    index::mark_sync_failed(conn, &repo("ghost", "repo"), "not_found", "404")
        .await
        .unwrap();
    let r = one(
        conn,
        "SELECT sync_status, last_error, html_url FROM repositories WHERE owner = 'ghost'",
        vec![],
    )
    .await;
    assert_eq!(col::<String>(&r, "sync_status"), "failed");
    assert_eq!(
        col::<Option<String>>(&r, "last_error").as_deref(),
        Some("404")
    );
    assert_eq!(
        col::<Option<String>>(&r, "html_url").as_deref(),
        Some("https://github.com/ghost/repo")
    );
}

#[tokio::test]
async fn blacklist_owner_wide_and_per_repository() {
    let db = migrated_database().await;
    let conn = &db.conn;
    exec(
        conn,
        "INSERT INTO blacklist (owner, repo, reason) VALUES \
         ('Spammer', NULL, 'spam'), ('acme', 'Bad-Repo', 'malware')",
        vec![],
    )
    .await;

    let cases = [
        ("spammer", "anything", true),
        ("SPAMMER", "Other", true),
        ("acme", "bad-repo", true),
        ("ACME", "BAD-REPO", true),
        ("acme", "good-repo", false),
        ("someone", "bad-repo", false),
        ("spammers", "x", false),
    ];
    for (owner, name, expected) in cases {
        assert_eq!(
            index::is_blacklisted(conn, &repo(owner, name))
                .await
                .unwrap(),
            expected,
            "{owner}/{name}"
        );
    }
    // The same answers for a whole list in one statement, in its order.
    let names: Vec<_> = cases.iter().map(|(o, n, _)| repo(o, n)).collect();
    let expected: Vec<bool> = cases.iter().map(|c| c.2).collect();
    assert_eq!(index::blacklisted(conn, &names).await.unwrap(), expected);
    assert!(index::blacklisted(conn, &[]).await.unwrap().is_empty());
}

async fn registration(conn: &DatabaseConnection, workflow_id: &str) -> Uuid {
    col(
        &one(
            conn,
            "INSERT INTO registration_requests (repository_full_name, trigger, workflow_id) \
             VALUES ('acme/skills', 'user', $1) RETURNING id",
            vec![workflow_id.into()],
        )
        .await,
        "id",
    )
}

#[derive(Debug)]
struct Reg {
    status: String,
    workflow_id: Option<String>,
    run_id: Option<String>,
    error: Option<String>,
    result: Option<serde_json::Value>,
    repository_id: Option<Uuid>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

async fn reg(conn: &DatabaseConnection, id: Uuid) -> Reg {
    let r = one(
        conn,
        "SELECT status, workflow_id, run_id, error, result, repository_id, started_at, \
         finished_at FROM registration_requests WHERE id = $1",
        vec![id.into()],
    )
    .await;
    Reg {
        status: col(&r, "status"),
        workflow_id: col(&r, "workflow_id"),
        run_id: col(&r, "run_id"),
        error: col(&r, "error"),
        result: col(&r, "result"),
        repository_id: col(&r, "repository_id"),
        started_at: col(&r, "started_at"),
        finished_at: col(&r, "finished_at"),
    }
}

#[tokio::test]
async fn registration_updates_never_regress() {
    use skilldex_core::registration::{self, Outcome};
    let db = migrated_database().await;
    let conn = &db.conn;
    let summary = index_build(
        conn,
        &manifest(meta("acme", "skills"), commit(1), vec![], None),
    )
    .await
    .unwrap();
    let workflow = "sync:github.com/acme/skills";
    let id = registration(conn, workflow).await;

    // Running: started_at and the run id recorded.
    registration::start(conn, workflow, "run-1").await.unwrap();
    let r = reg(conn, id).await;
    assert_eq!(r.status, "running");
    assert_eq!(r.workflow_id.as_deref(), Some(workflow));
    assert_eq!(r.run_id.as_deref(), Some("run-1"));
    assert!(r.started_at.is_some());
    assert_eq!(r.finished_at, None);
    let started = r.started_at;

    // A retried start keeps the first run id and start time.
    registration::start(conn, workflow, "run-1b").await.unwrap();
    let r = reg(conn, id).await;
    assert_eq!(r.started_at, started);
    assert_eq!(r.run_id.as_deref(), Some("run-1"));

    // Succeeded: finished_at, result and repository.
    let done_rows = registration::finish(
        conn,
        workflow,
        Outcome::Succeeded {
            repository_id: Some(summary.repository_id),
            result: json!({"new_versions": 0}),
        },
    )
    .await
    .unwrap();
    assert_eq!(done_rows, 1);
    let done = reg(conn, id).await;
    assert_eq!(done.status, "succeeded");
    assert!(done.finished_at.is_some());
    assert_eq!(done.result, Some(json!({"new_versions": 0})));
    assert_eq!(done.repository_id, Some(summary.repository_id));
    assert_eq!(done.started_at, started);

    // A late, retried start or finish does not undo or rewrite the final state.
    registration::start(conn, workflow, "run-2").await.unwrap();
    let again = registration::finish(
        conn,
        workflow,
        Outcome::Failed {
            error: "late".to_owned(),
        },
    )
    .await
    .unwrap();
    assert_eq!(again, 0, "finished rows are never touched");
    let r = reg(conn, id).await;
    assert_eq!(r.status, "succeeded");
    assert_eq!(r.finished_at, done.finished_at);
    assert_eq!(r.run_id.as_deref(), Some("run-1"));
    assert_eq!(r.error, None);

    // Straight from queued to failed: error (cut), started_at and finished_at set.
    let other_workflow = "sync:github.com/acme/other";
    let other = registration(conn, other_workflow).await;
    registration::finish(
        conn,
        other_workflow,
        Outcome::Failed {
            error: "e".repeat(5_000),
        },
    )
    .await
    .unwrap();
    let r = reg(conn, other).await;
    assert_eq!(r.status, "failed");
    assert_eq!(r.error.unwrap().chars().count(), MAX_ERROR_CHARS);
    assert!(r.started_at.is_some() && r.finished_at.is_some());

    // A workflow without registrations (a scheduled sync) updates nothing.
    assert_eq!(
        registration::finish(
            conn,
            "sync:github.com/nobody/here",
            Outcome::Failed { error: "x".into() }
        )
        .await
        .unwrap(),
        0
    );
}

/// Discovery's view of the index: what `indexed_repos` reads, and `record_indexed_push`
/// recording a push only for the indexed commit and never moving it back.
#[tokio::test]
async fn indexed_pushes_are_recorded_for_the_indexed_commit_only() {
    let db = migrated_database().await;
    let conn = &db.conn;
    let indexed = repo("acme", "skills");
    index_build(
        conn,
        &manifest(
            meta("acme", "skills"),
            commit(1),
            vec![skill("a", "1", 1)],
            None,
        ),
    )
    .await
    .unwrap();
    index::mark_sync_failed(conn, &repo("ghost", "repo"), "not_found", "404")
        .await
        .unwrap();
    let names = [
        repo("ACME", "Skills"),
        repo("nobody", "here"),
        repo("ghost", "repo"),
    ];
    let state = index::indexed_repos(conn, &names).await.unwrap();
    assert_eq!(state.len(), 3);
    let acme = state[0].as_ref().expect("matched case-insensitively");
    assert_eq!(acme.last_indexed_commit, Some(commit(1)));
    assert_eq!(acme.indexed_pushed_at, None);
    assert!(state[1].is_none(), "no row");
    assert_eq!(
        state[2].as_ref().map(|s| s.last_indexed_commit.clone()),
        Some(None),
        "a row that was never indexed"
    );
    assert!(index::indexed_repos(conn, &[]).await.unwrap().is_empty());

    let t = |h: u32| Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap();
    // Another commit than the indexed one: nothing recorded.
    assert!(
        !index::record_indexed_push(conn, &indexed, &commit(2), t(10))
            .await
            .unwrap()
    );
    assert!(
        index::record_indexed_push(conn, &indexed, &commit(1), t(10))
            .await
            .unwrap()
    );
    // An older push never replaces a newer one; a newer one does.
    assert!(
        !index::record_indexed_push(conn, &indexed, &commit(1), t(9))
            .await
            .unwrap()
    );
    let state = index::indexed_repos(conn, &names[..1]).await.unwrap();
    assert_eq!(state[0].as_ref().unwrap().indexed_pushed_at, Some(t(10)));
    assert!(
        index::record_indexed_push(conn, &indexed, &commit(1), t(11))
            .await
            .unwrap()
    );
    let state = index::indexed_repos(conn, &names[..1]).await.unwrap();
    assert_eq!(state[0].as_ref().unwrap().indexed_pushed_at, Some(t(11)));
}
