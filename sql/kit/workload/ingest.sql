-- pgdeck kit workload: batched analytics ingest (50 events per statement).
-- Scale-aware: pgbench -D scale=N (fractions allowed) or -s N; default 1.
\set nusers greatest(10, int(10000 * :scale))
\set ncourses greatest(2, int(500 * :scale))
\set uid random(1, :nusers)
\set cid random(1, :ncourses)
INSERT INTO public.analytics_events (user_id, course_id, event_type, event_data, created_at)
SELECT :uid,
       CASE WHEN g % 4 = 0 THEN NULL ELSE :cid END,
       (ARRAY['page_view','video_play','lesson_start','lesson_complete','page_view','search','quiz_submit','page_view'])[1 + g % 8],
       jsonb_build_object('device', (ARRAY['desktop','mobile','tablet'])[1 + g % 3], 'duration_ms', (g * 379) % 30000, 'batch_seq', g),
       now()
FROM generate_series(1, 50) g;
