//! A worker process killed with SIGKILL in the middle of a sync, then restarted: the
//! workflow completes with exactly one version per skill and nothing orphaned or duplicated.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Statement};
use sha2::{Digest, Sha256};
use skilldex_core::{
    config::S3Settings,
    storage::ObjectStore,
    sync::{BuildManifest, RepoName, SyncInput, SyncTrigger, archive_key},
    workflows::{SyncRepository, sync_start_options},
};
use skilldex_test_support::{
    fake_github::{FakeGithub, FakeRepo, fixtures::valid_skill_md},
    migrated_database, s3_settings, scalar, temporal_settings, unique_owner,
};
use temporalio_client::WorkflowGetResultOptions;
use temporalio_common::protos::temporal::api::{
    enums::v1::PendingActivityState, history::v1::history_event::Attributes,
};

const SKILLS: usize = 120;

/// A repository big enough that building it takes a few seconds in a debug build. Its data
/// is seeded by the owner, so no earlier run has stored its archives already.
fn big_repo(owner: &str) -> FakeRepo {
    let mut files: Vec<(String, Vec<u8>, u32)> = Vec::new();
    let mut seed: u64 = owner.bytes().fold(0x5eed_u64, |h, b| {
        h.wrapping_mul(31).wrapping_add(u64::from(b))
    }) | 1;
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
    s3: &S3Settings,
) -> WorkerProcess {
    let temporal = temporal_settings(queue);
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

    // A bucket of its own: afterwards it must hold exactly what the index names.
    let mut s3 = s3_settings();
    s3.bucket = format!(
        "skilldex-fault-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let store = ObjectStore::new(&s3);
    store.create_bucket().await.expect("create the test bucket");

    let mut worker = spawn_worker(&db.url, &github, &queue, work_dir.path(), &s3);
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

    // Wait until a worker has really started the build activity (Temporal reports it
    // pending and started), then kill the process outright.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let description = handle
            .describe(Default::default())
            .await
            .expect("describe the sync");
        let building = description.raw().pending_activities.iter().any(|a| {
            a.activity_type
                .as_ref()
                .is_some_and(|t| t.name.ends_with("build"))
                && a.state == PendingActivityState::Started as i32
                && a.attempt == 1
        });
        if building {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the build activity never started: {:?}",
            description.raw().pending_activities
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.sigkill();
    assert_eq!(
        scalar(&db.conn, "SELECT count(*) FROM skill_versions").await,
        0,
        "killed before indexing"
    );

    // A new worker process picks the workflow up; the build activity is retried once its
    // heartbeat times out.
    let worker = spawn_worker(&db.url, &github, &queue, work_dir.path(), &s3);
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

    // The build that finished was a retry of the one the kill interrupted.
    let events = handle
        .fetch_history(Default::default())
        .into_events()
        .await
        .expect("history");
    let build_attempts: Vec<i32> = events
        .iter()
        .filter_map(|e| match &e.attributes {
            Some(Attributes::ActivityTaskStartedEventAttributes(a)) => Some(a.attempt),
            _ => None,
        })
        .collect();
    assert!(
        build_attempts.iter().any(|a| *a >= 2),
        "the build ran again after the kill: attempts {build_attempts:?}"
    );

    // The bucket holds exactly one archive per version, each under the hash of its own
    // bytes, and one build manifest: the killed attempt left no second copy, no object
    // under another key, nothing unreferenced.
    let rows = db
        .conn
        .query_all_raw(Statement::from_string(
            db.conn.get_database_backend(),
            "SELECT content_hash, archive_key FROM skill_versions ORDER BY archive_key",
        ))
        .await
        .unwrap();
    let mut referenced = Vec::new();
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
        referenced.push(key);
    }
    let stored = store.list_keys("skills/").await.expect("list archives");
    assert_eq!(stored.len(), SKILLS, "one object per version");
    assert_eq!(stored, referenced, "no duplicate or orphaned archive");
    let manifests = store
        .list_keys("sync-manifests/")
        .await
        .expect("list manifests");
    assert_eq!(
        manifests,
        [BuildManifest::key(&repo, &output.commit)],
        "one manifest, for the synced commit"
    );
    assert_eq!(output.archives_uploaded + output.archives_reused, SKILLS);

    for key in stored.iter().chain(&manifests) {
        store.delete(key).await.expect("clean up");
    }
    store.delete_bucket().await.expect("drop the test bucket");
}
