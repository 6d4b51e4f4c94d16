//! Strict validation of a parsed skill against the Agent Skills specification.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::links::{self, LinkTarget};
use super::skill_md::{
    KNOWN_FIELDS, Leniency, ParsedSkill, SkillParseError, SpecLimits, parse_skill_md_with,
};
use crate::tree::{DiskTree, EntryKind, FileTree, ReadError, join_rel};

/// Stable finding codes (shown to users, stored in the database, matched by the UI).
pub mod codes {
    // Errors: the skill cannot be published.
    pub const SKILL_MD_MISSING: &str = "skill_md_missing";
    pub const SKILL_MD_UNREADABLE: &str = "skill_md_unreadable";
    pub const SKILL_MD_TOO_LARGE: &str = "skill_md_too_large";
    pub const SKILL_MD_NOT_UTF8: &str = "skill_md_not_utf8";
    pub const FRONT_MATTER_MISSING: &str = "front_matter_missing";
    pub const FRONT_MATTER_UNTERMINATED: &str = "front_matter_unterminated";
    pub const FRONT_MATTER_TOO_LARGE: &str = "front_matter_too_large";
    pub const FRONT_MATTER_INVALID_YAML: &str = "front_matter_invalid_yaml";
    pub const FRONT_MATTER_NOT_MAPPING: &str = "front_matter_not_mapping";
    pub const FRONT_MATTER_DUPLICATE_KEY: &str = "front_matter_duplicate_key";
    pub const FRONT_MATTER_TOO_COMPLEX: &str = "front_matter_too_complex";
    pub const NAME_MISSING: &str = "name_missing";
    pub const NAME_INVALID_TYPE: &str = "name_invalid_type";
    pub const NAME_EMPTY: &str = "name_empty";
    pub const NAME_TOO_LONG: &str = "name_too_long";
    pub const NAME_INVALID_CHARACTERS: &str = "name_invalid_characters";
    pub const NAME_INVALID_HYPHENS: &str = "name_invalid_hyphens";
    pub const NAME_MISMATCH: &str = "name_mismatch";
    pub const DESCRIPTION_MISSING: &str = "description_missing";
    pub const DESCRIPTION_INVALID_TYPE: &str = "description_invalid_type";
    pub const DESCRIPTION_EMPTY: &str = "description_empty";
    pub const DESCRIPTION_TOO_LONG: &str = "description_too_long";
    pub const COMPATIBILITY_INVALID_TYPE: &str = "compatibility_invalid_type";
    pub const COMPATIBILITY_TOO_LONG: &str = "compatibility_too_long";
    pub const METADATA_NOT_MAPPING: &str = "metadata_not_mapping";
    pub const METADATA_VALUE_NOT_STRING: &str = "metadata_value_not_string";
    // Warnings: shown to the author, publication goes on.
    pub const UNKNOWN_FIELD: &str = "unknown_field";
    pub const LICENSE_MISSING: &str = "license_missing";
    pub const LICENSE_INVALID_TYPE: &str = "license_invalid_type";
    pub const ALLOWED_TOOLS_INVALID_TYPE: &str = "allowed_tools_invalid_type";
    pub const BODY_TOO_LONG: &str = "body_too_long";
    pub const BROKEN_LINK: &str = "broken_link";
    pub const LINK_OUTSIDE_SKILL: &str = "link_outside_skill";
    pub const REFERENCE_TOO_DEEP: &str = "reference_too_deep";
    pub const FRONT_MATTER_TABS: &str = "front_matter_tabs";
    pub const SKILL_MD_CASE: &str = "skill_md_case";
}

/// Maximum length of `name`, in characters.
pub const NAME_MAX_CHARS: usize = 64;
/// Maximum length of `description`, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 1024;
/// Maximum length of `compatibility`, in characters.
pub const COMPATIBILITY_MAX_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One validation result, precise enough to show next to the offending line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable snake_case code, see [`codes`].
    pub code: String,
    pub message: String,
    /// Path relative to the skill root (or to the repository root for discovery findings).
    pub file: String,
    /// 1-based line in `file`.
    pub line: Option<u32>,
    /// Front matter field concerned (`name`, `metadata.version`, …).
    pub field: Option<String>,
}

impl Finding {
    pub fn error(code: &str, message: impl Into<String>, file: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message, file)
    }

    pub fn warning(code: &str, message: impl Into<String>, file: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message, file)
    }

    fn new(
        severity: Severity,
        code: &str,
        message: impl Into<String>,
        file: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            code: code.to_owned(),
            message: message.into(),
            file: file.into(),
            line: None,
            field: None,
        }
    }

    #[must_use]
    pub fn at_line(mut self, line: Option<u32>) -> Self {
        self.line = line;
        self
    }

    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Turns a parse failure into the finding a user sees.
pub fn parse_error_finding(err: &SkillParseError, file: &str) -> Finding {
    let mut f = Finding::error(err.code(), err.to_string(), file).at_line(err.line());
    if let Some(field) = err.field() {
        f = f.with_field(field);
    }
    f
}

/// Sorts findings into a stable order: by file, then line, then code.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.file, a.line.unwrap_or(0), &a.code, &a.field, &a.message).cmp(&(
            &b.file,
            b.line.unwrap_or(0),
            &b.code,
            &b.field,
            &b.message,
        ))
    });
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Validates front matter and body without touching the filesystem.
///
/// `dir_name` is the skill folder's name (the repository name for a skill at the repository
/// root); `None` skips the name/folder comparison. `file` is the SKILL.md path used in findings.
pub fn validate_parsed(
    parsed: &ParsedSkill,
    dir_name: Option<&str>,
    file: &str,
    limits: &SpecLimits,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let raw = parsed.raw_frontmatter.as_object();
    let get = |k: &str| raw.and_then(|m| m.get(k));
    let line = |k: &str| parsed.line_of(k);

    // name
    match get("name") {
        None | Some(Value::Null) => out.push(
            Finding::error(
                codes::NAME_MISSING,
                "front matter has no `name`: add a lowercase, hyphenated name equal to the folder name",
                file,
            )
            .at_line(line("name"))
            .with_field("name"),
        ),
        Some(v @ (Value::Array(_) | Value::Object(_))) => out.push(
            Finding::error(
                codes::NAME_INVALID_TYPE,
                format!("`name` must be a string, found {}", type_name(v)),
                file,
            )
            .at_line(line("name"))
            .with_field("name"),
        ),
        Some(_) => {
            let name = parsed.frontmatter.name.as_deref().unwrap_or_default();
            check_name(name, dir_name, file, line("name"), &mut out);
        }
    }

    // description
    match get("description") {
        None | Some(Value::Null) => out.push(
            Finding::error(
                codes::DESCRIPTION_MISSING,
                "front matter has no `description`: say what the skill does and when to use it",
                file,
            )
            .at_line(line("description"))
            .with_field("description"),
        ),
        Some(v @ (Value::Array(_) | Value::Object(_))) => out.push(
            Finding::error(
                codes::DESCRIPTION_INVALID_TYPE,
                format!("`description` must be a string, found {}", type_name(v)),
                file,
            )
            .at_line(line("description"))
            .with_field("description"),
        ),
        Some(_) => {
            let d = parsed
                .frontmatter
                .description
                .as_deref()
                .unwrap_or_default();
            let chars = d.chars().count();
            if d.trim().is_empty() {
                out.push(
                    Finding::error(codes::DESCRIPTION_EMPTY, "`description` is empty", file)
                        .at_line(line("description"))
                        .with_field("description"),
                );
            } else if chars > DESCRIPTION_MAX_CHARS {
                out.push(
                    Finding::error(
                        codes::DESCRIPTION_TOO_LONG,
                        format!(
                            "`description` is {chars} characters, the limit is {DESCRIPTION_MAX_CHARS}"
                        ),
                        file,
                    )
                    .at_line(line("description"))
                    .with_field("description"),
                );
            }
        }
    }

    // compatibility
    match get("compatibility") {
        None | Some(Value::Null) => {}
        Some(v @ (Value::Array(_) | Value::Object(_))) => out.push(
            Finding::error(
                codes::COMPATIBILITY_INVALID_TYPE,
                format!("`compatibility` must be a string, found {}", type_name(v)),
                file,
            )
            .at_line(line("compatibility"))
            .with_field("compatibility"),
        ),
        Some(_) => {
            let c = parsed
                .frontmatter
                .compatibility
                .as_deref()
                .unwrap_or_default();
            let chars = c.chars().count();
            if chars > COMPATIBILITY_MAX_CHARS {
                out.push(
                    Finding::error(
                        codes::COMPATIBILITY_TOO_LONG,
                        format!(
                            "`compatibility` is {chars} characters, the limit is {COMPATIBILITY_MAX_CHARS}"
                        ),
                        file,
                    )
                    .at_line(line("compatibility"))
                    .with_field("compatibility"),
                );
            }
        }
    }

    // metadata
    match get("metadata") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                if !v.is_string() {
                    let field = format!("metadata.{k}");
                    out.push(
                        Finding::error(
                            codes::METADATA_VALUE_NOT_STRING,
                            format!(
                                "`metadata.{k}` must be a string, found {} (quote the value)",
                                type_name(v)
                            ),
                            file,
                        )
                        .at_line(line(&field).or(line("metadata")))
                        .with_field(field),
                    );
                }
            }
        }
        Some(v) => out.push(
            Finding::error(
                codes::METADATA_NOT_MAPPING,
                format!(
                    "`metadata` must be a mapping of strings to strings, found {}",
                    type_name(v)
                ),
                file,
            )
            .at_line(line("metadata"))
            .with_field("metadata"),
        ),
    }

    // license (optional, but a registry wants one)
    match get("license") {
        None | Some(Value::Null) => out.push(
            Finding::warning(
                codes::LICENSE_MISSING,
                "no `license`: add a licence name or point to a bundled licence file",
                file,
            )
            .with_field("license"),
        ),
        Some(v @ (Value::Array(_) | Value::Object(_))) => out.push(
            Finding::warning(
                codes::LICENSE_INVALID_TYPE,
                format!("`license` should be a string, found {}", type_name(v)),
                file,
            )
            .at_line(line("license"))
            .with_field("license"),
        ),
        Some(_) => {}
    }

    // allowed-tools: string or list of strings
    if let Some(v) = get("allowed-tools") {
        let ok = match v {
            Value::String(_) | Value::Null => true,
            Value::Array(items) => items.iter().all(Value::is_string),
            _ => false,
        };
        if !ok {
            out.push(
                Finding::warning(
                    codes::ALLOWED_TOOLS_INVALID_TYPE,
                    format!(
                        "`allowed-tools` should be a space-delimited string, found {}",
                        type_name(v)
                    ),
                    file,
                )
                .at_line(line("allowed-tools"))
                .with_field("allowed-tools"),
            );
        }
    }

    // unknown fields
    if let Some(map) = raw {
        for key in map.keys() {
            if !KNOWN_FIELDS.contains(&key.as_str()) {
                out.push(
                    Finding::warning(
                        codes::UNKNOWN_FIELD,
                        format!("`{key}` is not a field of the Agent Skills specification"),
                        file,
                    )
                    .at_line(line(key))
                    .with_field(key.clone()),
                );
            }
        }
    }

    if parsed.leniency.contains(&Leniency::TabsExpanded) {
        out.push(
            Finding::warning(
                codes::FRONT_MATTER_TABS,
                "front matter is indented with tabs, which YAML forbids; it was read as spaces",
                file,
            )
            .at_line(Some(2)),
        );
    }

    // body length
    let body_lines = parsed.body.lines().count();
    if body_lines > limits.body_max_lines {
        let first_over = u32::try_from(limits.body_max_lines + 1).unwrap_or(u32::MAX);
        out.push(
            Finding::warning(
                codes::BODY_TOO_LONG,
                format!(
                    "body is {body_lines} lines; keep it under {} and move details to referenced files",
                    limits.body_max_lines
                ),
                file,
            )
            .at_line(Some(parsed.body_line_offset.saturating_add(first_over))),
        );
    }

    out
}

fn check_name(
    name: &str,
    dir_name: Option<&str>,
    file: &str,
    line: Option<u32>,
    out: &mut Vec<Finding>,
) {
    let push = |out: &mut Vec<Finding>, code: &str, msg: String| {
        out.push(
            Finding::error(code, msg, file)
                .at_line(line)
                .with_field("name"),
        );
    };
    let chars = name.chars().count();
    if name.is_empty() {
        push(out, codes::NAME_EMPTY, "`name` is empty".into());
        return;
    }
    if chars > NAME_MAX_CHARS {
        push(
            out,
            codes::NAME_TOO_LONG,
            format!("`name` is {chars} characters, the limit is {NAME_MAX_CHARS}"),
        );
    }
    let bad: BTreeSet<char> = name
        .chars()
        .filter(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        .collect();
    if !bad.is_empty() {
        let list: String = bad.iter().take(10).map(|c| format!("{c:?} ")).collect();
        push(
            out,
            codes::NAME_INVALID_CHARACTERS,
            format!(
                "`name` may only contain a-z, 0-9 and '-'; found {}",
                list.trim_end()
            ),
        );
    }
    if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        push(
            out,
            codes::NAME_INVALID_HYPHENS,
            "`name` must not start or end with '-' or contain '--'".into(),
        );
    }
    if let Some(dir) = dir_name
        && dir != name
    {
        push(
            out,
            codes::NAME_MISMATCH,
            format!("`name` is {name:?} but the skill folder is named {dir:?}; they must match"),
        );
    }
}

/// Checks relative links in the body against the skill folder `skill_dir` of `tree`, and
/// flags files referenced from SKILL.md that themselves reference further files (references
/// should stay one level deep).
pub fn check_links(
    parsed: &ParsedSkill,
    tree: &dyn FileTree,
    skill_dir: &str,
    file: &str,
    limits: &SpecLimits,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut direct: BTreeSet<String> = BTreeSet::new();
    for link in links::extract_links(&parsed.body) {
        let line = Some(parsed.body_line_offset.saturating_add(link.line));
        match links::classify(&link.target, "") {
            LinkTarget::Ignored => {}
            LinkTarget::Outside => out.push(
                Finding::warning(
                    codes::LINK_OUTSIDE_SKILL,
                    format!(
                        "link `{}` points outside the skill folder; it will not be in the published skill",
                        link.target
                    ),
                    file,
                )
                .at_line(line),
            ),
            LinkTarget::Inside(rel) => {
                if rel.is_empty() {
                    continue;
                }
                match existing_kind(tree, skill_dir, &rel) {
                    Some(_) => {
                        direct.insert(rel);
                    }
                    None => out.push(
                        Finding::warning(
                            codes::BROKEN_LINK,
                            format!("link `{}` points to a file that does not exist in the skill folder", link.target),
                            file,
                        )
                        .at_line(line),
                    ),
                }
            }
        }
    }

    // One level of references: a referenced Markdown file should not send the reader on.
    let skill_md_names = ["SKILL.md", file];
    for rel in direct
        .iter()
        .filter(|r| is_markdown(r))
        .take(limits.max_references_scanned)
    {
        let Ok(bytes) = tree.read_limited(&join_rel(skill_dir, rel), limits.reference_max_bytes)
        else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let base = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let mut seen = BTreeSet::new();
        for link in links::extract_links(text) {
            let LinkTarget::Inside(target) = links::classify(&link.target, base) else {
                continue;
            };
            if target.is_empty()
                || target == *rel
                || skill_md_names.contains(&target.as_str())
                || direct.contains(&target)
                || !seen.insert(target.clone())
            {
                continue;
            }
            if existing_kind(tree, skill_dir, &target) == Some(false) {
                out.push(
                    Finding::warning(
                        codes::REFERENCE_TOO_DEEP,
                        format!(
                            "`{rel}` references `{target}`, which SKILL.md does not link directly; keep references one level deep from SKILL.md"
                        ),
                        rel.clone(),
                    )
                    .at_line(Some(link.line)),
                );
            }
        }
    }
    out
}

fn is_markdown(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

/// `Some(is_dir)` when `rel` exists in the skill folder without passing through a symlink
/// (symlinks are not packaged, so a link through one would be broken in the published skill).
fn existing_kind(tree: &dyn FileTree, skill_dir: &str, rel: &str) -> Option<bool> {
    match tree.kind(&join_rel(skill_dir, rel))? {
        EntryKind::Dir => Some(true),
        EntryKind::File { .. } => Some(false),
        EntryKind::Symlink | EntryKind::Special => None,
    }
}

/// Options for [`validate_skill_dir`].
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// Name the skill must carry. Defaults to the folder's own name; pass the repository name
    /// for a skill at the root of an extracted archive.
    pub dir_name: Option<String>,
    pub limits: SpecLimits,
}

/// The outcome of validating one skill folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillReport {
    /// The SKILL.md file name actually used (`SKILL.md`, or a case variant).
    pub skill_md: Option<String>,
    pub parsed: Option<ParsedSkill>,
    pub findings: Vec<Finding>,
}

impl SkillReport {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.is_error())
    }
}

/// Finds the SKILL.md of a folder on disk: the exact name, else a case variant (`skill.md`).
pub fn find_skill_md(dir: &Path) -> Option<String> {
    find_skill_md_in(&DiskTree::new(dir), "")
}

/// Finds the SKILL.md of folder `dir` of `tree`: the exact name, else a case variant.
pub fn find_skill_md_in(tree: &dyn FileTree, dir: &str) -> Option<String> {
    if tree
        .kind(&join_rel(dir, "SKILL.md"))
        .is_some_and(EntryKind::is_file)
    {
        return Some("SKILL.md".into());
    }
    let mut variants: Vec<String> = tree
        .read_dir(dir)
        .ok()?
        .into_iter()
        .filter(|e| e.utf8 && e.kind.is_file() && e.name.eq_ignore_ascii_case("SKILL.md"))
        .map(|e| e.name)
        .collect();
    variants.sort();
    variants.into_iter().next()
}

/// Reads, parses and validates the skill in `dir` on disk. See [`validate_skill_in`].
pub fn validate_skill_dir(dir: &Path, opts: &ValidateOptions) -> SkillReport {
    let mut opts = opts.clone();
    if opts.dir_name.is_none() {
        opts.dir_name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .map(ToOwned::to_owned);
    }
    validate_skill_in(&DiskTree::new(dir), "", &opts)
}

/// Reads, parses and validates the skill in folder `dir` of `tree` (reads only SKILL.md and
/// the Markdown files it links to, within the limits). The name the skill must carry is
/// `opts.dir_name`, else the folder's own name.
pub fn validate_skill_in(tree: &dyn FileTree, dir: &str, opts: &ValidateOptions) -> SkillReport {
    let mut findings = Vec::new();
    let dir_name = opts.dir_name.clone().or_else(|| {
        dir.rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(ToOwned::to_owned)
    });
    let Some(file) = find_skill_md_in(tree, dir) else {
        return SkillReport {
            skill_md: None,
            parsed: None,
            findings: vec![Finding::error(
                codes::SKILL_MD_MISSING,
                "the folder has no SKILL.md",
                "SKILL.md",
            )],
        };
    };
    if file != "SKILL.md" {
        findings.push(Finding::warning(
            codes::SKILL_MD_CASE,
            format!("the skill file is named {file:?}; the specification requires \"SKILL.md\""),
            file.clone(),
        ));
    }
    let bytes = match tree.read_limited(&join_rel(dir, &file), opts.limits.skill_md_max_bytes) {
        Ok(b) => b,
        Err(ReadError::TooLarge { limit, .. }) => {
            findings.push(Finding::error(
                codes::SKILL_MD_TOO_LARGE,
                format!("SKILL.md is over the {limit}-byte limit"),
                file.clone(),
            ));
            return SkillReport {
                skill_md: Some(file),
                parsed: None,
                findings,
            };
        }
        Err(e @ ReadError::Io { .. }) => {
            tracing::warn!(error = %e, "cannot read SKILL.md");
            findings.push(Finding::error(
                codes::SKILL_MD_UNREADABLE,
                "SKILL.md could not be read",
                file.clone(),
            ));
            return SkillReport {
                skill_md: Some(file),
                parsed: None,
                findings,
            };
        }
    };
    let parsed = match parse_skill_md_with(&bytes, &opts.limits) {
        Ok(p) => p,
        Err(e) => {
            findings.push(parse_error_finding(&e, &file));
            return SkillReport {
                skill_md: Some(file),
                parsed: None,
                findings,
            };
        }
    };
    findings.extend(validate_parsed(
        &parsed,
        dir_name.as_deref(),
        &file,
        &opts.limits,
    ));
    findings.extend(check_links(&parsed, tree, dir, &file, &opts.limits));
    sort_findings(&mut findings);
    SkillReport {
        skill_md: Some(file),
        parsed: Some(parsed),
        findings,
    }
}
