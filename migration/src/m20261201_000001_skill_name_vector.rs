//! Cheaper relevance tiers for search (see `api::routes::skills`).
//!
//! - `skills.name_vector`: a STORED generated `tsvector` of the name alone, GIN-indexed
//!   (`skills_name_vector_idx`), replacing the expression index `skills_name_tsv_idx`.
//!   Search tells name matches (tier 0) from description-only ones (tier 1) by
//!   `name_vector @@ query`; before, every candidate row ran `to_tsvector(name)` again.
//!   Names over 256 characters get an empty vector (they are invalid past 64,
//!   `name_too_long`, and still match through `search_vector`, in the description tier):
//!   the bound keeps the vector small enough for the btree below, and a name match always
//!   implies a `search_vector` match for queries without negation.
//! - `skills_listed_downloads_cover_idx`: active skills by downloads (with the id tie
//!   break), carrying what the name tier needs (`name_vector`, and `repository_id`,
//!   `latest_version_id`, `has_errors` for the listed test). Reading the most downloaded
//!   name matches is then an index-only walk that stops after one page, instead of a heap
//!   fetch per candidate.
//! - `repositories_lower_owner_idx`: blacklist entries name owners; search resolves them to
//!   repository ids once per query instead of joining every candidate to its repository.
//!
//! Adding the column rewrites `skills` (about a minute for 100,000 skills on a loaded
//! two-core machine) under an exclusive lock.

use sea_orm_migration::prelude::*;

use crate::util::exec;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            r#"
ALTER TABLE skills ADD COLUMN name_vector tsvector GENERATED ALWAYS AS (
    CASE WHEN length(name) <= 256 THEN to_tsvector('english'::regconfig, name)
         ELSE ''::tsvector END
) STORED;
CREATE INDEX skills_name_vector_idx ON skills USING gin (name_vector);
DROP INDEX IF EXISTS skills_name_tsv_idx;
CREATE INDEX skills_listed_downloads_cover_idx ON skills (download_count DESC, id)
    INCLUDE (repository_id, latest_version_id, has_errors, name_vector)
    WHERE status = 'active';
CREATE INDEX repositories_lower_owner_idx ON repositories (lower(owner));
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            r#"
DROP INDEX IF EXISTS repositories_lower_owner_idx;
DROP INDEX IF EXISTS skills_listed_downloads_cover_idx;
DROP INDEX IF EXISTS skills_name_vector_idx;
ALTER TABLE IF EXISTS skills DROP COLUMN IF EXISTS name_vector;
CREATE INDEX IF NOT EXISTS skills_name_tsv_idx ON skills
    USING gin (to_tsvector('english'::regconfig, name));
"#,
        )
        .await
    }
}
