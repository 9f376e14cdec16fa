-- pgdeck SQL kit: validation of the optimizations, as the guide lists them.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/kit/test-optimizations.sql
--
-- Checks, on an installed kit with data:
--   indexes      every planned index present and valid; the key queries are
--                planned with an index and without a sequential scan of a big
--                table (>= 10,000 rows).  On tables too small for the planner to
--                bother (tiny test scales) the query is re-planned with
--                enable_seqscan = off to prove a usable index exists.
--   partitions   a one-month query touches exactly one partition (plan-time
--                pruning), a "last 7 days" query prunes at execution start,
--                future partitions exist, the default partition is empty.
--   views        the five materialized views are populated, can refresh
--                CONCURRENTLY, and answer faster than the raw query they replace.
--   security     NOT NULLs, CHECK constraints and unique e-mails hold: bad rows
--                are rejected (tried inside subtransactions, nothing is kept).
--   statistics   the tables have been analyzed (plans depend on it).
--
-- Every check prints "ok" or "FAIL" as a NOTICE; at the end, if anything
-- failed, the script raises an exception listing the failures, so psql with
-- ON_ERROR_STOP=1 exits non-zero.  It changes nothing in the database.

\set ON_ERROR_STOP 1
\set QUIET on
SET client_min_messages = notice;
SET search_path = public;
-- The results are in the NOTICEs; the SELECTs' own (empty) output is dropped.
\o /dev/null

CREATE TEMP TABLE kit_check (
    id     serial,
    area   text,
    name   text,
    ok     boolean,
    detail text
);

CREATE FUNCTION pg_temp.record(p_area text, p_name text, p_ok boolean, p_detail text)
RETURNS void LANGUAGE plpgsql AS
$$
BEGIN
    INSERT INTO kit_check (area, name, ok, detail) VALUES (p_area, p_name, p_ok, p_detail);
    RAISE NOTICE '% %: % (%)', CASE WHEN p_ok THEN 'ok  ' ELSE 'FAIL' END, p_area, p_name, p_detail;
END
$$;

CREATE FUNCTION pg_temp.plan(q text) RETURNS jsonb LANGUAGE plpgsql AS
$$
DECLARE j json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
    RETURN j::jsonb;
END
$$;

-- Every node of a plan: type, relation (with its top-level parent), index.
CREATE FUNCTION pg_temp.plan_nodes(p jsonb)
RETURNS TABLE (node text, rel text, top_rel text, idx text, idx_top_rel text, rel_rows double precision,
               subplans_removed integer, uses_index_lead boolean)
LANGUAGE sql AS
$$
    SELECT n ->> 'Node Type',
           n ->> 'Relation Name',
           coalesce((SELECT pc.relname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
                     WHERE i.inhrelid = to_regclass('public.' || quote_ident(n ->> 'Relation Name'))),
                    n ->> 'Relation Name'),
           coalesce((SELECT pi.relname FROM pg_inherits i JOIN pg_class pi ON pi.oid = i.inhparent
                     WHERE i.inhrelid = to_regclass('public.' || quote_ident(n ->> 'Index Name'))),
                    n ->> 'Index Name'),
           (SELECT coalesce((SELECT pc.relname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
                             WHERE i.inhrelid = x.indrelid), t.relname)
            FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid
            WHERE x.indexrelid = to_regclass('public.' || quote_ident(n ->> 'Index Name'))),
           (SELECT c.reltuples FROM pg_class c WHERE c.oid = to_regclass('public.' || quote_ident(n ->> 'Relation Name'))),
           (n ->> 'Subplans Removed')::integer,
           -- an index condition on the index's leading column (or expression),
           -- i.e. a real descent, not a walk over the whole index
           coalesce(strpos(n ->> 'Index Cond',
                           pg_get_indexdef(to_regclass('public.' || quote_ident(n ->> 'Index Name')), 1, true)) > 0,
                    false)
    FROM jsonb_path_query(p, 'strict $.**') AS n
    WHERE jsonb_typeof(n) = 'object' AND n ? 'Node Type'
$$;

-- The query must use an index of one of p_tables with a condition on the
-- index's leading column (not merely walk a whole index) and must not scan a
-- big one of them sequentially.
CREATE FUNCTION pg_temp.check_index_use(p_name text, p_query text, p_tables text[])
RETURNS void LANGUAGE plpgsql AS
$$
DECLARE
    p       jsonb;
    v_big   text;
    v_small text;
    v_idx   text;
    v_mode  text := 'planner''s choice';
BEGIN
    p := pg_temp.plan(p_query);
    SELECT string_agg(DISTINCT n.rel || ' (' || n.rel_rows::bigint || ' rows)', ', ') INTO v_big
    FROM pg_temp.plan_nodes(p) n
    WHERE n.node = 'Seq Scan' AND n.top_rel = ANY (p_tables) AND n.rel_rows >= 10000;
    IF v_big IS NOT NULL THEN
        PERFORM pg_temp.record('indexes', p_name, false, 'sequential scan of big table ' || v_big);
        RETURN;
    END IF;

    IF EXISTS (SELECT 1 FROM pg_temp.plan_nodes(p) n WHERE n.node = 'Seq Scan' AND n.top_rel = ANY (p_tables)) THEN
        -- Small tables: the planner may rightly prefer a seq scan; prove an
        -- index can serve the query.
        PERFORM set_config('enable_seqscan', 'off', true);
        p := pg_temp.plan(p_query);
        PERFORM set_config('enable_seqscan', 'on', true);
        v_mode := 'small table, planned with enable_seqscan=off';
        SELECT string_agg(DISTINCT n.rel, ', ') INTO v_small
        FROM pg_temp.plan_nodes(p) n WHERE n.node = 'Seq Scan' AND n.top_rel = ANY (p_tables);
        IF v_small IS NOT NULL THEN
            PERFORM pg_temp.record('indexes', p_name, false, 'no usable index: sequential scan of ' || v_small);
            RETURN;
        END IF;
    END IF;

    SELECT string_agg(DISTINCT n.idx, ', ') INTO v_idx
    FROM pg_temp.plan_nodes(p) n
    WHERE n.idx IS NOT NULL AND n.idx_top_rel = ANY (p_tables) AND n.uses_index_lead;
    IF v_idx IS NULL THEN
        PERFORM pg_temp.record('indexes', p_name, false, 'no index of ' || array_to_string(p_tables, ', ')
                               || ' used with a condition on its leading column');
    ELSE
        PERFORM pg_temp.record('indexes', p_name, true, v_mode || ': ' || v_idx);
    END IF;
END
$$;

-- Best of three timings of a query, in milliseconds.
CREATE FUNCTION pg_temp.time_ms(q text) RETURNS double precision LANGUAGE plpgsql AS
$$
DECLARE
    t0 timestamptz;
    best double precision := 'infinity';
    dummy bigint;
BEGIN
    FOR i IN 1..3 LOOP
        t0 := clock_timestamp();
        -- sum(length(s::text)) makes every column be computed (a plain
        -- count(*) lets the planner drop unused LEFT JOINs).
        EXECUTE 'SELECT sum(length(s::text)) FROM (' || q || ') s' INTO dummy;
        best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    RETURN best;
END
$$;

CREATE FUNCTION pg_temp.check_view_speed(p_name text, p_raw text, p_view text)
RETURNS void LANGUAGE plpgsql AS
$$
DECLARE
    raw_ms  double precision := pg_temp.time_ms(p_raw);
    view_ms double precision := pg_temp.time_ms(p_view);
BEGIN
    PERFORM pg_temp.record('views', p_name || ' faster than raw', view_ms < raw_ms,
        format('view %s ms, raw %s ms, %sx', round(view_ms::numeric, 3), round(raw_ms::numeric, 3),
               round((raw_ms / greatest(view_ms, 0.001))::numeric, 1)));
END
$$;

-- A statement that must be rejected with the given SQLSTATE.
CREATE FUNCTION pg_temp.check_rejected(p_name text, p_sql text, p_sqlstate text)
RETURNS void LANGUAGE plpgsql AS
$$
BEGIN
    BEGIN
        EXECUTE p_sql;
        RAISE EXCEPTION USING ERRCODE = 'P0099', MESSAGE = 'accepted';
    EXCEPTION
        WHEN SQLSTATE 'P0099' THEN
            PERFORM pg_temp.record('security', p_name, false, 'accepted: ' || p_sql);
            RETURN;
        WHEN OTHERS THEN
            PERFORM pg_temp.record('security', p_name, SQLSTATE = p_sqlstate,
                                   format('rejected with %s (%s)', SQLSTATE, SQLERRM));
    END;
END
$$;

-- Statistics ------------------------------------------------------------------------
SELECT pg_temp.record('statistics', t || ' analyzed',
       coalesce((SELECT greatest(last_analyze, last_autoanalyze) IS NOT NULL FROM pg_stat_user_tables
                 WHERE relid = to_regclass('public.' || t)), false)
       OR EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass('public.' || t) AND relkind = 'p'
                  AND reltuples >= 0),
       'needed for the plans below; run ANALYZE if this fails')
FROM unnest(ARRAY['users','user_sessions','courses','modules','lessons','enrollments','progress',
                  'analytics_events']) t;

SELECT pg_temp.record('data', 'tables have data',
       (SELECT count(*) FROM (SELECT 1 FROM public.users LIMIT 1) a) = 1
       AND (SELECT count(*) FROM (SELECT 1 FROM public.analytics_events LIMIT 1) b) = 1,
       'the validation needs generated data (generate_platform_data)');

-- Indexes present and valid ------------------------------------------------------------
SELECT pg_temp.record('indexes', 'no INVALID index', count(*) = 0,
       coalesce(string_agg(c.relname, ', '), 'none invalid'))
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND NOT i.indisvalid;

SELECT pg_temp.record('indexes', 'planned indexes present', count(*) >= 70,
       count(*) || ' idx_* indexes (indexes.sql + indexes-partitioned.sql), at least 70 expected')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('i', 'I') AND NOT c.relispartition AND c.relname LIKE 'idx\_%';

SELECT pg_temp.record('indexes', 'GIN indexes (full text, tags, jsonb)', count(*) >= 5,
       string_agg(c.relname, ', ' ORDER BY c.relname))
FROM pg_class c JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND am.amname = 'gin' AND NOT c.relispartition;

SELECT pg_temp.record('indexes', 'partial indexes', count(*) >= 20, count(*) || ' partial indexes')
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND i.indpred IS NOT NULL AND NOT c.relispartition;

-- Index use on the key queries ------------------------------------------------------------
SELECT pg_temp.check_index_use('login by e-mail',
    $q$SELECT id, password_hash FROM public.users WHERE email = 'user1@example.com' AND is_active$q$,
    ARRAY['users']);
SELECT pg_temp.check_index_use('live sessions of a user',
    $q$SELECT count(*) FROM public.user_sessions WHERE user_id = 1 AND revoked_at IS NULL AND expires_at > now()$q$,
    ARRAY['user_sessions']);
SELECT pg_temp.check_index_use('courses by category',
    $q$SELECT id, title FROM public.courses WHERE status = 'published' AND category = 'data' ORDER BY rating DESC LIMIT 20$q$,
    ARRAY['courses']);
SELECT pg_temp.check_index_use('courses by tag (GIN)',
    $q$SELECT id FROM public.courses WHERE status = 'published' AND tags @> ARRAY['python']$q$,
    ARRAY['courses']);
SELECT pg_temp.check_index_use('course full-text search (GIN)',
    $q$SELECT id FROM public.courses WHERE status = 'published' AND search_vector @@ websearch_to_tsquery('english', 'python')$q$,
    ARRAY['courses']);
SELECT pg_temp.check_index_use('lesson full-text search (GIN)',
    $q$SELECT id FROM public.lessons WHERE is_published AND search_vector @@ websearch_to_tsquery('english', 'docker containers')$q$,
    ARRAY['lessons']);
SELECT pg_temp.check_index_use('course outline',
    $q$SELECT id, title FROM public.lessons WHERE course_id = 1 AND is_published ORDER BY module_id, position$q$,
    ARRAY['lessons']);
SELECT pg_temp.check_index_use('course enrollment counts',
    $q$SELECT count(*) FILTER (WHERE status = 'active') FROM public.enrollments WHERE course_id = 1$q$,
    ARRAY['enrollments']);
SELECT pg_temp.check_index_use('a learner''s active courses',
    $q$SELECT course_id FROM public.enrollments WHERE user_id = 1 AND status = 'active' ORDER BY last_accessed_at DESC LIMIT 10$q$,
    ARRAY['enrollments']);
SELECT pg_temp.check_index_use('progress of a learner in a course',
    $q$SELECT count(*) FROM public.progress WHERE user_id = 1 AND course_id = 1 AND status = 'completed'$q$,
    ARRAY['progress']);
SELECT pg_temp.check_index_use('completions of a lesson',
    $q$SELECT count(*) FROM public.progress WHERE lesson_id = 1 AND status = 'completed'$q$,
    ARRAY['progress']);
SELECT pg_temp.check_index_use('events of a user, last 30 days',
    $q$SELECT count(*) FROM public.analytics_events WHERE user_id = 1 AND created_at >= now() - interval '30 days'$q$,
    ARRAY['analytics_events']);
SELECT pg_temp.check_index_use('events of a course, last 7 days',
    $q$SELECT count(DISTINCT user_id) FROM public.analytics_events WHERE course_id = 1 AND created_at >= now() - interval '7 days'$q$,
    ARRAY['analytics_events']);
SELECT pg_temp.check_index_use('events by jsonb containment (GIN)',
    $q$SELECT count(*) FROM public.analytics_events WHERE event_data @> '{"device": "tablet", "duration_ms": 1234}'$q$,
    ARRAY['analytics_events']);
SELECT pg_temp.check_index_use('learner summary view lookup',
    $q$SELECT * FROM public.mv_user_learning_summary WHERE user_id = 1$q$,
    ARRAY['mv_user_learning_summary']);
SELECT pg_temp.check_index_use('course performance view lookup',
    $q$SELECT * FROM public.mv_course_performance WHERE course_id = 1$q$,
    ARRAY['mv_course_performance']);

-- Partitioning -------------------------------------------------------------------------------
SELECT pg_temp.record('partitions', 'analytics_events is partitioned by range',
       EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'public.analytics_events'::regclass
               AND partstrat = 'r'), 'monthly range partitions on created_at');

DO $$
DECLARE
    v_month timestamptz;
    v_part  text;
    v_rels  text[];
    p       jsonb;
BEGIN
    -- The partition with the most recent data.
    SELECT b.partition::text, b.range_from INTO v_part, v_month
    FROM public.partition_bounds('public.analytics_events') b
    WHERE NOT b.is_default AND b.range_from <= (SELECT max(created_at) FROM public.analytics_events)
    ORDER BY b.range_from DESC LIMIT 1;
    IF v_part IS NULL THEN
        PERFORM pg_temp.record('partitions', 'one-month query touches one partition', false, 'no partition holds data');
        RETURN;
    END IF;
    p := pg_temp.plan(format('SELECT count(*), count(DISTINCT user_id) FROM public.analytics_events WHERE created_at >= %L AND created_at < %L',
                             v_month, public.kit_add_months(v_month, 1)));
    SELECT array_agg(DISTINCT n.rel) INTO v_rels FROM pg_temp.plan_nodes(p) n WHERE n.rel IS NOT NULL;
    PERFORM pg_temp.record('partitions', 'one-month query touches one partition',
        cardinality(v_rels) = 1 AND v_rels[1] = v_part,
        format('month %s: scanned %s', to_char(v_month AT TIME ZONE 'UTC', 'YYYY-MM'), array_to_string(v_rels, ', ')));

    p := pg_temp.plan($q$SELECT count(*) FROM public.analytics_events WHERE created_at >= now() - interval '7 days'$q$);
    PERFORM pg_temp.record('partitions', 'last-7-days query prunes at execution start',
        coalesce((SELECT sum(n.subplans_removed) FROM pg_temp.plan_nodes(p) n), 0) > 0,
        format('%s partitions removed before execution',
               coalesce((SELECT sum(n.subplans_removed) FROM pg_temp.plan_nodes(p) n), 0)));
END
$$;

SELECT pg_temp.record('partitions', 'future partitions exist',
       max(range_to) > public.kit_add_months(public.kit_month_start(now()), 1),
       'partitions reach ' || to_char(max(range_to) AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
FROM public.partition_bounds('public.analytics_events') WHERE NOT is_default;

SELECT pg_temp.record('partitions', 'default partition empty', n = 0,
       n || ' rows in analytics_events_default'
       || CASE WHEN n > 0 THEN ': partitions are not keeping up (run monthly_partition_maintenance)' ELSE '' END)
FROM (SELECT count(*) AS n FROM public.analytics_events_default) d;

-- Materialized views -----------------------------------------------------------------------------
SELECT pg_temp.record('views', v || ' populated, unique index',
       coalesce(f.is_populated AND f.can_refresh_concurrently, false),
       CASE WHEN f.view_name IS NULL THEN 'missing'
            ELSE format('populated %s, concurrent refresh %s', f.is_populated, f.can_refresh_concurrently) END)
FROM unnest(ARRAY['mv_user_learning_summary','mv_course_performance','mv_daily_platform_activity',
                  'mv_popular_courses','mv_organization_summary']) v
LEFT JOIN public.mv_freshness f ON f.schemaname = 'public' AND f.view_name = v;

SELECT pg_temp.record('views', 'refresh log written', count(*) > 0, count(*) || ' rows in mv_refresh_log')
FROM public.mv_refresh_log;

SELECT pg_temp.check_view_speed('course performance (all courses)',
    $q$SELECT c.id, e.n, e.completed, ev.events_30d, ev.learners_30d
       FROM public.courses c
       LEFT JOIN (SELECT course_id, count(*) AS n, count(*) FILTER (WHERE status = 'completed') AS completed
                  FROM public.enrollments GROUP BY course_id) e ON e.course_id = c.id
       LEFT JOIN (SELECT course_id, count(*) AS events_30d, count(DISTINCT user_id) AS learners_30d
                  FROM public.analytics_events
                  WHERE created_at >= now() - interval '30 days' AND course_id IS NOT NULL
                  GROUP BY course_id) ev ON ev.course_id = c.id$q$,
    $q$SELECT course_id, enrollments, completed_enrollments, events_30d, learners_30d FROM public.mv_course_performance$q$);

SELECT pg_temp.check_view_speed('daily activity (last 30 days)',
    $q$SELECT (created_at AT TIME ZONE 'UTC')::date, count(*), count(DISTINCT user_id)
       FROM public.analytics_events WHERE created_at >= now() - interval '30 days' GROUP BY 1$q$,
    $q$SELECT day, events, active_users FROM public.mv_daily_platform_activity
       WHERE day >= (now() - interval '30 days')::date$q$);

SELECT pg_temp.check_view_speed('learner summary (one learner)',
    $q$SELECT u.id, (SELECT count(*) FROM public.enrollments e WHERE e.user_id = u.id),
              (SELECT count(*) FROM public.progress p WHERE p.user_id = u.id AND p.status = 'completed'),
              (SELECT count(*) FROM public.analytics_events a WHERE a.user_id = u.id
                 AND a.created_at >= now() - interval '30 days')
       FROM public.users u WHERE u.id = 1$q$,
    $q$SELECT user_id, courses_enrolled, lessons_completed, events_30d FROM public.mv_user_learning_summary WHERE user_id = 1$q$);

-- Security constraints ------------------------------------------------------------------------------
SELECT pg_temp.record('security', 'NOT NULL ' || t || '.' || c,
       coalesce((SELECT a.attnotnull FROM pg_attribute a
                 WHERE a.attrelid = to_regclass('public.' || t) AND a.attname = c AND NOT a.attisdropped), false),
       'column must be NOT NULL')
FROM (VALUES ('users','email'), ('users','password_hash'), ('users','role'), ('users','is_active'),
             ('user_sessions','user_id'), ('user_sessions','token'), ('user_sessions','expires_at'),
             ('courses','title'), ('courses','status'), ('enrollments','user_id'), ('enrollments','course_id'),
             ('progress','user_id'), ('progress','lesson_id'), ('analytics_events','event_type'),
             ('analytics_events','created_at')) AS x(t, c);

SELECT pg_temp.record('security', 'unique e-mails', EXISTS (
           SELECT 1 FROM pg_index i
           WHERE i.indrelid = 'public.users'::regclass AND i.indisunique AND i.indpred IS NULL
             AND i.indnatts = 1
             AND i.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = 'public.users'::regclass AND attname = 'email')),
       'a unique index on users.email');

SELECT pg_temp.check_rejected('duplicate e-mail rejected',
    $s$INSERT INTO public.users (email, password_hash, first_name, last_name)
       SELECT email, password_hash, 'x', 'y' FROM public.users ORDER BY id LIMIT 1$s$, '23505');
SELECT pg_temp.check_rejected('e-mail differing only in case rejected',
    $s$INSERT INTO public.users (email, password_hash, first_name, last_name)
       SELECT upper(email), password_hash, 'x', 'y' FROM public.users ORDER BY id LIMIT 1$s$, '23514');
SELECT pg_temp.check_rejected('malformed e-mail rejected',
    $s$INSERT INTO public.users (email, password_hash, first_name, last_name)
       VALUES ('not-an-email', repeat('x', 60), 'x', 'y')$s$, '23514');
SELECT pg_temp.check_rejected('short password hash rejected',
    $s$INSERT INTO public.users (email, password_hash, first_name, last_name)
       VALUES ('kit-validation@example.com', 'plaintext', 'x', 'y')$s$, '23514');
SELECT pg_temp.check_rejected('missing password rejected',
    $s$INSERT INTO public.users (email, password_hash, first_name, last_name)
       VALUES ('kit-validation@example.com', NULL, 'x', 'y')$s$, '23502');
SELECT pg_temp.check_rejected('session expiring before creation rejected',
    $s$INSERT INTO public.user_sessions (user_id, token, created_at, expires_at)
       SELECT id, repeat('t', 64), now(), now() - interval '1 hour' FROM public.users ORDER BY id LIMIT 1$s$, '23514');
SELECT pg_temp.check_rejected('short session token rejected',
    $s$INSERT INTO public.user_sessions (user_id, token, expires_at)
       SELECT id, 'abc', now() + interval '1 day' FROM public.users ORDER BY id LIMIT 1$s$, '23514');
SELECT pg_temp.check_rejected('progress over 100 % rejected',
    $s$UPDATE public.enrollments SET progress_percentage = 150 WHERE id = (SELECT min(id) FROM public.enrollments)$s$, '23514');
SELECT pg_temp.check_rejected('completed enrollment without date rejected',
    $s$UPDATE public.enrollments SET status = 'completed', completed_at = NULL WHERE id = (SELECT min(id) FROM public.enrollments)$s$, '23514');
SELECT pg_temp.check_rejected('enrollment of unknown user rejected',
    $s$INSERT INTO public.enrollments (user_id, course_id) VALUES (-1, (SELECT min(id) FROM public.courses))$s$, '23503');
SELECT pg_temp.check_rejected('unknown event type rejected',
    $s$INSERT INTO public.analytics_events (user_id, event_type, created_at) VALUES (1, 'drop table', now())$s$, '23514');
SELECT pg_temp.check_rejected('course rating above 5 rejected',
    $s$UPDATE public.courses SET rating = 7 WHERE id = (SELECT min(id) FROM public.courses)$s$, '23514');

-- Verdict ------------------------------------------------------------------------------------------
\o

DO $$
DECLARE
    v_failed text;
BEGIN
    SELECT string_agg(format('  %s: %s (%s)', area, name, detail), E'\n' ORDER BY id) INTO v_failed
    FROM kit_check WHERE NOT ok;
    IF v_failed IS NOT NULL THEN
        RAISE EXCEPTION E'kit validation FAILED (% of % checks):\n%',
            (SELECT count(*) FROM kit_check WHERE NOT ok), (SELECT count(*) FROM kit_check), v_failed;
    END IF;
    RAISE NOTICE 'kit validation passed: % checks', (SELECT count(*) FROM kit_check);
END
$$;
