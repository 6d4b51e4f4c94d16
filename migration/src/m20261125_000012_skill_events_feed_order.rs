//! `skill_events.tx`: the transaction that wrote each event, so `GET /api/v1/changes` can
//! serve the feed in an order no later commit can insert into.
//!
//! `seq` comes from a sequence, taken when a row is inserted, not when its transaction
//! commits: a long index transaction can commit event 7 after a reader has already been
//! given event 9 and moved its cursor past 7. The feed therefore orders by `(tx, seq)` and
//! only serves events of transactions older than every transaction still running
//! (`pg_snapshot_xmin(pg_current_snapshot())`): no event can appear before those later.
//! Existing rows get the migration's own transaction id, which keeps their `seq` order.

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
ALTER TABLE skill_events ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX skill_events_feed_idx ON skill_events (tx, seq);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "DROP INDEX IF EXISTS skill_events_feed_idx; \
             ALTER TABLE IF EXISTS skill_events DROP COLUMN IF EXISTS tx;",
        )
        .await
    }
}
