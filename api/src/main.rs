use std::{sync::Arc, time::Duration};

use anyhow::Context;
use clap::Parser;
use skilldex_api::{ApiSettings, AppState, router, serve, temporal::TemporalHandle};
use skilldex_core::{
    config::{
        AuthSettings, DatabaseSettings, HttpSettings, LogSettings, S3Settings, TemporalSettings,
        parse_or_exit,
    },
    storage::ObjectStore,
};

/// Skilldex API: search, browse and download Agent Skills; register repositories.
#[derive(Parser, Debug)]
#[command(name = "skilldex-api", version)]
struct Cli {
    #[command(flatten)]
    http: HttpSettings,
    #[command(flatten)]
    database: DatabaseSettings,
    #[command(flatten)]
    temporal: TemporalSettings,
    #[command(flatten)]
    s3: S3Settings,
    #[command(flatten)]
    auth: AuthSettings,
    #[command(flatten)]
    log: LogSettings,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli: Cli = parse_or_exit();
    skilldex_core::telemetry::init(&cli.log);

    let db = skilldex_core::db::connect(&cli.database)
        .await
        .context("connecting to PostgreSQL (SKILLDEX_DATABASE_URL)")?;
    skilldex_api::bootstrap::ensure_admin(&db, &cli.auth)
        .await
        .context(
            "creating the bootstrap admin (is the schema migrated? run `skilldex-migration up`)",
        )?;
    let identity = skilldex_core::temporal::process_identity("skilldex-api");
    let state = AppState::new(
        db,
        ObjectStore::new(&cli.s3),
        Arc::new(TemporalHandle::new(
            cli.temporal.clone(),
            identity,
            Duration::from_secs(5),
        )),
        ApiSettings {
            http: cli.http.clone(),
            auth: cli.auth.clone(),
        },
    );
    let app = router(state, &cli.http);
    let listener = tokio::net::TcpListener::bind(cli.http.addr)
        .await
        .with_context(|| format!("binding {} (SKILLDEX_HTTP_ADDR)", cli.http.addr))?;
    tracing::info!(addr = %cli.http.addr, "api listening");
    serve(
        listener,
        app,
        skilldex_core::shutdown::signal(),
        cli.http.shutdown_grace(),
    )
    .await
    .context("serving HTTP")?;
    tracing::info!("api stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Flattened settings must not reuse argument names (clap checks this only at run time).
    #[test]
    fn command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
