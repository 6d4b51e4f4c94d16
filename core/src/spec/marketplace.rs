//! Claude Code plugin marketplaces (`.claude-plugin/marketplace.json`) and plugin manifests
//! (`.claude-plugin/plugin.json`).
//!
//! Parsing is strict about JSON syntax and about the shape of the fields we index (with the
//! JSON line and column on failure), lenient about everything else: unknown fields are kept in
//! `raw`, unknown plugin source kinds become [`PluginSource::Other`].

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Path of the marketplace file inside a repository.
pub const MARKETPLACE_PATH: &str = ".claude-plugin/marketplace.json";
/// Path of a plugin manifest inside a plugin folder.
pub const PLUGIN_MANIFEST_PATH: &str = ".claude-plugin/plugin.json";
/// Manifests larger than this are refused.
pub const MANIFEST_MAX_BYTES: usize = 1024 * 1024;

/// Why a marketplace or plugin manifest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("invalid manifest at line {line}, column {column}: {message}")]
    Shape {
        line: usize,
        column: usize,
        message: String,
    },
}

impl ManifestError {
    /// Stable finding code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "manifest_too_large",
            Self::Syntax { .. } => "manifest_invalid_json",
            Self::Shape { .. } => "manifest_invalid",
        }
    }

    pub fn line(&self) -> Option<usize> {
        match self {
            Self::TooLarge { .. } => None,
            Self::Syntax { line, .. } | Self::Shape { line, .. } => Some(*line),
        }
    }

    fn from_json(e: &serde_json::Error) -> Self {
        let message = strip_position(&e.to_string());
        match e.classify() {
            serde_json::error::Category::Data => Self::Shape {
                line: e.line(),
                column: e.column(),
                message,
            },
            _ => Self::Syntax {
                line: e.line(),
                column: e.column(),
                message,
            },
        }
    }
}

/// serde_json appends " at line L column C"; we carry those as fields.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// A person: marketplaces write either `"Name"` or `{ "name", "email", "url" }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Person {
    pub name: Option<String>,
    pub email: Option<String>,
    pub url: Option<String>,
}

impl<'de> Deserialize<'de> for Person {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Obj {
            name: Option<String>,
            email: Option<String>,
            url: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Name(String),
            Obj(Obj),
        }
        match Form::deserialize(d)
            .map_err(|_| de::Error::custom("expected a name string or {name, email, url}"))?
        {
            Form::Name(name) => Ok(Person {
                name: Some(name),
                ..Person::default()
            }),
            Form::Obj(o) => Ok(Person {
                name: o.name,
                email: o.email,
                url: o.url,
            }),
        }
    }
}

/// `"a"` or `["a", "b"]`.
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        One(String),
        Many(Vec<String>),
        Null(()),
    }
    Ok(
        match Form::deserialize(d)
            .map_err(|_| de::Error::custom("expected a path string or a list of paths"))?
        {
            Form::One(s) => vec![s],
            Form::Many(v) => v,
            Form::Null(()) => Vec::new(),
        },
    )
}

/// `"https://…"` or npm-style `{ "type": "git", "url": "…" }`.
fn url_or_object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::String(s) => Some(s),
        Value::Object(m) => m.get("url").and_then(Value::as_str).map(ToOwned::to_owned),
        _ => None,
    })
}

/// Where a plugin's files come from. Serialises back to the marketplace form.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginSource {
    /// A folder in the marketplace repository, e.g. `./plugins/x` or `./`.
    Path { path: String },
    /// `{ "source": "github", "repo": "owner/name", "ref"?, "sha"? }`
    Github {
        repo: String,
        git_ref: Option<String>,
        sha: Option<String>,
    },
    /// `{ "source": "url", "url": "https://…/x.git", "ref"?, "sha"? }`
    Url {
        url: String,
        git_ref: Option<String>,
        sha: Option<String>,
    },
    /// `{ "source": "git-subdir", "url", "path", "ref"?, "sha"? }`
    GitSubdir {
        url: String,
        path: String,
        git_ref: Option<String>,
        sha: Option<String>,
    },
    /// `{ "source": "npm", "package", "version"?, "registry"? }` — recorded, never fetched.
    Npm {
        package: String,
        version: Option<String>,
        registry: Option<String>,
    },
    /// Anything else, as written.
    Other { raw: Value },
}

impl<'de> Deserialize<'de> for PluginSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(PluginSource::from_value(v))
    }
}

impl Serialize for PluginSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl PluginSource {
    /// The marketplace JSON form of this source.
    pub fn to_value(&self) -> Value {
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: Option<&String>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), Value::String(v.clone()));
            }
        };
        match self {
            PluginSource::Path { path } => return Value::String(path.clone()),
            PluginSource::Other { raw } => return raw.clone(),
            PluginSource::Github { repo, git_ref, sha } => {
                put("source", Some(&"github".to_owned()));
                put("repo", Some(repo));
                put("ref", git_ref.as_ref());
                put("sha", sha.as_ref());
            }
            PluginSource::Url { url, git_ref, sha } => {
                put("source", Some(&"url".to_owned()));
                put("url", Some(url));
                put("ref", git_ref.as_ref());
                put("sha", sha.as_ref());
            }
            PluginSource::GitSubdir {
                url,
                path,
                git_ref,
                sha,
            } => {
                put("source", Some(&"git-subdir".to_owned()));
                put("url", Some(url));
                put("path", Some(path));
                put("ref", git_ref.as_ref());
                put("sha", sha.as_ref());
            }
            PluginSource::Npm {
                package,
                version,
                registry,
            } => {
                put("source", Some(&"npm".to_owned()));
                put("package", Some(package));
                put("version", version.as_ref());
                put("registry", registry.as_ref());
            }
        }
        Value::Object(m)
    }

    fn from_value(v: Value) -> Self {
        let s = |m: &serde_json::Map<String, Value>, k: &str| {
            m.get(k).and_then(Value::as_str).map(ToOwned::to_owned)
        };
        match &v {
            Value::String(path) => PluginSource::Path { path: path.clone() },
            Value::Object(m) => {
                let git_ref = s(m, "ref");
                let sha = s(m, "sha");
                match m.get("source").and_then(Value::as_str) {
                    Some("github") => match s(m, "repo") {
                        Some(repo) => PluginSource::Github { repo, git_ref, sha },
                        None => PluginSource::Other { raw: v },
                    },
                    Some("url" | "git") => match s(m, "url") {
                        Some(url) => PluginSource::Url { url, git_ref, sha },
                        None => PluginSource::Other { raw: v },
                    },
                    Some("git-subdir") => {
                        match (s(m, "url").or_else(|| s(m, "repo")), s(m, "path")) {
                            (Some(url), Some(path)) => PluginSource::GitSubdir {
                                url,
                                path,
                                git_ref,
                                sha,
                            },
                            _ => PluginSource::Other { raw: v },
                        }
                    }
                    Some("npm") => match s(m, "package") {
                        Some(package) => PluginSource::Npm {
                            package,
                            version: s(m, "version"),
                            registry: s(m, "registry"),
                        },
                        None => PluginSource::Other { raw: v },
                    },
                    _ => PluginSource::Other { raw: v },
                }
            }
            _ => PluginSource::Other { raw: v },
        }
    }

    /// The in-repository folder of a `Path` source.
    pub fn local_path(&self) -> Option<&str> {
        match self {
            PluginSource::Path { path } => Some(path),
            _ => None,
        }
    }
}

/// Fields shared by marketplace plugin entries and `plugin.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginFields {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient_version")]
    pub version: Option<String>,
    #[serde(default)]
    pub author: Option<Person>,
    #[serde(default)]
    pub homepage: Option<String>,
    #[serde(default, deserialize_with = "url_or_object")]
    pub repository: Option<String>,
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub strict: Option<bool>,
    /// Paths (relative to the plugin root) of skill folders or folders of skills.
    #[serde(default, deserialize_with = "one_or_many")]
    pub skills: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub commands: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub agents: Vec<String>,
    /// A path, a list or an inline hooks object: kept as written.
    #[serde(default)]
    pub hooks: Option<Value>,
    /// A path, a list or an inline servers object: kept as written.
    #[serde(default)]
    pub mcp_servers: Option<Value>,
}

/// Versions are strings, but `1.0` as a JSON number appears in the wild.
fn lenient_version<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(de::Error::custom("`version` must be a string")),
    })
}

/// One `plugins[]` entry of a marketplace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plugin {
    pub name: String,
    pub source: PluginSource,
    #[serde(flatten)]
    pub fields: PluginFields,
    /// The entry as written.
    #[serde(skip_deserializing)]
    pub raw: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub name: Option<String>,
    pub email: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketplaceMetadata {
    pub description: Option<String>,
    pub version: Option<String>,
    /// Base folder prepended to relative plugin sources that do not start with `./`.
    pub plugin_root: Option<String>,
}

/// A parsed `marketplace.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marketplace {
    pub name: String,
    #[serde(default)]
    pub owner: Option<Owner>,
    #[serde(default)]
    pub metadata: Option<MarketplaceMetadata>,
    /// Some marketplaces put the description at the top level.
    #[serde(default)]
    pub description: Option<String>,
    pub plugins: Vec<Plugin>,
    /// The whole document as written.
    #[serde(skip_deserializing)]
    pub raw: Value,
}

impl Marketplace {
    /// The folder (relative to the repository root, normalised, `""` for the root) of a plugin
    /// whose source is a path in this repository. `None` for remote sources or paths that
    /// leave the repository.
    pub fn plugin_dir(&self, plugin: &Plugin) -> Option<String> {
        let path = plugin.source.local_path()?;
        let root = self
            .metadata
            .as_ref()
            .and_then(|m| m.plugin_root.as_deref());
        let joined = match root {
            Some(root) if !path.starts_with("./") && !path.starts_with("../") && path != "." => {
                format!("{root}/{path}")
            }
            _ => path.to_owned(),
        };
        normalize_relative(&joined)
    }
}

/// A parsed `plugin.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginManifest {
    pub name: String,
    #[serde(flatten)]
    pub fields: PluginFields,
    #[serde(skip_deserializing)]
    pub raw: Value,
}

/// Normalises a `/`-separated relative path; `None` when absolute or escaping upwards.
pub fn normalize_relative(path: &str) -> Option<String> {
    if path.starts_with('/') || path.starts_with('\\') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn check_size(bytes: &[u8]) -> Result<(), ManifestError> {
    if bytes.len() > MANIFEST_MAX_BYTES {
        return Err(ManifestError::TooLarge {
            size: bytes.len(),
            limit: MANIFEST_MAX_BYTES,
        });
    }
    Ok(())
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Parses `marketplace.json`.
pub fn parse_marketplace(bytes: &[u8]) -> Result<Marketplace, ManifestError> {
    check_size(bytes)?;
    let bytes = strip_bom(bytes);
    // Syntax first, so malformed JSON is reported as such and not as a shape problem.
    let raw: Value = serde_json::from_slice(bytes).map_err(|e| ManifestError::from_json(&e))?;
    let mut market: Marketplace =
        serde_json::from_slice(bytes).map_err(|e| ManifestError::from_json(&e))?;
    if let Some(plugins) = raw.get("plugins").and_then(Value::as_array) {
        for (plugin, raw_plugin) in market.plugins.iter_mut().zip(plugins) {
            plugin.raw = raw_plugin.clone();
        }
    }
    market.raw = raw;
    Ok(market)
}

/// Parses `plugin.json`.
pub fn parse_plugin_manifest(bytes: &[u8]) -> Result<PluginManifest, ManifestError> {
    check_size(bytes)?;
    let bytes = strip_bom(bytes);
    let raw: Value = serde_json::from_slice(bytes).map_err(|e| ManifestError::from_json(&e))?;
    let mut manifest: PluginManifest =
        serde_json::from_slice(bytes).map_err(|e| ManifestError::from_json(&e))?;
    manifest.raw = raw;
    Ok(manifest)
}
