//! `blacklist`: owners (`repo` null) or single repositories the registry never indexes.
//! Unique on `(lower(owner), coalesce(lower(repo), ''))` (`blacklist_owner_repo_key`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "blacklist")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub owner: String,
    /// `None` blocks every repository of `owner`.
    #[sea_orm(column_type = "Text", nullable)]
    pub repo: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    /// Username of whoever added the entry.
    #[sea_orm(column_type = "Text", nullable)]
    pub created_by: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
