//! One test per finding code, with the line and field each must point at.

use std::fs;

use skilldex_core::spec::{
    Finding, Severity, SpecLimits, ValidateOptions, codes, parse_skill_md, validate_parsed,
    validate_skill_dir,
};
use tempfile::TempDir;

const LICENSED: &str = "license: MIT\n";

/// Writes `files` under `<tmp>/<dir_name>/` and validates that folder.
fn validate(dir_name: &str, files: &[(&str, &[u8])]) -> (TempDir, Vec<Finding>) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join(dir_name);
    for (path, content) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
    let report = validate_skill_dir(&dir, &ValidateOptions::default());
    (tmp, report.findings)
}

fn skill(fm: &str, body: &str) -> Vec<u8> {
    format!("---\n{fm}---\n{body}").into_bytes()
}

/// Findings as (code, line, field) for compact assertions.
fn summary(findings: &[Finding]) -> Vec<(&str, Option<u32>, Option<&str>)> {
    findings
        .iter()
        .map(|f| (f.code.as_str(), f.line, f.field.as_deref()))
        .collect()
}

fn only(findings: &[Finding], code: &str) -> Vec<(Option<u32>, Option<String>, Severity)> {
    findings
        .iter()
        .filter(|f| f.code == code)
        .map(|f| (f.line, f.field.clone(), f.severity))
        .collect()
}

#[test]
fn valid_skill_has_no_findings() {
    let md = skill(
        "name: pdf-tools\ndescription: Extract text from PDFs. Use when a PDF is involved.\nlicense: MIT\ncompatibility: Needs poppler\nmetadata:\n  author: me\n  version: \"1.0\"\nallowed-tools: Bash(pdftotext:*) Read\n",
        "# PDF\n\nSee [reference](references/REFERENCE.md) and [scripts](scripts/).\n",
    );
    let (_t, findings) = validate(
        "pdf-tools",
        &[
            ("SKILL.md", &md),
            ("references/REFERENCE.md", b"# Ref\n"),
            ("scripts/run.sh", b"#!/bin/sh\n"),
        ],
    );
    assert_eq!(findings, vec![]);
}

#[test]
fn skill_md_missing() {
    let (_t, findings) = validate("x", &[("README.md", b"hi")]);
    assert_eq!(
        summary(&findings),
        vec![(codes::SKILL_MD_MISSING, None, None)]
    );
    assert!(findings[0].is_error());
}

#[test]
fn skill_md_too_large_is_an_error_and_a_2mb_file_is_not_read_whole() {
    let mut big = skill("name: big\ndescription: d\nlicense: MIT\n", "");
    big.resize(2 * 1024 * 1024, b'x');
    let (_t, findings) = validate("big", &[("SKILL.md", &big)]);
    assert_eq!(
        summary(&findings),
        vec![(codes::SKILL_MD_TOO_LARGE, None, None)]
    );
    assert_eq!(findings[0].severity, Severity::Error);

    // Just under the limit is fine (body warnings aside).
    let mut ok = skill("name: big\ndescription: d\nlicense: MIT\n", "");
    ok.resize(1024 * 1024, b'x');
    let (_t, findings) = validate("big", &[("SKILL.md", &ok)]);
    assert!(findings.iter().all(|f| !f.is_error()), "{findings:?}");
}

#[test]
fn skill_md_not_utf8() {
    let (_t, findings) = validate(
        "x",
        &[("SKILL.md", b"---\nname: x\ndescription: caf\xe9\n---\n")],
    );
    assert_eq!(
        summary(&findings),
        vec![(codes::SKILL_MD_NOT_UTF8, Some(3), None)]
    );
}

#[test]
fn front_matter_missing_and_unterminated() {
    let (_t, f) = validate("x", &[("SKILL.md", b"# Title\n\nname: x\n")]);
    assert_eq!(summary(&f), vec![(codes::FRONT_MATTER_MISSING, None, None)]);
    // Front matter must be at the very top.
    let (_t, f) = validate("x", &[("SKILL.md", b"\n---\nname: x\n---\n")]);
    assert_eq!(summary(&f), vec![(codes::FRONT_MATTER_MISSING, None, None)]);
    let (_t, f) = validate("x", &[("SKILL.md", b"---\nname: x\ndescription: d\n")]);
    assert_eq!(
        summary(&f),
        vec![(codes::FRONT_MATTER_UNTERMINATED, Some(1), None)]
    );
}

#[test]
fn front_matter_too_large() {
    let mut fm = String::from("name: x\ndescription: d\n");
    for i in 0..3000 {
        fm.push_str(&format!("k{i}: {}\n", "v".repeat(20)));
    }
    let (_t, f) = validate("x", &[("SKILL.md", &skill(&fm, ""))]);
    assert_eq!(
        summary(&f),
        vec![(codes::FRONT_MATTER_TOO_LARGE, None, None)]
    );
}

#[test]
fn front_matter_invalid_yaml_points_at_the_line() {
    let md = skill(
        "name: x\ndescription: Use when: things happen\nlicense: MIT\n",
        "",
    );
    let (_t, f) = validate("x", &[("SKILL.md", &md)]);
    assert_eq!(
        summary(&f),
        vec![(codes::FRONT_MATTER_INVALID_YAML, Some(3), None)]
    );
    assert!(f[0].message.contains("line 3"), "{}", f[0].message);
}

#[test]
fn front_matter_not_mapping_and_duplicate_key() {
    let (_t, f) = validate("x", &[("SKILL.md", &skill("just a string\n", ""))]);
    assert_eq!(
        summary(&f),
        vec![(codes::FRONT_MATTER_NOT_MAPPING, Some(2), None)]
    );
    let (_t, f) = validate(
        "x",
        &[("SKILL.md", &skill("name: x\ndescription: d\nname: y\n", ""))],
    );
    assert_eq!(
        summary(&f),
        vec![(codes::FRONT_MATTER_DUPLICATE_KEY, Some(4), Some("name"))]
    );
}

#[test]
fn front_matter_too_complex() {
    let mut fm = String::from("name: x\ndescription: d\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let p = i - 1;
        fm.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let (_t, f) = validate("x", &[("SKILL.md", &skill(&fm, ""))]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].code, codes::FRONT_MATTER_TOO_COMPLEX);
}

#[test]
fn name_findings() {
    let cases: &[(&str, &str, &str)] = &[
        ("name:\n", "x", codes::NAME_MISSING),
        ("name: [a]\n", "x", codes::NAME_INVALID_TYPE),
        ("name: \"\"\n", "x", codes::NAME_EMPTY),
        (
            "name: PDF-Tools\n",
            "PDF-Tools",
            codes::NAME_INVALID_CHARACTERS,
        ),
        (
            "name: pdf_tools\n",
            "pdf_tools",
            codes::NAME_INVALID_CHARACTERS,
        ),
        ("name: -pdf\n", "-pdf", codes::NAME_INVALID_HYPHENS),
        ("name: pdf-\n", "pdf-", codes::NAME_INVALID_HYPHENS),
        (
            "name: pdf--tools\n",
            "pdf--tools",
            codes::NAME_INVALID_HYPHENS,
        ),
        ("name: pdf\n", "pdf-tools", codes::NAME_MISMATCH),
    ];
    for (name_line, dir, code) in cases {
        let fm = format!("description: d\n{LICENSED}{name_line}");
        let (_t, f) = validate(dir, &[("SKILL.md", &skill(&fm, ""))]);
        assert_eq!(
            summary(&f),
            vec![(*code, Some(4), Some("name"))],
            "{name_line}"
        );
        assert_eq!(f[0].severity, Severity::Error);
    }
    let long = "a".repeat(65);
    let fm = format!("name: {long}\ndescription: d\n{LICENSED}");
    let (_t, f) = validate(&long, &[("SKILL.md", &skill(&fm, ""))]);
    assert_eq!(
        summary(&f),
        vec![(codes::NAME_TOO_LONG, Some(2), Some("name"))]
    );
    let ok = "a".repeat(64);
    let fm = format!("name: {ok}\ndescription: d\n{LICENSED}");
    let (_t, f) = validate(&ok, &[("SKILL.md", &skill(&fm, ""))]);
    assert_eq!(f, vec![]);
    // No name at all: the finding has no line, only the field.
    let (_t, f) = validate(
        "x",
        &[("SKILL.md", &skill("description: d\nlicense: MIT\n", ""))],
    );
    assert_eq!(summary(&f), vec![(codes::NAME_MISSING, None, Some("name"))]);
}

#[test]
fn description_findings() {
    let cases: &[(&str, &str)] = &[
        ("description: ~\n", codes::DESCRIPTION_MISSING),
        ("description: {a: b}\n", codes::DESCRIPTION_INVALID_TYPE),
        ("description: \"   \"\n", codes::DESCRIPTION_EMPTY),
    ];
    for (line, code) in cases {
        let fm = format!("name: x\n{LICENSED}{line}");
        let (_t, f) = validate("x", &[("SKILL.md", &skill(&fm, ""))]);
        assert_eq!(
            summary(&f),
            vec![(*code, Some(4), Some("description"))],
            "{line}"
        );
    }
    // 1024 characters (multi-byte) is fine, 1025 is not.
    let fm = format!("name: x\n{LICENSED}description: {}\n", "é".repeat(1024));
    let (_t, f) = validate("x", &[("SKILL.md", &skill(&fm, ""))]);
    assert_eq!(f, vec![]);
    let fm = format!(
        "name: x\n{LICENSED}description: >\n  {}\n  b\n",
        "a".repeat(1023)
    );
    let (_t, f) = validate("x", &[("SKILL.md", &skill(&fm, ""))]);
    assert_eq!(
        summary(&f),
        vec![(codes::DESCRIPTION_TOO_LONG, Some(4), Some("description"))]
    );
    let (_t, f) = validate("x", &[("SKILL.md", &skill("name: x\nlicense: MIT\n", ""))]);
    assert_eq!(
        summary(&f),
        vec![(codes::DESCRIPTION_MISSING, None, Some("description"))]
    );
}

#[test]
fn compatibility_findings() {
    let fm = format!(
        "name: x\ndescription: d\n{LICENSED}compatibility: {}\n",
        "c".repeat(501)
    );
    let (_t, f) = validate("x", &[("SKILL.md", &skill(&fm, ""))]);
    assert_eq!(
        summary(&f),
        vec![(
            codes::COMPATIBILITY_TOO_LONG,
            Some(5),
            Some("compatibility")
        )]
    );
    let fm = format!("name: x\ndescription: d\n{LICENSED}compatibility: [a]\n");
    let (_t, f) = validate("x", &[("SKILL.md", &skill(&fm, ""))]);
    assert_eq!(
        summary(&f),
        vec![(
            codes::COMPATIBILITY_INVALID_TYPE,
            Some(5),
            Some("compatibility")
        )]
    );
}

#[test]
fn metadata_findings() {
    let fm = format!(
        "name: x\ndescription: d\n{LICENSED}metadata:\n  author: me\n  version: 1.0\n  tags: [a]\n"
    );
    let (_t, f) = validate("x", &[("SKILL.md", &skill(&fm, ""))]);
    assert_eq!(
        summary(&f),
        vec![
            (
                codes::METADATA_VALUE_NOT_STRING,
                Some(7),
                Some("metadata.version")
            ),
            (
                codes::METADATA_VALUE_NOT_STRING,
                Some(8),
                Some("metadata.tags")
            ),
        ]
    );
    assert!(f.iter().all(Finding::is_error));
    let fm = format!("name: x\ndescription: d\n{LICENSED}metadata: [a, b]\n");
    let (_t, f) = validate("x", &[("SKILL.md", &skill(&fm, ""))]);
    assert_eq!(
        summary(&f),
        vec![(codes::METADATA_NOT_MAPPING, Some(5), Some("metadata"))]
    );
}

#[test]
fn warnings_unknown_field_license_allowed_tools_tabs() {
    let fm = "name: x\ndescription: d\nversion: 2\nallowed-tools: {a: b}\n";
    let (_t, f) = validate("x", &[("SKILL.md", &skill(fm, ""))]);
    assert_eq!(
        summary(&f),
        vec![
            (codes::LICENSE_MISSING, None, Some("license")),
            (codes::UNKNOWN_FIELD, Some(4), Some("version")),
            (
                codes::ALLOWED_TOOLS_INVALID_TYPE,
                Some(5),
                Some("allowed-tools")
            ),
        ]
    );
    assert!(f.iter().all(|f| f.severity == Severity::Warning));

    let fm = "name: x\ndescription: d\nlicense: [MIT]\n";
    let (_t, f) = validate("x", &[("SKILL.md", &skill(fm, ""))]);
    assert_eq!(
        summary(&f),
        vec![(codes::LICENSE_INVALID_TYPE, Some(4), Some("license"))]
    );

    let fm = "name: x\ndescription: d\nlicense: MIT\nmetadata:\n\tauthor: me\n";
    let (_t, f) = validate("x", &[("SKILL.md", &skill(fm, ""))]);
    assert_eq!(summary(&f), vec![(codes::FRONT_MATTER_TABS, Some(2), None)]);
}

#[test]
fn body_too_long_points_at_first_line_over_the_limit() {
    let body: String = (1..=501).map(|i| format!("line {i}\n")).collect();
    let fm = format!("name: x\ndescription: d\n{LICENSED}");
    let (_t, f) = validate("x", &[("SKILL.md", &skill(&fm, &body))]);
    // 5 lines of front matter, then body line 501 is file line 506.
    assert_eq!(summary(&f), vec![(codes::BODY_TOO_LONG, Some(506), None)]);
    let body: String = (1..=500).map(|i| format!("line {i}\n")).collect();
    let (_t, f) = validate("x", &[("SKILL.md", &skill(&fm, &body))]);
    assert_eq!(f, vec![]);
}

#[test]
fn links_broken_outside_and_nested_references() {
    let fm = format!("name: x\ndescription: d\n{LICENSED}");
    let body = "# T\n\n[ok](ref/a.md)\n[gone](ref/missing.md)\n[up](../other/SKILL.md)\n[abs](/etc/passwd)\n[web](https://example.com/x.md)\n[anchor](#t)\n\n```\n[in code](nope.md)\n```\n";
    let (_t, f) = validate(
        "x",
        &[
            ("SKILL.md", &skill(&fm, body)),
            (
                "ref/a.md",
                b"# A\n\nSee [b](b.md) and [skill](../SKILL.md) and [self](a.md).\n",
            ),
            ("ref/b.md", b"# B\n"),
        ],
    );
    assert_eq!(
        summary(&f),
        vec![
            (codes::BROKEN_LINK, Some(9), None),
            (codes::LINK_OUTSIDE_SKILL, Some(10), None),
            (codes::LINK_OUTSIDE_SKILL, Some(11), None),
            (codes::REFERENCE_TOO_DEEP, Some(3), None),
        ]
    );
    let deep = f
        .iter()
        .find(|f| f.code == codes::REFERENCE_TOO_DEEP)
        .unwrap();
    assert_eq!(deep.file, "ref/a.md");
    assert!(deep.message.contains("ref/b.md"));
    assert!(f.iter().all(|f| f.severity == Severity::Warning));
}

#[cfg(unix)]
#[test]
fn link_through_a_symlink_is_broken() {
    let fm = format!("name: x\ndescription: d\n{LICENSED}");
    let (t, _) = validate("x", &[("SKILL.md", &skill(&fm, "[l](linked/a.md)\n"))]);
    let dir = t.path().join("x");
    fs::create_dir_all(t.path().join("elsewhere")).unwrap();
    fs::write(t.path().join("elsewhere/a.md"), "a").unwrap();
    std::os::unix::fs::symlink(t.path().join("elsewhere"), dir.join("linked")).unwrap();
    let report = validate_skill_dir(&dir, &ValidateOptions::default());
    assert_eq!(
        only(&report.findings, codes::BROKEN_LINK),
        vec![(Some(6), None, Severity::Warning)]
    );
}

#[test]
fn case_variant_skill_md_is_read_with_a_warning() {
    let fm = format!("name: x\ndescription: d\n{LICENSED}");
    let (_t, f) = validate("x", &[("skill.md", &skill(&fm, ""))]);
    assert_eq!(summary(&f), vec![(codes::SKILL_MD_CASE, None, None)]);
    assert_eq!(f[0].file, "skill.md");
}

#[test]
fn crlf_and_bom_keep_line_numbers() {
    let md =
        b"\xEF\xBB\xBF---\r\nname: Bad_Name\r\ndescription: d\r\nlicense: MIT\r\n---\r\nbody\r\n";
    let (_t, f) = validate("x", &[("SKILL.md", md)]);
    assert_eq!(
        summary(&f),
        vec![
            (codes::NAME_INVALID_CHARACTERS, Some(2), Some("name")),
            (codes::NAME_MISMATCH, Some(2), Some("name")),
        ]
    );
}

#[test]
fn root_skill_uses_the_given_directory_name() {
    let tmp = TempDir::new().unwrap();
    fs::write(
        tmp.path().join("SKILL.md"),
        skill("name: my-repo\ndescription: d\nlicense: MIT\n", ""),
    )
    .unwrap();
    let opts = ValidateOptions {
        dir_name: Some("my-repo".into()),
        ..ValidateOptions::default()
    };
    assert_eq!(validate_skill_dir(tmp.path(), &opts).findings, vec![]);
}

#[test]
fn validate_parsed_is_pure_and_can_skip_the_folder_check() {
    let parsed = parse_skill_md(&skill(
        "name: anything\ndescription: d\nlicense: MIT\n",
        "[x](nope.md)\n",
    ))
    .unwrap();
    // No filesystem, no folder name: no findings (links are checked by `check_links`).
    assert_eq!(
        validate_parsed(&parsed, None, "SKILL.md", &SpecLimits::default()),
        vec![]
    );
    let f = validate_parsed(&parsed, Some("other"), "SKILL.md", &SpecLimits::default());
    assert_eq!(
        summary(&f),
        vec![(codes::NAME_MISMATCH, Some(2), Some("name"))]
    );
}
