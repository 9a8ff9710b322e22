// SPDX-License-Identifier: GPL-2.0
/*
 * pgtbench: the kernel side of `make bench` (harness/bench.sh).
 *
 * NOT part of the pgtlib series. harness/bench.sh copies this file into
 * both benchmark trees, the unpatched base and the patched one, as
 * mm/pgtbench.c, so that the same code measures the same workloads in both
 * kernels. It only calls interfaces that both kernels have (set_memory_*,
 * set_direct_map_*, vmalloc and its mm-internal page-table functions, the
 * page allocator, kmap_local): never pgtlib.
 *
 * debugfs, under /sys/kernel/debug/pgtbench/:
 *   run     read: run every in-kernel workload, one line per workload:
 *           "PGTBENCH <name> instr=<per op> tlb=<per op> splits=<n>
 *            tables=<n> pagetable=<n> ops=<n>"
 *   tables  read: table pages of init_mm's page table, counted by a walk
 *   vtables read: the same below the top-level entries of the vmalloc
 *           range (x86_64: vmalloc's alone; arm64: with the kernel image's
 *           and the modules', which share them), for test_vmalloc's rows:
 *           CPA's splits of the direct map, which loading the module can
 *           cause, are not vmalloc's
 *   kflush  read: x86 kernel TLB invalidation requests so far, by caller
 *           (flush_tlb_all() and flush_tlb_kernel_range() note theirs
 *           through x86-tlb-count.patch; a lazy purge's under the
 *           purge's caller): "<caller> <n>" per line
 *   kreq    read: nr_tlb_remote_flush less x86's requests for user address
 *           spaces (native_flush_tlb_multi(), noted through
 *           x86-tlb-count.patch), in one read: test_vmalloc's rows count
 *           the kernel's own, as user ones follow where modprobe's
 *           processes were scheduled, not what vmalloc did
 *   age     write 1: allocate most free memory as order-0 unmovable pages
 *           and free every second one again, in a shuffled order, so that
 *           the free unmovable pages are scattered over the whole of
 *           memory; write 0: free the rest
 *   prof    write N > 0: sample the kernel instruction pointer of every CPU
 *           each N microseconds of guest time (N * 1000 instructions under
 *           -icount shift=0) into a table by function; write 0: stop;
 *           read: the samples, most first, "<n> <function>" per line
 *           (BENCH_PROFILE=<test_vmalloc id>, harness/bench.sh)
 *
 * instr: under QEMU with -icount shift=0,sleep=off guest time advances one
 *        nanosecond per instruction, so ktime deltas are instruction
 *        counts. Each workload runs PGTBENCH_ROUNDS rounds of ops; the
 *        figure is the best round divided by its ops (a timer interrupt
 *        lands in some rounds, not in the best one).
 * tlb:   the sum of the nr_tlb_* vm events over the measured rounds, per
 *        op. x86 counts them with CONFIG_DEBUG_TLBFLUSH; arm64 counts each
 *        completed broadcast invalidation (__tlbi_sync_s1ish()) through
 *        harness/bench/arm64-tlbi-count.patch, applied to both trees.
 * splits: x86 direct_map_level{2,3}_splits over the whole workload (setup
 *        included); 0 on arm64, whose linear map is page-mapped.
 * tables: init_mm table pages after the workload's teardown minus before
 *        its setup, counted by walking init_mm (not from a counter that
 *        the code under test keeps); pagetable: the same for NR_PAGETABLE.
 */
#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/hrtimer.h>
#include <linux/kallsyms.h>
#include <linux/log2.h>
#include <linux/sort.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mutex.h>
#include <linux/cpu.h>
#include <linux/prandom.h>
#include <linux/seq_file.h>
#include <linux/set_memory.h>
#include <linux/slab.h>
#include <linux/sched/task_stack.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <asm/irq_regs.h>
#include <asm/tlbflush.h>

#include "internal.h"

#define PGTBENCH_ROUNDS	8

struct pgtbench_ctx {
	unsigned int nr;	/* pages per op */
	struct page *page;	/* direct-map workloads */
	void *area;		/* vmalloc workloads (vmap: the vm_struct) */
	struct page **pages;	/* vmap workloads */
	unsigned long addr;
	int err;
};

/*
 * One workload. @nr 0: run on 1, 16 and 512 pages (pgtbench_sizes), each
 * a row of its own, named "<name>:<pages>".
 */
struct pgtbench_work {
	const char *name;
	unsigned int nr;
	unsigned int ops;	/* ops per round */
	int (*setup)(struct pgtbench_ctx *c);
	void (*op)(struct pgtbench_ctx *c);
	void (*teardown)(struct pgtbench_ctx *c);
};

/* pages per op, and ops per round, of the sized workloads */
static const struct {
	unsigned int nr, ops;
} pgtbench_sizes[] = {
	{ 1, 32 }, { 16, 8 }, { 512, 2 },
};

#if defined(CONFIG_ARM64) && defined(CONFIG_DEBUG_TLBFLUSH)
/* Called by __tlbi_sync_s1ish() (harness/bench/arm64-tlbi-count.patch). */
void pgtbench_count_tlbi(void)
{
	count_vm_tlb_event(NR_TLB_REMOTE_FLUSH);
}
#endif

static unsigned long pgtbench_tlb_events(void)
{
#ifdef CONFIG_DEBUG_TLBFLUSH
	unsigned long ev[NR_VM_EVENT_ITEMS];

	all_vm_events(ev);
	return ev[NR_TLB_REMOTE_FLUSH] + ev[NR_TLB_REMOTE_FLUSH_RECEIVED] +
	       ev[NR_TLB_LOCAL_FLUSH_ALL] + ev[NR_TLB_LOCAL_FLUSH_ONE];
#else
	return 0;
#endif
}

static unsigned long pgtbench_splits(void)
{
#ifdef CONFIG_X86
	unsigned long ev[NR_VM_EVENT_ITEMS];

	all_vm_events(ev);
	return ev[DIRECT_MAP_LEVEL2_SPLIT] + ev[DIRECT_MAP_LEVEL3_SPLIT];
#else
	return 0;
#endif
}

/*
 * Count the table pages of init_mm by walking it from its pgd, level by
 * level, with the kernel's own pXd accessors. A table is counted where an
 * entry points to it, and only if its level is not folded. With @m, each
 * table below a PUD or PMD entry is also listed: its level and @addr, the
 * first address it maps.
 */
static unsigned long pgtbench_count_pmd(pud_t *pud, unsigned long addr,
					struct seq_file *m)
{
	pmd_t *pmd = pmd_offset(pud, 0);
	unsigned long n = 0;
	int i;

	for (i = 0; i < PTRS_PER_PMD; i++) {
		pmd_t e = pmdp_get(pmd + i);

		if (pmd_none(e) || !pmd_present(e) || pmd_leaf(e))
			continue;
		n++;
		if (m)
			seq_printf(m, "pte %lx\n", addr + i * PMD_SIZE);
	}
	return n;
}

static unsigned long pgtbench_count_pud(p4d_t *p4d, unsigned long addr,
					struct seq_file *m)
{
	pud_t *pud = pud_offset(p4d, 0);
	unsigned long n = 0, a;
	int i;

	for (i = 0; i < PTRS_PER_PUD; i++) {
		pud_t e = pudp_get(pud + i);

		if (pud_none(e) || !pud_present(e) || pud_leaf(e))
			continue;
		a = addr + i * PUD_SIZE;
		if (m && !mm_pmd_folded(&init_mm))
			seq_printf(m, "pmd %lx\n", a);
		n += !mm_pmd_folded(&init_mm) + pgtbench_count_pmd(pud + i, a, m);
	}
	return n;
}

static unsigned long pgtbench_count_p4d(pgd_t *pgd, unsigned long addr,
					struct seq_file *m)
{
	p4d_t *p4d = p4d_offset(pgd, 0);
	unsigned long n = 0;
	int i;

	for (i = 0; i < PTRS_PER_P4D; i++) {
		p4d_t e = p4dp_get(p4d + i);

		if (p4d_none(e) || !p4d_present(e) || p4d_leaf(e))
			continue;
		n += !mm_pud_folded(&init_mm) +
		     pgtbench_count_pud(p4d + i, addr + i * P4D_SIZE, m);
	}
	return n;
}

/* Table pages below the top-level entries that [start, end] touches. */
static unsigned long pgtbench_count_tables_in(unsigned long start,
					      unsigned long end,
					      struct seq_file *m)
{
	unsigned long n = 0, addr = start & PGDIR_MASK;
	int i;

	/* as ptdump does: nothing frees init_mm tables under this lock */
	mmap_write_lock(&init_mm);
	for (i = pgd_index(start); i <= pgd_index(end);
	     i++, addr += PGDIR_SIZE) {
		pgd_t e = pgdp_get(init_mm.pgd + i);

		if (pgd_none(e) || !pgd_present(e) || pgd_leaf(e))
			continue;
		n += !mm_p4d_folded(&init_mm) +
		     pgtbench_count_p4d(init_mm.pgd + i, addr, m);
	}
	mmap_write_unlock(&init_mm);
	return n;
}

static unsigned long pgtbench_count_tables(void)
{
	return pgtbench_count_tables_in(0, ULONG_MAX, NULL);
}

/* ---- workloads ---- */

static int pgtbench_dm_setup(struct pgtbench_ctx *c)
{
	c->page = alloc_pages(GFP_KERNEL, get_order(c->nr * PAGE_SIZE));
	if (!c->page)
		return -ENOMEM;
	c->addr = (unsigned long)page_address(c->page);
	return 0;
}

static void pgtbench_dm_teardown(struct pgtbench_ctx *c)
{
	__free_pages(c->page, get_order(c->nr * PAGE_SIZE));
}

static int pgtbench_vm_setup(struct pgtbench_ctx *c)
{
	c->area = vmalloc(c->nr * PAGE_SIZE);
	if (!c->area)
		return -ENOMEM;
	c->addr = (unsigned long)c->area;
	return 0;
}

static void pgtbench_vm_teardown(struct pgtbench_ctx *c)
{
	vfree(c->area);
}

static void pgtbench_check(struct pgtbench_ctx *c, int ret)
{
	if (ret && !c->err)
		c->err = ret;
}

static void pgtbench_ro_rw(struct pgtbench_ctx *c)
{
	pgtbench_check(c, set_memory_ro(c->addr, c->nr));
	pgtbench_check(c, set_memory_rw(c->addr, c->nr));
}

/* x then nx on read-only memory: W^X is never violated */
static int pgtbench_dm_ro_setup(struct pgtbench_ctx *c)
{
	int ret = pgtbench_dm_setup(c);

	if (!ret) {
		ret = set_memory_ro(c->addr, c->nr);
		if (ret)
			pgtbench_dm_teardown(c);
	}
	return ret;
}

static void pgtbench_dm_ro_teardown(struct pgtbench_ctx *c)
{
	if (set_memory_rw(c->addr, c->nr))
		return;	/* leak rather than free read-only pages */
	pgtbench_dm_teardown(c);
}

static int pgtbench_vm_ro_setup(struct pgtbench_ctx *c)
{
	int ret = pgtbench_vm_setup(c);

	if (!ret) {
		ret = set_memory_ro(c->addr, c->nr);
		if (ret)
			pgtbench_vm_teardown(c);
	}
	return ret;
}

static void pgtbench_vm_ro_teardown(struct pgtbench_ctx *c)
{
	if (set_memory_rw(c->addr, c->nr))
		return;
	pgtbench_vm_teardown(c);
}

static void pgtbench_x_nx(struct pgtbench_ctx *c)
{
	pgtbench_check(c, set_memory_x(c->addr, c->nr));
	pgtbench_check(c, set_memory_nx(c->addr, c->nr));
}

#ifdef CONFIG_X86
static void pgtbench_np_p(struct pgtbench_ctx *c)
{
	pgtbench_check(c, set_memory_np(c->addr, c->nr));
	pgtbench_check(c, set_memory_p(c->addr, c->nr));
}
#endif

#ifdef CONFIG_ARM64
static void pgtbench_invalid_valid(struct pgtbench_ctx *c)
{
	pgtbench_check(c, set_memory_valid(c->addr, c->nr, 0));
	pgtbench_check(c, set_memory_valid(c->addr, c->nr, 1));
}
#endif

/* as secretmem and guest_memfd remove pages: per page, then one flush */
static void pgtbench_dmap_invalid_default(struct pgtbench_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		pgtbench_check(c, set_direct_map_invalid_noflush(c->page + i));
	flush_tlb_kernel_range(c->addr, c->addr + c->nr * PAGE_SIZE);
	for (i = 0; i < c->nr; i++)
		pgtbench_check(c, set_direct_map_default_noflush(c->page + i));
}

static void pgtbench_alloc0(struct pgtbench_ctx *c)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (!page) {
		pgtbench_check(c, -ENOMEM);
		return;
	}
	__free_page(page);
}

static void pgtbench_alloc9(struct pgtbench_ctx *c)
{
	struct page *page = alloc_pages(GFP_KERNEL, 9);

	if (!page) {
		pgtbench_check(c, -ENOMEM);
		return;
	}
	__free_pages(page, 9);
}

static void pgtbench_kmap_local(struct pgtbench_ctx *c)
{
	void *p = kmap_local_page(c->page);

	WRITE_ONCE(*(unsigned long *)p, c->addr);
	kunmap_local(p);
}

/*
 * vmalloc's page-table code itself, as both kernels have it (mm/internal.h):
 * map an array of pages into an area with vmap_pages_range_noflush() and
 * unmap it with vunmap_range_noflush(), as vmap() and vfree() do, without
 * the area management and the lazy purge around them. Nothing reads
 * through the mapping, so the same pages are mapped again without a flush;
 * the teardown invalidates once.
 */
static int pgtbench_vmap_setup(struct pgtbench_ctx *c)
{
	struct vm_struct *area = get_vm_area(c->nr * PAGE_SIZE, VM_MAP);
	struct page **pages;
	unsigned int i;

	pages = kcalloc(c->nr, sizeof(*pages), GFP_KERNEL);
	if (!area || !pages)
		goto fail;
	for (i = 0; i < c->nr; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i])
			goto fail;
	}
	c->area = area;
	c->addr = (unsigned long)area->addr;
	c->pages = pages;
	return 0;
fail:
	while (pages && i--)
		__free_page(pages[i]);
	kfree(pages);
	if (area)
		free_vm_area(area);
	return -ENOMEM;
}

static void pgtbench_vmap_teardown(struct pgtbench_ctx *c)
{
	unsigned int i;

	flush_tlb_kernel_range(c->addr, c->addr + c->nr * PAGE_SIZE);
	free_vm_area(c->area);
	for (i = 0; i < c->nr; i++)
		__free_page(c->pages[i]);
	kfree(c->pages);
}

static void pgtbench_vmap_pages(struct pgtbench_ctx *c)
{
	unsigned long end = c->addr + c->nr * PAGE_SIZE;

	pgtbench_check(c, vmap_pages_range_noflush(c->addr, end, PAGE_KERNEL,
						   c->pages, PAGE_SHIFT));
	vunmap_range_noflush(c->addr, end);
}

/* ioremap()'s path: vmap_page_range() of a 2M-aligned 2M physical range. */
static int pgtbench_vmap_range_setup(struct pgtbench_ctx *c)
{
	struct vm_struct *area = get_vm_area(2 * PMD_SIZE, VM_IOREMAP);

	if (!area)
		return -ENOMEM;
	c->page = alloc_pages(GFP_KERNEL, PMD_SHIFT - PAGE_SHIFT);
	if (!c->page) {
		free_vm_area(area);
		return -ENOMEM;
	}
	c->area = area;
	c->addr = ALIGN((unsigned long)area->addr, PMD_SIZE);
	return 0;
}

static void pgtbench_vmap_range_teardown(struct pgtbench_ctx *c)
{
	flush_tlb_kernel_range(c->addr, c->addr + PMD_SIZE);
	free_vm_area(c->area);
	__free_pages(c->page, PMD_SHIFT - PAGE_SHIFT);
}

static void pgtbench_vmap_range(struct pgtbench_ctx *c)
{
	pgtbench_check(c, vmap_page_range(c->addr, c->addr + PMD_SIZE,
					  page_to_phys(c->page), PAGE_KERNEL));
	vunmap_range_noflush(c->addr, c->addr + PMD_SIZE);
}

static const struct pgtbench_work pgtbench_works[] = {
#ifdef CONFIG_X86
	{ "set_memory_ro_rw:dmap", 0, 0, pgtbench_dm_setup, pgtbench_ro_rw,
	  pgtbench_dm_teardown },
	{ "set_memory_x_nx:dmap", 0, 0, pgtbench_dm_ro_setup, pgtbench_x_nx,
	  pgtbench_dm_ro_teardown },
	{ "set_memory_np_p:dmap", 0, 0, pgtbench_dm_setup, pgtbench_np_p,
	  pgtbench_dm_teardown },
	{ "set_memory_ro_rw:vmalloc", 0, 0, pgtbench_vm_setup, pgtbench_ro_rw,
	  pgtbench_vm_teardown },
	{ "set_memory_x_nx:vmalloc", 0, 0, pgtbench_vm_ro_setup, pgtbench_x_nx,
	  pgtbench_vm_ro_teardown },
	{ "set_memory_np_p:vmalloc", 0, 0, pgtbench_vm_setup, pgtbench_np_p,
	  pgtbench_vm_teardown },
#endif
#ifdef CONFIG_ARM64
	{ "set_direct_map_invalid_default:dmap", 0, 0, pgtbench_dm_setup,
	  pgtbench_dmap_invalid_default, pgtbench_dm_teardown },
	{ "set_memory_ro_rw:vmalloc", 0, 0, pgtbench_vm_setup, pgtbench_ro_rw,
	  pgtbench_vm_teardown },
	{ "set_memory_x_nx:vmalloc", 0, 0, pgtbench_vm_ro_setup, pgtbench_x_nx,
	  pgtbench_vm_ro_teardown },
	{ "set_memory_valid:vmalloc", 0, 0, pgtbench_vm_setup,
	  pgtbench_invalid_valid, pgtbench_vm_teardown },
#endif
	{ "page_alloc:order0", 1, 64, NULL, pgtbench_alloc0, NULL },
	{ "page_alloc:order9", 512, 4, NULL, pgtbench_alloc9, NULL },
	{ "kmap_local_page", 1, 256, pgtbench_dm_setup, pgtbench_kmap_local,
	  pgtbench_dm_teardown },
	{ "vmap_pages", 0, 0, pgtbench_vmap_setup, pgtbench_vmap_pages,
	  pgtbench_vmap_teardown },
	{ "vmap_range:2M", 1, 8, pgtbench_vmap_range_setup, pgtbench_vmap_range,
	  pgtbench_vmap_range_teardown },
};

static DEFINE_MUTEX(pgtbench_lock);

static void pgtbench_run_one(struct seq_file *m, const struct pgtbench_work *w,
			     const char *name, unsigned int nr,
			     unsigned int ops)
{
	struct pgtbench_ctx c = { .nr = nr };
	unsigned long tables0, pt0, splits0, tlb0, tlb;
	u64 t0, best = U64_MAX;
	unsigned int r, i;
	int ret = 0;

	tables0 = pgtbench_count_tables();
	pt0 = global_node_page_state(NR_PAGETABLE);
	splits0 = pgtbench_splits();
	if (w->setup)
		ret = w->setup(&c);
	if (ret) {
		seq_printf(m, "PGTBENCH-FAIL %s setup %d\n", name, ret);
		return;
	}
	/* once outside the measurement: first-time splits and allocations */
	w->op(&c);
	tlb0 = pgtbench_tlb_events();
	for (r = 0; r < PGTBENCH_ROUNDS && !c.err; r++) {
		t0 = ktime_get_ns();
		for (i = 0; i < ops; i++)
			w->op(&c);
		best = min(best, ktime_get_ns() - t0);
	}
	tlb = pgtbench_tlb_events() - tlb0;
	if (w->teardown)
		w->teardown(&c);
	if (c.err) {
		seq_printf(m, "PGTBENCH-FAIL %s op %d\n", name, c.err);
		return;
	}
	seq_printf(m, "PGTBENCH %s instr=%llu tlb=%lu.%03lu splits=%lu tables=%ld pagetable=%ld ops=%u\n",
		   name, div_u64(best, ops),
		   tlb / (PGTBENCH_ROUNDS * ops),
		   tlb * 1000 / (PGTBENCH_ROUNDS * ops) % 1000,
		   pgtbench_splits() - splits0,
		   (long)(pgtbench_count_tables() - tables0),
		   (long)(global_node_page_state(NR_PAGETABLE) - pt0),
		   PGTBENCH_ROUNDS * ops);
}

static int pgtbench_run_show(struct seq_file *m, void *v)
{
	unsigned int i;

	const struct pgtbench_work *w;
	char name[64];
	unsigned int j;

	mutex_lock(&pgtbench_lock);
	for (i = 0; i < ARRAY_SIZE(pgtbench_works); i++) {
		w = &pgtbench_works[i];
		if (w->nr) {
			pgtbench_run_one(m, w, w->name, w->nr, w->ops);
			continue;
		}
		for (j = 0; j < ARRAY_SIZE(pgtbench_sizes); j++) {
			snprintf(name, sizeof(name), "%s:%u", w->name,
				 pgtbench_sizes[j].nr);
			pgtbench_run_one(m, w, name, pgtbench_sizes[j].nr,
					 pgtbench_sizes[j].ops);
		}
	}
	mutex_unlock(&pgtbench_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pgtbench_run);

static int pgtbench_tables_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%lu\n", pgtbench_count_tables());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pgtbench_tables);

/* The clock: under -icount shift=0, nanoseconds are instructions. */
static int pgtbench_ns_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%llu\n", ktime_get_ns());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pgtbench_ns);

static int pgtbench_vtables_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%lu\n",
		   pgtbench_count_tables_in(VMALLOC_START, VMALLOC_END - 1,
					    NULL));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pgtbench_vtables);

/*
 * Where the tables vtables counts are: a line per table below a PUD or
 * PMD entry, its level and the first address it maps, so that a run can
 * tell which tables a phase added (vmalloc's, or a module's).
 */
static int pgtbench_vtlist_show(struct seq_file *m, void *v)
{
	pgtbench_count_tables_in(VMALLOC_START, VMALLOC_END - 1, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pgtbench_vtlist);

static atomic_long_t pgtbench_user_req = ATOMIC_LONG_INIT(0);

/* Called by x86's native_flush_tlb_multi() (x86-tlb-count.patch). */
void pgtbench_count_user_req(void);
void pgtbench_count_user_req(void)
{
	atomic_long_inc(&pgtbench_user_req);
}

/*
 * x86's flush_tlb_all() and flush_tlb_kernel_range() note their caller
 * (x86-tlb-count.patch), so that a phase's kernel requests can be told
 * apart by who made them: CPA splitting the direct map is set_memory's
 * (issue 12), the lazy purge vmalloc's.
 */
#define PGTBENCH_KF_CALLERS	32
static DEFINE_SPINLOCK(pgtbench_kf_lock);
static unsigned long pgtbench_kf_ip[PGTBENCH_KF_CALLERS];
static unsigned long pgtbench_kf_n[PGTBENCH_KF_CALLERS];

/*
 * Where CPA splits and collapses through pgtlib, pgtlib's own flush is
 * what CPA's __split_large_page() did with flush_tlb_all(): noted under
 * these names (bench.py counts them as CPA's, as it counts the base's),
 * a split's apart from a collapse's, which the base never makes. Only a
 * flush from pgtlib's arch code is looked at: a walk of the frame
 * pointers for a return into the CPA functions that call pgtlib, whose
 * bounds are looked up once (a few compares per frame).
 */
static noinline void pgtbench_cpa_split_via_pgtlib(void)
{
	barrier();
}

static noinline void pgtbench_cpa_collapse_via_pgtlib(void)
{
	barrier();
}

static const char * const pgtbench_cpa_fns[] = {
	"cpa_pgtlib_split_one", "cpa_collapse_fn",
};

static void (* const pgtbench_cpa_as[])(void) = {
	pgtbench_cpa_split_via_pgtlib, pgtbench_cpa_collapse_via_pgtlib,
};

static unsigned long pgtbench_cpa_lo[ARRAY_SIZE(pgtbench_cpa_fns)];
static unsigned long pgtbench_cpa_hi[ARRAY_SIZE(pgtbench_cpa_fns)];
static unsigned long pgtbench_arch_flush_lo, pgtbench_arch_flush_hi;
static unsigned long pgtbench_purge_lo, pgtbench_purge_hi;

static void __init pgtbench_fn_bounds(const char *name, unsigned long *lo,
				      unsigned long *hi)
{
	unsigned long size, off;

	*lo = kallsyms_lookup_name(name);
	if (*lo && kallsyms_lookup_size_offset(*lo, &size, &off)) {
		*hi = *lo + size;
		return;
	}
	*lo = 0;
	/* a renamed function would silently move CPA's flushes elsewhere */
	if (IS_ENABLED(CONFIG_X86) && IS_ENABLED(CONFIG_PGTLIB))
		pr_warn("pgtbench: no %s: its flushes are not CPA's\n", name);
}

static void __init pgtbench_cpa_init(void)
{
	unsigned int i;

	pgtbench_fn_bounds("__pgtlib_arch_flush", &pgtbench_arch_flush_lo,
			   &pgtbench_arch_flush_hi);
	pgtbench_fn_bounds("__purge_vmap_area_lazy", &pgtbench_purge_lo,
			   &pgtbench_purge_hi);
	for (i = 0; i < ARRAY_SIZE(pgtbench_cpa_fns); i++)
		pgtbench_fn_bounds(pgtbench_cpa_fns[i], &pgtbench_cpa_lo[i],
				   &pgtbench_cpa_hi[i]);
}

/* @ip, or the name CPA's flush through pgtlib is noted under */
static noinline unsigned long pgtbench_from_cpa(unsigned long ip)
{
	unsigned long *fp = __builtin_frame_address(0);
	unsigned int i, k;

	if (!IS_ENABLED(CONFIG_FRAME_POINTER) || !pgtbench_arch_flush_lo ||
	    ip < pgtbench_arch_flush_lo || ip >= pgtbench_arch_flush_hi)
		return ip;
	for (i = 0; i < 24 && fp && object_is_on_stack(fp); i++) {
		for (k = 0; k < ARRAY_SIZE(pgtbench_cpa_fns); k++)
			if (fp[1] >= pgtbench_cpa_lo[k] &&
			    fp[1] < pgtbench_cpa_hi[k])
				return (unsigned long)pgtbench_cpa_as[k];
		fp = (unsigned long *)fp[0];
	}
	return ip;
}

/*
 * A lazy purge's request is noted under who asked for the purge (the
 * drain work, _vm_unmap_aliases(), an allocation that found no room):
 * __purge_vmap_area_lazy() itself says nothing of why it ran.
 */
static noinline unsigned long pgtbench_purge_caller(unsigned long ip)
{
	unsigned long *fp = __builtin_frame_address(0);
	unsigned int i;

	if (!IS_ENABLED(CONFIG_FRAME_POINTER) || !pgtbench_purge_lo ||
	    ip < pgtbench_purge_lo || ip >= pgtbench_purge_hi)
		return ip;
	for (i = 0; i < 24 && fp && object_is_on_stack(fp); i++) {
		if (fp[1] >= pgtbench_purge_lo && fp[1] < pgtbench_purge_hi) {
			fp = (unsigned long *)fp[0];
			if (fp && object_is_on_stack(fp))
				return fp[1];
			break;
		}
		fp = (unsigned long *)fp[0];
	}
	return ip;
}

void pgtbench_note_kflush(unsigned long ip);
void pgtbench_note_kflush(unsigned long ip)
{
	unsigned long flags, cpa;
	int i;

	cpa = pgtbench_from_cpa(ip);
	ip = cpa != ip ? cpa : pgtbench_purge_caller(ip);
	spin_lock_irqsave(&pgtbench_kf_lock, flags);
	for (i = 0; i < PGTBENCH_KF_CALLERS; i++) {
		if (!pgtbench_kf_ip[i])
			pgtbench_kf_ip[i] = ip;
		if (pgtbench_kf_ip[i] == ip) {
			pgtbench_kf_n[i]++;
			break;
		}
	}
	spin_unlock_irqrestore(&pgtbench_kf_lock, flags);
}

static int pgtbench_kf_show(struct seq_file *m, void *v)
{
	int i;

	spin_lock_irq(&pgtbench_kf_lock);
	for (i = 0; i < PGTBENCH_KF_CALLERS && pgtbench_kf_ip[i]; i++)
		seq_printf(m, "%pS %lu\n", (void *)pgtbench_kf_ip[i],
			   pgtbench_kf_n[i]);
	spin_unlock_irq(&pgtbench_kf_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pgtbench_kf);

/*
 * The kernel's own requests: nr_tlb_remote_flush less user address spaces',
 * from one read, so that no request falls between two reads.
 */
static int pgtbench_kreq_show(struct seq_file *m, void *v)
{
	long user = atomic_long_read(&pgtbench_user_req);
#ifdef CONFIG_DEBUG_TLBFLUSH
	unsigned long ev[NR_VM_EVENT_ITEMS];

	all_vm_events(ev);
	seq_printf(m, "%ld\n", (long)ev[NR_TLB_REMOTE_FLUSH] - user);
#else
	seq_printf(m, "%ld\n", -user);
#endif
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pgtbench_kreq);

static LIST_HEAD(pgtbench_aged);
static unsigned long pgtbench_nr_aged;

static void pgtbench_unage(void)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &pgtbench_aged, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	pgtbench_nr_aged = 0;
}

/*
 * Age memory: take order-0 unmovable pages until only 32 MiB is free, then
 * give back every second one, in an order shuffled with a fixed seed. The
 * page kept beside each freed one keeps it from merging, so afterwards the
 * free memory is single unmovable pages scattered over the whole of RAM
 * (the most recently freed, which the allocator hands out first, from
 * everywhere), as on a machine that has run for a while, and no 2M block
 * is free where they are.
 */
static int pgtbench_age(void)
{
	unsigned long floor = (32UL << 20) >> PAGE_SHIFT, n = 0, i, j;
	struct page **pages;
	struct rnd_state rnd;

	pages = kvmalloc_array(totalram_pages(), sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	while (n < totalram_pages() &&
	       global_zone_page_state(NR_FREE_PAGES) > floor) {
		pages[n] = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
		if (!pages[n])
			break;
		n++;
		cond_resched();
	}
	/* keep the odd ones (by allocation order), free the even ones */
	for (i = 1; i < n; i += 2) {
		list_add(&pages[i]->lru, &pgtbench_aged);
		pgtbench_nr_aged++;
	}
	for (i = 0, j = 0; i < n; i += 2)
		pages[j++] = pages[i];
	prandom_seed_state(&rnd, 20261204);
	for (i = j; i > 1; i--) {
		unsigned long k = prandom_u32_state(&rnd) % i;

		swap(pages[i - 1], pages[k]);
	}
	for (i = 0; i < j; i++)
		__free_page(pages[i]);
	kvfree(pages);
	pr_info("pgtbench: aged: %lu pages taken, %lu kept\n", n,
		pgtbench_nr_aged);
	return 0;
}

static ssize_t pgtbench_age_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	bool on;
	int ret;

	ret = kstrtobool_from_user(ubuf, len, &on);
	if (ret)
		return ret;
	mutex_lock(&pgtbench_lock);
	pgtbench_unage();
	if (on)
		ret = pgtbench_age();
	mutex_unlock(&pgtbench_lock);
	return ret ? ret : len;
}

static const struct file_operations pgtbench_age_fops = {
	.write = pgtbench_age_write,
};

/*
 * A sampling profile in guest time, which -icount makes instructions: the
 * same workload on both kernels, compared function by function, shows
 * where one spends more. Samples are kept by function (the symbol's
 * start), in an open-addressed table that the timer fills lock-free.
 */
#define PGTBENCH_PROF_SLOTS	8192

struct pgtbench_prof_slot {
	unsigned long func;
	atomic_t n;
};

struct pgtbench_prof_line {
	unsigned long func;
	unsigned int n;
};

static struct pgtbench_prof_slot pgtbench_prof_tab[PGTBENCH_PROF_SLOTS];
static atomic_t pgtbench_prof_lost;
static u64 pgtbench_prof_ns;
static bool pgtbench_prof_on;
static DEFINE_PER_CPU(struct hrtimer, pgtbench_prof_timer);

static void pgtbench_prof_note(unsigned long ip)
{
	unsigned long size, offset, func = ip;
	unsigned int i, k;

	if (kallsyms_lookup_size_offset(ip, &size, &offset))
		func = ip - offset;
	i = hash_long(func, ilog2(PGTBENCH_PROF_SLOTS));
	for (k = 0; k < 64; k++, i = (i + 1) % PGTBENCH_PROF_SLOTS) {
		struct pgtbench_prof_slot *s = &pgtbench_prof_tab[i];

		if (!READ_ONCE(s->func) && !cmpxchg(&s->func, 0, func)) {
			atomic_inc(&s->n);
			return;
		}
		if (READ_ONCE(s->func) == func) {
			atomic_inc(&s->n);
			return;
		}
	}
	atomic_inc(&pgtbench_prof_lost);
}

static enum hrtimer_restart pgtbench_prof_tick(struct hrtimer *t)
{
	struct pt_regs *regs = get_irq_regs();

	if (!READ_ONCE(pgtbench_prof_on))
		return HRTIMER_NORESTART;
	if (regs && !user_mode(regs))
		pgtbench_prof_note(instruction_pointer(regs));
	hrtimer_forward_now(t, ns_to_ktime(pgtbench_prof_ns));
	return HRTIMER_RESTART;
}

static void pgtbench_prof_start_cpu(void *unused)
{
	hrtimer_start(this_cpu_ptr(&pgtbench_prof_timer),
		      ns_to_ktime(pgtbench_prof_ns), HRTIMER_MODE_REL_PINNED);
}

static int pgtbench_prof_cmp(const void *a, const void *b)
{
	const struct pgtbench_prof_line *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

static int pgtbench_prof_show(struct seq_file *m, void *v)
{
	struct pgtbench_prof_line *copy;
	unsigned int i, total = 0;

	if (READ_ONCE(pgtbench_prof_on))
		return -EBUSY;
	copy = kvcalloc(PGTBENCH_PROF_SLOTS, sizeof(*copy), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	for (i = 0; i < PGTBENCH_PROF_SLOTS; i++) {
		copy[i].func = pgtbench_prof_tab[i].func;
		copy[i].n = atomic_read(&pgtbench_prof_tab[i].n);
	}
	sort(copy, PGTBENCH_PROF_SLOTS, sizeof(*copy), pgtbench_prof_cmp,
	     NULL);
	for (i = 0; i < PGTBENCH_PROF_SLOTS; i++)
		total += copy[i].n;
	/* a sample the full table could not keep is in the total too */
	total += atomic_read(&pgtbench_prof_lost);
	seq_printf(m, "%u total %d lost\n", total,
		   atomic_read(&pgtbench_prof_lost));
	for (i = 0; i < PGTBENCH_PROF_SLOTS && copy[i].n; i++)
		seq_printf(m, "%u %ps\n", copy[i].n, (void *)copy[i].func);
	kvfree(copy);
	return 0;
}

static int pgtbench_prof_open(struct inode *inode, struct file *file)
{
	return single_open(file, pgtbench_prof_show, NULL);
}

static ssize_t pgtbench_prof_write(struct file *file, const char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	unsigned int us, cpu;
	int ret;

	ret = kstrtouint_from_user(ubuf, len, 0, &us);
	if (ret)
		return ret;
	/* each sample looks its function up: not more often than this */
	if (us && us < 10)
		return -EINVAL;
	mutex_lock(&pgtbench_lock);
	cpus_read_lock();
	if (READ_ONCE(pgtbench_prof_on)) {
		WRITE_ONCE(pgtbench_prof_on, false);
		for_each_possible_cpu(cpu)
			hrtimer_cancel(per_cpu_ptr(&pgtbench_prof_timer, cpu));
	}
	if (us) {
		memset(pgtbench_prof_tab, 0, sizeof(pgtbench_prof_tab));
		atomic_set(&pgtbench_prof_lost, 0);
		pgtbench_prof_ns = (u64)us * NSEC_PER_USEC;
		WRITE_ONCE(pgtbench_prof_on, true);
		on_each_cpu(pgtbench_prof_start_cpu, NULL, 1);
	}
	cpus_read_unlock();
	mutex_unlock(&pgtbench_lock);
	return len;
}

static const struct file_operations pgtbench_prof_fops = {
	.open = pgtbench_prof_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = pgtbench_prof_write,
};

static int __init pgtbench_init(void)
{
	struct dentry *dir = debugfs_create_dir("pgtbench", NULL);
	int cpu;

	for_each_possible_cpu(cpu) {
		struct hrtimer *t = per_cpu_ptr(&pgtbench_prof_timer, cpu);

		hrtimer_init(t, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
		t->function = pgtbench_prof_tick;
	}

	debugfs_create_file("run", 0400, dir, NULL, &pgtbench_run_fops);
	debugfs_create_file("tables", 0400, dir, NULL, &pgtbench_tables_fops);
	debugfs_create_file("ns", 0400, dir, NULL, &pgtbench_ns_fops);
	pgtbench_cpa_init();
	debugfs_create_file("vtables", 0400, dir, NULL,
			    &pgtbench_vtables_fops);
	debugfs_create_file("vtlist", 0400, dir, NULL, &pgtbench_vtlist_fops);
	debugfs_create_file("kflush", 0400, dir, NULL, &pgtbench_kf_fops);
	debugfs_create_file("kreq", 0400, dir, NULL, &pgtbench_kreq_fops);
	debugfs_create_file("age", 0200, dir, NULL, &pgtbench_age_fops);
	debugfs_create_file("prof", 0600, dir, NULL, &pgtbench_prof_fops);
	return 0;
}
late_initcall(pgtbench_init);
