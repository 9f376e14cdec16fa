-- pgdeck SQL kit: materialized views for analytics, and their refresh log.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/kit/views.sql      (after schema.sql)
--
-- Views (each has the UNIQUE index REFRESH ... CONCURRENTLY requires):
--   mv_user_learning_summary     one row per user, with an engagement score
--   mv_course_performance        one row per course
--   mv_daily_platform_activity   one row per UTC day with events
--   mv_popular_courses           published courses ranked by recent popularity
--   mv_organization_summary      one row per organization
--
-- Windows such as "last 30 days" are relative to the time of the refresh.
--
-- PostgreSQL records no refresh time, so the kit keeps mv_refresh_log:
--   * refresh_all_analytics_views() / refresh_analytics_view() (maintenance.sql)
--     write one row per refresh, source = 'function';
--   * the event trigger kit_mv_refresh_log (ON ddl_command_end, tag REFRESH
--     MATERIALIZED VIEW) writes a row for every other refresh, whoever runs it,
--     source = 'event_trigger'.  The functions set kit.refresh_source =
--     'function' around their own refreshes, and the trigger skips those, so
--     nothing is logged twice.  Creating an event trigger needs a superuser:
--     when this file is run by anyone else the trigger is skipped with a
--     NOTICE, and only the functions' refreshes are logged.

SET client_min_messages = warning;

-- Views ------------------------------------------------------------------------

CREATE MATERIALIZED VIEW IF NOT EXISTS public.mv_user_learning_summary AS
SELECT u.id                                       AS user_id,
       u.organization_id,
       u.role,
       u.is_active,
       coalesce(e.courses_enrolled, 0)            AS courses_enrolled,
       coalesce(e.courses_completed, 0)           AS courses_completed,
       coalesce(e.courses_active, 0)              AS courses_active,
       coalesce(e.avg_progress, 0)                AS avg_progress,
       coalesce(p.lessons_completed, 0)           AS lessons_completed,
       coalesce(p.time_spent_seconds, 0)          AS time_spent_seconds,
       coalesce(ev.events_30d, 0)                 AS events_30d,
       greatest(e.last_accessed_at, ev.last_event_at) AS last_activity_at,
       -- 0..100: a quarter each for completed courses (3 = full marks),
       -- average progress, lessons completed (50) and activity (30 events in
       -- the last 30 days).
       round((25 * least(1, coalesce(e.courses_completed, 0) / 3.0)
            + 25 * coalesce(e.avg_progress, 0) / 100.0
            + 25 * least(1, coalesce(p.lessons_completed, 0) / 50.0)
            + 25 * least(1, coalesce(ev.events_30d, 0) / 30.0))::numeric, 2) AS engagement_score
FROM public.users u
LEFT JOIN (SELECT user_id,
                  count(*)                                    AS courses_enrolled,
                  count(*) FILTER (WHERE status = 'completed') AS courses_completed,
                  count(*) FILTER (WHERE status = 'active')    AS courses_active,
                  round(avg(progress_percentage), 2)          AS avg_progress,
                  max(last_accessed_at)                       AS last_accessed_at
           FROM public.enrollments GROUP BY user_id) e ON e.user_id = u.id
LEFT JOIN (SELECT user_id,
                  count(*) FILTER (WHERE status = 'completed') AS lessons_completed,
                  sum(time_spent_seconds)                     AS time_spent_seconds
           FROM public.progress GROUP BY user_id) p ON p.user_id = u.id
LEFT JOIN (SELECT user_id, count(*) AS events_30d, max(created_at) AS last_event_at
           FROM public.analytics_events
           WHERE created_at >= now() - interval '30 days'
           GROUP BY user_id) ev ON ev.user_id = u.id;

CREATE UNIQUE INDEX IF NOT EXISTS mv_user_learning_summary_user_id
    ON public.mv_user_learning_summary (user_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS public.mv_course_performance AS
SELECT c.id                                  AS course_id,
       c.title,
       c.category,
       c.difficulty,
       c.status,
       c.instructor_id,
       c.rating,
       coalesce(l.lessons, 0)                AS lessons,
       coalesce(e.enrollments, 0)            AS enrollments,
       coalesce(e.active, 0)                 AS active_enrollments,
       coalesce(e.completed, 0)              AS completed_enrollments,
       coalesce(e.dropped, 0)                AS dropped_enrollments,
       round(100.0 * e.completed / nullif(e.enrollments, 0), 2) AS completion_rate,
       coalesce(e.avg_progress, 0)           AS avg_progress,
       coalesce(ev.events_30d, 0)            AS events_30d,
       coalesce(ev.learners_30d, 0)          AS learners_30d
FROM public.courses c
LEFT JOIN (SELECT course_id, count(*) AS lessons FROM public.lessons GROUP BY course_id) l
       ON l.course_id = c.id
LEFT JOIN (SELECT course_id,
                  count(*)                                    AS enrollments,
                  count(*) FILTER (WHERE status = 'active')    AS active,
                  count(*) FILTER (WHERE status = 'completed') AS completed,
                  count(*) FILTER (WHERE status = 'dropped')   AS dropped,
                  round(avg(progress_percentage), 2)          AS avg_progress
           FROM public.enrollments GROUP BY course_id) e ON e.course_id = c.id
LEFT JOIN (SELECT course_id, count(*) AS events_30d, count(DISTINCT user_id) AS learners_30d
           FROM public.analytics_events
           WHERE created_at >= now() - interval '30 days' AND course_id IS NOT NULL
           GROUP BY course_id) ev ON ev.course_id = c.id;

CREATE UNIQUE INDEX IF NOT EXISTS mv_course_performance_course_id
    ON public.mv_course_performance (course_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS public.mv_daily_platform_activity AS
SELECT coalesce(ev.day, en.day)               AS day,
       coalesce(ev.events, 0)                 AS events,
       coalesce(ev.active_users, 0)           AS active_users,
       coalesce(ev.page_views, 0)             AS page_views,
       coalesce(ev.logins, 0)                 AS logins,
       coalesce(ev.searches, 0)               AS searches,
       coalesce(ev.video_plays, 0)            AS video_plays,
       coalesce(ev.lesson_completions, 0)     AS lesson_completions,
       coalesce(ev.quiz_submissions, 0)       AS quiz_submissions,
       coalesce(en.new_enrollments, 0)        AS new_enrollments
FROM (SELECT (created_at AT TIME ZONE 'UTC')::date                  AS day,
             count(*)                                              AS events,
             count(DISTINCT user_id)                               AS active_users,
             count(*) FILTER (WHERE event_type = 'page_view')       AS page_views,
             count(*) FILTER (WHERE event_type = 'login')           AS logins,
             count(*) FILTER (WHERE event_type = 'search')          AS searches,
             count(*) FILTER (WHERE event_type = 'video_play')      AS video_plays,
             count(*) FILTER (WHERE event_type = 'lesson_complete') AS lesson_completions,
             count(*) FILTER (WHERE event_type = 'quiz_submit')     AS quiz_submissions
      FROM public.analytics_events GROUP BY 1) ev
FULL JOIN (SELECT (enrolled_at AT TIME ZONE 'UTC')::date AS day, count(*) AS new_enrollments
           FROM public.enrollments GROUP BY 1) en ON en.day = ev.day;

CREATE UNIQUE INDEX IF NOT EXISTS mv_daily_platform_activity_day
    ON public.mv_daily_platform_activity (day);

CREATE MATERIALIZED VIEW IF NOT EXISTS public.mv_popular_courses AS
SELECT s.*,
       row_number() OVER (ORDER BY s.popularity_score DESC, s.course_id)                       AS popularity_rank,
       row_number() OVER (PARTITION BY s.category ORDER BY s.popularity_score DESC, s.course_id) AS category_rank
FROM (SELECT c.id                              AS course_id,
             c.title,
             c.category,
             c.difficulty,
             c.rating,
             c.enrollment_count                AS enrollments_total,
             coalesce(r.enrollments_30d, 0)    AS enrollments_30d,
             coalesce(a.learners_30d, 0)       AS learners_30d,
             round((3 * coalesce(r.enrollments_30d, 0) + coalesce(a.learners_30d, 0)
                    + 10 * coalesce(c.rating, 0))::numeric, 2) AS popularity_score
      FROM public.courses c
      LEFT JOIN (SELECT course_id, count(*) AS enrollments_30d
                 FROM public.enrollments
                 WHERE enrolled_at >= now() - interval '30 days'
                 GROUP BY course_id) r ON r.course_id = c.id
      LEFT JOIN (SELECT course_id, count(DISTINCT user_id) AS learners_30d
                 FROM public.analytics_events
                 WHERE created_at >= now() - interval '30 days' AND course_id IS NOT NULL
                 GROUP BY course_id) a ON a.course_id = c.id
      WHERE c.status = 'published') s;

CREATE UNIQUE INDEX IF NOT EXISTS mv_popular_courses_course_id
    ON public.mv_popular_courses (course_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS public.mv_organization_summary AS
SELECT o.id                                                   AS organization_id,
       o.name,
       o.plan,
       o.is_active,
       count(u.id)                                            AS users,
       count(u.id) FILTER (WHERE u.is_active)                 AS active_users,
       count(u.id) FILTER (WHERE u.last_login_at >= now() - interval '30 days') AS users_seen_30d,
       coalesce(sum(e.enrollments), 0)                        AS enrollments,
       coalesce(sum(e.completed), 0)                          AS completions,
       round(avg(e.avg_progress), 2)                          AS avg_progress
FROM public.organizations o
LEFT JOIN public.users u ON u.organization_id = o.id
LEFT JOIN (SELECT user_id, count(*) AS enrollments,
                  count(*) FILTER (WHERE status = 'completed') AS completed,
                  avg(progress_percentage) AS avg_progress
           FROM public.enrollments GROUP BY user_id) e ON e.user_id = u.id
GROUP BY o.id, o.name, o.plan, o.is_active;

CREATE UNIQUE INDEX IF NOT EXISTS mv_organization_summary_organization_id
    ON public.mv_organization_summary (organization_id);

-- Refresh log ---------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS public.mv_refresh_log (
    id               bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    view_name        text        NOT NULL,          -- schema-qualified, e.g. public.mv_course_performance
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz NOT NULL,
    duration_ms      numeric(12,3) GENERATED ALWAYS AS
                         (round((extract(epoch FROM finished_at - started_at) * 1000)::numeric, 3)) STORED,
    rows             bigint,                        -- NULL when not counted
    refreshed_by     text        NOT NULL,          -- role that ran the refresh
    application_name text,
    concurrent     boolean,                       -- NULL when unknown
    source           text        NOT NULL CHECK (source IN ('function', 'event_trigger')),
    success          boolean     NOT NULL DEFAULT true,
    error            text
);

-- CREATE TABLE IF NOT EXISTS keeps whatever already has the name.  Another
-- role allowed to create objects in public may have put a view, or a table
-- with triggers, there before the kit was installed; every write to it would
-- then run that role's code as whoever writes (an event trigger's SECURITY
-- DEFINER owner, pgdeck's superuser).  Refuse to go on over such an object.
DO $kit_check$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT c.relname, c.relkind::text AS relkind, pg_catalog.pg_get_userbyid(c.relowner) AS owner
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relname IN ('mv_refresh_log')
           AND NOT (c.relkind = 'r'
                    AND (c.relowner = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)
                         OR c.relowner = (SELECT d.datdba FROM pg_catalog.pg_database d
                                           WHERE d.datname = pg_catalog.current_database())
                         OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = c.relowner)))
    LOOP
        RAISE EXCEPTION 'public.% is not the kit''s table: relkind %, owned by %; drop it and install again',
            t.relname, t.relkind, t.owner;
    END LOOP;
END
$kit_check$;

CREATE INDEX IF NOT EXISTS mv_refresh_log_view_finished
    ON public.mv_refresh_log (view_name, finished_at DESC);

-- The event trigger's function.  SECURITY DEFINER so that any role allowed to
-- refresh a view can be logged without INSERT rights on the log; a failure to
-- log never makes the refresh fail (WARNING instead).  It runs as its owner
-- (a superuser) on every refresh, whoever refreshes: it searches pg_catalog
-- only, names everything else with its schema, and writes the log only while
-- it is still the table the kit made (owned by the database owner or a
-- superuser), never whatever another role may have put under that name.
CREATE OR REPLACE FUNCTION public.kit_log_mv_refresh()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS
$$
DECLARE
    r      record;
    v_rows bigint;
BEGIN
    IF current_setting('kit.refresh_source', true) = 'function' THEN
        RETURN;                 -- refresh_analytics_view() logs its own refreshes
    END IF;
    IF NOT EXISTS (SELECT 1
                     FROM pg_class c
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relname = 'mv_refresh_log' AND c.relkind = 'r'
                      AND (c.relowner = (SELECT d.datdba FROM pg_database d WHERE d.datname = current_database())
                           OR (SELECT a.rolsuper FROM pg_roles a WHERE a.oid = c.relowner))) THEN
        RAISE WARNING 'mv_refresh_log: not logging: public.mv_refresh_log is not a table owned by the database owner or a superuser';
        RETURN;
    END IF;
    FOR r IN SELECT * FROM pg_event_trigger_ddl_commands()
             WHERE command_tag = 'REFRESH MATERIALIZED VIEW'
    LOOP
        BEGIN
            v_rows := NULL;
            -- Count rows only for the kit's own (modest) views.
            IF r.object_identity IN ('public.mv_user_learning_summary', 'public.mv_course_performance',
                                     'public.mv_daily_platform_activity', 'public.mv_popular_courses',
                                     'public.mv_organization_summary') THEN
                EXECUTE format('SELECT count(*) FROM %s', r.object_identity) INTO v_rows;
            END IF;
            INSERT INTO public.mv_refresh_log (view_name, started_at, finished_at, rows, refreshed_by,
                                               application_name, concurrent, source)
            VALUES (r.object_identity, statement_timestamp(), clock_timestamp(), v_rows, session_user,
                    current_setting('application_name', true),
                    current_query() ~* 'refresh\s+materialized\s+view\s+concurrently',
                    'event_trigger');
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'mv_refresh_log: could not log the refresh of %: %', r.object_identity, SQLERRM;
        END;
    END LOOP;
END
$$;

SET client_min_messages = notice;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'kit_mv_refresh_log') THEN
        RETURN;
    END IF;
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE NOTICE 'skipping event trigger kit_mv_refresh_log: creating an event trigger needs a superuser and % is not one; refreshes made outside refresh_all_analytics_views()/refresh_analytics_view() will not be logged in mv_refresh_log', current_user;
        RETURN;
    END IF;
    CREATE EVENT TRIGGER kit_mv_refresh_log ON ddl_command_end
        WHEN TAG IN ('REFRESH MATERIALIZED VIEW')
        EXECUTE FUNCTION public.kit_log_mv_refresh();
END
$$;
