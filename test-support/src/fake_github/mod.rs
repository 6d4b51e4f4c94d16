//! A fake GitHub REST API for tests and offline demos: an in-process axum server on a
//! loopback port that serves GitHub's documented JSON shapes and archive redirects from
//! fixture trees, records every request, and injects rate limits and failures on demand.
//!
//! ```no_run
//! # async fn demo() {
//! use skilldex_test_support::fake_github::{FakeGithub, FakeRepo};
//! let gh = FakeGithub::builder()
//!     .repo(FakeRepo::from_files("octo", "skills", vec![("skills/hi/SKILL.md", "---\nname: hi\n---\n", 0o644)])
//!         .topics(["agent-skills"]).stars(5))
//!     .start()
//!     .await;
//! let settings = gh.settings(); // GithubSettings pointing at the fake
//! gh.rate_limit_next(1, std::time::Duration::from_secs(30));
//! assert!(gh.requests().is_empty());
//! # }
//! ```

mod archive;
pub mod fixtures;
mod repo;
mod server;

use std::{
    collections::VecDeque,
    io,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::http::StatusCode;
use skilldex_core::config::GithubSettings;
use tokio::task::JoinHandle;
use url::Url;

pub use archive::{TarGzBuilder, archive_prefix, tree_archive_bytes};
pub use fixtures::{
    HOSTILE_OWNER, absolute_path_repo, anthropics_skills, broken_yaml_repo, corpus_dir,
    corpus_repos, deep_path_repo, device_file_repo, fixture_repos, fixtures_dir, gzip_bomb_repo,
    hardlink_escape_repo, hostile_repos, huge_skill_md_repo, many_files_repo, obra_superpowers,
    path_traversal_repo, symlink_escape_repo, symlink_relative_escape_repo, try_corpus_repos,
    valid_skill_md,
};
use repo::{Content, collect_files};
pub use repo::{
    FakeFile, FakeRepo, MODE_EXECUTABLE, MODE_FILE, MODE_SYMLINK, RepoSettings, git_blob_sha,
    git_tree_sha,
};
use server::{Fault, Inner, Shared};

/// One request the fake served, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without the query, e.g. `/repos/o/r/commits/main`.
    pub path: String,
    /// Raw query string, e.g. `q=topic%3Aagent-skills&per_page=30&page=2`.
    pub query: Option<String>,
    /// The `Authorization` header, to check tokens are (or are not) sent.
    pub authorization: Option<String>,
    pub accept: Option<String>,
}

impl RecordedRequest {
    /// Whether this is an archive download from the redirect target (codeload's role).
    pub fn is_archive(&self) -> bool {
        self.path.starts_with("/_archive/")
    }
}

/// Configures and starts a [`FakeGithub`].
#[derive(Debug, Default)]
pub struct FakeGithubBuilder {
    repos: Vec<FakeRepo>,
    addr: Option<SocketAddr>,
    require_auth_for_code_search: bool,
    cross_origin_archives: bool,
}

impl FakeGithubBuilder {
    pub fn repo(mut self, repo: FakeRepo) -> Self {
        self.repos.push(repo);
        self
    }

    pub fn repos(mut self, repos: impl IntoIterator<Item = FakeRepo>) -> Self {
        self.repos.extend(repos);
        self
    }

    /// Listen address; default `127.0.0.1:0` (a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// Answer unauthenticated code searches with 401, as github.com does.
    pub fn require_auth_for_code_search(mut self, on: bool) -> Self {
        self.require_auth_for_code_search = on;
        self
    }

    /// Redirect archive downloads to `http://localhost:{port}/` instead of the API's
    /// `127.0.0.1`: another origin, like api.github.com → codeload.github.com, so tests can
    /// check credentials are not forwarded.
    pub fn cross_origin_archives(mut self, on: bool) -> Self {
        self.cross_origin_archives = on;
        self
    }

    /// Starts the server. Panics if the port cannot be bound (tests); see [`Self::try_start`].
    pub async fn start(self) -> FakeGithub {
        self.try_start()
            .await
            .unwrap_or_else(|e| panic!("cannot start the fake GitHub server: {e}"))
    }

    pub async fn try_start(self) -> io::Result<FakeGithub> {
        let addr = self
            .addr
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let base = Url::parse(&format!("http://{local}/")).map_err(io::Error::other)?;
        let mut inner = Inner {
            require_auth_for_code_search: self.require_auth_for_code_search,
            ..Inner::default()
        };
        for repo in self.repos {
            inner.add(repo);
        }
        let mut archive_base = base.clone();
        if self.cross_origin_archives {
            archive_base
                .set_host(Some("localhost"))
                .map_err(io::Error::other)?;
        }
        let shared = Arc::new(Shared {
            base: base.clone(),
            archive_base,
            inner: Mutex::new(inner),
        });
        let app = server::router(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake GitHub server stopped");
            }
        });
        tracing::debug!(%base, "fake GitHub listening");
        Ok(FakeGithub {
            base,
            shared,
            task: Some(task),
        })
    }
}

/// A running fake GitHub. Stops when dropped.
pub struct FakeGithub {
    base: Url,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl FakeGithub {
    pub fn builder() -> FakeGithubBuilder {
        FakeGithubBuilder::default()
    }

    /// API base URL, e.g. `http://127.0.0.1:41234/` (with the trailing slash).
    pub fn base_url(&self) -> Url {
        self.base.clone()
    }

    /// Settings for a client of this server (anonymous).
    pub fn settings(&self) -> GithubSettings {
        GithubSettings {
            api_url: self.base.clone(),
            token: None,
        }
    }

    /// Settings for a client of this server with a token.
    pub fn settings_with_token(&self, token: &str) -> GithubSettings {
        GithubSettings {
            api_url: self.base.clone(),
            token: Some(token.to_string()),
        }
    }

    /// Every request served so far, in order (API calls and archive downloads).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Requests excluding archive downloads from the redirect target.
    pub fn api_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| !r.is_archive())
            .collect()
    }

    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Adds a repository, replacing one with the same name.
    pub fn add_repo(&self, repo: FakeRepo) {
        self.shared.lock().add(repo);
    }

    /// Deletes a repository: its endpoints answer 404 from now on.
    pub fn remove_repo(&self, owner: &str, name: &str) {
        self.shared.lock().repos.retain(|r| {
            !(r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
        });
    }

    /// Current HEAD sha of the default branch.
    pub fn head(&self, owner: &str, name: &str) -> Option<String> {
        self.shared
            .lock()
            .find(owner, name)
            .map(|r| r.head.sha.clone())
    }

    /// The files at HEAD.
    pub fn files(&self, owner: &str, name: &str) -> Vec<FakeFile> {
        self.shared
            .lock()
            .find(owner, name)
            .map(|r| r.head.content.files().to_vec())
            .unwrap_or_default()
    }

    /// Replaces the whole tree with a new commit; returns the new HEAD sha (unchanged when
    /// the tree is identical). Panics if the repository is unknown.
    pub fn set_tree<P, B>(
        &self,
        owner: &str,
        name: &str,
        files: impl IntoIterator<Item = (P, B, u32)>,
    ) -> String
    where
        P: Into<String>,
        B: AsRef<[u8]>,
    {
        let files = collect_files(files);
        self.commit(owner, name, |_| files)
    }

    /// Adds or overwrites one file in a new commit; returns the new HEAD sha.
    pub fn write_file(
        &self,
        owner: &str,
        name: &str,
        path: &str,
        content: impl AsRef<[u8]>,
        mode: u32,
    ) -> String {
        let file = FakeFile::new(path, content, mode);
        self.commit(owner, name, move |mut files| {
            files.retain(|f| f.path != file.path);
            files.push(file);
            files
        })
    }

    /// Removes a file, or every file under a folder (e.g. a whole skill), in a new commit;
    /// returns the new HEAD sha.
    pub fn remove_file(&self, owner: &str, name: &str, path: &str) -> String {
        let path = path.trim_matches('/').to_string();
        let dir = format!("{path}/");
        self.commit(owner, name, move |mut files| {
            files.retain(|f| f.path != path && !f.path.starts_with(&dir));
            files
        })
    }

    /// Serves `tar_gz` as HEAD's archive (a hostile archive in a new commit).
    pub fn set_raw_archive(&self, owner: &str, name: &str, tar_gz: Vec<u8>) -> String {
        let mut inner = self.shared.lock();
        let repo = inner
            .find_mut(owner, name)
            .unwrap_or_else(|| panic!("fake GitHub has no repository {owner}/{name}"));
        repo.commit(Content::RawArchive(tar_gz.into()))
    }

    /// Sets the repository's `pushed_at` (GitHub's time of the last push), as if that push
    /// had happened at `at`: lets tests play a push that is minutes old without waiting.
    /// Commits made afterwards move it to their own time again.
    pub fn set_pushed_at(&self, owner: &str, name: &str, at: chrono::DateTime<chrono::Utc>) {
        let mut inner = self.shared.lock();
        let repo = inner
            .find_mut(owner, name)
            .unwrap_or_else(|| panic!("fake GitHub has no repository {owner}/{name}"));
        repo.pushed_at = chrono::DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at);
    }

    /// GitHub's `pushed_at` of the repository (whole seconds, like GitHub's).
    pub fn pushed_at(&self, owner: &str, name: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        self.shared.lock().find(owner, name).map(|r| r.pushed_at)
    }

    /// Changes metadata (stars, topics, archived...) without a new commit.
    pub fn update_settings(&self, owner: &str, name: &str, change: impl FnOnce(&mut RepoSettings)) {
        let mut inner = self.shared.lock();
        let repo = inner
            .find_mut(owner, name)
            .unwrap_or_else(|| panic!("fake GitHub has no repository {owner}/{name}"));
        change(&mut repo.settings);
    }

    fn commit(
        &self,
        owner: &str,
        name: &str,
        change: impl FnOnce(Vec<FakeFile>) -> Vec<FakeFile>,
    ) -> String {
        let mut inner = self.shared.lock();
        let repo = inner
            .find_mut(owner, name)
            .unwrap_or_else(|| panic!("fake GitHub has no repository {owner}/{name}"));
        let mut files = change(repo.head.content.files().to_vec());
        repo::sort_dedup(&mut files);
        repo.commit(Content::Tree(files))
    }

    /// The next `n` requests get a secondary rate limit: 403 with `retry-after`.
    pub fn rate_limit_next(&self, n: usize, retry_after: Duration) {
        self.push_faults(n, Fault::Secondary(retry_after));
    }

    /// The next `n` requests get a primary rate limit: 403 with `x-ratelimit-remaining: 0`
    /// and `x-ratelimit-reset` `reset_in` from now.
    pub fn primary_rate_limit_next(&self, n: usize, reset_in: Duration) {
        self.push_faults(n, Fault::Primary(reset_in));
    }

    /// The next `n` requests answer `status` with GitHub's error body (no rate-limit
    /// headers, so a bare 429 means "wait a minute").
    pub fn fail_next(&self, n: usize, status: u16) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.push_faults(n, Fault::Status(status));
    }

    /// Drops faults that were not consumed yet.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    pub fn require_auth_for_code_search(&self, on: bool) {
        self.shared.lock().require_auth_for_code_search = on;
    }

    fn push_faults(&self, n: usize, fault: Fault) {
        let mut inner = self.shared.lock();
        let faults: &mut VecDeque<Fault> = &mut inner.faults;
        faults.extend(std::iter::repeat_n(fault, n));
    }

    /// Serves until the task ends (for the `fake-github` binary).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for FakeGithub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeGithub")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}
