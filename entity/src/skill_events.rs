//! `skill_events`: append-only log of skill publications, yanks and removals, filled by
//! database triggers; read by the change feed. The table's `tx` column (`xid8`, the
//! writing transaction, for the feed's order) has no sea-orm type and is left out here.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "skill_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub skill_id: Uuid,
    #[sea_orm(column_type = "Text", nullable)]
    pub content_hash: Option<String>,
    /// `published`, `yanked`, `unyanked` or `removed`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    pub at: DateTimeUtc,
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
}

impl Related<super::skills::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Skill.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
