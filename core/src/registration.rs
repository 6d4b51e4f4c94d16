//! Registering a repository for indexing: the path the api takes for `POST /repositories`.
//!
//! A registration is a `registration_requests` row that follows one `SyncRepository` run:
//! `queued` when recorded, `running` when the run starts working, `succeeded`/`failed` when
//! it ends. Rows are tied to runs by workflow id (`sync:github.com/{owner}/{repo}`), so a
//! registration that arrives while a sync of the same repository is already running (from a
//! schedule, say) joins that run instead of starting a second one, and that run finishes it:
//! the row is announced with signal-with-start ([`RegistrationJoined`]), and a run finishes
//! its registrations again whenever one joined after it last did.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait, Value as DbValue,
};
use serde_json::Value;
use temporalio_client::Client;
use uuid::Uuid;

use crate::{
    index,
    sync::{RepoName, SyncInput, SyncTrigger},
    workflows::{JoinedRegistration, RegistrationJoined, SyncRepository, sync_start_options},
};

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("{0} is blacklisted and cannot be registered")]
    Blacklisted(String),
    #[error("recording the registration of {repository} failed: {source}")]
    Database {
        repository: String,
        #[source]
        source: DbErr,
    },
    #[error("checking the blacklist for {repository} failed: {message}")]
    Blacklist { repository: String, message: String },
    #[error("starting the sync of {repository} failed: {message}")]
    Temporal { repository: String, message: String },
}

/// A registration as the api reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: Uuid,
    pub workflow_id: String,
    pub status: String,
    /// The repository already had an unfinished registration; this is that one.
    pub existing: bool,
}

/// Records a registration of `repo` and starts its sync, or returns the unfinished
/// registration of the same repository (one sync per repository at a time).
pub async fn register(
    db: &DatabaseConnection,
    client: &Client,
    task_queue: &str,
    repo: &RepoName,
    trigger: SyncTrigger,
    requested_by: Option<&str>,
) -> Result<Registration, RegistrationError> {
    register_with(db, client, task_queue, repo, trigger, requested_by, false).await
}

/// [`register`], with `force` rebuilding even when HEAD is already indexed (admin resync).
/// A registration that joins a running sync does not change how that sync runs.
pub async fn register_with(
    db: &DatabaseConnection,
    client: &Client,
    task_queue: &str,
    repo: &RepoName,
    trigger: SyncTrigger,
    requested_by: Option<&str>,
    force: bool,
) -> Result<Registration, RegistrationError> {
    let repository = repo.full_name();
    let blacklisted =
        index::is_blacklisted(db, repo)
            .await
            .map_err(|e| RegistrationError::Blacklist {
                repository: repository.clone(),
                message: e.to_string(),
            })?;
    if blacklisted {
        return Err(RegistrationError::Blacklisted(repository));
    }
    let workflow_id = repo.sync_workflow_id();
    let db_err = |source| RegistrationError::Database {
        repository: repository.clone(),
        source,
    };

    // The lock makes "find an unfinished registration, else insert one" atomic per
    // repository, so two simultaneous requests cannot both start a sync.
    let txn = db.begin().await.map_err(db_err)?;
    txn.execute_raw(Statement::from_sql_and_values(
        txn.get_database_backend(),
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        [workflow_id.clone().into()],
    ))
    .await
    .map_err(db_err)?;
    let existing = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "SELECT id, status FROM registration_requests \
             WHERE workflow_id = $1 AND status IN ('queued', 'running') \
             ORDER BY created_at LIMIT 1",
            [workflow_id.clone().into()],
        ))
        .await
        .map_err(db_err)?;
    if let Some(row) = existing {
        let id: Uuid = row.try_get("", "id").map_err(db_err)?;
        let status: String = row.try_get("", "status").map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        return Ok(Registration {
            id,
            workflow_id,
            status,
            existing: true,
        });
    }
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "INSERT INTO registration_requests \
             (repository_full_name, trigger, requested_by, status, workflow_id) \
             VALUES ($1, $2, $3, 'queued', $4) RETURNING id",
            [
                repository.clone().into(),
                trigger.as_str().into(),
                DbValue::from(requested_by.map(str::to_owned)),
                workflow_id.clone().into(),
            ],
        ))
        .await
        .map_err(db_err)?
        .ok_or_else(|| db_err(DbErr::RecordNotInserted))?;
    let id: Uuid = row.try_get("", "id").map_err(db_err)?;
    txn.commit().await.map_err(db_err)?;

    let input = SyncInput {
        repo: repo.clone(),
        trigger,
        registration_id: Some(id),
        force,
    };
    // Signal-with-start is atomic: with no open run of the workflow id a new one starts;
    // with one open (a schedule's, say, or one that already recorded its registrations and
    // is about to close) the row joins it and the signal makes it finish the row before it
    // closes. Either way some run answers the row.
    let started = client
        .signal_with_start_workflow(
            SyncRepository,
            input.clone(),
            RegistrationJoined,
            JoinedRegistration {
                registration_id: id,
            },
            sync_start_options(task_queue, &input),
        )
        .await;
    match started {
        Ok(_) => Ok(Registration {
            id,
            workflow_id,
            status: "queued".into(),
            existing: false,
        }),
        Err(e) => {
            let message = e.to_string();
            finish_one(
                db,
                id,
                Outcome::Failed {
                    error: format!("the sync could not be started: {message}"),
                },
            )
            .await
            .map_err(db_err)?;
            Err(RegistrationError::Temporal {
                repository,
                message,
            })
        }
    }
}

/// Marks the queued registrations of a workflow as running.
pub async fn start(
    db: &impl ConnectionTrait,
    workflow_id: &str,
    run_id: &str,
) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE registration_requests \
         SET status = 'running', run_id = $2, started_at = coalesce(started_at, now()) \
         WHERE workflow_id = $1 AND status = 'queued'",
        [workflow_id.into(), run_id.into()],
    ))
    .await
    .map(|_| ())
}

/// How a sync ended, for its registrations.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded {
        repository_id: Option<Uuid>,
        result: Value,
    },
    Failed {
        error: String,
    },
}

/// Finishes every unfinished registration of a workflow. Finished rows are never touched,
/// so a retried activity cannot rewrite history.
pub async fn finish(
    db: &impl ConnectionTrait,
    workflow_id: &str,
    outcome: Outcome,
) -> Result<u64, DbErr> {
    finish_where(db, "workflow_id = $1", workflow_id.into(), outcome).await
}

/// Finishes one registration, if it is unfinished (its sync could not be started).
pub async fn finish_one(
    db: &impl ConnectionTrait,
    id: Uuid,
    outcome: Outcome,
) -> Result<u64, DbErr> {
    finish_where(db, "id = $1", id.into(), outcome).await
}

async fn finish_where(
    db: &impl ConnectionTrait,
    rows: &str,
    key: DbValue,
    outcome: Outcome,
) -> Result<u64, DbErr> {
    let (status, error, result, repository_id) = match outcome {
        Outcome::Succeeded {
            repository_id,
            result,
        } => ("succeeded", None, Some(result), repository_id),
        Outcome::Failed { error } => {
            let error: String = error.chars().take(index::MAX_ERROR_CHARS).collect();
            ("failed", Some(error), None, None)
        }
    };
    let done = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "UPDATE registration_requests \
                 SET status = $2, error = $3, result = coalesce($4, result), \
                     repository_id = coalesce($5, repository_id), \
                     started_at = coalesce(started_at, now()), finished_at = now() \
                 WHERE {rows} AND status IN ('queued', 'running')"
            ),
            [
                key,
                status.into(),
                DbValue::from(error),
                DbValue::from(result),
                DbValue::from(repository_id),
            ],
        ))
        .await?;
    Ok(done.rows_affected())
}
