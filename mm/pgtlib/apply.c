// SPDX-License-Identifier: GPL-2.0
/*
 * pgtlib's general path, which every operation can take.
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
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/sections.h>
#include <linux/pgalloc.h>

#include "op.h"

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
/* @stage split-op */
	if (op->space->flags & PGTLIB_SPACE_KERNEL)
		pgtlib_arch_leaf_resized(level, base, true);
/* @stage end */

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
/* @stage reserve */
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

/* @stage end */
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
			/* A leaf needs no table, until it is split. */
/* @stage reserve */
			if (op->kind == PGTLIB_OP_RESERVE)
				op->reserve_extra += pgtlib_split_all(level,
								      addr,
								      next);
/* @stage end */
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
 * contiguous range with one protection (but for the bits of op->set_mask,
 * which the leaf gets where any child has them), replace it by a single
 * leaf.
 */
static void pgtlib_try_collapse(struct pgtlib_op *op, unsigned int level,
				void *ep, unsigned long addr)
{
	unsigned int child = level - 1, i, n = pgtlib_level_ptrs(child);
	unsigned long size = __pgtlib_level_size(level);
	unsigned long step = __pgtlib_level_size(child) >> PAGE_SHIFT;
	u64 any = pgprot_val(op->set_mask), seen;
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
	seen = pgprot_val(prot);
	if (!IS_ALIGNED(pfn, size >> PAGE_SHIFT) ||
	    !pgtlib_arch_leaf_phys_ok(level, PFN_PHYS(pfn)))
		return;
	for (i = 1; i < n; i++) {
		unsigned long val = pgtlib_entry_read(child, &entries[i]);
		u64 p;

		val = pgtlib_leaf_set_cont(child, val, false);
		if (!pgtlib_entry_leaf(child, val) ||
		    pgtlib_entry_pfn(child, val) != pfn + i * step)
			return;
		p = pgprot_val(pgtlib_arch_leaf_prot(child, val));
		if ((p ^ pgprot_val(prot)) & ~any)
			return;
		seen |= p;
	}
	prot = __pgprot(pgprot_val(prot) | (seen & any));

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
/* @stage split-op */
	if (op->space->flags & PGTLIB_SPACE_KERNEL)
		pgtlib_arch_leaf_resized(level, addr, false);
/* @stage end */
	pgtlib_count(op->txn, leaves_collapsed, 1);
}

/* @stage end */
/* @stage refuse */
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

/* @stage end */
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

	/* A no-allocation transaction keeps the tables it finds. */
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

/* @stage split */
/* Operations that split the huge leaves their range covers in part. */
static bool pgtlib_op_splits(struct pgtlib_op *op)
{
	return op->kind == PGTLIB_OP_UNMAP || op->kind == PGTLIB_OP_PROTECT ||
/* @stage split-op */
	       op->kind == PGTLIB_OP_SPLIT ||
/* @stage end */
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

	if (!bound || (bound <= READ_ONCE(op->space->nr_spare) &&
		       !pgtlib_tables_claim(op->txn, &op->tables, bound,
					    false, op->start, op->end)))
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
/* @stage refuse */
	/*
	 * The general path takes the space's lock and may invalidate under
	 * it, by IPI on x86: another CPU spinning on that lock with
	 * interrupts off would never answer.
	 */
	if (pgtlib_cannot_flush(space))
		return -EAGAIN;

/* @stage end */
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
	if (pgtlib_op_splits(op) && op->kind != PGTLIB_OP_MAP) {
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
	if (bound) {
		ret = pgtlib_tables_claim(txn, &op->tables, bound, true,
					  op->start, op->end);
		if (ret)
			return ret;
	}

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
/* @stage split-op */
	/* A split changes nothing else. */
	if (op->kind == PGTLIB_OP_SPLIT)
		goto unlock;
/* @stage end */
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
noinline int pgtlib_map_slow(struct pgtlib_txn *txn, unsigned long va,
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

/* An operation that is nothing but its kind and its range. */
noinline int pgtlib_range_slow(struct pgtlib_txn *txn,
			       enum pgtlib_op_kind kind, unsigned long va,
			       unsigned long size)
{
	struct pgtlib_op op __uninitialized;

	pgtlib_op_init(&op, txn, kind, va, size);
	return pgtlib_op_slow(&op);
}

/* @stage collapse */
noinline int pgtlib_collapse_slow(struct pgtlib_txn *txn, unsigned long va,
				  unsigned long size, pgprot_t any)
{
	struct pgtlib_op op __uninitialized;

	pgtlib_op_init(&op, txn, PGTLIB_OP_COLLAPSE, va, size);
	op.set_mask = any;
	return pgtlib_op_slow(&op);
}

/* @stage end */
/* @stage noflush */
/*
 * The _noflush operations' general path: a transaction of their own,
 * committed with pgtlib_txn_commit_deferred(), which hands back @range.
 */
noinline int pgtlib_noflush_slow(struct pgtlib_space *space,
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
		ret = pgtlib_range_slow(&txn, PGTLIB_OP_UNMAP, va, size);
	pgtlib_txn_commit_deferred(&txn, range);
	return ret;
}

/* @stage end */
/* @stage protect */
noinline int pgtlib_protect_slow(struct pgtlib_txn *txn,
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
