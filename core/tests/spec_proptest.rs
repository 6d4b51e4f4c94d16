//! Property tests: the parser never panics, and valid front matter round-trips.

use std::collections::BTreeMap;

use proptest::prelude::*;
use skilldex_core::spec::{SpecLimits, parse_marketplace, parse_skill_md, validate_parsed};

/// YAML double-quoted form of any string.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn name_strategy() -> impl Strategy<Value = String> {
    // 1–64 chars of [a-z0-9], single hyphens between segments.
    proptest::collection::vec("[a-z0-9]{1,8}", 1..6)
        .prop_map(|parts| parts.join("-"))
        .prop_filter("name length", |n| n.len() <= 64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = parse_skill_md(&bytes);
        let _ = parse_marketplace(&bytes);
    }

    #[test]
    fn never_panics_on_arbitrary_front_matter(fm in "\\PC{0,400}", body in "\\PC{0,200}") {
        let doc = format!("---\n{fm}\n---\n{body}");
        if let Ok(parsed) = parse_skill_md(doc.as_bytes()) {
            let _ = validate_parsed(&parsed, Some("x"), "SKILL.md", &SpecLimits::default());
        }
    }

    #[test]
    fn never_panics_on_yamlish_soup(parts in proptest::collection::vec(
        prop_oneof![
            Just("- "), Just(": "), Just("\n"), Just("  "), Just("\t"), Just("["), Just("]"),
            Just("{"), Just("}"), Just("&a "), Just("*a "), Just("!!str "), Just("|\n"),
            Just(">-\n"), Just("'"), Just("\""), Just("#"), Just("key"), Just("---\n"), Just("..."),
            Just("? "), Just(","), Just("%YAML 1.2\n"), Just("\u{feff}"),
        ], 0..80)) {
        let fm: String = parts.concat();
        let _ = parse_skill_md(format!("---\n{fm}\n---\n").as_bytes());
    }

    #[test]
    fn valid_front_matter_round_trips(
        name in name_strategy(),
        description in "\\PC{1,300}",
        license in proptest::option::of("[A-Za-z0-9 .-]{1,30}"),
        metadata in proptest::collection::btree_map("[a-z][a-z0-9_]{0,10}", "\\PC{0,40}", 0..5),
        body in "[^\r]{0,300}",
        crlf in any::<bool>(),
    ) {
        prop_assume!(!description.trim().is_empty());
        let mut fm = format!("name: {name}\ndescription: {}\n", quoted(&description));
        if let Some(l) = &license {
            fm.push_str(&format!("license: {}\n", quoted(l)));
        }
        if !metadata.is_empty() {
            fm.push_str("metadata:\n");
            for (k, v) in &metadata {
                fm.push_str(&format!("  {k}: {}\n", quoted(v)));
            }
        }
        let mut doc = format!("---\n{fm}---\n{body}");
        if crlf {
            doc = doc.replace('\n', "\r\n");
        }
        let parsed = parse_skill_md(doc.as_bytes()).unwrap();
        prop_assert_eq!(parsed.frontmatter.name.as_deref(), Some(name.as_str()));
        prop_assert_eq!(parsed.frontmatter.description.as_deref(), Some(description.as_str()));
        prop_assert_eq!(parsed.frontmatter.license.as_deref(), license.as_deref());
        let expected: BTreeMap<String, String> = metadata.clone();
        prop_assert_eq!(&parsed.frontmatter.metadata, &expected);
        prop_assert!(parsed.frontmatter.extra.is_empty());
        prop_assert_eq!(parsed.body.as_str(), body.as_str());
        prop_assert_eq!(parsed.line_of("name"), Some(2));
        prop_assert_eq!(parsed.line_of("description"), Some(3));
        let fm_lines = u32::try_from(fm.lines().count()).unwrap();
        prop_assert_eq!(parsed.body_line_offset, fm_lines + 2);

        // A valid, licensed skill whose folder matches produces no errors.
        let findings = validate_parsed(&parsed, Some(&name), "SKILL.md", &SpecLimits::default());
        let errors: Vec<_> = findings.iter().filter(|f| f.is_error()).collect();
        if description.chars().count() <= 1024 {
            prop_assert!(errors.is_empty(), "{:?}", errors);
        }
    }
}
