//! `registration_requests`: requests to (re)index a repository and the workflow serving them.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{RegistrationStatus, RegistrationTrigger};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "registration_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Set once the repository row exists (`ON DELETE SET NULL`).
    pub repository_id: Option<Uuid>,
    /// `owner/name` as requested (CHECKed: exactly one `/`, no whitespace).
    #[sea_orm(column_type = "Text")]
    pub repository_full_name: String,
    pub trigger: RegistrationTrigger,
    /// Username, or a description of the automatic requester.
    #[sea_orm(column_type = "Text", nullable)]
    pub requested_by: Option<String>,
    /// The discovery source that found the repository (`trigger = discovery`).
    pub discovery_source_id: Option<Uuid>,
    pub status: RegistrationStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub workflow_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub run_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// The workflow's result (counts, per-skill validation).
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub result: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::repositories::Entity",
        from = "Column::RepositoryId",
        to = "super::repositories::Column::Id",
        on_delete = "SetNull"
    )]
    Repository,
    #[sea_orm(
        belongs_to = "super::discovery_sources::Entity",
        from = "Column::DiscoverySourceId",
        to = "super::discovery_sources::Column::Id",
        on_delete = "SetNull"
    )]
    DiscoverySource,
}

impl Related<super::repositories::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Repository.def()
    }
}

impl Related<super::discovery_sources::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DiscoverySource.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
