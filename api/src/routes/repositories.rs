//! `GET /repositories` and `GET /repositories/{owner}/{repo}`: indexed repositories, their
//! sync status and skills. (Registering one is `routes::registrations`.)

use axum::extract::State;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    AppState,
    error::{ApiError, ErrorEnvelopeDoc},
    extract::{PathParams, QueryParams},
    pagination::{Page, PageParams, encode_cursor},
    routes::skills::{
        Finding, LISTED, NOT_BLACKLISTED, REPOSITORY_COLUMNS, Repository, SUMMARY_COLUMNS,
        SUMMARY_FROM, SkillSummary, findings_from_json, repository_from_row, summary_from_row,
    },
    sql::Sql,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_repositories))
        .routes(routes!(get_repository))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RepositoryListParams {
    /// Part of `owner/name` (case-insensitive).
    pub q: Option<String>,
    /// `stars` (default), `updated` (last synced) or `name`.
    pub sort: Option<String>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
enum RepoCursor {
    Stars(i32, Uuid),
    Updated(Option<DateTime<Utc>>, Uuid),
    Name(String, Uuid),
}

/// Indexed repositories (blacklisted ones left out).
#[utoipa::path(
    get,
    path = "/repositories",
    tag = "repositories",
    params(RepositoryListParams),
    responses(
        (status = 200, description = "One page of repositories", body = Page<Repository>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelopeDoc),
    )
)]
pub async fn list_repositories(
    State(state): State<AppState>,
    QueryParams(params): QueryParams<RepositoryListParams>,
) -> Result<axum::Json<Page<Repository>>, ApiError> {
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor.clone(),
    };
    let limit = page.limit()?;
    let cursor: Option<RepoCursor> = page.cursor()?;
    let sort = params.sort.as_deref().unwrap_or("stars");
    let mut sql = Sql::new("SELECT ");
    sql.push(REPOSITORY_COLUMNS);
    sql.push(", lower(r.name) AS sort_name FROM repositories r WHERE ");
    sql.push(NOT_BLACKLISTED);
    if let Some(q) = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!(
            "%{}%",
            q.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let p = sql.bind(pattern);
        sql.push(&format!(" AND lower(r.owner || '/' || r.name) LIKE {p}"));
    }
    let order = match (sort, &cursor) {
        ("stars", c) => {
            if let Some(RepoCursor::Stars(stars, id)) = c {
                let s = sql.bind(*stars);
                let i = sql.bind(*id);
                sql.push(&format!(
                    " AND (r.stars < {s} OR (r.stars = {s} AND r.id > {i}))"
                ));
            } else if c.is_some() {
                return Err(bad_cursor());
            }
            "r.stars DESC, r.id"
        }
        ("updated", c) => {
            match c {
                Some(RepoCursor::Updated(Some(at), id)) => {
                    let a = sql.bind(*at);
                    let i = sql.bind(*id);
                    sql.push(&format!(
                        " AND (r.last_synced_at < {a} OR r.last_synced_at IS NULL \
                         OR (r.last_synced_at = {a} AND r.id > {i}))"
                    ));
                }
                Some(RepoCursor::Updated(None, id)) => {
                    let i = sql.bind(*id);
                    sql.push(&format!(" AND r.last_synced_at IS NULL AND r.id > {i}"));
                }
                Some(_) => return Err(bad_cursor()),
                None => {}
            }
            "r.last_synced_at DESC NULLS LAST, r.id"
        }
        ("name", c) => {
            if let Some(RepoCursor::Name(name, id)) = c {
                let n = sql.bind(name.clone());
                let i = sql.bind(*id);
                sql.push(&format!(
                    " AND (lower(r.name) > {n} OR (lower(r.name) = {n} AND r.id > {i}))"
                ));
            } else if c.is_some() {
                return Err(bad_cursor());
            }
            "lower(r.name), r.id"
        }
        (other, _) => {
            return Err(ApiError::bad_field(
                "sort",
                format!("unknown sort `{other}`; use stars, updated or name"),
            ));
        }
    };
    let n = sql.bind(i64::from(limit) + 1);
    sql.push(&format!(" ORDER BY {order} LIMIT {n}"));
    let rows = state.db.query_all_raw(sql.statement()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(repository_from_row(row)?);
    }
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next_cursor = more.then(|| items.last()).flatten().map(|last| match sort {
        "updated" => encode_cursor(&RepoCursor::Updated(last.last_synced_at, last.id)),
        "name" => encode_cursor(&RepoCursor::Name(last.name.to_lowercase(), last.id)),
        _ => encode_cursor(&RepoCursor::Stars(last.stars, last.id)),
    });
    Ok(axum::Json(Page { items, next_cursor }))
}

fn bad_cursor() -> ApiError {
    ApiError::bad_field(
        "cursor",
        "the cursor belongs to another sort; restart from page 1",
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RepositoryPage {
    #[serde(flatten)]
    pub repository: Repository,
    /// Active skills of the repository, by name.
    pub skills: Vec<SkillSummary>,
    /// Repository-level findings of the last sync (entries skipped, limits reached, an
    /// unreadable marketplace.json).
    pub problems: Vec<Finding>,
}

/// A repository with its skills and sync status.
#[utoipa::path(
    get,
    path = "/repositories/{owner}/{repo}",
    tag = "repositories",
    params(
        ("owner" = String, Path, description = "GitHub owner"),
        ("repo" = String, Path, description = "GitHub repository"),
    ),
    responses(
        (status = 200, description = "The repository", body = RepositoryPage),
        (status = 404, description = "Not indexed (or blacklisted)", body = ErrorEnvelopeDoc),
    )
)]
pub async fn get_repository(
    State(state): State<AppState>,
    PathParams((owner, repo)): PathParams<(String, String)>,
) -> Result<axum::Json<RepositoryPage>, ApiError> {
    let row = state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT {REPOSITORY_COLUMNS}, r.problems FROM repositories r \
                 WHERE lower(r.owner) = $1 AND lower(r.name) = $2 AND {NOT_BLACKLISTED}"
            ),
            [owner.to_lowercase().into(), repo.to_lowercase().into()],
        ))
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "{owner}/{repo} is not indexed; register it with POST /api/v1/repositories"
            ))
        })?;
    let repository = repository_from_row(&row)?;
    let problems: Json = row.try_get("", "problems")?;
    let skills = state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} \
                 WHERE s.repository_id = $1 AND {LISTED} ORDER BY lower(s.name), s.path"
            ),
            [repository.id.into()],
        ))
        .await?
        .iter()
        .map(summary_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(axum::Json(RepositoryPage {
        repository,
        skills,
        problems: findings_from_json(problems),
    }))
}
