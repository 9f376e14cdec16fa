#!/bin/sh
# A small, bounded cache workload for the demo's Redis, shaped like the
# guide's cache: keys written with its TTL tiers (5 min, 30 min, 4 h, 24 h)
# and read back with roughly 80 % hits, so pgdeck's cache pane has a live,
# believable hit ratio to show.
#
#   sh tests/workload-redis.sh [PORT]      (default $PGDECK_REDIS_PORT)
#
# About RATE commands a second (default 40) go through one redis-cli.  It
# stops by itself after DURATION seconds (default 3600) or as soon as its
# parent (or PGDECK_WORKLOAD_PARENT) is gone, and deletes nothing.
set -u

PORT=${1:-${PGDECK_REDIS_PORT:?no Redis port: give one or source the harness env.sh}}
RATE=${PGDECK_REDIS_RATE:-40}
DURATION=${PGDECK_REDIS_DURATION:-3600}
PARENT=${PGDECK_WORKLOAD_PARENT:-$PPID}

# Commands come from awk in batches of a tenth of a second; the shell's
# sleep is also where awk learns that the parent has gone (kill -0 fails),
# so the loop needs no fork per command.  Key families follow the guide:
#   session:*   300 s     user:*:profile 14400 s
#   courses:*   1800 s    analytics:*    86400 s
# Reads go to keys the loop has written (hits) four times out of five and
# to keys that never exist (misses) otherwise.
generate() {
	awk -v rate="$RATE" -v duration="$DURATION" -v parent="$PARENT" '
	function key(n,   k) {
		k = n % 4
		if (k == 0) return "session:" n
		if (k == 1) return "courses:page:" n
		if (k == 2) return "user:" n ":profile"
		return "analytics:course:" n
	}
	function ttl(n,   k) {
		k = n % 4
		return k == 0 ? 300 : k == 1 ? 1800 : k == 2 ? 14400 : 86400
	}
	BEGIN {
		srand()
		per_batch = int(rate / 10); if (per_batch < 1) per_batch = 1
		batches = duration * 10
		keys = 500
		# Warm the cache first so the hit ratio is right from the start.
		for (n = 0; n < keys; n++)
			printf "SET pgdeck:demo:%s v%d EX %d\n", key(n), n, ttl(n)
		for (b = 0; b < batches; b++) {
			for (i = 0; i < per_batch; i++) {
				n = int(rand() * keys)
				r = rand()
				if (r < 0.15)
					printf "SET pgdeck:demo:%s v%d EX %d\n", key(n), b, ttl(n)
				else if (r < 0.83)
					printf "GET pgdeck:demo:%s\n", key(n)
				else
					printf "GET pgdeck:demo:missing:%d\n", int(rand() * 1000000)
			}
			fflush()
			if (system("sleep 0.1; kill -0 " parent " 2>/dev/null") != 0)
				exit 0
		}
	}'
}

# Stopping redis-cli stops awk too (its next write fails), so a TERM from
# the demo ends the whole pipeline.
generate | redis-cli -h 127.0.0.1 -p "$PORT" > /dev/null 2>&1 &
cli=$!
trap 'kill "$cli" 2>/dev/null; exit 0' TERM INT HUP
wait "$cli"
