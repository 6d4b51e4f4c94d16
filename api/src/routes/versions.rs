//! Versions of a skill: list, one version, one file of a version, and the archive download.
//! `{hash}` is a version's content hash or `latest` (the newest non-yanked version).

use std::{io::Read, time::Duration};

use axum::{
    body::Body,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use uuid::Uuid;

use crate::{
    AppState,
    error::{ApiError, ErrorEnvelopeDoc},
    extract::{PathParams, QueryParams},
    pagination::{Page, PageParams},
    routes::skills::{
        FileEntry, Finding, VERSION_COLUMNS, Version, find_skill, findings_from_json,
        version_files, version_from_row,
    },
};

/// Largest file served by the file endpoint.
pub const MAX_FILE_BYTES: i64 = 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_versions))
        .routes(routes!(get_version))
        .routes(routes!(download))
        // A file path spans segments (`scripts/run.sh`): axum's `{*file}` wildcard, which
        // the document names `{file}` (see `openapi::name_wildcards`).
        .routes(routes!(get_file))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionListParams {
    /// Folder of the skill in its repository, when two skills share a name.
    pub path: Option<String>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParams {
    /// Folder of the skill in its repository, when two skills share a name.
    pub path: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadParams {
    /// Folder of the skill in its repository, when two skills share a name.
    pub path: Option<String>,
    /// `false` streams the archive instead of redirecting to a presigned URL.
    pub redirect: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDetail {
    #[serde(flatten)]
    pub version: Version,
    #[schema(value_type = Object)]
    pub frontmatter: Json,
    pub body: String,
    pub findings: Vec<Finding>,
    pub files: Vec<FileEntry>,
}

/// A version row with what the detail, file and download endpoints need.
struct VersionRow {
    id: Uuid,
    skill_id: Uuid,
    skill_name: String,
    archive_key: String,
    row: QueryResult,
}

fn parse_hash(hash: &str) -> Result<Option<String>, ApiError> {
    if hash == "latest" {
        return Ok(None);
    }
    if hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Ok(Some(hash.to_owned()));
    }
    Err(ApiError::bad_field(
        "hash",
        "a version is a lower-case hex sha256 (64 characters) or `latest`",
    ))
}

async fn find_version(
    state: &AppState,
    (owner, repo, name): (&str, &str, &str),
    path: Option<&str>,
    hash: &str,
) -> Result<VersionRow, ApiError> {
    let wanted = parse_hash(hash)?;
    let skill = find_skill(&state.db, owner, repo, name, path).await?;
    let skill_name: String = skill.row.try_get("", "name")?;
    let (condition, value) = match &wanted {
        Some(hash) => ("v.content_hash = $2", hash.clone().into()),
        None => match skill.latest_version_id {
            Some(id) => ("v.id = $2", id.into()),
            None => {
                return Err(ApiError::not_found(format!(
                    "{owner}/{repo}/{name} has no published version"
                )));
            }
        },
    };
    let row = state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT v.id, v.archive_key, v.frontmatter, v.body, v.findings, {VERSION_COLUMNS} \
                 FROM skill_versions v WHERE v.skill_id = $1 AND {condition}"
            ),
            [skill.id.into(), value],
        ))
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "{owner}/{repo}/{name} has no version {hash}; list them at \
                 /api/v1/skills/{owner}/{repo}/{name}/versions"
            ))
        })?;
    Ok(VersionRow {
        id: row.try_get("", "id")?,
        archive_key: row.try_get("", "archive_key")?,
        skill_id: skill.id,
        skill_name,
        row,
    })
}

/// Versions of a skill, newest first (yanked ones included and marked).
#[utoipa::path(
    get,
    path = "/skills/{owner}/{repo}/{name}/versions",
    tag = "skills",
    params(
        ("owner" = String, Path, description = "GitHub owner"),
        ("repo" = String, Path, description = "GitHub repository"),
        ("name" = String, Path, description = "Skill name"),
        VersionListParams,
    ),
    responses(
        (status = 200, description = "One page of versions", body = Page<Version>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelopeDoc),
        (status = 404, description = "No such skill", body = ErrorEnvelopeDoc),
    )
)]
pub async fn list_versions(
    State(state): State<AppState>,
    PathParams((owner, repo, name)): PathParams<(String, String, String)>,
    QueryParams(params): QueryParams<VersionListParams>,
) -> Result<axum::Json<Page<Version>>, ApiError> {
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor.clone(),
    };
    let limit = page.limit()?;
    let cursor: Option<(DateTime<Utc>, Uuid)> = page.cursor()?;
    let skill = find_skill(&state.db, &owner, &repo, &name, params.path.as_deref()).await?;
    let mut values = vec![skill.id.into(), (i64::from(limit) + 1).into()];
    let seek = match cursor {
        Some((at, id)) => {
            values.push(at.into());
            values.push(id.into());
            "AND (v.published_at < $3 OR (v.published_at = $3 AND v.id > $4))"
        }
        None => "",
    };
    let rows = state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT v.id, {VERSION_COLUMNS} FROM skill_versions v WHERE v.skill_id = $1 {seek} \
                 ORDER BY v.published_at DESC, v.id LIMIT $2"
            ),
            values,
        ))
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: Uuid = row.try_get("", "id")?;
        items.push((version_from_row(row)?, id));
    }
    let page = Page::from_rows(items, limit, |(v, id)| (v.published_at, *id));
    Ok(axum::Json(Page {
        items: page.items.into_iter().map(|(v, _)| v).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One version: its metadata, front matter, body, findings and files.
#[utoipa::path(
    get,
    path = "/skills/{owner}/{repo}/{name}/versions/{hash}",
    tag = "skills",
    params(
        ("owner" = String, Path, description = "GitHub owner"),
        ("repo" = String, Path, description = "GitHub repository"),
        ("name" = String, Path, description = "Skill name"),
        ("hash" = String, Path, description = "Content hash, or `latest`"),
        VersionParams,
    ),
    responses(
        (status = 200, description = "The version", body = VersionDetail),
        (status = 400, description = "Malformed hash", body = ErrorEnvelopeDoc),
        (status = 404, description = "No such skill or version", body = ErrorEnvelopeDoc),
    )
)]
pub async fn get_version(
    State(state): State<AppState>,
    PathParams((owner, repo, name, hash)): PathParams<(String, String, String, String)>,
    QueryParams(params): QueryParams<VersionParams>,
) -> Result<axum::Json<VersionDetail>, ApiError> {
    let found = find_version(
        &state,
        (&owner, &repo, &name),
        params.path.as_deref(),
        &hash,
    )
    .await?;
    let row = &found.row;
    let findings: Json = row.try_get("", "findings")?;
    Ok(axum::Json(VersionDetail {
        version: version_from_row(row)?,
        frontmatter: row.try_get("", "frontmatter")?,
        body: row.try_get("", "body")?,
        findings: findings_from_json(findings),
        files: version_files(&state.db, found.id).await?,
    }))
}

/// One file of a version, read from its archive. Only files of the version's manifest are
/// served; text types are sent as UTF-8, and every file with `nosniff` and a sandboxing
/// CSP, so a browser never runs what a skill ships.
#[utoipa::path(
    get,
    path = "/skills/{owner}/{repo}/{name}/versions/{hash}/files/{*file}",
    tag = "skills",
    params(
        ("owner" = String, Path, description = "GitHub owner"),
        ("repo" = String, Path, description = "GitHub repository"),
        ("name" = String, Path, description = "Skill name"),
        ("hash" = String, Path, description = "Content hash, or `latest`"),
        ("file" = String, Path, description = "Path of the file inside the skill; may contain `/`, e.g. `scripts/run.sh`"),
        VersionParams,
    ),
    responses(
        (status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 404, description = "No such skill, version or file", body = ErrorEnvelopeDoc),
        (status = 413, description = "The file is larger than 1 MiB; download the archive", body = ErrorEnvelopeDoc),
    )
)]
pub async fn get_file(
    State(state): State<AppState>,
    PathParams((owner, repo, name, hash, file)): PathParams<(
        String,
        String,
        String,
        String,
        String,
    )>,
    QueryParams(params): QueryParams<VersionParams>,
) -> Result<Response, ApiError> {
    let found = find_version(
        &state,
        (&owner, &repo, &name),
        params.path.as_deref(),
        &hash,
    )
    .await?;
    // Only manifest paths: a request path never reaches the archive reader unchecked.
    let entry = state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT size, content_type FROM skill_files WHERE version_id = $1 AND path = $2",
            [found.id.into(), file.clone().into()],
        ))
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "version {hash} of {owner}/{repo}/{name} has no file `{file}`"
            ))
        })?;
    let size: i64 = entry.try_get("", "size")?;
    let content_type: String = entry.try_get("", "content_type")?;
    if size > MAX_FILE_BYTES {
        return Err(ApiError::PayloadTooLarge {
            message: format!(
                "`{file}` is {size} bytes; files above {MAX_FILE_BYTES} bytes are only in the archive"
            ),
        });
    }
    let archive = state
        .store
        .get_bytes(&found.archive_key)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, key = %found.archive_key, "reading a skill archive failed");
            ApiError::Unavailable {
                dependency: "object storage",
            }
        })?
        .ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("archive {} is missing", found.archive_key))
        })?;
    let wanted = file.clone();
    let bytes = tokio::task::spawn_blocking(move || read_entry(&archive, &wanted))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "`{file}` is in the manifest but not in archive {}",
                found.archive_key
            ))
        })?;
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    let content_type = if content_type.starts_with("text/") && !content_type.contains("charset") {
        format!("{content_type}; charset=utf-8")
    } else {
        content_type
    };
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(response)
}

/// The bytes of `path` (relative to the skill folder) in a skill archive, whose entries all
/// sit under one top-level folder. Reads at most [`MAX_FILE_BYTES`].
fn read_entry(archive: &[u8], path: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    for entry in tar.entries()? {
        let entry = entry?;
        let entry_path = entry.path()?.to_string_lossy().into_owned();
        let inside = entry_path.split_once('/').map(|(_, rest)| rest);
        if inside == Some(path) {
            let mut bytes = Vec::new();
            entry
                .take(MAX_FILE_BYTES as u64 + 1)
                .read_to_end(&mut bytes)?;
            return Ok(Some(bytes));
        }
    }
    Ok(None)
}

/// The `.tar.gz` of a version: a redirect to a short-lived presigned URL, or the bytes with
/// `redirect=false`. Counts one download. A yanked version is still served by exact hash,
/// with a `Warning` header.
#[utoipa::path(
    get,
    path = "/skills/{owner}/{repo}/{name}/versions/{hash}/download",
    tag = "skills",
    params(
        ("owner" = String, Path, description = "GitHub owner"),
        ("repo" = String, Path, description = "GitHub repository"),
        ("name" = String, Path, description = "Skill name"),
        ("hash" = String, Path, description = "Content hash, or `latest`"),
        DownloadParams,
    ),
    responses(
        (status = 302, description = "Redirect to a presigned archive URL"),
        (status = 200, description = "The archive (`redirect=false`)", content_type = "application/gzip"),
        (status = 404, description = "No such skill or version", body = ErrorEnvelopeDoc),
        (status = 503, description = "Object storage is unavailable", body = ErrorEnvelopeDoc),
    )
)]
pub async fn download(
    State(state): State<AppState>,
    PathParams((owner, repo, name, hash)): PathParams<(String, String, String, String)>,
    QueryParams(params): QueryParams<DownloadParams>,
) -> Result<Response, ApiError> {
    let found = find_version(
        &state,
        (&owner, &repo, &name),
        params.path.as_deref(),
        &hash,
    )
    .await?;
    let yanked: bool = found.row.try_get("", "yanked")?;
    let yanked_reason: Option<String> = found.row.try_get("", "yanked_reason")?;
    let content_hash: String = found.row.try_get("", "content_hash")?;
    let unavailable = |e: skilldex_core::storage::StorageError| {
        tracing::warn!(error = %e, key = %found.archive_key, "serving a skill archive failed");
        ApiError::Unavailable {
            dependency: "object storage",
        }
    };
    let mut response = if params.redirect.unwrap_or(true) {
        let ttl = Duration::from_secs(state.settings.http.presign_ttl_secs);
        let url = state
            .store
            .presigned_get(&found.archive_key, ttl)
            .await
            .map_err(unavailable)?;
        let mut response = StatusCode::FOUND.into_response();
        response.headers_mut().insert(
            header::LOCATION,
            HeaderValue::from_str(&url).map_err(ApiError::internal)?,
        );
        response
    } else {
        // Archives are bounded by the packaging limits; the redirect is the default path.
        let bytes = state
            .store
            .get_bytes(&found.archive_key)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("archive {} is missing", found.archive_key))
            })?;
        let mut response = (StatusCode::OK, Body::from(bytes)).into_response();
        let file_name = format!("{}-{}.tar.gz", found.skill_name, &content_hash[..12]);
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/gzip"),
        );
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("\"{content_hash}\"")) {
        headers.insert(header::ETAG, value);
    }
    if yanked {
        let reason = yanked_reason
            .unwrap_or_else(|| "no reason given".into())
            .replace(['"', '\\', '\r', '\n'], " ");
        if let Ok(value) = HeaderValue::from_str(&format!("299 - \"version yanked: {reason}\"")) {
            headers.insert(header::WARNING, value);
        }
    }
    state.downloads.record(found.skill_id);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_hex_or_latest() {
        assert_eq!(parse_hash("latest").unwrap(), None);
        let hash = "a".repeat(64);
        assert_eq!(parse_hash(&hash).unwrap(), Some(hash));
        for bad in [
            "",
            "A".repeat(64).as_str(),
            "../etc/passwd",
            &"a".repeat(63),
        ] {
            assert!(parse_hash(bad).is_err(), "{bad}");
        }
    }
}
