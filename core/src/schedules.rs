//! Scheduled discovery as Temporal Schedules: one schedule `discovery:{key}` per enabled
//! `discovery_sources` row, starting the `Discovery` workflow every `interval_seconds`.
//!
//! [`sync_schedules`] is idempotent: it creates missing schedules, rewrites existing ones
//! from their row (interval, query, limits, concurrency), and deletes the `discovery:*`
//! schedules of this task queue whose source is gone or disabled. Schedules of other task queues are left
//! alone, so workers of different deployments (or tests) sharing a namespace do not fight.

use std::{collections::BTreeMap, time::Duration};

use crate::{
    discovery::{
        DiscoveryInput, DiscoveryKind, SCHEDULE_PREFIX, concurrency_of, discovery_schedule_id,
    },
    workflows::Discovery,
};
use anyhow::Context;
use futures::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use temporalio_client::{
    Client,
    schedules::{
        CreateScheduleOptions, ListSchedulesOptions, ScheduleAction, ScheduleDescriptionAction,
        ScheduleError, ScheduleOverlapPolicy, ScheduleSpec,
    },
    tonic::Code,
};

/// Scheduled runs missed by more than this (worker or Temporal down) are skipped, not
/// caught up.
const CATCHUP_WINDOW: Duration = Duration::from_secs(10 * 60);

/// What [`sync_schedules`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleSync {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub deleted: Vec<String>,
}

/// An enabled source as its schedule needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Source {
    key: String,
    interval: Duration,
    input: DiscoveryInput,
}

async fn enabled_sources(db: &DatabaseConnection) -> anyhow::Result<Vec<Source>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT key, kind, query, interval_seconds, max_repositories, max_concurrency \
             FROM discovery_sources WHERE enabled ORDER BY key",
        ))
        .await
        .context("reading discovery_sources")?;
    let mut sources = Vec::new();
    for row in rows {
        let key: String = row.try_get("", "key")?;
        let kind: String = row.try_get("", "kind")?;
        let query: String = row.try_get("", "query")?;
        let interval: i32 = row.try_get("", "interval_seconds")?;
        let max: Option<i32> = row.try_get("", "max_repositories")?;
        let concurrency: i32 = row.try_get("", "max_concurrency")?;
        let Some(kind) = DiscoveryKind::parse(&kind) else {
            tracing::warn!(%key, %kind, "discovery source of unknown kind; no schedule");
            continue;
        };
        sources.push(Source {
            interval: Duration::from_secs(u64::try_from(interval.max(1)).unwrap_or(1)),
            input: DiscoveryInput {
                source_key: key.clone(),
                kind,
                query,
                max_repositories: max.and_then(|m| u32::try_from(m).ok()),
                max_concurrency: concurrency_of(concurrency),
                trigger: crate::sync::SyncTrigger::Schedule,
            },
            key,
        });
    }
    Ok(sources)
}

fn action(source: &Source, task_queue: &str) -> ScheduleAction {
    ScheduleAction::start_workflow(
        Discovery,
        source.input.clone(),
        task_queue,
        discovery_schedule_id(&source.key),
    )
}

fn is_code(error: &ScheduleError, code: Code) -> bool {
    matches!(error, ScheduleError::Rpc(status) if status.code() == code)
}

/// Makes the schedules of `task_queue` match the enabled rows of `discovery_sources`.
pub async fn sync_schedules(
    client: &Client,
    db: &DatabaseConnection,
    task_queue: &str,
) -> anyhow::Result<ScheduleSync> {
    let sources = enabled_sources(db).await?;
    let mut report = ScheduleSync::default();
    let wanted: BTreeMap<String, &Source> = sources
        .iter()
        .map(|s| (discovery_schedule_id(&s.key), s))
        .collect();

    for (id, source) in &wanted {
        let handle = client.get_schedule_handle(id.clone());
        let exists = match handle.describe(Default::default()).await {
            Ok(_) => true,
            Err(e) if is_code(&e, Code::NotFound) => false,
            Err(e) => return Err(e).with_context(|| format!("describing schedule {id}")),
        };
        if !exists {
            let created = client
                .create_schedule(
                    id.clone(),
                    CreateScheduleOptions::builder()
                        .action(action(source, task_queue))
                        .spec(ScheduleSpec::from_interval(source.interval))
                        .overlap_policy(ScheduleOverlapPolicy::Skip)
                        .note(format!("discovery source `{}`", source.key))
                        .build(),
                )
                .await;
            match created {
                Ok(_) => report.created.push(id.clone()),
                // Another worker created it meanwhile: update it below like any other.
                Err(e) if is_code(&e, Code::AlreadyExists) => {}
                Err(e) => return Err(e).with_context(|| format!("creating schedule {id}")),
            }
        }
        let action = action(source, task_queue);
        let interval = source.interval;
        handle
            .update(
                move |u| {
                    u.set_spec(ScheduleSpec::from_interval(interval))
                        .set_action(action)
                        .set_overlap_policy(ScheduleOverlapPolicy::Skip)
                        .set_catchup_window(CATCHUP_WINDOW);
                },
                Default::default(),
            )
            .await
            .with_context(|| format!("updating schedule {id}"))?;
        if exists {
            report.updated.push(id.clone());
        }
    }

    // Listing is eventually consistent: a schedule deleted a moment ago may still be
    // listed (deleting it again finds nothing), one created a moment ago may be missing
    // (it is wanted, so it is not deleted anyway).
    let mut listed = Vec::new();
    let mut stream = client.list_schedules(ListSchedulesOptions::default());
    while let Some(entry) = stream.next().await {
        let entry = entry.context("listing schedules")?;
        let id = entry.schedule_id();
        if id.starts_with(SCHEDULE_PREFIX) && !wanted.contains_key(id) {
            listed.push(id.to_string());
        }
    }
    for id in listed {
        let handle = client.get_schedule_handle(id.clone());
        let description = match handle.describe(Default::default()).await {
            Ok(d) => d,
            Err(e) if is_code(&e, Code::NotFound) => continue,
            Err(e) => return Err(e).with_context(|| format!("describing schedule {id}")),
        };
        let ScheduleDescriptionAction::StartWorkflow(start) = description.action() else {
            continue;
        };
        if start.task_queue() != task_queue || start.workflow_type() != Discovery::NAME {
            continue;
        }
        match handle.delete(Default::default()).await {
            Ok(()) => report.deleted.push(id),
            Err(e) if is_code(&e, Code::NotFound) => {}
            Err(e) => return Err(e).with_context(|| format!("deleting schedule {id}")),
        }
    }
    Ok(report)
}
