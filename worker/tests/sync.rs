//! SyncRepository end to end: fake GitHub → real Temporal + worker → real S3 + PostgreSQL.

mod common;

use std::time::Duration;

use common::TestWorker;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use skilldex_core::{
    storage::ObjectStore,
    sync::{RepoName, SyncInput, SyncOutput, SyncTrigger, archive_key},
    workflows::{SyncRepository, sync_start_options},
};
use skilldex_test_support::{
    fake_github::{FakeGithub, fixtures},
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

    // First sync of both corpus repositories publishes every valid skill.
    let mut first = Vec::new();
    for (owner, name) in [
        (anthropics.as_str(), "skills"),
        (obra.as_str(), "superpowers"),
    ] {
        let repo = RepoName::new(owner, name).unwrap();
        let output = sync(&client, &worker.task_queue, &repo)
            .await
            .expect("first sync");
        assert!(!output.up_to_date);
        let index = output.index.clone().expect("indexed");
        let valid = output.skills.iter().filter(|s| s.errors == 0).count();
        assert!(valid > 0, "{owner}/{name} has valid skills");
        assert_eq!(index.new_versions, valid, "{owner}/{name}: {output:#?}");
        for skill in output.skills.iter().filter(|s| s.errors == 0) {
            let hash = skill
                .content_hash
                .as_deref()
                .expect("valid skills are packaged");
            assert!(
                store.exists(&archive_key(hash)).await.unwrap(),
                "archive of {}",
                skill.path
            );
        }
        first.push((repo, output));
    }
    let published = scalar(&db.conn, "SELECT count(*) FROM skill_versions").await;
    let files = scalar(&db.conn, "SELECT count(*) FROM skill_files").await;
    assert!(files >= published, "every version lists its files");
    assert_eq!(
        scalar(&db.conn, "SELECT count(*) FROM repositories WHERE sync_status = 'succeeded' AND last_indexed_commit IS NOT NULL").await,
        2
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
    assert!(
        store.exists(&archive_key(&old_hash)).await.unwrap(),
        "old archive kept"
    );
    assert_eq!(
        scalar(
            &db.conn,
            &format!("SELECT count(*) FROM skill_versions WHERE content_hash = '{old_hash}'")
        )
        .await,
        1,
        "old version row kept"
    );

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

    for (owner, name) in &names {
        let repo = RepoName::new(owner.clone(), name.clone()).unwrap();
        let result = sync(&client, &worker.task_queue, &repo).await;
        let row = db
            .conn
            .query_one_raw(Statement::from_sql_and_values(
                db.conn.get_database_backend(),
                "SELECT sync_status, last_error_kind, last_error FROM repositories WHERE lower(owner) = lower($1) AND lower(name) = lower($2)",
                [owner.clone().into(), name.clone().into()],
            ))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{repo}: no repository row"));
        let status: String = row.try_get("", "sync_status").unwrap();
        match result {
            // Content problems inside a sound archive are findings, not failures.
            Ok(output) => {
                assert_eq!(status, "succeeded", "{repo}");
                assert!(
                    output.skills.iter().any(|s| s.errors > 0) || !output.problems.is_empty(),
                    "{repo} synced without any finding: {output:#?}"
                );
            }
            Err(error) => {
                assert_eq!(status, "failed", "{repo}: {error}");
                let kind: Option<String> = row.try_get("", "last_error_kind").unwrap();
                let message: Option<String> = row.try_get("", "last_error").unwrap();
                assert!(
                    matches!(kind.as_deref(), Some("invalid_archive" | "too_large")),
                    "{repo}: kind {kind:?}, message {message:?}"
                );
                assert!(
                    message.is_some_and(|m| !m.is_empty()),
                    "{repo}: readable error"
                );
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
