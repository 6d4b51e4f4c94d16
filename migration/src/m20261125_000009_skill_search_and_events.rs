//! Search and the change feed.
//!
//! - `skills_name_tsv_idx`: a GIN index on `to_tsvector('english', name)`, so search can
//!   list skills whose *name* matches before those matching only in the description
//!   without ranking every match (see `api::routes::skills`).
//! - `search_terms`: every lexeme of `skills.search_vector`, with a trigram index: search
//!   corrects a misspelled query word to the closest indexed term ("spredsheet" →
//!   "spreadsheet") and runs full-text search again, instead of comparing the query with
//!   every description. A statement-level trigger adds the terms of inserted or updated
//!   skills (one set-based statement per index transaction); terms are never removed.
//!   Only plain words (3–32 letters) are kept: compound and numeric tokens such as
//!   `pdf-editor-2` would crowd the corrections.
//! - `skills_listed_*_idx`: partial indexes in exactly the browse orders (with the id tie
//!   break), so a page of a browse stops after one page of rows.
//! - `skill_events`: an append-only log of what happened to skills (`published`, `yanked`,
//!   `unyanked`, `removed`) behind `GET /api/v1/changes`. Triggers on `skill_versions` and
//!   `skills` fill it, so the worker's index step and the admin yank endpoint feed it
//!   without knowing about it. Existing versions and removals are backfilled.

use sea_orm_migration::prelude::*;

use crate::util::exec;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            r#"
CREATE INDEX skills_name_tsv_idx ON skills USING gin (to_tsvector('english'::regconfig, name));
CREATE INDEX skills_listed_updated_idx ON skills (updated_at DESC, id) WHERE status = 'active';
CREATE INDEX skills_listed_downloads_idx ON skills (download_count DESC, id)
    WHERE status = 'active';
CREATE INDEX skills_listed_name_idx ON skills (lower(name), id) WHERE status = 'active';

CREATE TABLE search_terms (word text PRIMARY KEY);
CREATE INDEX search_terms_word_trgm_idx ON search_terms USING gin (word gin_trgm_ops);
CREATE OR REPLACE FUNCTION skilldex_search_terms() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_terms (word)
    SELECT DISTINCT w FROM changed, unnest(tsvector_to_array(changed.search_vector)) AS w
    WHERE w ~ '^[a-z]{3,32}$'
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER skills_search_terms_insert AFTER INSERT ON skills
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skilldex_search_terms();
CREATE TRIGGER skills_search_terms_update AFTER UPDATE ON skills
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skilldex_search_terms();
INSERT INTO search_terms (word)
SELECT DISTINCT w FROM skills, unnest(tsvector_to_array(search_vector)) AS w
WHERE w ~ '^[a-z]{3,32}$'
ON CONFLICT DO NOTHING;

CREATE TABLE skill_events (
    seq bigserial PRIMARY KEY,
    skill_id uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    content_hash text,
    kind text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT skill_events_kind_check
        CHECK (kind IN ('published', 'yanked', 'unyanked', 'removed'))
);
CREATE INDEX skill_events_skill_id_idx ON skill_events (skill_id, seq);

CREATE OR REPLACE FUNCTION skilldex_skill_version_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO skill_events (skill_id, content_hash, kind, at)
        VALUES (NEW.skill_id, NEW.content_hash, 'published', NEW.published_at);
    ELSIF NEW.yanked IS DISTINCT FROM OLD.yanked THEN
        INSERT INTO skill_events (skill_id, content_hash, kind)
        VALUES (NEW.skill_id, NEW.content_hash,
                CASE WHEN NEW.yanked THEN 'yanked' ELSE 'unyanked' END);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER skill_versions_events AFTER INSERT OR UPDATE OF yanked ON skill_versions
    FOR EACH ROW EXECUTE FUNCTION skilldex_skill_version_events();

CREATE OR REPLACE FUNCTION skilldex_skill_removed_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO skill_events (skill_id, kind) VALUES (NEW.id, 'removed');
    RETURN NULL;
END
$$;
CREATE TRIGGER skills_removed_events AFTER UPDATE OF status ON skills
    FOR EACH ROW WHEN (NEW.status = 'removed' AND OLD.status IS DISTINCT FROM 'removed')
    EXECUTE FUNCTION skilldex_skill_removed_events();

INSERT INTO skill_events (skill_id, content_hash, kind, at)
SELECT skill_id, content_hash, 'published', published_at
FROM skill_versions ORDER BY published_at, id;
INSERT INTO skill_events (skill_id, content_hash, kind, at)
SELECT skill_id, content_hash, 'yanked', yanked_at
FROM skill_versions WHERE yanked ORDER BY yanked_at, id;
INSERT INTO skill_events (skill_id, kind, at)
SELECT id, 'removed', removed_at FROM skills WHERE status = 'removed' ORDER BY removed_at, id;
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            r#"
DROP TRIGGER IF EXISTS skills_removed_events ON skills;
DROP TRIGGER IF EXISTS skill_versions_events ON skill_versions;
DROP FUNCTION IF EXISTS skilldex_skill_removed_events();
DROP FUNCTION IF EXISTS skilldex_skill_version_events();
DROP TABLE IF EXISTS skill_events;
DROP TRIGGER IF EXISTS skills_search_terms_insert ON skills;
DROP TRIGGER IF EXISTS skills_search_terms_update ON skills;
DROP FUNCTION IF EXISTS skilldex_search_terms();
DROP TABLE IF EXISTS search_terms;
DROP INDEX IF EXISTS skills_listed_name_idx;
DROP INDEX IF EXISTS skills_listed_downloads_idx;
DROP INDEX IF EXISTS skills_listed_updated_idx;
DROP INDEX IF EXISTS skills_name_tsv_idx;
"#,
        )
        .await
    }
}
