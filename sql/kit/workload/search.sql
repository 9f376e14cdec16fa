-- pgdeck kit workload: full-text search over the catalogue (courses, ranked)
-- and over lesson titles.
-- Scale-aware: pgbench -D scale=N (fractions allowed) or -s N; default 1.
\set t random(1, 24)
SELECT c.id, c.title, c.category, ts_rank(c.search_vector, q) AS rank
FROM public.courses c, websearch_to_tsquery('english', (ARRAY['python','machine learning','sql joins','docker containers','react hooks','web security','performance tuning','testing strategies','neural networks','deployment','caching','data structures','kubernetes','statistics regression','api design','excel automation','leadership negotiation','figma prototyping','rust','pandas visualization','linux networking','git','product management','accessibility audits'])[:t]) q
WHERE c.status = 'published' AND c.search_vector @@ q
ORDER BY rank DESC, c.id LIMIT 20;
SELECT l.id, l.title, l.course_id
FROM public.lessons l, websearch_to_tsquery('english', (ARRAY['python','machine learning','sql joins','docker containers','react hooks','web security','performance tuning','testing strategies','neural networks','deployment','caching','data structures','kubernetes','statistics regression','api design','excel automation','leadership negotiation','figma prototyping','rust','pandas visualization','linux networking','git','product management','accessibility audits'])[:t]) q
WHERE l.is_published AND l.search_vector @@ q
ORDER BY ts_rank(l.search_vector, q) DESC, l.id LIMIT 20;
