//! `registration_requests`: every request to (re)index a repository, from a user, an admin, a
//! schedule or discovery, with the Temporal workflow that serves it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000002_repositories::Repositories;
use crate::m20261123_000005_discovery_and_blacklist::DiscoverySources;
use crate::util::{check, check_in, drop_table, exec, pk_uuid, timestamptz_now, touch_updated_at};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Values of `registration_requests.trigger` (`skilldex_entity::RegistrationTrigger`).
pub const REGISTRATION_TRIGGERS: &[&str] = &["user", "admin", "schedule", "discovery"];
/// Values of `registration_requests.status` (`skilldex_entity::RegistrationStatus`).
pub const REGISTRATION_STATUSES: &[&str] = &["queued", "running", "succeeded", "failed"];

#[derive(DeriveIden)]
pub enum RegistrationRequests {
    Table,
    Id,
    RepositoryId,
    RepositoryFullName,
    Trigger,
    RequestedBy,
    DiscoverySourceId,
    Status,
    WorkflowId,
    RunId,
    Error,
    Result,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RegistrationRequests::Table)
                    .col(pk_uuid(RegistrationRequests::Id))
                    .col(uuid_null(RegistrationRequests::RepositoryId))
                    .col(text(RegistrationRequests::RepositoryFullName))
                    .col(text(RegistrationRequests::Trigger))
                    .col(text_null(RegistrationRequests::RequestedBy))
                    .col(uuid_null(RegistrationRequests::DiscoverySourceId))
                    .col(text(RegistrationRequests::Status).default("queued"))
                    .col(text_null(RegistrationRequests::WorkflowId))
                    .col(text_null(RegistrationRequests::RunId))
                    .col(text_null(RegistrationRequests::Error))
                    .col(json_binary_null(RegistrationRequests::Result))
                    .col(timestamptz_now(RegistrationRequests::CreatedAt))
                    .col(timestamptz_now(RegistrationRequests::UpdatedAt))
                    .col(timestamp_with_time_zone_null(
                        RegistrationRequests::StartedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        RegistrationRequests::FinishedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("registration_requests_repository_id_fkey")
                            .from(
                                RegistrationRequests::Table,
                                RegistrationRequests::RepositoryId,
                            )
                            .to(Repositories::Table, Repositories::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("registration_requests_discovery_source_id_fkey")
                            .from(
                                RegistrationRequests::Table,
                                RegistrationRequests::DiscoverySourceId,
                            )
                            .to(DiscoverySources::Table, DiscoverySources::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .check(check(
                        "registration_requests_repository_full_name_check",
                        "repository_full_name ~ '^[^/[:space:]]+/[^/[:space:]]+$'",
                    ))
                    .check(check_in(
                        "registration_requests_trigger_check",
                        "trigger",
                        REGISTRATION_TRIGGERS,
                    ))
                    .check(check_in(
                        "registration_requests_status_check",
                        "status",
                        REGISTRATION_STATUSES,
                    ))
                    .to_owned(),
            )
            .await?;
        exec(
            manager,
            r#"
CREATE INDEX registration_requests_repository_full_name_status_idx
    ON registration_requests (repository_full_name, status);
CREATE INDEX registration_requests_status_created_at_idx
    ON registration_requests (status, created_at DESC);
CREATE INDEX registration_requests_created_at_idx
    ON registration_requests (created_at DESC);
CREATE INDEX registration_requests_repository_id_idx
    ON registration_requests (repository_id, created_at DESC);
CREATE INDEX registration_requests_discovery_source_id_idx
    ON registration_requests (discovery_source_id);
CREATE INDEX registration_requests_workflow_id_idx
    ON registration_requests (workflow_id) WHERE workflow_id IS NOT NULL;
"#,
        )
        .await?;
        touch_updated_at(manager, "registration_requests").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, RegistrationRequests::Table).await
    }
}
