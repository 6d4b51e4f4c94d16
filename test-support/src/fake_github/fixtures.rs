//! Ready-made repositories: the two real corpus repositories, fixture trees on disk, and
//! hostile repositories built in code (each meant to end as one clear, typed error).

use std::{
    io,
    path::{Path, PathBuf},
};

use super::{
    archive::TarGzBuilder,
    repo::{FakeRepo, MODE_FILE},
};

/// Owner of every hostile repository.
pub const HOSTILE_OWNER: &str = "skilldex-hostile";

/// `test-support/fixtures` (on-disk fixture trees, `{owner}/{repo}/...` under `repos/`).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The shared corpus: `$SKILLDEX_CORPUS_DIR`, else `../shared/corpus` beside the workspace.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("SKILLDEX_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("../shared/corpus"))
}

/// `SOURCE.txt` notes where the corpus copy came from; it is not part of the repository.
fn not_provenance(f: &super::FakeFile) -> bool {
    f.path != "SOURCE.txt"
}

/// The corpus copy of github.com/anthropics/skills, served as `anthropics/skills`.
pub fn anthropics_skills() -> FakeRepo {
    anthropics_skills_from(&corpus_dir()).unwrap_or_else(|e| panic!("loading the corpus: {e}"))
}

/// The corpus copy of github.com/obra/superpowers, served as `obra/superpowers`.
pub fn obra_superpowers() -> FakeRepo {
    obra_superpowers_from(&corpus_dir()).unwrap_or_else(|e| panic!("loading the corpus: {e}"))
}

fn anthropics_skills_from(corpus: &Path) -> io::Result<FakeRepo> {
    // Metadata is illustrative, not a snapshot of the live repository.
    Ok(
        FakeRepo::try_from_dir("anthropics", "skills", corpus.join("anthropics_skills"))?
            .filter_files(not_provenance)
            .organization()
            .description("Public repository for Agent Skills")
            .topics(["agent-skills", "claude", "skills"])
            .stars(25_000)
            .forks(2_500),
    )
}

fn obra_superpowers_from(corpus: &Path) -> io::Result<FakeRepo> {
    Ok(
        FakeRepo::try_from_dir("obra", "superpowers", corpus.join("obra_superpowers"))?
            .filter_files(not_provenance)
            .description(
                "An agentic skills framework & software development methodology that works.",
            )
            .topics(["agent-skills", "claude-code", "skills"])
            .license("MIT")
            .stars(9_000)
            .forks(700),
    )
}

/// Both corpus repositories. Panics when the corpus is missing (tests).
pub fn corpus_repos() -> Vec<FakeRepo> {
    try_corpus_repos(&corpus_dir()).unwrap_or_else(|e| panic!("loading the corpus: {e}"))
}

pub fn try_corpus_repos(corpus: &Path) -> io::Result<Vec<FakeRepo>> {
    Ok(vec![
        anthropics_skills_from(corpus)?,
        obra_superpowers_from(corpus)?,
    ])
}

/// Every `{owner}/{repo}` folder under `dir` as a repository (e.g. `fixtures/repos`).
pub fn fixture_repos(dir: &Path) -> io::Result<Vec<FakeRepo>> {
    let mut repos = Vec::new();
    let mut owners: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    owners.sort_by_key(|e| e.file_name());
    for owner in owners {
        if !owner.file_type()?.is_dir() {
            continue;
        }
        let mut names: Vec<_> = std::fs::read_dir(owner.path())?.collect::<Result<_, _>>()?;
        names.sort_by_key(|e| e.file_name());
        for name in names {
            if !name.file_type()?.is_dir() {
                continue;
            }
            repos.push(FakeRepo::try_from_dir(
                &owner.file_name().to_string_lossy(),
                &name.file_name().to_string_lossy(),
                name.path(),
            )?);
        }
    }
    Ok(repos)
}

/// A minimal valid `SKILL.md` for a skill folder called `name`.
pub fn valid_skill_md(name: &str) -> String {
    format!(
        "---\nname: {name}\ndescription: A small valid skill used by Skilldex tests. Use it when a test needs one.\n---\n\n# {name}\n\nDo the thing.\n"
    )
}

/// Prefix for hand-built archives (their sha is not known while building them).
fn raw_prefix(repo: &str) -> String {
    format!("{HOSTILE_OWNER}-{repo}-0000000")
}

fn hostile_archive(repo: &str, build: impl FnOnce(TarGzBuilder, &str) -> TarGzBuilder) -> FakeRepo {
    let prefix = raw_prefix(repo);
    let builder = TarGzBuilder::new()
        .pax_global_comment(&"0".repeat(40))
        .dir(&format!("{prefix}/"))
        .dir(&format!("{prefix}/skills/"))
        .dir(&format!("{prefix}/skills/ok/"))
        .file(
            &format!("{prefix}/skills/ok/SKILL.md"),
            valid_skill_md("ok"),
        );
    let bytes = build(builder, &prefix).finish();
    FakeRepo::from_raw_archive(HOSTILE_OWNER, repo, bytes)
        .description(format!("Hostile fixture: {repo}"))
}

/// An entry `{prefix}/../../evil` climbing out of the extraction folder.
pub fn path_traversal_repo() -> FakeRepo {
    hostile_archive("path-traversal", |b, p| {
        b.file(&format!("{p}/../../evil"), "escaped")
    })
}

/// An entry with an absolute path.
pub fn absolute_path_repo() -> FakeRepo {
    hostile_archive("absolute-path", |b, _| {
        b.file("/tmp/skilldex-absolute-evil", "escaped")
    })
}

/// A `SKILL.md` that is a symlink to `/etc/passwd`.
pub fn symlink_escape_repo() -> FakeRepo {
    hostile_archive("symlink-escape", |b, p| {
        b.dir(&format!("{p}/skills/evil/"))
            .symlink(&format!("{p}/skills/evil/SKILL.md"), "/etc/passwd")
    })
}

/// A symlink whose relative target climbs out of the tree.
pub fn symlink_relative_escape_repo() -> FakeRepo {
    hostile_archive("symlink-relative-escape", |b, p| {
        b.dir(&format!("{p}/skills/evil/")).symlink(
            &format!("{p}/skills/evil/references"),
            "../../../../../../etc",
        )
    })
}

/// A hard link to `/etc/passwd`.
pub fn hardlink_escape_repo() -> FakeRepo {
    hostile_archive("hardlink-escape", |b, p| {
        b.dir(&format!("{p}/skills/evil/"))
            .hardlink(&format!("{p}/skills/evil/SKILL.md"), "/etc/passwd")
    })
}

/// A character device entry (like /dev/null).
pub fn device_file_repo() -> FakeRepo {
    hostile_archive("device-file", |b, p| {
        b.dir(&format!("{p}/skills/evil/"))
            .char_device(&format!("{p}/skills/evil/null"), 1, 3)
    })
}

/// A gzip bomb: a few MiB on the wire, 4 GiB of zeros once inflated.
pub fn gzip_bomb_repo() -> FakeRepo {
    FakeRepo::gzip_bomb(HOSTILE_OWNER, "gzip-bomb", 4 * 1024 * 1024 * 1024)
        .description("Hostile fixture: gzip-bomb")
}

/// One valid skill and one whose front matter is not YAML.
pub fn broken_yaml_repo() -> FakeRepo {
    FakeRepo::from_files(
        HOSTILE_OWNER,
        "broken-yaml",
        vec![
            ("skills/ok/SKILL.md".to_string(), valid_skill_md("ok").into_bytes(), MODE_FILE),
            (
                "skills/broken-yaml/SKILL.md".to_string(),
                b"---\nname: broken-yaml\ndescription: [unclosed, \"quote\n  - : : bad\n\tindent: tab\n---\n\n# Broken\n"
                    .to_vec(),
                MODE_FILE,
            ),
        ],
    )
    .description("Hostile fixture: broken-yaml")
}

/// A 2 MiB `SKILL.md` (valid front matter, huge body).
pub fn huge_skill_md_repo() -> FakeRepo {
    let mut body = valid_skill_md("huge").into_bytes();
    let line = b"This line repeats to make SKILL.md far larger than any sane limit.\n";
    while body.len() < 2 * 1024 * 1024 {
        body.extend_from_slice(line);
    }
    FakeRepo::from_files(
        HOSTILE_OWNER,
        "huge-skill-md",
        vec![("skills/huge/SKILL.md", body, MODE_FILE)],
    )
    .description("Hostile fixture: huge-skill-md")
}

/// `count` tiny files (default limit in core::archive is 20,000 files).
pub fn many_files_repo(count: usize) -> FakeRepo {
    let mut files = vec![(
        "skills/ok/SKILL.md".to_string(),
        valid_skill_md("ok").into_bytes(),
        MODE_FILE,
    )];
    files.extend((0..count).map(|i| {
        (
            format!("junk/{:03}/{i}.txt", i % 1000),
            b"x".to_vec(),
            MODE_FILE,
        )
    }));
    FakeRepo::from_files(HOSTILE_OWNER, "many-files", files)
        .description("Hostile fixture: many-files")
}

/// A file nested `depth` folders deep (default limit in core::archive is 32).
pub fn deep_path_repo(depth: usize) -> FakeRepo {
    let dir = vec!["d"; depth].join("/");
    FakeRepo::from_files(
        HOSTILE_OWNER,
        "deep-path",
        vec![
            (
                "skills/ok/SKILL.md".to_string(),
                valid_skill_md("ok").into_bytes(),
                MODE_FILE,
            ),
            (
                format!("{dir}/SKILL.md"),
                valid_skill_md("d").into_bytes(),
                MODE_FILE,
            ),
        ],
    )
    .description("Hostile fixture: deep-path")
}

/// Every hostile repository, all under [`HOSTILE_OWNER`].
pub fn hostile_repos() -> Vec<FakeRepo> {
    vec![
        path_traversal_repo(),
        absolute_path_repo(),
        symlink_escape_repo(),
        symlink_relative_escape_repo(),
        hardlink_escape_repo(),
        device_file_repo(),
        gzip_bomb_repo(),
        broken_yaml_repo(),
        huge_skill_md_repo(),
        many_files_repo(20_001),
        deep_path_repo(40),
    ]
}
