#!/bin/sh
# The pane registry: C source listing every pane class, written from the
# names of the pane files given (ui/panes/pane_<subject>.c, each defining
# `const struct pane_class pane_<subject>`), so that a new pane file is
# found without a list kept by hand.  Used by the Makefile:
#   sh ui/panes/registry.sh ui/panes/pane_*.c > build/gen/panes.c
set -e
names=""
for f in "$@"; do
	n=$(basename "$f" .c)
	case $n in
	pane_*) ;;
	*) echo "registry.sh: $f: a pane file is named pane_<subject>.c" >&2; exit 1 ;;
	esac
	case $n in
	*[!a-z0-9_]*) echo "registry.sh: $f: a pane file name is lower case letters, digits and _" >&2; exit 1 ;;
	esac
	names="$names $n"
done
echo "/* Written by ui/panes/registry.sh from the ui/panes/pane_*.c file names: do not edit. */"
echo "#include <stddef.h>"
echo
echo '#include "pane_registry.h"'
echo '#include "ui.h"'
echo
for n in $names; do
	echo "extern const struct pane_class $n;"
done
echo
echo "const struct pane_class *const pane_registry[] = {"
for n in $names; do
	echo "    &$n,"
done
echo "    NULL,"
echo "};"
echo "const int pane_registry_count = $#;"
