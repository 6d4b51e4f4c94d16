//! `skills`, their immutable `skill_versions`, and the `skill_files` of each version.
//!
//! - `skills.search_vector` is a STORED generated `tsvector` (name weight A, description
//!   weight B, `english` configuration) with a GIN index; query it with
//!   `search_vector @@ websearch_to_tsquery('english', $1)` and rank with `ts_rank`.
//! - `skills.name` and `skills.description` have `pg_trgm` GIN indexes for typo-tolerant
//!   search (`name % $1`, `similarity(name, $1)`, `word_similarity($1, description)`).
//! - `skill_versions` rows are immutable: a trigger rejects any `UPDATE` that changes a column
//!   other than `yanked`, `yanked_reason` and `yanked_at`.
//! - `skills.latest_version_id` points at a version (`ON DELETE SET NULL`); the foreign key is
//!   added after `skill_versions` exists because the two tables reference each other.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000002_repositories::Repositories;
use crate::util::{
    bool_default, check, check_in, drop_table, exec, int_default, jsonb_default, pk_uuid,
    timestamptz_now, touch_updated_at,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Values of `skills.status` (`skilldex_entity::SkillStatus`).
pub const SKILL_STATUSES: &[&str] = &["active", "removed"];

const LATEST_VERSION_FK: &str = "skills_latest_version_id_fkey";

#[derive(DeriveIden)]
pub enum Skills {
    Table,
    Id,
    RepositoryId,
    Name,
    Path,
    Description,
    License,
    Status,
    RemovedAt,
    LatestVersionId,
    HasErrors,
    ErrorCount,
    WarningCount,
    DownloadCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum SkillVersions {
    Table,
    Id,
    SkillId,
    ContentHash,
    CommitSha,
    ArchiveKey,
    ArchiveSize,
    FileCount,
    Frontmatter,
    Body,
    Findings,
    ErrorCount,
    WarningCount,
    Yanked,
    YankedReason,
    YankedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
pub enum SkillFiles {
    Table,
    VersionId,
    Path,
    Size,
    Sha256,
    ContentType,
    Executable,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Skills::Table)
                    .col(pk_uuid(Skills::Id))
                    .col(uuid(Skills::RepositoryId))
                    .col(text(Skills::Name))
                    .col(text(Skills::Path).default(""))
                    .col(text_null(Skills::Description))
                    .col(text_null(Skills::License))
                    .col(text(Skills::Status).default("active"))
                    .col(timestamp_with_time_zone_null(Skills::RemovedAt))
                    .col(uuid_null(Skills::LatestVersionId))
                    .col(bool_default(Skills::HasErrors, false))
                    .col(int_default(Skills::ErrorCount, 0))
                    .col(int_default(Skills::WarningCount, 0))
                    .col(big_integer(Skills::DownloadCount).default(0i64))
                    .col(timestamptz_now(Skills::CreatedAt))
                    .col(timestamptz_now(Skills::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("skills_repository_id_fkey")
                            .from(Skills::Table, Skills::RepositoryId)
                            .to(Repositories::Table, Repositories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("skills_repository_id_path_key")
                            .col(Skills::RepositoryId)
                            .col(Skills::Path)
                            .unique(),
                    )
                    .check(check("skills_name_check", "name <> ''"))
                    .check(check(
                        "skills_path_check",
                        "path = '' OR (left(path, 1) <> '/' AND right(path, 1) <> '/')",
                    ))
                    .check(check_in("skills_status_check", "status", SKILL_STATUSES))
                    .check(check(
                        "skills_removed_at_check",
                        "(status = 'removed') = (removed_at IS NOT NULL)",
                    ))
                    .check(check(
                        "skills_counts_check",
                        "error_count >= 0 AND warning_count >= 0 AND download_count >= 0",
                    ))
                    .to_owned(),
            )
            .await?;

        exec(
            manager,
            r#"
ALTER TABLE skills ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')
) STORED;
CREATE INDEX skills_search_vector_idx ON skills USING gin (search_vector);
CREATE INDEX skills_name_trgm_idx ON skills USING gin (name gin_trgm_ops);
CREATE INDEX skills_description_trgm_idx ON skills USING gin (description gin_trgm_ops);
CREATE INDEX skills_repository_id_status_idx ON skills (repository_id, status);
CREATE INDEX skills_repository_id_name_idx ON skills (repository_id, lower(name));
CREATE INDEX skills_status_updated_at_idx ON skills (status, updated_at DESC);
CREATE INDEX skills_status_download_count_idx ON skills (status, download_count DESC);
CREATE INDEX skills_latest_version_id_idx ON skills (latest_version_id);
"#,
        )
        .await?;
        touch_updated_at(manager, "skills").await?;

        manager
            .create_table(
                Table::create()
                    .table(SkillVersions::Table)
                    .col(pk_uuid(SkillVersions::Id))
                    .col(uuid(SkillVersions::SkillId))
                    .col(text(SkillVersions::ContentHash))
                    .col(text(SkillVersions::CommitSha))
                    .col(text(SkillVersions::ArchiveKey))
                    .col(big_integer(SkillVersions::ArchiveSize))
                    .col(integer(SkillVersions::FileCount))
                    .col(jsonb_default(SkillVersions::Frontmatter, "{}"))
                    .col(text(SkillVersions::Body).default(""))
                    .col(jsonb_default(SkillVersions::Findings, "[]"))
                    .col(int_default(SkillVersions::ErrorCount, 0))
                    .col(int_default(SkillVersions::WarningCount, 0))
                    .col(bool_default(SkillVersions::Yanked, false))
                    .col(text_null(SkillVersions::YankedReason))
                    .col(timestamp_with_time_zone_null(SkillVersions::YankedAt))
                    .col(timestamptz_now(SkillVersions::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("skill_versions_skill_id_fkey")
                            .from(SkillVersions::Table, SkillVersions::SkillId)
                            .to(Skills::Table, Skills::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("skill_versions_skill_id_content_hash_key")
                            .col(SkillVersions::SkillId)
                            .col(SkillVersions::ContentHash)
                            .unique(),
                    )
                    .check(check(
                        "skill_versions_content_hash_check",
                        "content_hash ~ '^[0-9a-f]{64}$'",
                    ))
                    .check(check("skill_versions_commit_sha_check", "commit_sha <> ''"))
                    .check(check(
                        "skill_versions_archive_key_check",
                        "archive_key <> ''",
                    ))
                    .check(check(
                        "skill_versions_counts_check",
                        "archive_size >= 0 AND file_count >= 0 \
                         AND error_count >= 0 AND warning_count >= 0",
                    ))
                    .check(check(
                        "skill_versions_frontmatter_check",
                        "jsonb_typeof(frontmatter) = 'object'",
                    ))
                    .check(check(
                        "skill_versions_findings_check",
                        "jsonb_typeof(findings) = 'array'",
                    ))
                    .check(check(
                        "skill_versions_yanked_check",
                        "yanked = (yanked_at IS NOT NULL)",
                    ))
                    .to_owned(),
            )
            .await?;

        exec(
            manager,
            r#"
CREATE INDEX skill_versions_content_hash_idx ON skill_versions (content_hash);
CREATE INDEX skill_versions_skill_id_published_at_idx
    ON skill_versions (skill_id, published_at DESC);

CREATE OR REPLACE FUNCTION skilldex_skill_versions_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.skill_id, NEW.content_hash, NEW.commit_sha, NEW.archive_key,
        NEW.archive_size, NEW.file_count, NEW.frontmatter, NEW.body, NEW.findings,
        NEW.error_count, NEW.warning_count, NEW.published_at)
       IS DISTINCT FROM
       (OLD.id, OLD.skill_id, OLD.content_hash, OLD.commit_sha, OLD.archive_key,
        OLD.archive_size, OLD.file_count, OLD.frontmatter, OLD.body, OLD.findings,
        OLD.error_count, OLD.warning_count, OLD.published_at)
    THEN
        RAISE EXCEPTION 'skill_versions % is immutable: only yanked, yanked_reason and yanked_at may change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER skill_versions_immutable BEFORE UPDATE ON skill_versions
    FOR EACH ROW EXECUTE FUNCTION skilldex_skill_versions_immutable();
"#,
        )
        .await?;

        manager
            .create_foreign_key(
                ForeignKey::create()
                    .name(LATEST_VERSION_FK)
                    .from(Skills::Table, Skills::LatestVersionId)
                    .to(SkillVersions::Table, SkillVersions::Id)
                    .on_delete(ForeignKeyAction::SetNull)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SkillFiles::Table)
                    .col(uuid(SkillFiles::VersionId))
                    .col(text(SkillFiles::Path))
                    .col(big_integer(SkillFiles::Size))
                    .col(text(SkillFiles::Sha256))
                    .col(text(SkillFiles::ContentType).default("application/octet-stream"))
                    .col(bool_default(SkillFiles::Executable, false))
                    .primary_key(
                        Index::create()
                            .name("skill_files_pkey")
                            .col(SkillFiles::VersionId)
                            .col(SkillFiles::Path),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("skill_files_version_id_fkey")
                            .from(SkillFiles::Table, SkillFiles::VersionId)
                            .to(SkillVersions::Table, SkillVersions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(check(
                        "skill_files_path_check",
                        "path <> '' AND left(path, 1) <> '/'",
                    ))
                    .check(check("skill_files_size_check", "size >= 0"))
                    .check(check(
                        "skill_files_sha256_check",
                        "sha256 ~ '^[0-9a-f]{64}$'",
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, SkillFiles::Table).await?;
        if manager.has_table("skills").await? {
            manager
                .drop_foreign_key(
                    ForeignKey::drop()
                        .name(LATEST_VERSION_FK)
                        .table(Skills::Table)
                        .to_owned(),
                )
                .await?;
        }
        drop_table(manager, SkillVersions::Table).await?;
        drop_table(manager, Skills::Table).await?;
        exec(
            manager,
            "DROP FUNCTION IF EXISTS skilldex_skill_versions_immutable();",
        )
        .await
    }
}
