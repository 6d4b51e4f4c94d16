//! `repositories.problems`: repository-level findings of the last successful sync (entries
//! not extracted, such as links or device files; discovery limits reached; an unreadable
//! `marketplace.json`). Same shape as `skills.findings`: a JSON array of `{severity, code,
//! message, file, line, field}`; `[]` when the last sync had none.

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
ALTER TABLE repositories
    ADD COLUMN problems jsonb NOT NULL DEFAULT '[]'::jsonb,
    ADD CONSTRAINT repositories_problems_check CHECK (jsonb_typeof(problems) = 'array');
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "ALTER TABLE IF EXISTS repositories DROP COLUMN IF EXISTS problems;",
        )
        .await
    }
}
