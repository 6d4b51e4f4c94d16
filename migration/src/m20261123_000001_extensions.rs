//! Extensions and shared functions the later migrations rely on.
//!
//! - `pg_trgm`: trigram indexes for typo-tolerant search (`similarity()`, `%`, `word_similarity()`).
//! - `skilldex_touch_updated_at()`: trigger function that sets `updated_at = now()` on every
//!   `UPDATE` that does not set `updated_at` itself.
//!
//! `gen_random_uuid()` is built into PostgreSQL 13+, so `pgcrypto` is not needed.

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
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE OR REPLACE FUNCTION skilldex_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            r#"
DROP FUNCTION IF EXISTS skilldex_touch_updated_at();
DROP EXTENSION IF EXISTS pg_trgm;
"#,
        )
        .await
    }
}
