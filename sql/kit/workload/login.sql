-- pgdeck kit workload: login.
-- Look the account up by e-mail (active accounts only), count the user's
-- live sessions (the platform caps them), open a new session, stamp the login.
-- Scale-aware: pgbench -D scale=N (fractions allowed) or -s N; default 1.
\set nusers greatest(10, int(10000 * :scale))
\set uid random(1, :nusers)
SELECT id, password_hash, role, organization_id FROM public.users WHERE email = 'user' || :uid || '@example.com' AND is_active;
SELECT count(*) AS live_sessions FROM public.user_sessions WHERE user_id = :uid AND revoked_at IS NULL AND expires_at > now();
INSERT INTO public.user_sessions (user_id, token, expires_at, ip_address, user_agent) VALUES (:uid, md5(random()::text) || md5(clock_timestamp()::text || :client_id), now() + interval '1 day', '10.1.2.3', 'pgbench/login');
UPDATE public.users SET last_login_at = now() WHERE id = :uid;
