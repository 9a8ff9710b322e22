#!/bin/bash
# `make run`: deps -> tree -> guest kernel -> initramfs -> boot in run mode
# for $ARCH (x86_64 or arm64) and print a short report: stages with their
# times, the guest's checks, and the pgtlib debugfs stats / bench output and
# page-table counters echoed from the guest. Exit 0 if the guest ran fine
# (finished its init, no panic/oops/warning on the console).
set -euo pipefail
export PGTLIB_T0=$(date +%s)
. "$(dirname "$0")/lib.sh"

progress "make run ARCH=$ARCH (logs: build/logs/)"
"$HARNESS/deps.sh"
"$HARNESS/tree.sh"
"$HARNESS/guest-build.sh"
"$HARNESS/initramfs.sh"
rc=0
"$HARNESS/boot.sh" run || rc=$?
if [ $rc = 0 ]; then
	progress "make run ARCH=$ARCH: guest ran fine"
else
	progress "make run ARCH=$ARCH: FAILED (see above)"
fi
exit $rc
