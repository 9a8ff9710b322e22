// SPDX-License-Identifier: GPL-2.0
/*
 * A per-CPU window for pages outside the kernel's direct map.
 *
 * The unmapped-page allocator (mm/unmapped_alloc.c) must reach the pages
 * it keeps out of the direct map: to zero them, and for kmap_local_page().
 * Each CPU has a window of UNMAPPED_KMAP_SLOTS pages of kernel address
 * space, whose page tables are reserved at boot, so that mapping a page
 * there never allocates. A map writes one PTE with pgtlib into a hole;
 * an unmap clears it and invalidates this CPU's TLB only
 * (pgtlib_txn_commit_local()), with no IPI, so both work in any context
 * but NMI. A slot is taken per map, nested or not, from a bitmap (not a
 * stack: tasks preempted on the CPU free theirs in any order), and stays
 * this CPU's while its task has migration disabled.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/pgtlib.h>
#include <linux/unmapped_alloc.h>
#include <linux/vmalloc.h>

#define UNMAPPED_KMAP_SLOTS	128

struct unmapped_kmap {
	unsigned long va;
/* @stage unmapped-stats */
	unsigned long maps;
/* @stage end */
	DECLARE_BITMAP(busy, UNMAPPED_KMAP_SLOTS);
};

static DEFINE_PER_CPU(struct unmapped_kmap, unmapped_kmap);
/* @stage unmapped-kmap */
/*
 * kmap_local_page() and kunmap_local() are inline in every module that
 * maps pages, GPL or not, as they are on HIGHMEM (mm/highmem.c exports
 * its kmap_local functions to all): so is what they read and call, the
 * static key unmapped_pages_in_use included (exported in
 * mm/unmapped_alloc.c).
 */
unsigned long unmapped_kmap_start __ro_after_init;
EXPORT_SYMBOL(unmapped_kmap_start);
unsigned long unmapped_kmap_size __ro_after_init;
EXPORT_SYMBOL(unmapped_kmap_size);
/* @stage end */

/**
 * unmapped_kmap_local() - kmap_local_page() for a page outside the direct map
 * @page: a page of the allocator
 *
 * Maps @page in a slot of this CPU's window: one PTE written into a table
 * reserved at boot, no allocation, no invalidation (the slot was a hole).
 * Migration stays disabled until unmapped_kunmap_local().
 *
 * Context: any context but NMI, as kmap_local_page().
 * Return: the address, or %NULL (with a warning) if all of this CPU's
 * slots are taken.
 */
void *unmapped_kmap_local(struct page *page)
{
	struct unmapped_kmap *k;
	struct pgtlib_txn txn;
	unsigned long flags, slot, va;
	int ret;

	migrate_disable();
	k = this_cpu_ptr(&unmapped_kmap);
	local_irq_save(flags);
	slot = find_first_zero_bit(k->busy, UNMAPPED_KMAP_SLOTS);
	if (slot < UNMAPPED_KMAP_SLOTS)
		__set_bit(slot, k->busy);
/* @stage unmapped-stats */
	k->maps += slot < UNMAPPED_KMAP_SLOTS;
/* @stage end */
	local_irq_restore(flags);
	if (WARN_ONCE(slot >= UNMAPPED_KMAP_SLOTS,
		      "unmapped_alloc: all kmap slots taken\n")) {
		migrate_enable();
		return NULL;
	}
	va = k->va + slot * PAGE_SIZE;
	pgtlib_txn_begin(&txn, pgtlib_kernel_space(), PGTLIB_TXN_NOALLOC);
	ret = pgtlib_map_prot(&txn, va, PFN_PHYS(page_to_pfn(page)), PAGE_SIZE,
			      PAGE_KERNEL, 0);
	pgtlib_txn_commit_local(&txn);
	WARN_ONCE(ret, "unmapped_alloc: kmap: %d\n", ret);
	return (void *)va;
}
/* @stage unmapped-kmap */
EXPORT_SYMBOL(unmapped_kmap_local);
/* @stage end */

/**
 * unmapped_kunmap_local() - kunmap_local() of unmapped_kmap_local()
 * @addr: an address in the page it returned
 *
 * Clears the slot's PTE and invalidates it in this CPU's TLB only: no
 * other CPU ever used this CPU's slots.
 *
 * Context: on the CPU, and in the task, that mapped it.
 */
void unmapped_kunmap_local(const void *addr)
{
	struct unmapped_kmap *k = this_cpu_ptr(&unmapped_kmap);
	unsigned long va = (unsigned long)addr & PAGE_MASK, flags, slot;
	struct pgtlib_txn txn;

	slot = (va - k->va) >> PAGE_SHIFT;
	if (WARN_ONCE(slot >= UNMAPPED_KMAP_SLOTS,
		      "unmapped_alloc: kunmap of %p, not in this CPU's window\n", addr))
		return;
	pgtlib_txn_begin(&txn, pgtlib_kernel_space(), PGTLIB_TXN_NOALLOC);
	WARN_ON_ONCE(pgtlib_unmap(&txn, va, PAGE_SIZE));
	pgtlib_txn_commit_local(&txn);
	local_irq_save(flags);
	__clear_bit(slot, k->busy);
	local_irq_restore(flags);
	migrate_enable();
}
/* @stage unmapped-kmap */
EXPORT_SYMBOL(unmapped_kunmap_local);
/* @stage end */

/* @stage unmapped-kmap */
/**
 * unmapped_kmap_to_page() - kmap_to_page() of a window address
 * @addr: an address unmapped_kmap_local() returned, still mapped
 *
 * Return: the page mapped there.
 */
struct page *unmapped_kmap_to_page(const void *addr)
{
	return vmalloc_to_page(addr);
}
EXPORT_SYMBOL(unmapped_kmap_to_page);

/* @stage end */
/**
 * unmapped_window_init() - set up every CPU's window
 *
 * Takes the windows' kernel address space, at the top of the vmalloc
 * range, and reserves their page tables with pgtlib_reserve().
 *
 * Return: 0, -ENOMEM, or pgtlib_reserve()'s error.
 */
int __init unmapped_window_init(void)
{
	unsigned long size = nr_cpu_ids * UNMAPPED_KMAP_SLOTS * PAGE_SIZE, va;
	struct vm_struct *vm;
	int cpu, ret;

	/*
	 * At the top of the vmalloc range, as percpu's areas are: a
	 * permanent area at its bottom would move every later vmalloc()
	 * up, and with it the tables they take.
	 */
	vm = __get_vm_area_caller(size, 0,
				  ALIGN_DOWN(VMALLOC_END - size - PAGE_SIZE, PMD_SIZE),
				  VMALLOC_END, (void *)_THIS_IP_);
	if (!vm)
		vm = get_vm_area(size, 0);
	if (!vm)
		return -ENOMEM;
	va = (unsigned long)vm->addr;
	/* The windows' tables, so that a map there never allocates. */
	ret = pgtlib_reserve(pgtlib_kernel_space(), va, size, GFP_KERNEL);
	if (ret) {
		free_vm_area(vm);
		return ret;
	}
	for_each_possible_cpu(cpu)
		per_cpu(unmapped_kmap, cpu).va = va +
			cpu * UNMAPPED_KMAP_SLOTS * PAGE_SIZE;
/* @stage unmapped-kmap */
	unmapped_kmap_start = va;
	unmapped_kmap_size = size;
/* @stage end */
	return 0;
}
/* @stage unmapped-stats */

/**
 * unmapped_window_maps() - pages mapped in the windows since boot
 *
 * Return: the number of unmapped_kmap_local() calls that got a slot.
 */
unsigned long unmapped_window_maps(void)
{
	unsigned long maps = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		maps += per_cpu(unmapped_kmap, cpu).maps;
	return maps;
}
/* @stage end */
