#!/bin/sh
# pgt-dmap <label>: print the direct map's part of the kernel page-table
# dump (CONFIG_PTDUMP_DEBUGFS: ptdump walks the page tables themselves)
# between PGTLIB-STAGE markers; harness/dmap.py draws it on the host.
# Installed in the guest's initramfs as /bin/pgt-dmap (initramfs.sh).
label=${1:-now}
if [ -r /sys/kernel/debug/page_tables/kernel ]; then
	f=/sys/kernel/debug/page_tables/kernel
	start='Low Kernel Mapping'
elif [ -r /sys/kernel/debug/kernel_page_tables ]; then
	f=/sys/kernel/debug/kernel_page_tables
	start='Linear Mapping start'
else
	echo "PGTLIB-STAGE skip dmap:$label no ptdump file in debugfs"
	exit 1
fi
# one write per line block: read the file first, then print it
awk -v s="$start" '
	index($0, "---[ " s " ]---") { on = 1; print; next }
	on && /^---\[/ { print; exit }
	on { print }' "$f" >/tmp/dmap.out
echo "PGTLIB-STAGE begin dmap:$label"
cat /tmp/dmap.out
echo "PGTLIB-STAGE end dmap:$label rc=0 secs=0"
