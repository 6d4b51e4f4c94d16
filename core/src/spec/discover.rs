//! Finding every skill in an extracted repository tree.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::marketplace::{
    MANIFEST_MAX_BYTES, MARKETPLACE_PATH, Marketplace, PLUGIN_MANIFEST_PATH, PluginManifest,
    normalize_relative, parse_marketplace, parse_plugin_manifest,
};
use super::validate::{Finding, codes, find_skill_md_in, sort_findings};
use crate::tree::{DiskTree, EntryKind, FileTree, ReadError, join_rel};

/// Folder names never searched: VCS data, dependencies, build output, caches.
pub const SKIPPED_DIRS: [&str; 7] = [
    ".git",
    "node_modules",
    "target",
    "dist",
    "build",
    ".venv",
    "__pycache__",
];

/// Discovery-specific finding codes (repository-level, paths relative to the root).
pub mod discovery_codes {
    pub const SKILL_MD_SYMLINK: &str = "skill_md_symlink";
    pub const DEPTH_LIMIT: &str = "discovery_depth_limit";
    pub const ENTRY_LIMIT: &str = "discovery_entry_limit";
    pub const SKILL_LIMIT: &str = "discovery_skill_limit";
    pub const UNREADABLE: &str = "discovery_unreadable";
    pub const NON_UTF8_PATH: &str = "discovery_non_utf8_path";
    pub const PLUGIN_DIR_MISSING: &str = "marketplace_plugin_dir_missing";
    pub const SKILL_PATH_MISSING: &str = "marketplace_skill_missing";
    pub const PATH_OUTSIDE: &str = "marketplace_path_outside";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryLimits {
    /// Folders deeper than this (root = 0) are not searched.
    pub max_depth: usize,
    /// Directory entries examined before the walk stops.
    pub max_entries: usize,
    /// Skills reported before discovery stops.
    pub max_skills: usize,
}

impl Default for DiscoveryLimits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_entries: 200_000,
            max_skills: 1_000,
        }
    }
}

/// How a skill was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SkillOrigin {
    /// Found by walking the tree.
    Tree,
    /// Listed (or implied by the default `skills/` folder) by a marketplace plugin.
    Marketplace { plugin: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredSkill {
    /// Skill folder relative to the root, `/`-separated; `""` for the root itself.
    pub dir: String,
    /// SKILL.md path relative to the root (may be a case variant such as `skill.md`).
    pub skill_md: String,
    pub origin: SkillOrigin,
    /// Every marketplace plugin that includes this skill, in marketplace order.
    pub plugins: Vec<String>,
}

impl DiscoveredSkill {
    /// The skill folder's own name (`None` for the root: use the repository name).
    pub fn dir_name(&self) -> Option<&str> {
        if self.dir.is_empty() {
            None
        } else {
            self.dir.rsplit('/').next()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    /// Sorted by `dir`.
    pub skills: Vec<DiscoveredSkill>,
    /// The root `.claude-plugin/marketplace.json`, when present and valid.
    pub marketplace: Option<Marketplace>,
    /// The root `.claude-plugin/plugin.json`, when present and valid.
    pub plugin_manifest: Option<PluginManifest>,
    /// Problems met while discovering (limits hit, invalid manifests, missing listed skills).
    pub findings: Vec<Finding>,
}

struct Walker<'a> {
    tree: &'a dyn FileTree,
    limits: &'a DiscoveryLimits,
    entries: usize,
    found: BTreeMap<String, DiscoveredSkill>,
    findings: Vec<Finding>,
    entry_limit_hit: bool,
    depth_limit_hit: bool,
    skill_limit_hit: bool,
}

impl Walker<'_> {
    fn add_skill(&mut self, dir: &str, skill_md: &str, plugin: Option<&str>) {
        if let Some(existing) = self.found.get_mut(dir) {
            if let Some(p) = plugin {
                if matches!(existing.origin, SkillOrigin::Tree) {
                    existing.origin = SkillOrigin::Marketplace {
                        plugin: p.to_owned(),
                    };
                }
                if !existing.plugins.iter().any(|x| x == p) {
                    existing.plugins.push(p.to_owned());
                }
            }
            return;
        }
        if self.found.len() >= self.limits.max_skills {
            if !self.skill_limit_hit {
                self.skill_limit_hit = true;
                self.findings.push(Finding::error(
                    discovery_codes::SKILL_LIMIT,
                    format!(
                        "more than {} skills: the rest of the repository was not indexed",
                        self.limits.max_skills
                    ),
                    dir,
                ));
            }
            return;
        }
        self.found.insert(
            dir.to_owned(),
            DiscoveredSkill {
                dir: dir.to_owned(),
                skill_md: join_rel(dir, skill_md),
                origin: match plugin {
                    Some(p) => SkillOrigin::Marketplace {
                        plugin: p.to_owned(),
                    },
                    None => SkillOrigin::Tree,
                },
                plugins: plugin.map(|p| vec![p.to_owned()]).unwrap_or_default(),
            },
        );
    }

    /// Depth-first walk with sorted children; never follows symlinks.
    fn walk(&mut self) {
        let mut stack: Vec<(String, usize)> = vec![(String::new(), 0)];
        while let Some((rel, depth)) = stack.pop() {
            if self.entry_limit_hit {
                return;
            }
            let read = match self.tree.read_dir(&rel) {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(dir = %rel, error = %e, "cannot read directory");
                    self.findings.push(Finding::warning(
                        discovery_codes::UNREADABLE,
                        format!("folder could not be read: {}", e.kind()),
                        rel.clone(),
                    ));
                    continue;
                }
            };
            let mut dirs = Vec::new();
            let mut skill_md: Option<String> = None;
            let mut variant: Option<String> = None;
            for entry in read {
                self.entries += 1;
                if self.entries > self.limits.max_entries {
                    self.entry_limit_hit = true;
                    self.findings.push(Finding::error(
                        discovery_codes::ENTRY_LIMIT,
                        format!(
                            "more than {} files and folders: the rest of the repository was not searched",
                            self.limits.max_entries
                        ),
                        rel.clone(),
                    ));
                    break;
                }
                if !entry.utf8 {
                    self.findings.push(Finding::warning(
                        discovery_codes::NON_UTF8_PATH,
                        "an entry with a non-UTF-8 name was skipped",
                        rel.clone(),
                    ));
                    continue;
                }
                let name = entry.name;
                if name.eq_ignore_ascii_case("SKILL.md") {
                    if entry.kind == EntryKind::Symlink {
                        self.findings.push(Finding::warning(
                            discovery_codes::SKILL_MD_SYMLINK,
                            "SKILL.md is a symbolic link; links are never followed, so this folder is not a skill",
                            join_rel(&rel, &name),
                        ));
                    } else if entry.kind.is_file() {
                        if name == "SKILL.md" {
                            skill_md = Some(name);
                        } else if variant.as_ref().is_none_or(|v| name < *v) {
                            variant = Some(name);
                        }
                    }
                    continue;
                }
                if entry.kind.is_dir() && !SKIPPED_DIRS.contains(&name.as_str()) {
                    dirs.push(name);
                }
            }
            if let Some(file) = skill_md.or_else(|| {
                let v = variant.clone()?;
                self.findings.push(Finding::warning(
                    codes::SKILL_MD_CASE,
                    format!(
                        "the skill file is named {v:?}; the specification requires \"SKILL.md\""
                    ),
                    join_rel(&rel, &v),
                ));
                Some(v)
            }) {
                self.add_skill(&rel, &file, None);
            }
            if self.entry_limit_hit {
                return;
            }
            if depth >= self.limits.max_depth {
                if !dirs.is_empty() && !self.depth_limit_hit {
                    self.depth_limit_hit = true;
                    self.findings.push(Finding::warning(
                        discovery_codes::DEPTH_LIMIT,
                        format!(
                            "folders deeper than {} levels were not searched",
                            self.limits.max_depth
                        ),
                        rel.clone(),
                    ));
                }
                continue;
            }
            dirs.sort();
            // Reverse so the smallest name is popped first.
            for d in dirs.into_iter().rev() {
                stack.push((join_rel(&rel, &d), depth + 1));
            }
        }
    }

    /// `Some(is_dir)` if `rel` exists under the root without crossing a symlink.
    fn kind(&self, rel: &str) -> Option<bool> {
        self.tree.kind(rel).and_then(|k| match k {
            EntryKind::Dir => Some(true),
            EntryKind::File { .. } => Some(false),
            EntryKind::Symlink | EntryKind::Special => None,
        })
    }

    fn skill_file_in(&self, rel: &str) -> Option<String> {
        if self.kind(rel) != Some(true) {
            return None;
        }
        find_skill_md_in(self.tree, rel)
    }

    fn read_manifest(&mut self, rel: &str) -> Option<Vec<u8>> {
        if self.kind(rel) != Some(false) {
            return None;
        }
        match self.tree.read_limited(rel, MANIFEST_MAX_BYTES as u64) {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::debug!(file = %rel, error = %e, "cannot read manifest");
                let (code, message) = match e {
                    ReadError::TooLarge { .. } => (
                        "manifest_too_large",
                        format!("{rel} is over {MANIFEST_MAX_BYTES} bytes"),
                    ),
                    ReadError::Io { .. } => {
                        ("manifest_unreadable", format!("{rel} could not be read"))
                    }
                };
                self.findings.push(Finding::error(code, message, rel));
                None
            }
        }
    }

    fn marketplace(&mut self) -> Option<Marketplace> {
        let bytes = self.read_manifest(MARKETPLACE_PATH)?;
        match parse_marketplace(&bytes) {
            Ok(m) => Some(m),
            Err(e) => {
                self.findings.push(
                    Finding::error(e.code(), format!("marketplace.json: {e}"), MARKETPLACE_PATH)
                        .at_line(e.line().and_then(|l| u32::try_from(l).ok())),
                );
                None
            }
        }
    }

    fn plugin_manifest(&mut self, plugin_dir: &str) -> Option<PluginManifest> {
        let rel = join_rel(plugin_dir, PLUGIN_MANIFEST_PATH);
        let bytes = self.read_manifest(&rel)?;
        match parse_plugin_manifest(&bytes) {
            Ok(m) => Some(m),
            Err(e) => {
                self.findings.push(
                    Finding::error(e.code(), format!("plugin.json: {e}"), rel)
                        .at_line(e.line().and_then(|l| u32::try_from(l).ok())),
                );
                None
            }
        }
    }

    fn marketplace_skills(&mut self, market: &Marketplace) {
        for plugin in &market.plugins {
            let Some(source) = plugin.source.local_path() else {
                continue; // Remote sources live in other repositories.
            };
            let Some(plugin_dir) = market.plugin_dir(plugin) else {
                self.findings.push(
                    Finding::warning(
                        discovery_codes::PATH_OUTSIDE,
                        format!(
                            "plugin {:?} has source {source:?}, which leaves the repository",
                            plugin.name
                        ),
                        MARKETPLACE_PATH,
                    )
                    .with_field(format!("plugins.{}.source", plugin.name)),
                );
                continue;
            };
            if self.kind(&plugin_dir) != Some(true) {
                self.findings.push(
                    Finding::warning(
                        discovery_codes::PLUGIN_DIR_MISSING,
                        format!(
                            "plugin {:?} points at folder {source:?}, which does not exist",
                            plugin.name
                        ),
                        MARKETPLACE_PATH,
                    )
                    .with_field(format!("plugins.{}.source", plugin.name)),
                );
                continue;
            }
            // An explicit list wins; else the plugin's own manifest; else `skills/`.
            let mut paths = plugin.fields.skills.clone();
            let mut explicit = !paths.is_empty();
            if !explicit
                && let Some(manifest) = self.plugin_manifest(&plugin_dir)
                && !manifest.fields.skills.is_empty()
            {
                paths = manifest.fields.skills;
                explicit = true;
            }
            if !explicit {
                paths = vec!["skills".to_owned()];
            }
            for p in &paths {
                let Some(rel) = normalize_relative(&join_rel(&plugin_dir, p)) else {
                    self.findings.push(
                        Finding::warning(
                            discovery_codes::PATH_OUTSIDE,
                            format!(
                                "plugin {:?} lists skill path {p:?}, which leaves the repository",
                                plugin.name
                            ),
                            MARKETPLACE_PATH,
                        )
                        .with_field(format!("plugins.{}.skills", plugin.name)),
                    );
                    continue;
                };
                if let Some(file) = self.skill_file_in(&rel) {
                    self.add_skill(&rel, &file, Some(&plugin.name));
                    continue;
                }
                // A folder of skills.
                let mut children: Vec<String> = match self.tree.read_dir(&rel) {
                    Ok(rd) if self.kind(&rel) == Some(true) => rd
                        .into_iter()
                        .filter(|e| e.utf8 && e.kind.is_dir())
                        .map(|e| e.name)
                        .take(self.limits.max_entries)
                        .collect(),
                    _ => Vec::new(),
                };
                children.sort();
                let mut any = false;
                for child in children {
                    let child_rel = join_rel(&rel, &child);
                    if let Some(file) = self.skill_file_in(&child_rel) {
                        any = true;
                        self.add_skill(&child_rel, &file, Some(&plugin.name));
                    }
                }
                if !any && explicit {
                    self.findings.push(
                        Finding::warning(
                            discovery_codes::SKILL_PATH_MISSING,
                            format!(
                                "plugin {:?} lists {p:?}, but no SKILL.md was found there",
                                plugin.name
                            ),
                            MARKETPLACE_PATH,
                        )
                        .with_field(format!("plugins.{}.skills", plugin.name)),
                    );
                }
            }
        }
    }
}

/// Finds every skill folder under `root` (an extracted repository on disk). See
/// [`discover_in`].
pub fn discover_skills(root: &Path, limits: &DiscoveryLimits) -> Discovery {
    discover_in(&DiskTree::new(root), limits)
}

/// Finds every skill folder of `tree` (an extracted repository), reading the root
/// marketplace and plugin manifests. Never follows symlinks; every limit hit is reported as a
/// finding, and the result is deterministic (sorted by path).
pub fn discover_in(tree: &dyn FileTree, limits: &DiscoveryLimits) -> Discovery {
    let mut walker = Walker {
        tree,
        limits,
        entries: 0,
        found: BTreeMap::new(),
        findings: Vec::new(),
        entry_limit_hit: false,
        depth_limit_hit: false,
        skill_limit_hit: false,
    };
    walker.walk();
    let marketplace = walker.marketplace();
    if let Some(m) = &marketplace {
        walker.marketplace_skills(m);
    }
    let plugin_manifest = walker.plugin_manifest("");
    let mut findings = walker.findings;
    sort_findings(&mut findings);
    findings.dedup();
    Discovery {
        skills: walker.found.into_values().collect(),
        marketplace,
        plugin_manifest,
        findings,
    }
}
