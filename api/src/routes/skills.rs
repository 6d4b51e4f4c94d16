//! `GET /skills` (search and browse) and `GET /skills/{owner}/{repo}/{name}` (skill page).
//!
//! Search uses the stored `skills.search_vector` (name weight A, description weight B).
//! Relevance is tiered rather than `ts_rank`-sorted: skills whose *name* matches come first,
//! then skills matching in the description, each tier ordered by downloads. Ranking every
//! match with `ts_rank` costs a read of every matching vector (314 ms for a word in 38,000
//! of 100,000 skills), while each tier here is an index-ordered scan that stops after one
//! page. When full-text search finds nothing, each query word is corrected to the closest
//! indexed term (trigram similarity over the `search_terms` lexicon) and the search runs
//! again (`fuzzy: true`, `corrected_query` says what was searched).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{extract::State, http::HeaderMap};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    AppState,
    error::{ApiError, ErrorEnvelopeDoc},
    extract::{PathParams, QueryParams},
    pagination::{PageParams, encode_cursor},
    sql::Sql,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(skill_page))
}

// ---- shared shapes ----------------------------------------------------------------------

/// The newest published version of a skill, in lists.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LatestRef {
    pub content_hash: String,
    pub published_at: DateTime<Utc>,
}

/// Where the query matched: HTML-escaped text in which only `<mark>`/`</mark>` are markup.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Highlight {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// A skill in search results and lists.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkillSummary {
    pub id: Uuid,
    pub name: String,
    /// Folder inside the repository (`""` for the root).
    pub path: String,
    pub owner: String,
    pub repo: String,
    pub description: Option<String>,
    pub license: Option<String>,
    /// Stars of the repository.
    pub stars: i32,
    pub downloads: i64,
    pub has_errors: bool,
    pub error_count: i32,
    pub warning_count: i32,
    /// Left out on the skill page, which carries the full version instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<LatestRef>,
    pub updated_at: DateTime<Utc>,
    pub highlight: Option<Highlight>,
}

/// Columns read by [`summary_from_row`], over [`SUMMARY_FROM`].
pub(crate) const SUMMARY_COLUMNS: &str = "s.id, s.name, s.path, r.owner, r.name AS repo, \
    s.description, s.license, r.stars, s.download_count, s.has_errors, s.error_count, \
    s.warning_count, s.updated_at, v.content_hash AS latest_hash, \
    v.published_at AS latest_published_at";

pub(crate) const SUMMARY_FROM: &str = "skills s JOIN repositories r ON r.id = s.repository_id \
    LEFT JOIN skill_versions v ON v.id = s.latest_version_id";

/// Skills shown in search, lists and feeds: active, not from a blacklisted repository, and
/// with a version to offer. A skill without errors always has a latest version unless
/// every version was yanked; one with errors may never have been published and is shown
/// so its author sees the findings.
pub(crate) const LISTED: &str = "s.status = 'active' \
    AND NOT EXISTS (SELECT 1 FROM blacklist b WHERE lower(b.owner) = lower(r.owner) \
                    AND (b.repo IS NULL OR lower(b.repo) = lower(r.name))) \
    AND (s.latest_version_id IS NOT NULL OR s.has_errors)";

/// A skill (`s`) of plugin `pl` hosted in another GitHub repository (`github`, or `url` /
/// `git-subdir` on github.com): any skill of that repository once it is indexed, or for
/// `git-subdir` only those inside the plugin's folder. Plugins in the marketplace repository
/// name their skills in `plugin_skills` instead.
pub(crate) const HOSTED_PLUGIN_SKILL: &str = "pl.source_kind <> 'relative' \
    AND pl.source_repository_id = s.repository_id \
    AND (pl.source_path IS NULL OR starts_with(s.path || '/', pl.source_path || '/'))";

/// Skill `s` belongs to plugin `pl`, wherever the plugin is hosted.
fn plugin_has_skill() -> String {
    format!(
        "(EXISTS (SELECT 1 FROM plugin_skills ps WHERE ps.plugin_id = pl.id \
         AND ps.skill_id = s.id) OR ({HOSTED_PLUGIN_SKILL}))"
    )
}

/// Repositories whose skills are hidden (blacklisted), for lookups by address.
pub(crate) const NOT_BLACKLISTED: &str = "NOT EXISTS (SELECT 1 FROM blacklist b \
    WHERE lower(b.owner) = lower(r.owner) AND (b.repo IS NULL OR lower(b.repo) = lower(r.name)))";

pub(crate) fn summary_from_row(row: &QueryResult) -> Result<SkillSummary, DbErr> {
    let latest_hash: Option<String> = row.try_get("", "latest_hash")?;
    let latest_published: Option<DateTime<Utc>> = row.try_get("", "latest_published_at")?;
    Ok(SkillSummary {
        id: row.try_get("", "id")?,
        name: row.try_get("", "name")?,
        path: row.try_get("", "path")?,
        owner: row.try_get("", "owner")?,
        repo: row.try_get("", "repo")?,
        description: row.try_get("", "description")?,
        license: row.try_get("", "license")?,
        stars: row.try_get("", "stars")?,
        downloads: row.try_get("", "download_count")?,
        has_errors: row.try_get("", "has_errors")?,
        error_count: row.try_get("", "error_count")?,
        warning_count: row.try_get("", "warning_count")?,
        latest_version: latest_hash
            .zip(latest_published)
            .map(|(content_hash, published_at)| LatestRef {
                content_hash,
                published_at,
            }),
        updated_at: row.try_get("", "updated_at")?,
        highlight: None,
    })
}

// ---- search -----------------------------------------------------------------------------

/// Longest accepted query, in characters.
const MAX_QUERY_CHARS: usize = 200;
/// Above this many matches, `total` is a lower bound (`total_exact: false`).
const EXACT_TOTAL_LIMIT: i64 = 1000;
/// Facet counts of a query are reused for this long.
const FACET_TTL: Duration = Duration::from_secs(60);
const FACET_CACHE_ENTRIES: usize = 1024;
/// Values listed per facet.
const FACET_VALUES: i64 = 10;
/// Query words corrected at most (the rest are dropped from a corrected query).
const MAX_CORRECTED_WORDS: usize = 6;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Free text (web-search syntax: `"exact phrase"`, `-excluded`, `or`). Empty browses.
    pub q: Option<String>,
    /// Only skills of this GitHub owner.
    pub owner: Option<String>,
    /// Only skills of this repository, `owner/name`.
    pub repo: Option<String>,
    /// Only skills with this licence.
    pub license: Option<String>,
    /// Only skills listed in this marketplace (by name).
    pub marketplace: Option<String>,
    /// Only skills of this plugin (by name).
    pub plugin: Option<String>,
    /// Only skills with (true) or without (false) validation errors.
    pub has_errors: Option<bool>,
    /// Only skills changed at or after this time (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// `relevance` (default with `q`), `updated` (default without), `stars`, `downloads`,
    /// `name`.
    pub sort: Option<String>,
    /// Include facet counts (owner, license, has_errors, marketplace, plugin) for the whole
    /// result set.
    pub facets: Option<bool>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Relevance,
    Updated,
    Stars,
    Downloads,
    Name,
}

impl Sort {
    fn parse(value: Option<&str>, has_query: bool) -> Result<Self, ApiError> {
        Ok(match value {
            None | Some("") if has_query => Self::Relevance,
            None | Some("") => Self::Updated,
            Some("relevance") if has_query => Self::Relevance,
            Some("relevance") => Self::Updated,
            Some("updated") => Self::Updated,
            Some("stars") => Self::Stars,
            Some("downloads") => Self::Downloads,
            Some("name") => Self::Name,
            Some(other) => {
                return Err(ApiError::bad_field(
                    "sort",
                    format!(
                        "unknown sort `{other}`; use relevance, updated, stars, downloads or name"
                    ),
                ));
            }
        })
    }
}

/// Position after the last row of a page, and whether the pages are of the corrected query.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SearchCursor {
    key: Cursor,
    corrected: bool,
}

/// Sort key of the last row of a page.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Cursor {
    /// Full-text relevance: tier (0 = name match), downloads, id.
    Relevance(i32, i64, Uuid),
    Updated(DateTime<Utc>, Uuid),
    Stars(i32, Uuid),
    Downloads(i64, Uuid),
    Name(String, Uuid),
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetValue {
    pub value: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Facets {
    /// Top owners.
    pub owner: Vec<FacetValue>,
    /// Top licences (skills without one are not counted).
    pub license: Vec<FacetValue>,
    /// `"false"` and `"true"`.
    pub has_errors: Vec<FacetValue>,
    /// Top marketplaces (by name) listing matching skills: each count is what the
    /// `marketplace` filter finds.
    pub marketplace: Vec<FacetValue>,
    /// Top plugins (by name) holding matching skills: each count is what the `plugin` filter
    /// finds.
    pub plugin: Vec<FacetValue>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub items: Vec<SkillSummary>,
    pub next_cursor: Option<String>,
    /// Number of matching skills (first page only); a lower bound when `total_exact` is
    /// false.
    pub total: Option<i64>,
    pub total_exact: bool,
    /// Full-text search found nothing for `q`; these results are for `corrected_query`,
    /// its words corrected to the closest indexed terms.
    pub fuzzy: bool,
    pub corrected_query: Option<String>,
    /// Present when `facets=true`.
    pub facets: Option<Facets>,
}

/// Facet counts by query, reused for [`FACET_TTL`]: exact counts over a popular word's
/// tens of thousands of matches are too costly for every keystroke of the search box.
#[derive(Default)]
pub struct FacetCache {
    entries: Mutex<HashMap<String, (Instant, Facets)>>,
}

impl FacetCache {
    fn get(&self, key: &str) -> Option<Facets> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < FACET_TTL)
            .map(|(_, facets)| facets.clone())
    }

    fn put(&self, key: String, facets: Facets) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= FACET_CACHE_ENTRIES {
                entries.retain(|_, (at, _)| at.elapsed() < FACET_TTL);
                if entries.len() >= FACET_CACHE_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key, (Instant::now(), facets));
        }
    }
}

/// Validated filters, rendered into SQL conditions.
struct Filters {
    owner: Option<String>,
    repo: Option<(String, String)>,
    license: Option<String>,
    marketplace: Option<String>,
    plugin: Option<String>,
    has_errors: Option<bool>,
    updated_since: Option<DateTime<Utc>>,
}

impl Filters {
    fn from_params(p: &SearchParams) -> Result<Self, ApiError> {
        let repo = match p.repo.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            None => None,
            Some(full) => match full.split_once('/') {
                Some((o, n)) if !o.is_empty() && !n.is_empty() && !n.contains('/') => {
                    Some((o.to_owned(), n.to_owned()))
                }
                _ => return Err(ApiError::bad_field("repo", "repo must be `owner/name`")),
            },
        };
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Ok(Self {
            owner: text(&p.owner),
            repo,
            license: text(&p.license),
            marketplace: text(&p.marketplace),
            plugin: text(&p.plugin),
            has_errors: p.has_errors,
            updated_since: p.updated_since,
        })
    }

    /// A filter compares the repository's owner or name (`r`).
    fn needs_repository(&self) -> bool {
        self.owner.is_some() || self.repo.is_some()
    }

    fn any(&self) -> bool {
        self.needs_repository()
            || self.license.is_some()
            || self.marketplace.is_some()
            || self.plugin.is_some()
            || self.has_errors.is_some()
            || self.updated_since.is_some()
    }

    fn apply(&self, sql: &mut Sql) {
        if let Some(owner) = &self.owner {
            let p = sql.bind(owner.to_lowercase());
            sql.push(&format!(" AND lower(r.owner) = {p}"));
        }
        if let Some((owner, name)) = &self.repo {
            let o = sql.bind(owner.to_lowercase());
            let n = sql.bind(name.to_lowercase());
            sql.push(&format!(
                " AND lower(r.owner) = {o} AND lower(r.name) = {n}"
            ));
        }
        if let Some(license) = &self.license {
            let p = sql.bind(license.clone());
            sql.push(&format!(" AND s.license = {p}"));
        }
        if self.marketplace.is_some() || self.plugin.is_some() {
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM plugins pl \
                 JOIN marketplaces m ON m.id = pl.marketplace_id WHERE {}",
                plugin_has_skill()
            ));
            if let Some(marketplace) = &self.marketplace {
                let p = sql.bind(marketplace.to_lowercase());
                sql.push(&format!(" AND lower(m.name) = {p}"));
            }
            if let Some(plugin) = &self.plugin {
                let p = sql.bind(plugin.to_lowercase());
                sql.push(&format!(" AND lower(pl.name) = {p}"));
            }
            sql.push(")");
        }
        if let Some(has_errors) = self.has_errors {
            let p = sql.bind(has_errors);
            sql.push(&format!(" AND s.has_errors = {p}"));
        }
        if let Some(since) = self.updated_since {
            let p = sql.bind(since);
            sql.push(&format!(" AND s.updated_at >= {p}"));
        }
    }

    fn cache_key(&self, q: &str) -> String {
        format!(
            "{q}\u{1}{:?}\u{1}{:?}\u{1}{:?}\u{1}{:?}\u{1}{:?}\u{1}{:?}\u{1}{:?}",
            self.owner.as_deref().map(str::to_lowercase),
            self.repo,
            self.license,
            self.marketplace,
            self.plugin,
            self.has_errors,
            self.updated_since
        )
    }
}

/// What a query matches: full text, or everything (browse).
#[derive(Clone, Copy)]
enum Matching<'a> {
    All,
    FullText(&'a str),
}

impl Matching<'_> {
    fn apply(&self, sql: &mut Sql) {
        if let Matching::FullText(q) = *self {
            let p = sql.bind(q.to_owned());
            sql.push(&format!(
                " AND s.search_vector @@ (SELECT websearch_to_tsquery('english', {p}))"
            ));
        }
    }
}

/// [`LISTED`] for search, over `skills` alone (as `alias`): the blacklist is resolved to
/// repository ids once per statement (a hashed subplan) instead of joining every candidate
/// to its repository to compare owners, which was most of the cost of counting a thousand
/// matches.
fn search_listed(alias: &str) -> String {
    format!(
        "{alias}.status = 'active' \
         AND ({alias}.latest_version_id IS NOT NULL OR {alias}.has_errors) \
         AND {alias}.repository_id NOT IN (SELECT hr.id FROM blacklist b \
             JOIN repositories hr ON lower(hr.owner) = lower(b.owner) \
             AND (b.repo IS NULL OR lower(hr.name) = lower(b.repo)))"
    )
}

/// A query's `tsquery`, as a scalar subquery around its parameter: PostgreSQL computes it
/// once per statement (an InitPlan). Written as `websearch_to_tsquery('english', $n)`, a
/// prepared statement's generic plan parses the query text again for every row it tests
/// (a thousand rows counted, a thousand index entries walked), which made a popular word
/// cost several times its reads.
const TSQUERY_OPEN: &str = "(SELECT websearch_to_tsquery('english', ";
const TSQUERY_CLOSE: &str = "))";

/// Rows of the walk of the name tier read from the downloads index at most: a word in
/// names this often (0.5% of skills) fills a page within them. Past them, the name matches
/// are collected through `skills_name_vector_idx` instead.
const WALK_ROWS: i64 = 4000;

/// The query is websearch syntax with a `-` (possibly a negation): a name match then does
/// not imply a match of the whole skill, which has to be read to be sure.
fn may_negate(q: &str) -> bool {
    q.contains('-')
}

/// The corrected query words, or `None` when no word has a close term or nothing changed.
async fn correct_query(db: &impl ConnectionTrait, q: &str) -> Result<Option<String>, ApiError> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .take(MAX_CORRECTED_WORDS)
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Ok(None);
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT t.word FROM unnest($1::text[]) WITH ORDINALITY AS q(w, i) \
             CROSS JOIN LATERAL (SELECT word FROM search_terms WHERE word % q.w \
                                 ORDER BY similarity(word, q.w) DESC, word LIMIT 1) t \
             ORDER BY q.i",
            [words.clone().into()],
        ))
        .await?;
    let corrected: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "word"))
        .collect::<Result<_, _>>()?;
    if corrected.is_empty() || corrected == words {
        return Ok(None);
    }
    Ok(Some(corrected.join(" ")))
}

/// Search and browse skills.
#[utoipa::path(
    get,
    path = "/skills",
    tag = "skills",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of matching skills", body = SearchResults),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelopeDoc),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelopeDoc),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    QueryParams(params): QueryParams<SearchParams>,
) -> Result<axum::Json<SearchResults>, ApiError> {
    let q = params.q.as_deref().map(str::trim).unwrap_or("");
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_field(
            "q",
            format!("the query is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    let q = q.replace('\0', "");
    let has_query = !q.is_empty();
    let sort = Sort::parse(params.sort.as_deref(), has_query)?;
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor.clone(),
    };
    let limit = page.limit()?;
    let cursor: Option<SearchCursor> = page.cursor()?;
    let filters = Filters::from_params(&params)?;
    let first_page = cursor.is_none();
    let key = cursor.as_ref().map(|c| &c.key);
    let db = &state.db;

    // Full text: one statement collects up to EXACT_TOTAL_LIMIT + 1 matches, which gives
    // the total, says whether to correct the spelling (nothing matched), and when there are
    // no more than EXACT_TOTAL_LIMIT, is the page too (sorted from the collected matches).
    // Past that, the page is read in the sort order and stops after one page (see
    // `fetch_dense_page`). Pages of a corrected query stay corrected.
    let mut corrected_query = None;
    let (total, mut rows) = if has_query {
        if cursor.as_ref().is_some_and(|c| c.corrected) {
            corrected_query = correct_query(db, &q).await?;
            if corrected_query.is_none() {
                return Err(bad_cursor());
            }
        }
        let searched = corrected_query.as_deref().unwrap_or(&q);
        let mut collected = collect_matches(db, sort, searched, &filters, limit, key).await?;
        if collected.0 == 0 && first_page {
            corrected_query = correct_query(db, &q).await?;
            if let Some(corrected) = &corrected_query {
                collected = collect_matches(db, sort, corrected, &filters, limit, key).await?;
            }
        }
        let searched = corrected_query.as_deref().unwrap_or(&q);
        match collected {
            (total, _) if total > EXACT_TOTAL_LIMIT => {
                let rows = fetch_dense_page(db, sort, searched, &filters, limit, key).await?;
                (total, rows)
            }
            collected => collected,
        }
    } else {
        let rows = fetch_page(db, sort, Matching::All, None, &filters, limit, key).await?;
        (0, rows)
    };
    let fuzzy = corrected_query.is_some();

    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|(summary, key)| {
            encode_cursor(&SearchCursor {
                key: match key {
                    RowKey::Tier(tier) => Cursor::Relevance(*tier, summary.downloads, summary.id),
                    RowKey::Plain => plain_cursor(sort, summary),
                },
                corrected: fuzzy,
            })
        })
    } else {
        None
    };
    let items: Vec<SkillSummary> = rows.into_iter().map(|(s, _)| s).collect();

    let searched = corrected_query.clone().unwrap_or_else(|| q.clone());
    let matching = if has_query {
        Matching::FullText(&searched)
    } else {
        Matching::All
    };
    let (total, total_exact) = match (first_page, has_query) {
        (false, _) => (None, false),
        (true, true) => (
            Some(total.min(EXACT_TOTAL_LIMIT)),
            total <= EXACT_TOTAL_LIMIT,
        ),
        (true, false) => {
            let total = count_matches(db, matching, &filters).await?;
            (
                Some(total.min(EXACT_TOTAL_LIMIT)),
                total <= EXACT_TOTAL_LIMIT,
            )
        }
    };
    let facets = if params.facets.unwrap_or(false) {
        let key = filters.cache_key(&searched);
        match state.facets.get(&key) {
            Some(facets) => Some(facets),
            None => {
                let facets = compute_facets(db, matching, &filters).await?;
                state.facets.put(key, facets.clone());
                Some(facets)
            }
        }
    } else {
        None
    };
    Ok(axum::Json(SearchResults {
        items,
        next_cursor,
        total,
        total_exact,
        fuzzy,
        corrected_query,
        facets,
    }))
}

enum RowKey {
    Tier(i32),
    Plain,
}

fn plain_cursor(sort: Sort, s: &SkillSummary) -> Cursor {
    match sort {
        Sort::Stars => Cursor::Stars(s.stars, s.id),
        Sort::Downloads | Sort::Relevance => Cursor::Downloads(s.downloads, s.id),
        Sort::Name => Cursor::Name(s.name.to_lowercase(), s.id),
        Sort::Updated => Cursor::Updated(s.updated_at, s.id),
    }
}

/// The sort and seek expressions of a page, over the page candidates `pm` (columns `id`,
/// `downloads`, `updated`, `stars`, `lname`, and `tier` for relevance) or over `skills s`
/// joined to `repositories r`.
struct SortKeys {
    tier: &'static str,
    downloads: &'static str,
    updated: &'static str,
    stars: &'static str,
    name: &'static str,
    id: &'static str,
}

const TABLE_KEYS: SortKeys = SortKeys {
    tier: "0",
    downloads: "s.download_count",
    updated: "s.updated_at",
    stars: "r.stars",
    name: "lower(s.name)",
    id: "s.id",
};

const MATCH_KEYS: SortKeys = SortKeys {
    tier: "pm.tier",
    downloads: "pm.downloads",
    updated: "pm.updated",
    stars: "pm.stars",
    name: "pm.lname",
    id: "pm.id",
};

/// The `ORDER BY` of a sort (relevance: tier, then downloads) and the condition that
/// seeks past `cursor`, over `keys`. A cursor of another sort is a bad cursor.
fn order_and_seek(
    sql: &mut Sql,
    sort: Sort,
    keys: &SortKeys,
    cursor: Option<&Cursor>,
) -> Result<(String, String), ApiError> {
    let (column, descending) = match sort {
        Sort::Relevance | Sort::Downloads => (keys.downloads, true),
        Sort::Updated => (keys.updated, true),
        Sort::Stars => (keys.stars, true),
        Sort::Name => (keys.name, false),
    };
    let direction = if descending { " DESC" } else { "" };
    let id = keys.id;
    let order = match sort {
        Sort::Relevance => format!("{}, {column}{direction}, {id}", keys.tier),
        _ => format!("{column}{direction}, {id}"),
    };
    let past = if descending { "<" } else { ">" };
    let after = |sql: &mut Sql, value: sea_orm::Value, last: Uuid| {
        let v = sql.bind(value);
        let i = sql.bind(last);
        format!("({column} {past} {v} OR ({column} = {v} AND {id} > {i}))")
    };
    let seek = match (sort, cursor) {
        (_, None) => String::new(),
        (Sort::Relevance, Some(Cursor::Relevance(tier, downloads, last))) => {
            let t = sql.bind(*tier);
            let within = after(sql, (*downloads).into(), *last);
            format!(
                " AND ({tier_key} > {t} OR ({tier_key} = {t} AND {within}))",
                tier_key = keys.tier
            )
        }
        (Sort::Updated, Some(Cursor::Updated(at, last))) => {
            format!(" AND {}", after(sql, (*at).into(), *last))
        }
        (Sort::Stars, Some(Cursor::Stars(stars, last))) => {
            format!(" AND {}", after(sql, (*stars).into(), *last))
        }
        (Sort::Downloads, Some(Cursor::Downloads(d, last))) => {
            format!(" AND {}", after(sql, (*d).into(), *last))
        }
        (Sort::Name, Some(Cursor::Name(name, last))) => {
            format!(" AND {}", after(sql, name.clone().into(), *last))
        }
        (_, Some(_)) => return Err(bad_cursor()),
    };
    Ok((order, seek))
}

/// `ts_headline` options: sentinels around matches, a fragment or two of a long
/// description.
fn headline_options() -> String {
    format!(
        "StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \""
    )
}

/// The final `SELECT` of a page: the summary of each candidate of `page pm` (with
/// highlights of full-text query `q`), ordered by `order`. `total` is selected too when
/// given, with `LEFT JOIN` so that a statement without page rows still answers one row.
fn push_final_select(
    sql: &mut Sql,
    q: Option<&str>,
    extra: &str,
    order: &str,
    total: Option<&str>,
) {
    let headline = match q {
        Some(q) => {
            let q = sql.bind(q.to_owned());
            let options = sql.bind(headline_options());
            format!(
                ", ts_headline('english', translate(s.name, E'\\x02\\x03', ''), \
                   (SELECT websearch_to_tsquery('english', {q})), {options}) AS name_hl, \
                 ts_headline('english', translate(coalesce(s.description, ''), E'\\x02\\x03', ''), \
                   (SELECT websearch_to_tsquery('english', {q})), {options}) AS description_hl"
            )
        }
        None => ", NULL::text AS name_hl, NULL::text AS description_hl".to_owned(),
    };
    let joined = "page pm JOIN skills s ON s.id = pm.id \
                  JOIN repositories r ON r.id = s.repository_id \
                  LEFT JOIN skill_versions v ON v.id = s.latest_version_id";
    match total {
        Some(total) => sql.push(&format!(
            " SELECT {total} AS total, {SUMMARY_COLUMNS}{extra}{headline} \
             FROM n LEFT JOIN ({joined}) ON true ORDER BY {order}"
        )),
        None => sql.push(&format!(
            " SELECT {SUMMARY_COLUMNS}{extra}{headline} FROM {joined} ORDER BY {order}"
        )),
    };
}

/// A page row: the summary, with its highlight when the query had one.
fn hit_from_row(row: &QueryResult) -> Result<SkillSummary, DbErr> {
    let mut summary = summary_from_row(row)?;
    let name: Option<String> = row.try_get("", "name_hl")?;
    let description: Option<String> = row.try_get("", "description_hl")?;
    if let Some(name) = name {
        summary.highlight = Some(Highlight {
            name: Some(marked_html(&name)),
            description: summary
                .description
                .as_ref()
                .and(description.as_deref())
                .map(marked_html),
        });
    }
    Ok(summary)
}

/// `FROM skills s`, joined to its repository when `with_repository` (filters by owner or
/// repository, or a sort by stars need it).
fn skills_from(with_repository: bool) -> &'static str {
    if with_repository {
        "skills s JOIN repositories r ON r.id = s.repository_id"
    } else {
        "skills s"
    }
}

/// Collects up to `EXACT_TOTAL_LIMIT + 1` full-text matches of `q` (through the full-text
/// index) and counts them. When there are at most `EXACT_TOTAL_LIMIT`, those are every
/// match and the same statement sorts them and returns `limit + 1` rows of the page;
/// otherwise it returns no rows and [`fetch_dense_page`] reads the page.
async fn collect_matches(
    db: &impl ConnectionTrait,
    sort: Sort,
    q: &str,
    filters: &Filters,
    limit: u32,
    cursor: Option<&Cursor>,
) -> Result<(i64, Vec<(SkillSummary, RowKey)>), ApiError> {
    let with_repository = filters.needs_repository() || sort == Sort::Stars;
    let mut sql = Sql::new("WITH m AS MATERIALIZED (SELECT s.id, s.download_count AS downloads, ");
    let tsq = sql.bind(q.to_owned());
    let tsq = format!("{TSQUERY_OPEN}{tsq}{TSQUERY_CLOSE}");
    sql.push(&format!(
        "s.updated_at AS updated, lower(s.name) AS lname, {stars}, \
         CASE WHEN s.name_vector @@ {tsq} THEN 0 ELSE 1 END AS tier FROM {from} WHERE {listed} \
         AND s.search_vector @@ {tsq}",
        stars = if with_repository {
            "r.stars"
        } else {
            "0 AS stars"
        },
        from = skills_from(with_repository),
        listed = search_listed("s"),
    ));
    filters.apply(&mut sql);
    let cap = sql.bind(EXACT_TOTAL_LIMIT + 1);
    let exact = sql.bind(EXACT_TOTAL_LIMIT);
    let (order, seek) = order_and_seek(&mut sql, sort, &MATCH_KEYS, cursor)?;
    let want = sql.bind(i64::from(limit) + 1);
    sql.push(&format!(
        " LIMIT {cap}), n AS (SELECT count(*) AS total FROM m), \
         page AS (SELECT * FROM m pm WHERE (SELECT total FROM n) <= {exact}{seek} \
                  ORDER BY {order} LIMIT {want})"
    ));
    push_final_select(&mut sql, Some(q), ", pm.tier", &order, Some("n.total"));
    let mut total = 0;
    let mut rows = Vec::new();
    for row in db.query_all_raw(sql.statement()).await? {
        total = row.try_get("", "total")?;
        if row.try_get::<Option<Uuid>>("", "id")?.is_none() {
            continue;
        }
        let tier: i32 = if sort == Sort::Relevance {
            row.try_get("", "tier")?
        } else {
            0
        };
        let key = if sort == Sort::Relevance {
            RowKey::Tier(tier)
        } else {
            RowKey::Plain
        };
        rows.push((hit_from_row(&row)?, key));
    }
    Ok((total, rows))
}

/// A page of a full-text query with more than `EXACT_TOTAL_LIMIT` matches, read in the
/// sort order so it stops after one page: a word in 38% of skills fills a page after a
/// few dozen rows. Relevance reads the name tier (0), then if the page is not full, the
/// description tier (1), each by downloads (see [`fetch_tier`]).
async fn fetch_dense_page(
    db: &impl ConnectionTrait,
    sort: Sort,
    q: &str,
    filters: &Filters,
    limit: u32,
    cursor: Option<&Cursor>,
) -> Result<Vec<(SkillSummary, RowKey)>, ApiError> {
    if sort != Sort::Relevance {
        return fetch_page(
            db,
            sort,
            Matching::FullText(q),
            Some(q),
            filters,
            limit,
            cursor,
        )
        .await;
    }
    let want = i64::from(limit) + 1;
    let (start_tier, after) = match cursor {
        None => (0, None),
        Some(Cursor::Relevance(tier, downloads, id)) => (*tier, Some((*downloads, *id))),
        Some(_) => return Err(bad_cursor()),
    };
    let mut rows = Vec::new();
    for tier in start_tier..=1 {
        let remaining = want - rows.len() as i64;
        if remaining <= 0 {
            break;
        }
        let after = if tier == start_tier { after } else { None };
        for summary in fetch_tier(db, q, filters, tier, remaining, after).await? {
            rows.push((summary, RowKey::Tier(tier)));
        }
    }
    Ok(rows)
}

/// Up to `want` skills of relevance tier `tier` (0: the name matches; 1: matches in the
/// description only) by downloads, after `after` (downloads, id) when given.
///
/// One statement: a walk of the downloads index (`skills_listed_downloads_cover_idx`,
/// index-only for the name tier: the name vector is in the index) that stops after `want`
/// matches but reads at most [`WALK_ROWS`] rows; when that did not fill the page, the
/// tier's matches are collected through the full-text indexes instead and sorted (a word
/// common in descriptions but rare in names would otherwise walk most of the table).
async fn fetch_tier(
    db: &impl ConnectionTrait,
    q: &str,
    filters: &Filters,
    tier: i32,
    want: i64,
    after: Option<(i64, Uuid)>,
) -> Result<Vec<SkillSummary>, ApiError> {
    let mut sql =
        Sql::new("WITH walk AS MATERIALIZED (SELECT k.id, k.download_count AS downloads FROM (");
    let tsq = sql.bind(q.to_owned());
    let tsq = format!("{TSQUERY_OPEN}{tsq}{TSQUERY_CLOSE}");
    let walk_seek = |sql: &mut Sql, alias: &str| match after {
        Some((downloads, id)) => {
            let d = sql.bind(downloads);
            let i = sql.bind(id);
            // The first comparison bounds the index scan; the second is exact.
            format!(
                " AND {alias}.download_count <= {d} \
                 AND ({alias}.download_count < {d} OR {alias}.id > {i})"
            )
        }
        None => String::new(),
    };
    let seek = walk_seek(&mut sql, "k");
    let rows = sql.bind(WALK_ROWS);
    sql.push(&format!(
        "SELECT k.id, k.download_count, k.repository_id, k.name_vector FROM skills k \
         WHERE k.status = 'active' AND (k.latest_version_id IS NOT NULL OR k.has_errors){seek} \
         ORDER BY k.download_count DESC, k.id LIMIT {rows}) k"
    ));
    // The skill row itself is read only when a condition needs more than the index holds.
    let read_skill = tier == 1 || may_negate(q) || filters.any();
    if read_skill {
        sql.push(" JOIN skills s ON s.id = k.id");
    }
    if filters.needs_repository() {
        sql.push(" JOIN repositories r ON r.id = k.repository_id");
    }
    sql.push(
        " WHERE k.repository_id NOT IN (SELECT hr.id FROM blacklist b \
           JOIN repositories hr ON lower(hr.owner) = lower(b.owner) \
           AND (b.repo IS NULL OR lower(hr.name) = lower(b.repo)))",
    );
    sql.push(&match (tier, read_skill) {
        (0, false) => format!(" AND k.name_vector @@ {tsq}"),
        (0, true) => format!(" AND k.name_vector @@ {tsq} AND s.search_vector @@ {tsq}"),
        _ => format!(" AND s.search_vector @@ {tsq} AND NOT (k.name_vector @@ {tsq})"),
    });
    filters.apply(&mut sql);
    let want_p = sql.bind(want);
    sql.push(&format!(
        " ORDER BY k.download_count DESC, k.id LIMIT {want_p}), \
         collected AS MATERIALIZED (SELECT s.id, s.download_count AS downloads FROM {from} \
         WHERE (SELECT count(*) FROM walk) < {want_p} AND {listed} AND s.search_vector @@ {tsq}",
        from = skills_from(filters.needs_repository()),
        listed = search_listed("s"),
    ));
    sql.push(&if tier == 0 {
        format!(" AND s.name_vector @@ {tsq}")
    } else {
        format!(" AND NOT (s.name_vector @@ {tsq})")
    });
    filters.apply(&mut sql);
    let seek = walk_seek(&mut sql, "s");
    sql.push(&format!(
        "{seek}), \
         page AS ((SELECT * FROM walk WHERE (SELECT count(*) FROM walk) >= {want_p}) \
                  UNION ALL \
                  (SELECT * FROM collected ORDER BY downloads DESC, id LIMIT {want_p}))"
    ));
    push_final_select(&mut sql, Some(q), "", "pm.downloads DESC, pm.id", None);
    let mut out = Vec::new();
    for row in db.query_all_raw(sql.statement()).await? {
        out.push(hit_from_row(&row)?);
    }
    Ok(out)
}

/// Up to `limit + 1` rows of a page read straight from `skills` in the sort order, so that
/// PostgreSQL walks the index of that order and stops after one page: browsing, and
/// full-text queries with many matches in a sort other than relevance. `q` is highlighted.
async fn fetch_page(
    db: &impl ConnectionTrait,
    sort: Sort,
    matching: Matching<'_>,
    q: Option<&str>,
    filters: &Filters,
    limit: u32,
    cursor: Option<&Cursor>,
) -> Result<Vec<(SkillSummary, RowKey)>, ApiError> {
    let sort = if sort == Sort::Relevance {
        Sort::Updated
    } else {
        sort
    };
    let mut sql = Sql::new(
        "WITH page AS (SELECT s.id, s.download_count AS downloads, s.updated_at AS updated, \
         r.stars, lower(s.name) AS lname FROM skills s \
         JOIN repositories r ON r.id = s.repository_id WHERE ",
    );
    sql.push(&search_listed("s"));
    matching.apply(&mut sql);
    filters.apply(&mut sql);
    let (order, seek) = order_and_seek(&mut sql, sort, &TABLE_KEYS, cursor)?;
    let want = sql.bind(i64::from(limit) + 1);
    sql.push(&format!("{seek} ORDER BY {order} LIMIT {want})"));
    let (order, _) = order_and_seek(&mut sql, sort, &MATCH_KEYS, None)?;
    push_final_select(&mut sql, q, "", &order, None);
    let mut rows = Vec::new();
    for row in db.query_all_raw(sql.statement()).await? {
        rows.push((hit_from_row(&row)?, RowKey::Plain));
    }
    Ok(rows)
}

fn bad_cursor() -> ApiError {
    ApiError::bad_field(
        "cursor",
        "the cursor belongs to another query or sort; restart from page 1",
    )
}

/// Number of listed skills (browse), counted up to one past [`EXACT_TOTAL_LIMIT`].
async fn count_matches(
    db: &impl ConnectionTrait,
    matching: Matching<'_>,
    filters: &Filters,
) -> Result<i64, ApiError> {
    let mut sql = Sql::new(&format!(
        "SELECT count(*) AS n FROM (SELECT 1 FROM {} WHERE {}",
        skills_from(filters.needs_repository()),
        search_listed("s")
    ));
    matching.apply(&mut sql);
    filters.apply(&mut sql);
    let n = sql.bind(EXACT_TOTAL_LIMIT + 1);
    sql.push(&format!(" LIMIT {n}) matches"));
    let row = db
        .query_one_raw(sql.statement())
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("count returned no row")))?;
    Ok(row.try_get("", "n")?)
}

/// Facet counts over every match: owner, licence, has_errors, and the marketplaces and
/// plugins that hold the matches. Marketplace and plugin values are names, grouped without
/// case like their filters (`marketplace=`, `plugin=`), and a skill counts once per name
/// however many plugins of that name hold it, so a value's count is what its filter finds.
async fn compute_facets(
    db: &impl ConnectionTrait,
    matching: Matching<'_>,
    filters: &Filters,
) -> Result<Facets, ApiError> {
    let mut sql = Sql::new(
        "WITH m AS MATERIALIZED (SELECT s.id, s.repository_id, s.path, r.owner, s.license, \
         s.has_errors FROM ",
    );
    sql.push(SUMMARY_FROM);
    sql.push(" WHERE ");
    sql.push(LISTED);
    matching.apply(&mut sql);
    filters.apply(&mut sql);
    let top = sql.bind(FACET_VALUES);
    sql.push(&format!(
        "), \
         member AS (SELECT m.id, ps.plugin_id FROM m JOIN plugin_skills ps ON ps.skill_id = m.id \
                    UNION \
                    SELECT s.id, pl.id FROM m s JOIN plugins pl ON {HOSTED_PLUGIN_SKILL}) \
         (SELECT 'owner' AS facet, owner AS value, count(*) AS n FROM m GROUP BY owner \
          ORDER BY n DESC, owner LIMIT {top}) \
         UNION ALL \
         (SELECT 'license', license, count(*) AS n FROM m WHERE license IS NOT NULL \
          GROUP BY license ORDER BY n DESC, license LIMIT {top}) \
         UNION ALL \
         (SELECT 'has_errors', has_errors::text, count(*) FROM m GROUP BY has_errors) \
         UNION ALL \
         (SELECT 'marketplace', min(mk.name), count(DISTINCT mb.id) AS n FROM member mb \
          JOIN plugins pl ON pl.id = mb.plugin_id JOIN marketplaces mk ON mk.id = pl.marketplace_id \
          GROUP BY lower(mk.name) ORDER BY n DESC, 2 LIMIT {top}) \
         UNION ALL \
         (SELECT 'plugin', min(pl.name), count(DISTINCT mb.id) AS n FROM member mb \
          JOIN plugins pl ON pl.id = mb.plugin_id \
          GROUP BY lower(pl.name) ORDER BY n DESC, 2 LIMIT {top})"
    ));
    let mut facets = Facets {
        owner: Vec::new(),
        license: Vec::new(),
        has_errors: Vec::new(),
        marketplace: Vec::new(),
        plugin: Vec::new(),
    };
    for row in db.query_all_raw(sql.statement()).await? {
        let facet: String = row.try_get("", "facet")?;
        let value = FacetValue {
            value: row.try_get("", "value")?,
            count: row.try_get("", "n")?,
        };
        match facet.as_str() {
            "owner" => facets.owner.push(value),
            "license" => facets.license.push(value),
            "marketplace" => facets.marketplace.push(value),
            "plugin" => facets.plugin.push(value),
            _ => facets.has_errors.push(value),
        }
    }
    facets.has_errors.sort_by(|a, b| a.value.cmp(&b.value));
    Ok(facets)
}

/// Sentinels around matches in `ts_headline` output; the text is HTML-escaped afterwards
/// and only the sentinels become `<mark>`, so nothing from a skill becomes markup.
const MARK_START: char = '\u{2}';
const MARK_END: char = '\u{3}';

/// HTML-escapes `text` and turns the sentinels into `<mark>` elements.
fn marked_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            MARK_START => out.push_str("<mark>"),
            MARK_END => out.push_str("</mark>"),
            c => out.push(c),
        }
    }
    out
}

// ---- skill page -------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SkillQuery {
    /// Folder of the skill in its repository, when two skills share a name.
    pub path: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Finding {
    /// `error` or `warning`.
    pub severity: String,
    pub code: String,
    pub message: String,
    pub file: String,
    pub line: Option<u32>,
    pub field: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Repository {
    pub id: Uuid,
    pub owner: String,
    pub name: String,
    pub full_name: String,
    pub description: Option<String>,
    pub html_url: Option<String>,
    pub default_branch: Option<String>,
    pub stars: i32,
    pub license: Option<String>,
    pub topics: Vec<String>,
    pub archived: bool,
    /// `pending`, `syncing`, `succeeded` or `failed`.
    pub sync_status: String,
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Why the last sync failed, for users (internal details left out).
    pub last_error: Option<String>,
    /// `not_found`, `blacklisted`, `invalid_archive`, `too_large`, `github`, `timeout`,
    /// `database`, `storage` or `internal`.
    pub last_error_kind: Option<String>,
    pub last_indexed_commit: Option<String>,
    /// Active skills of the repository.
    pub skill_count: i64,
}

pub(crate) const REPOSITORY_COLUMNS: &str = "r.id AS repository_id, r.owner AS repository_owner, \
    r.name AS repository_name, r.description AS repository_description, r.html_url, \
    r.default_branch, r.stars AS repository_stars, r.license AS repository_license, r.topics, \
    r.archived, r.sync_status, r.last_synced_at, r.last_error, r.last_error_kind, \
    r.last_indexed_commit, \
    (SELECT count(*) FROM skills k WHERE k.repository_id = r.id AND k.status = 'active') \
        AS skill_count";

pub(crate) fn repository_from_row(row: &QueryResult) -> Result<Repository, DbErr> {
    let owner: String = row.try_get("", "repository_owner")?;
    let name: String = row.try_get("", "repository_name")?;
    let topics: Json = row.try_get("", "topics")?;
    let last_error: Option<String> = row.try_get("", "last_error")?;
    let kind: Option<String> = row.try_get("", "last_error_kind")?;
    Ok(Repository {
        id: row.try_get("", "repository_id")?,
        full_name: format!("{owner}/{name}"),
        owner,
        name,
        description: row.try_get("", "repository_description")?,
        html_url: row.try_get("", "html_url")?,
        default_branch: row.try_get("", "default_branch")?,
        stars: row.try_get("", "repository_stars")?,
        license: row.try_get("", "repository_license")?,
        topics: serde_json::from_value(topics).unwrap_or_default(),
        archived: row.try_get("", "archived")?,
        sync_status: row.try_get("", "sync_status")?,
        last_synced_at: row.try_get("", "last_synced_at")?,
        last_error: last_error.map(|m| crate::sync_errors::public_message(kind.as_deref(), &m)),
        last_error_kind: kind,
        last_indexed_commit: row.try_get("", "last_indexed_commit")?,
        skill_count: row.try_get("", "skill_count")?,
    })
}

/// Findings stored as JSON (`skills.findings`, `skill_versions.findings`).
pub(crate) fn findings_from_json(value: Json) -> Vec<Finding> {
    #[derive(Deserialize)]
    struct Stored {
        severity: String,
        code: String,
        message: String,
        #[serde(default)]
        file: String,
        line: Option<u32>,
        field: Option<String>,
    }
    serde_json::from_value::<Vec<Stored>>(value)
        .unwrap_or_default()
        .into_iter()
        .map(|f| Finding {
            severity: f.severity,
            code: f.code,
            message: f.message,
            file: f.file,
            line: f.line,
            field: f.field,
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Version {
    pub content_hash: String,
    pub commit_sha: String,
    pub published_at: DateTime<Utc>,
    pub archive_size: i64,
    pub file_count: i32,
    pub error_count: i32,
    pub warning_count: i32,
    pub yanked: bool,
    pub yanked_reason: Option<String>,
}

pub(crate) const VERSION_COLUMNS: &str = "v.content_hash, v.commit_sha, v.published_at, \
    v.archive_size, v.file_count, v.error_count, v.warning_count, v.yanked, v.yanked_reason";

pub(crate) fn version_from_row(row: &QueryResult) -> Result<Version, DbErr> {
    Ok(Version {
        content_hash: row.try_get("", "content_hash")?,
        commit_sha: row.try_get("", "commit_sha")?,
        published_at: row.try_get("", "published_at")?,
        archive_size: row.try_get("", "archive_size")?,
        file_count: row.try_get("", "file_count")?,
        error_count: row.try_get("", "error_count")?,
        warning_count: row.try_get("", "warning_count")?,
        yanked: row.try_get("", "yanked")?,
        yanked_reason: row.try_get("", "yanked_reason")?,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileEntry {
    pub path: String,
    pub size: i64,
    pub sha256: String,
    pub content_type: String,
    pub executable: bool,
}

pub(crate) async fn version_files(
    db: &impl ConnectionTrait,
    version_id: Uuid,
) -> Result<Vec<FileEntry>, ApiError> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT path, size, sha256, content_type, executable FROM skill_files \
             WHERE version_id = $1 ORDER BY path",
            [version_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(FileEntry {
                path: row.try_get("", "path")?,
                size: row.try_get("", "size")?,
                sha256: row.try_get("", "sha256")?,
                content_type: row.try_get("", "content_type")?,
                executable: row.try_get("", "executable")?,
            })
        })
        .collect::<Result<_, DbErr>>()
        .map_err(ApiError::from)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstallCommand {
    pub label: String,
    pub command: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Membership {
    pub marketplace: String,
    pub plugin: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkillPage {
    #[serde(flatten)]
    pub summary: SkillSummary,
    /// `active` or `removed` (gone from its repository).
    pub status: String,
    #[schema(value_type = Object)]
    pub frontmatter: Json,
    /// Raw SKILL.md body (Markdown); render and sanitize before display.
    pub body: String,
    pub findings: Vec<Finding>,
    pub repository: Repository,
    /// The newest non-yanked version, `null` when the skill was never published.
    pub latest_version: Option<Version>,
    pub files: Vec<FileEntry>,
    pub install: Vec<InstallCommand>,
    pub download_url: Option<String>,
    pub marketplaces: Vec<Membership>,
}

/// The skill row an address points at, with its repository and latest version.
pub(crate) struct SkillRow {
    pub id: Uuid,
    pub row: QueryResult,
    pub latest_version_id: Option<Uuid>,
}

/// Finds a skill by its address (see [`crate::routes::address`]). Blacklisted
/// repositories are not found.
pub(crate) async fn find_skill(
    db: &impl ConnectionTrait,
    owner: &str,
    repo: &str,
    name: &str,
    path: Option<&str>,
) -> Result<SkillRow, ApiError> {
    use crate::routes::address::{Audience, SkillAddress, find_skill_row};
    let columns = format!(
        "s.status, s.latest_version_id, s.findings, {SUMMARY_COLUMNS}, {REPOSITORY_COLUMNS}"
    );
    let address = SkillAddress {
        owner,
        repo,
        name,
        path,
    };
    let row = find_skill_row(db, &columns, address, Audience::Public)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no skill `{name}` in {owner}/{repo}; search for it with GET /api/v1/skills?q={name}"
            ))
        })?;
    Ok(SkillRow {
        id: row.try_get("", "id")?,
        latest_version_id: row.try_get("", "latest_version_id")?,
        row,
    })
}

/// Shell-quotes a value for the install commands (single quotes, escaped inside).
fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// A skill's page: everything about it and its latest version.
#[utoipa::path(
    get,
    path = "/skills/{owner}/{repo}/{name}",
    tag = "skills",
    params(
        ("owner" = String, Path, description = "GitHub owner"),
        ("repo" = String, Path, description = "GitHub repository"),
        ("name" = String, Path, description = "Skill name"),
        SkillQuery,
    ),
    responses(
        (status = 200, description = "The skill", body = SkillPage),
        (status = 404, description = "No such skill", body = ErrorEnvelopeDoc),
    )
)]
pub async fn skill_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParams((owner, repo, name)): PathParams<(String, String, String)>,
    QueryParams(query): QueryParams<SkillQuery>,
) -> Result<axum::Json<SkillPage>, ApiError> {
    let db = &state.db;
    let found = find_skill(db, &owner, &repo, &name, query.path.as_deref()).await?;
    let row = &found.row;
    let mut summary = summary_from_row(row)?;
    summary.latest_version = None;
    let repository = repository_from_row(row)?;
    let version_row = match found.latest_version_id {
        Some(id) => {
            db.query_one_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                format!(
                    "SELECT v.frontmatter, v.body, {VERSION_COLUMNS} FROM skill_versions v \
                     WHERE v.id = $1"
                ),
                [id.into()],
            ))
            .await?
        }
        None => None,
    };
    let latest = version_row.as_ref().map(version_from_row).transpose()?;
    let files = match found.latest_version_id {
        Some(id) => version_files(db, id).await?,
        None => Vec::new(),
    };
    let frontmatter: Option<Json> = match &version_row {
        Some(v) => Some(v.try_get("", "frontmatter")?),
        None => None,
    };
    let body: Option<String> = match &version_row {
        Some(v) => Some(v.try_get("", "body")?),
        None => None,
    };
    let findings: Json = row.try_get("", "findings")?;
    let memberships = db
        .query_all_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            format!(
                "SELECT m.name AS marketplace, pl.name AS plugin FROM skills s \
                 CROSS JOIN plugins pl JOIN marketplaces m ON m.id = pl.marketplace_id \
                 WHERE s.id = $1 AND {} ORDER BY m.name, pl.name",
                plugin_has_skill()
            ),
            [found.id.into()],
        ))
        .await?
        .iter()
        .map(|r| {
            Ok(Membership {
                marketplace: r.try_get("", "marketplace")?,
                plugin: r.try_get("", "plugin")?,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;

    let address = format!("{}/{}/{}", summary.owner, summary.repo, summary.name);
    let download_url = latest.as_ref().map(|v: &Version| {
        format!(
            "/api/v1/skills/{address}/versions/{}/download",
            v.content_hash
        )
    });
    let mut install = Vec::new();
    if let Some(url) = &download_url {
        let base = crate::public_url::base(state.settings.http.public_url.as_deref(), &headers);
        let absolute = format!("{base}{url}");
        install.push(InstallCommand {
            label: "Claude Code (personal skills)".into(),
            command: format!(
                "mkdir -p ~/.claude/skills && curl -fsSL {} | tar -xz -C ~/.claude/skills",
                sh_quote(&absolute)
            ),
        });
        install.push(InstallCommand {
            label: "This project (.claude/skills)".into(),
            command: format!(
                "mkdir -p .claude/skills && curl -fsSL {} | tar -xz -C .claude/skills",
                sh_quote(&absolute)
            ),
        });
    }
    let clone_url = format!("https://github.com/{}/{}.git", summary.owner, summary.repo);
    install.push(InstallCommand {
        label: "From GitHub (sparse checkout)".into(),
        command: if summary.path.is_empty() {
            format!("git clone --depth 1 {}", sh_quote(&clone_url))
        } else {
            format!(
                "git clone --depth 1 --filter=blob:none --sparse {} && cd {} && git sparse-checkout set {}",
                sh_quote(&clone_url),
                sh_quote(&summary.repo),
                sh_quote(&summary.path)
            )
        },
    });

    Ok(axum::Json(SkillPage {
        status: row.try_get("", "status")?,
        frontmatter: frontmatter.unwrap_or_else(|| serde_json::json!({})),
        body: body.unwrap_or_default(),
        findings: findings_from_json(findings),
        repository,
        latest_version: latest,
        files,
        install,
        download_url,
        marketplaces: memberships,
        summary,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_escape_everything_but_marks() {
        let text = format!("<img src=x onerror=alert(1)> {MARK_START}pdf{MARK_END} & \"more\"");
        assert_eq!(
            marked_html(&text),
            "&lt;img src=x onerror=alert(1)&gt; <mark>pdf</mark> &amp; &quot;more&quot;"
        );
    }

    #[test]
    fn sort_defaults_and_errors() {
        assert_eq!(Sort::parse(None, true).unwrap(), Sort::Relevance);
        assert_eq!(Sort::parse(None, false).unwrap(), Sort::Updated);
        assert_eq!(Sort::parse(Some("stars"), true).unwrap(), Sort::Stars);
        assert!(Sort::parse(Some("random"), true).is_err());
    }

    #[test]
    fn install_commands_quote_their_arguments() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
    }
}
