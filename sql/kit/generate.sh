#!/bin/sh
# Loads the generated platform data using several sessions at once.
#
#   SCALE=1 [REFERENCE=YYYY-MM-DD] [KIT_GEN_JOBS=N] sh sql/kit/generate.sh [psql options]
#
# The same data as SELECT generate_platform_data(SCALE, REFERENCE) (every row
# depends only on the scale, the reference month and its own id), loaded
# faster: one session loads organizations .. progress while KIT_GEN_JOBS other
# sessions (default: CPUs - 1, at least 1) each load a slice of the analytics
# events.  Needs generate.sql (and, for the kit, partitions.sql) installed.
# Does nothing when data is already present.  On failure the platform tables
# are emptied again (some sessions may have committed) and the exit status is
# non-zero.  Used by install.sh and by tests/bench/bench-sql.sh.
set -u

SCALE=${SCALE:-1}
REFERENCE=${REFERENCE:-}
JOBS=${KIT_GEN_JOBS:-$(($(nproc 2>/dev/null || echo 2) - 1))}
[ "$JOBS" -ge 1 ] 2>/dev/null || JOBS=1

kit_psql() { psql -X -q -At -v ON_ERROR_STOP=1 -v scale="$SCALE" -v ref="$REFERENCE" "$@"; }

present=$(kit_psql "$@" -c "SELECT EXISTS (SELECT 1 FROM public.users) OR EXISTS (SELECT 1 FROM public.analytics_events)") || exit 1
if [ "$present" = t ]; then
	echo "platform data already present: nothing generated"
	exit 0
fi

# The months the data needs, committed before the parallel loads start.
kit_psql "$@" <<'EOF' >/dev/null || exit 1
SELECT public.kit_generation_partitions(nullif(:'ref', '')::date);
EOF

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kit-generate.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

kit_psql "$@" >"$TMP/main.out" 2>&1 <<'EOF' &
SELECT public.generate_platform_data(:'scale'::numeric, nullif(:'ref', '')::date, false, p_events => false);
EOF
PIDS=$!
i=1
while [ "$i" -le "$JOBS" ]; do
	kit_psql -v part="$i" -v parts="$JOBS" "$@" >"$TMP/events$i.out" 2>&1 <<'EOF' &
SELECT public.generate_platform_events(:'scale'::numeric, nullif(:'ref', '')::date, :part, :parts);
EOF
	PIDS="$PIDS $!"
	i=$((i + 1))
done

failed=0
for p in $PIDS; do
	wait "$p" || failed=1
done
if [ $failed = 1 ]; then
	echo "generate.sh: a loading session failed:" >&2
	grep -h -i -E 'error|fatal|notice' "$TMP"/*.out >&2
	kit_psql "$@" -c "TRUNCATE public.analytics_events, public.progress, public.enrollments, public.lessons,
	                  public.modules, public.courses, public.user_sessions, public.users,
	                  public.organizations RESTART IDENTITY" >/dev/null 2>&1
	exit 1
fi
grep -h NOTICE "$TMP/main.out"
kit_psql "$@" -c "ANALYZE public.analytics_events" || exit 1
echo "generated: $(kit_psql "$@" -c "SELECT public.kit_generation_finish()")"
