//! `plugins`: entries of a marketplace's `plugins[]`. Unique on `(marketplace_id, name)`
//! (`plugins_marketplace_id_name_key`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PluginSourceKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "plugins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub marketplace_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub version: Option<String>,
    pub source_kind: PluginSourceKind,
    /// The plugin's `source` as written (a string path or an object).
    #[sea_orm(column_type = "JsonBinary")]
    pub source: Json,
    /// The repository the source resolves to, when it is indexed (`ON DELETE SET NULL`).
    pub source_repository_id: Option<Uuid>,
    /// `owner/name` of the GitHub repository hosting a plugin from elsewhere (`github`
    /// sources, `url` / `git-subdir` sources on github.com).
    #[sea_orm(column_type = "Text", nullable)]
    pub source_repo: Option<String>,
    /// The plugin's folder in `source_repo` (`git-subdir`); `None` is the whole repository.
    #[sea_orm(column_type = "Text", nullable)]
    pub source_path: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub category: Option<String>,
    /// JSON array of strings.
    #[sea_orm(column_type = "JsonBinary")]
    pub keywords: Json,
    #[sea_orm(column_type = "Text", nullable)]
    pub homepage: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub license: Option<String>,
    /// The plugin's whole entry (a JSON object).
    #[sea_orm(column_type = "JsonBinary")]
    pub raw: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::marketplaces::Entity",
        from = "Column::MarketplaceId",
        to = "super::marketplaces::Column::Id",
        on_delete = "Cascade"
    )]
    Marketplace,
    #[sea_orm(
        belongs_to = "super::repositories::Entity",
        from = "Column::SourceRepositoryId",
        to = "super::repositories::Column::Id",
        on_delete = "SetNull"
    )]
    SourceRepository,
    #[sea_orm(has_many = "super::plugin_skills::Entity")]
    PluginSkills,
}

impl Related<super::marketplaces::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Marketplace.def()
    }
}

impl Related<super::plugin_skills::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PluginSkills.def()
    }
}

impl Related<super::skills::Entity> for Entity {
    fn to() -> RelationDef {
        super::plugin_skills::Relation::Skill.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::plugin_skills::Relation::Plugin.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
