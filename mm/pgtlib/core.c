// SPDX-License-Identifier: GPL-2.0
/*
 * pgtlib core: address spaces, table pages and transactions.
 *
 * A transaction gathers the TLB invalidations its operations need and the
 * table pages they remove; pgtlib_txn_commit() invalidates once for the
 * whole batch and only then lets the table pages go.
 */
#include <kunit/static_stub.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/pgalloc.h>
#include <linux/workqueue.h>
#include <asm/tlbflush.h>

#include "internal.h"

/* @stage tables */
/* Spare table pages a space keeps beyond those reserved for callers. */
#define PGTLIB_SPARE_CACHE	16

/* @stage end */
/*
 * The kernel space, pgtlib_kernel_space(): usable from the first vmalloc()
 * and ioremap(), before any initcall; only @start waits for
 * pgtlib_kernel_space_init() (x86's PAGE_OFFSET is set at boot).
 */
struct pgtlib_space __pgtlib_kernel_space = {
	.pgd = swapper_pg_dir,
	.end = -PAGE_SIZE,
	.flags = PGTLIB_SPACE_LIVE | PGTLIB_SPACE_KERNEL,
	.lock = &init_mm.page_table_lock,
	.spare = LIST_HEAD_INIT(__pgtlib_kernel_space.spare),
	.reservations = LIST_HEAD_INIT(__pgtlib_kernel_space.reservations),
};
EXPORT_SYMBOL_GPL(__pgtlib_kernel_space);

/* See pgtlib_count(); per CPU so that counting stays cheap. */
DEFINE_PER_CPU(struct pgtlib_stats, pgtlib_totals);
DEFINE_STATIC_KEY_FALSE(pgtlib_count_events);

/**
 * pgtlib_level_size() - bytes an entry at @level maps
 * @level: %PGTLIB_LEVEL_PTE to %PGTLIB_LEVEL_PGD
 *
 * Return: the size of the virtual range one entry at @level covers.
 */
unsigned long pgtlib_level_size(unsigned int level)
{
	if (level >= PGTLIB_NR_LEVELS)
		return 0;
	return __pgtlib_level_size(level);
}
EXPORT_SYMBOL_GPL(pgtlib_level_size);

/**
 * pgtlib_level_has_leaf() - whether kernel leaves may live at @level
 * @level: %PGTLIB_LEVEL_PTE to %PGTLIB_LEVEL_PGD
 *
 * Return: true when pgtlib_map() may map a leaf of pgtlib_level_size(@level)
 * bytes on this CPU (x86: 2M with PSE, 1G with GBPAGES; arm64: blocks).
 */
bool pgtlib_level_has_leaf(unsigned int level)
{
	if (level >= PGTLIB_NR_LEVELS)
		return false;
	return __pgtlib_level_has_leaf(level);
}
EXPORT_SYMBOL_GPL(pgtlib_level_has_leaf);

/* @stage tables */
/*
 * Table pages are page-table descriptors, allocated, typed and freed as the
 * kernel's own allocators do it for the same level, so that the kernel's
 * free paths (pmd_free_pte_page(), pud_free_pmd_page(), pte_free_kernel(),
 * pmd_free()) accept the tables pgtlib leaves in init_mm:
 *
 * - a spare is an untyped ptdesc, its split lock already set up
 *   (ptlock_init(): pmd_free() frees it), marked in pt_index as pgtlib's;
 * - installed, it becomes what __pte_alloc_kernel() or pmd_alloc_one()
 *   would have made there: a kernel PTE table stays untyped and out of
 *   NR_PAGETABLE, as pte_alloc_one_kernel() leaves it; every other table
 *   is typed and counted in NR_PAGETABLE (and in its memcg) as the
 *   pagetable_*_ctor() helpers do;
 * - removed, it loses the type again.
 */
bool pgtlib_table_is_ours(void *table)
{
	struct page *page = virt_to_page(table);

	return page_ptdesc(page)->pt_index == PGTLIB_TABLE_MAGIC &&
	       !PageReserved(page);
}

/*
 * A new, zeroed table page for @txn. The KUnit tests fail the Nth call
 * through a static stub (fault injection without a field in the public
 * struct pgtlib_txn).
 */
struct page *pgtlib_table_alloc(struct pgtlib_txn *txn, gfp_t gfp)
{
	KUNIT_STATIC_STUB_REDIRECT(pgtlib_table_alloc, txn, gfp);
	return __pgtlib_table_alloc(txn, gfp);
}

struct page *__pgtlib_table_alloc(struct pgtlib_txn *txn, gfp_t gfp)
{
	struct ptdesc *ptdesc;

	ptdesc = pagetable_alloc(gfp | __GFP_ZERO, 0);
	if (!ptdesc)
		return NULL;
	if (!ptlock_init(ptdesc)) {
		pagetable_free(ptdesc);
		return NULL;
	}
	ptdesc->pt_index = PGTLIB_TABLE_MAGIC;
	pgtlib_count(txn, tables_allocated, 1);
	return ptdesc_page(ptdesc);
}

/* Free the split lock, if it still has one (see pgtlib_table_ctor()). */
static void pgtlib_ptlock_drop(struct ptdesc *ptdesc)
{
#if ALLOC_SPLIT_PTLOCKS
	if (ptdesc->ptl) {
		ptlock_free(ptdesc);
		ptdesc->ptl = NULL;
	}
#endif
}

/* @page now holds the entries of @level of @space. */
static void pgtlib_table_ctor(struct pgtlib_space *space, struct page *page,
			      unsigned int level)
{
	struct ptdesc *ptdesc = page_ptdesc(page);

	/* pmd_free() checks pmd_huge_pte, which aliases the list links. */
	memset(&ptdesc->pt_list, 0, sizeof(ptdesc->pt_list));
	if (space->flags & PGTLIB_SPACE_KERNEL) {
		/*
		 * Only pmd_free() frees a split lock: the kernel may free any
		 * other init_mm table, with free_page() or pte_free_kernel().
		 * Such a table is never a spare again (see
		 * pgtlib_txn_free_tables()).
		 */
		if (level != PGTLIB_LEVEL_PMD)
			pgtlib_ptlock_drop(ptdesc);
		if (level == PGTLIB_LEVEL_PTE)
			return;
	}
	__folio_set_pgtable(ptdesc_folio(ptdesc));
	lruvec_stat_add_folio(ptdesc_folio(ptdesc), NR_PAGETABLE);
}

static void pgtlib_table_dtor(struct page *page)
{
	struct folio *folio = page_folio(page);

	if (!folio_test_pgtable(folio))
		return;
	__folio_clear_pgtable(folio);
	lruvec_stat_sub_folio(folio, NR_PAGETABLE);
}

static void pgtlib_table_free(struct page *page)
{
	struct ptdesc *ptdesc = page_ptdesc(page);

	pgtlib_table_dtor(page);
	ptdesc->pt_index = 0;
	pgtlib_ptlock_drop(ptdesc);
	pagetable_free(ptdesc);
}

static void pgtlib_free_list(struct list_head *list, struct pgtlib_txn *txn)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, list, lru) {
		list_del(&page->lru);
		pgtlib_table_free(page);
		pgtlib_count(txn, tables_freed, 1);
	}
}

/* The reservation whose range holds [@start, @end); under the lock. */
static struct pgtlib_reservation *
pgtlib_reservation_find(struct pgtlib_space *space, unsigned long start,
			unsigned long end)
{
	struct pgtlib_reservation *r;

	if (start >= end)
		return NULL;
	list_for_each_entry(r, &space->reservations, list)
		if (r->start <= start && end <= r->end)
			return r;
	return NULL;
}

/* Move up to @nr pages from @from (counted by *@count) to @list. */
static unsigned long pgtlib_spares_take(struct list_head *from,
					unsigned long *count,
					struct list_head *list,
					unsigned long nr)
{
	unsigned long got = 0;

	while (got < nr && *count) {
		list_move(from->next, list);
		WRITE_ONCE(*count, *count - 1);
		got++;
	}
	return got;
}

/*
 * Take @nr table pages for the operation on [@start, @end): a
 * no-allocation transaction takes them from the reservation that holds
 * the range, then from the spares no reservation holds; any other from
 * those spares, then, if @may_alloc, from the page allocator. So no
 * operation takes what a reservation keeps for another range. Either all
 * @nr pages are on @list, or none are.
 */
int pgtlib_tables_claim(struct pgtlib_txn *txn, struct list_head *list,
			unsigned long nr, bool may_alloc, unsigned long start,
			unsigned long end)
{
	struct pgtlib_space *space = txn->space;
	bool noalloc = txn->flags & PGTLIB_TXN_NOALLOC;
	struct pgtlib_reservation *r = NULL;
	unsigned long got = 0, n;

	if (!nr)
		return 0;
	spin_lock(space->lock);
	if (noalloc)
		r = pgtlib_reservation_find(space, start, end);
	if (r) {
		n = pgtlib_spares_take(&r->spare, &r->nr_spare, list, nr);
		WRITE_ONCE(space->nr_reserved, space->nr_reserved - n);
		got += n;
		if (!txn->resv.end) {
			txn->resv.start = r->start;
			txn->resv.end = r->end;
		}
	}
	got += pgtlib_spares_take(&space->spare, &space->nr_spare, list,
				  nr - got);
	spin_unlock(space->lock);

	if (got == nr)
		return 0;
	if (noalloc || !may_alloc)
		goto fail;

	might_alloc(txn->gfp);
	for (; got < nr; got++) {
		struct page *page = pgtlib_table_alloc(txn, txn->gfp);

		if (!page)
			goto fail;
		list_add(&page->lru, list);
	}
	return 0;

fail:
	pgtlib_tables_release(txn, list, false, start, end);
	return -ENOMEM;
}

/*
 * Give table pages back: a no-allocation transaction's to the reservation
 * that holds [@start, @end), if any, all of them; the others to the
 * space's spares, keeping at most PGTLIB_SPARE_CACHE (all of them if
 * @keep_all) and freeing the rest.
 */
void pgtlib_tables_release(struct pgtlib_txn *txn, struct list_head *list,
			   bool keep_all, unsigned long start,
			   unsigned long end)
{
	struct pgtlib_space *space = txn->space;
	struct pgtlib_reservation *r = NULL;
	struct page *page, *next;
	LIST_HEAD(excess);

	/* Unlocked: the lock is taken whenever there may be work. */
	if (list_empty(list) &&
	    READ_ONCE(space->nr_spare) <= PGTLIB_SPARE_CACHE)
		return;
	spin_lock(space->lock);
	/* Trim spares left over by pgtlib_unreserve() too. */
	while (space->nr_spare > PGTLIB_SPARE_CACHE) {
		list_move(space->spare.next, &excess);
		WRITE_ONCE(space->nr_spare, space->nr_spare - 1);
	}
	if (txn->flags & PGTLIB_TXN_NOALLOC)
		r = pgtlib_reservation_find(space, start, end);
	list_for_each_entry_safe(page, next, list, lru) {
		if (r) {
			list_move(&page->lru, &r->spare);
			WRITE_ONCE(r->nr_spare, r->nr_spare + 1);
			WRITE_ONCE(space->nr_reserved, space->nr_reserved + 1);
			continue;
		}
		if (!keep_all && space->nr_spare >= PGTLIB_SPARE_CACHE) {
			list_move(&page->lru, &excess);
			continue;
		}
		list_move(&page->lru, &space->spare);
		WRITE_ONCE(space->nr_spare, space->nr_spare + 1);
	}
	spin_unlock(space->lock);
	pgtlib_free_list(&excess, txn);
}

/*
 * The first page of @list, to become a table of the space; NULL if the
 * operation's count fell short (the range changed under its owner).
 */
void *pgtlib_tables_take(struct pgtlib_space *space, struct list_head *list,
			 unsigned int level)
{
	KUNIT_STATIC_STUB_REDIRECT(pgtlib_tables_take, space, list, level);
	return __pgtlib_tables_take(space, list, level);
}

void *__pgtlib_tables_take(struct pgtlib_space *space, struct list_head *list,
			   unsigned int level)
{
	struct page *page;

	page = list_first_entry_or_null(list, struct page, lru);
	if (WARN_ON_ONCE(!page))
		return NULL;
	list_del(&page->lru);
	pgtlib_table_ctor(space, page, level);
	atomic_long_inc(&space->nr_tables);
	return page_address(page);
}

/* A table removed from the space: freed after the next invalidation. */
void pgtlib_tables_retire(struct pgtlib_txn *txn, void *table)
{
	struct page *page = virt_to_page(table);

	atomic_long_dec(&txn->space->nr_tables);
	pgtlib_table_dtor(page);
	list_add_tail(&page->lru, &txn->free_tables);
}

/*
 * init_mm's tables are walked without any lock of pgtlib's: by pgtlib_walk()
 * under rcu_read_lock(), and by ptdump under mmap_write_lock(&init_mm). A
 * table removed from init_mm (by a collapse, or by a huge map over an
 * empty table) is therefore freed after a grace period, by a work item
 * that excludes ptdump.
 */
static LLIST_HEAD(pgtlib_rcu_freed);

static void pgtlib_free_work_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&pgtlib_rcu_freed), *pos, *n;

	mmap_read_lock(&init_mm);
	llist_for_each_safe(pos, n, list) {
		struct page *page = container_of((void *)pos, struct page,
						 rcu_head);

		pgtlib_table_free(page);
		this_cpu_inc(pgtlib_totals.tables_freed);
	}
	mmap_read_unlock(&init_mm);
}

static DECLARE_WORK(pgtlib_free_work, pgtlib_free_work_fn);

/* @stage txn */
static void pgtlib_table_rcu_free(struct rcu_head *head)
{
	llist_add((struct llist_node *)head, &pgtlib_rcu_freed);
	schedule_work(&pgtlib_free_work);
}

/* @stage end */
/**
 * pgtlib_tables_drain() - wait until removed init_mm tables are freed
 *
 * For tests and for callers that count table pages: every table removed
 * from init_mm before the call has been freed when it returns.
 *
 * Context: may sleep.
 */
void pgtlib_tables_drain(void)
{
	rcu_barrier();
	flush_work(&pgtlib_free_work);
}

/* @stage end */
/**
 * pgtlib_kernel_space_init() - set up the kernel space at boot
 *
 * Called from vmalloc_init(), before the first vmalloc() or ioremap():
 * from then on pgtlib_kernel_space() covers the kernel's half of the
 * address space.
 */
void __init pgtlib_kernel_space_init(void)
{
	WARN_ON_ONCE(__pgtlib_kernel_space.pgd != init_mm.pgd);
	__pgtlib_kernel_space.start = PAGE_OFFSET;
}

/* For kernels whose vmalloc does not call it. */
static int __init pgtlib_init(void)
{
	if (!__pgtlib_kernel_space.start)
		pgtlib_kernel_space_init();
	return 0;
}
core_initcall(pgtlib_init);

/* @stage tables */
/**
 * pgtlib_space_create() - create an empty kernel page table
 * @start: first virtual address the space may map, page aligned
 * @end: end of that range (exclusive), page aligned
 * @flags: %PGTLIB_SPACE_LIVE if the space will be loaded by a CPU
 * @gfp: allocation flags for the space and its top-level table
 *
 * The new space maps nothing. pgtlib_space_share_kernel() makes chosen
 * top-level entries point to the kernel's own tables. The space is never
 * loaded by pgtlib itself.
 *
 * Return: the space, ERR_PTR(-EINVAL) for a bad range or flags, or
 * ERR_PTR(-ENOMEM).
 */
struct pgtlib_space *pgtlib_space_create(unsigned long start,
					 unsigned long end,
					 unsigned int flags, gfp_t gfp)
{
	struct pgtlib_space *space;
	struct page *page;

	if (flags & ~PGTLIB_SPACE_LIVE)
		return ERR_PTR(-EINVAL);
	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(end) || start >= end ||
	    start < PAGE_OFFSET)
		return ERR_PTR(-EINVAL);

	space = kzalloc(sizeof(*space), gfp);
	if (!space)
		return ERR_PTR(-ENOMEM);
	page = alloc_page(gfp | __GFP_ZERO);
	if (!page) {
		kfree(space);
		return ERR_PTR(-ENOMEM);
	}
	space->pgd = page_address(page);
	space->start = start;
	space->end = end;
	space->flags = flags;
	spin_lock_init(&space->own_lock);
	space->lock = &space->own_lock;
	INIT_LIST_HEAD(&space->spare);
	INIT_LIST_HEAD(&space->reservations);
	return space;
}
EXPORT_SYMBOL_GPL(pgtlib_space_create);

/**
 * pgtlib_space_share_kernel() - share top-level entries with init_mm
 * @space: a space from pgtlib_space_create()
 * @start: first address, aligned to a top-level entry (PGDIR_SIZE)
 * @end: end address (exclusive), aligned likewise
 *
 * The top-level entries of @space for [@start, @end) are set to init_mm's,
 * so @space sees the kernel's own tables there. Operations on @space may
 * not change shared entries or anything below them.
 *
 * Return: 0; -EINVAL for a misaligned range or for the kernel space;
 * -ERANGE for a range outside the space; -EEXIST if @space already maps
 * something there.
 */
int pgtlib_space_share_kernel(struct pgtlib_space *space,
			      unsigned long start, unsigned long end)
{
	unsigned long addr;

	if (space->flags & PGTLIB_SPACE_KERNEL)
		return -EINVAL;
	if (!IS_ALIGNED(start, PGDIR_SIZE) ||
	    !IS_ALIGNED(end, PGDIR_SIZE) || start >= end)
		return -EINVAL;
	if (start < space->start || end - 1 > space->end - 1)
		return -ERANGE;

	spin_lock(space->lock);
	for (addr = start; addr != end; addr += PGDIR_SIZE) {
		pgd_t *pgd = pgd_offset_pgd(space->pgd, addr);

		if (!test_bit(pgd_index(addr), space->shared) &&
		    !pgd_none(pgdp_get(pgd)) &&
		    pgd_val(pgdp_get(pgd)) != 0) {
			spin_unlock(space->lock);
			return -EEXIST;
		}
	}
	for (addr = start; addr != end; addr += PGDIR_SIZE) {
		set_pgd(pgd_offset_pgd(space->pgd, addr),
			pgdp_get(pgd_offset_pgd(init_mm.pgd, addr)));
		__set_bit(pgd_index(addr), space->shared);
	}
	space->flags |= PGTLIB_SPACE_SHARES;
	spin_unlock(space->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(pgtlib_space_share_kernel);

static void pgtlib_free_tables(struct pgtlib_space *space, unsigned int level,
			       void *parent, unsigned long addr,
			       unsigned long end)
{
	void *ep = pgtlib_entry_offset(space, level, parent, addr);
	unsigned long next;

	do {
		unsigned long val;
		void *table;

		next = pgtlib_entry_end(level, addr, end);
		if (level == PGTLIB_LEVEL_PGD &&
		    test_bit(pgd_index(addr), space->shared))
			goto skip;
		if (pgtlib_level_folded(level)) {
			pgtlib_free_tables(space, level - 1, ep, addr, next);
			goto skip;
		}
		val = pgtlib_entry_read(level, ep);
		if (pgtlib_entry_kind(level, val) != PGTLIB_TABLE)
			goto skip;
		if (level > PGTLIB_LEVEL_PMD)
			pgtlib_free_tables(space, level - 1, ep, addr, next);
		table = pgtlib_entry_table(space, level, ep, addr);
		if (WARN_ON_ONCE(!pgtlib_table_is_ours(table)))
			goto skip;
		pgtlib_table_free(virt_to_page(table));
		atomic_long_dec(&space->nr_tables);
		this_cpu_inc(pgtlib_totals.tables_freed);
skip:
		ep += sizeof(pgd_t);
		addr = next;
	} while (addr != end);
}

/**
 * pgtlib_space_destroy() - free a space and every table page it owns
 * @space: a space from pgtlib_space_create(); not loaded on any CPU
 *
 * Tables reached through entries shared with init_mm are left alone.
 */
void pgtlib_space_destroy(struct pgtlib_space *space)
{
	struct page *page, *next;

	if (!space || WARN_ON(space->flags & PGTLIB_SPACE_KERNEL))
		return;

	pgtlib_free_tables(space, PGTLIB_LEVEL_PGD, NULL, space->start,
			   space->end);
/* @stage reserve */
	pgtlib_reservations_free(space);
/* @stage end */
	list_for_each_entry_safe(page, next, &space->spare, lru) {
		list_del(&page->lru);
		pgtlib_table_free(page);
		this_cpu_inc(pgtlib_totals.tables_freed);
	}
	WARN_ON(atomic_long_read(&space->nr_tables));
	free_page((unsigned long)space->pgd);
	kfree(space);
}
EXPORT_SYMBOL_GPL(pgtlib_space_destroy);

/**
 * pgtlib_space_nr_tables() - table pages pgtlib installed in a space
 * @space: the space
 *
 * Return: table pages that pgtlib allocated and that are part of @space's
 * page table now (spare pages not included).
 */
unsigned long pgtlib_space_nr_tables(struct pgtlib_space *space)
{
	return atomic_long_read(&space->nr_tables);
}
EXPORT_SYMBOL_GPL(pgtlib_space_nr_tables);

/* @stage end */
/* @stage txn */
/* The rest of pgtlib_txn_add_range(): keep the ranges sorted and merged. */
void __pgtlib_txn_add_range(struct pgtlib_txn *txn, unsigned long start,
			    unsigned long end)
{
	struct pgtlib_range *r = txn->ranges;
	unsigned int i, j;

	/*
	 * Once overflowed, @nr_ranges stays at its maximum (no merging below
	 * lowers it): commit and the inline add test @nr_ranges alone.
	 */
	if (txn->flush_all || !(txn->space->flags & PGTLIB_SPACE_LIVE))
		return;

	for (i = 0; i < txn->nr_ranges; i++) {
		if (end < r[i].start)
			break;
		if (start > r[i].end)
			continue;
		r[i].start = min(start, r[i].start);
		r[i].end = max(end, r[i].end);
		while (i + 1 < txn->nr_ranges && r[i + 1].start <= r[i].end) {
			r[i].end = max(r[i].end, r[i + 1].end);
			for (j = i + 1; j + 1 < txn->nr_ranges; j++)
				r[j] = r[j + 1];
			txn->nr_ranges--;
		}
		return;
	}
	if (txn->nr_ranges == PGTLIB_TXN_MAX_RANGES) {
		/* @nr_ranges stays: commit needs to test only that. */
		txn->flush_all = true;
		return;
	}
	/* A few entries: a loop, not a call to memmove(). */
	for (j = txn->nr_ranges; j > i; j--)
		r[j] = r[j - 1];
	r[i].start = start;
	r[i].end = end;
	txn->nr_ranges++;
}

/*
 * Invalidate everything the transaction has changed so far, as one request.
 * Inline in commit, where most transactions invalidate one short range.
 * Counters and state are updated first, so that nothing but the
 * invalidation's own arguments is live across it.
 */
static __always_inline void __pgtlib_txn_flush(struct pgtlib_txn *txn,
					       bool close)
{
	unsigned int i, nr = txn->nr_ranges;
	bool all, tables = txn->flush_tables;
	unsigned long pages;

	/* Early boot runs on one CPU, with interrupts off (see apply.c). */
	if (PGTLIB_ARCH_FLUSH_IPI && !early_boot_irqs_disabled)
		lockdep_assert_irqs_enabled();

	for (pages = 0, i = 0; i < nr; i++)
		pages += txn->ranges[i].end - txn->ranges[i].start;
	pages >>= PAGE_SHIFT;
	/* Only a full @ranges can have overflowed (constant for commit). */
	all = (nr == PGTLIB_TXN_MAX_RANGES && txn->flush_all) ||
	      pages > pgtlib_arch_flush_ceiling() ||
	      (tables && PGTLIB_ARCH_TABLES_FLUSH_ALL);

	pgtlib_txn_count(txn, flushes, 1);
	if (all)
		pgtlib_txn_count(txn, full_flushes, 1);
	else
		pgtlib_txn_count(txn, pages_invalidated, pages);
	txn->nr_ranges = 0;
	txn->flush_all = false;
	txn->flush_tables = false;
	if (close) {
		/* It has no tables to free: the flags become one store. */
		txn->dirty_tables = false;
		txn->open = false;
	}
	/* ranges[] stays as it was until the next change. */
	pgtlib_arch_flush(txn->ranges, nr, all, tables);
}

void pgtlib_txn_flush(struct pgtlib_txn *txn)
{
	if (txn->nr_ranges)
		__pgtlib_txn_flush(txn, false);
}

/*
 * After the flush, no CPU's TLB holds a walk through the removed tables.
 * Those of a private space, which only pgtlib walks and only under the
 * space's lock, are recycled at once; init_mm's go after a grace period.
 */
static void pgtlib_txn_free_tables(struct pgtlib_txn *txn)
{
	struct page *page, *next;

	if (txn->space->flags & PGTLIB_SPACE_KERNEL) {
		list_for_each_entry_safe(page, next, &txn->free_tables, lru) {
			list_del(&page->lru);
			call_rcu(&page->rcu_head, pgtlib_table_rcu_free);
		}
		return;
	}
	/* Unmap empties what it removes; a collapse leaves its leaves. */
	if (txn->dirty_tables)
		list_for_each_entry(page, &txn->free_tables, lru)
			clear_page(page_address(page));
	if (txn->flags & PGTLIB_TXN_NOALLOC)
		pgtlib_tables_release(txn, &txn->free_tables, true,
				      txn->resv.start, txn->resv.end);
	else
		pgtlib_tables_release(txn, &txn->free_tables, false, 0, 0);
}

static noinline void pgtlib_txn_end(struct pgtlib_txn *txn)
{
	if (WARN_ON_ONCE(!txn->open))
		return;

	pgtlib_txn_flush(txn);
	if (!list_empty(&txn->free_tables))
		pgtlib_txn_free_tables(txn);

	txn->open = false;
}

/**
 * __pgtlib_txn_commit() - finish a transaction that has work left
 * @txn: the transaction
 *
 * The out-of-line part of pgtlib_txn_commit(), for a transaction with
 * translations to invalidate or tables to free; call pgtlib_txn_commit().
 */
void __pgtlib_txn_commit(struct pgtlib_txn *txn)
{
	/*
	 * Most transactions changed one range and removed no table: the
	 * flush below is then compiled for exactly that case.
	 */
	if (likely(txn->open && txn->nr_ranges == 1 && !txn->flush_tables &&
		   list_empty(&txn->free_tables))) {
		__pgtlib_txn_flush(txn, true);
		return;
	}
	pgtlib_txn_end(txn);
}
EXPORT_SYMBOL_GPL(__pgtlib_txn_commit);

/**
 * pgtlib_txn_commit_deferred() - finish a transaction, leaving the
 *	invalidation to the caller
 * @txn: the transaction
 * @range: set to what the caller must invalidate
 *
 * The ``_noflush`` convention of vmap_pages_range_noflush(),
 * vunmap_range_noflush() and set_direct_map_*_noflush(): nothing is
 * invalidated here; instead @range is set to one range covering every
 * change of @txn that needs invalidating, for the caller to invalidate
 * (flush_tlb_kernel_range() for the kernel space) before it relies on the
 * old translations being gone, for example before it frees the pages they
 * mapped. @range is empty (start == end) if nothing needs it, as after
 * mapping into holes, and is 0 to ULONG_MAX when @txn changed more ranges
 * than it records (flush the whole TLB then). A transaction that removed
 * table pages is the exception: it invalidates here, before freeing them,
 * as pmd_free_pte_page() does, and hands back an empty @range.
 *
 * Context: as pgtlib_txn_commit(), but sends no IPI unless tables were
 * removed.
 * Return: true if @range is not empty.
 */
bool pgtlib_txn_commit_deferred(struct pgtlib_txn *txn,
				struct pgtlib_range *range)
{
	unsigned int nr = txn->nr_ranges;

	range->start = 0;
	range->end = 0;
	if (WARN_ON_ONCE(!txn->open))
		return false;
	if (txn->flush_tables || !list_empty(&txn->free_tables)) {
		pgtlib_txn_end(txn);
		return false;
	}
	if (txn->flush_all) {
		range->end = ULONG_MAX;
	} else if (nr) {
		range->start = txn->ranges[0].start;
		range->end = txn->ranges[nr - 1].end;
	}
	txn->nr_ranges = 0;
	txn->flush_all = false;
	txn->open = false;
	return range->end != range->start;
}
EXPORT_SYMBOL_GPL(pgtlib_txn_commit_deferred);

/**
 * pgtlib_txn_commit_local() - finish a transaction, invalidating this
 *	CPU's TLB only
 * @txn: the transaction
 *
 * For ranges that no other CPU uses: a per-CPU window, changed by the
 * task that owns it while it cannot leave the CPU, as kmap_local's slots
 * are. Every change of @txn is invalidated in this CPU's TLB, page by page
 * up to the architecture's ceiling and by a local full flush above it,
 * with no IPI and no broadcast, so this may run with interrupts disabled.
 * A transaction that removed table pages is invalidated on every CPU
 * before they are freed, as by pgtlib_txn_commit(); in the kernel space
 * an unmap never removes one, so changes inside a range prepared with
 * pgtlib_reserve() never get there.
 *
 * Context: the caller keeps the task on this CPU from its first change
 * to the return, and no other CPU may have used the changed ranges since
 * they were last invalidated (another CPU's stale entry stays).
 */
void pgtlib_txn_commit_local(struct pgtlib_txn *txn)
{
	unsigned int i, nr = txn->nr_ranges;
	unsigned long pages = 0;
	bool all;

	if (WARN_ON_ONCE(!txn->open))
		return;
	if (txn->flush_tables || !list_empty(&txn->free_tables)) {
		pgtlib_txn_end(txn);
		return;
	}
	if (nr) {
		for (i = 0; i < nr; i++)
			pages += txn->ranges[i].end - txn->ranges[i].start;
		pages >>= PAGE_SHIFT;
		all = txn->flush_all || pages > pgtlib_arch_flush_ceiling();
		if (!all)
			pgtlib_count(txn, pages_invalidated, pages);
		preempt_disable();
		pgtlib_arch_flush_local(txn->ranges, nr, all);
		preempt_enable();
	}
	txn->nr_ranges = 0;
	txn->flush_all = false;
	txn->open = false;
}
EXPORT_SYMBOL_GPL(pgtlib_txn_commit_local);

/**
 * pgtlib_txn_abort() - finish a transaction after a failed operation
 * @txn: the transaction
 *
 * A failed operation changed nothing, but operations that succeeded
 * before it did, and their stale TLB entries must still go: abort
 * invalidates and frees exactly as pgtlib_txn_commit() does. It exists so
 * that error paths read as such; it does not undo successful operations.
 */
void pgtlib_txn_abort(struct pgtlib_txn *txn)
{
	pgtlib_txn_end(txn);
}
EXPORT_SYMBOL_GPL(pgtlib_txn_abort);

/* Add the counter at @offset of another CPU's @from to @to. */
static void pgtlib_stat_add(struct pgtlib_stats *to,
			    const struct pgtlib_stats *from, size_t offset)
{
	*(unsigned long *)((char *)to + offset) +=
		READ_ONCE(*(const unsigned long *)((const char *)from + offset));
}

/**
 * pgtlib_global_stats() - counters summed over all transactions
 * @stats: filled in
 *
 * Each counter includes an event as soon as it happens, also in a
 * transaction not yet committed. tables_allocated - tables_freed is the
 * number of table pages pgtlib holds, in page tables and as spares. The
 * other counters only count while counting is on (writing 1 to debugfs
 * pgtlib/stats); off, the default, keeps the per-CPU updates out of every
 * operation. Each transaction's own counters always count.
 */
void pgtlib_global_stats(struct pgtlib_stats *stats)
{
	int cpu;

	memset(stats, 0, sizeof(*stats));
	for_each_possible_cpu(cpu) {
		struct pgtlib_stats *c = per_cpu_ptr(&pgtlib_totals, cpu);

#define PGTLIB_STAT(name) \
	pgtlib_stat_add(stats, c, offsetof(struct pgtlib_stats, name))
#include <linux/pgtlib_stats.h>
#undef PGTLIB_STAT
	}
}
EXPORT_SYMBOL_GPL(pgtlib_global_stats);
/* @stage end */
