// SPDX-License-Identifier: GPL-2.0
/*
 * pgtlib operations: map, unmap, protect, collapse and reserve.
 *
 * The entry points check their arguments and hand the operation to the
 * general path of apply.c.
/* @stage fast */
 * An operation that stays inside existing tables runs here instead,
 * without the lock: the fast path.
/* @stage end */
 */
#include <linux/export.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pgalloc.h>

#include "op.h"

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

/* @stage refuse */
/*
 * Whether an uncached or write-combining mapping of [@phys, @phys + @size)
 * would alias no memory that the direct map has write-back. Out of line:
 * only such mappings come here.
 */
static noinline bool pgtlib_cache_alias_ok(phys_addr_t phys,
					   unsigned long size,
					   struct page **pages)
{
/* @stage pages */
	unsigned long i;

	/* Every page of an array; a NULL one is refused later (-EINVAL). */
	if (pages) {
		for (i = 0; i < size >> PAGE_SHIFT; i++)
			if (pages[i] &&
			    !pgtlib_arch_cache_alias_ok(page_to_phys(pages[i]),
							PAGE_SIZE))
				return false;
		return true;
	}
/* @stage end */
	return pgtlib_arch_cache_alias_ok(phys, size);
}

/* @stage end */
/*
 * The protection of a new mapping of [@phys, @phys + @size) in @space:
 * plain kernel data, read-only or not, is one test; anything else is
 * checked in full.
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
/* @stage refuse */
	/*
	 * A live uncached or write-combining mapping must not alias memory
	 * that the direct map has write-back.
	 */
	if (!ret && (prot & (PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC)) &&
	    (space->flags & PGTLIB_SPACE_LIVE) &&
	    !pgtlib_cache_alias_ok(phys, size, pages))
		ret = -EOPNOTSUPP;
/* @stage end */
	return ret;
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
	return pgtlib_cache_alias_ok(phys, size, pages) ? 0 : -EOPNOTSUPP;
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
 * Whether every level above @addr's PMD entry is a table; if so *@pmdp is
 * the entry and *@pmd its value, read once. The kernel's typed helpers
 * fold levels themselves, so this is one short descent with no per-level
 * dispatch; each entry is read once, as GUP-fast does. (The answer is a
 * bool, not a pointer that may be NULL: the kernel builds with NULL
 * checks kept, and would test a computed pointer again.)
 */
static __always_inline bool pgtlib_pmd_lookup(struct pgtlib_space *space,
					      unsigned long addr,
					      pmd_t **pmdp, pmd_t *pmd)
{
	pgd_t *pgdp = pgd_offset_pgd(space->pgd, addr);
	p4d_t *p4dp, p4d;
	pud_t *pudp, pud;

#ifdef __PAGETABLE_P4D_FOLDED
	/* The PGD entry is the P4D entry: read it once, as that. */
	p4dp = p4d_offset(pgdp, addr);
#else
	pgd_t pgd = pgdp_get(pgdp);

	if (pgd_none(pgd))
		return false;
	p4dp = p4d_offset_lockless(pgdp, pgd, addr);
#endif
	p4d = p4dp_get(p4dp);
	if (p4d_none(p4d) || p4d_leaf(p4d))
		return false;
	/*
	 * Below a level folded at build time, the generic lockless step would
	 * point into the copy just read: take the entry's own address.
	 */
#ifdef __PAGETABLE_PUD_FOLDED
	pudp = pud_offset(p4dp, addr);
#else
	pudp = pud_offset_lockless(p4dp, p4d, addr);
#endif
	pud = pudp_get(pudp);
	if (pud_none(pud) || pud_leaf(pud))
		return false;
#ifdef __PAGETABLE_PMD_FOLDED
	*pmdp = pmd_offset(pudp, addr);
#else
	*pmdp = pmd_offset_lockless(pudp, pud, addr);
#endif
	*pmd = pmdp_get(*pmdp);
	return true;
}

/* Whether every level above @addr's PTE is a table; *@ptep is the PTE. */
static __always_inline bool pgtlib_pte_lookup(struct pgtlib_space *space,
					      unsigned long addr,
					      pte_t **ptep)
{
	pmd_t *pmdp, pmd;

	if (!pgtlib_pmd_lookup(space, addr, &pmdp, &pmd) || pmd_none(pmd) ||
	    pmd_leaf(pmd))
		return false;
	*ptep = pte_offset_kernel(&pmd, addr);
	return true;
}

/*
 * The PMD entry for @addr, as pgtlib_pmd_lookup() finds it, and its kind;
 * false where a level above is not a table.
 */
static __always_inline bool pgtlib_pmd_entry(struct pgtlib_space *space,
					     unsigned long addr, pmd_t **pmdp,
					     pmd_t *pmd,
					     enum pgtlib_entry_kind *kind)
{
	if (!pgtlib_pmd_lookup(space, addr, pmdp, pmd))
		return false;
	*kind = pgtlib_entry_kind(PGTLIB_LEVEL_PMD, pmd_val(*pmd));
	return true;
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
	if (!pgtlib_pmd_entry(space, addr, &pmdp, &pmd, &ekind))
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
 * An unmap in the kernel space, or a protect in any space, that crosses
 * PMD entries' spans (vunmap() of an area across a 2M boundary, or of a
 * percpu chunk; pgtlib_protect() of such an area). In each span an unmap
 * clears the huge leaf, which the range must cover whole, or the PTEs, and
 * keeps the table, as the kernel space always does; a protect changes the
 * PTEs and leaves a huge leaf to the general path. Every span is checked
 * before any is changed, so that a range the general path must take (a
 * huge leaf or contiguous group cut in part, a level above a PMD that is
 * not a table) is changed by nothing here. Safe without the lock for the
 * reason pgtlib_pmd_fast() is. Returns as pgtlib_pmd_fast().
 */
static noinline int pgtlib_spans_fast(struct pgtlib_txn *txn,
				      struct pgtlib_space *space,
				      enum pgtlib_op_kind kind,
				      unsigned long start, unsigned long end,
				      pgprot_t set, pgprot_t clear)
{
	/* Only the masks and, without @txn, the dirty flag are used. */
	struct pgtlib_op op __uninitialized;
	enum pgtlib_entry_kind ekind;
	unsigned long addr, next;
	bool apply = false;
	pte_t *ptep, *last;
	pmd_t *pmdp, pmd;

	op.dirty = false;
	op.set_mask = set;
	op.clear_mask = clear;
again:
	for (addr = start; addr != end; addr = next) {
		next = pmd_addr_end(addr, end);
		if (!pgtlib_pmd_entry(space, addr, &pmdp, &pmd, &ekind))
			return PGTLIB_PMD_FAST_DECLINED;
		switch (ekind) {
		case PGTLIB_HOLE:
			break;
		case PGTLIB_LEAF:
			if (!apply) {
				if (kind != PGTLIB_OP_UNMAP ||
				    next - addr != PMD_SIZE ||
				    pgtlib_arch_pmd_cont(pmd_val(pmd)))
					return PGTLIB_PMD_FAST_DECLINED;
				break;
			}
			/* Only an unmap passed a leaf; it was the caller's. */
			if (kind == PGTLIB_OP_UNMAP &&
			    pgtlib_pmd_leaf_clear(txn, pmdp, addr))
				op.dirty = true;
			break;
		default:
			ptep = pte_offset_kernel(&pmd, addr);
			/* Each kind a constant: its own loop, inlined. */
			if (apply && kind == PGTLIB_OP_UNMAP) {
				__pgtlib_apply_ptes(txn, &op, PGTLIB_OP_UNMAP,
						    ptep, addr, next);
				break;
			}
			if (apply) {
				__pgtlib_apply_ptes(txn, &op, PGTLIB_OP_PROTECT,
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
	/*
	 * Most ranges lie inside one PMD entry's span and are not all of it:
	 * one test, and on to the PTEs.
	 */
	if (((op->start ^ (op->end - 1)) | (op->end - op->start)) >= PMD_SIZE) {
		/* One PMD entry's span: one huge leaf, or none. */
		if (op->end - op->start == PMD_SIZE &&
		    IS_ALIGNED(op->start, PMD_SIZE) &&
		    kind != PGTLIB_OP_PROTECT &&
		    !(kind == PGTLIB_OP_MAP && op->pages)) {
			r = pgtlib_pmd_fast(txn, op->space, kind, op->start,
					    kind == PGTLIB_OP_MAP ? op->phys : 0,
					    kind == PGTLIB_OP_MAP ?
					    op->prot : __pgprot(0), op->flags);
			if (r != PGTLIB_PMD_FAST_DECLINED)
				goto done;
		}
		/*
		 * A kernel space unmap across spans or of a whole PTE table,
		 * or a protect across spans.
		 */
		if ((kind == PGTLIB_OP_UNMAP &&
		     (op->space->flags & PGTLIB_SPACE_KERNEL)) ||
		    (kind == PGTLIB_OP_PROTECT &&
		     (op->start ^ (op->end - 1)) & PMD_MASK)) {
			r = pgtlib_spans_fast(txn, op->space, kind, op->start,
					      op->end,
					      kind == PGTLIB_OP_PROTECT ?
					      op->set_mask : __pgprot(0),
					      kind == PGTLIB_OP_PROTECT ?
					      op->clear_mask : __pgprot(0));
			if (r != PGTLIB_PMD_FAST_DECLINED)
				goto done;
		}
		/*
		 * All of one span, where no huge leaf is wanted and no table
		 * may be freed: a map of base pages, a protect.
		 */
		if ((op->start ^ (op->end - 1)) & PMD_MASK ||
		    kind == PGTLIB_OP_UNMAP ||
		    (kind == PGTLIB_OP_MAP &&
		     !(op->flags & PGTLIB_MAP_BASE_PAGES)))
			return false;
	}
	if (!pgtlib_pte_lookup(op->space, op->start, &ptep))
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
/* @stage noflush */

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
/*
 * The start of every map: the open transaction's space, or for a _noflush
 * map (@txn NULL, @range given) the caller's @space, and an empty @range.
 */
static __always_inline int pgtlib_map_begin(struct pgtlib_txn *txn,
					    struct pgtlib_space **space,
					    unsigned long va,
					    struct pgtlib_range *range)
{
	int ret;

/* @stage noflush */
	/*
	 * The other maps pass a constant NULL @range: they still refuse a
	 * NULL @txn, and the compiler knows theirs is not NULL from here on.
	 */
	if (range) {
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
 * allow.
/* @stage cont */
 * On arm64, aligned groups of PTEs that map into holes get the contiguous
 * bit.
/* @stage end */
 * Fails without changing any translation.
 *
 * Context: may sleep unless @txn was begun with %PGTLIB_TXN_NOALLOC.
 * Return: 0; -EINVAL for misaligned or empty or wrapping arguments, bad
 * flags or protection the architecture cannot express (including W+X);
 * -ERANGE for a range outside the space or physical addresses beyond what
 * the CPU can address; -EPERM for a range shared with init_mm; -ENOMEM if
 * a table could not be had; -EEXIST if anything is mapped there already,
 * a leaf or an invalid PTE that keeps its page.
/* @stage replace */
 * With %PGTLIB_MAP_REPLACE, what is there is replaced instead; -EBUSY for
 * break-before-make where no caller can own the memory (arm64): see
 * <linux/pgtlib.h>.
/* @stage end */
/* @stage refuse */
 * -EOPNOTSUPP for an uncached or WC live mapping of memory the direct map
 * aliases (x86: RAM); -EAGAIN if it would need the general path with
 * interrupts disabled (x86).
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
/* @stage split */
 * Huge leaves the range covers only in part are split first.
/* @stage end */
 * Tables the range covers entirely and that pgtlib allocated are freed
 * after the transaction's flush (but kept in a %PGTLIB_TXN_NOALLOC
 * transaction). Holes in the range are not an error.
 *
 * Context: may sleep unless @txn was begun with %PGTLIB_TXN_NOALLOC.
 * Return: 0; -EINVAL, -ERANGE or -EPERM for a bad range as pgtlib_map().
/* @stage split */
 * -ENOMEM if a split needed a table that could not be had; -EBUSY as
 * pgtlib_map().
/* @stage end */
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
	return pgtlib_range_slow(txn, PGTLIB_OP_UNMAP, va, size);
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
	return pgtlib_collapse_any(txn, va, size, __pgprot(0));
}
EXPORT_SYMBOL_GPL(pgtlib_collapse);

/**
 * pgtlib_collapse_any() - restore huge leaves whose entries differ in bits
 * @txn: an open transaction
 * @va: first virtual address, page aligned
 * @size: bytes, a multiple of PAGE_SIZE
 * @any: protection bits the entries of a table may differ in
 *
 * As pgtlib_collapse(), but the entries of a table need agree only outside
 * @any, and the huge leaf has each bit of @any that one of them has. It is
 * for bits a caller may give every page of the leaf: ones the CPU sets
 * itself or that an earlier change dropped (x86's CPA: the dirty bit,
 * which set_memory_ro() clears, and the global bit, which a non-present
 * PTE loses). As the entries agree outside @any, the leaf gets no bit of
 * @any that some page did not have with the same other bits.
 *
 * Return: as pgtlib_collapse().
 */
int pgtlib_collapse_any(struct pgtlib_txn *txn, unsigned long va,
			unsigned long size, pgprot_t any)
{
	int ret;

	ret = pgtlib_check_txn_range(txn, va, size);
	if (ret)
		return ret;
	return pgtlib_collapse_slow(txn, va, size, any);
}
EXPORT_SYMBOL_GPL(pgtlib_collapse_any);
/* @stage end */
/* @stage split-op */

/**
 * pgtlib_split() - split the huge leaves that the ends of a range cut
 * @txn: an open transaction
 * @va: first virtual address, page aligned
 * @size: bytes, a multiple of PAGE_SIZE
 *
 * Makes @va and @va + @size leaf boundaries, as pgtlib_protect() does
 * before it changes a range, and changes nothing else: a huge leaf that
 * an end cuts is replaced by a table of leaves one level down, mapping
 * the same memory with the same protection, and so on down while a
 * smaller leaf is still cut. Leaves inside the range, holes and every
 * translation stay as they are. This is for callers that decide splits by
 * rules of their own, as x86's set_memory_*() does: the leaf of level L
 * that holds @va becomes leaves of level L - 1 with
 * pgtlib_split(txn, ALIGN_DOWN(va, pgtlib_level_size(L)),
 * pgtlib_level_size(L - 1)).
 *
 * A split needs one table page per leaf split, allocated before any entry
 * changes. In a live space, x86 invalidates the split leaves before
 * returning, so that no TLB holds a huge leaf beside a smaller leaf the
 * caller changes next; arm64 breaks before making, and refuses to where
 * pgtlib_map() refuses it.
 *
 * Context: may sleep unless @txn was begun with %PGTLIB_TXN_NOALLOC.
 * Return: 0, also when no leaf needed splitting; -EINVAL, -ERANGE or
 * -EPERM for a bad range as pgtlib_map(); -ENOMEM if a table could not be
 * had (no translation changes; nothing is split unless the range changed
 * under its owner meanwhile); -EBUSY and -EAGAIN as pgtlib_map().
 */
int pgtlib_split(struct pgtlib_txn *txn, unsigned long va, unsigned long size)
{
	int ret;

	ret = pgtlib_check_txn_range(txn, va, size);
	if (ret)
		return ret;
	return pgtlib_range_slow(txn, PGTLIB_OP_SPLIT, va, size);
}
EXPORT_SYMBOL_GPL(pgtlib_split);

/**
 * pgtlib_keep_split() - keep the PTE tables of a range from being collapsed
 * @space: the kernel space
 * @va: first virtual address, page aligned
 * @size: bytes, a multiple of PAGE_SIZE
 *
 * Every PTE table of pgtlib's that maps part of the range stays a table:
 * it is no longer pgtlib's to collapse, to replace by a huge leaf or to
 * free, whoever asks. For ranges that must stay mapped with base pages, as
 * x86's set_memory_4k() makes them: split them first (pgtlib_split()),
 * then keep them. A table pgtlib did not allocate stays anyway.
 *
 * Context: takes the space's lock; allocates nothing.
 * Return: 0; -EINVAL for a private space (its tables all go with it) or
 * a bad range, -ERANGE outside the space.
 */
int pgtlib_keep_split(struct pgtlib_space *space, unsigned long va,
		      unsigned long size)
{
	unsigned long addr = va, end = va + size;
	struct pgtlib_cursor c;
	void *table;
	int ret;

	if (!(space->flags & PGTLIB_SPACE_KERNEL))
		return -EINVAL;
	ret = pgtlib_check_range(space, va, size);
	if (ret)
		return ret;
	spin_lock(space->lock);
	do {
		for (pgtlib_cursor_top(&c, space, addr);
		     c.kind == PGTLIB_TABLE && c.level > PGTLIB_LEVEL_PMD;
		     pgtlib_cursor_down(&c))
			;
		if (c.kind == PGTLIB_TABLE && c.level == PGTLIB_LEVEL_PMD) {
			table = pgtlib_entry_table(space, c.level, c.ep, addr);
			if (pgtlib_table_is_ours(table))
				page_ptdesc(virt_to_page(table))->pt_index =
					PGTLIB_TABLE_KEPT;
		}
		/* 0 past the top of the address space */
		addr = ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE;
	} while (addr && addr < end);
	spin_unlock(space->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(pgtlib_keep_split);
/* @stage end */
