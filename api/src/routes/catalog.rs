//! Registry-wide reads: totals, marketplaces and their plugins, and the change feed that
//! mirrors and tools follow.

use axum::extract::State;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    AppState,
    error::{ApiError, ErrorEnvelopeDoc},
    extract::{PathParams, QueryParams},
    pagination::{Page, PageParams, encode_cursor},
    routes::skills::{
        HOSTED_PLUGIN_SKILL, LISTED, NOT_BLACKLISTED, SUMMARY_COLUMNS, SUMMARY_FROM, SkillSummary,
        summary_from_row,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stats))
        .routes(routes!(list_marketplaces))
        .routes(routes!(get_marketplace))
        .routes(routes!(changes))
}

/// Totals of what the public reads list: every figure counts only listed skills (active,
/// not of a blacklisted repository, with a version or findings to show).
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// Listed skills.
    pub skills: i64,
    /// Repositories with at least one listed skill.
    pub repositories: i64,
    /// Versions of listed skills, yanked ones left out.
    pub versions: i64,
    /// Downloads of listed skills.
    pub downloads: i64,
    /// Marketplaces of repositories that are not blacklisted (as `GET /marketplaces`).
    pub marketplaces: i64,
}

/// Totals for the home page, consistent with what search and the lists show.
#[utoipa::path(
    get,
    path = "/stats",
    tag = "catalog",
    responses((status = 200, description = "Registry totals", body = Stats))
)]
pub async fn stats(State(state): State<AppState>) -> Result<axum::Json<Stats>, ApiError> {
    let row = state
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "WITH listed AS ( \
                   SELECT s.id, s.repository_id, s.download_count FROM {SUMMARY_FROM} \
                   WHERE {LISTED}) \
                 SELECT \
                   (SELECT count(*) FROM listed) AS skills, \
                   (SELECT count(DISTINCT repository_id) FROM listed) AS repositories, \
                   (SELECT count(*) FROM listed l JOIN skill_versions sv ON sv.skill_id = l.id \
                      WHERE NOT sv.yanked) AS versions, \
                   (SELECT coalesce(sum(download_count), 0)::bigint FROM listed) AS downloads, \
                   (SELECT count(*) FROM marketplaces m JOIN repositories r \
                      ON r.id = m.repository_id WHERE {NOT_BLACKLISTED}) AS marketplaces"
            ),
        ))
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("stats returned no row")))?;
    Ok(axum::Json(Stats {
        skills: row.try_get("", "skills")?,
        repositories: row.try_get("", "repositories")?,
        versions: row.try_get("", "versions")?,
        downloads: row.try_get("", "downloads")?,
        marketplaces: row.try_get("", "marketplaces")?,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Marketplace {
    pub name: String,
    /// GitHub owner and repository holding `.claude-plugin/marketplace.json`.
    pub owner: String,
    pub repo: String,
    pub description: Option<String>,
    pub version: Option<String>,
    pub owner_name: Option<String>,
    pub plugin_count: i64,
}

const MARKETPLACE_COLUMNS: &str = "m.id, m.name, r.owner, r.name AS repo, m.description, \
    m.version, m.owner_name, \
    (SELECT count(*) FROM plugins p WHERE p.marketplace_id = m.id) AS plugin_count";

fn marketplace_from_row(row: &sea_orm::QueryResult) -> Result<Marketplace, DbErr> {
    Ok(Marketplace {
        name: row.try_get("", "name")?,
        owner: row.try_get("", "owner")?,
        repo: row.try_get("", "repo")?,
        description: row.try_get("", "description")?,
        version: row.try_get("", "version")?,
        owner_name: row.try_get("", "owner_name")?,
        plugin_count: row.try_get("", "plugin_count")?,
    })
}

/// Plugin marketplaces, by name.
#[utoipa::path(
    get,
    path = "/marketplaces",
    tag = "catalog",
    params(PageParams),
    responses(
        (status = 200, description = "One page of marketplaces", body = Page<Marketplace>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelopeDoc),
    )
)]
pub async fn list_marketplaces(
    State(state): State<AppState>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<axum::Json<Page<Marketplace>>, ApiError> {
    let limit = page.limit()?;
    let cursor: Option<(String, Uuid)> = page.cursor()?;
    let mut values = vec![(i64::from(limit) + 1).into()];
    let seek = match cursor {
        Some((name, id)) => {
            values.push(name.into());
            values.push(id.into());
            "AND (lower(m.name) > $2 OR (lower(m.name) = $2 AND m.id > $3))"
        }
        None => "",
    };
    let rows = state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT {MARKETPLACE_COLUMNS} FROM marketplaces m \
                 JOIN repositories r ON r.id = m.repository_id \
                 WHERE {NOT_BLACKLISTED} {seek} ORDER BY lower(m.name), m.id LIMIT $1"
            ),
            values,
        ))
        .await?;
    let mut items = Vec::new();
    for row in &rows {
        let id: Uuid = row.try_get("", "id")?;
        items.push((marketplace_from_row(row)?, id));
    }
    let page = Page::from_rows(items, limit, |(m, id)| (m.name.to_lowercase(), *id));
    Ok(axum::Json(Page {
        items: page.items.into_iter().map(|(m, _)| m).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Plugin {
    pub name: String,
    pub description: Option<String>,
    pub version: Option<String>,
    pub category: Option<String>,
    /// `relative`, `github`, `url`, `git_subdir`, `npm` or `other`.
    pub source_kind: String,
    #[schema(value_type = Object)]
    pub source: Json,
    pub keywords: Vec<String>,
    pub homepage: Option<String>,
    pub license: Option<String>,
    /// Skills of this registry that belong to the plugin.
    pub skills: Vec<SkillSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarketplacePage {
    #[serde(flatten)]
    pub marketplace: Marketplace,
    pub plugins: Vec<Plugin>,
}

/// The marketplace of a repository, with its plugins and their skills.
#[utoipa::path(
    get,
    path = "/marketplaces/{owner}/{repo}",
    tag = "catalog",
    params(
        ("owner" = String, Path, description = "GitHub owner"),
        ("repo" = String, Path, description = "GitHub repository"),
    ),
    responses(
        (status = 200, description = "The marketplace", body = MarketplacePage),
        (status = 404, description = "No marketplace in that repository", body = ErrorEnvelopeDoc),
    )
)]
pub async fn get_marketplace(
    State(state): State<AppState>,
    PathParams((owner, repo)): PathParams<(String, String)>,
) -> Result<axum::Json<MarketplacePage>, ApiError> {
    let db = &state.db;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT {MARKETPLACE_COLUMNS} FROM marketplaces m \
                 JOIN repositories r ON r.id = m.repository_id \
                 WHERE lower(r.owner) = $1 AND lower(r.name) = $2 AND {NOT_BLACKLISTED}"
            ),
            [owner.to_lowercase().into(), repo.to_lowercase().into()],
        ))
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("{owner}/{repo} has no indexed plugin marketplace"))
        })?;
    let marketplace_id: Uuid = row.try_get("", "id")?;
    let marketplace = marketplace_from_row(&row)?;
    let plugin_rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id, name, description, version, category, source_kind, source, keywords, \
             homepage, license FROM plugins WHERE marketplace_id = $1 ORDER BY lower(name)",
            [marketplace_id.into()],
        ))
        .await?;
    let skill_rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            // Plugins in the marketplace repository list their skills (plugin_skills);
            // a plugin hosted in another GitHub repository has that repository's skills
            // (or those in its folder) once it is indexed (`HOSTED_PLUGIN_SKILL`).
            format!(
                "SELECT * FROM (\
                 SELECT ps.plugin_id, {SUMMARY_COLUMNS} FROM plugin_skills ps \
                 JOIN plugins pl ON pl.id = ps.plugin_id \
                 JOIN {SUMMARY_FROM} ON s.id = ps.skill_id \
                 WHERE pl.marketplace_id = $1 AND {LISTED} \
                 UNION ALL \
                 SELECT pl.id AS plugin_id, {SUMMARY_COLUMNS} FROM plugins pl \
                 JOIN {SUMMARY_FROM} ON s.repository_id = pl.source_repository_id \
                 WHERE pl.marketplace_id = $1 AND {HOSTED_PLUGIN_SKILL} AND {LISTED}\
                 ) plugin_skills_all ORDER BY lower(name)"
            ),
            [marketplace_id.into()],
        ))
        .await?;
    let mut skills_by_plugin: std::collections::HashMap<Uuid, Vec<SkillSummary>> =
        Default::default();
    for row in &skill_rows {
        let plugin_id: Uuid = row.try_get("", "plugin_id")?;
        skills_by_plugin
            .entry(plugin_id)
            .or_default()
            .push(summary_from_row(row)?);
    }
    let mut plugins = Vec::with_capacity(plugin_rows.len());
    for row in &plugin_rows {
        let id: Uuid = row.try_get("", "id")?;
        let keywords: Json = row.try_get("", "keywords")?;
        plugins.push(Plugin {
            name: row.try_get("", "name")?,
            description: row.try_get("", "description")?,
            version: row.try_get("", "version")?,
            category: row.try_get("", "category")?,
            source_kind: row.try_get("", "source_kind")?,
            source: row.try_get("", "source")?,
            keywords: serde_json::from_value(keywords).unwrap_or_default(),
            homepage: row.try_get("", "homepage")?,
            license: row.try_get("", "license")?,
            skills: skills_by_plugin.remove(&id).unwrap_or_default(),
        });
    }
    Ok(axum::Json(MarketplacePage {
        marketplace,
        plugins,
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// Event number, unique. The feed is in commit order, so it mostly but not always
    /// increases; follow `next_cursor`, not `seq`.
    pub seq: i64,
    /// `owner/repo/name` of the skill.
    pub skill: String,
    pub content_hash: Option<String>,
    /// `published`, `yanked`, `unyanked` or `removed`.
    pub kind: String,
    pub at: DateTime<Utc>,
}

/// What happened to skills, oldest first: an append-only feed for mirrors and tools.
/// `next_cursor` is always set: on the last page it is the position to poll from later.
/// An event shows once no older transaction is still running, so a poller following the
/// cursor never misses one (a long-running transaction delays the feed meanwhile).
#[utoipa::path(
    get,
    path = "/changes",
    tag = "catalog",
    params(PageParams),
    responses(
        (status = 200, description = "Changes after the cursor", body = Page<Change>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelopeDoc),
    )
)]
pub async fn changes(
    State(state): State<AppState>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<axum::Json<Page<Change>>, ApiError> {
    let limit = page.limit()?;
    // Position after the last event served: (writing transaction, seq). See migration
    // m20261125_000012: events are served in (tx, seq) order, and only those of
    // transactions older than every running one, so none can appear behind the cursor.
    let (after_tx, after_seq): (u64, i64) = page.cursor()?.unwrap_or((0, 0));
    let rows = state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT e.tx::text AS tx, e.seq, \
                 r.owner || '/' || r.name || '/' || s.name AS skill, \
                 e.content_hash, e.kind, e.at FROM skill_events e \
                 JOIN skills s ON s.id = e.skill_id JOIN repositories r ON r.id = s.repository_id \
                 WHERE (e.tx, e.seq) > ($1::text::xid8, $2) \
                   AND e.tx < pg_snapshot_xmin(pg_current_snapshot()) \
                   AND {NOT_BLACKLISTED} \
                 ORDER BY e.tx, e.seq LIMIT $3"
            ),
            [
                after_tx.to_string().into(),
                after_seq.into(),
                i64::from(limit).into(),
            ],
        ))
        .await?;
    let mut position = (after_tx, after_seq);
    let items = rows
        .iter()
        .map(|row| {
            let tx: String = row.try_get("", "tx")?;
            let seq: i64 = row.try_get("", "seq")?;
            position = (
                tx.parse()
                    .map_err(|_| DbErr::Type(format!("transaction id `{tx}`")))?,
                seq,
            );
            Ok(Change {
                seq,
                skill: row.try_get("", "skill")?,
                content_hash: row.try_get("", "content_hash")?,
                kind: row.try_get("", "kind")?,
                at: row.try_get("", "at")?,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok(axum::Json(Page {
        items,
        next_cursor: Some(encode_cursor(&position)),
    }))
}
