#!/usr/bin/env python3
"""Parse harness/series.conf and check / order / export the pgtlib series.

Usage:
  series.py check  [--allow-missing]          check series.conf vs overlay
  series.py order  [--allow-missing]          print overlay files in series
                                              order (after the checks)
  series.py export OUTDIR [--allow-missing]   write git format-patch series
                                              (with cover letter) to OUTDIR
  series.py strip FILE OUT                    FILE without its stage markers
  series.py stage TAG FILE OUT                FILE as the entry with "stage:
                                              TAG" leaves it

OUTDIR is emptied first; it must be below build/ (or a folder this script
created outside build/ and marked with .pgtlib-harness-owned).
The format of series.conf is documented at its top, with the stage
markers that let one new file grow over several patches. The overlay is every
file (tracked, or untracked and not ignored) under the top-level folders
arch include mm lib tools virt Documentation, plus top-level *.patch files.
"""
import os
import re
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONF = os.path.join(TOP, "harness", "series.conf")
COVER = os.path.join(TOP, "harness", "cover-letter.txt")
BUILD = os.path.join(TOP, "build")
BASE = os.path.join(BUILD, "linux-base")
OWNED_MARK = ".pgtlib-harness-owned"
OVERLAY_DIRS = ["arch", "include", "mm", "lib", "tools", "virt", "Documentation"]
DEFAULT_AUTHOR = ("pgtlib developers", "pgtlib@lists.example.org")
KVER = "6.12.117"


# A stage marker is a line of its own: "/* @stage TAG */", "// @stage TAG",
# "# @stage TAG" or ".. @stage TAG" opens a region, the same with "end"
# closes it; regions nest. TAG names the series.conf entry ("stage: TAG")
# whose patch adds the region's lines. Markers never reach a kernel tree.
STAGE_RE = re.compile(r"^\s*(?:/\*|//|#|\.\.)\s*@stage\s+([A-Za-z0-9_-]+)"
                      r"\s*(?:\*/)?\s*$")


def stage_filter(path, text, stages, upto):
    """text without its marker lines and without the regions whose stage
    comes after entry index upto (None: keep every region)."""
    out, stack = [], []
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        m = STAGE_RE.match(line)
        if m:
            tag = m.group(1)
            if tag == "end":
                if not stack:
                    fail("%s:%d: '@stage end' without an open region" % (path, n))
                stack.pop()
            elif tag not in stages:
                fail("%s:%d: stage '%s' is not declared by a series.conf "
                     "entry ('stage: %s')" % (path, n, tag, tag))
            else:
                if stack and stages[tag] < stack[-1]:
                    fail("%s:%d: stage '%s' inside a region of a later "
                         "stage would come with that one" % (path, n, tag))
                stack.append(stages[tag])
            continue
        if upto is None or all(i <= upto for i in stack):
            out.append(line)
    if stack:
        fail("%s: %d '@stage' region(s) not closed" % (path, len(stack)))
    # a region that ended the file leaves no blank line behind it
    text = "".join(out)
    return text.rstrip("\n") + "\n" if text.strip() else text


def has_markers(path):
    try:
        with open(path, errors="replace") as f:
            return any(STAGE_RE.match(l) for l in f)
    except OSError:
        return False


def stage_map(entries):
    stages = {}
    for i, e in enumerate(entries):
        if e.get("stage"):
            if e["stage"] in stages or e["stage"] == "end":
                fail("stage '%s' declared twice (or reserved)" % e["stage"])
            stages[e["stage"]] = i
    return stages


def fail(msg):
    print("series: error: " + msg, file=sys.stderr)
    sys.exit(1)


def git_env(**extra):
    """The environment for git without GIT_* variables: a GIT_DIR,
    GIT_WORK_TREE or GIT_INDEX_FILE inherited from a git hook or another
    tool would send git's reads and writes to another repository."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(extra)
    return env


def below_build(path):
    """path, every symlink resolved, lies strictly below build/."""
    b = os.path.realpath(BUILD)
    return os.path.realpath(path).startswith(b + os.sep)


def empty_outdir(outdir, check_only=False):
    """Empty (or create) OUTDIR. Below build/: anything goes. Outside it:
    only a folder created here (marked with OWNED_MARK) is emptied, a new
    one is created and marked; anything else is refused. check_only: only
    refuse (before any work is done)."""
    if below_build(outdir):
        if check_only:
            return
        if os.path.islink(outdir):
            os.unlink(outdir)
        shutil.rmtree(outdir, ignore_errors=True)
        os.makedirs(outdir)
        return
    mark = os.path.join(outdir, OWNED_MARK)
    if os.path.isdir(outdir) and not os.path.islink(outdir) \
            and os.path.isfile(mark):
        if check_only:
            return
        shutil.rmtree(outdir)
    elif os.path.lexists(outdir):
        fail("%s is outside build/ and was not created by the harness (no "
             "%s in it): refusing to use it" % (outdir, OWNED_MARK))
    if check_only:
        return
    try:
        os.mkdir(outdir)
    except OSError as e:
        fail("cannot create %s (outside build/, its parent must exist): %s"
             % (outdir, e.strerror))
    open(mark, "w").close()


def parse(path=CONF):
    """Return a list of entries: dict(subject, files, body, line)."""
    entries = []
    with open(path) as f:
        lines = [l.rstrip("\n") for l in f]
    blocks, cur, start = [], [], None
    for n, l in enumerate(lines, 1):
        if l.startswith("#"):
            continue
        if l.strip() == "%%":
            blocks.append((start, cur))
            cur, start = [], None
            continue
        if start is None and l.strip() == "" and not cur:
            continue
        if start is None:
            start = n
        cur.append(l)
    if cur:
        blocks.append((start, cur))
    for start, blk in blocks:
        e = {"subject": None, "files": [], "body": "", "line": start,
             "stage": None}
        i, in_files = 0, False
        while i < len(blk) and blk[i].strip() != "":
            l = blk[i]
            if l.startswith("subject:"):
                e["subject"] = l[len("subject:"):].strip()
                in_files = False
            elif l.startswith("stage:"):
                if e["stage"]:
                    fail("%s:%d: a second 'stage:' in one entry"
                         % (CONF, start + i))
                e["stage"] = l[len("stage:"):].strip()
                if not re.fullmatch(r"[A-Za-z0-9_-]+", e["stage"]):
                    fail("%s:%d: stage name %r: use letters, digits, '_' "
                         "and '-'" % (CONF, start + i, e["stage"]))
                in_files = False
            elif l.startswith("files:"):
                e["files"] += l[len("files:"):].split()
                in_files = True
            elif l[:1] in (" ", "\t") and in_files:
                e["files"] += l.split()
            else:
                fail("%s:%d: unexpected header line: %r" % (CONF, start + i, l))
            i += 1
        body = "\n".join(blk[i:]).strip("\n")
        e["body"] = body
        if not e["subject"]:
            fail("%s:%d: entry without 'subject:'" % (CONF, start))
        if not e["files"] and not e["stage"]:
            fail("%s:%d: entry '%s' without 'files:'" % (CONF, start, e["subject"]))
        entries.append(e)
    if not entries:
        fail("no entries in " + CONF)
    return entries


def overlay_files():
    """All overlay files present in the work tree (repo-relative paths)."""
    try:
        out = subprocess.run(
            ["git", "-C", TOP, "ls-files", "-z", "--cached", "--others",
             "--exclude-standard", "--"] + OVERLAY_DIRS + [":(top,glob)*.patch"],
            check=True, capture_output=True, text=True, env=git_env()).stdout
        files = sorted(set(p for p in out.split("\0") if p))
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d in OVERLAY_DIRS:
            for root, _, names in os.walk(os.path.join(TOP, d)):
                for n in names:
                    files.append(os.path.relpath(os.path.join(root, n), TOP))
        files += [n for n in os.listdir(TOP) if n.endswith(".patch")]
        files = sorted(files)
    return [p for p in files if os.path.isfile(os.path.join(TOP, p))]


def kernel_path(p):
    """The kernel file an overlay path stands for.

    'x.patch' patches x; 'x~tag.patch' is a further patch to x, applied on
    top of what the entries before it made of x (so a file can change in
    more than one patch of the series).
    """
    if not p.endswith(".patch"):
        return p
    kp = p[:-len(".patch")]
    d, b = os.path.split(kp)
    if "~" in b:
        kp = os.path.join(d, b.split("~")[0])
    return kp


def check(entries, allow_missing):
    """Validate; return the list of (entry index, overlay path) to apply."""
    errors, warnings = [], []
    seen = {}
    for i, e in enumerate(entries):
        for p in e["files"]:
            if p in seen:
                errors.append("%s is listed in two entries: '%s' and '%s'"
                              % (p, entries[seen[p]]["subject"], e["subject"]))
            seen[p] = i
    present = set(overlay_files())
    for p in sorted(present):
        if p not in seen:
            errors.append("overlay file %s is not listed in any entry of "
                          "harness/series.conf" % p)
    stages = stage_map(entries)
    for p in sorted(present):
        if not p.endswith(".patch") and has_markers(os.path.join(TOP, p)):
            with open(os.path.join(TOP, p)) as f:
                stage_filter(p, f.read(), stages, None)
    # a region whose stage comes before the entry that adds the file
    # would silently land with the file
    added = {p: i for i, e in enumerate(entries) for p in e["files"]}
    for p in sorted(present):
        if p.endswith(".patch") or p not in added:
            continue
        if not has_markers(os.path.join(TOP, p)):
            continue
        with open(os.path.join(TOP, p)) as f:
            for n, l in enumerate(f, 1):
                m = STAGE_RE.match(l)
                if (m and m.group(1) in stages and
                        stages[m.group(1)] <= added[p]):
                    errors.append("%s:%d: stage '%s' is not after the "
                                  "entry that adds the file" %
                                  (p, n, m.group(1)))
    result = []
    made = set()    # new files the series has created so far
    for i, e in enumerate(entries):
        for p in e["files"]:
            full = os.path.join(TOP, p)
            top = p.split("/")[0]
            if p.startswith("/") or ".." in p.split("/") or not (
                    top in OVERLAY_DIRS or ("/" not in p and p.endswith(".patch"))):
                errors.append("%s (in '%s') is not an overlay path" % (p, e["subject"]))
                continue
            if not os.path.isfile(full):
                msg = "%s (in '%s') does not exist" % (p, e["subject"])
                if allow_missing:
                    warnings.append(p)
                else:
                    errors.append(msg + " (use ALLOW_MISSING=1 / --allow-missing "
                                  "while the code is being written)")
                continue
            kp = kernel_path(p)
            inbase = os.path.exists(os.path.join(BASE, kp))
            if p.endswith(".patch") and not inbase and kp not in made:
                errors.append("%s patches %s, which is not in the base kernel "
                              "nor made by an earlier entry" % (p, kp))
            if not p.endswith(".patch"):
                made.add(kp)
            if not p.endswith(".patch") and inbase:
                errors.append("%s exists in the base kernel: store changes to it "
                              "as %s.patch" % (p, p))
            result.append((i, p))
    if warnings and not os.environ.get("SERIES_QUIET"):
        print("series: warning: %d listed file(s) missing, skipped "
              "(allow-missing): %s" % (len(warnings), " ".join(warnings)),
              file=sys.stderr)
    if errors:
        for m in errors:
            print("series: error: " + m, file=sys.stderr)
        sys.exit(1)
    return result


def git(repo, *args, env=None, **kw):
    return subprocess.run(["git", "-C", repo] + list(args), check=True,
                          env=env or git_env(), **kw)


def author():
    env = os.environ.get("PGTLIB_AUTHOR", "")
    if "<" in env:
        return env.split("<")[0].strip(), env.split("<")[1].rstrip(">").strip()

    def cfg(k):
        r = subprocess.run(["git", "-C", TOP, "config", k],
                           capture_output=True, text=True, env=git_env())
        return r.stdout.strip()
    name, email = cfg("user.name"), cfg("user.email")
    if name and email:
        return name, email
    return DEFAULT_AUTHOR


def export(entries, files, outdir):
    empty_outdir(outdir, check_only=True)
    scratch = os.path.join(BUILD, "series-git")
    if os.path.islink(scratch):
        os.unlink(scratch)
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    name, email = author()
    env = git_env(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
                  GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email)
    git(scratch, "init", "-q", "-b", "series")
    git(scratch, "config", "user.name", name)
    git(scratch, "config", "user.email", email)
    git(scratch, "config", "core.autocrlf", "false")
    # Base versions of every existing file the series touches.
    for _, p in files:
        kp = kernel_path(p)
        src = os.path.join(BASE, kp)
        if os.path.exists(src):
            dst = os.path.join(scratch, kp)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
    git(scratch, "add", "-A")
    git(scratch, "commit", "-q", "--allow-empty", "-m",
        "base: Linux %s (files touched by the series)" % KVER, env=env)
    git(scratch, "tag", "base")
    stages = stage_map(entries)
    # new files with stage markers, once an entry made them: kernel path
    # -> (overlay path, scratch path, patched by a later '~tag.patch')
    marked = {}
    for i, e in enumerate(entries):
        mine = [p for j, p in files if j == i]
        if not mine and not e["stage"]:
            print("series: warning: entry %d '%s' has no files present - "
                  "skipped" % (i + 1, e["subject"]), file=sys.stderr)
            continue
        # a stage's regions first: a later '~tag.patch' of the file
        # applies on top of the whole file
        for kp, (p, dst, patched) in marked.items():
            with open(os.path.join(TOP, p)) as f:
                orig = f.read()
            if e["stage"] and any(
                    STAGE_RE.match(l) and STAGE_RE.match(l).group(1) == e["stage"]
                    for l in orig.splitlines()):
                if patched:
                    fail("%s has regions of stage '%s' after %s patched it: "
                         "a '~tag.patch' must come after the file's last "
                         "stage" % (p, e["stage"], patched))
                with open(dst, "w") as f:
                    f.write(stage_filter(p, orig, stages, i))
        for p in mine:
            kp = kernel_path(p)
            if p.endswith(".patch"):
                if kp in marked:
                    with open(os.path.join(TOP, marked[kp][0])) as f:
                        later = [m.group(1) for m in map(STAGE_RE.match, f)
                                 if m and m.group(1) in stages and
                                 stages[m.group(1)] > i]
                    if later:
                        fail("%s patches %s, which still has regions of a "
                             "later stage ('%s'): a '~tag.patch' must come "
                             "after the file's last stage"
                             % (p, marked[kp][0], later[0]))
                    marked[kp] = marked[kp][:2] + (p,)
                r = subprocess.run(["patch", "-p1", "--no-backup-if-mismatch",
                                    "-r", "-", "-i", os.path.join(TOP, p)],
                                   cwd=scratch, capture_output=True, text=True)
                if r.returncode:
                    sys.stderr.write(r.stdout + r.stderr)
                    fail("%s does not apply (entry %d '%s')"
                         % (p, i + 1, e["subject"]))
            else:
                dst = os.path.join(scratch, kp)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(os.path.join(TOP, p), dst)
                if has_markers(os.path.join(TOP, p)):
                    marked[kp] = (p, dst, None)
                    with open(os.path.join(TOP, p)) as f:
                        text = stage_filter(p, f.read(), stages, i)
                    with open(dst, "w") as f:
                        f.write(text)
        git(scratch, "add", "-A")
        if subprocess.run(["git", "-C", scratch, "diff", "--cached",
                           "--quiet"], env=git_env()).returncode == 0:
            print("series: warning: entry %d '%s' changes nothing - "
                  "skipped" % (i + 1, e["subject"]), file=sys.stderr)
            continue
        msg = e["subject"] + "\n\n" + e["body"] + "\n"
        git(scratch, "commit", "-q", "-s", "-F", "-", input=msg, text=True,
            env=env)
    empty_outdir(outdir)
    git(scratch, "format-patch", "-q", "--cover-letter", "-o",
        os.path.abspath(outdir), "base..HEAD", env=env)
    # Fill in the cover letter.
    cover = os.path.join(outdir, "0000-cover-letter.patch")
    with open(COVER) as f:
        tmpl = f.read()
    subj, _, blurb = tmpl.partition("\n")
    subj = subj.replace("Subject:", "").strip()
    blurb = blurb.strip("\n").replace("@KVER@", KVER)
    with open(cover) as f:
        text = f.read()
    text = text.replace("*** SUBJECT HERE ***", subj)
    text = text.replace("*** BLURB HERE ***", blurb)
    with open(cover, "w") as f:
        f.write(text)
    for n in sorted(os.listdir(outdir)):
        if n == OWNED_MARK:
            continue
        print(os.path.join(outdir, n))


def main():
    args = sys.argv[1:]
    allow = "--allow-missing" in args or os.environ.get("ALLOW_MISSING") == "1"
    args = [a for a in args if a != "--allow-missing"]
    if args[:1] == ["stage"] and len(args) == 4:
        # FILE as the patch of the entry that declares stage TAG leaves it
        stages = stage_map(parse())
        if args[1] not in stages:
            fail("no entry declares stage '%s'" % args[1])
        with open(args[2]) as f:
            text = stage_filter(args[2], f.read(), stages, stages[args[1]])
        with open(args[3], "w") as f:
            f.write(text)
        return
    if args[:1] == ["strip"] and len(args) == 3:
        # the file as kernel trees get it: every region, no markers; a
        # file without markers byte for byte, as export copies it
        if not has_markers(args[1]):
            shutil.copyfile(args[1], args[2])
            return
        with open(args[1]) as f:
            text = stage_filter(args[1], f.read(), stage_map(parse()), None)
        with open(args[2], "w") as f:
            f.write(text)
        return
    if not args or args[0] not in ("check", "order", "export"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    entries = parse()
    files = check(entries, allow)
    if args[0] == "order":
        for _, p in files:
            print(p)
    elif args[0] == "export":
        if len(args) != 2:
            fail("export needs OUTDIR")
        export(entries, files, args[1])
    else:
        print("series: ok: %d entries, %d files" % (len(entries), len(files)))


if __name__ == "__main__":
    main()
