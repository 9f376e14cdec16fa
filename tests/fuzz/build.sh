#!/bin/sh
# Build and run pgdeck's libFuzzer targets (clang, ASan + UBSan).
#
#   tests/fuzz/build.sh                 build every target into build/fuzz/
#   tests/fuzz/build.sh run [SECONDS]   build, then fuzz each target SECONDS
#                                       (default 60); new inputs go to
#                                       build/fuzz/corpus/TARGET, crashes to
#                                       build/fuzz/artifacts/
#   tests/fuzz/build.sh replay          build, then run each target once over
#                                       every file of tests/fuzz/corpus/TARGET;
#                                       exits non-zero when one crashes
#
# TARGETS="fuzz_config" limits any mode to some targets.  CC defaults to
# clang (libFuzzer needs it; on Debian the runtime is libclang-rt-14-dev).

set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/build/fuzz"
SEEDS="$ROOT/tests/fuzz/corpus"
FUZZ_CC=${FUZZ_CC:-clang}
TARGETS=${TARGETS:-"fuzz_config fuzz_conninfo fuzz_sanitize fuzz_theme fuzz_plan fuzz_json fuzz_ident fuzz_stream fuzz_explain"}

CFLAGS="-std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -g -O1 -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -Wall -Wextra -Werror=implicit-function-declaration -I$ROOT/src -I$ROOT/ui $(pkg-config --cflags libpq inih jansson libuv hiredis)"
# libpg_query (PostgreSQL's parser, for the plan and the EXPLAIN guard) is
# linked as built by Debian: not instrumented, its own memory contexts.
LIBS="$(pkg-config --libs libpq inih jansson libuv) -lpg_query -lm"

sources() {
    case "$1" in
    fuzz_config)   echo "src/core/config.c src/core/stream.c src/core/snapshot.c src/base/quantity.c src/base/jsontext.c src/base/clock.c src/base/ini.c src/net/conninfo.c src/net/resolve.c src/base/ident.c src/base/numparse.c src/base/sanitize.c src/base/utf8.c src/base/xalloc.c src/base/errbuf.c" ;;
    fuzz_conninfo) echo "src/net/conninfo.c src/net/resolve.c src/base/sanitize.c src/base/utf8.c src/base/xalloc.c src/base/errbuf.c" ;;
    fuzz_sanitize) echo "src/base/sanitize.c src/base/utf8.c src/base/xalloc.c src/base/errbuf.c" ;;
    fuzz_theme)    echo "src/core/theme.c src/base/ini.c src/base/utf8.c src/base/xalloc.c src/base/errbuf.c src/base/embedded.c build/fuzz/embedded_themes.c" ;;
    fuzz_plan)     echo "src/core/plan.c src/base/sql.c src/base/dynlib.c src/base/ident.c src/base/sanitize.c src/base/utf8.c src/base/xalloc.c src/base/errbuf.c src/base/embedded.c build/fuzz/embedded_themes.c" ;;
    fuzz_ident)    echo "src/base/ident.c src/base/sanitize.c src/base/utf8.c src/base/xalloc.c src/base/errbuf.c" ;;
    fuzz_json)     echo "src/base/jsontext.c src/core/journal.c src/base/quantity.c src/base/statefile.c src/base/sanitize.c src/base/utf8.c src/base/clock.c src/base/xalloc.c src/base/errbuf.c" ;;
    fuzz_stream)   echo "src/core/stream.c src/core/stream_cmd.c src/core/snapshot.c src/base/quantity.c src/base/jsontext.c src/base/numparse.c src/base/utf8.c src/base/clock.c src/base/xalloc.c src/base/errbuf.c" ;;
    fuzz_explain)  echo "src/core/explain_guard.c src/base/sql.c src/base/dynlib.c src/base/sanitize.c src/base/utf8.c src/base/xalloc.c src/base/errbuf.c" ;;
    *) echo "unknown fuzz target: $1" >&2; exit 2 ;;
    esac
}

# up_to_date TARGET FILES...: the binary is newer than every file it is
# made of (and than every header, and this script).
up_to_date() {
    _bin=$1
    shift
    [ -f "$_bin" ] || return 1
    for _f in "$@" "$ROOT"/src/*/*.h "$ROOT"/ui/*.h "$0"; do
        [ "$_bin" -nt "$_f" ] || return 1
    done
    return 0
}

build() {
    mkdir -p "$OUT"
    # The parsers that read built-in files get the embedded table too
    # (rewritten only when it changes, so that it does not make every
    # target out of date).
    sh "$ROOT/src/base/embed.sh" "$ROOT"/themes/*.theme > "$OUT/embedded_themes.c.tmp"
    sed "s|$ROOT/themes/||; s|$ROOT/sql/||" "$OUT/embedded_themes.c.tmp" > "$OUT/embedded_themes.c.new"
    if cmp -s "$OUT/embedded_themes.c.new" "$OUT/embedded_themes.c"; then
        rm -f "$OUT/embedded_themes.c.new"
    else
        mv "$OUT/embedded_themes.c.new" "$OUT/embedded_themes.c"
    fi
    for t in $TARGETS; do
        src=""
        for f in $(sources "$t"); do src="$src $ROOT/$f"; done
        # shellcheck disable=SC2086
        if up_to_date "$OUT/$t" "$ROOT/tests/fuzz/$t.c" $src; then
            echo "up to date $OUT/$t"
            continue
        fi
        # shellcheck disable=SC2086
        $FUZZ_CC $CFLAGS -o "$OUT/$t" "$ROOT/tests/fuzz/$t.c" $src $LIBS
        echo "built $OUT/$t"
    done
}

run() {
    seconds=$1
    for t in $TARGETS; do
        mkdir -p "$OUT/corpus/$t" "$OUT/artifacts"
        dict=""
        if [ -f "$ROOT/tests/fuzz/$t.dict" ]; then dict="-dict=$ROOT/tests/fuzz/$t.dict"; fi
        echo "== $t for ${seconds}s"
        # shellcheck disable=SC2086
        "$OUT/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$OUT/artifacts/$t-" $dict \
            "$OUT/corpus/$t" "$SEEDS/$t"
    done
}

replay() {
    status=0
    for t in $TARGETS; do
        files=$(find "$SEEDS/$t" -type f | sort)
        if [ -z "$files" ]; then
            echo "$t: no corpus" >&2
            status=1
            continue
        fi
        # shellcheck disable=SC2086
        if "$OUT/$t" -runs=1 $files >"$OUT/$t.replay.log" 2>&1; then
            echo "$t: $(echo "$files" | wc -l) inputs replayed, no crash"
        else
            echo "$t: CRASH, see $OUT/$t.replay.log" >&2
            tail -n 30 "$OUT/$t.replay.log" >&2
            status=1
        fi
    done
    return $status
}

mode=${1:-build}
case "$mode" in
build)  build ;;
run)    build; run "${2:-60}" ;;
replay) build; replay ;;
*)      echo "usage: $0 [build | run [SECONDS] | replay]" >&2; exit 2 ;;
esac
