//! PostgreSQL connection pool.

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};

use crate::config::DatabaseSettings;

/// Pooled connections idle at least this long are pinged before use.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Opens the pool described by `settings`.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .connect_timeout(settings.connect_timeout())
        .acquire_timeout(settings.connect_timeout())
        // Ping a connection only when it sat idle long enough to have been dropped (by the
        // server, a proxy or a firewall): a ping on every checkout is one more round trip
        // per query, twice the round trips of a search.
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .sqlx_logging(false);
    Database::connect(options).await
}

/// One round trip to the server, for health checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT 1".to_owned(),
    ))
    .await
    .map(|_| ())
}
