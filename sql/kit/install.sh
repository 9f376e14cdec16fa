#!/bin/sh
# pgdeck SQL kit installer.
#
#   sh sql/kit/install.sh [psql connection options]
#
# Installs the kit into the database named by the usual libpq settings
# (PGHOST, PGPORT, PGUSER, PGDATABASE, ... or options such as -d DBNAME that
# are passed through to psql), in order:
#
#   schema, partitions, views, monitoring, maintenance, generator,
#   data (at scale $SCALE, default 1; SCALE=0 means no data; generate.sh),
#   vacuum+analyze,
#   indexes (CONCURRENTLY), partitioned-table indexes, view refresh.
#
# Environment:
#   SCALE       data scale factor like pgbench -s, fractions allowed (default 1;
#               0 = schema and functions only)
#   REFERENCE   reference month for the generator, YYYY-MM-DD (default: the
#               current UTC month); same SCALE + REFERENCE = same data
#   KIT_MAINTENANCE_WORK_MEM   maintenance_work_mem for the index builds
#               (default 256MB)
#   KIT_GEN_JOBS  sessions loading analytics events beside the main one
#               (default: CPUs - 1, at least 1)
#
# Idempotent: every object is created IF NOT EXISTS / OR REPLACE, and the
# generator does nothing when data is already there, so a second run is
# harmless (it only refreshes the views again).  Each step prints its time;
# any error stops the install with a non-zero exit status.

set -eu

KIT_DIR=$(cd "$(dirname "$0")" && pwd)
SCALE=${SCALE:-1}
REFERENCE=${REFERENCE:-}

case $SCALE in
  ''|*[!0-9.]*|*.*.*|.) echo "install.sh: SCALE must be a non-negative number (got '$SCALE')" >&2; exit 2 ;;
esac
case $REFERENCE in
  ''|[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;;
  *) echo "install.sh: REFERENCE must be YYYY-MM-DD (got '$REFERENCE')" >&2; exit 2 ;;
esac

psql_kit() {
  PGAPPNAME=${PGAPPNAME:-pgdeck-kit-install} psql -X -q -v ON_ERROR_STOP=1 "$@"
}

now() { date +%s.%N; }
TOTAL0=$(now)

# step NAME COMMAND...   runs COMMAND, prints NAME and its duration.
step() {
  name=$1; shift
  t0=$(now)
  if ! "$@"; then
    echo "install.sh: step '$name' failed" >&2
    exit 1
  fi
  t1=$(now)
  awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "  %-26s %8.2f s\n", n, b - a }'
}

run_file() { psql_kit "$@"; }

gen_data() {
  if awk -v s="$SCALE" 'BEGIN { exit !(s + 0 == 0) }'; then
    echo "  (SCALE=0: no data generated)"
    return 0
  fi
  # generate_platform_data(), loaded from parallel sessions (same data).
  SCALE=$SCALE REFERENCE=$REFERENCE sh "$KIT_DIR/generate.sh" "$@"
}

vacuum_data() {
  psql_kit "$@" <<'EOF'
VACUUM (ANALYZE) public.organizations, public.users, public.user_sessions, public.courses,
                 public.modules, public.lessons, public.enrollments, public.progress,
                 public.analytics_events;
EOF
}

refresh_views() {
  psql_kit -At -F ' ' "$@" <<'EOF'
SELECT '    ' || rpad(view_name, 36) || CASE WHEN success THEN rows || ' rows, ' || duration_ms || ' ms' ||
       CASE WHEN concurrent THEN ' (concurrently)' ELSE '' END ELSE 'FAILED: ' || error END
FROM public.refresh_all_analytics_views();
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT ON (view_name) success FROM public.mv_refresh_log
                              WHERE source = 'function' ORDER BY view_name, id DESC) s
               WHERE NOT s.success) THEN
        RAISE EXCEPTION 'a materialized view refresh failed (see mv_refresh_log)';
    END IF;
END
$$;
EOF
}

target=$(psql_kit -At "$@" <<'EOF'
SELECT current_database() || ' on ' || coalesce(host(inet_server_addr()), 'local socket')
       || ' port ' || current_setting('port') || ' as ' || current_user;
EOF
) || { echo "install.sh: cannot connect" >&2; exit 1; }
echo "pgdeck kit install: SCALE=$SCALE${REFERENCE:+ REFERENCE=$REFERENCE} into $target"
step schema      run_file "$@" -f "$KIT_DIR/schema.sql"
step partitions  run_file "$@" -f "$KIT_DIR/partitions.sql"
step views       run_file "$@" -f "$KIT_DIR/views.sql"
step monitoring  run_file "$@" -f "$KIT_DIR/monitoring.sql"
step maintenance run_file "$@" -f "$KIT_DIR/maintenance.sql"
step generator   run_file "$@" -f "$KIT_DIR/generate.sql"
step data        gen_data "$@"
step vacuum-analyze vacuum_data "$@"
# Index builds get more memory than the server default (64MB) unless told
# otherwise; quiet, because a re-run would print "already exists, skipping"
# for every index.
IDXOPTS="-c client_min_messages=warning -c maintenance_work_mem=${KIT_MAINTENANCE_WORK_MEM:-256MB}"
step indexes     env PGOPTIONS="${PGOPTIONS:-} $IDXOPTS" \
                 psql -X -q -v ON_ERROR_STOP=1 "$@" -f "$KIT_DIR/indexes.sql"
step indexes-partitioned env PGOPTIONS="${PGOPTIONS:-} $IDXOPTS" \
                 psql -X -q -v ON_ERROR_STOP=1 "$@" -f "$KIT_DIR/indexes-partitioned.sql"
step refresh-views refresh_views "$@"
awk -v a="$TOTAL0" -v b="$(now)" 'BEGIN { printf "  %-26s %8.2f s\n", "total", b - a }'
