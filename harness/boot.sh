#!/bin/bash
# Boot the $ARCH guest kernel with build/initramfs-$ARCH.cpio.gz in QEMU
# (TCG) and check its console with harness/console.py.
#
# Usage: boot.sh test|run
#   test: timeout 900s (BOOT_TIMEOUT), checks counted into $RESULTS
#   run:  timeout 1200s, adds -icount shift=0,sleep=off, prints the report
# The console log is kept in build/logs/console-$ARCH-<mode>.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

MODE=${1:-test}
case "$MODE" in
test) TMO=${BOOT_TIMEOUT:-900} ;;
run) TMO=${BOOT_TIMEOUT:-1200} ;;
*) echo "usage: $0 test|run" >&2; exit 2 ;;
esac

OUT=$BUILD/out-guest-$ARCH
KERNEL=$OUT/$KIMAGE
INITRD=$BUILD/initramfs-$ARCH.cpio.gz
CONSOLE=$LOGS/console-$ARCH-$MODE.log
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
[ "$MODE" = run ] && QEMU+=(-icount shift=0,sleep=off)

progress "boot $ARCH guest ($MODE mode, timeout ${TMO}s) ..."
echo "${QEMU[*]}" >"$LOGS/qemu-$ARCH-$MODE.cmd"
s=$(date +%s)
rc=0
timeout --kill-after=10 "$TMO" "${QEMU[@]}" </dev/null >"$CONSOLE" 2>&1 || rc=$?
# drop the terminal control sequences QEMU/firmware may emit
sed -i 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r$//' "$CONSOLE"
progress "boot $ARCH guest done ($(($(date +%s) - s))s, qemu rc=$rc, console: ${CONSOLE#"$TOP"/})"

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
python3 "$HARNESS/console.py" --arch "$ARCH" --mode "$MODE" \
	${RESULTS:+--results "$RESULTS"} "$CONSOLE" || crc=$?

if [ -n "$reason" ]; then
	die "boot: $reason" "$CONSOLE"
fi
exit $crc
