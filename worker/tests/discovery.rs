//! Discovery end to end (fake GitHub search → real Temporal + worker → SyncRepository
//! children → PostgreSQL) and the discovery schedules kept in step with discovery_sources.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::TestWorker;
use futures::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use skilldex_core::{
    discovery::{
        DEFAULT_MAX_CONCURRENCY, DiscoveryInput, DiscoveryKind, DiscoveryOutput,
        discovery_schedule_id, discovery_workflow_id,
    },
    registration::register,
    sync::{RepoName, SyncTrigger},
    workflows::{Discovery, SyncRepository, TRIGGER_ATTRIBUTE},
};
use skilldex_test_support::{
    fake_github::{FakeGithub, FakeRepo, MODE_FILE, valid_skill_md},
    migrated_database, scalar, temporal_settings, unique_owner,
};
use skilldex_worker::schedules::sync_schedules;
use temporalio_client::{
    Client, WorkflowExecutionStatus, WorkflowGetResultOptions, WorkflowStartOptions,
    schedules::{ListSchedulesOptions, ScheduleOverlapPolicy},
};

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

/// A source key no other test run uses: Discovery workflow ids (`discovery:{key}:{n}`) are
/// global in the shared namespace.
fn unique_key(prefix: &str) -> String {
    unique_owner(prefix).to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_syncs_each_repository_once_skips_blacklist_and_respects_limits() {
    // Five repositories carry the topic (one of them blacklisted), one does not.
    let topic = unique_key("topic");
    let [a, b, c, d, spammer, e] = [
        "disco-a", "disco-b", "disco-c", "disco-d", "spammer", "disco-e",
    ]
    .map(unique_owner);
    let fake = FakeGithub::builder()
        .repos([
            skill_repo(&a, "alpha", &["one", "two"], 50).topics([topic.as_str(), "other"]),
            skill_repo(&b, "beta", &["three"], 40).topics([topic.as_str()]),
            skill_repo(&c, "gamma", &["four"], 30).topics([topic.as_str()]),
            skill_repo(&d, "delta", &["five"], 20).topics([topic.as_str()]),
            skill_repo(&spammer, "junk", &["six"], 10).topics([topic.as_str()]),
            skill_repo(&e, "untagged", &["seven"], 5),
        ])
        .start()
        .await;
    let db = migrated_database().await;
    exec(
        &db.conn,
        &format!("INSERT INTO blacklist (owner, repo, reason) VALUES ('{spammer}', NULL, 'spam')"),
    )
    .await;
    // Disabled: the worker makes schedules of enabled rows when it starts, and a schedule
    // left behind would start runs of its own in the shared namespace.
    let key = unique_key("topic");
    exec(
        &db.conn,
        &format!(
            "INSERT INTO discovery_sources (id, key, kind, query, interval_seconds, enabled) \
             VALUES (gen_random_uuid(), '{key}', 'topic_search', 'topic:{topic}', 3600, false)"
        ),
    )
    .await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;
    let input = DiscoveryInput {
        source_key: key.clone(),
        kind: DiscoveryKind::TopicSearch,
        query: format!("topic:{topic}"),
        max_repositories: None,
        max_concurrency: 2,
        trigger: SyncTrigger::Admin,
    };

    fake.clear_requests();
    let (id, output) = discover(&client, &worker.task_queue, input.clone(), 1).await;
    assert_eq!(
        output,
        DiscoveryOutput {
            found: 5,
            skipped_blacklisted: 1,
            started: 4,
            succeeded: 4,
            failed: 0,
            already_running: 0,
            up_to_date: 0,
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
            &format!("SELECT count(*) FROM repositories WHERE owner IN ('{spammer}', '{e}')")
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
                "SELECT count(*) FROM discovery_sources WHERE key = '{key}' \
                 AND last_run_at IS NOT NULL AND last_workflow_id = '{id}'"
            )
        )
        .await,
        1,
        "the run is recorded on its source"
    );

    // A limited rerun: every repository is indexed at its HEAD, so nothing is synced (and
    // up-to-date ones do not use up the limit).
    fake.clear_requests();
    let limited = DiscoveryInput {
        max_repositories: Some(2),
        ..input.clone()
    };
    let (_, output) = discover(&client, &worker.task_queue, limited, 2).await;
    assert_eq!(
        output,
        DiscoveryOutput {
            found: 5,
            skipped_blacklisted: 1,
            up_to_date: 4,
            ..Default::default()
        }
    );
    assert!(
        !fake.requests().iter().any(|r| r.is_archive()),
        "up-to-date repositories are not downloaded again"
    );

    // Code search: every repository with a SKILL.md, each once however many it holds; only
    // the one not indexed yet is synced.
    let code = DiscoveryInput {
        source_key: unique_key("code"),
        kind: DiscoveryKind::CodeSearch,
        query: "filename:SKILL.md".into(),
        max_repositories: None,
        max_concurrency: DEFAULT_MAX_CONCURRENCY,
        trigger: SyncTrigger::Admin,
    };
    let (_, output) = discover(&client, &worker.task_queue, code, 3).await;
    assert_eq!(
        output,
        DiscoveryOutput {
            found: 6,
            skipped_blacklisted: 1,
            started: 1,
            succeeded: 1,
            up_to_date: 4,
            ..Default::default()
        }
    );
    assert_eq!(
        scalar(&db.conn, "SELECT count(*) FROM repositories").await,
        5
    );
    worker.stop();
}

/// The run id of the latest run of a workflow id.
async fn latest_run(client: &Client, workflow_id: &str) -> String {
    client
        .get_workflow_handle::<SyncRepository>(workflow_id.to_string())
        .describe(Default::default())
        .await
        .unwrap_or_else(|e| panic!("describe {workflow_id}: {e}"))
        .run_id()
        .to_string()
}

async fn indexed_pushed_at(db: &DatabaseConnection, owner: &str) -> Option<i64> {
    let sql = format!(
        "SELECT extract(epoch FROM indexed_pushed_at)::bigint AS t FROM repositories \
         WHERE owner = '{owner}'"
    );
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        sql.clone(),
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
    .unwrap_or_else(|| panic!("{sql}: no row"))
    .try_get("", "t")
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn head_checks(fake: &FakeGithub) -> Vec<String> {
    fake.api_requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/commits/HEAD"))
        .map(|r| r.path)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_to_date_repositories_start_no_child_and_a_push_syncs_again() {
    let topic = unique_key("fresh");
    let owners = ["fresh-a", "fresh-b", "fresh-c"].map(unique_owner);
    let fake = FakeGithub::builder()
        .repos(
            owners
                .iter()
                .map(|o| skill_repo(o, "kit", &["one"], 1).topics([topic.as_str()])),
        )
        .start()
        .await;
    // The last pushes happened ten minutes ago: long settled.
    let ten_minutes_ago = Utc::now() - chrono::Duration::minutes(10);
    for owner in &owners {
        fake.set_pushed_at(owner, "kit", ten_minutes_ago);
    }
    let db = migrated_database().await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;
    let input = DiscoveryInput {
        source_key: unique_key("fresh"),
        kind: DiscoveryKind::TopicSearch,
        query: format!("topic:{topic}"),
        max_repositories: None,
        max_concurrency: 3,
        trigger: SyncTrigger::Admin,
    };
    let sync_id = |owner: &str| format!("sync:github.com/{owner}/kit");

    let (_, output) = discover(&client, &worker.task_queue, input.clone(), 1).await;
    assert_eq!((output.started, output.succeeded), (3, 3), "{output:?}");
    let mut runs = Vec::new();
    for owner in &owners {
        runs.push(latest_run(&client, &sync_id(owner)).await);
        assert_eq!(
            indexed_pushed_at(&db.conn, owner).await,
            None,
            "not known yet"
        );
    }

    // Indexed, but the index knows no push yet: one HEAD call each, no child, and the
    // search's pushed_at is recorded as included in the indexed commit.
    fake.clear_requests();
    let (_, output) = discover(&client, &worker.task_queue, input.clone(), 2).await;
    assert_eq!(
        output,
        DiscoveryOutput {
            found: 3,
            up_to_date: 3,
            ..Default::default()
        }
    );
    assert_eq!(head_checks(&fake).len(), 3, "{:?}", fake.api_requests());
    assert!(!fake.requests().iter().any(|r| r.is_archive()));
    for (owner, run) in owners.iter().zip(&runs) {
        assert_eq!(
            &latest_run(&client, &sync_id(owner)).await,
            run,
            "no SyncRepository run for {owner}"
        );
        assert_eq!(
            indexed_pushed_at(&db.conn, owner).await,
            Some(ten_minutes_ago.timestamp())
        );
    }

    // Nothing pushed since: the search alone decides, not one more GitHub call.
    fake.clear_requests();
    let (_, output) = discover(&client, &worker.task_queue, input.clone(), 3).await;
    assert_eq!(output.up_to_date, 3, "{output:?}");
    assert_eq!(output.started, 0, "{output:?}");
    let paths: Vec<String> = fake.api_requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/search/repositories"], "only the search");

    // A push after the last sync: that repository syncs again and publishes the change.
    let pushed = &owners[0];
    fake.write_file(
        pushed,
        "kit",
        "skills/two/SKILL.md",
        valid_skill_md("two"),
        MODE_FILE,
    );
    fake.clear_requests();
    let (_, output) = discover(&client, &worker.task_queue, input.clone(), 4).await;
    assert_eq!(
        output,
        DiscoveryOutput {
            found: 3,
            started: 1,
            succeeded: 1,
            up_to_date: 2,
            ..Default::default()
        }
    );
    assert_ne!(latest_run(&client, &sync_id(pushed)).await, runs[0]);
    assert_eq!(
        scalar(
            &db.conn,
            &format!(
                "SELECT count(*) FROM skills s JOIN repositories r ON r.id = s.repository_id \
                 WHERE r.owner = '{pushed}' AND s.name = 'two' AND s.status = 'active'"
            )
        )
        .await,
        1,
        "the pushed skill is published"
    );

    // Its push is seconds old: HEAD says it is indexed, but the push time is not trusted
    // yet (another push in the same second would report the same pushed_at).
    fake.clear_requests();
    let (_, output) = discover(&client, &worker.task_queue, input.clone(), 5).await;
    assert_eq!(output.up_to_date, 3, "{output:?}");
    assert_eq!(
        head_checks(&fake),
        [format!("/repos/{pushed}/kit/commits/HEAD")]
    );
    assert_eq!(
        indexed_pushed_at(&db.conn, pushed).await,
        Some(ten_minutes_ago.timestamp()),
        "an unsettled push is not recorded"
    );

    // Once it has settled it is recorded, and the next run needs no call again.
    let five_minutes_ago = Utc::now() - chrono::Duration::minutes(5);
    fake.set_pushed_at(pushed, "kit", five_minutes_ago);
    let (_, output) = discover(&client, &worker.task_queue, input.clone(), 6).await;
    assert_eq!(output.up_to_date, 3, "{output:?}");
    assert_eq!(
        indexed_pushed_at(&db.conn, pushed).await,
        Some(five_minutes_ago.timestamp())
    );
    fake.clear_requests();
    let (_, output) = discover(&client, &worker.task_queue, input, 7).await;
    assert_eq!(output.up_to_date, 3, "{output:?}");
    assert!(head_checks(&fake).is_empty(), "{:?}", fake.api_requests());
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
            skill_repo(&unique_owner("disco-ok"), "fine", &["ok"], 10).topics([HOSTILE_TOPIC]),
            skilldex_test_support::fake_github::fixtures::gzip_bomb_repo()
                .with_owner(&unique_owner("disco-bomb"))
                .topics([HOSTILE_TOPIC]),
        ])
        .start()
        .await;
    let db = migrated_database().await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;
    let input = DiscoveryInput {
        source_key: unique_key("hostile"),
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
            up_to_date: 0,
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
    let market_key = unique_key("market");
    let input = DiscoveryInput {
        source_key: market_key.clone(),
        kind: DiscoveryKind::Marketplace,
        query: format!("{market}/plugins"),
        max_repositories: None,
        max_concurrency: 2,
        trigger: SyncTrigger::Admin,
    };
    let (_, output) = discover(&client, &worker.task_queue, input.clone(), 1).await;
    assert_eq!(
        output,
        DiscoveryOutput {
            found: 4,
            skipped_blacklisted: 1,
            started: 3,
            succeeded: 3,
            failed: 0,
            already_running: 0,
            up_to_date: 0,
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

    // Nothing changed: the marketplace's plugins are still followed, and nothing syncs.
    let (_, output) = discover(&client, &worker.task_queue, input.clone(), 2).await;
    assert_eq!(
        output,
        DiscoveryOutput {
            found: 4,
            skipped_blacklisted: 1,
            up_to_date: 3,
            ..Default::default()
        }
    );

    // A limit counts the followed repositories too.
    for (owner, name, path) in [
        (
            &market,
            "plugins",
            "plugins/local/skills/local-skill/extra.md",
        ),
        (&hosted, "tools", "skills/hosted-skill/extra.md"),
        (&by_url, "kit", "skills/url-skill/extra.md"),
    ] {
        fake.write_file(owner, name, path, "more\n", MODE_FILE);
    }
    let limited = DiscoveryInput {
        max_repositories: Some(2),
        ..input
    };
    let (_, output) = discover(&client, &worker.task_queue, limited, 3).await;
    assert_eq!((output.started, output.succeeded), (2, 2), "{output:?}");
    worker.stop();
}

/// Polls until the latest run of `workflow_id` exists and has closed; returns its
/// description.
async fn closed(
    client: &Client,
    workflow_id: &str,
) -> temporalio_client::WorkflowExecutionDescription {
    for _ in 0..600 {
        if let Ok(d) = client
            .get_workflow_handle::<SyncRepository>(workflow_id.to_string())
            .describe(Default::default())
            .await
            && d.status() != WorkflowExecutionStatus::Running
        {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{workflow_id} did not close within two minutes");
}

/// `temporal workflow list --query QUERY -o json` through the CLI the scripts install,
/// as an operator runs it: the listed workflow ids, polled until `want` show (visibility
/// is eventually consistent).
async fn cli_list(address: &str, query: &str, want: usize) -> Vec<String> {
    let cli = skilldex_test_support::workspace_root().join(".tools/venv/bin/temporal");
    assert!(
        cli.exists(),
        "{} is missing: scripts/services.sh installs it",
        cli.display()
    );
    let mut ids = Vec::new();
    for _ in 0..60 {
        let output = tokio::process::Command::new(&cli)
            .args(["workflow", "list", "--address", address, "--query", query])
            .args(["--output", "json"])
            .output()
            .await
            .expect("run the temporal CLI");
        assert!(
            output.status.success(),
            "temporal workflow list --query {query}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let listed: serde_json::Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
                panic!(
                    "{query}: not JSON ({e}): {}",
                    String::from_utf8_lossy(&output.stdout)
                )
            });
        ids = listed
            .as_array()
            .map(|runs| {
                runs.iter()
                    .filter_map(|r| r["execution"]["workflowId"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if ids.len() >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_runs_carry_the_trigger_of_what_started_them() {
    let (scheduled, by_admin, by_user) = (
        unique_owner("trig-sched"),
        unique_owner("trig-admin"),
        unique_owner("trig-user"),
    );
    let (topic_s, topic_a) = (unique_key("trig-s"), unique_key("trig-a"));
    let fake = FakeGithub::builder()
        .repos([
            skill_repo(&scheduled, "kit", &["one"], 1).topics([topic_s.as_str()]),
            skill_repo(&by_admin, "kit", &["one"], 1).topics([topic_a.as_str()]),
            skill_repo(&by_user, "kit", &["one"], 1),
        ])
        .start()
        .await;
    let db = migrated_database().await;
    let worker = TestWorker::start(db.settings(), fake.settings());
    let client = worker.client().await;
    let address = {
        let url = &worker.temporal.address;
        format!(
            "{}:{}",
            url.host_str().expect("a host"),
            url.port().expect("a port")
        )
    };
    let sync_id = |owner: &str| format!("sync:github.com/{owner}/kit");

    // A schedule's run: the source's schedule, triggered now.
    let key = unique_key("trig");
    exec(
        &db.conn,
        &format!(
            "INSERT INTO discovery_sources (id, key, kind, query, interval_seconds) \
             VALUES (gen_random_uuid(), '{key}', 'topic_search', 'topic:{topic_s}', 86400)"
        ),
    )
    .await;
    sync_schedules(&client, &db.conn, &worker.task_queue)
        .await
        .expect("sync schedules");
    let schedule_id = discovery_schedule_id(&key);
    client
        .get_schedule_handle(schedule_id.clone())
        .trigger(ScheduleOverlapPolicy::AllowAll, Default::default())
        .await
        .expect("trigger the schedule");
    let child = closed(&client, &sync_id(&scheduled)).await;
    assert_eq!(child.status(), WorkflowExecutionStatus::Completed);
    let parent = child
        .parent_id()
        .expect("started by a Discovery run")
        .to_string();
    assert!(parent.starts_with(&format!("{schedule_id}-")), "{parent}");
    assert_eq!(
        child.search_attributes().get(&TRIGGER_ATTRIBUTE),
        Some("schedule".to_string())
    );
    assert_eq!(
        child.static_summary(),
        Some(format!("schedule discovery {parent}").as_str())
    );

    // An admin's run, and a user's registration.
    let input = DiscoveryInput {
        source_key: unique_key("trig-admin"),
        kind: DiscoveryKind::TopicSearch,
        query: format!("topic:{topic_a}"),
        max_repositories: None,
        max_concurrency: DEFAULT_MAX_CONCURRENCY,
        trigger: SyncTrigger::Admin,
    };
    let (admin_run, output) = discover(&client, &worker.task_queue, input, 1).await;
    assert_eq!(output.succeeded, 1, "{output:?}");
    let user_repo = RepoName::new(by_user.clone(), "kit").unwrap();
    register(
        &db.conn,
        &client,
        &worker.task_queue,
        &user_repo,
        SyncTrigger::User,
        None,
    )
    .await
    .expect("register");
    assert_eq!(
        closed(&client, &sync_id(&by_user)).await.status(),
        WorkflowExecutionStatus::Completed
    );

    // What operators run (docs/operations.md).
    for (query, want) in [
        (
            format!("SkilldexTrigger='schedule' AND SkilldexRepository='{scheduled}/kit'"),
            vec![sync_id(&scheduled)],
        ),
        (
            format!("SkilldexTrigger='admin' AND SkilldexRepository='{by_admin}/kit'"),
            vec![sync_id(&by_admin)],
        ),
        (
            format!("SkilldexTrigger='user' AND SkilldexRepository='{by_user}/kit'"),
            vec![sync_id(&by_user)],
        ),
        (
            format!("SkilldexTrigger='admin' AND SkilldexRepository='{scheduled}/kit'"),
            vec![],
        ),
        (
            format!("WorkflowType='Discovery' AND TemporalScheduledById='{schedule_id}'"),
            vec![parent.clone()],
        ),
        (
            format!("ParentWorkflowId='{parent}'"),
            vec![sync_id(&scheduled)],
        ),
        (
            format!("ParentWorkflowId='{admin_run}' AND SkilldexTrigger='admin'"),
            vec![sync_id(&by_admin)],
        ),
    ] {
        let listed = cli_list(&address, &query, want.len().max(1)).await;
        assert_eq!(listed, want, "{query}");
    }

    exec(&db.conn, "UPDATE discovery_sources SET enabled = false").await;
    client
        .get_schedule_handle(schedule_id)
        .delete(Default::default())
        .await
        .expect("delete schedule");
    worker.stop();
}
