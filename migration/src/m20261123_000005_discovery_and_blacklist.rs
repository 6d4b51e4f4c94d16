//! `discovery_sources` (what the scheduled `Discovery` workflow scans) and `blacklist`
//! (owners or repositories the registry never indexes).

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{
    bool_default, check, check_in, drop_table, exec, pk_uuid, timestamptz_now, touch_updated_at,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Values of `discovery_sources.kind` (`skilldex_entity::DiscoveryKind`).
pub const DISCOVERY_KINDS: &[&str] = &["topic_search", "code_search", "marketplace"];

#[derive(DeriveIden)]
pub enum DiscoverySources {
    Table,
    Id,
    Key,
    Kind,
    Query,
    Enabled,
    IntervalSeconds,
    MaxRepositories,
    LastRunAt,
    LastWorkflowId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Blacklist {
    Table,
    Id,
    Owner,
    Repo,
    Reason,
    CreatedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DiscoverySources::Table)
                    .col(pk_uuid(DiscoverySources::Id))
                    .col(text(DiscoverySources::Key))
                    .col(text(DiscoverySources::Kind))
                    .col(text(DiscoverySources::Query))
                    .col(bool_default(DiscoverySources::Enabled, true))
                    .col(integer(DiscoverySources::IntervalSeconds))
                    .col(integer_null(DiscoverySources::MaxRepositories))
                    .col(timestamp_with_time_zone_null(DiscoverySources::LastRunAt))
                    .col(text_null(DiscoverySources::LastWorkflowId))
                    .col(timestamptz_now(DiscoverySources::CreatedAt))
                    .col(timestamptz_now(DiscoverySources::UpdatedAt))
                    .index(
                        Index::create()
                            .name("discovery_sources_key_key")
                            .col(DiscoverySources::Key)
                            .unique(),
                    )
                    .check(check(
                        "discovery_sources_key_check",
                        "key ~ '^[a-z0-9][a-z0-9_-]*$' AND length(key) <= 64",
                    ))
                    .check(check_in(
                        "discovery_sources_kind_check",
                        "kind",
                        DISCOVERY_KINDS,
                    ))
                    .check(check(
                        "discovery_sources_interval_seconds_check",
                        "interval_seconds > 0",
                    ))
                    .check(check(
                        "discovery_sources_max_repositories_check",
                        "max_repositories IS NULL OR max_repositories > 0",
                    ))
                    .to_owned(),
            )
            .await?;
        touch_updated_at(manager, "discovery_sources").await?;

        manager
            .create_table(
                Table::create()
                    .table(Blacklist::Table)
                    .col(pk_uuid(Blacklist::Id))
                    .col(text(Blacklist::Owner))
                    .col(text_null(Blacklist::Repo))
                    .col(text_null(Blacklist::Reason))
                    .col(text_null(Blacklist::CreatedBy))
                    .col(timestamptz_now(Blacklist::CreatedAt))
                    .check(check(
                        "blacklist_owner_repo_check",
                        "owner <> '' AND position('/' in owner) = 0 \
                         AND (repo IS NULL OR (repo <> '' AND position('/' in repo) = 0))",
                    ))
                    .to_owned(),
            )
            .await?;
        exec(
            manager,
            r#"
CREATE UNIQUE INDEX blacklist_owner_repo_key
    ON blacklist (lower(owner), coalesce(lower(repo), ''));
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Blacklist::Table).await?;
        drop_table(manager, DiscoverySources::Table).await
    }
}
