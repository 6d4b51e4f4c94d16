//! String enums stored as `text` columns guarded by `CHECK (... IN (...))` constraints.
//!
//! The `string_value` of each variant is what the database stores and what serde reads and
//! writes (`snake_case`), so API JSON and database values are the same strings.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Defines a `text`-backed active enum together with `as_str` and `Display`.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize,
            Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[sea_orm(string_value = $value)]
                $variant,
            )+
        }

        impl $name {
            /// The string stored in the database (and used in JSON).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $value, )+
                }
            }

            /// Parses the stored string.
            pub fn parse(value: &str) -> Option<Self> {
                match value {
                    $( $value => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// `repositories.sync_status`.
    pub enum SyncStatus {
        /// Known but never synced.
        Pending = "pending",
        /// A `SyncRepository` workflow is running.
        Syncing = "syncing",
        /// The last sync finished; `last_synced_at` and `last_indexed_commit` are current.
        Succeeded = "succeeded",
        /// The last sync failed; see `last_error` and `last_error_kind`.
        Failed = "failed",
    }
}

text_enum! {
    /// `skills.status`.
    pub enum SkillStatus {
        /// Present at the repository's last indexed commit.
        Active = "active",
        /// Gone from the repository; `removed_at` is set (a CHECK enforces it).
        Removed = "removed",
    }
}

text_enum! {
    /// `plugins.source_kind`: how a marketplace plugin's `source` is given.
    pub enum PluginSourceKind {
        /// A path inside the marketplace repository (`"./plugins/x"`).
        Relative = "relative",
        /// `{"source": "github", "repo": "owner/name"}`.
        Github = "github",
        /// `{"source": "url", "url": "https://....git"}`.
        Url = "url",
        /// A sub-directory of a git repository.
        GitSubdir = "git_subdir",
        /// An npm package.
        Npm = "npm",
        /// Anything the indexer does not understand (kept in `source` as is).
        Other = "other",
    }
}

text_enum! {
    /// `discovery_sources.kind`.
    pub enum DiscoveryKind {
        /// GitHub repository search by topic (`query` is the search query, e.g. `topic:claude-skills`).
        TopicSearch = "topic_search",
        /// GitHub code search for `SKILL.md` files (`query` is the code search query).
        CodeSearch = "code_search",
        /// A marketplace repository (`query` is `owner/name`).
        Marketplace = "marketplace",
    }
}

text_enum! {
    /// `registration_requests.trigger`: who asked for the sync.
    pub enum RegistrationTrigger {
        User = "user",
        Admin = "admin",
        Schedule = "schedule",
        Discovery = "discovery",
    }
}

text_enum! {
    /// `registration_requests.status`.
    pub enum RegistrationStatus {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

impl RegistrationStatus {
    /// Whether the request has finished (`succeeded` or `failed`).
    pub const fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

text_enum! {
    /// `users.role`.
    pub enum UserRole {
        /// Everything, including user management.
        Admin = "admin",
        /// Registry operations (sync, yank, blacklist, discovery sources).
        Maintainer = "maintainer",
    }
}
