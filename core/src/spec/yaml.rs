//! A small position-aware YAML tree built from `saphyr-parser` events.
//!
//! We only need what a front matter needs: scalars, sequences and mappings with the line of
//! every node, converted to `serde_json::Value` under the YAML 1.2 core schema. Building the
//! tree ourselves (instead of a serde layer) gives us key lines, duplicate-key detection and
//! hard limits on nesting and alias expansion.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused: no real front matter needs it, and it bounds recursion
/// when converting and dropping the tree.
pub(crate) const MAX_DEPTH: usize = 32;
/// Upper bound on nodes after alias expansion ("billion laughs" guard).
pub(crate) const MAX_NODES: usize = 100_000;

/// A YAML node with its 1-based line and 0-based column inside the parsed text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Scalar {
        text: String,
        /// Quoted and block scalars are always strings; only plain scalars are resolved.
        plain: bool,
        /// `!!str` and friends; the suffix only (`str`, `int`, …) for core-schema tags.
        tag: Option<String>,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum YamlError {
    Syntax {
        line: u32,
        col: u32,
        message: String,
    },
    DuplicateKey {
        key: String,
        line: u32,
    },
    TooDeep {
        line: u32,
    },
    TooManyNodes {
        line: u32,
    },
    MultipleDocuments {
        line: u32,
    },
}

enum Frame {
    Seq {
        items: Vec<Node>,
        span: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        span: Span,
        anchor: usize,
    },
}

fn line_of(span: &Span) -> u32 {
    u32::try_from(span.start.line()).unwrap_or(u32::MAX)
}

fn col_of(span: &Span) -> u32 {
    u32::try_from(span.start.col()).unwrap_or(u32::MAX)
}

fn count_nodes(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar { .. } => 1,
        NodeKind::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

/// Parses one YAML document. Returns `None` for an empty stream.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;

    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| YamlError::Syntax {
            line: u32::try_from(e.marker().line()).unwrap_or(u32::MAX),
            col: u32::try_from(e.marker().col()).unwrap_or(u32::MAX),
            message: e.info().to_owned(),
        })?;
        let finished: Option<(Node, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError::MultipleDocuments {
                        line: line_of(&span),
                    });
                }
                None
            }
            Event::Alias(id) => {
                let (node, size) = anchors.get(&id).cloned().ok_or(YamlError::Syntax {
                    line: line_of(&span),
                    col: col_of(&span),
                    message: "alias refers to an unknown anchor".into(),
                })?;
                nodes = nodes.saturating_add(size);
                if nodes > MAX_NODES {
                    return Err(YamlError::TooManyNodes {
                        line: line_of(&span),
                    });
                }
                // An alias is a reference: report it where the alias is written.
                Some((
                    Node {
                        line: line_of(&span),
                        col: col_of(&span),
                        ..node
                    },
                    0,
                ))
            }
            Event::Scalar(text, style, anchor, tag) => {
                nodes += 1;
                if nodes > MAX_NODES {
                    return Err(YamlError::TooManyNodes {
                        line: line_of(&span),
                    });
                }
                let tag = tag.map(|t| {
                    if t.is_yaml_core_schema() {
                        t.suffix.clone()
                    } else {
                        format!("{}{}", t.handle, t.suffix)
                    }
                });
                Some((
                    Node {
                        kind: NodeKind::Scalar {
                            text: text.into_owned(),
                            plain: style == ScalarStyle::Plain,
                            tag,
                        },
                        line: line_of(&span),
                        col: col_of(&span),
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                nodes += 1;
                if nodes > MAX_NODES {
                    return Err(YamlError::TooManyNodes {
                        line: line_of(&span),
                    });
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError::TooDeep {
                        line: line_of(&span),
                    });
                }
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        span,
                        anchor,
                    }
                } else {
                    Frame::Map {
                        entries: Vec::new(),
                        pending_key: None,
                        span,
                        anchor,
                    }
                };
                stack.push(frame);
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    span,
                    anchor,
                }) => Some((
                    Node {
                        kind: NodeKind::Seq(items),
                        line: line_of(&span),
                        col: col_of(&span),
                    },
                    anchor,
                )),
                Some(Frame::Map {
                    entries,
                    span,
                    anchor,
                    ..
                }) => Some((
                    Node {
                        kind: NodeKind::Map(entries),
                        line: line_of(&span),
                        col: col_of(&span),
                    },
                    anchor,
                )),
                None => {
                    return Err(YamlError::Syntax {
                        line: line_of(&span),
                        col: col_of(&span),
                        message: "unbalanced collection end".into(),
                    });
                }
            },
        };

        let Some((node, anchor)) = finished else {
            continue;
        };
        if anchor != 0 {
            let size = count_nodes(&node);
            anchors.insert(anchor, (node.clone(), size));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    let key_text = key_string(&key);
                    if entries.iter().any(|(k, _)| key_string(k) == key_text) {
                        return Err(YamlError::DuplicateKey {
                            key: key_text,
                            line: key.line,
                        });
                    }
                    entries.push((key, node));
                }
            },
        }
    }
    Ok(root)
}

/// The string form of a mapping key (non-scalar keys are rendered as JSON).
pub(crate) fn key_string(node: &Node) -> String {
    match &node.kind {
        NodeKind::Scalar { text, .. } => text.clone(),
        _ => to_json(node).to_string(),
    }
}

/// Converts a node to JSON using the YAML 1.2 core schema for plain scalars.
pub(crate) fn to_json(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Scalar { text, plain, tag } => scalar_to_json(text, *plain, tag.as_deref()),
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                map.insert(key_string(k), to_json(v));
            }
            Value::Object(map)
        }
    }
}

fn scalar_to_json(text: &str, plain: bool, tag: Option<&str>) -> Value {
    match tag {
        Some("str") => return Value::String(text.to_owned()),
        Some("null") => return Value::Null,
        Some("bool" | "int" | "float") => {}
        // Unknown/local tags: keep the text, it is what the author wrote.
        Some(_) => return Value::String(text.to_owned()),
        None if !plain => return Value::String(text.to_owned()),
        None => {}
    }
    resolve_plain(text)
}

fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_int(text) {
        return Value::Number(n);
    }
    if is_float(text)
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    // .inf/.nan and everything else: JSON has no such numbers, keep the text.
    Value::String(text.to_owned())
}

fn parse_int(text: &str) -> Option<Number> {
    let (neg, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(rest) = digits.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = digits.strip_prefix("0o") {
        (8, rest)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Core schema: hex/octal forms carry no sign.
    if radix != 10 && text.len() != digits.len() + 2 {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        let value = i64::try_from(magnitude).ok()?.checked_neg()?;
        Some(Number::from(value))
    } else {
        Some(Number::from(magnitude))
    }
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_float(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - s;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn json_of(text: &str) -> Value {
        to_json(&parse(text).unwrap().unwrap())
    }

    #[test]
    fn core_schema_resolution() {
        let v = json_of(
            "a: 1\nb: -2\nc: 1.5\nd: true\ne: ~\nf: yes\ng: '3'\nh: 0x1f\ni: .inf\nj: 1e3\nk: !!str 7\n",
        );
        assert_eq!(
            v,
            json!({"a":1,"b":-2,"c":1.5,"d":true,"e":null,"f":"yes","g":"3","h":31,"i":".inf","j":1000.0,"k":"7"})
        );
    }

    #[test]
    fn positions_and_nesting() {
        let node = parse("name: x\nmetadata:\n  author: me\n  version: \"1\"\n")
            .unwrap()
            .unwrap();
        let NodeKind::Map(entries) = &node.kind else {
            panic!("not a map")
        };
        assert_eq!(entries[0].0.line, 1);
        assert_eq!(entries[1].0.line, 2);
        let NodeKind::Map(inner) = &entries[1].1.kind else {
            panic!("not a map")
        };
        assert_eq!((inner[0].0.line, inner[0].0.col), (3, 2));
        assert_eq!(inner[1].0.line, 4);
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        assert_eq!(
            parse("a: 1\nb: 2\na: 3\n"),
            Err(YamlError::DuplicateKey {
                key: "a".into(),
                line: 3
            })
        );
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(matches!(parse(&text), Err(YamlError::TooManyNodes { .. })));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = "[".repeat(50_000);
        assert!(parse(&text).is_err());
        let text = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        assert!(matches!(parse(&text), Err(YamlError::TooDeep { .. })));
    }

    #[test]
    fn empty_and_multi_document() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# only a comment\n").unwrap(), None);
        assert!(matches!(
            parse("a: 1\n...\n---\nb: 2\n"),
            Err(YamlError::MultipleDocuments { line: 3 })
        ));
    }
}
