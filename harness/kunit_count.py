#!/usr/bin/env python3
"""Count KUnit test cases in a kunit.py --json file.

Usage: kunit_count.py --arch ARCH [--results FILE] [--require PREFIX] JSON

Walks sub_groups recursively (suites, parameterised cases) and counts each
leaf test case: PASS passes; FAIL/ERROR fail; SKIP fails in suites whose
name starts with PREFIX (default "pgtlib,unmapped_alloc": these must not skip
on their target architectures) and is only reported elsewhere. With
--require, at least one case of a PREFIX suite must have run.
Each counted case is printed and appended to FILE as a check.
"""
import argparse
import json
import sys


def walk(g, path, out):
    name = g.get("name", "?")
    here = path + [name] if path is not None else []
    for sg in g.get("sub_groups", []):
        walk(sg, here, out)
    for tc in g.get("test_cases", []):
        out.append((here + [tc.get("name", "?")], tc.get("status", "FAIL")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True)
    ap.add_argument("--results")
    ap.add_argument("--prefix", default="pgtlib,unmapped_alloc",
                    help="suite name prefixes, comma-separated")
    ap.add_argument("--require", action="store_true")
    ap.add_argument("json")
    a = ap.parse_args()
    with open(a.json) as f:
        data = json.load(f)
    cases = []
    walk(data, None, cases)
    n_pass = n_fail = n_skip = n_mine = 0
    lines = []
    for path, st in cases:
        mine = bool(path) and path[0].startswith(tuple(a.prefix.split(",")))
        n_mine += mine
        name = "kunit %s [%s]" % (".".join(path), a.arch)
        if st == "PASS":
            n_pass += 1
            lines.append(("PASS", name, "", mine))
        elif st == "SKIP" and not mine:
            n_skip += 1
            print("         SKIP %s (not counted)" % name)
        else:
            n_fail += 1
            lines.append(("FAIL", name, st.lower() if st != "SKIP" else
                          "skipped (pgtlib cases must not skip)", True))
    if a.require and n_mine == 0:
        n_fail += 1
        lines.append(("FAIL", "kunit %s* suites [%s]" % (a.prefix, a.arch),
                      "no %s test case ran" % a.prefix, True))
    # print failures and the pgtlib cases; other passing cases are counted
    for st, name, det, show in lines:
        if show:
            print("         %-4s %s%s" % (st, name, " (%s)" % det if det else ""))
    if a.results:
        with open(a.results, "a") as f:
            for st, name, det, _ in lines:
                f.write("%s\t%s\t%s\n" % (st, name, det))
    print("         kunit %s: %d cases passed (%d in %s* suites), %d failed, "
          "%d skipped (not counted)"
          % (a.arch, n_pass, sum(1 for l in lines if l[0] == "PASS" and l[3]),
             a.prefix, n_fail, n_skip))
    sys.exit(1 if n_fail else 0)


if __name__ == "__main__":
    main()
