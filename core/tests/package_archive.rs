//! Reproducible skill archives: determinism, manifest, modes, symlinks, limits.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, SystemTime};

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};
use skilldex_core::package::{
    PackageError, PackageLimits, PackageOptions, SkipReason, package_skill, package_skill_with,
};
use tempfile::TempDir;

const FILES: &[(&str, &str)] = &[
    ("SKILL.md", "---\nname: demo\ndescription: d\n---\n# Demo\n"),
    ("references/guide.md", "# Guide\n\nLong text.\n"),
    ("references/a/deep.md", "deep\n"),
    ("assets/template.txt", "{{x}}\n"),
    ("LICENSE.txt", "MIT\n"),
    ("scripts/run.sh", "#!/bin/sh\necho hi\n"),
    ("a-b.md", "dash sorts before slash\n"),
];

fn write_tree(root: &Path, order: &[usize], mtime_secs: u64) {
    for &i in order {
        let (rel, content) = FILES[i];
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, content).unwrap();
        let f = fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime_secs + i as u64 * 7))
            .unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let script = root.join("scripts/run.sh");
        if script.exists() {
            fs::set_permissions(script, fs::Permissions::from_mode(0o700)).unwrap();
        }
    }
}

fn demo_tree(order: &[usize], mtime: u64) -> TempDir {
    let t = TempDir::new().unwrap();
    write_tree(&t.path().join("demo"), order, mtime);
    t
}

fn pack(dir: &Path) -> (Vec<u8>, skilldex_core::package::PackagedSkill) {
    let mut out = Vec::new();
    let p = package_skill(dir, &mut out).unwrap();
    (out, p)
}

struct Entry {
    path: String,
    mode: u32,
    mtime: u64,
    uid: u64,
    gid: u64,
    username: Vec<u8>,
    kind: tar::EntryType,
    data: Vec<u8>,
}

fn read_archive(bytes: &[u8]) -> Vec<Entry> {
    let mut archive = tar::Archive::new(GzDecoder::new(bytes));
    let mut out = Vec::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let h = e.header().clone();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.push(Entry {
            path: e.path().unwrap().to_string_lossy().into_owned(),
            mode: h.mode().unwrap(),
            mtime: h.mtime().unwrap(),
            uid: h.uid().unwrap(),
            gid: h.gid().unwrap(),
            username: h.username_bytes().unwrap_or_default().to_vec(),
            kind: h.entry_type(),
            data,
        });
    }
    out
}

#[test]
fn same_content_gives_identical_bytes_whatever_the_order_mtimes_and_permissions() {
    let a = demo_tree(&[0, 1, 2, 3, 4, 5, 6], 1_000);
    let b = demo_tree(&[6, 5, 4, 3, 2, 1, 0], 1_700_000_000);
    #[cfg(unix)]
    {
        // A different umask-like outcome: group/other bits differ, exec bit kept.
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(
            b.path().join("demo/LICENSE.txt"),
            fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        fs::set_permissions(
            b.path().join("demo/scripts/run.sh"),
            fs::Permissions::from_mode(0o775),
        )
        .unwrap();
    }
    let (bytes_a, pa) = pack(&a.path().join("demo"));
    let (bytes_b, pb) = pack(&b.path().join("demo"));
    assert_eq!(bytes_a, bytes_b);
    assert_eq!(pa, pb);
    assert_eq!(pa.content_hash, hex::encode(Sha256::digest(&bytes_a)));
    assert_eq!(pa.size, bytes_a.len() as u64);
}

#[test]
fn archive_layout_is_canonical() {
    let t = demo_tree(&[3, 1, 0, 5, 2, 6, 4], 42);
    let (bytes, _) = pack(&t.path().join("demo"));
    // gzip header: magic, deflate, no flags (no name), mtime 0, OS 255.
    assert_eq!(&bytes[..4], &[0x1f, 0x8b, 8, 0]);
    assert_eq!(&bytes[4..8], &[0, 0, 0, 0]);
    assert_eq!(bytes[9], 255);
    let entries = read_archive(&bytes);
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "demo/LICENSE.txt",
            "demo/SKILL.md",
            "demo/a-b.md",
            "demo/assets/template.txt",
            "demo/references/a/deep.md",
            "demo/references/guide.md",
            "demo/scripts/run.sh",
        ]
    );
    for e in &entries {
        assert_eq!(e.kind, tar::EntryType::Regular, "{}", e.path);
        assert_eq!((e.mtime, e.uid, e.gid), (0, 0, 0), "{}", e.path);
        assert!(e.username.is_empty());
        let want = if e.path.ends_with("run.sh") && cfg!(unix) {
            0o755
        } else {
            0o644
        };
        assert_eq!(e.mode, want, "{}", e.path);
        let rel = e.path.strip_prefix("demo/").unwrap();
        let content = FILES.iter().find(|(p, _)| *p == rel).unwrap().1;
        assert_eq!(e.data, content.as_bytes());
    }
}

#[test]
fn manifest_lists_every_file_with_size_hash_and_exec_bit() {
    let t = demo_tree(&[0, 1, 2, 3, 4, 5, 6], 0);
    let (_, p) = pack(&t.path().join("demo"));
    assert_eq!(p.files.len(), FILES.len());
    let mut sorted: Vec<&str> = FILES.iter().map(|(p, _)| *p).collect();
    sorted.sort();
    assert_eq!(
        p.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        sorted
    );
    for f in &p.files {
        let content = FILES.iter().find(|(p, _)| *p == f.path).unwrap().1;
        assert_eq!(f.size, content.len() as u64);
        assert_eq!(f.sha256, hex::encode(Sha256::digest(content.as_bytes())));
        assert_eq!(f.executable, cfg!(unix) && f.path == "scripts/run.sh");
    }
    assert!(p.skipped.is_empty());
}

#[test]
fn content_change_changes_the_hash() {
    let a = demo_tree(&[0, 1, 2, 3, 4, 5, 6], 0);
    let b = demo_tree(&[0, 1, 2, 3, 4, 5, 6], 0);
    fs::write(b.path().join("demo/LICENSE.txt"), "MIT!\n").unwrap();
    assert_ne!(
        pack(&a.path().join("demo")).1.content_hash,
        pack(&b.path().join("demo")).1.content_hash
    );
    // The exec bit alone is content too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let c = demo_tree(&[0, 1, 2, 3, 4, 5, 6], 0);
        fs::set_permissions(
            c.path().join("demo/scripts/run.sh"),
            fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        assert_ne!(
            pack(&a.path().join("demo")).1.content_hash,
            pack(&c.path().join("demo")).1.content_hash
        );
    }
}

/// Pins the archive format: if this fails, every published content hash would change
/// (compressor backend, level, header layout). Change it only with a migration plan.
#[test]
fn golden_hash() {
    let t = demo_tree(&[0, 1, 2, 3, 4, 5, 6], 0);
    let (_, p) = pack(&t.path().join("demo"));
    if cfg!(unix) {
        assert_eq!(p.content_hash, GOLDEN, "archive format changed");
    }
}

const GOLDEN: &str = "3741f395ca29ddb6192d9741f95e339eb94925a6299a03f39d3baad4e2ef40bc";

#[cfg(unix)]
#[test]
fn symlinks_are_skipped_with_a_reason() {
    let t = demo_tree(&[0, 1], 0);
    let dir = t.path().join("demo");
    std::os::unix::fs::symlink("/etc/passwd", dir.join("passwd")).unwrap();
    std::os::unix::fs::symlink("references", dir.join("refs")).unwrap();
    fs::create_dir_all(dir.join(".git")).unwrap();
    fs::write(dir.join(".git/HEAD"), "ref").unwrap();
    let (bytes, p) = pack(&dir);
    let skipped: Vec<(&str, SkipReason)> = p
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            (".git", SkipReason::ExcludedDir),
            ("passwd", SkipReason::Symlink),
            ("refs", SkipReason::Symlink),
        ]
    );
    let paths: Vec<String> = read_archive(&bytes).into_iter().map(|e| e.path).collect();
    assert_eq!(paths, ["demo/SKILL.md", "demo/references/guide.md"]);
}

#[test]
fn long_paths_are_stored_deterministically() {
    let a = TempDir::new().unwrap();
    let long = format!("{}/{}.md", "d".repeat(90), "f".repeat(120));
    for root in [a.path().join("s1"), a.path().join("s2")] {
        fs::create_dir_all(root.join("d".repeat(90))).unwrap();
        fs::write(root.join(&long), "x").unwrap();
    }
    let opts = PackageOptions {
        name: Some("same".into()),
        ..PackageOptions::default()
    };
    let mut b1 = Vec::new();
    let mut b2 = Vec::new();
    package_skill_with(&a.path().join("s1"), &mut b1, &opts).unwrap();
    package_skill_with(&a.path().join("s2"), &mut b2, &opts).unwrap();
    assert_eq!(b1, b2);
    let entries = read_archive(&b1);
    assert_eq!(entries[0].path, format!("same/{long}"));
}

#[test]
fn limits_are_typed_errors() {
    let t = demo_tree(&[0, 1, 2, 3, 4, 5, 6], 0);
    let dir = t.path().join("demo");
    let with = |limits: PackageLimits| {
        package_skill_with(
            &dir,
            std::io::sink(),
            &PackageOptions {
                limits,
                ..PackageOptions::default()
            },
        )
    };
    assert!(matches!(
        with(PackageLimits {
            max_files: 3,
            ..PackageLimits::default()
        }),
        Err(PackageError::TooManyFiles { limit: 3 })
    ));
    assert!(matches!(
        with(PackageLimits {
            max_total_bytes: 40,
            ..PackageLimits::default()
        }),
        Err(PackageError::TooLarge { limit: 40 })
    ));
    match with(PackageLimits {
        max_file_bytes: 30,
        ..PackageLimits::default()
    }) {
        Err(PackageError::FileTooLarge { path, size, .. }) => {
            assert_eq!(path, "SKILL.md");
            assert_eq!(size, 41);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        with(PackageLimits {
            max_depth: 1,
            ..PackageLimits::default()
        }),
        Err(PackageError::TooDeep { ref path, limit: 1 }) if path == "references/a"
    ));
    assert!(matches!(
        package_skill(&dir.join("SKILL.md"), std::io::sink()),
        Err(PackageError::NotADirectory { .. })
    ));
    assert!(matches!(
        package_skill_with(
            &dir,
            std::io::sink(),
            &PackageOptions {
                name: Some("../x".into()),
                ..PackageOptions::default()
            }
        ),
        Err(PackageError::InvalidName { .. })
    ));
}

#[test]
fn write_failures_are_reported() {
    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let t = demo_tree(&[0, 1, 2, 3, 4, 5, 6], 0);
    assert!(matches!(
        package_skill(&t.path().join("demo"), Broken),
        Err(PackageError::Write { .. })
    ));
}

#[test]
fn corpus_skill_packages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/anthropics_skills/skills/claude-api");
    assert!(dir.is_dir(), "corpus missing at {}", dir.display());
    let (bytes, p) = pack(&dir);
    assert_eq!(p.files.len(), 66);
    assert!(
        p.files
            .iter()
            .any(|f| f.path == "python/claude-api/README.md")
    );
    let entries = read_archive(&bytes);
    assert_eq!(entries.len(), 66);
    assert!(entries.iter().all(|e| e.path.starts_with("claude-api/")));
}
