//! Repository metadata and HEAD commits from the fake GitHub.

use skilldex_core::github::{GithubClient, GithubError};
use skilldex_test_support::fake_github::{self, FakeGithub, FakeRepo};

fn skill(name: &str) -> String {
    fake_github::valid_skill_md(name)
}

#[tokio::test]
async fn repository_metadata_of_a_corpus_repo() {
    let gh = FakeGithub::builder()
        .repos(fake_github::corpus_repos())
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();

    // GitHub matches names case-insensitively and answers with the canonical spelling.
    let meta = client.repository("OBRA", "SuperPowers").await.unwrap();
    assert_eq!(meta.owner, "obra");
    assert_eq!(meta.name, "superpowers");
    assert_eq!(meta.full_name, "obra/superpowers");
    assert_eq!(meta.html_url, "https://github.com/obra/superpowers");
    assert_eq!(meta.default_branch, "main");
    assert_eq!(meta.license_spdx.as_deref(), Some("MIT"));
    assert_eq!(meta.stars, 9_000);
    assert_eq!(meta.forks, 700);
    assert!(meta.topics.contains(&"agent-skills".to_string()));
    assert!(!meta.archived);
    assert!(!meta.fork);
    assert!(meta.pushed_at.is_some());
    assert!(meta.size_kb > 0);
    assert!(meta.remote_id > 0);
    assert!(meta.description.is_some());

    let anthropic = client.repository("anthropics", "skills").await.unwrap();
    assert_eq!(anthropic.license_spdx, None);
    assert_ne!(anthropic.remote_id, meta.remote_id);

    let reqs = gh.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path, "/repos/OBRA/SuperPowers");
    assert_eq!(
        reqs[0].accept.as_deref(),
        Some("application/vnd.github+json")
    );
    assert_eq!(
        reqs[0].authorization, None,
        "anonymous client sends no token"
    );
}

#[tokio::test]
async fn archived_fork_with_unasserted_license() {
    let gh = FakeGithub::builder()
        .repo(
            FakeRepo::from_files(
                "someone",
                "old-skills",
                vec![("skills/a/SKILL.md", skill("a"), 0o644)],
            )
            .archived(true)
            .fork(true)
            .license("NOASSERTION")
            .default_branch("trunk")
            .id(4242),
        )
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    let meta = client.repository("someone", "old-skills").await.unwrap();
    assert!(meta.archived);
    assert!(meta.fork);
    assert_eq!(meta.license_spdx, None, "NOASSERTION is not an SPDX id");
    assert_eq!(meta.default_branch, "trunk");
    assert_eq!(meta.remote_id, 4242);
    assert_eq!(meta.description, None);
    assert!(meta.topics.is_empty());
}

#[tokio::test]
async fn head_commit_is_one_cheap_request() {
    let gh = FakeGithub::builder()
        .repo(FakeRepo::from_files(
            "o",
            "r",
            vec![("skills/a/SKILL.md", skill("a"), 0o644)],
        ))
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    let expected = gh.head("o", "r").unwrap();

    let sha = client.head_commit("o", "r", "main").await.unwrap();
    assert_eq!(sha, expected);

    // "Unchanged resync makes 1 GitHub call": resolving HEAD is exactly one request.
    let reqs = gh.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].path, "/repos/o/r/commits/main");
    assert_eq!(
        reqs[0].accept.as_deref(),
        Some("application/vnd.github.sha")
    );
}

#[tokio::test]
async fn changing_a_skill_moves_head_and_identical_trees_do_not() {
    let gh = FakeGithub::builder()
        .repo(FakeRepo::from_files(
            "o",
            "r",
            vec![
                ("skills/a/SKILL.md", skill("a"), 0o644),
                ("skills/b/SKILL.md", skill("b"), 0o644),
            ],
        ))
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    let first = client.head_commit("o", "r", "main").await.unwrap();

    let same = gh.set_tree(
        "o",
        "r",
        vec![
            ("skills/b/SKILL.md", skill("b"), 0o644),
            ("skills/a/SKILL.md", skill("a"), 0o644),
        ],
    );
    assert_eq!(same, first, "same content, same commit");
    assert_eq!(client.head_commit("o", "r", "main").await.unwrap(), first);

    let changed = gh.write_file(
        "o",
        "r",
        "skills/a/SKILL.md",
        skill("a") + "\nMore.\n",
        0o644,
    );
    assert_ne!(changed, first);
    assert_eq!(client.head_commit("o", "r", "main").await.unwrap(), changed);

    let removed = gh.remove_file("o", "r", "skills/b");
    assert_ne!(removed, changed);
    assert_eq!(gh.files("o", "r").len(), 1);
    assert_eq!(client.head_commit("o", "r", "main").await.unwrap(), removed);
}

#[tokio::test]
async fn token_is_sent_when_configured() {
    let gh = FakeGithub::builder()
        .repo(FakeRepo::from_files(
            "o",
            "r",
            vec![("README.md", "hi", 0o644)],
        ))
        .start()
        .await;
    let client = GithubClient::new(&gh.settings_with_token("ghp_test123")).unwrap();
    client.repository("o", "r").await.unwrap();
    let auth = gh.requests()[0].authorization.clone().unwrap_or_default();
    assert!(auth.ends_with("ghp_test123"), "{auth}");
    assert!(
        !format!("{client:?}").contains("ghp_test123"),
        "token stays out of Debug"
    );
}

#[tokio::test]
async fn unknown_repository_and_branch_are_not_found() {
    let gh = FakeGithub::builder()
        .repo(FakeRepo::from_files(
            "o",
            "r",
            vec![("README.md", "hi", 0o644)],
        ))
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();

    let err = client.repository("o", "missing").await.unwrap_err();
    assert!(matches!(err, GithubError::NotFound { .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(err.retry_after(), None);
    let ctx = err.context().unwrap();
    assert_eq!(ctx.endpoint, "GET /repos/{owner}/{repo}");
    assert_eq!(ctx.target, "o/missing");
    assert!(err.to_string().contains("o/missing"), "{err}");

    // GitHub answers 422 "No commit found" for an unknown ref; that is a not-found too.
    let err = client
        .head_commit("o", "r", "no-such-branch")
        .await
        .unwrap_err();
    assert!(matches!(err, GithubError::NotFound { .. }), "{err:?}");
    assert_eq!(err.context().unwrap().target, "o/r@no-such-branch");

    gh.remove_repo("o", "r");
    let err = client.head_commit("o", "r", "main").await.unwrap_err();
    assert!(matches!(err, GithubError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn hostile_names_never_reach_the_network() {
    let gh = FakeGithub::builder().start().await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    for (owner, repo) in [("..", "x"), ("o", "r?x=1"), ("o/../..", "r"), ("", "r")] {
        let err = client.repository(owner, repo).await.unwrap_err();
        assert!(matches!(err, GithubError::InvalidInput { .. }), "{err:?}");
        assert!(!err.is_retryable());
    }
    let err = client.head_commit("o", "r", "../../etc").await.unwrap_err();
    assert!(matches!(err, GithubError::InvalidInput { .. }), "{err:?}");
    assert!(gh.requests().is_empty());
}

#[test]
fn client_needs_a_runtime() {
    let settings = skilldex_core::config::GithubSettings {
        api_url: "https://api.github.com".parse().unwrap(),
        token: None,
    };
    let err = GithubClient::new(&settings).unwrap_err();
    assert!(matches!(err, GithubError::Config(_)), "{err:?}");
}

/// Object ids are git's (sha1 of the object), as GitHub reports them: a code search hit's
/// `sha` is its blob id, a commit's `tree.sha` the id of its root tree.
#[tokio::test]
async fn blob_and_tree_ids_are_gits() {
    let gh = FakeGithub::builder()
        .repo(FakeRepo::from_files(
            "gitids",
            "skills",
            vec![
                ("a.txt", "hello\n", 0o644),
                ("a/SKILL.md", "---\nname: a\n---\n", 0o644),
                ("a/run.sh", "#!/bin/sh\n", 0o755),
            ],
        ))
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    let hits = client
        .search_code("filename:SKILL.md", 1, 10)
        .await
        .unwrap();
    assert_eq!(hits.items.len(), 1);
    // `git hash-object a/SKILL.md`.
    assert_eq!(
        hits.items[0].sha,
        "b1126cfb1dddefac1b84287be0848b1ba7b531f2"
    );

    let commit: serde_json::Value =
        reqwest::get(format!("{}repos/gitids/skills/commits/HEAD", gh.base_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let files = gh.files("gitids", "skills");
    assert_eq!(
        commit["commit"]["tree"]["sha"],
        fake_github::git_tree_sha(&files)
    );
    // `git write-tree` of the same three files.
    assert_eq!(
        commit["commit"]["tree"]["sha"],
        "ba7678921a732d3ebb7b56d7b0e7313b2b823d9f"
    );
}

/// `GET /rate_limit` reports what the `x-ratelimit-*` headers count, and is itself free.
#[tokio::test]
async fn rate_limit_status_matches_the_headers() {
    let gh = FakeGithub::builder()
        .repo(FakeRepo::from_files(
            "ratelimit",
            "skills",
            vec![("s/SKILL.md", skill("s"), 0o644)],
        ))
        .start()
        .await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", gh.base_url())).send();
    let mut last = None;
    for _ in 0..3 {
        last = Some(get("repos/ratelimit/skills").await.unwrap());
    }
    let last = last.unwrap();
    let header = |name: &str| -> u64 { last.headers()[name].to_str().unwrap().parse().unwrap() };
    assert_eq!(header("x-ratelimit-used"), 3);
    assert_eq!(header("x-ratelimit-remaining"), 4997);
    let reset = header("x-ratelimit-reset");
    get("search/repositories?q=ratelimit").await.unwrap();

    for _ in 0..2 {
        let status: serde_json::Value = get("rate_limit").await.unwrap().json().await.unwrap();
        let core = &status["resources"]["core"];
        assert_eq!(core["used"], 3, "{status}");
        assert_eq!(core["remaining"], 4997, "{status}");
        assert_eq!(core["limit"], 5000);
        assert_eq!(core["reset"], reset, "one window, one reset time");
        assert_eq!(status["rate"], *core);
        assert_eq!(status["resources"]["search"]["used"], 1, "{status}");
        assert_eq!(status["resources"]["search"]["remaining"], 29);
        assert_eq!(status["resources"]["code_search"]["used"], 0);
    }
}
