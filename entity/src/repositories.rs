//! `repositories`: source repositories (GitHub today; `host` leaves room for others).
//!
//! Unique on `(lower(host), lower(owner), lower(name))` (index `repositories_host_owner_name_key`).
//! `updated_at` is bumped by a trigger on every update that does not set it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::SyncStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "repositories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Defaults to `github.com`.
    #[sea_orm(column_type = "Text")]
    pub host: String,
    #[sea_orm(column_type = "Text")]
    pub owner: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// The host's numeric repository id (GitHub `id`), survives renames.
    pub remote_id: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub html_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub default_branch: Option<String>,
    pub stars: i32,
    pub forks: i32,
    /// JSON array of topic strings.
    #[sea_orm(column_type = "JsonBinary")]
    pub topics: Json,
    /// SPDX id as reported by the host.
    #[sea_orm(column_type = "Text", nullable)]
    pub license: Option<String>,
    pub archived: bool,
    pub fork: bool,
    pub pushed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_indexed_commit: Option<String>,
    pub last_sync_started_at: Option<DateTimeUtc>,
    pub last_synced_at: Option<DateTimeUtc>,
    pub sync_status: SyncStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error_kind: Option<String>,
    /// Repository-level findings of the last successful sync, a JSON array of `{severity,
    /// code, message, file, line, field}`.
    #[sea_orm(column_type = "JsonBinary")]
    pub problems: Json,
    /// A GitHub `pushed_at` the indexed commit is known to include (discovery skips the
    /// repository while GitHub reports no later push); `None` when unknown.
    pub indexed_pushed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl Model {
    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::skills::Entity")]
    Skills,
    #[sea_orm(has_one = "super::marketplaces::Entity")]
    Marketplace,
    #[sea_orm(has_many = "super::registration_requests::Entity")]
    RegistrationRequests,
}

impl Related<super::skills::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Skills.def()
    }
}

impl Related<super::marketplaces::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Marketplace.def()
    }
}

impl Related<super::registration_requests::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RegistrationRequests.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
