import sys
def blocks(path):
    out = []  # list of (header, [lines])
    cur = None
    for line in open(path).read().split("\n"):
        if line.startswith("=== ") or line.startswith("rev ") or line.startswith("--- rows"):
            if cur: out.append(cur); cur = None
            out.append((line, []))
            continue
        if line.startswith("--- cmd"):
            if cur: out.append(cur)
            cur = (line, [])
            continue
        if cur is not None:
            cur[1].append(line)
    if cur: out.append(cur)
    return out
runs = [blocks(p) for p in sys.argv[1:]]
base = runs[0]
res = []
n_exact = n_unordered = 0
for i, (h, lines) in enumerate(base):
    if not h.startswith("--- cmd"):
        res.append(h); continue
    # drop trailing empty stdout line
    while lines and lines[-1] in ("| ", ""):
        lines = lines[:-1]
    same = all(r[i][0] == h and [l for l in r[i][1] if l not in ("",)] == [l for l in base[i][1] if l not in ("",)] for r in runs[1:])
    if same:
        res.append(h); n_exact += 1
    else:
        res.append("--- cmd~" + h[len("--- cmd"):]); n_unordered += 1
    res.extend(lines)
print("\n".join(res))
print("exact", n_exact, "unordered", n_unordered, file=sys.stderr)
