//! End-to-end sync benchmark: synthetic repositories served by the fake GitHub, synced by
//! the real `skilldex-worker` binary (a child process) through the test Temporal, S3 and
//! PostgreSQL services. Run through `bench/sync.sh`, which builds both in release.
//!
//! Prints `METRIC name value` lines:
//! - throughput: N repositories × M skills, C workflows in flight: wall time, skills/s, repos/s;
//! - unchanged resync of every repository: GitHub API calls per repository, rows written;
//! - one large repository (S MiB of incompressible files) synced by a fresh worker: its peak
//!   RSS (VmHWM of the worker process).

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::Parser;
use futures::{StreamExt, TryStreamExt};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use skilldex_core::{
    github::GithubClient,
    sync::{RepoName, SyncInput, SyncOutput, SyncTrigger},
    workflows::{SyncRepository, sync_start_options},
};
use skilldex_test_support::{
    TestDatabase,
    fake_github::{FakeGithub, FakeRepo},
    migrated_database, temporal_settings,
};
use temporalio_client::{Client, WorkflowGetResultOptions};

#[derive(Parser, Debug)]
#[command(about = "End-to-end SyncRepository benchmark")]
struct Args {
    /// Repositories in the throughput run (0 skips it).
    #[arg(long, default_value_t = 200)]
    repos: usize,
    /// Skills per repository.
    #[arg(long, default_value_t = 10)]
    skills: usize,
    /// Workflows in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Size of the large repository in MiB of incompressible file data (0 skips it).
    #[arg(long, default_value_t = 0)]
    large_mib: u64,
    /// The worker binary; defaults to `skilldex-worker` next to this example's folder.
    #[arg(long)]
    worker_bin: Option<PathBuf>,
    /// Seed of the content generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Folder in which the worker's scratch folder is made (downloads, extracted trees,
    /// archives before upload); the system's temporary folder when unset.
    #[arg(long)]
    scratch_parent: Option<PathBuf>,
}

/// SplitMix64: a fast, seeded generator for reproducible synthetic content.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

const WORDS: &[&str] = &[
    "agent",
    "skill",
    "repository",
    "review",
    "the",
    "a",
    "when",
    "use",
    "file",
    "script",
    "output",
    "check",
    "build",
    "test",
    "deploy",
    "format",
    "data",
    "report",
    "before",
    "after",
    "with",
    "each",
    "step",
    "run",
    "command",
    "result",
    "error",
    "handle",
    "input",
    "document",
    "table",
    "chart",
    "parse",
    "validate",
    "summary",
    "change",
    "commit",
    "branch",
];

/// Prose of about `bytes` bytes in lines of ~10 words.
fn prose(rng: &mut Rng, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 80);
    while out.len() < bytes {
        for i in 0..10 {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        }
        out.push_str(".\n");
        if rng.below(8) == 0 {
            out.push_str("\n## Section\n\n");
        }
    }
    out
}

/// A repository of `skills` skills, each a SKILL.md (valid front matter, 1–5 KB body), a
/// `references/` file and an executable script.
fn synthetic_repo(rng: &mut Rng, owner: &str, name: &str, skills: usize) -> FakeRepo {
    let mut files: Vec<(String, Vec<u8>, u32)> = vec![(
        "README.md".into(),
        format!("# {name}\n\nSynthetic benchmark repository.\n").into_bytes(),
        0o644,
    )];
    for s in 0..skills {
        let skill = format!("skill-{s:03}");
        let body_len = 1024 + rng.below(4 * 1024) as usize;
        let skill_md = format!(
            "---\nname: {skill}\ndescription: Synthetic skill {s} of {name}, generated for the Skilldex sync benchmark. Use it when measuring throughput.\nlicense: MIT\n---\n\n# {skill}\n\n{}\nSee [the guide](references/guide.md) and run `scripts/run.sh`.\n",
            prose(rng, body_len)
        );
        let guide_len = 512 + rng.below(2048) as usize;
        files.push((
            format!("skills/{skill}/SKILL.md"),
            skill_md.into_bytes(),
            0o644,
        ));
        files.push((
            format!("skills/{skill}/references/guide.md"),
            format!("# Guide\n\n{}", prose(rng, guide_len)).into_bytes(),
            0o644,
        ));
        files.push((
            format!("skills/{skill}/scripts/run.sh"),
            format!(
                "#!/usr/bin/env bash\nset -euo pipefail\necho \"{skill} {}\"\n",
                rng.next()
            )
            .into_bytes(),
            0o755,
        ));
    }
    FakeRepo::from_files(owner, name, files)
}

/// One repository whose archive is about `mib` MiB: a few small skills plus incompressible
/// assets (8 MiB files) under `assets/`.
fn large_repo(rng: &mut Rng, owner: &str, name: &str, mib: u64) -> FakeRepo {
    let mut files: Vec<(String, Vec<u8>, u32)> = Vec::new();
    let mut left = mib * 1024 * 1024;
    let mut i = 0;
    while left > 0 {
        let len = left.min(8 * 1024 * 1024);
        let mut data = vec![0u8; len as usize];
        rng.fill(&mut data);
        files.push((format!("assets/blob-{i:04}.bin"), data, 0o644));
        left -= len;
        i += 1;
    }
    let mut all = files;
    for s in 0..10 {
        let skill = format!("skill-{s:03}");
        let body_len = 1024 + rng.below(4 * 1024) as usize;
        all.push((
            format!("skills/{skill}/SKILL.md"),
            format!(
                "---\nname: {skill}\ndescription: Skill {s} of the large benchmark repository. Use it when measuring memory.\n---\n\n# {skill}\n\n{}",
                prose(rng, body_len)
            )
            .into_bytes(),
            0o644,
        ));
    }
    FakeRepo::from_files(owner, name, all)
}

/// The `skilldex-worker` binary as a child process on its own task queue.
struct WorkerProcess {
    child: Child,
    task_queue: String,
    _work_dir: tempfile::TempDir,
}

impl WorkerProcess {
    fn start(
        bin: &PathBuf,
        db: &TestDatabase,
        fake: &FakeGithub,
        scratch_parent: Option<&PathBuf>,
    ) -> anyhow::Result<Self> {
        let task_queue = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let temporal = temporal_settings(&task_queue);
        let work_dir = match scratch_parent {
            Some(parent) => tempfile::tempdir_in(parent)?,
            None => tempfile::tempdir()?,
        };
        // The S3 variables come from .data/test/services.env, which the test support loaded
        // into this process's environment; the child inherits them.
        let _ = skilldex_test_support::s3_settings();
        let child = Command::new(bin)
            .env("SKILLDEX_DATABASE_URL", &db.url)
            .env("SKILLDEX_TEMPORAL_ADDRESS", temporal.address.as_str())
            .env("SKILLDEX_TEMPORAL_NAMESPACE", &temporal.namespace)
            .env("SKILLDEX_TEMPORAL_TASK_QUEUE", &task_queue)
            .env("SKILLDEX_GITHUB_API_URL", fake.settings().api_url.as_str())
            .env_remove("SKILLDEX_GITHUB_TOKEN")
            .env("SKILLDEX_WORKER_WORK_DIR", work_dir.path())
            .env("SKILLDEX_LOG", "warn")
            .arg("run")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        Ok(Self {
            child,
            task_queue,
            _work_dir: work_dir,
        })
    }

    /// Peak resident set size (VmHWM) in KiB.
    fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmHWM in /proc/<pid>/status")
    }

    fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                if !status.success() {
                    eprintln!("worker exited with {status}");
                }
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

async fn sync(client: &Client, queue: &str, repo: RepoName) -> anyhow::Result<SyncOutput> {
    let input = SyncInput {
        repo,
        trigger: SyncTrigger::Admin,
        registration_id: None,
        force: false,
    };
    let handle = client
        .start_workflow(
            SyncRepository,
            input.clone(),
            sync_start_options(queue, &input),
        )
        .await
        .with_context(|| format!("starting the sync of {}", input.repo.full_name()))?;
    tokio::time::timeout(
        Duration::from_secs(1800),
        handle.get_result(WorkflowGetResultOptions::default()),
    )
    .await
    .context("a sync did not finish within 30 minutes")?
    .map_err(|e| anyhow::anyhow!("sync of {} failed: {e:?}", input.repo.full_name()))
}

/// Syncs every repository, at most `concurrency` at once.
async fn sync_all(
    client: &Client,
    queue: &str,
    repos: &[RepoName],
    concurrency: usize,
) -> anyhow::Result<Vec<SyncOutput>> {
    futures::stream::iter(repos.iter().cloned())
        .map(|repo| sync(client, queue, repo))
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// Row counts of skills, skill_versions and skill_files, and the newest update time.
async fn snapshot(db: &DatabaseConnection) -> anyhow::Result<[i64; 4]> {
    Ok([
        scalar(db, "SELECT count(*) FROM skills").await?,
        scalar(db, "SELECT count(*) FROM skill_versions").await?,
        scalar(db, "SELECT count(*) FROM skill_files").await?,
        scalar(
            db,
            "SELECT coalesce(max(extract(epoch FROM updated_at) * 1000000)::bigint, 0) FROM \
             (SELECT updated_at FROM repositories UNION ALL SELECT updated_at FROM skills) t",
        )
        .await?,
    ])
}

fn metric(name: &str, value: impl std::fmt::Display) {
    println!("METRIC {name} {value}");
}

async fn throughput(args: &Args, bin: &PathBuf, rng: &mut Rng) -> anyhow::Result<()> {
    let owner = format!("bench-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let repos: Vec<FakeRepo> = (0..args.repos)
        .map(|i| synthetic_repo(rng, &owner, &format!("repo-{i:04}"), args.skills))
        .collect();
    let names: Vec<RepoName> = (0..args.repos)
        .map(|i| RepoName::new(owner.clone(), format!("repo-{i:04}")))
        .collect::<Result<_, _>>()?;
    let fake = FakeGithub::builder().repos(repos).start().await;
    let db = migrated_database().await;
    let worker = WorkerProcess::start(bin, &db, &fake, args.scratch_parent.as_ref())?;
    let client = skilldex_core::temporal::connect(
        &temporal_settings(&worker.task_queue),
        "bench-sync",
        Duration::from_secs(10),
    )
    .await?;

    let started = Instant::now();
    let outputs = sync_all(&client, &worker.task_queue, &names, args.concurrency).await?;
    let wall = started.elapsed().as_secs_f64();
    let published: usize = outputs
        .iter()
        .map(|o| o.index.as_ref().map_or(0, |i| i.new_versions))
        .sum();
    let expected = args.repos * args.skills;
    if published != expected {
        bail!("published {published} skill versions, expected {expected}");
    }
    metric("repos", args.repos);
    metric("skills", expected);
    metric("sync_wall_s", format!("{wall:.3}"));
    metric("skills_per_s", format!("{:.1}", expected as f64 / wall));
    metric("repos_per_s", format!("{:.2}", args.repos as f64 / wall));

    // Unchanged resync of every repository.
    let before = snapshot(&db.conn).await?;
    fake.clear_requests();
    let started = Instant::now();
    let outputs = sync_all(&client, &worker.task_queue, &names, args.concurrency).await?;
    let wall = started.elapsed().as_secs_f64();
    let after = snapshot(&db.conn).await?;
    let up_to_date = outputs.iter().filter(|o| o.up_to_date).count();
    let calls = fake.api_requests().len();
    let rows_written: i64 = before[..3]
        .iter()
        .zip(&after[..3])
        .map(|(b, a)| (a - b).abs())
        .sum();
    metric("resync_wall_s", format!("{wall:.3}"));
    metric("resync_up_to_date", up_to_date);
    metric(
        "resync_api_calls_per_repo",
        format!("{:.2}", calls as f64 / args.repos as f64),
    );
    metric("resync_rows_written", rows_written);
    metric("resync_rows_updated", i64::from(before[3] != after[3]));
    metric(
        "throughput_worker_peak_rss_mib",
        format!("{:.1}", worker.peak_rss_kib()? as f64 / 1024.0),
    );
    worker.stop()?;
    drop(db);
    Ok(())
}

async fn large(args: &Args, bin: &PathBuf, rng: &mut Rng) -> anyhow::Result<()> {
    let owner = format!("bench-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let repo = large_repo(rng, &owner, "large", args.large_mib);
    let fake = FakeGithub::builder().repo(repo).start().await;
    let db = migrated_database().await;
    let worker = WorkerProcess::start(bin, &db, &fake, args.scratch_parent.as_ref())?;
    let client = skilldex_core::temporal::connect(
        &temporal_settings(&worker.task_queue),
        "bench-sync",
        Duration::from_secs(10),
    )
    .await?;
    let idle = worker.peak_rss_kib()?;
    let started = Instant::now();
    let output = sync(
        &client,
        &worker.task_queue,
        RepoName::new(owner.clone(), "large")?,
    )
    .await?;
    let wall = started.elapsed().as_secs_f64();
    let downloads = fake.requests().iter().filter(|r| r.is_archive()).count();
    let published = output.index.as_ref().map_or(0, |i| i.new_versions);
    let peak_rss_kib = worker.peak_rss_kib()?;
    // The archive's own size (the target speaks of the archive), fetched once more the way
    // the worker fetches it, after the worker's peak was read.
    let github = GithubClient::new(&fake.settings())?;
    let sha = github.head_commit(&owner, "large", "main").await?;
    let scratch = tempfile::tempdir()?;
    let archive_bytes = github
        .download_tarball(
            &owner,
            "large",
            &sha,
            &scratch.path().join("a.tar.gz"),
            u64::MAX,
        )
        .await?;
    metric("large_repo_mib", args.large_mib);
    metric("large_archive_bytes", archive_bytes);
    metric("large_archive_downloads", downloads);
    metric("large_skills_published", published);
    metric("large_sync_wall_s", format!("{wall:.3}"));
    metric(
        "large_worker_idle_rss_mib",
        format!("{:.1}", idle as f64 / 1024.0),
    );
    metric(
        "large_worker_peak_rss_mib",
        format!("{:.1}", peak_rss_kib as f64 / 1024.0),
    );
    if !output.problems.is_empty() {
        eprintln!("large repository problems: {:#?}", output.problems);
    }
    worker.stop()?;
    drop(db);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = match &args.worker_bin {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()?
            .parent()
            .and_then(|examples| examples.parent())
            .context("no parent folder")?
            .join("skilldex-worker"),
    };
    if !bin.exists() {
        bail!(
            "{} not found: cargo build --release -p skilldex-worker",
            bin.display()
        );
    }
    let mut rng = Rng(args.seed);
    if args.repos > 0 {
        throughput(&args, &bin, &mut rng).await?;
    }
    if args.large_mib > 0 {
        large(&args, &bin, &mut rng).await?;
    }
    Ok(())
}
