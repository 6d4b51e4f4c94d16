//! The Agent Skills specification as a registry needs it: lenient `SKILL.md` parsing, strict
//! validation with precise findings, Claude Code marketplace manifests, and skill discovery in
//! an extracted repository tree. No I/O beyond reading a [`crate::tree::FileTree`].

mod discover;
mod links;
mod marketplace;
mod skill_md;
mod validate;
mod yaml;

pub use discover::{
    DiscoveredSkill, Discovery, DiscoveryLimits, SKIPPED_DIRS, SkillOrigin, discover_in,
    discover_skills, discovery_codes,
};
pub use marketplace::{
    MANIFEST_MAX_BYTES, MARKETPLACE_PATH, ManifestError, Marketplace, MarketplaceMetadata, Owner,
    PLUGIN_MANIFEST_PATH, Person, Plugin, PluginFields, PluginManifest, PluginSource,
    normalize_relative, parse_marketplace, parse_plugin_manifest,
};
pub use skill_md::{
    BODY_MAX_LINES, FRONT_MATTER_MAX_BYTES, Frontmatter, KNOWN_FIELDS, Leniency, ParsedSkill,
    SKILL_MD_MAX_BYTES, SkillParseError, SpecLimits, parse_skill_md, parse_skill_md_with,
};
pub use validate::{
    COMPATIBILITY_MAX_CHARS, DESCRIPTION_MAX_CHARS, Finding, NAME_MAX_CHARS, Severity, SkillReport,
    ValidateOptions, check_links, codes, find_skill_md, find_skill_md_in, parse_error_finding,
    sort_findings, validate_parsed, validate_skill_dir, validate_skill_in,
};
