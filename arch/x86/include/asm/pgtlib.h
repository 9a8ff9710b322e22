/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 helpers for pgtlib: what differs from <asm-generic/pgtlib.h>.
 * Huge leaves keep the PAT bit at bit 12 and set PSE, so pgtlib's
 * PTE-form protections are converted at the leaf's level.
 */
#ifndef _ASM_X86_PGTLIB_H
#define _ASM_X86_PGTLIB_H

#include <linux/pgtlib.h>
#include <linux/cpufeature.h>
#include <linux/pgtable.h>
#include <asm/tlbflush.h>

/* SDM 4.10.2.3: never let a TLB hold two page sizes with different bits. */
#define PGTLIB_ARCH_FLUSH_AFTER_SPLIT	1
/* Remote TLBs are invalidated by IPI. */
#define PGTLIB_ARCH_FLUSH_IPI		1
/*
 * INVLPG drops the paging-structure caches of the current PCID only (SDM
 * 4.10.4.1), and kernel changes bump no mm's tlb_gen: when tables go,
 * flush every PCID, whatever tlb_single_page_flush_ceiling says.
 */
#define PGTLIB_ARCH_TABLES_FLUSH_ALL	1

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

/* Beyond the CPU's physical address width, a PFN would be truncated. */
#define pgtlib_arch_phys_ok pgtlib_arch_phys_ok
static inline bool pgtlib_arch_phys_ok(phys_addr_t last)
{
	return !(last >> boot_cpu_data.x86_phys_bits);
}

/*
 * The protections pgtlib makes are present, already masked to what the CPU
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

/* As pfn_pte() (massage_pgprot()); PROT_NONE is not a kernel mapping. */
#define pgtlib_arch_caller_pgprot pgtlib_arch_caller_pgprot
static inline pgprot_t pgtlib_arch_caller_pgprot(pgprot_t prot, bool *valid)
{
	*valid = pgprot_val(prot) & _PAGE_PRESENT;
	return __pgprot(pgprot_val(prot) & __supported_pte_mask);
}

/*
 * A split of a leaf that is not present (set_memory_np()) keeps it so:
 * such PTEs go through pfn_pte() for its L1TF inversion of the PFN.
 */
#define pgtlib_arch_mk_leaf_any pgtlib_arch_mk_leaf_any
static inline unsigned long pgtlib_arch_mk_leaf_any(unsigned int level,
						    unsigned long pfn,
						    pgprot_t prot)
{
	if (level == PGTLIB_LEVEL_PTE && !(pgprot_val(prot) & _PAGE_PRESENT))
		return pte_val(pfn_pte(pfn, prot));
	return pgtlib_arch_mk_leaf(level, pfn, prot);
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

/* A huge leaf must not straddle MTRRs of different types. */
#define pgtlib_arch_leaf_phys_ok pgtlib_arch_leaf_phys_ok
bool pgtlib_arch_leaf_phys_ok(unsigned int level, phys_addr_t phys);
/* @stage cpa-split */

/* DirectMap4k/2M/1G and the direct_map_level2/3_splits events */
#define pgtlib_arch_leaf_resized pgtlib_arch_leaf_resized
void pgtlib_arch_leaf_resized(unsigned int level, unsigned long addr,
			      bool split);
/* @stage end */
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

static inline void pgtlib_arch_flush(const struct pgtlib_range *ranges,
				     unsigned int nr, bool all, bool tables)
{
	if (!all && nr == 1)
		flush_tlb_kernel_range(ranges[0].start, ranges[0].end);
	else
		__pgtlib_arch_flush(ranges, nr, all, tables);
}

/* flush_tlb_one_kernel() is local, and reaches the PTI user copy too. */
static inline void pgtlib_arch_flush_local(const struct pgtlib_range *ranges,
					   unsigned int nr, bool all)
{
	unsigned long addr;
	unsigned int i;

	if (all) {
		__flush_tlb_all();
		return;
	}
	for (i = 0; i < nr; i++)
		for (addr = ranges[i].start; addr < ranges[i].end;
		     addr += PAGE_SIZE)
			flush_tlb_one_kernel(addr);
}

#include <asm-generic/pgtlib.h>

#endif /* _ASM_X86_PGTLIB_H */
