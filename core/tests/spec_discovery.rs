//! Skill discovery in synthetic trees: locations, skipped folders, symlinks, limits, marketplaces.

use std::fs;
use std::path::Path;

use skilldex_core::spec::{DiscoveryLimits, SkillOrigin, codes, discover_skills, discovery_codes};
use tempfile::TempDir;

fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

fn skill(root: &Path, dir: &str) {
    let name = dir.rsplit('/').next().unwrap();
    let rel = if dir.is_empty() {
        "SKILL.md".to_owned()
    } else {
        format!("{dir}/SKILL.md")
    };
    write(
        root,
        &rel,
        &format!("---\nname: {name}\ndescription: d\n---\n"),
    );
}

fn dirs(root: &Path, limits: &DiscoveryLimits) -> Vec<String> {
    discover_skills(root, limits)
        .skills
        .into_iter()
        .map(|s| s.dir)
        .collect()
}

#[test]
fn finds_skills_in_every_usual_place_and_skips_build_folders() {
    let t = TempDir::new().unwrap();
    let r = t.path();
    for d in [
        "",
        "skills/a",
        ".claude/skills/b",
        ".agents/skills/c",
        "plugins/p/skills/d",
        "deep/er/still/e",
        ".git/skills/x",
        "node_modules/pkg/skill",
        "target/y",
        "dist/y",
        "build/y",
        ".venv/y",
        "__pycache__/y",
    ] {
        skill(r, d);
    }
    assert_eq!(
        dirs(r, &DiscoveryLimits::default()),
        vec![
            "",
            ".agents/skills/c",
            ".claude/skills/b",
            "deep/er/still/e",
            "plugins/p/skills/d",
            "skills/a",
        ]
    );
}

#[test]
fn order_does_not_depend_on_creation_order() {
    let a = TempDir::new().unwrap();
    let b = TempDir::new().unwrap();
    let names = ["zeta", "alpha", "mid", "Beta", "alpha-2"];
    for n in names {
        skill(a.path(), &format!("skills/{n}"));
    }
    for n in names.iter().rev() {
        skill(b.path(), &format!("skills/{n}"));
    }
    let limits = DiscoveryLimits::default();
    assert_eq!(dirs(a.path(), &limits), dirs(b.path(), &limits));
    assert_eq!(
        dirs(a.path(), &limits),
        [
            "skills/Beta",
            "skills/alpha",
            "skills/alpha-2",
            "skills/mid",
            "skills/zeta"
        ]
    );
}

#[test]
fn case_variant_is_accepted_with_a_warning() {
    let t = TempDir::new().unwrap();
    write(t.path(), "skills/a/skill.md", "---\nname: a\n---\n");
    let d = discover_skills(t.path(), &DiscoveryLimits::default());
    assert_eq!(d.skills.len(), 1);
    assert_eq!(d.skills[0].skill_md, "skills/a/skill.md");
    assert_eq!(d.findings.len(), 1);
    assert_eq!(d.findings[0].code, codes::SKILL_MD_CASE);
    assert_eq!(d.findings[0].file, "skills/a/skill.md");
}

#[cfg(unix)]
#[test]
fn symlinks_are_never_followed() {
    let t = TempDir::new().unwrap();
    let outside = TempDir::new().unwrap();
    skill(outside.path(), "skills/evil");
    std::os::unix::fs::symlink(outside.path(), t.path().join("linked")).unwrap();
    fs::create_dir_all(t.path().join("skills/s")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("skills/evil/SKILL.md"),
        t.path().join("skills/s/SKILL.md"),
    )
    .unwrap();
    // A symlink loop must not hang the walk.
    std::os::unix::fs::symlink(t.path(), t.path().join("loop")).unwrap();
    let d = discover_skills(t.path(), &DiscoveryLimits::default());
    assert!(d.skills.is_empty(), "{:?}", d.skills);
    assert_eq!(d.findings.len(), 1);
    assert_eq!(d.findings[0].code, discovery_codes::SKILL_MD_SYMLINK);
}

#[test]
fn limits_are_reported_not_panicked() {
    let t = TempDir::new().unwrap();
    let r = t.path();
    skill(r, "a/b/c/d/e/f/deep");
    skill(r, "shallow");
    let d = discover_skills(
        r,
        &DiscoveryLimits {
            max_depth: 3,
            ..DiscoveryLimits::default()
        },
    );
    assert_eq!(
        d.skills.iter().map(|s| s.dir.as_str()).collect::<Vec<_>>(),
        ["shallow"]
    );
    assert_eq!(d.findings[0].code, discovery_codes::DEPTH_LIMIT);
    assert_eq!(d.findings[0].file, "a/b/c");

    for i in 0..10 {
        skill(r, &format!("many/s{i}"));
    }
    let d = discover_skills(
        r,
        &DiscoveryLimits {
            max_skills: 4,
            ..DiscoveryLimits::default()
        },
    );
    assert_eq!(d.skills.len(), 4);
    assert!(
        d.findings
            .iter()
            .any(|f| f.code == discovery_codes::SKILL_LIMIT && f.is_error())
    );

    let d = discover_skills(
        r,
        &DiscoveryLimits {
            max_entries: 5,
            ..DiscoveryLimits::default()
        },
    );
    assert!(d.skills.len() < 12);
    assert!(
        d.findings
            .iter()
            .any(|f| f.code == discovery_codes::ENTRY_LIMIT)
    );
}

#[test]
fn marketplace_paths_and_plugin_defaults() {
    let t = TempDir::new().unwrap();
    let r = t.path();
    write(
        r,
        ".claude-plugin/marketplace.json",
        r#"{
  "name": "m", "owner": {"name": "o"},
  "metadata": {"pluginRoot": "./plugins"},
  "plugins": [
    {"name": "listed", "source": "./", "skills": ["./vendor/x", "./collection", "./missing", "../../out"]},
    {"name": "defaulted", "source": "tools"},
    {"name": "by-manifest", "source": "./pm"},
    {"name": "remote", "source": {"source": "github", "repo": "a/b"}},
    {"name": "nowhere", "source": "./nope"}
  ]
}"#,
    );
    // Under a skipped folder: only reachable through the marketplace list.
    skill(r, "vendor/x");
    write(r, "vendor/.keep", "");
    skill(r, "collection/one");
    skill(r, "collection/two");
    skill(r, "plugins/tools/skills/t1");
    write(
        r,
        "pm/.claude-plugin/plugin.json",
        r#"{"name": "by-manifest", "skills": "./custom"}"#,
    );
    skill(r, "pm/custom/c1");
    skill(r, "pm/skills/ignored-because-manifest-lists-custom");
    skill(r, "loose");
    // `vendor` is not skipped by default; rename to a skipped name to prove explicit paths win.
    fs::rename(r.join("vendor"), r.join("build")).unwrap();
    let json = fs::read_to_string(r.join(".claude-plugin/marketplace.json"))
        .unwrap()
        .replace("./vendor/x", "./build/x");
    write(r, ".claude-plugin/marketplace.json", &json);

    let d = discover_skills(r, &DiscoveryLimits::default());
    let got: Vec<(&str, SkillOrigin)> = d
        .skills
        .iter()
        .map(|s| (s.dir.as_str(), s.origin.clone()))
        .collect();
    let mk = |p: &str| SkillOrigin::Marketplace { plugin: p.into() };
    assert_eq!(
        got,
        vec![
            ("build/x", mk("listed")),
            ("collection/one", mk("listed")),
            ("collection/two", mk("listed")),
            ("loose", SkillOrigin::Tree),
            ("plugins/tools/skills/t1", mk("defaulted")),
            ("pm/custom/c1", mk("by-manifest")),
            (
                "pm/skills/ignored-because-manifest-lists-custom",
                SkillOrigin::Tree
            ),
        ]
    );
    let codes: Vec<&str> = d.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            discovery_codes::PATH_OUTSIDE,
            discovery_codes::PLUGIN_DIR_MISSING,
            discovery_codes::SKILL_PATH_MISSING,
        ],
        "{:?}",
        d.findings
    );
    assert_eq!(d.marketplace.as_ref().unwrap().plugins.len(), 5);
}

#[test]
fn invalid_marketplace_is_a_finding_with_its_line() {
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        ".claude-plugin/marketplace.json",
        "{\n\"name\": \"m\",\n\"plugins\": [,]\n}",
    );
    skill(t.path(), "skills/a");
    let d = discover_skills(t.path(), &DiscoveryLimits::default());
    assert!(d.marketplace.is_none());
    assert_eq!(d.skills.len(), 1, "tree discovery still works");
    assert_eq!(d.findings.len(), 1);
    let f = &d.findings[0];
    assert_eq!(f.code, "manifest_invalid_json");
    assert_eq!(f.file, ".claude-plugin/marketplace.json");
    assert_eq!(f.line, Some(3));
}

#[test]
fn oversized_marketplace_is_reported_not_read() {
    let t = TempDir::new().unwrap();
    let big = format!(
        "{{\"name\": \"{}\", \"plugins\": []}}",
        "x".repeat(2 * 1024 * 1024)
    );
    write(t.path(), ".claude-plugin/marketplace.json", &big);
    let d = discover_skills(t.path(), &DiscoveryLimits::default());
    assert!(d.marketplace.is_none());
    let codes: Vec<&str> = d.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["manifest_too_large"]);
}
