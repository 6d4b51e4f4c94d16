//! Building skills from an archive extracted into memory (what the worker does) gives exactly
//! what building from the same archive extracted to disk gives, whatever the memory budget.

use std::fs;

use skilldex_core::{
    archive::{ExtractLimits, extract_tar_gz, extract_tar_gz_to_memory},
    build::{ArchiveBytes, IN_MEMORY_ARCHIVE_MAX, TreeBuild, build_from, build_tree},
    tree::MemTreeOptions,
};
use skilldex_test_support::fake_github::{
    FakeRepo, MODE_FILE, anthropics_skills, archive_prefix, obra_superpowers, tree_archive_bytes,
};

fn tarball(repo: &FakeRepo) -> Vec<u8> {
    let sha = repo.head_sha();
    tree_archive_bytes(
        &archive_prefix(repo.owner(), repo.name(), &sha),
        &sha,
        repo.files(),
        0,
    )
}

fn archive_bytes(build: &TreeBuild) -> Vec<(String, Vec<u8>)> {
    build
        .archives
        .iter()
        .map(|a| {
            let bytes = match &a.bytes {
                ArchiveBytes::Memory(b) => b.clone(),
                ArchiveBytes::File(p) => fs::read(p).expect("archive file"),
            };
            (a.content_hash.clone(), bytes)
        })
        .collect()
}

fn build_on_disk(gz: &[u8], repo_name: &str) -> TreeBuild {
    let scratch = tempfile::tempdir().expect("tempdir");
    let root = scratch.path().join("tree");
    extract_tar_gz(gz, &root, ExtractLimits::github()).expect("extract to disk");
    let built = build_tree(&root, repo_name, &scratch.path().join("out")).expect("build");
    // Read the archives before the scratch folder goes.
    let bytes = archive_bytes(&built);
    TreeBuild {
        archives: built
            .archives
            .iter()
            .zip(bytes)
            .map(|(a, (_, b))| skilldex_core::build::LocalArchive {
                content_hash: a.content_hash.clone(),
                bytes: ArchiveBytes::Memory(b),
            })
            .collect(),
        ..built
    }
}

#[test]
fn memory_and_disk_extraction_build_the_same_skills() {
    for repo in [anthropics_skills(), obra_superpowers()] {
        let gz = tarball(&repo);
        let on_disk = build_on_disk(&gz, repo.name());
        assert!(!on_disk.skills.is_empty(), "{} has skills", repo.name());
        // Everything in memory, and almost everything spilled.
        for memory_bytes in [64 * 1024 * 1024, 100] {
            let spill = tempfile::tempdir().expect("tempdir");
            let (tree, _) = extract_tar_gz_to_memory(
                &gz[..],
                &ExtractLimits::github(),
                MemTreeOptions {
                    memory_bytes,
                    ..MemTreeOptions::new(spill.path())
                },
            )
            .expect("extract to memory");
            if memory_bytes == 100 {
                assert!(tree.spilled_bytes() > 0, "a small budget spills");
            }
            let in_memory =
                build_from(&tree, repo.name(), &spill.path().join("out")).expect("build");
            assert_eq!(on_disk.skills, in_memory.skills, "{}", repo.name());
            assert_eq!(on_disk.marketplace, in_memory.marketplace);
            assert_eq!(on_disk.problems, in_memory.problems);
            assert_eq!(archive_bytes(&on_disk), archive_bytes(&in_memory));
            assert!(
                in_memory
                    .archives
                    .iter()
                    .all(|a| matches!(a.bytes, ArchiveBytes::Memory(_))),
                "corpus skills are small enough to stay in memory"
            );
        }
    }
}

fn file(path: &str, content: &str) -> (String, String, u32) {
    (path.to_owned(), content.to_owned(), MODE_FILE)
}

fn skill_md(name: &str) -> String {
    format!("---\nname: {name}\ndescription: The {name} skill, for tests.\n---\n# {name}\n")
}

#[test]
fn nested_skills_and_installed_dependencies_are_not_packaged_with_the_outer_skill() {
    let repo = FakeRepo::from_files(
        "acme",
        "outer",
        [
            file("SKILL.md", &skill_md("outer")),
            file("reference.md", "outer notes"),
            file("skills/inner/SKILL.md", &skill_md("inner")),
            file("skills/inner/scripts/run.py", "print('inner')"),
            file("node_modules/left-pad/index.js", "module.exports = 1"),
            file("scripts/__pycache__/x.pyc", "bytecode"),
            file("scripts/tool.py", "print('outer')"),
        ],
    );
    let gz = tarball(&repo);
    let spill = tempfile::tempdir().expect("tempdir");
    let (tree, _) = extract_tar_gz_to_memory(
        &gz[..],
        &ExtractLimits::github(),
        MemTreeOptions::new(spill.path()),
    )
    .expect("extract");
    let built = build_from(&tree, "outer", &spill.path().join("out")).expect("build");
    let files = |path: &str| -> Vec<String> {
        let skill = built
            .skills
            .iter()
            .find(|s| s.path == path)
            .unwrap_or_else(|| panic!("skill at {path:?}"));
        let archive = skill.archive.as_ref().expect("published");
        archive.files.iter().map(|f| f.path.clone()).collect()
    };
    assert_eq!(
        files(""),
        ["SKILL.md", "reference.md", "scripts/tool.py"],
        "the outer skill leaves out the inner skill, node_modules and __pycache__"
    );
    assert_eq!(files("skills/inner"), ["SKILL.md", "scripts/run.py"]);
}

#[test]
fn a_large_archive_is_written_to_the_output_folder() {
    // Incompressible content, so the archive is larger than the in-memory maximum.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..IN_MEMORY_ARCHIVE_MAX + 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let repo = FakeRepo::from_files(
        "acme",
        "big",
        [
            (
                "skills/big/SKILL.md".to_string(),
                skill_md("big").into_bytes(),
                MODE_FILE,
            ),
            ("skills/big/assets/noise.bin".to_string(), noise, MODE_FILE),
        ],
    );
    let gz = tarball(&repo);
    let spill = tempfile::tempdir().expect("tempdir");
    let out = spill.path().join("out");
    let (tree, _) = extract_tar_gz_to_memory(
        &gz[..],
        &ExtractLimits::github(),
        MemTreeOptions::new(spill.path()),
    )
    .expect("extract");
    let built = build_from(&tree, "big", &out).expect("build");
    assert_eq!(built.archives.len(), 1);
    let archive = &built.archives[0];
    let ArchiveBytes::File(path) = &archive.bytes else {
        panic!("a large archive stays on disk, not in memory");
    };
    assert_eq!(
        path,
        &out.join(format!("{}.tar.gz", archive.content_hash)),
        "named after its hash"
    );
    let bytes = fs::read(path).expect("archive");
    assert!(bytes.len() > IN_MEMORY_ARCHIVE_MAX);
    assert_eq!(
        archive.content_hash,
        sha256_hex(&bytes),
        "the hash is the file's"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}
