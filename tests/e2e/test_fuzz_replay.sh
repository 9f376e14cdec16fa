#!/bin/sh
# The fuzz corpus (seeds and every crash input found so far) replayed
# through the libFuzzer targets built with ASan and UBSan: a parser
# regression on a known-bad input fails here, not in the field.
. tests/e2e/lib.sh

out=$(sh tests/fuzz/build.sh replay 2>&1)
rc=$?
printf '%s\n' "$out" | grep -E 'replayed|crash|error' | sed 's/^/# /'
for t in $(printf '%s\n' "$out" | sed -n 's/^\(fuzz_[a-z_]*\): [0-9]* inputs replayed.*/\1/p'); do
	check "$t replays its corpus without a crash" sh -c "printf '%s\n' \"\$1\" | grep -q \"^$t: [0-9]* inputs replayed, no crash\"" sh "$out"
done
check_eq "the fuzz build and replay succeed" 0 "$rc"
tap_done
