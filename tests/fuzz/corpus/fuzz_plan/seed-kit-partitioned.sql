-- pgdeck SQL kit: indexes on the partitioned analytics_events table.
--
-- PostgreSQL cannot CREATE INDEX CONCURRENTLY on a partitioned table, so these
-- are NOT part of pgdeck's index plan (indexes.sql).  install.sh runs this
-- file once, right after the data load (building an index on loaded data is
-- much cheaper than maintaining it during the load), non-concurrently: it
-- locks analytics_events against writes while it builds, which is fine at
-- install time and not on a live system (see indexes.sql for the online
-- recipe).  An index on the parent is created on every existing partition and
-- automatically on every partition created later (create_future_partitions),
-- so monthly maintenance never has to think about them.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/kit/indexes-partitioned.sql

CREATE INDEX IF NOT EXISTS idx_analytics_events_user_created ON public.analytics_events (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_analytics_events_course_created ON public.analytics_events (course_id, created_at DESC) INCLUDE (user_id) WHERE course_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_analytics_events_type_created ON public.analytics_events (event_type, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_analytics_events_created_brin ON public.analytics_events USING brin (created_at) WITH (pages_per_range = 32);
CREATE INDEX IF NOT EXISTS idx_analytics_events_data_gin ON public.analytics_events USING gin (event_data jsonb_path_ops);
CREATE INDEX IF NOT EXISTS idx_analytics_events_lesson_complete ON public.analytics_events (user_id, created_at DESC) WHERE event_type = 'lesson_complete';
CREATE INDEX IF NOT EXISTS idx_analytics_events_device ON public.analytics_events ((event_data ->> 'device'), created_at DESC);
CREATE INDEX IF NOT EXISTS idx_analytics_events_search_query ON public.analytics_events ((event_data ->> 'query')) WHERE event_type = 'search';
