-- pgdeck kit workload: course discovery.
-- Browse a category, filter by a tag, open a course page (outline and
-- learner counts), and show the learner's own active courses.
-- Scale-aware: pgbench -D scale=N (fractions allowed) or -s N; default 1.
\set nusers greatest(10, int(10000 * :scale))
\set ncourses greatest(2, int(500 * :scale))
\set uid random(1, :nusers)
\set cid random_zipfian(1, :ncourses, 1.1)
\set cat random(1, 11)
\set tag random(1, 30)
SELECT id, title, difficulty, rating, enrollment_count, price FROM public.courses WHERE status = 'published' AND category = (ARRAY['programming','web-development','data','ai-ml','devops','cloud','business','soft-skills','design','marketing','security'])[:cat] ORDER BY rating DESC LIMIT 20;
SELECT id, title, category, rating FROM public.courses WHERE status = 'published' AND tags @> ARRAY[(ARRAY['python','javascript','sql','postgresql','react','machine-learning','statistics','docker','kubernetes','aws','excel','leadership','figma','seo','rust','go','java','typescript','linux','git','security','testing','api','pandas','deep-learning','product','agile','communication','finance','accessibility'])[:tag]] ORDER BY published_at DESC LIMIT 20;
SELECT m.position AS module, m.title AS module_title, l.position, l.id, l.title, l.content_type, l.duration_minutes FROM public.lessons l JOIN public.modules m ON m.id = l.module_id WHERE l.course_id = :cid AND l.is_published ORDER BY m.position, l.position;
SELECT count(*) FILTER (WHERE status = 'active') AS learners, count(*) FILTER (WHERE status = 'completed') AS graduates, round(avg(progress_percentage), 1) AS avg_progress FROM public.enrollments WHERE course_id = :cid;
SELECT c.id, c.title, e.progress_percentage, e.last_accessed_at FROM public.enrollments e JOIN public.courses c ON c.id = e.course_id WHERE e.user_id = :uid AND e.status = 'active' ORDER BY e.last_accessed_at DESC LIMIT 10;
