/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pages outside the kernel's direct map, for memory whose contents the
 * kernel must not be able to read by accident or by speculation
 * (secretmem, guest_memfd, Address Space Isolation).
 */
#ifndef _LINUX_UNMAPPED_ALLOC_H
#define _LINUX_UNMAPPED_ALLOC_H

#include <linux/gfp_types.h>
#include <linux/jump_label.h>
#include <linux/mm_types.h>
#include <linux/page-flags.h>

#ifdef CONFIG_UNMAPPED_ALLOC

/* @stage unmapped-pool */
DECLARE_STATIC_KEY_FALSE(unmapped_pages_in_use);

/* In page->private of the pages handed out: nothing else stores it there. */
#define UNMAPPED_PAGE_MARK	((unsigned long)&unmapped_pages_in_use)

/* @stage end */
/* @stage unmapped-kmap */
extern unsigned long unmapped_kmap_start, unmapped_kmap_size;

/* @stage end */
/* @stage unmapped-pool */
struct page *unmapped_pages_alloc(gfp_t gfp, unsigned int order);
void unmapped_pages_free(struct page *page, unsigned int order);
bool unmapped_pages_available(void);
bool __unmapped_page_freed(struct page *page, unsigned int order);
/* @stage end */
void *unmapped_kmap_local(struct page *page);
void unmapped_kunmap_local(const void *addr);
/* the windows, for the allocator: mm/unmapped_window.c */
int unmapped_window_init(void);
/* @stage unmapped-stats */
unsigned long unmapped_window_maps(void);
/* @stage end */
/* @stage unmapped-kmap */
struct page *unmapped_kmap_to_page(const void *addr);
/* @stage end */
/* @stage cpa-collapse */
void unmapped_direct_map_lock(void);
void unmapped_direct_map_unlock(void);
/* @stage end */
/* @stage unmapped-pool */

/**
 * unmapped_page() - whether a page is one the allocator handed out
 * @page: the page
 *
 * Such a page is not in the direct map: page_address() must not be used
 * to reach it, kmap_local_page() maps it. Costs nothing until the first
 * page is handed out.
 *
 * Return: true for a page of the allocator.
 */
static inline bool unmapped_page(const struct page *page)
{
	return static_branch_unlikely(&unmapped_pages_in_use) &&
	       page->private == UNMAPPED_PAGE_MARK;
}

/* @stage end */
/* @stage unmapped-kmap */
/**
 * unmapped_kmap_addr() - whether an address is in a kmap_local window
 * @addr: an address kmap_local_page() returned
 *
 * Return: true if unmapped_kmap_local() returned it.
 */
static inline bool unmapped_kmap_addr(const void *addr)
{
	return static_branch_unlikely(&unmapped_pages_in_use) &&
	       (unsigned long)addr - unmapped_kmap_start < unmapped_kmap_size;
}

/**
 * unmapped_kunmap_addr() - whether kunmap_local() was given the window's address
 * @addr: an address kmap_local_page() returned
 *
 * kunmap_local() sees direct-map addresses and the window's only. The
 * window is a vmalloc area, and on the architectures that have this
 * allocator the vmalloc range lies above every direct-map address: one
 * comparison tells them apart, the cheaper test for kunmap_local()'s
 * path. unmapped_kunmap_local() checks the slot.
 *
 * Return: true if @addr is not a direct-map address.
 */
static inline bool unmapped_kunmap_addr(const void *addr)
{
	return static_branch_unlikely(&unmapped_pages_in_use) &&
	       (unsigned long)addr >= unmapped_kmap_start;
}

/* @stage end */
/* @stage unmapped-pool */
/**
 * unmapped_folio_alloc() - allocate an order-0 folio outside the direct map
 * @gfp: allocation flags, as for unmapped_pages_alloc()
 *
 * Return: the folio, or %NULL.
 */
static inline struct folio *unmapped_folio_alloc(gfp_t gfp)
{
	struct page *page = unmapped_pages_alloc(gfp, 0);

	return page ? page_folio(page) : NULL;
}

/**
 * unmapped_page_freed() - take back a page of the allocator at its last put
 * @page: the first page being freed
 * @order: the order it is freed at
 *
 * Called by free_pages_prepare(): a page that the allocator handed out
 * goes back to it, never to the page allocator's free lists. Costs
 * nothing until the first page is handed out.
 *
 * Return: true if the allocator took the pages.
 */
static inline bool unmapped_page_freed(struct page *page, unsigned int order)
{
	if (unmapped_page(page))
		return __unmapped_page_freed(page, order);
	return false;
}

#else /* CONFIG_UNMAPPED_ALLOC */

static inline struct page *unmapped_pages_alloc(gfp_t gfp, unsigned int order)
{
	return NULL;
}

static inline void unmapped_pages_free(struct page *page, unsigned int order)
{
}

static inline bool unmapped_pages_available(void)
{
	return false;
}

static inline struct folio *unmapped_folio_alloc(gfp_t gfp)
{
	return NULL;
}

static inline bool unmapped_page_freed(struct page *page, unsigned int order)
{
	return false;
}

static inline bool unmapped_page(const struct page *page)
{
	return false;
}

/* @stage end */
/* @stage unmapped-kmap */
static inline bool unmapped_kmap_addr(const void *addr)
{
	return false;
}

static inline bool unmapped_kunmap_addr(const void *addr)
{
	return false;
}

static inline void *unmapped_kmap_local(struct page *page)
{
	return NULL;
}

static inline void unmapped_kunmap_local(const void *addr)
{
}

static inline struct page *unmapped_kmap_to_page(const void *addr)
{
	return NULL;
}
/* @stage cpa-collapse */

static inline void unmapped_direct_map_lock(void)
{
}

static inline void unmapped_direct_map_unlock(void)
{
}
/* @stage end */

/* @stage end */
#endif /* CONFIG_UNMAPPED_ALLOC */

#endif /* _LINUX_UNMAPPED_ALLOC_H */
