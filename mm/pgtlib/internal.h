/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pgtlib internals, shared by the core, its debugfs interface and its tests.
 *
 * The architecture contract is include/asm-generic/pgtlib.h: the flags
 * and helpers with their defaults, and those each <asm/pgtlib.h> must
 * provide.
 */
#ifndef _MM_PGTLIB_INTERNAL_H
#define _MM_PGTLIB_INTERNAL_H

#include <linux/pgtlib.h>
#include <linux/bitmap.h>
#include <linux/jump_label.h>
#include <linux/kasan.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/pgtable.h>
#include <asm/pgtlib.h>

/**
 * struct pgtlib_reservation - what pgtlib_reserve() keeps for one range
 * @list: in the space's @reservations
 * @start: first address of the range
 * @end: its end (exclusive)
 * @spare: table pages kept for the range's no-allocation operations
 * @nr_spare: pages on @spare
 */
struct pgtlib_reservation {
	struct list_head list;
	unsigned long start;
	unsigned long end;
	struct list_head spare;
	unsigned long nr_spare;
};

/**
 * struct pgtlib_space - a page table that pgtlib edits
 * @pgd: the top-level table
 * @start: first virtual address pgtlib may edit
 * @end: end (exclusive) of the editable range
 * @flags: %PGTLIB_SPACE_LIVE and %PGTLIB_SPACE_KERNEL
 * @lock: serialises the apply phase of operations on this space
 * @own_lock: the lock of a space created by pgtlib_space_create()
 * @spare: table pages allocated in advance, linked through page->lru,
 *	that no reservation holds
 * @nr_spare: pages on @spare
 * @nr_reserved: pages the reservations hold, on their own lists
 * @reservations: what each pgtlib_reserve() keeps for its range
 * @nr_tables: table pages pgtlib allocated and installed in this space
 *	(spares not included)
 * @shared: PGD indices whose entries are init_mm's
 */
struct pgtlib_space {
	pgd_t *pgd;
	unsigned long start;
	unsigned long end;
	unsigned int flags;
	spinlock_t *lock;		/* see the kernel-doc above */
	spinlock_t own_lock;		/* @lock of a created space */
	struct list_head spare;
	unsigned long nr_spare;
	unsigned long nr_reserved;
	struct list_head reservations;
	atomic_long_t nr_tables;
	DECLARE_BITMAP(shared, PTRS_PER_PGD);
};

#define PGTLIB_SPACE_KERNEL	BIT(8)	/* init_mm's page table */
#define PGTLIB_SPACE_SHARES	BIT(9)	/* some @shared bit is set */

#define PGTLIB_CONT_SIZE	(PGTLIB_ARCH_CONT_PTES * PAGE_SIZE)
#define PGTLIB_CONT_PMD_SIZE	(PGTLIB_ARCH_CONT_PMDS * PMD_SIZE)

/* Leaves in one contiguous group at @level: 1 where there is no hint. */
static inline unsigned int pgtlib_cont_leaves(unsigned int level)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return PGTLIB_ARCH_CONT_PTES;
	case PGTLIB_LEVEL_PMD:
		return PGTLIB_ARCH_CONT_PMDS;
	default:
		return 1;
	}
}

/* The leaf @val at @level carries the contiguous hint. */
static inline bool pgtlib_leaf_cont(unsigned int level, unsigned long val)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return pgtlib_arch_pte_cont(val);
	case PGTLIB_LEVEL_PMD:
		return pgtlib_arch_pmd_cont(val);
	default:
		return false;
	}
}

static inline unsigned long pgtlib_leaf_set_cont(unsigned int level,
						 unsigned long val, bool cont)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return pgtlib_arch_pte_set_cont(val, cont);
	case PGTLIB_LEVEL_PMD:
		return pgtlib_arch_pmd_set_cont(val, cont);
	default:
		return val;
	}
}

/* Marks, in ptdesc->pt_index, a table page that pgtlib allocated. */
#define PGTLIB_TABLE_MAGIC	0x7067746cUL
/* @stage split-op */
/* ... and one that must stay (pgtlib_keep_split()): no longer ours. */
#define PGTLIB_TABLE_KEPT	0x7067746bUL
/* @stage end */

/*
 * Level-generic access to entries, over the kernel's typed pXd helpers.
 * Entries are handled as raw unsigned long values; every test of their bits
 * goes through the pXd_*() helpers or <asm/pgtlib.h>, never open-coded.
 */

/*
 * A level the kernel folds away: when the level below has one entry per
 * table (asm-generic/pgtable-nopXd.h, or x86 and arm64 running with fewer
 * levels than configured), the entries of @level are dummies (pXd_none()
 * is always false, pXd_populate() does nothing) and the level below's
 * helpers work on the slot in @level's table.
 */
static inline bool pgtlib_level_folded(unsigned int level)
{
	switch (level) {
	case PGTLIB_LEVEL_PUD:
		return mm_pmd_folded(&init_mm);
	case PGTLIB_LEVEL_P4D:
		return mm_pud_folded(&init_mm);
	case PGTLIB_LEVEL_PGD:
		return mm_p4d_folded(&init_mm);
	default:
		return false;
	}
}

static inline unsigned int pgtlib_level_shift(unsigned int level)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return PAGE_SHIFT;
	case PGTLIB_LEVEL_PMD:
		return PMD_SHIFT;
	case PGTLIB_LEVEL_PUD:
		return PUD_SHIFT;
	case PGTLIB_LEVEL_P4D:
		return P4D_SHIFT;
	default:
		return PGDIR_SHIFT;
	}
}

/* pgtlib_level_size() and pgtlib_level_has_leaf(), inline for the core. */
static inline unsigned long __pgtlib_level_size(unsigned int level)
{
	return 1UL << pgtlib_level_shift(level);
}

static inline bool __pgtlib_level_has_leaf(unsigned int level)
{
	return !pgtlib_level_folded(level) && pgtlib_arch_level_has_leaf(level);
}

/* End of the entry at @level that covers @addr, clipped to @end. */
static inline unsigned long pgtlib_entry_end(unsigned int level,
					     unsigned long addr,
					     unsigned long end)
{
	unsigned long size = 1UL << pgtlib_level_shift(level);
	unsigned long boundary = (addr + size) & ~(size - 1);

	return boundary - 1 < end - 1 ? boundary : end;
}

/* The entry at @level for @addr, in the table @parent (an entry above). */
static inline void *pgtlib_entry_offset(struct pgtlib_space *space,
					unsigned int level, void *parent,
					unsigned long addr)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return pte_offset_kernel((pmd_t *)parent, addr);
	case PGTLIB_LEVEL_PMD:
		return pmd_offset((pud_t *)parent, addr);
	case PGTLIB_LEVEL_PUD:
		return pud_offset((p4d_t *)parent, addr);
	case PGTLIB_LEVEL_P4D:
		return p4d_offset((pgd_t *)parent, addr);
	default:
		return pgd_offset_pgd(space->pgd, addr);
	}
}

static inline unsigned long pgtlib_entry_read(unsigned int level, void *ep)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return pte_val(pgtlib_arch_pte_get((pte_t *)ep));
	case PGTLIB_LEVEL_PMD:
		return pmd_val(pmdp_get((pmd_t *)ep));
	case PGTLIB_LEVEL_PUD:
		return pud_val(pudp_get((pud_t *)ep));
	case PGTLIB_LEVEL_P4D:
		return p4d_val(p4dp_get((p4d_t *)ep));
	default:
		return pgd_val(pgdp_get((pgd_t *)ep));
	}
}

/* A hole: no translation, and no table below. */
static inline bool pgtlib_entry_none(unsigned int level, unsigned long val)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return !pgtlib_arch_pte_present(__pte(val));
	case PGTLIB_LEVEL_PMD:
		return pmd_none(__pmd(val));
	case PGTLIB_LEVEL_PUD:
		return pud_none(__pud(val));
	case PGTLIB_LEVEL_P4D:
		return p4d_none(__p4d(val));
	default:
		return pgd_none(__pgd(val));
	}
}

/*
 * Not even an entry that translates nothing but keeps its page (a PTE whose
 * valid bit was cleared): what a map may fill, and an empty table holds.
 */
static inline bool pgtlib_entry_clear(unsigned int level, unsigned long val)
{
	if (level == PGTLIB_LEVEL_PTE)
		return pte_none(__pte(val));
	return pgtlib_entry_none(level, val);
}

/* A translation (not a hole, not a table). */
static inline bool pgtlib_entry_leaf(unsigned int level, unsigned long val)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return pgtlib_arch_pte_present(__pte(val));
	case PGTLIB_LEVEL_PMD:
		return pmd_leaf(__pmd(val));
	case PGTLIB_LEVEL_PUD:
		return pud_leaf(__pud(val));
	default:
		return false;
	}
}

static inline unsigned long pgtlib_entry_pfn(unsigned int level,
					     unsigned long val)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return pte_pfn(__pte(val));
	case PGTLIB_LEVEL_PMD:
		return pmd_pfn(__pmd(val));
	default:
		return pud_pfn(__pud(val));
	}
}

static inline void pgtlib_entry_write(unsigned int level, void *ep,
				      unsigned long val)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		pgtlib_arch_set_pte((pte_t *)ep, val);
		pgtlib_arch_sync_ptes();
		break;
	case PGTLIB_LEVEL_PMD:
		set_pmd((pmd_t *)ep, __pmd(val));
		break;
	case PGTLIB_LEVEL_PUD:
		set_pud((pud_t *)ep, __pud(val));
		break;
	case PGTLIB_LEVEL_P4D:
		set_p4d((p4d_t *)ep, __p4d(val));
		break;
	default:
		set_pgd((pgd_t *)ep, __pgd(val));
		break;
	}
}

/* The table whose entries (of @level - 1) the entry @ep points to. */
static inline void *pgtlib_entry_table(struct pgtlib_space *space,
				       unsigned int level, void *ep,
				       unsigned long addr)
{
	unsigned long base = addr & ~((1UL << pgtlib_level_shift(level)) - 1);

	return pgtlib_entry_offset(space, level - 1, ep, base);
}

/* What an entry is, to every descent: nothing, a table below, or a leaf. */
enum pgtlib_entry_kind {
	PGTLIB_HOLE,
	PGTLIB_TABLE,
	PGTLIB_LEAF,
};

static __always_inline enum pgtlib_entry_kind
pgtlib_entry_kind(unsigned int level, unsigned long val)
{
	if (pgtlib_entry_none(level, val))
		return PGTLIB_HOLE;
	if (level == PGTLIB_LEVEL_PTE || pgtlib_entry_leaf(level, val))
		return PGTLIB_LEAF;
	return PGTLIB_TABLE;
}

/*
 * The entry for @addr one level below the entry @ep at @level, whose value
 * @val was read once. A folded level's entry is the one below it, which
 * pXd_offset() returns without reading; otherwise the table is found from
 * @val (the *_offset_lockless() forms), never from a second read of @ep
 * that could see another CPU's change.
 */
static __always_inline void *pgtlib_entry_below(unsigned int level, void *ep,
						unsigned long val,
						unsigned long addr)
{
	pmd_t pmd;
	pud_t pud;
	p4d_t p4d;
	pgd_t pgd;

	switch (level) {
	case PGTLIB_LEVEL_PMD:
		pmd = __pmd(val);
		return pte_offset_kernel(&pmd, addr);
	case PGTLIB_LEVEL_PUD:
		if (pgtlib_level_folded(level))
			return pmd_offset((pud_t *)ep, addr);
		pud = __pud(val);
		return pmd_offset_lockless((pud_t *)ep, pud, addr);
	case PGTLIB_LEVEL_P4D:
		if (pgtlib_level_folded(level))
			return pud_offset((p4d_t *)ep, addr);
		p4d = __p4d(val);
		return pud_offset_lockless((p4d_t *)ep, p4d, addr);
	default:
		if (pgtlib_level_folded(level))
			return p4d_offset((pgd_t *)ep, addr);
		pgd = __pgd(val);
		return p4d_offset_lockless((pgd_t *)ep, pgd, addr);
	}
}

/**
 * struct pgtlib_cursor - a descent towards one address
 * @addr: the address
 * @ep: the entry at @level that translates it
 * @val: @ep's value, read once
 * @level: a level the architecture does not fold
 * @kind: what @val is
 *
 * pgtlib_cursor_top() positions the cursor on the top-level entry and
 * pgtlib_cursor_down() moves it into the table that entry points to; both
 * step over folded levels, and the caller acts on @kind at each level.
 */
struct pgtlib_cursor {
	unsigned long addr;
	void *ep;
	unsigned long val;
	unsigned int level;
	enum pgtlib_entry_kind kind;
};

static __always_inline void pgtlib_cursor_fold(struct pgtlib_cursor *c)
{
	while (pgtlib_level_folded(c->level)) {
		c->ep = pgtlib_entry_below(c->level, c->ep, c->val, c->addr);
		c->level--;
		c->val = pgtlib_entry_read(c->level, c->ep);
	}
	c->kind = pgtlib_entry_kind(c->level, c->val);
}

static __always_inline void pgtlib_cursor_top(struct pgtlib_cursor *c,
					      struct pgtlib_space *space,
					      unsigned long addr)
{
	c->addr = addr;
	c->level = PGTLIB_LEVEL_PGD;
	c->ep = pgd_offset_pgd(space->pgd, addr);
	c->val = pgtlib_entry_read(c->level, c->ep);
	pgtlib_cursor_fold(c);
}

/* Into the table @c points to (@c->kind is PGTLIB_TABLE). */
static __always_inline void pgtlib_cursor_down(struct pgtlib_cursor *c)
{
	c->ep = pgtlib_entry_below(c->level, c->ep, c->val, c->addr);
	c->level--;
	c->val = pgtlib_entry_read(c->level, c->ep);
	pgtlib_cursor_fold(c);
}

/* Re-read the entry under @c, which this CPU has just changed. */
static __always_inline void pgtlib_cursor_reload(struct pgtlib_cursor *c)
{
	c->val = pgtlib_entry_read(c->level, c->ep);
	c->kind = pgtlib_entry_kind(c->level, c->val);
}

/* Entries in a table of @level. */
static inline unsigned int pgtlib_level_ptrs(unsigned int level)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return PTRS_PER_PTE;
	case PGTLIB_LEVEL_PMD:
		return PTRS_PER_PMD;
	case PGTLIB_LEVEL_PUD:
		return PTRS_PER_PUD;
	case PGTLIB_LEVEL_P4D:
		return PTRS_PER_P4D;
	default:
		return PTRS_PER_PGD;
	}
}

/* Entries of every level have one size, so one step fits all. */
static inline void *pgtlib_entry_next(void *ep)
{
	BUILD_BUG_ON(sizeof(pte_t) != sizeof(pmd_t) ||
		     sizeof(pmd_t) != sizeof(pud_t) ||
		     sizeof(pud_t) != sizeof(p4d_t) ||
		     sizeof(p4d_t) != sizeof(pgd_t) ||
		     sizeof(pte_t) != sizeof(unsigned long));
	return ep + sizeof(pte_t);
}

/*
 * Counters summed over all transactions, counted with the transaction's
 * own as each event happens: commit has nothing left to add. A per-CPU
 * update is eight instructions on arm64, a tenth of a one-page operation,
 * so, as with schedstats, totals are only kept while pgtlib_count_events
 * is on (debugfs "stats"). Table pages come with an allocation or a free
 * and are always counted: leak checks read them. Totals read across a
 * switch may be off by the operations running at that moment.
 */
DECLARE_PER_CPU(struct pgtlib_stats, pgtlib_totals);
DECLARE_STATIC_KEY_FALSE(pgtlib_count_events);

static __always_inline void __pgtlib_count(struct pgtlib_txn *txn,
					   size_t offset, unsigned long n,
					   bool has_txn)
{
	unsigned long __percpu *total = (unsigned long __percpu *)
		((char __percpu *)&pgtlib_totals + offset);

	/* A _noflush operation outside a transaction has no stats of its own. */
	if (has_txn || txn)
		*(unsigned long *)((char *)&txn->stats + offset) += n;
	if (offset == offsetof(struct pgtlib_stats, tables_allocated) ||
	    offset == offsetof(struct pgtlib_stats, tables_freed) ||
	    static_branch_unlikely(&pgtlib_count_events))
		this_cpu_add(*total, n);
}

#define pgtlib_count(txn, field, n)	\
	__pgtlib_count(txn, offsetof(struct pgtlib_stats, field), n, false)

/* Where @txn cannot be NULL (the kernel builds with NULL checks kept). */
#define pgtlib_txn_count(txn, field, n)	\
	__pgtlib_count(txn, offsetof(struct pgtlib_stats, field), n, true)

/* The range overlaps no top-level entry shared with init_mm. */
static inline int __pgtlib_check_shared(struct pgtlib_space *space,
					unsigned long va, unsigned long size)
{
	unsigned long addr;

	for (addr = va; addr - 1 < va + size - 1;
	     addr = pgtlib_entry_end(PGTLIB_LEVEL_PGD, addr, va + size))
		if (test_bit(pgd_index(addr), space->shared))
			return -EPERM;
	return 0;
}

/*
 * A kernel address may carry a KASAN tag in its top byte (arm64 SW and HW
 * tags: page_address() and vmalloc() return such addresses). The tables
 * are indexed without it, and the TLB is invalidated without it: only the
 * range checks must compare the address without its tag.
 */
static inline unsigned long pgtlib_untag(unsigned long va)
{
	return (unsigned long)kasan_reset_tag((const void *)va);
}

/*
 * A range pgtlib may edit in @space: -EINVAL if empty, misaligned or
 * wrapping, -ERANGE outside the space, -EPERM where shared with init_mm.
 */
static inline int pgtlib_check_range(struct pgtlib_space *space,
				     unsigned long va, unsigned long size)
{
	va = pgtlib_untag(va);
	/* The last test is true for an empty range, and for one that wraps. */
	if (!PAGE_ALIGNED(va) || !PAGE_ALIGNED(size) || va + size <= va)
		return -EINVAL;
	if (va < space->start || va + size - 1 > space->end - 1)
		return -ERANGE;
	if (space->flags & PGTLIB_SPACE_SHARES)
		return __pgtlib_check_shared(space, va, size);
	return 0;
}

/* @stage tables */
bool pgtlib_table_is_ours(void *table);

int pgtlib_tables_claim(struct pgtlib_txn *txn, struct list_head *list,
			unsigned long nr, bool may_alloc, unsigned long start,
			unsigned long end);
void pgtlib_tables_release(struct pgtlib_txn *txn, struct list_head *list,
			   bool keep_all, unsigned long start,
			   unsigned long end);
struct page *pgtlib_table_alloc(struct pgtlib_txn *txn, gfp_t gfp);
struct page *__pgtlib_table_alloc(struct pgtlib_txn *txn, gfp_t gfp);
void *pgtlib_tables_take(struct pgtlib_space *space, struct list_head *list,
			 unsigned int level);
void *__pgtlib_tables_take(struct pgtlib_space *space, struct list_head *list,
			   unsigned int level);
void pgtlib_tables_drain(void);
void pgtlib_tables_retire(struct pgtlib_txn *txn, void *table);
/* @stage end */
/* @stage txn */
void __pgtlib_txn_add_range(struct pgtlib_txn *txn, unsigned long start,
			    unsigned long end);

/* Note that [start, end) needs invalidating at commit. */
static inline void pgtlib_txn_add_range(struct pgtlib_txn *txn,
					unsigned long start, unsigned long end)
{
	/* Most transactions change one range. No ranges: no flush_all. */
	if (!txn->nr_ranges && (txn->space->flags & PGTLIB_SPACE_LIVE)) {
		txn->ranges[0].start = start;
		txn->ranges[0].end = end;
		txn->nr_ranges = 1;
		return;
	}
	__pgtlib_txn_add_range(txn, start, end);
}

void pgtlib_txn_flush(struct pgtlib_txn *txn);

/* Whether [start, end) overlaps a change not yet invalidated. */
static inline bool pgtlib_txn_pending(struct pgtlib_txn *txn,
				      unsigned long start, unsigned long end)
{
	unsigned int i;

	if (txn->flush_all)
		return true;
	for (i = 0; i < txn->nr_ranges; i++)
		if (start < txn->ranges[i].end && txn->ranges[i].start < end)
			return true;
	return false;
}

/* @stage end */
/* @stage reserve */
void pgtlib_reservations_free(struct pgtlib_space *space);

/* @stage end */
/* @stage debugfs */
struct seq_file;
int pgtlib_bench_show(struct seq_file *m, void *v);

/*
 * For the selftest and the benchmark: PTRS_PER_PTE pages and a vmalloc
 * area with a PMD-aligned window, @va, of as many pages in it.
 */
struct pgtlib_test_area {
	struct vm_struct *vm;
	struct page **pages;
	unsigned long va;
};

int pgtlib_test_area_get(struct pgtlib_test_area *area);
void pgtlib_test_area_put(struct pgtlib_test_area *area);

/* @stage end */
#endif /* _MM_PGTLIB_INTERNAL_H */
