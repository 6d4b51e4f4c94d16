//! Claude Code plugin marketplaces (`.claude-plugin/marketplace.json`): `marketplaces`, their
//! `plugins`, and `plugin_skills`, which links plugins to the skills they ship (those skills
//! may live in other repositories).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000002_repositories::Repositories;
use crate::m20261123_000003_skills::Skills;
use crate::util::{
    check, check_in, drop_table, exec, jsonb_default, pk_uuid, timestamptz_now, touch_updated_at,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Values of `plugins.source_kind` (`skilldex_entity::PluginSourceKind`).
pub const PLUGIN_SOURCE_KINDS: &[&str] =
    &["relative", "github", "url", "git_subdir", "npm", "other"];

#[derive(DeriveIden)]
pub enum Marketplaces {
    Table,
    Id,
    RepositoryId,
    Name,
    OwnerName,
    OwnerEmail,
    Description,
    Version,
    Raw,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Plugins {
    Table,
    Id,
    MarketplaceId,
    Name,
    Description,
    Version,
    SourceKind,
    Source,
    SourceRepositoryId,
    Category,
    Keywords,
    Homepage,
    License,
    Raw,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum PluginSkills {
    Table,
    PluginId,
    SkillId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Marketplaces::Table)
                    .col(pk_uuid(Marketplaces::Id))
                    .col(uuid(Marketplaces::RepositoryId))
                    .col(text(Marketplaces::Name))
                    .col(text_null(Marketplaces::OwnerName))
                    .col(text_null(Marketplaces::OwnerEmail))
                    .col(text_null(Marketplaces::Description))
                    .col(text_null(Marketplaces::Version))
                    .col(jsonb_default(Marketplaces::Raw, "{}"))
                    .col(timestamptz_now(Marketplaces::CreatedAt))
                    .col(timestamptz_now(Marketplaces::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("marketplaces_repository_id_fkey")
                            .from(Marketplaces::Table, Marketplaces::RepositoryId)
                            .to(Repositories::Table, Repositories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("marketplaces_repository_id_key")
                            .col(Marketplaces::RepositoryId)
                            .unique(),
                    )
                    .check(check(
                        "marketplaces_raw_check",
                        "jsonb_typeof(raw) = 'object'",
                    ))
                    .to_owned(),
            )
            .await?;
        exec(
            manager,
            "CREATE INDEX marketplaces_name_idx ON marketplaces (lower(name));",
        )
        .await?;
        touch_updated_at(manager, "marketplaces").await?;

        manager
            .create_table(
                Table::create()
                    .table(Plugins::Table)
                    .col(pk_uuid(Plugins::Id))
                    .col(uuid(Plugins::MarketplaceId))
                    .col(text(Plugins::Name))
                    .col(text_null(Plugins::Description))
                    .col(text_null(Plugins::Version))
                    .col(text(Plugins::SourceKind))
                    .col(json_binary(Plugins::Source))
                    .col(uuid_null(Plugins::SourceRepositoryId))
                    .col(text_null(Plugins::Category))
                    .col(jsonb_default(Plugins::Keywords, "[]"))
                    .col(text_null(Plugins::Homepage))
                    .col(text_null(Plugins::License))
                    .col(jsonb_default(Plugins::Raw, "{}"))
                    .col(timestamptz_now(Plugins::CreatedAt))
                    .col(timestamptz_now(Plugins::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("plugins_marketplace_id_fkey")
                            .from(Plugins::Table, Plugins::MarketplaceId)
                            .to(Marketplaces::Table, Marketplaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("plugins_source_repository_id_fkey")
                            .from(Plugins::Table, Plugins::SourceRepositoryId)
                            .to(Repositories::Table, Repositories::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .index(
                        Index::create()
                            .name("plugins_marketplace_id_name_key")
                            .col(Plugins::MarketplaceId)
                            .col(Plugins::Name)
                            .unique(),
                    )
                    .check(check("plugins_name_check", "name <> ''"))
                    .check(check_in(
                        "plugins_source_kind_check",
                        "source_kind",
                        PLUGIN_SOURCE_KINDS,
                    ))
                    .check(check(
                        "plugins_keywords_check",
                        "jsonb_typeof(keywords) = 'array'",
                    ))
                    .check(check("plugins_raw_check", "jsonb_typeof(raw) = 'object'"))
                    .to_owned(),
            )
            .await?;
        exec(
            manager,
            r#"
CREATE INDEX plugins_source_repository_id_idx ON plugins (source_repository_id);
CREATE INDEX plugins_category_idx ON plugins (category);
CREATE INDEX plugins_name_trgm_idx ON plugins USING gin (name gin_trgm_ops);
"#,
        )
        .await?;
        touch_updated_at(manager, "plugins").await?;

        manager
            .create_table(
                Table::create()
                    .table(PluginSkills::Table)
                    .col(uuid(PluginSkills::PluginId))
                    .col(uuid(PluginSkills::SkillId))
                    .col(timestamptz_now(PluginSkills::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("plugin_skills_pkey")
                            .col(PluginSkills::PluginId)
                            .col(PluginSkills::SkillId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("plugin_skills_plugin_id_fkey")
                            .from(PluginSkills::Table, PluginSkills::PluginId)
                            .to(Plugins::Table, Plugins::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("plugin_skills_skill_id_fkey")
                            .from(PluginSkills::Table, PluginSkills::SkillId)
                            .to(Skills::Table, Skills::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        exec(
            manager,
            "CREATE INDEX plugin_skills_skill_id_idx ON plugin_skills (skill_id);",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, PluginSkills::Table).await?;
        drop_table(manager, Plugins::Table).await?;
        drop_table(manager, Marketplaces::Table).await
    }
}
