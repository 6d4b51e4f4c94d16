//! The index step: the only code that writes sync results to PostgreSQL.
//!
//! [`index_build`] writes one [`BuildManifest`] in a single transaction: the repository, its
//! skills, new immutable versions with their files, skills gone from the repository (marked
//! `removed`, never deleted), and the repository's marketplace with its plugins. The other
//! functions are the one-statement status updates the worker's activities make around a sync.
//!
//! # Set-based writes
//!
//! Every multi-row write binds one `jsonb` parameter holding all rows and expands it with
//! `jsonb_to_recordset`, so the number of statements does not depend on the number of skills
//! or files: at most 10 inside the transaction (repository, skills, versions, files, latest
//! pointers, removals, and 1–4 for the marketplace), whatever the size of the repository.
//!
//! # Idempotence and concurrency
//!
//! - Versions are keyed by `(skill_id, content_hash)` and inserted with `ON CONFLICT DO
//!   NOTHING`; files are written only for versions this call created. Indexing the same
//!   manifest twice writes no version, no file and no duplicate row.
//! - Upserts of skills, marketplaces and plugins only update rows whose values changed, so
//!   `updated_at` (which orders "recently updated" listings) moves only on real changes.
//! - The repository upsert (`INSERT … ON CONFLICT … DO UPDATE`) takes the repository row's
//!   lock and keeps it until commit, so two `index_build`s of one repository run one after the
//!   other; the second sees the first's rows and finds nothing new.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, QueryResult,
    Statement, TransactionTrait, Value,
};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::{
    build::github_plugin_home,
    discovery::IndexedRepo,
    spec::PluginSource,
    sync::{BuildManifest, BuiltMarketplace, GITHUB_HOST, IndexSummary, RepoName},
};

/// Longest `last_error` / registration `error` stored, in characters.
pub const MAX_ERROR_CHARS: usize = 2_000;

/// Plugin `source_kind`s the schema accepts; anything else is stored as `other`.
const PLUGIN_SOURCE_KINDS: &[&str] = &["relative", "github", "url", "git_subdir", "npm", "other"];

/// What went wrong while writing to the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A statement failed; `step` says which, `repository` for which repository.
    #[error("index: {step} for {repository} failed: {source}")]
    Db {
        step: &'static str,
        repository: String,
        #[source]
        source: DbErr,
    },
    /// The manifest cannot be written as it is (retrying will not help).
    #[error("index: invalid build manifest for {repository}: {reason}")]
    InvalidManifest { repository: String, reason: String },
}

impl IndexError {
    /// A short, stable label (`database`, `invalid_manifest`), e.g. for
    /// `repositories.last_error_kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Db { .. } => "database",
            Self::InvalidManifest { .. } => "invalid_manifest",
        }
    }

    /// Whether trying again can help: the database was unreachable, busy or lost a race
    /// (a unique violation between two concurrent builds resolves on retry). A manifest the
    /// schema refuses (a data exception, a failed CHECK or NOT NULL) fails the same way
    /// every time.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::InvalidManifest { .. } => false,
            Self::Db { source, .. } => is_transient(source),
        }
    }

    /// The underlying database error, if any.
    pub fn db_err(&self) -> Option<&DbErr> {
        match self {
            Self::Db { source, .. } => Some(source),
            Self::InvalidManifest { .. } => None,
        }
    }
}

/// Whether a database error may go away on retry: anything but a statement PostgreSQL
/// refuses for its data (a data exception, a failed CHECK or NOT NULL), which fails the
/// same way every time. Unique violations count as transient: two concurrent writers
/// resolve them on retry.
pub fn is_transient(error: &DbErr) -> bool {
    match sqlstate(error) {
        Some(code) => !(code.starts_with("22") || code == "23514" || code == "23502"),
        None => true,
    }
}

/// The SQLSTATE of a statement PostgreSQL refused, if that is what `error` is.
fn sqlstate(error: &DbErr) -> Option<String> {
    let runtime = match error {
        DbErr::Exec(e) | DbErr::Query(e) => e,
        _ => return None,
    };
    match runtime {
        sea_orm::RuntimeErr::SqlxError(e) => match e.as_ref() {
            sea_orm::sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
            _ => None,
        },
        _ => None,
    }
}

// ---- index_build ------------------------------------------------------------------------

/// Writes `manifest` to the index in one transaction and reports what changed.
///
/// See the [module documentation](self) for the guarantees (idempotent, set-based, safe to
/// run concurrently for the same repository).
pub async fn index_build(
    db: &DatabaseConnection,
    manifest: &BuildManifest,
) -> Result<IndexSummary, IndexError> {
    let repository = format!("{}/{}", manifest.repo.owner, manifest.repo.name);
    let plan = Plan::new(manifest).map_err(|reason| IndexError::InvalidManifest {
        repository: repository.clone(),
        reason,
    })?;
    let w = Writer {
        repository: &repository,
    };

    let txn = db.begin().await.map_err(w.err("begin transaction"))?;
    let summary = write(&txn, &w, manifest, &plan).await?;
    txn.commit().await.map_err(w.err("commit"))?;

    tracing::info!(
        repository = %repository,
        commit = %manifest.commit,
        skills = summary.skills,
        new_versions = summary.new_versions,
        unchanged = summary.unchanged,
        invalid = summary.invalid,
        removed = summary.removed,
        "index written"
    );
    Ok(summary)
}

/// Error context for one repository.
struct Writer<'a> {
    repository: &'a str,
}

impl Writer<'_> {
    fn err(&self, step: &'static str) -> impl FnOnce(DbErr) -> IndexError + '_ {
        move |source| IndexError::Db {
            step,
            repository: self.repository.to_owned(),
            source,
        }
    }
}

/// The manifest checked and turned into `jsonb` row sets.
struct Plan {
    /// `[{path, name, description, license, error_count, warning_count, findings}]`.
    skills: Json,
    /// Every skill path, in manifest order.
    paths: Vec<String>,
    /// How many skills have an archive (get a version).
    publishable: usize,
    /// Plugins, deduplicated by name (first wins).
    plugins: Vec<PluginRow>,
}

struct PluginRow {
    row: Json,
    name: String,
    skill_paths: Vec<String>,
}

impl Plan {
    fn new(manifest: &BuildManifest) -> Result<Self, String> {
        if manifest.commit.trim().is_empty() {
            return Err("the commit is empty".into());
        }
        let mut seen = HashSet::new();
        let mut skills = Vec::with_capacity(manifest.skills.len());
        let mut paths = Vec::with_capacity(manifest.skills.len());
        let mut publishable = 0;
        for skill in &manifest.skills {
            if !seen.insert(skill.path.as_str()) {
                return Err(format!("skill path `{}` appears twice", skill.path));
            }
            if skill.path.starts_with('/') || skill.path.ends_with('/') {
                return Err(format!(
                    "skill path `{}` starts or ends with `/`",
                    skill.path
                ));
            }
            if skill.name.is_empty() {
                return Err(format!("skill `{}` has an empty name", skill.path));
            }
            if let Some(archive) = &skill.archive {
                if !is_sha256_hex(&archive.content_hash) {
                    return Err(format!(
                        "skill `{}`: content hash `{}` is not 64 lowercase hex digits",
                        skill.path, archive.content_hash
                    ));
                }
                if let Some(file) = archive.files.iter().find(|f| !is_sha256_hex(&f.sha256)) {
                    return Err(format!(
                        "skill `{}`: file `{}` has an invalid sha256",
                        skill.path, file.path
                    ));
                }
                publishable += 1;
            }
            skills.push(json!({
                "path": skill.path,
                "name": skill.name,
                "description": skill.description,
                "license": skill.license,
                "error_count": count(skill.error_count()),
                "warning_count": count(skill.warning_count()),
                "findings": serde_json::to_value(&skill.findings)
                    .map_err(|e| format!("skill `{}`: findings: {e}", skill.path))?,
            }));
            paths.push(skill.path.clone());
        }

        let mut plugins = Vec::new();
        if let Some(marketplace) = &manifest.marketplace {
            let mut names = HashSet::new();
            for plugin in &marketplace.plugins {
                if plugin.name.is_empty() || !names.insert(plugin.name.as_str()) {
                    tracing::debug!(plugin = %plugin.name, "plugin skipped (empty or repeated name)");
                    continue;
                }
                let kind = if PLUGIN_SOURCE_KINDS.contains(&plugin.source_kind.as_str()) {
                    plugin.source_kind.as_str()
                } else {
                    "other"
                };
                // Which GitHub repository (and folder) hosts a plugin from elsewhere,
                // read from `source` here so manifests of any age link the same way.
                let home = serde_json::from_value::<PluginSource>(plugin.source.clone())
                    .ok()
                    .and_then(|source| github_plugin_home(&source));
                plugins.push(PluginRow {
                    row: json!({
                        "name": plugin.name,
                        "description": plugin.description,
                        "version": plugin.version,
                        "source_kind": kind,
                        "source": plugin.source,
                        "category": plugin.category,
                        "keywords": plugin.keywords,
                        "homepage": plugin.homepage,
                        "license": plugin.license,
                        "raw": object_or_empty(&plugin.raw),
                        "source_repo": home.as_ref().map(|(repo, _)| repo),
                        "source_path": home.as_ref().and_then(|(_, path)| path.as_ref()),
                    }),
                    name: plugin.name.clone(),
                    skill_paths: plugin.skill_paths.clone(),
                });
            }
        }

        Ok(Self {
            skills: Json::Array(skills),
            paths,
            publishable,
            plugins,
        })
    }
}

async fn write(
    txn: &DatabaseTransaction,
    w: &Writer<'_>,
    manifest: &BuildManifest,
    plan: &Plan,
) -> Result<IndexSummary, IndexError> {
    let repository_id = upsert_repository(txn, w, manifest).await?;
    // Plugins of other marketplaces hosted here (`source_repo`) may have been recorded
    // before this repository had a row; point them at it now. Writes nothing when already
    // linked.
    txn.execute_raw(stmt(
        LINK_GITHUB_PLUGINS,
        [
            repository_id.into(),
            format!("{}/{}", manifest.repo.owner, manifest.repo.name).into(),
        ],
    ))
    .await
    .map_err(w.err("link plugins hosted here"))?;

    // Skills: upsert all, learn every id (changed or not).
    let skill_ids: HashMap<String, Uuid> = if manifest.skills.is_empty() {
        HashMap::new()
    } else {
        let rows = txn
            .query_all_raw(stmt(
                UPSERT_SKILLS,
                [repository_id.into(), jsonb(plan.skills.clone())],
            ))
            .await
            .map_err(w.err("upsert skills"))?;
        rows.iter()
            .map(|r| get_pair::<String, Uuid>(r, "path", "id"))
            .collect::<Result<_, DbErr>>()
            .map_err(w.err("read skill ids"))?
    };

    // Versions of publishable skills; files of the ones this call created.
    let mut new_versions = 0;
    if plan.publishable > 0 {
        let mut versions = Vec::with_capacity(plan.publishable);
        let mut latest = Vec::with_capacity(plan.publishable);
        let mut files_by_skill: HashMap<Uuid, &[crate::package::ManifestEntry]> = HashMap::new();
        for skill in &manifest.skills {
            let Some(archive) = &skill.archive else {
                continue;
            };
            let skill_id = *skill_ids.get(&skill.path).ok_or_else(|| IndexError::Db {
                step: "read skill ids",
                repository: w.repository.to_owned(),
                source: DbErr::RecordNotFound(format!("skill `{}`", skill.path)),
            })?;
            files_by_skill.insert(skill_id, &archive.files);
            latest.push(json!({"skill_id": skill_id, "content_hash": archive.content_hash}));
            versions.push(json!({
                "skill_id": skill_id,
                "content_hash": archive.content_hash,
                "archive_key": archive.key,
                "archive_size": i64::try_from(archive.size).unwrap_or(i64::MAX),
                "file_count": count(archive.files.len()),
                "frontmatter": object_or_empty(&skill.frontmatter),
                "body": skill.body,
                "findings": serde_json::to_value(&skill.findings).unwrap_or_else(|_| json!([])),
                "error_count": count(skill.error_count()),
                "warning_count": count(skill.warning_count()),
            }));
        }
        let versions = jsonb(Json::Array(versions));

        let created = txn
            .query_all_raw(stmt(
                INSERT_VERSIONS,
                [manifest.commit.clone().into(), versions],
            ))
            .await
            .map_err(w.err("insert versions"))?;
        new_versions = created.len();

        let mut files = Vec::new();
        for row in &created {
            let (version_id, skill_id) =
                get_pair::<Uuid, Uuid>(row, "id", "skill_id").map_err(w.err("read version ids"))?;
            for file in files_by_skill.get(&skill_id).copied().unwrap_or_default() {
                files.push(json!({
                    "version_id": version_id,
                    "path": file.path,
                    "size": i64::try_from(file.size).unwrap_or(i64::MAX),
                    "sha256": file.sha256,
                    "content_type": content_type(&file.path),
                    "executable": file.executable,
                }));
            }
        }
        if !files.is_empty() {
            txn.execute_raw(stmt(INSERT_FILES, [jsonb(Json::Array(files))]))
                .await
                .map_err(w.err("insert files"))?;
        }

        txn.execute_raw(stmt(SET_LATEST_VERSIONS, [jsonb(Json::Array(latest))]))
            .await
            .map_err(w.err("point skills at their latest version"))?;
    }

    // Skills gone from the repository.
    let removed = txn
        .execute_raw(stmt(
            MARK_REMOVED,
            [repository_id.into(), jsonb(json!(plan.paths))],
        ))
        .await
        .map_err(w.err("mark removed skills"))?
        .rows_affected();

    match &manifest.marketplace {
        None => {
            txn.execute_raw(stmt(DELETE_MARKETPLACE, [repository_id.into()]))
                .await
                .map_err(w.err("delete marketplace"))?;
        }
        Some(marketplace) => {
            write_marketplace(txn, w, repository_id, marketplace, plan, &skill_ids).await?;
        }
    }

    let skills = manifest.skills.len();
    Ok(IndexSummary {
        repository_id,
        skills,
        new_versions,
        unchanged: plan.publishable - new_versions,
        invalid: skills - plan.publishable,
        removed: usize::try_from(removed).unwrap_or(usize::MAX),
    })
}

async fn upsert_repository(
    txn: &DatabaseTransaction,
    w: &Writer<'_>,
    manifest: &BuildManifest,
) -> Result<Uuid, IndexError> {
    let meta = &manifest.repo;
    let row = txn
        .query_one_raw(stmt(
            UPSERT_REPOSITORY,
            [
                GITHUB_HOST.into(),
                clean(&meta.owner).into(),
                clean(&meta.name).into(),
                i64::try_from(meta.remote_id).ok().into(),
                meta.description.as_deref().map(clean).into(),
                clean(&meta.html_url).into(),
                clean(&meta.default_branch).into(),
                i32::try_from(meta.stars).unwrap_or(i32::MAX).into(),
                i32::try_from(meta.forks).unwrap_or(i32::MAX).into(),
                jsonb(json!(meta.topics)),
                meta.license_spdx.as_deref().map(clean).into(),
                meta.archived.into(),
                meta.fork.into(),
                meta.pushed_at.into(),
                clean(&manifest.commit).into(),
                jsonb(json!(manifest.problems)),
            ],
        ))
        .await
        .map_err(w.err("upsert repository"))?
        .ok_or_else(|| DbErr::RecordNotInserted)
        .map_err(w.err("upsert repository"))?;
    get(&row, "id").map_err(w.err("upsert repository"))
}

async fn write_marketplace(
    txn: &DatabaseTransaction,
    w: &Writer<'_>,
    repository_id: Uuid,
    marketplace: &BuiltMarketplace,
    plan: &Plan,
    skill_ids: &HashMap<String, Uuid>,
) -> Result<(), IndexError> {
    let row = txn
        .query_one_raw(stmt(
            UPSERT_MARKETPLACE,
            [
                repository_id.into(),
                jsonb(json!({
                    "name": marketplace.name,
                    "owner_name": marketplace.owner_name,
                    "owner_email": marketplace.owner_email,
                    "description": marketplace.description,
                    "version": marketplace.version,
                    "raw": object_or_empty(&marketplace.raw),
                })),
            ],
        ))
        .await
        .map_err(w.err("upsert marketplace"))?
        .ok_or(DbErr::RecordNotInserted)
        .map_err(w.err("upsert marketplace"))?;
    let marketplace_id: Uuid = get(&row, "id").map_err(w.err("upsert marketplace"))?;

    let names: Vec<&str> = plan.plugins.iter().map(|p| p.name.as_str()).collect();
    txn.execute_raw(stmt(
        DELETE_UNLISTED_PLUGINS,
        [marketplace_id.into(), jsonb(json!(names))],
    ))
    .await
    .map_err(w.err("delete unlisted plugins"))?;

    let mut plugin_ids: HashMap<String, Uuid> = HashMap::new();
    if !plan.plugins.is_empty() {
        let rows: Vec<Json> = plan.plugins.iter().map(|p| p.row.clone()).collect();
        let rows = txn
            .query_all_raw(stmt(
                UPSERT_PLUGINS,
                [
                    marketplace_id.into(),
                    repository_id.into(),
                    jsonb(Json::Array(rows)),
                ],
            ))
            .await
            .map_err(w.err("upsert plugins"))?;
        for row in &rows {
            let pair =
                get_pair::<String, Uuid>(row, "name", "id").map_err(w.err("read plugin ids"))?;
            plugin_ids.insert(pair.0, pair.1);
        }
    }

    let mut links = Vec::new();
    let mut seen = HashSet::new();
    for plugin in &plan.plugins {
        let Some(plugin_id) = plugin_ids.get(&plugin.name) else {
            continue;
        };
        for path in &plugin.skill_paths {
            match skill_ids.get(path) {
                Some(skill_id) if seen.insert((*plugin_id, *skill_id)) => {
                    links.push(json!({"plugin_id": plugin_id, "skill_id": skill_id}));
                }
                Some(_) => {}
                None => tracing::debug!(
                    repository = w.repository,
                    plugin = %plugin.name,
                    %path,
                    "plugin skill path is not a skill of this commit"
                ),
            }
        }
    }
    txn.execute_raw(stmt(
        REPLACE_PLUGIN_SKILLS,
        [marketplace_id.into(), jsonb(Json::Array(links))],
    ))
    .await
    .map_err(w.err("replace plugin skills"))?;
    Ok(())
}

const UPSERT_REPOSITORY: &str = r#"
INSERT INTO repositories AS r (
    host, owner, name, remote_id, description, html_url, default_branch, stars, forks,
    topics, license, archived, fork, pushed_at, last_indexed_commit,
    last_synced_at, sync_status, last_error, last_error_kind, problems
)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $15,
        now(), 'succeeded', NULL, NULL, $16::jsonb)
ON CONFLICT (lower(host), lower(owner), lower(name)) DO UPDATE SET
    owner = EXCLUDED.owner,
    name = EXCLUDED.name,
    remote_id = EXCLUDED.remote_id,
    description = EXCLUDED.description,
    html_url = EXCLUDED.html_url,
    default_branch = EXCLUDED.default_branch,
    stars = EXCLUDED.stars,
    forks = EXCLUDED.forks,
    topics = EXCLUDED.topics,
    license = EXCLUDED.license,
    archived = EXCLUDED.archived,
    fork = EXCLUDED.fork,
    pushed_at = EXCLUDED.pushed_at,
    last_indexed_commit = EXCLUDED.last_indexed_commit,
    last_synced_at = now(),
    sync_status = 'succeeded',
    last_error = NULL,
    last_error_kind = NULL,
    problems = EXCLUDED.problems
RETURNING r.id
"#;

/// Upserts every skill of the manifest (only rows whose values change are updated) and
/// returns the id of each, changed or not. The second half of the UNION reads the statement's
/// snapshot, which holds the untouched rows; new and updated ones come from `upserted`.
const UPSERT_SKILLS: &str = r#"
WITH input AS (
    SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(
        path text, name text, description text, license text,
        error_count integer, warning_count integer, findings jsonb)
), upserted AS (
    INSERT INTO skills AS s (
        repository_id, path, name, description, license, status, removed_at,
        has_errors, error_count, warning_count, findings)
    SELECT $1, i.path, i.name, i.description, i.license, 'active', NULL,
           i.error_count > 0, i.error_count, i.warning_count, i.findings
    FROM input i
    ON CONFLICT (repository_id, path) DO UPDATE SET
        name = EXCLUDED.name,
        description = EXCLUDED.description,
        license = EXCLUDED.license,
        status = 'active',
        removed_at = NULL,
        has_errors = EXCLUDED.has_errors,
        error_count = EXCLUDED.error_count,
        warning_count = EXCLUDED.warning_count,
        findings = EXCLUDED.findings
    WHERE (s.name, s.description, s.license, s.status, s.removed_at, s.has_errors,
           s.error_count, s.warning_count, s.findings)
        IS DISTINCT FROM
          (EXCLUDED.name, EXCLUDED.description, EXCLUDED.license, 'active', NULL::timestamptz,
           EXCLUDED.has_errors, EXCLUDED.error_count, EXCLUDED.warning_count, EXCLUDED.findings)
    RETURNING s.id, s.path
)
SELECT id, path FROM upserted
UNION ALL
SELECT s.id, s.path FROM skills s JOIN input i ON i.path = s.path
WHERE s.repository_id = $1 AND NOT EXISTS (SELECT 1 FROM upserted u WHERE u.path = s.path)
"#;

/// Inserts the versions that do not exist yet; returns only those.
const INSERT_VERSIONS: &str = r#"
INSERT INTO skill_versions (
    skill_id, content_hash, commit_sha, archive_key, archive_size, file_count,
    frontmatter, body, findings, error_count, warning_count)
SELECT x.skill_id, x.content_hash, $1, x.archive_key, x.archive_size, x.file_count,
       x.frontmatter, x.body, x.findings, x.error_count, x.warning_count
FROM jsonb_to_recordset($2::jsonb) AS x(
    skill_id uuid, content_hash text, archive_key text, archive_size bigint,
    file_count integer, frontmatter jsonb, body text, findings jsonb,
    error_count integer, warning_count integer)
ON CONFLICT (skill_id, content_hash) DO NOTHING
RETURNING id, skill_id
"#;

const INSERT_FILES: &str = r#"
INSERT INTO skill_files (version_id, path, size, sha256, content_type, executable)
SELECT x.version_id, x.path, x.size, x.sha256, x.content_type, x.executable
FROM jsonb_to_recordset($1::jsonb) AS x(
    version_id uuid, path text, size bigint, sha256 text, content_type text,
    executable boolean)
ON CONFLICT (version_id, path) DO NOTHING
"#;

/// Points each publishable skill at the version with its content hash, new or old.
/// A yanked version never becomes `latest` again (the repository may still hold its
/// content); the skill keeps the newest unyanked one the yank chose.
const SET_LATEST_VERSIONS: &str = r#"
UPDATE skills AS s SET latest_version_id = v.id
FROM jsonb_to_recordset($1::jsonb) AS x(skill_id uuid, content_hash text)
JOIN skill_versions v ON v.skill_id = x.skill_id AND v.content_hash = x.content_hash
WHERE s.id = x.skill_id AND NOT v.yanked AND s.latest_version_id IS DISTINCT FROM v.id
"#;

const MARK_REMOVED: &str = r#"
UPDATE skills SET status = 'removed', removed_at = now()
WHERE repository_id = $1 AND status = 'active'
  AND path NOT IN (SELECT jsonb_array_elements_text($2::jsonb))
"#;

const DELETE_MARKETPLACE: &str = "DELETE FROM marketplaces WHERE repository_id = $1";

const UPSERT_MARKETPLACE: &str = r#"
WITH upserted AS (
    INSERT INTO marketplaces AS m (
        repository_id, name, owner_name, owner_email, description, version, raw)
    SELECT $1, x.name, x.owner_name, x.owner_email, x.description, x.version, x.raw
    FROM jsonb_to_record($2::jsonb) AS x(
        name text, owner_name text, owner_email text, description text, version text,
        raw jsonb)
    ON CONFLICT (repository_id) DO UPDATE SET
        name = EXCLUDED.name,
        owner_name = EXCLUDED.owner_name,
        owner_email = EXCLUDED.owner_email,
        description = EXCLUDED.description,
        version = EXCLUDED.version,
        raw = EXCLUDED.raw
    WHERE (m.name, m.owner_name, m.owner_email, m.description, m.version, m.raw)
        IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.owner_name, EXCLUDED.owner_email,
                          EXCLUDED.description, EXCLUDED.version, EXCLUDED.raw)
    RETURNING m.id
)
SELECT id FROM upserted
UNION ALL
SELECT id FROM marketplaces WHERE repository_id = $1 AND NOT EXISTS (SELECT 1 FROM upserted)
"#;

const DELETE_UNLISTED_PLUGINS: &str = r#"
DELETE FROM plugins
WHERE marketplace_id = $1 AND name NOT IN (SELECT jsonb_array_elements_text($2::jsonb))
"#;

const LINK_GITHUB_PLUGINS: &str = r#"
UPDATE plugins SET source_repository_id = $1
WHERE lower(source_repo) = lower($2) AND source_repository_id IS DISTINCT FROM $1
"#;

/// `source_repository_id`: this repository for `relative` sources, the indexed repository
/// named by `source_repo` for plugins hosted on GitHub, NULL otherwise.
const UPSERT_PLUGINS: &str = r#"
WITH input AS (
    SELECT * FROM jsonb_to_recordset($3::jsonb) AS x(
        name text, description text, version text, source_kind text, source jsonb,
        category text, keywords jsonb, homepage text, license text, raw jsonb,
        source_repo text, source_path text)
), upserted AS (
    INSERT INTO plugins AS p (
        marketplace_id, name, description, version, source_kind, source,
        source_repository_id, source_repo, source_path, category, keywords, homepage,
        license, raw)
    SELECT $1, i.name, i.description, i.version, i.source_kind, coalesce(i.source, 'null'),
           CASE
               WHEN i.source_kind = 'relative' THEN $2
               WHEN i.source_repo IS NOT NULL THEN (
                   SELECT r.id FROM repositories r
                   WHERE lower(r.host) = 'github.com'
                     AND lower(r.owner) = lower(split_part(i.source_repo, '/', 1))
                     AND lower(r.name) = lower(split_part(i.source_repo, '/', 2)))
           END,
           i.source_repo, i.source_path,
           i.category, coalesce(i.keywords, '[]'), i.homepage, i.license, i.raw
    FROM input i
    ON CONFLICT (marketplace_id, name) DO UPDATE SET
        description = EXCLUDED.description,
        version = EXCLUDED.version,
        source_kind = EXCLUDED.source_kind,
        source = EXCLUDED.source,
        source_repository_id = EXCLUDED.source_repository_id,
        source_repo = EXCLUDED.source_repo,
        source_path = EXCLUDED.source_path,
        category = EXCLUDED.category,
        keywords = EXCLUDED.keywords,
        homepage = EXCLUDED.homepage,
        license = EXCLUDED.license,
        raw = EXCLUDED.raw
    WHERE (p.description, p.version, p.source_kind, p.source, p.source_repository_id,
           p.source_repo, p.source_path, p.category, p.keywords, p.homepage, p.license,
           p.raw)
        IS DISTINCT FROM
          (EXCLUDED.description, EXCLUDED.version, EXCLUDED.source_kind, EXCLUDED.source,
           EXCLUDED.source_repository_id, EXCLUDED.source_repo, EXCLUDED.source_path,
           EXCLUDED.category, EXCLUDED.keywords, EXCLUDED.homepage, EXCLUDED.license,
           EXCLUDED.raw)
    RETURNING p.id, p.name
)
SELECT id, name FROM upserted
UNION ALL
SELECT p.id, p.name FROM plugins p JOIN input i ON i.name = p.name
WHERE p.marketplace_id = $1 AND NOT EXISTS (SELECT 1 FROM upserted u WHERE u.name = p.name)
"#;

/// Makes the links of the marketplace's plugins exactly `$2` (existing links keep their
/// `created_at`). Both halves always run; they touch disjoint rows.
const REPLACE_PLUGIN_SKILLS: &str = r#"
WITH wanted AS (
    SELECT x.plugin_id, x.skill_id
    FROM jsonb_to_recordset($2::jsonb) AS x(plugin_id uuid, skill_id uuid)
), pruned AS (
    DELETE FROM plugin_skills ps USING plugins p
    WHERE p.id = ps.plugin_id AND p.marketplace_id = $1
      AND NOT EXISTS (
          SELECT 1 FROM wanted w WHERE w.plugin_id = ps.plugin_id AND w.skill_id = ps.skill_id)
)
INSERT INTO plugin_skills (plugin_id, skill_id)
SELECT plugin_id, skill_id FROM wanted
ON CONFLICT (plugin_id, skill_id) DO NOTHING
"#;

// ---- status helpers ---------------------------------------------------------------------

const REPO_MATCH: &str =
    "lower(host) = lower($1) AND lower(owner) = lower($2) AND lower(name) = lower($3)";

fn repo_values(repo: &RepoName) -> [Value; 3] {
    [
        GITHUB_HOST.into(),
        clean(&repo.owner).into(),
        clean(&repo.name).into(),
    ]
}

fn repo_err<'a>(step: &'static str, repo: &'a RepoName) -> impl FnOnce(DbErr) -> IndexError + 'a {
    move |source| IndexError::Db {
        step,
        repository: repo.full_name(),
        source,
    }
}

/// The commit the repository was last indexed at, if it is known and was ever indexed.
pub async fn last_indexed_commit(
    db: &DatabaseConnection,
    repo: &RepoName,
) -> Result<Option<String>, IndexError> {
    Ok(indexed_state(db, repo)
        .await?
        .and_then(|(_, commit)| commit))
}

/// The repository's row id and last indexed commit, when it has a row.
pub async fn indexed_state(
    db: &DatabaseConnection,
    repo: &RepoName,
) -> Result<Option<(Uuid, Option<String>)>, IndexError> {
    let row = db
        .query_one_raw(stmt(
            &format!("SELECT id, last_indexed_commit FROM repositories WHERE {REPO_MATCH}"),
            repo_values(repo),
        ))
        .await
        .map_err(repo_err("read last indexed commit", repo))?;
    match row {
        None => Ok(None),
        Some(row) => get_pair::<Uuid, Option<String>>(&row, "id", "last_indexed_commit")
            .map(Some)
            .map_err(repo_err("read last indexed commit", repo)),
    }
}

/// Which of `hashes` some indexed version's archive has: those archives are in storage.
pub async fn indexed_archives(
    db: &DatabaseConnection,
    hashes: &[String],
) -> Result<HashSet<String>, DbErr> {
    if hashes.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT DISTINCT content_hash FROM skill_versions WHERE content_hash = ANY($1)",
            [hashes.to_vec().into()],
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "content_hash"))
        .collect()
}

/// What the index knows about each of `repos` (in the same order; `None` for repositories
/// it has no row for), for discovery's up-to-date check. One statement.
pub async fn indexed_repos(
    db: &DatabaseConnection,
    repos: &[RepoName],
) -> Result<Vec<Option<IndexedRepo>>, IndexError> {
    let err = |source| IndexError::Db {
        step: "read indexed repositories",
        repository: format!("{} repositories", repos.len()),
        source,
    };
    if repos.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(stmt(
            "SELECT x.i, r.last_indexed_commit, r.indexed_pushed_at \
             FROM jsonb_to_recordset($1::jsonb) AS x(i int, owner text, name text) \
             JOIN repositories r ON lower(r.host) = lower($2) \
                 AND lower(r.owner) = lower(x.owner) AND lower(r.name) = lower(x.name)",
            [jsonb(repo_list(repos)), GITHUB_HOST.into()],
        ))
        .await
        .map_err(err)?;
    let mut out = vec![None; repos.len()];
    for row in &rows {
        *slot_of(&mut out, row).map_err(err)? = Some(IndexedRepo {
            last_indexed_commit: get(row, "last_indexed_commit").map_err(err)?,
            indexed_pushed_at: get(row, "indexed_pushed_at").map_err(err)?,
        });
    }
    Ok(out)
}

/// Records that the indexed commit `commit` of `repo` includes every push up to
/// `pushed_at` (HEAD was read after GitHub reported that `pushed_at`, and equalled it).
/// Only while `commit` is still the indexed one; never moves the value back. Returns
/// whether the row changed.
pub async fn record_indexed_push(
    db: &DatabaseConnection,
    repo: &RepoName,
    commit: &str,
    pushed_at: DateTime<Utc>,
) -> Result<bool, IndexError> {
    let [host, owner, name] = repo_values(repo);
    let done = db
        .execute_raw(stmt(
            &format!(
                "UPDATE repositories SET indexed_pushed_at = $5 \
                 WHERE {REPO_MATCH} AND last_indexed_commit = $4 \
                   AND (indexed_pushed_at IS NULL OR indexed_pushed_at < $5)"
            ),
            [host, owner, name, clean(commit).into(), pushed_at.into()],
        ))
        .await
        .map_err(repo_err("record indexed push", repo))?;
    Ok(done.rows_affected() > 0)
}

/// The GitHub repositories the plugins of `marketplace_repo`'s marketplace come from
/// (`source_repo`: `github` sources, and `url` / `git-subdir` sources on github.com),
/// without the marketplace repository itself, in plugin-name order.
pub async fn plugin_source_repositories(
    db: &DatabaseConnection,
    marketplace_repo: &RepoName,
) -> Result<Vec<RepoName>, IndexError> {
    let rows = db
        .query_all_raw(stmt(
            "SELECT p.source_repo FROM plugins p \
             JOIN marketplaces m ON m.id = p.marketplace_id \
             JOIN repositories r ON r.id = m.repository_id \
             WHERE lower(r.host) = lower($1) AND lower(r.owner) = lower($2) \
               AND lower(r.name) = lower($3) AND p.source_repo IS NOT NULL \
             ORDER BY p.name",
            repo_values(marketplace_repo),
        ))
        .await
        .map_err(repo_err("read plugin sources", marketplace_repo))?;
    let mut out: Vec<RepoName> = Vec::new();
    for row in &rows {
        let named: String = row
            .try_get("", "source_repo")
            .map_err(repo_err("read plugin sources", marketplace_repo))?;
        let Ok(repo) = RepoName::parse(&named) else {
            continue;
        };
        let same = |a: &RepoName, b: &RepoName| a.full_name().eq_ignore_ascii_case(&b.full_name());
        if !same(&repo, marketplace_repo) && !out.iter().any(|r| same(r, &repo)) {
            out.push(repo);
        }
    }
    Ok(out)
}

/// Whether the repository, or its whole owner, is blacklisted (case-insensitive).
pub async fn is_blacklisted(db: &DatabaseConnection, repo: &RepoName) -> Result<bool, IndexError> {
    let flags = blacklisted(db, std::slice::from_ref(repo)).await?;
    Ok(flags.first().copied().unwrap_or(false))
}

/// [`is_blacklisted`] for each of `repos`, in the same order, in one statement.
pub async fn blacklisted(
    db: &DatabaseConnection,
    repos: &[RepoName],
) -> Result<Vec<bool>, IndexError> {
    let err = |source| IndexError::Db {
        step: "read blacklist",
        repository: match repos {
            [one] => one.full_name(),
            _ => format!("{} repositories", repos.len()),
        },
        source,
    };
    if repos.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(stmt(
            "SELECT x.i FROM jsonb_to_recordset($1::jsonb) AS x(i int, owner text, name text) \
             WHERE EXISTS (SELECT 1 FROM blacklist b WHERE lower(b.owner) = lower(x.owner) \
                           AND (b.repo IS NULL OR lower(b.repo) = lower(x.name)))",
            [jsonb(repo_list(repos))],
        ))
        .await
        .map_err(err)?;
    let mut out = vec![false; repos.len()];
    for row in &rows {
        *slot_of(&mut out, row).map_err(err)? = true;
    }
    Ok(out)
}

/// Records that a sync of `repo` started (`sync_status = 'syncing'`), creating a minimal
/// repository row if the repository is new. Earlier errors stay until the sync ends.
pub async fn mark_sync_started(db: &DatabaseConnection, repo: &RepoName) -> Result<(), IndexError> {
    let [host, owner, name] = repo_values(repo);
    db.execute_raw(stmt(
        "INSERT INTO repositories (host, owner, name, html_url, default_branch, \
             sync_status, last_sync_started_at) \
         VALUES ($1, $2, $3, $4, '', 'syncing', now()) \
         ON CONFLICT (lower(host), lower(owner), lower(name)) DO UPDATE SET \
             sync_status = 'syncing', last_sync_started_at = now()",
        [host, owner, name, html_url(repo).into()],
    ))
    .await
    .map_err(repo_err("mark sync started", repo))?;
    Ok(())
}

/// Records a failed sync (`sync_status = 'failed'`, `last_error`, `last_error_kind`),
/// creating the repository row if it is missing. `message` is cut to [`MAX_ERROR_CHARS`].
/// The last indexed commit and the skills are left as they were.
pub async fn mark_sync_failed(
    db: &DatabaseConnection,
    repo: &RepoName,
    kind: &str,
    message: &str,
) -> Result<(), IndexError> {
    let [host, owner, name] = repo_values(repo);
    db.execute_raw(stmt(
        "INSERT INTO repositories (host, owner, name, html_url, default_branch, \
             sync_status, last_error, last_error_kind, last_synced_at) \
         VALUES ($1, $2, $3, $4, '', 'failed', $5, $6, now()) \
         ON CONFLICT (lower(host), lower(owner), lower(name)) DO UPDATE SET \
             sync_status = 'failed', last_error = EXCLUDED.last_error, \
             last_error_kind = EXCLUDED.last_error_kind, last_synced_at = now()",
        [
            host,
            owner,
            name,
            html_url(repo).into(),
            truncate_chars(&clean(message), MAX_ERROR_CHARS).into(),
            clean(kind).into(),
        ],
    ))
    .await
    .map_err(repo_err("mark sync failed", repo))?;
    Ok(())
}

/// After a sync found the repository indexed at its HEAD: a failure recorded since, or a
/// `syncing` left by a run that was terminated, no longer describes it (one run per
/// repository at a time: the workflow id is the repository's), so the row reads as synced
/// again. Writes nothing (0 rows) when it already does, which keeps an unchanged resync
/// free of writes.
pub async fn clear_sync_failure(
    db: &DatabaseConnection,
    repository_id: Uuid,
) -> Result<u64, IndexError> {
    let done = db
        .execute_raw(stmt(
            "UPDATE repositories SET sync_status = 'succeeded', last_error = NULL, \
             last_error_kind = NULL, last_synced_at = now() \
             WHERE id = $1 AND sync_status <> 'succeeded'",
            [repository_id.into()],
        ))
        .await
        .map_err(|source| IndexError::Db {
            step: "clear sync failure",
            repository: repository_id.to_string(),
            source,
        })?;
    Ok(done.rows_affected())
}

// ---- helpers ----------------------------------------------------------------------------

/// `repos` as a JSON array of `{i, owner, name}` for `jsonb_to_recordset`: one statement
/// over a list of repositories, answering each by its position `i`.
fn repo_list(repos: &[RepoName]) -> Json {
    repos
        .iter()
        .enumerate()
        .map(|(i, r)| json!({ "i": i, "owner": clean(&r.owner), "name": clean(&r.name) }))
        .collect()
}

/// The element of `out` a row of a [`repo_list`] statement answers (its `i` column).
fn slot_of<'a, T>(out: &'a mut [T], row: &QueryResult) -> Result<&'a mut T, DbErr> {
    let i: i32 = get(row, "i")?;
    usize::try_from(i)
        .ok()
        .and_then(|i| out.get_mut(i))
        .ok_or_else(|| DbErr::Custom(format!("row index {i} out of range")))
}

fn stmt<I: IntoIterator<Item = Value>>(sql: &str, values: I) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> Result<T, DbErr> {
    row.try_get("", column)
}

fn get_pair<A: sea_orm::TryGetable, B: sea_orm::TryGetable>(
    row: &QueryResult,
    a: &str,
    b: &str,
) -> Result<(A, B), DbErr> {
    Ok((get(row, a)?, get(row, b)?))
}

/// A `jsonb` parameter, without the NUL characters PostgreSQL refuses in text and jsonb.
fn jsonb(value: Json) -> Value {
    sanitize_json(value).into()
}

fn sanitize_json(value: Json) -> Json {
    match value {
        Json::String(s) if s.contains('\0') => Json::String(s.replace('\0', "")),
        Json::Array(items) => Json::Array(items.into_iter().map(sanitize_json).collect()),
        Json::Object(map) => Json::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let k = if k.contains('\0') {
                        k.replace('\0', "")
                    } else {
                        k
                    };
                    (k, sanitize_json(v))
                })
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

/// Text without NUL characters (PostgreSQL `text` cannot hold them).
fn clean(s: &str) -> String {
    s.replace('\0', "")
}

fn object_or_empty(value: &Json) -> Json {
    if value.is_object() {
        value.clone()
    } else {
        json!({})
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn html_url(repo: &RepoName) -> String {
    format!(
        "https://github.com/{}/{}",
        clean(&repo.owner),
        clean(&repo.name)
    )
}

/// The first `max` characters of `s` (the last one an ellipsis when cut).
fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A content type for `skill_files.content_type`, from the file extension.
pub fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => return "application/octet-stream",
    };
    match ext.as_str() {
        "md" | "markdown" => "text/markdown; charset=utf-8",
        "txt" | "text" | "rst" | "log" | "cfg" | "ini" | "conf" => "text/plain; charset=utf-8",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml",
        "toml" => "application/toml",
        "xml" => "application/xml",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "js" | "mjs" | "cjs" => "text/javascript; charset=utf-8",
        "ts" | "tsx" | "jsx" => "text/plain; charset=utf-8",
        "py" => "text/x-python; charset=utf-8",
        "sh" | "bash" | "zsh" => "text/x-shellscript; charset=utf-8",
        "rb" | "go" | "rs" | "java" | "kt" | "c" | "h" | "cpp" | "hpp" | "cs" | "php" | "pl"
        | "lua" | "r" | "sql" | "swift" | "ps1" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_by_characters() {
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("abcd", 3), "ab…");
        let long = "é".repeat(5_000);
        assert_eq!(
            truncate_chars(&long, MAX_ERROR_CHARS).chars().count(),
            2_000
        );
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("SKILL.md"), "text/markdown; charset=utf-8");
        assert_eq!(
            content_type("scripts/run.PY"),
            "text/x-python; charset=utf-8"
        );
        assert_eq!(content_type("Makefile"), "application/octet-stream");
        assert_eq!(content_type(".env"), "application/octet-stream");
        assert_eq!(content_type("assets/logo.png"), "image/png");
    }

    #[test]
    fn strips_nul_from_json() {
        let v = sanitize_json(json!({"a\u{0}": ["x\u{0}y", 1, {"b": "\u{0}"}]}));
        assert_eq!(v, json!({"a": ["xy", 1, {"b": ""}]}));
    }
}
