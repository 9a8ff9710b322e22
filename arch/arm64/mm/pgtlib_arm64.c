// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 helpers for pgtlib: protections and TLB invalidation, with range
 * TLBI (FEAT_TLBIRANGE) where the CPUs have it.
 */
#include <linux/mm.h>
#include <linux/cpufeature.h>
#include <asm/pgtlib.h>
#include <asm/tlbflush.h>

static unsigned long pgtlib_arm64_attr(pgprot_t prot)
{
	return pgprot_val(prot) & PTE_ATTRINDX_MASK;
}

pgprot_t __pgtlib_arch_pgprot(unsigned int prot)
{
	pgprot_t pgprot;

	if (prot & PGTLIB_PROT_WRITE)
		pgprot = PAGE_KERNEL;
	else if (prot & PGTLIB_PROT_EXEC)
		pgprot = PAGE_KERNEL_ROX;
	else
		pgprot = PAGE_KERNEL_RO;
	if (prot & PGTLIB_PROT_NOCACHE)
		pgprot = pgprot_noncached(pgprot);
	else if (prot & PGTLIB_PROT_WC)
		pgprot = pgprot_writecombine(pgprot);
	return pgprot;
}

unsigned int pgtlib_arch_prot_decode(pgprot_t pgprot)
{
	unsigned long val = pgprot_val(pgprot);
	unsigned int prot = PGTLIB_PROT_READ;

	if (!(val & PTE_RDONLY))
		prot |= PGTLIB_PROT_WRITE;
	if (!(val & PTE_PXN))
		prot |= PGTLIB_PROT_EXEC;
	val &= PTE_ATTRINDX_MASK;
	if (val == pgtlib_arm64_attr(pgprot_noncached(__pgprot(0))))
		prot |= PGTLIB_PROT_NOCACHE;
	else if (val == pgtlib_arm64_attr(pgprot_writecombine(__pgprot(0))))
		prot |= PGTLIB_PROT_WC;
	return prot;
}

void pgtlib_arch_prot_masks(unsigned int set, unsigned int clear,
			    pgprot_t *set_mask, pgprot_t *clear_mask)
{
	unsigned long s = 0, c = 0;

	/*
	 * Exactly PAGE_KERNEL and PAGE_KERNEL_RO, which both carry the
	 * software PTE_DIRTY: as set_memory_rw() and _ro(), leave it.
	 */
	if (set & PGTLIB_PROT_WRITE) {
		s |= PTE_WRITE;
		c |= PTE_RDONLY;
	}
	if (clear & PGTLIB_PROT_WRITE) {
		s |= PTE_RDONLY;
		c |= PTE_WRITE;
	}
	if (set & PGTLIB_PROT_EXEC)
		c |= PTE_PXN;
	if (clear & PGTLIB_PROT_EXEC)
		s |= PTE_PXN;
	if ((set | clear) & (PGTLIB_PROT_NOCACHE | PGTLIB_PROT_WC)) {
		c |= PTE_ATTRINDX_MASK;
		/* Device and Normal-NC memory: never executable. */
		if (set & PGTLIB_PROT_NOCACHE)
			s |= pgprot_val(pgprot_noncached(__pgprot(0)));
		else if (set & PGTLIB_PROT_WC)
			s |= pgprot_val(pgprot_writecombine(__pgprot(0)));
		else
			s |= PTE_ATTRINDX(MT_NORMAL);
	}
	*set_mask = __pgprot(s);
	*clear_mask = __pgprot(c & ~s);
}

void __pgtlib_arch_flush(const struct pgtlib_range *ranges, unsigned int nr,
			 bool all, bool tables)
{
	unsigned int i;

	if (all) {
		flush_tlb_all();
		return;
	}
	dsb(ishst);
	for (i = 0; i < nr; i++) {
		unsigned long start = ranges[i].start;
		unsigned long pages = (ranges[i].end - start) >> PAGE_SHIFT;

		/* Freed tables live in walk caches: use the non-leaf form. */
		if (tables)
			__flush_tlb_range_op(vaae1is, start, pages, PAGE_SIZE,
					     0, TLBI_TTL_UNKNOWN, false,
					     lpa2_is_enabled());
		else
			__flush_tlb_range_op(vaale1is, start, pages, PAGE_SIZE,
					     0, TLBI_TTL_UNKNOWN, false,
					     lpa2_is_enabled());
	}
	/* Complete as the kernel's own flushes do: with the errata repeat. */
	__tlbi_sync_s1ish();
	isb();
}
