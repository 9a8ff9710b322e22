#!/usr/bin/env python3
"""make bench: the base and the pgtlib kernel side by side.

Usage: bench.py --arch ARCH --json OUT BASE_CONSOLE PGTLIB_CONSOLE

Reads the two console logs of harness/bench.sh's guests (guest-init.sh bench
mode) and prints one table: workload, instructions per op in each kernel,
their ratio (pgtlib / base), TLB invalidation events per op, direct-map
splits and page-table pages. Writes the figures to OUT (JSON). Also draws
the direct map (harness/dmap.py) of both kernels at each point the guest
dumped it.

Rows whose code the series does not change yet (every row not listed in
PORTED) are the bench's own check: their ratio must be 1.00 within
CHECK_TOLERANCE, or the bench says so and exits 3. A workload missing or
failed in either kernel stops with its name and the console tail (exit 1).
"""
import argparse
import json
import re
import sys

import dmap

# Workload name prefixes whose code path the series changes (a port lands:
# add its rows here). Every other row must come out at 1.00 +- noise.
PORTED = ()
# Rows that are not checks whatever the series does: which physical pages
# secretmem gets, and so how many 2M leaves it splits, depends on where
# each kernel's image and boot allocations lie, which differs between two
# kernels of different sizes.
LAYOUT = ("secretmem:",)
CHECK_TOLERANCE = 0.01
# test_vmalloc's random_size cases draw sizes at random (a new seed per
# boot), and the lazy purge runs when a threshold is reached: their noise
# between two boots of one kernel is up to this (measured, README)
VMALLOC_TOLERANCE = 0.03
# full_fit and long_busy_list fill the vmalloc area: what they cost depends
# on where the boot left free space in it (x86 KASLR, earlier vmallocs);
# measured spread over four runs per architecture: up to 6%
VMALLOC_LAYOUT = ("test_vmalloc:full_fit_alloc_test",
                  "test_vmalloc:long_busy_list_alloc_test")
VMALLOC_LAYOUT_TOLERANCE = 0.08

TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")
STAGE = re.compile(r"^PGTLIB-STAGE (begin|end|skip) (\S+)(.*)$")
ROW = re.compile(r"PGTBENCH (\S+) (.*)$")
FAIL = re.compile(r"PGTBENCH-FAIL (.*)$")
VMA = re.compile(r"PGTBENCH-VMALLOC (.*)$")
SUMMARY = re.compile(r"Summary: (\S+) passed: (\d+) failed: (\d+) "
                     r"repeat: (\d+) loops: (\d+) avg: (\d+) usec")
KV = re.compile(r"(\w+)=(\S+)")


class BenchError(Exception):
    pass


def tail(lines, n=30):
    return "\n".join("    " + l for l in lines[-n:])


def parse(path, kind):
    with open(path, errors="replace") as f:
        lines = [TS.sub("", l.rstrip("\n").rstrip("\r")) for l in f]
    rows, order, sections, cur = {}, [], {}, None
    for l in lines:
        m = STAGE.match(l)
        if m:
            if m.group(1) == "begin":
                cur = m.group(2)
                sections[cur] = []
            elif m.group(1) == "end":
                cur = None
            continue
        if cur is not None:
            sections[cur].append(l)
        m = FAIL.search(l)
        if m:
            raise BenchError("%s kernel: workload failed: %s\n%s"
                             % (kind, m.group(1), tail(lines)))
        m = ROW.search(l)
        if m and not l.startswith("PGTBENCH-"):
            kv = dict(KV.findall(m.group(2)))
            rows[m.group(1)] = kv
            order.append(m.group(1))
    # test_vmalloc: one stage per case; instructions per loop from the
    # better of the Summary lines (usec under -icount = 1000 instructions)
    for name, sec in sections.items():
        if not name.startswith("bench:vmalloc:"):
            continue
        summ = [SUMMARY.search(l) for l in sec]
        summ = [m for m in summ if m]
        vma = [VMA.search(l) for l in sec]
        vma = [dict(KV.findall(m.group(1))) for m in vma if m]
        if not summ or not vma:
            raise BenchError("%s kernel: test_vmalloc case %s printed no Summary\n%s"
                             % (kind, name.split(":")[2], tail(sec or lines)))
        bad = [m for m in summ if int(m.group(3)) or not int(m.group(2))]
        if bad:
            raise BenchError("%s kernel: test_vmalloc %s failed: %s"
                             % (kind, bad[0].group(1), bad[0].group(0)))
        loops = int(summ[0].group(5))
        usec = min(int(m.group(6)) for m in summ)
        runs = len(summ)
        key = "test_vmalloc:" + summ[0].group(1)
        rows[key] = {
            "instr": str(usec * 1000 // loops),
            "tlb": "%.3f" % (int(vma[0]["tlb"]) / (runs * loops)),
            "splits": "0",
            "tables": vma[0]["tables"],
            "ops": str(runs * loops),
        }
        order.append(key)
    pics = {}
    for name, sec in sections.items():
        if name.startswith("dmap:"):
            pics[name[5:]] = dmap.draw(sec)
    if not any(l.startswith("PGTLIB-DONE") for l in lines):
        raise BenchError("%s kernel: the guest did not finish its workloads\n%s"
                         % (kind, tail(lines)))
    return rows, order, pics


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("base")
    ap.add_argument("pgtlib")
    a = ap.parse_args()
    try:
        base, border, bpics = parse(a.base, "base")
        lib, lorder, lpics = parse(a.pgtlib, "pgtlib")
    except BenchError as e:
        print("bench: FAILED: %s" % e)
        return 1
    missing = [n for n in border if n not in lib] + [n for n in lorder if n not in base]
    if missing:
        print("bench: FAILED: workload %s ran in one kernel only" % missing[0])
        return 1
    if not border:
        print("bench: FAILED: no workload figures in the console logs")
        return 1

    out = {"arch": a.arch, "rows": [], "direct_map": {}}
    hdr = ("%-42s %10s %10s %6s %8s %8s %7s %7s %7s" %
           ("workload (per op)", "base", "pgtlib", "ratio", "tlb base",
            "pgtlib", "splits", "tables", "check"))
    print(hdr)
    print("-" * len(hdr))
    failed = []
    for n in border:
        b, l = base[n], lib[n]
        bi, li = num(b.get("instr")), num(l.get("instr"))
        if not bi or li is None:
            print("bench: FAILED: workload %s has no instruction count (base %s, pgtlib %s)"
                  % (n, b.get("instr"), l.get("instr")))
            return 1
        ratio = li / bi
        check = not (PORTED and n.startswith(PORTED)) and not n.startswith(LAYOUT)
        if n in VMALLOC_LAYOUT:
            tol = VMALLOC_LAYOUT_TOLERANCE
        elif n.startswith("test_vmalloc:"):
            tol = VMALLOC_TOLERANCE
        else:
            tol = CHECK_TOLERANCE
        verdict = "" if check else "layout"
        if check:
            ok = abs(ratio - 1.0) <= tol
            verdict = "ok" if ok else "NOISE?"
            if not ok:
                failed.append(n)
        print("%-42s %10d %10d %6.3f %8s %8s %7s %7s %7s" % (
            n, bi, li, ratio, b.get("tlb"), l.get("tlb"),
            "%s/%s" % (b.get("splits", "0"), l.get("splits", "0")),
            "%s/%s" % (b.get("tables", "0"), l.get("tables", "0")), verdict))
        out["rows"].append({"workload": n, "base": b, "pgtlib": l,
                            "ratio": round(ratio, 4), "check": check})
    print()
    print("instr: instructions per op under QEMU -icount shift=0 (best round); "
          "tlb: TLB invalidation events per op")
    print("(x86 nr_tlb_* vm events, arm64 completed broadcast TLBIs); splits, "
          "tables: direct-map splits and init_mm table pages left, base/pgtlib")
    for n in border:
        if (n.startswith("secretmem:") and n.endswith(":free") and
                any(x != "0" for x in base[n].get("dm2m", "0").split(","))):
            for kind, r in (("base", base[n]), ("pgtlib", lib[n])):
                print("%-28s %-6s DirectMap4k/2M/1G kB before %s/%s/%s, mapped %s/%s/%s, freed %s/%s/%s"
                      % (n[:-5], kind, *[r["dm%s" % s].split(",")[i]
                                          for i in range(3) for s in ("4k", "2m", "1g")]))
    print()
    print("bench check: %d row(s) whose code the series does not change yet "
          "must read 1.00 +- %.0f%% (test_vmalloc +- %.0f%%, full_fit and "
          "long_busy_list +- %.0f%%): %s" % (
              sum(1 for r in out["rows"] if r["check"]), CHECK_TOLERANCE * 100,
              VMALLOC_TOLERANCE * 100, VMALLOC_LAYOUT_TOLERANCE * 100,
              "ok" if not failed else "OUT OF RANGE: " + ", ".join(failed)))
    print("(rows marked 'layout' depend on which physical pages each kernel "
          "hands out: figures, not checks)")

    for label in bpics:
        for kind, pics in (("base", bpics), ("pgtlib", lpics)):
            rows, counts = pics.get(label, ([], {}))
            out["direct_map"].setdefault(kind, {})[label] = counts
            print()
            print("direct map, %s kernel, %s (%s)" % (kind, label, dmap.LEGEND))
            for r in rows:
                print("  " + r)
            print("  " + dmap.summary(counts))
    with open(a.json, "w") as f:
        json.dump(out, f, indent=1)
    print()
    print("figures written to %s" % a.json)
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
