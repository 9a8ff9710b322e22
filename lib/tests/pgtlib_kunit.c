// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pgtlib, the library for editing kernel page tables.
 *
 * pgtlib_private: every operation at every level of a private space (one
 *	that no CPU ever loads, so any physical address may be mapped), a
 *	seeded random sequence checked against a reference model, injected
 *	allocation failures, the no-allocation mode and accounting.
 * pgtlib_kernel: live mappings in the kernel's own page table, inside a
 *	vmalloc area of the test's own, checked by accessing them.
 * pgtlib_errors: a table of bad arguments and the errors they give, each
 *	checked to change nothing.
 *
 * Every result is read back through pgtlib_query(), pgtlib_walk() and the
 * raw entries pgtlib's cursor finds; the raw entries are also checked
 * against what the kernel's own pfn_pte() makes and against the bits the
 * architecture manuals define, and live mappings are checked by accessing
 * them, from this CPU and from another one.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/prandom.h>
/* @stage pageattr */
#include <linux/mmu_context.h>
#include <linux/set_memory.h>
/* @stage end */
/* @stage cpa-split */
#ifdef CONFIG_X86
#include <asm/memtype.h>
#endif
/* @stage end */
/* @stage cpa-collapse */
#include <linux/delay.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
/* @stage end */
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/sections.h>
#include <linux/pgalloc.h>

#include "../../mm/pgtlib/internal.h"

#define PT_RO		PGTLIB_PROT_READ
#define PT_RW		(PGTLIB_PROT_READ | PGTLIB_PROT_WRITE)
#define PT_RX		(PGTLIB_PROT_READ | PGTLIB_PROT_EXEC)
#define PT_CACHE	(PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC)

/* Output addresses of private spaces: never accessed, 1G aligned. */
#define PT_PHYS		((phys_addr_t)SZ_1G)

/* A private space covers two top-level entries from here. */
static unsigned long pt_base(void)
{
	return round_up(PAGE_OFFSET, PGDIR_SIZE);
}

static unsigned long pt_end(void)
{
	return pt_base() + 2 * PGDIR_SIZE;
}

KUNIT_DEFINE_ACTION_WRAPPER(pt_destroy_action, pgtlib_space_destroy,
			    struct pgtlib_space *);

static struct pgtlib_space *pt_new_space(struct kunit *test,
					 unsigned int flags)
{
	struct pgtlib_space *s;

	s = pgtlib_space_create(pt_base(), pt_end(), flags, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pt_destroy_action,
							s), 0);
	return s;
}

/* Destroy @s now rather than at the end of the test. */
static void pt_destroy(struct kunit *test, struct pgtlib_space *s)
{
	kunit_release_action(test, pt_destroy_action, s);
}

/*
 * NR_PAGETABLE, exactly: the nodes' counters and every CPU's pending
 * difference, as the kernel's own vmstat keeps them (not pgtlib's count).
 */
static long pt_nr_pagetable(void)
{
	struct pglist_data *pgdat;
	long n = 0;
	int cpu;

	for_each_online_pgdat(pgdat) {
		n += atomic_long_read(&pgdat->vm_stat[NR_PAGETABLE]);
		for_each_possible_cpu(cpu)
			n += per_cpu_ptr(pgdat->per_cpu_nodestats,
					 cpu)->vm_node_stat_diff[NR_PAGETABLE];
	}
	return n;
}

struct pt_leak {
	struct kunit *test;
	long nr_pagetable;
};

/* Runs last, after the case's spaces are destroyed. */
static void pt_leak_check(void *arg)
{
	struct pt_leak *l = arg;

	pgtlib_tables_drain();
	KUNIT_EXPECT_EQ_MSG(l->test, pt_nr_pagetable(), l->nr_pagetable,
			    "NR_PAGETABLE is not back where the case began");
}

/*
 * Every case of a private space ends with NR_PAGETABLE back where it
 * began: each table page pgtlib typed and counted was uncounted again.
 * The kernel space keeps its tables, so its suite cannot check this.
 */
static int pt_leak_init(struct kunit *test)
{
	struct pt_leak *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);

	if (!l)
		return -ENOMEM;
	l->test = test;
	pgtlib_tables_drain();
	l->nr_pagetable = pt_nr_pagetable();
	/* Registered first, so it runs after every other cleanup. */
	return kunit_add_action_or_reset(test, pt_leak_check, l);
}

/* Table pages pgtlib holds, in page tables and as spares. */
static long pt_global_tables(void)
{
	struct pgtlib_stats st;

	pgtlib_global_stats(&st);
	return st.tables_allocated - st.tables_freed;
}

/* One operation in a transaction of its own; @st gets its stats. */
static int pt_end_txn(struct pgtlib_txn *txn, int ret,
		      struct pgtlib_stats *st)
{
	if (ret)
		pgtlib_txn_abort(txn);
	else
		pgtlib_txn_commit(txn);
	if (st)
		*st = txn->stats;
	return ret;
}

static int pt_map(struct pgtlib_space *s, unsigned long va, phys_addr_t phys,
		  unsigned long size, unsigned int prot, unsigned int flags,
		  struct pgtlib_stats *st)
{
	struct pgtlib_txn txn;

	pgtlib_txn_begin(&txn, s, 0);
	return pt_end_txn(&txn, pgtlib_map(&txn, va, phys, size, prot, flags),
			  st);
}

static int pt_unmap(struct pgtlib_space *s, unsigned long va,
		    unsigned long size, struct pgtlib_stats *st)
{
	struct pgtlib_txn txn;

	pgtlib_txn_begin(&txn, s, 0);
	return pt_end_txn(&txn, pgtlib_unmap(&txn, va, size), st);
}
/* @stage kunit-protect */

static int pt_protect(struct pgtlib_space *s, unsigned long va,
		      unsigned long size, unsigned int set, unsigned int clear,
		      struct pgtlib_stats *st)
{
	struct pgtlib_txn txn;

	pgtlib_txn_begin(&txn, s, 0);
	return pt_end_txn(&txn, pgtlib_protect(&txn, va, size, set, clear), st);
}

static int pt_collapse(struct pgtlib_space *s, unsigned long va,
		       unsigned long size, struct pgtlib_stats *st)
{
	struct pgtlib_txn txn;

	pgtlib_txn_begin(&txn, s, 0);
	return pt_end_txn(&txn, pgtlib_collapse(&txn, va, size), st);
}
/* @stage split-op */

static int pt_split(struct pgtlib_space *s, unsigned long va,
		    unsigned long size, struct pgtlib_stats *st)
{
	struct pgtlib_txn txn;

	pgtlib_txn_begin(&txn, s, 0);
	return pt_end_txn(&txn, pgtlib_split(&txn, va, size), st);
}
/* @stage end */
/* @stage end */

/*
 * The entry that translates @va in @s: its level and raw value (a leaf, or
 * a hole), and where it lives. The descent is pgtlib's cursor; what it
 * finds is checked against the kernel's own helpers and raw bits by the
 * callers.
 */
static unsigned int pt_raw(struct pgtlib_space *s, unsigned long va,
			   unsigned long *valp, void **epp)
{
	struct pgtlib_cursor c;

	for (pgtlib_cursor_top(&c, s, va); c.kind == PGTLIB_TABLE;
	     pgtlib_cursor_down(&c))
		;
	*valp = c.val;
	if (epp)
		*epp = c.ep;
	return c.level;
}

/* The table page that the entry at @want for @va points to, or NULL. */
static struct page *pt_table_page(struct pgtlib_space *s, unsigned long va,
				  unsigned int want)
{
	struct pgtlib_cursor c;

	for (pgtlib_cursor_top(&c, s, va); c.kind == PGTLIB_TABLE;
	     pgtlib_cursor_down(&c))
		if (c.level == want)
			return virt_to_page(pgtlib_entry_below(c.level, c.ep,
							       c.val, va));
	return NULL;
}

/* Tables that mapping one page installs below an empty entry at @level. */
static unsigned long pt_path_tables(unsigned int level)
{
	unsigned long n = 0;

	for (; level > PGTLIB_LEVEL_PTE; level--)
		if (!pgtlib_level_folded(level))
			n++;
	return n;
}

/* The level of a top-level hole of a fresh space, as the walker sees it. */
static unsigned int pt_top_hole_level(struct pgtlib_space *s)
{
	unsigned long val;

	return pt_raw(s, pt_base(), &val, NULL);
}

/* The level a 1G aligned map ends up at. */
static unsigned int pt_1g_level(void)
{
	return pgtlib_level_has_leaf(PGTLIB_LEVEL_PUD) ? PGTLIB_LEVEL_PUD :
							 PGTLIB_LEVEL_PMD;
}

#define PT_EXPECT_LEAF(test, s, va, phys, prot, level) \
	pt_expect_leaf(test, s, va, phys, prot, level, __LINE__)
#define PT_EXPECT_HOLE(test, s, va) pt_expect_hole(test, s, va, __LINE__)

static void pt_expect_leaf(struct kunit *test, struct pgtlib_space *s,
			   unsigned long va, phys_addr_t phys,
			   unsigned int prot, unsigned int level, int line)
{
	unsigned long size = pgtlib_level_size(level), val;
	struct pgtlib_leaf l;
	unsigned int raw;
	int ret;

	ret = pgtlib_query(s, va, &l);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "line %d va %#lx", line, va);
	if (ret)
		return;
	KUNIT_EXPECT_TRUE_MSG(test, l.present, "line %d", line);
	KUNIT_EXPECT_EQ_MSG(test, l.level, level, "line %d va %#lx", line, va);
	KUNIT_EXPECT_EQ_MSG(test, l.size, size, "line %d", line);
	KUNIT_EXPECT_EQ_MSG(test, l.va, va & ~(size - 1), "line %d", line);
	KUNIT_EXPECT_EQ_MSG(test, (u64)l.phys, (u64)phys, "line %d va %#lx",
			    line, va);
	KUNIT_EXPECT_EQ_MSG(test, l.prot, prot, "line %d va %#lx", line, va);

	/* The raw entry says the same. */
	raw = pt_raw(s, va, &val, NULL);
	KUNIT_EXPECT_EQ_MSG(test, raw, level, "line %d raw level", line);
	if (raw != level)
		return;
	KUNIT_EXPECT_TRUE_MSG(test, pgtlib_entry_leaf(level, val),
			      "line %d raw leaf", line);
	KUNIT_EXPECT_EQ_MSG(test,
			    (u64)(PFN_PHYS(pgtlib_entry_pfn(level, val)) +
				  (va & (size - 1) & PAGE_MASK)),
			    (u64)(phys & PAGE_MASK), "line %d raw pfn", line);
	KUNIT_EXPECT_EQ_MSG(test,
			    pgtlib_arch_prot_decode(pgtlib_arch_leaf_prot(level,
									  val)),
			    prot, "line %d raw prot", line);
}

static void pt_expect_hole(struct kunit *test, struct pgtlib_space *s,
			   unsigned long va, int line)
{
	struct pgtlib_leaf l;
	unsigned long val;
	unsigned int raw;

	KUNIT_EXPECT_EQ_MSG(test, pgtlib_query(s, va, &l), -ENOENT,
			    "line %d va %#lx", line, va);
	KUNIT_EXPECT_FALSE_MSG(test, l.present, "line %d", line);
	raw = pt_raw(s, va, &val, NULL);
	KUNIT_EXPECT_TRUE_MSG(test, pgtlib_entry_none(raw, val),
			      "line %d raw hole", line);
}

/* pgtlib_walk() into an array. */
#define PT_WALK_MAX	1100

struct pt_walk {
	unsigned int n;
	bool overflow;
	struct pgtlib_leaf v[PT_WALK_MAX];
};

static int pt_walk_fn(const struct pgtlib_leaf *leaf, void *arg)
{
	struct pt_walk *w = arg;

	if (w->n == PT_WALK_MAX) {
		w->overflow = true;
		return -ENOSPC;
	}
	w->v[w->n++] = *leaf;
	return 0;
}

static struct pt_walk *pt_walk(struct kunit *test, struct pgtlib_space *s,
			       unsigned long start, unsigned long end)
{
	struct pt_walk *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_EXPECT_EQ(test, pgtlib_walk(s, start, end, pt_walk_fn, w), 0);
	KUNIT_EXPECT_FALSE(test, w->overflow);
	return w;
}
/* @stage kunit-reserve */

/* Two walks found the same leaves and holes. */
static void pt_expect_same_walk(struct kunit *test, const struct pt_walk *a,
				const struct pt_walk *b)
{
	unsigned int i;

	KUNIT_ASSERT_EQ(test, a->n, b->n);
	for (i = 0; i < a->n; i++) {
		const struct pgtlib_leaf *x = &a->v[i], *y = &b->v[i];

		KUNIT_EXPECT_EQ_MSG(test, x->va, y->va, "entry %u", i);
		KUNIT_EXPECT_EQ_MSG(test, x->size, y->size, "entry %u", i);
		KUNIT_EXPECT_EQ_MSG(test, x->level, y->level, "entry %u", i);
		KUNIT_EXPECT_EQ_MSG(test, x->present, y->present, "entry %u", i);
		if (!x->present || !y->present)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, (u64)x->phys, (u64)y->phys,
				    "entry %u", i);
		KUNIT_EXPECT_EQ_MSG(test, x->prot, y->prot, "entry %u", i);
	}
}
/* @stage end */

/* ---- pgtlib_private: every operation at every level ---- */

static void pgtlib_test_map_pte(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_2M + 5 * PAGE_SIZE;
	unsigned int top = pt_top_hole_level(s);
	struct pgtlib_stats st;
	struct page *pte_table;

	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), 0);
	PT_EXPECT_HOLE(test, s, va);
	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS + 3 * PAGE_SIZE, PAGE_SIZE,
				     PT_RW, 0, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, 1);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	KUNIT_EXPECT_EQ(test, st.tables_allocated, pt_path_tables(top));
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), pt_path_tables(top));
	PT_EXPECT_LEAF(test, s, va, PT_PHYS + 3 * PAGE_SIZE, PT_RW,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_HOLE(test, s, va - PAGE_SIZE);
	PT_EXPECT_HOLE(test, s, va + PAGE_SIZE);

	/* query gives the output address of the byte asked about */
	{
		struct pgtlib_leaf l;

		KUNIT_EXPECT_EQ(test, pgtlib_query(s, va + 0x123, &l), 0);
		KUNIT_EXPECT_EQ(test, (u64)l.phys,
				(u64)(PT_PHYS + 3 * PAGE_SIZE + 0x123));
	}

	/* every table is a pgtlib page table */
	pte_table = pt_table_page(s, va, PGTLIB_LEVEL_PMD);
	KUNIT_ASSERT_NOT_NULL(test, pte_table);
	KUNIT_EXPECT_TRUE(test, folio_test_pgtable(page_folio(pte_table)));
	KUNIT_EXPECT_EQ(test, pte_table->index, PGTLIB_TABLE_MAGIC);
	KUNIT_EXPECT_TRUE(test, pgtlib_table_is_ours(page_address(pte_table)));

	KUNIT_EXPECT_EQ(test, pt_unmap(s, va, PAGE_SIZE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, 1);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	PT_EXPECT_HOLE(test, s, va);
	/* a range that does not cover a table leaves it */
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), pt_path_tables(top));
}

static void pgtlib_test_map_pmd(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + 3 * SZ_2M;
	unsigned int top = pt_top_hole_level(s);
	struct pgtlib_stats st;
	struct pt_walk *w;

	KUNIT_ASSERT_TRUE(test, pgtlib_level_has_leaf(PGTLIB_LEVEL_PMD));
	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS + SZ_2M, SZ_2M, PT_RO, 0,
				     &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, PTRS_PER_PTE);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	/* no PTE table under a PMD leaf */
	KUNIT_EXPECT_EQ(test, st.tables_allocated, pt_path_tables(top) - 1);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), pt_path_tables(top) - 1);
	PT_EXPECT_LEAF(test, s, va, PT_PHYS + SZ_2M, PT_RO, PGTLIB_LEVEL_PMD);
	PT_EXPECT_LEAF(test, s, va + SZ_2M - PAGE_SIZE,
		       PT_PHYS + 2 * SZ_2M - PAGE_SIZE, PT_RO, PGTLIB_LEVEL_PMD);
	PT_EXPECT_HOLE(test, s, va - PAGE_SIZE);
	PT_EXPECT_HOLE(test, s, va + SZ_2M);

	/* the walk reports the leaf once and the holes beside it */
	w = pt_walk(test, s, va - SZ_2M, va + 2 * SZ_2M);
	KUNIT_ASSERT_EQ(test, w->n, 3);
	KUNIT_EXPECT_FALSE(test, w->v[0].present);
	KUNIT_EXPECT_EQ(test, w->v[0].level, PGTLIB_LEVEL_PMD);
	KUNIT_EXPECT_EQ(test, w->v[0].va, va - SZ_2M);
	KUNIT_EXPECT_TRUE(test, w->v[1].present);
	KUNIT_EXPECT_EQ(test, w->v[1].va, va);
	KUNIT_EXPECT_EQ(test, w->v[1].size, SZ_2M);
	KUNIT_EXPECT_EQ(test, w->v[1].level, PGTLIB_LEVEL_PMD);
	KUNIT_EXPECT_EQ(test, (u64)w->v[1].phys, (u64)(PT_PHYS + SZ_2M));
	KUNIT_EXPECT_EQ(test, w->v[1].prot, PT_RO);
	KUNIT_EXPECT_FALSE(test, w->v[2].present);
	KUNIT_EXPECT_EQ(test, w->v[2].va, va + SZ_2M);

	KUNIT_EXPECT_EQ(test, pt_unmap(s, va, SZ_2M, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, PTRS_PER_PTE);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	PT_EXPECT_HOLE(test, s, va);
}

static void pgtlib_test_map_pud(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G;
	unsigned int top = pt_top_hole_level(s), level = pt_1g_level();
	struct pgtlib_stats st;
	struct pt_walk *w;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_1G, PT_RX, 0, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, SZ_1G >> PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s),
			pt_path_tables(top) - level);
	PT_EXPECT_LEAF(test, s, va, PT_PHYS, PT_RX, level);
	PT_EXPECT_LEAF(test, s, va + SZ_512M + 7 * PAGE_SIZE,
		       PT_PHYS + SZ_512M + 7 * PAGE_SIZE, PT_RX, level);
	PT_EXPECT_LEAF(test, s, va + SZ_1G - PAGE_SIZE,
		       PT_PHYS + SZ_1G - PAGE_SIZE, PT_RX, level);
	PT_EXPECT_HOLE(test, s, va - PAGE_SIZE);
	PT_EXPECT_HOLE(test, s, va + SZ_1G);

	w = pt_walk(test, s, va, va + SZ_1G);
	KUNIT_EXPECT_EQ(test, w->n, SZ_1G / pgtlib_level_size(level));
	KUNIT_EXPECT_EQ(test, w->v[0].level, level);

	/* a walk that starts inside the leaf sees it clipped */
	w = pt_walk(test, s, va + 3 * PAGE_SIZE, va + 10 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, w->n, 1);
	KUNIT_EXPECT_EQ(test, w->v[0].va, va + 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, w->v[0].size, 7 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, w->v[0].level, level);
	KUNIT_EXPECT_EQ(test, (u64)w->v[0].phys, (u64)(PT_PHYS + 3 * PAGE_SIZE));

	KUNIT_EXPECT_EQ(test, pt_unmap(s, va, SZ_1G, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, SZ_1G >> PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	PT_EXPECT_HOLE(test, s, va + SZ_512M);

	/* No leaf above a PMD (vmalloc's max_page_shift): 2M leaves. */
	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_1G, PT_RX,
				     PGTLIB_MAP_MAX_PMD, NULL), 0);
	level = min_t(unsigned int, level, PGTLIB_LEVEL_PMD);
	PT_EXPECT_LEAF(test, s, va, PT_PHYS, PT_RX, level);
	PT_EXPECT_LEAF(test, s, va + SZ_512M + 7 * PAGE_SIZE,
		       PT_PHYS + SZ_512M + 7 * PAGE_SIZE, PT_RX, level);
	w = pt_walk(test, s, va, va + SZ_1G);
	KUNIT_EXPECT_EQ(test, w->n, SZ_1G / pgtlib_level_size(level));
	KUNIT_EXPECT_EQ(test, pt_unmap(s, va, SZ_1G, NULL), 0);
	PT_EXPECT_HOLE(test, s, va);
}

/* Top-level holes are reported once each; nothing is allocated to walk. */
static void pgtlib_test_walk_holes(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned int top = pt_top_hole_level(s), i;
	unsigned long next = pt_base();
	struct pgtlib_leaf l;
	struct pt_walk *w;

	w = pt_walk(test, s, pt_base(), pt_end());
	KUNIT_ASSERT_GE(test, w->n, 2);
	for (i = 0; i < w->n; i++) {
		KUNIT_EXPECT_FALSE(test, w->v[i].present);
		KUNIT_EXPECT_EQ(test, w->v[i].level, top);
		KUNIT_EXPECT_EQ(test, w->v[i].va, next);
		KUNIT_EXPECT_EQ(test, w->v[i].size, pgtlib_level_size(top));
		next += w->v[i].size;
	}
	KUNIT_EXPECT_EQ(test, next, pt_end());
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), 0);

	/* a query of a hole describes the whole hole */
	KUNIT_EXPECT_EQ(test, pgtlib_query(s, pt_base() + SZ_1G + 5, &l),
			-ENOENT);
	KUNIT_EXPECT_FALSE(test, l.present);
	KUNIT_EXPECT_EQ(test, l.level, top);
	KUNIT_EXPECT_EQ(test, l.va, pt_base());
	KUNIT_EXPECT_EQ(test, l.size, pgtlib_level_size(top));
}

static int pt_stop_fn(const struct pgtlib_leaf *leaf, void *arg)
{
	unsigned int *calls = arg;

	return ++*calls == 3 ? 42 : 0;
}

/* Mixed leaf sizes, the walk's order, and its early stop. */
static void pgtlib_test_map_mixed(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_2M - 2 * PAGE_SIZE;
	phys_addr_t phys = PT_PHYS + SZ_2M - 2 * PAGE_SIZE;
	unsigned long size = SZ_2M + 4 * PAGE_SIZE;
	static const unsigned int levels[] = { 0, 0, 1, 0, 0 };
	struct pgtlib_stats st;
	unsigned int i, calls = 0;
	struct pt_walk *w;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, phys, size, PT_RW, 0, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, size >> PAGE_SHIFT);
	w = pt_walk(test, s, va, va + size);
	KUNIT_ASSERT_EQ(test, w->n, ARRAY_SIZE(levels));
	for (i = 0; i < w->n; i++) {
		KUNIT_EXPECT_TRUE(test, w->v[i].present);
		KUNIT_EXPECT_EQ_MSG(test, w->v[i].level, levels[i], "entry %u", i);
		KUNIT_EXPECT_EQ(test, (u64)w->v[i].phys,
				(u64)(phys + (w->v[i].va - va)));
		KUNIT_EXPECT_EQ(test, w->v[i].prot, PT_RW);
	}
	KUNIT_EXPECT_EQ(test, pgtlib_walk(s, va, va + size, pt_stop_fn, &calls),
			42);
	KUNIT_EXPECT_EQ(test, calls, 3);

	/* misaligned output addresses get base pages only */
	KUNIT_ASSERT_EQ(test, pt_map(s, pt_base() + SZ_1G, PT_PHYS + PAGE_SIZE,
				     SZ_2M, PT_RW, 0, NULL), 0);
	w = pt_walk(test, s, pt_base() + SZ_1G, pt_base() + SZ_1G + SZ_2M);
	KUNIT_EXPECT_EQ(test, w->n, PTRS_PER_PTE);
	KUNIT_EXPECT_EQ(test, w->v[0].level, PGTLIB_LEVEL_PTE);
}

static void pgtlib_test_map_base_pages(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G;
	unsigned int top = pt_top_hole_level(s), i;
	struct pgtlib_stats st;
	struct pt_walk *w;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_2M, PT_RW,
				     PGTLIB_MAP_BASE_PAGES, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, PTRS_PER_PTE);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), pt_path_tables(top));
	w = pt_walk(test, s, va, va + SZ_2M);
	KUNIT_ASSERT_EQ(test, w->n, PTRS_PER_PTE);
	for (i = 0; i < w->n; i++) {
		KUNIT_EXPECT_EQ(test, w->v[i].level, PGTLIB_LEVEL_PTE);
		KUNIT_EXPECT_EQ(test, (u64)w->v[i].phys,
				(u64)(PT_PHYS + i * PAGE_SIZE));
	}
	/* unmapping the whole PMD range frees the PTE table */
	KUNIT_EXPECT_EQ(test, pt_unmap(s, va, SZ_2M, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, PTRS_PER_PTE);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s),
			pt_path_tables(top) - 1);
	KUNIT_EXPECT_NULL(test, pt_table_page(s, va, PGTLIB_LEVEL_PMD));
}

/* Tables at every level: a map across a top-level boundary, then none. */
static void pgtlib_test_map_cross_top(struct kunit *test)
{
	long global = pt_global_tables();
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + PGDIR_SIZE - SZ_2M;
	unsigned int top = pt_top_hole_level(s);
	struct pgtlib_stats st;
	struct pt_walk *w;

	KUNIT_ASSERT_EQ(test, pt_map(s, va - PAGE_SIZE, PT_PHYS - PAGE_SIZE,
				     2 * SZ_2M + 2 * PAGE_SIZE, PT_RW, 0, &st),
			0);
	/* a full path of tables on each side of the boundary */
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s),
			2 * pt_path_tables(top));
	w = pt_walk(test, s, va - PAGE_SIZE, va + 2 * SZ_2M + PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, w->n, 4);
	KUNIT_EXPECT_EQ(test, w->v[0].level, PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, w->v[1].level, PGTLIB_LEVEL_PMD);
	KUNIT_EXPECT_EQ(test, w->v[2].level, PGTLIB_LEVEL_PMD);
	KUNIT_EXPECT_EQ(test, w->v[3].level, PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, pt_base() + PGDIR_SIZE, PT_PHYS + SZ_2M, PT_RW,
		       PGTLIB_LEVEL_PMD);
	PT_EXPECT_LEAF(test, s, va - PAGE_SIZE, PT_PHYS - PAGE_SIZE, PT_RW,
		       PGTLIB_LEVEL_PTE);

	/* unmapping everything frees every table, up to the top level */
	KUNIT_EXPECT_EQ(test, pt_unmap(s, pt_base(), pt_end() - pt_base(), &st),
			0);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, 2 * PTRS_PER_PTE + 2);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), 0);
	w = pt_walk(test, s, pt_base(), pt_end());
	KUNIT_EXPECT_EQ(test, w->n, (pt_end() - pt_base()) /
			pgtlib_level_size(top));

	/* freed tables were spares at most; destroy gives them all back */
	pt_destroy(test, s);
	KUNIT_EXPECT_EQ(test, pt_global_tables(), global);
}
/* @stage kunit-replace */

static void pgtlib_test_unmap_split(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G, page = va + SZ_1M;
	struct pgtlib_stats st;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_2M, PT_RW, 0, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_unmap(s, page, PAGE_SIZE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 1);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, 1);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	PT_EXPECT_HOLE(test, s, page);
	PT_EXPECT_LEAF(test, s, page - PAGE_SIZE, PT_PHYS + SZ_1M - PAGE_SIZE,
		       PT_RW, PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, page + PAGE_SIZE, PT_PHYS + SZ_1M + PAGE_SIZE,
		       PT_RW, PGTLIB_LEVEL_PTE);

	/* unmapping holes is not an error */
	KUNIT_EXPECT_EQ(test, pt_unmap(s, page, PAGE_SIZE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, 0);

	/* a 1G leaf cut at both ends by a range across two of them */
	if (pgtlib_level_has_leaf(PGTLIB_LEVEL_PUD)) {
		KUNIT_ASSERT_EQ(test, pt_map(s, va + SZ_1G, PT_PHYS, 2UL * SZ_1G,
					     PT_RW, 0, NULL), 0);
		KUNIT_ASSERT_EQ(test, pt_unmap(s, va + 2UL * SZ_1G - SZ_2M,
					       SZ_4M, &st), 0);
		KUNIT_EXPECT_EQ(test, st.leaves_split, 2);
		KUNIT_EXPECT_EQ(test, st.pages_unmapped, SZ_4M >> PAGE_SHIFT);
		PT_EXPECT_LEAF(test, s, va + 2UL * SZ_1G - SZ_4M,
			       PT_PHYS + SZ_1G - SZ_4M, PT_RW, PGTLIB_LEVEL_PMD);
		PT_EXPECT_HOLE(test, s, va + 2UL * SZ_1G);
		PT_EXPECT_LEAF(test, s, va + 2UL * SZ_1G + SZ_2M,
			       PT_PHYS + SZ_1G + SZ_2M, PT_RW, PGTLIB_LEVEL_PMD);
	} else {
		KUNIT_ASSERT_EQ(test, pt_map(s, va + SZ_1G, PT_PHYS, 2UL * SZ_1G,
					     PT_RW, 0, NULL), 0);
		KUNIT_ASSERT_EQ(test, pt_unmap(s, va + 2UL * SZ_1G - SZ_2M,
					       SZ_4M, &st), 0);
		KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
		PT_EXPECT_HOLE(test, s, va + 2UL * SZ_1G);
	}
}

KUNIT_DEFINE_ACTION_WRAPPER(pt_free_page_action, __free_page, struct page *);

static struct page *pt_alloc_page(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							pt_free_page_action,
							page), 0);
	return page;
}

static void pgtlib_test_map_pages(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_2M - 2 * PAGE_SIZE;
	unsigned int top = pt_top_hole_level(s), i;
	struct page *pages[5], *swap[2];
	struct pgtlib_txn txn;

	for (i = 0; i < 4; i++)
		pages[i] = pt_alloc_page(test);
	pages[4] = pages[0];

	/* across a PMD boundary, one PTE per page */
	pgtlib_txn_begin(&txn, s, 0);
	KUNIT_ASSERT_EQ(test, pgtlib_map_pages(&txn, va, pages, 5, PT_RO, 0), 0);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_mapped, 5);
	KUNIT_EXPECT_EQ(test, txn.stats.flushes, 0);
	for (i = 0; i < 5; i++)
		PT_EXPECT_LEAF(test, s, va + i * PAGE_SIZE,
			       page_to_phys(pages[i]), PT_RO, PGTLIB_LEVEL_PTE);
	PT_EXPECT_HOLE(test, s, va + 5 * PAGE_SIZE);

	/* existing pages are replaced only when asked */
	swap[0] = pages[3];
	swap[1] = pages[2];
	pgtlib_txn_begin(&txn, s, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages(&txn, va + PAGE_SIZE, swap, 2,
					       PT_RW, 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages(&txn, va + PAGE_SIZE, swap, 2,
					       PT_RW, PGTLIB_MAP_REPLACE), 0);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_mapped, 2);
	PT_EXPECT_LEAF(test, s, va, page_to_phys(pages[0]), PT_RO,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + PAGE_SIZE, page_to_phys(pages[3]), PT_RW,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + 2 * PAGE_SIZE, page_to_phys(pages[2]),
		       PT_RW, PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + 3 * PAGE_SIZE, page_to_phys(pages[3]),
		       PT_RO, PGTLIB_LEVEL_PTE);

	/* pages never become a huge leaf, even when they could */
	KUNIT_EXPECT_EQ(test, pt_unmap(s, pt_base(), SZ_4M, NULL), 0);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), pt_path_tables(top) - 1);
}

/* PGTLIB_MAP_REPLACE splits what the range covers in part, and no more. */
static void pgtlib_test_map_replace(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G;
	unsigned int level = pt_1g_level();
	phys_addr_t other = 3 * PT_PHYS;
	struct pgtlib_stats st;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_1G, PT_RW, 0, NULL), 0);

	/* an aligned 2M range inside the 1G leaf becomes a 2M leaf */
	KUNIT_EXPECT_EQ(test, pt_map(s, va + SZ_2M, other, SZ_2M, PT_RO, 0,
				     &st), -EEXIST);
	KUNIT_ASSERT_EQ(test, pt_map(s, va + SZ_2M, other, SZ_2M, PT_RO,
				     PGTLIB_MAP_REPLACE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, level - 1);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, PTRS_PER_PTE);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	PT_EXPECT_LEAF(test, s, va + SZ_2M + SZ_1M, other + SZ_1M, PT_RO,
		       PGTLIB_LEVEL_PMD);
	PT_EXPECT_LEAF(test, s, va + SZ_1M, PT_PHYS + SZ_1M, PT_RW,
		       PGTLIB_LEVEL_PMD);
	PT_EXPECT_LEAF(test, s, va + SZ_4M, PT_PHYS + SZ_4M, PT_RW,
		       PGTLIB_LEVEL_PMD);

	/* 4K inside that 2M leaf */
	KUNIT_ASSERT_EQ(test, pt_map(s, va + SZ_2M + PAGE_SIZE, PT_PHYS,
				     PAGE_SIZE, PT_RX, PGTLIB_MAP_REPLACE, &st),
			0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 1);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, 1);
	PT_EXPECT_LEAF(test, s, va + SZ_2M + PAGE_SIZE, PT_PHYS, PT_RX,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + SZ_2M, other, PT_RO, PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + SZ_2M + 2 * PAGE_SIZE,
		       other + 2 * PAGE_SIZE, PT_RO, PGTLIB_LEVEL_PTE);

	/* replacing a table of PTEs maps the new range all through */
	KUNIT_ASSERT_EQ(test, pt_map(s, va + SZ_2M, PT_PHYS, SZ_2M, PT_RW,
				     PGTLIB_MAP_REPLACE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, PTRS_PER_PTE);
	for (i = 0; i < PTRS_PER_PTE; i += 73) {
		struct pgtlib_leaf l;

		KUNIT_EXPECT_EQ(test, pgtlib_query(s, va + SZ_2M + i * PAGE_SIZE,
						   &l), 0);
		KUNIT_EXPECT_EQ(test, (u64)l.phys, (u64)(PT_PHYS + i * PAGE_SIZE));
		KUNIT_EXPECT_EQ(test, l.prot, PT_RW);
	}
}
/* @stage end */
/* @stage kunit-protect */

/* Whole leaves at each level change protection in place. */
static void pgtlib_test_protect_levels(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long pte = pt_base() + PAGE_SIZE, pmd = pt_base() + SZ_2M;
	unsigned long pud = pt_base() + SZ_1G;
	unsigned int level = pt_1g_level();
	struct pgtlib_stats st;

	KUNIT_ASSERT_EQ(test, pt_map(s, pte, PT_PHYS, PAGE_SIZE, PT_RW, 0,
				     NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_map(s, pmd, PT_PHYS, SZ_2M, PT_RW, 0, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_map(s, pud, PT_PHYS, SZ_1G, PT_RW, 0, NULL), 0);

	KUNIT_EXPECT_EQ(test, pt_protect(s, pte, PAGE_SIZE, 0, PGTLIB_PROT_WRITE,
					 &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 1);
	PT_EXPECT_LEAF(test, s, pte, PT_PHYS, PT_RO, PGTLIB_LEVEL_PTE);

	KUNIT_EXPECT_EQ(test, pt_protect(s, pmd, SZ_2M, 0, PGTLIB_PROT_WRITE,
					 &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, PTRS_PER_PTE);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	PT_EXPECT_LEAF(test, s, pmd + SZ_1M, PT_PHYS + SZ_1M, PT_RO,
		       PGTLIB_LEVEL_PMD);

	KUNIT_EXPECT_EQ(test, pt_protect(s, pud, SZ_1G, PGTLIB_PROT_EXEC,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, SZ_1G >> PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	PT_EXPECT_LEAF(test, s, pud + SZ_256M, PT_PHYS + SZ_256M, PT_RX, level);

	/* back to RW; unchanged leaves are not counted */
	KUNIT_EXPECT_EQ(test, pt_protect(s, pud, SZ_1G, PGTLIB_PROT_WRITE,
					 PGTLIB_PROT_EXEC, &st), 0);
	PT_EXPECT_LEAF(test, s, pud, PT_PHYS, PT_RW, level);
	KUNIT_EXPECT_EQ(test, pt_protect(s, pud, SZ_1G, PGTLIB_PROT_WRITE,
					 PGTLIB_PROT_EXEC, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 0);

	/* holes in the range are skipped */
	KUNIT_EXPECT_EQ(test, pt_protect(s, pt_base(), 2UL * SZ_1G, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	/* only the 1G leaf was still writable */
	KUNIT_EXPECT_EQ(test, st.pages_protected, SZ_1G >> PAGE_SHIFT);
	PT_EXPECT_HOLE(test, s, pt_base());
	PT_EXPECT_LEAF(test, s, pud, PT_PHYS, PT_RO, level);
}

/*
 * Write permission as the architecture manuals define it, and whether a
 * read-only leaf may keep the dirty bit: not on x86, where Write=0 with
 * Dirty=1 encodes a shadow-stack page; arm64's PAGE_KERNEL_RO keeps its
 * software PTE_DIRTY.
 */
#ifdef CONFIG_X86
#define PT_RAW_WRITABLE(val)	(!!((val) & _PAGE_RW))
#define PT_RAW_RO_DIRTY(val)	(!!((val) & _PAGE_DIRTY))
#else
#define PT_RAW_WRITABLE(val)	(!((val) & PTE_RDONLY))
#define PT_RAW_RO_DIRTY(val)	((val) & 0)
#endif

/*
 * Protecting a leaf read-only gives what set_memory_ro() gives, and write
 * access back what the kernel's own pfn_pte() makes of PAGE_KERNEL.
 */
static void pgtlib_test_protect_ro_clean(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long pte = pt_base() + PAGE_SIZE, pmd = pt_base() + SZ_2M;
	unsigned long pfn = PHYS_PFN(PT_PHYS), val;

	KUNIT_ASSERT_EQ(test, pt_map(s, pte, PT_PHYS, PAGE_SIZE, PT_RW, 0,
				     NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_map(s, pmd, PT_PHYS, SZ_2M, PT_RW, 0, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_raw(s, pte, &val, NULL), PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, val, pte_val(pfn_pte(pfn, PAGE_KERNEL)));

	KUNIT_ASSERT_EQ(test, pt_protect(s, pte, PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_protect(s, pmd, SZ_2M, 0, PGTLIB_PROT_WRITE,
					 NULL), 0);
	pt_raw(s, pte, &val, NULL);
	KUNIT_EXPECT_EQ(test, val, pte_val(pfn_pte(pfn, PAGE_KERNEL_RO)));
	KUNIT_EXPECT_FALSE(test, PT_RAW_RO_DIRTY(val));
	KUNIT_ASSERT_EQ(test, pt_raw(s, pmd, &val, NULL), PGTLIB_LEVEL_PMD);
	KUNIT_EXPECT_FALSE(test, PT_RAW_WRITABLE(val));
	KUNIT_EXPECT_FALSE(test, PT_RAW_RO_DIRTY(val));

	KUNIT_ASSERT_EQ(test, pt_protect(s, pte, PAGE_SIZE, PGTLIB_PROT_WRITE,
					 PGTLIB_PROT_EXEC, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_protect(s, pmd, SZ_2M, PGTLIB_PROT_WRITE,
					 PGTLIB_PROT_EXEC, NULL), 0);
	pt_raw(s, pte, &val, NULL);
	KUNIT_EXPECT_EQ(test, val, pte_val(pfn_pte(pfn, PAGE_KERNEL)));
	pt_raw(s, pmd, &val, NULL);
	KUNIT_EXPECT_TRUE(test, PT_RAW_WRITABLE(val));
}

/* Cache modes: setting one clears the other, clearing gives write-back. */
static void pgtlib_test_protect_cache(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_2M;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_2M, PT_RW | PGTLIB_PROT_WC,
				     0, NULL), 0);
	PT_EXPECT_LEAF(test, s, va, PT_PHYS, PT_RW | PGTLIB_PROT_WC,
		       PGTLIB_LEVEL_PMD);
	KUNIT_EXPECT_EQ(test, pt_protect(s, va, SZ_2M, PGTLIB_PROT_NOCACHE, 0,
					 NULL), 0);
	PT_EXPECT_LEAF(test, s, va, PT_PHYS, PT_RW | PGTLIB_PROT_NOCACHE,
		       PGTLIB_LEVEL_PMD);
	KUNIT_EXPECT_EQ(test, pt_protect(s, va, PAGE_SIZE, 0,
					 PGTLIB_PROT_NOCACHE, NULL), 0);
	PT_EXPECT_LEAF(test, s, va, PT_PHYS, PT_RW, PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + PAGE_SIZE, PT_PHYS + PAGE_SIZE,
		       PT_RW | PGTLIB_PROT_NOCACHE, PGTLIB_LEVEL_PTE);
}

/*
 * Making an uncached leaf executable: refused, changing nothing, where the
 * architecture cannot express it (arm64), done where it can (x86).
 */
static void pgtlib_test_protect_exec_uncached(struct kunit *test)
{
	const unsigned int uc = PGTLIB_PROT_READ | PGTLIB_PROT_NOCACHE;
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_2M;
	struct pgtlib_stats st;
	int ret;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_2M, uc, 0, NULL), 0);
	ret = pt_protect(s, va, PAGE_SIZE, PGTLIB_PROT_EXEC, PGTLIB_PROT_WRITE,
			 &st);
	if (pgtlib_arch_prot_ok(uc | PGTLIB_PROT_EXEC)) {
		KUNIT_EXPECT_EQ(test, ret, 0);
		PT_EXPECT_LEAF(test, s, va, PT_PHYS, uc | PGTLIB_PROT_EXEC,
			       PGTLIB_LEVEL_PTE);
	} else {
		KUNIT_EXPECT_EQ(test, ret, -EINVAL);
		KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
		PT_EXPECT_LEAF(test, s, va, PT_PHYS, uc, PGTLIB_LEVEL_PMD);
	}
}

/* A 4K protect inside a 2M leaf splits exactly that leaf; collapse undoes. */
static void pgtlib_test_protect_split_pmd(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + 5 * SZ_2M;
	unsigned long page = va + 7 * PAGE_SIZE, tables;
	struct pgtlib_stats st;
	struct pt_walk *w;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_2M, PT_RW, 0, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_map(s, va + SZ_2M, PT_PHYS + SZ_2M, SZ_2M,
				     PT_RW, 0, NULL), 0);
	tables = pgtlib_space_nr_tables(s);
	KUNIT_ASSERT_EQ(test, pt_protect(s, page, PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 1);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 1);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables + 1);

	w = pt_walk(test, s, va, va + 2 * SZ_2M);
	KUNIT_ASSERT_EQ(test, w->n, PTRS_PER_PTE + 1);
	for (i = 0; i < PTRS_PER_PTE; i++) {
		KUNIT_EXPECT_EQ(test, w->v[i].level, PGTLIB_LEVEL_PTE);
		KUNIT_EXPECT_EQ(test, (u64)w->v[i].phys,
				(u64)(PT_PHYS + i * PAGE_SIZE));
		KUNIT_EXPECT_EQ(test, w->v[i].prot, i == 7 ? PT_RO : PT_RW);
	}
	/* the neighbouring leaf is untouched */
	KUNIT_EXPECT_EQ(test, w->v[PTRS_PER_PTE].level, PGTLIB_LEVEL_PMD);

	/* collapse refuses while the protections differ */
	KUNIT_EXPECT_EQ(test, pt_collapse(s, va, SZ_2M, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, 0);
	PT_EXPECT_LEAF(test, s, va, PT_PHYS, PT_RW, PGTLIB_LEVEL_PTE);

	KUNIT_ASSERT_EQ(test, pt_protect(s, page, PAGE_SIZE, PGTLIB_PROT_WRITE,
					 PGTLIB_PROT_EXEC, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	KUNIT_EXPECT_EQ(test, pt_collapse(s, va, 2 * SZ_2M, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, 1);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	PT_EXPECT_LEAF(test, s, page, PT_PHYS + 7 * PAGE_SIZE, PT_RW,
		       PGTLIB_LEVEL_PMD);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables);
}

/* A 4K protect inside a 1G leaf splits it and the 2M leaf below. */
static void pgtlib_test_protect_split_pud(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G, page = va + SZ_4M + PAGE_SIZE;
	unsigned int level = pt_1g_level(), splits = level;
	unsigned long tables;
	struct pgtlib_stats st;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_1G, PT_RW, 0, NULL), 0);
	tables = pgtlib_space_nr_tables(s);
	KUNIT_ASSERT_EQ(test, pt_protect(s, page, PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, splits);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 1);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables + splits);
	PT_EXPECT_LEAF(test, s, page, PT_PHYS + SZ_4M + PAGE_SIZE, PT_RO,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, page - PAGE_SIZE, PT_PHYS + SZ_4M, PT_RW,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va, PT_PHYS, PT_RW, PGTLIB_LEVEL_PMD);
	PT_EXPECT_LEAF(test, s, va + SZ_1G - PAGE_SIZE,
		       PT_PHYS + SZ_1G - PAGE_SIZE, PT_RW, PGTLIB_LEVEL_PMD);

	/* protect back, then collapse bottom-up to the 1G leaf */
	KUNIT_ASSERT_EQ(test, pt_protect(s, page, PAGE_SIZE, PGTLIB_PROT_WRITE,
					 PGTLIB_PROT_EXEC, NULL), 0);
	KUNIT_EXPECT_EQ(test, pt_collapse(s, va, SZ_1G, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, splits);
	PT_EXPECT_LEAF(test, s, page, PT_PHYS + SZ_4M + PAGE_SIZE, PT_RW, level);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables);
}

/* A range ending inside two leaves splits both, and nothing else. */
static void pgtlib_test_protect_split_two(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G;
	struct pgtlib_stats st;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, 3 * SZ_2M, PT_RW, 0, NULL),
			0);
	KUNIT_ASSERT_EQ(test, pt_protect(s, va + SZ_2M - PAGE_SIZE,
					 SZ_2M + 2 * PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 2);
	KUNIT_EXPECT_EQ(test, st.pages_protected, PTRS_PER_PTE + 2);
	PT_EXPECT_LEAF(test, s, va + SZ_2M - 2 * PAGE_SIZE,
		       PT_PHYS + SZ_2M - 2 * PAGE_SIZE, PT_RW, PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + SZ_2M - PAGE_SIZE,
		       PT_PHYS + SZ_2M - PAGE_SIZE, PT_RO, PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + SZ_2M, PT_PHYS + SZ_2M, PT_RO,
		       PGTLIB_LEVEL_PMD);
	PT_EXPECT_LEAF(test, s, va + SZ_4M, PT_PHYS + SZ_4M, PT_RO,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + SZ_4M + PAGE_SIZE,
		       PT_PHYS + SZ_4M + PAGE_SIZE, PT_RW, PGTLIB_LEVEL_PTE);
}

/* @stage split-op */
/*
 * pgtlib_split() makes the ends of its range leaf boundaries, one level
 * at a time when the range is one child of the leaf, and changes no
 * translation: collapse puts the leaf back as it was.
 */
static void pgtlib_test_split(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G, page = va + SZ_4M + PAGE_SIZE;
	unsigned int level = pt_1g_level(), i;
	unsigned int pud = level == PGTLIB_LEVEL_PUD;
	unsigned long tables;
	struct pgtlib_stats st;
	struct pt_walk *w;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_1G, PT_RW, 0, NULL), 0);
	tables = pgtlib_space_nr_tables(s);

	/* the ends are leaf boundaries already */
	KUNIT_EXPECT_EQ(test, pt_split(s, va, SZ_1G, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables);
	PT_EXPECT_LEAF(test, s, va + SZ_2M, PT_PHYS + SZ_2M, PT_RW, level);

	/* one child of the 1G leaf: 2M leaves, none split further */
	KUNIT_EXPECT_EQ(test, pt_split(s, va, SZ_2M, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, pud);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables + pud);
	w = pt_walk(test, s, va, va + SZ_1G);
	KUNIT_ASSERT_EQ(test, w->n, PTRS_PER_PMD);
	for (i = 0; i < PTRS_PER_PMD; i++) {
		KUNIT_EXPECT_EQ(test, w->v[i].level, PGTLIB_LEVEL_PMD);
		KUNIT_EXPECT_EQ(test, (u64)w->v[i].phys,
				(u64)(PT_PHYS + i * SZ_2M));
		KUNIT_EXPECT_EQ(test, w->v[i].prot, PT_RW);
	}

	/* one page: only the 2M leaf that holds it */
	KUNIT_EXPECT_EQ(test, pt_split(s, page, PAGE_SIZE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 1);
	KUNIT_EXPECT_EQ(test, st.tables_allocated, 1);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables + pud + 1);
	PT_EXPECT_LEAF(test, s, va + SZ_4M, PT_PHYS + SZ_4M, PT_RW,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, page, PT_PHYS + SZ_4M + PAGE_SIZE, PT_RW,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + SZ_4M + SZ_2M - PAGE_SIZE,
		       PT_PHYS + SZ_4M + SZ_2M - PAGE_SIZE, PT_RW,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + SZ_2M, PT_PHYS + SZ_2M, PT_RW,
		       PGTLIB_LEVEL_PMD);
	PT_EXPECT_LEAF(test, s, va + SZ_4M + SZ_2M, PT_PHYS + SZ_4M + SZ_2M,
		       PT_RW, PGTLIB_LEVEL_PMD);

	/* PTEs and holes have nothing to split */
	KUNIT_EXPECT_EQ(test, pt_split(s, page, PAGE_SIZE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	KUNIT_EXPECT_EQ(test, pt_split(s, va + SZ_1G + PAGE_SIZE, PAGE_SIZE,
				       &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	KUNIT_EXPECT_EQ(test, st.tables_allocated, 0);
	PT_EXPECT_HOLE(test, s, va + SZ_1G + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables + pud + 1);

	/* bad ranges change nothing */
	KUNIT_EXPECT_EQ(test, pt_split(s, page + 8, PAGE_SIZE, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, pt_split(s, page, 0, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, pt_split(s, va + SZ_8M + PAGE_SIZE, SZ_1M + 8,
				       NULL), -EINVAL);
	PT_EXPECT_LEAF(test, s, va + SZ_8M, PT_PHYS + SZ_8M, PT_RW,
		       PGTLIB_LEVEL_PMD);

	/* no translation changed: collapse gives the 1G leaf back */
	KUNIT_EXPECT_EQ(test, pt_collapse(s, va, SZ_1G, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, 1 + pud);
	PT_EXPECT_LEAF(test, s, page, PT_PHYS + SZ_4M + PAGE_SIZE, PT_RW,
		       level);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables);
}

/* @stage end */
/* A live space flushes once per transaction; map into holes never. */
static void pgtlib_test_live_flushes(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, PGTLIB_SPACE_LIVE);
	unsigned long va = pt_base() + SZ_1G;
	unsigned int extra = PGTLIB_ARCH_FLUSH_AFTER_SPLIT ||
			     PGTLIB_ARCH_NEEDS_BBM;
	struct pgtlib_stats st;
	struct pgtlib_txn txn;
	unsigned int i;
	int ret;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, 2 * SZ_2M, PT_RW, 0, &st),
			0);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	KUNIT_ASSERT_EQ(test, pt_map(s, va + SZ_4M, PT_PHYS, SZ_2M, PT_RW,
				     PGTLIB_MAP_BASE_PAGES, &st), 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);

	KUNIT_EXPECT_EQ(test, pt_unmap(s, va + SZ_4M, PAGE_SIZE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 1);
	KUNIT_EXPECT_EQ(test, st.full_flushes, 0);
	KUNIT_EXPECT_EQ(test, st.pages_invalidated, 1);

	/* a split of a live leaf: x86 flushes after it, arm64 breaks first */
	KUNIT_EXPECT_EQ(test, pt_protect(s, va + PAGE_SIZE, PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 1);
	KUNIT_EXPECT_EQ(test, st.flushes, 1 + extra);
	PT_EXPECT_LEAF(test, s, va + PAGE_SIZE, PT_PHYS + PAGE_SIZE, PT_RO,
		       PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, pt_unmap(s, va + SZ_2M + PAGE_SIZE, PAGE_SIZE,
				       &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 1);
	KUNIT_EXPECT_EQ(test, st.flushes, 1 + PGTLIB_ARCH_NEEDS_BBM);

	/* more ranges than a transaction tracks: one full flush */
	pgtlib_txn_begin(&txn, s, 0);
	ret = 0;
	for (i = 0; i < 2 * PGTLIB_TXN_MAX_RANGES; i++)
		ret |= pgtlib_unmap(&txn, va + SZ_4M + (2 * i + 1) * PAGE_SIZE,
				    PAGE_SIZE);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_unmapped,
			2 * PGTLIB_TXN_MAX_RANGES);
	KUNIT_EXPECT_EQ(test, txn.stats.flushes, 1);
	KUNIT_EXPECT_EQ(test, txn.stats.full_flushes, 1);

	/* arm64 cannot change the cache mode of a live leaf in place */
	ret = pt_protect(s, va + SZ_4M + SZ_1M, PAGE_SIZE, PGTLIB_PROT_NOCACHE,
			 0, &st);
	KUNIT_EXPECT_EQ(test, ret, PGTLIB_ARCH_NEEDS_BBM ? -EOPNOTSUPP : 0);
}
/* @stage end */
/* @stage kunit-collapse */

/* 512 PTE tables collapse into PMD leaves, then those into a 1G leaf. */
static void pgtlib_test_collapse_bottom_up(struct kunit *test)
{
	long global = pt_global_tables();
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G;
	unsigned int top = pt_top_hole_level(s), level = pt_1g_level();
	unsigned long collapsed = PTRS_PER_PMD + (level == PGTLIB_LEVEL_PUD);
	unsigned int i, present;
	struct pgtlib_stats st;
	struct pt_walk *w;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_1G, PT_RW,
				     PGTLIB_MAP_BASE_PAGES, &st), 0);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s),
			pt_path_tables(top) - 1 + PTRS_PER_PMD);
	PT_EXPECT_LEAF(test, s, va + SZ_512M, PT_PHYS + SZ_512M, PT_RW,
		       PGTLIB_LEVEL_PTE);

	/* a range short of a whole table collapses nothing */
	KUNIT_EXPECT_EQ(test, pt_collapse(s, va, SZ_2M - PAGE_SIZE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, 0);

	KUNIT_EXPECT_EQ(test, pt_collapse(s, va, SZ_1G, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, collapsed);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	/* retired tables: PGTLIB_SPARE_CACHE (16) kept, the rest freed */
	KUNIT_EXPECT_EQ(test, st.tables_freed, collapsed - 16);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s),
			pt_path_tables(top) - level);
	PT_EXPECT_LEAF(test, s, va + SZ_512M, PT_PHYS + SZ_512M, PT_RW, level);

	/* the tables kept as spares are empty when they are used again */
	KUNIT_EXPECT_EQ(test, pt_map(s, va + SZ_1G + SZ_2M, PT_PHYS, PAGE_SIZE,
				     PT_RW, 0, &st), 0);
	KUNIT_EXPECT_EQ(test, st.tables_allocated, 0);
	w = pt_walk(test, s, va + SZ_1G, va + SZ_1G + SZ_4M);
	for (i = 0, present = 0; i < w->n; i++)
		present += w->v[i].present;
	KUNIT_EXPECT_EQ(test, present, 1);
	KUNIT_EXPECT_EQ(test, w->n, 1 + PTRS_PER_PTE);
	pt_destroy(test, s);
	KUNIT_EXPECT_EQ(test, pt_global_tables(), global);
}

/* Tables that do not map one aligned contiguous range stay. */
static void pgtlib_test_collapse_refused(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G;
	struct page **pages;
	struct pgtlib_txn txn;
	struct pgtlib_stats st;
	unsigned int i;

	pages = kunit_kcalloc(test, PTRS_PER_PTE, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	pages[0] = pt_alloc_page(test);
	pages[1] = pt_alloc_page(test);
	for (i = 2; i < PTRS_PER_PTE; i++)
		pages[i] = pages[i & 1];

	pgtlib_txn_begin(&txn, s, 0);
	KUNIT_ASSERT_EQ(test, pgtlib_map_pages(&txn, va, pages, PTRS_PER_PTE,
					       PT_RW, 0), 0);
	/* misaligned output: contiguous, but not a 2M leaf */
	KUNIT_ASSERT_EQ(test, pgtlib_map(&txn, va + SZ_2M, PT_PHYS + PAGE_SIZE,
					 SZ_2M, PT_RW, 0), 0);
	pgtlib_txn_commit(&txn);

	KUNIT_EXPECT_EQ(test, pt_collapse(s, va, SZ_4M, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, 0);
	PT_EXPECT_LEAF(test, s, va + PAGE_SIZE, page_to_phys(pages[1]), PT_RW,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + SZ_2M, PT_PHYS + PAGE_SIZE, PT_RW,
		       PGTLIB_LEVEL_PTE);

	/* a hole in the table */
	KUNIT_ASSERT_EQ(test, pt_map(s, va + SZ_4M, PT_PHYS, SZ_2M, PT_RW,
				     PGTLIB_MAP_BASE_PAGES, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_unmap(s, va + SZ_4M + SZ_1M, PAGE_SIZE, NULL),
			0);
	KUNIT_EXPECT_EQ(test, pt_collapse(s, va + SZ_4M, SZ_2M, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, 0);
	PT_EXPECT_LEAF(test, s, va + SZ_4M, PT_PHYS, PT_RW, PGTLIB_LEVEL_PTE);
}

/* A bit that says nothing of access: the (software) dirty bit. */
#ifdef CONFIG_X86
#define PT_DIRTY_BIT	_PAGE_DIRTY
#else
#define PT_DIRTY_BIT	PTE_DIRTY
#endif

static int pt_collapse_any(struct pgtlib_space *s, unsigned long va,
			   unsigned long size, unsigned long any,
			   struct pgtlib_stats *st)
{
	struct pgtlib_txn txn;

	pgtlib_txn_begin(&txn, s, 0);
	return pt_end_txn(&txn, pgtlib_collapse_any(&txn, va, size,
						    __pgprot(any)), st);
}

/*
 * pgtlib_collapse_any() lets the PTEs differ in the bits it is given, and
 * gives the 2M leaf each of them that one PTE has; every other bit must
 * still agree. The oracle is the leaf pgtlib_map() makes of the same
 * protection, with the bit added.
 */
static void pgtlib_test_collapse_any(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G, ref = va + SZ_512M;
	unsigned long val, want;
	struct pgtlib_stats st;
	long tables;
	void *ep;

	KUNIT_ASSERT_EQ(test, pt_map(s, ref, PT_PHYS, SZ_2M, PT_RW, 0, NULL),
			0);
	KUNIT_ASSERT_EQ(test, pt_raw(s, ref, &want, NULL), PGTLIB_LEVEL_PMD);
	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_2M, PT_RW,
				     PGTLIB_MAP_BASE_PAGES, NULL), 0);
	tables = pgtlib_space_nr_tables(s);

	/* PTE 7's dirty bit flipped, PTE 9 read-only */
	KUNIT_ASSERT_EQ(test, pt_raw(s, va + 7 * PAGE_SIZE, &val, &ep),
			PGTLIB_LEVEL_PTE);
	WRITE_ONCE(*(unsigned long *)ep, val ^ PT_DIRTY_BIT);
	KUNIT_ASSERT_EQ(test, pt_protect(s, va + 9 * PAGE_SIZE, PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, NULL), 0);

	/* the dirty bit may differ, write permission may not */
	KUNIT_EXPECT_EQ(test, pt_collapse_any(s, va, SZ_2M, PT_DIRTY_BIT, &st),
			0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, 0);
	KUNIT_EXPECT_EQ(test, pt_raw(s, va, &val, NULL), PGTLIB_LEVEL_PTE);

	/* writable again: only the dirty bit differs; pgtlib_collapse() refuses */
	KUNIT_ASSERT_EQ(test, pt_protect(s, va + 9 * PAGE_SIZE, PAGE_SIZE,
					 PGTLIB_PROT_WRITE, PGTLIB_PROT_EXEC,
					 NULL), 0);
	KUNIT_EXPECT_EQ(test, pt_collapse(s, va, SZ_2M, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, 0);
	KUNIT_EXPECT_EQ(test, pt_raw(s, va, &val, NULL), PGTLIB_LEVEL_PTE);

	KUNIT_EXPECT_EQ(test, pt_collapse_any(s, va, SZ_2M, PT_DIRTY_BIT, &st),
			0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, 1);
	KUNIT_EXPECT_EQ(test, pt_raw(s, va, &val, NULL), PGTLIB_LEVEL_PMD);
	KUNIT_EXPECT_EQ(test, val, want | PT_DIRTY_BIT);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables - 1);
}
/* @stage end */
/* @stage kunit-faults */

/*
 * Global totals: table pages always, every other event only while
 * counting is on. A transaction's own counters count either way.
 */
static void pgtlib_test_global_counting(struct kunit *test)
{
	bool was_on = static_key_enabled(&pgtlib_count_events);
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base();
	struct pgtlib_stats st, g0, g1;

	static_branch_disable(&pgtlib_count_events);
	pgtlib_global_stats(&g0);
	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, 4 * PAGE_SIZE, PT_RW,
				     PGTLIB_MAP_BASE_PAGES, &st), 0);
	pgtlib_global_stats(&g1);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, 4);
	KUNIT_EXPECT_EQ(test, g1.pages_mapped, g0.pages_mapped);
	/* a new space's first map installs a table at every level below */
	KUNIT_EXPECT_GT(test, st.tables_allocated, 0);
	KUNIT_EXPECT_EQ(test, g1.tables_allocated - g0.tables_allocated,
			st.tables_allocated);

	static_branch_enable(&pgtlib_count_events);
	KUNIT_ASSERT_EQ(test, pt_unmap(s, va, PAGE_SIZE, &st), 0);
	KUNIT_ASSERT_EQ(test, pt_map(s, va + 8 * PAGE_SIZE, PT_PHYS,
				     2 * PAGE_SIZE, PT_RO, 0, NULL), 0);
	pgtlib_global_stats(&g0);
	KUNIT_EXPECT_EQ(test, g0.pages_unmapped - g1.pages_unmapped, 1);
	KUNIT_EXPECT_EQ(test, g0.pages_mapped - g1.pages_mapped, 2);
	KUNIT_EXPECT_EQ(test, g0.tables_allocated, g1.tables_allocated);

	if (!was_on)
		static_branch_disable(&pgtlib_count_events);
}

static void pgtlib_test_accounting(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_2M;
	unsigned int top = pt_top_hole_level(s);
	struct pgtlib_txn txn;
	struct page *table;

	pgtlib_txn_begin(&txn, s, 0);
	KUNIT_EXPECT_EQ(test, txn.gfp, GFP_KERNEL);
	pgtlib_txn_commit(&txn);

	pgtlib_txn_begin(&txn, s, PGTLIB_TXN_ACCOUNT);
	KUNIT_EXPECT_EQ(test, txn.gfp, GFP_KERNEL_ACCOUNT);
	KUNIT_EXPECT_EQ(test, pgtlib_map(&txn, va, PT_PHYS, PAGE_SIZE, PT_RW, 0),
			0);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, txn.stats.tables_allocated, pt_path_tables(top));

	table = pt_table_page(s, va, PGTLIB_LEVEL_PMD);
	KUNIT_ASSERT_NOT_NULL(test, table);
	KUNIT_EXPECT_TRUE(test, folio_test_pgtable(page_folio(table)));
	KUNIT_EXPECT_EQ(test, table->index, PGTLIB_TABLE_MAGIC);
	/*
	 * Which memcg is charged: a KUnit test runs in a kernel thread, which
	 * belongs to the root memory cgroup, and the kernel has no way to
	 * create a child memcg without a mounted cgroup file system and a
	 * user-space mkdir. __GFP_ACCOUNT allocations of the root memcg are
	 * not charged (folio_memcg() is NULL), so only the flag pgtlib
	 * passes to the page allocator can be checked here.
	 */
	KUNIT_EXPECT_EQ(test, txn.gfp & __GFP_ACCOUNT, __GFP_ACCOUNT);
}
/* @stage end */
/* @stage kunit-live */

/* ---- pgtlib_kernel: live mappings in init_mm ---- */

/* A PUD-aligned, PUD-sized range of a vmalloc area of the test's own. */
struct pt_live {
	struct vm_struct *area;
	unsigned long va;
	bool bad_page;
};

/* The kernel's own descent to the PUD entry of a kernel address. */
static pud_t *pt_kernel_pud(unsigned long va)
{
	pgd_t *pgd = pgd_offset_k(va);
	p4d_t *p4d;

	if (pgd_none(pgdp_get(pgd)))
		return NULL;
	p4d = p4d_offset(pgd, va);
	if (p4d_none(p4dp_get(p4d)))
		return NULL;
	return pud_offset(p4d, va);
}

/*
 * pgtlib leaves the tables it installed in init_mm. Hand them back the way
 * the kernel frees such tables when a huge vmap replaces them: that is the
 * test that they are the page-table descriptors the kernel expects.
 */
static void pt_live_release(void *arg)
{
	struct pt_live *l = arg;
	struct pgtlib_txn txn;
	pud_t *pud;

	pgtlib_txn_begin(&txn, pgtlib_kernel_space(), 0);
	WARN_ON(pgtlib_unmap(&txn, l->va, PUD_SIZE));
	pgtlib_txn_commit(&txn);
	pud = pt_kernel_pud(l->va);
	if (pud && pud_present(pudp_get(pud)) && !pud_leaf(pudp_get(pud)))
		pud_free_pmd_page(pud, l->va);
	free_vm_area(l->area);
}

static int pt_hole_fn(const struct pgtlib_leaf *leaf, void *arg)
{
	return leaf->present ? -EBUSY : 0;
}

static struct pt_live *pt_live_area(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, l);
	l->bad_page = test_taint(TAINT_BAD_PAGE);
	l->area = get_vm_area(2 * PUD_SIZE, VM_MAP);
	KUNIT_ASSERT_NOT_NULL(test, l->area);
	l->va = ALIGN((unsigned long)l->area->addr, PUD_SIZE);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pt_live_release,
							l), 0);
	/* nothing maps there yet */
	KUNIT_ASSERT_EQ(test, pgtlib_walk(kernel, l->va, l->va + PUD_SIZE,
					  pt_hole_fn, NULL), 0);
	return l;
}

/*
 * Unmap and free the area now, and the tables pgtlib left there with the
 * kernel's pud_free_pmd_page(): no "Bad page state", nothing left below.
 */
static void pt_live_done(struct kunit *test, struct pt_live *l)
{
	pud_t *pud;

	kunit_release_action(test, pt_live_release, l);
	pgtlib_tables_drain();
	if (!l->bad_page)
		KUNIT_EXPECT_FALSE(test, test_taint(TAINT_BAD_PAGE));
	pud = pt_kernel_pud(l->va);
	if (pud)
		KUNIT_EXPECT_TRUE(test, pud_none(pudp_get(pud)));
}

static int pt_kmap(unsigned long va, phys_addr_t phys, unsigned long size,
		   unsigned int prot, struct pgtlib_stats *st)
{
	return pt_map(pgtlib_kernel_space(), va, phys, size, prot, 0, st);
}

static int pt_kmap_pages(unsigned long va, struct page **pages,
			 unsigned int nr, unsigned int prot, unsigned int flags,
			 struct pgtlib_stats *st)
{
	struct pgtlib_txn txn;

	pgtlib_txn_begin(&txn, pgtlib_kernel_space(), 0);
	return pt_end_txn(&txn, pgtlib_map_pages(&txn, va, pages, nr, prot,
						 flags), st);
}

/* One access to a kernel address, made on another CPU. */
struct pt_remote {
	unsigned long va;
	u8 byte;
	bool write;
	int ret;
};

static void pt_remote_fn(void *arg)
{
	struct pt_remote *r = arg;

	if (r->write)
		r->ret = copy_to_kernel_nofault((void *)r->va, &r->byte, 1);
	else
		r->ret = copy_from_kernel_nofault(&r->byte, (void *)r->va, 1);
}

static int pt_remote(int cpu, unsigned long va, u8 *byte, bool write)
{
	struct pt_remote r = { .va = va, .byte = *byte, .write = write };

	smp_call_function_single(cpu, pt_remote_fn, &r, 1);
	*byte = r.byte;
	return r.ret;
}

/* Read a byte that may not be mapped. */
static int pt_peek(unsigned long va, u8 *byte)
{
	return copy_from_kernel_nofault(byte, (void *)va, 1);
}

/* For a test across CPUs: two pages, filled with 0x5a and 0xa5. */
static void pt_remote_pages(struct kunit *test, struct page **pages)
{
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU");
	pages[0] = pt_alloc_page(test);
	pages[1] = pt_alloc_page(test);
	memset(page_address(pages[0]), 0x5a, PAGE_SIZE);
	memset(page_address(pages[1]), 0xa5, PAGE_SIZE);
}

/*
 * Another CPU that used a translation faults through it once a protect or
 * unmap has committed: the invalidation reached that CPU's TLB (QEMU keeps
 * one per vCPU and never rereads a cached entry by itself), also after an
 * unmap of the whole table the translation was walked through.
 */
static void pgtlib_test_kernel_remote(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PMD_SIZE;
	struct page *pages[2];
	int other;
	u8 byte;

	pt_remote_pages(test, pages);
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va, pages, 2, PT_RW, 0, NULL), 0);

	/* The committing CPU must stay this one, and the other another. */
	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());

	/* the other CPU caches both translations, writable */
	byte = 0x11;
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, true), 0);
	KUNIT_EXPECT_EQ(test, pt_remote(other, va + PAGE_SIZE, &byte, false),
			0);
	KUNIT_EXPECT_EQ(test, byte, 0xa5);
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(pages[0]), 0x11);

	KUNIT_EXPECT_EQ(test, pt_protect(kernel, va, PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, NULL), 0);
	byte = 0x22;
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, true), -EFAULT);
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(pages[0]), 0x11);
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, false), 0);
	KUNIT_EXPECT_EQ(test, byte, 0x11);

	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va + PAGE_SIZE, PAGE_SIZE,
				       NULL), 0);
	KUNIT_EXPECT_EQ(test, pt_remote(other, va + PAGE_SIZE, &byte, false),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, false), 0);

	/* the whole 2M: the PTE table goes too */
	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va, PMD_SIZE, NULL), 0);
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, false), -EFAULT);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, (void *)va, 1),
			-EFAULT);
	migrate_enable();
	pt_live_done(test, l);
}

static void pt_free_huge(void *page)
{
	__free_pages(page, PMD_SHIFT - PAGE_SHIFT);
}

/* An order-9 page, freed when the test ends, for a live 2M leaf. */
static struct page *pt_alloc_huge(struct kunit *test, gfp_t gfp)
{
	struct page *page = alloc_pages(gfp, PMD_SHIFT - PAGE_SHIFT);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pt_free_huge,
							page), 0);
	return page;
}
/* @stage end */
/* @stage kunit-noflush */

/*
 * pgtlib_txn_commit_deferred() invalidates nothing and hands back the
 * range; once the caller has invalidated it, another CPU faults through
 * the old translations. Mapping into holes hands back nothing, and more
 * ranges than a transaction records hand back everything.
 */
static void pgtlib_test_kernel_deferred(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PMD_SIZE, many = l->va + 2 * PMD_SIZE;
	struct page *pages[2], *rep[2 * PGTLIB_TXN_MAX_RANGES + 2];
	struct pgtlib_range r;
	struct pgtlib_txn txn;
	unsigned int i;
	int other;
	u8 byte;

	pt_remote_pages(test, pages);

	pgtlib_txn_begin(&txn, kernel, 0);
	KUNIT_ASSERT_EQ(test, pgtlib_map_pages(&txn, va, pages, 2, PT_RW, 0),
			0);
	KUNIT_EXPECT_FALSE(test, pgtlib_txn_commit_deferred(&txn, &r));
	KUNIT_EXPECT_EQ(test, r.start, r.end);

	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, false), 0);
	KUNIT_EXPECT_EQ(test, pt_remote(other, va + PAGE_SIZE, &byte, false),
			0);
	KUNIT_EXPECT_EQ(test, byte, 0xa5);

	pgtlib_txn_begin(&txn, kernel, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_protect(&txn, va, PAGE_SIZE, 0,
					     PGTLIB_PROT_WRITE), 0);
	KUNIT_EXPECT_EQ(test, pgtlib_unmap(&txn, va + PAGE_SIZE, PAGE_SIZE), 0);
	KUNIT_EXPECT_TRUE(test, pgtlib_txn_commit_deferred(&txn, &r));
	KUNIT_EXPECT_EQ(test, txn.stats.flushes, 0);
	KUNIT_EXPECT_EQ(test, r.start, va);
	KUNIT_EXPECT_EQ(test, r.end, va + 2 * PAGE_SIZE);
	PT_EXPECT_LEAF(test, kernel, va, page_to_phys(pages[0]), PT_RO,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_HOLE(test, kernel, va + PAGE_SIZE);
	/* QEMU keeps the other CPU's entry until it is told to drop it */
	if (pt_remote(other, va + PAGE_SIZE, &byte, false))
		kunit_info(test, "the stale entry went without an invalidation");
	flush_tlb_kernel_range(r.start, r.end);
	KUNIT_EXPECT_EQ(test, pt_remote(other, va + PAGE_SIZE, &byte, false),
			-EFAULT);
	byte = 0x11;
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, true), -EFAULT);
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(pages[0]), 0x5a);
	migrate_enable();

	for (i = 0; i < ARRAY_SIZE(rep); i++)
		rep[i] = pages[1];
	pgtlib_txn_begin(&txn, kernel, 0);
	KUNIT_ASSERT_EQ(test, pgtlib_map_pages(&txn, many, rep,
					       ARRAY_SIZE(rep), PT_RW, 0), 0);
	pgtlib_txn_commit(&txn);
	pgtlib_txn_begin(&txn, kernel, 0);
	for (i = 0; i < ARRAY_SIZE(rep); i += 2)
		KUNIT_EXPECT_EQ(test, pgtlib_protect(&txn, many + i * PAGE_SIZE,
						     PAGE_SIZE, 0,
						     PGTLIB_PROT_WRITE), 0);
	KUNIT_EXPECT_TRUE(test, pgtlib_txn_commit_deferred(&txn, &r));
	KUNIT_EXPECT_EQ(test, r.start, 0);
	KUNIT_EXPECT_EQ(test, r.end, ULONG_MAX);
	flush_tlb_all();
	pt_live_done(test, l);
}

/* The kernel's own descent to the PMD entry of a kernel address. */
static pmd_t *pt_kernel_pmd(unsigned long va)
{
	pud_t *pud = pt_kernel_pud(va);

	if (!pud || pud_none(pudp_get(pud)) || pud_leaf(pudp_get(pud)))
		return NULL;
	return pmd_offset(pud, va);
}

/* The raw PTE of a kernel address, by the kernel's own helpers; or ~0. */
static u64 pt_kernel_pte_val(unsigned long va)
{
	pmd_t *pmd = pt_kernel_pmd(va);

	if (!pmd || pmd_none(pmdp_get(pmd)) || pmd_leaf(pmdp_get(pmd)))
		return ~0ULL;
	return pte_val(ptep_get(pte_offset_kernel(pmd, va)));
}

/*
 * The _noflush operations make one change each, outside a transaction, and
 * invalidate nothing. A map into holes hands back an empty range and
 * writes what pfn_pte() makes; a map that meets a NULL page or a leaf
 * takes back what it wrote and hands that part back; an unmap hands back
 * its range, and once the caller has invalidated it, another CPU faults
 * through it. A 2M map of a huge leaf and its unmap take the PMD-level
 * path; unmaps across PTE tables and huge leaves clear them all, and keep
 * the tables, as init_mm's tables are kept. pgtlib_query_pfn() finds the
 * page of an address inside a PTE or a 2M leaf.
 */
static void pgtlib_test_kernel_noflush(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PMD_SIZE, hva = l->va + 2 * PMD_SIZE;
	struct page *pages[2], *arr[4], *huge;
	struct pgtlib_range r;
	pmd_t *pmd, oracle;
	unsigned long pfn;
	unsigned int i;
	int other;
	u8 byte;

	pt_remote_pages(test, pages);
	huge = pt_alloc_huge(test, GFP_KERNEL);

	/* into holes: nothing to invalidate, the entries pfn_pte() makes */
	KUNIT_ASSERT_EQ(test, pgtlib_map_pages_prot_noflush(kernel, va, pages,
							    2, PAGE_KERNEL, 0,
							    &r), 0);
	KUNIT_EXPECT_EQ(test, r.start, r.end);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(va + i * PAGE_SIZE),
				(u64)pte_val(pfn_pte(page_to_pfn(pages[i]),
						     PAGE_KERNEL)));
	/* and pgtlib_query_pfn() finds each page, not the hole after */
	KUNIT_EXPECT_EQ(test, pgtlib_query_pfn(kernel, va + 5, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, page_to_pfn(pages[0]));
	KUNIT_EXPECT_EQ(test, pgtlib_query_pfn(kernel, va + PAGE_SIZE, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, page_to_pfn(pages[1]));
	KUNIT_EXPECT_EQ(test, pgtlib_query_pfn(kernel, va + 2 * PAGE_SIZE,
					       &pfn), -ENOENT);
	KUNIT_EXPECT_EQ(test, pgtlib_query_pfn(kernel, 0, &pfn), -ERANGE);

	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	KUNIT_EXPECT_EQ(test, pt_remote(other, va + PAGE_SIZE, &byte, false),
			0);
	KUNIT_EXPECT_EQ(test, byte, 0xa5);

	/* unmap: the range comes back, and is all the caller invalidates */
	KUNIT_EXPECT_EQ(test, pgtlib_unmap_noflush(kernel, va, 2 * PAGE_SIZE,
						   &r), 0);
	KUNIT_EXPECT_EQ(test, r.start, va);
	KUNIT_EXPECT_EQ(test, r.end, va + 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(va), 0);
	KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(va + PAGE_SIZE), 0);
	if (pt_remote(other, va + PAGE_SIZE, &byte, false))
		kunit_info(test, "the stale entry went without an invalidation");
	flush_tlb_kernel_range(r.start, r.end);
	KUNIT_EXPECT_EQ(test, pt_remote(other, va + PAGE_SIZE, &byte, false),
			-EFAULT);
	migrate_enable();

	/* nothing left to unmap: nothing to invalidate */
	KUNIT_EXPECT_EQ(test, pgtlib_unmap_noflush(kernel, va, 2 * PAGE_SIZE,
						   &r), 0);
	KUNIT_EXPECT_EQ(test, r.start, r.end);

	/*
	 * The maps that share their code with these still refuse a NULL
	 * transaction, and these a NULL range, changing nothing.
	 */
	KUNIT_EXPECT_EQ(test, pgtlib_map(NULL, va, page_to_phys(pages[0]),
					 PAGE_SIZE, PT_RW, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages(NULL, va, pages, 1, PT_RW, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages_prot(NULL, va, pages, 1,
						    PAGE_KERNEL, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages_prot_noflush(kernel, va, pages,
							    1, PAGE_KERNEL, 0,
							    NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(va), 0);

	/* a NULL page: the two pages before it are taken back, and handed */
	arr[0] = pages[0];
	arr[1] = pages[1];
	arr[2] = NULL;
	arr[3] = pages[0];
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages_prot_noflush(kernel, va, arr, 4,
							    PAGE_KERNEL, 0,
							    &r), -EINVAL);
	KUNIT_EXPECT_EQ(test, r.start, va);
	KUNIT_EXPECT_EQ(test, r.end, va + 2 * PAGE_SIZE);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(va + i * PAGE_SIZE), 0);

	/* over a leaf: -EEXIST, what it wrote before the leaf taken back */
	KUNIT_ASSERT_EQ(test, pgtlib_map_pages_prot_noflush(kernel,
							    va + PAGE_SIZE,
							    pages, 1,
							    PAGE_KERNEL_RO, 0,
							    &r), 0);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages_prot_noflush(kernel, va, pages,
							    2, PAGE_KERNEL, 0,
							    &r), -EEXIST);
	KUNIT_EXPECT_EQ(test, r.start, va);
	KUNIT_EXPECT_EQ(test, r.end, va + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(va), 0);
	KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(va + PAGE_SIZE),
			(u64)pte_val(pfn_pte(page_to_pfn(pages[0]),
					     PAGE_KERNEL_RO)));
	flush_tlb_kernel_range(va, va + PAGE_SIZE);

	/* a 2M unmap over the PTE table: the table stays, empty */
	KUNIT_EXPECT_EQ(test, pgtlib_unmap_noflush(kernel, va & PMD_MASK,
						   PMD_SIZE, &r), 0);
	KUNIT_EXPECT_EQ(test, r.start, va & PMD_MASK);
	KUNIT_EXPECT_EQ(test, r.end, (va & PMD_MASK) + PMD_SIZE);
	pmd = pt_kernel_pmd(va);
	KUNIT_ASSERT_NOT_NULL(test, pmd);
	KUNIT_EXPECT_TRUE(test, pmd_present(pmdp_get(pmd)) &&
			  !pmd_leaf(pmdp_get(pmd)));
	KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(va + PAGE_SIZE), 0);
	flush_tlb_kernel_range(r.start, r.end);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte,
						       (void *)(va + PAGE_SIZE),
						       1), -EFAULT);

	/* across two PTE tables: both cleared, both kept */
	KUNIT_ASSERT_EQ(test, pgtlib_map_pages_prot_noflush(kernel,
							    va - PAGE_SIZE,
							    pages, 2,
							    PAGE_KERNEL, 0,
							    &r), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(*(u8 *)va), 0xa5);
	KUNIT_EXPECT_EQ(test, pgtlib_unmap_noflush(kernel, va - PAGE_SIZE,
						   2 * PAGE_SIZE, &r), 0);
	KUNIT_EXPECT_EQ(test, r.start, va - PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, r.end, va + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(va - PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(va), 0);
	pmd = pt_kernel_pmd(va - PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, pmd);
	KUNIT_EXPECT_TRUE(test, pmd_present(pmdp_get(pmd)) &&
			  !pmd_leaf(pmdp_get(pmd)));
	flush_tlb_kernel_range(r.start, r.end);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte,
						       (void *)(va - PAGE_SIZE),
						       1), -EFAULT);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, (void *)va, 1),
			-EFAULT);

#ifdef CONFIG_HAVE_ARCH_HUGE_VMAP
	if (pgtlib_level_has_leaf(PGTLIB_LEVEL_PMD)) {
		phys_addr_t phys = page_to_phys(huge);

		/* a 2M leaf into a hole, as pmd_set_huge() writes it */
		*(u32 *)(page_address(huge) + PMD_SIZE - 4) = 0x600d;
		KUNIT_ASSERT_EQ(test, pgtlib_map_prot_noflush(kernel, hva, phys,
							      PMD_SIZE,
							      PAGE_KERNEL, 0,
							      &r), 0);
		KUNIT_EXPECT_EQ(test, r.start, r.end);
		oracle = __pmd(0);
		KUNIT_EXPECT_EQ(test, pmd_set_huge(&oracle, page_to_phys(huge),
						   PAGE_KERNEL), 1);
		pmd = pt_kernel_pmd(hva);
		KUNIT_ASSERT_NOT_NULL(test, pmd);
		KUNIT_EXPECT_EQ(test, (u64)pmd_val(pmdp_get(pmd)),
				(u64)pmd_val(oracle));
		KUNIT_EXPECT_EQ(test, *(u32 *)(hva + PMD_SIZE - 4), 0x600d);
		KUNIT_EXPECT_EQ(test, pgtlib_query_pfn(kernel,
						       hva + PMD_SIZE - 4,
						       &pfn), 0);
		KUNIT_EXPECT_EQ(test, pfn, page_to_pfn(huge) +
				(PMD_SIZE >> PAGE_SHIFT) - 1);
		/* again: -EEXIST, the leaf as it was */
		KUNIT_EXPECT_EQ(test, pgtlib_map_prot_noflush(kernel, hva, phys,
							      PMD_SIZE,
							      PAGE_KERNEL_RO,
							      0, &r), -EEXIST);
		KUNIT_EXPECT_EQ(test, r.start, r.end);
		KUNIT_EXPECT_EQ(test, (u64)pmd_val(pmdp_get(pmd)),
				(u64)pmd_val(oracle));
		/* and its unmap */
		KUNIT_EXPECT_EQ(test, pgtlib_unmap_noflush(kernel, hva,
							   PMD_SIZE, &r), 0);
		KUNIT_EXPECT_EQ(test, r.start, hva);
		KUNIT_EXPECT_EQ(test, r.end, hva + PMD_SIZE);
		KUNIT_EXPECT_TRUE(test, pmd_none(pmdp_get(pmd)));
		flush_tlb_kernel_range(r.start, r.end);
		KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte,
							       (void *)hva, 1),
				-EFAULT);

		/* one unmap of a PTE before the leaf and of the leaf */
		KUNIT_ASSERT_EQ(test, pgtlib_map_prot_noflush(kernel, hva, phys,
							      PMD_SIZE,
							      PAGE_KERNEL, 0,
							      &r), 0);
		KUNIT_ASSERT_EQ(test,
				pgtlib_map_pages_prot_noflush(kernel,
							      hva - PAGE_SIZE,
							      pages, 1,
							      PAGE_KERNEL, 0,
							      &r), 0);
		KUNIT_EXPECT_EQ(test, pgtlib_unmap_noflush(kernel,
							   hva - PAGE_SIZE,
							   PMD_SIZE + PAGE_SIZE,
							   &r), 0);
		KUNIT_EXPECT_EQ(test, r.start, hva - PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, r.end, hva + PMD_SIZE);
		KUNIT_EXPECT_TRUE(test, pmd_none(pmdp_get(pmd)));
		KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(hva - PAGE_SIZE), 0);
		flush_tlb_kernel_range(r.start, r.end);
		KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte,
							       (void *)hva, 1),
				-EFAULT);
	}
#endif
	/* bad input, nothing changed */
	KUNIT_EXPECT_EQ(test, pgtlib_unmap_noflush(kernel, va + 1, PAGE_SIZE,
						   &r), -EINVAL);
	KUNIT_EXPECT_EQ(test, r.start, r.end);
	KUNIT_EXPECT_EQ(test, pgtlib_map_prot_noflush(kernel, va,
						      page_to_phys(pages[0]),
						      PAGE_SIZE, __pgprot(0), 0,
						      &r), -EINVAL);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages_prot_noflush(kernel, va, pages,
							    1, PAGE_KERNEL,
							    PGTLIB_MAP_MAX_PMD,
							    &r), -EINVAL);
	KUNIT_EXPECT_EQ(test, pt_kernel_pte_val(va), 0);
	pt_live_done(test, l);
}

/*
 * pgtlib_txn_commit_local() invalidates this CPU's TLB only, with
 * interrupts off: this CPU faults through the old translation at once,
 * and another CPU that cached it may keep it until a global flush. The
 * walker hands back each leaf's protection in PTE form, as pte_pgprot()
 * reads it, so that it can be written again as it was.
 */
static void pgtlib_test_kernel_commit_local(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PMD_SIZE;
	struct pgtlib_leaf leaf;
	struct page *pages[2];
	struct pgtlib_txn txn;
	pgprot_t want;
	int other;
	u8 byte;

	pt_remote_pages(test, pages);
	pgtlib_txn_begin(&txn, kernel, 0);
	KUNIT_ASSERT_EQ(test, pgtlib_map_prot(&txn, va, page_to_phys(pages[0]),
					      PAGE_SIZE, PAGE_KERNEL_RO, 0), 0);
	pgtlib_txn_commit(&txn);
	KUNIT_ASSERT_EQ(test, pgtlib_query(kernel, va, &leaf), 0);
	want = pte_pgprot(pfn_pte(page_to_pfn(pages[0]), PAGE_KERNEL_RO));
	KUNIT_EXPECT_EQ(test, (u64)pgprot_val(leaf.pgprot),
			(u64)pgprot_val(want));
	KUNIT_EXPECT_EQ(test, leaf.prot, PGTLIB_PROT_READ);

	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, false), 0);
	KUNIT_EXPECT_EQ(test, byte, 0x5a);
	KUNIT_EXPECT_EQ(test, READ_ONCE(*(u8 *)va), 0x5a);

	local_irq_disable();
	pgtlib_txn_begin(&txn, kernel, PGTLIB_TXN_NOALLOC);
	KUNIT_EXPECT_EQ(test, pgtlib_unmap(&txn, va, PAGE_SIZE), 0);
	pgtlib_txn_commit_local(&txn);
	local_irq_enable();
	KUNIT_EXPECT_EQ(test, txn.stats.pages_invalidated, 1);
	KUNIT_EXPECT_EQ(test, txn.stats.flushes, 0);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, (void *)va, 1),
			-EFAULT);
	if (!pt_remote(other, va, &byte, false))
		kunit_info(test, "the other CPU kept its entry, as it may");
	flush_tlb_kernel_range(va, va + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, false), -EFAULT);
	migrate_enable();
	pt_live_done(test, l);
}

/*
 * pgtlib_map_prot() and pgtlib_map_pages_prot() write, bit for bit, the
 * entries the kernel's own vmap code writes for the same protection:
 * pfn_pte() for a PTE, pmd_set_huge() for a 2M leaf. A protection that
 * makes no valid entry, or an uncached alias of RAM, is refused.
 */
static void pgtlib_test_kernel_map_prot(struct kunit *test)
{
	const pgprot_t prots[] = {
		PAGE_KERNEL, PAGE_KERNEL_RO, PAGE_KERNEL_EXEC, PAGE_KERNEL_ROX,
	};
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PMD_SIZE, hva = l->va + 2 * PMD_SIZE, val;
	struct page *page = pt_alloc_page(test), *huge;
	struct pgtlib_txn txn;
	unsigned int i;
	pmd_t oracle;

	huge = pt_alloc_huge(test, GFP_KERNEL);
	*(u32 *)page_address(page) = 0x600d;
	for (i = 0; i < ARRAY_SIZE(prots); i++) {
		pgtlib_txn_begin(&txn, kernel, 0);
		KUNIT_EXPECT_EQ(test, pgtlib_map_pages_prot(&txn, va, &page, 1,
							    prots[i], 0), 0);
		KUNIT_EXPECT_EQ(test, pgtlib_map_prot(&txn, hva,
						      page_to_phys(huge),
						      PMD_SIZE, prots[i], 0),
				0);
		pgtlib_txn_commit(&txn);
		KUNIT_EXPECT_EQ(test, *(u32 *)va, 0x600d);
		KUNIT_EXPECT_EQ(test, pt_raw(kernel, va, &val, NULL),
				PGTLIB_LEVEL_PTE);
		KUNIT_EXPECT_EQ_MSG(test, (u64)val,
				    (u64)pte_val(pfn_pte(page_to_pfn(page),
							 prots[i])),
				    "protection %u", i);
#ifdef CONFIG_HAVE_ARCH_HUGE_VMAP
		if (pgtlib_level_has_leaf(PGTLIB_LEVEL_PMD)) {
			oracle = __pmd(0);
			KUNIT_EXPECT_EQ(test, pmd_set_huge(&oracle,
							   page_to_phys(huge),
							   prots[i]), 1);
			KUNIT_EXPECT_EQ(test, pt_raw(kernel, hva, &val, NULL),
					PGTLIB_LEVEL_PMD);
			KUNIT_EXPECT_EQ_MSG(test, (u64)val,
					    (u64)pmd_val(oracle),
					    "protection %u", i);
		}
#endif
		KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va, PAGE_SIZE, NULL), 0);
		KUNIT_EXPECT_EQ(test, pt_unmap(kernel, hva, PMD_SIZE, NULL), 0);
	}

	/*
	 * Unless the caller keeps the memory-type rules, as vmalloc's
	 * callers do (nothing reads through this alias).
	 */
	pgtlib_txn_begin(&txn, kernel, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages_prot(&txn, va, &page, 1,
						    pgprot_writecombine(PAGE_KERNEL),
						    PGTLIB_MAP_CALLER_MEMTYPE),
			0);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, pt_raw(kernel, va, &val, NULL),
			PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, (u64)val,
			(u64)pte_val(pfn_pte(page_to_pfn(page),
				     pgprot_writecombine(PAGE_KERNEL))));
	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va, PAGE_SIZE, NULL), 0);

	pgtlib_txn_begin(&txn, kernel, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages_prot(&txn, va, &page, 1,
						    __pgprot(0), 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages_prot(&txn, va, &page, 1,
						    pgprot_noncached(PAGE_KERNEL),
						    0), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, pgtlib_map_prot(&txn, hva, page_to_phys(huge),
					      PMD_SIZE,
					      pgprot_writecombine(PAGE_KERNEL),
					      0), -EOPNOTSUPP);
	pgtlib_txn_commit(&txn);
	PT_EXPECT_HOLE(test, kernel, va);
	PT_EXPECT_HOLE(test, kernel, hva);
	pt_live_done(test, l);
}

/*
 * pgtlib_protect_prot() of the page at @va: its PTE is then what pfn_pte()
 * makes of @pfn and @expect, and a write through it returns @write.
 */
static void pt_protect_prot(struct kunit *test, unsigned long va,
			    pgprot_t set, pgprot_t clear, unsigned long pfn,
			    pgprot_t expect, int write)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pgtlib_txn txn;
	unsigned long val;
	u8 byte = 1;

	pgtlib_txn_begin(&txn, kernel, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_protect_prot(&txn, va, PAGE_SIZE, set,
						  clear), 0);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, pt_raw(kernel, va, &val, NULL), PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, (u64)val, (u64)pte_val(pfn_pte(pfn, expect)));
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault((void *)va, &byte, 1),
			write);
}

/* The bits PAGE_KERNEL_RO has and PAGE_KERNEL lacks, and the reverse. */
static pgprot_t pt_ro_bits(void)
{
	return __pgprot(pgprot_val(PAGE_KERNEL_RO) & ~pgprot_val(PAGE_KERNEL));
}

static pgprot_t pt_rw_bits(void)
{
	return __pgprot(pgprot_val(PAGE_KERNEL) & ~pgprot_val(PAGE_KERNEL_RO));
}

/*
 * pgtlib_protect_prot() with the masks that turn PAGE_KERNEL into
 * PAGE_KERNEL_RO and back: each entry is what pfn_pte() or pmd_set_huge()
 * make of the new protection, also after a split; writes fault through a
 * read-only entry. Masks that clear the valid bit or change the memory
 * type are refused, changing nothing.
 */
static void pgtlib_test_kernel_protect_prot(struct kunit *test)
{
	pgprot_t ro = pt_ro_bits(), rw = pt_rw_bits();
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PMD_SIZE, hva = l->va + 2 * PMD_SIZE, val;
	struct page *page = pt_alloc_page(test), *huge;
	struct pgtlib_txn txn;
	u8 byte = 1;

	huge = pt_alloc_huge(test, GFP_KERNEL);
	pgtlib_txn_begin(&txn, kernel, 0);
	KUNIT_ASSERT_EQ(test, pgtlib_map_pages_prot(&txn, va, &page, 1,
						    PAGE_KERNEL, 0), 0);
	KUNIT_ASSERT_EQ(test, pgtlib_map_prot(&txn, hva, page_to_phys(huge),
					      PMD_SIZE, PAGE_KERNEL, 0), 0);
	pgtlib_txn_commit(&txn);

	pt_protect_prot(test, va, ro, rw, page_to_pfn(page), PAGE_KERNEL_RO,
			-EFAULT);
	pt_protect_prot(test, va, rw, ro, page_to_pfn(page), PAGE_KERNEL, 0);

	/* one page of the 2M leaf: a split, then that page read-only */
	pt_protect_prot(test, hva + PAGE_SIZE, ro, rw, page_to_pfn(huge) + 1,
			PAGE_KERNEL_RO, -EFAULT);
	KUNIT_EXPECT_EQ(test, pt_raw(kernel, hva, &val, NULL),
			PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, (u64)val,
			(u64)pte_val(pfn_pte(page_to_pfn(huge), PAGE_KERNEL)));
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault((void *)hva, &byte, 1), 0);

	/* the valid bit or the memory type: refused, nothing changed */
	pgtlib_txn_begin(&txn, kernel, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_protect_prot(&txn, va, PAGE_SIZE,
						  __pgprot(0), PAGE_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pgtlib_protect_prot(&txn, va, PAGE_SIZE,
						  pgprot_noncached(__pgprot(0)),
						  __pgprot(0)), -EINVAL);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, pt_raw(kernel, va, &val, NULL), PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, (u64)val,
			(u64)pte_val(pfn_pte(page_to_pfn(page), PAGE_KERNEL)));
	pt_live_done(test, l);
}
/* @stage end */
/* @stage kunit-live */

/* Pages mapped by pgtlib_map_pages() hold what is written through them. */
static void pgtlib_test_kernel_map_pages(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + SZ_2M;
	struct page *pages[16], *table;
	struct pgtlib_stats st;
	unsigned int i;
	u8 byte;

	for (i = 0; i < ARRAY_SIZE(pages); i++)
		pages[i] = pt_alloc_page(test);
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va, pages, ARRAY_SIZE(pages), PT_RW,
					    0, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, ARRAY_SIZE(pages));
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	/*
	 * The PTE table it needed is pgtlib's and in place. (The kernel
	 * space's table count is no evidence: vmalloc changes it too; and
	 * the table may come from the space's spares.)
	 */
	table = pt_table_page(kernel, va, PGTLIB_LEVEL_PMD);
	KUNIT_ASSERT_NOT_NULL(test, table);
	KUNIT_EXPECT_TRUE(test, pgtlib_table_is_ours(page_address(table)));

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		u8 *p = (u8 *)(va + i * PAGE_SIZE);
		u8 *direct = page_address(pages[i]);

		PT_EXPECT_LEAF(test, kernel, (unsigned long)p,
			       page_to_phys(pages[i]), PT_RW, PGTLIB_LEVEL_PTE);
		memset(p, 0xa0 + i, PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, direct[0], 0xa0 + i);
		KUNIT_EXPECT_EQ(test, direct[PAGE_SIZE - 1], 0xa0 + i);
		direct[100] = i;
		KUNIT_EXPECT_EQ(test, READ_ONCE(p[100]), i);
	}
	PT_EXPECT_HOLE(test, kernel, va + ARRAY_SIZE(pages) * PAGE_SIZE);

	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va, ARRAY_SIZE(pages) * PAGE_SIZE,
				       &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, ARRAY_SIZE(pages));
	KUNIT_EXPECT_EQ(test, st.flushes, 1);
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		void *p = (void *)(va + i * PAGE_SIZE);

		KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, p, 1),
				-EFAULT);
		PT_EXPECT_HOLE(test, kernel, (unsigned long)p);
	}
	pt_live_done(test, l);
}

/*
 * The lockless fast path over more than part of one table, with
 * interrupts disabled, where x86 refuses whatever the fast path does not
 * finish: a map of 512 pages that fills one existing PTE table (and, over
 * a taken entry, fails and takes back all it wrote), a protect of that
 * whole table, and a protect across two PTE tables, which another CPU
 * then sees. A protect across a huge leaf between two tables is the
 * general path's: refused on x86 before any span changed, done on arm64.
 */
static void pgtlib_test_kernel_whole_tables(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PMD_SIZE, flags;
	unsigned int i, n = PMD_SIZE / PAGE_SIZE;
	struct page **pages, *huge, *other;
	struct pgtlib_range range;
	struct pgtlib_stats st;
	struct pgtlib_txn txn;
	int ret, cpu;
	u8 byte;

	pages = kunit_kcalloc(test, n, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < 4; i++)
		pages[i] = pt_alloc_page(test);
	for (; i < n; i++)
		pages[i] = pages[i % 4];
	other = pt_alloc_page(test);

	/* Install the PTE tables of both spans, then empty them. */
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va, pages, 1, PT_RW, 0, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va + PMD_SIZE, pages, 1, PT_RW, 0,
					    NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_unmap(kernel, va, 2 * PMD_SIZE, NULL), 0);

	/* A whole table's worth over a taken last entry: nothing is left. */
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va + PMD_SIZE - PAGE_SIZE, &other,
					    1, PT_RO, 0, NULL), 0);
	local_irq_save(flags);
	pgtlib_txn_begin(&txn, kernel, PGTLIB_TXN_NOALLOC);
	ret = pgtlib_map_pages(&txn, va, pages, n, PT_RW, 0);
	local_irq_restore(flags);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, ret, -EEXIST);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_mapped, 0);
	for (i = 0; i < n - 1; i += 37)
		PT_EXPECT_HOLE(test, kernel, va + i * PAGE_SIZE);
	PT_EXPECT_HOLE(test, kernel, va + (n - 2) * PAGE_SIZE);
	PT_EXPECT_LEAF(test, kernel, va + PMD_SIZE - PAGE_SIZE,
		       page_to_phys(other), PT_RO, PGTLIB_LEVEL_PTE);
	/* The _noflush form hands back what it wrote and took back. */
	ret = pgtlib_map_pages_prot_noflush(kernel, va, pages, n, PAGE_KERNEL,
					    0, &range);
	KUNIT_EXPECT_EQ(test, ret, -EEXIST);
	KUNIT_EXPECT_EQ(test, range.start, va);
	KUNIT_EXPECT_EQ(test, range.end, va + PMD_SIZE - PAGE_SIZE);
	flush_tlb_kernel_range(range.start, range.end);
	PT_EXPECT_HOLE(test, kernel, va);
	PT_EXPECT_HOLE(test, kernel, va + (n - 2) * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, pt_unmap(kernel, va + PMD_SIZE - PAGE_SIZE,
				       PAGE_SIZE, NULL), 0);

	/* Into the empty table: every PTE, and memory through each. */
	local_irq_save(flags);
	pgtlib_txn_begin(&txn, kernel, PGTLIB_TXN_NOALLOC);
	ret = pgtlib_map_pages(&txn, va, pages, n, PT_RW, 0);
	local_irq_restore(flags);
	pgtlib_txn_commit(&txn);
	/* Memory is written through it next. */
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_mapped, n);
	KUNIT_EXPECT_EQ(test, txn.stats.tables_allocated, 0);
	for (i = 0; i < n; i++)
		PT_EXPECT_LEAF(test, kernel, va + i * PAGE_SIZE,
			       page_to_phys(pages[i]), PT_RW, PGTLIB_LEVEL_PTE);
	for (i = 0; i < 4; i++) {
		u8 *p = (u8 *)(va + (n - 4 + i) * PAGE_SIZE);

		p[7] = 0xc0 + i;
		KUNIT_EXPECT_EQ(test, ((u8 *)page_address(pages[i]))[7],
				0xc0 + i);
	}

	/* The whole table read-only, and back. */
	local_irq_save(flags);
	pgtlib_txn_begin(&txn, kernel, PGTLIB_TXN_NOALLOC);
	ret = pgtlib_protect(&txn, va, PMD_SIZE, 0, PGTLIB_PROT_WRITE);
	local_irq_restore(flags);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_protected, n);
	PT_EXPECT_LEAF(test, kernel, va + 100 * PAGE_SIZE,
		       page_to_phys(pages[0]), PT_RO, PGTLIB_LEVEL_PTE);
	byte = 0x3c;
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault((void *)va, &byte, 1),
			-EFAULT);
	KUNIT_ASSERT_EQ(test, pt_protect(kernel, va, PMD_SIZE,
					 PGTLIB_PROT_WRITE, PGTLIB_PROT_EXEC,
					 NULL), 0);

	/* Across the two tables, seen by another CPU that used them. */
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va + PMD_SIZE, pages, 2, PT_RW, 0,
					    NULL), 0);
	migrate_disable();
	cpu = -1;
	if (num_online_cpus() > 1) {
		cpu = cpumask_any_but(cpu_online_mask, smp_processor_id());
		byte = 0x5a;
		KUNIT_EXPECT_EQ(test, pt_remote(cpu, va + PMD_SIZE, &byte,
						true), 0);
		KUNIT_EXPECT_EQ(test, pt_remote(cpu, va + PMD_SIZE - PAGE_SIZE,
						&byte, true), 0);
	}
	local_irq_save(flags);
	pgtlib_txn_begin(&txn, kernel, PGTLIB_TXN_NOALLOC);
	ret = pgtlib_protect(&txn, va + PMD_SIZE - 2 * PAGE_SIZE,
			     4 * PAGE_SIZE, 0, PGTLIB_PROT_WRITE);
	local_irq_restore(flags);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_protected, 4);
	KUNIT_EXPECT_EQ(test, txn.stats.leaves_split, 0);
	if (cpu >= 0) {
		KUNIT_EXPECT_EQ(test, pt_remote(cpu, va + PMD_SIZE, &byte,
						true), -EFAULT);
		KUNIT_EXPECT_EQ(test, pt_remote(cpu, va + PMD_SIZE - PAGE_SIZE,
						&byte, true), -EFAULT);
	}
	migrate_enable();
	for (i = 0; i < 4; i++) {
		unsigned long a = va + PMD_SIZE - 2 * PAGE_SIZE + i * PAGE_SIZE;

		PT_EXPECT_LEAF(test, kernel, a,
			       page_to_phys(pages[(a - va) / PAGE_SIZE % 4]),
			       PT_RO, PGTLIB_LEVEL_PTE);
		KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault((void *)a, &byte,
							     1), -EFAULT);
	}
	PT_EXPECT_LEAF(test, kernel, va + PMD_SIZE - 3 * PAGE_SIZE,
		       page_to_phys(pages[(n - 3) % 4]), PT_RW,
		       PGTLIB_LEVEL_PTE);

	/* A huge leaf between two tables: the general path's. */
	KUNIT_ASSERT_EQ(test, pt_unmap(kernel, va, 2 * PMD_SIZE, NULL), 0);
	huge = pt_alloc_huge(test, GFP_KERNEL);
	va += 2 * PMD_SIZE;
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va + PMD_SIZE - PAGE_SIZE, pages, 1,
					    PT_RW, 0, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_kmap(va + PMD_SIZE, page_to_phys(huge),
				      PMD_SIZE, PT_RW, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va + 2 * PMD_SIZE, pages, 1, PT_RW,
					    0, NULL), 0);
	if (PGTLIB_ARCH_FLUSH_IPI) {
		/* Refused before any span changed: the first PTE too. */
		local_irq_save(flags);
		pgtlib_txn_begin(&txn, kernel, PGTLIB_TXN_NOALLOC);
		ret = pgtlib_protect(&txn, va + PMD_SIZE - PAGE_SIZE,
				     PMD_SIZE + 2 * PAGE_SIZE, 0,
				     PGTLIB_PROT_WRITE);
		local_irq_restore(flags);
		pgtlib_txn_commit(&txn);
		KUNIT_EXPECT_EQ(test, ret, -EAGAIN);
		KUNIT_EXPECT_EQ(test, txn.stats.pages_protected, 0);
		PT_EXPECT_LEAF(test, kernel, va + PMD_SIZE - PAGE_SIZE,
			       page_to_phys(pages[0]), PT_RW, PGTLIB_LEVEL_PTE);
		PT_EXPECT_LEAF(test, kernel, va + PMD_SIZE, page_to_phys(huge),
			       PT_RW, PGTLIB_LEVEL_PMD);
	}
	KUNIT_ASSERT_EQ(test, pt_protect(kernel, va + PMD_SIZE - PAGE_SIZE,
					 PMD_SIZE + 2 * PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	PT_EXPECT_LEAF(test, kernel, va + PMD_SIZE - PAGE_SIZE,
		       page_to_phys(pages[0]), PT_RO, PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, kernel, va + PMD_SIZE, page_to_phys(huge), PT_RO,
		       PGTLIB_LEVEL_PMD);
	PT_EXPECT_LEAF(test, kernel, va + 2 * PMD_SIZE, page_to_phys(pages[0]),
		       PT_RO, PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test,
			copy_to_kernel_nofault((void *)(va + PMD_SIZE +
							PMD_SIZE / 2),
					       &byte, 1), -EFAULT);
	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va, 3 * PMD_SIZE, NULL), 0);
	pt_live_done(test, l);
}

/*
 * Remapping, in one transaction, an address the transaction unmapped: the
 * old translation is invalidated first, so the new page is what is read.
 */
static void pgtlib_test_kernel_remap(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + 5 * PMD_SIZE;
	struct page *old = pt_alloc_page(test), *new = pt_alloc_page(test);
	struct pgtlib_txn txn;

	memset(page_address(old), 0x11, PAGE_SIZE);
	memset(page_address(new), 0x22, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va, &old, 1, PT_RW, 0, NULL), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(*(u8 *)va), 0x11);

	pgtlib_txn_begin(&txn, kernel, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_unmap(&txn, va, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, txn.stats.flushes, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages(&txn, va, &new, 1, PT_RW, 0), 0);
	/* the unmap was invalidated before the new page went in */
	KUNIT_EXPECT_EQ(test, txn.stats.flushes, 1);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, txn.stats.flushes, 1);
	KUNIT_EXPECT_EQ(test, READ_ONCE(*(u8 *)va), 0x22);
	PT_EXPECT_LEAF(test, kernel, va, page_to_phys(new), PT_RW,
		       PGTLIB_LEVEL_PTE);
	pt_live_done(test, l);
}

/* A live 2M leaf: access, a split by protect, collapse, unmap. */
static void pgtlib_test_kernel_pmd_leaf(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + 3 * PMD_SIZE, ro = va + 3 * PAGE_SIZE;
	unsigned int extra = PGTLIB_ARCH_FLUSH_AFTER_SPLIT ||
			     PGTLIB_ARCH_NEEDS_BBM;
	struct pgtlib_stats st;
	struct page *page;
	phys_addr_t phys;
	u8 *direct, byte;

	page = pt_alloc_huge(test, GFP_KERNEL | __GFP_ZERO);
	phys = page_to_phys(page);
	direct = page_address(page);

	KUNIT_ASSERT_EQ(test, pt_kmap(va, phys, PMD_SIZE, PT_RW, &st), 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, PTRS_PER_PTE);
	PT_EXPECT_LEAF(test, kernel, va + SZ_1M, phys + SZ_1M, PT_RW,
		       PGTLIB_LEVEL_PMD);
	*(u32 *)(va + SZ_1M + 8) = 0x12345678;
	*(u8 *)ro = 0x77;
	KUNIT_EXPECT_EQ(test, *(u32 *)(direct + SZ_1M + 8), 0x12345678);
	KUNIT_EXPECT_EQ(test, direct[3 * PAGE_SIZE], 0x77);

	/* read-only 4K in the middle: one split, the rest stays writable */
	KUNIT_ASSERT_EQ(test, pt_protect(kernel, ro, PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 1);
	KUNIT_EXPECT_EQ(test, st.flushes, 1 + extra);
	PT_EXPECT_LEAF(test, kernel, ro, phys + 3 * PAGE_SIZE, PT_RO,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, kernel, ro + PAGE_SIZE, phys + 4 * PAGE_SIZE,
		       PT_RW, PGTLIB_LEVEL_PTE);
	byte = 0x99;
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault((void *)ro, &byte, 1),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault((void *)(ro + PAGE_SIZE),
						     &byte, 1), 0);
	KUNIT_EXPECT_EQ(test, direct[4 * PAGE_SIZE], 0x99);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, (void *)ro, 1), 0);
	KUNIT_EXPECT_EQ(test, byte, 0x77);
	KUNIT_EXPECT_EQ(test, *(u32 *)(va + SZ_1M + 8), 0x12345678);

	/* writable again, then back to one 2M leaf */
	KUNIT_ASSERT_EQ(test, pt_protect(kernel, ro, PAGE_SIZE,
					 PGTLIB_PROT_WRITE, PGTLIB_PROT_EXEC,
					 &st), 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 1);
	KUNIT_EXPECT_EQ(test, pt_collapse(kernel, va, PMD_SIZE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, 1);
	KUNIT_EXPECT_EQ(test, st.flushes, 1 + PGTLIB_ARCH_NEEDS_BBM);
	PT_EXPECT_LEAF(test, kernel, ro, phys + 3 * PAGE_SIZE, PT_RW,
		       PGTLIB_LEVEL_PMD);
	byte = 0x55;
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault((void *)ro, &byte, 1), 0);
	KUNIT_EXPECT_EQ(test, direct[3 * PAGE_SIZE], 0x55);

	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va, PMD_SIZE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 1);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, (void *)ro, 1),
			-EFAULT);

	/* an emptied PTE table stays; a 2M map replaces it with a leaf */
	KUNIT_ASSERT_EQ(test, pt_kmap(va, phys, PAGE_SIZE, PT_RW, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_unmap(kernel, va, PMD_SIZE, &st), 0);
	KUNIT_EXPECT_NOT_NULL(test, pt_table_page(kernel, va,
						  PGTLIB_LEVEL_PMD));
	KUNIT_ASSERT_EQ(test, pt_kmap(va, phys, PMD_SIZE, PT_RW, &st), 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 1);
	KUNIT_EXPECT_EQ(test, st.tables_allocated, 0);
	PT_EXPECT_LEAF(test, kernel, ro, phys + 3 * PAGE_SIZE, PT_RW,
		       PGTLIB_LEVEL_PMD);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, (void *)ro, 1),
			0);
	KUNIT_EXPECT_EQ(test, byte, 0x55);
	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va, PMD_SIZE, NULL), 0);
	pt_live_done(test, l);
}
/* @stage kunit-live-edge */

/*
 * A no-allocation protect of a live 2M leaf with interrupts disabled: x86
 * would have to interrupt the other CPUs after the split, so it refuses
 * with -EAGAIN and changes nothing; arm64 invalidates by broadcast TLBI.
 */
static void pgtlib_test_kernel_noalloc_irqs_off(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PMD_SIZE, flags;
	struct pgtlib_txn txn;
	struct page *page;
	phys_addr_t phys;
	int ret;
	u8 byte;

	page = pt_alloc_huge(test, GFP_KERNEL | __GFP_ZERO);
	phys = page_to_phys(page);
	KUNIT_ASSERT_EQ(test, pt_kmap(va, phys, PMD_SIZE, PT_RW, NULL), 0);
	KUNIT_ASSERT_EQ(test, pgtlib_reserve(kernel, va, PMD_SIZE, GFP_KERNEL),
			0);

	local_irq_save(flags);
	pgtlib_txn_begin(&txn, kernel, PGTLIB_TXN_NOALLOC);
	ret = pgtlib_protect(&txn, va + PAGE_SIZE, PAGE_SIZE, 0,
			     PGTLIB_PROT_WRITE);
	if (PGTLIB_ARCH_FLUSH_IPI) {
		/* nothing to invalidate: commit sends no IPI either */
		pgtlib_txn_commit(&txn);
		local_irq_restore(flags);
		KUNIT_EXPECT_EQ(test, ret, -EAGAIN);
		KUNIT_EXPECT_EQ(test, txn.stats.flushes, 0);
		PT_EXPECT_LEAF(test, kernel, va + PAGE_SIZE, phys + PAGE_SIZE,
			       PT_RW, PGTLIB_LEVEL_PMD);
		/* with interrupts enabled, it goes through */
		ret = pt_protect(kernel, va + PAGE_SIZE, PAGE_SIZE, 0,
				 PGTLIB_PROT_WRITE, NULL);
	} else {
		pgtlib_txn_commit(&txn);
		local_irq_restore(flags);
	}
	KUNIT_EXPECT_EQ(test, ret, 0);
	PT_EXPECT_LEAF(test, kernel, va + PAGE_SIZE, phys + PAGE_SIZE, PT_RO,
		       PGTLIB_LEVEL_PTE);
	byte = 1;
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault((void *)(va + PAGE_SIZE),
						     &byte, 1), -EFAULT);
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault((void *)va, &byte, 1), 0);
	pgtlib_unreserve(kernel, va, PMD_SIZE);
	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va, PMD_SIZE, NULL), 0);
	pt_live_done(test, l);
}
/* @stage end */
/* @stage end */
/* @stage kunit-faults */

/*
 * Several CPUs at once, each the owner of its own part of one PTE table
 * (every n-th page) and of a 2M slot of its own beside it, run map,
 * unmap, protect, split and collapse for PT_STRESS_SECS, each checking
 * its pages through the mapping against a model of its own.
 */
#define PT_STRESS_SECS		10
#define PT_STRESS_PAGES		8	/* pages in a thread's pool */

struct pt_stress {
	struct completion done;
	unsigned long shared;		/* the shared 2M slot */
	unsigned long own;		/* this thread's 2M slot */
	struct page *huge;		/* backs @own */
	struct page *pool[PT_STRESS_PAGES];
	unsigned int id, nr;
	unsigned long deadline;
	unsigned long ops, errors, split, collapsed;
	/* model of the shared slot's pages of this thread */
	int mapped[PTRS_PER_PTE];	/* pool index, or -1 */
	bool ro[PTRS_PER_PTE];
};

/* Does a shared-slot page of @t read and write as its model says? */
static bool pt_stress_check(struct pt_stress *t, unsigned int i)
{
	unsigned long va = t->shared + i * PAGE_SIZE;
	u8 byte = 0, tag;
	int w;

	if (t->mapped[i] < 0)
		return copy_from_kernel_nofault(&byte, (void *)va, 1) ==
		       -EFAULT;
	tag = t->id * PT_STRESS_PAGES + t->mapped[i] + 1;
	if (copy_from_kernel_nofault(&byte, (void *)va, 1) || byte != tag)
		return false;
	w = copy_to_kernel_nofault((void *)va, &tag, 1);
	return t->ro[i] ? w == -EFAULT : !w;
}

static int pt_stress_fn(void *arg)
{
	struct pt_stress *t = arg;
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct rnd_state rs;
	unsigned int i, n = PTRS_PER_PTE;
	u8 byte;

	prandom_seed_state(&rs, 0x70677400 + t->id);
	while (time_before(jiffies, t->deadline)) {
		u32 r = prandom_u32_state(&rs);
		/* a page of this thread's in the shared table */
		unsigned int page = (r >> 8) % (n / t->nr) * t->nr + t->id;
		unsigned long va = t->shared + page * PAGE_SIZE;
		int ret = 0, p;

		switch (r % 8) {
		case 0: case 1: case 2:
			if (t->mapped[page] >= 0)
				break;
			p = (r >> 20) % PT_STRESS_PAGES;
			ret = pt_kmap_pages(va, &t->pool[p], 1, PT_RW, 0, NULL);
			if (!ret) {
				t->mapped[page] = p;
				t->ro[page] = false;
			}
			break;
		case 3: case 4:
			ret = pt_unmap(kernel, va, PAGE_SIZE, NULL);
			t->mapped[page] = -1;
			break;
		case 5:
			ret = pt_protect(kernel, va, PAGE_SIZE,
					 t->ro[page] ? PGTLIB_PROT_WRITE : 0,
					 t->ro[page] ? PGTLIB_PROT_EXEC :
						       PGTLIB_PROT_WRITE,
					 NULL);
			if (!ret && t->mapped[page] >= 0)
				t->ro[page] = !t->ro[page];
			break;
		case 6: {
			/* this thread's own slot: split one page off, back */
			unsigned long off = ((r >> 8) % n) * PAGE_SIZE;
			struct pgtlib_stats st;

			ret = pt_protect(kernel, t->own + off, PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, &st);
			t->split += st.leaves_split;
			byte = 1;
			if (!ret && !copy_to_kernel_nofault((void *)(t->own + off),
							    &byte, 1))
				t->errors++;
			ret = ret ?: pt_protect(kernel, t->own + off, PAGE_SIZE,
						PGTLIB_PROT_WRITE,
						PGTLIB_PROT_EXEC, NULL);
			break;
		}
		default: {
			struct pgtlib_stats st;

			ret = pt_collapse(kernel, t->own, PMD_SIZE, &st);
			t->collapsed += st.leaves_collapsed;
			break;
		}
		}
		if (ret)
			t->errors++;
		if (!pt_stress_check(t, page))
			t->errors++;
		if (copy_from_kernel_nofault(&byte, (void *)(t->own +
							     (r % n) * PAGE_SIZE),
					     1) ||
		    byte != (u8)(r % n))
			t->errors++;
		t->ops++;
		cond_resched();
	}
	for (i = t->id; i < n; i += t->nr)
		if (!pt_stress_check(t, i))
			t->errors++;
	complete(&t->done);
	return 0;
}

static void pgtlib_test_kernel_stress(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned int nr = min(num_online_cpus(), 4U), i, j, cpu = 0;
	unsigned long deadline = jiffies + PT_STRESS_SECS * HZ;
	struct pt_stress *t;

	if (nr < 2)
		kunit_skip(test, "needs a second CPU");
	t = kunit_kcalloc(test, nr, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	for (i = 0; i < nr; i++) {
		t[i].id = i;
		t[i].nr = nr;
		t[i].shared = l->va;
		t[i].own = l->va + (i + 1) * PMD_SIZE;
		t[i].deadline = deadline;
		init_completion(&t[i].done);
		memset(t[i].mapped, -1, sizeof(t[i].mapped));
		for (j = 0; j < PT_STRESS_PAGES; j++) {
			t[i].pool[j] = pt_alloc_page(test);
			memset(page_address(t[i].pool[j]),
			       i * PT_STRESS_PAGES + j + 1, PAGE_SIZE);
		}
		t[i].huge = pt_alloc_huge(test, GFP_KERNEL);
		for (j = 0; j < PTRS_PER_PTE; j++)
			memset(page_address(t[i].huge) + j * PAGE_SIZE, j,
			       PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, pt_kmap(t[i].own, page_to_phys(t[i].huge),
					      PMD_SIZE, PT_RW, NULL), 0);
	}
	for (i = 0; i < nr; i++) {
		struct task_struct *k;

		cpu = cpumask_next(i ? cpu : -1, cpu_online_mask);
		k = kthread_create(pt_stress_fn, &t[i], "pgtlib_stress/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(k));
		kthread_bind(k, cpu);
		wake_up_process(k);
	}
	for (i = 0; i < nr; i++) {
		wait_for_completion(&t[i].done);
		kunit_info(test, "thread %u: %lu ops, %lu splits, %lu collapses\n",
			   i, t[i].ops, t[i].split, t[i].collapsed);
		KUNIT_EXPECT_EQ_MSG(test, t[i].errors, 0, "thread %u", i);
		KUNIT_EXPECT_GT(test, t[i].ops, 100);
		KUNIT_EXPECT_GT(test, t[i].split, 0);
		KUNIT_EXPECT_GT(test, t[i].collapsed, 0);
	}
	/* every slot of a thread's own is one 2M leaf again */
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ(test, pt_collapse(kernel, t[i].own, PMD_SIZE,
						  NULL), 0);
		PT_EXPECT_LEAF(test, kernel, t[i].own,
			       page_to_phys(t[i].huge), PT_RW,
			       PGTLIB_LEVEL_PMD);
	}
	pt_live_done(test, l);
}
/* @stage end */
/* @stage kunit-live-edge */

/*
 * RAM is in the direct map, write-back: a live uncached or write-combining
 * mapping of it would alias it with another memory type. Mapping it so
 * and protecting it so are refused, changing nothing.
 */
static void pgtlib_test_kernel_cache_alias(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	struct page *page = pt_alloc_page(test);
	unsigned long va = l->va + PMD_SIZE;
	struct pgtlib_stats st;

	KUNIT_EXPECT_EQ(test, pt_kmap(va, page_to_phys(page), PAGE_SIZE,
				      PT_RW | PGTLIB_PROT_NOCACHE, &st),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, pt_kmap_pages(va, &page, 1,
					    PT_RW | PGTLIB_PROT_WC, 0, &st),
			-EOPNOTSUPP);
	PT_EXPECT_HOLE(test, kernel, va);
	KUNIT_ASSERT_EQ(test, pt_kmap(va, page_to_phys(page), PAGE_SIZE, PT_RW,
				      NULL), 0);
	KUNIT_EXPECT_EQ(test, pt_protect(kernel, va, PAGE_SIZE,
					 PGTLIB_PROT_WC, 0, &st),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 0);
	PT_EXPECT_LEAF(test, kernel, va, page_to_phys(page), PT_RW,
		       PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va, PAGE_SIZE, NULL), 0);
	pt_live_done(test, l);
}

/* Read-only pages can be read but not written. */
static void pgtlib_test_kernel_protect_ro(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PUD_SIZE - 4 * PAGE_SIZE;
	struct page *pages[4];
	struct pgtlib_stats st;
	unsigned int i;
	u8 byte;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = pt_alloc_page(test);
		memset(page_address(pages[i]), i + 1, PAGE_SIZE);
	}
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va, pages, 4, PT_RW, 0, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_protect(kernel, va, 4 * PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 4);
	KUNIT_EXPECT_EQ(test, st.flushes, 1);
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		void *p = (void *)(va + i * PAGE_SIZE);

		PT_EXPECT_LEAF(test, kernel, (unsigned long)p,
			       page_to_phys(pages[i]), PT_RO, PGTLIB_LEVEL_PTE);
		byte = 0;
		KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, p, 1), 0);
		KUNIT_EXPECT_EQ(test, byte, i + 1);
		KUNIT_EXPECT_EQ(test, *(u8 *)(p + PAGE_SIZE - 1), i + 1);
		KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault(p, &byte, 1),
				-EFAULT);
	}
	KUNIT_ASSERT_EQ(test, pt_protect(kernel, va, 4 * PAGE_SIZE,
					 PGTLIB_PROT_WRITE, PGTLIB_PROT_EXEC,
					 &st), 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 1);
	byte = 0xee;
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault((void *)va, &byte, 1), 0);
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(pages[0]), 0xee);
	pt_live_done(test, l);
}

/*
 * Many unmaps in one transaction: one flush at commit; the table they
 * empty stays in init_mm, and the next map uses it again.
 */
static void pgtlib_test_kernel_one_flush(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + 4 * PMD_SIZE, spare0, spare1;
	const unsigned int nr = PTRS_PER_PTE, chunk = nr / 8;
	struct pgtlib_stats before, after;
	struct page **pages;
	struct pgtlib_txn txn;
	struct page *table;
	unsigned int i;
	int ret = 0;
	u8 byte;

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < nr; i++)
		pages[i] = pt_alloc_page(test);

	/* map-only: no flush, however many operations */
	pgtlib_txn_begin(&txn, kernel, 0);
	for (i = 0; i < nr; i += chunk)
		ret |= pgtlib_map_pages(&txn, va + i * PAGE_SIZE, pages + i,
					chunk, PT_RW, 0);
	pgtlib_txn_commit(&txn);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_mapped, nr);
	KUNIT_EXPECT_EQ(test, txn.stats.flushes, 0);
	table = pt_table_page(kernel, va, PGTLIB_LEVEL_PMD);
	KUNIT_ASSERT_NOT_NULL(test, table);
	KUNIT_EXPECT_TRUE(test, pgtlib_table_is_ours(page_address(table)));
	pgtlib_global_stats(&before);
	spin_lock(kernel->lock);
	spare0 = kernel->nr_spare;
	spin_unlock(kernel->lock);

	pgtlib_txn_begin(&txn, kernel, 0);
	for (i = 0; i < nr; i += chunk)
		ret |= pgtlib_unmap(&txn, va + i * PAGE_SIZE,
				    chunk * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, txn.stats.flushes, 0);
	/* emptied or not, a table of init_mm stays where walkers find it */
	ret = pgtlib_unmap(&txn, va, PMD_SIZE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_PTR_EQ(test, pt_table_page(kernel, va, PGTLIB_LEVEL_PMD),
			    table);
	KUNIT_EXPECT_TRUE(test, list_empty(&txn.free_tables));
	KUNIT_EXPECT_EQ(test, txn.stats.flushes, 0);
	pgtlib_txn_commit(&txn);

	KUNIT_EXPECT_EQ(test, txn.stats.flushes, 1);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_unmapped, nr);
	pgtlib_global_stats(&after);
	spin_lock(kernel->lock);
	spare1 = kernel->nr_spare;
	spin_unlock(kernel->lock);
	KUNIT_EXPECT_EQ(test, after.tables_freed, before.tables_freed);
	KUNIT_EXPECT_EQ(test, spare1, spare0);
	KUNIT_EXPECT_TRUE(test, pt_table_page(kernel, va, PGTLIB_LEVEL_PMD) ==
				table);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, (void *)va, 1),
			-EFAULT);

	/* the next map uses it again */
	KUNIT_EXPECT_EQ(test, pt_kmap_pages(va, pages, chunk, PT_RW, 0,
					    &after), 0);
	KUNIT_EXPECT_EQ(test, after.tables_allocated, 0);
	KUNIT_EXPECT_TRUE(test, pt_table_page(kernel, va, PGTLIB_LEVEL_PMD) ==
				table);
	pt_live_done(test, l);
}

/* An unmap before a replacing map in one transaction is still counted. */
static void pgtlib_test_kernel_replace(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PMD_SIZE;
	struct page *pages[4], *other[2];
	struct pgtlib_txn txn;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = pt_alloc_page(test);
		memset(page_address(pages[i]), i, PAGE_SIZE);
	}
	for (i = 0; i < ARRAY_SIZE(other); i++) {
		other[i] = pt_alloc_page(test);
		memset(page_address(other[i]), 0x10 + i, PAGE_SIZE);
	}
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va, pages, 4, PT_RW, 0, NULL), 0);
	KUNIT_EXPECT_EQ(test, *(u8 *)(va + 2 * PAGE_SIZE), 2);

	pgtlib_txn_begin(&txn, kernel, 0);
	ret = pgtlib_unmap(&txn, va, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	ret = pgtlib_map_pages(&txn, va + 2 * PAGE_SIZE, other, 2, PT_RW,
			       PGTLIB_MAP_REPLACE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_unmapped, 2);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_mapped, 2);
	KUNIT_EXPECT_GE(test, txn.stats.flushes, 1);
	KUNIT_EXPECT_EQ(test, *(u8 *)(va + 2 * PAGE_SIZE), 0x10);
	KUNIT_EXPECT_EQ(test, *(u8 *)(va + 3 * PAGE_SIZE), 0x11);
	PT_EXPECT_LEAF(test, kernel, va + 3 * PAGE_SIZE, page_to_phys(other[1]),
		       PT_RW, PGTLIB_LEVEL_PTE);
	PT_EXPECT_HOLE(test, kernel, va);
	pt_live_done(test, l);
}
/* @stage end */
/* @stage kunit-faults */

KUNIT_DEFINE_ACTION_WRAPPER(pt_vfree_action, vfree, const void *);

/* A kernel address whose whole top-level entry a private space can hold. */
static unsigned long pt_shared_top(unsigned long addr)
{
	unsigned long top = round_down(addr, PGDIR_SIZE);

	if (top < PAGE_OFFSET || top + PGDIR_SIZE < top)
		return 0;
	return top;
}

static void pgtlib_test_share_kernel(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space(), *s, *t;
	unsigned long a, addr, top, val;
	struct pgtlib_leaf ours, theirs;
	struct pgtlib_txn txn;
	struct page *page;
	void *buf;

	buf = vmalloc(PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pt_vfree_action,
							buf), 0);
	memset(buf, 0x3c, PAGE_SIZE);
	page = pt_alloc_page(test);
	/*
	 * The vmalloc area's entry, else the direct map's; with KASLR both
	 * may share a top-level entry with memory below PAGE_OFFSET, so
	 * else the first populated entry wholly above it.
	 */
	addr = (unsigned long)buf;
	top = pt_shared_top(addr);
	if (!top) {
		addr = (unsigned long)page_address(page);
		top = pt_shared_top(addr);
	}
	if (!top) {
		for (a = round_up(PAGE_OFFSET, PGDIR_SIZE); a && pt_shared_top(a);
		     a += PGDIR_SIZE) {
			if (pgd_present(pgdp_get(pgd_offset_pgd(init_mm.pgd, a)))) {
				top = a;
				break;
			}
		}
		addr = top;
	}
	KUNIT_ASSERT_NE(test, top, 0);

	s = pgtlib_space_create(top, top + PGDIR_SIZE, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s);
	KUNIT_EXPECT_EQ(test, pgtlib_space_share_kernel(s, top, top + PGDIR_SIZE),
			0);
	val = pgd_val(pgdp_get(pgd_offset_pgd(init_mm.pgd, addr)));
	KUNIT_EXPECT_NE(test, val, 0);
	KUNIT_EXPECT_EQ(test, pgd_val(pgdp_get(pgd_offset_pgd(s->pgd, addr))),
			val);
	/* the walker sees the kernel's own tables there */
	KUNIT_EXPECT_EQ(test, pgtlib_query(s, addr, &ours), 0);
	KUNIT_EXPECT_EQ(test, pgtlib_query(kernel, addr, &theirs), 0);
	KUNIT_EXPECT_EQ(test, (u64)ours.phys, (u64)theirs.phys);
	KUNIT_EXPECT_EQ(test, ours.level, theirs.level);

	/* but no operation may change them */
	pgtlib_txn_begin(&txn, s, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_map(&txn, top, PT_PHYS, PAGE_SIZE, PT_RW,
					 PGTLIB_MAP_REPLACE), -EPERM);
	KUNIT_EXPECT_EQ(test, pgtlib_map_pages(&txn, top, &page, 1, PT_RW, 0),
			-EPERM);
	KUNIT_EXPECT_EQ(test, pgtlib_unmap(&txn, addr & PAGE_MASK, PAGE_SIZE),
			-EPERM);
	KUNIT_EXPECT_EQ(test, pgtlib_protect(&txn, addr & PAGE_MASK, PAGE_SIZE,
					     0, PGTLIB_PROT_WRITE), -EPERM);
	KUNIT_EXPECT_EQ(test, pgtlib_collapse(&txn, top, PGDIR_SIZE), -EPERM);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_unmapped, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_reserve(s, top, PAGE_SIZE, GFP_KERNEL),
			-EPERM);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), 0);

	/* bad requests */
	KUNIT_EXPECT_EQ(test, pgtlib_space_share_kernel(kernel, top,
							top + PGDIR_SIZE),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pgtlib_space_share_kernel(s, top + PAGE_SIZE,
							top + PGDIR_SIZE),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pgtlib_space_share_kernel(s, top, top), -EINVAL);
	t = pgtlib_space_create(top, top + PGDIR_SIZE / 2, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	KUNIT_EXPECT_EQ(test, pgtlib_space_share_kernel(t, top,
							top + PGDIR_SIZE),
			-ERANGE);
	/* something of its own mapped there already */
	KUNIT_EXPECT_EQ(test, pt_map(t, top, PT_PHYS, PAGE_SIZE, PT_RW, 0, NULL),
			0);
	pgtlib_space_destroy(t);
	t = pgtlib_space_create(top, top + PGDIR_SIZE, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	KUNIT_EXPECT_EQ(test, pt_map(t, top, PT_PHYS, PAGE_SIZE, PT_RW, 0, NULL),
			0);
	KUNIT_EXPECT_EQ(test, pgtlib_space_share_kernel(t, top,
							top + PGDIR_SIZE),
			-EEXIST);
	PT_EXPECT_LEAF(test, t, top, PT_PHYS, PT_RW, PGTLIB_LEVEL_PTE);
	pgtlib_space_destroy(t);

	/* destroying the space leaves init_mm's tables alone */
	pgtlib_space_destroy(s);
	KUNIT_EXPECT_EQ(test, pgd_val(pgdp_get(pgd_offset_pgd(init_mm.pgd,
							      addr))), val);
	KUNIT_EXPECT_EQ(test, pgtlib_query(kernel, addr, &ours), 0);
	KUNIT_EXPECT_EQ(test, (u64)ours.phys, (u64)theirs.phys);
	KUNIT_EXPECT_EQ(test, READ_ONCE(*(u8 *)buf), 0x3c);
}
/* @stage end */
/* @stage kunit-collapse */

/* ---- a seeded random sequence against a reference model ---- */

#define PT_MODEL_PAGES	(SZ_4M >> PAGE_SHIFT)
#define PT_MODEL_STEPS	10000
#define PT_MODEL_SEED	0x70677463ULL

/* What each base page of a 4M window, across a PUD boundary, must map. */
struct pt_model {
	unsigned long base;
	phys_addr_t phys[PT_MODEL_PAGES];
	u8 prot[PT_MODEL_PAGES];	/* 0: a hole */
	/* walk comparison, counted under the space's lock */
	unsigned long next;
	unsigned int bad;
	unsigned long bad_va;
};

static int pt_model_walk_fn(const struct pgtlib_leaf *leaf, void *arg)
{
	struct pt_model *m = arg;
	unsigned long va;

	if (leaf->va != m->next && !m->bad++)
		m->bad_va = leaf->va;
	for (va = leaf->va; va < leaf->va + leaf->size; va += PAGE_SIZE) {
		unsigned long i = (va - m->base) >> PAGE_SHIFT;
		bool ok;

		if (va < m->base || i >= PT_MODEL_PAGES)
			ok = !leaf->present;
		else if (!m->prot[i])
			ok = !leaf->present;
		else
			ok = leaf->present && leaf->prot == m->prot[i] &&
			     leaf->phys + (va - leaf->va) == m->phys[i];
		if (!ok && !m->bad++)
			m->bad_va = va;
	}
	m->next = leaf->va + leaf->size;
	return 0;
}

/* Walk the window and a 2M margin on each side; all must match. */
static void pt_model_walk(struct kunit *test, struct pgtlib_space *s,
			  struct pt_model *m, unsigned int step)
{
	unsigned long start = m->base - SZ_2M, end = m->base + SZ_4M + SZ_2M;

	m->next = start;
	m->bad = 0;
	KUNIT_ASSERT_EQ(test, pgtlib_walk(s, start, end, pt_model_walk_fn, m),
			0);
	KUNIT_ASSERT_EQ_MSG(test, m->bad, 0, "step %u: walk differs at %#lx",
			    step, m->bad_va);
	KUNIT_ASSERT_EQ(test, m->next, end);
}

static bool pt_model_page_ok(struct pgtlib_space *s, struct pt_model *m,
			     long i)
{
	unsigned long va = m->base + i * PAGE_SIZE;
	struct pgtlib_leaf l;
	int ret = pgtlib_query(s, va, &l);

	if (i < 0 || i >= PT_MODEL_PAGES || !m->prot[i])
		return ret == -ENOENT;
	return !ret && l.phys == m->phys[i] && l.prot == m->prot[i];
}

/* Query the pages an operation touched, and one on each side. */
static void pt_model_check(struct kunit *test, struct pgtlib_space *s,
			   struct pt_model *m, long first, long nr,
			   unsigned int step)
{
	long i;

	for (i = first - 1; i <= first + nr; i++) {
		/* large ranges: the ends and a sample in between */
		if (nr > 64 && i > first + 16 && i < first + nr - 16 && i % 7)
			continue;
		KUNIT_ASSERT_TRUE_MSG(test, pt_model_page_ok(s, m, i),
				      "step %u: page %ld differs", step, i);
	}
}

static const unsigned int pt_model_prots[] = { PT_RO, PT_RW, PT_RX };
static const unsigned int pt_model_changes[][2] = {
	{ 0, PGTLIB_PROT_WRITE },
	{ PGTLIB_PROT_WRITE, PGTLIB_PROT_EXEC },
	{ PGTLIB_PROT_EXEC, PGTLIB_PROT_WRITE },
	{ 0, PGTLIB_PROT_EXEC },
};

static void pgtlib_test_random_model(struct kunit *test)
{
	long global = pt_global_tables();
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long splits = 0, collapses = 0, eexist = 0;
	struct pt_model *m;
	struct rnd_state rs;
	unsigned int step;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->base = pt_base() + SZ_1G - SZ_2M;
	prandom_seed_state(&rs, PT_MODEL_SEED);

	for (step = 0; step < PT_MODEL_STEPS; step++) {
		u32 r = prandom_u32_state(&rs), kind = r % 100;
		long first = prandom_u32_state(&rs) % PT_MODEL_PAGES, nr, i;
		unsigned long va;
		unsigned int prot, flags = 0, set, clear;
		struct pgtlib_stats st;
		phys_addr_t phys;
		int ret, exp = 0;

		nr = 1 + prandom_u32_state(&rs) % (r & 0x100 ? 64 : 8);
		if (!(r & 0xe00))
			nr = 1 + prandom_u32_state(&rs) % PT_MODEL_PAGES;
		nr = min_t(long, nr, PT_MODEL_PAGES - first);
		prot = pt_model_prots[(r >> 12) % ARRAY_SIZE(pt_model_prots)];

		if (kind < 45) {
			/* map: a random range, or an aligned 2M one */
			phys = PT_PHYS + (prandom_u32_state(&rs) % 2048) *
			       PAGE_SIZE;
			if (kind >= 30) {
				first = (r >> 16) & 1 ? PTRS_PER_PTE : 0;
				nr = PTRS_PER_PTE;
				phys = PT_PHYS + ((r >> 17) % 16) * SZ_2M;
			}
			if ((r >> 20) % 8 < 6)
				flags |= PGTLIB_MAP_REPLACE;
			if ((r >> 23) % 8 == 0)
				flags |= PGTLIB_MAP_BASE_PAGES;
			if (!(flags & PGTLIB_MAP_REPLACE))
				for (i = first; i < first + nr; i++)
					if (m->prot[i])
						exp = -EEXIST;
			va = m->base + first * PAGE_SIZE;
			ret = pt_map(s, va, phys, nr * PAGE_SIZE, prot, flags,
				     &st);
			KUNIT_ASSERT_EQ_MSG(test, ret, exp,
					    "step %u: map %#lx+%ld flags %u",
					    step, va, nr, flags);
			if (!ret) {
				for (i = 0; i < nr; i++) {
					m->phys[first + i] = phys + i * PAGE_SIZE;
					m->prot[first + i] = prot;
				}
			} else {
				eexist++;
			}
		} else if (kind < 70) {
			ret = pt_unmap(s, m->base + first * PAGE_SIZE,
				       nr * PAGE_SIZE, &st);
			KUNIT_ASSERT_EQ_MSG(test, ret, 0, "step %u: unmap", step);
			for (i = first; i < first + nr; i++)
				m->prot[i] = 0;
		} else if (kind < 95) {
			set = pt_model_changes[(r >> 12) % 4][0];
			clear = pt_model_changes[(r >> 12) % 4][1];
			ret = pt_protect(s, m->base + first * PAGE_SIZE,
					 nr * PAGE_SIZE, set, clear, &st);
			KUNIT_ASSERT_EQ_MSG(test, ret, 0, "step %u: protect",
					    step);
			for (i = first; i < first + nr; i++)
				if (m->prot[i])
					m->prot[i] = (m->prot[i] & ~clear) | set;
		} else {
			/* collapse changes no translation */
			first = 0;
			nr = PT_MODEL_PAGES;
			ret = pt_collapse(s, m->base, SZ_4M, &st);
			KUNIT_ASSERT_EQ_MSG(test, ret, 0, "step %u: collapse",
					    step);
		}
		KUNIT_ASSERT_EQ(test, st.flushes, 0);
		splits += st.leaves_split;
		collapses += st.leaves_collapsed;
		pt_model_check(test, s, m, first, nr, step);
		if (step % 500 == 499)
			pt_model_walk(test, s, m, step);
	}
	pt_model_walk(test, s, m, step);
	kunit_info(test, "%u steps: %lu splits, %lu collapses, %lu -EEXIST\n",
		   step, splits, collapses, eexist);
	KUNIT_EXPECT_GT(test, splits, 0);
	KUNIT_EXPECT_GT(test, collapses, 0);
	KUNIT_EXPECT_GT(test, eexist, 0);

	/* empty again: every table goes */
	KUNIT_EXPECT_EQ(test, pt_unmap(s, pt_base(), pt_end() - pt_base(), NULL),
			0);
	memset(m->prot, 0, sizeof(m->prot));
	pt_model_walk(test, s, m, step);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), 0);
	pt_destroy(test, s);
	KUNIT_EXPECT_EQ(test, pt_global_tables(), global);
}
/* @stage end */
/* @stage kunit-faults */

/* ---- injected allocation failures ---- */

struct pt_fail_case {
	const char *name;
	unsigned long off;		/* of the operation, from pt_base() */
	void (*setup)(struct kunit *test, struct pgtlib_space *s);
	int (*op)(struct pgtlib_txn *txn, unsigned long va);
};

static void pt_setup_1g(struct kunit *test, struct pgtlib_space *s)
{
	KUNIT_ASSERT_EQ(test, pt_map(s, pt_base() + SZ_1G, PT_PHYS, SZ_1G,
				     PT_RW, 0, NULL), 0);
}

static void pt_setup_2m(struct kunit *test, struct pgtlib_space *s)
{
	KUNIT_ASSERT_EQ(test, pt_map(s, pt_base() + SZ_1G, PT_PHYS, SZ_4M,
				     PT_RW, 0, NULL), 0);
}

static int pt_op_map_page(struct pgtlib_txn *txn, unsigned long va)
{
	return pgtlib_map(txn, va, PT_PHYS, PAGE_SIZE, PT_RW, 0);
}

static int pt_op_map_across(struct pgtlib_txn *txn, unsigned long va)
{
	return pgtlib_map(txn, va - PAGE_SIZE, PT_PHYS, 2 * PAGE_SIZE, PT_RW,
			  0);
}

static int pt_op_map_pages(struct pgtlib_txn *txn, unsigned long va)
{
	struct page *pages[2] = { ZERO_PAGE(0), ZERO_PAGE(0) };

	return pgtlib_map_pages(txn, va - PAGE_SIZE, pages, 2, PT_RO, 0);
}

static int pt_op_protect_page(struct pgtlib_txn *txn, unsigned long va)
{
	return pgtlib_protect(txn, va, PAGE_SIZE, 0, PGTLIB_PROT_WRITE);
}

static int pt_op_protect_across(struct pgtlib_txn *txn, unsigned long va)
{
	return pgtlib_protect(txn, va - PAGE_SIZE, 2 * PAGE_SIZE, 0,
			      PGTLIB_PROT_WRITE);
}

static int pt_op_unmap_page(struct pgtlib_txn *txn, unsigned long va)
{
	return pgtlib_unmap(txn, va, PAGE_SIZE);
}

static int pt_op_replace_page(struct pgtlib_txn *txn, unsigned long va)
{
	return pgtlib_map(txn, va, 2 * PT_PHYS, PAGE_SIZE, PT_RO,
			  PGTLIB_MAP_REPLACE);
}
/* @stage split-op */

static int pt_op_split_page(struct pgtlib_txn *txn, unsigned long va)
{
	return pgtlib_split(txn, va, PAGE_SIZE);
}
/* @stage end */

static const struct pt_fail_case pt_fail_cases[] = {
	{ "map_page_empty", SZ_1G + SZ_2M, NULL, pt_op_map_page },
	/* off == PGDIR_SIZE: set at run time */
	{ "map_across_top_level", 0, NULL, pt_op_map_across },
	{ "map_pages_across_pmd", SZ_1G + SZ_2M, NULL, pt_op_map_pages },
	{ "protect_page_in_1g", SZ_1G + SZ_4M + PAGE_SIZE, pt_setup_1g,
	  pt_op_protect_page },
	{ "protect_across_2m_leaves", SZ_1G + SZ_2M, pt_setup_2m,
	  pt_op_protect_across },
	{ "unmap_page_in_2m", SZ_1G + SZ_1M, pt_setup_2m, pt_op_unmap_page },
	{ "replace_page_in_1g", SZ_1G + SZ_8M + PAGE_SIZE, pt_setup_1g,
	  pt_op_replace_page },
/* @stage split-op */
	{ "split_page_in_1g", SZ_1G + SZ_4M + PAGE_SIZE, pt_setup_1g,
	  pt_op_split_page },
/* @stage end */
};

static void pt_fail_case_desc(const struct pt_fail_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pt_fail, pt_fail_cases, pt_fail_case_desc);
/* @stage end */
/* @stage kunit-reserve */

/* Table allocations: counted, and the Nth one failed (0: none). */
static unsigned int pt_alloc_fail_at, pt_allocs;

static struct page *pt_alloc_inject(struct pgtlib_txn *txn, gfp_t gfp)
{
	if (++pt_allocs == pt_alloc_fail_at)
		return NULL;
	return __pgtlib_table_alloc(txn, gfp);
}

/* Count (and fail the @fail_at th) table allocation from here on. */
static void pt_count_allocs(struct kunit *test, unsigned int fail_at)
{
	pt_allocs = 0;
	pt_alloc_fail_at = fail_at;
	kunit_activate_static_stub(test, pgtlib_table_alloc, pt_alloc_inject);
}
/* @stage end */
/* @stage kunit-faults */

/*
 * Fail the first, second, ... table allocation of the operation until it
 * succeeds: every failure is -ENOMEM with nothing changed and no table
 * page lost. Each attempt uses a fresh space, so no spare satisfies it.
 */
static void pgtlib_test_fail_alloc(struct kunit *test)
{
	const struct pt_fail_case *c = test->param_value;
	unsigned long off = c->off ?: PGDIR_SIZE, va = pt_base() + off;
	struct pt_walk *before, *after;
	unsigned int n, points = 0;
	bool done = false;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);

	for (n = 1; n < 32 && !done; n++) {
		long global = pt_global_tables();
		struct pgtlib_space *s = pt_new_space(test, 0);
		unsigned long tables;
		struct pgtlib_txn txn;
		int ret;

		if (c->setup)
			c->setup(test, s);
		before->n = 0;
		KUNIT_ASSERT_EQ(test, pgtlib_walk(s, va - SZ_4M, va + SZ_4M,
						  pt_walk_fn, before), 0);
		tables = pgtlib_space_nr_tables(s);

		pt_count_allocs(test, n);
		pgtlib_txn_begin(&txn, s, 0);
		ret = c->op(&txn, va);
		kunit_deactivate_static_stub(test, pgtlib_table_alloc);
		if (pt_allocs < n) {
			/* every allocation point has been failed once */
			KUNIT_EXPECT_EQ(test, ret, 0);
			pgtlib_txn_commit(&txn);
			KUNIT_EXPECT_EQ(test, txn.stats.tables_allocated, n - 1);
			done = true;
		} else {
			KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "allocation %u", n);
			KUNIT_EXPECT_EQ(test, pt_allocs, n);
			pgtlib_txn_abort(&txn);
			KUNIT_EXPECT_EQ(test, txn.stats.pages_mapped, 0);
			KUNIT_EXPECT_EQ(test, txn.stats.pages_unmapped, 0);
			KUNIT_EXPECT_EQ(test, txn.stats.pages_protected, 0);
			KUNIT_EXPECT_EQ(test, txn.stats.leaves_split, 0);
			after->n = 0;
			KUNIT_ASSERT_EQ(test, pgtlib_walk(s, va - SZ_4M,
							  va + SZ_4M,
							  pt_walk_fn, after),
					0);
			pt_expect_same_walk(test, before, after);
			KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables);
			points++;
		}
		pt_destroy(test, s);
		KUNIT_EXPECT_EQ(test, pt_global_tables(), global);
	}
	KUNIT_EXPECT_TRUE(test, done);
	KUNIT_EXPECT_GE(test, points, 1);
	kunit_info(test, "%u allocation points\n", points);
}

/* What a page of [va - 4M, va + 4M) translates to. */
#define PT_AROUND	(SZ_8M >> PAGE_SHIFT)

static void pt_query_around(struct pgtlib_space *s, unsigned long va,
			    struct pgtlib_leaf *l)
{
	unsigned long i;

	for (i = 0; i < PT_AROUND; i++) {
		unsigned long addr = va - SZ_4M + i * PAGE_SIZE;

		memset(&l[i], 0, sizeof(l[i]));
		if (pgtlib_query(s, addr, &l[i]) || !l[i].present) {
			memset(&l[i], 0, sizeof(l[i]));
			continue;
		}
		/* translations compare, not leaf sizes */
		l[i].va = addr;
		l[i].size = 0;
		l[i].level = 0;
	}
}

static unsigned int pt_take_fail_at, pt_takes;

static void *pt_take_short(struct pgtlib_space *space, struct list_head *list,
			   unsigned int level)
{
	if (++pt_takes == pt_take_fail_at)
		return NULL;
	return __pgtlib_tables_take(space, list, level);
}

/*
 * The tables an operation claimed fall short when its apply phase needs
 * them (the range changed under its owner between count and apply): the
 * first, second, ... table it takes is missing. Each time it fails with
 * -ENOMEM, every translation is as it was, nothing was written through a
 * leaf as if it were a table, and no table page is lost.
 */
static void pgtlib_test_short_count(struct kunit *test)
{
	const struct pt_fail_case *c = test->param_value;
	unsigned long off = c->off ?: PGDIR_SIZE, va = pt_base() + off;
	struct pgtlib_leaf *before, *after;
	unsigned int n, points = 0;
	bool done = false;

	before = kunit_kcalloc(test, PT_AROUND, sizeof(*before), GFP_KERNEL);
	after = kunit_kcalloc(test, PT_AROUND, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);

	for (n = 1; n < 32 && !done; n++) {
		long global = pt_global_tables();
		struct pgtlib_space *s = pt_new_space(test, 0);
		struct pgtlib_txn txn;
		int ret;

		if (c->setup)
			c->setup(test, s);
		pt_query_around(s, va, before);

		pt_takes = 0;
		pt_take_fail_at = n;
		kunit_activate_static_stub(test, pgtlib_tables_take,
					   pt_take_short);
		pgtlib_txn_begin(&txn, s, 0);
		ret = c->op(&txn, va);
		kunit_deactivate_static_stub(test, pgtlib_tables_take);
		if (pt_takes < n) {
			KUNIT_EXPECT_EQ(test, ret, 0);
			pgtlib_txn_commit(&txn);
			done = true;
		} else {
			KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "table %u", n);
			pgtlib_txn_abort(&txn);
			pt_query_around(s, va, after);
			KUNIT_EXPECT_EQ_MSG(test, memcmp(before, after,
							 PT_AROUND *
							 sizeof(*before)), 0,
					    "table %u", n);
			points++;
		}
		pt_destroy(test, s);
		KUNIT_EXPECT_EQ(test, pt_global_tables(), global);
	}
	KUNIT_EXPECT_TRUE(test, done);
	KUNIT_EXPECT_GE(test, points, 1);
}
/* @stage end */
/* @stage kunit-reserve */

/* ---- no-allocation mode ---- */

/*
 * pgtlib_unreserve() releases what pgtlib_reserve() promised, even after a
 * no-allocation split used a reserved spare and left no huge leaf.
 */
static void pgtlib_test_unreserve_exact(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G;
	struct pgtlib_txn txn;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_2M, PT_RW, 0, NULL), 0);
	KUNIT_ASSERT_EQ(test, pgtlib_reserve(s, va, SZ_2M, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s->nr_reserved, 1);

	pgtlib_txn_begin(&txn, s, PGTLIB_TXN_NOALLOC);
	KUNIT_EXPECT_EQ(test, pgtlib_protect(&txn, va, PAGE_SIZE, 0,
					     PGTLIB_PROT_WRITE), 0);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, txn.stats.leaves_split, 1);
	KUNIT_EXPECT_EQ(test, txn.stats.tables_allocated, 0);

	pgtlib_unreserve(s, va, SZ_2M);
	KUNIT_EXPECT_EQ(test, s->nr_reserved, 0);
}

static DEFINE_SPINLOCK(pt_atomic_lock);

static void pgtlib_test_noalloc_atomic(struct kunit *test)
{
	long global = pt_global_tables();
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G, tables;
	struct pgtlib_stats g0, g1;
	struct pgtlib_txn txn;
	int ret[5];
	unsigned long flags;

	/* a 2M leaf, then holes: reserve tables for all of [va, va + 4M) */
	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_2M, PT_RW, 0, NULL), 0);
	KUNIT_ASSERT_EQ(test, pgtlib_reserve(s, va, SZ_4M, GFP_KERNEL), 0);
	KUNIT_EXPECT_GE(test, s->nr_reserved, 1);
	KUNIT_EXPECT_NOT_NULL(test, pt_table_page(s, va + SZ_2M,
						  PGTLIB_LEVEL_PMD));
	tables = pgtlib_space_nr_tables(s);
	pgtlib_global_stats(&g0);

	pt_count_allocs(test, 0);
	spin_lock_irqsave(&pt_atomic_lock, flags);
	pgtlib_txn_begin(&txn, s, PGTLIB_TXN_NOALLOC);
	ret[0] = pgtlib_map(&txn, va + SZ_2M + 5 * PAGE_SIZE, PT_PHYS,
			    3 * PAGE_SIZE, PT_RW, 0);
	ret[1] = pgtlib_protect(&txn, va + PAGE_SIZE, PAGE_SIZE, 0,
				PGTLIB_PROT_WRITE);
	ret[2] = pgtlib_unmap(&txn, va + SZ_2M + 6 * PAGE_SIZE, PAGE_SIZE);
	ret[3] = pgtlib_map(&txn, va + SZ_2M + SZ_1M, PT_PHYS, SZ_1M, PT_RO,
			    0);
	ret[4] = pgtlib_unmap(&txn, va + SZ_2M, SZ_2M);
	pgtlib_txn_commit(&txn);
	spin_unlock_irqrestore(&pt_atomic_lock, flags);

	KUNIT_EXPECT_EQ(test, ret[0], 0);
	KUNIT_EXPECT_EQ(test, ret[1], 0);
	KUNIT_EXPECT_EQ(test, ret[2], 0);
	KUNIT_EXPECT_EQ(test, ret[3], 0);
	KUNIT_EXPECT_EQ(test, ret[4], 0);
	KUNIT_EXPECT_EQ(test, pt_allocs, 0);
	KUNIT_EXPECT_EQ(test, txn.stats.tables_allocated, 0);
	KUNIT_EXPECT_EQ(test, txn.stats.leaves_split, 1);
	KUNIT_EXPECT_EQ(test, txn.stats.pages_unmapped,
			3 + (SZ_1M >> PAGE_SHIFT));
	pgtlib_global_stats(&g1);
	KUNIT_EXPECT_EQ(test, g1.tables_allocated, g0.tables_allocated);
	PT_EXPECT_LEAF(test, s, va + PAGE_SIZE, PT_PHYS + PAGE_SIZE, PT_RO,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + 2 * PAGE_SIZE, PT_PHYS + 2 * PAGE_SIZE,
		       PT_RW, PGTLIB_LEVEL_PTE);
	PT_EXPECT_HOLE(test, s, va + SZ_2M + 5 * PAGE_SIZE);
	/* the emptied table is kept for later no-allocation use */
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables + 1);
	KUNIT_EXPECT_NOT_NULL(test, pt_table_page(s, va + SZ_2M,
						  PGTLIB_LEVEL_PMD));
	pgtlib_unreserve(s, va, SZ_4M);
	pt_destroy(test, s);
	KUNIT_EXPECT_EQ(test, pt_global_tables(), global);
}

/*
 * A reservation keeps its tables for its own range: a no-allocation
 * operation elsewhere, in no reservation, cannot take them, and each
 * reserved range keeps what it was promised.
 */
static void pgtlib_test_reserve_per_range(struct kunit *test)
{
	long global = pt_global_tables();
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long r1 = pt_base() + SZ_1G, r2 = r1 + SZ_4M, z = r1 + SZ_8M;
	struct page *page, *next;
	struct pgtlib_txn txn;
	LIST_HEAD(spares);
	int ret[3];

	KUNIT_ASSERT_EQ(test, pt_map(s, r1, PT_PHYS, SZ_16M, PT_RW, 0, NULL),
			0);
	KUNIT_ASSERT_EQ(test, pgtlib_reserve(s, r1, SZ_2M, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, pgtlib_reserve(s, r2, SZ_2M, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s->nr_reserved, 2);
	/* no spare outside the reservations */
	spin_lock(s->lock);
	list_splice_init(&s->spare, &spares);
	s->nr_spare = 0;
	spin_unlock(s->lock);

	pt_count_allocs(test, 0);
	pgtlib_txn_begin(&txn, s, PGTLIB_TXN_NOALLOC);
	ret[0] = pgtlib_protect(&txn, z + PAGE_SIZE, PAGE_SIZE, 0,
				PGTLIB_PROT_WRITE);
	ret[1] = pgtlib_protect(&txn, r2 + PAGE_SIZE, PAGE_SIZE, 0,
				PGTLIB_PROT_WRITE);
	ret[2] = pgtlib_protect(&txn, r1 + PAGE_SIZE, PAGE_SIZE, 0,
				PGTLIB_PROT_WRITE);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, ret[0], -ENOMEM);
	KUNIT_EXPECT_EQ(test, ret[1], 0);
	KUNIT_EXPECT_EQ(test, ret[2], 0);
	KUNIT_EXPECT_EQ(test, pt_allocs, 0);
	PT_EXPECT_LEAF(test, s, z + PAGE_SIZE, PT_PHYS + SZ_8M + PAGE_SIZE,
		       PT_RW, PGTLIB_LEVEL_PMD);
	PT_EXPECT_LEAF(test, s, r1 + PAGE_SIZE, PT_PHYS + PAGE_SIZE, PT_RO,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, r2 + PAGE_SIZE, PT_PHYS + SZ_4M + PAGE_SIZE,
		       PT_RO, PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, s->nr_reserved, 0);

	pgtlib_unreserve(s, r1, SZ_2M);
	pgtlib_unreserve(s, r2, SZ_2M);
	list_for_each_entry_safe(page, next, &spares, lru) {
		spin_lock(s->lock);
		list_move(&page->lru, &s->spare);
		s->nr_spare++;
		spin_unlock(s->lock);
	}
	pt_destroy(test, s);
	KUNIT_EXPECT_EQ(test, pt_global_tables(), global);
}

/* Without a reserved table, a no-allocation transaction fails cleanly. */
static void pgtlib_test_noalloc_enomem(struct kunit *test)
{
	struct pgtlib_space *s = pt_new_space(test, 0);
	unsigned long va = pt_base() + SZ_1G, tables;
	struct pt_walk *before, *after;
	struct pgtlib_txn txn;

	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_2M, PT_RW, 0, NULL), 0);
	KUNIT_ASSERT_EQ(test, s->nr_spare, 0);
	tables = pgtlib_space_nr_tables(s);
	before = pt_walk(test, s, va - SZ_2M, va + SZ_4M);

	pt_count_allocs(test, 0);
	pgtlib_txn_begin(&txn, s, PGTLIB_TXN_NOALLOC);
	KUNIT_EXPECT_EQ(test, pgtlib_protect(&txn, va + PAGE_SIZE, PAGE_SIZE, 0,
					     PGTLIB_PROT_WRITE), -ENOMEM);
	KUNIT_EXPECT_EQ(test, pgtlib_unmap(&txn, va + PAGE_SIZE, PAGE_SIZE),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, pgtlib_map(&txn, va + SZ_2M, PT_PHYS, PAGE_SIZE,
					 PT_RW, 0), -ENOMEM);
	KUNIT_EXPECT_EQ(test, pgtlib_map(&txn, pt_base() + PGDIR_SIZE, PT_PHYS,
					 PAGE_SIZE, PT_RW, 0), -ENOMEM);
	/* a whole leaf in an existing table needs no new table */
	KUNIT_EXPECT_EQ(test, pgtlib_map(&txn, va + SZ_4M, PT_PHYS, SZ_2M, PT_RO,
					 0), 0);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, pt_allocs, 0);
	KUNIT_EXPECT_EQ(test, txn.stats.leaves_split, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables);
	after = pt_walk(test, s, va - SZ_2M, va + SZ_4M);
	pt_expect_same_walk(test, before, after);
	PT_EXPECT_HOLE(test, s, pt_base() + PGDIR_SIZE);
	PT_EXPECT_LEAF(test, s, va + SZ_4M, PT_PHYS, PT_RO, PGTLIB_LEVEL_PMD);
}

/* ---- pgtlib_errors: bad arguments change nothing ---- */

enum pt_err_op {
	PT_ERR_MAP,
	PT_ERR_MAP_PAGES,
	PT_ERR_UNMAP,
	PT_ERR_PROTECT,
	PT_ERR_COLLAPSE,
	PT_ERR_RESERVE,
	PT_ERR_WALK,
	PT_ERR_QUERY,
};

/* Where an address is taken from. */
enum pt_err_where {
	PT_AT_WIN,	/* a 2M leaf after a 2M hole, then 4 PTEs at +2M+4K */
	PT_AT_START,	/* the start of the space */
	PT_AT_END,	/* its end */
	PT_AT_USER,	/* an absolute (user) address, in the kernel space */
};

struct pt_err_case {
	const char *name;
	enum pt_err_op op;
	enum pt_err_where where;
	long off;
	phys_addr_t phys;
	unsigned long size;		/* pages for PT_ERR_MAP_PAGES */
	unsigned int prot;		/* @set for PT_ERR_PROTECT */
	unsigned int clear;
	unsigned int flags;
	bool null_page;
	int err;
};

#define PT_P	(4 * PT_PHYS)
#define PT_WRAP	((unsigned long)-PAGE_SIZE)

static const struct pt_err_case pt_err_cases[] = {
	{ "map_va_misaligned", PT_ERR_MAP, PT_AT_WIN, SZ_8M + 0x800, PT_P,
	  PAGE_SIZE, PT_RW, 0, 0, false, -EINVAL },
	{ "map_phys_misaligned", PT_ERR_MAP, PT_AT_WIN, SZ_8M, PT_P + 0x10,
	  PAGE_SIZE, PT_RW, 0, 0, false, -EINVAL },
	{ "map_size_misaligned", PT_ERR_MAP, PT_AT_WIN, SZ_8M, PT_P,
	  PAGE_SIZE + 0x800, PT_RW, 0, 0, false, -EINVAL },
	{ "map_size_zero", PT_ERR_MAP, PT_AT_WIN, SZ_8M, PT_P, 0, PT_RW, 0, 0,
	  false, -EINVAL },
	{ "map_va_wraps", PT_ERR_MAP, PT_AT_WIN, SZ_8M, 0, PT_WRAP, PT_RW, 0, 0,
	  false, -EINVAL },
	{ "map_phys_wraps", PT_ERR_MAP, PT_AT_WIN, SZ_8M,
	  (phys_addr_t)-PAGE_SIZE, 2 * PAGE_SIZE, PT_RW, 0, 0, false, -EINVAL },
	{ "map_phys_beyond_cpu", PT_ERR_MAP, PT_AT_WIN, SZ_8M,
	  (phys_addr_t)BIT_ULL(52), PAGE_SIZE, PT_RW, 0, 0, false, -ERANGE },
	{ "map_phys_ends_beyond_cpu", PT_ERR_MAP, PT_AT_WIN, SZ_8M,
	  (phys_addr_t)BIT_ULL(52) - SZ_2M, SZ_4M, PT_RW, 0, 0, false,
	  -ERANGE },
	{ "map_below_start", PT_ERR_MAP, PT_AT_START, -PAGE_SIZE, PT_P,
	  2 * PAGE_SIZE, PT_RW, 0, 0, false, -ERANGE },
	{ "map_past_end", PT_ERR_MAP, PT_AT_END, -PAGE_SIZE, PT_P,
	  2 * PAGE_SIZE, PT_RW, 0, 0, false, -ERANGE },
	{ "map_user_address", PT_ERR_MAP, PT_AT_USER, SZ_1M, PT_P, PAGE_SIZE,
	  PT_RW, 0, 0, false, -ERANGE },
	{ "map_prot_unknown", PT_ERR_MAP, PT_AT_WIN, SZ_8M, PT_P, PAGE_SIZE,
	  PT_RW | BIT(5), 0, 0, false, -EINVAL },
	{ "map_prot_no_read", PT_ERR_MAP, PT_AT_WIN, SZ_8M, PT_P, PAGE_SIZE,
	  PGTLIB_PROT_WRITE, 0, 0, false, -EINVAL },
	{ "map_prot_w_and_x", PT_ERR_MAP, PT_AT_WIN, SZ_8M, PT_P, PAGE_SIZE,
	  PT_RW | PGTLIB_PROT_EXEC, 0, 0, false, -EINVAL },
	{ "map_prot_nocache_wc", PT_ERR_MAP, PT_AT_WIN, SZ_8M, PT_P, PAGE_SIZE,
	  PT_RO | PT_CACHE, 0, 0, false, -EINVAL },
	{ "map_flags_unknown", PT_ERR_MAP, PT_AT_WIN, SZ_8M, PT_P, PAGE_SIZE,
	  PT_RW, 0, BIT(5), false, -EINVAL },
	{ "map_flag_memtype_not_raw", PT_ERR_MAP, PT_AT_WIN, SZ_8M, PT_P,
	  PAGE_SIZE, PT_RW, 0, PGTLIB_MAP_CALLER_MEMTYPE, false, -EINVAL },
	{ "map_into_2m_leaf", PT_ERR_MAP, PT_AT_WIN, -SZ_2M, PT_P, SZ_4M, PT_RW,
	  0, 0, false, -EEXIST },
	{ "map_onto_pte", PT_ERR_MAP, PT_AT_WIN, SZ_2M, PT_P, 3 * PAGE_SIZE,
	  PT_RW, 0, 0, false, -EEXIST },
	{ "map_2m_onto_ptes", PT_ERR_MAP, PT_AT_WIN, SZ_2M, PT_P, SZ_2M, PT_RW,
	  0, 0, false, -EEXIST },
	{ "map_pages_null_page", PT_ERR_MAP_PAGES, PT_AT_WIN, SZ_8M, 0, 2, PT_RW,
	  0, 0, true, -EINVAL },
	{ "map_pages_none", PT_ERR_MAP_PAGES, PT_AT_WIN, SZ_8M, 0, 0, PT_RW, 0,
	  0, false, -EINVAL },
	{ "map_pages_flag_base", PT_ERR_MAP_PAGES, PT_AT_WIN, SZ_8M, 0, 2, PT_RW,
	  0, PGTLIB_MAP_BASE_PAGES, false, -EINVAL },
	{ "map_pages_flag_max_pmd", PT_ERR_MAP_PAGES, PT_AT_WIN, SZ_8M, 0, 2,
	  PT_RW, 0, PGTLIB_MAP_MAX_PMD, false, -EINVAL },
	{ "map_pages_no_read", PT_ERR_MAP_PAGES, PT_AT_WIN, SZ_8M, 0, 2,
	  PGTLIB_PROT_EXEC, 0, 0, false, -EINVAL },
	{ "map_pages_misaligned", PT_ERR_MAP_PAGES, PT_AT_WIN, SZ_8M + 8, 0, 2,
	  PT_RW, 0, 0, false, -EINVAL },
	{ "map_pages_onto_pte", PT_ERR_MAP_PAGES, PT_AT_WIN, SZ_2M, 0, 4, PT_RW,
	  0, 0, false, -EEXIST },
	{ "protect_clear_read", PT_ERR_PROTECT, PT_AT_WIN, 0, 0, PAGE_SIZE, 0,
	  PGTLIB_PROT_READ, 0, false, -EINVAL },
	{ "protect_set_and_clear", PT_ERR_PROTECT, PT_AT_WIN, 0, 0, PAGE_SIZE,
	  PGTLIB_PROT_WRITE, PGTLIB_PROT_WRITE | PGTLIB_PROT_EXEC, 0, false,
	  -EINVAL },
	{ "protect_write_keeps_exec", PT_ERR_PROTECT, PT_AT_WIN, 0, 0, PAGE_SIZE,
	  PGTLIB_PROT_WRITE, 0, 0, false, -EINVAL },
	{ "protect_exec_keeps_write", PT_ERR_PROTECT, PT_AT_WIN, 0, 0, PAGE_SIZE,
	  PGTLIB_PROT_EXEC, 0, 0, false, -EINVAL },
	{ "protect_nocache_and_wc", PT_ERR_PROTECT, PT_AT_WIN, 0, 0, PAGE_SIZE,
	  PT_CACHE, 0, 0, false, -EINVAL },
	{ "protect_unknown_bits", PT_ERR_PROTECT, PT_AT_WIN, 0, 0, PAGE_SIZE, 0,
	  BIT(6), 0, false, -EINVAL },
	{ "protect_misaligned", PT_ERR_PROTECT, PT_AT_WIN, 0x10, 0, PAGE_SIZE, 0,
	  PGTLIB_PROT_WRITE, 0, false, -EINVAL },
	{ "protect_past_end", PT_ERR_PROTECT, PT_AT_END, 0, 0, PAGE_SIZE, 0,
	  PGTLIB_PROT_WRITE, 0, false, -ERANGE },
	{ "unmap_size_zero", PT_ERR_UNMAP, PT_AT_WIN, 0, 0, 0, 0, 0, 0, false,
	  -EINVAL },
	{ "unmap_size_misaligned", PT_ERR_UNMAP, PT_AT_WIN, 0, 0, 100, 0, 0, 0,
	  false, -EINVAL },
	{ "unmap_wraps", PT_ERR_UNMAP, PT_AT_WIN, 0, 0, PT_WRAP, 0, 0, 0, false,
	  -EINVAL },
	{ "unmap_user_address", PT_ERR_UNMAP, PT_AT_USER, SZ_1M, 0, PAGE_SIZE, 0,
	  0, 0, false, -ERANGE },
	{ "collapse_below_start", PT_ERR_COLLAPSE, PT_AT_START, -SZ_2M, 0,
	  SZ_4M, 0, 0, 0, false, -ERANGE },
	{ "collapse_misaligned", PT_ERR_COLLAPSE, PT_AT_WIN, 0, 0, SZ_2M + 1, 0,
	  0, 0, false, -EINVAL },
	{ "reserve_past_end", PT_ERR_RESERVE, PT_AT_END, -PAGE_SIZE, 0,
	  2 * PAGE_SIZE, 0, 0, 0, false, -ERANGE },
	{ "reserve_size_zero", PT_ERR_RESERVE, PT_AT_WIN, SZ_8M, 0, 0, 0, 0, 0,
	  false, -EINVAL },
	{ "walk_empty_range", PT_ERR_WALK, PT_AT_WIN, 0, 0, 0, 0, 0, 0, false,
	  -EINVAL },
	{ "walk_misaligned", PT_ERR_WALK, PT_AT_WIN, 0x20, 0, PAGE_SIZE, 0, 0, 0,
	  false, -EINVAL },
	{ "walk_below_start", PT_ERR_WALK, PT_AT_START, -PAGE_SIZE, 0,
	  2 * PAGE_SIZE, 0, 0, 0, false, -ERANGE },
	{ "query_user_address", PT_ERR_QUERY, PT_AT_USER, SZ_1M, 0, 0, 0, 0, 0,
	  false, -ERANGE },
	{ "query_past_end", PT_ERR_QUERY, PT_AT_END, 0, 0, 0, 0, 0, 0, false,
	  -ERANGE },
};

static void pt_err_case_desc(const struct pt_err_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pt_err, pt_err_cases, pt_err_case_desc);

static int pt_nop_fn(const struct pgtlib_leaf *leaf, void *arg)
{
	return 0;
}

static void pgtlib_test_bad_args(struct kunit *test)
{
	const struct pt_err_case *c = test->param_value;
	bool kernel = c->where == PT_AT_USER;
	unsigned long win = pt_base() + SZ_1G + SZ_2M, va, tables = 0;
	struct pt_walk *before = NULL, *after;
	struct pgtlib_space *s;
	struct page *pages[4];
	struct pgtlib_stats st;
	struct pgtlib_leaf l;
	struct pgtlib_txn txn;
	unsigned int i;
	int ret;

	if (kernel) {
		s = pgtlib_kernel_space();
		va = c->off;
	} else {
		s = pt_new_space(test, 0);
		KUNIT_ASSERT_EQ(test, pt_map(s, win, PT_PHYS, SZ_2M, PT_RW, 0,
					     NULL), 0);
		KUNIT_ASSERT_EQ(test, pt_map(s, win + SZ_2M + PAGE_SIZE, PT_PHYS,
					     4 * PAGE_SIZE, PT_RO, 0, NULL), 0);
		before = pt_walk(test, s, win - SZ_2M, win + SZ_4M);
		tables = pgtlib_space_nr_tables(s);
		va = (c->where == PT_AT_WIN ? win : c->where == PT_AT_START ?
		      pt_base() : pt_end()) + c->off;
	}
	for (i = 0; i < ARRAY_SIZE(pages); i++)
		pages[i] = ZERO_PAGE(0);
	if (c->null_page)
		pages[1] = NULL;

	pgtlib_txn_begin(&txn, s, 0);
	switch (c->op) {
	case PT_ERR_MAP:
		ret = pgtlib_map(&txn, va, c->phys, c->size, c->prot, c->flags);
		break;
	case PT_ERR_MAP_PAGES:
		ret = pgtlib_map_pages(&txn, va, pages, c->size, c->prot,
				       c->flags);
		break;
	case PT_ERR_UNMAP:
		ret = pgtlib_unmap(&txn, va, c->size);
		break;
	case PT_ERR_PROTECT:
		ret = pgtlib_protect(&txn, va, c->size, c->prot, c->clear);
		break;
	case PT_ERR_COLLAPSE:
		ret = pgtlib_collapse(&txn, va, c->size);
		break;
	case PT_ERR_RESERVE:
		ret = pgtlib_reserve(s, va, c->size, GFP_KERNEL);
		break;
	case PT_ERR_WALK:
		ret = pgtlib_walk(s, va, va + c->size, pt_nop_fn, NULL);
		break;
	default:
		ret = pgtlib_query(s, va, &l);
		break;
	}
	pgtlib_txn_abort(&txn);
	st = txn.stats;
	KUNIT_EXPECT_EQ(test, ret, c->err);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, 0);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	if (kernel)
		return;

	/* nothing changed */
	after = pt_walk(test, s, win - SZ_2M, win + SZ_4M);
	pt_expect_same_walk(test, before, after);
	KUNIT_EXPECT_EQ(test, pgtlib_space_nr_tables(s), tables);
	PT_EXPECT_LEAF(test, s, win + PAGE_SIZE, PT_PHYS + PAGE_SIZE, PT_RW,
		       PGTLIB_LEVEL_PMD);
	PT_EXPECT_HOLE(test, s, win + SZ_8M);
}

static void pgtlib_test_space_create_errors(struct kunit *test)
{
	unsigned long base = pt_base();

	KUNIT_EXPECT_EQ(test, PTR_ERR(pgtlib_space_create(base, base + SZ_1G,
							  BIT(3), GFP_KERNEL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(pgtlib_space_create(base + 1, base + SZ_1G,
							  0, GFP_KERNEL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(pgtlib_space_create(base, base, 0,
							  GFP_KERNEL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(pgtlib_space_create(PAGE_SIZE, SZ_1G, 0,
							  GFP_KERNEL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pgtlib_level_size(PGTLIB_LEVEL_PMD), PMD_SIZE);
	KUNIT_EXPECT_EQ(test, pgtlib_level_size(PGTLIB_NR_LEVELS), 0);
	KUNIT_EXPECT_TRUE(test, pgtlib_level_has_leaf(PGTLIB_LEVEL_PTE));
	KUNIT_EXPECT_FALSE(test, pgtlib_level_has_leaf(PGTLIB_LEVEL_PGD));
}
/* @stage end */
/* @stage kunit-replace */

/* ---- contiguous-hint groups (arm64's contiguous bit) ---- */

#if PGTLIB_ARCH_CONT_PTES > 1

/* Leaves at @level in [va, va + size) that carry the contiguous hint. */
static unsigned long pt_nr_cont_at(struct pgtlib_space *s, unsigned int level,
				   unsigned long va, unsigned long size)
{
	unsigned long addr, val, n = 0;

	for (addr = va; addr < va + size; addr += pgtlib_level_size(level))
		if (pt_raw(s, addr, &val, NULL) == level &&
		    pgtlib_leaf_cont(level, val))
			n++;
	return n;
}

static unsigned long pt_nr_cont(struct pgtlib_space *s, unsigned long va,
				unsigned long size)
{
	return pt_nr_cont_at(s, PGTLIB_LEVEL_PTE, va, size);
}

/* Aligned, physically contiguous runs get the hint; nothing else does. */
static void pgtlib_test_cont_map(struct kunit *test)
{
	unsigned long cont = PGTLIB_CONT_SIZE, n = PGTLIB_ARCH_CONT_PTES;
	unsigned long va = pt_base() + PMD_SIZE, off = va + 4 * cont;
	unsigned long base = va + 8 * cont;
	struct pgtlib_space *s;
	struct pgtlib_stats st;

	s = pt_new_space(test, 0);

	/* two whole groups and one page: the page has no group */
	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, 2 * cont + PAGE_SIZE,
				     PT_RW, 0, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_mapped, 2 * n + 1);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(s, va, 2 * cont), 2 * n);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(s, va + 2 * cont, PAGE_SIZE), 0);
	PT_EXPECT_LEAF(test, s, va + cont + 3 * PAGE_SIZE,
		       PT_PHYS + cont + 3 * PAGE_SIZE, PT_RW,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, va + 2 * cont, PT_PHYS + 2 * cont, PT_RW,
		       PGTLIB_LEVEL_PTE);

	/* output off the group alignment */
	KUNIT_ASSERT_EQ(test, pt_map(s, off, PT_PHYS + PAGE_SIZE, 2 * cont,
				     PT_RW, 0, NULL), 0);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(s, off, 2 * cont), 0);
	PT_EXPECT_LEAF(test, s, off + cont, PT_PHYS + PAGE_SIZE + cont, PT_RW,
		       PGTLIB_LEVEL_PTE);

	/* the caller asked for base pages */
	KUNIT_ASSERT_EQ(test, pt_map(s, base, PT_PHYS, cont, PT_RW,
				     PGTLIB_MAP_BASE_PAGES, NULL), 0);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(s, base, cont), 0);
	PT_EXPECT_LEAF(test, s, base + cont - PAGE_SIZE,
		       PT_PHYS + cont - PAGE_SIZE, PT_RW, PGTLIB_LEVEL_PTE);

	/* or for no hint (as vmalloc does), 2M leaves still allowed */
	KUNIT_ASSERT_EQ(test, pt_map(s, base + cont, PT_PHYS, cont, PT_RW,
				     PGTLIB_MAP_NO_CONT, NULL), 0);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(s, base + cont, cont), 0);
	PT_EXPECT_LEAF(test, s, base + 2 * cont - PAGE_SIZE,
		       PT_PHYS + cont - PAGE_SIZE, PT_RW, PGTLIB_LEVEL_PTE);
	base = ALIGN(base + 2 * cont, PMD_SIZE);
	KUNIT_ASSERT_EQ(test, pt_map(s, base, PT_PHYS, PMD_SIZE, PT_RW,
				     PGTLIB_MAP_NO_CONT, NULL), 0);
	PT_EXPECT_LEAF(test, s, base + cont, PT_PHYS + cont, PT_RW,
		       pgtlib_level_has_leaf(PGTLIB_LEVEL_PMD) ?
		       PGTLIB_LEVEL_PMD : PGTLIB_LEVEL_PTE);
}
/* @stage end */
/* @stage kunit-protect */

/*
 * Changing part of a group rewrites the group without the hint and leaves
 * every translation as it was; changing all of it keeps the hint.
 */
static void pgtlib_test_cont_unfold(struct kunit *test)
{
	unsigned long cont = PGTLIB_CONT_SIZE, n = PGTLIB_ARCH_CONT_PTES;
	unsigned long va = pt_base() + PMD_SIZE, addr, cut;
	struct pgtlib_space *s;
	struct pgtlib_stats st;
	unsigned int i;

	s = pt_new_space(test, 0);
	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, 4 * cont, PT_RW, 0,
				     NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_nr_cont(s, va, 4 * cont), 4 * n);

	/* all of group 1 read-only: it keeps its hint */
	KUNIT_EXPECT_EQ(test, pt_protect(s, va + cont, cont, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, n);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(s, va, 4 * cont), 4 * n);
	PT_EXPECT_LEAF(test, s, va + 2 * cont - PAGE_SIZE,
		       PT_PHYS + 2 * cont - PAGE_SIZE, PT_RO,
		       PGTLIB_LEVEL_PTE);

	/* one page of group 0: only group 0 loses its hint */
	KUNIT_EXPECT_EQ(test, pt_protect(s, va + 5 * PAGE_SIZE, PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 1);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(s, va, cont), 0);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(s, va + cont, 3 * cont), 3 * n);
	for (i = 0; i < n; i++)
		PT_EXPECT_LEAF(test, s, va + i * PAGE_SIZE,
			       PT_PHYS + i * PAGE_SIZE, i == 5 ? PT_RO : PT_RW,
			       PGTLIB_LEVEL_PTE);

	/* an unmap that cuts groups 2 and 3 unfolds both */
	cut = va + 2 * cont + cont / 2;
	KUNIT_EXPECT_EQ(test, pt_unmap(s, cut, cont, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, n);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(s, va, 4 * cont), n);
	for (addr = va + 2 * cont; addr < va + 4 * cont; addr += PAGE_SIZE) {
		if (addr >= cut && addr < cut + cont)
			PT_EXPECT_HOLE(test, s, addr);
		else
			PT_EXPECT_LEAF(test, s, addr, PT_PHYS + addr - va,
				       PT_RW, PGTLIB_LEVEL_PTE);
	}

	/* a whole group goes without unfolding anything */
	KUNIT_EXPECT_EQ(test, pt_unmap(s, va + cont, cont, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, n);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(s, va, 4 * cont), 0);
	PT_EXPECT_HOLE(test, s, va + cont);
	PT_EXPECT_LEAF(test, s, va, PT_PHYS, PT_RW, PGTLIB_LEVEL_PTE);
}

#if PGTLIB_ARCH_CONT_PMDS > 1
static unsigned long pt_nr_cont_pmds(struct pgtlib_space *s, unsigned long va,
				     unsigned long size)
{
	return pt_nr_cont_at(s, PGTLIB_LEVEL_PMD, va, size);
}

/* Give the blocks of [va, va + size) the hint, as the kernel's own have. */
static void pt_fold_pmds(struct kunit *test, struct pgtlib_space *s,
			 unsigned long va, unsigned long size)
{
	unsigned long addr, val;
	void *ep;

	for (addr = va; addr < va + size; addr += PMD_SIZE) {
		KUNIT_ASSERT_EQ(test, pt_raw(s, addr, &val, &ep),
				PGTLIB_LEVEL_PMD);
		pgtlib_entry_write(PGTLIB_LEVEL_PMD, ep,
				   pgtlib_leaf_set_cont(PGTLIB_LEVEL_PMD, val,
							true));
	}
}

/*
 * pgtlib makes no groups of blocks, but one that an operation cuts is
 * unfolded first: protected as a whole it keeps its hint, cut inside a
 * block or between blocks it loses it, and every translation stays.
 */
static void pgtlib_test_cont_pmd_unfold(struct kunit *test)
{
	unsigned long group = PGTLIB_CONT_PMD_SIZE, n = PGTLIB_ARCH_CONT_PMDS;
	unsigned long va = pt_base(), addr, i;
	struct pgtlib_space *s;
	struct pgtlib_stats st;

	s = pt_new_space(test, 0);
	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, 3 * group, PT_RW, 0,
				     NULL), 0);
	KUNIT_EXPECT_EQ(test, pt_nr_cont_pmds(s, va, 3 * group), 0);
	pt_fold_pmds(test, s, va, 3 * group);
	KUNIT_ASSERT_EQ(test, pt_nr_cont_pmds(s, va, 3 * group), 3 * n);

	/* all of group 0 read-only: it keeps its hint */
	KUNIT_EXPECT_EQ(test, pt_protect(s, va, group, 0, PGTLIB_PROT_WRITE,
					 &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, group >> PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	KUNIT_EXPECT_EQ(test, pt_nr_cont_pmds(s, va, 3 * group), 3 * n);
	PT_EXPECT_LEAF(test, s, va + group - PMD_SIZE,
		       PT_PHYS + group - PMD_SIZE, PT_RO, PGTLIB_LEVEL_PMD);

	/* one page of group 1: the group unfolds, one of its blocks splits */
	addr = va + group + 3 * PMD_SIZE + 5 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, pt_protect(s, addr, PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 1);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 1);
	KUNIT_EXPECT_EQ(test, pt_nr_cont_pmds(s, va, group), n);
	KUNIT_EXPECT_EQ(test, pt_nr_cont_pmds(s, va + group, group), 0);
	KUNIT_EXPECT_EQ(test, pt_nr_cont_pmds(s, va + 2 * group, group), n);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(s, va + group + 3 * PMD_SIZE,
					 PMD_SIZE), 0);
	PT_EXPECT_LEAF(test, s, addr, PT_PHYS + addr - va, PT_RO,
		       PGTLIB_LEVEL_PTE);
	PT_EXPECT_LEAF(test, s, addr + PAGE_SIZE,
		       PT_PHYS + addr + PAGE_SIZE - va, PT_RW,
		       PGTLIB_LEVEL_PTE);
	for (i = 0; i < n; i++)
		if (i != 3)
			PT_EXPECT_LEAF(test, s, va + group + i * PMD_SIZE,
				       PT_PHYS + group + i * PMD_SIZE, PT_RW,
				       PGTLIB_LEVEL_PMD);

	/* whole blocks inside group 2: it unfolds, nothing splits */
	addr = va + 2 * group + 2 * PMD_SIZE;
	KUNIT_EXPECT_EQ(test, pt_unmap(s, addr, 2 * PMD_SIZE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, 2 * PMD_SIZE >> PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, pt_nr_cont_pmds(s, va + 2 * group, group), 0);
	PT_EXPECT_HOLE(test, s, addr);
	PT_EXPECT_HOLE(test, s, addr + PMD_SIZE);
	PT_EXPECT_LEAF(test, s, addr - PMD_SIZE, PT_PHYS + addr - PMD_SIZE - va,
		       PT_RW, PGTLIB_LEVEL_PMD);
	PT_EXPECT_LEAF(test, s, addr + 2 * PMD_SIZE,
		       PT_PHYS + addr + 2 * PMD_SIZE - va, PT_RW,
		       PGTLIB_LEVEL_PMD);
}
/* @stage kunit-collapse */

/*
 * A table of blocks that carry the contiguous hint collapses into one PUD
 * block without it: a PUD block with the bit would claim 16 x 1G.
 */
static void pgtlib_test_cont_pmd_collapse(struct kunit *test)
{
	unsigned long va = pt_base() + SZ_1G, val;
	struct pgtlib_space *s;
	struct pgtlib_stats st;

	if (!pgtlib_level_has_leaf(PGTLIB_LEVEL_PUD))
		kunit_skip(test, "no PUD blocks with this granule");
	s = pt_new_space(test, 0);
	KUNIT_ASSERT_EQ(test, pt_map(s, va, PT_PHYS, SZ_1G, PT_RW, 0, NULL), 0);
	/* split to blocks and back: a PMD table of pgtlib's own */
	KUNIT_ASSERT_EQ(test, pt_protect(s, va, PAGE_SIZE, 0, PGTLIB_PROT_WRITE,
					 NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_protect(s, va, PAGE_SIZE, PGTLIB_PROT_WRITE,
					 PGTLIB_PROT_EXEC, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_collapse(s, va, PMD_SIZE, NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_raw(s, va, &val, NULL), PGTLIB_LEVEL_PMD);
	pt_fold_pmds(test, s, va, SZ_1G);
	KUNIT_ASSERT_EQ(test, pt_nr_cont_pmds(s, va, SZ_1G),
			PTRS_PER_PMD);

	KUNIT_EXPECT_EQ(test, pt_collapse(s, va, SZ_1G, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_collapsed, 1);
	KUNIT_ASSERT_EQ(test, pt_raw(s, va, &val, NULL), PGTLIB_LEVEL_PUD);
	KUNIT_EXPECT_EQ(test, val & PTE_CONT, 0);
	PT_EXPECT_LEAF(test, s, va + SZ_256M, PT_PHYS + SZ_256M, PT_RW,
		       PGTLIB_LEVEL_PUD);
}
/* @stage end */
#endif
/* @stage end */
/* @stage kunit-live-edge */

#if PGTLIB_ARCH_NEEDS_BBM /* and PGTLIB_ARCH_CONT_PTES > 1 */
/*
 * Break-before-make where other CPUs run: a split (even one that changes
 * no protection) of a kernel image or linear map leaf is refused with
 * -EBUSY and nothing changes; where no split is needed, nothing is broken
 * and the operation goes through.
 */
static void pgtlib_test_kernel_bbm_refused(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct page *page = pt_alloc_page(test);
	unsigned long addrs[] = {
		(unsigned long)__start_rodata + PAGE_SIZE,
		(unsigned long)page_address(page),
	};
	struct pgtlib_leaf before, after;
	struct pgtlib_stats st;
	unsigned int i;
	pte_t *pte;
	int ret;

	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		KUNIT_ASSERT_EQ(test, pgtlib_query(kernel, addrs[i], &before),
				0);
		ret = pt_protect(kernel, addrs[i], PAGE_SIZE, 0, 0, &st);
		KUNIT_EXPECT_EQ(test, st.flushes, 0);
		KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
		pte = before.level > PGTLIB_LEVEL_PTE ? NULL :
		      virt_to_kpte(addrs[i]);
		if (!pte || pgtlib_arch_pte_cont(pte_val(__ptep_get(pte))))
			KUNIT_EXPECT_EQ_MSG(test, ret, -EBUSY, "va %#lx",
					    addrs[i]);
		else
			KUNIT_EXPECT_EQ_MSG(test, ret, 0, "va %#lx", addrs[i]);
		KUNIT_ASSERT_EQ(test, pgtlib_query(kernel, addrs[i], &after),
				0);
		KUNIT_EXPECT_EQ(test, after.level, before.level);
		KUNIT_EXPECT_EQ(test, (u64)after.phys, (u64)before.phys);
		KUNIT_EXPECT_EQ(test, after.prot, before.prot);
	}
}
#endif

static void pt_free_cont(void *page)
{
	__free_pages(page, ilog2(PGTLIB_ARCH_CONT_PTES));
}

/*
 * A live group: mapped with the hint, usable; unmapping one page of it
 * breaks the group before making it anew (one flush) and the other pages
 * stay readable throughout.
 */
static void pgtlib_test_kernel_cont(struct kunit *test)
{
	unsigned long cont = PGTLIB_CONT_SIZE, n = PGTLIB_ARCH_CONT_PTES;
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PMD_SIZE, i;
	struct pgtlib_stats st;
	struct page *page;
	u8 *direct, byte;

	page = alloc_pages(GFP_KERNEL | __GFP_ZERO, ilog2(n));
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pt_free_cont,
							page), 0);
	direct = page_address(page);

	KUNIT_ASSERT_EQ(test, pt_kmap(va, page_to_phys(page), cont, PT_RW,
				      &st), 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(kernel, va, cont), n);
	for (i = 0; i < n; i++)
		*(u8 *)(va + i * PAGE_SIZE + 7) = 0x40 + i;
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, direct[i * PAGE_SIZE + 7], 0x40 + i);

	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va + 3 * PAGE_SIZE, PAGE_SIZE,
				       &st), 0);
	/* break-before-make of the group, then the unmap's own flush */
	KUNIT_EXPECT_EQ(test, st.flushes, 2);
	KUNIT_EXPECT_EQ(test, st.pages_unmapped, 1);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(kernel, va, cont), 0);
	KUNIT_EXPECT_EQ(test, pt_peek(va + 3 * PAGE_SIZE, &byte), -EFAULT);
	for (i = 0; i < n; i++) {
		if (i == 3)
			continue;
		KUNIT_EXPECT_EQ(test, pt_peek(va + i * PAGE_SIZE + 7, &byte),
				0);
		KUNIT_EXPECT_EQ(test, byte, 0x40 + i);
	}
	pt_live_done(test, l);
}
/* @stage end */
/* @stage kunit-replace */
#endif /* PGTLIB_ARCH_CONT_PTES > 1 */
/* @stage end */

static struct kunit_case pgtlib_private_cases[] = {
	KUNIT_CASE(pgtlib_test_map_pte),
	KUNIT_CASE(pgtlib_test_map_pmd),
	KUNIT_CASE(pgtlib_test_map_pud),
	KUNIT_CASE(pgtlib_test_walk_holes),
	KUNIT_CASE(pgtlib_test_map_mixed),
	KUNIT_CASE(pgtlib_test_map_base_pages),
	KUNIT_CASE(pgtlib_test_map_cross_top),
/* @stage kunit-replace */
	KUNIT_CASE(pgtlib_test_unmap_split),
	KUNIT_CASE(pgtlib_test_map_pages),
	KUNIT_CASE(pgtlib_test_map_replace),
#if PGTLIB_ARCH_CONT_PTES > 1
	KUNIT_CASE(pgtlib_test_cont_map),
#endif
/* @stage end */
/* @stage kunit-protect */
	KUNIT_CASE(pgtlib_test_protect_levels),
	KUNIT_CASE(pgtlib_test_protect_ro_clean),
	KUNIT_CASE(pgtlib_test_protect_cache),
	KUNIT_CASE(pgtlib_test_protect_exec_uncached),
	KUNIT_CASE(pgtlib_test_protect_split_pmd),
	KUNIT_CASE(pgtlib_test_protect_split_pud),
	KUNIT_CASE(pgtlib_test_protect_split_two),
/* @stage split-op */
	KUNIT_CASE(pgtlib_test_split),
/* @stage end */
#if PGTLIB_ARCH_CONT_PTES > 1
	KUNIT_CASE(pgtlib_test_cont_unfold),
#endif
#if PGTLIB_ARCH_CONT_PMDS > 1
	KUNIT_CASE(pgtlib_test_cont_pmd_unfold),
#endif
	KUNIT_CASE(pgtlib_test_live_flushes),
/* @stage end */
/* @stage kunit-collapse */
	KUNIT_CASE(pgtlib_test_collapse_bottom_up),
	KUNIT_CASE(pgtlib_test_collapse_refused),
	KUNIT_CASE(pgtlib_test_collapse_any),
#if PGTLIB_ARCH_CONT_PMDS > 1
	KUNIT_CASE(pgtlib_test_cont_pmd_collapse),
#endif
/* @stage end */
/* @stage kunit-reserve */
	KUNIT_CASE(pgtlib_test_unreserve_exact),
	KUNIT_CASE(pgtlib_test_noalloc_atomic),
	KUNIT_CASE(pgtlib_test_noalloc_enomem),
	KUNIT_CASE(pgtlib_test_reserve_per_range),
/* @stage end */
/* @stage kunit-faults */
	KUNIT_CASE(pgtlib_test_global_counting),
	KUNIT_CASE(pgtlib_test_accounting),
	KUNIT_CASE_PARAM(pgtlib_test_fail_alloc, pt_fail_gen_params),
	KUNIT_CASE_PARAM(pgtlib_test_short_count, pt_fail_gen_params),
/* @stage end */
/* @stage kunit-collapse */
	KUNIT_CASE_SLOW(pgtlib_test_random_model),
/* @stage end */
	{}
};

static struct kunit_suite pgtlib_private_suite = {
	.name = "pgtlib_private",
	.init = pt_leak_init,
	.test_cases = pgtlib_private_cases,
};
/* @stage ptes */

/* The bits that make a kernel PTE valid, as set_memory_valid()/_np() use them. */
#ifdef CONFIG_ARM64
#define PT_VALID_BITS	PTE_VALID
#else
#define PT_VALID_BITS	(_PAGE_PRESENT | _PAGE_GLOBAL)
#endif

static pgprot_t pt_valid_bits(void)
{
	return __pgprot(pgprot_val(PAGE_KERNEL) & PT_VALID_BITS);
}

/* What making a PAGE_KERNEL PTE invalid leaves: the kernel's pfn_pte(). */
static unsigned long pt_invalid_pte(unsigned long pfn)
{
	return pte_val(pfn_pte(pfn, __pgprot(pgprot_val(PAGE_KERNEL) &
					     ~PT_VALID_BITS)));
}

static int pt_set_valid(unsigned long va, unsigned long size, bool valid,
			struct pgtlib_stats *st)
{
	pgprot_t bits = pt_valid_bits(), none = __pgprot(0);
	struct pgtlib_txn txn;

	pgtlib_txn_begin(&txn, pgtlib_kernel_space(), 0);
	return pt_end_txn(&txn, pgtlib_change_ptes(&txn, va, size,
						   valid ? bits : none,
						   valid ? none : bits), st);
}

/* The PTE of each of @nr pages from @va: PAGE_KERNEL, valid or not. */
static void pt_expect_ptes(struct kunit *test, unsigned long va,
			   struct page **pages, unsigned int nr, bool valid)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	unsigned long val, pfn;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		pfn = page_to_pfn(pages[i]);
		KUNIT_EXPECT_EQ(test, pt_raw(kernel, va + i * PAGE_SIZE, &val,
					     NULL), PGTLIB_LEVEL_PTE);
		KUNIT_EXPECT_EQ_MSG(test, (u64)val, valid ?
				    (u64)pte_val(pfn_pte(pfn, PAGE_KERNEL)) :
				    (u64)pt_invalid_pte(pfn), "page %u", i);
	}
}

/*
 * pgtlib_change_ptes() as set_memory_valid() uses it: three pages across
 * two PTE tables made invalid with interrupts disabled, in one flush;
 * then unreadable here and on another CPU that had them in its TLB, and
 * reported as holes, each PTE still holding its page; made valid again
 * with no flush, bit for bit as mapped, readable and writable everywhere.
 * Holes stay holes. A protection change of the invalid entries is kept
 * for when they are valid again. The _noflush form hands back the range
 * to invalidate, or none. A huge leaf in the range refuses it with
 * nothing changed. A map over the invalid entries is refused, as over
 * valid ones; pgtlib_unmap() clears them.
 */
static void pgtlib_test_kernel_change_ptes(struct kunit *test)
{
	pgprot_t ro = pt_ro_bits(), rw = pt_rw_bits();
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + PMD_SIZE - 2 * PAGE_SIZE, val, i;
	unsigned long hva = l->va + 2 * PMD_SIZE;
	struct page *pages[3], *huge;
	struct pgtlib_leaf leaf;
	struct pgtlib_stats st;
	struct pgtlib_range r;
	struct pgtlib_txn txn;
	int ret, other = -1;
	u8 byte;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = pt_alloc_page(test);
		memset(page_address(pages[i]), 0x30 + i, PAGE_SIZE);
	}
	KUNIT_ASSERT_EQ(test, pt_kmap_pages(va, pages, 3, PT_RW, 0, NULL), 0);

	migrate_disable();
	if (num_online_cpus() > 1)
		other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, pt_peek(va + i * PAGE_SIZE, &byte), 0);
		KUNIT_EXPECT_EQ(test, byte, 0x30 + i);
		if (other < 0)
			continue;
		KUNIT_EXPECT_EQ(test, pt_remote(other, va + i * PAGE_SIZE,
						&byte, false), 0);
		KUNIT_EXPECT_EQ(test, byte, 0x30 + i);
	}

	/* invalid, changed with interrupts off: no lock, no allocation */
	pgtlib_txn_begin(&txn, kernel, 0);
	local_irq_disable();
	ret = pgtlib_change_ptes(&txn, va, 3 * PAGE_SIZE, __pgprot(0),
				 pt_valid_bits());
	local_irq_enable();
	KUNIT_EXPECT_EQ(test, pt_end_txn(&txn, ret, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 3);
	KUNIT_EXPECT_EQ(test, st.flushes, 1);
	KUNIT_EXPECT_EQ(test, st.tables_allocated, 0);
	pt_expect_ptes(test, va, pages, 3, false);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, pgtlib_query(kernel, va + i * PAGE_SIZE,
						   &leaf), -ENOENT);
		KUNIT_EXPECT_EQ(test, pt_peek(va + i * PAGE_SIZE, &byte),
				-EFAULT);
		if (other >= 0)
			KUNIT_EXPECT_EQ(test, pt_remote(other, va + i * PAGE_SIZE,
							&byte, false), -EFAULT);
	}
	/* again: nothing to change, nothing to flush */
	KUNIT_EXPECT_EQ(test, pt_set_valid(va, 3 * PAGE_SIZE, false, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);

	/* read-only while invalid: changed, no flush, kept */
	pgtlib_txn_begin(&txn, kernel, 0);
	ret = pgtlib_change_ptes(&txn, va, PAGE_SIZE, ro, rw);
	KUNIT_EXPECT_EQ(test, pt_end_txn(&txn, ret, &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 1);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);

	/* valid again, over a hole on either side: no flush needed */
	KUNIT_EXPECT_EQ(test, pt_set_valid(va - PAGE_SIZE, 5 * PAGE_SIZE, true,
					   &st), 0);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 3);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	KUNIT_EXPECT_EQ(test, pt_raw(kernel, va, &val, NULL), PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, (u64)val,
			(u64)pte_val(pfn_pte(page_to_pfn(pages[0]),
					     PAGE_KERNEL_RO)));
	pt_expect_ptes(test, va + PAGE_SIZE, pages + 1, 2, true);
	KUNIT_EXPECT_EQ(test, pt_raw(kernel, va - PAGE_SIZE, &val, NULL),
			PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, (u64)val, 0);
	KUNIT_EXPECT_EQ(test, pt_raw(kernel, va + 3 * PAGE_SIZE, &val, NULL),
			PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, (u64)val, 0);
	byte = 0x7f;
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault((void *)va, &byte, 1),
			-EFAULT);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, pt_peek(va + i * PAGE_SIZE, &byte), 0);
		KUNIT_EXPECT_EQ(test, byte, 0x30 + i);
		if (other < 0 || !i)
			continue;
		byte = 0x40 + i;
		KUNIT_EXPECT_EQ(test, pt_remote(other, va + i * PAGE_SIZE,
						&byte, true), 0);
		KUNIT_EXPECT_EQ(test, *(u8 *)page_address(pages[i]), 0x40 + i);
	}
	migrate_enable();
	pgtlib_txn_begin(&txn, kernel, 0);
	ret = pgtlib_change_ptes(&txn, va, PAGE_SIZE, rw, ro);
	KUNIT_EXPECT_EQ(test, pt_end_txn(&txn, ret, &st), 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 1);
	pt_expect_ptes(test, va, pages, 3, true);

	/* the _noflush form hands back what to invalidate instead */
	KUNIT_EXPECT_EQ(test, pgtlib_change_ptes_noflush(kernel, va,
							 3 * PAGE_SIZE,
							 __pgprot(0),
							 pt_valid_bits(), &r),
			0);
	KUNIT_EXPECT_EQ(test, r.start, va);
	KUNIT_EXPECT_EQ(test, r.end, va + 3 * PAGE_SIZE);
	pt_expect_ptes(test, va, pages, 3, false);
	flush_tlb_kernel_range(r.start, r.end);
	KUNIT_EXPECT_EQ(test, pt_peek(va + 2 * PAGE_SIZE, &byte), -EFAULT);
	KUNIT_EXPECT_EQ(test, pgtlib_change_ptes_noflush(kernel, va,
							 3 * PAGE_SIZE,
							 pt_valid_bits(),
							 __pgprot(0), &r), 0);
	KUNIT_EXPECT_EQ(test, r.end, r.start);
	pt_expect_ptes(test, va, pages, 3, true);

	/* a 2M leaf in the range: refused before the PTEs change */
	huge = pt_alloc_huge(test, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, pt_kmap(hva, page_to_phys(huge), PMD_SIZE, PT_RW,
				      NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_raw(kernel, hva, &val, NULL),
			PGTLIB_LEVEL_PMD);
	KUNIT_EXPECT_EQ(test, pt_set_valid(va, hva + PMD_SIZE - va, false,
					   &st), -EINVAL);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 0);
	KUNIT_EXPECT_EQ(test, pgtlib_change_ptes_noflush(kernel, va,
							 hva + PMD_SIZE - va,
							 __pgprot(0),
							 pt_valid_bits(), &r),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, r.end, r.start);
	pt_expect_ptes(test, va, pages, 3, true);
	KUNIT_EXPECT_EQ(test, pt_peek(hva, &byte), 0);

	/* bad input */
	KUNIT_EXPECT_EQ(test, pt_set_valid(va + 1, PAGE_SIZE, false, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pt_set_valid(va, PAGE_SIZE / 2, false, NULL),
			-EINVAL);
	pt_expect_ptes(test, va, pages, 3, true);

	/*
	 * What is invalid still holds its page: a map over it is refused, as
	 * vmap refuses it, and so is a 2M leaf over the table that holds
	 * nothing else (it is not empty).
	 */
	KUNIT_EXPECT_EQ(test, pt_set_valid(va, 3 * PAGE_SIZE, false, NULL), 0);
	KUNIT_EXPECT_EQ(test, pt_kmap_pages(va, pages, 3, PT_RW, 0, NULL),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, pt_kmap(va + 2 * PAGE_SIZE, page_to_phys(huge),
				      PAGE_SIZE, PT_RW, NULL), -EEXIST);
	KUNIT_EXPECT_EQ(test, pt_kmap(l->va + PMD_SIZE, page_to_phys(huge),
				      PMD_SIZE, PT_RW, NULL), -EEXIST);
	pt_expect_ptes(test, va, pages, 3, false);
	KUNIT_EXPECT_EQ(test, pt_raw(kernel, va + 3 * PAGE_SIZE, &val, NULL),
			PGTLIB_LEVEL_PTE);
	KUNIT_EXPECT_EQ(test, (u64)val, 0);

	/* what is invalid is unmapped like anything else */
	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va, 3 * PAGE_SIZE, NULL), 0);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, pt_raw(kernel, va + i * PAGE_SIZE, &val,
					     NULL), PGTLIB_LEVEL_PTE);
		KUNIT_EXPECT_EQ(test, (u64)val, 0);
	}
	pt_live_done(test, l);
}

#if PGTLIB_ARCH_CONT_PTES > 1
/*
 * A contiguous group would mix old and new entries while they change one
 * by one: a range that covers it in whole or in part is refused, and
 * nothing changes, also where the range goes on past the group's table.
 */
static void pgtlib_test_kernel_change_ptes_cont(struct kunit *test)
{
	unsigned long cont = PGTLIB_CONT_SIZE, n = PGTLIB_ARCH_CONT_PTES;
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + 2 * PMD_SIZE - cont, val, i;
	struct pgtlib_stats st;
	struct page *page;
	u8 byte;

	page = alloc_pages(GFP_KERNEL | __GFP_ZERO, ilog2(n));
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pt_free_cont,
							page), 0);
	KUNIT_ASSERT_EQ(test, pt_kmap(va, page_to_phys(page), cont, PT_RW,
				      NULL), 0);
	KUNIT_ASSERT_EQ(test, pt_nr_cont(kernel, va, cont), n);

	KUNIT_EXPECT_EQ(test, pt_set_valid(va + PAGE_SIZE, PAGE_SIZE, false,
					   &st), -EBUSY);
	KUNIT_EXPECT_EQ(test, pt_set_valid(va, cont, false, &st), -EBUSY);
	KUNIT_EXPECT_EQ(test, pt_set_valid(va - PMD_SIZE, PMD_SIZE + cont,
					   false, &st), -EBUSY);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 0);
	KUNIT_EXPECT_EQ(test, st.flushes, 0);
	KUNIT_EXPECT_EQ(test, pt_nr_cont(kernel, va, cont), n);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, pt_raw(kernel, va + i * PAGE_SIZE, &val,
					     NULL), PGTLIB_LEVEL_PTE);
		KUNIT_EXPECT_EQ(test, (u64)val,
				(u64)(pte_val(pfn_pte(page_to_pfn(page) + i,
						      PAGE_KERNEL)) |
				      PTE_CONT));
		KUNIT_EXPECT_EQ(test, pt_peek(va + i * PAGE_SIZE, &byte), 0);
	}
	pt_live_done(test, l);
}
#endif
/* @stage end */
/* @stage split-op */

/*
 * pgtlib_split() of a live 2M leaf in init_mm: the memory reads the same
 * through the new PTEs on this CPU and on another that used the leaf, and
 * a PTE then changes alone, on both CPUs.
 */
static void pgtlib_test_kernel_split(struct kunit *test)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	struct pt_live *l = pt_live_area(test);
	unsigned long va = l->va + 5 * PMD_SIZE, ro = va + 3 * PAGE_SIZE;
	unsigned int flushes = PGTLIB_ARCH_FLUSH_AFTER_SPLIT ||
			       PGTLIB_ARCH_NEEDS_BBM;
	struct pgtlib_stats st;
	struct page *page;
	unsigned int i;
	u8 *direct, byte;
	int other;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU");
	page = pt_alloc_huge(test, GFP_KERNEL);
	direct = page_address(page);
	for (i = 0; i < PTRS_PER_PTE; i++)
		direct[i * PAGE_SIZE] = i;
	KUNIT_ASSERT_EQ(test, pt_kmap(va, page_to_phys(page), PMD_SIZE, PT_RW,
				      NULL), 0);

	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	KUNIT_EXPECT_EQ(test, pt_remote(other, ro, &byte, false), 0);
	KUNIT_EXPECT_EQ(test, byte, 3);

	KUNIT_EXPECT_EQ(test, pt_split(kernel, va, PAGE_SIZE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 1);
	KUNIT_EXPECT_EQ(test, st.flushes, flushes);
	KUNIT_EXPECT_EQ(test, st.pages_protected, 0);
	for (i = 0; i < PTRS_PER_PTE; i++) {
		PT_EXPECT_LEAF(test, kernel, va + i * PAGE_SIZE,
			       page_to_phys(page) + i * PAGE_SIZE, PT_RW,
			       PGTLIB_LEVEL_PTE);
		KUNIT_EXPECT_EQ(test, pt_peek(va + i * PAGE_SIZE, &byte), 0);
		KUNIT_EXPECT_EQ(test, byte, (u8)i);
	}
	KUNIT_EXPECT_EQ(test, pt_remote(other, ro, &byte, false), 0);
	KUNIT_EXPECT_EQ(test, byte, 3);

	/* one PTE read-only: the other CPU's writes fault there only */
	KUNIT_ASSERT_EQ(test, pt_protect(kernel, ro, PAGE_SIZE, 0,
					 PGTLIB_PROT_WRITE, &st), 0);
	KUNIT_EXPECT_EQ(test, st.leaves_split, 0);
	byte = 0x99;
	KUNIT_EXPECT_EQ(test, pt_remote(other, ro, &byte, true), -EFAULT);
	KUNIT_EXPECT_EQ(test, pt_remote(other, ro + PAGE_SIZE, &byte, true),
			0);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, direct[3 * PAGE_SIZE], 3);
	KUNIT_EXPECT_EQ(test, direct[4 * PAGE_SIZE], 0x99);

	KUNIT_EXPECT_EQ(test, pt_unmap(kernel, va, PMD_SIZE, NULL), 0);
	pt_live_done(test, l);
}
/* @stage end */
/* @stage cpa-split */

#ifdef CONFIG_X86

/*
 * A zeroed 2M block whose direct map is one large page, or a skip. Up to
 * 16 blocks are tried: the page allocator hands back the blocks earlier
 * tests split first.
 */
static u8 *pt_cpa_block(struct kunit *test, unsigned int *level)
{
	struct page *page, *tried[16];
	unsigned int i, n;
	u8 *addr = NULL;

	for (n = 0; n < ARRAY_SIZE(tried) && !addr; n++) {
		page = alloc_pages(GFP_KERNEL | __GFP_ZERO,
				   PMD_SHIFT - PAGE_SHIFT);
		if (!page)
			break;
		tried[n] = page;
		KUNIT_ASSERT_NOT_NULL(test,
				      lookup_address((unsigned long)
						     page_address(page), level));
		if (*level != PG_LEVEL_4K)
			addr = page_address(page);
	}
	for (i = 0; i + !!addr < n; i++)
		__free_pages(tried[i], PMD_SHIFT - PAGE_SHIFT);
	if (!addr)
		kunit_skip(test, "no 2M block that a large page maps");
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pt_free_huge,
							tried[n - 1]), 0);
	return addr;
}

/*
 * The direct map of @addr's 2M block as the kernel's lookup_address()
 * reads it: present 4K PTEs of the block's pages in order,
 * non-executable, read-only where @ro has the page's bit, else writable.
 */
static void pt_cpa_expect_pages(struct kunit *test, u8 *addr,
				const unsigned long *ro)
{
	unsigned long pfn = PHYS_PFN(__pa(addr));
	unsigned int i, level;
	pte_t *pte;

	for (i = 0; i < PTRS_PER_PTE; i++) {
		pte = lookup_address((unsigned long)addr + i * PAGE_SIZE,
				     &level);
		KUNIT_ASSERT_NOT_NULL(test, pte);
		KUNIT_EXPECT_EQ_MSG(test, level, PG_LEVEL_4K, "page %u", i);
		KUNIT_EXPECT_EQ_MSG(test, pte_pfn(*pte), pfn + i, "page %u", i);
		KUNIT_EXPECT_EQ_MSG(test, !!(pte_flags(*pte) & _PAGE_RW),
				    !test_bit(i, ro), "page %u", i);
		KUNIT_EXPECT_TRUE_MSG(test, pte_flags(*pte) & _PAGE_NX,
				      "page %u", i);
		KUNIT_EXPECT_TRUE_MSG(test, pte_flags(*pte) & _PAGE_PRESENT,
				      "page %u", i);
	}
}

/*
 * The same, writable but for @ro_page (-1: none), in a PTE table of
 * pgtlib's.
 */
static void pt_cpa_expect_4k(struct kunit *test, u8 *addr, int ro_page)
{
	DECLARE_BITMAP(ro, PTRS_PER_PTE) = { };
	pmd_t *pmd;

	pmd = lookup_pmd_address((unsigned long)addr);
	KUNIT_ASSERT_NOT_NULL(test, pmd);
	KUNIT_ASSERT_TRUE(test, pmd_present(*pmd) && !pmd_leaf(*pmd));
	KUNIT_EXPECT_TRUE(test,
			  pgtlib_table_is_ours((void *)pmd_page_vaddr(*pmd)) ||
			  page_ptdesc(pmd_page(*pmd))->pt_index ==
			  PGTLIB_TABLE_KEPT);
	if (ro_page >= 0)
		__set_bit(ro_page, ro);
	pt_cpa_expect_pages(test, addr, ro);
}

/*
 * The level of the direct map's leaf at @addr, or 0 for none (a hole in
 * RAM, or beyond it).
 */
static unsigned int pt_cpa_level(u8 *addr)
{
	unsigned int level;
	pte_t *pte;

	if (!virt_addr_valid(addr))
		return 0;
	pte = lookup_address((unsigned long)addr, &level);
	return pte && (pte_flags(*pte) & _PAGE_PRESENT) ? level : 0;
}

/*
 * What a split of @addr's large page leaves at @near, which was mapped at
 * @level: the same leaf, or a 2M leaf where @near shared @addr's 1G leaf.
 */
static unsigned int pt_cpa_level_after(u8 *addr, u8 *near,
				       unsigned int level)
{
	if (level == PG_LEVEL_1G &&
	    ALIGN_DOWN(__pa(addr), PUD_SIZE) == ALIGN_DOWN(__pa(near), PUD_SIZE))
		return PG_LEVEL_2M;
	return level;
}

/*
 * set_memory_ro() of one page of a large page of the direct map: CPA has
 * pgtlib split it (a 1G page twice; the PMD table is counted in
 * NR_PAGETABLE, a kernel PTE table is not) and changes that page only,
 * on every CPU, and the 2M blocks beside it keep their leaves (those of
 * a split 1G leaf become 2M leaves); set_memory_rw() makes it writable
 * again on every CPU.
 */
static void pgtlib_test_cpa_split(struct kunit *test)
{
	long tables;
	unsigned int level, pmd_tables, next_level, prev_level;
	u8 *addr, *ro, byte;
	int other;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU");
	addr = pt_cpa_block(test, &level);
	pmd_tables = level == PG_LEVEL_1G;
	ro = addr + 5 * PAGE_SIZE;
	ro[0] = 0x5a;
	next_level = pt_cpa_level(addr + PMD_SIZE);
	prev_level = pt_cpa_level(addr - PMD_SIZE);

	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	byte = 0x11;
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)ro, &byte, true),
			0);
	tables = pt_nr_pagetable();
	KUNIT_ASSERT_EQ(test, set_memory_ro((unsigned long)ro, 1), 0);
	KUNIT_EXPECT_EQ(test, pt_nr_pagetable(),
			tables + pmd_tables);
	pt_cpa_expect_4k(test, addr, 5);
	KUNIT_EXPECT_EQ(test, pt_cpa_level(addr + PMD_SIZE),
			pt_cpa_level_after(addr, addr + PMD_SIZE, next_level));
	KUNIT_EXPECT_EQ(test, pt_cpa_level(addr - PMD_SIZE),
			pt_cpa_level_after(addr, addr - PMD_SIZE, prev_level));

	byte = 0x22;
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)ro, &byte, true),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault(ro, &byte, 1), -EFAULT);
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)ro + PAGE_SIZE,
					&byte, true), 0);
	KUNIT_EXPECT_EQ(test, ro[0], 0x11);
	KUNIT_EXPECT_EQ(test, ro[PAGE_SIZE], 0x22);

	KUNIT_ASSERT_EQ(test, set_memory_rw((unsigned long)ro, 1), 0);
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)ro, &byte, true),
			0);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, ro[0], 0x22);
}

/* set_memory_4k() splits through pgtlib and changes no translation. */
static void pgtlib_test_cpa_4k(struct kunit *test)
{
	unsigned int level, i;
	long tables;
	u8 *addr;

	addr = pt_cpa_block(test, &level);
	for (i = 0; i < PTRS_PER_PTE; i++)
		addr[i * PAGE_SIZE] = i;
	tables = pt_nr_pagetable();
	KUNIT_ASSERT_EQ(test, set_memory_4k((unsigned long)addr, PTRS_PER_PTE),
			0);
	KUNIT_EXPECT_EQ(test, pt_nr_pagetable(),
			tables + (level == PG_LEVEL_1G));
	pt_cpa_expect_4k(test, addr, -1);
	for (i = 0; i < PTRS_PER_PTE; i++)
		KUNIT_EXPECT_EQ(test, addr[i * PAGE_SIZE], (u8)i);
}

/*
 * The direct map of @addr's 2M block as lookup_address() reads it: page
 * @first to @first + @n - 1 of @mode, the others write-back, each present
 * and mapping its own page.
 */
static void pt_cpa_expect_cache(struct kunit *test, u8 *addr,
				unsigned int first, unsigned int n,
				enum page_cache_mode mode)
{
	unsigned long pfn = PHYS_PFN(__pa(addr));
	enum page_cache_mode want;
	unsigned int i, level;
	pte_t *pte;

	for (i = 0; i < PTRS_PER_PTE; i++) {
		want = i >= first && i < first + n ? mode : _PAGE_CACHE_MODE_WB;
		pte = lookup_address((unsigned long)addr + i * PAGE_SIZE,
				     &level);
		KUNIT_ASSERT_NOT_NULL(test, pte);
		KUNIT_EXPECT_EQ_MSG(test, level, PG_LEVEL_4K, "page %u", i);
		KUNIT_EXPECT_EQ_MSG(test, pte_pfn(*pte), pfn + i, "page %u", i);
		KUNIT_EXPECT_TRUE_MSG(test, pte_flags(*pte) & _PAGE_PRESENT,
				      "page %u", i);
		KUNIT_EXPECT_EQ_MSG(test, pte_flags(*pte) & _PAGE_CACHE_MASK,
				    cachemode2protval(want), "page %u", i);
	}
}

/*
 * Memory types through CPA on the direct map: set_memory_uc() of four
 * pages of a large page reserves their type and has pgtlib split the
 * leaf; those pages alone become uncached and are still written through
 * the mapping, from another CPU as well. set_memory_wc() over two of them
 * and two write-back pages conflicts with the reserved type: it fails
 * with memtype_reserve()'s -EBUSY and changes no page, neither the
 * uncached ones nor the two that had no type. set_memory_wb() gives the
 * four back; set_memory_wc() of the same range then works, and
 * set_memory_wb() undoes it.
 */
static void pgtlib_test_cpa_memtype(struct kunit *test)
{
	unsigned int level, i;
	unsigned long va;
	u8 *addr, byte;
	int other;

	if (!pat_enabled())
		kunit_skip(test, "PAT is off");
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU");
	addr = pt_cpa_block(test, &level);
	va = (unsigned long)addr + 8 * PAGE_SIZE;
	for (i = 6; i < 12; i++)
		addr[i * PAGE_SIZE] = i;

	KUNIT_ASSERT_EQ(test, set_memory_uc(va, 4), 0);
	pt_cpa_expect_cache(test, addr, 8, 4, _PAGE_CACHE_MODE_UC_MINUS);
	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	byte = 0x5a;
	KUNIT_EXPECT_EQ(test, pt_remote(other, va + PAGE_SIZE, &byte, true),
			0);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, addr[9 * PAGE_SIZE], 0x5a);
	addr[9 * PAGE_SIZE] = 9;

	KUNIT_EXPECT_EQ(test, set_memory_wc(va - 2 * PAGE_SIZE, 4), -EBUSY);
	pt_cpa_expect_cache(test, addr, 8, 4, _PAGE_CACHE_MODE_UC_MINUS);

	KUNIT_EXPECT_EQ(test, set_memory_wb(va, 4), 0);
	pt_cpa_expect_cache(test, addr, 0, 0, _PAGE_CACHE_MODE_WB);
	KUNIT_EXPECT_EQ(test, set_memory_wc(va - 2 * PAGE_SIZE, 4), 0);
	pt_cpa_expect_cache(test, addr, 6, 4, _PAGE_CACHE_MODE_WC);
	KUNIT_EXPECT_EQ(test, set_memory_wb(va - 2 * PAGE_SIZE, 4), 0);
	pt_cpa_expect_cache(test, addr, 0, 0, _PAGE_CACHE_MODE_WB);
	for (i = 6; i < 12; i++)
		KUNIT_EXPECT_EQ(test, addr[i * PAGE_SIZE], (u8)i);
}
#endif
/* @stage end */
/* @stage cpa-collapse */
#ifdef CONFIG_X86

/* Whether pgtlib_keep_split() kept the PTE table that maps @addr. */
static bool pt_cpa_kept(u8 *addr)
{
	pmd_t *pmd = lookup_pmd_address((unsigned long)addr);

	return pmd && pmd_present(*pmd) && !pmd_leaf(*pmd) &&
	       page_ptdesc(pmd_page(*pmd))->pt_index == PGTLIB_TABLE_KEPT;
}

/* DirectMap4k in kB, as /proc/meminfo shows it. */
static unsigned long pt_directmap_4k(struct kunit *test)
{
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct seq_file m = { .buf = buf, .size = PAGE_SIZE };
	unsigned long kb;
	char *p;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	arch_report_meminfo(&m);
	p = strstr(buf, "DirectMap4k:");
	KUNIT_ASSERT_NOT_NULL(test, p);
	n = sscanf(p, "DirectMap4k: %lu", &kb);
	KUNIT_ASSERT_EQ(test, n, 1);
	return kb;
}

/*
 * Wait up to 20 s for CPA's work (10 s after the last restore) to map
 * @addr with a large page again.
 */
static unsigned int pt_cpa_wait_large(u8 *addr)
{
	unsigned int level = PG_LEVEL_4K, i;

	for (i = 0; i < 1000 && level == PG_LEVEL_4K; i++) {
		msleep(20);
		if (!lookup_address((unsigned long)addr, &level))
			break;
	}
	return level;
}

/*
 * What vm_reset_perms() does to the direct map once a module is freed,
 * to one page of a large page that set_memory_ro() split:
 * set_direct_map_invalid_noflush(), an invalidation, then
 * set_direct_map_default_noflush(). Once its PTEs agree again, CPA has
 * pgtlib collapse them back into one 2M leaf, with the same pages,
 * writable (set_memory_ro() cleared the dirty bit, which comes back),
 * and DirectMap4k goes back down. A region that set_memory_4k() made 4K,
 * although set_memory_ro() had split it already, stays split.
 */
static void pt_cpa_free_like_module(struct kunit *test, u8 *addr)
{
	unsigned long a = (unsigned long)addr;

	KUNIT_ASSERT_EQ(test, set_memory_ro(a, 1), 0);
	KUNIT_ASSERT_EQ(test, set_direct_map_invalid_noflush(virt_to_page(a)),
			0);
	flush_tlb_kernel_range(a, a + PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, set_direct_map_default_noflush(virt_to_page(a)),
			0);
}

static void pgtlib_test_cpa_collapse(struct kunit *test)
{
	unsigned int level, i;
	u8 *pinned, *addr, byte;
	unsigned long kb;
	pte_t *pte;

	/* split first, then made 4K: kept all the same */
	pinned = pt_cpa_block(test, &level);
	KUNIT_ASSERT_EQ(test, set_memory_ro((unsigned long)pinned + PAGE_SIZE,
					    1), 0);
	KUNIT_ASSERT_EQ(test, set_memory_4k((unsigned long)pinned, 1), 0);
	addr = pt_cpa_block(test, &level);
	for (i = 0; i < PTRS_PER_PTE; i++)
		addr[i * PAGE_SIZE] = i;
	kb = pt_directmap_4k(test);

	/* pinned first: CPA's work has seen it once it collapsed @addr */
	pt_cpa_free_like_module(test, pinned + PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, set_memory_ro((unsigned long)addr + 7 * PAGE_SIZE,
					    1), 0);
	KUNIT_EXPECT_EQ(test, pt_directmap_4k(test), kb + SZ_2M / SZ_1K);
	pt_cpa_expect_4k(test, addr, 7);
	KUNIT_EXPECT_FALSE(test, pt_cpa_kept(addr));
	KUNIT_ASSERT_EQ(test, set_memory_rw((unsigned long)addr + 7 * PAGE_SIZE,
					    1), 0);
	pt_cpa_free_like_module(test, addr + 7 * PAGE_SIZE);

	level = pt_cpa_wait_large(addr);
	KUNIT_ASSERT_GE(test, level, PG_LEVEL_2M);
	pte = lookup_address((unsigned long)addr + 7 * PAGE_SIZE, &level);
	KUNIT_ASSERT_NOT_NULL(test, pte);
	KUNIT_EXPECT_EQ(test, pte_pfn(*pte) + ((7 * PAGE_SIZE +
			(unsigned long)addr) & (page_level_size(level) - 1)) /
			PAGE_SIZE, PHYS_PFN(__pa(addr)) + 7);
	KUNIT_EXPECT_TRUE(test, pte_flags(*pte) & _PAGE_PSE);
	KUNIT_EXPECT_TRUE(test, pte_flags(*pte) & _PAGE_RW);
	KUNIT_EXPECT_TRUE(test, pte_flags(*pte) & _PAGE_NX);
	KUNIT_EXPECT_EQ(test, pt_directmap_4k(test), kb);
	for (i = 0; i < PTRS_PER_PTE; i++)
		KUNIT_EXPECT_EQ(test, addr[i * PAGE_SIZE], (u8)i);
	byte = 0x77;
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault(addr + 7 * PAGE_SIZE,
						     &byte, 1), 0);
	KUNIT_EXPECT_EQ(test, addr[7 * PAGE_SIZE], 0x77);

	pt_cpa_expect_4k(test, pinned, -1);
	KUNIT_EXPECT_TRUE(test, pt_cpa_kept(pinned));
}
#endif
/* @stage end */
/* @stage cpa-runs */
#ifdef CONFIG_X86

/* Makes @addr's 2M block present and writable again, before it is freed. */
static void pt_cpa_restore(void *addr)
{
	set_memory_p((unsigned long)addr, PTRS_PER_PTE);
	set_memory_rw((unsigned long)addr, PTRS_PER_PTE);
}

/*
 * Pages @first to @first + @n - 1 of @addr's 2M block as lookup_address()
 * reads them: 4K PTEs, not present, that still hold their page, with the
 * address bits inverted as x86 keeps them in a PTE that is not present
 * (L1TF).
 */
static void pt_cpa_expect_np(struct kunit *test, u8 *addr,
			     unsigned int first, unsigned int n)
{
	unsigned long pfn = PHYS_PFN(__pa(addr));
	unsigned int i, level;
	pte_t *pte;

	for (i = first; i < first + n; i++) {
		pte = lookup_address((unsigned long)addr + i * PAGE_SIZE,
				     &level);
		KUNIT_ASSERT_NOT_NULL(test, pte);
		KUNIT_EXPECT_EQ_MSG(test, level, PG_LEVEL_4K, "page %u", i);
		KUNIT_EXPECT_FALSE_MSG(test, pte_flags(*pte) & _PAGE_PRESENT,
				       "page %u", i);
		KUNIT_EXPECT_EQ_MSG(test, pte_val(*pte) & PTE_PFN_MASK,
				    ~PFN_PHYS(pfn + i) & PTE_PFN_MASK,
				    "page %u", i);
	}
}

/* Whether the CPU marked page @i of @addr's 2M block dirty in its PTE. */
static bool pt_cpa_dirty(struct kunit *test, u8 *addr, unsigned int i)
{
	unsigned int level;
	pte_t *pte;

	pte = lookup_address((unsigned long)addr + i * PAGE_SIZE, &level);
	KUNIT_ASSERT_NOT_NULL(test, pte);
	return pte_flags(*pte) & _PAGE_DIRTY;
}

/*
 * @set_memory of @n pages from @va, and how many PTEs pgtlib changed
 * meanwhile, by its own count: CPA's own writes count nothing there.
 */
static unsigned long pt_cpa_counted(struct kunit *test,
				    int (*set_memory)(unsigned long, int),
				    unsigned long va, int n)
{
	bool was_on = static_key_enabled(&pgtlib_count_events);
	struct pgtlib_stats g0, g1;

	static_branch_enable(&pgtlib_count_events);
	pgtlib_global_stats(&g0);
	KUNIT_EXPECT_EQ(test, set_memory(va, n), 0);
	pgtlib_global_stats(&g1);
	if (!was_on)
		static_branch_disable(&pgtlib_count_events);
	return g1.pages_protected - g0.pages_protected;
}

/*
 * set_memory_ro() and set_memory_rw() of runs of 4K pages of the direct
 * map, which CPA changes through pgtlib a run at a time: exactly the pages
 * asked for change, each keeping its page, on every CPU; a range whose
 * pages differ (some read-only already) ends up all read-only; the pages
 * beside a run stay writable. pgtlib's own count shows it changed the
 * run. set_memory_np() of a run makes its pages fault on every CPU, not
 * the page beside, and keeps each PTE's page; set_memory_p() gives the
 * run back as it was, with its contents. PTEs that differ only in bits
 * the change writes (the dirty bit that the CPU set on every other page,
 * the cache bits of an uncached page) still change as one run, each to
 * what the change asks. Should a check fail half-way, the block is made
 * present and writable before it is freed.
 */
static void pgtlib_test_cpa_runs(struct kunit *test)
{
	DECLARE_BITMAP(ro, PTRS_PER_PTE) = { };
	unsigned int level, i;
	unsigned long va;
	u8 *addr, byte;
	int other;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU");
	addr = pt_cpa_block(test, &level);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pt_cpa_restore,
							addr), 0);
	for (i = 0; i < PTRS_PER_PTE; i++)
		addr[i * PAGE_SIZE] = i;

	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	/* one page splits the large page; then a run of 16 */
	KUNIT_ASSERT_EQ(test, set_memory_ro((unsigned long)addr + 5 * PAGE_SIZE,
					    1), 0);
	byte = 0x11;
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					12 * PAGE_SIZE, &byte, true), 0);
	KUNIT_EXPECT_GE(test, pt_cpa_counted(test, set_memory_ro,
					     (unsigned long)addr +
					     10 * PAGE_SIZE, 16), 16);
	__set_bit(5, ro);
	bitmap_set(ro, 10, 16);
	pt_cpa_expect_pages(test, addr, ro);
	byte = 0x22;
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					12 * PAGE_SIZE, &byte, true), -EFAULT);
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					25 * PAGE_SIZE, &byte, true), -EFAULT);
	KUNIT_EXPECT_EQ(test, copy_to_kernel_nofault(addr + 10 * PAGE_SIZE,
						     &byte, 1), -EFAULT);
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					26 * PAGE_SIZE, &byte, true), 0);
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					9 * PAGE_SIZE, &byte, true), 0);

	/* 8 and 9 writable, 10 and 11 read-only already: two runs */
	KUNIT_ASSERT_EQ(test, set_memory_ro((unsigned long)addr + 8 * PAGE_SIZE,
					    4), 0);
	bitmap_set(ro, 8, 2);
	pt_cpa_expect_pages(test, addr, ro);
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					8 * PAGE_SIZE, &byte, true), -EFAULT);

	KUNIT_ASSERT_EQ(test, set_memory_rw((unsigned long)addr + 8 * PAGE_SIZE,
					    18), 0);
	KUNIT_ASSERT_EQ(test, set_memory_rw((unsigned long)addr + 5 * PAGE_SIZE,
					    1), 0);
	bitmap_zero(ro, PTRS_PER_PTE);
	pt_cpa_expect_pages(test, addr, ro);
	byte = 0x33;
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					12 * PAGE_SIZE, &byte, true), 0);
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					8 * PAGE_SIZE, &byte, true), 0);

	/* a run made not present keeps its pages, and comes back */
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					47 * PAGE_SIZE, &byte, false), 0);
	KUNIT_EXPECT_EQ(test, byte, 47);
	KUNIT_ASSERT_EQ(test, set_memory_np((unsigned long)addr +
					    40 * PAGE_SIZE, 16), 0);
	pt_cpa_expect_np(test, addr, 40, 16);
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					47 * PAGE_SIZE, &byte, false), -EFAULT);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&byte, addr +
						       55 * PAGE_SIZE, 1),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					56 * PAGE_SIZE, &byte, false), 0);
	KUNIT_EXPECT_EQ(test, byte, 56);
	/* a run not present is one too: its addresses go down page by page */
	KUNIT_EXPECT_GE(test, pt_cpa_counted(test, set_memory_p,
					     (unsigned long)addr +
					     40 * PAGE_SIZE, 16), 16);
	pt_cpa_expect_pages(test, addr, ro);
	KUNIT_EXPECT_EQ(test, pt_remote(other, (unsigned long)addr +
					47 * PAGE_SIZE, &byte, false), 0);
	KUNIT_EXPECT_EQ(test, byte, 47);

	/*
	 * Pages 64 to 79, cleaned by set_memory_ro(), then written one in
	 * two once writable: the CPU marks those dirty, and set_memory_ro()
	 * still changes the 16 as one run, and cleans them all.
	 */
	va = (unsigned long)addr + 64 * PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, set_memory_ro(va, 16), 0);
	KUNIT_ASSERT_EQ(test, set_memory_rw(va, 16), 0);
	for (i = 64; i < 80; i += 2)
		WRITE_ONCE(addr[i * PAGE_SIZE], i);
	for (i = 64; i < 80; i++)
		KUNIT_EXPECT_EQ_MSG(test, pt_cpa_dirty(test, addr, i), !(i & 1),
				    "page %u", i);
	KUNIT_EXPECT_GE(test, pt_cpa_counted(test, set_memory_ro, va, 16), 16);
	bitmap_set(ro, 64, 16);
	pt_cpa_expect_pages(test, addr, ro);
	for (i = 64; i < 80; i++)
		KUNIT_EXPECT_FALSE_MSG(test, pt_cpa_dirty(test, addr, i),
				       "page %u", i);
	KUNIT_EXPECT_EQ(test, pt_remote(other, va + 2 * PAGE_SIZE, &byte,
					true), -EFAULT);
	KUNIT_ASSERT_EQ(test, set_memory_rw(va, 16), 0);
	bitmap_clear(ro, 64, 16);
	pt_cpa_expect_pages(test, addr, ro);
	migrate_enable();

	/*
	 * An uncached page among 16 written back: set_memory_wb() changes
	 * the 16 as one run, which changes that page alone (pgtlib's count:
	 * without the run, CPA's own path would have changed it).
	 */
	KUNIT_ASSERT_EQ(test, set_memory_uc(va + 2 * PAGE_SIZE, 1), 0);
	pt_cpa_expect_cache(test, addr, 66, 1, _PAGE_CACHE_MODE_UC_MINUS);
	KUNIT_EXPECT_GE(test, pt_cpa_counted(test, set_memory_wb, va, 16), 1);
	pt_cpa_expect_cache(test, addr, 0, 0, _PAGE_CACHE_MODE_WB);
	for (i = 0; i < PTRS_PER_PTE; i++)
		KUNIT_EXPECT_EQ_MSG(test, addr[i * PAGE_SIZE],
				    (u8)(i == 8 ? 0x33 : i == 9 ? 0x22 :
					 i == 12 ? 0x33 : i == 26 ? 0x22 : i),
				    "page %u", i);
}
#endif
/* @stage end */
/* @stage kunit-live */

/* @stage pageattr */
/*
 * Write and execute permission of a kernel PTE as the architecture manuals
 * define them; the calls that make kernel pages invalid and valid, and
 * that give a page of the direct map a PTE of its own.
 */
#ifdef CONFIG_X86
#define PT_PTE_EXEC(val)	(!((val) & _PAGE_NX))
#define PT_PTE_VALID(val)	(!!((val) & _PAGE_PRESENT))
#define PT_RO_ALIAS_AREA	false

static int pt_set_memory_valid(unsigned long va, int n, bool on)
{
	return on ? set_memory_p(va, n) : set_memory_np(va, n);
}

static int pt_set_memory_4k(unsigned long va)
{
	return set_memory_4k(va, 1);
}
#else
#define PT_PTE_EXEC(val)	(!((val) & PTE_PXN))
#define PT_PTE_VALID(val)	(!!((val) & PTE_VALID))
#define PT_RO_ALIAS_AREA	rodata_full

static int pt_set_memory_valid(unsigned long va, int n, bool on)
{
	return set_memory_valid(va, n, on);
}

/* a linear map that can be changed by page is mapped by page */
static int pt_set_memory_4k(unsigned long va)
{
	return 0;
}
#endif

/*
 * Page @i of a four-page area, written through the area here and on
 * @other, read by the kernel's own descent, and written through its
 * direct-map alias @lm.
 */
static void pt_expect_page(struct kunit *test, u8 *area, u8 *lm,
			   unsigned int i, int other, bool valid, bool writable,
			   bool exec, bool alias_writable)
{
	unsigned long va = (unsigned long)area + i * PAGE_SIZE;
	u64 val = pt_kernel_pte_val(va);
	int want = valid && writable ? 0 : -EFAULT;
	u8 byte = 0x40 + i;

	KUNIT_EXPECT_EQ_MSG(test, PT_PTE_VALID(val), valid, "page %u", i);
	if (valid) {
		KUNIT_EXPECT_EQ_MSG(test, PT_RAW_WRITABLE(val), writable,
				    "page %u", i);
		KUNIT_EXPECT_EQ_MSG(test, PT_PTE_EXEC(val), exec, "page %u",
				    i);
	}
	KUNIT_EXPECT_EQ_MSG(test, copy_to_kernel_nofault((void *)va, &byte, 1),
			    want, "page %u", i);
	KUNIT_EXPECT_EQ_MSG(test, pt_remote(other, va, &byte, true), want,
			    "page %u", i);
	KUNIT_EXPECT_EQ_MSG(test, copy_to_kernel_nofault(lm, &byte, 1),
			    alias_writable ? 0 : -EFAULT, "page %u", i);
	if (!alias_writable || !valid)
		return;
	KUNIT_EXPECT_EQ_MSG(test, pt_peek(va, &byte), 0, "page %u", i);
	KUNIT_EXPECT_EQ_MSG(test, byte, 0x40 + i, "page %u", i);
}

/*
 * set_memory_*() of a vmalloc() area, as module loading and BPF use them:
 * each change is seen through the area on this CPU and on another, in the
 * PTEs the kernel's own descent reads, and through the pages' direct-map
 * aliases. On x86 read-only and invalid take the alias of each page of the
 * range with them (CPA's alias); on arm64 with rodata_full, read-only
 * takes the alias of every page of the area, as the base does. The
 * execute bit never changes an alias. Every change is undone, and the
 * area's pages outside the range keep their PTEs. On arm64 a range that
 * runs past the area is refused whole (-EINVAL), as in the base.
 */
static void pgtlib_test_set_memory_vmalloc(struct kunit *test)
{
	bool np_alias = IS_ENABLED(CONFIG_X86);
	u8 *area, *lm[4];
	bool ro_alias[4];
	unsigned int i;
	unsigned long va;
	int other;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU");
	area = vmalloc(4 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, area);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pt_vfree_action,
							area), 0);
	va = (unsigned long)area;
	for (i = 0; i < 4; i++) {
		lm[i] = page_address(vmalloc_to_page(area + i * PAGE_SIZE));
		ro_alias[i] = IS_ENABLED(CONFIG_X86) ? i % 3 != 0 :
			      PT_RO_ALIAS_AREA;
	}
	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	for (i = 0; i < 4; i++)
		pt_expect_page(test, area, lm[i], i, other, true, true, false,
			       true);

	/* pages 1 and 2 read-only, then executable (never W+X) */
	KUNIT_EXPECT_EQ(test, set_memory_ro(va + PAGE_SIZE, 2), 0);
	for (i = 0; i < 4; i++)
		pt_expect_page(test, area, lm[i], i, other, true, i % 3 == 0,
			       false, !ro_alias[i]);
	KUNIT_EXPECT_EQ(test, set_memory_x(va + PAGE_SIZE, 2), 0);
	for (i = 0; i < 4; i++)
		pt_expect_page(test, area, lm[i], i, other, true, i % 3 == 0,
			       i % 3 != 0, !ro_alias[i]);
	KUNIT_EXPECT_EQ(test, set_memory_nx(va + PAGE_SIZE, 2), 0);
	KUNIT_EXPECT_EQ(test, set_memory_rw(va + PAGE_SIZE, 2), 0);
	for (i = 0; i < 4; i++)
		pt_expect_page(test, area, lm[i], i, other, true, true, false,
			       true);

	/* page 3 invalid, and valid again */
	KUNIT_EXPECT_EQ(test, pt_set_memory_valid(va + 3 * PAGE_SIZE, 1, 0),
			0);
	for (i = 0; i < 4; i++)
		pt_expect_page(test, area, lm[i], i, other, i != 3, true, false,
			       i != 3 || !np_alias);
	KUNIT_EXPECT_EQ(test, pt_set_memory_valid(va + 3 * PAGE_SIZE, 1, 1),
			0);
	for (i = 0; i < 4; i++)
		pt_expect_page(test, area, lm[i], i, other, true, true, false,
			       true);

	/*
	 * A range that runs past the area (its guard page and one more):
	 * arm64 refuses it whole, as the base did, and changes no page. x86's
	 * CPA keeps its own answer there, which warns: not exercised here.
	 */
	if (IS_ENABLED(CONFIG_ARM64)) {
		KUNIT_EXPECT_EQ(test, set_memory_ro(va + 2 * PAGE_SIZE, 4),
				-EINVAL);
		for (i = 0; i < 4; i++)
			pt_expect_page(test, area, lm[i], i, other, true, true,
				       false, true);
	}
	migrate_enable();
}

/*
 * set_direct_map_invalid_noflush() and set_direct_map_default_noflush()
 * with interrupts disabled, as hibernation's hibernate_map_page() calls
 * them (and x86's DEBUG_PAGEALLOC the same __set_pages_np/p()): a page
 * already mapped by its own PTE changes without an allocation or an IPI,
 * the PTE the kernel's descent reads follows, and once the caller has
 * invalidated, no CPU reaches the page through the direct map until it is
 * valid again.
 */
static void pgtlib_test_set_direct_map_irqs_off(struct kunit *test)
{
	struct page *page;
	unsigned long va;
	u8 byte;
	int other;
	u64 val;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU");
	if (!can_set_direct_map())
		kunit_skip(test, "the direct map cannot be changed by page");
	page = pt_alloc_page(test);
	va = (unsigned long)page_address(page);
	*(u8 *)va = 0x6b;
	/*
	 * With interrupts on, the page gets a PTE of its own that stays (on
	 * x86 no collapse takes it back while a later test counts
	 * DirectMap4k).
	 */
	KUNIT_ASSERT_EQ(test, pt_set_memory_4k(va), 0);
	KUNIT_ASSERT_NE(test, pt_kernel_pte_val(va), ~0ULL);

	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	local_irq_disable();
	KUNIT_EXPECT_EQ(test, set_direct_map_invalid_noflush(page), 0);
	val = pt_kernel_pte_val(va);
	local_irq_enable();
	KUNIT_EXPECT_FALSE(test, PT_PTE_VALID(val));
	flush_tlb_kernel_range(va, va + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pt_peek(va, &byte), -EFAULT);
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, false), -EFAULT);

	local_irq_disable();
	KUNIT_EXPECT_EQ(test, set_direct_map_default_noflush(page), 0);
	val = pt_kernel_pte_val(va);
	local_irq_enable();
	KUNIT_EXPECT_TRUE(test, PT_PTE_VALID(val));
	KUNIT_EXPECT_TRUE(test, PT_RAW_WRITABLE(val));
	KUNIT_EXPECT_FALSE(test, PT_PTE_EXEC(val));
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, false), 0);
	KUNIT_EXPECT_EQ(test, byte, 0x6b);
	byte = 0x6c;
	KUNIT_EXPECT_EQ(test, pt_remote(other, va, &byte, true), 0);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, *(u8 *)va, 0x6c);
}

/* @stage end */
static struct kunit_case pgtlib_kernel_cases[] = {
	KUNIT_CASE(pgtlib_test_kernel_map_pages),
	KUNIT_CASE(pgtlib_test_kernel_whole_tables),
	KUNIT_CASE(pgtlib_test_kernel_remote),
/* @stage kunit-live-edge */
	KUNIT_CASE(pgtlib_test_kernel_noalloc_irqs_off),
	KUNIT_CASE(pgtlib_test_kernel_cache_alias),
/* @stage end */
	KUNIT_CASE(pgtlib_test_kernel_pmd_leaf),
/* @stage kunit-live-edge */
	KUNIT_CASE(pgtlib_test_kernel_protect_ro),
	KUNIT_CASE(pgtlib_test_kernel_one_flush),
	KUNIT_CASE(pgtlib_test_kernel_replace),
/* @stage end */
	KUNIT_CASE(pgtlib_test_kernel_remap),
/* @stage kunit-live-edge */
#if PGTLIB_ARCH_CONT_PTES > 1
	KUNIT_CASE(pgtlib_test_kernel_cont),
#endif
#if PGTLIB_ARCH_CONT_PTES > 1 && PGTLIB_ARCH_NEEDS_BBM
	KUNIT_CASE(pgtlib_test_kernel_bbm_refused),
#endif
/* @stage end */
/* @stage ptes */
	KUNIT_CASE(pgtlib_test_kernel_change_ptes),
#if PGTLIB_ARCH_CONT_PTES > 1
	KUNIT_CASE(pgtlib_test_kernel_change_ptes_cont),
#endif
/* @stage end */
/* @stage kunit-noflush */
	KUNIT_CASE(pgtlib_test_kernel_noflush),
	KUNIT_CASE(pgtlib_test_kernel_deferred),
	KUNIT_CASE(pgtlib_test_kernel_commit_local),
	KUNIT_CASE(pgtlib_test_kernel_map_prot),
	KUNIT_CASE(pgtlib_test_kernel_protect_prot),
/* @stage end */
/* @stage pageattr */
	KUNIT_CASE(pgtlib_test_set_memory_vmalloc),
	KUNIT_CASE(pgtlib_test_set_direct_map_irqs_off),
/* @stage end */
/* @stage split-op */
	KUNIT_CASE(pgtlib_test_kernel_split),
/* @stage end */
/* @stage cpa-split */
#ifdef CONFIG_X86
	KUNIT_CASE(pgtlib_test_cpa_split),
	KUNIT_CASE(pgtlib_test_cpa_4k),
	KUNIT_CASE(pgtlib_test_cpa_memtype),
#endif
/* @stage end */
/* @stage cpa-collapse */
#ifdef CONFIG_X86
	KUNIT_CASE_SLOW(pgtlib_test_cpa_collapse),
#endif
/* @stage end */
/* @stage cpa-runs */
#ifdef CONFIG_X86
	KUNIT_CASE(pgtlib_test_cpa_runs),
#endif
/* @stage end */
/* @stage kunit-faults */
	KUNIT_CASE_SLOW(pgtlib_test_kernel_stress),
	KUNIT_CASE(pgtlib_test_share_kernel),
/* @stage end */
	{}
};

static struct kunit_suite pgtlib_kernel_suite = {
	.name = "pgtlib_kernel",
	.test_cases = pgtlib_kernel_cases,
};
/* @stage end */
/* @stage kunit-reserve */

static struct kunit_case pgtlib_errors_cases[] = {
	KUNIT_CASE(pgtlib_test_space_create_errors),
	KUNIT_CASE_PARAM(pgtlib_test_bad_args, pt_err_gen_params),
	{}
};

static struct kunit_suite pgtlib_errors_suite = {
	.name = "pgtlib_errors",
	.init = pt_leak_init,
	.test_cases = pgtlib_errors_cases,
};
/* @stage end */

kunit_test_suite(pgtlib_private_suite);
/* @stage kunit-live */
kunit_test_suite(pgtlib_kernel_suite);
/* @stage end */
/* @stage kunit-reserve */
kunit_test_suite(pgtlib_errors_suite);
/* @stage end */

MODULE_DESCRIPTION("KUnit tests for pgtlib");
MODULE_LICENSE("GPL");
