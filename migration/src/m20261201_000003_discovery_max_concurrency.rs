//! `discovery_sources.max_concurrency`: how many `SyncRepository` children one run of the
//! source keeps going at once (1 to 20, default 4, `skilldex_core::discovery`). A column
//! rather than a process setting so the api and every worker, which all rewrite the
//! source's schedule, write the same value.

use sea_orm_migration::prelude::*;

use crate::util::exec;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            r#"
ALTER TABLE discovery_sources
    ADD COLUMN max_concurrency integer NOT NULL DEFAULT 4,
    ADD CONSTRAINT discovery_sources_max_concurrency_check
        CHECK (max_concurrency BETWEEN 1 AND 20);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "ALTER TABLE IF EXISTS discovery_sources DROP COLUMN IF EXISTS max_concurrency;",
        )
        .await
    }
}
