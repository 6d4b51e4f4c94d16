//! SyncRepository end to end: fake GitHub → real Temporal + worker → real S3 + PostgreSQL.

mod common;

use std::{collections::BTreeMap, time::Duration};

use common::TestWorker;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sha2::{Digest, Sha256};
use skilldex_core::{
    storage::ObjectStore,
    sync::{RepoName, SyncInput, SyncOutput, SyncTrigger, archive_key},
    workflows::{SyncRepository, sync_start_options},
};
use skilldex_test_support::{
    fake_github::{FakeGithub, FakeRepo, fixtures},
    migrated_database, s3_settings, scalar, unique_owner,
};
use temporalio_client::{Client, WorkflowGetResultOptions};

async fn sync(client: &Client, queue: &str, repo: &RepoName) -> Result<SyncOutput, String> {
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
            sync_start_options(queue, &input),
        )
        .await
        .map_err(|e| format!("start: {e}"))?;
    tokio::time::timeout(
        Duration::from_secs(120),
        handle.get_result(WorkflowGetResultOptions::default()),
    )
    .await
    .map_err(|_| "sync did not finish within 2 minutes".to_string())?
    .map_err(|e| format!("{e:?}"))
}

/// Row counts of every table a sync writes, plus the newest update time: equal snapshots
/// mean nothing was written.
async fn snapshot(db: &DatabaseConnection) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "repositories",
        "skills",
        "skill_versions",
        "skill_files",
        "marketplaces",
        "plugins",
        "plugin_skills",
    ] {
        out.push(scalar(db, &format!("SELECT count(*) FROM {table}")).await);
    }
    out.push(
        scalar(
            db,
            "SELECT coalesce(max(extract(epoch FROM updated_at) * 1000000)::bigint, 0) FROM \
             (SELECT updated_at FROM repositories UNION ALL SELECT updated_at FROM skills) t",
        )
        .await,
    );
    out
}

/// What the corpus copies hold (`/work/shared/corpus`, read by hand, not by the code under
/// test): every SKILL.md folder is a skill; a skill is invalid when its front matter breaks
/// the Agent Skills spec (name equal to the folder, description at most 1,024 characters).
struct CorpusRepo {
    name: &'static str,
    skills: usize,
    /// Skill folder and the error code that keeps it from being published.
    invalid: &'static [(&'static str, &'static str)],
    marketplace: &'static str,
    plugins: i64,
}

const ANTHROPICS: CorpusRepo = CorpusRepo {
    name: "skills",
    // skills/* (17) and template/.
    skills: 18,
    invalid: &[
        // A 1,068-character description.
        ("skills/claude-api", "description_too_long"),
        // `name: template-skill` in folder `template`.
        ("template", "name_mismatch"),
    ],
    marketplace: "anthropic-agent-skills",
    plugins: 3,
};

const OBRA: CorpusRepo = CorpusRepo {
    name: "superpowers",
    skills: 14,
    invalid: &[],
    marketplace: "superpowers-dev",
    plugins: 1,
};

/// `(path, has_errors, findings)` of every skill of a repository, by path.
async fn stored_skills(
    db: &DatabaseConnection,
    owner: &str,
    name: &str,
) -> Vec<(String, bool, serde_json::Value)> {
    db.query_all_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT s.path, s.has_errors, s.findings FROM skills s \
         JOIN repositories r ON r.id = s.repository_id \
         WHERE r.owner = $1 AND r.name = $2 ORDER BY s.path",
        [owner.into(), name.into()],
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get("", "path").unwrap(),
            r.try_get("", "has_errors").unwrap(),
            r.try_get("", "findings").unwrap(),
        )
    })
    .collect()
}

/// `(content_hash, archive_key)` of every version of a repository's skills.
async fn stored_versions(
    db: &DatabaseConnection,
    owner: &str,
    name: &str,
) -> Vec<(String, String)> {
    db.query_all_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT v.content_hash, v.archive_key FROM skill_versions v \
         JOIN skills s ON s.id = v.skill_id JOIN repositories r ON r.id = s.repository_id \
         WHERE r.owner = $1 AND r.name = $2 ORDER BY v.content_hash",
        [owner.into(), name.into()],
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get("", "content_hash").unwrap(),
            r.try_get("", "archive_key").unwrap(),
        )
    })
    .collect()
}

/// Downloads an archive and checks it is what its content hash says.
async fn assert_downloadable(store: &ObjectStore, hash: &str) {
    let bytes = store
        .get_bytes(&archive_key(hash))
        .await
        .unwrap_or_else(|e| panic!("GET {}: {e}", archive_key(hash)))
        .unwrap_or_else(|| panic!("{} is not stored", archive_key(hash)));
    assert_eq!(hex::encode(Sha256::digest(&bytes)), hash, "bytes of {hash}");
}

fn codes(findings: &serde_json::Value) -> Vec<String> {
    findings
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["severity"] == "error")
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_repositories_publish_resync_change_and_remove() {
    let anthropics = unique_owner("anthropics");
    let obra = unique_owner("obra");
    let fake = FakeGithub::builder()
        .repo(fixtures::anthropics_skills().with_owner(&anthropics))
        .repo(fixtures::obra_superpowers().with_owner(&obra))
        .start()
        .await;
    let db = migrated_database().await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;
    let store = ObjectStore::new(&s3_settings());

    // First sync of both corpus repositories publishes exactly the valid skills.
    let mut first = Vec::new();
    for (owner, expected) in [(anthropics.as_str(), &ANTHROPICS), (obra.as_str(), &OBRA)] {
        let name = expected.name;
        let repo = RepoName::new(owner, name).unwrap();
        let output = sync(&client, &worker.task_queue, &repo)
            .await
            .expect("first sync");
        assert!(!output.up_to_date);
        let valid = expected.skills - expected.invalid.len();
        let index = output.index.clone().expect("indexed");
        assert_eq!(index.skills, expected.skills, "{owner}/{name}: {index:?}");
        assert_eq!(index.new_versions, valid, "{owner}/{name}: {index:?}");
        assert_eq!(
            index.invalid,
            expected.invalid.len(),
            "{owner}/{name}: {index:?}"
        );

        // What the index holds, not what the workflow said.
        let skills = stored_skills(&db.conn, owner, name).await;
        assert_eq!(skills.len(), expected.skills, "{owner}/{name}: {skills:?}");
        let invalid: Vec<(String, Vec<String>)> = skills
            .iter()
            .filter(|(_, has_errors, _)| *has_errors)
            .map(|(path, _, findings)| (path.clone(), codes(findings)))
            .collect();
        assert_eq!(
            invalid.len(),
            expected.invalid.len(),
            "{owner}/{name}: {invalid:?}"
        );
        for ((path, codes), (want_path, want_code)) in invalid.iter().zip(expected.invalid) {
            assert_eq!(path, want_path);
            assert!(codes.iter().any(|c| c == want_code), "{path}: {codes:?}");
        }
        let versions = stored_versions(&db.conn, owner, name).await;
        assert_eq!(versions.len(), valid, "one version per valid skill");
        for (hash, key) in &versions {
            assert_eq!(key, &archive_key(hash));
            assert_downloadable(&store, hash).await;
        }
        assert_eq!(
            scalar(
                &db.conn,
                &format!(
                    "SELECT count(*) FROM plugins p JOIN marketplaces m ON m.id = p.marketplace_id \
                     JOIN repositories r ON r.id = m.repository_id \
                     WHERE r.owner = '{owner}' AND m.name = '{}'",
                    expected.marketplace
                )
            )
            .await,
            expected.plugins,
            "{owner}/{name}: marketplace and plugins"
        );
        first.push((repo, output));
    }
    assert_eq!(
        scalar(&db.conn, "SELECT count(*) FROM repositories WHERE sync_status = 'succeeded' AND last_indexed_commit IS NOT NULL").await,
        2
    );
    let published = scalar(&db.conn, "SELECT count(*) FROM skill_versions").await;
    assert_eq!(
        published as usize,
        ANTHROPICS.skills - ANTHROPICS.invalid.len() + OBRA.skills
    );

    // An unchanged resync makes one GitHub call and writes nothing.
    let before = snapshot(&db.conn).await;
    fake.clear_requests();
    let (repo, _) = &first[0];
    let output = sync(&client, &worker.task_queue, repo)
        .await
        .expect("resync");
    assert!(output.up_to_date, "{output:#?}");
    assert_eq!(fake.api_requests().len(), 1, "{:#?}", fake.api_requests());
    assert_eq!(
        snapshot(&db.conn).await,
        before,
        "an unchanged resync wrote something"
    );

    // A changed skill gets a new version; the old one stays downloadable.
    let changed = first[0]
        .1
        .skills
        .iter()
        .find(|s| s.errors == 0 && !s.path.is_empty())
        .expect("a valid skill in a folder")
        .clone();
    let skill_md = format!("{}/SKILL.md", changed.path);
    let old_content = fake
        .files(&repo.owner, &repo.name)
        .into_iter()
        .find(|f| f.path == skill_md)
        .expect("SKILL.md in the fake tree");
    let mut new_content = old_content.content.to_vec();
    new_content.extend_from_slice(b"\n\nA new paragraph in a new version.\n");
    fake.write_file(&repo.owner, &repo.name, &skill_md, new_content, 0o644);
    let output = sync(&client, &worker.task_queue, repo)
        .await
        .expect("sync after change");
    let index = output.index.expect("indexed");
    assert_eq!(index.new_versions, 1, "only the changed skill: {index:?}");
    let old_hash = changed.content_hash.clone().unwrap();
    let latest: Vec<(String, String)> = db
        .conn
        .query_all_raw(Statement::from_sql_and_values(
            db.conn.get_database_backend(),
            "SELECT v.content_hash, l.content_hash AS latest FROM skill_versions v \
             JOIN skills s ON s.id = v.skill_id \
             JOIN skill_versions l ON l.id = s.latest_version_id \
             JOIN repositories r ON r.id = s.repository_id \
             WHERE r.owner = $1 AND s.path = $2 ORDER BY v.published_at",
            [repo.owner.clone().into(), changed.path.clone().into()],
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get("", "content_hash").unwrap(),
                r.try_get("", "latest").unwrap(),
            )
        })
        .collect();
    assert_eq!(latest.len(), 2, "old and new version rows: {latest:?}");
    assert_eq!(latest[0].0, old_hash, "the old version row is kept");
    let new_hash = latest[1].0.clone();
    assert_ne!(new_hash, old_hash);
    assert_eq!(latest[0].1, new_hash, "the new version is the latest");
    // Both archives download with the bytes their hashes name.
    assert_downloadable(&store, &old_hash).await;
    assert_downloadable(&store, &new_hash).await;

    // A deleted skill is marked removed, never deleted.
    fake.remove_file(&repo.owner, &repo.name, &changed.path);
    let output = sync(&client, &worker.task_queue, repo)
        .await
        .expect("sync after removal");
    assert_eq!(output.index.expect("indexed").removed, 1);
    assert_eq!(
        scalar(
            &db.conn,
            &format!("SELECT count(*) FROM skills WHERE path = '{}' AND status = 'removed' AND removed_at IS NOT NULL", changed.path)
        )
        .await,
        1
    );
    assert!(
        scalar(&db.conn, "SELECT count(*) FROM skill_versions").await > published,
        "versions of removed skills stay"
    );

    worker.stop();
}

/// How a hostile fixture's sync ends.
#[derive(Debug, Clone, Copy)]
enum Hostile {
    /// The sync fails with this `repositories.last_error_kind`.
    Fails(&'static str),
    /// The sync succeeds with this code among `repositories.problems`.
    Problem(&'static str),
    /// The sync succeeds; this skill has this error finding and is not published.
    SkillError(&'static str, &'static str),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_archives_are_recorded_on_the_repository_and_the_worker_keeps_serving() {
    let hostile_owner = unique_owner("hostile");
    let obra = unique_owner("obra");
    let hostile: Vec<_> = fixtures::hostile_repos()
        .into_iter()
        .map(|r| r.with_owner(&hostile_owner))
        .collect();
    let names: Vec<(String, String)> = hostile
        .iter()
        .map(|r| (r.owner().to_string(), r.name().to_string()))
        .collect();
    let fake = FakeGithub::builder()
        .repos(hostile)
        .repo(fixtures::obra_superpowers().with_owner(&obra))
        .start()
        .await;
    let db = migrated_database().await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;

    // Each fixture's outcome, pinned: archives the extraction refuses fail the sync with
    // `invalid_archive` on the repository; links and devices reaching outside the
    // repository are never created and are error problems (`archive_entry_rejected`) of a
    // successful sync; bad SKILL.md files are findings of their
    // skill, which is not published.
    let expected: BTreeMap<&str, Hostile> = BTreeMap::from([
        ("path-traversal", Hostile::Fails("invalid_archive")),
        ("absolute-path", Hostile::Fails("invalid_archive")),
        ("gzip-bomb", Hostile::Fails("invalid_archive")),
        ("many-files", Hostile::Fails("invalid_archive")),
        ("deep-path", Hostile::Fails("invalid_archive")),
        ("symlink-escape", Hostile::Problem("archive_entry_rejected")),
        (
            "symlink-relative-escape",
            Hostile::Problem("archive_entry_rejected"),
        ),
        (
            "hardlink-escape",
            Hostile::Problem("archive_entry_rejected"),
        ),
        ("device-file", Hostile::Problem("archive_entry_rejected")),
        (
            "broken-yaml",
            Hostile::SkillError("skills/broken-yaml", "front_matter_invalid_yaml"),
        ),
        (
            "huge-skill-md",
            Hostile::SkillError("skills/huge", "skill_md_too_large"),
        ),
    ]);
    let mut fixture_names: Vec<&str> = names.iter().map(|(_, n)| n.as_str()).collect();
    fixture_names.sort();
    assert_eq!(
        fixture_names,
        expected.keys().copied().collect::<Vec<_>>(),
        "every hostile fixture has a pinned outcome"
    );

    for (owner, name) in &names {
        let repo = RepoName::new(owner.clone(), name.clone()).unwrap();
        let result = sync(&client, &worker.task_queue, &repo).await;
        let row = db
            .conn
            .query_one_raw(Statement::from_sql_and_values(
                db.conn.get_database_backend(),
                "SELECT sync_status, last_error_kind, last_error, problems FROM repositories \
                 WHERE lower(owner) = lower($1) AND lower(name) = lower($2)",
                [owner.clone().into(), name.clone().into()],
            ))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{repo}: no repository row"));
        let status: String = row.try_get("", "sync_status").unwrap();
        let kind: Option<String> = row.try_get("", "last_error_kind").unwrap();
        let message: Option<String> = row.try_get("", "last_error").unwrap();
        let problems: serde_json::Value = row.try_get("", "problems").unwrap();
        let skills = stored_skills(&db.conn, owner, name).await;
        let versions = stored_versions(&db.conn, owner, name).await;
        match expected[name.as_str()] {
            Hostile::Fails(want) => {
                let error = result.expect_err(&format!("{repo} must fail"));
                assert_eq!(status, "failed", "{repo}: {error}");
                assert_eq!(kind.as_deref(), Some(want), "{repo}: {message:?}");
                assert!(
                    message.is_some_and(|m| !m.is_empty()),
                    "{repo}: readable error"
                );
                assert!(skills.is_empty(), "{repo}: nothing indexed: {skills:?}");
            }
            Hostile::Problem(code) => {
                let output = result.unwrap_or_else(|e| panic!("{repo} must sync: {e}"));
                assert_eq!(status, "succeeded", "{repo}");
                assert_eq!(kind, None, "{repo}");
                let stored: Vec<&str> = problems
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["code"].as_str())
                    .collect();
                assert!(stored.contains(&code), "{repo}: problems {problems}");
                assert!(
                    output.problems.iter().any(|p| p.code == code),
                    "{repo}: {output:#?}"
                );
                // Only the sound skill is there, and published.
                let paths: Vec<&str> = skills.iter().map(|(p, _, _)| p.as_str()).collect();
                assert_eq!(paths, ["skills/ok"], "{repo}");
                assert_eq!(versions.len(), 1, "{repo}");
            }
            Hostile::SkillError(path, code) => {
                result.unwrap_or_else(|e| panic!("{repo} must sync: {e}"));
                assert_eq!(status, "succeeded", "{repo}");
                assert_eq!(kind, None, "{repo}");
                let (_, has_errors, findings) = skills
                    .iter()
                    .find(|(p, _, _)| p == path)
                    .unwrap_or_else(|| panic!("{repo}: no skill {path}: {skills:?}"));
                assert!(*has_errors, "{repo}: {path}");
                assert!(
                    codes(findings).iter().any(|c| c == code),
                    "{repo}: {path}: {findings}"
                );
                let valid = skills.iter().filter(|(_, e, _)| !e).count();
                assert_eq!(versions.len(), valid, "{repo}: only valid skills publish");
            }
        }
    }

    // The worker survived all of it.
    let repo = RepoName::new(obra.clone(), "superpowers").unwrap();
    let output = sync(&client, &worker.task_queue, &repo)
        .await
        .expect("healthy repo still syncs");
    assert!(output.index.expect("indexed").new_versions > 0);
    worker.stop();
}

/// The repository row's `(sync_status, last_error_kind)`.
async fn sync_state(db: &DatabaseConnection, owner: &str) -> (String, Option<String>) {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT sync_status, last_error_kind FROM repositories WHERE owner = $1",
            [owner.into()],
        ))
        .await
        .unwrap()
        .expect("repository row");
    (
        row.try_get("", "sync_status").unwrap(),
        row.try_get("", "last_error_kind").unwrap(),
    )
}

/// A sync that fails while the repository's HEAD is unchanged (here: the repository is
/// briefly gone) is recorded; the next sync finds the index at HEAD, downloads nothing and
/// marks the repository synced again instead of leaving the stale error on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_up_to_date_sync_clears_an_earlier_failure() {
    let owner = unique_owner("recovers");
    let fixture = || {
        FakeRepo::from_files(
            &owner,
            "skills",
            [(
                "skills/one/SKILL.md",
                fixtures::valid_skill_md("one"),
                0o644,
            )],
        )
    };
    let fake = FakeGithub::builder().repo(fixture()).start().await;
    let db = migrated_database().await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;
    let repo = RepoName::new(&owner, "skills").unwrap();

    let first = sync(&client, &worker.task_queue, &repo)
        .await
        .expect("first sync");
    assert!(!first.up_to_date);
    assert_eq!(
        sync_state(&db.conn, &owner).await,
        ("succeeded".into(), None)
    );

    fake.remove_repo(&owner, "skills");
    let gone = sync(&client, &worker.task_queue, &repo).await;
    assert!(
        gone.is_err(),
        "a missing repository fails the sync: {gone:?}"
    );
    let (status, kind) = sync_state(&db.conn, &owner).await;
    assert_eq!(status, "failed");
    assert!(kind.is_some(), "the failure is recorded");

    fake.add_repo(fixture());
    let before = snapshot(&db.conn).await;
    let again = sync(&client, &worker.task_queue, &repo)
        .await
        .expect("resync");
    assert!(again.up_to_date, "same HEAD as indexed: {again:?}");
    assert_eq!(
        sync_state(&db.conn, &owner).await,
        ("succeeded".into(), None)
    );
    assert_eq!(
        scalar(
            &db.conn,
            &format!(
                "SELECT count(*) FROM repositories WHERE owner = '{owner}' AND last_error IS NULL"
            )
        )
        .await,
        1
    );
    // No row was added or removed: only the repository's status changed.
    let counts = before.len() - 1;
    assert_eq!(before[..counts], snapshot(&db.conn).await[..counts]);

    // Once synced, an unchanged resync writes nothing at all.
    let settled = snapshot(&db.conn).await;
    let last = sync(&client, &worker.task_queue, &repo)
        .await
        .expect("resync");
    assert!(last.up_to_date);
    assert_eq!(settled, snapshot(&db.conn).await);
    worker.stop();
}
