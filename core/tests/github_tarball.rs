//! Archive downloads: the redirect is followed, bytes land on disk unchanged, the size
//! cap holds, and a failed download leaves no partial file.

use std::{collections::BTreeMap, io::Read, path::Path};

use skilldex_core::github::{GithubClient, GithubError};
use skilldex_test_support::fake_github::{self, FakeGithub, FakeRepo, TarGzBuilder};

/// Files of a GitHub-style tar.gz: (path without the top folder → content), plus the top
/// folder name and the pax comment.
fn read_archive(path: &Path) -> (String, Option<String>, BTreeMap<String, Vec<u8>>) {
    let file = std::fs::File::open(path).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut top = None::<String>;
    let mut comment = None;
    let mut files = BTreeMap::new();
    for entry in ar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.header().entry_type().is_pax_global_extensions() {
            let mut s = String::new();
            entry.read_to_string(&mut s).unwrap();
            comment = s.split_once("comment=").map(|(_, c)| c.trim().to_string());
            continue;
        }
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let (first, rest) = name.split_once('/').unwrap();
        match &top {
            Some(t) => assert_eq!(t, first, "one top-level folder"),
            None => top = Some(first.to_string()),
        }
        if entry.header().entry_type().is_file() {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            files.insert(rest.to_string(), data);
        }
    }
    (top.unwrap(), comment, files)
}

#[tokio::test]
async fn download_follows_the_redirect_and_keeps_every_byte() {
    let gh = FakeGithub::builder()
        .repo(fake_github::anthropics_skills())
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    let sha = client
        .head_commit("anthropics", "skills", "main")
        .await
        .unwrap();
    gh.clear_requests();

    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("repo.tar.gz");
    let mut last_progress = 0;
    let written = client
        .download_tarball_with_progress("anthropics", "skills", &sha, &dest, 64 << 20, |n| {
            assert!(n >= last_progress);
            last_progress = n;
        })
        .await
        .unwrap();
    assert_eq!(written, std::fs::metadata(&dest).unwrap().len());
    assert_eq!(last_progress, written);

    // Two requests: the API answers 302, the archive host serves the bytes.
    let reqs = gh.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(
        reqs[0].path,
        format!("/repos/anthropics/skills/tarball/{sha}")
    );
    assert_eq!(
        reqs[1].path,
        format!("/_archive/anthropics/skills/{sha}.tar.gz")
    );

    let (top, comment, files) = read_archive(&dest);
    assert_eq!(top, format!("anthropics-skills-{}", &sha[..7]));
    assert_eq!(comment.as_deref(), Some(sha.as_str()));
    let expected = fake_github::anthropics_skills();
    assert_eq!(files.len(), expected.files().len());
    for f in expected.files() {
        assert_eq!(
            files.get(&f.path).map(Vec::as_slice),
            Some(&f.content[..]),
            "{}",
            f.path
        );
    }
    assert!(files.contains_key("skills/pdf/SKILL.md"));
}

#[tokio::test]
async fn raw_archives_arrive_byte_identical() {
    let raw = TarGzBuilder::new()
        .dir("o-r-0000000/")
        .file(
            "o-r-0000000/skills/x/SKILL.md",
            fake_github::valid_skill_md("x"),
        )
        .finish();
    let gh = FakeGithub::builder()
        .repo(FakeRepo::from_raw_archive("o", "r", raw.clone()))
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("a.tar.gz");
    let n = client
        .download_tarball("o", "r", "main", &dest, 1 << 20)
        .await
        .unwrap();
    assert_eq!(n, raw.len() as u64);
    assert_eq!(std::fs::read(&dest).unwrap(), raw);
}

#[tokio::test]
async fn old_commits_stay_downloadable() {
    let gh = FakeGithub::builder()
        .repo(FakeRepo::from_files(
            "o",
            "r",
            vec![("skills/a/SKILL.md", fake_github::valid_skill_md("a"), 0o644)],
        ))
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    let old = gh.head("o", "r").unwrap();
    let new = gh.write_file("o", "r", "skills/a/SKILL.md", "changed", 0o644);
    assert_ne!(old, new);

    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("old.tar.gz");
    client
        .download_tarball("o", "r", &old, &dest, 1 << 20)
        .await
        .unwrap();
    let (top, _, files) = read_archive(&dest);
    assert_eq!(top, format!("o-r-{}", &old[..7]));
    assert_eq!(
        files["skills/a/SKILL.md"],
        fake_github::valid_skill_md("a").into_bytes()
    );
}

#[tokio::test]
async fn size_cap_aborts_and_removes_the_partial_file() {
    let gh = FakeGithub::builder()
        .repo(fake_github::anthropics_skills())
        .repo(fake_github::gzip_bomb_repo())
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("capped.tar.gz");

    let err = client
        .download_tarball("anthropics", "skills", "main", &dest, 10_000)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            GithubError::TooLarge {
                max_bytes: 10_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert!(!dest.exists(), "partial download removed");

    // The bomb is ~4 MiB compressed (4 GiB inflated); the cap stops it on the wire.
    let err = client
        .download_tarball(
            fake_github::HOSTILE_OWNER,
            "gzip-bomb",
            "main",
            &dest,
            1 << 20,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, GithubError::TooLarge { .. }), "{err:?}");
    assert!(!dest.exists());
}

#[tokio::test]
async fn unknown_ref_and_unwritable_destination() {
    let gh = FakeGithub::builder()
        .repo(FakeRepo::from_files(
            "o",
            "r",
            vec![("README.md", "hi", 0o644)],
        ))
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let err = client
        .download_tarball("o", "r", "deadbeefdeadbeef", &dir.path().join("x"), 1 << 20)
        .await
        .unwrap_err();
    assert!(matches!(err, GithubError::NotFound { .. }), "{err:?}");

    let missing_dir = dir.path().join("no/such/dir/x.tar.gz");
    let err = client
        .download_tarball("o", "r", "main", &missing_dir, 1 << 20)
        .await
        .unwrap_err();
    assert!(matches!(err, GithubError::Io { .. }), "{err:?}");
}

#[tokio::test]
async fn server_error_is_retryable_and_leaves_nothing_behind() {
    let gh = FakeGithub::builder()
        .repo(FakeRepo::from_files(
            "o",
            "r",
            vec![("README.md", "hi", 0o644)],
        ))
        .start()
        .await;
    let client = GithubClient::new(&gh.settings()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("x.tar.gz");
    let sha = gh.head("o", "r").unwrap();

    gh.fail_next(1, 502);
    let err = client
        .download_tarball("o", "r", &sha, &dest, 1 << 20)
        .await
        .unwrap_err();
    assert!(
        matches!(err, GithubError::Server { status: 502, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(!dest.exists());

    // The next attempt goes through.
    client
        .download_tarball("o", "r", &sha, &dest, 1 << 20)
        .await
        .unwrap();
    assert!(dest.exists());
}

#[tokio::test]
async fn token_is_not_forwarded_to_another_origin() {
    let gh = FakeGithub::builder()
        .repo(FakeRepo::from_files(
            "o",
            "r",
            vec![("README.md", "hi", 0o644)],
        ))
        .cross_origin_archives(true)
        .start()
        .await;
    let client = GithubClient::new(&gh.settings_with_token("ghp_secret")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("x.tar.gz");
    client
        .download_tarball("o", "r", "main", &dest, 1 << 20)
        .await
        .unwrap();

    let reqs = gh.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert!(
        reqs[0]
            .authorization
            .as_deref()
            .is_some_and(|a| a.ends_with("ghp_secret"))
    );
    assert!(reqs[1].is_archive());
    assert_eq!(
        reqs[1].authorization, None,
        "credentials stay with the API origin"
    );
}
