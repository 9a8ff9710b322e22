// SPDX-License-Identifier: GPL-2.0
/*
 * pgtlib debugfs interface, for the selftests and the report:
 *
 *   /sys/kernel/debug/pgtlib/stats     global counters and table pages;
 *                                      writing 1 or 0 turns counting of
 *                                      all but table pages on or off
 *   /sys/kernel/debug/pgtlib/selftest  reading it maps, checks and unmaps
 *                                      live kernel mappings, one line each
 *   /sys/kernel/debug/pgtlib/bench     reading it runs the benchmark
 *   /sys/kernel/debug/pgtlib/account   writing N builds a private space
 *                                      whose tables are charged to the
 *                                      writer's memory cgroup; 0 frees it
 */
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "internal.h"

static int pgtlib_stats_show(struct seq_file *m, void *v)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pgtlib_stats s;
	unsigned long spare;

	pgtlib_global_stats(&s);
	spin_lock(kernel->lock);
	spare = kernel->nr_spare;
	spin_unlock(kernel->lock);

	seq_printf(m, "counting %d\n",
		   static_key_enabled(&pgtlib_count_events));
#define PGTLIB_STAT(name) seq_printf(m, "%s %lu\n", #name, pgtlib_stat(&s, name))
#include <linux/pgtlib_stats.h>
#undef PGTLIB_STAT
	seq_printf(m, "kernel_tables %lu\n", pgtlib_space_nr_tables(kernel));
	seq_printf(m, "kernel_spare_tables %lu\n", spare);
	return 0;
}

static ssize_t pgtlib_stats_write(struct file *file, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	bool on;
	int ret;

	ret = kstrtobool_from_user(buf, count, &on);
	if (ret)
		return ret;
	if (on)
		static_branch_enable(&pgtlib_count_events);
	else
		static_branch_disable(&pgtlib_count_events);
	return count;
}
DEFINE_SHOW_STORE_ATTRIBUTE(pgtlib_stats);

struct pgtlib_selftest {
	struct seq_file *m;
	unsigned int nr;
	unsigned int failed;
};

static void pgtlib_check(struct pgtlib_selftest *t, bool ok, const char *what)
{
	t->nr++;
	if (!ok)
		t->failed++;
	seq_printf(t->m, "%s %u %s\n", ok ? "ok" : "not ok", t->nr, what);
}

int pgtlib_test_area_get(struct pgtlib_test_area *area)
{
	unsigned int i;

	area->pages = kcalloc(PTRS_PER_PTE, sizeof(*area->pages), GFP_KERNEL);
	area->vm = get_vm_area(2 * PMD_SIZE, VM_MAP);
	if (!area->pages || !area->vm)
		goto fail;
	for (i = 0; i < PTRS_PER_PTE; i++) {
		area->pages[i] = alloc_page(GFP_KERNEL);
		if (!area->pages[i])
			goto fail;
	}
	area->va = ALIGN((unsigned long)area->vm->addr, PMD_SIZE);
	return 0;
fail:
	pgtlib_test_area_put(area);
	return -ENOMEM;
}

void pgtlib_test_area_put(struct pgtlib_test_area *area)
{
	unsigned int i;

	if (area->vm)
		free_vm_area(area->vm);
	if (area->pages)
		for (i = 0; i < PTRS_PER_PTE; i++)
			if (area->pages[i])
				__free_page(area->pages[i]);
	kfree(area->pages);
	area->vm = NULL;
	area->pages = NULL;
}

/* 512 pages mapped at a 2M-aligned address of a vmalloc area. */
static void pgtlib_selftest_live(struct pgtlib_selftest *t)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	unsigned long tables = pgtlib_space_nr_tables(kernel);
	const unsigned int nr = PTRS_PER_PTE;
	struct pgtlib_test_area area = {};
	struct pgtlib_leaf leaf;
	struct pgtlib_txn txn;
	struct page **pages;
	unsigned long va, byte;
	unsigned int i;
	bool ok;
	int ret;

	if (pgtlib_test_area_get(&area)) {
		pgtlib_check(t, false, "allocate pages and a vmalloc area");
		return;
	}
	pages = area.pages;
	va = area.va;

	pgtlib_txn_begin(&txn, kernel, 0);
	ret = pgtlib_map_pages(&txn, va, pages, nr,
			       PGTLIB_PROT_READ | PGTLIB_PROT_WRITE, 0);
	pgtlib_txn_commit(&txn);
	pgtlib_check(t, !ret && txn.stats.pages_mapped == nr,
		     "map_pages maps 512 pages");
	pgtlib_check(t, txn.stats.flushes == 0,
		     "mapping into holes issues no flush");

	ok = true;
	for (i = 0; i < nr && !ret; i++) {
		memset((void *)(va + i * PAGE_SIZE), i & 0xff, 8);
		ok &= *(u8 *)page_address(pages[i]) == (i & 0xff);
	}
	pgtlib_check(t, !ret && ok,
		     "bytes written through the mapping are in the pages");

	ret = pgtlib_query(kernel, va + 7 * PAGE_SIZE, &leaf);
	pgtlib_check(t, !ret && leaf.level == PGTLIB_LEVEL_PTE &&
		     leaf.phys == PFN_PHYS(page_to_pfn(pages[7])) &&
		     leaf.prot == (PGTLIB_PROT_READ | PGTLIB_PROT_WRITE),
		     "query reads back the PTE");

	pgtlib_txn_begin(&txn, kernel, 0);
	ret = pgtlib_protect(&txn, va, nr * PAGE_SIZE, 0, PGTLIB_PROT_WRITE);
	pgtlib_txn_commit(&txn);
	byte = 1;
	pgtlib_check(t, !ret && txn.stats.flushes == 1 &&
		     copy_to_kernel_nofault((void *)va, &byte, 1) == -EFAULT,
		     "protect read-only: one flush, writes fault");

	pgtlib_txn_begin(&txn, kernel, 0);
	for (i = 0; i < nr; i += 64)
		ret |= pgtlib_unmap(&txn, va + i * PAGE_SIZE, 64 * PAGE_SIZE);
	pgtlib_txn_commit(&txn);
	pgtlib_check(t, !ret && txn.stats.flushes == 1 &&
		     txn.stats.pages_unmapped == nr,
		     "eight unmaps in one transaction: one flush");
	pgtlib_check(t, copy_from_kernel_nofault(&byte, (void *)va, 1) == -EFAULT,
		     "reads fault after unmap");
	/* No single unmap covered the PTE table, so it stays. */
	pgtlib_check(t, pgtlib_space_nr_tables(kernel) == tables + 1,
		     "partial unmaps keep the PTE table");

	/* Nothing left to invalidate; the kernel's walkers may read it. */
	pgtlib_txn_begin(&txn, kernel, 0);
	ret = pgtlib_unmap(&txn, va, PMD_SIZE);
	pgtlib_txn_commit(&txn);
	pgtlib_check(t, !ret && txn.stats.flushes == 0 &&
		     pgtlib_space_nr_tables(kernel) == tables + 1,
		     "an unmap covering the table leaves it in init_mm");
	pgtlib_test_area_put(&area);
}

static int pgtlib_selftest_show(struct seq_file *m, void *v)
{
	struct pgtlib_selftest t = { .m = m };

	pgtlib_selftest_live(&t);
	seq_printf(m, "total %u failed %u\n", t.nr, t.failed);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pgtlib_selftest);
DEFINE_SHOW_ATTRIBUTE(pgtlib_bench);

/* At most this many PMD-sized slots, so one top-level entry holds them. */
#define PGTLIB_ACCOUNT_MAX	256

static DEFINE_MUTEX(pgtlib_account_lock);
static struct pgtlib_space *pgtlib_account_space;

/*
 * Map one page in each of @nr PMD-sized slots of a new private space, in
 * one %PGTLIB_TXN_ACCOUNT transaction: every table it allocates is charged
 * to the calling task's memory cgroup until the space is destroyed.
 */
static int pgtlib_account_build(unsigned int nr)
{
	unsigned long start = round_up(PAGE_OFFSET, PGDIR_SIZE);
	phys_addr_t phys = page_to_phys(ZERO_PAGE(0));
	struct pgtlib_space *space;
	struct pgtlib_txn txn;
	unsigned int i;
	int ret = 0;

	space = pgtlib_space_create(start, start + PGDIR_SIZE, 0, GFP_KERNEL);
	if (IS_ERR(space))
		return PTR_ERR(space);
	pgtlib_txn_begin(&txn, space, PGTLIB_TXN_ACCOUNT);
	for (i = 0; i < nr && !ret; i++)
		ret = pgtlib_map(&txn, start + i * PMD_SIZE, phys, PAGE_SIZE,
				 PGTLIB_PROT_READ, 0);
	pgtlib_txn_commit(&txn);
	if (ret) {
		pgtlib_space_destroy(space);
		return ret;
	}
	pgtlib_account_space = space;
	return 0;
}

static ssize_t pgtlib_account_write(struct file *file, const char __user *buf,
				    size_t count, loff_t *ppos)
{
	unsigned int nr;
	int ret;

	ret = kstrtouint_from_user(buf, count, 0, &nr);
	if (ret)
		return ret;
	if (nr > PGTLIB_ACCOUNT_MAX ||
	    (unsigned long)nr * PMD_SIZE > PGDIR_SIZE)
		return -EINVAL;

	mutex_lock(&pgtlib_account_lock);
	if (!nr) {
		pgtlib_space_destroy(pgtlib_account_space);
		pgtlib_account_space = NULL;
	} else if (pgtlib_account_space) {
		ret = -EBUSY;
	} else {
		ret = pgtlib_account_build(nr);
	}
	mutex_unlock(&pgtlib_account_lock);
	return ret ?: count;
}

static int pgtlib_account_show(struct seq_file *m, void *v)
{
	mutex_lock(&pgtlib_account_lock);
	seq_printf(m, "tables %lu\n", pgtlib_account_space ?
		   pgtlib_space_nr_tables(pgtlib_account_space) : 0);
	mutex_unlock(&pgtlib_account_lock);
	return 0;
}
DEFINE_SHOW_STORE_ATTRIBUTE(pgtlib_account);

static int __init pgtlib_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("pgtlib", NULL);

	debugfs_create_file("stats", 0600, dir, NULL, &pgtlib_stats_fops);
	debugfs_create_file("selftest", 0400, dir, NULL,
			    &pgtlib_selftest_fops);
	debugfs_create_file("bench", 0400, dir, NULL, &pgtlib_bench_fops);
	debugfs_create_file("account", 0600, dir, NULL, &pgtlib_account_fops);
	return 0;
}
late_initcall(pgtlib_debugfs_init);
