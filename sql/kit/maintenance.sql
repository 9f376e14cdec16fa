-- pgdeck SQL kit: the maintenance entry points, the ones you schedule.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/kit/maintenance.sql
--   (after partitions.sql, views.sql and monitoring.sql, whose objects they use)
--
--   refresh_analytics_view(view, p_concurrently := true)  refresh one view, log it
--   refresh_all_analytics_views(p_concurrently := true)  refresh the kit's views, log each
--   get_mv_refresh_recommendations(max_age := '4 hours') which views are stale, and why
--   monthly_partition_maintenance(months_ahead, retention, p_drop := false, p_now := now())
--                                                        future partitions + retention for
--                                                        every table in partition_config
--
-- Suggested schedule (cron, pg_cron or `pgdeck run`):
--   every hour:          SELECT * FROM refresh_all_analytics_views();
--   daily (or monthly):  SELECT * FROM monthly_partition_maintenance();
--
-- The view refreshes run CONCURRENTLY (readers are never blocked) when the
-- view is populated and has a usable unique index, plainly otherwise.  They
-- set kit.refresh_source = 'function' around each refresh so that the event
-- trigger from views.sql does not log them a second time.

SET client_min_messages = warning;

-- The kit's views in refresh order.
CREATE OR REPLACE FUNCTION public.kit_analytics_views()
RETURNS SETOF regclass LANGUAGE sql STABLE AS
$$
    SELECT to_regclass(v)
    FROM unnest(ARRAY['public.mv_user_learning_summary', 'public.mv_course_performance',
                      'public.mv_daily_platform_activity', 'public.mv_popular_courses',
                      'public.mv_organization_summary']) WITH ORDINALITY AS t(v, n)
    WHERE to_regclass(v) IS NOT NULL
    ORDER BY n
$$;

CREATE OR REPLACE FUNCTION public.refresh_analytics_view(
    p_view regclass, p_concurrently boolean DEFAULT true)
RETURNS TABLE (view_name text, concurrent boolean, rows bigint,
               duration_ms numeric, success boolean, error text)
LANGUAGE plpgsql AS
$$
DECLARE
    v_name  text;
    v_pop   boolean;
    v_conc  boolean;
    v_start timestamptz;
    v_end   timestamptz;
    v_rows  bigint;
    v_err   text;
BEGIN
    SELECT format('%I.%I', n.nspname, c.relname), c.relispopulated INTO v_name, v_pop
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = p_view AND c.relkind = 'm';
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is not a materialized view', p_view;
    END IF;
    v_conc := p_concurrently AND v_pop AND EXISTS (
        SELECT 1 FROM pg_index i
        WHERE i.indrelid = p_view AND i.indisunique AND i.indisvalid
          AND i.indpred IS NULL AND i.indexprs IS NULL);

    v_start := clock_timestamp();
    BEGIN
        PERFORM set_config('kit.refresh_source', 'function', true);
        IF v_conc THEN
            EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY %s', p_view);
        ELSE
            EXECUTE format('REFRESH MATERIALIZED VIEW %s', p_view);
        END IF;
        PERFORM set_config('kit.refresh_source', '', true);
        EXECUTE format('SELECT count(*) FROM %s', p_view) INTO v_rows;
    EXCEPTION WHEN OTHERS THEN
        PERFORM set_config('kit.refresh_source', '', true);
        v_err := SQLERRM;
    END;
    v_end := clock_timestamp();

    INSERT INTO public.mv_refresh_log (view_name, started_at, finished_at, rows, refreshed_by,
                                       application_name, concurrent, source, success, error)
    VALUES (v_name, v_start, v_end, v_rows, current_user, current_setting('application_name', true),
            v_conc, 'function', v_err IS NULL, v_err);
    IF v_err IS NOT NULL THEN
        RAISE WARNING 'refresh of % failed: %', v_name, v_err;
    END IF;

    view_name := v_name; concurrent := v_conc; rows := v_rows;
    duration_ms := round((extract(epoch FROM v_end - v_start) * 1000)::numeric, 3);
    success := v_err IS NULL; error := v_err;
    RETURN NEXT;
END
$$;

-- All the kit's views, each refreshed and logged on its own (a failure is
-- logged and reported, and the others are still refreshed).  All of it runs
-- in the caller's transaction.
CREATE OR REPLACE FUNCTION public.refresh_all_analytics_views(p_concurrently boolean DEFAULT true)
RETURNS TABLE (view_name text, concurrent boolean, rows bigint,
               duration_ms numeric, success boolean, error text)
LANGUAGE sql AS
$$
    SELECT r.*
    FROM public.kit_analytics_views() WITH ORDINALITY AS v(vw, n)
    CROSS JOIN LATERAL public.refresh_analytics_view(v.vw, p_concurrently) r
    ORDER BY v.n
$$;

-- Every materialized view in the database, stalest first.  Stale = never
-- refreshed as far as mv_refresh_log knows, not populated, or last refreshed
-- longer ago than p_max_age (the guide's alert threshold: 4 hours).
CREATE OR REPLACE FUNCTION public.get_mv_refresh_recommendations(p_max_age interval DEFAULT '4 hours')
RETURNS TABLE (view_name text, is_populated boolean, last_refresh timestamptz, age interval,
               last_duration_ms numeric, can_refresh_concurrently boolean, is_stale boolean,
               recommendation text)
LANGUAGE sql STABLE AS
$$
    SELECT format('%I.%I', f.schemaname, f.view_name),
           f.is_populated,
           f.last_refresh,
           f.age,
           f.last_duration_ms,
           f.can_refresh_concurrently,
           s.stale,
           CASE WHEN NOT f.is_populated
                    THEN 'not populated: REFRESH MATERIALIZED VIEW (not concurrently) first'
                WHEN f.last_refresh IS NULL
                    THEN 'never refreshed (no entry in mv_refresh_log): refresh now'
                WHEN s.stale
                    THEN format('stale: last refreshed %s ago (threshold %s): refresh%s',
                                date_trunc('second', f.age), p_max_age,
                                CASE WHEN f.can_refresh_concurrently THEN ' concurrently' ELSE '' END)
                ELSE format('fresh: refreshed %s ago', date_trunc('second', f.age)) END
    FROM public.mv_freshness f
    CROSS JOIN LATERAL (SELECT (NOT f.is_populated OR f.last_refresh IS NULL
                                OR f.age > p_max_age) AS stale) s
    ORDER BY s.stale DESC, f.last_refresh NULLS FIRST, 1
$$;

-- For every table in partition_config (or only p_table): create the current
-- month's and the next months' partitions, then detach (or, with p_drop =>
-- true, drop) the ones past retention.  Arguments left NULL come from
-- partition_config.  Refuses loudly (exception, nothing changed) when a new
-- month already has rows in the default partition.
CREATE OR REPLACE FUNCTION public.monthly_partition_maintenance(
    p_months_ahead integer  DEFAULT NULL,
    p_retention    interval DEFAULT NULL,
    p_drop         boolean  DEFAULT false,
    p_now          timestamptz DEFAULT now(),
    p_table        regclass DEFAULT NULL)
RETURNS TABLE (parent_table text, action text, partition_name text,
               range_from timestamptz, range_to timestamptz)
LANGUAGE plpgsql AS
$$
DECLARE
    cfg record;
    p   text;
    d   record;
BEGIN
    FOR cfg IN
        SELECT c.parent_table AS parent, to_regclass(c.parent_table) AS rel,
               coalesce(p_months_ahead, c.months_ahead) AS ahead,
               coalesce(p_retention, c.retention) AS retention
        FROM public.partition_config c
        WHERE p_table IS NULL OR to_regclass(c.parent_table) = p_table
        ORDER BY c.parent_table
    LOOP
        IF cfg.rel IS NULL THEN
            RAISE WARNING 'partition_config lists %, which does not exist: skipped', cfg.parent;
            CONTINUE;
        END IF;
        FOR p IN SELECT public.create_future_partitions(cfg.rel, cfg.ahead, p_now) LOOP
            parent_table := public.kit_qualified(cfg.rel); action := 'create'; partition_name := p;
            SELECT b.range_from, b.range_to INTO range_from, range_to
            FROM public.partition_bounds(cfg.rel) b WHERE b.partition = to_regclass(p);
            RETURN NEXT;
        END LOOP;
        FOR d IN SELECT * FROM public.detach_old_partitions(cfg.rel, cfg.retention, p_drop, p_now) LOOP
            parent_table := public.kit_qualified(cfg.rel); action := d.action; partition_name := d.partition_name;
            range_from := d.range_from; range_to := d.range_to;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
