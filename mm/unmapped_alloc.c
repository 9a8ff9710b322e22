// SPDX-License-Identifier: GPL-2.0
/*
 * An allocator of pages outside the kernel's direct map, on pgtlib.
 *
 * The pool takes naturally aligned blocks of PMD size from the page
 * allocator and removes each from the direct map whole: where the direct
 * map holds the block as one huge leaf, that leaf is cleared, with no
 * split, no table page and one TLB invalidation for the block. Pages are
 * then handed out from the blocks without any invalidation at all. Only
 * when no whole block is free does a refill fall back to a smaller block,
 * which splits the direct map's leaf once.
// @stage unmapped-batch
 * Where the direct map is mapped page by page there is no leaf to keep:
 * such a refill takes a block's worth of smaller free blocks instead,
 * without compaction, and removes them with one invalidation.
// @stage end
 *
 * A page handed out carries UNMAPPED_PAGE_MARK in page->private. Its last
 * reference, whoever drops it, ends in free_pages_prepare(), which gives
 * the page back here (unmapped_page_freed()): a page outside the direct
 * map never reaches the page allocator's free lists. It is zeroed there,
 * through a per-CPU window (mm/unmapped_window.c) that pgtlib maps, clears
 * and invalidates on that CPU only, so nothing a page held can be read
 * once it is back in the direct map, and a page freed by its user is zero
 * when it is handed out again. A block taken for an allocation with
 * __GFP_ZERO (secretmem) is zeroed whole through the direct map before it
 * is removed; one taken without (guest_memfd, which clears a page when the
 * guest first uses it) keeps what the direct map showed, which is no
 * secret, and a page of it is zeroed through the window only if an
 * allocation with __GFP_ZERO gets it. A block whose pages are all free
 * goes back into the direct map as it was (one huge leaf if it was one,
 * and collapsing the leaf a smaller block split) and to the page
 * allocator; unmapped_pool.cache_blocks such blocks are kept for the next
 * refill.
// @stage unmapped-stats
 * A shrinker releases them under memory pressure.
// @stage end
 *
 * Locking: unmapped_pool.lock (interrupt safe) guards the lists, the
 * bitmaps and the counters; unmapped_pool.mutex serialises the refills and
 * releases, which change the direct map with pgtlib and may sleep.
 */
/* @stage unmapped-stats */
#include <linux/debugfs.h>
/* @stage end */
#include <linux/maple_tree.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/pgtlib.h>
#include <linux/set_memory.h>
/* @stage unmapped-stats */
#include <linux/shrinker.h>
/* @stage end */
#include <linux/slab.h>
#include <linux/unmapped_alloc.h>
#include <kunit/static_stub.h>

#include "internal.h"
#include "unmapped_alloc.h"

DEFINE_STATIC_KEY_FALSE(unmapped_pages_in_use);
/* @stage unmapped-kmap */
EXPORT_SYMBOL(unmapped_pages_in_use);
/* @stage end */

struct unmapped_pool unmapped_pool = {
	.lock = __SPIN_LOCK_UNLOCKED(unmapped_pool.lock),
	.mutex = __MUTEX_INITIALIZER(unmapped_pool.mutex),
	.partial = LIST_HEAD_INIT(unmapped_pool.partial),
	.full = LIST_HEAD_INIT(unmapped_pool.full),
	.blocks = MTREE_INIT(unmapped_pool.blocks, 0),
	.cache_blocks = 2,
};

static bool unmapped_ready __ro_after_init;

/* Separate functions so that the KUnit test can make each step fail. */
struct page *unmapped_block_pages(gfp_t gfp, unsigned int order)
{
	KUNIT_STATIC_STUB_REDIRECT(unmapped_block_pages, gfp, order);
	return alloc_pages(gfp, order);
}

struct unmapped_block *unmapped_block_meta(gfp_t gfp)
{
	KUNIT_STATIC_STUB_REDIRECT(unmapped_block_meta, gfp);
	return kzalloc(sizeof(struct unmapped_block), gfp);
}

int unmapped_block_insert(struct unmapped_block *b, gfp_t gfp)
{
	KUNIT_STATIC_STUB_REDIRECT(unmapped_block_insert, b, gfp);
	return mtree_insert_range(&unmapped_pool.blocks, b->pfn,
				  b->pfn + (1UL << b->order) - 1, b, gfp);
}

/* The block holding [pfn, pfn + nr), if the pool has one. */
static struct unmapped_block *unmapped_block_of(unsigned long pfn,
						unsigned int nr)
{
	struct unmapped_block *b;

	b = mtree_load(&unmapped_pool.blocks, pfn);
	if (!b || pfn + nr > b->pfn + (1UL << b->order))
		return NULL;
	return b;
}

/* Zero @nr pages from @page through this CPU's window. */
static bool unmapped_scrub(struct page *page, unsigned int nr)
{
	unsigned int i;
	void *p;

	for (i = 0; i < nr; i++) {
		p = unmapped_kmap_local(page + i);
		if (!p)
			return false;
		/* as secretmem's free path did, folio_zero_segment() */
		memset(p, 0, PAGE_SIZE);
		unmapped_kunmap_local(p);
	}
	return true;
}

/*
 * Take 2^@order free pages, naturally aligned, from a block; *@dirty tells
 * whether any of them is not zeroed yet.
 */
static struct page *unmapped_take(unsigned int order, bool *dirty)
{
	unsigned int nr = 1U << order;
	struct unmapped_block *b;
	struct page *page = NULL;
	unsigned long flags, idx;

	spin_lock_irqsave(&unmapped_pool.lock, flags);
	/* Partly used blocks first: empty ones are at the tail. */
	list_for_each_entry(b, &unmapped_pool.partial, list) {
		unsigned int size = 1U << b->order;

		if (b->order < order)
			continue;
		idx = bitmap_find_next_zero_area(b->used, size, 0, nr, nr - 1);
		if (idx >= size)
			continue;
		bitmap_set(b->used, idx, nr);
		*dirty = find_next_bit(b->dirty, idx + nr, idx) < idx + nr;
		bitmap_clear(b->dirty, idx, nr);
		if (!b->nr_used)
			unmapped_pool.nr_empty--;
		b->nr_used += nr;
		if (b->nr_used == size)
			list_move(&b->list, &unmapped_pool.full);
/* @stage unmapped-stats */
		unmapped_pool.stats.pages_allocated += nr;
/* @stage end */
		page = pfn_to_page(b->pfn + idx);
		break;
	}
	spin_unlock_irqrestore(&unmapped_pool.lock, flags);
	return page;
}

/* Return 2^@order pages at @pfn to their block @b, zeroed unless @dirty. */
static void unmapped_put(struct unmapped_block *b, unsigned long pfn,
			 unsigned int order, bool dirty)
{
	unsigned int nr = 1U << order, size = 1U << b->order;
	bool release = false;
	unsigned long flags;

	spin_lock_irqsave(&unmapped_pool.lock, flags);
	if (b->nr_used == size)
		list_move(&b->list, &unmapped_pool.partial);
	bitmap_clear(b->used, pfn - b->pfn, nr);
	if (dirty)
		bitmap_set(b->dirty, pfn - b->pfn, nr);
	b->nr_used -= nr;
/* @stage unmapped-stats */
	unmapped_pool.stats.pages_freed += nr;
/* @stage end */
	if (!b->nr_used) {
		list_move_tail(&b->list, &unmapped_pool.partial);
		unmapped_pool.nr_empty++;
		release = unmapped_pool.nr_empty > unmapped_pool.cache_blocks;
	}
	spin_unlock_irqrestore(&unmapped_pool.lock, flags);
	if (release)
		schedule_work(&unmapped_pool.work);
}

static void unmapped_scrub_put(struct unmapped_block *b, struct page *page,
			       unsigned int order)
{
	/* A page that cannot be zeroed is never handed out again. */
	if (!unmapped_scrub(page, 1U << order))
		return;
	unmapped_put(b, page_to_pfn(page), order, false);
}

/**
 * __unmapped_page_freed() - the out-of-line part of unmapped_page_freed()
 * @page: the first page being freed
 * @order: the order it is freed at
 *
 * Zeroes the pages through this CPU's window, in whatever context the last
 * put happened (but NMI), and puts them back in the pool.
 *
 * Return: true if @page is the allocator's: it is back in the pool.
 */
bool __unmapped_page_freed(struct page *page, unsigned int order)
{
	unsigned int i, nr = 1U << order;
	struct unmapped_block *b;

	b = unmapped_block_of(page_to_pfn(page), nr);
	if (!b)
		return false;
	for (i = 0; i < nr; i++)
		set_page_private(page + i, 0);
	unmapped_scrub_put(b, page, order);
	return true;
}

/*
 * Remove a new block from the direct map in @txn: invalidated when @txn
 * commits. With @zero, its pages are zeroed first, through the direct map
 * while it is still there (cheaper than one by one through the window);
 * else they are left as they are, and zeroed through the window only for
 * the callers that ask (@b->dirty). On error the direct map is as it was.
 */
static int unmapped_block_remove(struct pgtlib_txn *txn,
				 struct unmapped_block *b, struct page *page,
				 unsigned int order, bool zero)
{
	unsigned long va = (unsigned long)page_address(page);
	unsigned long size = PAGE_SIZE << order;
	struct pgtlib_leaf leaf;
	unsigned int i;
	int ret;

	for (i = 0; zero && i < 1U << order; i++)
		clear_page(page_address(page + i));
	ret = pgtlib_query(txn->space, va, &leaf);
	if (ret)
		return ret;
	if (!leaf.present)
		return -EINVAL;
	b->pfn = page_to_pfn(page);
	b->order = order;
	if (!zero)
		bitmap_fill(b->dirty, 1U << order);
	b->prot = leaf.pgprot;
	/* Put back as one leaf what was one, and collapse what we split. */
	b->leaf = leaf.level > PGTLIB_LEVEL_PTE &&
		  order == UNMAPPED_BLOCK_ORDER;
	b->split_level = leaf.level > PGTLIB_LEVEL_PTE &&
			 size < pgtlib_level_size(leaf.level) ? leaf.level : 0;
	ret = unmapped_block_insert(b, GFP_KERNEL);
	if (ret)
		return ret;

	ret = pgtlib_unmap(txn, va, size);
	if (ret) {
		mtree_erase(&unmapped_pool.blocks, b->pfn);
		return ret;
	}
	/* The pool's free pages have no reference: speculative gets fail. */
	set_page_count(page, 0);
	return 0;
}

/*
 * Give the pool @nr blocks, linked on @blocks, that @txn removed from the
 * direct map and invalidated; @fallback of them are smaller than a PMD.
 * Called with the mutex held.
 */
static void unmapped_blocks_add(struct list_head *blocks, unsigned int nr,
				unsigned int fallback,
				const struct pgtlib_txn *txn)
{
	/* Before any page is handed out, so that its last put comes here. */
	if (!static_key_enabled(&unmapped_pages_in_use))
		static_branch_enable(&unmapped_pages_in_use);
	spin_lock_irq(&unmapped_pool.lock);
	list_splice(blocks, &unmapped_pool.partial);
	unmapped_pool.nr_empty += nr;
	WRITE_ONCE(unmapped_pool.generation, unmapped_pool.generation + 1);
/* @stage unmapped-stats */
	unmapped_pool.stats.blocks_removed += nr;
	unmapped_pool.stats.blocks_fallback += fallback;
	unmapped_pool.stats.splits += txn->stats.leaves_split;
	unmapped_pool.stats.flushes += txn->stats.flushes;
/* @stage end */
	spin_unlock_irq(&unmapped_pool.lock);
}

/* @stage unmapped-batch */
/*
 * Whether the direct map maps RAM page by page (arm64 with rodata=full,
 * DEBUG_PAGEALLOC): a whole block keeps no huge leaf there, it only shares
 * one invalidation among its pages.
 */
bool unmapped_dmap_pages __ro_after_init;

/*
 * A refill where the direct map is mapped page by page: a whole block if
 * one is free, else, rather than compact memory for one (each user page
 * that compaction migrates costs an invalidation of its own), a block's
 * worth of the largest smaller blocks that are free, none smaller than
 * @order, zeroed if @zero. Nothing is reclaimed. All of them leave the
 * direct map with one invalidation and no split. *@bp is metadata for the
 * first block; it is set to NULL if used. Called with the mutex held.
 *
 * Return: the number of blocks added to the pool, 0 if none was free.
 */
static unsigned int unmapped_refill_batch(gfp_t gfp, bool zero,
					  unsigned int order,
					  struct unmapped_block **bp)
{
	/* no reclaim, and none of the reserves of those that cannot */
	gfp_t ngfp = (gfp & ~__GFP_RECLAIM) | __GFP_NORETRY | __GFP_NOWARN |
		     __GFP_NOMEMALLOC;
	unsigned int nr = 0, fallback = 0, pages = 0;
	struct unmapped_block *b;
	struct pgtlib_txn txn;
	struct page *page;
	LIST_HEAD(blocks);
	int o;

	pgtlib_txn_begin(&txn, pgtlib_kernel_space(), 0);
	for (o = UNMAPPED_BLOCK_ORDER; o >= (int)order; o--) {
		while (pages + (1U << o) <= UNMAPPED_BLOCK_PAGES) {
			page = unmapped_block_pages(ngfp, o);
			if (!page)
				break;
			b = *bp ?: unmapped_block_meta(gfp);
			if (!b ||
			    unmapped_block_remove(&txn, b, page, o, zero)) {
				__free_pages(page, o);
				if (b && b == *bp)
					memset(b, 0, sizeof(*b));
				else
					kfree(b);
				goto commit;
			}
			*bp = NULL;
			list_add_tail(&b->list, &blocks);
			nr++;
			fallback += o < UNMAPPED_BLOCK_ORDER;
			pages += 1U << o;
		}
	}
commit:
	pgtlib_txn_commit(&txn);
	if (nr)
		unmapped_blocks_add(&blocks, nr, fallback, &txn);
	return nr;
}

/* @stage end */
/*
 * Add a block that can serve 2^@order pages, unless another task added
 * one since @gen was read. Called with no lock held, where @gfp may sleep.
 */
static int unmapped_refill(gfp_t gfp, unsigned int order, unsigned long gen)
{
	gfp_t bgfp = (gfp & (__GFP_RECLAIM | __GFP_IO | __GFP_FS)) |
		     __GFP_NOWARN;
	struct unmapped_block *b;
	struct page *page = NULL;
	struct pgtlib_txn txn;
	int o, ret = -ENOMEM;
	LIST_HEAD(blocks);

	mutex_lock(&unmapped_pool.mutex);
	if (READ_ONCE(unmapped_pool.generation) != gen) {
		mutex_unlock(&unmapped_pool.mutex);
		return 0;
	}
	b = unmapped_block_meta(bgfp);
	if (!b)
		goto out;
/* @stage unmapped-batch */
	if (unmapped_dmap_pages &&
	    unmapped_refill_batch(bgfp, gfp & __GFP_ZERO, order, &b)) {
		ret = 0;
		goto out;
	}
/* @stage end */
	/*
	 * A whole block, first cheaply, then with reclaim and compaction
	 * (a costly order: never the OOM killer); else smaller blocks, each
	 * of which splits a direct-map leaf, the last as the caller asked.
	 */
	o = UNMAPPED_BLOCK_ORDER;
	page = unmapped_block_pages(bgfp | __GFP_NORETRY, o);
	if (!page)
		page = unmapped_block_pages(bgfp, o);
	while (!page && --o >= (int)order)
		page = unmapped_block_pages(o > order ? bgfp | __GFP_NORETRY :
					    bgfp, o);
	if (!page)
		goto out;
	/* a block is zeroed whole for a user that wants zeroed pages */
	pgtlib_txn_begin(&txn, pgtlib_kernel_space(), 0);
	ret = unmapped_block_remove(&txn, b, page, o, gfp & __GFP_ZERO);
	pgtlib_txn_commit(&txn);
	if (ret) {
		__free_pages(page, o);
		goto out;
	}
	list_add(&b->list, &blocks);
	unmapped_blocks_add(&blocks, 1, o < UNMAPPED_BLOCK_ORDER, &txn);
	b = NULL;
out:
	mutex_unlock(&unmapped_pool.mutex);
	kfree(b);
	return ret;
}

/*
 * Put an empty block back into the direct map as it was, and give it back
 * to the page allocator. Called with the mutex held.
 */
static int unmapped_block_restore(struct unmapped_block *b)
{
	struct pgtlib_space *kernel = pgtlib_kernel_space();
	unsigned long va = (unsigned long)pfn_to_kaddr(b->pfn);
	unsigned long size = PAGE_SIZE << b->order;
	struct page *page = pfn_to_page(b->pfn);
	struct pgtlib_txn txn;
	int ret;

	pgtlib_txn_begin(&txn, kernel, 0);
	ret = pgtlib_map_prot(&txn, va, PFN_PHYS(b->pfn), size, b->prot,
			      b->leaf ? 0 : PGTLIB_MAP_BASE_PAGES);
	/* Once nothing else in the leaf we split is changed, it is whole. */
	if (!ret && b->split_level) {
		unsigned long lsize = pgtlib_level_size(b->split_level);

		pgtlib_collapse(&txn, ALIGN_DOWN(va, lsize), lsize);
	}
	pgtlib_txn_commit(&txn);
	if (ret)
		return ret;

	mtree_erase(&unmapped_pool.blocks, b->pfn);
/* @stage unmapped-stats */
	spin_lock_irq(&unmapped_pool.lock);
	unmapped_pool.stats.blocks_restored++;
	unmapped_pool.stats.collapses += txn.stats.leaves_collapsed;
	unmapped_pool.stats.flushes += txn.stats.flushes;
	spin_unlock_irq(&unmapped_pool.lock);
/* @stage end */
	set_page_count(page, 1);
	__free_pages(page, b->order);
	/* unmapped_pages_free() may be looking at it for a bad page */
	kfree_rcu(b, rcu);
	return 0;
}

/**
 * unmapped_release() - give empty blocks back to the direct map
 * @keep: empty blocks to keep
 * @max: most blocks to release
 * @wait: wait for a refill or release in progress, rather than give up
 *
 * Return: the number of blocks released.
 */
unsigned long unmapped_release(unsigned long keep, unsigned long max,
			       bool wait)
{
	unsigned long done = 0;
	struct unmapped_block *b;

	if (!wait && !mutex_trylock(&unmapped_pool.mutex))
		return 0;
	if (wait)
		mutex_lock(&unmapped_pool.mutex);
	while (done < max) {
		bool found = false;

		spin_lock_irq(&unmapped_pool.lock);
		if (unmapped_pool.nr_empty > keep) {
			list_for_each_entry_reverse(b, &unmapped_pool.partial,
						    list) {
				if (!b->nr_used) {
					list_del(&b->list);
					unmapped_pool.nr_empty--;
					found = true;
					break;
				}
			}
		}
		spin_unlock_irq(&unmapped_pool.lock);
		if (!found)
			break;
		if (unmapped_block_restore(b)) {
			spin_lock_irq(&unmapped_pool.lock);
			list_add_tail(&b->list, &unmapped_pool.partial);
			unmapped_pool.nr_empty++;
			spin_unlock_irq(&unmapped_pool.lock);
			break;
		}
		done++;
	}
	mutex_unlock(&unmapped_pool.mutex);
	return done;
}

static void unmapped_work_fn(struct work_struct *work)
{
	unmapped_release(READ_ONCE(unmapped_pool.cache_blocks), ULONG_MAX,
			 true);
}

/**
 * unmapped_pages_alloc() - allocate pages outside the direct map
 * @gfp: allocation flags: the reclaim flags, %__GFP_ZERO and
 *	%__GFP_ACCOUNT are honoured, and %__GFP_COMP is refused
 * @order: 0 to the order of a PMD-sized block
 *
 * The pages are as alloc_pages() without %__GFP_COMP returns them: the
 * first has one reference, and the last put of it, or __free_pages(),
 * gives them back to this allocator. The caller must not use the pages'
 * page->private. A refill removes a block from the direct map and
 * invalidates the TLB on every CPU, so without %__GFP_DIRECT_RECLAIM the
 * allocation is served only from blocks already removed.
 *
 * Context: any context where @gfp is allowed, but not NMI; the pages may
 * be freed in any context but NMI.
 * Return: the first page, or %NULL.
 */
struct page *unmapped_pages_alloc(gfp_t gfp, unsigned int order)
{
	unsigned int i, nr = 1U << order;
	unsigned long gen;
	struct page *page;
	bool dirty;

	if (!unmapped_ready || order > UNMAPPED_BLOCK_ORDER ||
	    (gfp & __GFP_COMP))
		return NULL;
	for (;;) {
		gen = READ_ONCE(unmapped_pool.generation);
		page = unmapped_take(order, &dirty);
		if (page)
			break;
		if (!gfpflags_allow_blocking(gfp) ||
		    unmapped_refill(gfp, order, gen))
			return NULL;
	}
	if (dirty && (gfp & __GFP_ZERO) && !unmapped_scrub(page, nr)) {
		unmapped_put(unmapped_block_of(page_to_pfn(page), nr),
			     page_to_pfn(page), order, true);
		return NULL;
	}
	for (i = 0; i < nr; i++)
		set_page_private(page + i, UNMAPPED_PAGE_MARK);
	set_page_refcounted(page);
	if ((gfp & __GFP_ACCOUNT) && memcg_kmem_charge_page(page, gfp, order)) {
		__free_pages(page, order);
		return NULL;
	}
	return page;
}
EXPORT_SYMBOL_GPL(unmapped_pages_alloc);

/**
 * unmapped_pages_free() - free pages from unmapped_pages_alloc()
 * @page: the first page
 * @order: the order they were allocated with
 *
 * As __free_pages(), after checking that @page is one the allocator handed
 * out and that is not yet freed: any other is refused with a warning.
 */
void unmapped_pages_free(struct page *page, unsigned int order)
{
	bool mine;

	/* A block is freed after a grace period: see unmapped_block_restore() */
	rcu_read_lock();
	mine = page->private == UNMAPPED_PAGE_MARK &&
	       unmapped_block_of(page_to_pfn(page), 1U << order);
	rcu_read_unlock();
	if (WARN_ONCE(!mine, "unmapped_alloc: freeing pfn %#lx it does not own\n",
		      page_to_pfn(page)))
		return;
	__free_pages(page, order);
}
EXPORT_SYMBOL_GPL(unmapped_pages_free);

/**
 * unmapped_pages_available() - whether the allocator can serve pages
 *
 * Return: false where the direct map cannot be changed page by page
 * (can_set_direct_map()), or the allocator could not start.
 */
bool unmapped_pages_available(void)
{
	return unmapped_ready;
}
EXPORT_SYMBOL_GPL(unmapped_pages_available);

/* @stage unmapped-stats */
static unsigned long unmapped_shrink_count(struct shrinker *shrinker,
					   struct shrink_control *sc)
{
	return READ_ONCE(unmapped_pool.nr_empty);
}

static unsigned long unmapped_shrink_scan(struct shrinker *shrinker,
					  struct shrink_control *sc)
{
	unsigned long done = unmapped_release(0, sc->nr_to_scan, false);

	return done ?: SHRINK_STOP;
}

static int unmapped_stats_show(struct seq_file *m, void *v)
{
	unsigned long empty, blocks = 0, used = 0;
	struct unmapped_block *b;
	struct unmapped_stats s;

	spin_lock_irq(&unmapped_pool.lock);
	s = unmapped_pool.stats;
	empty = unmapped_pool.nr_empty;
	list_for_each_entry(b, &unmapped_pool.partial, list) {
		blocks++;
		used += b->nr_used;
	}
	list_for_each_entry(b, &unmapped_pool.full, list) {
		blocks++;
		used += b->nr_used;
	}
	spin_unlock_irq(&unmapped_pool.lock);
	seq_printf(m, "blocks %lu\nblocks_empty %lu\npages_used %lu\n",
		   blocks, empty, used);
	seq_printf(m, "blocks_removed %lu\nblocks_fallback %lu\n",
		   s.blocks_removed, s.blocks_fallback);
	seq_printf(m, "blocks_restored %lu\n", s.blocks_restored);
	seq_printf(m, "pages_allocated %lu\npages_freed %lu\n",
		   s.pages_allocated, s.pages_freed);
	seq_printf(m, "window_maps %lu\n", unmapped_window_maps());
	seq_printf(m, "flushes %lu\nsplits %lu\ncollapses %lu\n",
		   s.flushes, s.splits, s.collapses);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(unmapped_stats);

/* @stage end */
/* @stage unmapped-batch */
/* Whether the direct map holds a free PMD-sized block page by page. */
static bool __init unmapped_probe_dmap(void)
{
	struct page *page;
	struct pgtlib_leaf leaf;
	bool pages;

	page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN,
			   UNMAPPED_BLOCK_ORDER);
	if (!page)
		return false;
	pages = !pgtlib_query(pgtlib_kernel_space(),
			      (unsigned long)page_address(page), &leaf) &&
		leaf.present && leaf.level == PGTLIB_LEVEL_PTE;
	__free_pages(page, UNMAPPED_BLOCK_ORDER);
	return pages;
}

/* @stage end */
static int __init unmapped_alloc_init(void)
{
/* @stage unmapped-stats */
	struct shrinker *shrinker;
	struct dentry *dir;
/* @stage end */
	int ret;

	if (!can_set_direct_map()) {
		pr_info("unmapped_alloc: off: the direct map cannot change page by page\n");
		return 0;
	}
	INIT_WORK(&unmapped_pool.work, unmapped_work_fn);
/* @stage unmapped-batch */
	unmapped_dmap_pages = unmapped_probe_dmap();
/* @stage end */
	ret = unmapped_window_init();
	if (ret) {
		pr_err("unmapped_alloc: off: no window (%d)\n", ret);
		return ret;
	}
/* @stage unmapped-stats */
	shrinker = shrinker_alloc(0, "unmapped-alloc");
	if (shrinker) {
		shrinker->count_objects = unmapped_shrink_count;
		shrinker->scan_objects = unmapped_shrink_scan;
		shrinker->batch = 1;
		shrinker_register(shrinker);
	}
	dir = debugfs_create_dir("unmapped_alloc", NULL);
	debugfs_create_file("stats", 0400, dir, NULL, &unmapped_stats_fops);
	debugfs_create_ulong("cache_blocks", 0600, dir,
			     &unmapped_pool.cache_blocks);
/* @stage end */
	unmapped_ready = true;
	return 0;
}
subsys_initcall(unmapped_alloc_init);
