//! Skilldex sea-orm entities, one module per table (see `skilldex-migration` for the schema).
//!
//! Conventions:
//! - ids are `Uuid` with a database default (`gen_random_uuid()`), so inserts may leave `id`
//!   `NotSet`; `audit_log.id` is an `i64` identity.
//! - timestamps are `timestamptz`, mapped to `DateTime<Utc>`; `created_at`/`updated_at`
//!   default to `now()` and a trigger bumps `updated_at` on update.
//! - status columns are `text` + CHECK, mapped to the enums in [`enums`].
//! - `skills.search_vector` (generated `tsvector`) is not mapped; see [`skills`].

pub mod enums;

pub mod api_tokens;
pub mod audit_log;
pub mod blacklist;
pub mod discovery_sources;
pub mod marketplaces;
pub mod plugin_skills;
pub mod plugins;
pub mod refresh_tokens;
pub mod registration_requests;
pub mod repositories;
pub mod search_terms;
pub mod skill_events;
pub mod skill_files;
pub mod skill_versions;
pub mod skills;
pub mod users;

pub use enums::{
    DiscoveryKind, PluginSourceKind, RegistrationStatus, RegistrationTrigger, SkillStatus,
    SyncStatus, UserRole,
};

/// Entities under their table names (`Repositories`, `Skills`, ...) plus the enums.
pub mod prelude {
    pub use super::api_tokens::Entity as ApiTokens;
    pub use super::audit_log::Entity as AuditLog;
    pub use super::blacklist::Entity as Blacklist;
    pub use super::discovery_sources::Entity as DiscoverySources;
    pub use super::enums::{
        DiscoveryKind, PluginSourceKind, RegistrationStatus, RegistrationTrigger, SkillStatus,
        SyncStatus, UserRole,
    };
    pub use super::marketplaces::Entity as Marketplaces;
    pub use super::plugin_skills::Entity as PluginSkills;
    pub use super::plugins::Entity as Plugins;
    pub use super::refresh_tokens::Entity as RefreshTokens;
    pub use super::registration_requests::Entity as RegistrationRequests;
    pub use super::repositories::Entity as Repositories;
    pub use super::search_terms::Entity as SearchTerms;
    pub use super::skill_events::Entity as SkillEvents;
    pub use super::skill_files::Entity as SkillFiles;
    pub use super::skill_versions::Entity as SkillVersions;
    pub use super::skills::Entity as Skills;
    pub use super::users::Entity as Users;
}
