//! Puts skills in the index through the real code path the worker uses: `build_tree`
//! (discover, validate, package), uploads of the archives to the test S3 server, then
//! `index_build` — so files and downloads are read from real archives.

use std::path::Path;

use chrono::{TimeZone, Utc};
use sea_orm::DatabaseConnection;
use skilldex_core::{
    build::build_tree,
    github::RepoMeta,
    index::index_build,
    storage::ObjectStore,
    sync::{BuildManifest, IndexSummary},
};

/// Indexes the skills under `root` as `owner/repo` at `commit`.
pub async fn index_tree(
    db: &DatabaseConnection,
    store: &ObjectStore,
    (owner, repo): (&str, &str),
    root: &Path,
    commit: &str,
    stars: u64,
) -> IndexSummary {
    let out = tempfile::tempdir().expect("scratch folder");
    let built = build_tree(root, repo, out.path()).expect("build the tree");
    for archive in &built.archives {
        archive.upload(store).await.expect("upload an archive");
    }
    let manifest = BuildManifest {
        repo: RepoMeta {
            owner: owner.to_owned(),
            name: repo.to_owned(),
            full_name: format!("{owner}/{repo}"),
            remote_id: 1,
            description: Some(format!("Skills of {owner}")),
            html_url: format!("https://github.com/{owner}/{repo}"),
            default_branch: "main".to_owned(),
            stars,
            forks: 0,
            topics: vec!["agent-skills".to_owned()],
            license_spdx: Some("Apache-2.0".to_owned()),
            archived: false,
            fork: false,
            pushed_at: Some(Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()),
            size_kb: 10,
        },
        commit: commit.to_owned(),
        skills: built.skills,
        marketplace: built.marketplace,
        problems: built.problems,
    };
    index_build(db, &manifest).await.expect("index the build")
}

/// Writes `files` (path, contents) under a new temporary folder.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (path, contents) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create folders");
        std::fs::write(path, contents).expect("write a file");
    }
    dir
}
