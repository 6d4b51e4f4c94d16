//! `skill_versions`: immutable published versions of a skill, content-addressed.
//!
//! Unique on `(skill_id, content_hash)` (`skill_versions_skill_id_content_hash_key`). A
//! trigger rejects updates to any column except `yanked`, `yanked_reason` and `yanked_at`
//! (SQLSTATE 23000), and a CHECK requires `yanked_at` to be set exactly when `yanked`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "skill_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub skill_id: Uuid,
    /// Lower-case hex SHA-256 (64 chars, CHECKed) of the reproducible skill archive.
    #[sea_orm(column_type = "Text")]
    pub content_hash: String,
    /// Commit the version was built from.
    #[sea_orm(column_type = "Text")]
    pub commit_sha: String,
    /// S3 object key of the archive.
    #[sea_orm(column_type = "Text")]
    pub archive_key: String,
    pub archive_size: i64,
    pub file_count: i32,
    /// Parsed `SKILL.md` front matter (a JSON object).
    #[sea_orm(column_type = "JsonBinary")]
    pub frontmatter: Json,
    /// `SKILL.md` Markdown body (after the front matter).
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// JSON array of `{severity, code, message, file, line, field}` validation findings;
    /// `severity` is `"error"` or `"warning"`.
    #[sea_orm(column_type = "JsonBinary")]
    pub findings: Json,
    pub error_count: i32,
    pub warning_count: i32,
    pub yanked: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub yanked_reason: Option<String>,
    pub yanked_at: Option<DateTimeUtc>,
    pub published_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::skills::Entity",
        from = "Column::SkillId",
        to = "super::skills::Column::Id",
        on_delete = "Cascade"
    )]
    Skill,
    #[sea_orm(has_many = "super::skill_files::Entity")]
    Files,
}

impl Related<super::skills::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Skill.def()
    }
}

impl Related<super::skill_files::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Files.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
