#!/bin/sh
# Installs the Debian packages pgdeck needs to build, test and demo.
#
# On a machine that has them all this does nothing and takes a few
# milliseconds (one dpkg-query).  When some are missing: as root it runs
# apt-get (quietly, logged to a file, the log's tail shown on failure); as
# anyone else it prints the command to run and exits 1.
#
# Installing postgresql-15, redis-server or pgbouncer would normally start
# their system services.  pgdeck's harness runs its own servers on private
# ports, so none of the system's are wanted: service starts are refused
# during the install (policy-rc.d), and any system daemon that the install
# started anyway is stopped again.
set -u

PACKAGES="libncurses-dev libpq-dev libhiredis-dev libuv1-dev pkg-config
postgresql-15 postgresql-contrib postgresql-15-hypopg postgresql-15-partman redis-server pgbouncer tmux
libcmocka-dev libinih-dev libjansson-dev libpg-query-dev libprotobuf-c-dev procps
valgrind clang libclang-rt-14-dev python3 strace"

installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $PACKAGES 2>/dev/null |
	awk '$2 == "ii" { print $1 }')
missing=""
for p in $PACKAGES; do
	printf '%s\n' "$installed" | grep -qx "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
missing=${missing# }

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages: $missing" >&2
	echo "deps: install them with:" >&2
	echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y $missing" >&2
	exit 1
fi

log=${TMPDIR:-/tmp}/pgdeck-deps.log
echo "deps: installing $missing (log: $log)"

# Refuse service starts for the duration, unless the machine already does.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, from pgdeck tests/deps.sh\nexit 101\n' > "$policy" &&
		chmod 755 "$policy" && made_policy=1
fi
cleanup() { [ $made_policy = 1 ] && rm -f "$policy"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The system's own instances, by what their command lines name (the
# packaged cluster, redis on 6379, pgbouncer's /etc config); never a server
# some developer started by hand.  Those running before are not ours to stop.
system_daemons() {
	ps -eo pid=,comm=,args= 2>/dev/null | awk '
		$2 == "postgres" && /(\/etc\/postgresql|\/var\/lib\/postgresql)/ { print $1 }
		$2 == "redis-server" && /:6379/ { print $1 }
		$2 == "pgbouncer" && /\/etc\/pgbouncer/ { print $1 }'
}
before=$(system_daemons)

start=$(date +%s)
if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	$missing; } </dev/null > "$log" 2>&1; then
	echo "deps: apt-get failed; last lines of $log:" >&2
	tail -n 25 "$log" >&2
	exit 1
fi

# Anything the install started despite the policy.
for pid in $(system_daemons); do
	printf '%s\n' "$before" | grep -qx "$pid" && continue
	echo "deps: stopping a system service the install started: $(ps -o args= -p "$pid")"
	kill -TERM "$pid" 2>/dev/null
done

echo "deps: installed in $(($(date +%s) - start)) s"
