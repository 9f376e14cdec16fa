# What the benchmark scripts share (sourced, after ROOT, HARNESS, RUN_DIR
# and OUT are set): the clock of their progress lines, and servers of
# their own.

now() { date +%s.%N; }
# Seconds since $1 (a now), one decimal.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# A fresh harness in $RUN_DIR (stopped, then started; its log in
# $OUT/harness.log), its environment sourced.  The caller's PG* variables
# and URLs are dropped first: the harness does the same, and the bench
# must measure its own servers, never the developer's.
bench_fresh_servers() {
	for _v in $(env | sed -n 's/^\(PG[A-Z0-9_]*\)=.*/\1/p'); do
		case $_v in PGDECK_BIN) ;; *) unset "$_v" ;; esac
	done
	unset DATABASE_URL DATABASE_READ_REPLICA_URL PGBOUNCER_URL REDIS_URL
	PGDECK_RUN=$RUN_DIR
	export PGDECK_RUN
	sh "$HARNESS" stop > "$OUT/harness.log" 2>&1
	sh "$HARNESS" start >> "$OUT/harness.log" 2>&1 || { tail -n 20 "$OUT/harness.log" >&2; return 1; }
	# shellcheck disable=SC1090
	. "$(sh "$HARNESS" env)"
}
