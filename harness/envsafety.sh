#!/bin/bash
# `make test` check "environment safety": no environment variable makes the
# harness write or delete outside build/ (README.md, "Environment and
# safety"). No kernel is built and the real build/linux* are not touched;
# it takes a few seconds.
#
# It works in a throwaway copy of the repository, build/envsafety/repo:
# harness/ and Makefile copied from this checkout, a two-entry fake overlay
# (a new file and a .patch), deps.sh replaced by a no-op, and a fake
# "kernel" source tarball whose Makefile and merge_config.sh only create
# the files the harness looks for (honouring KCONFIG_CONFIG and
# KBUILD_EXTMOD as Kbuild does). Every run there gets only PATH, HOME, LANG
# and hostile values for every variable the harness reads or once read
# (TOP BUILD HARNESS LOGS BASE TREE LOCK OUT MODROOT RESULTS SERIES CTREE
# COUT ROOT KSFT_OUT DL TMPDIR CDPATH SRC_TARBALL KBUILD_OUTPUT
# KBUILD_EXTMOD INSTALL_MOD_PATH KCONFIG_CONFIG GIT_DIR GIT_WORK_TREE
# GIT_INDEX_FILE T0 PGTLIB_T0 TAG NO_VERIFY SOFT PGTLIB_COUNTING, and the
# Makefile's B and H), each pointing at a folder holding files,
# build/envsafety/hostile/<VAR>:
#   1. tree.sh (unpacking the fake tarball), guest-build.sh,
#      check-series.sh, initramfs.sh (if busybox and cpio are installed)
#      must succeed and write into the copy's build/;
#   2. PGTLIB_TREE set, JOBS or ARCH garbage, CHECKPATCH_FLAGS with
#      --fix-inplace, guest-build.sh --tree/--out/--modroot at a foreign
#      folder or at a symlink below build/ leading to one, series.py export
#      to a foreign folder must each fail with one line of output;
#   3. guest-build.sh --out/--modroot at new folders outside build/ must
#      create and mark them, and reuse them on a second run;
#   4. tree.sh with build/linux a symlink to a foreign folder and
#      build/linux-base spoiled must rebuild both without following the
#      link, and `make -f <copy>/Makefile clean` run from a foreign current
#      directory must clean the copy's build/.
# Passes if every hostile folder is unchanged after every run (names,
# types, modes, sizes, mtimes, contents) and every run behaved as above.
#
# Usage: envsafety.sh [--from REPO]   (check the harness/ and Makefile of
#                                      another checkout, e.g. an old one)
# Log: build/logs/envsafety.log. Exit 0: passed; 3: failed (counted).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FROM=$TOP
case "${1:-}" in
'') ;;
--from) [ $# = 2 ] || { echo "usage: $0 [--from REPO]" >&2; exit 2; }; FROM=$(abs_path "$2") ;;
*) echo "usage: $0 [--from REPO]" >&2; exit 2 ;;
esac
if [ ! -f "$FROM/harness/lib.sh" ] || [ ! -f "$FROM/Makefile" ]; then
	die "envsafety: $FROM has no harness/lib.sh or Makefile"
fi

ES=$BUILD/envsafety
R=$ES/repo              # the copy of the repository
H=$ES/hostile           # one folder per hostile variable
LOG=$LOGS/envsafety.log
HOSTILE_DIRS=(TOP BUILD HARNESS LOGS BASE TREE PGTLIB_TREE OUT MODROOT
	RESULTS LOCK SERIES CTREE COUT ROOT KSFT_OUT DL TMPDIR CDPATH
	SRC_TARBALL KBUILD_OUTPUT KBUILD_EXTMOD INSTALL_MOD_PATH KCONFIG_CONFIG
	GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE T0 PGTLIB_T0 CHECKPATCH_FLAGS JOBS
	B H CWD)
ENV0=(PATH="$PATH" HOME="$ES/home" LANG=C LC_ALL=C)
HOSTILE_ENV=(
	TOP="$H/TOP" BUILD="$H/BUILD" HARNESS="$H/HARNESS" LOGS="$H/LOGS"
	BASE="$H/BASE" TREE="$H/TREE" OUT="$H/OUT" MODROOT="$H/MODROOT"
	RESULTS="$H/RESULTS/precious.txt" LOCK="$H/LOCK/precious.txt"
	SERIES="$H/SERIES" CTREE="$H/CTREE" COUT="$H/COUT" ROOT="$H/ROOT"
	KSFT_OUT="$H/KSFT_OUT" DL="$H/DL" TMPDIR="$H/TMPDIR" CDPATH="$H/CDPATH"
	SRC_TARBALL="$H/SRC_TARBALL/precious.txt"
	KBUILD_OUTPUT="$H/KBUILD_OUTPUT" KBUILD_EXTMOD="$H/KBUILD_EXTMOD"
	INSTALL_MOD_PATH="$H/INSTALL_MOD_PATH"
	KCONFIG_CONFIG="$H/KCONFIG_CONFIG/precious.txt"
	GIT_DIR="$H/GIT_DIR" GIT_WORK_TREE="$H/GIT_WORK_TREE"
	GIT_INDEX_FILE="$H/GIT_INDEX_FILE/precious.txt"
	T0="x[\$(touch $H/T0/pwned)]" PGTLIB_T0="x[\$(touch $H/PGTLIB_T0/pwned)]"
	TAG="-hostile-tag" NO_VERIFY=1 SOFT=1 PGTLIB_COUNTING=1 B="$H/B" H="$H/H"
	ARCH=x86_64 PGTLIB_SRC_TARBALL="$ES/linux-source-6.12.tar.xz"
)
problems=()
runs=0

problem() { problems+=("$*"); echo "PROBLEM: $*" >>"$LOG"; }

# listing: one line per entry below $H (type, mode, size, mtime, path, link
# target) and one per file (content hash), sorted
listing() {
	(cd "$H" && find . -printf '%y %m %s %T@ %p -> %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}

# compare <after>: every hostile folder must be as it was
compare() {
	local v vars
	listing >"$ES/listing.new"
	if ! cmp -s "$ES/listing" "$ES/listing.new"; then
		vars=$(diff "$ES/listing" "$ES/listing.new" | grep -o '\./[^/ ]*' |
			sed 's#^\./##' | sort -u || true)
		for v in $vars; do
			problem "$1: wrote to or deleted in the folder of $v ($H/$v)"
		done
		[ -n "$vars" ] || problem "$1: wrote to or deleted in $H"
	fi
	mv -f "$ES/listing.new" "$ES/listing"
}

# run <name> ok|refused <cwd> [VAR=value ...] cmd...: run cmd in <cwd>
# with only the given environment (plus PATH, HOME, LANG), then check it
# succeeded (ok) or failed with exactly one line of output (refused), and
# that no hostile folder changed.
run() {
	local name=$1 expect=$2 dir=$3 rc=0 out n
	shift 3
	runs=$((runs + 1))
	out=$(cd "$dir" && env -i "${ENV0[@]}" "$@" 2>&1 </dev/null) || rc=$?
	printf '==== %s (expect %s, rc=%s)\n%s\n' "$name" "$expect" "$rc" "$out" >>"$LOG"
	n=$(printf '%s\n' "$out" | grep -c . || true)
	case $expect in
	ok)
		[ $rc = 0 ] || problem "$name: failed (rc=$rc): $(printf '%s\n' "$out" |
			grep -m1 -E 'FAILED|error|usage' | cut -c1-160)"
		;;
	refused)
		if [ $rc = 0 ]; then
			problem "$name: was not refused"
		elif [ "$n" != 1 ]; then
			problem "$name: refused with $n lines of output instead of one: $(printf '%s\n' "$out" | head -1 | cut -c1-120)"
		fi
		;;
	esac
	compare "$name"
}

# expect <name> <test args...>: a [ test ] that must hold after a run
expect() {
	local name=$1
	shift
	[ "$@" ] || problem "$name: expected [ $* ]"
}

# setup: the hostile folders, the fake kernel tarball and the repo copy
setup() {
	local v k=$ES/src/linux-source-6.12
	mkdir -p "$H" "$ES/home" "$ES/outside"
	for v in "${HOSTILE_DIRS[@]}"; do
		mkdir -p "$H/$v/sub"
		echo "precious $v" >"$H/$v/precious.txt"
		echo "precious $v too" >"$H/$v/sub/precious.txt"
	done
	# shaped like what the variable used to name, so obeying it would do damage
	for v in TOP CWD; do
		mkdir -p "$H/$v/build/linux/mm" "$H/$v/build/linux-base" \
			"$H/$v/build/out-guest-x86_64" "$H/$v/harness"
		echo precious >"$H/$v/build/linux/mm/precious.c"
		echo precious >"$H/$v/build/linux-base/Makefile"
		echo precious >"$H/$v/build/out-guest-x86_64/.config"
		echo precious >"$H/$v/harness/precious.txt"
	done
	mkdir -p "$H/CDPATH/harness" "$H/CDPATH/.ci"
	echo precious >"$H/TREE/Makefile"
	mkdir -p "$H/BASE/tools/testing/kunit"
	echo 'SUBLEVEL = 117' >"$H/BASE/Makefile"
	echo precious >"$H/BASE/tools/testing/kunit/kunit.py"

	# fake kernel: make targets create what the harness checks for
	mkdir -p "$k/tools/testing/kunit" "$k/scripts/kconfig" "$k/mm"
	cat >"$k/Makefile" <<'EOF'
# fake kernel for harness/envsafety.sh
VERSION = 6
PATCHLEVEL = 12
SUBLEVEL = 117
CONFIG := $(if $(KCONFIG_CONFIG),$(KCONFIG_CONFIG),$(O)/.config)
tinyconfig:
	@echo '# fake tinyconfig' >$(CONFIG)
olddefconfig headers:
	@:
bzImage Image modules:
	@$(if $(KBUILD_EXTMOD),touch $(KBUILD_EXTMOD)/fake.o,mkdir -p $(O)/arch/x86/boot && touch $(O)/arch/x86/boot/bzImage)
modules_install:
	@mkdir -p $(INSTALL_MOD_PATH)/lib/modules/6.12.117 && touch $(INSTALL_MOD_PATH)/lib/modules/6.12.117/fake.ko
EOF
	cat >"$k/scripts/kconfig/merge_config.sh" <<'EOF'
#!/bin/sh
# fake merge_config.sh -m -O DIR BASE FRAGMENT...: concatenates them into
# $KCONFIG_CONFIG (default DIR/.config) through a temporary file in the cwd
while :; do
	case "$1" in
	-m) shift ;;
	-O) out=$2; shift 2 ;;
	*) break ;;
	esac
done
tmp=$(mktemp ./.tmp.config.XXXXXXXXXX)
cat "$@" >"$tmp"
cp "$tmp" "${KCONFIG_CONFIG:-$out/.config}"
rm -f "$tmp"
EOF
	chmod 755 "$k/scripts/kconfig/merge_config.sh"
	echo '# fake' >"$k/tools/testing/kunit/kunit.py"
	printf 'obj-y := memory.o\n' >"$k/mm/Makefile"
	tar -cJf "$ES/linux-source-6.12.tar.xz" -C "$ES/src" linux-source-6.12

	# the copy of the repository, with a fake overlay
	mkdir -p "$R/mm"
	cp -a "$FROM/harness" "$FROM/Makefile" "$R/"
	safe_rm_rf "$R/harness/__pycache__"
	printf '#!/bin/bash\n# no-op in the envsafety copy\nexit 0\n' >"$R/harness/deps.sh"
	printf '/build/\n__pycache__/\n' >"$R/.gitignore"
	echo '// envsafety' >"$R/mm/envsafety.c"
	printf 'obj-y := memory.o\nobj-y += envsafety.o\n' >"$ES/Makefile.new"
	diff -u --label a/mm/Makefile --label b/mm/Makefile "$k/mm/Makefile" \
		"$ES/Makefile.new" >"$R/mm/Makefile.patch" || true
	cat >"$R/harness/series.conf" <<'EOF'
# fake series for harness/envsafety.sh
subject: mm: add envsafety.c
files: mm/envsafety.c

Add a file.

%%
subject: mm: build envsafety.c
files: mm/Makefile.patch

Build it.
EOF
	env -i "${ENV0[@]}" git -C "$R" init -q
}

progress "environment safety: hostile variables vs the harness, in build/envsafety/ ..."
safe_rm_rf "$ES"
mkdir -p "$ES"
: >"$LOG"
setup >>"$LOG" 2>&1 &
if ! wait $!; then
	record FAIL "environment safety" "setup failed; log: ${LOG#"$TOP"/}"
	tail -5 "$LOG" | sed 's/^/           /'
	exit 3
fi
listing >"$ES/listing"

# 1. hostile environment: everything must be ignored
run "tree.sh" ok "$R" "${HOSTILE_ENV[@]}" harness/tree.sh
expect "tree.sh" -f "$R/build/linux-base/.pgtlib-base-ok"
expect "tree.sh" -f "$R/build/linux/mm/envsafety.c"
run "guest-build.sh" ok "$R" "${HOSTILE_ENV[@]}" harness/guest-build.sh
expect "guest-build.sh" -f "$R/build/out-guest-x86_64/.config"
expect "guest-build.sh" -f "$R/build/modroot-x86_64/lib/modules/6.12.117/fake.ko"
expect "guest-build.sh: TAG ignored" -f "$R/build/logs/guest-build-x86_64.log"
run "check-series.sh" ok "$R" "${HOSTILE_ENV[@]}" harness/check-series.sh
expect "check-series.sh" -f "$R/build/series/0002-mm-build-envsafety.c.patch"
expect "check-series.sh" -f "$R/build/check-series/linux/mm/envsafety.c"
expect "check-series.sh" -f "$R/build/check-series/modroot/lib/modules/6.12.117/fake.ko"
if [ -x /bin/busybox ] && command -v cpio >/dev/null; then
	run "initramfs.sh" ok "$R" "${HOSTILE_ENV[@]}" harness/initramfs.sh
	expect "initramfs.sh" -f "$R/build/initramfs-x86_64.cpio.gz"
fi

# 2. refusals: one line of error, non-zero exit, nothing touched
run "tree.sh with PGTLIB_TREE" refused "$R" "${HOSTILE_ENV[@]}" PGTLIB_TREE="$H/PGTLIB_TREE" harness/tree.sh
run "guest-build.sh with PGTLIB_TREE" refused "$R" "${HOSTILE_ENV[@]}" PGTLIB_TREE="$H/PGTLIB_TREE" harness/guest-build.sh
run "tree.sh with JOBS garbage" refused "$R" "${HOSTILE_ENV[@]}" JOBS="2 O=$H/JOBS" harness/tree.sh
run "tree.sh with ARCH garbage" refused "$R" "${HOSTILE_ENV[@]}" ARCH="../../hostile" harness/tree.sh
run "static.sh with CHECKPATCH_FLAGS=--fix-inplace" refused "$R" "${HOSTILE_ENV[@]}" \
	CHECKPATCH_FLAGS="--strict --fix-inplace -f $H/CHECKPATCH_FLAGS/precious.txt" harness/static.sh
for o in tree out modroot; do
	run "guest-build.sh --$o <foreign folder>" refused "$R" "${HOSTILE_ENV[@]}" \
		harness/guest-build.sh "--$o" "$H/${o^^}"
done
mkdir -p "$R/build/linux-base"
ln -sfn "$H/OUT" "$R/build/link-out"
run "guest-build.sh --out <symlink below build/>" refused "$R" "${HOSTILE_ENV[@]}" \
	harness/guest-build.sh --out build/link-out
run "series.py export <foreign folder>" refused "$R" "${HOSTILE_ENV[@]}" \
	python3 harness/series.py export "$H/SERIES"

# 3. new folders outside build/ named on the command line: created and
# marked; the second run reuses them (and empties the marked modroot)
for i in 1 2; do
	run "guest-build.sh --out/--modroot <new outside folders> ($i)" ok "$R" "${HOSTILE_ENV[@]}" \
		harness/guest-build.sh --out "$ES/outside/out" --modroot "$ES/outside/modroot"
done
expect "outside --out" -f "$ES/outside/out/$OWNED_MARK"
expect "outside --out" -f "$ES/outside/out/.config"
expect "outside --modroot" -f "$ES/outside/modroot/$OWNED_MARK"
expect "outside --modroot" -f "$ES/outside/modroot/lib/modules/6.12.117/fake.ko"

# 4. build/linux a symlink to a foreign tree, build/linux-base spoiled:
# both are rebuilt, the link is removed, never followed; then make clean
# from a foreign current directory
safe_rm_rf "$R/build/linux"
ln -sfn "$H/TREE" "$R/build/linux"
echo spoiled >"$R/build/linux-base/Makefile"
rm -f "$R/build/linux-base/.pgtlib-base-ok"
run "tree.sh (rebuild)" ok "$R" "${HOSTILE_ENV[@]}" harness/tree.sh
expect "tree.sh (rebuild)" ! -L "$R/build/linux"
expect "tree.sh (rebuild)" -f "$R/build/linux/mm/envsafety.c"
expect "tree.sh (rebuild)" -f "$R/build/linux-base/.pgtlib-base-ok"
run "make clean (foreign cwd)" ok "$H/CWD" "${HOSTILE_ENV[@]}" make -f "$R/Makefile" clean
expect "make clean" ! -e "$R/build/linux"

detail="$runs runs, ${#HOSTILE_DIRS[@]} hostile folders unchanged"
if [ ${#problems[@]} = 0 ]; then
	safe_rm_rf "$ES"
	record PASS "environment safety" "$detail"
	exit 0
fi
record FAIL "environment safety" "${#problems[@]} problem(s); log: ${LOG#"$TOP"/}"
printf '%s\n' "${problems[@]}" | head -20 | cut -c1-200 | sed 's/^/           /'
exit 3
