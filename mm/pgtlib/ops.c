// SPDX-License-Identifier: GPL-2.0
/*
 * pgtlib operations: map, unmap, protect, collapse and reserve.
 *
 * Every operation runs in two phases, as Hafnium's mm does. Prepare claims
 * every table page the operation can need, an upper bound, and changes
 * nothing.
/* @stage exact */
 * When the bound is more than the spares hold, a dry run of apply's
 * descent counts what the range lacks instead.
/* @stage end */
 * Apply then runs under the space's lock, cannot fail for want of memory,
 * and walks the range once, level by level, never from the top per page.
 */
#include <linux/export.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/sections.h>
#include <linux/pgalloc.h>

#include "internal.h"

enum pgtlib_op_kind {
	PGTLIB_OP_MAP,
	PGTLIB_OP_UNMAP,
	PGTLIB_OP_PROTECT,
	PGTLIB_OP_COLLAPSE,
	PGTLIB_OP_RESERVE,
/* @stage ptes */
	PGTLIB_OP_PTES,
/* @stage end */
};

struct pgtlib_op {
	struct pgtlib_txn *txn;
	struct pgtlib_space *space;
	enum pgtlib_op_kind kind;
	unsigned int flags;
	unsigned long start;
	unsigned long end;
	phys_addr_t phys;		/* MAP: output address of @start */
	struct page **pages;		/* MAP: or one page per base page */
	pgprot_t prot;			/* MAP: PTE-form protection */
	pgprot_t set_mask;		/* PROTECT */
	pgprot_t clear_mask;		/* PROTECT */
	struct list_head tables;	/* claimed table pages */
	unsigned int mod_mask;		/* PGTBL_*_MODIFIED */
	unsigned long split_lo;		/* range of leaves split by this op */
	unsigned long split_hi;
	unsigned long reserve_extra;	/* RESERVE: spares for later splits */
	unsigned long reserve_need;	/* RESERVE: tables to install */
	unsigned long fail_addr;	/* MAP: where it stopped, to take back */
	bool keep_tables;		/* never free emptied tables */
	bool dirty;			/* no @txn: a valid entry changed */
};

/*
 * Fill in what every operation uses. The general path sets its own state
 * once the fast path has declined: most operations never need it, and
 * clearing all of @op would cost a good part of a one-page operation.
 */
static __always_inline void __pgtlib_op_init(struct pgtlib_op *op,
					     struct pgtlib_txn *txn,
					     struct pgtlib_space *space,
					     enum pgtlib_op_kind kind,
					     unsigned long va,
					     unsigned long size)
{
	op->txn = txn;
	op->space = space;
	op->kind = kind;
	op->dirty = false;
	op->flags = 0;
	op->start = va;
	op->end = va + size;
	op->pages = NULL;
	op->fail_addr = 0;
}

static void pgtlib_op_init(struct pgtlib_op *op, struct pgtlib_txn *txn,
			   enum pgtlib_op_kind kind, unsigned long va,
			   unsigned long size)
{
	__pgtlib_op_init(op, txn, txn->space, kind, va, size);
}

/* The output of a huge leaf at @addr: page arrays only ever get PTEs. */
static unsigned long pgtlib_op_pfn(struct pgtlib_op *op, unsigned long addr)
{
	return PHYS_PFN(op->phys + (addr - op->start));
}

/* A huge leaf at @level (> 0) can map all of [addr, next) in one go. */
static bool pgtlib_op_can_leaf(struct pgtlib_op *op, unsigned int level,
			       unsigned long addr, unsigned long next)
{
	unsigned long size = __pgtlib_level_size(level);
	phys_addr_t phys;

	/* pgtlib_map_pages() always asks for base pages. */
	if (op->flags & PGTLIB_MAP_BASE_PAGES)
		return false;
	if ((op->flags & PGTLIB_MAP_MAX_PMD) && level > PGTLIB_LEVEL_PMD)
		return false;
	if (next - addr != size || !__pgtlib_level_has_leaf(level))
		return false;
	phys = op->phys + (addr - op->start);
	if (!IS_ALIGNED(phys, size))
		return false;
	return pgtlib_arch_leaf_phys_ok(level, phys);
}

static unsigned int pgtlib_mod_bit(unsigned int level)
{
	static const unsigned int mod[PGTLIB_NR_LEVELS] = {
		PGTBL_PTE_MODIFIED, PGTBL_PMD_MODIFIED, PGTBL_PUD_MODIFIED,
		PGTBL_P4D_MODIFIED, PGTBL_PGD_MODIFIED,
	};

	return mod[level];
}

/*
 * An entry at @level for [addr, next) changed. Only a change to a valid
 * translation needs invalidating: CPUs do not cache holes.
 */
static void pgtlib_op_note(struct pgtlib_op *op, unsigned int level,
			   unsigned long addr, unsigned long next, bool flush)
{
	op->mod_mask |= pgtlib_mod_bit(level);
	if (flush)
		pgtlib_txn_add_range(op->txn, addr, next);
}

/* Make the hole @ep at @level point to @table. */
static void pgtlib_op_install(struct pgtlib_op *op, unsigned int level,
			      void *ep, void *table)
{
	/*
	 * The table's contents (zeroes, or the leaves of a split) must be
	 * visible before the entry that publishes it: see pmd_install().
	 */
	smp_wmb();
	switch (level) {
	case PGTLIB_LEVEL_PMD:
		pmd_populate_kernel(&init_mm, (pmd_t *)ep, table);
		break;
	case PGTLIB_LEVEL_PUD:
		pud_populate(&init_mm, (pud_t *)ep, table);
		break;
	case PGTLIB_LEVEL_P4D:
		p4d_populate(&init_mm, (p4d_t *)ep, table);
		break;
	default:
		pgd_populate(&init_mm, (pgd_t *)ep, table);
		break;
	}
	op->mod_mask |= pgtlib_mod_bit(level);
}

/* @stage replace */
/*
 * Break-before-make unmaps a whole leaf or group for a moment. Only in a
 * vmalloc area of the caller's own can no other CPU be using it: in the
 * linear map (hot-added memory included), the kernel image or anywhere
 * else in init_mm, refuse, before any change.
 */
static bool pgtlib_bbm_refused(struct pgtlib_op *op, unsigned long start,
			       unsigned long end)
{
	if (!PGTLIB_ARCH_NEEDS_BBM ||
	    (op->space->flags & (PGTLIB_SPACE_LIVE | PGTLIB_SPACE_KERNEL)) !=
	    (PGTLIB_SPACE_LIVE | PGTLIB_SPACE_KERNEL))
		return false;
	return !is_vmalloc_addr((void *)start) ||
	       !is_vmalloc_addr((void *)(end - 1)) ||
	       (start < (unsigned long)_end && end > (unsigned long)_text);
}

/* @stage end */
/* @stage split */
/*
 * Replace the huge leaf @val at @ep by a table of leaves one level down that
 * map the same memory with the same protection.
 */
static int pgtlib_op_split(struct pgtlib_op *op, unsigned int level,
			   void *ep, unsigned long val, unsigned long addr)
{
	unsigned long size = __pgtlib_level_size(level);
	unsigned long base = addr & ~(size - 1);
	unsigned int child = level - 1, i, n = pgtlib_level_ptrs(child);
	unsigned long pfn = pgtlib_entry_pfn(level, val);
	unsigned long step = __pgtlib_level_size(child) >> PAGE_SHIFT;
	pgprot_t prot = pgtlib_arch_leaf_prot(level, val);
	unsigned long *entries;
	void *table;

	if (pgtlib_bbm_refused(op, base, base + size))
		return -EBUSY;
	table = pgtlib_tables_take(op->space, &op->tables, child);
	entries = table;
	/* Nothing is written yet: the leaf stays, and so must the caller. */
	if (!table)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		entries[i] = pgtlib_arch_mk_leaf_any(child, pfn + i * step,
						     prot);

	if (PGTLIB_ARCH_NEEDS_BBM && (op->space->flags & PGTLIB_SPACE_LIVE)) {
		/* Break before make: no CPU may hold both sizes at once. */
		pgtlib_entry_write(level, ep, 0);
		pgtlib_txn_add_range(op->txn, base, base + size);
		pgtlib_txn_flush(op->txn);
	}
	pgtlib_op_install(op, level, ep, table);

	pgtlib_count(op->txn, leaves_split, 1);
	op->split_lo = min(op->split_lo, base);
	op->split_hi = max(op->split_hi, base + size);
	return 0;
}

/* @stage cont */
/*
 * @addr, inside a group of leaves at @level that carry the contiguous
 * hint, is to become a boundary: rewrite the whole group without the
 * hint, breaking before making in a live space. Translations stay as they
 * were.
 */
static int pgtlib_op_unfold(struct pgtlib_op *op, unsigned int level,
			    void *ep, unsigned long addr)
{
	unsigned int i, n = pgtlib_cont_leaves(level);
	unsigned long size = __pgtlib_level_size(level);
	unsigned long base = ALIGN_DOWN(addr, n * size), first, pfn, val;
	unsigned long step = size >> PAGE_SHIFT;
	pgprot_t prot;

	/*
	 * A group maps consecutive memory with one protection, and is
	 * rebuilt from its first entry: refuse one that another agent
	 * changed in part (KFENCE or debug_pagealloc invalidating a page).
	 */
	if (pgtlib_bbm_refused(op, base, base + n * size))
		return -EBUSY;
	ep -= (addr - base) / size * sizeof(pte_t);
	first = pgtlib_entry_read(level, ep);
	pfn = pgtlib_entry_pfn(level, first);
	prot = pgtlib_arch_leaf_prot(level, first);
	for (i = 0; i < n; i++) {
		val = pgtlib_entry_read(level, ep + i * sizeof(pte_t));
		if (pgtlib_entry_kind(level, val) != PGTLIB_LEAF ||
		    pgtlib_entry_pfn(level, val) != pfn + i * step ||
		    pgprot_val(pgtlib_arch_leaf_prot(level, val)) !=
		    pgprot_val(prot))
			return -EBUSY;
	}
	if (op->space->flags & PGTLIB_SPACE_LIVE) {
		for (i = 0; i < n; i++)
			pgtlib_entry_write(level, ep + i * sizeof(pte_t), 0);
		pgtlib_txn_add_range(op->txn, base, base + n * size);
		pgtlib_txn_flush(op->txn);
	}
	for (i = 0; i < n; i++) {
		val = pgtlib_arch_mk_leaf_any(level, pfn + i * step, prot);
		pgtlib_entry_write(level, ep + i * sizeof(pte_t),
				   pgtlib_leaf_set_cont(level, val, false));
	}
	return 0;
}

/* @stage end */
/*
 * Split huge leaves so that @addr becomes a leaf boundary. A split keeps
 * every translation, so stopping half-way changes none: -ENOMEM if a table
 * the count promised is missing (the range changed under its owner).
 */
static int pgtlib_op_split_at(struct pgtlib_op *op, unsigned long addr)
{
	struct pgtlib_cursor c;
	int ret;

	if (pgtlib_untag(addr) <= op->space->start ||
	    pgtlib_untag(addr) >= op->space->end)
		return 0;

	for (pgtlib_cursor_top(&c, op->space, addr); c.kind != PGTLIB_HOLE;
	     pgtlib_cursor_down(&c)) {
		if (c.kind == PGTLIB_TABLE)
			continue;
/* @stage cont */
		if (pgtlib_leaf_cont(c.level, c.val) &&
		    !IS_ALIGNED(addr, pgtlib_cont_leaves(c.level) *
				      __pgtlib_level_size(c.level))) {
			ret = pgtlib_op_unfold(op, c.level, c.ep, addr);
			if (ret)
				return ret;
			pgtlib_cursor_reload(&c);
		}
/* @stage end */
		if (c.level == PGTLIB_LEVEL_PTE ||
		    IS_ALIGNED(addr, __pgtlib_level_size(c.level)))
			return 0;
		ret = pgtlib_op_split(op, c.level, c.ep, c.val, addr);
		if (ret)
			return ret;
		/* A table now: go down into it. */
		pgtlib_cursor_reload(&c);
	}
	return 0;
}

/* Upper bound of the tables pgtlib_op_split_at(@addr) installs. */
static unsigned long pgtlib_split_bound(unsigned long addr)
{
	unsigned long n = 0;
	unsigned int level;

	for (level = PGTLIB_LEVEL_PMD; level < PGTLIB_NR_LEVELS; level++)
		if (__pgtlib_level_has_leaf(level) &&
		    !IS_ALIGNED(addr, __pgtlib_level_size(level)))
			n++;
	return n;
}

/*
 * Exact count of the tables pgtlib_op_split_at(@addr) installs after
 * pgtlib_op_split_at(@before) ran (@before < @addr; 0: no such call).
 * *@unfold is set if it also finds a group of huge leaves to unfold.
 */
static unsigned long pgtlib_count_splits(struct pgtlib_op *op,
					 unsigned long addr,
					 unsigned long before, bool *unfold)
{
	struct pgtlib_cursor c;
	unsigned long n = 0;
	unsigned int k;

	if (pgtlib_untag(addr) <= op->space->start ||
	    pgtlib_untag(addr) >= op->space->end)
		return 0;
	if (pgtlib_untag(before) <= op->space->start)
		before = 0;

	/* Only huge leaves split: no need to look into a PTE table. */
	for (pgtlib_cursor_top(&c, op->space, addr);
	     c.kind == PGTLIB_TABLE && c.level > PGTLIB_LEVEL_PMD;
	     pgtlib_cursor_down(&c))
		;
	if (c.kind != PGTLIB_LEAF || c.level == PGTLIB_LEVEL_PTE)
		return 0;
/* @stage cont */
	if (pgtlib_leaf_cont(c.level, c.val) &&
	    !IS_ALIGNED(addr, pgtlib_cont_leaves(c.level) *
			      __pgtlib_level_size(c.level)))
		*unfold = true;
/* @stage end */
	/* Each split leaves a smaller leaf that may need splitting. */
	for (k = c.level; k > PGTLIB_LEVEL_PTE; k--) {
		unsigned long size = __pgtlib_level_size(k);

		if (IS_ALIGNED(addr, size))
			continue;
		/* The split at @before already split this leaf. */
		if (before && !IS_ALIGNED(before, size) &&
		    ALIGN_DOWN(before, size) == ALIGN_DOWN(addr, size))
			continue;
		n++;
	}
	return n;
}

/* @stage end */
/* Upper bound of the tables needed to map [start, end) where none exist. */
static unsigned long pgtlib_hole_bound(unsigned long start, unsigned long end)
{
	unsigned long n = 0;
	unsigned int level;

	for (level = PGTLIB_LEVEL_PMD; level < PGTLIB_NR_LEVELS; level++) {
		unsigned int shift = pgtlib_level_shift(level);

		if (pgtlib_level_folded(level))
			continue;
		n += ((end - 1) >> shift) - (start >> shift) + 1;
	}
	return n;
}

/* @stage exact */
/* Tables that splitting a leaf at @level down to PTEs over [addr, next) takes. */
static unsigned long pgtlib_split_all(unsigned int level, unsigned long addr,
				      unsigned long next)
{
	unsigned int shift;

	if (level == PGTLIB_LEVEL_PMD)
		return 1;
	shift = pgtlib_level_shift(level - 1);
	return 1 + ((next - 1) >> shift) - (addr >> shift) + 1;
}

/* Exact count of the tables a MAP or RESERVE of [addr, end) installs. */
static unsigned long pgtlib_count_tables(struct pgtlib_op *op,
					 unsigned int level, void *parent,
					 unsigned long addr, unsigned long end,
					 bool hole)
{
	void *ep = hole ? NULL : pgtlib_entry_offset(op->space, level, parent,
						     addr);
	unsigned long next, n = 0;

	do {
		unsigned long val = 0;

		next = pgtlib_entry_end(level, addr, end);
		if (level == PGTLIB_LEVEL_PTE)
			break;
		if (pgtlib_level_folded(level)) {
			n += pgtlib_count_tables(op, level - 1, ep, addr, next,
						 hole);
			goto next;
		}
		if (!hole)
			val = pgtlib_entry_read(level, ep);
/* @stage replace */
		/* A leaf that the MAP replaces is as good as a hole. */
		if (op->kind == PGTLIB_OP_MAP &&
		    (op->flags & PGTLIB_MAP_REPLACE) &&
		    pgtlib_entry_leaf(level, val))
			val = 0;
/* @stage end */
		if (hole || pgtlib_entry_none(level, val)) {
			if (op->kind == PGTLIB_OP_MAP &&
			    pgtlib_op_can_leaf(op, level, addr, next))
				goto next;
			n++;
			if (level > PGTLIB_LEVEL_PMD)
				n += pgtlib_count_tables(op, level - 1, NULL,
							 addr, next, true);
		} else if (pgtlib_entry_leaf(level, val)) {
			if (op->kind == PGTLIB_OP_RESERVE)
				op->reserve_extra += pgtlib_split_all(level,
								      addr,
								      next);
		} else {
			n += pgtlib_count_tables(op, level - 1, ep, addr, next,
						 false);
		}
next:
		if (ep)
			ep = pgtlib_entry_next(ep);
		addr = next;
	} while (addr != end);
	return n;
}

/* @stage end */
static int pgtlib_apply(struct pgtlib_op *op, unsigned int level,
			void *parent, unsigned long addr, unsigned long end,
			bool *emptied);

/* A hole at @level (> 0) in [addr, next): fill it for MAP and RESERVE. */
static int pgtlib_apply_hole(struct pgtlib_op *op, unsigned int level,
			     void *ep, unsigned long addr, unsigned long next)
{
	bool emptied;
	void *table;

	if (op->kind == PGTLIB_OP_MAP &&
	    pgtlib_op_can_leaf(op, level, addr, next)) {
		pgtlib_entry_write(level, ep,
				   pgtlib_arch_mk_leaf(level,
						       pgtlib_op_pfn(op, addr),
						       op->prot));
		pgtlib_count(op->txn, pages_mapped,
			     (next - addr) >> PAGE_SHIFT);
		pgtlib_op_note(op, level, addr, next, false);
		return 0;
	}
	if (op->kind != PGTLIB_OP_MAP && op->kind != PGTLIB_OP_RESERVE)
		return 0;
	table = pgtlib_tables_take(op->space, &op->tables, level - 1);
	if (!table) {
		/* A MAP takes back what it wrote before @addr. */
		if (op->kind == PGTLIB_OP_MAP)
			op->fail_addr = addr;
		return -ENOMEM;
	}
	pgtlib_op_install(op, level, ep, table);
	if (op->kind == PGTLIB_OP_RESERVE && level == PGTLIB_LEVEL_PMD)
		return 0;
	return pgtlib_apply(op, level - 1, ep, addr, next, &emptied);
}

/* A huge leaf at @level (> 0), all of it in [addr, next) (split first). */
static int pgtlib_apply_leaf(struct pgtlib_op *op, unsigned int level,
			     void *ep, unsigned long val, unsigned long addr,
			     unsigned long next)
{
	unsigned long pages = (next - addr) >> PAGE_SHIFT;
/* @stage protect */
	pgprot_t old, new;
/* @stage end */

	if (op->kind == PGTLIB_OP_RESERVE || op->kind == PGTLIB_OP_COLLAPSE)
		return 0;
	if (op->kind == PGTLIB_OP_MAP && !(op->flags & PGTLIB_MAP_REPLACE)) {
		op->fail_addr = addr;
		return -EEXIST;
	}
	/* Leaves the range covers in part were split before apply. */
	if (WARN_ON_ONCE(next - addr != __pgtlib_level_size(level)))
		return -EINVAL;

	switch (op->kind) {
/* @stage replace */
	case PGTLIB_OP_MAP:
		if (!pgtlib_op_can_leaf(op, level, addr, next)) {
			/* Replace the huge leaf by a table of smaller ones. */
			pgtlib_entry_write(level, ep, 0);
			pgtlib_op_note(op, level, addr, next, true);
			/* No TLB may hold the old size beside the new leaves. */
			if (PGTLIB_ARCH_FLUSH_AFTER_SPLIT &&
			    (op->space->flags & PGTLIB_SPACE_LIVE))
				pgtlib_txn_flush(op->txn);
			return pgtlib_apply_hole(op, level, ep, addr, next);
		}
		pgtlib_entry_write(level, ep,
				   pgtlib_arch_mk_leaf(level,
						       pgtlib_op_pfn(op, addr),
						       op->prot));
		pgtlib_count(op->txn, pages_mapped, pages);
		break;
/* @stage end */
	case PGTLIB_OP_UNMAP:
		pgtlib_entry_write(level, ep, 0);
		pgtlib_count(op->txn, pages_unmapped, pages);
		break;
/* @stage protect */
	case PGTLIB_OP_PROTECT:
		old = pgtlib_arch_leaf_prot(level, val);
		new = __pgprot((pgprot_val(old) & ~pgprot_val(op->clear_mask)) |
			       pgprot_val(op->set_mask));
		if (pgprot_val(new) == pgprot_val(old))
			return 0;
		pgtlib_entry_write(level, ep,
				   pgtlib_arch_mk_leaf(level,
						       pgtlib_entry_pfn(level, val),
						       new));
		pgtlib_count(op->txn, pages_protected, pages);
		break;
/* @stage end */
	default:
		return 0;
	}
	pgtlib_op_note(op, level, addr, next, true);
	return 0;
}

/* @stage collapse */
/*
 * If the table under @ep holds leaves one level down that map one aligned,
 * contiguous range with one protection, replace it by a single leaf.
 */
static void pgtlib_try_collapse(struct pgtlib_op *op, unsigned int level,
				void *ep, unsigned long addr)
{
	unsigned int child = level - 1, i, n = pgtlib_level_ptrs(child);
	unsigned long size = __pgtlib_level_size(level);
	unsigned long step = __pgtlib_level_size(child) >> PAGE_SHIFT;
	unsigned long *entries, pfn, first;
	void *table;
	pgprot_t prot;

	if (!__pgtlib_level_has_leaf(level) || pgtlib_level_folded(child) ||
	    pgtlib_bbm_refused(op, addr, addr + size))
		return;
	table = pgtlib_entry_table(op->space, level, ep, addr);
	if (!pgtlib_table_is_ours(table))
		return;
	entries = table;
	/*
	 * The contiguous hint belongs to groups of children, not to the one
	 * leaf that replaces them (no PUD block may carry it).
	 */
	first = pgtlib_leaf_set_cont(child, pgtlib_entry_read(child, entries),
				     false);
	if (!pgtlib_entry_leaf(child, first))
		return;
	pfn = pgtlib_entry_pfn(child, first);
	prot = pgtlib_arch_leaf_prot(child, first);
	if (!IS_ALIGNED(pfn, size >> PAGE_SHIFT) ||
	    !pgtlib_arch_leaf_phys_ok(level, PFN_PHYS(pfn)))
		return;
	for (i = 1; i < n; i++) {
		unsigned long val = pgtlib_entry_read(child, &entries[i]);

		val = pgtlib_leaf_set_cont(child, val, false);
		if (!pgtlib_entry_leaf(child, val) ||
		    pgtlib_entry_pfn(child, val) != pfn + i * step ||
		    pgprot_val(pgtlib_arch_leaf_prot(child, val)) !=
		    pgprot_val(prot))
			return;
	}

	if (PGTLIB_ARCH_NEEDS_BBM && (op->space->flags & PGTLIB_SPACE_LIVE)) {
		pgtlib_entry_write(level, ep, 0);
		op->txn->flush_tables = true;
		pgtlib_txn_add_range(op->txn, addr, addr + size);
		pgtlib_txn_flush(op->txn);
	}
	pgtlib_entry_write(level, ep,
			   pgtlib_arch_mk_leaf(level, pfn, prot));
	op->txn->flush_tables = true;
	op->txn->dirty_tables = true;
	pgtlib_op_note(op, level, addr, addr + size, true);
	pgtlib_tables_retire(op->txn, table);
	pgtlib_count(op->txn, leaves_collapsed, 1);
}

/* @stage end */
/*
 * An IPI cannot be sent, nor waited for, with interrupts disabled: on x86
 * a live space's general path is refused then, before it changes
 * anything, with -EAGAIN. Early boot (init_IRQ()'s vmap() of the IRQ
 * stacks) runs on one CPU with interrupts off, as smp_call_function_many()
 * allows.
 */
static bool pgtlib_cannot_flush(struct pgtlib_space *space)
{
	return PGTLIB_ARCH_FLUSH_IPI && (space->flags & PGTLIB_SPACE_LIVE) &&
	       irqs_disabled() && !early_boot_irqs_disabled;
}

/* @stage replace */
/*
 * A MAP that could put a huge leaf at @ep finds an empty table of pgtlib's
 * there (init_mm keeps its emptied tables): replace it, as vmap does with
 * pmd_free_pte_page(). The walk caches may hold the table: clear the
 * entry and invalidate them before the leaf goes in.
 */
static noinline bool pgtlib_replace_empty(struct pgtlib_op *op,
					  unsigned int level, void *ep,
					  unsigned long addr,
					  unsigned long next)
{
	unsigned int child = level - 1, i, n = pgtlib_level_ptrs(child);
	void *table = pgtlib_entry_table(op->space, level, ep, addr);

	/* A reserved range keeps its tables for its later operations. */
	if (op->keep_tables || !pgtlib_table_is_ours(table))
		return false;
	for (i = 0; i < n; i++)
		if (!pgtlib_entry_clear(child,
					pgtlib_entry_read(child, table +
							  i * sizeof(pte_t))))
			return false;

	pgtlib_entry_write(level, ep, 0);
	op->txn->flush_tables = true;
	pgtlib_txn_add_range(op->txn, addr, next);
	if (op->space->flags & PGTLIB_SPACE_LIVE)
		pgtlib_txn_flush(op->txn);
	pgtlib_tables_retire(op->txn, table);
	return true;
}

/* @stage end */
/*
 * The table entry @ep at @level, of which the operation covers [addr, next).
 * Returns 1 if a table is left under @ep, 0 if the entry is now a hole or a
 * leaf, or a negative error.
 */
static int pgtlib_apply_table(struct pgtlib_op *op, unsigned int level,
			      void *ep, unsigned long addr, unsigned long next)
{
	bool whole = next - addr == __pgtlib_level_size(level);
	bool child_empty;
	void *table;
	int ret;
/* @stage replace */

	if (unlikely(op->kind == PGTLIB_OP_MAP &&
		     !(op->flags & PGTLIB_MAP_BASE_PAGES)) &&
	    pgtlib_op_can_leaf(op, level, addr, next) &&
	    pgtlib_replace_empty(op, level, ep, addr, next))
		return pgtlib_apply_hole(op, level, ep, addr, next);
/* @stage end */

	/* RESERVE and COLLAPSE have nothing to do inside a PTE table. */
	if (level == PGTLIB_LEVEL_PMD && (op->kind == PGTLIB_OP_RESERVE ||
					  op->kind == PGTLIB_OP_COLLAPSE)) {
/* @stage collapse */
		if (op->kind == PGTLIB_OP_COLLAPSE && whole)
			pgtlib_try_collapse(op, level, ep, addr);
/* @stage end */
		return 1;
	}

	ret = pgtlib_apply(op, level - 1, ep, addr, next, &child_empty);
	if (ret || !whole)
		return ret ?: 1;

/* @stage collapse */
	if (op->kind == PGTLIB_OP_COLLAPSE) {
		pgtlib_try_collapse(op, level, ep, addr);
		return 1;
	}
/* @stage end */
	if (op->kind != PGTLIB_OP_UNMAP || !child_empty || op->keep_tables)
		return 1;
	/*
	 * An emptied table of init_mm stays, for the next map, as vmalloc
	 * leaves its own: the kernel's lockless walkers (vmalloc_to_page()
	 * for /proc/kcore, lookup_address(), show_pte()) may be reading it,
	 * and a range's owner cannot know they are not.
	 */
	if (op->space->flags & PGTLIB_SPACE_KERNEL)
		return 1;

	table = pgtlib_entry_table(op->space, level, ep, addr);
	if (!pgtlib_table_is_ours(table))
		return 1;
	/* Nothing maps through @table any more: free it after the flush. */
	pgtlib_entry_write(level, ep, 0);
	op->txn->flush_tables = true;
	pgtlib_op_note(op, level, addr, next, true);
	pgtlib_tables_retire(op->txn, table);
	return 0;
}

/* @stage cont */
/*
 * Whether the aligned group of PGTLIB_ARCH_CONT_PTES PTEs at @ptep, for
 * @addr, can be mapped as one contiguous run from @pfn (not for a page
 * array, whose pages need not be contiguous): all of it in the
 * range, the output aligned, and nothing mapped there yet (so that no CPU
 * ever sees the hint on part of a group).
 */
static __always_inline bool pgtlib_can_cont(unsigned int flags, pte_t *ptep,
					    unsigned long addr, unsigned long end,
					    unsigned long pfn)
{
	unsigned int i;

	if ((flags & (PGTLIB_MAP_BASE_PAGES | PGTLIB_MAP_NO_CONT)) ||
	    end - addr < PGTLIB_CONT_SIZE ||
	    !IS_ALIGNED(pfn, PGTLIB_ARCH_CONT_PTES))
		return false;
	for (i = 0; i < PGTLIB_ARCH_CONT_PTES; i++)
		if (!pte_none(pgtlib_arch_pte_get(ptep + i)))
			return false;
	return true;
}

/* @stage end */
/*
 * Whether the PTE @ptep may be mapped: it is none, or @flags allow
 * replacing what is there (then *@flush is set). An entry that is not
 * valid but not none either (x86's set_memory_np() leaves them) still
 * holds its page: it is refused as a valid one is, as vmap refuses it.
 */
static __always_inline int pgtlib_pte_may_map(pte_t *ptep, unsigned int flags,
					      bool *flush)
{
	if (pte_none(pgtlib_arch_pte_get(ptep)))
		return 0;
/* @stage replace */
	if (flags & PGTLIB_MAP_REPLACE) {
		*flush = true;
		return 0;
	}
/* @stage end */
	return -EEXIST;
}

/*
 * The PTEs of [addr, end) in one table. Map, unmap and protect touch every
 * PTE of a range, so they get a loop of their own rather than the generic
 * per-entry dispatch of pgtlib_apply(). @op is read once, up front: for
 * all the compiler knows, every PTE store could change it. An UNMAP reads
 * nothing from @op, which may then be NULL.
 */
static __always_inline int
__pgtlib_apply_ptes(struct pgtlib_txn *txn, struct pgtlib_op *op,
		    enum pgtlib_op_kind kind, pte_t *ptep, unsigned long addr,
		    unsigned long end)
{
	unsigned long start = addr, done = 0, pfn, val;
	pgprot_t prot;
/* @stage protect */
	pgprot_t set, clear;
/* @stage end */
	unsigned int flags;
/* @stage pages */
	struct page **page;
/* @stage end */
	pte_t *last;
	bool flush = false;
/* @stage cont */
	bool cont = false;
/* @stage end */
	int ret = 0;
	pte_t pte;

	switch (kind) {
	case PGTLIB_OP_MAP:
		flags = op->flags;
		prot = op->prot;
/* @stage pages */
		if (op->pages) {
			/* An array of pages: PTEs only, and no hint. */
			page = op->pages + ((addr - op->start) >> PAGE_SHIFT);
			for (; addr != end; addr += PAGE_SIZE, ptep++, page++) {
				ret = pgtlib_pte_may_map(ptep, flags, &flush);
				if (ret)
					break;
				/* Only the fast path gets here with NULL pages. */
				if (unlikely(!*page)) {
					ret = -EINVAL;
					break;
				}
				val = pgtlib_arch_mk_leaf(PGTLIB_LEVEL_PTE,
							  page_to_pfn(*page),
							  prot);
				pgtlib_arch_set_pte(ptep, val);
			}
			goto mapped;
		}
/* @stage end */
		pfn = PHYS_PFN(op->phys + (addr - op->start));
		for (; addr != end; addr += PAGE_SIZE, ptep++, pfn++) {
/* @stage cont */
			if (PGTLIB_ARCH_CONT_PTES > 1 &&
			    IS_ALIGNED(addr, PGTLIB_CONT_SIZE))
				cont = pgtlib_can_cont(flags, ptep, addr, end,
						       pfn);
/* @stage end */
			ret = pgtlib_pte_may_map(ptep, flags, &flush);
			if (ret)
				break;
			val = pgtlib_arch_mk_leaf(PGTLIB_LEVEL_PTE, pfn, prot);
/* @stage cont */
			val = pgtlib_arch_pte_set_cont(val, cont);
/* @stage end */
			pgtlib_arch_set_pte(ptep, val);
		}
/* @stage pages */
mapped:
/* @stage end */
		if (ret)
			op->fail_addr = addr;
		if (addr != start)
			pgtlib_arch_sync_ptes();
		pgtlib_count(txn, pages_mapped, (addr - start) >> PAGE_SHIFT);
		break;
	case PGTLIB_OP_UNMAP:
		last = ptep + ((end - addr) >> PAGE_SHIFT);
		/*
		 * Clear every entry, not only present ones (x86's
		 * set_memory_np() leaves others): an emptied table must be
		 * all zeroes. Testing first would cost more than the store.
		 */
		for (; ptep != last; ptep++) {
			pte = pgtlib_arch_pte_get(ptep);
			pgtlib_arch_set_pte(ptep, 0);
			if (pgtlib_arch_pte_present(pte))
				done++;
		}
		addr = end;
		pgtlib_count(txn, pages_unmapped, done);
		flush = done;
		break;
/* @stage protect */
	case PGTLIB_OP_PROTECT:
		set = op->set_mask;
		clear = op->clear_mask;
		for (; addr != end; addr += PAGE_SIZE, ptep++) {
			pgprot_t old, new;

			pte = pgtlib_arch_pte_get(ptep);
			if (!pgtlib_arch_pte_present(pte))
				continue;
			old = pgtlib_arch_leaf_prot(PGTLIB_LEVEL_PTE,
						    pte_val(pte));
			new = __pgprot((pgprot_val(old) & ~pgprot_val(clear)) |
				       pgprot_val(set));
			if (pgprot_val(new) == pgprot_val(old))
				continue;
			/* The whole group changes: it keeps its hint. */
			cont = pgtlib_arch_pte_cont(pte_val(pte));
			val = pgtlib_arch_mk_leaf(PGTLIB_LEVEL_PTE,
						  pte_pfn(pte), new);
			pgtlib_arch_set_pte(ptep,
					    pgtlib_arch_pte_set_cont(val, cont));
			done++;
		}
		if (done)
			pgtlib_arch_sync_ptes();
		pgtlib_count(txn, pages_protected, done);
		flush = done;
		break;
/* @stage end */
/* @stage ptes */
	case PGTLIB_OP_PTES:
		set = op->set_mask;
		clear = op->clear_mask;
		for (; addr != end; addr += PAGE_SIZE, ptep++) {
			pte = pgtlib_arch_pte_get(ptep);
			/* What was never mapped, or was unmapped, stays so. */
			if (pte_none(pte))
				continue;
			val = pgtlib_arch_pte_change(pte_val(pte), set, clear);
			if (val == pte_val(pte))
				continue;
			pgtlib_arch_set_pte(ptep, val);
			done++;
			/* Only an entry that was valid can be in a TLB. */
			flush |= pgtlib_arch_pte_present(pte);
		}
		if (done)
			pgtlib_arch_sync_ptes();
		pgtlib_count(txn, pages_protected, done);
		break;
/* @stage end */
	default:
		return 0;
	}
	/*
	 * CPUs do not cache holes: only a valid entry that changed. Outside
	 * a transaction (the _noflush operations) the caller hands the range
	 * back instead.
	 */
	if (flush) {
		if (txn)
			pgtlib_txn_add_range(txn, start, addr);
		else if (op)
			op->dirty = true;
	}
	return ret;
}

/*
 * Out of line for the general path; the fast path has its own copy, and
 * no architecture needs to know that only PTEs changed.
 */
static noinline int pgtlib_apply_ptes(struct pgtlib_op *op, pte_t *ptep,
				      unsigned long addr, unsigned long end)
{
	op->mod_mask |= PGTBL_PTE_MODIFIED;
	return __pgtlib_apply_ptes(op->txn, op, op->kind, ptep, addr, end);
}

/*
 * Apply @op to [addr, end) at @level, in the table that @parent points to.
 * *@emptied tells the caller whether every entry of [addr, end) is a hole
 * afterwards, so that a table the range covers can be freed without
 * scanning it.
 */
static int pgtlib_apply(struct pgtlib_op *op, unsigned int level,
			void *parent, unsigned long addr, unsigned long end,
			bool *emptied)
{
	void *ep = pgtlib_entry_offset(op->space, level, parent, addr);
	unsigned long next;
	int ret = 0;

	*emptied = true;
	if (level == PGTLIB_LEVEL_PTE)
		return pgtlib_apply_ptes(op, ep, addr, end);
	do {
		unsigned long val;
		bool child_empty;

		next = pgtlib_entry_end(level, addr, end);
		if (pgtlib_level_folded(level)) {
			ret = pgtlib_apply(op, level - 1, ep, addr, next,
					   &child_empty);
			*emptied &= child_empty;
			goto next;
		}
		val = pgtlib_entry_read(level, ep);
		switch (pgtlib_entry_kind(level, val)) {
		case PGTLIB_HOLE:
			ret = pgtlib_apply_hole(op, level, ep, addr, next);
			break;
		case PGTLIB_LEAF:
			ret = pgtlib_apply_leaf(op, level, ep, val, addr, next);
			break;
		default:
			ret = pgtlib_apply_table(op, level, ep, addr, next);
			if (ret > 0) {
				*emptied = false;
				ret = 0;
			}
			break;
		}
next:
		if (ret)
			return ret;
		ep = pgtlib_entry_next(ep);
		addr = next;
	} while (addr != end);
	return 0;
}

static __always_inline int pgtlib_check_txn(struct pgtlib_txn *txn)
{
	if (!txn || WARN_ON_ONCE(!txn->open))
		return -EINVAL;
	return 0;
}

/* The open transaction and the range every operation starts by checking. */
static __always_inline int pgtlib_check_txn_range(struct pgtlib_txn *txn,
						  unsigned long va,
						  unsigned long size)
{
	return pgtlib_check_txn(txn) ?: pgtlib_check_range(txn->space, va,
							    size);
}

static __always_inline int pgtlib_check_prot(unsigned int prot)
{
	if (prot & ~PGTLIB_ARCH_PROT_SUPPORTED)
		return -EINVAL;
	if (!(prot & PGTLIB_PROT_READ))
		return -EINVAL;
	/* W^X: the kernel never maps memory writable and executable. */
	if ((prot & PGTLIB_PROT_WRITE) && (prot & PGTLIB_PROT_EXEC))
		return -EINVAL;
	if ((prot & PGTLIB_PROT_NOCACHE) && (prot & PGTLIB_PROT_WC))
		return -EINVAL;
	if (!pgtlib_arch_prot_ok(prot))
		return -EINVAL;
	return 0;
}

/* Every page of the array, out of line: only uncached maps come here. */
static noinline bool pgtlib_pages_cache_alias_ok(struct page **pages,
						 unsigned long nr)
{
	unsigned long i;

	/* A NULL page is refused later, with -EINVAL. */
	for (i = 0; i < nr; i++)
		if (pages[i] &&
		    !pgtlib_arch_cache_alias_ok(page_to_phys(pages[i]),
						PAGE_SIZE))
			return false;
	return true;
}

/*
 * The protection of a new mapping of [@phys, @phys + @size) in @space:
 * plain kernel data, read-only or not, is one test; anything else is
 * checked in full, and a live uncached or write-combining mapping must
 * not alias memory the direct map has write-back.
 */
static __always_inline int pgtlib_check_map_prot(struct pgtlib_space *space,
						 unsigned int prot,
						 phys_addr_t phys,
						 unsigned long size,
						 struct page **pages)
{
	int ret;

	if (likely((prot & ~PGTLIB_PROT_WRITE) == PGTLIB_PROT_READ))
		return 0;
	ret = pgtlib_check_prot(prot);
	if (ret || !(prot & (PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC)) ||
	    !(space->flags & PGTLIB_SPACE_LIVE))
		return ret;
	if (!pages)
		return pgtlib_arch_cache_alias_ok(phys, size) ? 0 : -EOPNOTSUPP;
	return pgtlib_pages_cache_alias_ok(pages, size >> PAGE_SHIFT) ?
	       0 : -EOPNOTSUPP;
}

/* @stage prot */
/*
 * A caller's pgprot_t (pgtlib_map_prot()): valid, made what pfn_pte() makes
 * of it, and not an uncached or write-combining live alias of RAM. The
 * rest is the caller's policy, W+X included, as it is vmap()'s.
 */
static noinline int pgtlib_check_caller_memtype(struct pgtlib_space *space,
						pgprot_t pgprot,
						phys_addr_t phys,
						unsigned long size,
						struct page **pages)
{
	unsigned int prot = pgtlib_arch_prot_decode(pgprot);

	if (!(prot & (PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC)) ||
	    !(space->flags & PGTLIB_SPACE_LIVE))
		return 0;
	if (!pages)
		return pgtlib_arch_cache_alias_ok(phys, size) ? 0 : -EOPNOTSUPP;
	return pgtlib_pages_cache_alias_ok(pages, size >> PAGE_SHIFT) ?
	       0 : -EOPNOTSUPP;
}

/* Inline up to the memory-type rules, which vmalloc keeps itself. */
static __always_inline int pgtlib_check_caller_pgprot(struct pgtlib_space *space,
						      pgprot_t *pgprot,
						      phys_addr_t phys,
						      unsigned long size,
						      struct page **pages,
						      unsigned int flags)
{
	bool valid;

	*pgprot = pgtlib_arch_caller_pgprot(*pgprot, &valid);
	if (!valid)
		return -EINVAL;
	if (flags & PGTLIB_MAP_CALLER_MEMTYPE)
		return 0;
	return pgtlib_check_caller_memtype(space, *pgprot, phys, size, pages);
}

/* @stage end */
/* The @n pages a take-back unmapped were never mapped, nor unmapped. */
static void pgtlib_take_back_uncount(struct pgtlib_txn *txn, unsigned long n)
{
	pgtlib_count(txn, pages_unmapped, -n);
	pgtlib_count(txn, pages_mapped, -n);
}

/*
 * A MAP met a leaf at @op->fail_addr: take back the leaves it wrote before,
 * so that the failed operation leaves every translation as it was.
 */
static void pgtlib_op_take_back(struct pgtlib_op *op)
{
	unsigned long unmapped = op->txn->stats.pages_unmapped;
	bool emptied;

	if (op->fail_addr <= op->start)
		return;
	op->kind = PGTLIB_OP_UNMAP;
	op->keep_tables = true;
	op->end = op->fail_addr;
	pgtlib_apply(op, PGTLIB_LEVEL_PGD, NULL, op->start, op->end, &emptied);
	pgtlib_take_back_uncount(op->txn,
				 op->txn->stats.pages_unmapped - unmapped);
}

/* @stage fast */
/*
 * The same for the fast path, whose MAP stayed in the PTE table @ptep and
 * wrote every PTE of [start, fail). @txn is NULL for a _noflush map, whose
 * caller hands back [start, fail) for invalidation.
 */
static noinline int pgtlib_ptes_take_back(struct pgtlib_txn *txn, pte_t *ptep,
					  unsigned long start,
					  unsigned long fail, int ret)
{
	__pgtlib_apply_ptes(txn, NULL, PGTLIB_OP_UNMAP, ptep, start, fail);
	pgtlib_take_back_uncount(txn, (fail - start) >> PAGE_SHIFT);
	return ret;
}

/*
 * The PMD entry for @addr if every level above it is a table, else NULL;
 * *@pmd is its value, read once. The kernel's typed helpers fold levels
 * themselves, so this is one short descent with no per-level dispatch;
 * each entry is read once, as GUP-fast does.
 */
static __always_inline pmd_t *pgtlib_pmd_lookup(struct pgtlib_space *space,
						unsigned long addr,
						pmd_t *pmd)
{
	pgd_t *pgdp = pgd_offset_pgd(space->pgd, addr), pgd;
	p4d_t *p4dp, p4d;
	pud_t *pudp, pud;
	pmd_t *pmdp;

	pgd = pgdp_get(pgdp);
	if (pgd_none(pgd))
		return NULL;
	p4dp = p4d_offset_lockless(pgdp, pgd, addr);
	p4d = p4dp_get(p4dp);
	if (p4d_none(p4d) || p4d_leaf(p4d))
		return NULL;
	pudp = pud_offset_lockless(p4dp, p4d, addr);
	pud = pudp_get(pudp);
	if (pud_none(pud) || pud_leaf(pud))
		return NULL;
	pmdp = pmd_offset_lockless(pudp, pud, addr);
	*pmd = pmdp_get(pmdp);
	return pmdp;
}

/* The PTE for @addr if every level above it is a table, else NULL. */
static __always_inline pte_t *pgtlib_pte_lookup(struct pgtlib_space *space,
						unsigned long addr)
{
	pmd_t pmd;

	if (!pgtlib_pmd_lookup(space, addr, &pmd) || pmd_none(pmd) ||
	    pmd_leaf(pmd))
		return NULL;
	return pte_offset_kernel(&pmd, addr);
}

/*
 * The PMD entry for @addr, as pgtlib_pmd_lookup() finds it, and its kind;
 * NULL where a level above is not a table.
 */
static __always_inline pmd_t *pgtlib_pmd_entry(struct pgtlib_space *space,
					       unsigned long addr, pmd_t *pmd,
					       enum pgtlib_entry_kind *kind)
{
	pmd_t *pmdp = pgtlib_pmd_lookup(space, addr, pmd);

	if (pmdp)
		*kind = pgtlib_entry_kind(PGTLIB_LEVEL_PMD, pmd_val(*pmd));
	return pmdp;
}

/*
 * Unmap the huge leaf at @pmdp, for [@addr, @addr + PMD_SIZE). Returns
 * true when there is no transaction to note the range in: the caller
 * hands it back.
 */
static __always_inline bool pgtlib_pmd_leaf_clear(struct pgtlib_txn *txn,
						  pmd_t *pmdp,
						  unsigned long addr)
{
	pgtlib_entry_write(PGTLIB_LEVEL_PMD, pmdp, 0);
	pgtlib_count(txn, pages_unmapped, PMD_SIZE >> PAGE_SHIFT);
	if (!txn)
		return true;
	pgtlib_txn_add_range(txn, addr, addr + PMD_SIZE);
	return false;
}

#define PGTLIB_PMD_FAST_DECLINED	1	/* take the general path */
#define PGTLIB_PMD_FAST_DIRTY		2	/* done; a valid entry changed */

/*
 * The fast path one level up, for a range that is exactly one PMD entry's
 * span (a 2M vmap_range() or huge vmalloc chunk): map one huge leaf into
 * a hole, or unmap a huge leaf. The same rule makes it safe without the
 * lock: only an operation whose range covers this span can change the
 * entry or the table that holds it. Inline, behind a test of the range's
 * size that the one-page path passes over. Returns 0 or an error as the
 * operation would, or one of PGTLIB_PMD_FAST_*.
 */
static __always_inline int pgtlib_pmd_fast(struct pgtlib_txn *txn,
					   struct pgtlib_space *space,
					   enum pgtlib_op_kind kind,
					   unsigned long addr, phys_addr_t phys,
					   pgprot_t prot, unsigned int flags)
{
	enum pgtlib_entry_kind ekind;
	pmd_t *pmdp, pmd;

	/* A new PMD entry that the architecture must copy elsewhere. */
	if (ARCH_PAGE_TABLE_SYNC_MASK & PGTBL_PMD_MODIFIED)
		return PGTLIB_PMD_FAST_DECLINED;
	pmdp = pgtlib_pmd_entry(space, addr, &pmd, &ekind);
	if (!pmdp)
		return PGTLIB_PMD_FAST_DECLINED;

	switch (ekind) {
	case PGTLIB_HOLE:
		if (kind == PGTLIB_OP_UNMAP)
			return 0;
		if ((flags & (PGTLIB_MAP_BASE_PAGES | PGTLIB_MAP_REPLACE)) ||
		    !__pgtlib_level_has_leaf(PGTLIB_LEVEL_PMD) ||
		    !IS_ALIGNED(phys, PMD_SIZE) ||
		    !pgtlib_arch_leaf_phys_ok(PGTLIB_LEVEL_PMD, phys))
			return PGTLIB_PMD_FAST_DECLINED;
		pgtlib_entry_write(PGTLIB_LEVEL_PMD, pmdp,
				   pgtlib_arch_mk_leaf(PGTLIB_LEVEL_PMD,
						       PHYS_PFN(phys), prot));
		pgtlib_count(txn, pages_mapped, PMD_SIZE >> PAGE_SHIFT);
		return 0;
	case PGTLIB_LEAF:
		if (kind == PGTLIB_OP_MAP)
			return flags & PGTLIB_MAP_REPLACE ?
			       PGTLIB_PMD_FAST_DECLINED : -EEXIST;
		/* A contiguous group of blocks is unfolded first. */
		if (pgtlib_arch_pmd_cont(pmd_val(pmd)))
			return PGTLIB_PMD_FAST_DECLINED;
		return pgtlib_pmd_leaf_clear(txn, pmdp, addr) ?
		       PGTLIB_PMD_FAST_DIRTY : 0;
	default:
		/* A table: the kernel space's unmaps go through the next. */
		return PGTLIB_PMD_FAST_DECLINED;
	}
}

/* Whether an end of an unmap at @addr in the PTEs at @ptep cuts a group. */
static bool pgtlib_cuts_cont(pte_t *ptep, unsigned long addr)
{
	return PGTLIB_ARCH_CONT_PTES > 1 &&
	       !IS_ALIGNED(addr, PGTLIB_CONT_SIZE) &&
	       pgtlib_arch_pte_cont(pte_val(pgtlib_arch_pte_get(ptep)));
}

/*
 * An unmap in the kernel space that crosses PMD entries' spans (vunmap()
 * of an area across a 2M boundary, or of a percpu chunk): in each span,
 * clear the huge leaf, which the range must cover whole, or the PTEs, and
 * keep the table, as the kernel space always does. Every span is checked
 * before any is changed, so that a range the general path must take (a
 * huge leaf or contiguous group cut in part, a level above a PMD that is
 * not a table) is changed by nothing here. Safe without the lock for the
 * reason pgtlib_pmd_fast() is. Returns as pgtlib_pmd_fast().
 */
static noinline int pgtlib_unmap_spans_fast(struct pgtlib_txn *txn,
					    struct pgtlib_space *space,
					    unsigned long start,
					    unsigned long end)
{
	/* Only its dirty flag is used, and only without @txn. */
	struct pgtlib_op op __uninitialized;
	enum pgtlib_entry_kind ekind;
	unsigned long addr, next;
	bool apply = false;
	pte_t *ptep, *last;
	pmd_t *pmdp, pmd;

	op.dirty = false;
again:
	for (addr = start; addr != end; addr = next) {
		next = pmd_addr_end(addr, end);
		pmdp = pgtlib_pmd_entry(space, addr, &pmd, &ekind);
		if (!pmdp)
			return PGTLIB_PMD_FAST_DECLINED;
		switch (ekind) {
		case PGTLIB_HOLE:
			break;
		case PGTLIB_LEAF:
			if (!apply) {
				if (next - addr != PMD_SIZE ||
				    pgtlib_arch_pmd_cont(pmd_val(pmd)))
					return PGTLIB_PMD_FAST_DECLINED;
				break;
			}
			if (pgtlib_pmd_leaf_clear(txn, pmdp, addr))
				op.dirty = true;
			break;
		default:
			ptep = pte_offset_kernel(&pmd, addr);
			if (apply) {
				__pgtlib_apply_ptes(txn, &op, PGTLIB_OP_UNMAP,
						    ptep, addr, next);
				break;
			}
			last = ptep + ((next - addr) >> PAGE_SHIFT) - 1;
			if ((addr == start && pgtlib_cuts_cont(ptep, addr)) ||
			    (next == end && pgtlib_cuts_cont(last, end)))
				return PGTLIB_PMD_FAST_DECLINED;
			break;
		}
	}
	if (!apply) {
		apply = true;
		goto again;
	}
	return op.dirty ? PGTLIB_PMD_FAST_DIRTY : 0;
}

/*
 * Most operations stay inside one PTE table that already exists. Map,
 * unmap or protect its PTEs without claiming tables or taking the lock:
 * the range is the caller's, and pgtlib frees, splits or collapses a
 * table only for an operation whose range covers all of it, so no other
 * operation can change the tables above the range meanwhile. Returns
 * false when the operation needs the general path.
 *
 * @op never leaves this function (the general path gets a copy), so it
 * stays in registers. The operations that use this are noinline only so
 * that GCC does not split their argument checks off into a wrapper of
 * their own (ipa-split), which would cost a call per operation.
 */
static __always_inline bool pgtlib_op_fast(struct pgtlib_op *op,
					   enum pgtlib_op_kind kind, int *ret)
{
	struct pgtlib_txn *txn = op->txn;
	pte_t *ptep;
	int r;

	if (kind != PGTLIB_OP_MAP && kind != PGTLIB_OP_UNMAP &&
	    kind != PGTLIB_OP_PROTECT)
		return false;
	if (kind == PGTLIB_OP_MAP && (op->flags & PGTLIB_MAP_REPLACE))
		return false;
	/* Remapping what this transaction unmapped: the general path flushes. */
	if (kind == PGTLIB_OP_MAP && txn &&
	    unlikely(pgtlib_txn_pending(txn, op->start, op->end)))
		return false;
	/* One PMD entry's span: one huge leaf, or none. */
	if (op->end - op->start == PMD_SIZE &&
	    IS_ALIGNED(op->start, PMD_SIZE) && kind != PGTLIB_OP_PROTECT &&
	    !(kind == PGTLIB_OP_MAP && op->pages)) {
		r = pgtlib_pmd_fast(txn, op->space, kind, op->start,
				    kind == PGTLIB_OP_MAP ? op->phys : 0,
				    kind == PGTLIB_OP_MAP ?
				    op->prot : __pgprot(0), op->flags);
		if (r != PGTLIB_PMD_FAST_DECLINED)
			goto done;
	}
	/* A kernel space unmap across spans, or of a whole PTE table. */
	if (kind == PGTLIB_OP_UNMAP &&
	    (op->space->flags & PGTLIB_SPACE_KERNEL) &&
	    ((op->start ^ (op->end - 1)) & PMD_MASK ||
	     op->end - op->start >= PMD_SIZE)) {
		r = pgtlib_unmap_spans_fast(txn, op->space, op->start,
					    op->end);
		if (r != PGTLIB_PMD_FAST_DECLINED)
			goto done;
	}
	/* Inside one PMD entry's span, and not all of it. */
	if ((op->start ^ (op->end - 1)) & PMD_MASK ||
	    op->end - op->start >= PMD_SIZE)
		return false;
	ptep = pgtlib_pte_lookup(op->space, op->start);
	if (!ptep)
		return false;
	/* A contiguous group the range cuts must be unfolded first. */
	if (PGTLIB_ARCH_CONT_PTES > 1 &&
	    ((!IS_ALIGNED(op->start, PGTLIB_CONT_SIZE) &&
	      pgtlib_arch_pte_cont(pte_val(pgtlib_arch_pte_get(ptep)))) ||
	     (!IS_ALIGNED(op->end, PGTLIB_CONT_SIZE) &&
	      pgtlib_arch_pte_cont(pte_val(pgtlib_arch_pte_get(ptep +
			((op->end - op->start) >> PAGE_SHIFT) - 1))))))
		return false;

	*ret = __pgtlib_apply_ptes(txn, op, kind, ptep, op->start, op->end);
	if (*ret && op->fail_addr > op->start)
		*ret = pgtlib_ptes_take_back(txn, ptep, op->start,
					     op->fail_addr, *ret);
	return true;
done:
	op->dirty = r == PGTLIB_PMD_FAST_DIRTY;
	*ret = r == PGTLIB_PMD_FAST_DIRTY ? 0 : r;
	return true;
}

/* @stage end */
/* @stage split */
/* Operations that split the huge leaves their range covers in part. */
static bool pgtlib_op_splits(struct pgtlib_op *op)
{
	return op->kind == PGTLIB_OP_UNMAP || op->kind == PGTLIB_OP_PROTECT ||
	       (op->kind == PGTLIB_OP_MAP && (op->flags & PGTLIB_MAP_REPLACE));
}

/* @stage end */
static unsigned long pgtlib_map_bound(struct pgtlib_op *op)
{
	unsigned long n = pgtlib_hole_bound(op->start, op->end);

/* @stage split */
	if (op->flags & PGTLIB_MAP_REPLACE)
		n += pgtlib_split_bound(op->start) + pgtlib_split_bound(op->end);
/* @stage end */
	return n;
}

/* @stage pages */
static bool pgtlib_pages_ok(struct pgtlib_op *op)
{
	unsigned long i, nr = (op->end - op->start) >> PAGE_SHIFT;

	for (i = 0; i < nr; i++)
		if (!op->pages[i])
			return false;
	return true;
}

/* @stage end */
/* An upper bound of the tables that applying @op installs. */
static unsigned long pgtlib_op_bound(struct pgtlib_op *op)
{
	switch (op->kind) {
	case PGTLIB_OP_MAP:
		return pgtlib_map_bound(op);
	case PGTLIB_OP_RESERVE:
		return op->reserve_need;
	default:
		return 0;
	}
}

/* @stage exact */
/*
 * How many of @op's @bound tables to allocate. Spares that cover the bound
 * save a walk: they are claimed here, and none is left to allocate.
 * Otherwise a dry run of apply's descent counts what the range lacks.
 */
static unsigned long pgtlib_op_exact(struct pgtlib_op *op,
				     unsigned long bound)
{
	unsigned long exact = 0;
/* @stage split */
	bool cut;
/* @stage end */

	if (bound <= READ_ONCE(op->space->nr_spare) &&
	    !pgtlib_tables_claim(op->txn, &op->tables, bound, false,
				 op->start, op->end))
		return 0;
	if (op->kind == PGTLIB_OP_MAP || op->kind == PGTLIB_OP_RESERVE)
		exact = pgtlib_count_tables(op, PGTLIB_LEVEL_PGD, NULL,
					    op->start, op->end, false);
/* @stage split */
	if (pgtlib_op_splits(op))
		exact += pgtlib_count_splits(op, op->start, 0, &cut) +
			 pgtlib_count_splits(op, op->end, op->start, &cut);
/* @stage end */
	return min(exact, bound);
}

/* @stage end */
/*
 * Run @op the general way: prepare (claim tables), then apply under the
 * space's lock.
 */
static noinline int pgtlib_op_slow(struct pgtlib_op *op)
{
	struct pgtlib_txn *txn = op->txn;
	struct pgtlib_space *space = op->space;
/* @stage replace */
	bool live = space->flags & PGTLIB_SPACE_LIVE;
/* @stage end */
	unsigned long bound, end = op->end;	/* take-back cuts it */
	bool emptied;
/* @stage split */
	unsigned long splits;
	bool cut = true;
/* @stage end */
	int ret;

/* @stage pages */
	/*
	 * The fast path meets a NULL page in its loop and takes back what it
	 * mapped. Here tables are installed and leaves may be replaced before
	 * the loop gets there: check first.
	 */
	if (op->pages && !pgtlib_pages_ok(op))
		return -EINVAL;

/* @stage end */
	/*
	 * The general path takes the space's lock and may invalidate under
	 * it, by IPI on x86: another CPU spinning on that lock with
	 * interrupts off would never answer. There, with interrupts off,
	 * only the lockless fast path runs.
	 */
	if (pgtlib_cannot_flush(space))
		return -EAGAIN;

	/*
	 * Mapping where this transaction unmapped and has not yet
	 * invalidated: a TLB may still hold the old translation, and arm64
	 * forbids making an entry valid before that one is gone.
	 */
	if (op->kind == PGTLIB_OP_MAP &&
	    pgtlib_txn_pending(txn, op->start, op->end))
		pgtlib_txn_flush(txn);

	INIT_LIST_HEAD(&op->tables);
	op->mod_mask = 0;
	op->split_lo = ULONG_MAX;
	op->split_hi = 0;
	op->keep_tables = txn->flags & PGTLIB_TXN_NOALLOC;

/* @stage split */
	if (op->kind == PGTLIB_OP_UNMAP || op->kind == PGTLIB_OP_PROTECT) {
		/* Two short descents tell exactly what the ends cut. */
		cut = false;
		splits = pgtlib_count_splits(op, op->start, 0, &cut) +
			 pgtlib_count_splits(op, op->end, op->start, &cut);
		ret = pgtlib_tables_claim(txn, &op->tables, splits, true,
					  op->start, op->end);
		if (ret)
			return ret;
		cut = cut || splits;
/* @stage cont */
		/* Contiguous groups an end cuts are unfolded without one. */
		cut = cut || (PGTLIB_ARCH_CONT_PTES > 1 &&
			      !(IS_ALIGNED(op->start, PGTLIB_CONT_SIZE) &&
				IS_ALIGNED(op->end, PGTLIB_CONT_SIZE)));
/* @stage end */
		goto apply;
	}

/* @stage end */
	bound = pgtlib_op_bound(op);
/* @stage exact */
	bound = pgtlib_op_exact(op, bound);
/* @stage end */
	ret = pgtlib_tables_claim(txn, &op->tables, bound, true, op->start,
				  op->end);
	if (ret)
		return ret;

/* @stage split */
apply:
/* @stage end */
	spin_lock(space->lock);
/* @stage split */
	if (cut && pgtlib_op_splits(op)) {
		ret = pgtlib_op_split_at(op, op->start) ?:
		      pgtlib_op_split_at(op, op->end);
		/*
		 * A TLB may still hold the huge leaf; flush it before any of
		 * the smaller leaves that replaced it changes.
		 */
		if (PGTLIB_ARCH_FLUSH_AFTER_SPLIT && live &&
		    (op->kind != PGTLIB_OP_UNMAP || ret) &&
		    op->split_lo < op->split_hi) {
			pgtlib_txn_add_range(txn, op->split_lo, op->split_hi);
			pgtlib_txn_flush(txn);
		}
		if (ret)
			goto unlock;
	}
/* @stage end */
/* @stage replace */
	if (PGTLIB_ARCH_NEEDS_BBM && live && op->kind == PGTLIB_OP_MAP &&
	    (op->flags & PGTLIB_MAP_REPLACE)) {
		unsigned long unmapped = txn->stats.pages_unmapped;

		ret = -EBUSY;
		if (pgtlib_bbm_refused(op, op->start, op->end))
			goto unlock;

		/* Break before make: clear what is there and flush it first. */
		op->kind = PGTLIB_OP_UNMAP;
		op->keep_tables = true;
		pgtlib_apply(op, PGTLIB_LEVEL_PGD, NULL, op->start, op->end,
			     &emptied);
		pgtlib_txn_flush(txn);
		/* Replaced, not unmapped. */
		pgtlib_count(txn, pages_unmapped,
			     unmapped - txn->stats.pages_unmapped);
		op->kind = PGTLIB_OP_MAP;
		op->keep_tables = txn->flags & PGTLIB_TXN_NOALLOC;
	}
/* @stage end */

	ret = pgtlib_apply(op, PGTLIB_LEVEL_PGD, NULL, op->start, op->end,
			   &emptied);
	if (ret && op->fail_addr)
		pgtlib_op_take_back(op);
/* @stage replace */
unlock:
/* @stage end */
	spin_unlock(space->lock);

	if ((space->flags & PGTLIB_SPACE_KERNEL) &&
	    (op->mod_mask & ARCH_PAGE_TABLE_SYNC_MASK))
		arch_sync_kernel_mappings(op->start, end);

	pgtlib_tables_release(txn, &op->tables,
			      txn->flags & PGTLIB_TXN_NOALLOC, op->start, op->end);
	return ret;
}

/*
 * The general path for what the fast path declined, one entry per
 * operation. Inputs come by value, so that the caller's copy of its
 * operation never leaves registers.
 */
static noinline int pgtlib_map_slow(struct pgtlib_txn *txn, unsigned long va,
				    unsigned long size, phys_addr_t phys,
				    struct page **pages, pgprot_t prot,
				    unsigned int flags)
{
	struct pgtlib_op op __uninitialized;

	pgtlib_op_init(&op, txn, PGTLIB_OP_MAP, va, size);
	op.flags = flags;
	op.phys = phys;
	op.pages = pages;
	op.prot = prot;
	return pgtlib_op_slow(&op);
}

static noinline int pgtlib_unmap_slow(struct pgtlib_txn *txn,
				      unsigned long va, unsigned long size)
{
	struct pgtlib_op op __uninitialized;

	pgtlib_op_init(&op, txn, PGTLIB_OP_UNMAP, va, size);
	return pgtlib_op_slow(&op);
}

/* @stage noflush */
/*
 * The _noflush operations' general path: a transaction of their own,
 * committed with pgtlib_txn_commit_deferred(), which hands back @range.
 */
static noinline int pgtlib_noflush_slow(struct pgtlib_space *space,
					enum pgtlib_op_kind kind,
					unsigned long va, unsigned long size,
					phys_addr_t phys, struct page **pages,
					pgprot_t prot, unsigned int flags,
					struct pgtlib_range *range)
{
	struct pgtlib_txn txn;
	int ret;

	pgtlib_txn_begin(&txn, space, 0);
	if (kind == PGTLIB_OP_MAP)
		ret = pgtlib_map_slow(&txn, va, size, phys, pages, prot, flags);
	else
		ret = pgtlib_unmap_slow(&txn, va, size);
	pgtlib_txn_commit_deferred(&txn, range);
	return ret;
}

/*
 * The start of a _noflush operation other than a map: an empty @range to
 * hand back, and the range checked.
 */
static __always_inline int pgtlib_noflush_begin(struct pgtlib_space *space,
						unsigned long va,
						unsigned long size,
						struct pgtlib_range *range)
{
	range->start = va;
	range->end = va;
	return pgtlib_check_range(space, va, size);
}

/*
 * What a _noflush operation that the fast path finished hands back: the
 * range if it changed a valid entry, or the part a failed map wrote and
 * took back.
 */
static __always_inline void pgtlib_noflush_range(struct pgtlib_op *op,
						 int ret,
						 struct pgtlib_range *range)
{
	range->start = op->start;
	range->end = op->start;
	if (op->dirty)
		range->end = op->end;
	else if (ret && op->fail_addr > op->start)
		range->end = op->fail_addr;
}

/* @stage end */
/* @stage protect */
static noinline int pgtlib_protect_slow(struct pgtlib_txn *txn,
					unsigned long va, unsigned long size,
					pgprot_t set, pgprot_t clear)
{
	struct pgtlib_op op __uninitialized;

	pgtlib_op_init(&op, txn, PGTLIB_OP_PROTECT, va, size);
	op.set_mask = set;
	op.clear_mask = clear;
	return pgtlib_op_slow(&op);
}

/* @stage end */
/*
 * The start of every map: the open transaction's space, or for a _noflush
 * map (@txn NULL) the caller's @space, and an empty @range.
 */
static __always_inline int pgtlib_map_begin(struct pgtlib_txn *txn,
					    struct pgtlib_space **space,
					    unsigned long va,
					    struct pgtlib_range *range)
{
	int ret;

/* @stage noflush */
	if (!txn) {
		range->start = va;
		range->end = va;
		return 0;
	}
/* @stage end */
	ret = pgtlib_check_txn(txn);
	if (!ret)
		*space = txn->space;
	return ret;
}

/* @stage fast */
/* A map that the fast path finished returns this. */
static __always_inline int pgtlib_map_fast_done(struct pgtlib_txn *txn,
						struct pgtlib_op *op, int ret,
						struct pgtlib_range *range)
{
/* @stage noflush */
	if (!txn)
		pgtlib_noflush_range(op, ret, range);
/* @stage end */
	return ret;
}

/* @stage end */
/* Run a checked map: the fast path, or the general path for its kind. */
static __always_inline int pgtlib_map_run(struct pgtlib_txn *txn,
					  struct pgtlib_op *op,
					  struct pgtlib_range *range)
{
	unsigned long size = op->end - op->start;
/* @stage fast */
	int ret;
/* @stage end */

/* @stage fast */
	if (pgtlib_op_fast(op, PGTLIB_OP_MAP, &ret))
		return pgtlib_map_fast_done(txn, op, ret, range);
/* @stage end */
/* @stage noflush */
	if (!txn)
		return pgtlib_noflush_slow(op->space, PGTLIB_OP_MAP, op->start,
					   size, op->phys, op->pages, op->prot,
					   op->flags, range);
/* @stage end */
	return pgtlib_map_slow(txn, op->start, size, op->phys, op->pages,
			       op->prot, op->flags);
}

/*
 * The body of pgtlib_map(), pgtlib_map_prot() and pgtlib_map_prot_noflush(),
 * inlined into each: @raw (a constant there) says whether the protection
 * is @prot's %PGTLIB_PROT_* bits or the caller's @pgprot; a NULL @txn (a
 * constant too) makes it a _noflush operation on @space, which sets
 * @range.
 */
static __always_inline int __pgtlib_map(struct pgtlib_txn *txn,
					struct pgtlib_space *space,
					unsigned long va, phys_addr_t phys,
					unsigned long size, unsigned int prot,
					pgprot_t pgprot, bool raw,
					unsigned int flags,
					struct pgtlib_range *range)
{
	struct pgtlib_op op __uninitialized;
	int ret;

	ret = pgtlib_map_begin(txn, &space, va, range);
	if (ret)
		return ret;
	if (flags & ~(PGTLIB_MAP_BASE_PAGES |
/* @stage replace */
		      PGTLIB_MAP_REPLACE |
/* @stage end */
		      PGTLIB_MAP_NO_CONT | PGTLIB_MAP_MAX_PMD |
		      (raw ? PGTLIB_MAP_CALLER_MEMTYPE : 0)))
		return -EINVAL;
	if (!PAGE_ALIGNED(phys) || phys + size < phys)
		return -EINVAL;
	ret = pgtlib_check_range(space, va, size);
	if (ret)
		return ret;
	if (!raw)
		ret = pgtlib_check_map_prot(space, prot, phys, size, NULL);
/* @stage prot */
	else
		ret = pgtlib_check_caller_pgprot(space, &pgprot, phys, size,
						 NULL, flags);
/* @stage end */
	if (ret)
		return ret;
	if (!pgtlib_arch_phys_ok(phys + size - 1))
		return -ERANGE;
	__pgtlib_op_init(&op, txn, space, PGTLIB_OP_MAP, va, size);
	op.flags = flags;
	op.phys = phys;
	op.prot = raw ? pgprot : pgtlib_arch_pgprot(prot);
	return pgtlib_map_run(txn, &op, range);
}

/**
 * pgtlib_map() - map a physically contiguous range
 * @txn: an open transaction
 * @va: first virtual address, page aligned
 * @phys: first physical address, page aligned
 * @size: bytes to map, a multiple of PAGE_SIZE
 * @prot: %PGTLIB_PROT_* bits; %PGTLIB_PROT_READ is required
 * @flags: %PGTLIB_MAP_BASE_PAGES to use PTEs only (and no contiguous hint),
/* @stage replace */
 *	%PGTLIB_MAP_REPLACE to replace leaves already in the range,
/* @stage end */
 *	%PGTLIB_MAP_NO_CONT for no contiguous hint, %PGTLIB_MAP_MAX_PMD for no
 *	leaf larger than a PMD (vmalloc's max_page_shift)
 *
 * Uses the largest leaves that the alignment of @va and @phys and the CPU
 * allow, and on arm64 the contiguous bit for aligned groups of PTEs that
 * map into holes. Fails without changing any translation.
 *
 * Context: may sleep unless @txn was begun with %PGTLIB_TXN_NOALLOC.
 * Return: 0; -EINVAL for misaligned or empty or wrapping arguments, bad
 * flags or protection the architecture cannot express (including W+X);
 * -ERANGE for a range outside the space or physical addresses beyond what
 * the CPU can address; -EPERM for a range shared with
 * init_mm; -EEXIST if anything is mapped there already; -ENOMEM if a
 * table could not be had;
 * -EOPNOTSUPP for an uncached or WC live mapping of memory the direct map
 * aliases (x86: RAM); -EAGAIN if it would need the general path with
 * interrupts disabled (x86);
/* @stage replace */
 * -EBUSY for break-before-make where no caller can own the memory (arm64):
 * see <linux/pgtlib.h>.
/* @stage end */
 */
noinline int pgtlib_map(struct pgtlib_txn *txn, unsigned long va,
			phys_addr_t phys, unsigned long size,
			unsigned int prot, unsigned int flags)
{
	return __pgtlib_map(txn, NULL, va, phys, size, prot, __pgprot(0), false,
			    flags, NULL);
}
EXPORT_SYMBOL_GPL(pgtlib_map);

/* @stage pages */
/* The body of the pgtlib_map_pages*() functions, as above. */
static __always_inline int __pgtlib_map_pages(struct pgtlib_txn *txn,
					      struct pgtlib_space *space,
					      unsigned long va,
					      struct page **pages,
					      unsigned int nr_pages,
					      unsigned int prot,
					      pgprot_t pgprot, bool raw,
					      unsigned int flags,
					      struct pgtlib_range *range)
{
	unsigned long size = (unsigned long)nr_pages << PAGE_SHIFT;
	struct pgtlib_op op __uninitialized;
	int ret;

	ret = pgtlib_map_begin(txn, &space, va, range);
	if (ret)
		return ret;
	if (!pages || !nr_pages ||
	    (flags & ~(PGTLIB_MAP_REPLACE |
		       (raw ? PGTLIB_MAP_CALLER_MEMTYPE : 0))))
		return -EINVAL;
	ret = pgtlib_check_range(space, va, size);
	if (ret)
		return ret;
	if (!raw)
		ret = pgtlib_check_map_prot(space, prot, 0, size, pages);
/* @stage prot */
	else
		ret = pgtlib_check_caller_pgprot(space, &pgprot, 0, size,
						 pages, flags);
/* @stage end */
	if (ret)
		return ret;
	__pgtlib_op_init(&op, txn, space, PGTLIB_OP_MAP, va, size);
	op.flags = flags | PGTLIB_MAP_BASE_PAGES;
	op.phys = 0;
	op.pages = pages;
	op.prot = raw ? pgprot : pgtlib_arch_pgprot(prot);
	return pgtlib_map_run(txn, &op, range);
}

/**
 * pgtlib_map_pages() - map an array of pages at consecutive addresses
 * @txn: an open transaction
 * @va: first virtual address, page aligned
 * @pages: @nr_pages pages, none NULL
 * @nr_pages: pages to map
 * @prot: %PGTLIB_PROT_* bits; %PGTLIB_PROT_READ is required
 * @flags: %PGTLIB_MAP_REPLACE to replace leaves already in the range
 *
 * Maps each page with a PTE, as vmap() does. Fails without changing any
 * translation.
 *
 * Context: may sleep unless @txn was begun with %PGTLIB_TXN_NOALLOC.
 * Return: as pgtlib_map(); -EINVAL also for a NULL page.
 */
noinline int pgtlib_map_pages(struct pgtlib_txn *txn, unsigned long va,
			      struct page **pages, unsigned int nr_pages,
			      unsigned int prot, unsigned int flags)
{
	return __pgtlib_map_pages(txn, NULL, va, pages, nr_pages, prot,
				  __pgprot(0), false, flags, NULL);
}
EXPORT_SYMBOL_GPL(pgtlib_map_pages);

/* @stage end */
/* @stage prot */
/**
 * pgtlib_map_prot() - pgtlib_map() with the caller's page protection
 * @txn: an open transaction
 * @va: first virtual address, page aligned
 * @phys: first physical address, page aligned
 * @size: bytes to map, a multiple of PAGE_SIZE
 * @prot: a PTE-form protection, as vmap() takes (%PAGE_KERNEL,
 *	%PAGE_KERNEL_ROX, pgprot_writecombine(%PAGE_KERNEL), ...)
 * @flags: as pgtlib_map(), and %PGTLIB_MAP_CALLER_MEMTYPE
 *
 * For callers that own the protection bits, as vmalloc's do: every leaf is
 * bit for bit what the kernel's own vmap code writes for @prot, pfn_pte()
 * for a PTE and pmd_set_huge() or pud_set_huge() for a huge leaf. pgtlib's
 * own policy for %PGTLIB_PROT_* (W^X) is not applied: @prot is the
 * caller's. So are the memory-type rules with %PGTLIB_MAP_CALLER_MEMTYPE:
 * an uncached or write-combining mapping of RAM is then not refused, for
 * callers that keep the architecture's rules themselves (x86 ioremap()'s
 * memtype_reserve(), set_memory_wc() of pages before vmap()).
 *
 * Context: as pgtlib_map().
 * Return: as pgtlib_map(); -EINVAL also for a @prot that does not make a
 * valid entry.
 */
noinline int pgtlib_map_prot(struct pgtlib_txn *txn, unsigned long va,
			     phys_addr_t phys, unsigned long size,
			     pgprot_t prot, unsigned int flags)
{
	return __pgtlib_map(txn, NULL, va, phys, size, 0, prot, true, flags,
			    NULL);
}
EXPORT_SYMBOL_GPL(pgtlib_map_prot);

/* @stage end */
/* @stage prot */
/**
 * pgtlib_map_pages_prot() - pgtlib_map_pages() with the caller's protection
 * @txn: an open transaction
 * @va: first virtual address, page aligned
 * @pages: @nr_pages pages, none NULL
 * @nr_pages: pages to map
 * @prot: a PTE-form protection, as for pgtlib_map_prot()
 * @flags: %PGTLIB_MAP_REPLACE to replace leaves already in the range,
 *	%PGTLIB_MAP_CALLER_MEMTYPE as for pgtlib_map_prot()
 *
 * Maps each page with the PTE pfn_pte() makes of it and @prot, as
 * vmap_pages_range_noflush() does.
 *
 * Context: as pgtlib_map().
 * Return: as pgtlib_map_pages(); -EINVAL also for a @prot that does not
 * make a valid entry.
 */
noinline int pgtlib_map_pages_prot(struct pgtlib_txn *txn, unsigned long va,
				   struct page **pages, unsigned int nr_pages,
				   pgprot_t prot, unsigned int flags)
{
	return __pgtlib_map_pages(txn, NULL, va, pages, nr_pages, 0, prot,
				  true, flags, NULL);
}
EXPORT_SYMBOL_GPL(pgtlib_map_pages_prot);

/* @stage end */
/**
 * pgtlib_unmap() - remove every translation in a range
 * @txn: an open transaction
 * @va: first virtual address, page aligned
 * @size: bytes, a multiple of PAGE_SIZE
 *
 * Huge leaves the range covers only in part are split first. Tables the
 * range covers entirely and that pgtlib allocated are freed after the
 * transaction's flush (but kept in a %PGTLIB_TXN_NOALLOC transaction).
 * Holes in the range are not an error.
 *
 * Context: may sleep unless @txn was begun with %PGTLIB_TXN_NOALLOC.
 * Return: 0; -EINVAL, -ERANGE or -EPERM for a bad range as pgtlib_map();
 * -ENOMEM if a split needed a table that could not be had; -EBUSY as
 * pgtlib_map().
 */
noinline int pgtlib_unmap(struct pgtlib_txn *txn, unsigned long va,
			  unsigned long size)
{
/* @stage fast */
	struct pgtlib_op op __uninitialized;
/* @stage end */
	int ret;

	ret = pgtlib_check_txn_range(txn, va, size);
	if (ret)
		return ret;
/* @stage fast */
	pgtlib_op_init(&op, txn, PGTLIB_OP_UNMAP, va, size);
	if (pgtlib_op_fast(&op, PGTLIB_OP_UNMAP, &ret))
		return ret;
/* @stage end */
	return pgtlib_unmap_slow(txn, va, size);
}
EXPORT_SYMBOL_GPL(pgtlib_unmap);

/* @stage noflush */
/**
 * pgtlib_map_prot_noflush() - pgtlib_map_prot() as a transaction of its own
 * @space: the space to change
 * @va: first virtual address, page aligned
 * @phys: first physical address, page aligned
 * @size: bytes to map, a multiple of PAGE_SIZE
 * @prot: a PTE-form protection, as for pgtlib_map_prot()
 * @flags: as for pgtlib_map_prot()
 * @range: set to what the caller must invalidate
 *
 * One operation, committed as pgtlib_txn_commit_deferred() commits: for
 * callers with the ``_noflush`` convention that make one change at a time,
 * as vmap_range_noflush() does. An operation inside one existing PTE table
 * never builds a transaction at all, which is most of what a one-page
 * change would cost. Mapping into holes needs no invalidation, so @range
 * is empty unless %PGTLIB_MAP_REPLACE replaced a leaf, or a failed map
 * took back leaves it had written (a CPU may have cached them meanwhile).
 *
 * Context: may sleep.
 * Return: as pgtlib_map_prot().
 */
noinline int pgtlib_map_prot_noflush(struct pgtlib_space *space,
				     unsigned long va, phys_addr_t phys,
				     unsigned long size, pgprot_t prot,
				     unsigned int flags,
				     struct pgtlib_range *range)
{
	return __pgtlib_map(NULL, space, va, phys, size, 0, prot, true, flags,
			    range);
}
EXPORT_SYMBOL_GPL(pgtlib_map_prot_noflush);

/**
 * pgtlib_map_pages_prot_noflush() - pgtlib_map_pages_prot() as a
 *	transaction of its own
 * @space: the space to change
 * @va: first virtual address, page aligned
 * @pages: @nr_pages pages, none NULL
 * @nr_pages: pages to map
 * @prot: a PTE-form protection, as for pgtlib_map_prot()
 * @flags: as for pgtlib_map_pages_prot()
 * @range: set to what the caller must invalidate
 *
 * As pgtlib_map_prot_noflush(), for an array of pages: what
 * vmap_pages_range_noflush() needs.
 *
 * Context: may sleep.
 * Return: as pgtlib_map_pages_prot().
 */
noinline int pgtlib_map_pages_prot_noflush(struct pgtlib_space *space,
					   unsigned long va,
					   struct page **pages,
					   unsigned int nr_pages,
					   pgprot_t prot, unsigned int flags,
					   struct pgtlib_range *range)
{
	return __pgtlib_map_pages(NULL, space, va, pages, nr_pages, 0, prot,
				  true, flags, range);
}
EXPORT_SYMBOL_GPL(pgtlib_map_pages_prot_noflush);

/**
 * pgtlib_unmap_noflush() - pgtlib_unmap() as a transaction of its own,
 *	leaving the invalidation to the caller
 * @space: the space to change
 * @va: first virtual address, page aligned
 * @size: bytes, a multiple of PAGE_SIZE
 * @range: set to what the caller must invalidate
 *
 * One unmap, committed as pgtlib_txn_commit_deferred() commits: nothing is
 * invalidated here (unless table pages were removed, which are invalidated
 * before they are freed), and @range is set to [@va, @va + @size) if a
 * valid entry was removed, for the caller to invalidate before it frees
 * the memory that was mapped, as vunmap_range_noflush()'s callers do. An
 * unmap inside one existing PTE table builds no transaction.
 *
 * Context: may sleep.
 * Return: as pgtlib_unmap().
 */
noinline int pgtlib_unmap_noflush(struct pgtlib_space *space,
				  unsigned long va, unsigned long size,
				  struct pgtlib_range *range)
{
	struct pgtlib_op op __uninitialized;
	int ret;

	ret = pgtlib_noflush_begin(space, va, size, range);
	if (ret)
		return ret;
	__pgtlib_op_init(&op, NULL, space, PGTLIB_OP_UNMAP, va, size);
	if (pgtlib_op_fast(&op, PGTLIB_OP_UNMAP, &ret)) {
		pgtlib_noflush_range(&op, ret, range);
		return ret;
	}
	return pgtlib_noflush_slow(space, PGTLIB_OP_UNMAP, va, size, 0, NULL,
				   __pgprot(0), 0, range);
}
EXPORT_SYMBOL_GPL(pgtlib_unmap_noflush);

/* @stage end */
/* @stage protect */
struct pgtlib_prot_change {
	unsigned int set;
	unsigned int clear;
	bool live;
};

/*
 * Every leaf's new protection must be one the architecture can express,
 * and a live leaf may only get a memory type that aliases nothing.
 */
static int pgtlib_prot_change_ok(const struct pgtlib_leaf *leaf, void *arg)
{
	const struct pgtlib_prot_change *c = arg;

	if (!leaf->present)
		return 0;
	if (!pgtlib_arch_prot_ok((leaf->prot | c->set) & ~c->clear))
		return -EINVAL;
	if (c->live && (c->set & (PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC)) &&
	    !pgtlib_arch_cache_alias_ok(leaf->phys, leaf->size))
		return -EOPNOTSUPP;
	return 0;
}

/*
 * The end of pgtlib_protect() and pgtlib_protect_prot(), inlined into
 * each: apply PTE-form masks to every present leaf of the range.
 */
static __always_inline int pgtlib_protect_masks(struct pgtlib_txn *txn,
						unsigned long va,
						unsigned long size,
						pgprot_t set, pgprot_t clear)
{
/* @stage fast */
	struct pgtlib_op op __uninitialized;
	int ret;

	pgtlib_op_init(&op, txn, PGTLIB_OP_PROTECT, va, size);
	op.set_mask = set;
	op.clear_mask = clear;
	if (pgtlib_op_fast(&op, PGTLIB_OP_PROTECT, &ret))
		return ret;
/* @stage end */
	return pgtlib_protect_slow(txn, va, size, set, clear);
}

/**
 * pgtlib_protect() - change the protection of the leaves in a range
 * @txn: an open transaction
 * @va: first virtual address, page aligned
 * @size: bytes, a multiple of PAGE_SIZE
 * @set: %PGTLIB_PROT_* bits to set
 * @clear: %PGTLIB_PROT_* bits to clear
 *
 * Splits a huge leaf only where the range covers part of it. Holes in the
 * range are skipped. The result can never be writable and executable:
 * setting %PGTLIB_PROT_WRITE requires clearing %PGTLIB_PROT_EXEC and vice
 * versa. Setting one cache mode clears the other. Making a leaf executable
 * fails if its memory type cannot be (arm64 Device and Normal-NC).
 *
 * Context: may sleep unless @txn was begun with %PGTLIB_TXN_NOALLOC.
 * Return: 0; -EINVAL for bad bits (clearing %PGTLIB_PROT_READ, a bit both
 * set and cleared, bits the architecture cannot express, a possible W+X
 * result) or a bad range; -ERANGE, -EPERM as pgtlib_map(); -EOPNOTSUPP for
 * a cache-mode change of a live space that needs break-before-make, or
 * that would alias the direct map (x86: RAM made uncached or WC);
 * -ENOMEM if a split needed a table that could not be had; -EAGAIN and
 * -EBUSY as pgtlib_map().
 */
noinline int pgtlib_protect(struct pgtlib_txn *txn, unsigned long va,
			    unsigned long size, unsigned int set,
			    unsigned int clear)
{
	unsigned int cache = PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC;
	pgprot_t set_mask, clear_mask;
	int ret;

	ret = pgtlib_check_txn(txn);
	if (ret)
		return ret;
	if ((set | clear) & ~PGTLIB_ARCH_PROT_SUPPORTED || (set & clear) ||
	    (clear & PGTLIB_PROT_READ) || (set & cache) == cache)
		return -EINVAL;
	if (((set & PGTLIB_PROT_WRITE) && !(clear & PGTLIB_PROT_EXEC)) ||
	    ((set & PGTLIB_PROT_EXEC) && !(clear & PGTLIB_PROT_WRITE)))
		return -EINVAL;
	ret = pgtlib_check_range(txn->space, va, size);
	if (ret)
		return ret;
	if (PGTLIB_ARCH_NEEDS_BBM && ((set | clear) & cache) &&
	    (txn->space->flags & PGTLIB_SPACE_LIVE))
		return -EOPNOTSUPP;
	if (set & cache)
		clear |= cache & ~set;
	if (set & (PGTLIB_PROT_EXEC | cache)) {
		struct pgtlib_prot_change c = {
			.set = set,
			.clear = clear,
			.live = txn->space->flags & PGTLIB_SPACE_LIVE,
		};

		ret = pgtlib_walk(txn->space, va, va + size,
				  pgtlib_prot_change_ok, &c);
		if (ret)
			return ret;
	}
	pgtlib_arch_prot_masks(set, clear, &set_mask, &clear_mask);
	return pgtlib_protect_masks(txn, va, size, set_mask, clear_mask);
}
EXPORT_SYMBOL_GPL(pgtlib_protect);

/**
 * pgtlib_protect_prot() - change protection bits the caller names
 * @txn: an open transaction
 * @va: first virtual address, page aligned
 * @size: bytes, a multiple of PAGE_SIZE
 * @set: PTE-form bits to set in every leaf (arm64 %PTE_RDONLY, x86
 *	%_PAGE_NX, ...)
 * @clear: PTE-form bits to clear, before @set is applied
 *
 * For callers that own the protection bits, as set_memory_*() does: every
 * present leaf in the range becomes (old & ~@clear) | @set, at its level
 * (a huge leaf keeps its own form of the bits); holes are skipped, and a
 * huge leaf the range covers in part is split first, as by
 * pgtlib_protect(). pgtlib's %PGTLIB_PROT_* policy (W^X) is not applied.
 * Masks that would make entries invalid, or change their memory type,
 * are refused: those changes need rules of their own.
 *
 * Context: as pgtlib_protect().
 * Return: as pgtlib_protect(); -EINVAL also for masks that clear the
 * valid bit or change the memory type.
 */
noinline int pgtlib_protect_prot(struct pgtlib_txn *txn, unsigned long va,
				 unsigned long size, pgprot_t set,
				 pgprot_t clear)
{
	unsigned int cache = PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC;
	pgprot_t ref;
	bool valid;
	int ret;

	ret = pgtlib_check_txn_range(txn, va, size);
	if (ret)
		return ret;
	/* What the masks do to a plain kernel mapping says what they do. */
	ref = __pgprot((pgprot_val(PAGE_KERNEL) & ~pgprot_val(clear)) |
		       pgprot_val(set));
	pgtlib_arch_caller_pgprot(ref, &valid);
	if (!valid || ((pgtlib_arch_prot_decode(ref) ^
			pgtlib_arch_prot_decode(PAGE_KERNEL)) & cache))
		return -EINVAL;
	return pgtlib_protect_masks(txn, va, size, set, clear);
}
EXPORT_SYMBOL_GPL(pgtlib_protect_prot);

/* @stage end */
/* @stage ptes */
/*
 * Whether any of the @nr PTEs from @ptep carries the contiguous hint: one
 * test of all of them ORed together, which a valid entry with the hint
 * always passes (and an entry with the hint that is not valid, which
 * pgtlib never makes, passes beside a valid one: refused too).
 */
static bool pgtlib_ptes_cont(pte_t *ptep, unsigned long nr)
{
	unsigned long i, any = 0;

	for (i = 0; i < nr; i++)
		any |= pte_val(pgtlib_arch_pte_get(ptep + i));
	return pgtlib_arch_pte_cont(any);
}

/*
 * pgtlib_change_ptes() for the first span of [addr, end): one PMD entry's
 * span if a PTE table maps it, else the span of the hole above it. A huge
 * leaf, or a contiguous group, refuses the operation; with @apply false
 * nothing is changed, only checked. *@next is where the
 * span ends; *@dirty is set if a valid entry changed and @txn is NULL.
 */
static __always_inline int pgtlib_ptes_span(struct pgtlib_txn *txn,
					    struct pgtlib_space *space,
					    unsigned long addr,
					    unsigned long end, pgprot_t set,
					    pgprot_t clear, bool apply,
					    unsigned long *next, bool *dirty)
{
	struct pgtlib_op op __uninitialized;
	struct pgtlib_cursor c;
	pte_t *ptep;
	int ret;

	for (pgtlib_cursor_top(&c, space, addr); c.kind == PGTLIB_TABLE;
	     pgtlib_cursor_down(&c))
		;
	if (c.level != PGTLIB_LEVEL_PTE) {
		if (c.kind == PGTLIB_LEAF)
			return -EINVAL;
		*next = pgtlib_entry_end(c.level, addr, end);
		return 0;
	}
	*next = pgtlib_entry_end(PGTLIB_LEVEL_PMD, addr, end);
	ptep = c.ep;
	/*
	 * Changed one entry at a time, a contiguous group would mix old and
	 * new entries, which the architecture does not allow (arm64: a TLB
	 * conflict abort): refuse any.
	 */
	if (PGTLIB_ARCH_CONT_PTES > 1 &&
	    pgtlib_ptes_cont(ptep, (*next - addr) >> PAGE_SHIFT))
		return -EBUSY;
	if (!apply)
		return 0;
	__pgtlib_op_init(&op, txn, space, PGTLIB_OP_PTES, addr, *next - addr);
	op.set_mask = set;
	op.clear_mask = clear;
	ret = __pgtlib_apply_ptes(txn, &op, PGTLIB_OP_PTES, ptep, addr, *next);
	*dirty |= op.dirty;
	return ret;
}

/* Both forms, each inlined: with a transaction, and without (@txn NULL). */
static __always_inline int __pgtlib_change_ptes(struct pgtlib_txn *txn,
						struct pgtlib_space *space,
						unsigned long va,
						unsigned long size,
						pgprot_t set, pgprot_t clear,
						bool *dirty)
{
	unsigned long addr, next, end = va + size;
	int ret;

	/* Inside one span, the check and the change are one descent. */
	if ((va ^ (end - 1)) & PMD_MASK) {
		for (addr = va; addr != end; addr = next) {
			ret = pgtlib_ptes_span(txn, space, addr, end, set,
					       clear, false, &next, dirty);
			if (ret)
				return ret;
		}
	}
	for (addr = va; addr != end; addr = next) {
		ret = pgtlib_ptes_span(txn, space, addr, end, set, clear, true,
				       &next, dirty);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * pgtlib_change_ptes() - set and clear bits of the PTEs of a range
 * @txn: an open transaction
 * @va: first virtual address, page aligned
 * @size: bytes, a multiple of PAGE_SIZE
 * @set: PTE-form bits to set (arm64 %PTE_RDONLY, %PTE_VALID, ...)
 * @clear: PTE-form bits to clear, before @set is applied
 *
 * What set_memory_*() and set_direct_map_*() do to a range mapped with
 * PAGE_SIZE pages: every PTE of the range that is not a hole, valid or
 * not, becomes (old & ~@clear) | @set, keeping its output address. The
 * valid bit may be among them: an entry made invalid translates nothing
 * (the CPU faults on it; pgtlib's walker and queries report a hole), but
 * keeps its page and its other bits, so that setting the valid bit again,
 * or hibernation's copy of the linear map, finds them. Holes stay holes,
 * and pgtlib_unmap() clears invalid entries like any other. The masks are
 * the caller's policy (no W^X here) and must not name output-address
 * bits.
 *
 * Only PTEs without the contiguous hint change: a huge leaf in the range
 * refuses the operation (a split is the caller's decision), and so does a
 * contiguous group, whose entries would differ while they change one by
 * one (pgtlib_protect() changes groups). Every span is checked before any
 * entry changes, so a refusal changes nothing.
 *
 * No table is installed or removed, so no lock is taken and nothing is
 * allocated: the range must be one the caller owns, in which no other
 * operation runs meanwhile. Only entries that were valid and changed are
 * added to @txn for invalidation: no TLB holds an invalid entry.
 *
 * Context: any, also hard interrupt context with interrupts disabled (the
 * page allocator's DEBUG_PAGEALLOC); committing @txn then needs an
 * architecture whose invalidation may run there (arm64, not x86).
 * Return: 0; -EINVAL for a bad range or a huge leaf in it; -ERANGE and
 * -EPERM as pgtlib_map(); -EBUSY for a contiguous group in it.
 */
int pgtlib_change_ptes(struct pgtlib_txn *txn, unsigned long va,
		       unsigned long size, pgprot_t set, pgprot_t clear)
{
	bool dirty = false;
	int ret;

	ret = pgtlib_check_txn_range(txn, va, size);
	if (ret)
		return ret;
	return __pgtlib_change_ptes(txn, txn->space, va, size, set, clear,
				    &dirty);
}
EXPORT_SYMBOL_GPL(pgtlib_change_ptes);

/**
 * pgtlib_change_ptes_noflush() - pgtlib_change_ptes() without a transaction
 * @space: the space
 * @va: first virtual address, page aligned
 * @size: bytes, a multiple of PAGE_SIZE
 * @set: PTE-form bits to set
 * @clear: PTE-form bits to clear, before @set is applied
 * @range: set to what the caller must invalidate: empty if no valid entry
 *	changed, else the whole range
 *
 * The _noflush form, for set_direct_map_*_noflush() and for callers that
 * invalidate one range themselves: the same change as pgtlib_change_ptes(),
 * with nothing invalidated here.
 *
 * Context: any, as pgtlib_change_ptes().
 * Return: as pgtlib_change_ptes(); on error nothing changed and @range is
 * empty.
 */
int pgtlib_change_ptes_noflush(struct pgtlib_space *space, unsigned long va,
			       unsigned long size, pgprot_t set,
			       pgprot_t clear, struct pgtlib_range *range)
{
	bool dirty = false;
	int ret;

	ret = pgtlib_noflush_begin(space, va, size, range);
	if (ret)
		return ret;
	ret = __pgtlib_change_ptes(NULL, space, va, size, set, clear, &dirty);
	if (dirty)
		range->end = va + size;
	return ret;
}
EXPORT_SYMBOL_GPL(pgtlib_change_ptes_noflush);

/* @stage end */
/* @stage collapse */
/**
 * pgtlib_collapse() - restore huge leaves in a range
 * @txn: an open transaction
 * @va: first virtual address, page aligned
 * @size: bytes, a multiple of PAGE_SIZE
 *
 * Every table that the range covers entirely, that pgtlib allocated, and
 * whose entries map one contiguous range aligned to a huge leaf's size
 * with one protection, is replaced by that huge leaf, bottom-up. The
 * table is freed after the transaction's flush.
 *
 * Return: 0 (also when nothing could be collapsed); -EINVAL, -ERANGE or
 * -EPERM for a bad range as pgtlib_map().
 */
int pgtlib_collapse(struct pgtlib_txn *txn, unsigned long va,
		    unsigned long size)
{
	struct pgtlib_op op __uninitialized;
	int ret;

	ret = pgtlib_check_txn_range(txn, va, size);
	if (ret)
		return ret;
	pgtlib_op_init(&op, txn, PGTLIB_OP_COLLAPSE, va, size);
	return pgtlib_op_slow(&op);
}
EXPORT_SYMBOL_GPL(pgtlib_collapse);

/* @stage end */
/* @stage reserve */
/* The space is going away: its reservations' spares join its own. */
void pgtlib_reservations_free(struct pgtlib_space *space)
{
	struct pgtlib_reservation *r, *next;

	list_for_each_entry_safe(r, next, &space->reservations, list) {
		list_del(&r->list);
		list_splice(&r->spare, &space->spare);
		space->nr_spare += r->nr_spare;
		kfree(r);
	}
	space->nr_reserved = 0;
}

/**
 * pgtlib_reserve() - prepare a range for changes that may not allocate
 * @space: the space
 * @va: first virtual address, page aligned
 * @size: bytes, a multiple of PAGE_SIZE
 * @gfp: allocation flags; the call may sleep if they allow it
 *
 * Installs every table that mapping the range with PTEs needs, and keeps
 * for the range, and for no other, the tables that splitting the huge
 * leaves in it needs. A %PGTLIB_TXN_NOALLOC transaction can then map,
 * unmap and protect any part of the range without allocating; the tables
 * its operations there empty or leave over go back to the range. Undo
 * with pgtlib_unreserve().
 *
 * Return: 0; -EINVAL, -ERANGE or -EPERM for a bad range as pgtlib_map();
 * -ENOMEM with nothing reserved.
 */
int pgtlib_reserve(struct pgtlib_space *space, unsigned long va,
		   unsigned long size, gfp_t gfp)
{
	struct pgtlib_reservation *resv;
	struct pgtlib_txn txn;
	struct pgtlib_op op __uninitialized;
	LIST_HEAD(extra);
	int ret;

	ret = pgtlib_check_range(space, va, size);
	if (ret)
		return ret;
	resv = kmalloc(sizeof(*resv), gfp);
	if (!resv)
		return -ENOMEM;

	pgtlib_txn_begin(&txn, space, 0);
	txn.gfp = gfp;
	pgtlib_op_init(&op, &txn, PGTLIB_OP_RESERVE, va, size);
	op.reserve_extra = 0;
	op.reserve_need = pgtlib_count_tables(&op, PGTLIB_LEVEL_PGD, NULL, va,
					      va + size, false);
	ret = pgtlib_tables_claim(&txn, &extra, op.reserve_extra, true, 0, 0);
	op.reserve_extra = 0;
	if (!ret)
		ret = pgtlib_op_slow(&op);
	if (ret) {
		pgtlib_tables_release(&txn, &extra, false, 0, 0);
		kfree(resv);
	} else {
		/* These spares serve the range's no-allocation operations only. */
		resv->start = va;
		resv->end = va + size;
		resv->nr_spare = list_count_nodes(&extra);
		INIT_LIST_HEAD(&resv->spare);
		list_splice(&extra, &resv->spare);
		spin_lock(space->lock);
		WRITE_ONCE(space->nr_reserved,
			   space->nr_reserved + resv->nr_spare);
		list_add(&resv->list, &space->reservations);
		spin_unlock(space->lock);
	}
	pgtlib_txn_commit(&txn);
	return ret;
}
EXPORT_SYMBOL_GPL(pgtlib_reserve);

/**
 * pgtlib_unreserve() - release what pgtlib_reserve() kept for a range
 * @space: the space
 * @va: the @va given to pgtlib_reserve()
 * @size: the @size given to pgtlib_reserve()
 *
 * The spare tables that pgtlib_reserve() kept for splits in the range are
 * no longer promised, however the range changed since. Tables installed
 * in the range stay until an allocating transaction unmaps it.
 */
void pgtlib_unreserve(struct pgtlib_space *space, unsigned long va,
		      unsigned long size)
{
	struct pgtlib_reservation *r, *found = NULL;
	struct pgtlib_txn txn;
	LIST_HEAD(none);

	spin_lock(space->lock);
	list_for_each_entry(r, &space->reservations, list) {
		if (r->start == va && r->end == va + size) {
			found = r;
			list_del(&r->list);
			/* What is left of them becomes ordinary spares. */
			list_splice(&r->spare, &space->spare);
			WRITE_ONCE(space->nr_spare, space->nr_spare + r->nr_spare);
			WRITE_ONCE(space->nr_reserved,
				   space->nr_reserved - r->nr_spare);
			break;
		}
	}
	spin_unlock(space->lock);
	if (WARN_ONCE(!found, "pgtlib: no reservation for %#lx+%#lx\n",
		      va, size))
		return;
	kfree(found);

	/* Trim the spares down to the cache size. */
	pgtlib_txn_begin(&txn, space, 0);
	pgtlib_tables_release(&txn, &none, false, 0, 0);
	pgtlib_txn_commit(&txn);
}
EXPORT_SYMBOL_GPL(pgtlib_unreserve);

/* @stage end */