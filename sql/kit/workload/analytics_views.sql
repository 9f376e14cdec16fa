-- pgdeck kit workload: the analytics dashboards of analytics_raw.sql, read
-- from the materialized views (kit databases only).
-- Scale-aware: pgbench -D scale=N (fractions allowed) or -s N; default 1.
\set nusers greatest(10, int(10000 * :scale))
\set ncourses greatest(2, int(500 * :scale))
\set uid random(1, :nusers)
\set cid random(1, :ncourses)
SELECT user_id, courses_enrolled, courses_completed, avg_progress, lessons_completed, time_spent_seconds, events_30d, last_activity_at, engagement_score FROM public.mv_user_learning_summary WHERE user_id = :uid;
SELECT course_id, title, enrollments, active_enrollments, completed_enrollments, completion_rate, avg_progress, events_30d, learners_30d FROM public.mv_course_performance WHERE course_id = :cid;
SELECT day, events, active_users, page_views, lesson_completions FROM public.mv_daily_platform_activity WHERE day >= (now() - interval '30 days')::date ORDER BY day;
SELECT course_id, title, category, enrollments_30d, learners_30d, popularity_score FROM public.mv_popular_courses ORDER BY popularity_rank LIMIT 10;
