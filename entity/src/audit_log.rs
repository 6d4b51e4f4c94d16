//! `audit_log`: append-only record of administrative actions. `id` is a `bigint` identity.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `ON DELETE SET NULL`; `actor_name` keeps who it was.
    pub actor_user_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub actor_name: Option<String>,
    /// Dotted verb, e.g. `repository.sync`, `skill_version.yank`, `blacklist.add`.
    #[sea_orm(column_type = "Text")]
    pub action: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub target_type: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub target_id: Option<String>,
    /// A JSON object.
    #[sea_orm(column_type = "JsonBinary")]
    pub details: Json,
    #[sea_orm(column_type = "Text", nullable)]
    pub request_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ActorUserId",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    Actor,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Actor.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
