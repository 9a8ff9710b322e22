/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 helpers for pgtlib; the contract is in mm/pgtlib/internal.h.
 * Huge leaves keep the PAT bit at bit 12 and set PSE, so pgtlib's
 * PTE-form protections are converted at the leaf's level.
 */
#ifndef _ASM_X86_PGTLIB_H
#define _ASM_X86_PGTLIB_H

#include <linux/pgtlib.h>
#include <linux/cpufeature.h>
#include <linux/pgtable.h>

#define PGTLIB_ARCH_PROT_SUPPORTED	PGTLIB_PROT_MASK
/* x86 may replace a present leaf directly, flushing afterwards. */
#define PGTLIB_ARCH_NEEDS_BBM		0
/* SDM 4.10.2.3: never let a TLB hold two page sizes with different bits. */
#define PGTLIB_ARCH_FLUSH_AFTER_SPLIT	1

static inline bool pgtlib_arch_level_has_leaf(unsigned int level)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return true;
	case PGTLIB_LEVEL_PMD:
		return boot_cpu_has(X86_FEATURE_PSE);
	case PGTLIB_LEVEL_PUD:
		return boot_cpu_has(X86_FEATURE_GBPAGES);
	default:
		return false;
	}
}

static inline bool pgtlib_arch_prot_ok(unsigned int prot)
{
	return true;
}

static inline unsigned long pgtlib_arch_mk_leaf(unsigned int level,
						unsigned long pfn,
						pgprot_t prot)
{
	if (level == PGTLIB_LEVEL_PTE)
		return pte_val(pfn_pte(pfn, prot));
	return pte_val(pfn_pte(pfn,
			       __pgprot(protval_4k_2_large(pgprot_val(prot)) |
					_PAGE_PSE)));
}

static inline pgprot_t pgtlib_arch_leaf_prot(unsigned int level,
					     unsigned long val)
{
	switch (level) {
	case PGTLIB_LEVEL_PTE:
		return __pgprot(pte_flags(__pte(val)));
	case PGTLIB_LEVEL_PMD:
		return __pgprot(protval_large_2_4k(pmd_flags(__pmd(val))));
	default:
		return __pgprot(protval_large_2_4k(pud_flags(__pud(val))));
	}
}

bool pgtlib_arch_leaf_phys_ok(unsigned int level, phys_addr_t phys);
pgprot_t pgtlib_arch_pgprot(unsigned int prot);
unsigned int pgtlib_arch_prot_decode(pgprot_t prot);
void pgtlib_arch_prot_masks(unsigned int set, unsigned int clear,
			    pgprot_t *set_mask, pgprot_t *clear_mask);
unsigned long pgtlib_arch_flush_ceiling(void);
void pgtlib_arch_flush(const struct pgtlib_range *ranges, unsigned int nr,
		       bool all, bool tables);

#endif /* _ASM_X86_PGTLIB_H */
