#!/bin/bash
# `make test` (and .ci/run): deps -> environment safety (envsafety.sh) ->
# tree -> static checks -> KUnit x86_64 -> KUnit arm64 -> x86_64 guest
# kernel + initramfs + boot in test mode.
# Every check is counted in build/logs/results.tsv; a failing check does
# not stop the run, a failing build / tree preparation does. The last line
# is "N passed, N failed"; the exit status is non-zero if N failed > 0.
set -euo pipefail
export PGTLIB_T0=$(date +%s)
. "$(dirname "$0")/lib.sh"

# the stages count their checks into build/logs/results.tsv (lib.sh)
export PGTLIB_COUNTING=1
RESULTS=$LOGS/results.tsv
: >"$RESULTS"
stopped=

summary() {
	local p f
	p=$(grep -c '^PASS' "$RESULTS" || true)
	f=$(grep -c '^FAIL' "$RESULTS" || true)
	echo
	if [ "$f" -gt 0 ]; then
		echo "failed checks:"
		grep '^FAIL' "$RESULTS" | cut -f2,3 | sed 's/\t/: /; s/: $//; s/^/  /'
	fi
	[ -n "$stopped" ] && echo "run stopped early: $stopped"
	echo "total time $(elapsed)s; logs in build/logs/"
	echo "$p passed, $f failed"
	[ "$f" = 0 ]
}

# step [--soft] <name> cmd...: rc 0 ok; rc 3 = checks failed (already
# counted), go on; other rc = fatal: count it, stop, print the summary
# (--soft: go on, the stage counted its own failures).
step() {
	local soft=0 name rc=0
	if [ "$1" = --soft ]; then
		soft=1
		shift
	fi
	name=$1
	shift
	"$@" || rc=$?
	case $rc in
	0 | 3) return 0 ;;
	esac
	if [ $soft = 1 ]; then
		return 0
	fi
	printf 'FAIL\t%s\t%s\n' "$name" "stage failed, run stopped" >>"$RESULTS"
	stopped="$name failed"
	summary || true
	exit 1
}

progress "make test (ARCH list: x86_64 arm64; logs: build/logs/)"
step deps "$HARNESS/deps.sh"
step "environment safety" "$HARNESS/envsafety.sh"
step "tree preparation" "$HARNESS/tree.sh"
step --soft "static checks" "$HARNESS/static.sh"
step "kunit x86_64" env ARCH=x86_64 "$HARNESS/kunit.sh"
step "kunit arm64" env ARCH=arm64 "$HARNESS/kunit.sh"
step "x86_64 guest kernel build" env ARCH=x86_64 "$HARNESS/guest-build.sh"
step "x86_64 initramfs" env ARCH=x86_64 "$HARNESS/initramfs.sh"
rc=0
ARCH=x86_64 "$HARNESS/boot.sh" test || rc=$?
if ! grep -q 'boot \[x86_64\]' "$RESULTS"; then
	printf 'FAIL\t%s\t%s\n' "boot [x86_64]" "boot.sh failed (rc=$rc)" >>"$RESULTS"
fi
summary
