//! `repositories`: every source repository the registry knows (skills, marketplaces or both).

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{
    bool_default, check, check_in, drop_table, exec, int_default, jsonb_default, pk_uuid,
    timestamptz_now, touch_updated_at,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Values of `repositories.sync_status` (`skilldex_entity::SyncStatus`).
pub const SYNC_STATUSES: &[&str] = &["pending", "syncing", "succeeded", "failed"];

#[derive(DeriveIden)]
pub enum Repositories {
    Table,
    Id,
    Host,
    Owner,
    Name,
    RemoteId,
    Description,
    HtmlUrl,
    DefaultBranch,
    Stars,
    Forks,
    Topics,
    License,
    Archived,
    Fork,
    PushedAt,
    LastIndexedCommit,
    LastSyncStartedAt,
    LastSyncedAt,
    SyncStatus,
    LastError,
    LastErrorKind,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Repositories::Table)
                    .col(pk_uuid(Repositories::Id))
                    .col(text(Repositories::Host).default("github.com"))
                    .col(text(Repositories::Owner))
                    .col(text(Repositories::Name))
                    .col(big_integer_null(Repositories::RemoteId))
                    .col(text_null(Repositories::Description))
                    .col(text_null(Repositories::HtmlUrl))
                    .col(text_null(Repositories::DefaultBranch))
                    .col(int_default(Repositories::Stars, 0))
                    .col(int_default(Repositories::Forks, 0))
                    .col(jsonb_default(Repositories::Topics, "[]"))
                    .col(text_null(Repositories::License))
                    .col(bool_default(Repositories::Archived, false))
                    .col(bool_default(Repositories::Fork, false))
                    .col(timestamp_with_time_zone_null(Repositories::PushedAt))
                    .col(text_null(Repositories::LastIndexedCommit))
                    .col(timestamp_with_time_zone_null(
                        Repositories::LastSyncStartedAt,
                    ))
                    .col(timestamp_with_time_zone_null(Repositories::LastSyncedAt))
                    .col(text(Repositories::SyncStatus).default("pending"))
                    .col(text_null(Repositories::LastError))
                    .col(text_null(Repositories::LastErrorKind))
                    .col(timestamptz_now(Repositories::CreatedAt))
                    .col(timestamptz_now(Repositories::UpdatedAt))
                    .check(check(
                        "repositories_identity_check",
                        "host <> '' AND owner <> '' AND name <> '' \
                         AND position('/' in owner) = 0 AND position('/' in name) = 0",
                    ))
                    .check(check(
                        "repositories_counts_check",
                        "stars >= 0 AND forks >= 0",
                    ))
                    .check(check(
                        "repositories_topics_check",
                        "jsonb_typeof(topics) = 'array'",
                    ))
                    .check(check_in(
                        "repositories_sync_status_check",
                        "sync_status",
                        SYNC_STATUSES,
                    ))
                    .to_owned(),
            )
            .await?;

        exec(
            manager,
            r#"
CREATE UNIQUE INDEX repositories_host_owner_name_key
    ON repositories (lower(host), lower(owner), lower(name));
CREATE INDEX repositories_sync_status_idx ON repositories (sync_status, last_synced_at);
CREATE INDEX repositories_stars_idx ON repositories (stars DESC, id);
CREATE INDEX repositories_remote_id_idx ON repositories (host, remote_id)
    WHERE remote_id IS NOT NULL;
CREATE INDEX repositories_name_trgm_idx ON repositories USING gin (name gin_trgm_ops);
"#,
        )
        .await?;
        touch_updated_at(manager, "repositories").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Repositories::Table).await
    }
}
