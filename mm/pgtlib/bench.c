// SPDX-License-Identifier: GPL-2.0
/*
 * pgtlib benchmark: pgtlib against the code it is to replace, in one boot.
 *
 * Costs are in nanoseconds of ktime; under QEMU with -icount shift=0 guest
 * time advances one nanosecond per instruction, so the figures are
 * instruction counts and repeat from run to run. Each is the best of
 * PGTLIB_BENCH_ROUNDS rounds, so that a timer interrupt landing in one
 * round, or an IPI answered late, does not skew it.
 */
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/set_memory.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/tlbflush.h>

#include "../internal.h"
#include "internal.h"

#define PGTLIB_BENCH_ROUNDS	8

struct pgtlib_bench_row {
	u64 map_ns;
	u64 unmap_ns;
	unsigned long flushes;
	unsigned long tables;
};

static void pgtlib_bench_vmalloc(unsigned long va, struct page **pages,
				 unsigned int nr, struct pgtlib_bench_row *row)
{
	unsigned long end = va + ((unsigned long)nr << PAGE_SHIFT);
	unsigned int i;
	u64 t0, t1, t2;

	for (i = 0; i < PGTLIB_BENCH_ROUNDS; i++) {
		t0 = ktime_get_ns();
		if (vmap_pages_range_noflush(va, end, PAGE_KERNEL, pages,
					     PAGE_SHIFT))
			return;
		t1 = ktime_get_ns();
		vunmap_range_noflush(va, end);
		/* What the caller of the _noflush variant must do. */
		flush_tlb_kernel_range(va, end);
		t2 = ktime_get_ns();
		row->map_ns = min(row->map_ns, t1 - t0);
		row->unmap_ns = min(row->unmap_ns, t2 - t1);
		row->flushes++;
	}
}

static void pgtlib_bench_pgtlib(unsigned long va, struct page **pages,
				unsigned int nr, struct pgtlib_bench_row *row)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	unsigned long size = (unsigned long)nr << PAGE_SHIFT;
	struct pgtlib_txn map, unmap;
	unsigned int i;
	u64 t0, t1, t2;
	int ret;

	for (i = 0; i < PGTLIB_BENCH_ROUNDS; i++) {
		t0 = ktime_get_ns();
		pgtlib_txn_begin(&map, kernel, 0);
		ret = pgtlib_map_pages(&map, va, pages, nr,
				       PGTLIB_PROT_READ | PGTLIB_PROT_WRITE, 0);
		pgtlib_txn_commit(&map);
		t1 = ktime_get_ns();
		if (ret)
			return;
		pgtlib_txn_begin(&unmap, kernel, 0);
		pgtlib_unmap(&unmap, va, size);
		pgtlib_txn_commit(&unmap);
		t2 = ktime_get_ns();
		row->map_ns = min(row->map_ns, t1 - t0);
		row->unmap_ns = min(row->unmap_ns, t2 - t1);
		row->flushes += map.stats.flushes + unmap.stats.flushes;
		row->tables += map.stats.tables_allocated +
			       unmap.stats.tables_allocated;
	}
}

static void pgtlib_bench_print(struct seq_file *m, const char *what,
			       unsigned int nr, struct pgtlib_bench_row *row)
{
	u64 map = row->map_ns, unmap = row->unmap_ns;

	seq_printf(m, "%-8s %5u %10llu %8llu %10llu %8llu %8lu %7lu\n", what,
		   nr, map, div_u64(map, nr), unmap, div_u64(unmap, nr),
		   row->flushes, row->tables);
}

/* set_memory_ro()/rw() against pgtlib_protect() over one vmalloc area. */
static void pgtlib_bench_protect(struct seq_file *m, unsigned int nr)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	unsigned long size = (unsigned long)nr << PAGE_SHIFT;
	u64 t0, base_ns = U64_MAX, lib_ns = U64_MAX;
	unsigned long lib_flushes = 0, lib_splits = 0;
	struct pgtlib_txn txn;
	unsigned long va;
	unsigned int i;
	void *buf;

	buf = vmalloc(size);
	if (!buf)
		return;
	va = (unsigned long)buf;
	for (i = 0; i < PGTLIB_BENCH_ROUNDS; i++) {
		t0 = ktime_get_ns();
		set_memory_ro(va, nr);
		base_ns = min(base_ns, ktime_get_ns() - t0);
		set_memory_rw(va, nr);

		t0 = ktime_get_ns();
		pgtlib_txn_begin(&txn, kernel, 0);
		pgtlib_protect(&txn, va, size, 0, PGTLIB_PROT_WRITE);
		pgtlib_txn_commit(&txn);
		lib_ns = min(lib_ns, ktime_get_ns() - t0);
		lib_flushes += txn.stats.flushes;
		lib_splits += txn.stats.leaves_split;
		pgtlib_txn_begin(&txn, kernel, 0);
		pgtlib_protect(&txn, va, size, PGTLIB_PROT_WRITE,
			       PGTLIB_PROT_EXEC);
		pgtlib_txn_commit(&txn);
	}
	vfree(buf);
	seq_printf(m, "protect  %5u set_memory_ro %llu ns/op, pgtlib_protect %llu ns/op (%lu flushes, %lu splits in %u rounds)\n",
		   nr, base_ns, lib_ns, lib_flushes, lib_splits,
		   PGTLIB_BENCH_ROUNDS);
}

int pgtlib_bench_show(struct seq_file *m, void *v)
{
	static const unsigned int sizes[] = { 1, 16, 256, 512 };
	struct pgtlib_test_area area = {};
	unsigned int i;

	if (pgtlib_test_area_get(&area)) {
		seq_puts(m, "# cannot allocate pages and a vmalloc area\n");
		return 0;
	}

	seq_printf(m, "# best of %u rounds; ns per op and per page (instructions under -icount)\n",
		   PGTLIB_BENCH_ROUNDS);
	seq_puts(m, "# code      pages     map_ns  ns/page   unmap_ns  ns/page  flushes  tables\n");
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct pgtlib_bench_row base = {
			.map_ns = U64_MAX, .unmap_ns = U64_MAX,
		}, lib = base;

		pgtlib_bench_vmalloc(area.va, area.pages, sizes[i], &base);
		pgtlib_bench_pgtlib(area.va, area.pages, sizes[i], &lib);
		pgtlib_bench_print(m, "vmap", sizes[i], &base);
		pgtlib_bench_print(m, "pgtlib", sizes[i], &lib);
	}
	pgtlib_bench_protect(m, PTRS_PER_PTE);
	pgtlib_test_area_put(&area);
	return 0;
}
