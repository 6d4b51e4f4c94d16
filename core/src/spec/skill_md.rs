//! Lenient `SKILL.md` parsing: front matter + Markdown body.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::yaml::{self, Node, NodeKind, YamlError};

/// Maximum size of a `SKILL.md` file.
pub const SKILL_MD_MAX_BYTES: u64 = 1024 * 1024;
/// Maximum size of the front matter block (between the `---` lines).
pub const FRONT_MATTER_MAX_BYTES: usize = 64 * 1024;
/// The spec's guidance for the body length.
pub const BODY_MAX_LINES: usize = 500;

/// Field names the Agent Skills specification defines.
pub const KNOWN_FIELDS: [&str; 6] = [
    "name",
    "description",
    "license",
    "compatibility",
    "metadata",
    "allowed-tools",
];

/// Limits applied when reading and validating a skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecLimits {
    pub skill_md_max_bytes: u64,
    pub front_matter_max_bytes: usize,
    /// Body lines beyond this produce a `body_too_long` warning.
    pub body_max_lines: usize,
    /// Referenced Markdown files larger than this are not scanned for nested references.
    pub reference_max_bytes: u64,
    /// At most this many referenced files are scanned for nested references.
    pub max_references_scanned: usize,
}

impl Default for SpecLimits {
    fn default() -> Self {
        Self {
            skill_md_max_bytes: SKILL_MD_MAX_BYTES,
            front_matter_max_bytes: FRONT_MATTER_MAX_BYTES,
            body_max_lines: BODY_MAX_LINES,
            reference_max_bytes: SKILL_MD_MAX_BYTES,
            max_references_scanned: 64,
        }
    }
}

/// The typed view of the front matter. Lenient: scalars of the wrong YAML type are
/// stringified here; the validator reports the type problem from `raw_frontmatter`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Frontmatter {
    pub name: Option<String>,
    pub description: Option<String>,
    pub license: Option<String>,
    pub compatibility: Option<String>,
    /// Scalar entries of `metadata`, stringified; nested values only live in the raw value.
    pub metadata: BTreeMap<String, String>,
    /// `allowed-tools`, split into tool patterns (a string or a YAML list are both accepted).
    pub allowed_tools: Vec<String>,
    /// Every field the spec does not define, as written.
    pub extra: Map<String, Value>,
}

/// Something the lenient parser had to repair or normalise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leniency {
    /// A UTF-8 byte order mark was removed.
    Bom,
    /// CRLF line endings were normalised to LF.
    Crlf,
    /// Tab indentation in the front matter was read as spaces.
    TabsExpanded,
}

/// A parsed `SKILL.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedSkill {
    pub frontmatter: Frontmatter,
    /// The whole front matter as JSON (YAML 1.2 core schema), unknown fields included.
    pub raw_frontmatter: Value,
    /// The Markdown body, LF line endings.
    pub body: String,
    /// Number of file lines before the body: body line `n` (1-based) is file line
    /// `body_line_offset + n`.
    pub body_line_offset: u32,
    /// File line of each top-level key, and of `metadata.<key>` entries.
    pub field_lines: BTreeMap<String, u32>,
    pub leniency: Vec<Leniency>,
}

impl ParsedSkill {
    /// File line of a field (`"name"`, `"metadata.author"`), if present.
    pub fn line_of(&self, field: &str) -> Option<u32> {
        self.field_lines.get(field).copied()
    }
}

/// Why a `SKILL.md` could not be parsed. Lines are 1-based file lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkillParseError {
    #[error("SKILL.md is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("SKILL.md is not valid UTF-8 (line {line})")]
    NotUtf8 { line: u32 },
    #[error("SKILL.md has no front matter: the first line must be `---`")]
    MissingFrontMatter,
    #[error("front matter opened on line {line} is never closed by a `---` line")]
    UnterminatedFrontMatter { line: u32 },
    #[error("front matter is {size} bytes, over the {limit}-byte limit")]
    FrontMatterTooLarge { size: usize, limit: usize },
    #[error("invalid YAML in front matter at line {line}, column {column}: {message}")]
    InvalidYaml {
        line: u32,
        column: u32,
        message: String,
    },
    #[error("front matter must be a YAML mapping (line {line})")]
    NotAMapping { line: u32 },
    #[error("duplicate front matter key `{key}` on line {line}")]
    DuplicateKey { key: String, line: u32 },
    #[error("front matter is too deeply nested or too large after alias expansion (line {line})")]
    TooComplex { line: u32 },
}

impl SkillParseError {
    /// Stable finding code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "skill_md_too_large",
            Self::NotUtf8 { .. } => "skill_md_not_utf8",
            Self::MissingFrontMatter => "front_matter_missing",
            Self::UnterminatedFrontMatter { .. } => "front_matter_unterminated",
            Self::FrontMatterTooLarge { .. } => "front_matter_too_large",
            Self::InvalidYaml { .. } => "front_matter_invalid_yaml",
            Self::NotAMapping { .. } => "front_matter_not_mapping",
            Self::DuplicateKey { .. } => "front_matter_duplicate_key",
            Self::TooComplex { .. } => "front_matter_too_complex",
        }
    }

    /// File line the error points at, when there is one.
    pub fn line(&self) -> Option<u32> {
        match self {
            Self::TooLarge { .. } | Self::MissingFrontMatter | Self::FrontMatterTooLarge { .. } => {
                None
            }
            Self::NotUtf8 { line }
            | Self::UnterminatedFrontMatter { line }
            | Self::InvalidYaml { line, .. }
            | Self::NotAMapping { line }
            | Self::DuplicateKey { line, .. }
            | Self::TooComplex { line } => Some(*line),
        }
    }

    /// The front matter field concerned, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::DuplicateKey { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// Parses `SKILL.md` bytes with the default limits.
pub fn parse_skill_md(input: &[u8]) -> Result<ParsedSkill, SkillParseError> {
    parse_skill_md_with(input, &SpecLimits::default())
}

/// Parses `SKILL.md` bytes.
pub fn parse_skill_md_with(
    input: &[u8],
    limits: &SpecLimits,
) -> Result<ParsedSkill, SkillParseError> {
    if input.len() as u64 > limits.skill_md_max_bytes {
        return Err(SkillParseError::TooLarge {
            size: input.len() as u64,
            limit: limits.skill_md_max_bytes,
        });
    }
    let mut leniency = Vec::new();
    let input = match input.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => {
            leniency.push(Leniency::Bom);
            rest
        }
        None => input,
    };
    let text = std::str::from_utf8(input).map_err(|e| SkillParseError::NotUtf8 {
        line: line_at(&input[..e.valid_up_to()]),
    })?;
    let normalized;
    let text = if text.contains("\r\n") {
        leniency.push(Leniency::Crlf);
        normalized = text.replace("\r\n", "\n");
        normalized.as_str()
    } else {
        text
    };

    let (fm_text, body, body_line_offset) = split_front_matter(text, limits)?;

    let node = match yaml::parse(fm_text) {
        Ok(node) => node,
        Err(first) => match retry_with_expanded_tabs(fm_text) {
            Some(node) => {
                leniency.push(Leniency::TabsExpanded);
                node
            }
            None => return Err(yaml_error(first)),
        },
    };

    let entries = match node {
        None => Vec::new(),
        Some(Node {
            kind: NodeKind::Map(entries),
            ..
        }) => entries,
        Some(other) => {
            return Err(SkillParseError::NotAMapping {
                line: fm_line(other.line),
            });
        }
    };

    let mut frontmatter = Frontmatter::default();
    let mut raw = Map::new();
    let mut field_lines = BTreeMap::new();
    for (key_node, value_node) in &entries {
        let key = yaml::key_string(key_node);
        let value = yaml::to_json(value_node);
        field_lines.insert(key.clone(), fm_line(key_node.line));
        match key.as_str() {
            "name" => frontmatter.name = scalar_text(value_node, &value),
            "description" => frontmatter.description = scalar_text(value_node, &value),
            "license" => frontmatter.license = scalar_text(value_node, &value),
            "compatibility" => frontmatter.compatibility = scalar_text(value_node, &value),
            "metadata" => {
                if let NodeKind::Map(meta) = &value_node.kind {
                    for (mk, mv) in meta {
                        let mkey = yaml::key_string(mk);
                        field_lines.insert(format!("metadata.{mkey}"), fm_line(mk.line));
                        if let Some(s) = scalar_text(mv, &yaml::to_json(mv)) {
                            frontmatter.metadata.insert(mkey, s);
                        }
                    }
                }
            }
            "allowed-tools" => frontmatter.allowed_tools = split_tools(&value),
            _ => {
                frontmatter.extra.insert(key.clone(), value.clone());
            }
        }
        raw.insert(key, value);
    }

    Ok(ParsedSkill {
        frontmatter,
        raw_frontmatter: Value::Object(raw),
        body: body.to_owned(),
        body_line_offset,
        field_lines,
        leniency,
    })
}

/// Front matter text starts on file line 2 (line 1 is the opening `---`).
fn fm_line(yaml_line: u32) -> u32 {
    yaml_line.saturating_add(1)
}

fn line_at(prefix: &[u8]) -> u32 {
    let newlines = prefix.iter().filter(|&&b| b == b'\n').count();
    u32::try_from(newlines).unwrap_or(u32::MAX - 1) + 1
}

fn is_fence(line: &str) -> bool {
    line.trim_end() == "---"
}

/// Splits `---\n<yaml>---\n<body>`; returns (yaml, body, lines before body).
fn split_front_matter<'a>(
    text: &'a str,
    limits: &SpecLimits,
) -> Result<(&'a str, &'a str, u32), SkillParseError> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().ok_or(SkillParseError::MissingFrontMatter)?;
    if !is_fence(first) {
        return Err(SkillParseError::MissingFrontMatter);
    }
    let fm_start = first.len();
    let mut offset = fm_start;
    let mut line_no: u32 = 1;
    for line in lines {
        line_no = line_no.saturating_add(1);
        if is_fence(line) {
            let fm = &text[fm_start..offset];
            if fm.len() > limits.front_matter_max_bytes {
                return Err(SkillParseError::FrontMatterTooLarge {
                    size: fm.len(),
                    limit: limits.front_matter_max_bytes,
                });
            }
            return Ok((fm, &text[offset + line.len()..], line_no));
        }
        offset += line.len();
        // No need to scan a huge file once the front matter is already over the limit.
        if offset - fm_start > limits.front_matter_max_bytes {
            return Err(SkillParseError::FrontMatterTooLarge {
                size: offset - fm_start,
                limit: limits.front_matter_max_bytes,
            });
        }
    }
    Err(SkillParseError::UnterminatedFrontMatter { line: 1 })
}

/// Real-world front matter sometimes indents with tabs, which YAML forbids. If the strict
/// parse failed and leading tabs exist, read each leading tab as two spaces and try again.
fn retry_with_expanded_tabs(fm: &str) -> Option<Option<Node>> {
    if !fm.lines().any(|l| l.starts_with('\t')) && !fm.contains(":\t") {
        return None;
    }
    let mut fixed = String::with_capacity(fm.len() + 64);
    for line in fm.split_inclusive('\n') {
        let indent_len = line.len() - line.trim_start_matches([' ', '\t']).len();
        let (indent, rest) = line.split_at(indent_len);
        for c in indent.chars() {
            fixed.push_str(if c == '\t' { "  " } else { " " });
        }
        // `key:\tvalue` is also refused in some contexts: a space after the colon is the intent.
        fixed.push_str(&rest.replacen(":\t", ": ", 1));
    }
    yaml::parse(&fixed).ok()
}

fn yaml_error(e: YamlError) -> SkillParseError {
    match e {
        YamlError::Syntax { line, col, message } => SkillParseError::InvalidYaml {
            line: fm_line(line),
            column: col.saturating_add(1),
            message,
        },
        YamlError::MultipleDocuments { line } => SkillParseError::InvalidYaml {
            line: fm_line(line),
            column: 1,
            message: "more than one YAML document in front matter".into(),
        },
        YamlError::DuplicateKey { key, line } => SkillParseError::DuplicateKey {
            key,
            line: fm_line(line),
        },
        YamlError::TooDeep { line } | YamlError::TooManyNodes { line } => {
            SkillParseError::TooComplex {
                line: fm_line(line),
            }
        }
    }
}

/// A scalar exactly as written (`00` stays `00`, `1.10` stays `1.10`); null and collections
/// have no text.
fn scalar_text(node: &Node, value: &Value) -> Option<String> {
    match (&node.kind, value) {
        (_, Value::Null) => None,
        (NodeKind::Scalar { text, .. }, _) => Some(text.clone()),
        _ => None,
    }
}

/// Scalars of any type read as text; collections and null have no string form.
pub(crate) fn lenient_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// `allowed-tools` is space-delimited in the spec; Claude Code also accepts commas and YAML
/// lists. Spaces inside parentheses (`Bash(git status:*)`) belong to the pattern.
fn split_tools(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => split_tool_string(s),
        Value::Array(items) => items
            .iter()
            .filter_map(lenient_string)
            .flat_map(|s| split_tool_string(&s))
            .collect(),
        _ => Vec::new(),
    }
}

fn split_tool_string(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                current.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            c if depth == 0 && (c.is_whitespace() || c == ',') => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_tools_respecting_parentheses() {
        assert_eq!(
            split_tool_string("Bash(git status:*) Read, Write"),
            vec!["Bash(git status:*)", "Read", "Write"]
        );
    }

    #[test]
    fn bom_crlf_and_block_scalars() {
        let input = b"\xEF\xBB\xBF---\r\nname: pdf\r\ndescription: |-\r\n  Line one.\r\n  Line two.\r\n---\r\n# Body\r\n";
        let parsed = parse_skill_md(input).unwrap();
        assert_eq!(parsed.frontmatter.name.as_deref(), Some("pdf"));
        assert_eq!(
            parsed.frontmatter.description.as_deref(),
            Some("Line one.\nLine two.")
        );
        assert_eq!(parsed.body, "# Body\n");
        assert_eq!(parsed.body_line_offset, 6);
        assert_eq!(parsed.line_of("description"), Some(3));
        assert_eq!(parsed.leniency, vec![Leniency::Bom, Leniency::Crlf]);
    }

    #[test]
    fn tab_indentation_is_read_leniently() {
        let input = b"---\nname: x\nmetadata:\n\tauthor: me\n---\nbody\n";
        let parsed = parse_skill_md(input).unwrap();
        assert_eq!(parsed.frontmatter.metadata.get("author").unwrap(), "me");
        assert_eq!(parsed.line_of("metadata.author"), Some(4));
        assert!(parsed.leniency.contains(&Leniency::TabsExpanded));
    }

    #[test]
    fn unknown_fields_are_kept_raw() {
        let parsed =
            parse_skill_md(b"---\nname: x\ndescription: d\nversion: 1.2\ntags: [a, b]\n---\n")
                .unwrap();
        assert_eq!(parsed.frontmatter.extra.get("version").unwrap(), 1.2);
        assert_eq!(
            parsed.frontmatter.extra.get("tags").unwrap(),
            &serde_json::json!(["a", "b"])
        );
        assert_eq!(parsed.body, "");
    }

    #[test]
    fn scalars_keep_their_written_text() {
        let parsed =
            parse_skill_md(b"---\nname: 00\ndescription: 1e3\nmetadata:\n  version: 1.10\n---\n")
                .unwrap();
        assert_eq!(parsed.frontmatter.name.as_deref(), Some("00"));
        assert_eq!(parsed.frontmatter.description.as_deref(), Some("1e3"));
        assert_eq!(parsed.frontmatter.metadata["version"], "1.10");
        // The raw value keeps the YAML type, for the validator.
        assert_eq!(parsed.raw_frontmatter["metadata"]["version"], 1.1);
    }

    #[test]
    fn parse_errors_carry_lines() {
        assert_eq!(
            parse_skill_md(b"# no front matter\n"),
            Err(SkillParseError::MissingFrontMatter)
        );
        assert_eq!(
            parse_skill_md(b"---\nname: x\n"),
            Err(SkillParseError::UnterminatedFrontMatter { line: 1 })
        );
        let err = parse_skill_md(b"---\nname: x\ndescription: [unclosed\n---\n").unwrap_err();
        assert_eq!(err.code(), "front_matter_invalid_yaml");
        let err = parse_skill_md(b"---\nname: x\nname: y\n---\n").unwrap_err();
        assert_eq!(
            err,
            SkillParseError::DuplicateKey {
                key: "name".into(),
                line: 3
            }
        );
        assert_eq!(
            parse_skill_md(b"---\n- a\n- b\n---\n"),
            Err(SkillParseError::NotAMapping { line: 2 })
        );
        assert_eq!(
            parse_skill_md(b"---\nname: \xff\n---\n"),
            Err(SkillParseError::NotUtf8 { line: 2 })
        );
    }
}
