#!/bin/bash
# Boot the $ARCH guest kernel with build/initramfs-$ARCH.cpio.gz in QEMU
# (TCG) and check its console with harness/console.py.
#
# Usage: boot.sh [--kernel FILE --initrd FILE --console FILE --label TEXT]
#                test|run|bench
# --label names the checks ("boot [LABEL]"; default $ARCH).
#   test:  timeout 900s (BOOT_TIMEOUT), checks counted into $RESULTS
#   run:   timeout 1200s, adds -icount shift=0,sleep=off, prints the report
#   bench: timeout 3600s, -icount as run; only boot and console clean are
#          checked (harness/bench.sh reads the figures)
# The console log is kept in build/logs/console-$ARCH-<mode>.log (or
# --console FILE, below build/). GUEST_APPEND adds to the command line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KERNEL=$BUILD/out-guest-$ARCH/$KIMAGE
INITRD=$BUILD/initramfs-$ARCH.cpio.gz
CONSOLE=
MODE=
LABEL=$ARCH
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel | --initrd | --console | --label)
		[ $# -ge 2 ] || die "boot: $1 needs an argument"
		case "$1" in
		--label) LABEL=$2 ;;
		--kernel) KERNEL=$(abs_path "$2") ;;
		--initrd) INITRD=$(abs_path "$2") ;;
		--console) CONSOLE=$(abs_path "$2") ;;
		esac
		shift
		;;
	test | run | bench) MODE=$1 ;;
	*) echo "usage: $0 [--kernel FILE] [--initrd FILE] [--console FILE] test|run|bench" >&2; exit 2 ;;
	esac
	shift
done
MODE=${MODE:-test}
case "$MODE" in
test) TMO=${BOOT_TIMEOUT:-900} ;;
run) TMO=${BOOT_TIMEOUT:-1200} ;;
bench) TMO=${BOOT_TIMEOUT:-3600} ;;
esac
CONSOLE=${CONSOLE:-$LOGS/console-$ARCH-$MODE.log}
below_build "$CONSOLE" || die "boot: console log $CONSOLE is outside build/"
[ -f "$KERNEL" ] || die "boot: no kernel image $KERNEL (build it first)"
[ -f "$INITRD" ] || die "boot: no initramfs $INITRD (build it first)"

APPEND="panic=-1 oops=panic pgtlib.mode=$MODE ${GUEST_APPEND:-}"
case "$ARCH" in
x86_64)
	QEMU=(qemu-system-x86_64 -M q35 -cpu max -m 1G -smp 2
		-append "console=ttyS0 $APPEND")
	;;
arm64)
	QEMU=(qemu-system-aarch64 -M virt -cpu max -m 1G -smp 2
		-append "console=ttyAMA0 $APPEND")
	;;
esac
QEMU+=(-nographic -no-reboot -kernel "$KERNEL" -initrd "$INITRD")
# run mode: guest time follows executed instructions, so the in-kernel
# benchmark repeats from run to run
[ "$MODE" != test ] && QEMU+=(-icount shift=0,sleep=off)
# test mode: one TCG thread. Multi-threaded TCG has killed x86_64 guests
# with "Oops: int3" right after the kernel patched its code on another
# vCPU (BASE-NOTES), and the guests switch static keys at run time
# (pgtlib's counting, the unmapped-page allocator's free hook); -icount
# already implies one thread in the other modes.
[ "$MODE" = test ] && QEMU+=(-accel tcg,thread=single)

progress "boot $LABEL guest ($MODE mode, timeout ${TMO}s) ..."
echo "${QEMU[*]}" >"${CONSOLE%.log}.cmd"
s=$(date +%s)
rc=0
timeout --kill-after=10 "$TMO" "${QEMU[@]}" </dev/null >"$CONSOLE" 2>&1 || rc=$?
# drop the terminal control sequences QEMU/firmware may emit
sed -i 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r$//' "$CONSOLE"
progress "boot $LABEL guest done ($(($(date +%s) - s))s, qemu rc=$rc, console: ${CONSOLE#"$TOP"/})"

reason=
if [ $rc = 124 ] || [ $rc = 137 ]; then
	reason="guest timed out after ${TMO}s"
elif grep -q 'Kernel panic' "$CONSOLE"; then
	reason="guest kernel panicked: $(grep -m1 'Kernel panic' "$CONSOLE" | sed 's/^\[[^]]*\] *//')"
elif [ $rc != 0 ]; then
	reason="qemu exited with status $rc"
elif ! grep -q '^PGTLIB-DONE' "$CONSOLE"; then
	reason="guest stopped before its init finished (no PGTLIB-DONE)"
fi

crc=0
python3 "$HARNESS/console.py" --arch "$ARCH" --label "$LABEL" --mode "$MODE" \
	${RESULTS:+--results "$RESULTS"} "$CONSOLE" || crc=$?

if [ -n "$reason" ]; then
	die "boot: $reason" "$CONSOLE"
fi
exit $crc
