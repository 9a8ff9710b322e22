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
CHECK_TOLERANCE, or the bench says so and exits 3. Ported rows are
checked against the limits their issue sets (port_problems()); a miss
also exits 3. A workload missing or
failed in either kernel stops with its name and the console tail (exit 1).
"""
import argparse
import json
import re
import sys

import dmap

# Workload name prefixes whose code path the series changes (a port lands:
# add its rows here, and what its issue asks of them to port_problems()).
# Every other row must come out at 1.00 +- noise.
PORTED = ("secretmem:", "page_alloc:", "kmap_local_page", "gmem:",
          "test_vmalloc:", "vmap_")
# and per architecture: arm64's pageattr.c is ported (issue 12); x86's
# CPA splits and collapses the direct map and changes runs of its PTEs
# through pgtlib (issue 12)
PORTED_ARCH = {"arm64": ("set_memory_", "set_direct_map_"),
               "x86_64": ("set_memory_", "module:")}
# Rows that are not checks whatever the series does.
LAYOUT = ()
# The unmapped-page allocator's blocks: 2M of 4K pages
BLOCK_PAGES = 512
CHECK_TOLERANCE = 0.01
# test_vmalloc rows whose code the series does not change (none once
# vmalloc is ported): their noise between two boots of one kernel was up
# to this (measured, README) while the random cases drew a new seed per
# boot and the lazy purge ran in a work item; both are fixed in both
# kernels now (harness/bench/test-vmalloc-seed.patch,
# vmalloc-sync-purge.patch)
VMALLOC_TOLERANCE = 0.03
# full_fit and long_busy_list fill the vmalloc area: what they cost depends
# on where the boot left free space in it (x86 KASLR, earlier vmallocs)
# and on whether one lazy purge more or less falls in the run (full_fit
# frees 16384 areas against a threshold of 16384 pages); measured spread
# over four runs per architecture: up to 6%
VMALLOC_LAYOUT = ("test_vmalloc:full_fit_alloc_test",
                  "test_vmalloc:long_busy_list_alloc_test")
VMALLOC_LAYOUT_TOLERANCE = 0.08

TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")
STAGE = re.compile(r"^PGTLIB-STAGE (begin|end|skip) (\S+)(.*)$")
ROW = re.compile(r"PGTBENCH (\S+) (.*)$")
FAIL = re.compile(r"PGTBENCH-FAIL (.*)$")
VMA = re.compile(r"PGTBENCH-VMALLOC (.*)$")
# x86 kernel requests by caller, before (0) and after (1) a phase
KF = re.compile(r"PGTBENCH-KF ([01]) (\S+?)(?:\+\S+)? (\d+)$")
# callers that are CPA (set_memory_*()) splitting or changing the direct
# map: issue 12's code, which the vmalloc port does not change
# (change_page_attr_set_clr where cpa_flush() is inlined into it, and
# pgtbench_cpa_{split,collapse}_via_pgtlib for the flushes pgtlib makes
# for CPA's splits and collapses)
CPA_CALLERS = ("cpa_flush", "__change_page_attr_set_clr",
               "change_page_attr_set_clr", "pgtbench_cpa_split_via_pgtlib",
               "pgtbench_cpa_collapse_via_pgtlib")


def caller_deltas(sec):
    """Kernel requests per caller made between the two PGTBENCH-KF dumps
    of a section (x86 only; empty elsewhere)."""
    seen = ({}, {})
    for l in sec:
        m = KF.search(l)
        if m:
            # one line per call site: a function may have several
            d = seen[int(m.group(1))]
            d[m.group(2)] = d.get(m.group(2), 0) + int(m.group(3))
    return {k: v - seen[0].get(k, 0) for k, v in seen[1].items()
            if v != seen[0].get(k, 0)}
SUMMARY = re.compile(r"Summary: (\S+) passed: (\d+) failed: (\d+) "
                     r"repeat: (\d+) loops: (\d+) avg: (\d+) usec")
KV = re.compile(r"(\w+)=(\S+)")


class BenchError(Exception):
    pass


PROF = re.compile(r"PGTBENCH-PROF (\d+) (\S+)")


def profile(path):
    """The sampling profile of a console (BENCH_PROFILE): samples by
    function, and the total; ({}, 0) without one."""
    funcs, total = {}, 0
    with open(path, errors="replace") as f:
        for l in f:
            m = PROF.search(l)
            if not m:
                continue
            if m.group(2) == "total":
                total = int(m.group(1))
                lost = re.search(r"(\d+) lost", l)
                if lost and int(lost.group(1)):
                    funcs["(table full)"] = int(lost.group(1))
            else:
                funcs[m.group(2)] = funcs.get(m.group(2), 0) + int(m.group(1))
    return funcs, total


def print_profile(bp, lp, n=40):
    (bf, bt), (lf, lt) = bp, lp
    print()
    print("profile (BENCH_PROFILE), samples per function; a sample is the "
          "same number of instructions in both kernels")
    print("  total: base %d, pgtlib %d (%+d)" % (bt, lt, lt - bt))
    names = sorted(set(bf) | set(lf),
                   key=lambda k: -abs(lf.get(k, 0) - bf.get(k, 0)))
    print("  %8s %8s %8s  %s" % ("base", "pgtlib", "delta", "function"))
    for k in names[:n]:
        print("  %8d %8d %+8d  %s" % (bf.get(k, 0), lf.get(k, 0),
                                      lf.get(k, 0) - bf.get(k, 0), k))


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
        # bench:vmalloc:<id>[:<variant>] (":huge": use_huge=1 nr_pages=512)
        variant = name.split(":")[3:]
        key = "test_vmalloc:" + summ[0].group(1) + "".join(":" + v for v in variant)
        rows[key] = {
            "instr": str(usec * 1000 // loops),
            "tlb": "%.3f" % (int(vma[0]["tlb"]) / (runs * loops)),
            "splits": "0",
            # vmalloc's own tables: the whole of init_mm also counts the
            # direct-map splits that CPA makes when the module loads
            "tables": vma[0].get("vtables", vma[0]["tables"]),
            "ops": str(runs * loops),
        }
        if "req" in vma[0]:
            # the kernel's own requests: x86 also counts user address
            # spaces' (modprobe's processes) in nr_tlb_remote_flush; and
            # CPA's, which split whatever 2M leaves the module's pages
            # land in (the pgtlib kernel's direct map has more of them),
            # are shown apart
            callers = caller_deltas(sec)
            cpa = sum(v for k, v in callers.items() if k in CPA_CALLERS)
            rows[key]["req"] = str(int(vma[0].get("kreq", vma[0]["req"])) -
                                   cpa)
            rows[key]["req_cpa"] = str(cpa)
            rows[key]["callers"] = callers
        order.append(key)
    # the module row's requests by caller: CPA's splits and collapses apart
    for key in [k for k in rows if k.startswith("module:")]:
        rows[key]["callers"] = caller_deltas(sections.get("bench:module", []))
    pics = {}
    for name, sec in sections.items():
        if name.startswith("dmap:"):
            pics[name[5:]] = dmap.draw(sec)
    if not any(l.startswith("PGTLIB-DONE") for l in lines):
        raise BenchError("%s kernel: the guest did not finish its workloads\n%s"
                         % (kind, tail(lines)))
    return rows, order, pics


def pic_split(pics, before, after):
    """2M regions that the kernel's page-table dump shows 4K-mapped in
    @after and not in @before (None without both pictures)."""
    if before not in pics or after not in pics:
        return None
    b, a = pics[before][1], pics[after][1]
    return a.get("s", 0) + a.get("x", 0) - b.get("s", 0) - b.get("x", 0)


def unmapped_problems(l, pics, pre, phase, req_lim, split_lim):
    """An unmapped-allocator row's limits: requests and splits while the
    pages are held ("fault"/"populate"), the layout once they are freed
    (direct-map pictures pre + before/mapped/freed)."""
    bad = []
    if phase in ("fault", "populate"):
        req = int(l.get("req", "-1"))
        if req < 0 or req > req_lim:
            bad.append("%s invalidation requests, limit %d" % (req, req_lim))
        splits = pic_split(pics, pre + "before", pre + "mapped")
        if splits is None:
            bad.append("no direct-map pictures to count splits in")
        elif splits > split_lim:
            bad.append("%d 2M regions split, limit %d" % (splits, split_lim))
    elif pre + "before" not in pics or pre + "freed" not in pics:
        bad.append("no direct-map pictures before and after")
    elif pics[pre + "before"][1] != pics[pre + "freed"][1]:
        bad.append("direct map after free %s, before %s" % (
            dmap.summary(pics[pre + "freed"][1]),
            dmap.summary(pics[pre + "before"][1])))
    return bad


def port_problems(n, b, l, pics, base):
    """What a ported row misses of its issue's limits (empty: none);
    @base: every row of the base kernel."""
    bad = []
    if n.startswith("gmem:"):
        # issue 14: guest_memfd; the base's nodmap rows are the upstream
        # series' per-folio flag (harness/bench/gmem-perfolio.patch)
        _, label, phase = n.split(":")
        if label == "plain":
            if num(l["instr"]) > num(b["instr"]) * (1 + CHECK_TOLERANCE):
                bad.append("ratio above 1.00 + %.0f%%" % (CHECK_TOLERANCE * 100))
            return bad
        if phase == "populate":
            # no slower than the base's guest_memfd without the flag
            ref = num(base.get("gmem:plain:populate", {}).get("instr"))
            if ref is None or num(l["instr"]) > ref * (1 + CHECK_TOLERANCE):
                bad.append("instructions per page above the base's without "
                           "the flag (%s)" % ref)
        blocks = -(-int(l.get("ops", "0")) // BLOCK_PAGES)
        return bad + unmapped_problems(l, pics, "gmem-nodmap-", phase,
                                       blocks + 1, 0)
    if n.startswith(("set_memory_", "set_direct_map_")):
        # issue 12: set_memory_*() and set_direct_map_*() through pgtlib:
        # no slower, no more invalidations than the base
        if num(l["instr"]) > num(b["instr"]) * (1 + CHECK_TOLERANCE):
            bad.append("ratio above 1.00 + %.0f%%" % (CHECK_TOLERANCE * 100))
        if num(l["tlb"]) > num(b["tlb"]):
            bad.append("TLB invalidations per op %s, base %s" % (l["tlb"], b["tlb"]))
        return bad
    if n.startswith("module:"):
        # issue 12: a module loaded and freed again and again leaves the
        # direct map as it found it (DirectMap4k), with no more kernel
        # invalidation requests than the base
        d0, d1 = (int(x) for x in l.get("dm4k", "0,1").split(","))
        if d1 > d0:
            bad.append("DirectMap4k %d kB after, %d kB before" % (d1, d0))
        if num(l.get("req")) is None or num(l["req"]) > num(b.get("req")):
            bad.append("%s invalidation requests, base %s" % (l.get("req"), b.get("req")))
        return bad
    if n.startswith("vmap_"):
        # issue 11: vmalloc's page-table functions themselves
        if num(l["instr"]) > num(b["instr"]) * (1 + CHECK_TOLERANCE):
            bad.append("ratio above 1.00 + %.0f%%" % (CHECK_TOLERANCE * 100))
        if num(l["tlb"]) > num(b["tlb"]):
            bad.append("TLB invalidations per op %s, base %s" % (l["tlb"], b["tlb"]))
        return bad
    if n.startswith("test_vmalloc:"):
        # issue 11: vmalloc, vmap and ioremap through pgtlib: no slower
        # than the base (within the layout noise of the two cases that
        # fill the vmalloc area), no more invalidations, no more table
        # pages left after the run
        tol = VMALLOC_LAYOUT_TOLERANCE if n in VMALLOC_LAYOUT else CHECK_TOLERANCE
        if num(l["instr"]) > num(b["instr"]) * (1 + tol):
            bad.append("ratio above 1.00 + %.0f%%" % (tol * 100))
        if n.endswith(":huge"):
            # the huge-page run is a run of its own
            bad += vmalloc_run_problems([b], [l], tol)
        # the default cases' invalidations and tables are the whole run's
        # (vmalloc_run_problems() in main())
        return bad
    if n.startswith(("page_alloc:", "kmap_local_page")):
        # issue 10: free_pages_prepare() and kmap_local_page() /
        # kunmap_local() gained the allocator's static-key tests
        if num(l["instr"]) > num(b["instr"]) * (1 + CHECK_TOLERANCE):
            bad.append("ratio above 1.00 + %.0f%%" % (CHECK_TOLERANCE * 100))
    if n.startswith("secretmem:"):
        # issue 10: secretmem on the unmapped-page allocator; splits are
        # read from the kernel's page-table dump, which sees pgtlib's and
        # CPA's alike (the vmstat split counters are CPA's only)
        _, label, phase = n.split(":")
        if label == "warm":
            return bad      # the first use since boot: a figure, no limit
        blocks = -(-int(l.get("ops", "0")) // BLOCK_PAGES)
        if phase == "fault" and \
                num(l["instr"]) > num(b["instr"]) * (1 + CHECK_TOLERANCE):
            bad.append("instructions per fault above the base's")
        fresh = label == "fresh"
        bad += unmapped_problems(l, pics, "secretmem-%s-" % label, phase,
                                 blocks + 1 if fresh else 2 * blocks,
                                 0 if fresh else blocks)
    return bad


def vmalloc_run_problems(bs, ls, tol):
    """The issue's measures of a test_vmalloc run (the rows bs, ls of its
    cases): the invalidation requests during the whole run, and the table
    pages left after it, no more than the base's. Most requests are the
    lazy purge's, whose count follows the layout as the cost does (the
    base alone read 41 and 42 for full_fit, 66 and 69 for long_busy_list,
    249 and 250 for the huge run in two runs of one session), so within
    the tolerance. Tables are never freed in either kernel: a case that
    first reaches a new part of the vmalloc range allocates them, which
    case that is follows the layout (x86 long_busy_list: 58/0, 0/123,
    0/91 and 0/0 in four runs), so they are summed over the run."""
    bad = []
    req = [sum(num(r.get("req")) or 0 for r in rs) for rs in (bs, ls)]
    tables = [sum(int(r.get("tables", "0")) for r in rs) for rs in (bs, ls)]
    if any(num(r.get("req")) is None for r in ls) or req[1] > req[0] * (1 + tol):
        bad.append("%d invalidation requests, base %d" % (req[1], req[0]))
    if tables[1] > tables[0] + abs(tables[0]) * tol:
        bad.append("%d table pages left, base %d" % (tables[1], tables[0]))
    return bad


def vmalloc_areas(path):
    """The vmalloc areas guest-init listed before the test_vmalloc run
    (PGTBENCH-VMI, /proc/vmallocinfo), as "size caller" keys; the
    lazily freed ones apart, whose place the next purge frees."""
    areas = []
    with open(path, errors="replace") as f:
        for l in f:
            i = l.find("PGTBENCH-VMI ")
            if i < 0:
                continue
            w = l[i:].split()
            if len(w) >= 4:
                areas.append("%s %s" % (w[2], w[3].split("+")[0]))
    return areas


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
    global PORTED
    PORTED += PORTED_ARCH.get(a.arch, ())
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
    hdr = ("%-42s %10s %10s %6s %8s %8s %7s %7s %9s %7s" %
           ("workload (per op)", "base", "pgtlib", "ratio", "tlb base",
            "pgtlib", "splits", "tables", "req", "check"))
    print(hdr)
    print("-" * len(hdr))
    failed, problems = [], []
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
        bad = []
        if PORTED and n.startswith(PORTED):
            bad = port_problems(n, b, l, lpics, base)
            verdict = "PORT" if not bad else "MISSED"
            problems += ["%s: %s" % (n, x) for x in bad]
        print("%-42s %10d %10d %6.3f %8s %8s %7s %7s %9s %7s" % (
            n, bi, li, ratio, b.get("tlb"), l.get("tlb"),
            "%s/%s" % (b.get("splits", "0"), l.get("splits", "0")),
            "%s/%s" % (b.get("tables", "0"), l.get("tables", "0")),
            "%s/%s" % (b["req"], l["req"]) if "req" in b else "", verdict))
        out["rows"].append({"workload": n, "base": b, "pgtlib": l,
                            "ratio": round(ratio, 4), "check": check,
                            "port_problems": bad})
    print()
    print("instr: instructions per op under QEMU -icount shift=0 (best round); "
          "tlb: TLB invalidation events per op")
    print("(x86 nr_tlb_* vm events, arm64 completed broadcast TLBIs); splits, "
          "tables: direct-map splits and init_mm table pages left, base/pgtlib;")
    print("req: invalidation requests reaching every CPU in the whole phase "
          "(nr_tlb_remote_flush), base/pgtlib;")
    print("test_vmalloc rows: req is the kernel's own (x86: less user address "
          "spaces' requests, pgtbench/kreq, and less CPA's, shown below);")
    print("tables, those below the vmalloc range's top-level entries "
          "(pgtbench/vtables)")
    vm = [n for n in border if n.startswith("test_vmalloc:")]
    if any(base[n].get("callers") or lib[n].get("callers") for n in vm):
        tot = {}
        for kind, rs in (("base", base), ("pgtlib", lib)):
            for n in vm:
                for k, v in rs[n].get("callers", {}).items():
                    tot.setdefault(k, [0, 0])[kind == "pgtlib"] += v
        print("test_vmalloc, all cases: kernel invalidation requests by "
              "caller, base/pgtlib (CPA's are not in req):")
        for k in sorted(tot):
            print("  %-40s %6d/%d%s" % (k, tot[k][0], tot[k][1],
                                        "  (CPA)" if k in CPA_CALLERS else ""))
    for n in border:
        if (n.startswith(("secretmem:", "gmem:")) and n.endswith(":free") and
                any(x != "0" for x in base[n].get("dm2m", "0").split(","))):
            for kind, r in (("base", base[n]), ("pgtlib", lib[n])):
                v = [r["dm%s" % k].split(",") for k in ("4k", "2m", "1g")]
                print("%-28s %-6s DirectMap4k/2M/1G kB before %s, mapped %s, freed %s, drained %s"
                      % (n[:-5], kind, *["/".join(x[i] if i < len(x) else "?"
                                                  for x in v) for i in range(4)]))
    for n in border:
        if n.startswith("module:"):
            print("%-28s DirectMap4k kB before,after: base %s, pgtlib %s"
                  % (n, base[n].get("dm4k"), lib[n].get("dm4k")))
            cb, cl = base[n].get("callers", {}), lib[n].get("callers", {})
            if cb or cl:
                print("%s: kernel invalidation requests by caller, "
                      "base/pgtlib:" % n)
                for k in sorted(set(cb) | set(cl)):
                    print("  %-40s %6d/%d" % (k, cb.get(k, 0), cl.get(k, 0)))
    print()
    print("bench check: %d row(s) whose code the series does not change yet "
          "must read 1.00 +- %.0f%% (test_vmalloc +- %.0f%%, full_fit and "
          "long_busy_list +- %.0f%%): %s" % (
              sum(1 for r in out["rows"] if r["check"]), CHECK_TOLERANCE * 100,
              VMALLOC_TOLERANCE * 100, VMALLOC_LAYOUT_TOLERANCE * 100,
              "ok" if not failed else "OUT OF RANGE: " + ", ".join(failed)))
    for label in ("fresh", "aged"):
        pre = "secretmem-%s-" % label
        sb = pic_split(bpics, pre + "before", pre + "mapped")
        sl = pic_split(lpics, pre + "before", pre + "mapped")
        if sb is None or sl is None:
            continue
        print("secretmem:%-18s 2M regions split while mapped (page-table dump): "
              "base %d, pgtlib %d; layout after free as before: base %s, "
              "pgtlib %s" % (label, sb, sl,
                             *["yes" if p[pre + "before"][1] == p[pre + "freed"][1]
                               else "no" for p in (bpics, lpics)]))
    sb = pic_split(bpics, "gmem-nodmap-before", "gmem-nodmap-mapped")
    sl = pic_split(lpics, "gmem-nodmap-before", "gmem-nodmap-mapped")
    if sb is not None and sl is not None:
        print("gmem:nodmap (base: per folio)   2M regions split while allocated "
              "(page-table dump): base %d, pgtlib %d; layout after close as "
              "before: base %s, pgtlib %s" % (sb, sl, *[
                  "yes" if p["gmem-nodmap-before"][1] == p["gmem-nodmap-freed"][1]
                  else "no" for p in (bpics, lpics)]))
    gp, gq = "gmem:nodmap:populate", "gmem:plain:populate"
    if gp in base and gp in lib and gq in base:
        n = int(lib[gp].get("ops", "0"))
        print("gmem:nodmap populate, %d MiB: invalidation requests base (per "
              "folio) %s, pgtlib %s, limit %d; instructions per page: base "
              "without the flag %s, base per folio %s, pgtlib %s" % (
                  n * 4 // 1024, base[gp].get("req"), lib[gp].get("req"),
                  -(-n // BLOCK_PAGES) + 1, base[gq]["instr"],
                  base[gp]["instr"], lib[gp]["instr"]))
    vm = [n for n in border if n.startswith("test_vmalloc:") and
          not n.endswith(":huge")]
    if vm and PORTED and vm[0].startswith(PORTED):
        bad = vmalloc_run_problems([base[n] for n in vm], [lib[n] for n in vm],
                                   CHECK_TOLERANCE)
        print("test_vmalloc, the %d default cases as one run: invalidation "
              "requests base %d, pgtlib %d; table pages left base %d, pgtlib "
              "%d: %s" % (len(vm), *[sum(num(r[n].get("req")) or 0 for n in vm)
                                     for r in (base, lib)],
                          *[sum(int(r[n].get("tables", "0")) for n in vm)
                            for r in (base, lib)],
                          "ok" if not bad else "MISSED"))
        problems += ["test_vmalloc (whole run): %s" % x for x in bad]
        # where the run starts: an area one kernel has and the other has
        # not moves every later area of the run
        ba, la = vmalloc_areas(a.base), vmalloc_areas(a.pgtlib)
        only = [[x for x in p if p.count(x) > q.count(x)] for p, q in
                ((ba, la), (la, ba))]
        print("vmalloc areas before the run (size, caller), in one kernel "
              "only: base %s; pgtlib %s" % tuple(
                  ", ".join(sorted(set(o))) or "none" for o in only))
    print("port check: %d ported row(s) against their issue's limits: %s" % (
        sum(1 for r in out["rows"] if r["port_problems"] is not None and
            PORTED and r["workload"].startswith(PORTED)),
        "ok" if not problems else "MISSED"))
    for x in problems:
        print("  " + x)

    for label in bpics:
        for kind, pics in (("base", bpics), ("pgtlib", lpics)):
            rows, counts = pics.get(label, ([], {}))
            out["direct_map"].setdefault(kind, {})[label] = counts
            print()
            print("direct map, %s kernel, %s (%s)" % (kind, label, dmap.LEGEND))
            for r in rows:
                print("  " + r)
            print("  " + dmap.summary(counts))
    bp, lp = profile(a.base), profile(a.pgtlib)
    if bp[1] and lp[1]:
        print_profile(bp, lp)
    with open(a.json, "w") as f:
        json.dump(out, f, indent=1)
    print()
    print("figures written to %s" % a.json)
    return 3 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
