//! A worker process killed with SIGKILL in the middle of a sync, then restarted: the
//! workflow completes with exactly one version per skill and nothing orphaned or duplicated.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Statement};
use sha2::{Digest, Sha256};
use skilldex_core::{
    storage::ObjectStore,
    sync::{RepoName, SyncInput, SyncTrigger, archive_key},
    workflows::{SyncRepository, sync_start_options},
};
use skilldex_test_support::{
    fake_github::{FakeGithub, FakeRepo, fixtures::valid_skill_md},
    migrated_database, s3_settings, scalar, temporal_settings, unique_owner,
};
use temporalio_client::WorkflowGetResultOptions;

const SKILLS: usize = 120;

/// A repository big enough that building it takes a few seconds in a debug build, so the
/// kill lands inside the build activity.
fn big_repo(owner: &str) -> FakeRepo {
    let mut files: Vec<(String, Vec<u8>, u32)> = Vec::new();
    let mut seed: u64 = 0x5eed;
    for i in 0..SKILLS {
        let name = format!("skill-{i:03}");
        files.push((
            format!("skills/{name}/SKILL.md"),
            valid_skill_md(&name).into_bytes(),
            0o644,
        ));
        // Poorly compressible data makes gzip work for its living.
        let data: Vec<u8> = (0..256 * 1024)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed & 0xff) as u8
            })
            .collect();
        files.push((format!("skills/{name}/assets/data.bin"), data, 0o644));
    }
    FakeRepo::from_files(owner, "big", files)
}

/// A worker process that is killed when dropped, so a failing test leaves none behind.
struct WorkerProcess(Child);

impl WorkerProcess {
    fn sigkill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.sigkill();
    }
}

fn spawn_worker(
    db_url: &str,
    github: &str,
    queue: &str,
    work_dir: &std::path::Path,
) -> WorkerProcess {
    let temporal = temporal_settings(queue);
    let s3 = s3_settings();
    Command::new(env!("CARGO_BIN_EXE_skilldex-worker"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SKILLDEX_DATABASE_URL", db_url)
        .env("SKILLDEX_TEMPORAL_ADDRESS", temporal.address.as_str())
        .env("SKILLDEX_TEMPORAL_TASK_QUEUE", queue)
        .env(
            "SKILLDEX_S3_ENDPOINT",
            s3.endpoint.as_ref().expect("endpoint").as_str(),
        )
        .env("SKILLDEX_S3_BUCKET", &s3.bucket)
        .env("SKILLDEX_S3_REGION", &s3.region)
        .env("SKILLDEX_S3_ACCESS_KEY", &s3.access_key)
        .env("SKILLDEX_S3_SECRET_KEY", &s3.secret_key)
        .env("SKILLDEX_GITHUB_API_URL", github)
        .env("SKILLDEX_WORKER_WORK_DIR", work_dir)
        .env("SKILLDEX_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map(WorkerProcess)
        .expect("start skilldex-worker")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_sync_then_restart_completes_without_duplicates() {
    let owner = unique_owner("faulty");
    let fake = FakeGithub::builder().repo(big_repo(&owner)).start().await;
    let db = migrated_database().await;
    let queue = format!("test-fault-{}", uuid::Uuid::new_v4().simple());
    let work_dir = tempfile::tempdir().unwrap();
    let github = fake.base_url().to_string();

    let mut worker = spawn_worker(&db.url, &github, &queue, work_dir.path());
    let client = skilldex_core::temporal::connect(
        &temporal_settings(&queue),
        "fault-test",
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    let repo = RepoName::new(owner.clone(), "big").unwrap();
    let input = SyncInput {
        repo: repo.clone(),
        trigger: SyncTrigger::Admin,
        registration_id: None,
        force: false,
    };
    let handle = client
        .start_workflow(
            SyncRepository,
            input.clone(),
            sync_start_options(&queue, &input),
        )
        .await
        .unwrap();

    // Wait until the sync is under way (repository marked syncing), then give the build
    // activity a moment to get into the archive before killing the process outright.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let syncing = scalar(
            &db.conn,
            "SELECT count(*) FROM repositories WHERE sync_status = 'syncing'",
        )
        .await;
        if syncing == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the sync never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    worker.sigkill();
    assert_eq!(
        scalar(&db.conn, "SELECT count(*) FROM skill_versions").await,
        0,
        "killed before indexing"
    );

    // A new worker process picks the workflow up; the build activity is retried once its
    // heartbeat times out.
    let worker = spawn_worker(&db.url, &github, &queue, work_dir.path());
    let output = tokio::time::timeout(
        Duration::from_secs(180),
        handle.get_result(WorkflowGetResultOptions::default()),
    )
    .await
    .expect("the sync finished after the restart")
    .expect("the sync succeeded");
    drop(worker);

    let index = output.index.expect("indexed");
    assert_eq!(index.new_versions, SKILLS);
    assert_eq!(
        scalar(&db.conn, "SELECT count(*) FROM skills").await,
        SKILLS as i64
    );
    assert_eq!(
        scalar(&db.conn, "SELECT count(*) FROM skill_versions").await,
        SKILLS as i64,
        "exactly one version per skill"
    );
    assert_eq!(
        scalar(
            &db.conn,
            "SELECT count(*) FROM skills WHERE latest_version_id IS NULL"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(&db.conn, "SELECT count(*) FROM skill_files").await,
        2 * SKILLS as i64,
        "each version lists its two files once"
    );
    assert_eq!(
        scalar(&db.conn, "SELECT count(*) FROM repositories").await,
        1
    );

    // Every archive sits under the hash of its own bytes: a retry can reuse an object but
    // never store the same content under a second key.
    let store = ObjectStore::new(&s3_settings());
    let rows = db
        .conn
        .query_all_raw(Statement::from_string(
            db.conn.get_database_backend(),
            "SELECT content_hash, archive_key FROM skill_versions ORDER BY content_hash LIMIT 10",
        ))
        .await
        .unwrap();
    for row in rows {
        let hash: String = row.try_get("", "content_hash").unwrap();
        let key: String = row.try_get("", "archive_key").unwrap();
        assert_eq!(key, archive_key(&hash));
        let bytes = store
            .get_bytes(&key)
            .await
            .unwrap()
            .expect("archive stored");
        assert_eq!(hex::encode(Sha256::digest(&bytes)), hash);
    }
}
