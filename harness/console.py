#!/usr/bin/env python3
"""Check a guest console log written by harness/boot.sh.

Usage: console.py --arch ARCH [--label TEXT] --mode test|run|bench
                  [--results FILE] CONSOLE_LOG

Counted checks (each printed as PASS/FAIL, appended to FILE as
"PASS|FAIL<TAB>name<TAB>detail"):
  boot <arch>                 the guest init finished (PGTLIB-DONE)
  console clean <arch>        no WARNING:|BUG:|KASAN|Oops|Kernel panic|
                              Call Trace|general protection line
  debug_vm_pgtable <arch>     "Validating architecture page table helpers"
                              printed, no WARNING from debug_vm_pgtable.c
  debug_wx <arch>             "Checked W+X mappings: passed"
  rodata_test <arch>          test mode: "rodata_test: all tests were
                              successful" (DEBUG_RODATA_TEST)
  cpa_debug x86_64            "CPA self-test:" followed by "ok.", no
                              "NOT PASSED" / CPA error lines (x86_64 only)
  cpa_debug:runs x86_64       the self-test's "CPA self-test: N PTEs
                              changed in runs through pgtlib" with N > 0:
                              its ranges reach pgtlib's raw-protection path
  test_vmalloc:<test> <arch>  per enabled test: a "Summary:" line per worker
                              with failed: 0 and passed > 0
  test_vmalloc:huge <arch>    the same for the huge-page run (use_huge=1)
  kselftest:<bin>:<n> <arch>  per TAP case: "ok" passes, "not ok" fails,
                              "ok ... # SKIP" is reported but not counted;
                              plus one check per binary for plan/exit status
                              (exit 0, or 4 = KSFT_SKIP); a binary that skips
                              as a whole ("1..0 # SKIP") is reported, except
                              that the x86_64 test guests (which have KVM)
                              must run gmem_test and guest_memfd_test
In run mode the pgtlib_stats, pgtlib_bench, meminfo and vmstat sections
are echoed, and the direct map is drawn before and after the workloads
(harness/dmap.py). Bench mode checks only boot and console clean. Exit status: 1 if a check failed (run mode: only if boot or
console clean failed), else 0.
"""
import argparse
import os
import re
import sys

import dmap

BAD = re.compile(r"WARNING:|BUG:|KASAN|Oops|Kernel panic|Call Trace|"
                 r"general protection")
TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")
STAGE = re.compile(r"^PGTLIB-STAGE (begin|end|skip) (\S+)(.*)$")
TAP = re.compile(r"^(not )?ok (\d+)\b\s*-?\s*(.*)$")
PLAN = re.compile(r"^1\.\.(\d+)")
# kselftests that the x86_64 test guests (KVM: harness/configs/kvm.config)
# must run rather than skip
KVM_TESTS = ("kselftest:gmem_test", "kselftest:guest_memfd_test")
VMALLOC_TESTS = [
    "fix_size_alloc_test", "full_fit_alloc_test", "long_busy_list_alloc_test",
    "random_size_alloc_test", "fix_align_alloc_test",
    "random_size_align_alloc_test", "align_shift_alloc_test",
    "pcpu_alloc_test", "kvfree_rcu_1_arg_vmalloc_test",
    "kvfree_rcu_2_arg_vmalloc_test", "vm_map_ram_test",
]
VMALLOC_MASK = 1983      # must match harness/guest-init.sh
VMALLOC_THREADS = 2
SUMMARY = re.compile(r"Summary: (\S+) passed: (\d+) failed: (\d+) "
                     r"repeat: (\d+) loops: (\d+) avg: (\d+) usec")


_EXCUSED = None


def excused(lines):
    """Line numbers of known, expected warnings of the base kernel.

    CONFIG_CPA_DEBUG makes mark_rodata_ro() print "Testing CPA: undo" and
    call set_memory_rw() on the kernel text; since 6.x verify_rwx() WARNs
    about that W^X violation ("CPA detected W^X violation"). That one
    WARNING block (up to its "---[ end trace" line) is not a pgtlib
    problem and is excused.
    """
    global _EXCUSED
    if _EXCUSED is not None:
        return _EXCUSED
    _EXCUSED = set()
    for i, l in enumerate(lines):
        if not l.startswith("CPA detected W^X violation"):
            continue
        if not any("Testing CPA: undo" in x for x in lines[max(0, i - 4):i]):
            continue
        for j in range(i, min(len(lines), i + 80)):
            _EXCUSED.add(j)
            if lines[j].startswith("---[ end trace"):
                break
    return _EXCUSED


class Checks:
    def __init__(self, results, arch):
        self.results, self.arch = results, arch
        self.failed = []
        self.passed = 0

    def rec(self, ok, name, detail=""):
        name = "%s [%s]" % (name, self.arch)
        st = "PASS" if ok else "FAIL"
        print("         %-4s %s%s" % (st, name, " (%s)" % detail if detail else ""))
        if self.results:
            with open(self.results, "a") as f:
                f.write("%s\t%s\t%s\n" % (st, name, detail))
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True)
    ap.add_argument("--label", help="names the checks (default: --arch)")
    ap.add_argument("--mode", default="test")
    ap.add_argument("--results")
    ap.add_argument("log")
    a = ap.parse_args()
    allow_missing = os.environ.get("ALLOW_MISSING") == "1"

    with open(a.log, errors="replace") as f:
        raw = [l.rstrip("\n").rstrip("\r") for l in f]
    lines = [TS.sub("", l) for l in raw]
    c = Checks(a.results, a.label or a.arch)

    # sections
    sections, skips, stage_end = {}, {}, {}
    cur = None
    for l in lines:
        m = STAGE.match(l)
        if m:
            kind, name, rest = m.group(1), m.group(2), m.group(3).strip()
            if kind == "begin":
                cur = name
                sections[name] = []
            elif kind == "end":
                stage_end[name] = rest
                cur = None
            else:
                skips[name] = rest
            continue
        if cur is not None:
            sections[cur].append(l)

    done = any(l.startswith("PGTLIB-DONE") for l in lines)

    print("         guest stages:")
    for name in sections:
        print("           %-28s %s" % (name, stage_end.get(name, "(did not end)")))
    for name, why in skips.items():
        print("           %-28s skipped: %s" % (name, why))

    # boot / console clean
    c.rec(done, "boot", "" if done else "guest init did not finish")
    bad = [l for i, l in enumerate(lines) if BAD.search(l) and i not in excused(lines)]
    exc = [lines[i] for i in excused(lines) if BAD.search(lines[i])]
    c.rec(not bad, "console clean",
          ("%d bad line(s), first: %s" % (len(bad), bad[0][:160])) if bad else
          ("known CPA_DEBUG W^X warning excused" if exc else ""))

    if a.mode == "bench":
        # bench.sh judges the figures; here only that the guest ran clean
        print("         guest: %d checks passed, %d failed" % (c.passed, len(c.failed)))
        sys.exit(1 if c.failed else 0)

    # DEBUG_VM_PGTABLE
    vmpg = any("Validating architecture page table helpers" in l for l in lines)
    vmpg_warn = [l for l in lines if "WARNING:" in l and "debug_vm_pgtable" in l]
    c.rec(vmpg and not vmpg_warn, "debug_vm_pgtable",
          "no 'Validating architecture page table helpers' line" if not vmpg
          else ("%d warning(s)" % len(vmpg_warn) if vmpg_warn else ""))

    # DEBUG_WX
    wx_ok = any("Checked W+X mappings: passed" in l for l in lines)
    wx_bad = [l for l in lines if "Checked W+X mappings: FAILED" in l]
    c.rec(wx_ok and not wx_bad, "debug_wx",
          wx_bad[0] if wx_bad else ("" if wx_ok else "no 'Checked W+X mappings' line"))

    # DEBUG_RODATA_TEST (configs/test.config: test guests only)
    if a.mode == "test":
        ro_ok = any("rodata_test: all tests were successful" in l for l in lines)
        ro_bad = [l for l in lines if "rodata_test:" in l and "successful" not in l]
        c.rec(ro_ok and not ro_bad, "rodata_test",
              ro_bad[0] if ro_bad else ("" if ro_ok else "no 'rodata_test: all tests were successful' line"))

    # CPA_DEBUG (x86 only)
    if a.arch == "x86_64":
        idx = [i for i, l in enumerate(lines) if l.startswith("CPA self-test:")]
        cpa_err = [l for l in lines if "NOT PASSED" in l or
                   re.match(r"CPA (\d+ failed|[0-9a-f]+: bad pte|[0-9a-f]+: unexpected"
                            r"|lookup of|reverting failed|Cannot vmalloc|max_pfn_mapped)", l)]
        ok = bool(idx) and any(l == "ok." for l in lines[idx[0]:])
        c.rec(ok and not cpa_err, "cpa_debug",
              cpa_err[0] if cpa_err else ("" if ok else
                                          "no 'CPA self-test:' ... 'ok.' in the log"))
        runs = [int(m.group(1)) for m in
                (re.match(r"CPA self-test: (\d+) PTEs changed in runs through "
                          r"pgtlib$", l) for l in lines) if m]
        c.rec(bool(runs) and runs[0] > 0, "cpa_debug:runs",
              "" if runs and runs[0] > 0 else
              ("the self-test changed no PTE through pgtlib" if runs else
               "no 'CPA self-test: N PTEs changed in runs through pgtlib' line"))

    # test_vmalloc
    if "test_vmalloc" in skips:
        c.rec(False, "test_vmalloc", "module not in the initramfs")
    else:
        summ = {}
        for l in sections.get("test_vmalloc", lines):
            m = SUMMARY.search(l)
            if m:
                summ.setdefault(m.group(1), []).append(
                    (int(m.group(2)), int(m.group(3)), int(m.group(6))))
        for bit, name in enumerate(VMALLOC_TESTS):
            if not VMALLOC_MASK & (1 << bit):
                continue
            r = summ.get(name, [])
            # busybox modprobe loads the module twice (finit_module, then
            # init_module after -EAGAIN): accept whole multiples of runs
            ok = (len(r) > 0 and len(r) % VMALLOC_THREADS == 0 and
                  all(p > 0 and f == 0 for p, f, _ in r))
            det = ", ".join("passed %d failed %d avg %dus" % x for x in r) or \
                "no Summary line"
            c.rec(ok, "test_vmalloc:" + name, "" if ok else det)
        # the huge-page run: fix_size_alloc_test with vmalloc_huge()
        r = [(int(m.group(2)), int(m.group(3)))
             for m in map(SUMMARY.search, sections.get("test_vmalloc_huge", []))
             if m and m.group(1) == "fix_size_alloc_test"]
        ok = (len(r) > 0 and len(r) % VMALLOC_THREADS == 0 and
              all(p > 0 and f == 0 for p, f in r))
        c.rec(ok, "test_vmalloc:huge", "" if ok else
              ", ".join("passed %d failed %d" % x for x in r) or "no Summary line")

    # kselftests (TAP)
    ks = [n for n in sections if n.startswith("kselftest:")]
    if not ks:
        if allow_missing:
            print("         SKIP kselftest: no pgtlib selftest binaries in the "
                  "initramfs (not counted: ALLOW_MISSING=1)")
        else:
            c.rec(False, "kselftest", "no pgtlib selftest binaries in the initramfs "
                  "(tools/testing/selftests/pgtlib missing or built nothing)")
    if ks and "kselftest:memfd_secret" not in ks and not allow_missing:
        c.rec(False, "kselftest:memfd_secret",
              "tools/testing/selftests/mm/memfd_secret not in the initramfs")
    for n in ks:
        cases, plan = 0, None
        for l in sections[n]:
            m = PLAN.match(l)
            if m and plan is None:
                plan = int(m.group(1))
            m = TAP.match(l)
            if not m:
                continue
            cases += 1
            desc = m.group(3)
            title = desc.split("#")[0].strip() or desc.strip()
            skip = re.search(r"#\s*SKIP", desc, re.I)
            if skip and m.group(1) is None:
                # a skipped case is reported, not counted
                print("         SKIP %s:%s %s [%s] (not counted)"
                      % (n, m.group(2), title, a.label or a.arch))
                continue
            ok = m.group(1) is None
            c.rec(ok, "%s:%s %s" % (n, m.group(2), title), "" if ok else "not ok")
        end = stage_end.get(n, "")
        rc = re.search(r"rc=(\d+)", end)
        rc = int(rc.group(1)) if rc else None
        skipped = [l for l in sections[n] if PLAN.match(l) and
                   re.search(r"#\s*SKIP", l, re.I)]
        if plan == 0 and cases == 0 and skipped and rc == 4:
            why = skipped[0].split("SKIP", 1)[1].strip()
            if a.mode == "test" and a.arch == "x86_64" and n in KVM_TESTS:
                c.rec(False, "%s exit" % n, "skipped (%s), but this guest "
                      "has KVM" % why)
            else:
                print("         SKIP %s: %s [%s] (not counted)"
                      % (n, why, a.label or a.arch))
            continue
        problems = []
        if rc not in (0, 4):
            problems.append("exit status %s" % rc)
        if cases == 0:
            problems.append("no TAP result lines")
        if plan is not None and plan != cases:
            problems.append("plan 1..%d but %d results" % (plan, cases))
        c.rec(not problems, "%s exit" % n, ", ".join(problems))

    if a.mode == "run":
        for n in ("pgtlib_stats", "pgtlib_bench", "meminfo", "vmstat"):
            print("         ---- %s ----" % n)
            if n in sections:
                for l in sections[n]:
                    print("         " + l)
            else:
                print("         (%s)" % skips.get(n, "not run"))
        for n, when in (("dmap:before", "before the workloads"),
                        ("dmap:secretmem-held", "while unmapped_test holds "
                         "1024 memfd_secret() pages"),
                        ("dmap:after", "after the workloads")):
            print("         ---- direct map, %s (%s) ----" % (when, dmap.LEGEND))
            rows, counts = dmap.draw(sections.get(n, []))
            if not rows:
                print("         (%s)" % skips.get(n, "no page-table dump"))
                continue
            for r in rows:
                print("         " + r)
            print("         " + dmap.summary(counts))

    print("         guest: %d checks passed, %d failed" % (c.passed, len(c.failed)))
    if a.mode == "run":
        fatal = [n for n in c.failed if n.startswith(("boot ", "console clean "))]
        sys.exit(1 if fatal else 0)
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
