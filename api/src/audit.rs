//! The audit log of admin actions. Every admin write calls [`record`], inside the
//! transaction of the change when there is one, so a change and its record commit together.

use sea_orm::{ConnectionTrait, DbErr, Statement, Value as DbValue};
use serde_json::Value;

use crate::auth::Principal;

/// One admin action: what was done (`blacklist.add`, `skill_version.yank`, ...) to what.
#[derive(Debug, Clone)]
pub struct Action<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    /// A JSON object with whatever explains the action (reason, changed fields, ...).
    pub details: Value,
}

/// Records `action` by `actor`; `request_id` is the request's `x-request-id`.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Principal,
    request_id: Option<&str>,
    action: Action<'_>,
) -> Result<(), DbErr> {
    let details = if action.details.is_object() {
        action.details
    } else {
        serde_json::json!({ "value": action.details })
    };
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO audit_log \
         (actor_user_id, actor_name, action, target_type, target_id, details, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            actor.user_id.into(),
            actor.username.clone().into(),
            action.action.into(),
            action.target_type.into(),
            action.target_id.into(),
            details.into(),
            DbValue::from(request_id.map(str::to_owned)),
        ],
    ))
    .await?;
    tracing::info!(
        actor = %actor.username,
        action = action.action,
        target_type = action.target_type,
        "admin action recorded"
    );
    Ok(())
}
