# shellcheck shell=bash
# Common helpers for the pgtlib harness. Sourced by the other scripts.
#
# Conventions:
#   - every script runs with `set -euo pipefail`
#   - progress lines go to stdout as "[  12s] <stage> ..."; full logs go to
#     build/logs/<stage>.log
#   - every kernel build (make in a kernel tree, kunit.py) runs under an
#     exclusive flock on build/.build.lock
#   - every path the harness writes to or deletes is below build/ of this
#     repository, derived from this file's location; no environment
#     variable names such a path (README.md, "Environment and safety").
#     Outside build/ the harness only writes into a folder given to it on
#     the command line that it created itself and marked with $OWNED_MARK
#     (use_dir), and it deletes only through safe_rm_rf.

# cd must not search CDPATH (a relative "harness/.." could land elsewhere)
unset CDPATH
TOP=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=$TOP/harness
BUILD=$TOP/build
LOGS=$BUILD/logs
BASE=$BUILD/linux-base
TREE=$BUILD/linux
LOCK=$BUILD/.build.lock
OWNED_MARK=.pgtlib-harness-owned
ARCH=${ARCH:-x86_64}
JOBS=${JOBS:-2}
KVER=6.12.117
SRC_TARBALL=${PGTLIB_SRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
# Allow files listed in series.conf to be missing (while code is written).
ALLOW_MISSING=${ALLOW_MISSING:-0}
# make test sets PGTLIB_COUNTING=1: count checks in build/logs/results.tsv.
RESULTS=
[ "${PGTLIB_COUNTING:-0}" = 1 ] && RESULTS=$LOGS/results.tsv
# Start of the whole run, for the elapsed-seconds progress lines.
case "${PGTLIB_T0:-}" in
'' | *[!0-9]*) PGTLIB_T0=$(date +%s) ;;
esac
T0=$PGTLIB_T0
export ARCH JOBS ALLOW_MISSING PGTLIB_T0
# ccache: paths below build/ are hashed relative to the compiler's cwd, so
# trees laid out alike (build/linux + build/out-*, build/check-series/linux
# + build/check-series/out-*) share cache entries
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD}
# Temporary files of the tools run here (patch, gcc, ...) stay below build/.
export TMPDIR=$BUILD/tmp
# Kbuild / kconfig take output paths from these: the harness always passes
# O= and INSTALL_MOD_PATH= itself and never wants the others.
unset KBUILD_OUTPUT KBUILD_EXTMOD INSTALL_PATH INSTALL_MOD_PATH INSTALL_MOD_DIR \
	INSTALL_HDR_PATH INSTALL_DTBS_PATH KCONFIG_CONFIG KCONFIG_AUTOCONFIG \
	KCONFIG_AUTOHEADER KCONFIG_RUSTCCFG

if [ -n "${PGTLIB_TREE:-}" ]; then
	echo "error: PGTLIB_TREE is not read any more: the harness always uses build/linux (guest-build.sh takes --tree DIR); unset it" >&2
	exit 2
fi
case "$JOBS" in
'' | 0 | *[!0-9]*)
	echo "error: JOBS=$JOBS is not a positive number" >&2
	exit 2
	;;
esac

mkdir -p "$BUILD" "$LOGS" "$TMPDIR"
BUILD_REAL=$(cd "$BUILD" && pwd -P)

case "$ARCH" in
x86_64)
	KARCH=x86_64
	CROSS=
	KCC="ccache gcc"
	KIMAGE=arch/x86/boot/bzImage
	;;
arm64)
	KARCH=arm64
	CROSS=aarch64-linux-gnu-
	KCC="ccache aarch64-linux-gnu-gcc"
	KIMAGE=arch/arm64/boot/Image
	;;
*)
	echo "error: unsupported ARCH=$ARCH (use x86_64 or arm64)" >&2
	exit 2
	;;
esac

elapsed() { echo $(($(date +%s) - T0)); }

# progress "text": one progress line with elapsed seconds since T0.
progress() { printf '[%4ss] %s\n' "$(elapsed)" "$*"; }

# die "reason" [logfile]: one-line reason, last 50 lines of log, exit 1.
die() {
	local reason=$1 log=${2:-}
	printf '[%4ss] FAILED: %s\n' "$(elapsed)" "$reason"
	if [ -n "$log" ] && [ -f "$log" ]; then
		echo "---- last 50 lines of $log ----"
		tail -n 50 "$log"
		echo "---- end of $log ----"
	fi
	exit 1
}

# run_stage <name> <log> cmd...: run cmd with output to log, progress line
# before and after (with elapsed seconds), die on failure.
run_stage() {
	local name=$1 log=$2
	shift 2
	local s
	s=$(date +%s)
	progress "$name ..."
	# Run in a background subshell: `set -e` stays in force inside it
	# (it would be ignored in an `if !` context).
	"$@" >"$log" 2>&1 &
	if ! wait $!; then
		local first
		first=$(grep -m1 -E 'error:|\*\*\* |^ERROR' "$log" | cut -c1-200 || true)
		die "stage '$name' failed${first:+: $first} (log: ${log#"$TOP"/})" "$log"
	fi
	progress "$name done ($(($(date +%s) - s))s)"
}

# locked cmd...: run cmd holding the exclusive build lock.
locked() {
	flock "$LOCK" "$@"
}

# kmake <outdir> args...: make in the overlay tree for $ARCH, with ccache.
kmake() {
	local out=$1
	shift
	make -C "$TREE" O="$out" ARCH="$KARCH" ${CROSS:+CROSS_COMPILE=$CROSS} \
		CC="$KCC" HOSTCC="ccache gcc" -j"$JOBS" "$@"
}

# record PASS|FAIL name [detail]: count a check in $RESULTS.
record() {
	local st=$1 name=$2 detail=${3:-}
	if [ -n "$RESULTS" ]; then
		printf '%s\t%s\t%s\n' "$st" "$name" "$detail" >>"$RESULTS"
	fi
	printf '[%4ss]   %-4s %s%s\n' "$(elapsed)" "$st" "$name" "${detail:+ ($detail)}"
}

# below_build <path>: <path>, every symlink in it resolved, lies strictly
# below build/.
below_build() {
	local r
	r=$(realpath -m -- "$1") || return 1
	case "$r" in
	"$BUILD_REAL"/?*) return 0 ;;
	esac
	return 1
}

# owned_dir <path>: the harness may write into / delete <path>: it lies
# below build/, or it is a directory (not a symlink) holding $OWNED_MARK,
# i.e. one that use_dir created outside build/.
owned_dir() {
	below_build "$1" && return 0
	[ -d "$1" ] && [ ! -L "$1" ] && [ -f "$1/$OWNED_MARK" ]
}

# abs_path <path>: <path> made absolute (symlinks kept, for ccache's
# CCACHE_BASEDIR), without a trailing slash.
abs_path() {
	local p=$1
	case "$p" in
	/*) ;;
	*) p=$PWD/$p ;;
	esac
	while [ "$p" != / ] && [ "${p%/}" != "$p" ]; do p=${p%/}; done
	echo "$p"
}

# use_dir <what> <dir>: check a folder the harness was told (on its command
# line) to write into and create it if needed. Below build/: fine. Outside
# build/: only a folder carrying $OWNED_MARK, or a new one, which is created
# (its parent must exist) and marked. Anything else: one-line error, exit 1.
use_dir() {
	local what=$1 d=$2
	if owned_dir "$d"; then
		mkdir -p -- "$d"
		return 0
	fi
	if [ ! -e "$d" ] && [ ! -L "$d" ]; then
		mkdir -- "$d" 2>/dev/null ||
			die "$what $d: cannot create it (outside build/, its parent must exist)"
		: >"$d/$OWNED_MARK"
		return 0
	fi
	die "$what $d is outside build/ and was not created by the harness (no $OWNED_MARK in it): refusing to use it"
}

# safe_rm_rf <path>...: rm -rf, but only of paths below build/ or of folders
# carrying $OWNED_MARK; a symlink below build/ is removed itself, never what
# it points to. Anything else: one-line error, exit 1.
safe_rm_rf() {
	local p
	for p in "$@"; do
		if [ -L "$p" ]; then
			# the folder holding the link is build/ or below it
			below_build "$(dirname -- "$p")/link" ||
				die "refusing to delete $p: outside build/"
			rm -f -- "$p"
		elif [ -e "$p" ]; then
			owned_dir "$p" ||
				die "refusing to delete $p: outside build/ and not created by the harness (no $OWNED_MARK in it)"
			rm -rf -- "$p"
		fi
	done
}
