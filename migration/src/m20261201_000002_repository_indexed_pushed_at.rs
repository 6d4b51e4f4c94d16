//! `repositories.indexed_pushed_at`: a GitHub `pushed_at` that the indexed commit is known
//! to include. Discovery records it when it finds the repository up to date (HEAD equal to
//! `last_indexed_commit`, read after the search reported that `pushed_at`), and skips the
//! repository on later runs while the search still reports a `pushed_at` no later than it:
//! nothing was pushed since, so a `SyncRepository` child would find nothing to do.
//!
//! `NULL` (every row before this migration, and repositories discovery never checked)
//! means unknown: discovery then asks GitHub for HEAD.

use sea_orm_migration::prelude::*;

use crate::util::exec;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "ALTER TABLE repositories ADD COLUMN indexed_pushed_at timestamptz;",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "ALTER TABLE IF EXISTS repositories DROP COLUMN IF EXISTS indexed_pushed_at;",
        )
        .await
    }
}
