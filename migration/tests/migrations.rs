//! Migrations against a real PostgreSQL: every test gets its own database (created by
//! `skilldex_test_support::fresh_database`, dropped when the test ends).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ColumnType, ConnectionTrait,
    DatabaseConnection, EntityTrait, IdenStatic, IntoActiveModel, Iterable, ModelTrait,
    PaginatorTrait, QueryFilter, QueryOrder, SqlErr, Statement, sea_query::Expr,
};
use sea_orm_migration::MigrationStatus;
use serde_json::json;
use skilldex_entity::{
    RegistrationStatus, RegistrationTrigger, SkillStatus, SyncStatus, api_tokens, audit_log,
    blacklist, discovery_sources, marketplaces, plugin_skills, plugins, refresh_tokens,
    registration_requests, repositories, search_terms, skill_events, skill_files, skill_versions,
    skills, users,
};
use skilldex_migration::{Migrator, MigratorTrait};
use skilldex_test_support::fresh_database;

/// Tables the full schema must have.
const TABLES: &[&str] = &[
    "api_tokens",
    "audit_log",
    "blacklist",
    "discovery_sources",
    "marketplaces",
    "plugin_skills",
    "plugins",
    "refresh_tokens",
    "registration_requests",
    "repositories",
    "search_terms",
    "skill_events",
    "skill_files",
    "skill_versions",
    "skills",
    "users",
];

fn migration_names() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

async fn strings(conn: &DatabaseConnection, sql: &str) -> Vec<String> {
    let rows = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("text column"))
        .collect()
}

async fn public_tables(conn: &DatabaseConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' ORDER BY table_name",
    )
    .await
}

async fn skilldex_functions(conn: &DatabaseConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = 'public' AND p.proname LIKE 'skilldex\\_%' ORDER BY 1",
    )
    .await
}

async fn extensions(conn: &DatabaseConnection) -> Vec<String> {
    strings(conn, "SELECT extname::text FROM pg_extension ORDER BY 1").await
}

async fn assert_all_applied(conn: &DatabaseConnection) {
    let status = Migrator::get_migration_with_status(conn)
        .await
        .expect("migration status");
    let names: Vec<String> = status.iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(names, migration_names());
    for m in &status {
        assert!(
            matches!(m.status(), MigrationStatus::Applied),
            "{} not applied",
            m.name()
        );
    }
    assert!(
        Migrator::get_pending_migrations(conn)
            .await
            .unwrap()
            .is_empty()
    );
    let tables = public_tables(conn).await;
    for table in TABLES {
        assert!(
            tables.iter().any(|t| t == table),
            "table {table} missing: {tables:?}"
        );
    }
}

fn hex64(seed: u8) -> String {
    format!("{seed:02x}").repeat(32)
}

async fn insert_repository(
    conn: &DatabaseConnection,
    owner: &str,
    name: &str,
) -> repositories::Model {
    repositories::ActiveModel {
        owner: Set(owner.to_owned()),
        name: Set(name.to_owned()),
        description: Set(Some("Agent skills".to_owned())),
        stars: Set(42),
        topics: Set(json!(["claude-skills", "agent-skills"])),
        license: Set(Some("Apache-2.0".to_owned())),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect("insert repository")
}

/// A minimal `repositories` row by SQL alone (works at any schema version); its id.
async fn insert_repository_row(conn: &DatabaseConnection, owner: &str, name: &str) -> Row {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "INSERT INTO repositories (owner, name) VALUES ($1, $2) RETURNING id",
            [owner.into(), name.into()],
        ))
        .await
        .expect("insert repository")
        .expect("a returned id");
    Row {
        id: row.try_get("", "id").expect("id"),
    }
}

/// The id of a row inserted by [`insert_repository_row`].
struct Row {
    id: uuid::Uuid,
}

async fn insert_skill(
    conn: &DatabaseConnection,
    repository_id: uuid::Uuid,
    path: &str,
    name: &str,
    description: &str,
) -> skills::Model {
    skills::ActiveModel {
        repository_id: Set(repository_id),
        name: Set(name.to_owned()),
        path: Set(path.to_owned()),
        description: Set(Some(description.to_owned())),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect("insert skill")
}

fn version(skill_id: uuid::Uuid, content_hash: String) -> skill_versions::ActiveModel {
    skill_versions::ActiveModel {
        skill_id: Set(skill_id),
        archive_key: Set(format!("skills/{content_hash}.zip")),
        content_hash: Set(content_hash),
        commit_sha: Set("0123456789abcdef0123456789abcdef01234567".to_owned()),
        archive_size: Set(2048),
        file_count: Set(2),
        frontmatter: Set(json!({"name": "pdf", "description": "Work with PDF files."})),
        body: Set("# PDF\n\nUse this skill to read PDFs.\n".to_owned()),
        findings: Set(json!([{
            "severity": "warning", "code": "missing-license", "message": "no licence",
            "file": "SKILL.md", "line": 1, "field": "license"
        }])),
        warning_count: Set(1),
        ..Default::default()
    }
}

#[tokio::test]
async fn up_status_and_entity_round_trip() {
    let db = fresh_database().await;
    let conn = &db.conn;

    Migrator::up(conn, None).await.expect("up");
    Migrator::status(conn).await.expect("status");
    assert_all_applied(conn).await;
    assert!(extensions(conn).await.contains(&"pg_trgm".to_owned()));

    // Defaults come from the database.
    let repo = insert_repository(conn, "anthropics", "skills").await;
    assert_eq!(repo.host, "github.com");
    assert_eq!(repo.sync_status, SyncStatus::Pending);
    assert_eq!(repo.forks, 0);
    assert!(!repo.archived && !repo.fork);
    assert_eq!(repo.full_name(), "anthropics/skills");

    // Unique on lower(host, owner, name).
    let dup = repositories::ActiveModel {
        owner: Set("Anthropics".to_owned()),
        name: Set("SKILLS".to_owned()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect_err("case-insensitive duplicate repository");
    assert!(
        matches!(dup.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
        "{dup:?}"
    );

    let skill = insert_skill(conn, repo.id, "skills/pdf", "pdf", "Work with PDF files.").await;
    assert_eq!(skill.status, SkillStatus::Active);
    assert_eq!(skill.download_count, 0);
    assert_eq!(skill.latest_version_id, None);

    let v1 = version(skill.id, hex64(0xab))
        .insert(conn)
        .await
        .expect("insert version");
    assert!(!v1.yanked);
    skill_files::ActiveModel {
        version_id: Set(v1.id),
        path: Set("SKILL.md".to_owned()),
        size: Set(120),
        sha256: Set(hex64(0x01)),
        content_type: Set("text/markdown".to_owned()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect("insert file");

    let mut active = skill.clone().into_active_model();
    active.latest_version_id = Set(Some(v1.id));
    let skill = active.update(conn).await.expect("set latest version");
    assert!(skill.updated_at >= skill.created_at);

    // Read back through relations.
    let (found, repo_back) = skills::Entity::find_by_id(skill.id)
        .find_also_related(repositories::Entity)
        .one(conn)
        .await
        .unwrap()
        .expect("skill");
    assert_eq!(found, skill);
    assert_eq!(repo_back.expect("repository").id, repo.id);
    let versions = skill
        .find_related(skill_versions::Entity)
        .order_by_desc(skill_versions::Column::PublishedAt)
        .all(conn)
        .await
        .unwrap();
    assert_eq!(versions, vec![v1.clone()]);
    assert_eq!(versions[0].findings[0]["code"], "missing-license");
    let latest = skills::Entity::find_by_id(skill.id)
        .find_also_linked(skills::LatestVersionLink)
        .one(conn)
        .await
        .unwrap()
        .expect("skill")
        .1
        .expect("latest version");
    assert_eq!(latest.id, v1.id);
    let files = v1
        .find_related(skill_files::Entity)
        .all(conn)
        .await
        .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, "SKILL.md");

    // (skill_id, content_hash) is unique.
    let err = version(skill.id, hex64(0xab))
        .insert(conn)
        .await
        .expect_err("duplicate (skill_id, content_hash)");
    assert!(
        matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(ref m)) if m.contains("skill_versions_skill_id_content_hash_key")),
        "{err:?}"
    );
    // ... but the same content under another skill is fine.
    let other = insert_skill(conn, repo.id, "other/pdf", "pdf", "Another copy.").await;
    version(other.id, hex64(0xab))
        .insert(conn)
        .await
        .expect("same hash, other skill");

    // CHECK constraints.
    let err = version(skill.id, "not-a-hash".to_owned())
        .insert(conn)
        .await
        .expect_err("bad hash");
    assert!(
        err.to_string()
            .contains("skill_versions_content_hash_check"),
        "{err}"
    );
    let err = skills::ActiveModel {
        repository_id: Set(repo.id),
        name: Set("gone".to_owned()),
        path: Set("gone".to_owned()),
        status: Set(SkillStatus::Removed),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect_err("removed without removed_at");
    assert!(err.to_string().contains("skills_removed_at_check"), "{err}");

    // Versions are immutable except for yanking.
    let mut edit = v1.clone().into_active_model();
    edit.body = Set("changed".to_owned());
    let err = edit.update(conn).await.expect_err("versions are immutable");
    assert!(err.to_string().contains("immutable"), "{err}");
    let mut yank = v1.clone().into_active_model();
    yank.yanked = Set(true);
    yank.yanked_reason = Set(Some("leaked a secret".to_owned()));
    yank.yanked_at = Set(Some(Utc::now()));
    let yanked = yank.update(conn).await.expect("yank");
    assert!(yanked.yanked);

    // Enums round-trip as their strings.
    let request = registration_requests::ActiveModel {
        repository_id: Set(Some(repo.id)),
        repository_full_name: Set("anthropics/skills".to_owned()),
        trigger: Set(RegistrationTrigger::User),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect("insert registration");
    assert_eq!(request.status, RegistrationStatus::Queued);
    let stored = strings(
        conn,
        &format!(
            "SELECT status || ':' || trigger FROM registration_requests WHERE id = '{}'",
            request.id
        ),
    )
    .await;
    assert_eq!(stored, vec!["queued:user".to_owned()]);
    let queued = registration_requests::Entity::find()
        .filter(registration_requests::Column::RepositoryFullName.eq("anthropics/skills"))
        .filter(registration_requests::Column::Status.eq(RegistrationStatus::Queued))
        .count(conn)
        .await
        .unwrap();
    assert_eq!(queued, 1);

    // Usernames are unique case-insensitively.
    let user = |name: &str| users::ActiveModel {
        username: Set(name.to_owned()),
        password_hash: Set("$argon2id$v=19$...".to_owned()),
        ..Default::default()
    };
    user("Admin").insert(conn).await.expect("insert user");
    let err = user("admin")
        .insert(conn)
        .await
        .expect_err("duplicate username");
    assert!(
        matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
        "{err:?}"
    );

    // Deleting the repository cascades to skills, versions and files.
    repo.delete(conn).await.expect("delete repository");
    assert_eq!(skills::Entity::find().count(conn).await.unwrap(), 0);
    assert_eq!(skill_versions::Entity::find().count(conn).await.unwrap(), 0);
    assert_eq!(skill_files::Entity::find().count(conn).await.unwrap(), 0);
    let request = registration_requests::Entity::find_by_id(request.id)
        .one(conn)
        .await
        .unwrap()
        .expect("registration survives");
    assert_eq!(request.repository_id, None);
}

#[tokio::test]
async fn down_one_step_at_a_time_then_up_again() {
    let db = fresh_database().await;
    let conn = &db.conn;

    Migrator::up(conn, None).await.expect("up");
    let total = Migrator::migrations().len();
    for remaining in (0..total).rev() {
        Migrator::down(conn, Some(1))
            .await
            .unwrap_or_else(|e| panic!("down to {remaining} applied migrations failed: {e}"));
        let applied = Migrator::get_applied_migrations(conn).await.unwrap();
        assert_eq!(applied.len(), remaining);
        let names: Vec<String> = applied.iter().map(|m| m.name().to_owned()).collect();
        assert_eq!(names, migration_names()[..remaining]);
    }

    assert_eq!(
        public_tables(conn).await,
        vec!["seaql_migrations".to_owned()]
    );
    assert_eq!(skilldex_functions(conn).await, Vec::<String>::new());
    assert!(!extensions(conn).await.contains(&"pg_trgm".to_owned()));
    let leftovers = strings(
        conn,
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relname NOT LIKE 'seaql_migrations%' ORDER BY 1",
    )
    .await;
    assert_eq!(leftovers, Vec::<String>::new());

    Migrator::up(conn, None).await.expect("up again");
    assert_all_applied(conn).await;
    insert_repository(conn, "anthropics", "skills").await;
}

#[tokio::test]
async fn fresh_rebuilds_the_schema() {
    let db = fresh_database().await;
    let conn = &db.conn;

    // On an empty database.
    Migrator::fresh(conn)
        .await
        .expect("fresh on an empty database");
    assert_all_applied(conn).await;

    // On a populated one: everything is dropped and re-created.
    let repo = insert_repository(conn, "anthropics", "skills").await;
    insert_skill(conn, repo.id, "", "root-skill", "At the repository root.").await;
    Migrator::fresh(conn)
        .await
        .expect("fresh on a populated database");
    assert_all_applied(conn).await;
    assert_eq!(repositories::Entity::find().count(conn).await.unwrap(), 0);
    assert_eq!(skills::Entity::find().count(conn).await.unwrap(), 0);

    // And the schema still works, triggers included.
    let repo = insert_repository(conn, "anthropics", "skills").await;
    let mut active = repo.clone().into_active_model();
    active.stars = Set(100);
    let updated = active.update(conn).await.expect("update repository");
    assert_eq!(updated.stars, 100);
    assert!(updated.updated_at >= repo.updated_at);
}

#[tokio::test]
async fn full_text_and_trigram_search() {
    let db = fresh_database().await;
    let conn = &db.conn;
    Migrator::up(conn, None).await.expect("up");

    let repo = insert_repository(conn, "anthropics", "skills").await;
    let pdf = insert_skill(
        conn,
        repo.id,
        "skills/pdf-processing",
        "pdf-processing",
        "Extract text and tables from PDF files, fill forms, merge documents.",
    )
    .await;
    let brand = insert_skill(
        conn,
        repo.id,
        "skills/brand-guidelines",
        "brand-guidelines",
        "Applies official brand colors and typography to any artifact.",
    )
    .await;

    // Full text, through the entity API (stemming: "extracting tables" ~ "Extract ... tables").
    let hits = skills::Entity::find()
        .filter(Expr::cust_with_values(
            "search_vector @@ websearch_to_tsquery('english', $1)",
            ["extracting tables"],
        ))
        .all(conn)
        .await
        .expect("full-text query");
    assert_eq!(hits.iter().map(|s| s.id).collect::<Vec<_>>(), vec![pdf.id]);

    // Full text, raw SQL with ranking; the name (weight A) outranks the description.
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT name, ts_rank(search_vector, q) AS rank \
             FROM skills, websearch_to_tsquery('english', $1) AS q \
             WHERE search_vector @@ q ORDER BY rank DESC",
            ["brand".into()],
        ))
        .await
        .expect("ranked query");
    let names: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("", "name").unwrap())
        .collect();
    assert_eq!(names, vec!["brand-guidelines".to_owned()]);

    // The generated column follows updates.
    let mut active = brand.clone().into_active_model();
    active.description = Set(Some("Corporate identity and typography.".to_owned()));
    active.update(conn).await.expect("update description");
    let hits = skills::Entity::find()
        .filter(Expr::cust_with_values(
            "search_vector @@ websearch_to_tsquery('english', $1)",
            ["corporate identity"],
        ))
        .all(conn)
        .await
        .unwrap();
    assert_eq!(
        hits.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![brand.id]
    );

    // Typo-tolerant: trigram similarity on a misspelled name.
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT name, similarity(name, $1) AS score FROM skills \
             WHERE name % $1 ORDER BY score DESC",
            ["pdf-procesing".into()],
        ))
        .await
        .expect("trigram query");
    let names: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("", "name").unwrap())
        .collect();
    assert_eq!(names, vec!["pdf-processing".to_owned()]);

    // ... and on the description, word-wise.
    let hits = skills::Entity::find()
        .filter(Expr::cust_with_values("$1 <% description", ["typograpy"]))
        .all(conn)
        .await
        .unwrap();
    assert_eq!(
        hits.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![brand.id]
    );

    // The trigram and full-text indexes exist and are GIN.
    let indexes = strings(
        conn,
        "SELECT indexname::text FROM pg_indexes WHERE tablename = 'skills' \
         AND indexdef LIKE '%USING gin%' ORDER BY 1",
    )
    .await;
    assert_eq!(
        indexes,
        vec![
            "skills_description_trgm_idx".to_owned(),
            "skills_name_trgm_idx".to_owned(),
            "skills_name_vector_idx".to_owned(),
            "skills_search_vector_idx".to_owned(),
        ]
    );
}

/// The PostgreSQL type name (`information_schema.columns.data_type`) an entity column maps to.
fn pg_type(col_type: &ColumnType) -> String {
    match col_type {
        ColumnType::Text => "text".into(),
        ColumnType::Uuid => "uuid".into(),
        ColumnType::Integer => "integer".into(),
        ColumnType::BigInteger => "bigint".into(),
        ColumnType::Boolean => "boolean".into(),
        ColumnType::JsonBinary => "jsonb".into(),
        ColumnType::TimestampWithTimeZone => "timestamp with time zone".into(),
        other => format!("unmapped {other:?}"),
    }
}

/// Asserts that entity `E` has exactly the table's columns (minus `generated`), with the same
/// types, nullability and primary key.
async fn assert_entity_matches<E: EntityTrait>(conn: &DatabaseConnection, generated: &[&str]) {
    let table = E::default().table_name().to_owned();
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT column_name::text, data_type::text, is_nullable::text \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
            [table.clone().into()],
        ))
        .await
        .unwrap();
    let mut db_columns: Vec<(String, String, bool)> = rows
        .iter()
        .map(|r| {
            let name: String = r.try_get_by_index(0).unwrap();
            let ty: String = r.try_get_by_index(1).unwrap();
            let nullable: String = r.try_get_by_index(2).unwrap();
            (name, ty, nullable == "YES")
        })
        .filter(|(name, _, _)| !generated.contains(&name.as_str()))
        .collect();
    let mut entity_columns: Vec<(String, String, bool)> = E::Column::iter()
        .map(|c| {
            let def = c.def();
            (
                c.as_str().to_owned(),
                pg_type(def.get_column_type()),
                def.is_null(),
            )
        })
        .collect();
    db_columns.sort();
    entity_columns.sort();
    assert_eq!(
        entity_columns, db_columns,
        "entity and table {table} differ"
    );

    let mut pk_db = strings(
        conn,
        &format!(
            "SELECT a.attname::text FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indrelid = 'public.{table}'::regclass AND i.indisprimary"
        ),
    )
    .await;
    let mut pk_entity: Vec<String> = E::PrimaryKey::iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    pk_db.sort();
    pk_entity.sort();
    assert_eq!(pk_entity, pk_db, "primary key of {table}");
}

#[tokio::test]
async fn entities_match_the_schema() {
    let db = fresh_database().await;
    let conn = &db.conn;
    Migrator::up(conn, None).await.expect("up");

    assert_entity_matches::<repositories::Entity>(conn, &[]).await;
    assert_entity_matches::<skills::Entity>(conn, &["search_vector", "name_vector"]).await;
    assert_entity_matches::<skill_versions::Entity>(conn, &[]).await;
    assert_entity_matches::<skill_files::Entity>(conn, &[]).await;
    assert_entity_matches::<marketplaces::Entity>(conn, &[]).await;
    assert_entity_matches::<plugins::Entity>(conn, &[]).await;
    assert_entity_matches::<plugin_skills::Entity>(conn, &[]).await;
    assert_entity_matches::<discovery_sources::Entity>(conn, &[]).await;
    assert_entity_matches::<blacklist::Entity>(conn, &[]).await;
    assert_entity_matches::<registration_requests::Entity>(conn, &[]).await;
    assert_entity_matches::<users::Entity>(conn, &[]).await;
    assert_entity_matches::<api_tokens::Entity>(conn, &[]).await;
    assert_entity_matches::<audit_log::Entity>(conn, &[]).await;
    assert_entity_matches::<refresh_tokens::Entity>(conn, &[]).await;
    // `tx` (xid8, no sea-orm type) is written by its default and only read by the feed query.
    assert_entity_matches::<skill_events::Entity>(conn, &["tx"]).await;
    assert_entity_matches::<search_terms::Entity>(conn, &[]).await;

    // Every table has an entity.
    let mut tables = public_tables(conn).await;
    tables.retain(|t| t != "seaql_migrations");
    assert_eq!(tables, TABLES);
}

/// The CHECK constraints on status columns accept exactly the enums' values.
#[tokio::test]
async fn status_checks_match_the_enums() {
    use sea_orm::ActiveEnum;
    use skilldex_entity::{DiscoveryKind, PluginSourceKind, UserRole};

    let db = fresh_database().await;
    let conn = &db.conn;
    Migrator::up(conn, None).await.expect("up");

    async fn allowed(conn: &DatabaseConnection, constraint: &str) -> Vec<String> {
        let def = strings(
            conn,
            &format!(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = '{constraint}'"
            ),
        )
        .await;
        let def = def
            .first()
            .unwrap_or_else(|| panic!("no constraint {constraint}"));
        let mut values: Vec<String> = def
            .split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        values.sort();
        values
    }
    fn values<T: ActiveEnum<Value = String> + Iterable>() -> Vec<String> {
        let mut v: Vec<String> = T::iter().map(|e| e.to_value()).collect();
        v.sort();
        v
    }

    assert_eq!(
        allowed(conn, "repositories_sync_status_check").await,
        values::<SyncStatus>()
    );
    assert_eq!(
        allowed(conn, "skills_status_check").await,
        values::<SkillStatus>()
    );
    assert_eq!(
        allowed(conn, "plugins_source_kind_check").await,
        values::<PluginSourceKind>()
    );
    assert_eq!(
        allowed(conn, "discovery_sources_kind_check").await,
        values::<DiscoveryKind>()
    );
    assert_eq!(
        allowed(conn, "registration_requests_trigger_check").await,
        values::<RegistrationTrigger>()
    );
    assert_eq!(
        allowed(conn, "registration_requests_status_check").await,
        values::<RegistrationStatus>()
    );
    assert_eq!(
        allowed(conn, "users_role_check").await,
        values::<UserRole>()
    );
}

/// Plugins recorded before `plugins.source_repo` existed get it from their `source`, and
/// are linked to their repository when it is indexed.
#[tokio::test]
async fn plugin_sources_are_backfilled() {
    let db = fresh_database().await;
    let conn = &db.conn;
    let before = migration_names()
        .iter()
        .position(|n| n == "m20261125_000013_plugin_source_repo")
        .expect("the migration is listed");
    Migrator::up(conn, Some(before as u32))
        .await
        .expect("up to the one before");

    // Raw inserts: the entity describes the newest schema, not this one.
    let market = insert_repository_row(conn, "acme", "market").await;
    let tools = insert_repository_row(conn, "Acme", "Tools").await;
    let exec = |sql: String| async move {
        conn.execute_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .expect("statement");
    };
    exec(format!(
        "INSERT INTO marketplaces (id, repository_id, name, raw) \
         VALUES ('00000000-0000-0000-0000-000000000001', '{}', 'm', '{{}}')",
        market.id
    ))
    .await;
    let plugins = [
        ("relative", "relative", json!("./plugins/x")),
        (
            "gh",
            "github",
            json!({"source": "github", "repo": "acme/tools"}),
        ),
        (
            "url",
            "url",
            json!({"source": "url", "url": "https://github.com/acme/tools.git"}),
        ),
        (
            "sub",
            "git_subdir",
            json!({"source": "git-subdir", "url": "https://github.com/acme/mono", "path": "./plugins//x/"}),
        ),
        (
            "climb",
            "git_subdir",
            json!({"source": "git-subdir", "url": "https://github.com/acme/mono", "path": "../x"}),
        ),
        (
            "gitlab",
            "url",
            json!({"source": "url", "url": "https://gitlab.com/acme/tools.git"}),
        ),
    ];
    for (name, kind, source) in &plugins {
        exec(format!(
            "INSERT INTO plugins (marketplace_id, name, source_kind, source, keywords, raw) \
             VALUES ('00000000-0000-0000-0000-000000000001', '{name}', '{kind}', '{source}', '[]', '{{}}')"
        ))
        .await;
    }

    Migrator::up(conn, None).await.expect("up");
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT name, source_repo, source_path, source_repository_id FROM plugins ORDER BY name",
        ))
        .await
        .expect("plugins");
    /// name, source_repo, source_path, source_repository_id
    type Linked = (String, Option<String>, Option<String>, Option<uuid::Uuid>);
    let got: Vec<Linked> = rows
        .iter()
        .map(|r| {
            (
                r.try_get("", "name").unwrap(),
                r.try_get("", "source_repo").unwrap(),
                r.try_get("", "source_path").unwrap(),
                r.try_get("", "source_repository_id").unwrap(),
            )
        })
        .collect();
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        got,
        vec![
            ("climb".to_owned(), None, None, None),
            ("gh".to_owned(), s("acme/tools"), None, Some(tools.id)),
            ("gitlab".to_owned(), None, None, None),
            ("relative".to_owned(), None, None, None),
            ("sub".to_owned(), s("acme/mono"), s("plugins/x"), None),
            ("url".to_owned(), s("acme/tools"), None, Some(tools.id)),
        ]
    );
}
