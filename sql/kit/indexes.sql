-- pgdeck SQL kit: the guide's index set (strategic partial, composite and GIN
-- indexes) for every table that is NOT partitioned.
--
-- This file is also pgdeck's default index plan.  Format rules, relied on by
-- pgdeck's parser and by `pgdeck run indexes`:
--   * one statement per line, each a complete
--       CREATE INDEX CONCURRENTLY IF NOT EXISTS <name> ON public.<table> ...;
--   * explicit names, schema-qualified tables, no DO blocks, no transaction,
--     nothing else but comments and blank lines;
--   * every statement can run on its own, in any order, any number of times.
-- Run it with psql in autocommit mode (CONCURRENTLY cannot run in a
-- transaction block):  psql -X -v ON_ERROR_STOP=1 -f sql/kit/indexes.sql
--
-- Not in this plan, on purpose:
--   * analytics_events (partitioned): PostgreSQL cannot build an index
--     CONCURRENTLY on a partitioned parent, so its indexes are in
--     indexes-partitioned.sql, built non-concurrently by install.sh right
--     after the data load, and inherited by every partition created later.
--     (Online alternative for a live system: CREATE INDEX ... ON ONLY the
--     parent, CREATE INDEX CONCURRENTLY on each partition, then ALTER INDEX
--     ... ATTACH PARTITION each one.)
--   * the UNIQUE indexes the materialized views need for REFRESH ...
--     CONCURRENTLY: they are created with the views in views.sql.
--   * keys: primary keys and UNIQUE constraints are in schema.sql.
--
-- 63 statements below + 8 in indexes-partitioned.sql + 5 unique view
-- indexes in views.sql = 76, the guide's "about 70".

-- organizations ---------------------------------------------------------------
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_organizations_active_name ON public.organizations (name) WHERE is_active;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_organizations_plan ON public.organizations (plan) WHERE is_active;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_organizations_created_at ON public.organizations (created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_organizations_settings_gin ON public.organizations USING gin (settings jsonb_path_ops);

-- users: login, admin lists, organization rosters -----------------------------
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_email_active ON public.users (email) INCLUDE (id, password_hash, role, organization_id) WHERE is_active;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_organization_id ON public.users (organization_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_org_role_active ON public.users (organization_id, role) WHERE is_active;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_org_created ON public.users (organization_id, created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_role_active ON public.users (role) WHERE is_active;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_created_at ON public.users (created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_last_login ON public.users (last_login_at DESC) WHERE is_active;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_inactive ON public.users (updated_at) WHERE NOT is_active;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_unverified ON public.users (created_at) WHERE NOT email_verified;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_name ON public.users (last_name, first_name);

-- user_sessions: session checks at login, expiry sweeps ------------------------
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_sessions_user_id ON public.user_sessions (user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_sessions_user_active ON public.user_sessions (user_id, expires_at DESC) WHERE revoked_at IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_sessions_expires_at ON public.user_sessions (expires_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_sessions_last_seen ON public.user_sessions (last_seen_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_sessions_created_at ON public.user_sessions (created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_sessions_ip ON public.user_sessions (ip_address);

-- courses: catalogue browsing, tags, full-text search ----------------------------
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_status ON public.courses (status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_published_category ON public.courses (category, rating DESC) WHERE status = 'published';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_published_difficulty ON public.courses (difficulty, rating DESC) WHERE status = 'published';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_category_difficulty ON public.courses (category, difficulty) WHERE status = 'published';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_category_published_at ON public.courses (category, published_at DESC) WHERE status = 'published';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_published_at ON public.courses (published_at DESC) WHERE status = 'published';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_rating ON public.courses (rating DESC, rating_count DESC) WHERE status = 'published';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_enrollment_count ON public.courses (enrollment_count DESC) WHERE status = 'published';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_price ON public.courses (price) WHERE status = 'published';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_instructor_id ON public.courses (instructor_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_organization_id ON public.courses (organization_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_created_at ON public.courses (created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_draft_updated ON public.courses (updated_at DESC) WHERE status = 'draft';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_title_prefix ON public.courses (lower(title) text_pattern_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_tags_gin ON public.courses USING gin (tags);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_courses_search_vector ON public.courses USING gin (search_vector);

-- modules and lessons: course outline, lesson search ----------------------------
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_modules_created_at ON public.modules (created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_lessons_course_module ON public.lessons (course_id, module_id, position);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_lessons_published ON public.lessons (module_id, position) WHERE is_published;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_lessons_content_type ON public.lessons (content_type) WHERE is_published;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_lessons_free_preview ON public.lessons (course_id) WHERE is_free_preview;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_lessons_search_vector ON public.lessons USING gin (search_vector);

-- enrollments: dashboards, course statistics ------------------------------------
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_course_status ON public.enrollments (course_id, status) INCLUDE (progress_percentage);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_user_status ON public.enrollments (user_id, status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_active_user ON public.enrollments (user_id, last_accessed_at DESC) WHERE status = 'active';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_in_progress ON public.enrollments (user_id, progress_percentage) WHERE status = 'active' AND progress_percentage < 100;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_completed ON public.enrollments (course_id, completed_at DESC) WHERE status = 'completed';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_dropped ON public.enrollments (course_id, enrolled_at) WHERE status = 'dropped';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_enrolled_at ON public.enrollments (enrolled_at DESC) INCLUDE (course_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_course_enrolled_at ON public.enrollments (course_id, enrolled_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_user_enrolled_at ON public.enrollments (user_id, enrolled_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_last_accessed ON public.enrollments (last_accessed_at DESC);

-- progress: resume points, completion statistics ---------------------------------
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_progress_user_course ON public.progress (user_id, course_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_progress_lesson_id ON public.progress (lesson_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_progress_course_status ON public.progress (course_id, status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_progress_user_completed ON public.progress (user_id, completed_at DESC) WHERE status = 'completed';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_progress_in_progress ON public.progress (user_id, updated_at DESC) WHERE status = 'in_progress';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_progress_lesson_completed ON public.progress (lesson_id) WHERE status = 'completed';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_progress_updated_at ON public.progress (updated_at DESC);

-- materialized views: secondary access paths (the UNIQUE ones are in views.sql) ----
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_mv_user_learning_summary_org ON public.mv_user_learning_summary (organization_id, engagement_score DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_mv_user_learning_summary_engagement ON public.mv_user_learning_summary (engagement_score DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_mv_course_performance_category ON public.mv_course_performance (category, completion_rate DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_mv_popular_courses_rank ON public.mv_popular_courses (popularity_rank);
