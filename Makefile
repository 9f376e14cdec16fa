# pgdeck — build, check, demo, bench, install.
#
# Every library comes through pkg-config.  Sources are found by wildcard so
# that adding a pane, a collector or an action is adding a file.

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR    = $(PREFIX)/bin
DATADIR   = $(PREFIX)/share/pgdeck
MANDIR    = $(PREFIX)/share/man/man1

CC       ?= cc
PKGS      = ncursesw libpq hiredis libuv jansson inih
VERSION   = 0.1.0

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=600 -Wall -Wextra -Wno-missing-field-initializers
# A call of an undeclared function is an error, not a guess at int (a
# pointer returned through int is cut to 32 bits).
CFLAGS   += -Werror=implicit-function-declaration
CFLAGS   += -DPGDECK_VERSION='"$(VERSION)"' -DPGDECK_DATADIR='"$(DATADIR)"'
CFLAGS   += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# The few math functions pgdeck calls (floor, ceil, round, lround) are
# expanded inline when the compiler may assume no errno and no FP traps
# (pgdeck reads no math errno and enables no trap): linked, libm's load
# alone was 0.38 MB of resident memory (its ifunc resolvers run at start
# all over its text, /proc/PID/smaps), for five functions.  -lm stays for a
# compiler that does not expand them, linked only when something is left.
CFLAGS   += -fno-math-errno -fno-trapping-math
# hiredis is not linked either: src/net/redisconn.c loads it with dlopen at
# the first connect to Redis (most consoles never make one; linked, it was
# 60 kB resident for the whole run, issue 14), by the soname of the
# installed library.
LDLIBS   += $(shell pkg-config --libs $(filter-out hiredis,$(PKGS)) 2>/dev/null) -Wl,--push-state,--as-needed -lm -Wl,--pop-state
HIREDIS_SONAME := $(shell readelf -d "$$($(CC) -print-file-name=libhiredis.so)" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
CFLAGS   += -DPGDECK_HIREDIS_SONAME='"$(or $(HIREDIS_SONAME),libhiredis.so)"'
# Relative relocations packed (DT_RELR: glibc 2.36, binutils 2.38): the
# dynamic loader reads them all at start, so .rela.dyn's 50 kB (one per
# pointer in a const table of the position-independent binary) stayed
# resident for the whole run; packed they are under 1 kB (issue 14, aim 3).
# Still position-independent.  A linker without the option links as before.
RELR     := $(shell echo 'int main(void) { return 0; }' | $(CC) -x c - -o /dev/null -Wl,-z,pack-relative-relocs -Wl,--fatal-warnings 2>/dev/null && echo -Wl,-z,pack-relative-relocs)
LDFLAGS  += $(RELR)
# libpg_query is not linked: src/base/sql.c loads it with dlopen at its
# first call (most runs never parse SQL, and a linked library costs
# resident memory at every start, issue 14).  The build gives it the
# soname of the installed library to load.
PG_QUERY_SONAME := $(shell readelf -d "$$($(CC) -print-file-name=libpg_query.so)" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
CFLAGS   += -DPGDECK_PG_QUERY_SONAME='"$(or $(PG_QUERY_SONAME),libpg_query.so)"'
# libpg_query (Debian libpg-query-dev: PostgreSQL's parser as a library) has
# no pkg-config file; its scanner's results are read with the protobuf-c
# types its header includes (libprotobuf-c-dev; the functions are in
# libpg_query itself).
PG_QUERY_H = /usr/include/pg_query.h /usr/include/pg_query/pg_query.pb-c.h /usr/include/protobuf-c/protobuf-c.h

ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -O1
LDFLAGS  += -fsanitize=address,undefined
BUILD    ?= build-san
# A finding fails the test that met it: UBSan stops at the first (it
# would print and go on), ASan at its first error and LSan at exit.  The
# reports go to files (build-san/sanitizer.PID): a console in tmux has no
# stderr anyone reads.
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1:log_path=$(abspath $(BUILD))/sanitizer
export ASAN_OPTIONS ?= detect_leaks=1:log_path=$(abspath $(BUILD))/sanitizer
endif
BUILD    ?= build

# src/ by layer (src/README.md): base, net, core, subjects, front.
SRC_DIRS  = src/base src/net src/core src/subjects src/front
# plan_builtin_gen.c is a build tool (its own main): it writes the kit's
# index plan as C, so that a start parses nothing (core/plan_builtin.h).
PLAN_GEN_SRC = src/core/plan_builtin_gen.c
CORE_SRC  = $(filter-out src/front/main.c $(PLAN_GEN_SRC),$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c)))
UI_SRC    = $(wildcard ui/*.c ui/panes/*.c)
PANE_SRC  = $(sort $(wildcard ui/panes/pane_*.c))
SQL_FILES = $(sort $(wildcard sql/queries/*.sql)) $(wildcard sql/kit/*.sql)
THEMES    = $(sort $(wildcard themes/*.theme))

CORE_OBJ  = $(CORE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embedded.o $(BUILD)/gen/embedded_cold.o \
	$(BUILD)/gen/plan_builtin_table.o
UI_OBJ    = $(UI_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/panes.o
MAIN_OBJ  = $(BUILD)/src/front/main.o
ALL_OBJ   = $(CORE_OBJ) $(UI_OBJ) $(MAIN_OBJ)

# Cold parts last (issue 14, aim 3: peak RSS).  The kernel maps a binary
# 64 kB at a time around each page a process touches, so a console that
# runs one function of a file, or reads one byte of a 64 kB stretch of
# data, holds all of it resident.  Code and data a console never runs or
# reads are linked after the rest, together: the front ends and parts a
# console does not run (agent, viewer, --once, check, run, the streams,
# EXPLAIN, OpenMetrics, the actions) and, in the embedded files, what no
# collector reads (the kit, the actions' SQL, the other themes: embed.sh
# puts them in a section of their own).  The link order is then: the
# console's code, the embedded files (the collectors' SQL, then the cold
# section), the cold objects; so .text ends with the cold code and
# .rodata with the cold SQL and the cold objects' constants, beside
# .eh_frame, which only a crash reads.  Placement only: a file listed
# here by mistake costs memory, never behaviour.
COLD_SRC  = $(wildcard src/front/agent*.c src/front/check*.c src/front/once.c src/front/run.c \
	src/front/viewer.c src/core/stream*.c src/core/explain*.c src/core/openmetrics.c \
	src/core/partition_plan.c src/core/action_target.c src/subjects/*_actions.c \
	src/subjects/views_track.c ui/overlay.c)
COLD_OBJ  = $(COLD_SRC:%.c=$(BUILD)/%.o)
# Their string literals stay their own: merged, a string the console uses
# was kept in a cold object's copy and pulled its 64 kB in.
$(COLD_OBJ): CFLAGS += -fno-merge-constants
EMBED_OBJ = $(BUILD)/gen/embedded.o $(BUILD)/gen/embedded_cold.o
LINK_OBJ  = $(filter-out $(COLD_OBJ) $(EMBED_OBJ),$(ALL_OBJ)) $(EMBED_OBJ) $(COLD_OBJ)
EMBED_COLD = $(wildcard sql/kit/*.sql sql/queries/action_*.sql) sql/queries/kit_log.sql \
	sql/queries/retention_tables.sql sql/queries/track_views.sql $(filter-out themes/default.theme,$(THEMES))
EMBED_HOT = $(filter-out $(EMBED_COLD),$(SQL_FILES) $(THEMES))

UNIT_SRC  = $(wildcard tests/unit/test_*.c)
INTEG_SRC = $(wildcard tests/integration/test_*.c)
TEST_BIN  = $(UNIT_SRC:tests/%.c=$(BUILD)/tests/%) $(INTEG_SRC:tests/%.c=$(BUILD)/tests/%)

.PHONY: all check test-bin demo bench bench-quick bench-fanout bench-sql soak fuzz fuzz-replay install clean deps

all: pgdeck

# ./pgdeck is the build made last (build or build-san): .pgdeck-build
# remembers which, so that make after make SANITIZE=1 links the plain one
# again although no object changed.
ifneq ($(shell cat .pgdeck-build 2>/dev/null),$(BUILD))
.PHONY: pgdeck
endif
pgdeck: $(LINK_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
	@echo $(BUILD) > .pgdeck-build

# The flags the objects were compiled with: when they change (a new
# warning, a math flag, SANITIZE, a link flag), every object is compiled
# again rather than linked stale beside new ones.
FLAGS_NOW := $(CC) $(CFLAGS) $(LDFLAGS)
ifneq ($(file < $(BUILD)/.cflags),$(FLAGS_NOW))
$(shell mkdir -p $(BUILD))
$(file > $(BUILD)/.cflags,$(FLAGS_NOW))
endif

$(BUILD)/%.o: %.c $(BUILD)/.cflags | $(BUILD)/.pg_query
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -Iui -MMD -MP -c -o $@ $<

# Said once, before anything is compiled, rather than as a compiler error
# in the middle of the build.  Not at parse time: `make check` installs the
# packages (deps) before it builds.
$(BUILD)/.pg_query:
	@for h in $(PG_QUERY_H); do \
		[ -f "$$h" ] || { echo "pgdeck needs libpg_query ($$h is missing): install libpg-query-dev and libprotobuf-c-dev (make deps does, as root)" >&2; exit 1; }; \
	done
	@mkdir -p $(dir $@) && touch $@

# The SQL files and the default theme are compiled in, so pgdeck runs with
# nothing installed beside it.
# What no collector reads goes to embedded_cold.c (see COLD_SRC above).
$(BUILD)/gen/embedded.c $(BUILD)/gen/embedded_cold.c &: $(SQL_FILES) $(THEMES) src/base/embed.sh
	@mkdir -p $(dir $@)
	sh src/base/embed.sh --cold-out $(BUILD)/gen/embedded_cold.c $(EMBED_HOT) --cold $(EMBED_COLD) > $(BUILD)/gen/embedded.c

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c $(BUILD)/.cflags
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<

# The kit's index plan, read at build time by the reader pgdeck would run
# at start (plan_parse over the same embedded text).
PLAN_GEN_OBJ = $(PLAN_GEN_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embedded.o $(BUILD)/gen/embedded_cold.o \
	$(addprefix $(BUILD)/src/,core/plan.o base/sql.o base/dynlib.o base/ident.o base/sanitize.o base/utf8.o \
	base/xalloc.o base/errbuf.o base/embedded.o)
$(BUILD)/gen/plan_gen: $(PLAN_GEN_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/gen/plan_builtin_table.c: $(BUILD)/gen/plan_gen
	$(BUILD)/gen/plan_gen > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/plan_builtin_table.o: $(BUILD)/gen/plan_builtin_table.c $(BUILD)/.cflags
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<

# Every pane class, from the pane files' names (ui/pane_registry.h): a new
# ui/panes/pane_<subject>.c is found without a list kept by hand.  The
# list of names is compared on every make, so a pane file added or
# removed writes the registry again.
PANE_NAMES := $(BUILD)/gen/pane-names.txt
$(shell mkdir -p $(BUILD)/gen && echo '$(PANE_SRC)' | cmp -s - $(PANE_NAMES) || echo '$(PANE_SRC)' > $(PANE_NAMES))

$(BUILD)/gen/panes.c: $(PANE_NAMES) ui/panes/registry.sh
	@mkdir -p $(dir $@)
	sh ui/panes/registry.sh $(PANE_SRC) > $@

$(BUILD)/gen/panes.o: $(BUILD)/gen/panes.c $(BUILD)/.cflags
	$(CC) $(CFLAGS) -Isrc -Iui -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(CORE_OBJ) $(UI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -Iui -Itests $(LDFLAGS) -o $@ $< $(CORE_OBJ) $(UI_OBJ) $(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

test-bin: pgdeck $(TEST_BIN)

deps:
	@sh tests/deps.sh

check: deps
	@$(MAKE) --no-print-directory test-bin
	@PGDECK_BUILD=$(BUILD) sh tests/run-all.sh

demo: deps
	@$(MAKE) --no-print-directory pgdeck
	@sh tests/demo.sh

bench: deps pgdeck
	@sh tests/bench/bench.sh

bench-quick: deps pgdeck
	@sh tests/bench/bench.sh --quick

bench-fanout: deps pgdeck
	@sh tests/bench/bench-fanout.sh

bench-sql: deps
	@sh tests/bench/bench-sql.sh

# libFuzzer targets (clang): each runs FUZZ_SECONDS (default 60).
fuzz: deps
	@sh tests/fuzz/build.sh run $(or $(FUZZ_SECONDS),60)

fuzz-replay: deps
	@sh tests/fuzz/build.sh replay

soak: deps pgdeck
	@sh tests/soak.sh

install: pgdeck
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/sql $(DESTDIR)$(DATADIR)/themes $(DESTDIR)$(MANDIR)
	install -m 755 pgdeck $(DESTDIR)$(BINDIR)/pgdeck
	install -m 644 sql/kit/*.sql $(DESTDIR)$(DATADIR)/sql/
	install -m 644 themes/*.theme $(DESTDIR)$(DATADIR)/themes/
	install -m 644 src/pgdeck.1 $(DESTDIR)$(MANDIR)/pgdeck.1

clean:
	rm -rf build build-san pgdeck .pgdeck-build

-include $(ALL_OBJ:.o=.d)
