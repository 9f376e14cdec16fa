"""Check a text against the OpenMetrics 1.0 text format (the parts pgdeck
writes: gauges and counters), as promtool would, and print the samples as
NAME{LABELS} VALUE lines on stdout.  Usage: openmetrics_check.py FILE.
Exit 1 with the problems on stderr."""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r'"(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE = re.compile(r"^(%s)(\{(?:%s=%s(?:,%s=%s)*)?\})? (\S+)$" % (NAME, LABEL, VALUE, LABEL, VALUE))
LABELS = re.compile(r'(%s)=(%s)' % (LABEL, VALUE))

def main(path):
    data = open(path, "rb").read()
    problems = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        print("not UTF-8: %s" % e, file=sys.stderr)
        return 1
    if not text.endswith("# EOF\n"):
        problems.append("does not end with '# EOF\\n'")
    lines = text.split("\n")[:-1]
    families = {}          # name -> type
    units = {}
    order = []             # family names as met
    current = None
    seen = set()
    done = set()
    out = []
    for n, line in enumerate(lines, 1):
        where = "line %d: %r" % (n, line[:120])
        if any(ord(c) < 32 and c != "\t" for c in line) or "\x7f" in line:
            problems.append("%s: a control character" % where)
        if line == "# EOF":
            if n != len(lines):
                problems.append("%s: # EOF is not the last line" % where)
            continue
        m = re.match(r"^# (TYPE|HELP|UNIT) (%s) (.*)$" % NAME, line)
        if m:
            kind, name, rest = m.groups()
            if name != current:
                if name in done or name in families and name != current:
                    problems.append("%s: family %s interleaved with another" % (where, name))
                if current:
                    done.add(current)
                current = name
                order.append(name)
            if kind == "TYPE":
                if name in families:
                    problems.append("%s: a second TYPE for %s" % (where, name))
                if rest not in ("gauge", "counter"):
                    problems.append("%s: type %s" % (where, rest))
                if rest == "counter" and name.endswith("_total"):
                    problems.append("%s: a counter family named _total" % where)
                families[name] = rest
            elif kind == "UNIT":
                units[name] = rest
                if not name.endswith("_" + rest):
                    problems.append("%s: the name does not end with its unit %s" % (where, rest))
            continue
        if line.startswith("#"):
            problems.append("%s: a comment OpenMetrics does not know" % where)
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append("%s: not a sample" % where)
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        family = current
        if family is None or families.get(family) is None:
            problems.append("%s: a sample before its family's TYPE" % where)
            continue
        want = family + "_total" if families[family] == "counter" else family
        if name != want:
            problems.append("%s: sample %s in family %s (want %s)" % (where, name, family, want))
        names = [k for k, _ in LABELS.findall(labels)]
        if len(names) != len(set(names)):
            problems.append("%s: a label twice" % where)
        key = (name, tuple(sorted(LABELS.findall(labels))))
        if key in seen:
            problems.append("%s: the same label set twice" % where)
        seen.add(key)
        try:
            v = float(value) if value not in ("NaN", "+Inf", "-Inf") else float(value.replace("+", ""))
        except ValueError:
            problems.append("%s: value %s" % (where, value))
            continue
        if families[family] == "counter" and (math.isnan(v) or v < 0):
            problems.append("%s: a counter below zero" % where)
        out.append("%s%s %s" % (name, labels, value))
    for p in problems[:20]:
        print(p, file=sys.stderr)
    print("\n".join(out))
    return 1 if problems else 0

sys.exit(main(sys.argv[1]))
