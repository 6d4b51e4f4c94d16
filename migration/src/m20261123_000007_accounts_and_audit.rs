//! Accounts (`users`, `api_tokens`) and the append-only `audit_log` of admin actions.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{
    bool_default, check, check_in, drop_table, exec, jsonb_default, pk_uuid, timestamptz_now,
    touch_updated_at,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Values of `users.role` (`skilldex_entity::UserRole`).
pub const USER_ROLES: &[&str] = &["admin", "maintainer"];

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Username,
    PasswordHash,
    Role,
    Disabled,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
pub enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenPrefix,
    TokenHash,
    Scopes,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
pub enum AuditLog {
    Table,
    Id,
    ActorUserId,
    ActorName,
    Action,
    TargetType,
    TargetId,
    Details,
    RequestId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(text(Users::Username))
                    .col(text(Users::PasswordHash))
                    .col(text(Users::Role).default("maintainer"))
                    .col(bool_default(Users::Disabled, false))
                    .col(timestamptz_now(Users::CreatedAt))
                    .col(timestamptz_now(Users::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .check(check(
                        "users_username_check",
                        "username <> '' AND length(username) <= 64 AND username !~ '[[:space:]]'",
                    ))
                    .check(check_in("users_role_check", "role", USER_ROLES))
                    .to_owned(),
            )
            .await?;
        exec(
            manager,
            "CREATE UNIQUE INDEX users_username_key ON users (lower(username));",
        )
        .await?;
        touch_updated_at(manager, "users").await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(pk_uuid(ApiTokens::Id))
                    .col(uuid(ApiTokens::UserId))
                    .col(text(ApiTokens::Name))
                    .col(text(ApiTokens::TokenPrefix))
                    .col(text(ApiTokens::TokenHash))
                    .col(jsonb_default(ApiTokens::Scopes, "[]"))
                    .col(timestamptz_now(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("api_tokens_user_id_fkey")
                            .from(ApiTokens::Table, ApiTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("api_tokens_token_hash_key")
                            .col(ApiTokens::TokenHash)
                            .unique(),
                    )
                    .check(check(
                        "api_tokens_scopes_check",
                        "jsonb_typeof(scopes) = 'array'",
                    ))
                    .check(check(
                        "api_tokens_token_check",
                        "token_prefix <> '' AND token_hash <> ''",
                    ))
                    .to_owned(),
            )
            .await?;
        exec(
            manager,
            "CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id, created_at DESC);",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(uuid_null(AuditLog::ActorUserId))
                    .col(text_null(AuditLog::ActorName))
                    .col(text(AuditLog::Action))
                    .col(text_null(AuditLog::TargetType))
                    .col(text_null(AuditLog::TargetId))
                    .col(jsonb_default(AuditLog::Details, "{}"))
                    .col(text_null(AuditLog::RequestId))
                    .col(timestamptz_now(AuditLog::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("audit_log_actor_user_id_fkey")
                            .from(AuditLog::Table, AuditLog::ActorUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .check(check("audit_log_action_check", "action <> ''"))
                    .to_owned(),
            )
            .await?;
        exec(
            manager,
            r#"
CREATE INDEX audit_log_created_at_idx ON audit_log (created_at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, created_at DESC);
CREATE INDEX audit_log_actor_user_id_idx ON audit_log (actor_user_id, created_at DESC);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, AuditLog::Table).await?;
        drop_table(manager, ApiTokens::Table).await?;
        drop_table(manager, Users::Table).await
    }
}
