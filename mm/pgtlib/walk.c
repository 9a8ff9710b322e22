// SPDX-License-Identifier: GPL-2.0
/*
 * pgtlib walker: report the leaves and holes of a range, level by level.
 */
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>

#include "internal.h"

struct pgtlib_walker {
	struct pgtlib_space *space;
	pgtlib_walk_fn fn;
	void *arg;
};

static int pgtlib_report(struct pgtlib_walker *w, unsigned int level,
			 unsigned long val, unsigned long addr,
			 unsigned long next)
{
	struct pgtlib_leaf leaf = {
		.va = addr,
		.size = next - addr,
		.level = level,
	};

	if (val) {
		unsigned long base = addr & ~(__pgtlib_level_size(level) - 1);

		leaf.present = true;
		leaf.phys = PFN_PHYS(pgtlib_entry_pfn(level, val)) + addr - base;
		leaf.pgprot = pgtlib_arch_leaf_prot(level, val);
		leaf.prot = pgtlib_arch_prot_decode(leaf.pgprot);
	}
	return w->fn(&leaf, w->arg);
}

/*
 * The entries of [addr, end) at @level, from @ep, the first of them. Each
 * is read once, and the table below is found from that value: a walk
 * without the space's lock never descends through an entry that another
 * CPU changed after it was classified.
 */
static int pgtlib_walk_level(struct pgtlib_walker *w, unsigned int level,
			     void *ep, unsigned long addr, unsigned long end)
{
	unsigned long next;
	int ret;

	do {
		enum pgtlib_entry_kind kind;
		unsigned long val;
		void *below;

		next = pgtlib_entry_end(level, addr, end);
		val = pgtlib_entry_read(level, ep);
		kind = pgtlib_level_folded(level) ? PGTLIB_TABLE :
		       pgtlib_entry_kind(level, val);
		if (kind == PGTLIB_TABLE) {
			below = pgtlib_entry_below(level, ep, val, addr);
			ret = pgtlib_walk_level(w, level - 1, below, addr,
						next);
		} else {
			ret = pgtlib_report(w, level,
					    kind == PGTLIB_LEAF ? val : 0, addr,
					    next);
		}
		if (ret)
			return ret;
		ep = pgtlib_entry_next(ep);
		addr = next;
	} while (addr != end);
	return 0;
}

/**
 * pgtlib_walk() - report every leaf and hole of a range
 * @space: the space
 * @start: first address, page aligned
 * @end: end address (exclusive), page aligned
 * @fn: called for each leaf and each hole, in address order, with the
 *	entry clipped to [@start, @end); a huge leaf is reported once
 * @arg: passed to @fn
 *
 * The walk descends each table once; it never restarts from the top for
 * the next entry. @fn runs under rcu_read_lock() (and, for a space of
 * pgtlib_space_create(), that space's lock) and must not sleep. On the
 * kernel space the walk takes no lock: an entry another CPU changes
 * meanwhile is reported as it was before or after the change.
 *
 * Context: any context that may take a spinlock.
 *
 * Return: 0; the first non-zero value @fn returned; -EINVAL, -ERANGE for a
 * bad range.
 */
int pgtlib_walk(struct pgtlib_space *space, unsigned long start,
		unsigned long end, pgtlib_walk_fn fn, void *arg)
{
	struct pgtlib_walker w = { .space = space, .fn = fn, .arg = arg };
	int ret;

	if (end <= start)
		return -EINVAL;
	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(end))
		return -EINVAL;
	if (pgtlib_untag(start) < space->start ||
	    pgtlib_untag(end - 1) > space->end - 1)
		return -ERANGE;

	/*
	 * init_mm's tables, also those a private space shares, are freed
	 * only after a grace period; a private space's own under its lock.
	 */
	rcu_read_lock();
	if (!(space->flags & PGTLIB_SPACE_KERNEL))
		spin_lock(space->lock);
	ret = pgtlib_walk_level(&w, PGTLIB_LEVEL_PGD,
				pgd_offset_pgd(space->pgd, start), start, end);
	if (!(space->flags & PGTLIB_SPACE_KERNEL))
		spin_unlock(space->lock);
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(pgtlib_walk);

static int pgtlib_query_fn(const struct pgtlib_leaf *leaf, void *arg)
{
	*(struct pgtlib_leaf *)arg = *leaf;
	return 1;
}

/**
 * pgtlib_query() - look up the translation of one address
 * @space: the space
 * @va: the address
 * @leaf: filled in: the leaf (or hole) covering @va, unclipped, with
 *	@leaf->phys the output address of @va itself
 *
 * Return: 0 if @va is mapped; -ENOENT if it is a hole (@leaf describes the
 * hole); -ERANGE if @va is outside the space.
 */
int pgtlib_query(struct pgtlib_space *space, unsigned long va,
		 struct pgtlib_leaf *leaf)
{
	struct pgtlib_leaf found;
	unsigned long page = va & PAGE_MASK;
	unsigned long base, offset = va & ~PAGE_MASK;
	int ret;

	ret = pgtlib_walk(space, page, page + PAGE_SIZE, pgtlib_query_fn,
			  &found);
	if (ret < 0)
		return ret;

	base = va & ~(__pgtlib_level_size(found.level) - 1);
	*leaf = found;
	leaf->va = base;
	leaf->size = __pgtlib_level_size(found.level);
	if (!found.present)
		return -ENOENT;
	leaf->phys = found.phys + offset;
	return 0;
}
EXPORT_SYMBOL_GPL(pgtlib_query);
/* @stage noflush */

/* One descent to the leaf for @va, reading each entry once. */
static __always_inline int __pgtlib_query_pfn(struct pgtlib_space *space,
					      unsigned long va,
					      unsigned long *pfn)
{
	struct pgtlib_cursor c;

	for (pgtlib_cursor_top(&c, space, va); c.kind == PGTLIB_TABLE;
	     pgtlib_cursor_down(&c))
		;
	if (c.kind != PGTLIB_LEAF)
		return -ENOENT;
	*pfn = pgtlib_entry_pfn(c.level, c.val) +
	       ((va & (__pgtlib_level_size(c.level) - 1)) >> PAGE_SHIFT);
	return 0;
}

/* A private space's tables are freed under its lock. */
static noinline int pgtlib_query_pfn_locked(struct pgtlib_space *space,
					    unsigned long va,
					    unsigned long *pfn)
{
	int ret;

	rcu_read_lock();
	spin_lock(space->lock);
	ret = __pgtlib_query_pfn(space, va, pfn);
	spin_unlock(space->lock);
	rcu_read_unlock();
	return ret;
}

/**
 * pgtlib_query_pfn() - the page frame that one address translates to
 * @space: the space
 * @va: the address
 * @pfn: set to the PFN of the page @va is in, if it is mapped
 *
 * What pgtlib_query() finds, for callers that look up page by page and
 * want only the page, as vmalloc_to_page() does for /proc/kcore and for
 * percpu's chunks: one descent of pgtlib's cursor, each entry read once,
 * with no callback and no protection decoded. It reads the tables as
 * pgtlib_walk() does.
 *
 * Context: any context that may take a spinlock.
 * Return: 0 if @va is mapped; -ENOENT if it is a hole; -ERANGE if @va is
 * outside the space.
 */
int pgtlib_query_pfn(struct pgtlib_space *space, unsigned long va,
		     unsigned long *pfn)
{
	int ret;

	if (pgtlib_untag(va) < space->start ||
	    pgtlib_untag(va) > space->end - 1)
		return -ERANGE;
	if (!(space->flags & PGTLIB_SPACE_KERNEL))
		return pgtlib_query_pfn_locked(space, va, pfn);
	/* The kernel space's lookup calls nothing: no stack frame. */
	rcu_read_lock();
	ret = __pgtlib_query_pfn(space, va, pfn);
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(pgtlib_query_pfn);
/* @stage end */
