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
///
/// `skilldex-api hash-password` reads a password on stdin and prints its argon2id hash.
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

/// `skilldex-api hash-password`: prints the argon2id PHC hash of a password read from
/// stdin, for `SKILLDEX_AUTH_ADMIN_PASSWORD_HASH`. Needs none of the server's settings.
#[derive(Parser, Debug)]
#[command(name = "skilldex-api hash-password")]
struct HashPasswordCli {}

fn hash_password_command() -> anyhow::Result<()> {
    HashPasswordCli::parse_from(std::env::args_os().skip(1));
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
        .context("reading the password from stdin")?;
    // A trailing newline comes from `echo` or the terminal, not from the password.
    let password = input
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(&input);
    anyhow::ensure!(
        !password.is_empty(),
        "the password read from stdin is empty"
    );
    let hash = skilldex_api::auth::password::hash_password(password)?;
    println!("{hash}");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "hash-password")
    {
        return hash_password_command();
    }
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
    tokio::task::spawn_blocking(skilldex_api::auth::password::warm_up);
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
    let (downloads, db) = (state.downloads.clone(), state.db.clone());
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
    // Counts recorded since the last periodic flush.
    if let Err(e) = downloads.flush(&db).await {
        tracing::warn!(error = %e, "download counts of the last second were not written");
    }
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
