# What the benchmark scripts share (sourced, after ROOT, HARNESS, RUN_DIR
# and OUT are set): the clock of their progress lines, and servers of
# their own.

# The benchmark measures pgdeck as it comes: with its default cadences, not
# the test suite's (tests/e2e/lib.sh) or a caller's.
unset PGDECK_CATALOG_INTERVAL

now() { date +%s.%N; }
# Seconds since $1 (a now), one decimal.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# calc EXPR [FORMAT]: EXPR evaluated by awk, or "-" when a figure in it is.
calc() {
	case " $1 " in *" - "* | *"  "*) echo -; return 0 ;; esac
	awk "BEGIN { x = $1; printf \"${2:-%.2f}\", x }" 2>/dev/null || echo -
}
# proc_cpu PID: seconds of CPU the process has run: every thread's
# /proc/PID/task/TID/schedstat (nanoseconds; utime+stime are sampled at the
# timer tick and kept in 10 ms units, too coarse for a tool that runs 30 ms
# a minute), and its reaped children's cutime+cstime.
proc_cpu() {
	[ -r "/proc/$1/stat" ] || return 0
	cat "/proc/$1"/task/*/schedstat 2>/dev/null |
		awk -v tck="$(getconf CLK_TCK)" -v stat="/proc/$1/stat" '{ ns += $1 }
			END { if ((getline line < stat) > 0) { sub(/^.*\) /, "", line); split(line, f, " ")
				printf "%.6f\n", ns / 1e9 + (f[14] + f[15]) / tck } }'
}

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
