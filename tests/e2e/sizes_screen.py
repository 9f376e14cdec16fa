"""Reading pgdeck's screen as tmux captures it (tests/e2e/test_sizes.sh).

  boxes SCREEN                 one line per box: "TITLE y x h w" (the panes)
  overlay TITLE PAGE...        the overlay's display lines over its pages,
                               in order (pages from PgDn overlap), then
                               "#cut N" for each line cut without a mark
  joined TITLE PAGE...         the same lines joined, blanks collapsed
  foot SCREEN                  the overlay's "a b n" (lines a-b of n shown)

pgdeck wraps overlay text so that only a word broken in two reaches the
overlay's last column (ui/wrap.h), the next line going on with it,
indented.  So a line is cut without a mark when its text reaches the last
column, does not end in the mark (… or ~), and no indented line follows
it; and "joined" glues a line that reaches the last column to the next
one without a blank (the two halves of a broken word)."""
import re
import sys

CORNERS = "┌+"


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().rstrip("\n").split("\n")


def boxes(lines):
    """Every box: its title, top row, left column, height and width."""
    found = []
    for y, line in enumerate(lines):
        for m in re.finditer(r"[┌+] ([^┌┐+ ][^┌┐+]*?) (?=[─-]*[┐+])", line):
            x = m.start()
            title = m.group(1).strip()
            if not title:
                continue
            # The right corner: the first ┐ or + after the title on this row.
            right = None
            for cx in range(m.end() + 1, len(line)):
                if line[cx] in "┐+":
                    right = cx
                    break
            if right is None:
                continue
            # The bottom: the first row below whose column x is └ or +.
            bottom = None
            for by in range(y + 1, len(lines)):
                row = lines[by]
                if x < len(row) and row[x] in "└+":
                    bottom = by
                    break
            if bottom is None:
                continue
            found.append((title, y, x, bottom - y + 1, right - x + 1))
    return found


def overlay_box(lines, title):
    for b in boxes(lines):
        if b[0].startswith(title):
            return b
    return None


def foot(lines, box):
    _, y, x, h, w = box
    text = lines[y + h - 2][x + 1:x + w - 1] if y + h - 2 < len(lines) else ""
    m = re.search(r"(\d+)-(\d+) of (\d+)", text)
    if m:
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    body = h - 3
    return 1, body, body


def page_lines(lines, box):
    _, y, x, h, w = box
    out = []
    for r in range(y + 1, y + h - 2):
        row = lines[r] if r < len(lines) else ""
        row = row.ljust(x + w)
        out.append(row[x + 2:x + w - 2])
    return out


def assemble(title, pages):
    """The overlay's display lines in order, and its text width."""
    got = {}
    width = 0
    for path in pages:
        lines = read(path)
        box = overlay_box(lines, title)
        if not box:
            continue
        width = box[4] - 4
        first, last, total = foot(lines, box)
        for i, text in enumerate(page_lines(lines, box)):
            if first + i <= last:
                got[first + i] = text
    return [got[k] for k in sorted(got)], width


def indent(s):
    return len(s) - len(s.lstrip(" "))


def filled(text, width):
    return len(text) >= width and text[width - 1] != " "


def marked(text):
    stripped = text.rstrip(" ")
    return stripped.endswith("…") or stripped.endswith("~")


def cuts(lines, width):
    bad = []
    for i, text in enumerate(lines):
        if filled(text, width) and not marked(text):
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if nxt is None or not nxt.strip() or indent(nxt) < max(indent(text), 1):
                bad.append(text)
    return bad


def joined(lines, width):
    out = ""
    glue = False
    for text in lines:
        part = text.strip()
        if not part:
            glue = False
            out += " "
            continue
        out += part if glue else " " + part
        glue = filled(text, width) and not marked(text)
    return re.sub(r"\s+", " ", out).strip()


def main():
    cmd = sys.argv[1]
    if cmd == "boxes":
        for b in boxes(read(sys.argv[2])):
            print("%s\t%d\t%d\t%d\t%d" % b)
    elif cmd in ("overlay", "joined"):
        lines, width = assemble(sys.argv[2], sys.argv[3:])
        if cmd == "overlay":
            for text in lines:
                print(text.rstrip())
            for text in cuts(lines, width):
                print("#cut %s" % text.rstrip())
        else:
            print(joined(lines, width))
    elif cmd == "foot":
        lines = read(sys.argv[3])
        box = overlay_box(lines, sys.argv[2])
        print("%d %d %d" % foot(lines, box) if box else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
