// SPDX-License-Identifier: GPL-2.0
/*
 * x86 helpers for pgtlib: protections, MTRR checks and TLB invalidation.
 */
#include <linux/mm.h>
#include <linux/smp.h>
#include <asm/memtype.h>
#include <asm/mtrr.h>
#include <asm/pgtlib.h>
#include <asm/tlbflush.h>

bool pgtlib_arch_leaf_phys_ok(unsigned int level, phys_addr_t phys)
{
	unsigned long size = 1UL << (level == PGTLIB_LEVEL_PMD ? PMD_SHIFT :
						PUD_SHIFT);
	u8 uniform;

	mtrr_type_lookup(phys, phys + size, &uniform);
	return uniform;
}

/* @stage cpa-split */
/*
 * Count what pgtlib splits and collapses where RAM is mapped, the direct
 * map and the kernel image, as CPA counted its own splits: CPA splits
 * through pgtlib, and so does the unmapped-page allocator.
 */
void pgtlib_arch_leaf_resized(unsigned int level, unsigned long addr,
			      bool split)
{
	int lvl = level == PGTLIB_LEVEL_PMD ? PG_LEVEL_2M : PG_LEVEL_1G;
	unsigned long pfn;

	if (!virt_addr_valid(addr))
		return;
	pfn = PFN_DOWN(__pa(addr));
	if (!pfn_range_is_mapped(pfn, pfn + 1))
		return;
	if (!split) {
		update_page_count(lvl - 1, -PTRS_PER_PTE);
		update_page_count(lvl, 1);
		return;
	}
	update_page_count(lvl, -1);
	update_page_count(lvl - 1, PTRS_PER_PTE);
	if (system_state == SYSTEM_RUNNING)
		count_vm_event(lvl == PG_LEVEL_2M ? DIRECT_MAP_LEVEL2_SPLIT :
						    DIRECT_MAP_LEVEL3_SPLIT);
}

/* @stage end */
pgprot_t __pgtlib_arch_pgprot(unsigned int prot)
{
	pgprot_t pgprot = prot & PGTLIB_PROT_WRITE ? PAGE_KERNEL : PAGE_KERNEL_RO;

	if (prot & PGTLIB_PROT_EXEC)
		pgprot = __pgprot(pgprot_val(pgprot) & ~_PAGE_NX);
	if (prot & PGTLIB_PROT_NOCACHE)
		pgprot = pgprot_noncached(pgprot);
	else if (prot & PGTLIB_PROT_WC)
		pgprot = pgprot_writecombine(pgprot);
	return __pgprot(pgprot_val(pgprot) & __supported_pte_mask);
}

unsigned int pgtlib_arch_prot_decode(pgprot_t pgprot)
{
	unsigned long val = pgprot_val(pgprot);
	unsigned int prot = PGTLIB_PROT_READ;

	if (val & _PAGE_RW)
		prot |= PGTLIB_PROT_WRITE;
	if (!(val & _PAGE_NX))
		prot |= PGTLIB_PROT_EXEC;
	switch (pgprot2cachemode(pgprot)) {
	case _PAGE_CACHE_MODE_UC:
	case _PAGE_CACHE_MODE_UC_MINUS:
		prot |= PGTLIB_PROT_NOCACHE;
		break;
	case _PAGE_CACHE_MODE_WC:
		prot |= PGTLIB_PROT_WC;
		break;
	default:
		break;
	}
	return prot;
}

void pgtlib_arch_prot_masks(unsigned int set, unsigned int clear,
			    pgprot_t *set_mask, pgprot_t *clear_mask)
{
	unsigned long s = 0, c = 0;

	if (set & PGTLIB_PROT_WRITE)
		s |= _PAGE_RW | _PAGE_DIRTY;
	/* As set_memory_ro(): Write=0, Dirty=1 means shadow stack. */
	if (clear & PGTLIB_PROT_WRITE)
		c |= _PAGE_RW | _PAGE_DIRTY;
	if (set & PGTLIB_PROT_EXEC)
		c |= _PAGE_NX;
	if (clear & PGTLIB_PROT_EXEC)
		s |= _PAGE_NX & __supported_pte_mask;
	if ((set | clear) & (PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC))
		c |= _PAGE_CACHE_MASK;
	if (set & PGTLIB_PROT_NOCACHE)
		s |= cachemode2protval(_PAGE_CACHE_MODE_UC_MINUS);
	else if (set & PGTLIB_PROT_WC)
		s |= cachemode2protval(_PAGE_CACHE_MODE_WC);
	*set_mask = __pgprot(s);
	*clear_mask = __pgprot(c);
}

struct pgtlib_x86_flush {
	const struct pgtlib_range *ranges;
	unsigned int nr;
};

static void pgtlib_x86_flush_ranges(void *data)
{
	const struct pgtlib_x86_flush *f = data;
	unsigned int i;

	for (i = 0; i < f->nr; i++) {
		unsigned long addr;

		for (addr = f->ranges[i].start; addr < f->ranges[i].end;
		     addr += PAGE_SIZE)
			flush_tlb_one_kernel(addr);
	}
}

void __pgtlib_arch_flush(const struct pgtlib_range *ranges, unsigned int nr,
			 bool all, bool tables)
{
	struct pgtlib_x86_flush f = { .ranges = ranges, .nr = nr };

	if (all) {
		flush_tlb_all();
		return;
	}
	/* One IPI for every range, counted as flush_tlb_all() counts its */
	count_vm_tlb_event(NR_TLB_REMOTE_FLUSH);
	on_each_cpu(pgtlib_x86_flush_ranges, &f, 1);
}
