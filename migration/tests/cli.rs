//! The `skilldex-migration` binary against a real, fresh database.

use std::process::{Command, Output};

use sea_orm_migration::MigratorTrait;
use skilldex_migration::Migrator;
use skilldex_test_support::fresh_database;

fn migration(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skilldex-migration"))
        .args(args)
        .env("SKILLDEX_DATABASE_URL", url)
        .env("SKILLDEX_LOG", "warn")
        .output()
        .expect("run skilldex-migration")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn up_status_down_fresh_through_the_binary() {
    let db = fresh_database().await;
    let total = Migrator::migrations().len();

    let status = stdout(&migration(&db.url, &["status"]));
    assert_eq!(status.lines().count(), total, "{status}");
    assert!(status.lines().all(|l| l.starts_with("pending")), "{status}");

    let up = stdout(&migration(&db.url, &["up"]));
    assert!(
        up.contains(&format!("applied {total} migration(s)")),
        "{up}"
    );
    let status = stdout(&migration(&db.url, &["status"]));
    assert!(status.lines().all(|l| l.starts_with("applied")), "{status}");

    let down = stdout(&migration(&db.url, &["down"]));
    assert!(down.contains("reverted 1 migration(s)"), "{down}");
    let status = stdout(&migration(&db.url, &["status"]));
    assert_eq!(
        status.lines().filter(|l| l.starts_with("pending")).count(),
        1
    );

    let refused = migration(&db.url, &["fresh"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));
    let fresh = stdout(&migration(&db.url, &["fresh", "--yes"]));
    assert!(fresh.contains("rebuilt"), "{fresh}");

    let down = stdout(&migration(&db.url, &["down", "--all"]));
    assert!(
        down.contains(&format!("reverted {total} migration(s)")),
        "{down}"
    );
}

#[test]
fn bad_database_url_is_reported_by_variable_name() {
    let output = migration("mysql://nope/x", &["status"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SKILLDEX_DATABASE_URL"), "{stderr}");
}
