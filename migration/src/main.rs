//! `skilldex-migration`: applies, reverts and reports the schema migrations.

use anyhow::Context;
use clap::{Parser, Subcommand};
use sea_orm_migration::{MigrationStatus, MigratorTrait};
use skilldex_core::config::{DatabaseSettings, LogSettings, parse_or_exit};
use skilldex_migration::Migrator;

/// Skilldex schema migrations.
#[derive(Parser, Debug)]
#[command(name = "skilldex-migration", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    database: DatabaseSettings,
    #[command(flatten)]
    log: LogSettings,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply pending migrations (all of them unless --steps is given).
    Up {
        #[arg(long)]
        steps: Option<u32>,
    },
    /// Revert applied migrations, newest first (one unless --steps is given; --all for every one).
    Down {
        #[arg(long, conflicts_with = "all")]
        steps: Option<u32>,
        #[arg(long)]
        all: bool,
    },
    /// List every migration and whether it is applied.
    Status,
    /// Drop every table and apply all migrations again. Destroys all data.
    Fresh {
        /// Confirms that all data in the database may be destroyed.
        #[arg(long)]
        yes: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli: Cli = parse_or_exit();
    skilldex_core::telemetry::init(&cli.log);
    let db = skilldex_core::db::connect(&cli.database)
        .await
        .context("connecting to PostgreSQL (SKILLDEX_DATABASE_URL)")?;

    match cli.command {
        Command::Up { steps } => {
            let pending = Migrator::get_pending_migrations(&db).await?.len();
            Migrator::up(&db, steps)
                .await
                .context("applying migrations")?;
            let applied = steps.map_or(pending, |s| pending.min(s as usize));
            println!("applied {applied} migration(s)");
        }
        Command::Down { steps, all } => {
            let applied = Migrator::get_applied_migrations(&db).await?.len();
            let steps = if all { None } else { Some(steps.unwrap_or(1)) };
            Migrator::down(&db, steps)
                .await
                .context("reverting migrations")?;
            let reverted = steps.map_or(applied, |s| applied.min(s as usize));
            println!("reverted {reverted} migration(s)");
        }
        Command::Status => {
            for migration in Migrator::get_migration_with_status(&db).await? {
                let state = match migration.status() {
                    MigrationStatus::Applied => "applied",
                    MigrationStatus::Pending => "pending",
                };
                println!("{state:8} {}", migration.name());
            }
        }
        Command::Fresh { yes } => {
            anyhow::ensure!(
                yes,
                "`fresh` drops every table and all data; run again with --yes to confirm"
            );
            Migrator::fresh(&db)
                .await
                .context("rebuilding the schema")?;
            println!("schema rebuilt from scratch");
        }
    }
    db.close().await.ok();
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
