//! `refresh_tokens`: the long-lived half of an admin session. Only a sha256 of the token is
//! stored (`refresh_tokens_token_hash_key`). Each refresh revokes the used token and issues
//! a new one in the same `family_id`; presenting a revoked token again revokes the whole
//! family (the token was stolen or replayed).

use sea_orm_migration::prelude::*;

use crate::util::exec;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            r#"
CREATE TABLE refresh_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL
        CONSTRAINT refresh_tokens_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
    family_id uuid NOT NULL,
    token_hash text NOT NULL CONSTRAINT refresh_tokens_token_hash_key UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT refresh_tokens_token_hash_check CHECK (token_hash <> '')
);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(manager, "DROP TABLE IF EXISTS refresh_tokens;").await
    }
}
