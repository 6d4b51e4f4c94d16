//! The HTTP side of the fake: GitHub's REST routes and JSON shapes, request recording and
//! injected faults.
//!
//! Shapes follow GitHub's REST reference (API version 2022-11-28): "Get a repository",
//! "Get a commit" (with the `sha` media type), "Get a branch", "Download a repository archive
//! (tar)", "Search repositories", "Search code", the pagination `Link` header and the
//! rate-limit headers.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard, OnceLock},
    time::Duration,
};

use axum::{
    Json, Router,
    body::Body,
    extract::{Path, Query, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use url::Url;

use super::{
    RecordedRequest,
    archive::{archive_prefix, stream_gzip_bomb, stream_tree_archive},
    repo::{Content, FakeFile, FakeRepo, RepoSettings, git_blob_sha, git_tree_sha},
};

const DOCS: &str = "https://docs.github.com/rest";

/// A commit the fake knows (HEAD or an older one, so archives of old shas still work).
#[derive(Debug)]
pub(crate) struct Commit {
    pub sha: String,
    pub content: Content,
    pub time: DateTime<Utc>,
    /// Git's id of the root tree, computed when first asked for (large trees are slow).
    tree: OnceLock<String>,
}

impl Commit {
    pub fn new(sha: String, content: Content, time: DateTime<Utc>) -> Self {
        Self {
            sha,
            content,
            time,
            tree: OnceLock::new(),
        }
    }

    /// Git's id of the commit's root tree (git's empty tree for hand-built archives, which
    /// have no tree of their own).
    pub fn tree_sha(&self) -> &str {
        self.tree.get_or_init(|| git_tree_sha(self.content.files()))
    }
}

#[derive(Debug)]
pub(crate) struct RepoEntry {
    pub owner: String,
    pub name: String,
    pub id: u64,
    pub settings: RepoSettings,
    pub head: Arc<Commit>,
    pub commits: HashMap<String, Arc<Commit>>,
    pub created_at: DateTime<Utc>,
    pub pushed_at: DateTime<Utc>,
}

impl RepoEntry {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Makes `content` HEAD; an identical tree keeps its old commit (same sha, same time).
    pub fn commit(&mut self, content: Content) -> String {
        let sha = content.sha();
        let commit = match self.commits.get(&sha) {
            Some(existing) => existing.clone(),
            None => {
                let c = Arc::new(Commit::new(sha.clone(), content, now_secs()));
                self.commits.insert(sha.clone(), c.clone());
                self.pushed_at = c.time;
                c
            }
        };
        self.head = commit;
        sha
    }

    /// Resolves `HEAD` (the default branch, as on GitHub), a branch name, `heads/<branch>`,
    /// a full sha or a unique sha prefix.
    fn resolve(&self, git_ref: &str) -> Option<Arc<Commit>> {
        let branch = git_ref.strip_prefix("heads/").unwrap_or(git_ref);
        if branch == self.settings.default_branch || git_ref == "HEAD" {
            return Some(self.head.clone());
        }
        let lower = git_ref.to_ascii_lowercase();
        if lower.len() >= 7 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut found = self.commits.values().filter(|c| c.sha.starts_with(&lower));
            let first = found.next()?;
            return found.next().is_none().then(|| first.clone());
        }
        None
    }

    fn size_kb(&self) -> u64 {
        let bytes: usize = self
            .head
            .content
            .files()
            .iter()
            .map(|f| f.content.len())
            .sum();
        (bytes as u64).div_ceil(1024)
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Fault {
    Status(StatusCode),
    /// Secondary rate limit: 403 with `retry-after`.
    Secondary(Duration),
    /// Primary rate limit: 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`.
    Primary(Duration),
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub repos: Vec<RepoEntry>,
    pub requests: Vec<RecordedRequest>,
    pub faults: VecDeque<Fault>,
    pub require_auth_for_code_search: bool,
    pub next_id: u64,
    /// Requests counted per rate-limit resource (`core`, `search`, `code_search`).
    pub windows: HashMap<&'static str, Window>,
}

/// One rate-limit window of a resource: requests counted since it opened, and when it
/// resets (epoch seconds). A request after the reset opens a new window, as on GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub used: u64,
    pub reset: i64,
}

/// A resource's standing as both the `x-ratelimit-*` headers and `GET /rate_limit` report
/// it. The fake never runs out by itself (`rate_limit_next` is for that): `used` stops one
/// short of the limit, so `used + remaining == limit` always holds, as on GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateStatus {
    pub limit: u64,
    pub used: u64,
    pub remaining: u64,
    pub reset: i64,
}

impl RateStatus {
    fn of(resource: &str, window: Option<Window>, now: i64) -> Self {
        let limit = limit_of(resource);
        let (counted, reset) = match window {
            Some(w) if now < w.reset => (w.used, w.reset),
            _ => (0, now + window_secs(resource)),
        };
        let used = counted.min(limit - 1);
        Self {
            limit,
            used,
            remaining: limit - used,
            reset,
        }
    }

    fn json(&self) -> Value {
        json!({
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "reset": self.reset,
        })
    }
}

impl Inner {
    /// Counts one request against `resource` and returns its standing after it.
    fn count(&mut self, resource: &'static str, now: i64) -> RateStatus {
        let window = self.windows.entry(resource).or_insert(Window {
            used: 0,
            reset: now + window_secs(resource),
        });
        if now >= window.reset {
            *window = Window {
                used: 0,
                reset: now + window_secs(resource),
            };
        }
        window.used += 1;
        RateStatus::of(resource, Some(*window), now)
    }

    /// The standing of `resource` without counting a request.
    fn status(&self, resource: &str, now: i64) -> RateStatus {
        RateStatus::of(resource, self.windows.get(resource).copied(), now)
    }

    pub fn find(&self, owner: &str, name: &str) -> Option<&RepoEntry> {
        self.repos
            .iter()
            .find(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    pub fn find_mut(&mut self, owner: &str, name: &str) -> Option<&mut RepoEntry> {
        self.repos
            .iter_mut()
            .find(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    /// Adds (or replaces) a repository.
    pub fn add(&mut self, repo: FakeRepo) {
        self.repos.retain(|r| {
            !(r.owner.eq_ignore_ascii_case(&repo.owner) && r.name.eq_ignore_ascii_case(&repo.name))
        });
        self.next_id += 1;
        let id = repo.settings.id.unwrap_or(100_000 + self.next_id);
        let now = now_secs();
        let sha = repo.content.sha();
        let commit = Arc::new(Commit::new(sha.clone(), repo.content, now));
        self.repos.push(RepoEntry {
            owner: repo.owner,
            name: repo.name,
            id,
            settings: repo.settings,
            head: commit.clone(),
            commits: HashMap::from([(sha, commit)]),
            created_at: now,
            pushed_at: now,
        });
    }
}

pub(crate) struct Shared {
    pub base: Url,
    /// Where archive redirects point (the API base, or another origin like codeload).
    pub archive_base: Url,
    pub inner: Mutex<Inner>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not wedge every later request.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// API URL for `path` (no leading slash) on this server.
    fn api(&self, path: &str) -> String {
        format!("{}{}", self.base, path.trim_start_matches('/'))
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/repos/{owner}/{repo}", get(get_repository))
        .route("/repos/{owner}/{repo}/commits/{*git_ref}", get(get_commit))
        .route("/repos/{owner}/{repo}/branches/{*branch}", get(get_branch))
        .route("/repos/{owner}/{repo}/tarball", get(tarball_default))
        .route("/repos/{owner}/{repo}/tarball/{*git_ref}", get(tarball))
        .route("/search/repositories", get(search_repositories))
        .route("/search/code", get(search_code))
        .route("/rate_limit", get(rate_limit))
        .route("/_archive/{owner}/{repo}/{file}", get(archive))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not Found", DOCS) })
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            record_and_inject,
        ))
        .with_state(shared)
}

/// Records every request, then answers with the next injected fault if there is one.
async fn record_and_inject(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let header = |headers: &HeaderMap, name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let recorded = RecordedRequest {
        method: req.method().to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().map(str::to_string),
        authorization: header(req.headers(), header::AUTHORIZATION),
        accept: header(req.headers(), header::ACCEPT),
    };
    let (fault, status) = {
        let mut inner = shared.lock();
        inner.requests.push(recorded.clone());
        let now = Utc::now().timestamp();
        let status = match Counted::of(&recorded.path) {
            Counted::Yes(resource) => Some((resource, inner.count(resource, now))),
            // GitHub: "Accessing this endpoint does not count against your REST API rate
            // limit"; it still reports the core standing in its headers.
            Counted::RateLimit => Some(("core", inner.status("core", now))),
            Counted::No => None,
        };
        (inner.faults.pop_front(), status)
    };
    let mut resp = match fault {
        Some(fault) => fault_response(fault),
        None => next.run(req).await,
    };
    if let Some((resource, status)) = status {
        add_rate_headers(resp.headers_mut(), resource, status);
    }
    resp
}

/// Which rate-limit resource a request counts against.
enum Counted {
    Yes(&'static str),
    /// `GET /rate_limit`: free.
    RateLimit,
    /// Archive downloads from the redirect target (codeload's role, not the API).
    No,
}

impl Counted {
    fn of(path: &str) -> Self {
        if path.starts_with("/_archive/") {
            Self::No
        } else if path == "/rate_limit" {
            Self::RateLimit
        } else if path.starts_with("/search/code") {
            Self::Yes("code_search")
        } else if path.starts_with("/search/") {
            Self::Yes("search")
        } else {
            Self::Yes("core")
        }
    }
}

/// Requests per window, GitHub's numbers for an authenticated client.
fn limit_of(resource: &str) -> u64 {
    match resource {
        "code_search" => 10,
        "search" => 30,
        _ => 5000,
    }
}

/// Window length in seconds: an hour for `core`, a minute for the searches.
fn window_secs(resource: &str) -> i64 {
    if resource == "core" { 3600 } else { 60 }
}

fn add_rate_headers(h: &mut HeaderMap, resource: &'static str, status: RateStatus) {
    // Injected rate limits set their own headers; those win.
    h.entry("x-ratelimit-limit").or_insert(num(status.limit));
    h.entry("x-ratelimit-remaining")
        .or_insert(num(status.remaining));
    h.entry("x-ratelimit-reset").or_insert(num(status.reset));
    h.entry("x-ratelimit-used").or_insert(num(status.used));
    h.entry("x-ratelimit-resource")
        .or_insert(HeaderValue::from_static(resource));
}

fn num(n: impl ToString) -> HeaderValue {
    HeaderValue::from_str(&n.to_string()).unwrap_or(HeaderValue::from_static("0"))
}

fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::Status(status) => error(status, status.canonical_reason().unwrap_or("Error"), DOCS),
        Fault::Secondary(after) => {
            let mut resp = error(
                StatusCode::FORBIDDEN,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, num(after.as_secs()));
            resp
        }
        Fault::Primary(reset_in) => {
            let mut resp = error(
                StatusCode::FORBIDDEN,
                "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)",
                "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api",
            );
            let h = resp.headers_mut();
            h.insert("x-ratelimit-limit", num(60));
            h.insert("x-ratelimit-remaining", num(0));
            h.insert("x-ratelimit-used", num(60));
            h.insert(
                "x-ratelimit-reset",
                num(Utc::now().timestamp() + reset_in.as_secs() as i64),
            );
            resp
        }
    }
}

/// GitHub's error body.
fn error(status: StatusCode, message: &str, documentation_url: &str) -> Response {
    (
        status,
        Json(json!({
            "message": message,
            "documentation_url": documentation_url,
            "status": status.as_u16().to_string(),
        })),
    )
        .into_response()
}

fn not_found(doc: &str) -> Response {
    error(StatusCode::NOT_FOUND, "Not Found", doc)
}

fn now_secs() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_else(Utc::now)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---- JSON shapes ------------------------------------------------------------------------

fn owner_json(shared: &Shared, r: &RepoEntry) -> Value {
    let login = &r.owner;
    let u = |p: &str| shared.api(&format!("users/{login}{p}"));
    json!({
        "login": login,
        "id": 10_000 + (r.id % 10_000),
        "node_id": format!("MDQ6VXNlcj{}", r.id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", r.id),
        "gravatar_id": "",
        "url": u(""),
        "html_url": format!("https://github.com/{login}"),
        "followers_url": u("/followers"),
        "following_url": u("/following{/other_user}"),
        "gists_url": u("/gists{/gist_id}"),
        "starred_url": u("/starred{/owner}{/repo}"),
        "subscriptions_url": u("/subscriptions"),
        "organizations_url": u("/orgs"),
        "repos_url": u("/repos"),
        "events_url": u("/events{/privacy}"),
        "received_events_url": u("/received_events"),
        "type": r.settings.owner_type,
        "user_view_type": "public",
        "site_admin": false
    })
}

fn license_json(shared: &Shared, spdx: &str) -> Value {
    let (key, name) = match spdx {
        "MIT" => ("mit", "MIT License"),
        "Apache-2.0" => ("apache-2.0", "Apache License 2.0"),
        "BSD-3-Clause" => (
            "bsd-3-clause",
            "BSD 3-Clause \"New\" or \"Revised\" License",
        ),
        "GPL-3.0" => ("gpl-3.0", "GNU General Public License v3.0"),
        "NOASSERTION" => ("other", "Other"),
        other => (other, other),
    };
    let key = key.to_ascii_lowercase();
    json!({
        "key": key,
        "name": name,
        "spdx_id": spdx,
        "url": if spdx == "NOASSERTION" { Value::Null } else { Value::String(shared.api(&format!("licenses/{key}"))) },
        "node_id": format!("MDc6TGljZW5zZ{key}")
    })
}

/// Fields shared by the minimal repository (code search) and the full one.
fn minimal_repo_json(shared: &Shared, r: &RepoEntry) -> Value {
    let full = r.full_name();
    let mut v = json!({
        "id": r.id,
        "node_id": format!("MDEwOlJlcG9zaXRvcnk{}", r.id),
        "name": r.name,
        "full_name": full,
        "private": false,
        "owner": owner_json(shared, r),
        "html_url": format!("https://github.com/{full}"),
        "description": r.settings.description,
        "fork": r.settings.fork,
        "url": shared.api(&format!("repos/{full}")),
    });
    // The hypermedia URL templates every repository object carries.
    const URLS: &[(&str, &str)] = &[
        ("archive_url", "/{archive_format}{/ref}"),
        ("assignees_url", "/assignees{/user}"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("branches_url", "/branches{/branch}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("comments_url", "/comments{/number}"),
        ("commits_url", "/commits{/sha}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("contents_url", "/contents/{+path}"),
        ("contributors_url", "/contributors"),
        ("deployments_url", "/deployments"),
        ("downloads_url", "/downloads"),
        ("events_url", "/events"),
        ("forks_url", "/forks"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("issue_events_url", "/issues/events{/number}"),
        ("issues_url", "/issues{/number}"),
        ("keys_url", "/keys{/key_id}"),
        ("labels_url", "/labels{/name}"),
        ("languages_url", "/languages"),
        ("merges_url", "/merges"),
        ("milestones_url", "/milestones{/number}"),
        (
            "notifications_url",
            "/notifications{?since,all,participating}",
        ),
        ("pulls_url", "/pulls{/number}"),
        ("releases_url", "/releases{/id}"),
        ("stargazers_url", "/stargazers"),
        ("statuses_url", "/statuses/{sha}"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("tags_url", "/tags"),
        ("teams_url", "/teams"),
        ("trees_url", "/git/trees{/sha}"),
        ("hooks_url", "/hooks"),
    ];
    if let Value::Object(map) = &mut v {
        for (key, suffix) in URLS {
            map.insert(
                (*key).into(),
                Value::String(shared.api(&format!("repos/{full}{suffix}"))),
            );
        }
    }
    v
}

/// `full-repository` ("Get a repository"); search items add `score`.
fn repo_json(shared: &Shared, r: &RepoEntry) -> Value {
    let full = r.full_name();
    let mut v = minimal_repo_json(shared, r);
    let s = &r.settings;
    let extra = json!({
        "git_url": format!("git://github.com/{full}.git"),
        "ssh_url": format!("git@github.com:{full}.git"),
        "clone_url": format!("https://github.com/{full}.git"),
        "svn_url": format!("https://github.com/{full}"),
        "mirror_url": null,
        "homepage": s.homepage,
        "size": r.size_kb(),
        "stargazers_count": s.stars,
        "watchers_count": s.stars,
        "language": "Markdown",
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": true,
        "has_pages": false,
        "has_discussions": false,
        "forks_count": s.forks,
        "archived": s.archived,
        "disabled": false,
        "open_issues_count": 0,
        "license": s.license.as_deref().map(|l| license_json(shared, l)),
        "allow_forking": true,
        "is_template": false,
        "web_commit_signoff_required": false,
        "topics": s.topics,
        "visibility": "public",
        "forks": s.forks,
        "open_issues": 0,
        "watchers": s.stars,
        "default_branch": s.default_branch,
        "created_at": ts(r.created_at),
        "updated_at": ts(r.pushed_at),
        "pushed_at": ts(r.pushed_at),
        "network_count": s.forks,
        "subscribers_count": 0,
        "temp_clone_token": null,
    });
    if let (Value::Object(base), Value::Object(extra)) = (&mut v, extra) {
        base.extend(extra);
    }
    v
}

fn commit_json(shared: &Shared, r: &RepoEntry, c: &Commit) -> Value {
    let full = r.full_name();
    let sha = &c.sha;
    let tree_sha = c.tree_sha();
    let person =
        json!({ "name": "Fake GitHub", "email": "fake@skilldex.invalid", "date": ts(c.time) });
    json!({
        "url": shared.api(&format!("repos/{full}/commits/{sha}")),
        "sha": sha,
        "node_id": format!("C_{sha}"),
        "html_url": format!("https://github.com/{full}/commit/{sha}"),
        "comments_url": shared.api(&format!("repos/{full}/commits/{sha}/comments")),
        "commit": {
            "url": shared.api(&format!("repos/{full}/git/commits/{sha}")),
            "author": person,
            "committer": person,
            "message": "Fake commit",
            "tree": { "url": shared.api(&format!("repos/{full}/git/trees/{tree_sha}")), "sha": tree_sha },
            "comment_count": 0,
            "verification": { "verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null }
        },
        "author": null,
        "committer": null,
        "parents": [],
        "stats": { "additions": 0, "deletions": 0, "total": 0 },
        "files": []
    })
}

// ---- handlers ---------------------------------------------------------------------------

async fn get_repository(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let inner = shared.lock();
    match inner.find(&owner, &repo) {
        Some(r) => Json(repo_json(&shared, r)).into_response(),
        None => not_found("https://docs.github.com/rest/repos/repos#get-a-repository"),
    }
}

fn wants_sha(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            // application/vnd.github.sha, .v3.sha, .VERSION.sha
            a.split(',').any(|t| {
                let t = t.trim();
                t.starts_with("application/vnd.github.")
                    && t.split(';')
                        .next()
                        .is_some_and(|m| m.trim().ends_with(".sha"))
            })
        })
}

async fn get_commit(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let doc = "https://docs.github.com/rest/commits/commits#get-a-commit";
    let inner = shared.lock();
    let Some(r) = inner.find(&owner, &repo) else {
        return not_found(doc);
    };
    let Some(c) = r.resolve(&git_ref) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("No commit found for SHA: {git_ref}"),
            doc,
        );
    };
    if wants_sha(&headers) {
        return (
            [(
                header::CONTENT_TYPE,
                "application/vnd.github.sha; charset=utf-8",
            )],
            c.sha.clone(),
        )
            .into_response();
    }
    Json(commit_json(&shared, r, &c)).into_response()
}

async fn get_branch(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, branch)): Path<(String, String, String)>,
) -> Response {
    let doc = "https://docs.github.com/rest/branches/branches#get-a-branch";
    let inner = shared.lock();
    let Some(r) = inner.find(&owner, &repo) else {
        return not_found(doc);
    };
    if branch != r.settings.default_branch {
        return error(StatusCode::NOT_FOUND, "Branch not found", doc);
    }
    let full = r.full_name();
    Json(json!({
        "name": branch,
        "commit": commit_json(&shared, r, &r.head),
        "_links": {
            "self": shared.api(&format!("repos/{full}/branches/{branch}")),
            "html": format!("https://github.com/{full}/tree/{branch}")
        },
        "protected": false,
        "protection": { "enabled": false, "required_status_checks": { "enforcement_level": "off", "contexts": [], "checks": [] } },
        "protection_url": shared.api(&format!("repos/{full}/branches/{branch}/protection"))
    }))
    .into_response()
}

async fn tarball_default(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    redirect_to_archive(&shared, &owner, &repo, None)
}

async fn tarball(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> Response {
    redirect_to_archive(&shared, &owner, &repo, Some(&git_ref))
}

/// GitHub answers the archive endpoint with a 302 to codeload; here, to `/_archive/...`.
fn redirect_to_archive(
    shared: &Shared,
    owner: &str,
    repo: &str,
    git_ref: Option<&str>,
) -> Response {
    let doc = "https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar";
    let inner = shared.lock();
    let Some(r) = inner.find(owner, repo) else {
        return not_found(doc);
    };
    let commit = match git_ref {
        None | Some("") => Some(r.head.clone()),
        Some(git_ref) => r.resolve(git_ref),
    };
    let Some(c) = commit else {
        return not_found(doc);
    };
    let location = format!(
        "{}_archive/{}/{}/{}.tar.gz",
        shared.archive_base, r.owner, r.name, c.sha
    );
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CONTENT_LENGTH, "0".to_string()),
        ],
    )
        .into_response()
}

async fn archive(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, file)): Path<(String, String, String)>,
) -> Response {
    let Some(sha) = file.strip_suffix(".tar.gz") else {
        return (StatusCode::NOT_FOUND, "404: Not Found").into_response();
    };
    let (prefix, commit) = {
        let inner = shared.lock();
        let Some(r) = inner.find(&owner, &repo) else {
            return (StatusCode::NOT_FOUND, "404: Not Found").into_response();
        };
        let Some(c) = r.commits.get(sha).cloned() else {
            return (StatusCode::NOT_FOUND, "404: Not Found").into_response();
        };
        (archive_prefix(&r.owner, &r.name, &c.sha), c)
    };
    let mtime = commit.time.timestamp().max(0) as u64;
    let body = match &commit.content {
        Content::Tree(files) => {
            stream_tree_archive(prefix.clone(), commit.sha.clone(), files.clone(), mtime)
        }
        Content::RawArchive(bytes) => Body::from(bytes.clone()),
        Content::GzipBomb { uncompressed } => stream_gzip_bomb(&prefix, *uncompressed, mtime),
    };
    (
        [
            (header::CONTENT_TYPE, "application/x-gzip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename={prefix}.tar.gz"),
            ),
        ],
        body,
    )
        .into_response()
}

/// "Get rate limit status for the authenticated user": the same standing the headers
/// report, per resource (`rate` is GitHub's deprecated copy of `core`).
async fn rate_limit(State(shared): State<Arc<Shared>>) -> Response {
    let inner = shared.lock();
    let now = Utc::now().timestamp();
    let core = inner.status("core", now).json();
    Json(json!({
        "resources": {
            "core": core,
            "search": inner.status("search", now).json(),
            "code_search": inner.status("code_search", now).json(),
        },
        "rate": core
    }))
    .into_response()
}

// ---- search -----------------------------------------------------------------------------

/// Parsed `q`: free words plus `key:value` qualifiers.
struct SearchQuery {
    words: Vec<String>,
    qualifiers: Vec<(String, String)>,
}

impl SearchQuery {
    fn parse(q: &str) -> Self {
        let mut words = Vec::new();
        let mut qualifiers = Vec::new();
        for token in q.split_whitespace() {
            let token = token.trim_matches('"');
            match token.split_once(':') {
                Some((k, v)) if !k.is_empty() && !v.is_empty() => {
                    qualifiers.push((k.to_ascii_lowercase(), v.trim_matches('"').to_string()))
                }
                _ if !token.is_empty() => words.push(token.to_ascii_lowercase()),
                _ => {}
            }
        }
        Self { words, qualifiers }
    }

    fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.qualifiers
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn one(&self, key: &str) -> Option<&str> {
        self.all(key).next()
    }

    /// Shared repository qualifiers: `repo:`, `user:`/`org:`, `fork:`, `archived:`.
    fn repo_matches(&self, r: &RepoEntry) -> bool {
        let full = r.full_name();
        let repos: Vec<&str> = self.all("repo").collect();
        if !repos.is_empty() && !repos.iter().any(|x| x.eq_ignore_ascii_case(&full)) {
            return false;
        }
        let owners: Vec<&str> = self.all("user").chain(self.all("org")).collect();
        if !owners.is_empty() && !owners.iter().any(|o| o.eq_ignore_ascii_case(&r.owner)) {
            return false;
        }
        // Forks are left out unless asked for, as on GitHub.
        match self.one("fork") {
            Some("true") => {}
            Some("only") => {
                if !r.settings.fork {
                    return false;
                }
            }
            _ => {
                if r.settings.fork {
                    return false;
                }
            }
        }
        match self.one("archived") {
            Some("true") if !r.settings.archived => false,
            Some("false") if r.settings.archived => false,
            _ => true,
        }
    }
}

fn matches_number(spec: &str, n: u64) -> bool {
    let parse = |s: &str| s.trim().parse::<u64>().ok();
    if let Some(rest) = spec.strip_prefix(">=") {
        parse(rest).is_some_and(|v| n >= v)
    } else if let Some(rest) = spec.strip_prefix("<=") {
        parse(rest).is_some_and(|v| n <= v)
    } else if let Some(rest) = spec.strip_prefix('>') {
        parse(rest).is_some_and(|v| n > v)
    } else if let Some(rest) = spec.strip_prefix('<') {
        parse(rest).is_some_and(|v| n < v)
    } else if let Some((lo, hi)) = spec.split_once("..") {
        let lo = if lo == "*" { Some(0) } else { parse(lo) };
        let hi = if hi == "*" { Some(u64::MAX) } else { parse(hi) };
        matches!((lo, hi), (Some(lo), Some(hi)) if n >= lo && n <= hi)
    } else {
        parse(spec) == Some(n)
    }
}

struct Paging {
    page: u64,
    per_page: u64,
}

/// `page`/`per_page` as GitHub reads them: defaults 1 and 30, per_page capped at 100.
fn paging(params: &HashMap<String, String>) -> Paging {
    let per_page = params
        .get("per_page")
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&v| v > 0)
        .unwrap_or(30)
        .min(100);
    let page = params
        .get("page")
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&v| v > 0)
        .unwrap_or(1);
    Paging { page, per_page }
}

fn validation_failed(doc: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({
            "message": "Validation Failed",
            "errors": [{ "resource": "Search", "field": "q", "code": "missing" }],
            "documentation_url": doc,
            "status": "422"
        })),
    )
        .into_response()
}

/// Slices one page out of `total` results and answers with GitHub's envelope and `Link`.
fn search_page(
    shared: &Shared,
    path: &str,
    params: &HashMap<String, String>,
    doc: &str,
    items: Vec<Value>,
) -> Response {
    let Paging { page, per_page } = paging(params);
    if (page - 1) * per_page >= 1000 {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Only the first 1000 search results are available",
            doc,
        );
    }
    let total = items.len() as u64;
    let reachable = total.min(1000);
    let start = ((page - 1) * per_page).min(reachable) as usize;
    let end = (page * per_page).min(reachable) as usize;
    let page_items: Vec<Value> = items.into_iter().skip(start).take(end - start).collect();
    let last = reachable.div_ceil(per_page).max(1);

    let link_to = |p: u64| {
        let mut url = shared.base.clone();
        url.set_path(path);
        {
            let mut qp = url.query_pairs_mut();
            // `q` first, the rest in a stable order, `page` last: readable and deterministic.
            let mut rest: Vec<_> = params
                .iter()
                .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "q")
                .collect();
            rest.sort();
            if let Some(q) = params.get("q") {
                qp.append_pair("q", q);
            }
            for (k, v) in rest {
                qp.append_pair(k, v);
            }
            qp.append_pair("page", &p.to_string());
        }
        url.to_string()
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", link_to(page - 1)));
    }
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", link_to(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", link_to(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"first\"", link_to(1)));
    }
    let mut resp = Json(json!({
        "total_count": total,
        "incomplete_results": false,
        "items": page_items,
    }))
    .into_response();
    if !links.is_empty()
        && let Ok(v) = HeaderValue::from_str(&links.join(", "))
    {
        resp.headers_mut().insert(header::LINK, v);
    }
    resp
}

async fn search_repositories(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let doc = "https://docs.github.com/rest/search/search#search-repositories";
    let Some(q) = params.get("q").filter(|q| !q.trim().is_empty()) else {
        return validation_failed(doc);
    };
    let query = SearchQuery::parse(q);
    let inner = shared.lock();
    let mut hits: Vec<&RepoEntry> = inner
        .repos
        .iter()
        .filter(|r| query.repo_matches(r))
        .filter(|r| {
            query
                .all("topic")
                .all(|t| r.settings.topics.iter().any(|x| x.eq_ignore_ascii_case(t)))
        })
        .filter(|r| {
            query
                .all("stars")
                .all(|s| matches_number(s, r.settings.stars))
        })
        .filter(|r| {
            let hay = format!(
                "{} {} {}",
                r.full_name(),
                r.settings.description.as_deref().unwrap_or(""),
                r.settings.topics.join(" ")
            )
            .to_ascii_lowercase();
            query.words.iter().all(|w| hay.contains(w.as_str()))
        })
        .collect();
    // "Best match" here is stars, then name: stable across pages.
    let sort = params.get("sort").map(String::as_str);
    let asc = params.get("order").map(String::as_str) == Some("asc");
    hits.sort_by(|a, b| {
        let key = |r: &RepoEntry| match sort {
            Some("forks") => r.settings.forks,
            Some("updated") => r.pushed_at.timestamp().max(0) as u64,
            _ => r.settings.stars,
        };
        let ord = key(b)
            .cmp(&key(a))
            .then_with(|| a.full_name().cmp(&b.full_name()));
        if asc && sort.is_some() {
            ord.reverse()
        } else {
            ord
        }
    });
    let items: Vec<Value> = hits
        .into_iter()
        .map(|r| {
            let mut v = repo_json(&shared, r);
            if let Value::Object(m) = &mut v {
                m.insert("score".into(), json!(1.0));
            }
            v
        })
        .collect();
    search_page(&shared, "/search/repositories", &params, doc, items)
}

async fn search_code(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let doc = "https://docs.github.com/rest/search/search#search-code";
    let inner = shared.lock();
    if inner.require_auth_for_code_search && !headers.contains_key(header::AUTHORIZATION) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({
                "message": "Requires authentication",
                "errors": [{ "message": "Must be authenticated to access the code search API", "resource": "Search", "field": "q", "code": "invalid" }],
                "documentation_url": doc,
                "status": "401"
            })),
        )
            .into_response();
    }
    let Some(q) = params.get("q").filter(|q| !q.trim().is_empty()) else {
        return validation_failed(doc);
    };
    let query = SearchQuery::parse(q);
    let mut items = Vec::new();
    let mut repos: Vec<&RepoEntry> = inner
        .repos
        .iter()
        .filter(|r| query.repo_matches(r))
        .collect();
    repos.sort_by_key(|r| r.full_name().to_ascii_lowercase());
    for r in repos {
        for f in r.head.content.files() {
            if f.is_symlink() || !code_matches(&query, f) {
                continue;
            }
            items.push(code_item_json(&shared, r, f));
        }
    }
    search_page(&shared, "/search/code", &params, doc, items)
}

fn code_matches(query: &SearchQuery, f: &FakeFile) -> bool {
    let name = f.path.rsplit('/').next().unwrap_or(&f.path);
    let filename_ok = query.all("filename").all(|n| n.eq_ignore_ascii_case(name));
    let ext_ok = query.all("extension").all(|e| {
        name.rsplit_once('.')
            .is_some_and(|(_, x)| x.eq_ignore_ascii_case(e.trim_start_matches('.')))
    });
    let path_ok = query.all("path").all(|p| {
        let p = p.trim_matches('/');
        let dir = f.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        p.is_empty() || dir == p || dir.starts_with(&format!("{p}/")) || f.path == p
    });
    let words_ok = query.words.is_empty() || {
        let text = String::from_utf8_lossy(&f.content).to_ascii_lowercase();
        query.words.iter().all(|w| text.contains(w.as_str()))
    };
    filename_ok && ext_ok && path_ok && words_ok
}

/// `code-search-result-item`.
fn code_item_json(shared: &Shared, r: &RepoEntry, f: &FakeFile) -> Value {
    let full = r.full_name();
    let sha = git_blob_sha(&f.content);
    let name = f.path.rsplit('/').next().unwrap_or(&f.path);
    let encoded_path: String = f
        .path
        .split('/')
        .map(|seg| url::form_urlencoded::byte_serialize(seg.as_bytes()).collect::<String>())
        .collect::<Vec<_>>()
        .join("/");
    json!({
        "name": name,
        "path": f.path,
        "sha": sha,
        "url": shared.api(&format!("repositories/{}/contents/{encoded_path}?ref={}", r.id, r.head.sha)),
        "git_url": shared.api(&format!("repositories/{}/git/blobs/{sha}", r.id)),
        "html_url": format!("https://github.com/{full}/blob/{}/{encoded_path}", r.head.sha),
        "repository": minimal_repo_json(shared, r),
        "score": 1.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_qualifiers() {
        assert!(matches_number(">10", 11));
        assert!(!matches_number(">10", 10));
        assert!(matches_number(">=10", 10));
        assert!(matches_number("10..20", 15));
        assert!(matches_number("*..20", 3));
        assert!(matches_number("7", 7));
    }

    #[test]
    fn query_parsing() {
        let q = SearchQuery::parse("topic:agent-skills  skills \"filename:SKILL.md\" fork:true");
        assert_eq!(q.words, ["skills"]);
        assert_eq!(q.one("topic"), Some("agent-skills"));
        assert_eq!(q.one("filename"), Some("SKILL.md"));
        assert_eq!(q.one("fork"), Some("true"));
    }
}
