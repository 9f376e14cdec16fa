#!/bin/sh
# Hostile input, each piece created by this test and then looked at
# through pgdeck:
#   - escape sequences (an OSC title, CSI clear and colour, a DCS, an 8-bit
#     C1 CSI) in a query text, an application_name, a database name, a role
#     name, and in table, view and index names;
#   - invalid UTF-8 from a SQL_ASCII database (query text and a table name);
#   - a 1 MB query text (pg_stat_statements keeps it whole);
#   - identifiers with quotes, spaces, backslashes, unicode and emoji, one
#     of 63 bytes, reserved words;
#   - partitioned tables by list and hash, with MINVALUE/MAXVALUE bounds,
#     with no partition at all, and partitions of partitions.
# Each is shown (made visible, not obeyed), acted on where an action
# applies (quoted, never pasted: the database is checked afterwards), and
# every byte pgdeck writes to the terminal (tmux pipe-pane) is checked: no
# OSC, DCS or other string sequence, no C1 control, valid UTF-8 (plain
# ASCII in the C locale), none of the payloads, and the terminal's title
# unchanged.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_hostile_$$
DB_A=e2e_hostile_a_$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-hostile.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_STATE_HOME=$TMP/state
XDG_CONFIG_HOME=$TMP/config
export XDG_STATE_HOME XDG_CONFIG_HOME
JOURNAL=$TMP/state/pgdeck/journal
UTF8="LC_ALL=C.UTF-8 LANG=C.UTF-8"
SOCKDB="host=$PGDECK_SOCKET_DIR port=$PGDECK_PG_PORT user=postgres"
MARK=hostile$$

E=$(printf '\033')
BEL=$(printf '\007')
C1=$(printf '\302\233')                 # U+009B, the 8-bit CSI, as UTF-8
OSC="${E}]2;HOSTILE-TITLE${BEL}"        # sets the terminal's title
SGR="${E}[31;1mRED-HOSTILE"             # colour
CLR="${E}[2JCLR-HOSTILE"                # clears the screen
DCS="${E}P1;2|DCS-HOSTILE${E}\\"        # a device control string
C1S="${C1}31mC1-HOSTILE"
# Names (psql quotes them from variables: :"name").
T_OSC="ht${OSC}"                        # a table
MV_SGR="hmv${SGR}"                      # a view, never populated
MV_CLR="hmv2${CLR}"                     # a view
IX_DCS="hix${DCS}"                      # an INVALID index
P_C1="hp${C1S}"                         # a list-partitioned table
ODD='Odd "Name" \ 🐘 ünï'               # a view: quotes, space, backslash, emoji, unicode
LONG="$(printf 'ä%.0s' $(seq 1 29))long5"  # 63 bytes: a view
EV='ev "q" \ 🐘'                        # a range-partitioned table, monthly
HDB="hdb${OSC}"                         # a database
HROLE="hrole${SGR}"                     # a role
HAPP="happ${OSC}"                       # an application_name

q() { psql_q "$1" "$SOCKDB dbname=$DB"; }
# qn NAME SQL: SQL in which :'n' and :"n" stand for NAME (psql
# interpolates variables only in what it reads, not in -c).
qn() { printf '%s\n' "$2" | psql -XAtq -v ON_ERROR_STOP=1 -v n="$1" "$SOCKDB dbname=$DB"; }
qa() { psql_q "$1" "$SOCKDB dbname=$DB_A"; }

cleanup() {
	psql -XAtq "$SOCKDB dbname=postgres" >/dev/null 2>&1 <<EOF
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%$MARK%' AND pid <> pg_backend_pid();
SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database WHERE datname IN ('$DB', '$DB_A');
DROP DATABASE IF EXISTS $DB WITH (FORCE);
DROP DATABASE IF EXISTS $DB_A WITH (FORCE);
EOF
	psql -XAtq -v hdb="$HDB" -v hrole="$HROLE" "$SOCKDB dbname=postgres" >/dev/null 2>&1 <<'EOF'
DROP DATABASE IF EXISTS :"hdb" WITH (FORCE);
DROP ROLE IF EXISTS :"hrole";
EOF
}
at_exit cleanup

psql_q "CREATE DATABASE $DB" "$SOCKDB dbname=postgres" >/dev/null || { not_ok "create the test database"; tap_done; }
psql_q "CREATE DATABASE $DB_A ENCODING 'SQL_ASCII' LOCALE 'C' TEMPLATE template0" "$SOCKDB dbname=postgres" >/dev/null ||
	{ not_ok "create the SQL_ASCII database"; tap_done; }

# ---- the fixtures
fixtures() {
	psql -Xq -v ON_ERROR_STOP=1 "$SOCKDB dbname=$DB" \
		-v t_osc="$T_OSC" -v mv_sgr="$MV_SGR" -v mv_clr="$MV_CLR" -v p_c1="$P_C1" -v odd="$ODD" \
		-v long="$LONG" -v ev="$EV" -v ev_prev="${EV}_y$PREV" -v ev_cur="${EV}_y$CUR" \
		-v prev_from="$PREV_FROM" -v cur_from="$CUR_FROM" -v next_from="$NEXT_FROM" <<'EOF'
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE SCHEMA hostile;
CREATE SCHEMA "table";
SET search_path = hostile;
CREATE TABLE :"t_osc" (id int, v int);
INSERT INTO :"t_osc" SELECT g, g % 3 FROM generate_series(1, 30) g;
CREATE MATERIALIZED VIEW :"mv_sgr" AS SELECT count(*) AS n FROM :"t_osc" WITH NO DATA;
CREATE MATERIALIZED VIEW :"mv_clr" AS SELECT 1 AS n;
CREATE TABLE "table"."select" ("from" int, "order" text);
CREATE MATERIALIZED VIEW "table"."order" AS SELECT 1 AS "group";
CREATE MATERIALIZED VIEW :"odd" AS SELECT 1 AS n;
CREATE MATERIALIZED VIEW :"long" AS SELECT 1 AS n WITH NO DATA;
-- partitioned: by list (with a default), by hash, by range from MINVALUE
-- to MAXVALUE, with no partition, and partitions of partitions
CREATE TABLE :"p_c1" (k text, v int) PARTITION BY LIST (k);
CREATE TABLE hp_list_a PARTITION OF :"p_c1" FOR VALUES IN ('a', 'b');
CREATE TABLE hp_list_d PARTITION OF :"p_c1" DEFAULT;
INSERT INTO :"p_c1" VALUES ('a', 1), ('z', 2);
CREATE TABLE p_hash (id int) PARTITION BY HASH (id);
CREATE TABLE p_hash_0 PARTITION OF p_hash FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE p_hash_1 PARTITION OF p_hash FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE p_minmax (at timestamptz, v int) PARTITION BY RANGE (at);
CREATE TABLE p_minmax_old PARTITION OF p_minmax FOR VALUES FROM (MINVALUE) TO ('2020-01-01');
CREATE TABLE p_minmax_new PARTITION OF p_minmax FOR VALUES FROM ('2020-01-01') TO (MAXVALUE);
CREATE TABLE p_none (at timestamptz) PARTITION BY RANGE (at);
CREATE TABLE p_nest (at timestamptz, k int) PARTITION BY RANGE (at);
CREATE TABLE p_nest_2024 PARTITION OF p_nest FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY LIST (k);
CREATE TABLE p_nest_2024_1 PARTITION OF p_nest_2024 FOR VALUES IN (1);
CREATE TABLE p_nest_2024_2 PARTITION OF p_nest_2024 FOR VALUES IN (2) PARTITION BY HASH (k);
CREATE TABLE p_nest_2024_2_h PARTITION OF p_nest_2024_2 FOR VALUES WITH (MODULUS 1, REMAINDER 0);
CREATE TABLE :"ev" (id bigint, at timestamptz) PARTITION BY RANGE (at);
CREATE TABLE :"ev_prev" PARTITION OF :"ev" FOR VALUES FROM (:'prev_from') TO (:'cur_from');
CREATE TABLE :"ev_cur" PARTITION OF :"ev" FOR VALUES FROM (:'cur_from') TO (:'next_from');
EOF
}
# This month and the last, in UTC as pgdeck's monthly plan reads them.
CUR=$(date -u +%Ym%m)
PREV=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Ym%m)
CUR_FROM="$(date -u +%Y-%m-01) 00:00:00+00"
PREV_FROM="$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m-01) 00:00:00+00"
NEXT_FROM="$(date -u -d "$(date -u +%Y-%m-01) +1 month" +%Y-%m-01) 00:00:00+00"
fixtures >"$TMP/fixtures.log" 2>&1 || { not_ok "create the hostile fixtures"; diag "$(cat "$TMP/fixtures.log")"; tap_done; }
# An INVALID index: a UNIQUE build CONCURRENTLY over duplicates fails.
printf '%s\n' 'CREATE UNIQUE INDEX CONCURRENTLY :"ix" ON hostile.:"t" (v);' |
	psql -Xq -v ix="$IX_DCS" -v t="$T_OSC" "$SOCKDB dbname=$DB" >/dev/null 2>&1
check_eq "the index with a DCS in its name is INVALID" f \
	"$(qn "$IX_DCS" "SELECT indisvalid FROM pg_index WHERE indexrelid = (SELECT oid FROM pg_class WHERE relname = :'n')")"
# A plan whose index and table names need quoting.
cat > "$TMP/plan.sql" <<'EOF'
CREATE INDEX "ix ""q"" \ 🐘" ON "table"."select" ("from");
EOF

# A database, a role and an application_name with escapes, and a session
# there whose query text carries every payload.
psql -Xq -v ON_ERROR_STOP=1 -v hdb="$HDB" -v hrole="$HROLE" "$SOCKDB dbname=postgres" >/dev/null <<'EOF' ||
CREATE DATABASE :"hdb";
CREATE ROLE :"hrole" LOGIN;
EOF
	not_ok "create the hostile database and role"
printf 'SELECT pg_sleep(600) /* %s-q %s %s %s %s %s */;\n' "$MARK" "$OSC" "$SGR" "$CLR" "$DCS" "$C1S" > "$TMP/q.sql"
PGDATABASE=$HDB PGUSER=$HROLE PGAPPNAME=$HAPP psql -X -q -h "$PGDECK_SOCKET_DIR" -p "$PGDECK_PG_PORT" \
	-f "$TMP/q.sql" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"

# SQL_ASCII: bytes that are no UTF-8 (0xff 0xfe) and a raw 8-bit CSI (0x9b)
# in a query text and in a partitioned table's name.  Kept out of
# pg_stat_statements: one such text makes pg_stat_statements(true) fail in
# every UTF8 database of the cluster.
printf 'SET pg_stat_statements.track = none;\nSET pg_stat_statements.track_utility = off;\nCREATE TABLE "ap\377\233[2J" (at timestamptz) PARTITION BY RANGE (at);\n' > "$TMP/ascii-ddl.sql"
PGCLIENTENCODING=SQL_ASCII psql -X -q -v ON_ERROR_STOP=1 -f "$TMP/ascii-ddl.sql" "$SOCKDB dbname=$DB_A" >/dev/null 2>&1 ||
	not_ok "create the SQL_ASCII table"
printf 'SET pg_stat_statements.track = none;\nSELECT pg_sleep(600) /* %s-a \377\376 \23331m \033[31m */;\n' "$MARK" > "$TMP/ascii.sql"
PGCLIENTENCODING=SQL_ASCII psql -X -q -f "$TMP/ascii.sql" "$SOCKDB dbname=$DB_A" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"

# A 1 MB query text, run once: pg_stat_statements keeps it whole.
# (A second's sleep ranks it among the busiest, which the pane lists; the
# table makes its queryid this database's own: pg_stat_statements ignores
# comments, and the pg_sleep above would share it.)
awk -v m="$MARK" 'BEGIN { printf "SELECT pg_sleep(1), count(*) FROM hostile.p_hash /* %s-1mb ", m; for (i = 0; i < 16384; i++) printf "%064d", i; print " */;" }' > "$TMP/big.sql"
psql -X -q -f "$TMP/big.sql" "$SOCKDB dbname=$DB" >/dev/null 2>&1
check "the 1 MB text is in pg_stat_statements" \
	[ "$(q "SELECT max(length(query)) FROM pg_stat_statements WHERE query LIKE '%$MARK-1mb%'")" -gt 1000000 ]

sessions() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%$MARK-%' AND state = 'active' AND pid <> pg_backend_pid()")" = 2 ]; }
check "the two hostile sessions run" wait_until 10 sessions

# ---- the terminal's bytes: what may never be in them
cat > "$TMP/bytes.py" <<'EOF'
import re, sys
path, mode = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
problems = []
if not data:
    problems.append("nothing was written")
if mode == "ascii":
    high = [b for b in data if b >= 0x80]
    if high:
        problems.append("%d bytes above 127" % len(high))
else:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append("invalid UTF-8: %s" % e)
        text = data.decode("utf-8", "replace")
    c1 = [c for c in text if 0x80 <= ord(c) <= 0x9f]
    if c1:
        problems.append("%d C1 controls, e.g. U+%04X" % (len(c1), ord(c1[0])))
# ncurses never sends a string sequence: OSC, DCS, SOS, PM, APC
for intro, name in ((b"\x1b]", "OSC"), (b"\x1bP", "DCS"), (b"\x1bX", "SOS"), (b"\x1b^", "PM"), (b"\x1b_", "APC")):
    n = data.count(intro)
    if n:
        problems.append("%d %s sequences" % (n, name))
# the payloads, as they would act
for raw in (b"\x1b[31;1mRED-HOSTILE", b"\x1b[2JCLR-HOSTILE", b"\x9b31m", b"\xc2\x9b31m", b"\x07"):
    if raw in data:
        problems.append("raw payload %r" % raw)
print("; ".join(problems) if problems else "%d bytes, clean" % len(data))
sys.exit(1 if problems else 0)
EOF
clean_bytes() { python3 "$TMP/bytes.py" "$@"; }
title_kept() {
	_t=$(tmux -L "pgdeck-$1-$$" display-message -p -t main '#{pane_title}')
	case $_t in *HOSTILE*) echo "title: $_t"; return 1 ;; esac
	return 0
}

# set_filter NAME PANE TEXT: focus PANE and filter it by TEXT.  (/ opens
# the prompt holding the pane's filter; Esc clears it.  Esc goes alone:
# with a key right behind it curses could read the two as one sequence.)
set_filter() {
	tmux_keys "$1" "$2" /
	sleep 0.2
	tmux_keys "$1" Escape
	sleep 0.2
	tmux_keys "$1" /
	tmux_keys "$1" -l "$3"
	tmux_keys "$1" Enter
}

# ---- the console, UTF-8, 250x70: every pane at once
tmux_start big 250 70 env $UTF8 sh -c "sleep 0.3; exec '$PGDECK' -d '$DB' -i 0.5 --plan '$TMP/plan.sql'"
tmux_pipe big "$TMP/big.bytes"
check "the console is up on the hostile database" tmux_wait_for big 'primary: up' 15

# Queries: the database, role, application and query text, made visible.
tmux_keys big 1 /
tmux_keys big -l "$MARK-q"
tmux_keys big Enter
check "queries: the hostile session is listed, its text made visible" \
	tmux_wait_for big "$MARK-q \\^\\[\\]2;HOSTILE-TITLE\\^G \\^\\[\\[31;1mRED-HOSTILE \\^\\[\\[2J" 15
check "queries: the database name is shown made visible" tmux_wait_for big 'hdb\^\[\]2;HO' 2
check "queries: the role name is shown made visible" tmux_wait_for big 'hrole\^\[\[3' 2
check "queries: the server already cleaned the application_name (non-ASCII became ?)" \
	tmux_wait_for big 'happ\?\]2;HOS' 2
tmux_keys big Enter
check "Enter: the details show the whole query, made visible" \
	tmux_wait_for big "SELECT pg_sleep\\(600\\) /\\* $MARK-q \\^\\[\\]2;HOSTILE-TITLE\\^G \\^\\[\\[31;1mRED-HOSTILE" 5
check "Enter: ... to its end, wrapped" tmux_wait_for big "\\|DCS-HOSTILE\\^\\[\\\\ <9b>31mC1-HOSTILE \\*/;" 2
tmux_keys big Escape
tmux_wait_gone big 'Queries: details' 3 >/dev/null

# pg_stat_statements: the 1 MB text.
tmux_keys big 1 t
set_filter big 1 "$MARK-1mb"
check "statements: the 1 MB query is listed" tmux_wait_for big "SELECT pg_sleep\\(\\\$1\\), count\\(\\*\\) FROM hostile\\.p_hash /\\* $MARK-1mb 0000" 20
tmux_keys big Enter
check "statements: Enter shows the 1 MB text" tmux_wait_for big "$MARK-1mb 0000000000" 10
tmux_keys big Escape
sleep 0.2
tmux_keys big t '?'
check "after the 1 MB text the keys still answer" tmux_wait_for big 'pgdeck help' 3
tmux_keys big Escape

# Partitions: list, hash, MINVALUE/MAXVALUE, none, nested; names made visible.
# (A pane wide enough shows the KIND, and the indexes their TABLE.)
check "partitions: the list-partitioned table with a C1 in its name" \
	tmux_wait_for big 'hostile\.hp<9b>31mC1-HOSTILE +(list +)?2 ' 20
check "partitions: the hash-partitioned table" tmux_wait_for big 'hostile\.p_hash +(hash +)?2 ' 2
check "partitions: MINVALUE and MAXVALUE bounds" tmux_wait_for big 'hostile\.p_minmax +(range +)?2 .* MINVALUE +MAXVALUE' 2
check "partitions: a table with no partition" tmux_wait_for big 'hostile\.p_none +(range +)?0 ' 2
check "partitions: partitions of partitions, nested under their parents" \
	sh -c "tmux -L pgdeck-big-$$ capture-pane -p -t main | grep -q -- '- hostile\\.p_nest_2024 ' && tmux -L pgdeck-big-$$ capture-pane -p -t main | grep -q -- '- - hostile\\.p_nest_2024_2 '"
check "partitions: quotes, backslash and emoji in a name" tmux_wait_for big 'hostile\.ev "q" \\ 🐘 +(range +)?2 ' 2
# Views: escapes, quotes, emoji, a reserved word, 63 bytes.
# (the name column may cut the name's end: what matters is the escape shown)
check "views: a CSI colour in a view name" tmux_wait_for big 'hostile\.hmv\^\[\[31;1mRED-HOS.* +no ' 2
check "views: a CSI clear in a view name" tmux_wait_for big 'hostile\.hmv2\^\[\[2JCLR-HOSTILE +yes' 2
check "views: quotes, backslash, emoji and unicode" tmux_wait_for big 'hostile\.Odd "Name" \\ 🐘 ünï +yes' 2
check "views: reserved words" tmux_wait_for big 'table\.order +yes' 2
check "views: a 63-byte name (its start)" tmux_wait_for big "hostile\\.ääääää" 2
# Indexes: the INVALID one with a DCS, the planned one with quotes.
check "indexes: the INVALID index with a DCS in its name" \
	tmux_wait_for big 'hostile\.hix\^\[P1;2\|DCS-HOSTILE\^\[\\ .*INVALID' 15
check "indexes: the planned index whose name needs quoting" tmux_wait_for big 'table\.ix "q" \\ 🐘 .*missing' 2

# ---- actions on them, quoted
act() {	# PANE FILTER KEY PREVIEW-REGEX RESULT-REGEX
	set_filter big "$1" "$2"
	tmux_keys big "$3"
	tmux_wait_for big "$4" 10 || return 1
	tmux_keys big y
	tmux_wait_for big "$5" 20
}
check "r refreshes the view whose name holds a CSI, quoted" \
	act 5 RED-HOSTILE r 'REFRESH MATERIALIZED VIEW "hostile"\."hmv\^\[\[31;1mRED-HOSTILE"' 'refresh hostile\.hmv\^\[\[31;1mRED-HOSTILE: refreshed'
check_eq "the view is populated now" t "$(qn "$MV_SGR" "SELECT relispopulated FROM pg_class WHERE relname = :'n'")"
check "r refreshes the 63-byte view" act 5 long5 r "REFRESH MATERIALIZED VIEW \"hostile\"\\.\"$LONG\"" "refresh hostile\\.$LONG: refreshed"
check_eq "the 63-byte view is populated now" t "$(qn "$LONG" "SELECT relispopulated FROM pg_class WHERE relname = :'n'")"
check "a analyzes the view with quotes, backslash and emoji, quoted" \
	act 5 'Odd' a 'ANALYZE "hostile"\."Odd ""Name"" \\ 🐘 ünï"' 'analyze hostile\.Odd "Name" \\ 🐘 ünï: analyzed'
check "the view was analyzed" [ -n "$(qn "$ODD" "SELECT last_analyze FROM pg_stat_all_tables WHERE relname = :'n'")" ]
check "m makes monthly partitions for the table named with quotes and emoji" \
	act 4 'ev "q"' m "CREATE TABLE \"hostile\"\\.\"ev \"\"q\"\" \\\\ 🐘_y[0-9]{4}m[0-9]{2}\" PARTITION OF \"hostile\"\\.\"ev \"\"q\"\" \\\\ 🐘\"" 'maintain hostile\.ev "q" \\ 🐘: 3 created'
check_eq "the table has 5 partitions now" 5 \
	"$(qn "$EV" "SELECT count(*) FROM pg_inherits WHERE inhparent = (SELECT oid FROM pg_class WHERE relname = :'n')")"
set_filter big 4 C1-HOSTILE
tmux_keys big m
check "m on a list-partitioned table is refused with its reason" \
	tmux_wait_for big 'maintain hostile\.hp<9b>31mC1-HOSTILE refused: ' 10
check_eq "... and nothing was created" 2 \
	"$(qn "$P_C1" "SELECT count(*) FROM pg_inherits WHERE inhparent = (SELECT oid FROM pg_class WHERE relname = :'n')")"
check "x drops the INVALID index named with a DCS, quoted" \
	act 6 DCS-HOSTILE x 'DROP INDEX CONCURRENTLY "hostile"\."hix\^\[P1;2\|DCS-HOSTILE\^\[\\"' 'drop hostile\.hix\^\[P1;2\|DCS-HOSTILE\^\[\\: dropped'
check_eq "the INVALID index is gone" 0 "$(qn "$IX_DCS" "SELECT count(*) FROM pg_class WHERE relname = :'n'")"
check "i builds the planned index whose name needs quoting" \
	act 6 'ix "q"' i 'CREATE INDEX CONCURRENTLY "ix ""q"" \\ 🐘" ON "table"\."select" \("from"\)' 'index table\.ix "q" \\ 🐘: built'
check_eq "the index exists and is valid" t \
	"$(qn 'ix "q" \ 🐘' "SELECT indisvalid FROM pg_index WHERE indexrelid = (SELECT oid FROM pg_class WHERE relname = :'n')")"
tmux_keys big q
check "q exits" tmux_wait_exit big 10
check "UTF-8 console: the bytes written are clean" clean_bytes "$TMP/big.bytes" utf8
check "UTF-8 console: the terminal's title was never set" title_kept big
check "the journal has each action with the names exactly as they are" python3 -c "
import json, sys
names = {e['target'] for e in map(json.loads, open(sys.argv[1], encoding='utf-8'))}
missing = [w for w in sys.argv[2:] if w not in names]
print('missing:', [repr(m) for m in missing])
sys.exit(1 if missing else 0)
" "$JOURNAL" "hostile.$MV_SGR" "hostile.$LONG" "hostile.$ODD" "hostile.$EV" "hostile.$IX_DCS" 'table.ix "q" \ 🐘'
tmux_kill big

# ---- the SQL_ASCII database: invalid UTF-8 in a query and in a name
tmux_start ascii 200 50 env $UTF8 sh -c "sleep 0.3; exec '$PGDECK' -d '$DB_A' -i 0.5"
tmux_pipe ascii "$TMP/ascii.bytes"
tmux_wait_for ascii 'primary: up' 15 >/dev/null
tmux_keys ascii 1 /
tmux_keys ascii -l "$MARK-a"
tmux_keys ascii Enter
check "SQL_ASCII: the query's invalid bytes show as <ff><fe>, the 8-bit CSI as <9b>" \
	tmux_wait_for ascii "$MARK-a <ff><fe> <9b>" 15
check "SQL_ASCII: the table name's invalid bytes show too" tmux_wait_for ascii 'ap<ff><9b>\[2J +0 ' 20
tmux_keys ascii 4 a
check "SQL_ASCII: ANALYZE of that table is refused, with the reason" \
	tmux_wait_for ascii 'analyze .* refused: .*UTF-8' 10
tmux_keys ascii q
tmux_wait_exit ascii 10 >/dev/null
check "SQL_ASCII console: the bytes written are clean" clean_bytes "$TMP/ascii.bytes" utf8
tmux_kill ascii

# ---- the C locale: nothing above 127, the same payloads harmless
tmux_start clocale 250 70 env LC_ALL=C LANG=C sh -c "sleep 0.3; exec '$PGDECK' -d '$DB' -i 0.5 --plan '$TMP/plan.sql'"
tmux_pipe clocale "$TMP/c.bytes"
tmux_wait_for clocale 'primary: up' 15 >/dev/null
tmux_keys clocale 1 /
tmux_keys clocale -l "$MARK-q"
tmux_keys clocale Enter
check "C locale: the hostile query is shown" tmux_wait_for clocale "$MARK-q \\^\\[\\]2;HOSTILE-TITLE" 15
check "C locale: the emoji name folds to ?" tmux_wait_for clocale 'hostile\.Odd "Name" \\ \? \?n\? ' 20
tmux_keys clocale q
tmux_wait_exit clocale 10 >/dev/null
check "C locale console: only ASCII, and clean" clean_bytes "$TMP/c.bytes" ascii
check "C locale console: the title was never set" title_kept clocale
tmux_kill clocale

# ---- --once: text without a single escape, JSON with the names exact
"$PGDECK" --once -d "$DB" --plan "$TMP/plan.sql" > "$TMP/once.txt" 2>"$TMP/once.err"
check "--once text: no ESC, BEL or C1 byte, valid UTF-8" python3 -c "
import sys
d = open(sys.argv[1], 'rb').read()
t = d.decode('utf-8')
bad = [c for c in t if ord(c) < 0x20 and c not in '\n' or 0x7f <= ord(c) <= 0x9f]
print(len(d), 'bytes', len(bad), 'controls')
sys.exit(1 if bad or 'hmv^[[31;1mRED-HOSTILE' not in t else 0)
" "$TMP/once.txt"
"$PGDECK" --once --format json -d "$DB" --plan "$TMP/plan.sql" > "$TMP/once.json" 2>"$TMP/once.err"
check "--once json: the hostile names come back byte for byte, the 1 MB text whole" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
cells = set()
for c in d['collectors'].values():
    for row in c['rows']:
        cells.update(v for v in row if isinstance(v, str))
want = sys.argv[2:]
missing = [w for w in want if not any(w in c for c in cells)]
big = max((len(c) for c in cells), default=0)
print('missing:', [repr(m) for m in missing], 'longest cell:', big)
sys.exit(1 if missing or big < 1000000 else 0)
" "$TMP/once.json" "$MV_SGR" "$MV_CLR" "$ODD" "$LONG" "$P_C1" "$EV" "$HDB" "$HROLE"
check "--once json: printable ASCII only" sh -c "! LC_ALL=C grep -q '[^ -~]' '$TMP/once.json'"

tap_done
