//! Error classification: what a Temporal activity needs to retry correctly.

use std::time::Duration;

use skilldex_core::github::{GithubClient, GithubError};
use skilldex_test_support::fake_github::{FakeGithub, FakeRepo};

async fn fake() -> FakeGithub {
    FakeGithub::builder()
        .repo(FakeRepo::from_files(
            "o",
            "r",
            vec![("README.md", "hi", 0o644)],
        ))
        .start()
        .await
}

#[tokio::test]
async fn secondary_rate_limit_carries_retry_after() {
    let gh = fake().await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    gh.rate_limit_next(1, Duration::from_secs(37));

    let err = client.repository("o", "r").await.unwrap_err();
    assert!(matches!(err, GithubError::RateLimited { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(37)));
    assert_eq!(err.context().unwrap().target, "o/r");

    // The fault was one-shot.
    client.repository("o", "r").await.unwrap();
    assert_eq!(gh.requests().len(), 2);
}

#[tokio::test]
async fn primary_rate_limit_waits_until_reset() {
    let gh = fake().await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    gh.primary_rate_limit_next(1, Duration::from_secs(300));

    let err = client.head_commit("o", "r", "main").await.unwrap_err();
    let delay = err.retry_after().expect("rate limited");
    assert!((299..=301).contains(&delay.as_secs()), "{delay:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn bare_429_waits_a_minute() {
    let gh = fake().await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    gh.fail_next(1, 429);
    let err = client.search_repositories("x", 1, 10).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)), "{err:?}");
}

#[tokio::test]
async fn server_errors_are_retryable_client_errors_are_not() {
    let gh = fake().await;
    let client = GithubClient::new(&gh.settings()).unwrap();

    gh.fail_next(1, 500);
    let err = client.repository("o", "r").await.unwrap_err();
    assert!(
        matches!(err, GithubError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), None);
    assert_eq!(err.status(), Some(500));

    gh.fail_next(1, 503);
    let err = client.head_commit("o", "r", "main").await.unwrap_err();
    assert!(
        matches!(err, GithubError::Server { status: 503, .. }),
        "{err:?}"
    );

    gh.fail_next(1, 401);
    let err = client.repository("o", "r").await.unwrap_err();
    assert!(
        matches!(err, GithubError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    // A 403 without rate-limit signs is a permission problem, not a reason to wait.
    gh.fail_next(1, 403);
    let err = client.repository("o", "r").await.unwrap_err();
    assert!(
        matches!(err, GithubError::Unauthorized { status: 403, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    gh.fail_next(1, 409);
    let err = client.repository("o", "r").await.unwrap_err();
    assert!(
        matches!(err, GithubError::Rejected { status: 409, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    // And the client recovers.
    assert_eq!(client.repository("o", "r").await.unwrap().full_name, "o/r");
}

#[tokio::test]
async fn connection_failures_are_network_errors() {
    let gh = fake().await;
    let settings = gh.settings();
    drop(gh); // nothing listens there any more
    tokio::time::sleep(Duration::from_millis(50)).await;
    let client = GithubClient::new(&settings).unwrap();
    let err = client.repository("o", "r").await.unwrap_err();
    assert!(matches!(err, GithubError::Network { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.context().unwrap().endpoint, "GET /repos/{owner}/{repo}");
    assert!(std::error::Error::source(&err).is_some());
}

/// A one-route server that answers every request with `200 OK` and `body`.
async fn garbage_server(body: &'static str) -> url::Url {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/").parse().unwrap()
}

#[tokio::test]
async fn unusable_success_answers_are_invalid_responses() {
    let api_url = garbage_server("{\"not\": \"a repository\"}").await;
    let client = GithubClient::new(&skilldex_core::config::GithubSettings {
        api_url,
        token: None,
    })
    .unwrap();

    let err = client.repository("o", "r").await.unwrap_err();
    assert!(
        matches!(err, GithubError::InvalidResponse { .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    let err = client.head_commit("o", "r", "main").await.unwrap_err();
    assert!(
        matches!(err, GithubError::InvalidResponse { .. }),
        "{err:?}"
    );

    let err = client
        .search_code("filename:SKILL.md", 1, 10)
        .await
        .unwrap_err();
    assert!(
        matches!(err, GithubError::InvalidResponse { .. }),
        "{err:?}"
    );
}
