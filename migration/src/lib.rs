//! Skilldex database schema, as sea-orm migrations.
//!
//! The migrations are split by concern and applied in order:
//!
//! | migration | creates |
//! |---|---|
//! | `m20261123_000001_extensions` | `pg_trgm`, the `skilldex_touch_updated_at()` trigger function |
//! | `m20261123_000002_repositories` | `repositories` |
//! | `m20261123_000003_skills` | `skills`, `skill_versions`, `skill_files` |
//! | `m20261123_000004_marketplaces` | `marketplaces`, `plugins`, `plugin_skills` |
//! | `m20261123_000005_discovery_and_blacklist` | `discovery_sources`, `blacklist` |
//! | `m20261123_000006_registrations` | `registration_requests` |
//! | `m20261123_000007_accounts_and_audit` | `users`, `api_tokens`, `audit_log` |
//! | `m20261125_000010_refresh_tokens` | `refresh_tokens` |
//! | `m20261201_000002_repository_indexed_pushed_at` | `repositories.indexed_pushed_at` |
//! | `m20261201_000003_discovery_max_concurrency` | `discovery_sources.max_concurrency` |
//!
//! Conventions every table follows:
//! - ids are `uuid` with a `gen_random_uuid()` default (the application may supply its own,
//!   e.g. UUIDv7); `audit_log.id` is a `bigint` identity column.
//! - timestamps are `timestamptz`; `created_at`/`updated_at` default to `now()`, and a
//!   `BEFORE UPDATE` trigger bumps `updated_at` to `now()` unless the update sets it itself.
//! - status-like columns are `text` guarded by a named `CHECK (... IN (...))` constraint; the
//!   allowed values are the `string_value`s of the matching enums in `skilldex-entity`.
//! - constraint and index names follow PostgreSQL's own scheme (`<table>_<columns>_key` for
//!   unique ones, `_idx`, `_check`, `_fkey`), so callers can map violations by name.
//! - every migration has a `down` that removes exactly what its `up` created.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_extensions;
mod m20261123_000002_repositories;
mod m20261123_000003_skills;
mod m20261123_000004_marketplaces;
mod m20261123_000005_discovery_and_blacklist;
mod m20261123_000006_registrations;
mod m20261123_000007_accounts_and_audit;
mod m20261123_000008_skill_findings;
mod m20261125_000009_skill_search_and_events;
mod m20261125_000010_refresh_tokens;
mod m20261125_000011_repository_problems;
mod m20261125_000012_skill_events_feed_order;
mod m20261125_000013_plugin_source_repo;
mod m20261201_000001_skill_name_vector;
mod m20261201_000002_repository_indexed_pushed_at;
mod m20261201_000003_discovery_max_concurrency;

/// Every Skilldex migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_extensions::Migration),
            Box::new(m20261123_000002_repositories::Migration),
            Box::new(m20261123_000003_skills::Migration),
            Box::new(m20261123_000004_marketplaces::Migration),
            Box::new(m20261123_000005_discovery_and_blacklist::Migration),
            Box::new(m20261123_000006_registrations::Migration),
            Box::new(m20261123_000007_accounts_and_audit::Migration),
            Box::new(m20261123_000008_skill_findings::Migration),
            Box::new(m20261125_000009_skill_search_and_events::Migration),
            Box::new(m20261125_000010_refresh_tokens::Migration),
            Box::new(m20261125_000011_repository_problems::Migration),
            Box::new(m20261125_000012_skill_events_feed_order::Migration),
            Box::new(m20261125_000013_plugin_source_repo::Migration),
            Box::new(m20261201_000001_skill_name_vector::Migration),
            Box::new(m20261201_000002_repository_indexed_pushed_at::Migration),
            Box::new(m20261201_000003_discovery_max_concurrency::Migration),
        ]
    }
}

/// Small helpers shared by the migrations.
mod util {
    use sea_orm_migration::{prelude::*, schema};

    /// `uuid NOT NULL PRIMARY KEY DEFAULT gen_random_uuid()`.
    pub fn pk_uuid<T: IntoIden>(col: T) -> ColumnDef {
        schema::uuid(col)
            .primary_key()
            .default(Expr::cust("gen_random_uuid()"))
            .take()
    }

    /// `timestamptz NOT NULL DEFAULT now()`.
    pub fn timestamptz_now<T: IntoIden>(col: T) -> ColumnDef {
        schema::timestamp_with_time_zone(col)
            .default(Expr::cust("now()"))
            .take()
    }

    /// `jsonb NOT NULL DEFAULT '<default>'::jsonb`.
    pub fn jsonb_default<T: IntoIden>(col: T, default: &'static str) -> ColumnDef {
        schema::json_binary(col)
            .default(Expr::cust(format!("'{default}'::jsonb")))
            .take()
    }

    /// `boolean NOT NULL DEFAULT <value>`.
    pub fn bool_default<T: IntoIden>(col: T, value: bool) -> ColumnDef {
        schema::boolean(col).default(value).take()
    }

    /// `integer NOT NULL DEFAULT <value>`.
    pub fn int_default<T: IntoIden>(col: T, value: i32) -> ColumnDef {
        schema::integer(col).default(value).take()
    }

    /// A named table-level CHECK constraint written in SQL.
    pub fn check(name: &'static str, sql: &'static str) -> (&'static str, Expr) {
        (name, Expr::cust(sql))
    }

    /// `CHECK (<column> IN ('a', 'b', ...))`.
    pub fn check_in(name: &'static str, column: &str, values: &[&str]) -> (&'static str, Expr) {
        let list = values
            .iter()
            .map(|v| format!("'{v}'"))
            .collect::<Vec<_>>()
            .join(", ");
        (name, Expr::cust(format!("{column} IN ({list})")))
    }

    /// Runs raw SQL (possibly several statements).
    pub async fn exec(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(sql)
            .await
            .map(|_| ())
    }

    /// Installs the `updated_at` trigger on `table`.
    pub async fn touch_updated_at(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
        exec(
            manager,
            &format!(
                "CREATE TRIGGER {table}_touch_updated_at BEFORE UPDATE ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION skilldex_touch_updated_at()"
            ),
        )
        .await
    }

    /// `DROP TABLE IF EXISTS <table>` (its indexes, constraints and triggers go with it).
    pub async fn drop_table<T: IntoIden + 'static>(
        manager: &SchemaManager<'_>,
        table: T,
    ) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(table).if_exists().to_owned())
            .await
    }
}
