/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64 helpers for pgtlib: what differs from <asm-generic/pgtlib.h>.
 * Blocks (huge leaves) and pages differ in the descriptor's type bits.
 */
#ifndef _ASM_ARM64_PGTLIB_H
#define _ASM_ARM64_PGTLIB_H

#include <linux/pgtlib.h>
#include <linux/pgtable.h>
#include <asm/tlbflush.h>

/* ARM ARM D8.16: a live output address or size change needs BBM. */
#define PGTLIB_ARCH_NEEDS_BBM		1
/*
 * 16 4K PTEs (64K) may share one TLB entry through the contiguous bit, and
 * so may 16 2M blocks (32M), as the kernel maps some of its own memory.
 */
#define PGTLIB_ARCH_CONT_PTES		CONT_PTES
#define PGTLIB_ARCH_CONT_PMDS		CONT_PMDS

static inline bool pgtlib_arch_level_has_leaf(unsigned int level)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
	case PGTLIB_LEVEL_PMD:
		return true;
	case PGTLIB_LEVEL_PUD:
		return pud_sect_supported();
	default:
		return false;
	}
}

/* Device and Normal-NC mappings are never executable. */
#define pgtlib_arch_prot_ok pgtlib_arch_prot_ok
static inline bool pgtlib_arch_prot_ok(unsigned int prot)
{
	return !((prot & PGTLIB_PROT_EXEC) &&
		 (prot & (PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC)));
}

static inline unsigned long pgtlib_arch_mk_leaf(unsigned int level,
						unsigned long pfn,
						pgprot_t prot)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return pte_val(pfn_pte(pfn, prot));
	case PGTLIB_LEVEL_PMD:
		return pmd_val(pfn_pmd(pfn, mk_pmd_sect_prot(prot)));
	default:
		return pud_val(pfn_pud(pfn, mk_pud_sect_prot(prot)));
	}
}

/* pfn_pte() keeps every bit; only a valid descriptor is a mapping. */
#define pgtlib_arch_caller_pgprot pgtlib_arch_caller_pgprot
static inline pgprot_t pgtlib_arch_caller_pgprot(pgprot_t prot, bool *valid)
{
	*valid = pgprot_val(prot) & PTE_VALID;
	return prot;
}

/*
 * A PTE's contiguous bit is a property of its group, which pgtlib manages,
 * not of its protection. A block keeps its bit: pgtlib never makes PMD
 * groups, and changes one only as a whole or after unfolding it.
 */
static inline pgprot_t pgtlib_arch_leaf_prot(unsigned int level,
					     unsigned long val)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return __pgprot(pgprot_val(pte_pgprot(__pte(val))) &
				~PTE_CONT);
	case PGTLIB_LEVEL_PMD:
		return __pgprot((pgprot_val(pmd_pgprot(__pmd(val))) &
				 ~PMD_TYPE_MASK) | PTE_TYPE_PAGE);
	default:
		return __pgprot((pgprot_val(pud_pgprot(__pud(val))) &
				 ~PUD_TYPE_MASK) | PTE_TYPE_PAGE);
	}
}

#define pgtlib_arch_pte_cont pgtlib_arch_pte_cont
static inline bool pgtlib_arch_pte_cont(unsigned long val)
{
	return pte_valid(__pte(val)) && pte_cont(__pte(val));
}

static inline unsigned long pgtlib_arch_pte_set_cont(unsigned long val,
						     bool cont)
{
	return cont ? val | PTE_CONT : val & ~PTE_CONT;
}

#define pgtlib_arch_pmd_cont pgtlib_arch_pmd_cont
static inline bool pgtlib_arch_pmd_cont(unsigned long val)
{
	return pmd_sect(__pmd(val)) && pmd_cont(__pmd(val));
}

static inline unsigned long pgtlib_arch_pmd_set_cont(unsigned long val,
						     bool cont)
{
	return cont ? val | PMD_SECT_CONT : val & ~PMD_SECT_CONT;
}

/*
 * pte_present() also counts PROT_NONE entries: with KPTI's non-global
 * kernel mappings, an entry set_memory_valid() made invalid would be one.
 */
#define pgtlib_arch_pte_present pgtlib_arch_pte_present
static inline bool pgtlib_arch_pte_present(pte_t pte)
{
	return pte_valid(pte);
}

/* @stage ptes */
/* As set_memory_*(): the bits alone, whether the entry is valid or not. */
#define pgtlib_arch_pte_change pgtlib_arch_pte_change
static inline unsigned long pgtlib_arch_pte_change(unsigned long val,
						   pgprot_t set, pgprot_t clear)
{
	return (val & ~pgprot_val(clear)) | pgprot_val(set);
}

/* @stage end */
/*
 * With ARM64_CONTPTE, ptep_get() gathers the access and dirty bits of a
 * whole contiguous group in an out-of-line call. pgtlib manages kernel
 * groups itself and wants each entry as it was written.
 */
#define pgtlib_arch_pte_get pgtlib_arch_pte_get
static inline pte_t pgtlib_arch_pte_get(pte_t *ptep)
{
	return __ptep_get(ptep);
}

/*
 * set_pte_at() would issue DSB+ISB for every valid kernel PTE (and with
 * ARM64_CONTPTE strip the contiguous bit): write plainly, then make the
 * whole batch visible with one pgtlib_arch_sync_ptes().
 */
#define pgtlib_arch_set_pte pgtlib_arch_set_pte
static inline void pgtlib_arch_set_pte(pte_t *ptep, unsigned long val)
{
	__set_pte_nosync(ptep, __pte(val));
}

#define pgtlib_arch_sync_ptes pgtlib_arch_sync_ptes
static inline void pgtlib_arch_sync_ptes(void)
{
	dsb(ishst);
	isb();
}

pgprot_t __pgtlib_arch_pgprot(unsigned int prot);

/* Plain kernel data, read-only or not, is what most mappings are. */
static inline pgprot_t pgtlib_arch_pgprot(unsigned int prot)
{
	if (prot & (PGTLIB_PROT_EXEC | PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC))
		return __pgtlib_arch_pgprot(prot);
	return prot & PGTLIB_PROT_WRITE ? PAGE_KERNEL : PAGE_KERNEL_RO;
}

unsigned int pgtlib_arch_prot_decode(pgprot_t prot);
void pgtlib_arch_prot_masks(unsigned int set, unsigned int clear,
			    pgprot_t *set_mask, pgprot_t *clear_mask);
/* As __flush_tlb_range_nosync(): MAX_DVM_OPS single TLBIs are too many. */
static inline unsigned long pgtlib_arch_flush_ceiling(void)
{
	return system_supports_tlb_range() ? MAX_TLBI_RANGE_PAGES :
					     MAX_DVM_OPS - 1;
}

void __pgtlib_arch_flush(const struct pgtlib_range *ranges, unsigned int nr,
			 bool all, bool tables);

/* A few pages of one range, the common case: TLBI each, inline. */
#define PGTLIB_ARM64_FEW_PAGES	4

static inline void pgtlib_arch_flush(const struct pgtlib_range *ranges,
				     unsigned int nr, bool all, bool tables)
{
	if (!all && nr == 1 && !tables &&
	    ranges[0].end - ranges[0].start <= PGTLIB_ARM64_FEW_PAGES * PAGE_SIZE)
		flush_tlb_kernel_range(ranges[0].start, ranges[0].end);
	else
		__pgtlib_arch_flush(ranges, nr, all, tables);
}

/* The non-shareable forms: this CPU only, as local_flush_tlb_all(). */
static inline void pgtlib_arch_flush_local(const struct pgtlib_range *ranges,
					   unsigned int nr, bool all)
{
	unsigned long addr;
	unsigned int i;

	if (all) {
		local_flush_tlb_all();
		return;
	}
	dsb(nshst);
	for (i = 0; i < nr; i++)
		for (addr = ranges[i].start; addr < ranges[i].end;
		     addr += PAGE_SIZE)
			__tlbi(vaale1, __TLBI_VADDR(addr, 0));
	dsb(nsh);
	isb();
}

#include <asm-generic/pgtlib.h>

#endif /* _ASM_ARM64_PGTLIB_H */
