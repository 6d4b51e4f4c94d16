//! `skill_files`: the files inside one skill version's archive. Primary key
//! `(version_id, path)`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "skill_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub version_id: Uuid,
    /// Path relative to the skill folder, `/`-separated (e.g. `scripts/run.py`).
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub path: String,
    pub size: i64,
    /// Lower-case hex SHA-256 of the file (CHECKed).
    #[sea_orm(column_type = "Text")]
    pub sha256: String,
    /// Defaults to `application/octet-stream`.
    #[sea_orm(column_type = "Text")]
    pub content_type: String,
    pub executable: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::skill_versions::Entity",
        from = "Column::VersionId",
        to = "super::skill_versions::Column::Id",
        on_delete = "Cascade"
    )]
    Version,
}

impl Related<super::skill_versions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Version.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
