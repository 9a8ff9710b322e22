/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What pgtlib's entry points (ops.c) and its general path (apply.c) share:
 * the description of an operation, and the loop over the PTEs of one
 * table.
/* @stage fast */
 * The lockless fast path of ops.c runs that loop as well.
/* @stage end */
 */
#ifndef _MM_PGTLIB_OP_H
#define _MM_PGTLIB_OP_H

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
/* @stage split-op */
	PGTLIB_OP_SPLIT,
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
	pgprot_t set_mask;		/* PROTECT; COLLAPSE: may differ */
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

static inline void pgtlib_op_init(struct pgtlib_op *op,
				  struct pgtlib_txn *txn,
				  enum pgtlib_op_kind kind, unsigned long va,
				  unsigned long size)
{
	__pgtlib_op_init(op, txn, txn->space, kind, va, size);
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
 * Whether the PTE @ptep may be mapped: it must be none. An entry that is
 * not valid but not none either (x86's set_memory_np() leaves them) still
 * holds its page: it is refused as a valid one is, as vmap refuses it.
/* @stage replace */
 * Unless @flags replace what is there; then *@flush is set if it was valid.
/* @stage end */
 */
static __always_inline int pgtlib_pte_may_map(pte_t *ptep, unsigned int flags,
					      bool *flush)
{
	pte_t pte = pgtlib_arch_pte_get(ptep);

	if (pte_none(pte))
		return 0;
/* @stage replace */
	if (flags & PGTLIB_MAP_REPLACE) {
		*flush |= pgtlib_arch_pte_present(pte);
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
	unsigned long i, nr;
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
			/*
			 * An array of pages: PTEs only, and no hint. One index
			 * walks both arrays, the PTEs and the pages.
			 */
			page = op->pages + ((addr - op->start) >> PAGE_SHIFT);
			nr = (end - addr) >> PAGE_SHIFT;
			for (i = 0; i < nr; i++) {
				ret = pgtlib_pte_may_map(ptep + i, flags, &flush);
				if (ret)
					break;
				/* Only the fast path gets here with NULL pages. */
				if (unlikely(!page[i])) {
					ret = -EINVAL;
					break;
				}
				val = pgtlib_arch_mk_leaf(PGTLIB_LEVEL_PTE,
							  page_to_pfn(page[i]),
							  prot);
				pgtlib_arch_set_pte(ptep + i, val);
			}
			addr += i << PAGE_SHIFT;
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

/* The @n pages a take-back unmapped were never mapped, nor unmapped. */
static inline void pgtlib_take_back_uncount(struct pgtlib_txn *txn,
					    unsigned long n)
{
	pgtlib_count(txn, pages_unmapped, -n);
	pgtlib_count(txn, pages_mapped, -n);
}

/* The general path, in apply.c. */
int pgtlib_map_slow(struct pgtlib_txn *txn, unsigned long va,
		    unsigned long size, phys_addr_t phys, struct page **pages,
		    pgprot_t prot, unsigned int flags);
int pgtlib_range_slow(struct pgtlib_txn *txn, enum pgtlib_op_kind kind,
		      unsigned long va, unsigned long size);
/* @stage protect */
int pgtlib_protect_slow(struct pgtlib_txn *txn, unsigned long va,
			unsigned long size, pgprot_t set, pgprot_t clear);
/* @stage end */
/* @stage collapse */
int pgtlib_collapse_slow(struct pgtlib_txn *txn, unsigned long va,
			 unsigned long size, pgprot_t any);
/* @stage end */
/* @stage noflush */
int pgtlib_noflush_slow(struct pgtlib_space *space, enum pgtlib_op_kind kind,
			unsigned long va, unsigned long size, phys_addr_t phys,
			struct page **pages, pgprot_t prot, unsigned int flags,
			struct pgtlib_range *range);
/* @stage end */

#endif /* _MM_PGTLIB_OP_H */
