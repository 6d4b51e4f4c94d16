-- Synthetic index for the API benchmark (bench/api.sh): :skills skills in repositories of
-- 10, one published version each with 3 files, realistic text lengths (descriptions of
-- 15–60 words, SKILL.md bodies of ~1.5–5 KB). Words are drawn from a fixed vocabulary
-- with a skewed distribution, so early words are common ("data" is in about a third of the
-- descriptions) and late ones uncommon; one word, "zettelkasten", is added to every
-- 2,000th description only (a rare word: 50 skills in 100,000). Every other description
-- also gets one made-up word (consonant-vowel syllables, e.g. "kavobe") out of 20,000,
-- drawn from i with a skew: the first ones are in ~100 skills, most in 1–20. They make a
-- long tail of rare words and a lexicon (`search_terms`) of some 20,000 terms, as a real
-- index has, for the rare-word and misspelled-word shapes of bench/api.sh.
-- Deterministic for a given :skills (setseed). Run on a freshly migrated database:
--   psql "$URL" -v skills=100000 -f bench/seed_skills.sql

\set ON_ERROR_STOP on
SELECT setseed(0.4242);

CREATE FUNCTION pg_temp.vocab() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
SELECT ARRAY[
 'data','files','code','skill','use','when','the','user','create','with','document','analysis',
 'test','generate','review','write','api','tool','workflow','project','python','report','build',
 'format','web','text','search','image','design','git','query','database','table','chart',
 'pdf','markdown','json','yaml','cli','server','client','browser','deploy','config','docs',
 'spreadsheet','excel','word','slides','presentation','email','calendar','notes','summary',
 'research','paper','citation','translate','language','model','prompt','agent','claude',
 'automation','script','shell','bash','linux','docker','kubernetes','cloud','aws','azure',
 'frontend','backend','react','typescript','javascript','rust','golang','java','kotlin','swift',
 'testing','debugging','refactor','performance','security','audit','compliance','privacy',
 'logging','metrics','monitoring','alerting','incident','postmortem','oncall','runbook',
 'migration','schema','sql','postgres','mysql','sqlite','redis','kafka','queue','stream',
 'batch','pipeline','etl','warehouse','dashboard','visualization','plot','graph','network',
 'diagram','architecture','planning','roadmap','estimate','budget','invoice','finance','tax',
 'legal','contract','policy','hr','hiring','interview','onboarding','training','course',
 'lesson','quiz','education','math','statistics','regression','forecast','simulation',
 'physics','chemistry','biology','genomics','protein','medical','clinical','health','fitness',
 'recipe','cooking','travel','itinerary','music','audio','video','podcast','transcript',
 'subtitle','animation','gif','svg','icon','logo','brand','marketing','seo','campaign','social',
 'twitter','linkedin','blog','newsletter','copywriting','editing','proofreading','grammar',
 'style','tone','story','fiction','poetry','screenplay','game','puzzle','chess','sudoku',
 'crossword','trivia','history','geography','astronomy','weather','climate','energy','solar',
 'battery','robotics','arduino','raspberry','embedded','firmware','hardware','fpga','verilog',
 'circuit','pcb','cad','3d','blender','unity','unreal','shader','webgl','wasm','compiler',
 'parser','lexer','interpreter','regex','unicode','encoding','compression','archive','backup',
 'restore','sync','mirror','cache','cdn','dns','tls','certificate','oauth','jwt','sso','ldap',
 'terraform','ansible','helm','nginx','apache','caddy','systemd','cron','scheduler','temporal',
 'airflow','dagster','spark','flink','beam','pandas','numpy','polars','duckdb','clickhouse',
 'elasticsearch','opensearch','vector','embedding','rag','retrieval','ranking','recommendation',
 'classification','clustering','anomaly','fraud','risk','trading','portfolio','crypto',
 'blockchain','solidity','ledger','accounting','bookkeeping','payroll','crm','salesforce',
 'hubspot','zendesk','jira','linear','notion','obsidian','confluence','slack','discord',
 'telegram','whatsapp','sms','voice','speech','ocr','scanner','barcode','qrcode','receipt',
 'expense','mileage','inventory','warehouse','shipping','logistics','route','map','gis',
 'geospatial','satellite','drone','lidar','pointcloud','mesh','voxel','terrain','ecology',
 'botany','mycology','ornithology','entomology','herpetology','paleontology','volcanology',
 'glaciology','speleology','numismatics','philately','calligraphy','origami','bonsai',
 'beekeeping'
]::text[]
$$;

-- The j-th made-up word (0 <= j < 343,000): six letters, consonant-vowel, from a
-- permutation of j so that neighbours differ.
CREATE FUNCTION pg_temp.rare_word(j int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT c[1 + p % 14] || v[1 + (p / 14) % 5] || c[1 + (p / 70) % 14] || v[1 + (p / 980) % 5]
       || c[1 + (p / 4900) % 14] || v[1 + (p / 68600) % 5]
FROM (SELECT (j::bigint * 7919 % 343000)::int AS p,
             '{b,d,f,g,k,l,m,n,p,r,s,t,v,z}'::text[] AS c, '{a,e,i,o,u}'::text[] AS v) x
$$;

-- k words drawn with a skew towards the start of the vocabulary.
CREATE FUNCTION pg_temp.words(k int) RETURNS text LANGUAGE sql VOLATILE AS $$
SELECT string_agg(v[1 + floor(power(random(), 1.3) * array_length(v, 1))::int], ' ')
FROM generate_series(1, k), (SELECT pg_temp.vocab() AS v) vocab
$$;

CREATE TEMP TABLE seed_repos AS
SELECT i,
       'owner' || lpad((i % 2000)::text, 4, '0') AS owner,
       'skills-' || i AS name,
       (ARRAY['MIT','Apache-2.0','BSD-3-Clause','GPL-3.0','MPL-2.0',NULL])[1 + (i % 6)] AS license,
       floor(power(random(), 6) * 40000)::int AS stars
FROM generate_series(1, ceil(:skills / 10.0)::int) AS i;

INSERT INTO repositories (owner, name, description, html_url, default_branch, stars, license,
                          topics, sync_status, last_indexed_commit, last_synced_at)
SELECT owner, name, initcap(pg_temp.words(8)),
       'https://github.com/' || owner || '/' || name, 'main', stars, license,
       '["agent-skills"]'::jsonb, 'succeeded', md5(i::text) || substr(md5(name), 1, 8),
       now() - (i % 500) * interval '1 hour'
FROM seed_repos;

CREATE TEMP TABLE seed_skills AS
SELECT s.i,
       r.id AS repository_id,
       r.license,
       left(regexp_replace(pg_temp.words(2), '[^a-z0-9]+', '-', 'g') || '-' || s.i, 64) AS name,
       pg_temp.words(15 + (s.i % 46))
         || CASE WHEN s.i % 2000 = 0 THEN ' zettelkasten' ELSE '' END
         -- From i, not random(), so the rest of the data is what it was without them.
         || CASE WHEN s.i % 2 = 0 THEN ' ' || pg_temp.rare_word(floor(20000 * power(
              (s.i::bigint * 2654435761 % 4294967296) / 4294967296.0, 2))::int)
            ELSE '' END AS description,
       (random() < 0.03) AS has_errors,
       floor(power(random(), 8) * 100000)::bigint AS downloads
FROM generate_series(1, :skills) AS s(i)
JOIN repositories r ON r.name = 'skills-' || ((s.i - 1) / 10 + 1);

INSERT INTO skills (repository_id, name, path, description, license, status, has_errors,
                    error_count, warning_count, download_count, findings, updated_at)
SELECT repository_id, name, 'skills/' || name,
       upper(left(description, 1)) || substr(description, 2) || '. Use when the user asks about '
           || pg_temp.words(3) || '.',
       license, 'active', has_errors,
       CASE WHEN has_errors THEN 1 ELSE 0 END, (i % 3),
       downloads,
       CASE WHEN has_errors THEN
         '[{"severity":"error","code":"description_too_long","message":"description is longer than 1024 characters","file":"SKILL.md","line":3,"field":"description"}]'::jsonb
       ELSE '[]'::jsonb END,
       now() - (i % 10000) * interval '1 minute'
FROM seed_skills;

-- One version per publishable skill: a ~1.5–5 KB Markdown body made of a few paragraphs.
CREATE TEMP TABLE seed_versions AS
SELECT k.id AS skill_id, k.name, k.description, k.license,
       encode(sha256(convert_to(k.id::text, 'UTF8')), 'hex') AS content_hash,
       '# ' || k.name || E'\n\n' || pg_temp.words(40) || E'\n\n## Instructions\n\n'
         || pg_temp.words(60 + (random() * 120)::int) || E'\n\n## Examples\n\n- '
         || pg_temp.words(20) || E'\n- ' || pg_temp.words(20) || E'\n\n## Notes\n\n'
         || pg_temp.words(30 + (random() * 200)::int) || E'\n' AS body
FROM skills k
WHERE NOT k.has_errors;

INSERT INTO skill_versions (skill_id, content_hash, commit_sha, archive_key, archive_size,
                            file_count, frontmatter, body)
SELECT skill_id, content_hash, substr(content_hash, 1, 40), 'skills/sha256/' || content_hash,
       length(body) / 2 + 900, 3,
       jsonb_build_object('name', name, 'description', description, 'license', license),
       body
FROM seed_versions;

INSERT INTO skill_files (version_id, path, size, sha256, content_type, executable)
SELECT v.id, f.path, f.size, encode(sha256(convert_to(v.id::text || f.path, 'UTF8')), 'hex'),
       f.content_type, f.executable
FROM skill_versions v
CROSS JOIN LATERAL (VALUES
  ('SKILL.md', length(v.body)::bigint, 'text/markdown', false),
  ('references/guide.md', 1200::bigint, 'text/markdown', false),
  ('scripts/run.sh', 300::bigint, 'text/x-shellscript', true)
) AS f(path, size, content_type, executable);

-- Without triggers (session_replication_role), so updated_at keeps its spread instead of
-- becoming now() for every skill.
SET session_replication_role = replica;
UPDATE skills k SET latest_version_id = v.id
FROM skill_versions v WHERE v.skill_id = k.id;
SET session_replication_role = DEFAULT;

ANALYZE;
SELECT (SELECT count(*) FROM repositories) AS repositories,
       (SELECT count(*) FROM skills) AS skills,
       (SELECT count(*) FROM skill_versions) AS versions,
       (SELECT count(*) FROM skill_files) AS files;
