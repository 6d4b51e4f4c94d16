//! `skills`: one row per skill folder (a folder with `SKILL.md`) in a repository.
//!
//! The table also has `search_vector tsvector`, a STORED generated column
//! (`setweight(to_tsvector('english', name), 'A') || setweight(to_tsvector('english',
//! description), 'B')`) with a GIN index. It is deliberately not a field here: it can never be
//! written, and queries use it through raw expressions such as
//! `Expr::cust_with_values("search_vector @@ websearch_to_tsquery('english', $1)", [q])`.
//! `name_vector` (`to_tsvector('english', name)`, empty past 256 characters; GIN-indexed) is
//! generated and left out the same way; search uses it to rank name matches first.
//! `name` and `description` also have `pg_trgm` GIN indexes for typo-tolerant search.
//!
//! Unique on `(repository_id, path)` (`skills_repository_id_path_key`). A CHECK requires
//! `removed_at` to be set exactly when `status = 'removed'`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::SkillStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "skills")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub repository_id: Uuid,
    /// The front-matter `name` (or the folder name when it is missing).
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// Folder of the skill inside the repository, without leading or trailing `/`; `""` for
    /// the repository root.
    #[sea_orm(column_type = "Text")]
    pub path: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub license: Option<String>,
    pub status: SkillStatus,
    pub removed_at: Option<DateTimeUtc>,
    /// The newest published version (`ON DELETE SET NULL`).
    pub latest_version_id: Option<Uuid>,
    pub has_errors: bool,
    pub error_count: i32,
    pub warning_count: i32,
    /// The latest validation findings, a JSON array of `{severity, code, message, file,
    /// line, field}` (kept here because a skill with errors has no version to hold them).
    #[sea_orm(column_type = "JsonBinary")]
    pub findings: Json,
    pub download_count: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::repositories::Entity",
        from = "Column::RepositoryId",
        to = "super::repositories::Column::Id",
        on_delete = "Cascade"
    )]
    Repository,
    /// Every version of the skill (`skill_versions.skill_id`).
    #[sea_orm(has_many = "super::skill_versions::Entity")]
    Versions,
    /// The version `latest_version_id` points at.
    #[sea_orm(
        belongs_to = "super::skill_versions::Entity",
        from = "Column::LatestVersionId",
        to = "super::skill_versions::Column::Id",
        on_delete = "SetNull"
    )]
    LatestVersion,
    #[sea_orm(has_many = "super::plugin_skills::Entity")]
    PluginSkills,
}

impl Related<super::repositories::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Repository.def()
    }
}

/// All versions; use `Relation::LatestVersion` for the latest one.
impl Related<super::skill_versions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Versions.def()
    }
}

impl Related<super::plugin_skills::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PluginSkills.def()
    }
}

impl Related<super::plugins::Entity> for Entity {
    fn to() -> RelationDef {
        super::plugin_skills::Relation::Plugin.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::plugin_skills::Relation::Skill.def().rev())
    }
}

/// Links a skill to its latest version, for `find_also_linked` / `find_with_linked`.
#[derive(Debug)]
pub struct LatestVersionLink;

impl Linked for LatestVersionLink {
    type FromEntity = Entity;
    type ToEntity = super::skill_versions::Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::LatestVersion.def()]
    }
}

impl ActiveModelBehavior for ActiveModel {}
