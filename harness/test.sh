#!/bin/bash
# `make test` (and .ci/run): deps -> environment safety (envsafety.sh) ->
# tree -> static checks -> KUnit x86_64 -> KUnit arm64 -> for x86_64 and
# arm64: test guest kernel (configs/test.config: PROVE_LOCKING,
# DEBUG_ATOMIC_SLEEP, DEBUG_PAGEALLOC; x86_64 also configs/kvm.config and
# configs/fault-injection.config)
# + initramfs + boot in test mode; the
# guest of each architecture boots twice, the second time with
# debug_pagealloc=on.
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
# guest_test <arch>: build the test guest of <arch> (guest config +
# configs/test.config, in build/out-guest-<arch>-test; make run keeps
# build/out-guest-<arch>) and its initramfs, boot it, and boot it a
# second time with debug_pagealloc=on.
guest_test() {
	local a=$1 o=$BUILD/out-guest-$1-test kvm=()
	# x86_64: KVM for guest_memfd, and fail_page_alloc for gmem_test
	[ "$a" = x86_64 ] && kvm=(--frag "$HARNESS/configs/kvm.config"
		--frag "$HARNESS/configs/fault-injection.config")
	step "$a guest kernel build" env ARCH="$a" "$HARNESS/guest-build.sh" \
		--out "$o" --modroot "$BUILD/modroot-$a-test" \
		--frag "$HARNESS/configs/test.config" "${kvm[@]}" --tag " (test)"
	step "$a initramfs" env ARCH="$a" "$HARNESS/initramfs.sh" --out "$o" \
		--modroot "$BUILD/modroot-$a-test" --root "$BUILD/initramfs-root-$a-test" \
		--img "$BUILD/initramfs-$a-test.cpio.gz"
	boot_test "$a" "$a" ""
	boot_test "$a" "$a-debug_pagealloc" "debug_pagealloc=on pgtlib.vmalloc_loops=1000"
}

# boot_test <arch> <label> <extra command line>
boot_test() {
	local rc=0 img=arch/x86/boot/bzImage
	[ "$1" = arm64 ] && img=arch/arm64/boot/Image
	ARCH=$1 GUEST_APPEND=$3 "$HARNESS/boot.sh" --label "$2" \
		--kernel "$BUILD/out-guest-$1-test/$img" \
		--initrd "$BUILD/initramfs-$1-test.cpio.gz" \
		--console "$LOGS/console-$2-test.log" test || rc=$?
	if ! grep -q "boot \[$2\]" "$RESULTS"; then
		printf 'FAIL\t%s\t%s\n' "boot [$2]" "boot.sh failed (rc=$rc)" >>"$RESULTS"
	fi
}

guest_test x86_64
guest_test arm64
summary
