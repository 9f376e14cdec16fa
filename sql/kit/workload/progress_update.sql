-- pgdeck kit workload: progress update.
-- A learner works on the next lesson of one of their courses: find the resume
-- point, upsert the lesson's progress, recompute the enrollment's percentage.
-- Scale-aware: pgbench -D scale=N (fractions allowed) or -s N; default 1.
\set nenroll greatest(10, int(50000 * :scale))
\set eid random(1, :nenroll)
\set pct random(10, 100)
\set secs random(30, 900)
SELECT e.user_id AS uid, e.course_id AS cid,
       coalesce((SELECT l.id FROM public.lessons l
                 WHERE l.course_id = e.course_id
                   AND NOT EXISTS (SELECT 1 FROM public.progress p
                                   WHERE p.user_id = e.user_id AND p.lesson_id = l.id AND p.status = 'completed')
                 ORDER BY l.module_id, l.position LIMIT 1),
                (SELECT min(l.id) FROM public.lessons l WHERE l.course_id = e.course_id)) AS lid
FROM public.enrollments e
WHERE e.id = 1 + (:eid - 1) % (SELECT max(id) FROM public.enrollments)
\gset
INSERT INTO public.progress AS p (user_id, lesson_id, course_id, status, completion_percentage, time_spent_seconds, started_at, completed_at, updated_at)
VALUES (:uid, :lid, :cid, CASE WHEN :pct >= 100 THEN 'completed' ELSE 'in_progress' END, :pct, :secs, now(), CASE WHEN :pct >= 100 THEN now() END, now())
ON CONFLICT (user_id, lesson_id) DO UPDATE
SET completion_percentage = greatest(p.completion_percentage, EXCLUDED.completion_percentage),
    status = CASE WHEN greatest(p.completion_percentage, EXCLUDED.completion_percentage) >= 100 THEN 'completed' ELSE 'in_progress' END,
    completed_at = CASE WHEN greatest(p.completion_percentage, EXCLUDED.completion_percentage) >= 100 THEN coalesce(p.completed_at, now()) END,
    time_spent_seconds = p.time_spent_seconds + EXCLUDED.time_spent_seconds,
    updated_at = now();
UPDATE public.enrollments
SET progress_percentage = (SELECT round(100.0 * count(*) FILTER (WHERE p.status = 'completed')
                                        / greatest(1, (SELECT count(*) FROM public.lessons l WHERE l.course_id = :cid)), 2)
                           FROM public.progress p WHERE p.user_id = :uid AND p.course_id = :cid),
    last_accessed_at = now()
WHERE user_id = :uid AND course_id = :cid;
