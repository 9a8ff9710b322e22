/* SPDX-License-Identifier: GPL-2.0 */
/* The unmapped-page allocator's insides, for mm/unmapped_alloc_kunit.c. */
#ifndef _MM_UNMAPPED_ALLOC_H
#define _MM_UNMAPPED_ALLOC_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#define UNMAPPED_BLOCK_ORDER	(PMD_SHIFT - PAGE_SHIFT)
#define UNMAPPED_BLOCK_PAGES	BIT(UNMAPPED_BLOCK_ORDER)

/**
 * struct unmapped_block - pages taken from the page allocator as one block
 * @list: on unmapped_pool.partial or .full
 * @pfn: first page frame, aligned to 2^@order
 * @order: as allocated from the page allocator
 * @nr_used: pages handed out
 * @leaf: the direct map held it as one huge leaf: restore it as one
 * @split_level: removing it split a direct-map leaf of this level (0 if
 *	none): collapse it on restore
 * @prot: the direct map's protection of it, in PTE form
 * @used: a bit per page handed out
 * @dirty: a bit per page not zeroed since the block left the page allocator
 * @rcu: frees it once no lookup can hold it
 */
struct unmapped_block {
	struct list_head list;
	struct rcu_head rcu;
	unsigned long pfn;
	unsigned int order;
	unsigned int nr_used;
	bool leaf;
	unsigned int split_level;
	pgprot_t prot;
	DECLARE_BITMAP(used, UNMAPPED_BLOCK_PAGES);
	DECLARE_BITMAP(dirty, UNMAPPED_BLOCK_PAGES);
};

/* @stage unmapped-stats */
/**
 * struct unmapped_stats - what the allocator did since boot
 * @blocks_removed: blocks taken out of the direct map
 * @blocks_fallback: of those, smaller than a PMD
 * @blocks_restored: blocks put back and returned to the page allocator
 * @pages_allocated: pages handed out
 * @pages_freed: pages back in the pool, zeroed
 * @flushes: TLB invalidation requests of refills and releases
 * @splits: direct-map leaves that refills split
 * @collapses: direct-map leaves that releases restored by collapsing
 */
struct unmapped_stats {
	unsigned long blocks_removed;
	unsigned long blocks_fallback;
	unsigned long blocks_restored;
	unsigned long pages_allocated;
	unsigned long pages_freed;
	unsigned long flushes;
	unsigned long splits;
	unsigned long collapses;
};

/* @stage end */
/**
 * struct unmapped_pool - the allocator's state
 * @lock: guards the lists, the blocks' bitmaps and the counters
 * @mutex: serialises refills and releases
 * @partial: blocks with free pages, empty ones last
 * @full: blocks with every page handed out
 * @blocks: page frame ranges to their blocks
 * @work: releases empty blocks above @cache_blocks
 * @nr_empty: blocks with no page handed out
 * @cache_blocks: empty blocks kept for the next refill
 * @generation: bumped by each refill
/* @stage unmapped-stats */
 * @stats: counters
/* @stage end */
 */
struct unmapped_pool {
	spinlock_t lock;		/* see above */
	struct mutex mutex;		/* see above */
	struct list_head partial;
	struct list_head full;
	struct maple_tree blocks;
	struct work_struct work;
	unsigned long nr_empty;
	unsigned long cache_blocks;
	unsigned long generation;
/* @stage unmapped-stats */
	struct unmapped_stats stats;
/* @stage end */
};

extern struct unmapped_pool unmapped_pool;

/* @stage unmapped-batch */
extern bool unmapped_dmap_pages;
/* @stage end */
struct page *unmapped_block_pages(gfp_t gfp, unsigned int order);
struct unmapped_block *unmapped_block_meta(gfp_t gfp);
int unmapped_block_insert(struct unmapped_block *b, gfp_t gfp);
unsigned long unmapped_release(unsigned long keep, unsigned long max,
			       bool wait);

#endif /* _MM_UNMAPPED_ALLOC_H */
