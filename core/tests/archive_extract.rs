//! Safe extraction against hostile archives built in the tests.

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use flate2::{Compress, Compression, FlushCompress, write::GzEncoder};
use skilldex_core::archive::{
    ArchiveError, ExtractLimits, ExtractReport, SkippedKind, extract_tar_gz,
    extract_tar_gz_to_memory,
};
use skilldex_core::tree::{DiskTree, FileTree, MemTreeOptions, join_rel};
use tar::{EntryType, Header};
use tempfile::TempDir;

/// Builds tar entries with raw header fields (paths are not sanitised, on purpose).
#[derive(Default)]
struct Tar {
    buf: Vec<u8>,
}

impl Tar {
    fn entry(mut self, path: &str, kind: EntryType, data: &[u8], mode: u32, link: &str) -> Self {
        let mut h = Header::new_gnu();
        let p = path.as_bytes();
        assert!(p.len() <= 100, "raw helper handles short names only");
        h.as_old_mut().name[..p.len()].copy_from_slice(p);
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_mtime(0);
        h.set_cksum();
        self.buf.extend_from_slice(h.as_bytes());
        self.buf.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.buf.extend(std::iter::repeat_n(0u8, pad));
        self
    }

    fn file(self, path: &str, data: &[u8]) -> Self {
        self.entry(path, EntryType::Regular, data, 0o644, "")
    }

    fn dir(self, path: &str) -> Self {
        self.entry(path, EntryType::Directory, b"", 0o755, "")
    }

    /// A pax global header like GitHub's (`comment=<sha>`).
    fn pax_global(self) -> Self {
        let record = b"52 comment=0123456789abcdef0123456789abcdef01234567\n";
        self.entry(
            "pax_global_header",
            EntryType::XGlobalHeader,
            record,
            0o666,
            "",
        )
    }

    fn tar_bytes(mut self) -> Vec<u8> {
        self.buf.extend(std::iter::repeat_n(0u8, 1024));
        self.buf
    }

    fn gz(self) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&self.tar_bytes()).unwrap();
        enc.finish().unwrap()
    }
}

struct Dest {
    tmp: TempDir,
}

impl Dest {
    fn new() -> Self {
        Self {
            tmp: TempDir::new().unwrap(),
        }
    }
    fn path(&self) -> std::path::PathBuf {
        self.tmp.path().join("dest")
    }
    /// Extracts to disk, and to memory (with a budget so small that most contents go to
    /// the spill file): both must accept the same archives with the same report and tree,
    /// and refuse the same ones with the same error. Returns the disk outcome.
    fn extract(&self, gz: &[u8], limits: ExtractLimits) -> Result<ExtractReport, ArchiveError> {
        let disk = extract_tar_gz(gz, &self.path(), limits.clone());
        let spill = TempDir::new().unwrap();
        let memory = extract_tar_gz_to_memory(
            gz,
            &limits,
            MemTreeOptions {
                memory_bytes: 64,
                ..MemTreeOptions::new(spill.path())
            },
        );
        match (&disk, &memory) {
            (Ok(on_disk), Ok((tree, in_memory))) => {
                assert_eq!(on_disk, in_memory, "same report from both destinations");
                assert_same_tree(&DiskTree::new(self.path()), tree, "");
            }
            (Err(on_disk), Err(in_memory)) => assert_eq!(
                (on_disk.code(), on_disk.path()),
                (in_memory.code(), in_memory.path()),
                "same refusal from both destinations: {on_disk} / {in_memory}"
            ),
            _ => panic!(
                "disk and memory disagree: {:?} / {:?}",
                disk.as_ref().map(|_| ()),
                memory.as_ref().map(|_| ())
            ),
        }
        assert_eq!(
            fs::read_dir(spill.path()).unwrap().count(),
            0,
            "the spill file leaves no name behind"
        );
        disk
    }
    /// Nothing was written beside `dest`, and `dest` can be removed.
    fn assert_contained_and_removable(&self) {
        let siblings: Vec<_> = fs::read_dir(self.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(siblings.len() <= 1, "{siblings:?}");
        if self.path().exists() {
            fs::remove_dir_all(self.path()).expect("dest must stay removable");
        }
    }
}

/// Same folders, same files, same bytes and modes.
fn assert_same_tree(a: &dyn FileTree, b: &dyn FileTree, dir: &str) {
    let list = |t: &dyn FileTree| {
        let mut entries: Vec<_> = t
            .read_dir(dir)
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.kind))
            .collect();
        entries.sort_by(|x, y| x.0.cmp(&y.0));
        entries
    };
    let (left, right) = (list(a), list(b));
    assert_eq!(left, right, "folder {dir:?}");
    for (name, kind) in left {
        let rel = join_rel(dir, &name);
        if kind.is_dir() {
            assert_same_tree(a, b, &rel);
        } else {
            let read = |t: &dyn FileTree| {
                let mut bytes = Vec::new();
                t.open(&rel).unwrap().read_to_end(&mut bytes).unwrap();
                bytes
            };
            assert_eq!(read(a), read(b), "content of {rel}");
        }
    }
}

fn github() -> ExtractLimits {
    ExtractLimits::github()
}

#[test]
fn github_tarball_is_extracted_with_top_level_stripped() {
    let gz = Tar::default()
        .pax_global()
        .dir("acme-skills-0123abc/")
        .dir("acme-skills-0123abc/skills/")
        .dir("acme-skills-0123abc/skills/pdf/")
        .file(
            "acme-skills-0123abc/skills/pdf/SKILL.md",
            b"---\nname: pdf\n---\n",
        )
        .entry(
            "acme-skills-0123abc/skills/pdf/run.sh",
            EntryType::Regular,
            b"#!/bin/sh\n",
            0o775,
            "",
        )
        .file("acme-skills-0123abc/./README.md", b"hello")
        .gz();
    let d = Dest::new();
    let report = d.extract(&gz, github()).unwrap();
    assert_eq!(report.top_level.as_deref(), Some("acme-skills-0123abc"));
    assert_eq!(report.files, 3);
    assert_eq!(report.dirs, 2);
    assert_eq!(report.file_bytes, 18 + 10 + 5);
    assert!(report.skipped.is_empty());
    assert_eq!(report.compressed_bytes, gz.len() as u64);
    assert!(report.uncompressed_bytes > report.file_bytes);
    let dest = d.path();
    assert_eq!(
        fs::read_to_string(dest.join("skills/pdf/SKILL.md")).unwrap(),
        "---\nname: pdf\n---\n"
    );
    assert_eq!(fs::read(dest.join("README.md")).unwrap(), b"hello");
    assert!(!dest.join("pax_global_header").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| fs::metadata(dest.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("skills/pdf/run.sh"), 0o755);
        assert_eq!(mode("skills/pdf/SKILL.md"), 0o644);
        assert_eq!(mode("skills"), 0o755);
    }
    d.assert_contained_and_removable();
}

#[test]
fn path_traversal_is_refused() {
    for (path, strip) in [
        ("../x", false),
        ("a/../../x", false),
        ("top/../../x", true),
        ("top/a/../b", true),
    ] {
        let gz = Tar::default().dir("top/").file(path, b"pwned").gz();
        let d = Dest::new();
        let limits = ExtractLimits {
            strip_top_level: strip,
            ..ExtractLimits::default()
        };
        match d.extract(&gz, limits) {
            Err(e @ ArchiveError::ParentComponent { .. }) => {
                assert_eq!(e.path(), Some(path));
                assert_eq!(e.code(), "archive_parent_component");
            }
            other => panic!("{path}: {other:?}"),
        }
        d.assert_contained_and_removable();
    }
    for path in ["/etc/x", "/tmp/skilldex-pwned"] {
        let gz = Tar::default().file(path, b"pwned").gz();
        let d = Dest::new();
        match d.extract(&gz, ExtractLimits::default()) {
            Err(ArchiveError::AbsolutePath { path: p }) => assert_eq!(p, path),
            other => panic!("{path}: {other:?}"),
        }
        d.assert_contained_and_removable();
    }
    assert!(!Path::new("/tmp/skilldex-pwned").exists());
}

#[test]
fn links_are_never_created() {
    let gz = Tar::default()
        .dir("top/")
        .entry("top/passwd", EntryType::Symlink, b"", 0o777, "/etc/passwd")
        .entry("top/up", EntryType::Symlink, b"", 0o777, "../..")
        .entry("top/inside", EntryType::Symlink, b"", 0o777, "README.md")
        .entry("top/hard", EntryType::Link, b"", 0o644, "../../etc/passwd")
        // A later write through the symlink name must not follow anything.
        .file("top/up2/x", b"data")
        .gz();
    let d = Dest::new();
    let report = d.extract(&gz, github()).unwrap();
    let dest = d.path();
    for name in ["passwd", "up", "inside", "hard"] {
        assert!(
            fs::symlink_metadata(dest.join(name)).is_err(),
            "{name} created"
        );
    }
    assert_eq!(
        report
            .skipped
            .iter()
            .map(|s| (s.path.as_str(), s.kind.clone()))
            .collect::<Vec<_>>(),
        vec![
            (
                "passwd",
                SkippedKind::Symlink {
                    target: "/etc/passwd".into()
                }
            ),
            (
                "up",
                SkippedKind::Symlink {
                    target: "../..".into()
                }
            ),
            (
                "inside",
                SkippedKind::Symlink {
                    target: "README.md".into()
                }
            ),
            (
                "hard",
                SkippedKind::Hardlink {
                    target: "../../etc/passwd".into()
                }
            ),
        ]
    );
    assert_eq!(fs::read(dest.join("up2/x")).unwrap(), b"data");
    let escaping: Vec<(&str, bool)> = report
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.escapes_tree()))
        .collect();
    assert_eq!(
        escaping,
        [
            ("passwd", true),
            ("up", true),
            ("inside", false),
            ("hard", true)
        ],
        "absolute and climbing targets reach outside the tree"
    );
    d.assert_contained_and_removable();
}

#[test]
fn link_targets_are_resolved_from_the_link_folder() {
    let link = |path: &str, target: &str| skilldex_core::archive::SkippedEntry {
        path: path.into(),
        kind: SkippedKind::Symlink {
            target: target.into(),
        },
    };
    assert!(!link("a/b/l", "../c").escapes_tree());
    assert!(!link("a/b/l", "../../c").escapes_tree());
    assert!(link("a/b/l", "../../../c").escapes_tree());
    assert!(!link("a/l", "./x/../y").escapes_tree());
    assert!(link("l", "x/../../y").escapes_tree());
    assert!(link("l", "/etc/passwd").escapes_tree());
}

#[test]
fn devices_and_fifos_are_skipped() {
    let gz = Tar::default()
        .entry("null", EntryType::Char, b"", 0o666, "")
        .entry("sda", EntryType::Block, b"", 0o660, "")
        .entry("pipe", EntryType::Fifo, b"", 0o644, "")
        .file("ok.txt", b"ok")
        .gz();
    let d = Dest::new();
    let report = d.extract(&gz, ExtractLimits::default()).unwrap();
    let kinds: Vec<SkippedKind> = report.skipped.iter().map(|s| s.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            SkippedKind::CharDevice,
            SkippedKind::BlockDevice,
            SkippedKind::Fifo
        ]
    );
    assert_eq!(report.files, 1);
    for n in ["null", "sda", "pipe"] {
        assert!(fs::symlink_metadata(d.path().join(n)).is_err());
    }
    d.assert_contained_and_removable();
}

#[test]
fn duplicates_and_clashes_are_refused() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Tar::default().file("a", b"1").file("a", b"2").gz(), "a"),
        (Tar::default().file("a", b"1").file("./a", b"2").gz(), "a"),
        (Tar::default().file("a", b"1").file("a/b", b"2").gz(), "a/b"),
        (Tar::default().dir("a/").file("a", b"2").gz(), "a"),
        (Tar::default().file("a", b"1").dir("a/").gz(), "a"),
    ];
    for (gz, path) in cases {
        let d = Dest::new();
        match d.extract(&gz, ExtractLimits::default()) {
            Err(e @ ArchiveError::DuplicateEntry { .. }) => assert_eq!(e.path(), Some(path)),
            other => panic!("{path}: {other:?}"),
        }
        d.assert_contained_and_removable();
    }
}

#[test]
fn entries_outside_the_top_level_folder_are_refused() {
    let gz = Tar::default().file("one/a", b"1").file("two/b", b"2").gz();
    let d = Dest::new();
    match d.extract(&gz, github()) {
        Err(ArchiveError::MultipleTopLevel { path, top }) => {
            assert_eq!(path, "two/b");
            assert_eq!(top, "one");
        }
        other => panic!("{other:?}"),
    }
    d.assert_contained_and_removable();
    let gz = Tar::default().file("README", b"1").gz();
    let d = Dest::new();
    assert!(matches!(
        d.extract(&gz, github()),
        Err(ArchiveError::MultipleTopLevel { .. })
    ));
}

/// A valid gzip stream of a tar holding one `size`-byte file of zeros, built without ever
/// materialising the zeros: one raw-deflate block of 1 MiB of zeros is repeated (each block is
/// self-contained and byte-aligned by a sync flush), and the CRC is combined arithmetically.
fn gzip_zero_bomb(size: u64) -> Vec<u8> {
    const CHUNK: usize = 1024 * 1024;
    assert_eq!(size % CHUNK as u64, 0);
    let mut header = Header::new_gnu();
    header.set_path("bomb-repo-sha/zeros.bin").unwrap();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_cksum();
    let head = header.as_bytes().to_vec();

    let deflate = |data: &[u8], flush: FlushCompress| {
        let mut c = Compress::new(Compression::best(), false);
        let mut out = Vec::with_capacity(data.len() / 100 + 4096);
        c.compress_vec(data, &mut out, flush).unwrap();
        assert_eq!(c.total_in(), data.len() as u64, "all input consumed");
        out
    };
    let zeros = vec![0u8; CHUNK];
    let head_block = deflate(&head, FlushCompress::Sync);
    let zero_block = deflate(&zeros, FlushCompress::Sync);
    let tail_block = deflate(&[0u8; 1024], FlushCompress::Finish);

    let mut crc = crc32fast::Hasher::new();
    crc.update(&head);
    let mut zero_crc = crc32fast::Hasher::new();
    zero_crc.update(&zeros);
    let chunks = size / CHUNK as u64;
    for _ in 0..chunks {
        crc.combine(&zero_crc);
    }
    crc.update(&[0u8; 1024]);
    let total_len = head.len() as u64 + size + 1024;

    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.extend_from_slice(&head_block);
    for _ in 0..chunks {
        out.extend_from_slice(&zero_block);
    }
    out.extend_from_slice(&tail_block);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&(total_len as u32).to_le_bytes());
    out
}

#[test]
fn bomb_builder_makes_a_valid_gzip() {
    // Sanity check of the test helper itself on a small size.
    let gz = gzip_zero_bomb(4 * 1024 * 1024);
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded.len(), 512 + 4 * 1024 * 1024 + 1024);
    assert!(decoded[512..].iter().all(|&b| b == 0));
}

#[test]
fn gzip_bomb_is_stopped_quickly_by_the_ratio_limit() {
    let gz = gzip_zero_bomb(1024 * 1024 * 1024);
    assert!(gz.len() < 2 * 1024 * 1024, "bomb is {} bytes", gz.len());
    let d = Dest::new();
    let limits = ExtractLimits {
        // Let the per-file and total limits allow it: only the ratio may catch it.
        max_file_bytes: 2 * 1024 * 1024 * 1024,
        max_total_bytes: 4 * 1024 * 1024 * 1024,
        ratio_grace_bytes: 1024 * 1024,
        max_ratio: 100,
        ..github()
    };
    let start = Instant::now();
    let err = d.extract(&gz, limits).unwrap_err();
    assert!(
        matches!(err, ArchiveError::CompressionRatio { limit: 100, .. }),
        "{err:?}"
    );
    assert_eq!(err.path(), Some("bomb-repo-sha/zeros.bin"));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    // Stopped early: far less than the bomb was written.
    let written = fs::metadata(d.path().join("zeros.bin")).map_or(0, |m| m.len());
    assert!(written < 16 * 1024 * 1024, "{written} bytes written");
    d.assert_contained_and_removable();
}

#[test]
fn gzip_bomb_is_stopped_by_the_total_limit_when_ratio_allows_it() {
    let gz = gzip_zero_bomb(1024 * 1024 * 1024);
    let d = Dest::new();
    let limits = ExtractLimits {
        max_file_bytes: 2 * 1024 * 1024 * 1024,
        max_total_bytes: 32 * 1024 * 1024,
        max_ratio: u64::MAX,
        ..github()
    };
    let start = Instant::now();
    let err = d.extract(&gz, limits).unwrap_err();
    assert!(
        matches!(err, ArchiveError::TotalTooLarge { limit, .. } if limit == 32 * 1024 * 1024),
        "{err:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    d.assert_contained_and_removable();
    // With default limits the declared size alone is refused before any byte is written.
    let d = Dest::new();
    assert!(matches!(
        d.extract(&gz, github()),
        Err(ArchiveError::FileTooLarge { size, .. }) if size == 1024 * 1024 * 1024
    ));
    d.assert_contained_and_removable();
}

#[test]
fn count_depth_and_length_limits() {
    let mut t = Tar::default().dir("top/");
    for i in 0..20 {
        t = t.file(&format!("top/f{i}"), b"x");
    }
    let gz = t.gz();
    let d = Dest::new();
    match d.extract(
        &gz,
        ExtractLimits {
            max_files: 10,
            ..github()
        },
    ) {
        Err(ArchiveError::TooManyFiles { path, limit: 10 }) => assert_eq!(path, "f10"),
        other => panic!("{other:?}"),
    }
    d.assert_contained_and_removable();
    let d = Dest::new();
    assert!(matches!(
        d.extract(
            &gz,
            ExtractLimits {
                max_entries: 5,
                ..github()
            }
        ),
        Err(ArchiveError::TooManyEntries { limit: 5, .. })
    ));
    d.assert_contained_and_removable();

    let deep = format!("top/{}f", "d/".repeat(40));
    let gz = Tar::default().file(&deep, b"x").gz();
    let d = Dest::new();
    match d.extract(&gz, github()) {
        Err(ArchiveError::TooDeep { path, limit: 32 }) => assert_eq!(path, deep),
        other => panic!("{other:?}"),
    }
    d.assert_contained_and_removable();

    let long = format!("top/{}", "n".repeat(90));
    let gz = Tar::default().file(&long, b"x").gz();
    let d = Dest::new();
    assert!(matches!(
        d.extract(
            &gz,
            ExtractLimits {
                max_path_len: 64,
                ..github()
            }
        ),
        Err(ArchiveError::PathTooLong { limit: 64, .. })
    ));
    d.assert_contained_and_removable();

    let gz = Tar::default().file("top/big", &[7u8; 5000]).gz();
    let d = Dest::new();
    assert!(matches!(
        d.extract(
            &gz,
            ExtractLimits {
                max_file_bytes: 4096,
                ..github()
            }
        ),
        Err(ArchiveError::FileTooLarge {
            size: 5000,
            limit: 4096,
            ..
        })
    ));
    d.assert_contained_and_removable();
}

#[test]
fn corrupt_truncated_and_failing_input() {
    let gz = Tar::default()
        .file("a", &[1u8; 100_000])
        .file("b", b"2")
        .gz();
    // Truncated stream.
    let d = Dest::new();
    let err = d
        .extract(&gz[..gz.len() / 2], ExtractLimits::default())
        .unwrap_err();
    assert!(matches!(err, ArchiveError::Corrupt { .. }), "{err:?}");
    d.assert_contained_and_removable();
    // Not gzip at all.
    let d = Dest::new();
    let err = d
        .extract(b"definitely not a gzip stream", ExtractLimits::default())
        .unwrap_err();
    assert_eq!(err.code(), "archive_corrupt");
    d.assert_contained_and_removable();
    // Flipped byte in the CRC trailer: detected because the stream is read to its end.
    let mut bad = gz.clone();
    let n = bad.len();
    bad[n - 8] ^= 0xff;
    let d = Dest::new();
    assert!(matches!(
        d.extract(&bad, ExtractLimits::default()),
        Err(ArchiveError::Corrupt { .. })
    ));
    // The caller's reader failing is a read error, not corruption.
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::ConnectionReset, "network"))
        }
    }
    let d = Dest::new();
    match extract_tar_gz(Failing, &d.path(), ExtractLimits::default()) {
        Err(e @ ArchiveError::Read { .. }) => {
            assert!(!e.is_archive_fault(), "a failing download is worth a retry");
            let ArchiveError::Read { source } = e else {
                unreachable!()
            };
            assert_eq!(source.kind(), io::ErrorKind::ConnectionReset);
        }
        other => panic!("{other:?}"),
    }
    let spill = TempDir::new().unwrap();
    match extract_tar_gz_to_memory(
        Failing,
        &ExtractLimits::default(),
        MemTreeOptions::new(spill.path()),
    ) {
        Err(e @ ArchiveError::Read { .. }) => assert!(!e.is_archive_fault()),
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert!(err.is_archive_fault(), "corruption is the archive's fault");
}

#[test]
fn dest_must_be_empty() {
    let d = Dest::new();
    fs::create_dir_all(d.path()).unwrap();
    fs::write(d.path().join("existing"), "x").unwrap();
    let gz = Tar::default().file("a", b"1").gz();
    let err = extract_tar_gz(&gz[..], &d.path(), ExtractLimits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::DestNotEmpty { .. }));
    assert!(
        !err.is_archive_fault(),
        "a used folder is the caller's problem"
    );
    assert_eq!(fs::read(d.path().join("existing")).unwrap(), b"x");
    // An existing empty directory is fine.
    let d = Dest::new();
    fs::create_dir_all(d.path()).unwrap();
    assert_eq!(d.extract(&gz, ExtractLimits::default()).unwrap().files, 1);
}

#[test]
fn oversized_skill_md_extracts_and_the_spec_layer_reports_it() {
    let mut big = b"---\nname: huge\ndescription: d\nlicense: MIT\n---\n".to_vec();
    big.resize(2 * 1024 * 1024, b'a');
    let gz = Tar::default()
        .dir("o-r-sha/")
        .file("o-r-sha/skills/huge/SKILL.md", &big)
        .gz();
    let d = Dest::new();
    let report = d.extract(&gz, github()).unwrap();
    assert_eq!(report.file_bytes, 2 * 1024 * 1024);
    let skill_dir = d.path().join("skills/huge");
    let discovery = skilldex_core::spec::discover_skills(
        &d.path(),
        &skilldex_core::spec::DiscoveryLimits::default(),
    );
    assert_eq!(discovery.skills.len(), 1);
    let validated = skilldex_core::spec::validate_skill_dir(
        &skill_dir,
        &skilldex_core::spec::ValidateOptions::default(),
    );
    let codes: Vec<&str> = validated.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["skill_md_too_large"]);
    assert!(validated.has_errors());
}

#[test]
fn packaged_skill_round_trips_through_extraction() {
    let src = TempDir::new().unwrap();
    let skill = src.path().join("round-trip");
    fs::create_dir_all(skill.join("scripts")).unwrap();
    fs::write(skill.join("SKILL.md"), "---\nname: round-trip\n---\n").unwrap();
    fs::write(skill.join("scripts/x.sh"), "#!/bin/sh\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(
            skill.join("scripts/x.sh"),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    let mut bytes = Vec::new();
    let packaged = skilldex_core::package::package_skill(&skill, &mut bytes).unwrap();
    let d = Dest::new();
    let report = d.extract(&bytes, github()).unwrap();
    assert_eq!(report.top_level.as_deref(), Some("round-trip"));
    assert_eq!(report.files, packaged.files.len());
    for f in &packaged.files {
        let data = fs::read(d.path().join(&f.path)).unwrap();
        assert_eq!(data.len() as u64, f.size);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let exec = fs::metadata(d.path().join(&f.path))
                .unwrap()
                .permissions()
                .mode()
                & 0o111;
            assert_eq!(exec != 0, f.executable, "{}", f.path);
        }
    }
}
