# shellcheck shell=bash
# Common helpers for the pgtlib harness. Sourced by the other scripts.
#
# Conventions:
#   - every script runs with `set -euo pipefail`
#   - progress lines go to stdout as "[  12s] <stage> ..."; full logs go to
#     build/logs/<stage>.log
#   - every kernel build (make in a kernel tree, kunit.py) runs under an
#     exclusive flock on build/.build.lock

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
HARNESS=$TOP/harness
BUILD=$TOP/build
LOGS=$BUILD/logs
BASE=$BUILD/linux-base
TREE=${PGTLIB_TREE:-$BUILD/linux}
LOCK=$BUILD/.build.lock
ARCH=${ARCH:-x86_64}
JOBS=${JOBS:-2}
KVER=6.12.117
SRC_TARBALL=${SRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
# Allow files listed in series.conf to be missing (while code is written).
ALLOW_MISSING=${ALLOW_MISSING:-0}
# Results file used to count checks (make test); set by the caller.
RESULTS=${RESULTS:-}
# Start of the whole run, for the elapsed-seconds progress lines.
T0=${T0:-$(date +%s)}
export TOP BUILD LOGS BASE TREE LOCK ARCH JOBS ALLOW_MISSING RESULTS T0
# ccache: paths below build/ are hashed relative to the compiler's cwd, so
# trees laid out alike (build/linux + build/out-*, build/check-series/linux
# + build/check-series/out-*) share cache entries
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD}

mkdir -p "$BUILD" "$LOGS"

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
