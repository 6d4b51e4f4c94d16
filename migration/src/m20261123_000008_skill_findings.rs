//! `skills.findings`: the latest validation findings of each skill.
//!
//! A skill with error findings is not published, so it has no `skill_versions` row to hold
//! them; the index keeps the findings of the skill's latest commit here instead (same shape
//! as `skill_versions.findings`: a JSON array of `{severity, code, message, file, line,
//! field}`).

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
ALTER TABLE skills
    ADD COLUMN findings jsonb NOT NULL DEFAULT '[]'::jsonb,
    ADD CONSTRAINT skills_findings_check CHECK (jsonb_typeof(findings) = 'array');
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping the column drops its CHECK constraint too.
        exec(
            manager,
            "ALTER TABLE IF EXISTS skills DROP COLUMN IF EXISTS findings;",
        )
        .await
    }
}
