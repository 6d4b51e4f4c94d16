//! Topic and code search with pagination over several pages.

use std::collections::BTreeSet;

use skilldex_core::github::{GithubClient, GithubError, MAX_SEARCH_RESULTS};
use skilldex_test_support::fake_github::{self, FakeGithub, FakeRepo};

fn topic_repos(n: usize) -> Vec<FakeRepo> {
    (0..n)
        .map(|i| {
            FakeRepo::from_files(
                &format!("owner{}", i % 4),
                &format!("skills-{i:02}"),
                vec![(
                    format!("skills/s{i}/SKILL.md"),
                    fake_github::valid_skill_md(&format!("s{i}")),
                    0o644,
                )],
            )
            .topics(["agent-skills"])
            .stars(i as u64)
        })
        .collect()
}

#[tokio::test]
async fn topic_search_pages_through_every_result() {
    let gh = FakeGithub::builder()
        .repos(topic_repos(25))
        .repo(
            FakeRepo::from_files("other", "unrelated", vec![("README.md", "x", 0o644)])
                .topics(["rust"]),
        )
        .repo(
            FakeRepo::from_files("forker", "skills-fork", vec![("README.md", "x", 0o644)])
                .topics(["agent-skills"])
                .fork(true),
        )
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();

    let mut seen = BTreeSet::new();
    let mut page = 1;
    let mut pages = 0;
    loop {
        let result = client
            .search_repositories("topic:agent-skills", page, 10)
            .await
            .unwrap();
        pages += 1;
        assert_eq!(result.total_count, 25, "forks and other topics left out");
        assert!(!result.incomplete_results);
        assert_eq!(result.page, page);
        for repo in &result.items {
            assert!(repo.topics.contains(&"agent-skills".to_string()));
            assert!(
                seen.insert(repo.full_name.clone()),
                "duplicate {}",
                repo.full_name
            );
        }
        match result.next_page() {
            Some(next) => {
                assert_eq!(result.items.len(), 10);
                page = next;
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 25);

    let reqs = gh.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].path, "/search/repositories");
    let query = reqs[2].query.as_deref().unwrap();
    assert!(query.contains("q=topic%3Aagent-skills"), "{query}");
    assert!(
        query.contains("per_page=10") && query.contains("page=3"),
        "{query}"
    );
}

#[tokio::test]
async fn search_items_carry_repository_metadata() {
    let gh = FakeGithub::builder()
        .repos(fake_github::corpus_repos())
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    let result = client
        .search_repositories("topic:agent-skills stars:>1000", 1, 30)
        .await
        .unwrap();
    assert_eq!(result.total_count, 2);
    assert!(!result.has_next);
    // Sorted by stars, like GitHub's best match for these.
    assert_eq!(result.items[0].full_name, "anthropics/skills");
    assert_eq!(result.items[1].full_name, "obra/superpowers");
    assert_eq!(result.items[1].license_spdx.as_deref(), Some("MIT"));
    assert_eq!(result.items[1].default_branch, "main");
}

#[tokio::test]
async fn code_search_finds_every_skill_md_across_pages() {
    let gh = FakeGithub::builder()
        .repos(fake_github::corpus_repos())
        .start()
        .await;
    let client = GithubClient::new(&gh.settings_with_token("t")).unwrap();
    let expected: usize = fake_github::corpus_repos()
        .iter()
        .map(|r| {
            r.files()
                .iter()
                .filter(|f| f.path.ends_with("/SKILL.md") || f.path == "SKILL.md")
                .count()
        })
        .sum();
    assert!(expected > 20);

    let mut hits = Vec::new();
    let mut page = Some(1);
    while let Some(p) = page {
        let result = client
            .search_code("filename:SKILL.md", p, 10)
            .await
            .unwrap();
        assert_eq!(result.total_count as usize, expected);
        hits.extend(result.items.iter().cloned());
        page = result.next_page();
    }
    assert_eq!(hits.len(), expected);
    let unique: BTreeSet<_> = hits
        .iter()
        .map(|h| (h.repository.full_name.clone(), h.path.clone()))
        .collect();
    assert_eq!(unique.len(), expected);
    let pdf = hits
        .iter()
        .find(|h| h.repository.full_name == "anthropics/skills" && h.path == "skills/pdf/SKILL.md")
        .expect("pdf skill found");
    assert_eq!(pdf.name, "SKILL.md");
    assert_eq!(pdf.sha.len(), 40);
    assert_eq!(pdf.repository.owner, "anthropics");
    assert!(
        pdf.html_url
            .starts_with("https://github.com/anthropics/skills/blob/")
    );

    // Narrowing by repository and path.
    let only = client
        .search_code(
            "filename:SKILL.md repo:obra/superpowers path:skills",
            1,
            100,
        )
        .await
        .unwrap();
    assert!(only.total_count > 0);
    assert!(
        only.items
            .iter()
            .all(|h| h.repository.full_name == "obra/superpowers")
    );
    assert!(only.items.iter().all(|h| h.path.starts_with("skills/")));
}

#[tokio::test]
async fn code_search_without_token_is_unauthorized_on_github() {
    let gh = FakeGithub::builder()
        .repos(fake_github::corpus_repos())
        .require_auth_for_code_search(true)
        .start()
        .await;
    let anonymous = GithubClient::new(&gh.settings()).unwrap();
    let err = anonymous
        .search_code("filename:SKILL.md", 1, 10)
        .await
        .unwrap_err();
    assert!(
        matches!(err, GithubError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    let authed = GithubClient::new(&gh.settings_with_token("t")).unwrap();
    assert!(authed.search_code("filename:SKILL.md", 1, 10).await.is_ok());
}

#[tokio::test]
async fn the_thousand_result_cap_is_respected() {
    let gh = FakeGithub::builder().repos(topic_repos(3)).start().await;
    let client = GithubClient::new(&gh.settings()).unwrap();

    // Beyond GitHub's window: refused locally, no request made.
    let err = client
        .search_repositories("topic:agent-skills", MAX_SEARCH_RESULTS / 100 + 1, 100)
        .await
        .unwrap_err();
    assert!(matches!(err, GithubError::InvalidInput { .. }), "{err:?}");
    for (page, per_page) in [(0, 10), (1, 0), (1, 101)] {
        let err = client
            .search_repositories("topic:agent-skills", page, per_page)
            .await
            .unwrap_err();
        assert!(
            matches!(err, GithubError::InvalidInput { .. }),
            "{page}/{per_page}: {err:?}"
        );
    }
    let err = client.search_repositories("  ", 1, 10).await.unwrap_err();
    assert!(matches!(err, GithubError::InvalidInput { .. }), "{err:?}");
    assert!(gh.requests().is_empty());

    // The last page inside the window exists; it reports no next page.
    let last = client
        .search_repositories("topic:agent-skills", 10, 100)
        .await
        .unwrap();
    assert!(last.items.is_empty());
    assert!(!last.has_next);
}
