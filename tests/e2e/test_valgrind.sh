#!/bin/sh
# pgdeck under valgrind for 20 s against the four servers, with a little
# movement (pane changes, help, a filter): no invalid read or write, and
# nothing definitely lost at exit.
. tests/e2e/lib.sh

# valgrind cannot run a binary built with AddressSanitizer (make check
# SANITIZE=1): that pass has ASan itself; the plain make check runs this.
if nm "$(pgdeck_bin)" 2>/dev/null | grep -q '__asan_init'; then
	skip "pgdeck under valgrind" "$(pgdeck_bin) is built with AddressSanitizer, which valgrind cannot run"
	tap_done
fi

if ! command -v valgrind >/dev/null 2>&1; then
	not_ok "valgrind is installed (tests/deps.sh installs it)"
	tap_done
fi

log=$(mktemp)
at_exit "rm -f '$log'"
tmux_start vg 120 40 valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --log-file="$log" "$(pgdeck_bin)" -i 0.5
check "pgdeck starts under valgrind" tmux_wait_for vg 'primary: up' 30
end=$(( $(date +%s) + 20 ))
while [ "$(date +%s)" -lt "$end" ]; do
	for k in Tab 2 3 4 5 6 1 '?' Escape t t / a Escape; do
		tmux_keys vg "$k"
		sleep 0.1
	done
	sleep 1
done
tmux_keys vg q
check "pgdeck exits under valgrind" tmux_wait_exit vg 30
status=$(tmux_exit_status vg)
check_eq "valgrind found no errors (exit status)" 0 "$status"
check "valgrind reports 0 errors" grep -q 'ERROR SUMMARY: 0 errors' "$log"
check "nothing definitely lost" sh -c "grep -q 'definitely lost: 0 bytes' '$log' || grep -q 'All heap blocks were freed' '$log'"
[ "$TAP_FAILED" -gt 0 ] && diag "$(tail -40 "$log")"
tap_done
