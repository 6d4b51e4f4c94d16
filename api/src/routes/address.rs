//! What a skill address means: `{owner}/{repo}/{name}`, with `?path=` when a repository
//! holds two skills of the same name. One rule for the public reads (skill page, versions,
//! files, downloads) and the admin actions (yank, unyank), so an address that finds a skill
//! in one finds it in the other.

use sea_orm::{ConnectionTrait, QueryResult};

use crate::{
    error::ApiError,
    routes::skills::{NOT_BLACKLISTED, SUMMARY_FROM},
    sql::Sql,
};

/// A skill address as given in a URL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SkillAddress<'a> {
    pub owner: &'a str,
    pub repo: &'a str,
    pub name: &'a str,
    /// Folder of the skill in its repository (`?path=`), leading and trailing `/` ignored.
    pub path: Option<&'a str>,
}

/// Who resolves the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Public reads: skills of blacklisted repositories are not found.
    Public,
    /// Admin actions, in a transaction: every indexed skill, blacklisted ones included, its
    /// row locked until the transaction ends (so concurrent yanks of one skill recompute its
    /// latest version one after the other).
    AdminForUpdate,
}

/// The row of the skill `address` means, with `columns` (over `s` skills, `r` repositories
/// and `v` the latest version, as in [`SUMMARY_FROM`]). Owner, repository and name match
/// case-insensitively; with a path, the skill in that folder, else the active one with the
/// shortest path (removed skills come after active ones, so they stay readable by address).
pub(crate) async fn find_skill_row(
    db: &impl ConnectionTrait,
    columns: &str,
    address: SkillAddress<'_>,
    audience: Audience,
) -> Result<Option<QueryResult>, ApiError> {
    let mut sql = Sql::new("SELECT ");
    sql.push(columns);
    sql.push(" FROM ");
    sql.push(SUMMARY_FROM);
    let o = sql.bind(address.owner.to_owned());
    let r = sql.bind(address.repo.to_owned());
    let n = sql.bind(address.name.to_owned());
    sql.push(&format!(
        " WHERE lower(r.owner) = lower({o}) AND lower(r.name) = lower({r}) \
         AND lower(s.name) = lower({n})"
    ));
    if audience == Audience::Public {
        sql.push(" AND ");
        sql.push(NOT_BLACKLISTED);
    }
    if let Some(path) = address.path {
        let p = sql.bind(path.trim_matches('/').to_owned());
        sql.push(&format!(" AND s.path = {p}"));
    }
    sql.push(" ORDER BY (s.status = 'active') DESC, length(s.path), s.path LIMIT 1");
    if audience == Audience::AdminForUpdate {
        sql.push(" FOR UPDATE OF s");
    }
    Ok(db.query_one_raw(sql.statement()).await?)
}
