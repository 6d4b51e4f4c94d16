//! Marketplace and plugin manifests: every source form, lenient fields, typed errors.

use serde_json::json;
use skilldex_core::spec::{
    ManifestError, PluginSource, normalize_relative, parse_marketplace, parse_plugin_manifest,
};

const EVERY_SOURCE: &str = r#"{
  "name": "acme",
  "owner": { "name": "Acme", "email": "dev@acme.test" },
  "metadata": { "description": "Acme tools", "version": "2.0.0", "pluginRoot": "./plugins" },
  "plugins": [
    { "name": "local", "source": "./plugins/local", "skills": "./skills/one",
      "commands": ["./cmd/a.md"], "agents": "./agents", "hooks": "./hooks.json",
      "mcpServers": { "db": { "command": "db-server" } },
      "keywords": ["a", "b"], "category": "dev", "license": "MIT", "strict": true,
      "author": "Jane Doe", "homepage": "https://acme.test",
      "repository": { "type": "git", "url": "https://github.com/acme/local" },
      "version": 1.5, "futureField": 42 },
    { "name": "root", "source": "./" },
    { "name": "short", "source": "formatter" },
    { "name": "gh", "source": { "source": "github", "repo": "acme/gh", "ref": "v1", "sha": "abc123" } },
    { "name": "gh-min", "source": { "source": "github", "repo": "acme/gh" } },
    { "name": "url", "source": { "source": "url", "url": "https://gitlab.test/acme/x.git" } },
    { "name": "sub", "source": { "source": "git-subdir", "url": "https://github.com/acme/mono.git", "path": "plugins/sub", "ref": "main" } },
    { "name": "npm", "source": { "source": "npm", "package": "@acme/plugin", "version": "^1.2" } },
    { "name": "future", "source": { "source": "oci", "image": "ghcr.io/acme/p" } },
    { "name": "escape", "source": "../../etc" }
  ]
}"#;

#[test]
fn every_source_form_is_parsed() {
    let m = parse_marketplace(EVERY_SOURCE.as_bytes()).unwrap();
    let sources: Vec<&PluginSource> = m.plugins.iter().map(|p| &p.source).collect();
    assert_eq!(
        sources,
        vec![
            &PluginSource::Path {
                path: "./plugins/local".into()
            },
            &PluginSource::Path { path: "./".into() },
            &PluginSource::Path {
                path: "formatter".into()
            },
            &PluginSource::Github {
                repo: "acme/gh".into(),
                git_ref: Some("v1".into()),
                sha: Some("abc123".into())
            },
            &PluginSource::Github {
                repo: "acme/gh".into(),
                git_ref: None,
                sha: None
            },
            &PluginSource::Url {
                url: "https://gitlab.test/acme/x.git".into(),
                git_ref: None,
                sha: None
            },
            &PluginSource::GitSubdir {
                url: "https://github.com/acme/mono.git".into(),
                path: "plugins/sub".into(),
                git_ref: Some("main".into()),
                sha: None
            },
            &PluginSource::Npm {
                package: "@acme/plugin".into(),
                version: Some("^1.2".into()),
                registry: None
            },
            &PluginSource::Other {
                raw: json!({ "source": "oci", "image": "ghcr.io/acme/p" })
            },
            &PluginSource::Path {
                path: "../../etc".into()
            },
        ]
    );
    // Serialising gives back the marketplace form.
    assert_eq!(
        serde_json::to_value(&m.plugins[3].source).unwrap(),
        json!({ "source": "github", "repo": "acme/gh", "ref": "v1", "sha": "abc123" })
    );
}

#[test]
fn plugin_fields_are_read_leniently_and_raw_is_kept() {
    let m = parse_marketplace(EVERY_SOURCE.as_bytes()).unwrap();
    let meta = m.metadata.as_ref().unwrap();
    assert_eq!(meta.plugin_root.as_deref(), Some("./plugins"));
    let p = &m.plugins[0].fields;
    assert_eq!(p.skills, ["./skills/one"]);
    assert_eq!(p.commands, ["./cmd/a.md"]);
    assert_eq!(p.agents, ["./agents"]);
    assert_eq!(p.hooks, Some(json!("./hooks.json")));
    assert_eq!(
        p.mcp_servers,
        Some(json!({ "db": { "command": "db-server" } }))
    );
    assert_eq!(p.keywords, ["a", "b"]);
    assert_eq!(p.category.as_deref(), Some("dev"));
    assert_eq!(p.strict, Some(true));
    assert_eq!(p.author.as_ref().unwrap().name.as_deref(), Some("Jane Doe"));
    assert_eq!(
        p.repository.as_deref(),
        Some("https://github.com/acme/local")
    );
    assert_eq!(p.version.as_deref(), Some("1.5"));
    assert_eq!(m.plugins[0].raw["futureField"], 42);
    assert_eq!(m.raw["metadata"]["pluginRoot"], "./plugins");
}

#[test]
fn plugin_dirs_resolve_with_plugin_root_and_refuse_escapes() {
    let m = parse_marketplace(EVERY_SOURCE.as_bytes()).unwrap();
    let dir = |i: usize| m.plugin_dir(&m.plugins[i]);
    assert_eq!(dir(0).as_deref(), Some("plugins/local"));
    assert_eq!(dir(1).as_deref(), Some(""));
    assert_eq!(dir(2).as_deref(), Some("plugins/formatter"));
    assert_eq!(dir(3), None, "remote source");
    assert_eq!(dir(9), None, "escapes the repository");
    assert_eq!(normalize_relative("a/./b/../c").as_deref(), Some("a/c"));
    assert_eq!(normalize_relative("/abs"), None);
}

#[test]
fn malformed_json_has_line_and_column() {
    let err = parse_marketplace(b"{\n  \"name\": \"x\",\n  \"plugins\": [\n    { \"name\": \"a\" \"source\": \"./\" }\n  ]\n}").unwrap_err();
    match &err {
        ManifestError::Syntax { line, column, .. } => {
            assert_eq!(*line, 4);
            assert_eq!(*column, 19);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.code(), "manifest_invalid_json");
    assert_eq!(err.line(), Some(4));
}

#[test]
fn wrong_shapes_are_typed_errors_with_positions() {
    // Missing plugin name.
    let err =
        parse_marketplace(b"{\"name\":\"x\",\"plugins\":[\n{\"source\":\"./\"}\n]}").unwrap_err();
    assert!(
        matches!(err, ManifestError::Shape { line: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("name"), "{err}");
    // plugins is not a list.
    let err = parse_marketplace(b"{\"name\":\"x\",\n\"plugins\": 3}").unwrap_err();
    assert!(
        matches!(err, ManifestError::Shape { line: 2, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "manifest_invalid");
    // Missing marketplace name.
    let err = parse_marketplace(b"{\"plugins\": []}").unwrap_err();
    assert!(matches!(err, ManifestError::Shape { .. }));
    // Skills must be paths.
    let err = parse_marketplace(
        b"{\"name\":\"x\",\"plugins\":[{\"name\":\"a\",\"source\":\"./\",\"skills\":5}]}",
    )
    .unwrap_err();
    assert!(err.to_string().contains("path"), "{err}");
}

#[test]
fn too_large_and_bom() {
    let big = vec![b' '; 2 * 1024 * 1024];
    assert!(matches!(
        parse_marketplace(&big),
        Err(ManifestError::TooLarge { .. })
    ));
    let with_bom = b"\xEF\xBB\xBF{\"name\":\"x\",\"plugins\":[]}";
    assert_eq!(parse_marketplace(with_bom).unwrap().name, "x");
}

#[test]
fn plugin_json_parses() {
    let pj = parse_plugin_manifest(
        br#"{ "name": "p", "version": "1.0.0", "skills": ["./skills/a", "./more"],
              "author": { "name": "A", "url": "https://a.test" }, "hooks": { "PreToolUse": [] } }"#,
    )
    .unwrap();
    assert_eq!(pj.name, "p");
    assert_eq!(pj.fields.skills, ["./skills/a", "./more"]);
    assert_eq!(
        pj.fields.author.as_ref().unwrap().url.as_deref(),
        Some("https://a.test")
    );
    assert_eq!(pj.fields.hooks, Some(json!({ "PreToolUse": [] })));
    assert_eq!(pj.raw["version"], "1.0.0");
    assert!(parse_plugin_manifest(b"{\"version\":\"1\"}").is_err());
}
