//! Activities of `SyncRepository`: every GitHub, S3 and PostgreSQL call a sync makes.
//!
//! Failures are classified for Temporal's retry policy: network trouble, 5xx, rate limits
//! and database/storage outages are retryable (rate limits with GitHub's delay); a missing
//! repository, a hostile or oversized archive and other content problems are not, and the
//! workflow records them on the repository.

use std::{
    collections::HashSet,
    io::BufReader,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use skilldex_core::{
    archive::{ExtractLimits, SkippedKind, extract_tar_gz_to_memory},
    build::{LocalArchive, TreeBuild, build_from},
    github::{GithubClient, GithubError},
    index,
    registration::{self, Outcome},
    spec::Finding,
    storage::ObjectStore,
    sync::{BuildManifest, IndexSummary, RepoName, SkillResult},
    tree::MemTreeOptions,
};
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// Failure type names the workflow records as `last_error_kind`.
pub mod failure_kind {
    pub const NOT_FOUND: &str = "not_found";
    pub const BLACKLISTED: &str = "blacklisted";
    pub const INVALID_ARCHIVE: &str = "invalid_archive";
    pub const TOO_LARGE: &str = "too_large";
    pub const GITHUB: &str = "github";
    pub const STORAGE: &str = "storage";
    pub const DATABASE: &str = "database";
    pub const INTERNAL: &str = "internal";
}

/// Limits of one sync.
#[derive(Debug, Clone)]
pub struct SyncLimits {
    /// Largest repository archive downloaded, compressed.
    pub max_archive_bytes: u64,
    pub extract: ExtractLimits,
    /// File contents of an extracted repository held in memory; the rest goes to one
    /// scratch file (see `skilldex_core::tree`).
    pub extract_memory_bytes: u64,
}

impl Default for SyncLimits {
    fn default() -> Self {
        Self {
            max_archive_bytes: 1024 * 1024 * 1024,
            extract: ExtractLimits::github(),
            extract_memory_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Archives at most this big are uploaded without asking S3 first whether they are there:
/// the same key always holds the same bytes, so writing one again is harmless and costs
/// about what the question would.
const PUT_WITHOUT_HEAD_MAX: u64 = 1024 * 1024;

/// Everything the sync activities use; shared by all activity tasks of a worker.
pub struct SyncActivities {
    pub db: DatabaseConnection,
    pub store: ObjectStore,
    pub github: GithubClient,
    /// Scratch space for downloads (and extraction beyond the memory budget); each build
    /// uses its own subfolder.
    pub work_dir: PathBuf,
    pub limits: SyncLimits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadCheck {
    pub head: String,
    pub last_indexed: Option<String>,
    pub blacklisted: bool,
    /// The repository's row, when it has one (an up-to-date sync reports it).
    #[serde(default)]
    pub repository_id: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkStarted {
    pub repo: RepoName,
    pub workflow_id: String,
    pub run_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildRequest {
    pub repo: RepoName,
    pub commit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildOutcome {
    pub manifest_key: String,
    pub archives_uploaded: usize,
    pub archives_reused: usize,
    pub skills: Vec<SkillResult>,
    pub problems: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexRequest {
    pub repo: RepoName,
    pub manifest_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordFailure {
    pub repo: RepoName,
    pub workflow_id: String,
    pub kind: String,
    pub message: String,
    /// False for problems that say nothing about the repository (it is blacklisted): the
    /// registration fails, the repository row is left alone.
    pub record_on_repository: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordSuccess {
    pub workflow_id: String,
    pub repository_id: Option<uuid::Uuid>,
    pub result: serde_json::Value,
    /// The run found the repository indexed at its HEAD, so a failure recorded on it since
    /// (GitHub unreachable, a commit that failed and was reverted) no longer describes it:
    /// clear it (`index::clear_sync_failure`).
    #[serde(default)]
    pub clear_repository_failure: bool,
}

fn non_retryable(kind: &str, message: impl Into<String>) -> ActivityError {
    let message: String = message.into();
    ActivityError::application(
        ApplicationFailure::builder(message)
            .type_name(kind.to_string())
            .non_retryable(true)
            .build(),
    )
}

fn retryable(kind: &str, message: impl Into<String>, delay: Option<Duration>) -> ActivityError {
    let message: String = message.into();
    ActivityError::application(
        ApplicationFailure::builder(message)
            .type_name(kind.to_string())
            .maybe_next_retry_delay(delay)
            .build(),
    )
}

/// A failure of our own machinery (database, storage, scratch space). Users see `public`
/// (on the registration and the repository page); the detail, which may name hosts, SQL or
/// paths, goes to the worker's log only, within the activity's span.
fn internal_failure(kind: &str, public: &str, detail: impl std::fmt::Display) -> ActivityError {
    tracing::error!(kind, error = %detail, "{public}");
    retryable(kind, public, None)
}

fn github_failure(error: &GithubError) -> ActivityError {
    let message = error.to_string();
    match error {
        GithubError::NotFound { .. } => non_retryable(failure_kind::NOT_FOUND, message),
        GithubError::TooLarge { .. } => non_retryable(failure_kind::TOO_LARGE, message),
        e if e.is_retryable() => retryable(failure_kind::GITHUB, message, e.retry_after()),
        _ => non_retryable(failure_kind::GITHUB, message),
    }
}

/// Database errors the activities meet: their own or wrapped by the index.
trait DatabaseError: std::fmt::Display {
    fn is_transient(&self) -> bool;
}

impl DatabaseError for sea_orm::DbErr {
    fn is_transient(&self) -> bool {
        index::is_transient(self)
    }
}

impl DatabaseError for index::IndexError {
    fn is_transient(&self) -> bool {
        self.is_retryable()
    }
}

/// A transient database error is retried; one PostgreSQL refuses for its data (or a
/// manifest the index refuses) fails the step at once.
fn db_failure(error: impl DatabaseError) -> ActivityError {
    if error.is_transient() {
        return internal_failure(
            failure_kind::DATABASE,
            "the index database could not complete the sync",
            error,
        );
    }
    tracing::error!(error = %error, "the index refused a write");
    non_retryable(
        failure_kind::DATABASE,
        "the index refused the sync's writes; the worker's log has the details",
    )
}

fn storage_failure(error: impl std::fmt::Display) -> ActivityError {
    internal_failure(
        failure_kind::STORAGE,
        "the archive storage could not complete the sync",
        error,
    )
}

fn scratch_failure(error: impl std::fmt::Display) -> ActivityError {
    internal_failure(
        failure_kind::INTERNAL,
        "the worker's scratch space could not complete the sync",
        error,
    )
}

/// Runs `work` while heartbeating every few seconds, so Temporal notices a dead worker
/// within the heartbeat timeout instead of the whole start-to-close timeout.
async fn with_heartbeat<T>(ctx: &ActivityContext, work: impl std::future::Future<Output = T>) -> T {
    tokio::pin!(work);
    let mut ticker = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            output = &mut work => return output,
            _ = ticker.tick() => {
                if let Err(e) = ctx.record_heartbeat(()).await {
                    tracing::warn!(error = %e, "heartbeat failed");
                }
            }
        }
    }
}

#[activities]
impl SyncActivities {
    /// HEAD of the default branch (one GitHub call), the last indexed commit and the
    /// blacklist: everything needed to decide whether to sync, without writing anything.
    #[activity]
    pub async fn check_head(
        self: Arc<Self>,
        _ctx: ActivityContext,
        repo: RepoName,
    ) -> Result<HeadCheck, ActivityError> {
        let blacklisted = index::is_blacklisted(&self.db, &repo)
            .await
            .map_err(db_failure)?;
        if blacklisted {
            return Ok(HeadCheck {
                head: String::new(),
                last_indexed: None,
                blacklisted,
                repository_id: None,
            });
        }
        let head = self
            .github
            .head_commit(&repo.owner, &repo.name, "HEAD")
            .await
            .map_err(|e| github_failure(&e))?;
        let state = index::indexed_state(&self.db, &repo)
            .await
            .map_err(db_failure)?;
        Ok(HeadCheck {
            head,
            last_indexed: state.as_ref().and_then(|(_, commit)| commit.clone()),
            blacklisted,
            repository_id: state.map(|(id, _)| id),
        })
    }

    /// Marks the repository as syncing and the registrations this run answers as running.
    #[activity]
    pub async fn mark_started(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: MarkStarted,
    ) -> Result<(), ActivityError> {
        index::mark_sync_started(&self.db, &input.repo)
            .await
            .map_err(db_failure)?;
        registration::start(&self.db, &input.workflow_id, &input.run_id)
            .await
            .map_err(db_failure)?;
        Ok(())
    }

    /// Downloads the repository at `commit`, extracts it safely, builds every skill,
    /// uploads new archives (content-addressed, existing ones are skipped) and stores the
    /// build manifest next to them.
    #[activity]
    pub async fn build(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: BuildRequest,
    ) -> Result<BuildOutcome, ActivityError> {
        let this = self.clone();
        with_heartbeat(&ctx, async move { this.build_inner(input).await }).await
    }

    /// Writes the manifest of a build to PostgreSQL in one transaction. Runs as a local
    /// activity (no heartbeat): one bounded, set-based transaction.
    #[activity]
    pub async fn index(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: IndexRequest,
    ) -> Result<IndexSummary, ActivityError> {
        let bytes = self
            .store
            .get_bytes(&input.manifest_key)
            .await
            .map_err(storage_failure)?
            .ok_or_else(|| {
                retryable(
                    failure_kind::STORAGE,
                    format!("build manifest {} is missing", input.manifest_key),
                    None,
                )
            })?;
        let manifest: BuildManifest = serde_json::from_slice(&bytes).map_err(|e| {
            non_retryable(
                failure_kind::INTERNAL,
                format!("build manifest {} is unreadable: {e}", input.manifest_key),
            )
        })?;
        index::index_build(&self.db, &manifest)
            .await
            .map_err(db_failure)
    }

    /// Records a failed sync on the repository and the registrations this run answers.
    #[activity]
    pub async fn record_failure(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: RecordFailure,
    ) -> Result<(), ActivityError> {
        if input.record_on_repository {
            index::mark_sync_failed(&self.db, &input.repo, &input.kind, &input.message)
                .await
                .map_err(db_failure)?;
        }
        registration::finish(
            &self.db,
            &input.workflow_id,
            Outcome::Failed {
                error: format!("{}: {}", input.kind, input.message),
            },
        )
        .await
        .map_err(db_failure)?;
        Ok(())
    }

    /// Marks the registrations this run answers succeeded, with the sync's result.
    #[activity]
    pub async fn record_success(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: RecordSuccess,
    ) -> Result<(), ActivityError> {
        if let (true, Some(repository_id)) = (input.clear_repository_failure, input.repository_id) {
            index::clear_sync_failure(&self.db, repository_id)
                .await
                .map_err(db_failure)?;
        }
        registration::finish(
            &self.db,
            &input.workflow_id,
            Outcome::Succeeded {
                repository_id: input.repository_id,
                result: input.result,
            },
        )
        .await
        .map(|_| ())
        .map_err(db_failure)
    }
}

impl SyncActivities {
    /// Uploads the archives S3 does not hold yet; returns (uploaded, already there). An
    /// archive some version in the index points at is there (it was uploaded before the
    /// version was indexed, and archives are never deleted), so only new hashes cost a
    /// request.
    async fn upload(&self, archives: &[LocalArchive]) -> Result<(usize, usize), ActivityError> {
        let hashes: Vec<String> = archives.iter().map(|a| a.content_hash.clone()).collect();
        let indexed: HashSet<String> = index::indexed_archives(&self.db, &hashes)
            .await
            .map_err(db_failure)?;
        let (mut uploaded, mut reused) = (0, 0);
        for archive in archives {
            let key = skilldex_core::sync::archive_key(&archive.content_hash);
            if indexed.contains(&archive.content_hash) {
                reused += 1;
                continue;
            }
            let small = archive.size().is_some_and(|n| n <= PUT_WITHOUT_HEAD_MAX);
            if !small && self.store.exists(&key).await.map_err(storage_failure)? {
                reused += 1;
                continue;
            }
            archive.upload(&self.store).await.map_err(storage_failure)?;
            uploaded += 1;
        }
        Ok((uploaded, reused))
    }

    async fn build_inner(&self, input: BuildRequest) -> Result<BuildOutcome, ActivityError> {
        let repo = &input.repo;
        let meta = self
            .github
            .repository(&repo.owner, &repo.name)
            .await
            .map_err(|e| github_failure(&e))?;

        tokio::fs::create_dir_all(&self.work_dir)
            .await
            .map_err(scratch_failure)?;
        let scratch = tempfile::Builder::new()
            .prefix("sync-")
            .tempdir_in(&self.work_dir)
            .map_err(scratch_failure)?;
        let tarball = scratch.path().join("repository.tar.gz");
        self.github
            .download_tarball(
                &repo.owner,
                &repo.name,
                &input.commit,
                &tarball,
                self.limits.max_archive_bytes,
            )
            .await
            .map_err(|e| github_failure(&e))?;

        let limits = self.limits.extract.clone();
        let memory = MemTreeOptions {
            memory_bytes: self.limits.extract_memory_bytes,
            ..MemTreeOptions::new(scratch.path())
        };
        let out = scratch.path().join("archives");
        let repo_name = meta.name.clone();
        let built = tokio::task::spawn_blocking(move || {
            extract_and_build(&tarball, memory, &out, &repo_name, &limits)
        })
        .await
        .map_err(scratch_failure)??;

        let (uploaded, reused) = self.upload(&built.archives).await?;
        let skills = built
            .skills
            .iter()
            .map(|s| SkillResult {
                path: s.path.clone(),
                name: s.name.clone(),
                errors: s.error_count(),
                warnings: s.warning_count(),
                content_hash: s.archive.as_ref().map(|a| a.content_hash.clone()),
            })
            .collect();
        let problems = built.problems.clone();
        let manifest = BuildManifest {
            repo: meta,
            commit: input.commit.clone(),
            skills: built.skills,
            marketplace: built.marketplace,
            problems: built.problems,
        };
        let manifest_key = BuildManifest::key(repo, &input.commit);
        let json = serde_json::to_vec(&manifest)
            .map_err(|e| non_retryable(failure_kind::INTERNAL, format!("manifest: {e}")))?;
        self.store
            .put_bytes(&manifest_key, json, "application/json")
            .await
            .map_err(storage_failure)?;
        tracing::info!(repository = %repo, commit = %input.commit, uploaded, reused, "build finished");
        Ok(BuildOutcome {
            manifest_key,
            archives_uploaded: uploaded,
            archives_reused: reused,
            skills,
            problems,
        })
    }
}

/// Extracts the download into memory (spilling past the budget) and builds every skill.
fn extract_and_build(
    tarball: &Path,
    memory: MemTreeOptions,
    out: &Path,
    repo_name: &str,
    limits: &ExtractLimits,
) -> Result<TreeBuild, ActivityError> {
    let file = std::fs::File::open(tarball).map_err(scratch_failure)?;
    let (tree, report) =
        extract_tar_gz_to_memory(BufReader::new(file), limits, memory).map_err(|e| {
            if e.is_archive_fault() {
                non_retryable(
                    failure_kind::INVALID_ARCHIVE,
                    format!("the repository archive was rejected ({}): {e}", e.code()),
                )
            } else {
                scratch_failure(e)
            }
        })?;
    tracing::debug!(
        files = report.files,
        in_memory = tree.memory_bytes(),
        spilled = tree.spilled_bytes(),
        "repository extracted"
    );
    let mut built = build_from(&tree, repo_name, out).map_err(scratch_failure)?;
    // Links and special files are never created; the author should still hear about them,
    // and an entry reaching outside the repository is an error of its own.
    built.problems.extend(report.skipped.iter().map(|entry| {
        if entry.escapes_tree() {
            Finding::error(
                ARCHIVE_ENTRY_REJECTED,
                format!(
                    "rejected: {}, which reaches outside the repository",
                    describe_skipped(&entry.kind)
                ),
                entry.path.clone(),
            )
        } else {
            Finding::warning(
                ARCHIVE_ENTRY_SKIPPED,
                format!("not extracted: {}", describe_skipped(&entry.kind)),
                entry.path.clone(),
            )
        }
    }));
    Ok(built)
}

/// Finding code for an archive entry that was deliberately not extracted.
pub const ARCHIVE_ENTRY_SKIPPED: &str = "archive_entry_skipped";
/// Finding code for a link or device reaching outside the repository: never created, and
/// reported as an error.
pub const ARCHIVE_ENTRY_REJECTED: &str = "archive_entry_rejected";

fn describe_skipped(kind: &SkippedKind) -> String {
    match kind {
        SkippedKind::Symlink { target } => format!("symbolic link to {target}"),
        SkippedKind::Hardlink { target } => format!("hard link to {target}"),
        SkippedKind::CharDevice => "character device".into(),
        SkippedKind::BlockDevice => "block device".into(),
        SkippedKind::Fifo => "named pipe".into(),
        SkippedKind::Unsupported { type_byte } => format!("unsupported entry type {type_byte}"),
        SkippedKind::NonUtf8Path => "path is not UTF-8".into(),
    }
}
