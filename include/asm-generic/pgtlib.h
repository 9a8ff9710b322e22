/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pgtlib architecture contract, with the defaults an architecture
 * keeps unless its <asm/pgtlib.h> defines the name first.
 *
 * <asm/pgtlib.h> includes this file at its end. Everything here runs once
 * per entry or per operation: keep overrides inline.
 */
#ifndef _ASM_GENERIC_PGTLIB_H
#define _ASM_GENERIC_PGTLIB_H

#include <linux/ioport.h>
#include <linux/mmzone.h>
#include <linux/pgtable.h>

/**
 * DOC: pgtlib architecture flags
 *
 * Each flag is a constant an architecture may define in <asm/pgtlib.h>;
 * the default is given in brackets.
 *
 * ``PGTLIB_ARCH_PROT_SUPPORTED`` [%PGTLIB_PROT_MASK]
 *	The %PGTLIB_PROT_* bits the architecture can express.
 * ``PGTLIB_ARCH_NEEDS_BBM`` [0]
 *	Changing the output address or size of a live valid entry (a split,
 *	a collapse, a replacing map) or its memory type needs
 *	break-before-make: clear, invalidate, then write (arm64).
 * ``PGTLIB_ARCH_FLUSH_AFTER_SPLIT`` [0]
 *	After a live split the TLB must be flushed before any of the smaller
 *	leaves may differ from the huge one (x86: the SDM forbids a TLB
 *	holding both sizes with different attributes).
 * ``PGTLIB_ARCH_FLUSH_IPI`` [0]
 *	Invalidating other CPUs' TLBs interrupts them, so it needs interrupts
 *	enabled (x86); arm64 broadcasts TLBI instead.
 * ``PGTLIB_ARCH_TABLES_FLUSH_ALL`` [0]
 *	Invalidating by address does not reach every cached walk of a removed
 *	table (x86: INVLPG covers the current PCID only), so a flush that
 *	removes tables invalidates everything.
 * ``PGTLIB_ARCH_CONT_PTES``, ``PGTLIB_ARCH_CONT_PMDS`` [1]
 *	PTEs (huge PMD leaves) that one aligned, physically contiguous group
 *	may mark as a single TLB entry (arm64's contiguous bit); 1 when there
 *	is no such hint. Changing part of a group needs the whole group
 *	rewritten without the hint first, with break-before-make.
 *
 */

/**
 * DOC: pgtlib architecture helpers without a default
 *
 * Each architecture provides these, inline where they run per entry:
 *
 * ``bool pgtlib_arch_level_has_leaf(level)``
 *	A kernel leaf may live at @level on this CPU.
 * ``unsigned long pgtlib_arch_mk_leaf(level, pfn, pgprot_t prot)``
 *	The raw value of a leaf at @level; @prot is in PTE (level 0) form,
 *	and present.
 * ``pgprot_t pgtlib_arch_leaf_prot(level, unsigned long val)``
 *	The protection of the leaf @val at @level, in PTE form.
 * ``pgprot_t pgtlib_arch_pgprot(unsigned int prot)``,
 * ``unsigned int pgtlib_arch_prot_decode(pgprot_t prot)``
 *	Translate between %PGTLIB_PROT_* bits and PTE-form pgprot_t.
 * ``pgtlib_arch_prot_masks(set, clear, pgprot_t *set_mask, *clear_mask)``
 *	PTE bits to clear, then set, to apply pgtlib_protect(@set, @clear):
 *	what set_memory_ro() and set_memory_rw() would give (x86 clears Dirty
 *	with write access).
 * ``unsigned long pgtlib_arch_flush_ceiling(void)``
 *	Pages above which one full flush is cheaper than page invalidations.
 * ``pgtlib_arch_flush(const struct pgtlib_range *ranges, nr, all, tables)``
 *	Invalidate kernel translations for @ranges on every CPU, or the whole
 *	TLB when @all, as one request, completed as the kernel's own
 *	flush_tlb_kernel_range() completes (arm64: __tlbi_sync_s1ish());
 *	@tables: table pages were removed, so cached walks must go too.
 * ``pgtlib_arch_flush_local(const struct pgtlib_range *ranges, nr, all)``
 *	Invalidate kernel translations for @ranges, or the whole TLB when
 *	@all, on this CPU only, with preemption disabled.
 */
#ifndef PGTLIB_ARCH_PROT_SUPPORTED
#define PGTLIB_ARCH_PROT_SUPPORTED	PGTLIB_PROT_MASK
#endif
#ifndef PGTLIB_ARCH_NEEDS_BBM
#define PGTLIB_ARCH_NEEDS_BBM		0
#endif
#ifndef PGTLIB_ARCH_FLUSH_AFTER_SPLIT
#define PGTLIB_ARCH_FLUSH_AFTER_SPLIT	0
#endif
#ifndef PGTLIB_ARCH_FLUSH_IPI
#define PGTLIB_ARCH_FLUSH_IPI		0
#endif
#ifndef PGTLIB_ARCH_TABLES_FLUSH_ALL
#define PGTLIB_ARCH_TABLES_FLUSH_ALL	0
#endif
#ifndef PGTLIB_ARCH_CONT_PTES
#define PGTLIB_ARCH_CONT_PTES		1
#endif
#ifndef PGTLIB_ARCH_CONT_PMDS
#define PGTLIB_ARCH_CONT_PMDS		1
#endif

#ifndef pgtlib_arch_prot_ok
/**
 * pgtlib_arch_prot_ok() - whether a combination of protections is possible
 * @prot: %PGTLIB_PROT_* bits
 *
 * Return: true if the architecture can express @prot (arm64: Device and
 * Normal-NC memory is never executable). By default everything is.
 */
static inline bool pgtlib_arch_prot_ok(unsigned int prot)
{
	return true;
}
#endif

#ifndef pgtlib_arch_leaf_phys_ok
/**
 * pgtlib_arch_leaf_phys_ok() - whether a huge leaf may map a physical range
 * @level: the leaf's level, above %PGTLIB_LEVEL_PTE
 * @phys: its output address, aligned to the leaf's size
 *
 * Return: true if one leaf at @level may map @phys (x86: the MTRRs are of
 * one type over the whole leaf). By default it may.
 */
static inline bool pgtlib_arch_leaf_phys_ok(unsigned int level,
					    phys_addr_t phys)
{
	return true;
}
#endif

#ifndef pgtlib_arch_phys_ok
/**
 * pgtlib_arch_phys_ok() - whether physical addresses fit the output range
 * @last: the last physical address a mapping would translate to
 *
 * Return: true if every address up to @last can be an output address;
 * by default, up to MAX_PHYSMEM_BITS.
 */
static inline bool pgtlib_arch_phys_ok(phys_addr_t last)
{
	return !(last >> MAX_PHYSMEM_BITS);
}
#endif

#ifndef pgtlib_arch_cache_alias_ok
/**
 * pgtlib_arch_cache_alias_ok() - whether memory may get another memory type
 * @phys: first physical address of a live mapping
 * @size: its size in bytes
 *
 * Return: true if a live mapping of [@phys, @phys + @size) may be made
 * uncached or write-combining. By default not RAM: the direct map aliases
 * it write-back, and mismatched memory types are what x86's CPA memtype
 * tracking and arm64's ioremap() refuse (SDM 11.12.4; ARM ARM B2.8).
 */
static inline bool pgtlib_arch_cache_alias_ok(phys_addr_t phys,
					      unsigned long size)
{
	return region_intersects(phys, size, IORESOURCE_SYSTEM_RAM,
				 IORES_DESC_NONE) == REGION_DISJOINT;
}
#endif

#ifndef pgtlib_arch_caller_pgprot
/**
 * pgtlib_arch_caller_pgprot() - a caller's PTE protection, as pfn_pte() uses it
 * @prot: a PTE-form protection passed to pgtlib_map_prot() or
 *	pgtlib_map_pages_prot()
 * @valid: set to whether @prot makes a valid (present) entry
 *
 * Return: @prot with what pfn_pte() would drop from it dropped (x86: the
 * bits the CPU does not support), so that pgtlib's leaves are bit for bit
 * those pfn_pte(), pmd_set_huge() and pud_set_huge() write. By default
 * @prot itself, valid if pfn_pte() makes a present entry of it.
 */
static inline pgprot_t pgtlib_arch_caller_pgprot(pgprot_t prot, bool *valid)
{
	*valid = pte_present(pfn_pte(0, prot));
	return prot;
}
#endif

#ifndef pgtlib_arch_mk_leaf_any
/**
 * pgtlib_arch_mk_leaf_any() - rebuild a leaf with an existing protection
 * @level: the new leaf's level
 * @pfn: its first page frame
 * @prot: the PTE-form protection of an existing leaf, which need not be
 *	present (a split of memory set_memory_np() took away)
 *
 * pgtlib_arch_mk_leaf() only ever sees the present protections pgtlib
 * makes; a split or an unfold rebuilds what was there.
 *
 * Return: the raw value of the leaf; by default pgtlib_arch_mk_leaf()'s.
 */
static inline unsigned long pgtlib_arch_mk_leaf_any(unsigned int level,
						    unsigned long pfn,
						    pgprot_t prot)
{
	return pgtlib_arch_mk_leaf(level, pfn, prot);
}
#endif

#ifndef pgtlib_arch_pte_cont
/**
 * pgtlib_arch_pte_cont() - whether a PTE carries the contiguous hint
 * @val: the PTE's raw value
 *
 * Return: true if @val is a valid PTE with the hint; by default, never.
 */
static inline bool pgtlib_arch_pte_cont(unsigned long val)
{
	return false;
}

/**
 * pgtlib_arch_pte_set_cont() - set or clear a PTE's contiguous hint
 * @val: the PTE's raw value
 * @cont: set the hint
 *
 * Return: @val with the hint set or cleared; by default, @val.
 */
static inline unsigned long pgtlib_arch_pte_set_cont(unsigned long val,
						     bool cont)
{
	return val;
}
#endif

#ifndef pgtlib_arch_pmd_cont
/**
 * pgtlib_arch_pmd_cont() - whether a huge PMD leaf carries the hint
 * @val: the PMD's raw value
 *
 * Return: true if @val is a huge leaf with the contiguous hint; by default,
 * never.
 */
static inline bool pgtlib_arch_pmd_cont(unsigned long val)
{
	return false;
}

/**
 * pgtlib_arch_pmd_set_cont() - set or clear a huge PMD leaf's hint
 * @val: the PMD's raw value
 * @cont: set the hint
 *
 * Return: @val with the hint set or cleared; by default, @val.
 */
static inline unsigned long pgtlib_arch_pmd_set_cont(unsigned long val,
						     bool cont)
{
	return val;
}
#endif

#ifndef pgtlib_arch_pte_present
/**
 * pgtlib_arch_pte_present() - whether a kernel PTE translates
 * @pte: the PTE
 *
 * Return: true for a leaf the CPU may use; by default pte_present().
 */
static inline bool pgtlib_arch_pte_present(pte_t pte)
{
	return pte_present(pte);
}
#endif

/* @stage ptes */
#ifndef pgtlib_arch_pte_change
/**
 * pgtlib_arch_pte_change() - set and clear bits of a kernel PTE
 * @val: the PTE's raw value, not a hole
 * @set: PTE-form bits to set
 * @clear: PTE-form bits to clear, before @set is applied
 *
 * What pgtlib_change_ptes() writes: the entry with the same output
 * address, also when the change makes it non-present.
 *
 * Return: the new raw value; by default pfn_pte() of the entry's page with
 * its pte_pgprot() changed (on x86, pfn_pte() inverts the address of a
 * non-present entry, for L1TF).
 */
static inline unsigned long pgtlib_arch_pte_change(unsigned long val,
						   pgprot_t set, pgprot_t clear)
{
	pte_t pte = __pte(val);

	return pte_val(pfn_pte(pte_pfn(pte),
			       __pgprot((pgprot_val(pte_pgprot(pte)) &
					 ~pgprot_val(clear)) |
					pgprot_val(set))));
}
#endif

/* @stage end */
#ifndef pgtlib_arch_pte_get
/**
 * pgtlib_arch_pte_get() - read a kernel PTE as it was written
 * @ptep: the PTE
 *
 * Return: the PTE, without any gathering of a contiguous group's access
 * and dirty bits (arm64's ptep_get() does that); by default ptep_get().
 */
static inline pte_t pgtlib_arch_pte_get(pte_t *ptep)
{
	return ptep_get(ptep);
}
#endif

#ifndef pgtlib_arch_set_pte
/**
 * pgtlib_arch_set_pte() - write a kernel PTE of a batch
 * @ptep: the PTE
 * @val: its new raw value
 *
 * Writes without the per-entry barriers set_pte_at() may issue; one
 * pgtlib_arch_sync_ptes() after the batch makes the writes visible to this
 * CPU's table walker. By default set_pte().
 */
static inline void pgtlib_arch_set_pte(pte_t *ptep, unsigned long val)
{
	set_pte(ptep, __pte(val));
}
#endif

#ifndef pgtlib_arch_sync_ptes
/**
 * pgtlib_arch_sync_ptes() - make a batch of PTE writes visible
 *
 * By default nothing: the architecture's table walks see stores in
 * program order.
 */
static inline void pgtlib_arch_sync_ptes(void)
{
}
#endif

/* @stage split-op */
#ifndef pgtlib_arch_leaf_resized
/**
 * pgtlib_arch_leaf_resized() - init_mm had a huge leaf split or made
 * @level: the level of the huge leaf
 * @addr: the first address the huge leaf maps
 * @split: true if it became a table of leaves one level down, false if
 *	such a table became the huge leaf
 *
 * For the architecture's account of how its kernel mappings are mapped
 * (x86's DirectMap4k/2M/1G). Called under the kernel space's lock. By
 * default nothing.
 */
static inline void pgtlib_arch_leaf_resized(unsigned int level,
					    unsigned long addr, bool split)
{
}
#endif

/* @stage end */
#endif /* _ASM_GENERIC_PGTLIB_H */
