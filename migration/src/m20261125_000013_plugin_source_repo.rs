//! `plugins.source_repo` / `plugins.source_path`: the GitHub repository (`owner/name`) a
//! plugin hosted outside its marketplace repository comes from, and for `git-subdir`
//! sources its folder there. The indexer fills them for `github` sources and for `url` /
//! `git-subdir` sources on github.com (`skilldex_core::build::github_plugin_home`), so
//! linking a plugin to its repository (`source_repository_id`) is one indexed comparison
//! whatever form the marketplace used.
//!
//! Rows written before are derived here from `source` with the same rules (an https
//! github.com URL or `owner/name`; a folder that neither starts with `/` nor climbs with
//! `..`), and linked to their repository when it is already indexed.

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
ALTER TABLE plugins ADD COLUMN source_repo text, ADD COLUMN source_path text;
CREATE INDEX plugins_source_repo_idx ON plugins (lower(source_repo));

WITH parsed AS (
    SELECT id,
           regexp_match(
               CASE source_kind WHEN 'github' THEN source->>'repo' ELSE source->>'url' END,
               '^(?:https://(?:www\.)?github\.com/|github\.com/)?([A-Za-z0-9-]+)/([A-Za-z0-9._-]+?)(?:\.git)?/?$',
               'i') AS repo,
           CASE WHEN source_kind = 'git_subdir' THEN source->>'path' END AS raw_path
    FROM plugins
    WHERE source_kind IN ('github', 'url', 'git_subdir')
)
UPDATE plugins p
SET source_repo = parsed.repo[1] || '/' || parsed.repo[2],
    source_path = nullif(array_to_string(array(
        SELECT part FROM unnest(string_to_array(parsed.raw_path, '/')) WITH ORDINALITY AS t(part, i)
        WHERE part NOT IN ('', '.') ORDER BY i), '/'), '')
FROM parsed
WHERE parsed.id = p.id AND parsed.repo IS NOT NULL
  AND (parsed.raw_path IS NULL
       OR (parsed.raw_path NOT LIKE '/%'
           AND NOT '..' = ANY (string_to_array(parsed.raw_path, '/'))));

UPDATE plugins p SET source_repository_id = r.id
FROM repositories r
WHERE p.source_repo IS NOT NULL AND p.source_repository_id IS NULL
  AND lower(r.host) = 'github.com'
  AND lower(r.owner) = lower(split_part(p.source_repo, '/', 1))
  AND lower(r.name) = lower(split_part(p.source_repo, '/', 2));
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "DROP INDEX IF EXISTS plugins_source_repo_idx; \
             ALTER TABLE IF EXISTS plugins DROP COLUMN IF EXISTS source_repo, \
             DROP COLUMN IF EXISTS source_path;",
        )
        .await
    }
}
