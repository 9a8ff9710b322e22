#!/usr/bin/env python3
"""Draw the direct map from a ptdump excerpt (harness/guest-dmap.sh).

One character per 2M region of the direct map, 64 per row (128M):
  G  inside a 1G (PUD) leaf        H  a 2M (PMD) leaf
  s  split into 4K pages, all present
  x  split into 4K pages, some of them not present (removed pages)
  .  not mapped
The lines are those of the kernel's own page-table dump (x86
arch/x86/mm/dump_pagetables.c, arm64 arch/arm64/mm/ptdump.c): one line per
run of entries of one level and one protection, "0xSTART-0xEND size flags
level" (x86) or "0xSTART-0xEND size LEVEL flags" (arm64). A line without
protection flags (x86) or with the F flag / none at all (arm64) is not
present.
"""
import re

LINE = re.compile(r"^0x([0-9a-f]+)-0x([0-9a-f]+)\s+\d+[KMGTP]?\s*(.*)$")
LEVELS = ("pgd", "p4d", "pud", "pmd", "pte")
MB2 = 2 << 20
LEGEND = ("G in a 1G leaf, H 2M leaf, s split into 4K pages, "
          "x split with pages removed, . not mapped")


def parse(lines):
    """[(start, end, level, present)] from the dump lines."""
    out = []
    for l in lines:
        m = LINE.match(l.strip())
        if not m:
            continue
        start, end, rest = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
        words = rest.split()
        lv = [w.lower() for w in words if w.lower() in LEVELS]
        if not lv:
            continue
        level = lv[0]
        if words and words[0].lower() in LEVELS:
            # arm64: LEVEL first, then the flags; F = not valid
            flags = words[1:]
            present = bool(flags) and "F" not in flags
        else:
            # x86: flags first, level last; none = not present
            present = len(words) > 1
        out.append((start, end, level, present))
    return out


def draw(lines, width=64):
    """(rows, counts): the picture and the number of regions per kind."""
    runs = parse(lines)
    if not runs:
        return [], {}
    base = runs[0][0]
    last = max((e for s, e, lv, p in runs if p), default=base)
    nreg = (last - base + MB2 - 1) // MB2
    big = ["."] * nreg          # what the PUD/PMD levels say
    pte = [0] * nreg            # bit 0: a present PTE, bit 1: an absent one
    for s, e, lv, p in runs:
        a = max(s, base)
        while a < e and (a - base) // MB2 < nreg:
            i = (a - base) // MB2
            if lv == "pte":
                pte[i] |= 1 if p else 2
            elif p:
                big[i] = "H" if lv == "pmd" else "G"
            a = base + (i + 1) * MB2
    kind = [("x" if pte[i] & 2 else "s") if pte[i] else big[i]
            for i in range(nreg)]
    rows = []
    for r in range(0, nreg, width):
        rows.append("%#018x %s" % (base + r * MB2, "".join(kind[r:r + width])))
    counts = {k: kind.count(k) for k in "GHsx."}
    return rows, counts


def summary(counts):
    return "  ".join("%s %d" % (k, counts.get(k, 0)) for k in "GHsx.") + \
        "  (2M regions)"
