// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the unmapped-page allocator.
 *
 * What the tests believe about the direct map they read with the
 * hardware (copy_from_kernel_nofault(), on this CPU and on another) and
 * with the kernel's own page-table helpers, never with pgtlib's walker;
 * page contents through an independent vmap() alias.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/sched.h>
#include <linux/highmem.h>
#include <linux/irq_work.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/pgtlib.h>
#include <linux/prandom.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/unmapped_alloc.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include "pgtlib/internal.h"
#include "unmapped_alloc.h"

/* The direct map's entry for @va and its level (1 = PTE), or 0. */
static unsigned long ua_dmap_entry(unsigned long va, int *level)
{
#ifdef CONFIG_X86
	unsigned int l;
	pte_t *pte = lookup_address(va, &l);

	*level = l;
	return pte ? pte_val(*pte) : 0;
#else
	pgd_t *pgd = pgd_offset_k(va);
	p4d_t *p4d;
	pud_t *pud, pudv;
	pmd_t *pmd, pmdv;

	*level = 0;
	if (pgd_none(READ_ONCE(*pgd)))
		return 0;
	p4d = p4d_offset(pgd, va);
	if (p4d_none(READ_ONCE(*p4d)))
		return 0;
	pud = pud_offset(p4d, va);
	pudv = READ_ONCE(*pud);
	*level = 3;
	if (pud_none(pudv) || pud_leaf(pudv))
		return pud_val(pudv);
	pmd = pmd_offset(pud, va);
	pmdv = READ_ONCE(*pmd);
	*level = 2;
	if (pmd_none(pmdv) || pmd_leaf(pmdv))
		return pmd_val(pmdv);
	*level = 1;
	return pte_val(__ptep_get(pte_offset_kernel(pmd, va)));
#endif
}

static unsigned long ua_va(struct page *page)
{
	return (unsigned long)page_address(page);
}

static bool ua_readable(unsigned long va)
{
	char c;

	return !copy_from_kernel_nofault(&c, (void *)va, 1);
}

struct ua_remote {
	unsigned long va;
	bool readable;
};

static void ua_remote_fn(void *arg)
{
	struct ua_remote *r = arg;

	r->readable = ua_readable(r->va);
}

/* Whether another CPU can read @va; true if there is no other CPU. */
static bool ua_remote_readable(unsigned long va, bool *ran)
{
	struct ua_remote r = { .va = va };
	int cpu, me = get_cpu();

	*ran = false;
	for_each_online_cpu(cpu) {
		if (cpu == me)
			continue;
		put_cpu();
		*ran = !smp_call_function_single(cpu, ua_remote_fn, &r, 1);
		return r.readable;
	}
	put_cpu();
	return true;
}

/* @nr pages from @page, through a vmap() alias of their own. */
static u8 *ua_vmap(struct kunit *test, struct page *page, unsigned int nr)
{
	struct page **pages;
	unsigned int i;
	u8 *p;

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < nr; i++)
		pages[i] = page + i;
	p = vmap(pages, nr, VM_MAP, PAGE_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	return p;
}

/* Every byte of @nr pages, read through the alias. */
static bool ua_all_bytes(struct kunit *test, struct page *page,
			 unsigned int nr, u8 val)
{
	u8 *p = ua_vmap(test, page, nr);
	bool ok = true;
	unsigned long i;

	for (i = 0; i < nr * PAGE_SIZE && ok; i++)
		ok = p[i] == val;
	vunmap(p);
	return ok;
}

static void ua_fill(struct kunit *test, struct page *page, unsigned int nr,
		    u8 val)
{
	u8 *p = ua_vmap(test, page, nr);

	memset(p, val, nr * PAGE_SIZE);
	vunmap(p);
}

static struct unmapped_stats ua_stats(void)
{
	struct unmapped_stats s;

	spin_lock_irq(&unmapped_pool.lock);
	s = unmapped_pool.stats;
	spin_unlock_irq(&unmapped_pool.lock);
	return s;
}

/* The direct map of the blocks the stubbed refill took, before removal. */
struct ua_seen {
	unsigned long va[4];
	unsigned long entry[4];
	int level[4];
	unsigned int nr;
	int fail_order;		/* fail this order and above, or -1 */
	bool fail_all;
/* @stage unmapped-batch */
	bool fail_noreclaim;	/* fail what may not reclaim */
/* @stage end */
	u8 fill;		/* what a new block holds, if not 0 */
};

static struct ua_seen *ua_seen;

static struct page *ua_block_pages_stub(gfp_t gfp, unsigned int order)
{
	struct ua_seen *s = ua_seen;
	struct page *page;

	if (s->fail_all || (s->fail_order >= 0 && order >= s->fail_order))
		return NULL;
/* @stage unmapped-batch */
	if (s->fail_noreclaim && !(gfp & __GFP_DIRECT_RECLAIM))
		return NULL;
/* @stage end */
	page = alloc_pages(gfp, order);
	if (page && s->fill)
		memset(page_address(page), s->fill, PAGE_SIZE << order);
	if (page && s->nr < ARRAY_SIZE(s->va)) {
		unsigned long va = (unsigned long)page_address(page);

		s->va[s->nr] = va;
		s->entry[s->nr] = ua_dmap_entry(va, &s->level[s->nr]);
		s->nr++;
	}
	return page;
}

static void ua_restore_cache(void *data)
{
	WRITE_ONCE(unmapped_pool.cache_blocks, (unsigned long)data);
	unmapped_release(READ_ONCE(unmapped_pool.cache_blocks), ULONG_MAX,
			 true);
}

/*
 * Start from a pool with no block: every refill of the test is its own,
 * and every block goes back as soon as it is empty.
 */
static int ua_init(struct kunit *test)
{
	void *cache;

	if (!unmapped_pages_available())
		kunit_skip(test, "the direct map cannot change page by page");
	flush_work(&unmapped_pool.work);
	unmapped_release(0, ULONG_MAX, true);
	cache = (void *)READ_ONCE(unmapped_pool.cache_blocks);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ua_restore_cache,
							cache), 0);
	WRITE_ONCE(unmapped_pool.cache_blocks, 0);
	ua_seen = kunit_kzalloc(test, sizeof(*ua_seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ua_seen);
	ua_seen->fail_order = -1;
	kunit_activate_static_stub(test, unmapped_block_pages,
				   ua_block_pages_stub);
	return 0;
}

/* Free, let the worker release the block, and check it is back. */
static void ua_free_and_check_restored(struct kunit *test, struct page *page,
				       unsigned int order)
{
	struct ua_seen *s = ua_seen;
	unsigned int i;

	__free_pages(page, order);
	flush_work(&unmapped_pool.work);
	for (i = 0; i < s->nr; i++) {
		unsigned long entry;
		int level;

		entry = ua_dmap_entry(s->va[i], &level);
		KUNIT_EXPECT_EQ(test, level, s->level[i]);
		KUNIT_EXPECT_EQ(test, entry, s->entry[i]);
		KUNIT_EXPECT_TRUE(test, ua_readable(s->va[i]));
	}
}

static void ua_test_orders(struct kunit *test)
{
	unsigned int order, i;

	for (order = 0; order <= UNMAPPED_BLOCK_ORDER; order++) {
		struct unmapped_stats before = ua_stats(), after;
		struct page *page;
		bool ran;

		ua_seen->nr = 0;
		page = unmapped_pages_alloc(GFP_KERNEL | __GFP_ZERO, order);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_EXPECT_EQ(test, page_to_pfn(page) & ((1UL << order) - 1),
				0);
		KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
		after = ua_stats();
		/* a fresh pool: one block, one invalidation, no split */
		KUNIT_EXPECT_EQ(test, after.blocks_removed,
				before.blocks_removed + 1);
		KUNIT_EXPECT_EQ(test, after.flushes, before.flushes + 1);
		KUNIT_EXPECT_EQ(test, ua_seen->nr, 1);
		if (!order)
			kunit_info(test, "block %#lx: direct-map level %d entry %#lx\n",
				   ua_seen->va[0], ua_seen->level[0],
				   ua_seen->entry[0]);
		for (i = 0; i < 1U << order; i++)
			KUNIT_EXPECT_FALSE(test, ua_readable(ua_va(page + i)));
		/* the whole block is gone, on every CPU */
		KUNIT_EXPECT_FALSE(test, ua_readable(ua_seen->va[0]));
		KUNIT_EXPECT_FALSE(test, ua_remote_readable(ua_seen->va[0] +
			(UNMAPPED_BLOCK_PAGES - 1) * PAGE_SIZE, &ran));
		if (!ran)
			kunit_info(test, "one CPU: no remote read");
		KUNIT_EXPECT_TRUE(test, ua_all_bytes(test, page, 1U << order, 0));
		ua_fill(test, page, 1U << order, 0x5a);
		KUNIT_EXPECT_TRUE(test, ua_all_bytes(test, page, 1U << order,
						     0x5a));
		ua_free_and_check_restored(test, page, order);
		after = ua_stats();
		KUNIT_EXPECT_EQ(test, after.blocks_restored,
				before.blocks_restored + 1);
		KUNIT_EXPECT_EQ(test, after.splits, before.splits +
				(ua_seen->level[0] > 2));
	}
}

/* A freed page is zeroed before it is handed out again. */
static void ua_test_scrub(struct kunit *test)
{
	struct page *keep, *page, *again;

	/* keep the block in the pool while its other pages come and go */
	keep = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	page = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	ua_fill(test, page, 1, 0xa5);
	put_page(page);
	/* in the pool, unreferenced, out of the direct map, and zero */
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 0);
	KUNIT_EXPECT_FALSE(test, ua_readable(ua_va(page)));
	KUNIT_EXPECT_TRUE(test, ua_all_bytes(test, page, 1, 0));
	again = unmapped_pages_alloc(GFP_KERNEL | __GFP_ZERO, 0);
	KUNIT_ASSERT_NOT_NULL(test, again);
	KUNIT_EXPECT_PTR_EQ(test, again, page);
	KUNIT_EXPECT_TRUE(test, ua_all_bytes(test, again, 1, 0));
	put_page(again);
	ua_free_and_check_restored(test, keep, 0);
}

/*
 * A block taken without __GFP_ZERO keeps what its pages held in the direct
 * map (no secret), and a page of it is zeroed for __GFP_ZERO only; a block
 * taken for __GFP_ZERO is zeroed whole; a page freed by its user is zero
 * whatever the next allocation asks.
 */
static void ua_test_zero_on_request(struct kunit *test)
{
	struct page *dirty, *zeroed, *again, *whole, *next;

	ua_seen->fill = 0x77;
	dirty = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, dirty);
	/* not zeroed for nothing */
	KUNIT_EXPECT_TRUE(test, ua_all_bytes(test, dirty, 1, 0x77));
	zeroed = unmapped_pages_alloc(GFP_KERNEL | __GFP_ZERO, 0);
	KUNIT_ASSERT_NOT_NULL(test, zeroed);
	KUNIT_EXPECT_EQ(test, ua_seen->nr, 1);
	KUNIT_EXPECT_TRUE(test, ua_all_bytes(test, zeroed, 1, 0));
	ua_fill(test, dirty, 1, 0xa5);
	put_page(dirty);
	again = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_PTR_EQ(test, again, dirty);
	KUNIT_EXPECT_TRUE(test, ua_all_bytes(test, again, 1, 0));
	put_page(again);
	ua_free_and_check_restored(test, zeroed, 0);

	whole = unmapped_pages_alloc(GFP_KERNEL | __GFP_ZERO, 0);
	KUNIT_ASSERT_NOT_NULL(test, whole);
	next = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, next);
	KUNIT_EXPECT_EQ(test, ua_seen->nr, 2);
	KUNIT_EXPECT_TRUE(test, ua_all_bytes(test, whole, 1, 0));
	KUNIT_EXPECT_TRUE(test, ua_all_bytes(test, next, 1, 0));
	put_page(next);
	ua_free_and_check_restored(test, whole, 0);
}

/* Freed with interrupts off, a page is zeroed all the same. */
static void ua_test_free_irqs_off(struct kunit *test)
{
	struct unmapped_stats before = ua_stats(), after;
	struct page *keep, *page;

	keep = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	page = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	ua_fill(test, page, 1, 0x3c);
	local_irq_disable();
	__free_pages(page, 0);
	local_irq_enable();
	after = ua_stats();
	KUNIT_EXPECT_EQ(test, after.pages_freed, before.pages_freed + 1);
	KUNIT_EXPECT_TRUE(test, ua_all_bytes(test, page, 1, 0));
	ua_free_and_check_restored(test, keep, 0);
}

/*
 * kmap_local_page() of a page outside the direct map: a window address
 * that reads and writes the page, nests, survives sleeping, works in hard
 * interrupt context, and faults on this CPU once unmapped; an ordinary
 * page still gets its direct-map address.
 */
struct ua_irq {
	struct irq_work work;
	struct page *page;
	bool hardirq;
	u8 byte;
};

static void ua_irq_fn(struct irq_work *work)
{
	struct ua_irq *w = container_of(work, struct ua_irq, work);
	u8 *p = kmap_local_page(w->page);

	w->hardirq = in_hardirq();
	w->byte = p[7];
	kunmap_local(p);
}

static void ua_test_kmap_local(struct kunit *test)
{
	struct page *page, *other, *plain;
	struct ua_irq w = {};
	u8 *p, *q, c;

	page = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	other = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, other);
	ua_fill(test, page, 1, 0x11);
	ua_fill(test, other, 1, 0x22);

	migrate_disable();
	p = kmap_local_page(page);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(p));
	KUNIT_EXPECT_PTR_EQ(test, kmap_to_page(p), page);
	KUNIT_EXPECT_EQ(test, p[0], 0x11);
	p[1] = 0x33;
	q = kmap_local_page(other);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_EQ(test, q[PAGE_SIZE - 1], 0x22);
	kunmap_local(q);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&c, q, 1), -EFAULT);
	/* the outer mapping across a sleep */
	schedule_timeout_uninterruptible(1);
	KUNIT_EXPECT_EQ(test, p[1], 0x33);
	kunmap_local(p);
	KUNIT_EXPECT_EQ(test, copy_from_kernel_nofault(&c, p, 1), -EFAULT);
	migrate_enable();
	KUNIT_EXPECT_FALSE(test, ua_readable(ua_va(page)));
	p = ua_vmap(test, page, 1);
	KUNIT_EXPECT_EQ(test, p[1], 0x33);
	vunmap(p);

	/* a folio at an offset */
	p = kmap_local_folio(page_folio(other), 100);
	KUNIT_EXPECT_EQ(test, *p, 0x22);
	kunmap_local(p);

	/* hard interrupt context */
	w.page = page;
	init_irq_work(&w.work, ua_irq_fn);
	irq_work_queue(&w.work);
	irq_work_sync(&w.work);
	KUNIT_EXPECT_EQ(test, w.byte, 0x11);
	if (!w.hardirq)
		kunit_info(test, "irq_work ran outside hard interrupt context");

	/* an ordinary page is its direct-map address, as before */
	plain = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, plain);
	p = kmap_local_page(plain);
	KUNIT_EXPECT_PTR_EQ(test, p, page_address(plain));
	kunmap_local(p);
	__free_page(plain);

	__free_pages(other, 0);
	ua_free_and_check_restored(test, page, 0);
}

/* No whole block: one smaller block serves many pages, with one split. */
static void ua_test_fallback(struct kunit *test)
{
	struct unmapped_stats before = ua_stats(), after;
	unsigned int i, nr = UNMAPPED_BLOCK_PAGES / 2;
	struct page **pages;

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	ua_seen->fail_order = UNMAPPED_BLOCK_ORDER;
/* @stage unmapped-batch */
	/* the refill that reclaims, after a batch found nothing free */
	ua_seen->fail_noreclaim = true;
/* @stage end */
	for (i = 0; i < nr; i++) {
		pages[i] = unmapped_pages_alloc(GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	after = ua_stats();
	KUNIT_EXPECT_EQ(test, after.blocks_removed, before.blocks_removed + 1);
	KUNIT_EXPECT_EQ(test, after.blocks_fallback,
			before.blocks_fallback + 1);
	KUNIT_EXPECT_EQ(test, after.flushes, before.flushes + 1);
	/* one leaf split: two levels if it was a 1G leaf */
	KUNIT_EXPECT_LE(test, after.splits, before.splits + 2);
	KUNIT_EXPECT_EQ(test, ua_seen->nr, 1);
	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_FALSE(test, ua_readable(ua_va(pages[i])));
	for (i = 1; i < nr; i++)
		__free_pages(pages[i], 0);
	/* the last one out restores, and collapses what the refill split */
	ua_free_and_check_restored(test, pages[0], 0);
	after = ua_stats();
	KUNIT_EXPECT_EQ(test, after.blocks_restored,
			before.blocks_restored + 1);
	KUNIT_EXPECT_EQ(test, after.collapses - before.collapses,
			after.splits - before.splits);
}

/* @stage unmapped-batch */
/*
 * Free memory in single pages only (aged memory). On a direct map mapped
 * page by page (arm64 with rodata=full) one refill takes a block's worth
 * of them, with one invalidation and no split, they serve the next pages
 * without another, and each goes back into the direct map as it was. A
 * direct map with huge leaves to keep takes one block, as before.
 */
static void ua_test_batch(struct kunit *test)
{
	struct unmapped_stats before = ua_stats(), mid, after;
	unsigned int i, nr = UNMAPPED_BLOCK_PAGES;
	struct page **pages, *probe;
	bool ran, remote;
	int level;

	/* the allocator's view of the direct map, against the kernel's */
	probe = alloc_pages(GFP_KERNEL | __GFP_NOWARN, UNMAPPED_BLOCK_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, probe);
	ua_dmap_entry(ua_va(probe), &level);
	__free_pages(probe, UNMAPPED_BLOCK_ORDER);
	KUNIT_EXPECT_EQ(test, unmapped_dmap_pages, level == 1);

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	ua_seen->fail_order = 1;
	pages[0] = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, pages[0]);
	mid = ua_stats();
	if (!unmapped_dmap_pages) {
		KUNIT_EXPECT_EQ(test, mid.blocks_removed,
				before.blocks_removed + 1);
		KUNIT_EXPECT_EQ(test, mid.flushes, before.flushes + 1);
		KUNIT_EXPECT_EQ(test, ua_seen->nr, 1);
		KUNIT_EXPECT_FALSE(test, ua_readable(ua_va(pages[0])));
		ua_free_and_check_restored(test, pages[0], 0);
		return;
	}
	KUNIT_EXPECT_EQ(test, mid.blocks_removed - before.blocks_removed, nr);
	KUNIT_EXPECT_EQ(test, mid.blocks_fallback - before.blocks_fallback, nr);
	KUNIT_EXPECT_EQ(test, mid.flushes, before.flushes + 1);
	KUNIT_EXPECT_EQ(test, mid.splits, before.splits);
	/* page-mapped, and gone on this CPU and on another */
	KUNIT_EXPECT_EQ(test, ua_seen->nr, ARRAY_SIZE(ua_seen->va));
	for (i = 0; i < ua_seen->nr; i++) {
		KUNIT_EXPECT_EQ(test, ua_seen->level[i], 1);
		KUNIT_EXPECT_FALSE(test, ua_readable(ua_seen->va[i]));
		remote = ua_remote_readable(ua_seen->va[i], &ran);
		KUNIT_EXPECT_FALSE(test, ran && remote);
	}
	for (i = 1; i < nr; i++) {
		pages[i] = unmapped_pages_alloc(GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		KUNIT_EXPECT_FALSE(test, ua_readable(ua_va(pages[i])));
	}
	after = ua_stats();
	KUNIT_EXPECT_EQ(test, after.blocks_removed, mid.blocks_removed);
	KUNIT_EXPECT_EQ(test, after.flushes, mid.flushes);
	for (i = 1; i < nr; i++)
		__free_pages(pages[i], 0);
	ua_free_and_check_restored(test, pages[0], 0);
	after = ua_stats();
	KUNIT_EXPECT_EQ(test, after.blocks_restored - before.blocks_restored,
			nr);
	KUNIT_EXPECT_EQ(test, READ_ONCE(unmapped_pool.nr_empty), 0);
}

/* @stage end */
/* Each step of a refill failing: NULL, and nothing removed or leaked. */
static struct unmapped_block *ua_meta_fail(gfp_t gfp)
{
	return NULL;
}

static int ua_insert_fail(struct unmapped_block *b, gfp_t gfp)
{
	return -ENOMEM;
}

static struct page *ua_table_fail(struct pgtlib_txn *txn, gfp_t gfp)
{
	return NULL;
}

/*
 * A smaller block that would split a direct-map leaf, with pgtlib's table
 * allocation failing: NULL, and the leaf as it was.
 */
static void ua_test_fail_split(struct kunit *test)
{
	struct unmapped_stats before = ua_stats(), after;
	struct page *page;
	int level;

	ua_seen->fail_order = UNMAPPED_BLOCK_ORDER;
	kunit_activate_static_stub(test, pgtlib_table_alloc, ua_table_fail);
	page = unmapped_pages_alloc(GFP_KERNEL, 0);
	kunit_deactivate_static_stub(test, pgtlib_table_alloc);
	KUNIT_ASSERT_GT(test, ua_seen->nr, 0);
	if (ua_seen->level[0] == 1) {
		/* page-mapped (arm64 rodata=full): nothing to split */
		kunit_info(test, "page-mapped direct map: no table needed\n");
		KUNIT_EXPECT_NOT_NULL(test, page);
		if (page)
			ua_free_and_check_restored(test, page, 0);
		return;
	}
	KUNIT_EXPECT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, ua_readable(ua_seen->va[0]));
	KUNIT_EXPECT_EQ(test, ua_dmap_entry(ua_seen->va[0], &level),
			ua_seen->entry[0]);
	KUNIT_EXPECT_EQ(test, level, ua_seen->level[0]);
	after = ua_stats();
	KUNIT_EXPECT_EQ(test, after.blocks_removed, before.blocks_removed);
	KUNIT_EXPECT_EQ(test, after.splits, before.splits);
	KUNIT_EXPECT_EQ(test, READ_ONCE(unmapped_pool.nr_empty), 0);
}

static void ua_test_fail(struct kunit *test)
{
	struct unmapped_stats before = ua_stats(), after;
	struct page *page;
	int step;

	for (step = 0; step < 3; step++) {
		ua_seen->nr = 0;
		ua_seen->fail_all = step == 0;
		if (step == 1)
			kunit_activate_static_stub(test, unmapped_block_meta,
						   ua_meta_fail);
		if (step == 2) {
			kunit_deactivate_static_stub(test, unmapped_block_meta);
			kunit_activate_static_stub(test, unmapped_block_insert,
						   ua_insert_fail);
		}
		page = unmapped_pages_alloc(GFP_KERNEL, 0);
		KUNIT_EXPECT_NULL(test, page);
		/* a block taken and given back is still in the direct map */
		if (ua_seen->nr) {
			int level;

			KUNIT_EXPECT_TRUE(test, ua_readable(ua_seen->va[0]));
			KUNIT_EXPECT_EQ(test, ua_dmap_entry(ua_seen->va[0],
							    &level),
					ua_seen->entry[0]);
		}
	}
	kunit_deactivate_static_stub(test, unmapped_block_insert);
	ua_seen->fail_all = false;
	after = ua_stats();
	KUNIT_EXPECT_EQ(test, after.blocks_removed, before.blocks_removed);
	KUNIT_EXPECT_EQ(test, after.pages_allocated, before.pages_allocated);
	KUNIT_EXPECT_EQ(test, READ_ONCE(unmapped_pool.nr_empty), 0);
	/* and the next allocation works */
	page = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	ua_free_and_check_restored(test, page, 0);
}

/* Bad input: refused, with a warning where a caller got it wrong. */
static void ua_test_bad_input(struct kunit *test)
{
	struct page *page, *mine;

	page = unmapped_pages_alloc(GFP_KERNEL, UNMAPPED_BLOCK_ORDER + 1);
	KUNIT_EXPECT_NULL(test, page);
	page = unmapped_pages_alloc(GFP_KERNEL | __GFP_COMP, 1);
	KUNIT_EXPECT_NULL(test, page);
	KUNIT_EXPECT_NULL(test, unmapped_pages_alloc(GFP_NOWAIT, 0));

	/* not the allocator's: refused, the page untouched */
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	unmapped_pages_free(page, 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	__free_page(page);

	/* freed twice: the second is refused */
	mine = unmapped_pages_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, mine);
	get_page(mine);
	unmapped_pages_free(mine, 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(mine), 1);
	unmapped_pages_free(mine, 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(mine), 0);
	unmapped_pages_free(mine, 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(mine), 0);
	flush_work(&unmapped_pool.work);
	KUNIT_EXPECT_EQ(test, READ_ONCE(unmapped_pool.nr_empty), 0);
}

#define UA_STRESS_OPS	1000000
#define UA_STRESS_LIVE	1024

/* Seeded random allocations and frees, against a model of what is out. */
static void ua_test_stress(struct kunit *test)
{
	struct { struct page *page; unsigned int order; } *live;
	unsigned int nr = 0, i, n, twice = 0, fails = 0;
	struct rnd_state rnd;
	struct xarray out;
	unsigned long op;

	live = kunit_kcalloc(test, UA_STRESS_LIVE, sizeof(*live), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, live);
	xa_init(&out);
	/* as in use: empty blocks stay a while */
	WRITE_ONCE(unmapped_pool.cache_blocks, 2);
	prandom_seed_state(&rnd, 20261204);
	for (op = 0; op < UA_STRESS_OPS; op++) {
		u32 r = prandom_u32_state(&rnd);

		if (nr < UA_STRESS_LIVE && (nr == 0 || (r & 1))) {
			/* orders 0 to 3, small ones the most */
			unsigned int order = (r >> 1) & 7;
			struct page *page;

			order = order < 4 ? 0 : order - 4;
			page = unmapped_pages_alloc(GFP_KERNEL |
						    (op & 1023 ? 0 : __GFP_ZERO),
						    order);
			if (!page) {
				fails++;
				continue;
			}
			for (n = 0; n < 1U << order; n++)
				if (xa_insert(&out, page_to_pfn(page) + n,
					      xa_mk_value(op), GFP_KERNEL))
					twice++;
			/* now and then: zero as asked, and dirty it */
			if (!(op & 1023)) {
				KUNIT_EXPECT_TRUE(test,
						  ua_all_bytes(test, page,
							       1U << order, 0));
				ua_fill(test, page, 1U << order, 0xee);
			}
			live[nr].page = page;
			live[nr++].order = order;
		} else {
			i = (r >> 1) % nr;
			for (n = 0; n < 1U << live[i].order; n++)
				xa_erase(&out, page_to_pfn(live[i].page) + n);
			__free_pages(live[i].page, live[i].order);
			live[i] = live[--nr];
		}
		if (!(op & 4095))
			cond_resched();
	}
	while (nr--) {
		for (n = 0; n < 1U << live[nr].order; n++)
			xa_erase(&out, page_to_pfn(live[nr].page) + n);
		__free_pages(live[nr].page, live[nr].order);
	}
	KUNIT_EXPECT_TRUE(test, xa_empty(&out));
	xa_destroy(&out);
	KUNIT_EXPECT_EQ(test, twice, 0);
	KUNIT_EXPECT_EQ(test, fails, 0);
	flush_work(&unmapped_pool.work);
	unmapped_release(0, ULONG_MAX, true);
	KUNIT_EXPECT_EQ(test, READ_ONCE(unmapped_pool.nr_empty), 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&unmapped_pool.partial));
	KUNIT_EXPECT_TRUE(test, list_empty(&unmapped_pool.full));
}

static struct kunit_case ua_cases[] = {
	KUNIT_CASE(ua_test_orders),
	KUNIT_CASE(ua_test_scrub),
	KUNIT_CASE(ua_test_zero_on_request),
	KUNIT_CASE(ua_test_free_irqs_off),
	KUNIT_CASE(ua_test_kmap_local),
	KUNIT_CASE(ua_test_fallback),
/* @stage unmapped-batch */
	KUNIT_CASE(ua_test_batch),
/* @stage end */
	KUNIT_CASE(ua_test_fail),
	KUNIT_CASE(ua_test_fail_split),
	KUNIT_CASE(ua_test_bad_input),
	KUNIT_CASE_SLOW(ua_test_stress),
	{}
};

static struct kunit_suite ua_suite = {
	.name = "unmapped_alloc",
	.init = ua_init,
	.test_cases = ua_cases,
};

kunit_test_suite(ua_suite);

MODULE_DESCRIPTION("KUnit tests of the unmapped-page allocator");
MODULE_LICENSE("GPL");
