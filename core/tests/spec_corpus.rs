//! Real-world input: every SKILL.md and marketplace file in `shared/corpus`.

use std::fs;
use std::path::{Path, PathBuf};

use skilldex_core::spec::{
    DiscoveryLimits, PluginSource, Severity, SkillOrigin, ValidateOptions, discover_skills,
    parse_marketplace, parse_plugin_manifest, parse_skill_md, validate_skill_dir,
};

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    assert!(
        dir.is_dir(),
        "the reference corpus is missing: expected it at {} (shared/corpus beside the workspace)",
        dir.display()
    );
    dir
}

fn all_skill_mds(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            all_skill_mds(&p, out);
        } else if p.file_name().is_some_and(|n| n == "SKILL.md") {
            out.push(p);
        }
    }
}

#[test]
fn every_corpus_skill_md_parses() {
    let mut files = Vec::new();
    all_skill_mds(&corpus(), &mut files);
    assert_eq!(files.len(), 32, "corpus has 32 SKILL.md files");
    for f in files {
        let bytes = fs::read(&f).unwrap();
        let parsed = parse_skill_md(&bytes)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", f.display()));
        let name = parsed.frontmatter.name.as_deref().unwrap();
        assert!(!name.is_empty(), "{}", f.display());
        assert!(
            !parsed
                .frontmatter
                .description
                .as_deref()
                .unwrap()
                .is_empty()
        );
        assert!(parsed.body_line_offset >= 3, "{}", f.display());
    }
}

/// (skill dir, severity, code, line, field): every finding the corpus produces, exactly.
type Expected = (
    &'static str,
    Severity,
    &'static str,
    Option<u32>,
    Option<&'static str>,
);

const E: Severity = Severity::Error;
const W: Severity = Severity::Warning;

const ANTHROPIC_FINDINGS: &[Expected] = &[
    // A real spec violation: the block-scalar description is 1068 characters.
    (
        "skills/claude-api",
        E,
        "description_too_long",
        Some(3),
        Some("description"),
    ),
    ("skills/claude-api", W, "body_too_long", Some(509), None),
    (
        "skills/doc-coauthoring",
        W,
        "license_missing",
        None,
        Some("license"),
    ),
    ("skills/docx", W, "body_too_long", Some(506), None),
    (
        "skills/skill-creator",
        W,
        "license_missing",
        None,
        Some("license"),
    ),
    ("template", W, "license_missing", None, Some("license")),
    ("template", E, "name_mismatch", Some(2), Some("name")),
];

const OBRA_SKILLS: [&str; 14] = [
    "brainstorming",
    "dispatching-parallel-agents",
    "executing-plans",
    "finishing-a-development-branch",
    "receiving-code-review",
    "requesting-code-review",
    "subagent-driven-development",
    "systematic-debugging",
    "test-driven-development",
    "using-git-worktrees",
    "using-superpowers",
    "verification-before-completion",
    "writing-plans",
    "writing-skills",
];

fn obra_findings() -> Vec<Owned> {
    // No obra skill declares a licence (the repository has one LICENSE at its root).
    let mut v: Vec<_> = OBRA_SKILLS
        .iter()
        .map(|s| {
            (
                format!("skills/{s}"),
                W,
                "license_missing",
                None,
                Some("license"),
            )
        })
        .collect();
    v.extend([
        (
            "skills/subagent-driven-development".to_owned(),
            W,
            "link_outside_skill",
            Some(400),
            None,
        ),
        (
            "skills/writing-skills".to_owned(),
            W,
            "link_outside_skill",
            Some(12),
            None,
        ),
        (
            "skills/writing-skills".to_owned(),
            W,
            "link_outside_skill",
            Some(12),
            None,
        ),
        (
            "skills/writing-skills".to_owned(),
            W,
            "body_too_long",
            Some(505),
            None,
        ),
    ]);
    v
}

/// Like [`Expected`] with an owned skill dir.
type Owned = (
    String,
    Severity,
    &'static str,
    Option<u32>,
    Option<&'static str>,
);

type Actual = (String, Severity, String, Option<u32>, Option<String>);

fn corpus_findings(repo: &str) -> Vec<Actual> {
    let root = corpus().join(repo);
    let discovery = discover_skills(&root, &DiscoveryLimits::default());
    assert!(
        discovery.findings.is_empty(),
        "{repo}: {:?}",
        discovery.findings
    );
    let mut out = Vec::new();
    for skill in &discovery.skills {
        let report = validate_skill_dir(&root.join(&skill.dir), &ValidateOptions::default());
        assert!(report.parsed.is_some(), "{}", skill.dir);
        for f in report.findings {
            assert_eq!(f.file, "SKILL.md");
            out.push((skill.dir.clone(), f.severity, f.code, f.line, f.field));
        }
    }
    out.sort();
    out
}

fn normalize(v: Vec<Owned>) -> Vec<Actual> {
    let mut v: Vec<Actual> = v
        .into_iter()
        .map(|(d, s, c, l, f)| (d, s, c.to_owned(), l, f.map(ToOwned::to_owned)))
        .collect();
    v.sort();
    v
}

#[test]
fn anthropic_corpus_findings_are_exactly_these() {
    let expected = normalize(
        ANTHROPIC_FINDINGS
            .iter()
            .map(|(d, s, c, l, f)| ((*d).to_owned(), *s, *c, *l, *f))
            .collect(),
    );
    assert_eq!(corpus_findings("anthropics_skills"), expected);
}

#[test]
fn obra_corpus_findings_are_exactly_these() {
    assert_eq!(
        corpus_findings("obra_superpowers"),
        normalize(obra_findings())
    );
}

#[test]
fn skills_whose_name_matches_their_folder_have_no_errors_except_known_ones() {
    for repo in ["anthropics_skills", "obra_superpowers"] {
        let root = corpus().join(repo);
        for skill in discover_skills(&root, &DiscoveryLimits::default()).skills {
            let report = validate_skill_dir(&root.join(&skill.dir), &ValidateOptions::default());
            let parsed = report.parsed.as_ref().unwrap();
            if parsed.frontmatter.name.as_deref() != skill.dir_name() {
                continue;
            }
            let errors: Vec<_> = report.errors().map(|f| f.code.as_str()).collect();
            let allowed: &[&str] = if skill.dir == "skills/claude-api" {
                &["description_too_long"]
            } else {
                &[]
            };
            assert_eq!(errors, allowed, "{repo}/{}", skill.dir);
        }
    }
}

#[test]
fn discovery_attributes_corpus_skills_to_marketplace_plugins() {
    let root = corpus().join("anthropics_skills");
    let d = discover_skills(&root, &DiscoveryLimits::default());
    let dirs: Vec<&str> = d.skills.iter().map(|s| s.dir.as_str()).collect();
    assert_eq!(dirs.len(), 18);
    assert_eq!(dirs.first(), Some(&"skills/algorithmic-art"));
    assert_eq!(dirs.last(), Some(&"template"));
    let mut sorted = dirs.clone();
    sorted.sort();
    assert_eq!(dirs, sorted, "deterministic order");
    let plugin_of = |dir: &str| {
        d.skills
            .iter()
            .find(|s| s.dir == dir)
            .map(|s| s.origin.clone())
            .unwrap()
    };
    assert_eq!(
        plugin_of("skills/pdf"),
        SkillOrigin::Marketplace {
            plugin: "document-skills".into()
        }
    );
    assert_eq!(
        plugin_of("skills/claude-api"),
        SkillOrigin::Marketplace {
            plugin: "claude-api".into()
        }
    );
    assert_eq!(plugin_of("template"), SkillOrigin::Tree);
    let pdf = d.skills.iter().find(|s| s.dir == "skills/pdf").unwrap();
    assert_eq!(pdf.skill_md, "skills/pdf/SKILL.md");
    assert_eq!(pdf.plugins, vec!["document-skills"]);

    // obra lists no skills: the plugin's default `skills/` folder applies.
    let root = corpus().join("obra_superpowers");
    let d = discover_skills(&root, &DiscoveryLimits::default());
    assert_eq!(d.skills.len(), 14);
    assert!(d.skills.iter().all(|s| s.origin
        == SkillOrigin::Marketplace {
            plugin: "superpowers".into()
        }));
    let manifest = d.plugin_manifest.expect("root plugin.json");
    assert_eq!(manifest.name, "superpowers");
    assert_eq!(manifest.fields.license.as_deref(), Some("MIT"));
}

#[test]
fn corpus_marketplaces_parse() {
    let bytes =
        fs::read(corpus().join("anthropics_skills/.claude-plugin/marketplace.json")).unwrap();
    let m = parse_marketplace(&bytes).unwrap();
    assert_eq!(m.name, "anthropic-agent-skills");
    let owner = m.owner.as_ref().unwrap();
    assert_eq!(owner.name.as_deref(), Some("Keith Lazuka"));
    assert_eq!(owner.email.as_deref(), Some("klazuka@anthropic.com"));
    let meta = m.metadata.as_ref().unwrap();
    assert_eq!(meta.version.as_deref(), Some("1.0.0"));
    assert_eq!(
        meta.description.as_deref(),
        Some("Anthropic example skills")
    );
    let names: Vec<&str> = m.plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["document-skills", "example-skills", "claude-api"]);
    let docs = &m.plugins[0];
    assert_eq!(docs.source, PluginSource::Path { path: "./".into() });
    assert_eq!(docs.fields.strict, Some(false));
    assert_eq!(
        docs.fields.skills,
        [
            "./skills/xlsx",
            "./skills/docx",
            "./skills/pptx",
            "./skills/pdf"
        ]
    );
    assert_eq!(m.plugins[1].fields.skills.len(), 12);
    assert_eq!(docs.raw["name"], "document-skills");
    assert_eq!(m.raw["owner"]["name"], "Keith Lazuka");
    assert_eq!(m.plugin_dir(docs).as_deref(), Some(""));

    let bytes =
        fs::read(corpus().join("obra_superpowers/.claude-plugin/marketplace.json")).unwrap();
    let m = parse_marketplace(&bytes).unwrap();
    assert_eq!(m.name, "superpowers-dev");
    assert_eq!(
        m.description.as_deref(),
        Some("Development marketplace for Superpowers core skills library")
    );
    assert!(m.metadata.is_none());
    let p = &m.plugins[0];
    assert_eq!(p.fields.version.as_deref(), Some("6.2.0"));
    let author = p.fields.author.as_ref().unwrap();
    assert_eq!(author.name.as_deref(), Some("Jesse Vincent"));
    assert_eq!(author.email.as_deref(), Some("jesse@fsck.com"));
    assert!(p.fields.skills.is_empty());

    let bytes = fs::read(corpus().join("obra_superpowers/.claude-plugin/plugin.json")).unwrap();
    let pj = parse_plugin_manifest(&bytes).unwrap();
    assert_eq!(
        pj.fields.repository.as_deref(),
        Some("https://github.com/obra/superpowers")
    );
    assert_eq!(pj.fields.keywords.len(), 6);
    assert_eq!(
        pj.fields.homepage.as_deref(),
        Some("https://github.com/obra/superpowers")
    );
}
