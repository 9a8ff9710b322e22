// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of vmalloc's page-table code: the entries that vmap, ioremap
 * and huge vmalloc write, vmalloc_to_page(), and unmapping. Every entry is
 * read back with a descent of the kernel's own p?d_offset() helpers and
 * compared with what pfn_pte(), pmd_set_huge() and pud_set_huge() make of
 * the same protection, which is what the generic walkers write; so the
 * tests hold for mm/vmalloc_walk.c and for the pgtlib path alike.
 */

#include <kunit/test.h>
#include <linux/io.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/tlbflush.h>

#ifdef CONFIG_PGTLIB
#include <linux/pgtlib.h>
#endif

#include "internal.h"

#define VT_PTE	0
#define VT_PMD	1
#define VT_PUD	2
#define VT_HOLE	(-1)

/* The leaf mapping @va and its level, by the kernel's own helpers. */
static int vt_lookup(unsigned long va, u64 *val)
{
	pgd_t *pgd = pgd_offset_k(va);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;
	pte_t pte;

	if (pgd_none(pgdp_get(pgd)))
		return VT_HOLE;
	p4d = p4d_offset(pgd, va);
	if (p4d_none(p4dp_get(p4d)))
		return VT_HOLE;
	pud = pud_offset(p4d, va);
	if (pud_none(pudp_get(pud)))
		return VT_HOLE;
	if (pud_leaf(pudp_get(pud))) {
		*val = pud_val(pudp_get(pud));
		return VT_PUD;
	}
	pmd = pmd_offset(pud, va);
	if (pmd_none(pmdp_get(pmd)))
		return VT_HOLE;
	if (pmd_leaf(pmdp_get(pmd))) {
		*val = pmd_val(pmdp_get(pmd));
		return VT_PMD;
	}
	pte = ptep_get(pte_offset_kernel(pmd, va));
	if (pte_none(pte))
		return VT_HOLE;
	*val = pte_val(pte);
	return VT_PTE;
}

/* Table pages below the PUD entry of @va, by the kernel's own helpers. */
static unsigned long vt_tables(unsigned long va)
{
	pgd_t *pgd = pgd_offset_k(va);
	unsigned long n = 1;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;
	unsigned int i;

	if (pgd_none(pgdp_get(pgd)))
		return 0;
	p4d = p4d_offset(pgd, va);
	if (p4d_none(p4dp_get(p4d)))
		return 0;
	pud = pud_offset(p4d, va);
	if (pud_none(pudp_get(pud)) || pud_leaf(pudp_get(pud)))
		return 0;
	pmd = pmd_offset(pud, va & PUD_MASK);
	for (i = 0; i < PTRS_PER_PMD; i++)
		if (pmd_present(pmdp_get(pmd + i)) && !pmd_leaf(pmdp_get(pmd + i)))
			n++;
	return n;
}

static void vt_expect_hole(struct kunit *test, unsigned long va)
{
	u64 val = 0;

	KUNIT_EXPECT_EQ_MSG(test, vt_lookup(va, &val), VT_HOLE,
			    "%lx maps %llx", va, val);
}

static void vt_free_area(void *area)
{
	free_vm_area(area);
}

/* A vmalloc area of @size bytes from which @align-aligned ranges are cut. */
static unsigned long vt_area(struct kunit *test, unsigned long size,
			     unsigned long align)
{
	struct vm_struct *area = get_vm_area(size + align, VM_IOREMAP);

	KUNIT_ASSERT_NOT_NULL(test, area);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vt_free_area,
							area), 0);
	return ALIGN((unsigned long)area->addr, align);
}

static void vt_unmap(unsigned long va, unsigned long size)
{
	__vunmap_range_noflush(va, va + size);
	flush_tlb_kernel_range(va, va + size);
}

struct vt_prot {
	const char *name;
	pgprot_t prot;
};

static const struct vt_prot *vt_prots(unsigned int *nr)
{
	static struct vt_prot prots[16];
	unsigned int n = 0;

#define VT_PROT(p) (prots[n++] = (struct vt_prot){ #p, p })
	VT_PROT(PAGE_KERNEL);
	VT_PROT(PAGE_KERNEL_RO);
	VT_PROT(PAGE_KERNEL_EXEC);
	VT_PROT(PAGE_KERNEL_ROX);
	VT_PROT(pgprot_nx(PAGE_KERNEL));
	VT_PROT(pgprot_noncached(PAGE_KERNEL));
	VT_PROT(pgprot_writecombine(PAGE_KERNEL));
	VT_PROT(pgprot_device(PAGE_KERNEL));
#ifdef CONFIG_X86
	VT_PROT(PAGE_KERNEL_IO);
	VT_PROT(pgprot_decrypted(PAGE_KERNEL));
	VT_PROT(pgprot_encrypted(PAGE_KERNEL_IO));
#endif
#ifdef CONFIG_ARM64
	VT_PROT(__pgprot(PROT_NORMAL_TAGGED));
	VT_PROT(__pgprot(pgprot_val(PAGE_KERNEL_ROX) | PTE_MAYBE_GP));
#endif
#undef VT_PROT
	*nr = n;
	return prots;
}

/*
 * What the generic walkers write for [va, va + size) -> phys, whose first
 * leaf is checked: the largest leaf that max_page_shift, the architecture
 * and the alignment allow, as vmap_try_huge_p?d() pick it.
 */
static int vt_oracle(unsigned long size, phys_addr_t phys, pgprot_t prot,
		     unsigned int max_page_shift, u64 *val)
{
#ifdef CONFIG_HAVE_ARCH_HUGE_VMAP
	pud_t pud = __pud(0);
	pmd_t pmd = __pmd(0);

	if (max_page_shift >= PUD_SHIFT && arch_vmap_pud_supported(prot) &&
	    size >= PUD_SIZE && IS_ALIGNED(phys, PUD_SIZE) &&
	    pud_set_huge(&pud, phys, prot)) {
		*val = pud_val(pud);
		return VT_PUD;
	}
	if (max_page_shift >= PMD_SHIFT && arch_vmap_pmd_supported(prot) &&
	    size >= PMD_SIZE && IS_ALIGNED(phys, PMD_SIZE) &&
	    pmd_set_huge(&pmd, phys, prot)) {
		*val = pmd_val(pmd);
		return VT_PMD;
	}
#endif
	*val = pte_val(pfn_pte(PHYS_PFN(phys), prot));
	return VT_PTE;
}

/*
 * Physical addresses past the end of RAM, as an ioremap() of a device
 * would map them. Nothing reads through these mappings.
 */
static phys_addr_t vt_mmio(void)
{
	return ALIGN(PFN_PHYS(max_pfn), PUD_SIZE) + 4 * PUD_SIZE;
}

/*
 * Map [@va, @va + @size) to @phys with vmap_range_noflush(), check the
 * first leaf against the oracle and vmalloc_to_page() inside the range,
 * and unmap it.
 */
static void vt_check_range(struct kunit *test, unsigned long va,
			   unsigned long size, phys_addr_t phys,
			   const struct vt_prot *p, unsigned int shift)
{
	unsigned long off = size - 3 * PAGE_SIZE;
	u64 want = 0, got = 0;
	int level;

	level = vt_oracle(size, phys, p->prot, shift, &want);
	KUNIT_ASSERT_EQ(test, vmap_range_noflush(va, va + size, phys, p->prot,
						 shift), 0);
	KUNIT_EXPECT_EQ_MSG(test, vt_lookup(va, &got), level, "%s shift %u",
			    p->name, shift);
	KUNIT_EXPECT_EQ_MSG(test, got, want, "%s shift %u", p->name, shift);
	/* vmemmap: pfn_to_page() of a PFN past RAM is only arithmetic */
	if (IS_ENABLED(CONFIG_SPARSEMEM_VMEMMAP))
		KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page((void *)va + off + 5),
				    pfn_to_page(PHYS_PFN(phys + off)));
	vt_unmap(va, size);
	vt_expect_hole(test, va);
	vt_expect_hole(test, va + size - PAGE_SIZE);
}

/*
 * vmap_range_noflush() (ioremap(), huge vmalloc) writes, for every
 * protection its callers pass and at every leaf size, the entries the
 * generic walkers write; a misaligned output falls back to smaller
 * leaves; vmalloc_to_page() finds the page inside every leaf; and mapping
 * the same ranges again takes no further table pages.
 */
static void vmalloc_test_range_prots(struct kunit *test)
{
	static const unsigned int shifts[] = { PAGE_SHIFT, PMD_SHIFT,
					       PUD_SHIFT };
	unsigned long va = vt_area(test, PUD_SIZE, PUD_SIZE), size;
	unsigned long tables = 0;
	unsigned int i, s, nr, round;
	const struct vt_prot *prots = vt_prots(&nr);

	for (round = 0; round < 3; round++) {
		for (i = 0; i < nr; i++) {
			for (s = 0; s < ARRAY_SIZE(shifts); s++) {
				/* A 1G range of PTEs is slow under emulation. */
				if (shifts[s] == PUD_SHIFT &&
				    !arch_vmap_pmd_supported(prots[i].prot))
					continue;
				size = shifts[s] == PAGE_SHIFT ? 16 * PAGE_SIZE :
				       1UL << shifts[s];
				/* Later rounds: outputs one page off. */
				vt_check_range(test, va, size,
					       vt_mmio() + !!round * PAGE_SIZE,
					       &prots[i], shifts[s]);
			}
		}
		/*
		 * Emptied tables stay for the next map: the third round, the
		 * same as the second, adds none.
		 */
		if (round == 1)
			tables = vt_tables(va);
		else if (round == 2)
			KUNIT_EXPECT_EQ(test, vt_tables(va), tables);
	}
}

/* vmalloc_to_page() of 4K and 2M vmalloc memory, checked by writing. */
static void vt_check_pages(struct kunit *test, void *p, unsigned long size)
{
	struct vm_struct *area = find_vm_area(p);
	unsigned long i;

	KUNIT_ASSERT_NOT_NULL(test, area);
	for (i = 0; i < size >> PAGE_SHIFT; i++) {
		u32 *v = p + i * PAGE_SIZE;

		KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page((void *)v + 17),
				    area->pages[i]);
		WRITE_ONCE(*v, 0x5eed0000 + i);
		KUNIT_EXPECT_EQ(test, *(u32 *)page_address(area->pages[i]),
				0x5eed0000 + i);
	}
}

static void vmalloc_test_to_page(struct kunit *test)
{
	void *p = vmalloc(3 * PAGE_SIZE);
	u64 val;

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, vt_lookup((unsigned long)p, &val), VT_PTE);
	vt_check_pages(test, p, 3 * PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(p + 3 * PAGE_SIZE));
	vfree(p);

	p = vmalloc_huge(2 * PMD_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
#ifdef CONFIG_HAVE_ARCH_HUGE_VMALLOC
	/* Huge where the allocator found huge pages (else it fell back). */
	if (arch_vmap_pmd_supported(PAGE_KERNEL) &&
	    find_vm_area(p)->page_order == PMD_SHIFT - PAGE_SHIFT)
		KUNIT_EXPECT_EQ(test, vt_lookup((unsigned long)p, &val),
				VT_PMD);
#endif
	vt_check_pages(test, p, 2 * PMD_SIZE);
	vfree(p);
}

#if defined(CONFIG_PGTLIB) && defined(CONFIG_ARM64)
/* A contiguous group of PTEs (arm64), mapped through pgtlib. */
static void vmalloc_test_to_page_cont(struct kunit *test)
{
	unsigned long va = vt_area(test, CONT_PTE_SIZE, CONT_PTE_SIZE), i;
	struct page *pg = alloc_pages(GFP_KERNEL, CONT_PTE_SHIFT - PAGE_SHIFT);
	struct pgtlib_txn txn;
	u64 val = 0;

	KUNIT_ASSERT_NOT_NULL(test, pg);
	pgtlib_txn_begin(&txn, pgtlib_kernel_space(), 0);
	KUNIT_EXPECT_EQ(test, pgtlib_map(&txn, va, page_to_phys(pg),
					 CONT_PTE_SIZE, PGTLIB_PROT_READ |
					 PGTLIB_PROT_WRITE, 0), 0);
	pgtlib_txn_commit(&txn);
	KUNIT_EXPECT_EQ(test, vt_lookup(va, &val), VT_PTE);
	KUNIT_EXPECT_TRUE(test, pte_cont(__pte(val)));
	for (i = 0; i < CONT_PTES; i++)
		KUNIT_EXPECT_PTR_EQ(test,
				    vmalloc_to_page((void *)va + i * PAGE_SIZE),
				    pg + i);
	pgtlib_txn_begin(&txn, pgtlib_kernel_space(), 0);
	KUNIT_EXPECT_EQ(test, pgtlib_unmap(&txn, va, CONT_PTE_SIZE), 0);
	pgtlib_txn_commit(&txn);
	vt_expect_hole(test, va);
	__free_pages(pg, CONT_PTE_SHIFT - PAGE_SHIFT);
}
#endif

struct vt_remote {
	unsigned long va;
	u32 val;
	long err;
};

static void vt_remote_read(void *arg)
{
	struct vt_remote *r = arg;

	r->err = copy_from_kernel_nofault(&r->val, (void *)r->va,
					  sizeof(r->val));
}

/* Read @va on another CPU: its TLB then holds (or held) the translation. */
static long vt_read_elsewhere(unsigned long va, u32 *val)
{
	struct vt_remote r = { .va = va, .err = -ENODEV };
	int cpu = cpumask_any_but(cpu_online_mask, get_cpu());

	put_cpu();
	if (cpu >= nr_cpu_ids)
		return -ENODEV;
	smp_call_function_single(cpu, vt_remote_read, &r, 1);
	*val = r.val;
	return r.err;
}

static void vt_free_pages(void *arg)
{
	struct page **pages = arg;
	unsigned int i;

	for (i = 0; i < 8; i++)
		if (pages[i])
			__free_page(pages[i]);
}

/* Map pages [@from, @to) of @pages at their place from @va. */
static int vt_map_pages(unsigned long va, unsigned int from, unsigned int to,
			struct page **pages)
{
	return __vmap_pages_range_noflush(va + from * PAGE_SIZE,
					  va + to * PAGE_SIZE, PAGE_KERNEL,
					  pages + from, PAGE_SHIFT);
}

/*
 * Page arrays: mapping over a mapping fails with -EBUSY and maps nothing
 * of itself; an unmap across holes clears what is there; after the
 * caller's invalidation another CPU no longer reaches the pages; a
 * protection that makes no valid entry is refused.
 */
static void vmalloc_test_pages(struct kunit *test)
{
	unsigned long va = vt_area(test, 8 * PAGE_SIZE, PAGE_SIZE);
	struct page **pages = kunit_kcalloc(test, 8, sizeof(*pages),
					    GFP_KERNEL);
	unsigned int i;
	long err;
	u64 val;
	u32 got;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vt_free_pages,
							pages), 0);
	for (i = 0; i < 8; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		*(u32 *)page_address(pages[i]) = 0xab0 + i;
	}

	/* Pages 1 and 5 first, then all eight over them. */
	KUNIT_EXPECT_EQ(test, vt_map_pages(va, 1, 2, pages), 0);
	KUNIT_EXPECT_EQ(test, vt_map_pages(va, 5, 6, pages), 0);
	kunit_info(test, "a warning about mapping over a mapping follows");
	KUNIT_EXPECT_EQ(test, vt_map_pages(va, 0, 8, pages), -EBUSY);
	for (i = 0; i < 8; i++) {
		if (i == 1 || i == 5) {
			KUNIT_EXPECT_EQ(test, vt_lookup(va + i * PAGE_SIZE,
							&val), VT_PTE);
			KUNIT_EXPECT_EQ(test, val,
					pte_val(mk_pte(pages[i], PAGE_KERNEL)));
		} else {
			vt_expect_hole(test, va + i * PAGE_SIZE);
		}
	}
	vt_unmap(va, 8 * PAGE_SIZE);
	for (i = 0; i < 8; i++)
		vt_expect_hole(test, va + i * PAGE_SIZE);

	KUNIT_ASSERT_EQ(test, vt_map_pages(va, 0, 8, pages), 0);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, *(u32 *)(va + i * PAGE_SIZE), 0xab0 + i);
	err = vt_read_elsewhere(va + 7 * PAGE_SIZE, &got);
	if (err != -ENODEV) {
		KUNIT_EXPECT_EQ(test, err, 0);
		KUNIT_EXPECT_EQ(test, got, 0xab7);
	}
	vt_unmap(va, 8 * PAGE_SIZE);
	if (err != -ENODEV)
		KUNIT_EXPECT_NE(test, vt_read_elsewhere(va + 7 * PAGE_SIZE,
							&got), 0);
	vt_expect_hole(test, va + 7 * PAGE_SIZE);

	kunit_info(test, "a warning about an invalid protection may follow");
	err = __vmap_pages_range_noflush(va, va + PAGE_SIZE, __pgprot(0),
					 pages, PAGE_SHIFT);
	if (IS_ENABLED(CONFIG_PGTLIB))
		KUNIT_EXPECT_EQ(test, err, -EINVAL);
	if (err)
		vt_expect_hole(test, va);
	vt_unmap(va, PAGE_SIZE);
}

/*
 * vmap_pfn() of PFNs past the end of RAM, in two runs that are not
 * consecutive: every PTE is what the walker wrote, pte_mkspecial() of
 * pfn_pte() with the protection made non-executable, and the guard page
 * after them is a hole. A PFN of RAM is refused.
 */
static void vmalloc_test_vmap_pfn(struct kunit *test)
{
	pgprot_t prot = pgprot_nx(pgprot_noncached(PAGE_KERNEL));
	unsigned long first = PHYS_PFN(vt_mmio()), pfns[5];
	struct page *page;
	unsigned int i;
	u64 val = 0;
	void *p;

	for (i = 0; i < ARRAY_SIZE(pfns); i++)
		pfns[i] = first + (i < 3 ? i : 7 + i);
	p = vmap_pfn(pfns, ARRAY_SIZE(pfns), pgprot_noncached(PAGE_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < ARRAY_SIZE(pfns); i++) {
		KUNIT_EXPECT_EQ(test, vt_lookup((unsigned long)p + i * PAGE_SIZE,
						&val), VT_PTE);
		KUNIT_EXPECT_EQ_MSG(test, val,
				    (u64)pte_val(pte_mkspecial(pfn_pte(pfns[i],
								       prot))),
				    "page %u", i);
	}
	vt_expect_hole(test, (unsigned long)p + ARRAY_SIZE(pfns) * PAGE_SIZE);
	vunmap(p);

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	pfns[3] = page_to_pfn(page);
	kunit_info(test, "a warning about a PFN of RAM may follow");
	KUNIT_EXPECT_NULL(test, vmap_pfn(pfns, ARRAY_SIZE(pfns),
					 pgprot_noncached(PAGE_KERNEL)));
	__free_page(page);
}

static struct kunit_case vmalloc_test_cases[] = {
	KUNIT_CASE(vmalloc_test_range_prots),
	KUNIT_CASE(vmalloc_test_to_page),
#if defined(CONFIG_PGTLIB) && defined(CONFIG_ARM64)
	KUNIT_CASE(vmalloc_test_to_page_cont),
#endif
	KUNIT_CASE(vmalloc_test_pages),
	KUNIT_CASE(vmalloc_test_vmap_pfn),
	{}
};

static struct kunit_suite vmalloc_test_suite = {
	.name = "vmalloc_pgtable",
	.test_cases = vmalloc_test_cases,
};

kunit_test_suite(vmalloc_test_suite);

MODULE_DESCRIPTION("KUnit tests of vmalloc's page-table code");
MODULE_LICENSE("GPL");
