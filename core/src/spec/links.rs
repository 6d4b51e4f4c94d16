//! Relative links in Markdown: extraction (CommonMark, so code blocks are ignored) and
//! resolution against the skill folder.

use pulldown_cmark::{Event, Options, Parser, Tag};

/// A link or image destination found in Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MdLink {
    pub target: String,
    /// 1-based line inside the Markdown text.
    pub line: u32,
}

/// Where a link destination points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkTarget {
    /// A URL with a scheme, protocol-relative URL, or pure fragment: not checked.
    Ignored,
    /// A path inside the skill, `/`-separated and normalised, relative to the skill root.
    /// Empty means the skill root itself.
    Inside(String),
    /// The path is absolute or climbs out of the skill folder.
    Outside,
}

/// Extracts link and image destinations with their lines.
pub(crate) fn extract_links(markdown: &str) -> Vec<MdLink> {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(markdown.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| -> u32 {
        let idx = line_starts.partition_point(|&s| s <= offset);
        u32::try_from(idx).unwrap_or(u32::MAX)
    };
    let mut out = Vec::new();
    for (event, range) in Parser::new_ext(markdown, Options::empty()).into_offset_iter() {
        if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = event {
            out.push(MdLink {
                target: dest_url.into_string(),
                line: line_of(range.start),
            });
        }
    }
    out
}

fn has_scheme(target: &str) -> bool {
    let Some(colon) = target.find(':') else {
        return false;
    };
    let scheme = &target[..colon];
    let mut chars = scheme.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Resolves a link destination written in a file whose folder is `base_dir` (relative to the
/// skill root, `/`-separated, empty for the root).
pub(crate) fn classify(target: &str, base_dir: &str) -> LinkTarget {
    let target = target.trim();
    if target.is_empty() || target.starts_with('#') || target.starts_with("//") {
        return LinkTarget::Ignored;
    }
    if has_scheme(target) {
        return LinkTarget::Ignored;
    }
    let path = target
        .split(['#', '?'])
        .next()
        .map(percent_decode)
        .unwrap_or_default();
    if path.is_empty() {
        return LinkTarget::Ignored;
    }
    if path.starts_with('/') || path.starts_with('\\') {
        return LinkTarget::Outside;
    }
    let mut parts: Vec<&str> = base_dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return LinkTarget::Outside;
                }
            }
            p => parts.push(p),
        }
    }
    LinkTarget::Inside(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_links_but_not_code() {
        let md = "# T\n\nSee [a](a.md) and ![img](img/x.png).\n\n```\n[not](b.md)\n```\n\n`[no](c.md)`\n\n[ref]: d.md\n\nUse [the ref][ref].\n";
        let links = extract_links(md);
        assert_eq!(
            links,
            vec![
                MdLink {
                    target: "a.md".into(),
                    line: 3
                },
                MdLink {
                    target: "img/x.png".into(),
                    line: 3
                },
                MdLink {
                    target: "d.md".into(),
                    line: 13
                },
            ]
        );
    }

    #[test]
    fn classifies_targets() {
        assert_eq!(classify("https://x.y/z", ""), LinkTarget::Ignored);
        assert_eq!(classify("mailto:a@b", ""), LinkTarget::Ignored);
        assert_eq!(classify("#section", ""), LinkTarget::Ignored);
        assert_eq!(
            classify("./ref/a%20b.md#x", ""),
            LinkTarget::Inside("ref/a b.md".into())
        );
        assert_eq!(classify("../x.md", ""), LinkTarget::Outside);
        assert_eq!(classify("/etc/passwd", ""), LinkTarget::Outside);
        assert_eq!(
            classify("../b.md", "ref"),
            LinkTarget::Inside("b.md".into())
        );
        assert_eq!(classify("a/../../x", ""), LinkTarget::Outside);
    }
}
