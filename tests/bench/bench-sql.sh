#!/bin/sh
# The guide's "expected performance" table, reproduced on generated data.
#
#   make bench-sql            (= sh tests/bench/bench-sql.sh)
#
# Builds the same data (same scale, same reference month) twice:
#   baseline   keys and foreign keys only: schema.sql -v baseline=1 (analytics
#              events unpartitioned), no extra index, no materialized view
#   kit        sql/kit/install.sh: partitions, the guide's indexes, views, ...
# then runs every workload script of sql/kit/workload for a fixed time on each
# (pgbench -n, per-transaction log for the p95, per-statement latencies) and
# prints, per query type, mean and p95 latency before and after, the ratio,
# and the guide's targets.
#
# Environment:
#   SCALE=5        data scale (pgbench-like; 1 = 10k users, 1M events)
#   DURATION=20    seconds per workload per database
#   WARMUP=3       seconds of unlogged warm-up before each run
#   CLIENTS=2      pgbench -c and -j
#   REFERENCE      generator reference month (default: the current UTC month)
#   BENCH_OUT      directory for logs and the result (default build/bench-sql)
#   KEEP_DBS=1     keep the two databases (kitbench_base_PID, kitbench_kit_PID)
# Connection: the PG* environment; when PGHOST is not set the test harness is
# started (tests/harness.sh) and stopped again afterwards if it was not running.
set -u
LC_ALL=C
export LC_ALL

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KIT=$ROOT/sql/kit
SCALE=${SCALE:-5}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
CLIENTS=${CLIENTS:-2}
REF=${REFERENCE:-$(date -u +%Y-%m-01)}
OUT=${BENCH_OUT:-$ROOT/build/bench-sql}
BASE=kitbench_base_$$
KITDB=kitbench_kit_$$

HARNESS_STOP=0
if [ -z "${PGHOST:-}" ]; then
	if ! sh "$ROOT/tests/harness.sh" status >/dev/null 2>&1; then HARNESS_STOP=1; fi
	sh "$ROOT/tests/harness.sh" start >/dev/null 2>&1 || { echo "bench-sql: cannot start the harness" >&2; exit 1; }
	# shellcheck disable=SC1090
	. "$(sh "$ROOT/tests/harness.sh" env)"
fi
unset PGOPTIONS

cleanup() {
	if [ "${KEEP_DBS:-0}" != 1 ]; then
		dropdb --if-exists --force "$BASE" >/dev/null 2>&1
		dropdb --if-exists --force "$KITDB" >/dev/null 2>&1
	fi
	[ $HARNESS_STOP = 1 ] && sh "$ROOT/tests/harness.sh" stop >/dev/null 2>&1
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT" || exit 2
rm -f "$OUT"/*.log.* "$OUT"/*.txt "$OUT"/*.lat 2>/dev/null

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '%s\n' "$*" >&2; }

PGVER=$(psql -X -At -d postgres -c "SHOW server_version" 2>/dev/null) || { say "bench-sql: cannot connect"; exit 1; }
say "bench-sql: PostgreSQL $PGVER, scale $SCALE, reference month $REF, $DURATION s per workload, $CLIENTS clients; logs in $OUT"

# ---------------------------------------------------------------- build

t=$(now)
createdb "$BASE" || exit 1
if ! psql -X -q -v ON_ERROR_STOP=1 -v baseline=1 -d "$BASE" -f "$KIT/schema.sql" -f "$KIT/generate.sql" >"$OUT/build-baseline.txt" 2>&1 ||
   ! SCALE=$SCALE REFERENCE=$REF sh "$KIT/generate.sh" -d "$BASE" >>"$OUT/build-baseline.txt" 2>&1 ||
   ! psql -X -q -At -v ON_ERROR_STOP=1 -d "$BASE" >>"$OUT/build-baseline.txt" 2>&1 <<EOF
VACUUM (ANALYZE) organizations, users, user_sessions, courses, modules, lessons, enrollments, progress, analytics_events;
EOF
then
	say "bench-sql: building the baseline failed:"; tail -n 20 "$OUT/build-baseline.txt" >&2; exit 1
fi
BASE_BUILD=$(since "$t")
say "  baseline built in $BASE_BUILD s"

t=$(now)
createdb "$KITDB" || exit 1
if ! SCALE=$SCALE REFERENCE=$REF sh "$KIT/install.sh" -d "$KITDB" >"$OUT/build-kit.txt" 2>&1; then
	say "bench-sql: installing the kit failed:"; tail -n 20 "$OUT/build-kit.txt" >&2; exit 1
fi
KIT_BUILD=$(since "$t")
say "  kit installed in $KIT_BUILD s:"
sed -n 's/^  \([a-z-]*\) *\([0-9.]*\) s$/    \1 \2 s/p' "$OUT/build-kit.txt" >&2

if psql -X -v ON_ERROR_STOP=1 -d "$KITDB" -f "$KIT/test-optimizations.sql" >"$OUT/validation.txt" 2>&1; then
	VALID="passed ($(grep -c 'NOTICE:  ok' "$OUT/validation.txt") checks)"
else
	VALID="FAILED: $(grep -c 'NOTICE:  FAIL' "$OUT/validation.txt") checks, see $OUT/validation.txt"
fi
say "  kit validation: $VALID"

SIZES=$(psql -X -At -F ' ' -d "$KITDB" -c "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM courses), (SELECT count(*) FROM enrollments), (SELECT count(*) FROM progress), (SELECT count(*) FROM analytics_events), pg_size_pretty(pg_database_size(current_database()))")
BASE_SIZE=$(psql -X -At -d "$BASE" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
psql -X -q -d postgres -c CHECKPOINT >/dev/null 2>&1

# ---------------------------------------------------------------- run

# run TAG DB WORKLOAD: warm up, run, leave the latencies (ms, one a line) in
# $OUT/TAG.WORKLOAD.lat and pgbench's report in $OUT/TAG.WORKLOAD.txt.
run() {
	_tag=$1 _db=$2 _w=$3
	pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T "$WARMUP" -D scale="$SCALE" -f "$KIT/workload/$_w.sql" "$_db" >/dev/null 2>&1
	pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -D scale="$SCALE" -r -l \
		--log-prefix="$OUT/$_tag.$_w.log" -f "$KIT/workload/$_w.sql" "$_db" >"$OUT/$_tag.$_w.txt" 2>&1
	_rc=$?
	cat "$OUT/$_tag.$_w.log".* 2>/dev/null | awk '$3 ~ /^[0-9]+$/ { printf "%.3f\n", $3 / 1000 }' > "$OUT/$_tag.$_w.lat"
	rm -f "$OUT/$_tag.$_w.log".*
	_failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$OUT/$_tag.$_w.txt")
	if [ $_rc -ne 0 ] || [ "${_failed:-0}" != 0 ]; then
		say "  $_tag $_w: pgbench exit $_rc, ${_failed:-?} failed transactions (see $OUT/$_tag.$_w.txt)"
		echo "$_tag $_w" >> "$OUT/errors.txt"
	fi
	say "  $_tag $_w: $(stats "$OUT/$_tag.$_w.lat" | awk '{ printf "%d transactions, mean %.2f ms, p95 %.2f ms", $1, $2, $3 }')"
}

# stats FILE: "count mean p95" of the latencies in FILE (p95: nearest rank).
stats() {
	sort -n "$1" | awk '{ v[NR] = $1; s += $1 }
		END { if (NR == 0) { print 0, "nan", "nan"; exit }
		      k = int(0.95 * NR + 0.999999); if (k < 1) k = 1; if (k > NR) k = NR
		      printf "%d %.3f %.3f\n", NR, s / NR, v[k] }'
}

WORKLOADS="login course_discovery progress_update search analytics_raw ingest"
for w in $WORKLOADS; do
	run baseline "$BASE" "$w"
	run kit "$KITDB" "$w"
	if [ "$w" = analytics_raw ]; then run kit "$KITDB" analytics_views; fi
done

# ---------------------------------------------------------------- table

# row LABEL BASE_FILE KIT_FILE TARGET_MS  ->  one line of the table and, on
# stdout of awk, nothing else; the summary numbers are recomputed below.
row() {
	_b=$(stats "$2") _k=$(stats "$3")
	echo "$_b $_k" | awk -v label="$1" -v target="$4" '{
		bm = $2; bp = $3; km = $5; kp = $6
		if (target == "-") { t = "-"; verdict = "" }
		else { t = "< " target " ms"; verdict = (kp + 0 < target + 0) ? "met" : sprintf("MISSED by %.0f ms", kp - target) }
		printf "%-24s %9.2f %9.2f   %9.2f %9.2f   %7.1fx %7.1fx   %-9s %s\n",
		       label, bm, bp, km, kp, bm / km, bp / kp, t, verdict }'
}
mean_of() { stats "$1" | awk '{ print $2 }'; }
p95_of() { stats "$1" | awk '{ print $3 }'; }

B=$OUT/baseline K=$OUT/kit
{
echo "pgdeck SQL kit benchmark: PostgreSQL $PGVER, scale $SCALE, reference month $REF"
echo "data: $(echo "$SIZES" | awk '{ printf "%d users, %d courses, %d enrollments, %d progress rows, %d analytics events; kit database %s %s", $1, $2, $3, $4, $5, $6, $7 }'), baseline database $BASE_SIZE"
echo "build: baseline $BASE_BUILD s, kit $KIT_BUILD s (install.sh, timings in build-kit.txt); kit validation $VALID"
echo "load: each workload $DURATION s (after $WARMUP s warm-up) on each database, pgbench -n -c $CLIENTS -j $CLIENTS, simple protocol;"
echo "      latency = one pgbench transaction (the whole script); p95 from pgbench -l; $(nproc 2>/dev/null || echo '?') CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo
echo "                          baseline (ms)          kit (ms)            speed-up       guide target"
echo "query type                    mean       p95        mean       p95      mean     p95   (kit p95)"
row "login"                "$B.login.lat"            "$K.login.lat"            50
row "course discovery"     "$B.course_discovery.lat" "$K.course_discovery.lat" 100
row "progress update"      "$B.progress_update.lat"  "$K.progress_update.lat"  30
row "search (full text)"   "$B.search.lat"           "$K.search.lat"           150
row "analytics, raw SQL"   "$B.analytics_raw.lat"    "$K.analytics_raw.lat"    -
row "analytics via views"  "$B.analytics_raw.lat"    "$K.analytics_views.lat"  200
row "ingest (50 events)"   "$B.ingest.lat"           "$K.ingest.lat"           -
echo "(\"analytics via views\": baseline = the raw SQL on the baseline, kit = the same answers read from the materialized views)"
echo
awk -v r="$(mean_of "$K.analytics_raw.lat")" -v v="$(mean_of "$K.analytics_views.lat")" \
    -v rp="$(p95_of "$K.analytics_raw.lat")" -v vp="$(p95_of "$K.analytics_views.lat")" \
    -v br="$(mean_of "$B.analytics_raw.lat")" 'BEGIN {
	printf "analytics via views vs raw SQL, both on the kit:  mean %.1f ms vs %.2f ms = %.0fx faster, p95 %.0fx (guide: >= 14x) %s\n",
	       r, v, r / v, rp / vp, (r / v >= 14) ? "met" : "MISSED"
	printf "analytics via views (kit) vs raw SQL (baseline):  mean %.1f ms vs %.2f ms = %.0fx faster\n", br, v, br / v }'
# The guide's five query types; analytics as deployed (views).
awk -v b1="$(mean_of "$B.login.lat")" -v k1="$(mean_of "$K.login.lat")" \
    -v b2="$(mean_of "$B.course_discovery.lat")" -v k2="$(mean_of "$K.course_discovery.lat")" \
    -v b3="$(mean_of "$B.progress_update.lat")" -v k3="$(mean_of "$K.progress_update.lat")" \
    -v b4="$(mean_of "$B.search.lat")" -v k4="$(mean_of "$K.search.lat")" \
    -v b5="$(mean_of "$B.analytics_raw.lat")" -v k5="$(mean_of "$K.analytics_views.lat")" \
    -v k5r="$(mean_of "$K.analytics_raw.lat")" 'BEGIN {
	sb = b1 + b2 + b3 + b4 + b5; sk = k1 + k2 + k3 + k4 + k5
	g = exp((log(b1 / k1) + log(b2 / k2) + log(b3 / k3) + log(b4 / k4) + log(b5 / k5)) / 5)
	printf "mean over the five query types (login, discovery, progress, search, analytics via views):\n"
	printf "  mean latency %.2f ms -> %.2f ms = %.1fx faster (guide: >= 5.5x) %s; geometric mean of the five speed-ups %.1fx\n",
	       sb / 5, sk / 5, sb / sk, (sb / sk >= 5.5) ? "met" : "MISSED", g
	sk2 = k1 + k2 + k3 + k4 + k5r
	g2 = exp((log(b1 / k1) + log(b2 / k2) + log(b3 / k3) + log(b4 / k4) + log(b5 / k5r)) / 5)
	printf "  the same with analytics as raw SQL on the kit (indexes and partitions only): %.1fx, geometric mean %.1fx\n",
	       sb / sk2, g2 }'
if [ -s "$OUT/errors.txt" ]; then echo; echo "ERRORS in: $(tr '\n' ' ' < "$OUT/errors.txt")"; fi
} | tee "$OUT/result.txt"

[ ! -s "$OUT/errors.txt" ]
