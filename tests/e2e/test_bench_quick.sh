#!/bin/sh
# make bench-quick: the benchmark runs end to end on a small scale (its own
# servers, not the harness the other tests use), prints a table for each of
# its four parts and the aims, and writes them to a results file.
. tests/e2e/lib.sh

# The bench measures the binary it is given; built with the sanitizers
# (make check SANITIZE=1) its figures mean nothing, and the script itself,
# which is what this smoke test is for, is checked by the plain pass.  (It
# was 100 s of that pass's 15 minutes.)
if nm "$(pgdeck_bin)" 2>/dev/null | grep -q '__asan_init'; then
	skip "bench.sh --quick" "$(pgdeck_bin) is built with AddressSanitizer: the plain pass runs the bench"
	tap_done
fi

out=$_LIB_TMP/bench.out
err=$_LIB_TMP/bench.err
start=$(date +%s)
# The benchmark reads the PG* and server variables of the harness as
# leftovers to drop; give it a clean slate anyway.
env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u DATABASE_URL \
	sh tests/bench/bench.sh --quick > "$out" 2> "$err"
rc=$?
took=$(($(date +%s) - start))
if [ $rc -eq 0 ]; then
	ok "bench.sh --quick exits 0 (in $took s)"
else
	not_ok "bench.sh --quick exits 0 (exit $rc after $took s)"
	diag "$(tail -n 20 "$err")"
fi
# How long it took is said above, not asserted: speed is the bench's to
# measure, and a loaded machine is slower without anything being wrong.

for t in "Part 1 - peers" "Part 2 - scale" "Part 3 - key-to-screen" "Part 4 - start" "Aims"; do
	check "it prints the table '$t'" grep -q "^$t" "$out"
done
check "part 1 has a row for pgdeck with figures" grep -Eq '^pgdeck +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+ ' "$out"
check "... and one for pgdeck with host figures off" grep -Eq '^pgdeck_nohost +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+ ' "$out"
check "part 4 times --once and check" grep -Eq '^pgdeck --once +[0-9.]+' "$out"
check "part 2 has the refresh cycle, client CPU and frame times" \
	sh -c "grep -q '^whole refresh cycle' '$out' && grep -q '^client: CPU' '$out' && grep -Eq '^frames [0-9]+: mean [0-9.]+ ms' '$out'"
check "part 2 times the activity collector on the server" grep -Eq '^activity +[0-9]+ +[0-9.]+ +[0-9.]+ ' "$out"
check "part 3 timed keys idle and stuck" \
	sh -c "grep -Eq '^database idle +[1-9][0-9]* +[0-9.]+' '$out' && grep -Eq '^primary stopped .* +[1-9][0-9]* +[0-9.]+' '$out'"
check "part 4 timed both starts" \
	sh -c "grep -Eq '^servers up +[0-9.]+' '$out' && grep -Eq '^primary on a closed port +[0-9.]+' '$out'"
sed -n '/^Aims$/,/^$/p' "$out" | sed '1d;/^$/d' > "$_LIB_TMP/aims"
check "it judges every aim (the aims of issue 14)" test "$(wc -l < "$_LIB_TMP/aims")" -ge 14
check "every aim says PASS, MISS or - (not judged)" \
	sh -c "! grep -Ev ' (PASS|MISS|-) ' '$_LIB_TMP/aims'"

results=$(sed -n 's/^results: //p' "$out")
# A smoke test's figures are not worth keeping: leave no results behind.
rawdir=$(sed -n 's/^command: .*raw data in //p' "$out")
at_exit "rm -rf '$rawdir' '$results'"
check "it names a results file that exists" test -n "$results" -a -f "$results"
case $results in
*/build/bench/results-[0-9]*-[0-9]*-quick.txt) ok "the results file is build/bench/results-DATE-TIME-quick.txt" ;;
*) not_ok "the results file is build/bench/results-DATE-TIME-quick.txt (got '$results')" ;;
esac
if [ -f "$results" ]; then
	for t in "Part 1 - peers" "Part 2 - scale" "Part 3 - key-to-screen" "Part 4 - start" "Aims" "machine:" "versions:"; do
		check "the results file has '$t'" grep -q "^$t" "$results"
	done
	check "the results file describes the machine (nproc, memory)" grep -Eq 'CPUs .* GiB memory' "$results"
fi
check "its servers are stopped (no run dir left)" test ! -d "/tmp/pgdeck-bench-$(id -u)-quick"
check "and no server of it still runs" \
	sh -c "! ps -eo args= | grep -v grep | grep -q 'pgdeck-bench-$(id -u)-quick/'"

tap_done
