#!/bin/bash
# `make bench [ARCH=x86_64|arm64]`: the unpatched base kernel and the pgtlib
# kernel, built from one configuration and booted alike, run the same
# workloads; harness/bench.py prints them side by side.
#
#   build/bench/base/linux     build/linux-base (pristine 6.12) + bench
#   build/bench/pgtlib/linux   build/linux (base + the series) + bench
# "+ bench" is the same in both trees and is not part of the series:
#   mm/pgtbench.c              harness/bench/pgtbench.c (workloads, debugfs)
#   mm/Makefile                + obj-y += pgtbench.o
#   arm64 tlbflush.h           harness/bench/arm64-tlbi-count.patch: count
#                              each completed broadcast invalidation
#   x86 tlb.c                  harness/bench/x86-tlb-count.patch: count each
#                              flush_tlb_kernel_range() as a request to every
#                              CPU (6.12 counts flush_tlb_all() only); note
#                              the caller of each kernel request, and count
#                              user address spaces' apart (pgtbench debugfs)
#   arch/arm64/Kconfig.debug   + config DEBUG_TLBFLUSH (x86 has it)
#   lib/test_vmalloc.c         harness/bench/test-vmalloc-seed.patch: the
#                              random cases draw from one fixed seed, so
#                              that both kernels run the same sizes
#   mm/vmalloc.c               harness/bench/vmalloc-sync-purge.patch: vfree()
#                              waits for the lazy purge it triggered, so
#                              that when it runs (and so how far the range
#                              is used, how many tables and purges a run
#                              takes) does not depend on the scheduler
#   base only: guest_memfd    harness/bench/gmem-perfolio.patch: the upstream
#                              series' GUEST_MEMFD_FLAG_NO_DIRECT_MAP (a
#                              direct-map change and a flush per folio), the
#                              comparison for the pgtlib kernel's flag
# The trees are hard-linked copies (cp -al; every file the bench changes is
# copied first), rebuilt on every run; their build folders are kept
# (build/bench/<kind>/out-$ARCH), so a second run rebuilds only what changed.
# Both kernels: guest config (harness/configs) + harness/bench/bench.config,
# QEMU TCG -icount shift=0,sleep=off, 1G, 2 vCPUs, the same command line.
#
# Output: the table on stdout, build/bench/results-$ARCH.json, the console
# logs build/bench/console-{base,pgtlib}-$ARCH.log.
# BENCH_VMALLOC_LOOPS (default 1000): test_vmalloc's test_loop_count.
# BENCH_PROFILE=<id>[:huge]: also run test_vmalloc case <id> under pgtbench's
# sampling profiler in both kernels; bench.py compares them by function.
set -euo pipefail
export PGTLIB_T0=$(date +%s)
. "$(dirname "$0")/lib.sh"

BENCH=$BUILD/bench
LOOPS=${BENCH_VMALLOC_LOOPS:-1000}
case "$LOOPS" in '' | 0 | *[!0-9]*) die "bench: BENCH_VMALLOC_LOOPS=$LOOPS is not a positive number" ;; esac
KINDS=(base pgtlib)

# own_copy <file>: break the hard link before the file is changed
own_copy() {
	cp --remove-destination -p "$1" "$1.pgtbench-tmp"
	mv -f "$1.pgtbench-tmp" "$1"
}

# newest <file>...: the newest mtime of the files, as @seconds
newest() {
	stat -c %Y "$@" | sort -n | tail -1
}

# bench_patch <tree> <name> <kind> <source tree> <file>...: apply
# harness/bench/<name>.patch, which changes <file>...; each is then as new
# as its source or the patch, no newer: make rebuilds what depends on it
# only when one of them changes
bench_patch() {
	local t=$1 name=$2 kind=$3 src=$4 f
	shift 4
	(cd "$t" && patch -p1 -s --no-backup-if-mismatch \
		-i "$HARNESS/bench/$name.patch") ||
		{ echo "$name.patch does not apply to the $kind tree"; return 1; }
	for f in "$@"; do
		touch -d "@$(newest "$src/$f" "$HARNESS/bench/$name.patch")" "$t/$f"
	done
}

# make_tree <kind> <source tree>
make_tree() {
	local kind=$1 src=$2 t=$BENCH/$1/linux f
	safe_rm_rf "$t" "$t.tmp"
	mkdir -p "$BENCH/$kind"
	cp -al "$src" "$t.tmp"
	rm -f "$t.tmp/.pgtlib-base-ok" "$t.tmp/.pgtlib-tree-ok" "$t.tmp/.pgtlib-overlay"
	# mm/pgtbench.c, and the build hooks
	cp "$HARNESS/bench/pgtbench.c" "$t.tmp/mm/pgtbench.c"
	for f in mm/Makefile arch/arm64/Kconfig.debug arch/arm64/include/asm/tlbflush.h \
		arch/x86/mm/tlb.c lib/test_vmalloc.c mm/vmalloc.c; do
		own_copy "$t.tmp/$f"
	done
	printf '\n# make bench (harness/bench.sh), not part of pgtlib\nobj-y += pgtbench.o\n' \
		>>"$t.tmp/mm/Makefile"
	cat >>"$t.tmp/arch/arm64/Kconfig.debug" <<'EOF'

config DEBUG_TLBFLUSH
	bool "Count TLB invalidations (make bench, not part of pgtlib)"
	depends on DEBUG_KERNEL
EOF
	for p in arm64-tlbi-count:arch/arm64/include/asm/tlbflush.h \
		 x86-tlb-count:arch/x86/mm/tlb.c \
		 test-vmalloc-seed:lib/test_vmalloc.c \
		 vmalloc-sync-purge:mm/vmalloc.c; do
		bench_patch "$t.tmp" "${p%%:*}" "$kind" "$src" "${p#*:}" || return 1
	done
	# the changed files are as new as what changed them, no newer: make
	# rebuilds what depends on them only when the bench files change
	touch -d "@$(newest "$src/mm/Makefile" "$HARNESS/bench.sh")" "$t.tmp/mm/Makefile" \
		"$t.tmp/arch/arm64/Kconfig.debug"
	touch -r "$HARNESS/bench/pgtbench.c" "$t.tmp/mm/pgtbench.c"
	# pgtbench.c edited while an earlier run was building is no newer than
	# what that run built from the old text: then make it newer
	if ! cmp -s "$HARNESS/bench/pgtbench.c" "$BENCH/$kind/pgtbench.c.last-$ARCH"; then
		touch "$t.tmp/mm/pgtbench.c"
		cp "$HARNESS/bench/pgtbench.c" "$BENCH/$kind/pgtbench.c.last-$ARCH"
	fi
	# the base: guest_memfd's flag the upstream way, for comparison
	if [ "$kind" = base ]; then
		for f in virt/kvm/guest_memfd.c include/uapi/linux/kvm.h; do
			own_copy "$t.tmp/$f"
		done
		bench_patch "$t.tmp" gmem-perfolio base "$src" \
			virt/kvm/guest_memfd.c include/uapi/linux/kvm.h || return 1
	fi
	mv "$t.tmp" "$t"
	echo "$kind tree: $src + bench instrumentation"
}

prepare_trees() {
	make_tree base "$BASE"
	make_tree pgtlib "$TREE"
}

# the secretmem / guest_memfd workload, with the pgtlib kernel's UAPI
# headers (guest_memfd's are newer than the host's)
build_secretmem() {
	local cc=gcc
	[ "$ARCH" = arm64 ] && cc=aarch64-linux-gnu-gcc
	$cc -O2 -Wall -static -isystem "$BENCH/pgtlib/out-$ARCH/usr/include" \
		-o "$BENCH/secretmem-$ARCH" "$HARNESS/bench/secretmem.c"
}

# the trees are copied under the build lock (build/linux must not change)
if [ "${1:-}" = --prepare-trees-locked ]; then
	prepare_trees
	exit 0
fi
[ $# = 0 ] || die "usage: $0 (no arguments; ARCH=x86_64|arm64)"

progress "make bench ARCH=$ARCH (logs: build/logs/, results: build/bench/)"
"$HARNESS/deps.sh"
"$HARNESS/tree.sh"
mkdir -p "$BENCH"
run_stage "bench: prepare the base and pgtlib trees" "$LOGS/bench-trees.log" \
	flock "$LOCK" "$0" --prepare-trees-locked
# x86_64: KVM, for guest_memfd (harness/configs/kvm.config)
frags=(--frag "$HARNESS/bench/bench.config")
[ "$ARCH" = x86_64 ] && frags+=(--frag "$HARNESS/configs/kvm.config")
for k in "${KINDS[@]}"; do
	am=0
	[ "$k" = base ] && am=1 # CONFIG_PGTLIB is not in the base's Kconfig
	ALLOW_MISSING=$am "$HARNESS/guest-build.sh" --tree "$BENCH/$k/linux" \
		--out "$BENCH/$k/out-$ARCH" --modroot "$BENCH/$k/modroot-$ARCH" \
		"${frags[@]}" --tag " (bench $k)"
	if [ "$k" = base ] && grep -q '^CONFIG_PGTLIB=y' "$BENCH/$k/out-$ARCH/.config"; then
		die "bench: the base kernel has CONFIG_PGTLIB=y: build/bench/base/linux is not the base"
	fi
done
run_stage "bench: build the $ARCH secretmem workload" "$LOGS/bench-secretmem-$ARCH.log" build_secretmem

for k in "${KINDS[@]}"; do
	"$HARNESS/initramfs.sh" --out "$BENCH/$k/out-$ARCH" --modroot "$BENCH/$k/modroot-$ARCH" \
		--root "$BENCH/$k/initramfs-root-$ARCH" --img "$BENCH/$k/initramfs-$ARCH.cpio.gz" \
		--no-selftests --add "$BENCH/secretmem-$ARCH:bench/secretmem"
done

for k in "${KINDS[@]}"; do
	GUEST_APPEND="pgtlib.vmalloc_loops=$LOOPS${BENCH_PROFILE:+ pgtlib.prof=$BENCH_PROFILE}" "$HARNESS/boot.sh" \
		--kernel "$BENCH/$k/out-$ARCH/$KIMAGE" --initrd "$BENCH/$k/initramfs-$ARCH.cpio.gz" \
		--console "$BENCH/console-$k-$ARCH.log" bench ||
		die "bench: the $k kernel's guest failed (console: build/bench/console-$k-$ARCH.log)" \
			"$BENCH/console-$k-$ARCH.log"
done

progress "bench: results"
python3 "$HARNESS/bench.py" --arch "$ARCH" --json "$BENCH/results-$ARCH.json" \
	"$BENCH/console-base-$ARCH.log" "$BENCH/console-pgtlib-$ARCH.log"
