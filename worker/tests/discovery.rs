//! Discovery end to end (fake GitHub search → real Temporal + worker → SyncRepository
//! children → PostgreSQL) and the discovery schedules kept in step with discovery_sources.

mod common;

use std::time::Duration;

use common::TestWorker;
use futures::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use skilldex_core::{
    discovery::{
        DEFAULT_MAX_CONCURRENCY, DiscoveryInput, DiscoveryKind, DiscoveryOutput,
        discovery_schedule_id, discovery_workflow_id,
    },
    sync::SyncTrigger,
    workflows::{Discovery, TRIGGER_ATTRIBUTE},
};
use skilldex_test_support::{
    fake_github::{FakeGithub, FakeRepo, MODE_FILE, valid_skill_md},
    migrated_database, scalar, temporal_settings, unique_owner,
};
use skilldex_worker::schedules::sync_schedules;
use temporalio_client::{
    Client, WorkflowGetResultOptions, WorkflowStartOptions, schedules::ListSchedulesOptions,
};

const TOPIC: &str = "skilldex-discovery-test";

fn skill_repo(owner: &str, name: &str, skills: &[&str], stars: u64) -> FakeRepo {
    FakeRepo::from_files(
        owner,
        name,
        skills
            .iter()
            .map(|s| (format!("skills/{s}/SKILL.md"), valid_skill_md(s), MODE_FILE)),
    )
    .stars(stars)
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect(sql);
}

async fn discover(
    client: &Client,
    queue: &str,
    input: DiscoveryInput,
    run: i64,
) -> (String, DiscoveryOutput) {
    let id = discovery_workflow_id(&input.source_key, run);
    let handle = client
        .start_workflow(
            Discovery,
            input,
            WorkflowStartOptions::new(queue.to_string(), id.clone()).build(),
        )
        .await
        .expect("start Discovery");
    let output = tokio::time::timeout(
        Duration::from_secs(180),
        handle.get_result(WorkflowGetResultOptions::default()),
    )
    .await
    .expect("Discovery finishes within 3 minutes")
    .expect("Discovery succeeds");
    (id, output)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_syncs_each_repository_once_skips_blacklist_and_respects_limits() {
    // Five repositories carry the topic (one of them blacklisted), one does not.
    let fake = FakeGithub::builder()
        .repos([
            skill_repo("disco-a", "alpha", &["one", "two"], 50).topics([TOPIC, "other"]),
            skill_repo("disco-b", "beta", &["three"], 40).topics([TOPIC]),
            skill_repo("disco-c", "gamma", &["four"], 30).topics([TOPIC]),
            skill_repo("disco-d", "delta", &["five"], 20).topics([TOPIC]),
            skill_repo("spammer", "junk", &["six"], 10).topics([TOPIC]),
            skill_repo("disco-e", "untagged", &["seven"], 5),
        ])
        .start()
        .await;
    let db = migrated_database().await;
    exec(
        &db.conn,
        "INSERT INTO blacklist (owner, repo, reason) VALUES ('spammer', NULL, 'spam')",
    )
    .await;
    exec(
        &db.conn,
        &format!(
            "INSERT INTO discovery_sources (id, key, kind, query, interval_seconds) \
             VALUES (gen_random_uuid(), 'topic', 'topic_search', 'topic:{TOPIC}', 3600)"
        ),
    )
    .await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;
    let topic = DiscoveryInput {
        source_key: "topic".into(),
        kind: DiscoveryKind::TopicSearch,
        query: format!("topic:{TOPIC}"),
        max_repositories: None,
        max_concurrency: 2,
        trigger: SyncTrigger::Admin,
    };

    fake.clear_requests();
    let (id, output) = discover(&client, &worker.task_queue, topic.clone(), 1).await;
    assert_eq!(
        output,
        DiscoveryOutput {
            found: 5,
            skipped_blacklisted: 1,
            started: 4,
            succeeded: 4,
            failed: 0,
            already_running: 0,
        }
    );
    let archives = fake.requests().iter().filter(|r| r.is_archive()).count();
    assert_eq!(archives, 4, "each repository downloaded exactly once");
    // The run records its trigger for `temporal workflow list --query 'SkilldexTrigger=…'`.
    let described = client
        .get_workflow_handle::<Discovery>(id.clone())
        .describe(Default::default())
        .await
        .expect("describe the Discovery run");
    assert_eq!(
        described.search_attributes().get(&TRIGGER_ATTRIBUTE),
        Some("admin".to_string())
    );
    assert_eq!(
        scalar(
            &db.conn,
            "SELECT count(*) FROM repositories WHERE sync_status = 'succeeded'"
        )
        .await,
        4
    );
    assert_eq!(
        scalar(
            &db.conn,
            "SELECT count(*) FROM repositories WHERE owner IN ('spammer', 'disco-e')"
        )
        .await,
        0,
        "neither the blacklisted nor the untagged repository is indexed"
    );
    assert_eq!(
        scalar(&db.conn, "SELECT count(*) FROM skill_versions").await,
        5
    );
    assert_eq!(
        scalar(
            &db.conn,
            &format!(
                "SELECT count(*) FROM discovery_sources WHERE key = 'topic' \
                 AND last_run_at IS NOT NULL AND last_workflow_id = '{id}'"
            )
        )
        .await,
        1,
        "the run is recorded on its source"
    );

    // A limited rerun: only the first two eligible repositories, both up to date.
    fake.clear_requests();
    let limited = DiscoveryInput {
        max_repositories: Some(2),
        ..topic.clone()
    };
    let (_, output) = discover(&client, &worker.task_queue, limited, 2).await;
    assert_eq!(output.started, 2, "{output:?}");
    assert_eq!(output.succeeded, 2, "{output:?}");
    assert_eq!(output.found, 2, "{output:?}");
    assert!(
        !fake.requests().iter().any(|r| r.is_archive()),
        "up-to-date repositories are not downloaded again"
    );

    // Code search: every repository with a SKILL.md, each once however many it holds.
    let code = DiscoveryInput {
        source_key: "code".into(),
        kind: DiscoveryKind::CodeSearch,
        query: "filename:SKILL.md".into(),
        max_repositories: None,
        max_concurrency: DEFAULT_MAX_CONCURRENCY,
        trigger: SyncTrigger::Admin,
    };
    let (_, output) = discover(&client, &worker.task_queue, code, 3).await;
    assert_eq!(output.found, 6, "{output:?}");
    assert_eq!(output.skipped_blacklisted, 1, "{output:?}");
    assert_eq!(output.started, 5, "{output:?}");
    assert_eq!(output.succeeded, 5, "{output:?}");
    assert_eq!(
        scalar(&db.conn, "SELECT count(*) FROM repositories").await,
        5
    );
    worker.stop();
}

/// Interval of a schedule, in seconds.
async fn schedule_interval(client: &Client, id: &str) -> Option<i64> {
    let description = client
        .get_schedule_handle(id)
        .describe(Default::default())
        .await
        .ok()?;
    let spec = description.raw().schedule.as_ref()?.spec.as_ref()?;
    spec.interval.first()?.interval.as_ref().map(|d| d.seconds)
}

async fn listed(client: &Client, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = client.list_schedules(ListSchedulesOptions::default());
    while let Some(entry) = stream.next().await {
        let entry = entry.expect("list schedules");
        if ids.iter().any(|id| id == entry.schedule_id()) {
            out.push(entry.schedule_id().to_string());
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedules_follow_discovery_sources_idempotently() {
    let db = migrated_database().await;
    // Unique keys and task queue: schedules live in the shared Temporal namespace.
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let (a, b) = (format!("a-{suffix}"), format!("b-{suffix}"));
    let queue = format!("test-{suffix}");
    let client = skilldex_core::temporal::connect(
        &temporal_settings(&queue),
        "test-client",
        Duration::from_secs(10),
    )
    .await
    .expect("connect to Temporal");
    for (key, kind, query, interval) in [
        (&a, "topic_search", "topic:agent-skills", 3600),
        (&b, "code_search", "filename:SKILL.md", 7200),
    ] {
        exec(
            &db.conn,
            &format!(
                "INSERT INTO discovery_sources (id, key, kind, query, interval_seconds) \
                 VALUES (gen_random_uuid(), '{key}', '{kind}', '{query}', {interval})"
            ),
        )
        .await;
    }
    let (id_a, id_b) = (discovery_schedule_id(&a), discovery_schedule_id(&b));

    let first = sync_schedules(&client, &db.conn, &queue)
        .await
        .expect("first sync");
    let mut created = first.created.clone();
    created.sort();
    assert_eq!(created, vec![id_a.clone(), id_b.clone()], "{first:?}");
    assert!(first.deleted.is_empty(), "{first:?}");
    assert_eq!(schedule_interval(&client, &id_a).await, Some(3600));
    assert_eq!(schedule_interval(&client, &id_b).await, Some(7200));
    let description = client
        .get_schedule_handle(id_a.clone())
        .describe(Default::default())
        .await
        .expect("describe");
    let temporalio_client::schedules::ScheduleDescriptionAction::StartWorkflow(start) =
        description.action()
    else {
        panic!("a start-workflow action");
    };
    assert_eq!(start.workflow_type(), "Discovery");
    assert_eq!(start.task_queue(), queue);
    let input: DiscoveryInput = start.args().await.expect("args").expect("an input");
    assert_eq!(input.source_key, a);
    assert_eq!(input.kind, DiscoveryKind::TopicSearch);
    assert_eq!(
        input.trigger,
        SyncTrigger::Schedule,
        "runs say they were scheduled"
    );

    // The schedule listing (eventually consistent) shows both.
    let wanted = vec![id_a.clone(), id_b.clone()];
    let mut seen = Vec::new();
    for _ in 0..60 {
        seen = listed(&client, &wanted).await;
        if seen == wanted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        seen, wanted,
        "temporal schedule list shows discovery:{{key}}"
    );

    // Running it again changes nothing.
    let again = sync_schedules(&client, &db.conn, &queue)
        .await
        .expect("second sync");
    assert!(again.created.is_empty(), "{again:?}");
    assert!(again.deleted.is_empty(), "{again:?}");
    assert_eq!(again.updated.len(), 2, "{again:?}");
    assert_eq!(schedule_interval(&client, &id_a).await, Some(3600));

    // A new interval is applied; a disabled source loses its schedule.
    exec(
        &db.conn,
        &format!("UPDATE discovery_sources SET interval_seconds = 900 WHERE key = '{a}'"),
    )
    .await;
    exec(
        &db.conn,
        &format!("UPDATE discovery_sources SET enabled = false WHERE key = '{b}'"),
    )
    .await;
    let mut third = sync_schedules(&client, &db.conn, &queue)
        .await
        .expect("third sync");
    // The deleted schedule only goes once the listing shows it: retry until it does.
    for _ in 0..60 {
        if third.deleted.contains(&id_b) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        third = sync_schedules(&client, &db.conn, &queue)
            .await
            .expect("sync");
    }
    assert_eq!(third.deleted, vec![id_b.clone()], "{third:?}");
    assert!(third.created.is_empty(), "{third:?}");
    assert_eq!(schedule_interval(&client, &id_a).await, Some(900));
    assert_eq!(schedule_interval(&client, &id_b).await, None);

    // And again: nothing left to do.
    let fourth = sync_schedules(&client, &db.conn, &queue)
        .await
        .expect("fourth sync");
    assert!(
        fourth.created.is_empty() && fourth.deleted.is_empty(),
        "{fourth:?}"
    );

    // Clean up the namespace.
    exec(&db.conn, "UPDATE discovery_sources SET enabled = false").await;
    client
        .get_schedule_handle(id_a.clone())
        .delete(Default::default())
        .await
        .expect("delete schedule");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_child_is_counted_and_the_others_still_sync() {
    const HOSTILE_TOPIC: &str = "skilldex-discovery-hostile";
    let fake = FakeGithub::builder()
        .repos([
            skill_repo("disco-ok", "fine", &["ok"], 10).topics([HOSTILE_TOPIC]),
            skilldex_test_support::fake_github::fixtures::gzip_bomb_repo()
                .with_owner("disco-bomb")
                .topics([HOSTILE_TOPIC]),
        ])
        .start()
        .await;
    let db = migrated_database().await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;
    let input = DiscoveryInput {
        source_key: "hostile".into(),
        kind: DiscoveryKind::TopicSearch,
        query: format!("topic:{HOSTILE_TOPIC}"),
        max_repositories: None,
        max_concurrency: DEFAULT_MAX_CONCURRENCY,
        trigger: SyncTrigger::Admin,
    };
    let (_, output) = discover(&client, &worker.task_queue, input, 1).await;
    assert_eq!(
        output,
        DiscoveryOutput {
            found: 2,
            skipped_blacklisted: 0,
            started: 2,
            succeeded: 1,
            failed: 1,
            already_running: 0,
        }
    );
    assert_eq!(
        scalar(
            &db.conn,
            "SELECT count(*) FROM repositories WHERE sync_status = 'failed' \
             AND last_error_kind IS NOT NULL"
        )
        .await,
        1,
        "the failure is recorded on its repository"
    );
    worker.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketplace_source_also_syncs_the_repositories_its_plugins_come_from() {
    let market = unique_owner("disco-market");
    let hosted = unique_owner("disco-hosted");
    let by_url = unique_owner("disco-url");
    let banned = unique_owner("disco-banned");
    let marketplace = serde_json::json!({
        "name": "test-market",
        "owner": { "name": "Test" },
        "plugins": [
            { "name": "local", "source": "./plugins/local" },
            { "name": "hosted", "source": { "source": "github", "repo": format!("{hosted}/tools") } },
            { "name": "by-url", "source": { "source": "url", "url": format!("https://github.com/{by_url}/kit.git") } },
            { "name": "banned", "source": { "source": "github", "repo": format!("{banned}/bad") } },
            { "name": "elsewhere", "source": { "source": "url", "url": "https://gitlab.com/someone/thing.git" } },
            { "name": "npm", "source": { "source": "npm", "package": "@someone/thing" } }
        ]
    });
    let fake = FakeGithub::builder()
        .repos([
            FakeRepo::from_files(
                &market,
                "plugins",
                [
                    (
                        ".claude-plugin/marketplace.json".to_string(),
                        marketplace.to_string(),
                        MODE_FILE,
                    ),
                    (
                        "plugins/local/skills/local-skill/SKILL.md".to_string(),
                        valid_skill_md("local-skill"),
                        MODE_FILE,
                    ),
                ],
            ),
            skill_repo(&hosted, "tools", &["hosted-skill"], 3),
            skill_repo(&by_url, "kit", &["url-skill"], 2),
            skill_repo(&banned, "bad", &["bad-skill"], 1),
        ])
        .start()
        .await;
    let db = migrated_database().await;
    exec(
        &db.conn,
        &format!("INSERT INTO blacklist (owner, repo, reason) VALUES ('{banned}', NULL, 'spam')"),
    )
    .await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;
    let input = DiscoveryInput {
        source_key: "market".into(),
        kind: DiscoveryKind::Marketplace,
        query: format!("{market}/plugins"),
        max_repositories: None,
        max_concurrency: 2,
        trigger: SyncTrigger::Admin,
    };
    let (_, output) = discover(&client, &worker.task_queue, input, 1).await;
    assert_eq!(
        output,
        DiscoveryOutput {
            found: 4,
            skipped_blacklisted: 1,
            started: 3,
            succeeded: 3,
            failed: 0,
            already_running: 0,
        },
        "the marketplace, then the two GitHub repositories its plugins come from"
    );
    let indexed = scalar(
        &db.conn,
        "SELECT count(*) FROM skills \
         WHERE name IN ('local-skill', 'hosted-skill', 'url-skill') AND status = 'active'",
    )
    .await;
    assert_eq!(indexed, 3);
    assert_eq!(
        scalar(
            &db.conn,
            "SELECT count(*) FROM skills WHERE name = 'bad-skill'"
        )
        .await,
        0
    );
    // The plugins hosted elsewhere now point at their indexed repositories.
    assert_eq!(
        scalar(
            &db.conn,
            &format!(
                "SELECT count(*) FROM plugins p JOIN repositories r \
                 ON r.id = p.source_repository_id \
                 WHERE (p.name = 'hosted' AND r.owner = '{hosted}' AND r.name = 'tools') \
                    OR (p.name = 'by-url' AND r.owner = '{by_url}' AND r.name = 'kit')"
            ),
        )
        .await,
        2
    );

    // A limit counts the followed repositories too.
    let limited = DiscoveryInput {
        source_key: "market".into(),
        kind: DiscoveryKind::Marketplace,
        query: format!("{market}/plugins"),
        max_repositories: Some(2),
        max_concurrency: 2,
        trigger: SyncTrigger::Admin,
    };
    let (_, output) = discover(&client, &worker.task_queue, limited, 2).await;
    assert_eq!(output.started, 2, "{output:?}");
    worker.stop();
}
