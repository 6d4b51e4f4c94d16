//! Admin sessions: login with a password, short access JWTs, and rotating refresh tokens.
//!
//! Refresh tokens are single use: a refresh revokes the presented token and issues a new one
//! in the same family. Presenting an already used token again means it leaked, so the whole
//! family (the session) is revoked.

use chrono::Utc;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func},
};
use skilldex_core::config::AuthSettings;
use skilldex_entity::users;
use uuid::Uuid;

use super::{jwt, password, secret};
use crate::error::ApiError;

/// What a login or refresh hands out.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
    pub user: users::Model,
}

fn bad_login() -> ApiError {
    ApiError::Unauthorized {
        message: "invalid username or password".into(),
    }
}

fn bad_refresh() -> ApiError {
    ApiError::Unauthorized {
        message: "invalid, expired or revoked refresh token".into(),
    }
}

/// Verifies the password (argon2 is slow on purpose: off the async threads) and opens a
/// session. Unknown users, wrong passwords and disabled users all get the same 401 after
/// the same work.
pub async fn login(
    db: &DatabaseConnection,
    auth: &AuthSettings,
    username: &str,
    password: &str,
) -> Result<Session, ApiError> {
    let user = users::Entity::find()
        .filter(Func::lower(Expr::col(users::Column::Username)).eq(username.to_lowercase()))
        .one(db)
        .await?;
    let candidate = password.to_owned();
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => password::verify_password(&candidate, &hash),
        None => {
            password::verify_dummy(&candidate);
            false
        }
    })
    .await
    .map_err(ApiError::internal)?;
    let user = match user {
        Some(user) if matches && !user.disabled => user,
        _ => return Err(bad_login()),
    };
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE users SET last_login_at = now() WHERE id = $1",
        [user.id.into()],
    ))
    .await?;
    // Housekeeping: this user's long-expired refresh tokens are of no further use.
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "DELETE FROM refresh_tokens WHERE user_id = $1 AND expires_at < now() - interval '1 day'",
        [user.id.into()],
    ))
    .await?;
    let refresh_token = insert_refresh_token(db, auth, user.id, Uuid::new_v4()).await?;
    finish(auth, user, refresh_token)
}

/// Rotates `presented`: revokes it and issues a new refresh token and access token.
pub async fn refresh(
    db: &DatabaseConnection,
    auth: &AuthSettings,
    presented: &str,
) -> Result<Session, ApiError> {
    let hash = secret::hash(presented);
    let txn = db.begin().await?;
    // Single use: only one concurrent refresh can win this update.
    let used = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "UPDATE refresh_tokens SET revoked_at = now() \
             WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now() \
             RETURNING user_id, family_id",
            [hash.clone().into()],
        ))
        .await?;
    let Some(used) = used else {
        let reused = txn
            .execute_raw(Statement::from_sql_and_values(
                txn.get_database_backend(),
                "UPDATE refresh_tokens SET revoked_at = now() \
                 WHERE revoked_at IS NULL AND family_id = \
                     (SELECT family_id FROM refresh_tokens \
                      WHERE token_hash = $1 AND revoked_at IS NOT NULL)",
                [hash.into()],
            ))
            .await?;
        txn.commit().await?;
        if reused.rows_affected() > 0 {
            tracing::warn!("a used refresh token was presented again; its session is revoked");
        }
        return Err(bad_refresh());
    };
    let user_id: Uuid = used.try_get("", "user_id")?;
    let family_id: Uuid = used.try_get("", "family_id")?;
    let user = users::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(bad_refresh)?;
    let refresh_token = insert_refresh_token(&txn, auth, user.id, family_id).await?;
    txn.commit().await?;
    finish(auth, user, refresh_token)
}

/// Ends the session `presented` belongs to. Unknown tokens are ignored: logging out is
/// idempotent and says nothing about which tokens exist.
pub async fn logout(db: &DatabaseConnection, presented: &str) -> Result<(), ApiError> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE refresh_tokens SET revoked_at = now() \
         WHERE revoked_at IS NULL AND family_id = \
             (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        [secret::hash(presented).into()],
    ))
    .await?;
    Ok(())
}

async fn insert_refresh_token(
    db: &impl ConnectionTrait,
    auth: &AuthSettings,
    user_id: Uuid,
    family_id: Uuid,
) -> Result<String, ApiError> {
    let token = secret::generate(secret::REFRESH_TOKEN_PREFIX);
    // Clamped to ten years so an absurd setting cannot overflow the timestamp.
    let ttl_hours = Ord::min(auth.refresh_ttl_hours, 10 * 365 * 24) as i64;
    let expires_at = Utc::now() + chrono::Duration::hours(ttl_hours);
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) \
         VALUES ($1, $2, $3, $4)",
        [
            user_id.into(),
            family_id.into(),
            secret::hash(&token).into(),
            expires_at.into(),
        ],
    ))
    .await?;
    Ok(token)
}

fn finish(
    auth: &AuthSettings,
    user: users::Model,
    refresh_token: String,
) -> Result<Session, ApiError> {
    // Clamped to a year so an absurd setting cannot overflow the `exp` claim.
    let expires_in = (Ord::min(auth.access_ttl_mins, 365 * 24 * 60) * 60) as i64;
    let access_token =
        jwt::issue(&auth.jwt_secret, user.id, expires_in).map_err(ApiError::internal)?;
    Ok(Session {
        access_token,
        expires_in,
        refresh_token,
        user,
    })
}
