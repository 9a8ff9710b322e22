#!/bin/sh
# /init of the pgtlib test guest (busybox sh). Installed by
# harness/initramfs.sh; output is parsed by harness/console.py.
#
# Kernel command line:
#   pgtlib.mode=test|run|bench
#                             test:  kselftests + kernel checks
#                             run:   same, plus pgtlib debugfs stats/bench,
#                                    page-table counters and the direct map
#                             bench: only make bench's workloads (bench.sh)
#   pgtlib.vmalloc_loops=N    test_vmalloc test_loop_count (default 5000)
#   pgtlib.cpa_wait=N         seconds to wait for the x86 CPA self-test
#   pgtlib.prof=ID[:huge]     bench: also run test_vmalloc case ID (with
#                             use_huge=1) under pgtbench's sampling profiler
#
# Markers (one per line, at the start of the line):
#   PGTLIB-STAGE begin <name>
#   PGTLIB-STAGE end <name> rc=<n> secs=<n>
#   PGTLIB-STAGE skip <name> <reason>
#   PGTLIB-INFO <text>
#   PGTLIB-DONE mode=<mode>
# Stage names: kselftest:<binary> (one per executable in /selftests/pgtlib
# and /selftests/mm),
# test_vmalloc, cpa_selftest (x86_64), and in run mode: pgtlib_stats,
# pgtlib_bench, meminfo, vmstat, dmap:before, dmap:after. Bench mode:
# dmap:*, bench:kernel, bench:vmalloc:<id>, bench:secretmem:<label>,
# bench:gmem:<label>
# (harness/bench.py reads their PGTBENCH lines).

/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug

MODE=test
PROF=
VMALLOC_LOOPS=5000
CPA_WAIT=300
for w in $(cat /proc/cmdline); do
	case "$w" in
	pgtlib.mode=*) MODE=${w#pgtlib.mode=} ;;
	pgtlib.vmalloc_loops=*) VMALLOC_LOOPS=${w#pgtlib.vmalloc_loops=} ;;
	pgtlib.cpa_wait=*) CPA_WAIT=${w#pgtlib.cpa_wait=} ;;
	pgtlib.prof=*) PROF=${w#pgtlib.prof=} ;;
	esac
done
ARCH=$(cat /etc/pgtlib-arch 2>/dev/null || uname -m)

now() { cut -d. -f1 /proc/uptime; }
begin() {
	STAGE=$1
	STAGE_T0=$(now)
	echo "PGTLIB-STAGE begin $STAGE"
}
end() {
	echo "PGTLIB-STAGE end $STAGE rc=$1 secs=$(($(now) - STAGE_T0))"
}

echo "PGTLIB-INFO init: arch=$ARCH mode=$MODE kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"

finish() {
	echo "PGTLIB-DONE mode=$MODE"
	sync
	poweroff -f
	# not reached; should poweroff only halt, a reset makes QEMU (started
	# with -no-reboot) exit
	reboot -f
}

tlb_events() { awk '/^nr_tlb_/ { s += $2 } END { print s + 0 }' /proc/vmstat; }
# invalidation requests that reach every CPU (counted alike in both kernels)
tlb_req() { awk '/^nr_tlb_remote_flush / { print $2 }' /proc/vmstat; }
# of those, the kernel's own (x86: less user address spaces')
tlb_kreq() { cat /sys/kernel/debug/pgtbench/kreq 2>/dev/null || echo 0; }
# x86: the kernel's requests so far by caller, "<caller> <n>" per line
tlb_callers() { sed "s/^/PGTBENCH-KF $1 /" /sys/kernel/debug/pgtbench/kflush 2>/dev/null; }
pt_tables() { cat /sys/kernel/debug/pgtbench/tables 2>/dev/null || echo 0; }
pt_vtables() { cat /sys/kernel/debug/pgtbench/vtables 2>/dev/null || echo 0; }
# the tables a phase added and removed, by level and first address
pt_vtlist_diff() {
	[ -r /sys/kernel/debug/pgtbench/vtlist ] || return 0
	cat /sys/kernel/debug/pgtbench/vtlist >/tmp/vtlist1
	echo "PGTBENCH-VTLIST id=$1 added: $(grep -vxFf /tmp/vtlist0 /tmp/vtlist1 | tr '\n' ' ')"
	echo "PGTBENCH-VTLIST id=$1 removed: $(grep -vxFf /tmp/vtlist1 /tmp/vtlist0 | tr '\n' ' ')"
}

# make bench: the same workloads in the base and the pgtlib kernel
if [ "$MODE" = bench ]; then
	ulimit -l unlimited
	pgt-dmap before
	# The in-kernel workloads first: the direct-map rows get a 2M block
	# that is still one leaf in both kernels (after memfd_secret, which
	# block the page allocator hands out, split or not, would decide
	# them). They split a few 2M leaves of the direct map (the splits
	# column); memfd_secret "fresh" runs next, before anything else.
	begin bench:kernel
	cat /sys/kernel/debug/pgtbench/run
	end $?
	# The first memfd_secret() since boot switches the unmapped-page
	# allocator's static keys on: arm64 patches each site through the
	# fixmap, a broadcast TLBI per site. A one-time cost, measured apart
	# (one page) so that "fresh" shows what each allocation costs.
	begin bench:secretmem:warm
	/bench/secretmem warm 1
	end $?
	pgt-dmap secretmem-fresh-before
	begin bench:secretmem:fresh
	/bench/secretmem fresh 8192 "pgt-dmap secretmem-fresh-mapped"
	rc=$?
	# the unmapped-page allocator's own counters (pgtlib kernel only)
	sed 's/^/PGTLIB-UNMAPPED fresh /' /sys/kernel/debug/unmapped_alloc/stats 2>/dev/null
	end $rc
	pgt-dmap secretmem-fresh-freed
	# x86_64: 256M of a software-protected VM's guest_memfd, allocated by
	# fallocate(), without and with GUEST_MEMFD_FLAG_NO_DIRECT_MAP (the
	# base kernel does the flag per folio: harness/bench/gmem-perfolio.patch).
	# On a fresh direct map, right after secretmem's: the base's flag
	# leaves the 2M regions it touched split (the later rows compare
	# each kernel with the limits of its issue, not with this state).
	if [ -e /dev/kvm ]; then
		begin bench:gmem:plain
		/bench/secretmem --gmem 0 plain 65536
		end $?
		pgt-dmap gmem-nodmap-before
		begin bench:gmem:nodmap
		/bench/secretmem --gmem 4 nodmap 65536 "pgt-dmap gmem-nodmap-mapped"
		rc=$?
		sed 's/^/PGTLIB-UNMAPPED gmem /' /sys/kernel/debug/unmapped_alloc/stats 2>/dev/null
		end $rc
		pgt-dmap gmem-nodmap-freed
	fi
	# the vmalloc range's areas before the run (harness/bench.py
	# compares the two kernels': where the run starts; real
	# addresses with kptr_restrict=1, as root)
	echo 1 >/proc/sys/kernel/kptr_restrict
	sed 's/^/PGTBENCH-VMI /' /proc/vmallocinfo 2>/dev/null
	# every default test_vmalloc case but align_shift_alloc_test (6), one
	# thread, fixed order, loaded 3 times; busybox modprobe runs it twice
	# each time (see below): harness/bench.py takes the best of the six
	# Summary lines. The kvfree_rcu cases (8, 9) free through RCU's
	# batching work, which lands in a round or not: their rounds cost
	# one of two figures about 2.7% apart, in either kernel. They are
	# loaded 10 times, for the best of 20.
	for id in 0 1 2 3 4 5 7 8 9 10; do
		loads=3
		case $id in 8 | 9) loads=10 ;; esac
		begin bench:vmalloc:$id
		t0=$(tlb_events)
		q0=$(tlb_req)
		k0=$(tlb_kreq)
		p0=$(pt_tables)
		v0=$(pt_vtables)
		cat /sys/kernel/debug/pgtbench/vtlist >/tmp/vtlist0 2>/dev/null
		tlb_callers 0
		r=0
		while [ $r -lt $loads ]; do
			modprobe test_vmalloc run_test_mask=$((1 << id)) nr_threads=1 \
				sequential_test_order=1 test_loop_count="$VMALLOC_LOOPS" \
				test_repeat_count=1
			r=$((r + 1))
		done
		tlb_callers 1
		pt_vtlist_diff $id
		echo "PGTBENCH-VMALLOC id=$id tlb=$(($(tlb_events) - t0)) req=$(($(tlb_req) - q0)) kreq=$(($(tlb_kreq) - k0)) tables=$(($(pt_tables) - p0)) vtables=$(($(pt_vtables) - v0)) loops=$VMALLOC_LOOPS"
		end 0
	done
	# huge vmalloc: fix_size_alloc_test with vmalloc_huge() of 2M
	begin bench:vmalloc:0:huge
	t0=$(tlb_events)
	q0=$(tlb_req)
	k0=$(tlb_kreq)
	p0=$(pt_tables)
	v0=$(pt_vtables)
	cat /sys/kernel/debug/pgtbench/vtlist >/tmp/vtlist0 2>/dev/null
	# whether order-9 pages are free: vmalloc_huge() falls back to pages
	echo "PGTBENCH-BUDDY before huge: $(cat /proc/buddyinfo | tr '\n' ' ')"
	tlb_callers 0
	for r in 1 2 3; do
		modprobe test_vmalloc run_test_mask=1 nr_threads=1 use_huge=1 \
			nr_pages=512 test_loop_count="$VMALLOC_LOOPS" \
			test_repeat_count=1
	done
	tlb_callers 1
	pt_vtlist_diff huge
	echo "PGTBENCH-VMALLOC id=0 tlb=$(($(tlb_events) - t0)) req=$(($(tlb_req) - q0)) kreq=$(($(tlb_kreq) - k0)) tables=$(($(pt_tables) - p0)) vtables=$(($(pt_vtables) - v0)) loops=$VMALLOC_LOOPS"
	end 0
	# x86_64 (DirectMap4k): a module loaded and freed 100 times
	# (test_vmalloc with no test: its init fails and it is freed at
	# once; busybox modprobe then tries init_module() too). Each load's
	# set_memory_ro() splits the direct map where its pages land; once
	# freed, pgtlib's CPA collapses the split back (a work item, once no
	# page was restored for 10 s: give it 13). Instructions per modprobe,
	# from pgtbench/ns.
	if grep -q '^DirectMap4k' /proc/meminfo; then
		begin bench:module
		d0=$(awk '/^DirectMap4k/ { print $2 }' /proc/meminfo)
		t0=$(tlb_events)
		k0=$(tlb_kreq)
		p0=$(pt_tables)
		n0=$(cat /sys/kernel/debug/pgtbench/ns)
		tlb_callers 0
		r=0
		while [ $r -lt 100 ]; do
			modprobe test_vmalloc run_test_mask=0 2>/dev/null
			r=$((r + 1))
		done
		n1=$(cat /sys/kernel/debug/pgtbench/ns)
		sleep 13
		tlb_callers 1
		d1=$(awk '/^DirectMap4k/ { print $2 }' /proc/meminfo)
		tlb=$(awk -v a="$t0" -v b="$(tlb_events)" 'BEGIN { printf "%.3f", (b - a) / 100 }')
		echo "PGTBENCH module:load_free:100 instr=$(((n1 - n0) / 100)) tlb=$tlb tables=$(($(pt_tables) - p0)) req=$(($(tlb_kreq) - k0)) dm4k=$d0,$d1 ops=100"
		end 0
	fi
	echo 1 >/sys/kernel/debug/pgtbench/age
	pgt-dmap secretmem-aged-before
	begin bench:secretmem:aged
	/bench/secretmem aged 8192 "pgt-dmap secretmem-aged-mapped"
	rc=$?
	# the unmapped-page allocator's own counters (pgtlib kernel only)
	sed 's/^/PGTLIB-UNMAPPED aged /' /sys/kernel/debug/unmapped_alloc/stats 2>/dev/null
	end $rc
	pgt-dmap secretmem-aged-freed
	echo 0 >/sys/kernel/debug/pgtbench/age
	pgt-dmap after
	# last, so that no measured stage runs after its extra loads: a profile
	# of one case, loaded 10 times, sampled every 100 us
	# (100000 instructions) or, without high-resolution timers, every tick
	if [ -n "$PROF" ] && [ -e /sys/kernel/debug/pgtbench/prof ]; then
		begin bench:prof:$PROF
		echo 100 >/sys/kernel/debug/pgtbench/prof
		huge=
		case "$PROF" in *:huge) huge="use_huge=1 nr_pages=512" ;; esac
		for r in 1 2 3 4 5 6 7 8 9 10; do
			# shellcheck disable=SC2086
			modprobe test_vmalloc run_test_mask=$((1 << ${PROF%:huge})) \
				nr_threads=1 sequential_test_order=1 $huge \
				test_loop_count="$VMALLOC_LOOPS" test_repeat_count=1
		done
		echo 0 >/sys/kernel/debug/pgtbench/prof
		head -200 /sys/kernel/debug/pgtbench/prof | sed 's/^/PGTBENCH-PROF /'
		end 0
	fi
	finish
fi

[ "$MODE" = run ] && pgt-dmap before

# (a) kselftests: every executable in /selftests/pgtlib, /selftests/mm
# (memfd_secret) and /selftests/kvm (x86_64: guest_memfd_test). The output
# goes to a file first so kernel messages do not interleave with the TAP.
n=0
# run mode: the direct map while unmapped_test holds its secretmem pages,
# kept in a file and printed after the tests (not inside their output)
[ "$MODE" = run ] && export UNMAPPED_TEST_HOLD_CMD="pgt-dmap secretmem-held >/tmp/dmap-held.out"
for t in /selftests/pgtlib/* /selftests/mm/* /selftests/kvm/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	n=$((n + 1))
	name=$(basename "$t")
	begin "kselftest:$name"
	(cd "$(dirname "$t")" && "./$name") >/tmp/ksft.out 2>&1
	rc=$?
	cat /tmp/ksft.out
	end $rc
done
[ $n -gt 0 ] || echo "PGTLIB-STAGE skip kselftest no executables in /selftests/pgtlib"

# (b) test_vmalloc: the default tests minus align_shift_alloc_test (id 64,
# expected to fail). Mask = 0x7ff & ~64 = 1983. Its init returns -EAGAIN by
# design, so the result is judged from the "Summary:" lines in dmesg.
# Note: busybox modprobe retries with init_module() when finit_module()
# fails, so the tests run twice (two sets of Summary lines).
if modinfo test_vmalloc >/dev/null 2>&1; then
	begin test_vmalloc
	modprobe test_vmalloc run_test_mask=1983 nr_threads=2 \
		test_loop_count="$VMALLOC_LOOPS" test_repeat_count=1
	end $?
	# huge vmalloc (PMD leaves): fix_size_alloc_test with vmalloc_huge()
	begin test_vmalloc_huge
	modprobe test_vmalloc run_test_mask=1 nr_threads=2 use_huge=1 \
		nr_pages=512 test_loop_count=$((VMALLOC_LOOPS / 10 + 1)) \
		test_repeat_count=1
	end $?
else
	echo "PGTLIB-STAGE skip test_vmalloc module not found"
fi

# (c) run mode: pgtlib debugfs files and page-table counters
if [ "$MODE" = run ]; then
	for f in stats bench; do
		p=/sys/kernel/debug/pgtlib/$f
		if [ -e "$p" ]; then
			begin "pgtlib_$f"
			cat "$p"
			end $?
		else
			echo "PGTLIB-STAGE skip pgtlib_$f $p does not exist"
		fi
	done
	begin meminfo
	grep -E 'DirectMap|PageTables' /proc/meminfo
	end $?
	begin vmstat
	grep -E 'direct_map|tlb' /proc/vmstat
	end $?
fi

# x86 CPA_DEBUG self-test: a kthread runs it 30s after boot and prints
# "CPA self-test:" then "ok." or "NOT PASSED"; wait for its verdict.
if [ "$ARCH" = x86_64 ] && [ -e /proc/kallsyms ] &&
	grep -q ' do_pageattr_test$' /proc/kallsyms 2>/dev/null; then
	begin cpa_selftest
	i=0
	rc=1
	while [ $i -lt "$CPA_WAIT" ]; do
		if dmesg | grep -q 'CPA self-test:'; then
			if dmesg | grep -A1000 'CPA self-test:' | grep -qE '\] ok\.$|NOT PASSED'; then
				rc=0
				break
			fi
		fi
		sleep 1
		i=$((i + 1))
	done
	end $rc
fi

if [ "$MODE" = run ]; then
	[ -f /tmp/dmap-held.out ] && cat /tmp/dmap-held.out
	pgt-dmap after
fi
finish
