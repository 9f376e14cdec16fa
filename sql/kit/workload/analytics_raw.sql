-- pgdeck kit workload: analytics dashboards computed from the raw tables.
-- The same four answers analytics_views.sql reads from the materialized
-- views: a learner's summary, a course report, the platform's daily activity
-- over the last 30 days, the ten most popular courses.
-- Scale-aware: pgbench -D scale=N (fractions allowed) or -s N; default 1.
\set nusers greatest(10, int(10000 * :scale))
\set ncourses greatest(2, int(500 * :scale))
\set uid random(1, :nusers)
\set cid random(1, :ncourses)
SELECT u.id AS user_id, e.courses_enrolled, e.courses_completed, e.avg_progress, p.lessons_completed, p.time_spent_seconds, ev.events_30d, ev.last_event_at
FROM public.users u
LEFT JOIN LATERAL (SELECT count(*) AS courses_enrolled, count(*) FILTER (WHERE status = 'completed') AS courses_completed, round(avg(progress_percentage), 2) AS avg_progress FROM public.enrollments WHERE user_id = u.id) e ON true
LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE status = 'completed') AS lessons_completed, sum(time_spent_seconds) AS time_spent_seconds FROM public.progress WHERE user_id = u.id) p ON true
LEFT JOIN LATERAL (SELECT count(*) AS events_30d, max(created_at) AS last_event_at FROM public.analytics_events WHERE user_id = u.id AND created_at >= now() - interval '30 days') ev ON true
WHERE u.id = :uid;
SELECT c.id AS course_id, c.title, e.enrollments, e.active, e.completed, round(100.0 * e.completed / nullif(e.enrollments, 0), 2) AS completion_rate, e.avg_progress, ev.events_30d, ev.learners_30d
FROM public.courses c
LEFT JOIN LATERAL (SELECT count(*) AS enrollments, count(*) FILTER (WHERE status = 'active') AS active, count(*) FILTER (WHERE status = 'completed') AS completed, round(avg(progress_percentage), 2) AS avg_progress FROM public.enrollments WHERE course_id = c.id) e ON true
LEFT JOIN LATERAL (SELECT count(*) AS events_30d, count(DISTINCT user_id) AS learners_30d FROM public.analytics_events WHERE course_id = c.id AND created_at >= now() - interval '30 days') ev ON true
WHERE c.id = :cid;
SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS events, count(DISTINCT user_id) AS active_users,
       count(*) FILTER (WHERE event_type = 'page_view') AS page_views, count(*) FILTER (WHERE event_type = 'lesson_complete') AS lesson_completions
FROM public.analytics_events
WHERE created_at >= now() - interval '30 days'
GROUP BY 1 ORDER BY 1;
SELECT c.id AS course_id, c.title, c.category, coalesce(r.enrollments_30d, 0) AS enrollments_30d, coalesce(a.learners_30d, 0) AS learners_30d,
       round((3 * coalesce(r.enrollments_30d, 0) + coalesce(a.learners_30d, 0) + 10 * coalesce(c.rating, 0))::numeric, 2) AS popularity_score
FROM public.courses c
LEFT JOIN (SELECT course_id, count(*) AS enrollments_30d FROM public.enrollments WHERE enrolled_at >= now() - interval '30 days' GROUP BY course_id) r ON r.course_id = c.id
LEFT JOIN (SELECT course_id, count(DISTINCT user_id) AS learners_30d FROM public.analytics_events WHERE created_at >= now() - interval '30 days' AND course_id IS NOT NULL GROUP BY course_id) a ON a.course_id = c.id
WHERE c.status = 'published'
ORDER BY popularity_score DESC, c.id LIMIT 10;
