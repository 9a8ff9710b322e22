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
#include <asm/tlbflush.h>

#define PGTLIB_ARCH_PROT_SUPPORTED	PGTLIB_PROT_MASK
/* x86 may replace a present leaf directly, flushing afterwards. */
#define PGTLIB_ARCH_NEEDS_BBM		0
/* SDM 4.10.2.3: never let a TLB hold two page sizes with different bits. */
#define PGTLIB_ARCH_FLUSH_AFTER_SPLIT	1
/* Remote TLBs are invalidated by IPI. */
#define PGTLIB_ARCH_FLUSH_IPI		1
/* No contiguous hint, at any level. */
#define PGTLIB_ARCH_CONT_PTES		1
#define PGTLIB_ARCH_CONT_PMDS		1

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

/*
 * pgtlib's protections are present leaves, already masked to what the CPU
 * supports (pgtlib_arch_pgprot() and pgtlib_arch_prot_masks() see to it):
 * pfn_pte()'s PROT_NONE inversion and checks have nothing to do here.
 */
static inline unsigned long pgtlib_arch_mk_leaf(unsigned int level,
						unsigned long pfn,
						pgprot_t prot)
{
	if (level == PGTLIB_LEVEL_PTE)
		return (((u64)pfn << PAGE_SHIFT) & PTE_PFN_MASK) |
		       pgprot_val(prot);
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

static inline bool pgtlib_arch_pte_cont(unsigned long val)
{
	return false;
}

static inline unsigned long pgtlib_arch_pte_set_cont(unsigned long val,
						     bool cont)
{
	return val;
}

static inline bool pgtlib_arch_pmd_cont(unsigned long val)
{
	return false;
}

static inline unsigned long pgtlib_arch_pmd_set_cont(unsigned long val,
						     bool cont)
{
	return val;
}

static inline pte_t pgtlib_arch_pte_get(pte_t *ptep)
{
	return ptep_get(ptep);
}

static inline void pgtlib_arch_set_pte(pte_t *ptep, unsigned long val)
{
	set_pte(ptep, __pte(val));
}

/* x86 page walks see stores in program order. */
static inline void pgtlib_arch_sync_ptes(void)
{
}

bool pgtlib_arch_leaf_phys_ok(unsigned int level, phys_addr_t phys);
pgprot_t __pgtlib_arch_pgprot(unsigned int prot);

/* Plain kernel data, read-only or not, is what most mappings are. */
static inline pgprot_t pgtlib_arch_pgprot(unsigned int prot)
{
	pgprot_t pgprot;

	if (prot & (PGTLIB_PROT_EXEC | PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC))
		return __pgtlib_arch_pgprot(prot);
	pgprot = prot & PGTLIB_PROT_WRITE ? PAGE_KERNEL : PAGE_KERNEL_RO;
	return __pgprot(pgprot_val(pgprot) & __supported_pte_mask);
}

unsigned int pgtlib_arch_prot_decode(pgprot_t prot);
void pgtlib_arch_prot_masks(unsigned int set, unsigned int clear,
			    pgprot_t *set_mask, pgprot_t *clear_mask);

/* arch/x86/mm/tlb.c; tunable in debugfs */
extern unsigned long tlb_single_page_flush_ceiling;

static inline unsigned long pgtlib_arch_flush_ceiling(void)
{
	return READ_ONCE(tlb_single_page_flush_ceiling);
}

void __pgtlib_arch_flush(const struct pgtlib_range *ranges, unsigned int nr,
			 bool all, bool tables);

/* INVLPG also drops paging-structure caches: @tables needs nothing more. */
static inline void pgtlib_arch_flush(const struct pgtlib_range *ranges,
				     unsigned int nr, bool all, bool tables)
{
	if (!all && nr == 1)
		flush_tlb_kernel_range(ranges[0].start, ranges[0].end);
	else
		__pgtlib_arch_flush(ranges, nr, all, tables);
}

#endif /* _ASM_X86_PGTLIB_H */
