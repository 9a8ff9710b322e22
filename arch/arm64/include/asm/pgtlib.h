/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64 helpers for pgtlib; the contract is in mm/pgtlib/internal.h.
 * Blocks (huge leaves) and pages differ in the descriptor's type bits.
 */
#ifndef _ASM_ARM64_PGTLIB_H
#define _ASM_ARM64_PGTLIB_H

#include <linux/pgtlib.h>
#include <linux/pgtable.h>

#define PGTLIB_ARCH_PROT_SUPPORTED	PGTLIB_PROT_MASK
/* ARM ARM D8.16: a live output address or size change needs BBM. */
#define PGTLIB_ARCH_NEEDS_BBM		1
/* Break-before-make already keeps the two sizes apart. */
#define PGTLIB_ARCH_FLUSH_AFTER_SPLIT	0

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
static inline bool pgtlib_arch_prot_ok(unsigned int prot)
{
	return !((prot & PGTLIB_PROT_EXEC) &&
		 (prot & (PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC)));
}

static inline bool pgtlib_arch_leaf_phys_ok(unsigned int level,
					    phys_addr_t phys)
{
	return true;
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

static inline pgprot_t pgtlib_arch_leaf_prot(unsigned int level,
					     unsigned long val)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return pte_pgprot(__pte(val));
	case PGTLIB_LEVEL_PMD:
		return __pgprot((pgprot_val(pmd_pgprot(__pmd(val))) &
				 ~PMD_TYPE_MASK) | PTE_TYPE_PAGE);
	default:
		return __pgprot((pgprot_val(pud_pgprot(__pud(val))) &
				 ~PUD_TYPE_MASK) | PTE_TYPE_PAGE);
	}
}

pgprot_t pgtlib_arch_pgprot(unsigned int prot);
unsigned int pgtlib_arch_prot_decode(pgprot_t prot);
void pgtlib_arch_prot_masks(unsigned int set, unsigned int clear,
			    pgprot_t *set_mask, pgprot_t *clear_mask);
unsigned long pgtlib_arch_flush_ceiling(void);
void pgtlib_arch_flush(const struct pgtlib_range *ranges, unsigned int nr,
		       bool all, bool tables);

#endif /* _ASM_ARM64_PGTLIB_H */
