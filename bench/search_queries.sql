-- Search queries for bench/api.sh, from the benchmark index itself (bench/seed_skills.sql),
-- one row per query: kind <TAB> query <TAB> the indexed word it comes from. Deterministic
-- for a given index. Kinds:
--   popular     every word found in more than 1,000 listed skills (more than search counts
--               exactly), in md5 order;
--   rare        words found in 2 to 50 listed skills, 2,000 of them in md5 order;
--   misspelled  up to four typos of each word found in more than 100 skills: a letter
--               dropped, two neighbours swapped, a letter replaced by its neighbour in the
--               alphabet, a letter doubled (never the first letter, as most typos), kept
--               only when the typo is no indexed term and full-text search finds nothing,
--               so every one takes the spelling-correction path.
-- Document frequencies are of the words as written (`simple` configuration); queries run
-- through the `english` one like the api's. Stop words and words without a lexeme are
-- left out (a query of those searches nothing).
--   psql "$URL" -AtF $'\t' -f bench/search_queries.sql

\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE TEMP TABLE bench_words AS
SELECT word, ndoc
FROM ts_stat($$SELECT to_tsvector('simple', description) FROM skills
              WHERE status = 'active'$$)
WHERE word ~ '^[a-z]{3,32}$' AND numnode(plainto_tsquery('english', word)) > 0;

CREATE TEMP TABLE bench_typos AS
WITH src AS (
    SELECT word FROM bench_words WHERE ndoc > 100 AND length(word) >= 5
), edits AS (
    -- p: 2 .. length - 1, from md5, so the same word always gets the same typos.
    SELECT word, k,
           2 + (('x' || substr(md5(word || ':' || k), 1, 7))::bit(28)::int % (length(word) - 2)) AS p
    FROM src, generate_series(1, 4) AS k
)
SELECT DISTINCT ON (typo) typo, word
FROM (
    SELECT word, CASE k
        WHEN 1 THEN overlay(word PLACING '' FROM p FOR 1)
        WHEN 2 THEN overlay(word PLACING substr(word, p + 1, 1) || substr(word, p, 1) FROM p FOR 2)
        WHEN 3 THEN overlay(word PLACING chr(97 + (ascii(substr(word, p, 1)) - 96) % 26) FROM p FOR 1)
        ELSE overlay(word PLACING substr(word, p, 1) FROM p FOR 0)
    END AS typo
    FROM edits
) t
WHERE typo <> word
ORDER BY typo, word;

DELETE FROM bench_typos t
WHERE EXISTS (SELECT 1 FROM search_terms st WHERE st.word = t.typo)
   OR EXISTS (SELECT 1 FROM skills s
              WHERE s.search_vector @@ websearch_to_tsquery('english', t.typo));

SELECT kind, query, source FROM (
    (SELECT 'popular' AS kind, word AS query, word AS source, md5(word) AS o
     FROM bench_words WHERE ndoc > 1000)
    UNION ALL
    (SELECT 'rare', word, word, md5(word)
     FROM bench_words WHERE ndoc BETWEEN 2 AND 50 ORDER BY md5(word) LIMIT 2000)
    UNION ALL
    (SELECT 'misspelled', typo, word, md5(typo) FROM bench_typos)
) q
ORDER BY kind, o;
