//! Test harness shared by the integration tests of every crate.
//!
//! Tests talk to the real services that `make test` (scripts/services.sh) starts. Their
//! addresses come from the environment, or from `.data/test/services.env`, which the
//! services script writes so a plain `cargo test` works after `make services-test`.

pub mod fake_github;

use std::{
    path::{Path, PathBuf},
    sync::OnceLock,
};

use anyhow::{Context, Result};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use skilldex_core::config::{DatabaseSettings, S3Settings, TemporalSettings};
use skilldex_migration::Migrator;

/// Admin connection used to create and drop per-test databases.
const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Root of the workspace (for fixtures and the services env file).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Loads `.data/test/services.env` once; variables already set in the environment win.
fn load_services_env() {
    static LOADED: OnceLock<()> = OnceLock::new();
    LOADED.get_or_init(|| {
        let file = workspace_root().join(".data/test/services.env");
        if file.exists() {
            // dotenvy never overrides variables that are already set.
            let _ = dotenvy::from_path(&file);
        }
    });
}

fn env_var(name: &str) -> Option<String> {
    load_services_env();
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn required_env(name: &str) -> String {
    env_var(name).unwrap_or_else(|| {
        panic!(
            "{name} is not set: run the tests through `make test`, or start the test services \
             with `make services-test` so .data/test/services.env exists"
        )
    })
}

/// A GitHub owner name no other test uses, e.g. `obra-1f3a9c0d2b7e`: repositories of
/// concurrent tests must differ because Temporal workflow ids are global.
pub fn unique_owner(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..12])
}

/// Admin URL of the test PostgreSQL server.
pub fn postgres_admin_url() -> String {
    env_var("SKILLDEX_TEST_PG_URL").unwrap_or_else(|| DEFAULT_ADMIN_URL.to_string())
}

/// Settings for the test Temporal dev server, on a task queue of the caller's choosing so
/// parallel tests never steal each other's tasks.
pub fn temporal_settings(task_queue: &str) -> TemporalSettings {
    TemporalSettings {
        address: required_env("SKILLDEX_TEMPORAL_ADDRESS")
            .parse()
            .expect("SKILLDEX_TEMPORAL_ADDRESS is a URL"),
        namespace: env_var("SKILLDEX_TEMPORAL_NAMESPACE").unwrap_or_else(|| "default".into()),
        task_queue: task_queue.to_string(),
    }
}

/// Settings for the test S3 server and its bucket.
pub fn s3_settings() -> S3Settings {
    S3Settings {
        endpoint: Some(
            required_env("SKILLDEX_S3_ENDPOINT")
                .parse()
                .expect("SKILLDEX_S3_ENDPOINT is a URL"),
        ),
        bucket: required_env("SKILLDEX_S3_BUCKET"),
        region: env_var("SKILLDEX_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
        access_key: required_env("SKILLDEX_S3_ACCESS_KEY"),
        secret_key: required_env("SKILLDEX_S3_SECRET_KEY"),
        force_path_style: true,
    }
}

/// Runs a query returning one integer (a `count(*)`, say) and returns it; panics with the
/// SQL on any error, for test assertions.
pub async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
    .unwrap_or_else(|| panic!("{sql}: no row"))
    .try_get_by_index::<i64>(0)
    .unwrap_or_else(|e| panic!("{sql}: not an integer: {e}"))
}

/// A uniquely named database that is dropped when the value is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    pub conn: DatabaseConnection,
    admin_url: String,
}

impl TestDatabase {
    /// Database settings pointing at this database, for code that connects by itself.
    pub fn settings(&self) -> DatabaseSettings {
        DatabaseSettings {
            url: self.url.clone(),
            ..DatabaseSettings::default()
        }
    }
}

/// Creates an empty database with a unique name.
pub async fn fresh_database() -> TestDatabase {
    try_fresh_database()
        .await
        .unwrap_or_else(|e| panic!("cannot create a test database: {e:#}"))
}

/// Creates a database with every migration applied.
pub async fn migrated_database() -> TestDatabase {
    let db = fresh_database().await;
    Migrator::up(&db.conn, None)
        .await
        .unwrap_or_else(|e| panic!("migrations failed on {}: {e}", db.name));
    db
}

async fn try_fresh_database() -> Result<TestDatabase> {
    let admin_url = postgres_admin_url();
    let name = format!("skilldex_t_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url)
        .await
        .with_context(|| format!("connecting to {admin_url}"))?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .with_context(|| format!("creating database {name}"))?;
    admin.close().await.ok();
    let mut url = url::Url::parse(&admin_url).context("parsing the admin URL")?;
    url.set_path(&name);
    let url = url.to_string();
    let conn = Database::connect(&url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    Ok(TestDatabase {
        name,
        url,
        conn,
        admin_url,
    })
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs outside any async context we can rely on, so the cleanup gets its own
        // thread and runtime. FORCE ends connections the test left open.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || -> Result<()> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let admin = Database::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                admin.close().await?;
                Ok(())
            })
        });
        match cleanup.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop test database {}: {e:#}", self.name),
            Err(_) => eprintln!("warning: cleanup of test database {} panicked", self.name),
        }
    }
}
