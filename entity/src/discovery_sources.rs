//! `discovery_sources`: what the scheduled `Discovery` workflow scans. `key` is a unique slug
//! (`^[a-z0-9][a-z0-9_-]*$`, at most 64 chars) used in workflow ids
//! (`discovery:{key}:{time}`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::DiscoveryKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "discovery_sources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text", unique)]
    pub key: String,
    pub kind: DiscoveryKind,
    /// Search query, or `owner/name` for `marketplace` sources.
    #[sea_orm(column_type = "Text")]
    pub query: String,
    pub enabled: bool,
    /// Schedule interval; CHECKed `> 0`.
    pub interval_seconds: i32,
    /// Upper bound of repositories per run (`> 0` when set).
    pub max_repositories: Option<i32>,
    /// `SyncRepository` children a run keeps going at once; CHECKed 1 to 20, default 4.
    pub max_concurrency: i32,
    pub last_run_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_workflow_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::registration_requests::Entity")]
    RegistrationRequests,
}

impl Related<super::registration_requests::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RegistrationRequests.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
