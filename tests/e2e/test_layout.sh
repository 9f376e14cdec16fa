#!/bin/sh
# The layout of the source (src/README.md), checked from the #include
# lines alone, without building or running anything:
#   - nothing under src/ but src/front/main.c includes curses (or its
#     terminfo) or a ui/ header: the core, the subjects and the batch front
#     ends never draw;
#   - no include circle between modules: a .c file and the .h of the same
#     name are one module, and a module A that includes B's header while B
#     (through any others) includes A's is a circle, reported as such.
# The checker is run on the tree, then on small trees made to break each
# rule, so that it is seen to fail when it should.
. tests/e2e/lib.sh

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-layout.XXXXXX")
at_exit "rm -rf '$TMP'"

cat > "$TMP/layout.py" <<'EOF'
import os, re, sys

root = sys.argv[1]
# Where a quoted include is looked for: the including file's folder, then
# the compiler's -I folders (the Makefile's -Isrc -Iui).
SEARCH = ["src", "ui"]
CURSES = re.compile(r'^\s*#\s*include\s*<(n?curses(w)?/)?(n?curses|term|panel|menu|form)\.h>')
QUOTED = re.compile(r'^\s*#\s*include\s*"([^"]+)"')

files = []
for top in ("src", "ui"):
    for d, _, names in os.walk(os.path.join(root, top)):
        files += [os.path.relpath(os.path.join(d, n), root) for n in names if n.endswith((".c", ".h"))]
files.sort()

def resolve(including, name):
    for base in [os.path.dirname(including)] + SEARCH:
        p = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(root, p)):
            return p
    return None

def module(path):
    return os.path.splitext(path)[0]

problems = []
edges = {}          # module -> {module: (file, line number, include)}
for f in files:
    m = module(f)
    edges.setdefault(m, {})
    with open(os.path.join(root, f), errors="replace") as fh:
        for no, line in enumerate(fh, 1):
            in_src = f.startswith("src/") and f != "src/front/main.c"
            if in_src and CURSES.match(line):
                problems.append("%s:%d includes curses: %s" % (f, no, line.strip()))
            q = QUOTED.match(line)
            if not q:
                continue
            target = resolve(f, q.group(1))
            if target is None:
                continue                    # a generated or system header
            if in_src and target.startswith("ui/"):
                problems.append("%s:%d includes a ui/ header: %s" % (f, no, line.strip()))
            t = module(target)
            if t != m:
                edges[m].setdefault(t, (f, no, line.strip()))

# Tarjan's strongly connected components: each component of more than one
# module holds a circle; one circle in it is reported, with the include
# that makes each step.
index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]
def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges.get(v, {}):
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            comps.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in sorted(edges):
    if v not in index:
        strong(v)

def circle(comp):
    members = set(comp)
    start = comp[0]
    path, seen = [start], {start}
    def walk(v):
        for w in sorted(edges[v]):
            if w == start and len(path) > 1:
                return True
            if w in members and w not in seen:
                seen.add(w)
                path.append(w)
                if walk(w):
                    return True
                path.pop()
        return False
    walk(start)
    return path + [start]

for comp in comps:
    c = circle(comp)
    steps = ["%s -> %s (%s:%d %s)" % (a, b, *edges[a][b]) for a, b in zip(c, c[1:])]
    problems.append("include circle: " + " -> ".join(c) + "\n    " + "\n    ".join(steps))

print("%d files, %d modules" % (len(files), len(edges)))
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF

# ---- the tree -------------------------------------------------------------------

if python3 "$TMP/layout.py" "$PGDECK_ROOT" > "$TMP/tree.out" 2>&1; then
	ok "src/ includes no curses and no ui/ header (but src/front/main.c), and no module includes its way back to itself"
	diag "$(head -n 1 "$TMP/tree.out")"
else
	not_ok "src/ includes no curses and no ui/ header (but src/front/main.c), and no module includes its way back to itself"
	while IFS= read -r line; do diag "$line"; done < "$TMP/tree.out"
fi

# ---- the checker fails when it should ------------------------------------------

# A tree with one of each fault.
fixture() {	# DIR
	mkdir -p "$1/src/core" "$1/src/front" "$1/ui"
	printf '#include "ui.h"\n' > "$1/ui/screen.c"
	printf '#include <curses.h>\n' > "$1/ui/ui.h"
	printf '#include <curses.h>\n#include "ui.h"\n' > "$1/src/front/main.c"
}

F=$TMP/curses
fixture "$F"
printf '#include <ncursesw/curses.h>\n' > "$F/src/core/draw_here.c"
python3 "$TMP/layout.py" "$F" > "$TMP/curses.out" 2>&1
check_eq "a core file that includes curses fails the check" 1 $?
check "... and is named with its line" grep -q 'src/core/draw_here.c:1 includes curses' "$TMP/curses.out"

F=$TMP/uiheader
fixture "$F"
printf '#include "core/app.h"\n#include "ui.h"\n' > "$F/src/core/app.c"
printf 'struct app;\n' > "$F/src/core/app.h"
python3 "$TMP/layout.py" "$F" > "$TMP/uiheader.out" 2>&1
check_eq "a core file that includes a ui/ header fails the check" 1 $?
check "... and is named with its line" grep -q 'src/core/app.c:2 includes a ui/ header' "$TMP/uiheader.out"

F=$TMP/main
fixture "$F"
python3 "$TMP/layout.py" "$F" > "$TMP/main.out" 2>&1
check_eq "src/front/main.c may include curses and ui.h" 0 $?

# app.c includes collector.h, collector.c action.h, action.c app.h: a
# circle of three modules, though no two include each other.
F=$TMP/circle
fixture "$F"
printf '#include "core/app.h"\n#include "core/collector.h"\n' > "$F/src/core/app.c"
printf 'struct app;\n' > "$F/src/core/app.h"
printf '#include "core/collector.h"\n#include "core/action.h"\n' > "$F/src/core/collector.c"
printf 'struct collector;\n' > "$F/src/core/collector.h"
printf '#include "core/action.h"\n#include "core/app.h"\n' > "$F/src/core/action.c"
printf 'struct action;\n' > "$F/src/core/action.h"
python3 "$TMP/layout.py" "$F" > "$TMP/circle.out" 2>&1
check_eq "a circle of three modules fails the check" 1 $?
check "... and is reported module by module" \
	grep -q 'include circle: src/core/action -> src/core/app -> src/core/collector -> src/core/action' "$TMP/circle.out"

# A header that includes the header of its own .c's includer is a circle
# too (ui.h is screen's: screen.c includes keymap.h, keymap.c ui.h).
F=$TMP/pair
fixture "$F"
printf '#include "ui.h"\n#include "keymap.h"\n' > "$F/ui/screen.c"
printf '#include "ui.h"\n' > "$F/ui/keymap.c"
printf 'struct ui;\n' > "$F/ui/keymap.h"
printf '#include "keymap.h"\n' > "$F/ui/ui.h"
python3 "$TMP/layout.py" "$F" > "$TMP/pair.out" 2>&1
check_eq "two modules that include each other's headers fail the check" 1 $?
check "... named both" grep -q 'include circle: ui/keymap -> ui/ui -> ui/keymap' "$TMP/pair.out"

tap_done
