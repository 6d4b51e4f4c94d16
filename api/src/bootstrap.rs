//! Start-up tasks that make a fresh deployment usable.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use skilldex_core::config::AuthSettings;

/// Creates or updates the bootstrap admin from configuration, so the first login needs no
/// database access. The configured hash wins over one changed in the database: the config
/// is the operator's source of truth for this one account. Returns whether an admin was
/// configured.
pub async fn ensure_admin(db: &DatabaseConnection, auth: &AuthSettings) -> Result<bool, DbErr> {
    let Some(hash) = &auth.admin_password_hash else {
        return Ok(false);
    };
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, 'admin') \
         ON CONFLICT (lower(username)) DO UPDATE \
         SET password_hash = EXCLUDED.password_hash, role = 'admin', disabled = false",
        [auth.admin_username.clone().into(), hash.clone().into()],
    ))
    .await?;
    tracing::info!(username = %auth.admin_username, "bootstrap admin ensured");
    Ok(true)
}
