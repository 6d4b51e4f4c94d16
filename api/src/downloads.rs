//! Batched download counts. A download only bumps an in-memory counter; a background task
//! adds the counts to `skills.download_count` in one set-based UPDATE every
//! `SKILLDEX_HTTP_DOWNLOAD_FLUSH_MS`, and once more at shutdown. The download path never
//! waits on a database write, and a burst of downloads costs one statement.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use uuid::Uuid;

#[derive(Default)]
pub struct DownloadCounter {
    pending: Mutex<HashMap<Uuid, i64>>,
}

impl DownloadCounter {
    /// Counts one download of `skill_id`.
    pub fn record(&self, skill_id: Uuid) {
        if let Ok(mut pending) = self.pending.lock() {
            *pending.entry(skill_id).or_insert(0) += 1;
        }
    }

    /// Writes the pending counts; on failure they are put back for the next flush.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        let batch: HashMap<Uuid, i64> = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return Ok(0),
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let (ids, counts): (Vec<Uuid>, Vec<i64>) = batch.iter().map(|(k, v)| (*k, *v)).unzip();
        let result = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE skills s SET download_count = s.download_count + d.n \
                 FROM unnest($1::uuid[], $2::bigint[]) AS d(id, n) WHERE s.id = d.id",
                [ids.into(), counts.into()],
            ))
            .await;
        match result {
            Ok(_) => Ok(batch.len()),
            Err(e) => {
                if let Ok(mut pending) = self.pending.lock() {
                    for (id, n) in batch {
                        *pending.entry(id).or_insert(0) += n;
                    }
                }
                Err(e)
            }
        }
    }

    /// Flushes every `interval` until the process ends.
    pub fn spawn_flusher(self: &Arc<Self>, db: DatabaseConnection, interval: Duration) {
        let counter = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(counter) = counter.upgrade() else {
                    return;
                };
                if let Err(e) = counter.flush(&db).await {
                    tracing::warn!(error = %e, "download counts not written yet; retrying");
                }
            }
        });
    }
}
