-- pgdeck SQL kit: deterministic data generator for the learning platform.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/kit/generate.sql                  (defines the functions)
--   SELECT generate_platform_data(1);                                   (scale 1, this month)
--   SELECT generate_platform_data(0.05, '2024-06-01');                  (pinned reference month)
--   SELECT generate_platform_data(1, p_replace => true);                (wipe and regenerate)
--
-- Scale works like pgbench -s (fractions allowed).  Scale 1 is about
--   200 organizations, 10,000 users, 20,000 sessions, 500 courses (~80 %
--   published), ~2,500 modules, ~10,000 lessons, 50,000 enrollments,
--   ~300,000 progress rows and 1,000,000 analytics events
-- and everything grows linearly with the scale.
--
-- Same scale + same reference month => byte-for-byte the same data: every
-- "random" value is a hash of (column seed, row number) through kit_rand(),
-- all rows are produced by set-returning SQL inside the server, ids are given
-- explicitly, and nothing depends on the clock except the default reference
-- month (the current UTC month).  kit_data_checksum() fingerprints the data.
--
-- Time: the analytics events cover the 18 calendar months that end with the
-- reference month (UTC), i.e. [reference - 17 months, reference + 1 month),
-- denser towards the end (event density grows linearly over the period, so
-- the last month holds ~11 % of them).  Enrollments cover the same period.
--
-- Skew: courses are picked with a power law (a few very popular courses),
-- 80 % of events come from 20 % of the users (ids 1 .. 20 % of users),
-- organizations are uneven in size.
--
-- Re-running without p_replace does nothing (NOTICE) when data is present,
-- so running the installer twice never duplicates rows.
--
-- Works on the benchmark baseline too (unpartitioned analytics_events): the
-- monthly partitions are only created when the table is partitioned.

SET client_min_messages = warning;

-- Uniform pseudo-random double in [0, 1) from (seed, i).  hashint8extended
-- is PostgreSQL's own 64-bit hash: stable, fast, no state.
CREATE OR REPLACE FUNCTION public.kit_rand(p_seed integer, p_i bigint)
RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT ((hashint8extended(p_i, p_seed) >> 11) & 9007199254740991)::float8 / 9007199254740992.0 $$;

-- Integer in [1, n] from (seed, i).
CREATE OR REPLACE FUNCTION public.kit_pick(p_seed integer, p_i bigint, p_n integer)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT 1 + floor(public.kit_rand(p_seed, p_i) * greatest(p_n, 1))::integer $$;

-- The row counts a scale produces (targets; enrollments can fall short at
-- tiny scales, where there are fewer distinct user/course pairs).
CREATE OR REPLACE FUNCTION public.kit_scale_sizes(p_scale numeric)
RETURNS TABLE (organizations integer, users integer, courses integer,
               enrollments integer, sessions integer, events bigint)
LANGUAGE sql IMMUTABLE STRICT AS
$$
    SELECT greatest(1, round(200 * p_scale))::integer,
           greatest(10, round(10000 * p_scale))::integer,
           greatest(2, round(500 * p_scale))::integer,
           greatest(10, round(50000 * p_scale))::integer,
           greatest(20, round(20000 * p_scale))::integer,
           greatest(100, round(1000000 * p_scale))::bigint
$$;

-- The generated period for a reference month: [start, end) = the 18 UTC
-- calendar months ending with the reference month (default: this month).
CREATE OR REPLACE FUNCTION public.kit_generation_period(p_reference date DEFAULT NULL)
RETURNS TABLE (reference date, period_start timestamptz, period_end timestamptz)
LANGUAGE sql STABLE AS
$$
    SELECT (m AT TIME ZONE 'UTC')::date,
           ((m AT TIME ZONE 'UTC') - interval '17 months') AT TIME ZONE 'UTC',
           ((m AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'
    FROM (SELECT date_trunc('month', coalesce(p_reference::timestamp, now() AT TIME ZONE 'UTC'))
                 AT TIME ZONE 'UTC' AS m) r
$$;

-- Course g's status (the generator's one rule, used for the courses and to
-- know which courses can have enrollments and events without reading them).
CREATE OR REPLACE FUNCTION public.kit_course_status(g bigint)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN g <= 2 OR public.kit_rand(49, g) < 0.8 THEN 'published'
               WHEN public.kit_rand(49, g) < 0.92 THEN 'draft'
               ELSE 'archived' END $$;

-- Ids of the courses that are not drafts, in order.
CREATE OR REPLACE FUNCTION public.kit_visible_courses(p_scale numeric)
RETURNS bigint[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY(SELECT g FROM generate_series(1::bigint, (SELECT courses FROM public.kit_scale_sizes(p_scale))) g
                WHERE public.kit_course_status(g) <> 'draft' ORDER BY g) $$;

-- Creates the monthly partitions the generated period needs (when
-- analytics_events is partitioned; nothing on the benchmark baseline).
CREATE OR REPLACE FUNCTION public.kit_generation_partitions(p_reference date DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql AS
$$
DECLARE
    v record;
    n integer := 0;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class WHERE oid = 'public.analytics_events'::regclass AND relkind = 'p') THEN
        SELECT * INTO v FROM public.kit_generation_period(p_reference);
        SELECT count(*) INTO n
        FROM public.create_monthly_partitions('public.analytics_events', v.period_start, v.period_end);
    END IF;
    RETURN n;
END
$$;

-- The analytics events, or the p_part-th of p_parts contiguous slices of
-- them (sql/kit/generate.sh loads the slices from parallel sessions while
-- generate_platform_data(p_events => false) loads the rest).  Every event
-- depends only on its id, so the slicing does not change the data.  The
-- partitions must exist (kit_generation_partitions).
CREATE OR REPLACE FUNCTION public.generate_platform_events(
    p_scale numeric, p_reference date DEFAULT NULL, p_part integer DEFAULT 1, p_parts integer DEFAULT 1)
RETURNS bigint
LANGUAGE plpgsql
SET jit = off
AS
$$
DECLARE
    per     record;
    sz      record;
    v_span  double precision;
    v_pub   bigint[] := public.kit_visible_courses(p_scale);
    v_npub  integer;
    v_power integer;
    v_lo    bigint;
    v_hi    bigint;
    v_n     bigint;
    v_topics text[] := ARRAY['Python','JavaScript','SQL','PostgreSQL','React','Machine Learning',
        'Statistics','Docker','Kubernetes','AWS','Excel','Leadership','Figma','SEO','Rust','Go',
        'Java','TypeScript','Linux','Git','Web Security','Testing','API Design','Pandas',
        'Deep Learning','Product Management','Agile','Communication','Finance','Accessibility'];
BEGIN
    IF p_parts < 1 OR p_part < 1 OR p_part > p_parts THEN
        RAISE EXCEPTION 'part % of % is not a valid slice', p_part, p_parts;
    END IF;
    SELECT * INTO per FROM public.kit_generation_period(p_reference);
    SELECT * INTO sz FROM public.kit_scale_sizes(p_scale);
    v_span  := extract(epoch FROM per.period_end - per.period_start);
    v_npub  := cardinality(v_pub);
    v_power := greatest(1, sz.users / 5);
    v_lo := (sz.events * (p_part - 1)) / p_parts + 1;
    v_hi := (sz.events * p_part) / p_parts;

    INSERT INTO public.analytics_events (id, user_id, course_id, event_type, event_data, created_at)
    SELECT g,
           CASE WHEN public.kit_rand(81, g) < 0.8 THEN public.kit_pick(82, g, v_power)
                ELSE public.kit_pick(82, g, sz.users) END,
           CASE WHEN et.t IN ('login', 'search') OR (et.t = 'page_view' AND public.kit_rand(83, g) < 0.5) THEN NULL
                ELSE v_pub[1 + floor(v_npub * power(public.kit_rand(84, g), 2.5))::int] END,
           et.t,
           jsonb_build_object('device', CASE public.kit_pick(85, g, 5) WHEN 1 THEN 'desktop' WHEN 2 THEN 'desktop'
                                                                       WHEN 3 THEN 'mobile' WHEN 4 THEN 'mobile' ELSE 'tablet' END,
                              'duration_ms', floor(30000 * public.kit_rand(86, g))::int)
             || CASE et.t WHEN 'search' THEN jsonb_build_object('query', lower(v_topics[public.kit_pick(87, g, 30)]))
                          WHEN 'quiz_submit' THEN jsonb_build_object('score', public.kit_pick(87, g, 100))
                          WHEN 'video_play' THEN jsonb_build_object('position_s', public.kit_pick(87, g, 1200))
                          ELSE '{}'::jsonb END,
           per.period_start + make_interval(secs => v_span * sqrt(public.kit_rand(88, g)))
    FROM generate_series(v_lo, v_hi) g
    CROSS JOIN LATERAL (SELECT CASE WHEN r < 0.40 THEN 'page_view'
                                    WHEN r < 0.52 THEN 'video_play'
                                    WHEN r < 0.67 THEN 'lesson_start'
                                    WHEN r < 0.77 THEN 'lesson_complete'
                                    WHEN r < 0.85 THEN 'search'
                                    WHEN r < 0.92 THEN 'login'
                                    WHEN r < 0.97 THEN 'quiz_submit'
                                    ELSE 'enroll' END AS t
                        FROM (SELECT public.kit_rand(80, g) AS r) rr) et;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

-- Row counts of the platform tables; identity sequences moved past the
-- generated ids; written to the latest kit_generation_log row.
CREATE OR REPLACE FUNCTION public.kit_generation_finish()
RETURNS jsonb
LANGUAGE plpgsql AS
$$
DECLARE
    v_counts jsonb;
    v_id     bigint;
BEGIN
    PERFORM setval(pg_get_serial_sequence('public.' || t, 'id'),
                   greatest(coalesce(mx, 0), 1), mx IS NOT NULL)
    FROM (VALUES ('organizations', (SELECT max(id) FROM public.organizations)),
                 ('users',         (SELECT max(id) FROM public.users)),
                 ('user_sessions', (SELECT max(id) FROM public.user_sessions)),
                 ('courses',       (SELECT max(id) FROM public.courses)),
                 ('modules',       (SELECT max(id) FROM public.modules)),
                 ('lessons',       (SELECT max(id) FROM public.lessons)),
                 ('enrollments',   (SELECT max(id) FROM public.enrollments)),
                 ('progress',      (SELECT max(id) FROM public.progress)),
                 ('analytics_events', (SELECT max(id) FROM public.analytics_events))) AS s(t, mx);

    SELECT id INTO v_id FROM public.kit_generation_log ORDER BY id DESC LIMIT 1;
    SELECT jsonb_build_object(
        'scale', l.scale, 'reference', to_char(l.reference, 'YYYY-MM-DD'),
        'organizations', (SELECT count(*) FROM public.organizations),
        'users',         (SELECT count(*) FROM public.users),
        'user_sessions', (SELECT count(*) FROM public.user_sessions),
        'courses',       (SELECT count(*) FROM public.courses),
        'modules',       (SELECT count(*) FROM public.modules),
        'lessons',       (SELECT count(*) FROM public.lessons),
        'enrollments',   (SELECT count(*) FROM public.enrollments),
        'progress',      (SELECT count(*) FROM public.progress),
        'analytics_events', (SELECT count(*) FROM public.analytics_events))
    INTO v_counts
    FROM public.kit_generation_log l WHERE l.id = v_id;

    UPDATE public.kit_generation_log SET finished_at = clock_timestamp(), row_counts = v_counts
    WHERE id = v_id;
    RETURN v_counts;
END
$$;

CREATE OR REPLACE FUNCTION public.generate_platform_data(
    p_scale     numeric DEFAULT 1,
    p_reference date    DEFAULT NULL,
    p_replace   boolean DEFAULT false,
    p_events    boolean DEFAULT true)
RETURNS jsonb
LANGUAGE plpgsql
SET jit = off                  -- generate_series() row estimates make every query "expensive"
SET work_mem = '64MB'
AS
$$
DECLARE
    v_ref     timestamptz;     -- first instant of the reference month (UTC)
    v_end     timestamptz;     -- end of the generated period (exclusive)
    v_start   timestamptz;     -- v_end - 18 months
    v_span    double precision;
    sz        record;
    v_pub     bigint[];
    v_npub    integer;
    v_ninstr  integer;
    v_power   integer;
    v_counts  jsonb;
    v_logid   bigint;
    v_fks     record;
    v_fkdefs  text[] := '{}';
    v_sql     text;
    v_topics  text[] := ARRAY['Python','JavaScript','SQL','PostgreSQL','React','Machine Learning',
        'Statistics','Docker','Kubernetes','AWS','Excel','Leadership','Figma','SEO','Rust','Go',
        'Java','TypeScript','Linux','Git','Web Security','Testing','API Design','Pandas',
        'Deep Learning','Product Management','Agile','Communication','Finance','Accessibility'];
    v_tags    text[] := ARRAY['python','javascript','sql','postgresql','react','machine-learning',
        'statistics','docker','kubernetes','aws','excel','leadership','figma','seo','rust','go',
        'java','typescript','linux','git','security','testing','api','pandas','deep-learning',
        'product','agile','communication','finance','accessibility'];
    v_tcat    text[] := ARRAY['programming','web-development','data','data','web-development','ai-ml',
        'data','devops','devops','cloud','business','soft-skills','design','marketing','programming',
        'programming','programming','web-development','devops','devops','security','programming',
        'web-development','data','ai-ml','business','business','soft-skills','business','design'];
    v_adj     text[] := ARRAY['Practical','Complete','Modern','Hands-on','Advanced','Essential',
        'Applied','Introduction to'];
    v_noun    text[] := ARRAY['Bootcamp','Fundamentals','Masterclass','for Beginners','in Practice',
        'Deep Dive','Crash Course','Workshop'];
    v_concept text[] := ARRAY['variables','functions','loops','data structures','indexes','queries',
        'joins','transactions','components','state management','hooks','testing strategies',
        'deployment','containers','networking','authentication','authorization','performance tuning',
        'debugging','refactoring','design patterns','visualization','regression','classification',
        'neural networks','pipelines','monitoring','logging','caching','scaling','budgets',
        'negotiation','presentations','user research','prototyping','accessibility audits',
        'keyword research','analytics','automation','security reviews'];
    v_verb    text[] := ARRAY['Introduction to','Working with','Understanding','Building',
        'Debugging','Optimizing','Testing','Deploying','Designing','Exploring'];
    v_first   text[] := ARRAY['Ada','Alan','Grace','Linus','Margaret','Dennis','Barbara','Ken',
        'Frances','Edsger','Radia','Tim','Anita','Guido','Sophie','Bjarne','Hedy','James','Karen','Niklaus'];
    v_last    text[] := ARRAY['Lovelace','Turing','Hopper','Torvalds','Hamilton','Ritchie','Liskov',
        'Thompson','Allen','Dijkstra','Perlman','Lee','Borg','Rossum','Wilson','Stroustrup','Lamarr',
        'Gosling','Jones','Wirth'];
BEGIN
    IF p_scale IS NULL OR p_scale <= 0 THEN
        RAISE EXCEPTION 'scale must be > 0 (got %)', p_scale;
    END IF;

    -- (With p_events => false, sql/kit/generate.sh loads the events from
    -- other sessions at the same time: only the users decide.)
    IF EXISTS (SELECT 1 FROM public.users)
       OR (p_events AND EXISTS (SELECT 1 FROM public.analytics_events)) THEN
        IF NOT p_replace THEN
            SELECT row_counts INTO v_counts FROM public.kit_generation_log
            WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1;
            RAISE NOTICE 'platform data already present: nothing generated (use p_replace => true to regenerate)';
            RETURN coalesce(v_counts, '{}'::jsonb) || jsonb_build_object('skipped', true);
        END IF;
        TRUNCATE public.analytics_events, public.progress, public.enrollments, public.lessons,
                 public.modules, public.courses, public.user_sessions, public.users,
                 public.organizations RESTART IDENTITY;
    END IF;

    SELECT reference::timestamp AT TIME ZONE 'UTC', period_start, period_end INTO v_ref, v_start, v_end
    FROM public.kit_generation_period(p_reference);
    v_span  := extract(epoch FROM v_end - v_start);
    SELECT * INTO sz FROM public.kit_scale_sizes(p_scale);

    INSERT INTO public.kit_generation_log (scale, reference) VALUES (p_scale, v_ref AT TIME ZONE 'UTC')
    RETURNING id INTO v_logid;

    -- Monthly partitions for the generated period (kit only).
    PERFORM public.kit_generation_partitions(p_reference);

    -- Bulk-load practice (as pg_dump does): drop the foreign keys between
    -- the platform tables for the load and re-add them afterwards, which
    -- validates each one with a single join instead of a lookup per row.
    -- All in this one transaction: on any error everything rolls back.
    FOR v_fks IN
        SELECT con.conname, con.conrelid::regclass AS tbl, pg_get_constraintdef(con.oid) AS def
        FROM pg_constraint con
        WHERE con.contype = 'f'
          AND con.conrelid IN ('public.users'::regclass, 'public.user_sessions'::regclass,
                               'public.courses'::regclass, 'public.modules'::regclass,
                               'public.lessons'::regclass, 'public.enrollments'::regclass,
                               'public.progress'::regclass)
        ORDER BY con.conrelid, con.conname
    LOOP
        v_fkdefs := v_fkdefs || format('ALTER TABLE %s ADD CONSTRAINT %I %s', v_fks.tbl, v_fks.conname, v_fks.def);
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', v_fks.tbl, v_fks.conname);
    END LOOP;

    -- Organizations --------------------------------------------------------
    INSERT INTO public.organizations (id, name, slug, plan, is_active, settings, created_at)
    SELECT g,
           'Organization ' || g,
           'org-' || g,
           (ARRAY['free','team','business','enterprise'])[1 + floor(4 * power(public.kit_rand(1, g), 1.5))::int],
           public.kit_rand(2, g) >= 0.03,
           jsonb_build_object('sso', public.kit_rand(3, g) < 0.3,
                              'seats', 10 * public.kit_pick(4, g, 50),
                              'region', (ARRAY['eu','us','apac'])[public.kit_pick(5, g, 3)]),
           v_end - make_interval(secs => v_span * 2 * public.kit_rand(6, g))
    FROM generate_series(1, sz.organizations) g;

    -- Users: every 12th is an instructor, every 50th (from 1) an admin ---------
    INSERT INTO public.users (id, organization_id, email, password_hash, first_name, last_name,
                              role, is_active, email_verified, created_at, updated_at, last_login_at)
    SELECT g,
           CASE WHEN public.kit_rand(11, g) < 0.1 THEN NULL
                ELSE 1 + floor(sz.organizations * power(public.kit_rand(12, g), 2))::bigint END,
           'user' || g || '@example.com',
           '$2b$10$' || md5('password' || g) || md5('salt' || g),
           v_first[public.kit_pick(13, g, 20)],
           v_last[public.kit_pick(14, g, 20)],
           CASE WHEN g % 50 = 1 THEN 'admin' WHEN g % 12 = 0 THEN 'instructor' ELSE 'student' END,
           public.kit_rand(15, g) >= 0.05,
           public.kit_rand(16, g) < 0.85,
           c.created,
           c.created,
           CASE WHEN public.kit_rand(17, g) < 0.8
                THEN v_end - make_interval(secs => 86400 * 60 * public.kit_rand(18, g)) END
    FROM generate_series(1, sz.users) g
    CROSS JOIN LATERAL (SELECT v_end - make_interval(secs => v_span * 2 * (1 - (g - 1)::float8 / sz.users)
                                                           + 86400 * public.kit_rand(19, g)) AS created) c;

    v_ninstr := sz.users / 12;

    -- Sessions: two per user on average -----------------------------------
    INSERT INTO public.user_sessions (id, user_id, token, created_at, expires_at, last_seen_at,
                                      revoked_at, ip_address, user_agent)
    SELECT g,
           public.kit_pick(21, g, sz.users),
           md5('session-a-' || g) || md5('session-b-' || g),
           s.created,
           s.created + CASE WHEN public.kit_rand(22, g) < 0.3 THEN interval '30 days' ELSE interval '1 day' END,
           s.created + make_interval(secs => 3600 * public.kit_rand(23, g)),
           CASE WHEN public.kit_rand(24, g) < 0.1 THEN s.created + interval '2 hours' END,
           ('10.' || public.kit_pick(25, g, 250) || '.' || public.kit_pick(26, g, 250) || '.' || public.kit_pick(27, g, 250))::inet,
           (ARRAY['Mozilla/5.0 (X11; Linux x86_64)','Mozilla/5.0 (Macintosh)','Mozilla/5.0 (iPhone)',
                  'Mozilla/5.0 (Windows NT 10.0)','LearnApp/3.2 Android'])[public.kit_pick(28, g, 5)]
    FROM generate_series(1, sz.sessions) g
    CROSS JOIN LATERAL (SELECT v_end - make_interval(secs => 86400 * 90 * public.kit_rand(29, g)) AS created) s;

    -- Courses --------------------------------------------------------------
    INSERT INTO public.courses (id, organization_id, instructor_id, title, slug, description, category,
                                difficulty, status, tags, price, duration_minutes, rating, rating_count,
                                created_at, updated_at, published_at)
    SELECT g,
           CASE WHEN public.kit_rand(31, g) < 0.5 THEN NULL ELSE public.kit_pick(32, g, sz.organizations) END,
           CASE WHEN v_ninstr > 0 THEN 12 * public.kit_pick(33, g, v_ninstr) END,
           v_adj[public.kit_pick(34, g, 8)] || ' ' || v_topics[t.t] || ' ' || v_noun[public.kit_pick(35, g, 8)],
           'course-' || g,
           'Learn ' || v_topics[t.t] || ' through ' || public.kit_pick(36, g, 12) || ' hands-on projects. '
             || 'Covers ' || v_concept[public.kit_pick(37, g, 40)] || ', ' || v_concept[public.kit_pick(38, g, 40)]
             || ' and ' || v_concept[public.kit_pick(39, g, 40)] || ' with real-world examples. '
             || 'Ideal for ' || (ARRAY['beginners','working professionals','students','team leads',
                                       'career changers'])[public.kit_pick(40, g, 5)] || '.',
           v_tcat[t.t],
           (ARRAY['beginner','intermediate','advanced'])[1 + floor(3 * power(public.kit_rand(41, g), 1.3))::int],
           st.status,
           ARRAY(SELECT DISTINCT v_tags[x] FROM unnest(ARRAY[t.t, public.kit_pick(42, g, 30),
                                                     public.kit_pick(43, g, 30)]) AS x
                 ORDER BY 1),
           CASE WHEN public.kit_rand(44, g) < 0.3 THEN 0 ELSE round((19 + 180 * public.kit_rand(45, g))::numeric, 2) END,
           60 * public.kit_pick(46, g, 40),
           CASE WHEN st.status <> 'draft' THEN round((3 + 2 * public.kit_rand(47, g))::numeric, 2) END,
           CASE WHEN st.status <> 'draft' THEN public.kit_pick(48, g, 2000) ELSE 0 END,
           cr.created,
           cr.created + interval '3 days',
           CASE WHEN st.status <> 'draft' THEN cr.created + interval '7 days' END
    FROM generate_series(1, sz.courses) g
    CROSS JOIN LATERAL (SELECT public.kit_pick(30, g, 30) AS t) t
    CROSS JOIN LATERAL (SELECT public.kit_course_status(g) AS status) st
    CROSS JOIN LATERAL (SELECT v_start - interval '6 months'
                               + make_interval(secs => v_span * 1.2 * public.kit_rand(50, g)) AS created) cr;

    -- Modules (3-7 per course) and lessons (2-6 per module) -----------------
    INSERT INTO public.modules (id, course_id, title, position, created_at)
    SELECT row_number() OVER (ORDER BY c.id, p), c.id,
           'Module ' || p || ': ' || initcap(v_concept[public.kit_pick(51, c.id * 16 + p, 40)]),
           p, c.created_at
    FROM public.courses c
    CROSS JOIN LATERAL generate_series(1, 2 + public.kit_pick(52, c.id, 5)) p;

    INSERT INTO public.lessons (id, module_id, course_id, title, content_type, position,
                                duration_minutes, is_published, is_free_preview, created_at)
    SELECT row_number() OVER (ORDER BY m.id, p), m.id, m.course_id,
           v_verb[public.kit_pick(53, m.id * 8 + p, 10)] || ' '
             || v_concept[public.kit_pick(54, m.id * 8 + p, 40)] || ' in '
             || v_topics[public.kit_pick(30, m.course_id, 30)],
           (ARRAY['video','video','video','text','quiz','exercise'])[public.kit_pick(55, m.id * 8 + p, 6)],
           p,
           public.kit_pick(56, m.id * 8 + p, 30),
           public.kit_rand(57, m.id * 8 + p) >= 0.03,
           m.position = 1 AND p = 1,
           m.created_at
    FROM public.modules m
    CROSS JOIN LATERAL generate_series(1, 1 + public.kit_pick(58, m.id, 5)) p;

    CREATE TEMP TABLE kit_course_lessons ON COMMIT DROP AS
        SELECT course_id, min(id) AS first_id, count(*)::integer AS n
        FROM public.lessons GROUP BY course_id;
    CREATE UNIQUE INDEX ON kit_course_lessons (course_id);

    -- Enrollments: skewed users and (non-draft) courses, distinct pairs ------
    v_pub  := public.kit_visible_courses(p_scale);
    v_npub := cardinality(v_pub);
    v_power := greatest(1, sz.users / 5);

    INSERT INTO public.enrollments (id, user_id, course_id, status, progress_percentage,
                                    enrolled_at, completed_at, last_accessed_at)
    SELECT row_number() OVER (ORDER BY d.i), d.u, d.c, s.status,
           CASE s.status WHEN 'completed' THEN 100
                         WHEN 'active'    THEN floor(95 * public.kit_rand(64, d.i))
                         WHEN 'dropped'   THEN floor(40 * public.kit_rand(64, d.i))
                         ELSE                  floor(60 * public.kit_rand(64, d.i)) END,
           t.enrolled,
           CASE WHEN s.status = 'completed'
                THEN least(t.enrolled + make_interval(secs => 86400 * 60 * public.kit_rand(65, d.i)),
                           v_end - interval '1 second') END,
           t.enrolled + (v_end - t.enrolled) * public.kit_rand(66, d.i)
    FROM (
        SELECT i, u, c FROM (
            SELECT DISTINCT ON (u, c) i, u, c
            FROM (SELECT i,
                         CASE WHEN public.kit_rand(60, i) < 0.5
                              THEN public.kit_pick(61, i, v_power)
                              ELSE public.kit_pick(61, i, sz.users) END::bigint AS u,
                         v_pub[1 + floor(v_npub * power(public.kit_rand(62, i), 2.5))::int] AS c
                  FROM generate_series(1, sz.enrollments * 3) i) cand
            ORDER BY u, c, i) dd
        ORDER BY i
        LIMIT sz.enrollments) d
    CROSS JOIN LATERAL (SELECT CASE WHEN public.kit_rand(63, d.i) < 0.25 THEN 'completed'
                                    WHEN public.kit_rand(63, d.i) < 0.85 THEN 'active'
                                    WHEN public.kit_rand(63, d.i) < 0.95 THEN 'dropped'
                                    ELSE 'paused' END AS status) s
    CROSS JOIN LATERAL (SELECT v_start + make_interval(secs => v_span * sqrt(public.kit_rand(67, d.i))) AS enrolled) t;

    UPDATE public.courses c SET enrollment_count = e.n
    FROM (SELECT course_id, count(*) AS n FROM public.enrollments GROUP BY course_id) e
    WHERE e.course_id = c.id;

    -- Progress: the first k lessons of the course completed (k from the
    -- enrollment's progress), plus the next one in progress for active and
    -- paused enrollments.
    INSERT INTO public.progress (id, user_id, lesson_id, course_id, status, completion_percentage,
                                 time_spent_seconds, score, started_at, completed_at, updated_at)
    SELECT row_number() OVER (ORDER BY e.id, j), e.user_id, cl.first_id + j, e.course_id,
           CASE WHEN j < k.k THEN 'completed' ELSE 'in_progress' END,
           CASE WHEN j < k.k THEN 100 ELSE floor(99 * public.kit_rand(71, e.id)) END,
           60 + floor(1800 * public.kit_rand(72, e.id * 64 + j))::int,
           CASE WHEN j < k.k AND public.kit_rand(73, e.id * 64 + j) < 0.3
                THEN round((50 + 50 * public.kit_rand(74, e.id * 64 + j))::numeric, 2) END,
           e.enrolled_at + make_interval(secs => 3600 * j),
           CASE WHEN j < k.k THEN e.enrolled_at + make_interval(secs => 3600 * j + 1800) END,
           e.enrolled_at + make_interval(secs => 3600 * j + 1800)
    FROM public.enrollments e
    JOIN kit_course_lessons cl ON cl.course_id = e.course_id
    CROSS JOIN LATERAL (SELECT CASE WHEN e.status = 'completed' THEN cl.n
                                    ELSE least(cl.n, floor(e.progress_percentage / 100.0 * cl.n)::int) END AS k) k
    CROSS JOIN LATERAL generate_series(0, least(cl.n, k.k + CASE WHEN e.status IN ('active', 'paused') THEN 1 ELSE 0 END) - 1) j;

    -- Analytics events ------------------------------------------------------
    IF p_events THEN
        PERFORM public.generate_platform_events(p_scale, p_reference);
    END IF;

    FOREACH v_sql IN ARRAY v_fkdefs LOOP
        EXECUTE v_sql;
    END LOOP;

    v_counts := public.kit_generation_finish();

    ANALYZE public.organizations, public.users, public.user_sessions, public.courses, public.modules,
            public.lessons, public.enrollments, public.progress;
    IF p_events THEN
        ANALYZE public.analytics_events;
    END IF;
    RETURN v_counts;
END
$$;

-- A fingerprint of the generated data: per table, the row count and the sum
-- of 64-bit hashes of every row's text (order-independent, so it does not
-- depend on physical order; timestamps are rendered in UTC).
CREATE OR REPLACE FUNCTION public.kit_data_checksum()
RETURNS text
LANGUAGE plpgsql AS
$$
DECLARE
    t   text;
    v   text;
    acc text := '';
BEGIN
    PERFORM set_config('TimeZone', 'UTC', true);
    FOREACH t IN ARRAY ARRAY['organizations','users','user_sessions','courses','modules','lessons',
                             'enrollments','progress','analytics_events'] LOOP
        EXECUTE format('SELECT count(*) || '':'' || coalesce(sum(hashtextextended(x::text, 0)::numeric), 0) FROM public.%I x', t)
            INTO v;
        acc := acc || t || '=' || v || ';';
    END LOOP;
    RETURN md5(acc);
END
$$;
