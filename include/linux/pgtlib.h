/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pgtlib: a library for editing kernel page tables.
 *
 * Terms, used with one meaning throughout pgtlib:
 *
 * level:  the depth of a page-table entry, counted from the leaf: level 0 is
 *         the PTE level, 1 the PMD, 2 the PUD, 3 the P4D and 4 the PGD.
 *         Levels the architecture folds away are skipped by the walker.
 * leaf:   an entry that translates (a PTE, or a huge PMD/PUD leaf). A leaf
 *         at level L maps pgtlib_level_size(L) bytes.
 * table:  an entry that points to a table of the level below.
 * hole:   an entry that is neither: nothing is mapped there.
 * split:  replacing a huge leaf by a table of leaves that map the same
 *         memory with the same protection; collapse is the reverse.
 * range:  [start, end): end is exclusive; last = end - 1 is inclusive.
 *         A kernel address may carry a KASAN tag (arm64 tag-based KASAN):
 *         pgtlib ignores it.
 * space:  one page table (struct pgtlib_space), with the part of the
 *         virtual address space that pgtlib may edit in it.
 * live:   a space the CPU may be using: changes to it need TLB invalidation.
 * owner:  the caller that mapped a range owns it until it unmaps it. Owners
 *         of disjoint ranges need no locking between them; one owner
 *         serialises its own operations. pgtlib removes a table only when
 *         the operation's range covers all of it.
 *
 * Locking: each space has a spinlock (for the kernel space, init_mm's
 * page_table_lock, so that table installs are serialised against
 * vmalloc's). An operation allocates what it needs first, then applies its
 * change under that lock without allocating, so the change cannot fail
 * half-way; one that stays inside an existing PTE table changes its
 * entries without the lock, since no other operation may change the
 * tables above a range it does not cover. Operations on disjoint ranges
 * may be issued concurrently from any number of CPUs; their apply phases
 * are serialised by the lock.
 *
 * On arm64, splitting or collapsing a live huge leaf, or cutting a group
 * of leaves that carry the contiguous bit, briefly unmaps all of it
 * (break-before-make): its owner must own the whole leaf or group. Only
 * a vmalloc area of the caller's own can be owned so: in init_mm anywhere
 * else (the linear map, the kernel image), pgtlib refuses such an
 * operation with -EBUSY (a collapse there leaves the table as it is).
 * Operations of a %PGTLIB_TXN_NOALLOC transaction may run with preemption
 * or interrupts disabled, but not in hard interrupt context. On x86,
 * invalidating a live space interrupts the other CPUs, and the general
 * path may do so under the space's lock: with interrupts disabled, only
 * an operation the lockless fast path finishes (see "Transactions" in
 * Documentation/mm/pgtlib.rst) runs on a live space, any other fails with
 * -EAGAIN, changing nothing; and pgtlib_txn_commit() of a live space
 * needs interrupts enabled.
 *
 * Table pages: those of a private space are freed after the transaction's
 * invalidation. In init_mm, which the kernel's own walkers read without
 * any lock, an emptied table stays installed for the next map (as vmalloc
 * leaves its own), and the kernel's huge vmap may free it with
 * pmd_free_pte_page(); a table that a collapse or a huge map replaces is
 * freed after an RCU grace period, by a work item that excludes ptdump.
 * pgtlib_walk() reads init_mm's tables under rcu_read_lock(), which keeps
 * it safe from pgtlib's frees; the kernel's own (huge vmap, memory
 * hot-remove) do not wait for RCU: walk ranges the caller owns.
 */
#ifndef _LINUX_PGTLIB_H
#define _LINUX_PGTLIB_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/gfp_types.h>
#include <linux/init.h>
#include <linux/list.h>

struct page;

#define PGTLIB_LEVEL_PTE	0
#define PGTLIB_LEVEL_PMD	1
#define PGTLIB_LEVEL_PUD	2
#define PGTLIB_LEVEL_P4D	3
#define PGTLIB_LEVEL_PGD	4
#define PGTLIB_NR_LEVELS	5

/* Protection of a leaf, independent of the architecture's PTE bits. */
#define PGTLIB_PROT_READ	BIT(0)
#define PGTLIB_PROT_WRITE	BIT(1)
#define PGTLIB_PROT_EXEC	BIT(2)
#define PGTLIB_PROT_NOCACHE	BIT(3)	/* uncached (x86 UC-, arm64 Device-nGnRnE) */
#define PGTLIB_PROT_WC		BIT(4)	/* write-combining (arm64 Normal-NC) */
#define PGTLIB_PROT_MASK	GENMASK(4, 0)

/* pgtlib_map() and pgtlib_map_pages() flags */
#define PGTLIB_MAP_BASE_PAGES	BIT(0)	/* PTEs only, no contiguous hint */
#define PGTLIB_MAP_REPLACE	BIT(1)	/* replace leaves already there */
#define PGTLIB_MAP_NO_CONT	BIT(2)	/* no contiguous hint */
#define PGTLIB_MAP_MAX_PMD	BIT(3)	/* no leaf larger than a PMD */
#define PGTLIB_MAP_CALLER_MEMTYPE BIT(4) /* memory type is the caller's care */

/* pgtlib_space_create() flags */
#define PGTLIB_SPACE_LIVE	BIT(0)	/* the CPU may load it: flush on change */

/* pgtlib_txn_begin() flags */
#define PGTLIB_TXN_NOALLOC	BIT(0)	/* never allocate: use reserved tables */
#define PGTLIB_TXN_ACCOUNT	BIT(1)	/* charge new tables to current's memcg */

/* Ranges a transaction invalidates one by one before escalating. */
#define PGTLIB_TXN_MAX_RANGES	8

struct pgtlib_space;

/**
 * struct pgtlib_stats - what a transaction did
 *
 * One unsigned long per counter that <linux/pgtlib_stats.h> lists (see
 * "pgtlib statistics" there); the list is written there once, for this
 * structure and for every function that handles all the counters.
 */
struct pgtlib_stats {
	/* private: the counters, generated */
#define PGTLIB_STAT(name) unsigned long name
#include <linux/pgtlib_stats.h>
#undef PGTLIB_STAT
};

/* The counter @name of the struct pgtlib_stats at @st, for those functions. */
#define pgtlib_stat(st, name) \
	(*(unsigned long *)((char *)(st) + offsetof(struct pgtlib_stats, name)))

/**
 * struct pgtlib_range - a virtual address range
 * @start: first address
 * @end: end address, exclusive
 */
struct pgtlib_range {
	unsigned long start;
	unsigned long end;
};

/**
 * struct pgtlib_txn - a batch of changes to one space
 * @space: the space being changed
 * @flags: %PGTLIB_TXN_NOALLOC, %PGTLIB_TXN_ACCOUNT
 * @gfp: allocation flags for table pages
 * @ranges: ranges waiting for TLB invalidation, sorted and disjoint
 * @nr_ranges: entries used in @ranges
 * @flush_all: too many ranges: invalidate everything at commit (only
 *	with @nr_ranges at its maximum, so a transaction with no ranges has
 *	nothing to invalidate)
 * @flush_tables: tables were removed: invalidate walk caches too
 * @dirty_tables: a table on @free_tables still holds entries
 * @open: begun and not yet committed or aborted
 * @free_tables: table pages to free after the invalidation
 * @stats: what the transaction did so far
 * @resv: with %PGTLIB_TXN_NOALLOC, the range of the reservation the
 *	transaction drew from first; the tables it removes go back to it
 *
 * A transaction lives on the caller's stack. Every change made through it
 * is visible in the page table at once, but stale TLB entries are only
 * invalidated by pgtlib_txn_commit(), once for the whole batch. Table
 * pages a transaction removes are freed after that invalidation, so no CPU
 * can still walk them.
 */
struct pgtlib_txn {
	struct pgtlib_space *space;
	unsigned int flags;
	gfp_t gfp;
	struct pgtlib_range ranges[PGTLIB_TXN_MAX_RANGES];
	unsigned int nr_ranges;
	bool flush_all;
	bool flush_tables;
	bool dirty_tables;
	bool open;
	struct list_head free_tables;
	struct pgtlib_stats stats;
	struct pgtlib_range resv;
};

/**
 * struct pgtlib_leaf - one leaf or hole, as the walker reports it
 * @va: first virtual address the entry covers
 * @size: bytes covered (pgtlib_level_size(@level))
 * @level: the entry's level
 * @present: true for a leaf, false for a hole
 * @phys: output (physical) address, for a leaf
 * @prot: %PGTLIB_PROT_* protection, for a leaf
 * @pgprot: the same protection in PTE form, with every bit the entry has
 *	(what pgtlib_map_prot() takes to write the leaf again as it is)
 */
struct pgtlib_leaf {
	unsigned long va;
	unsigned long size;
	unsigned int level;
	bool present;
	phys_addr_t phys;
	unsigned int prot;
	pgprot_t pgprot;
};

/**
 * typedef pgtlib_walk_fn - called by pgtlib_walk() for each leaf and hole
 * @leaf: the entry, clipped to the walked range
 * @arg: the caller's argument
 *
 * Return: 0 to continue, anything else stops the walk and is returned.
 */
typedef int (*pgtlib_walk_fn)(const struct pgtlib_leaf *leaf, void *arg);

#ifdef CONFIG_PGTLIB

/* @stage txn */
/**
 * pgtlib_txn_begin() - start a batch of changes to a space
 * @txn: the transaction, on the caller's stack
 * @space: the space to change
 * @flags: %PGTLIB_TXN_NOALLOC to run without allocating (only on ranges
 *	prepared with pgtlib_reserve()), %PGTLIB_TXN_ACCOUNT to charge new
 *	table pages to the current task's memory cgroup
 *
 * Operations on @txn may sleep to allocate unless %PGTLIB_TXN_NOALLOC is
 * given, in which case they may run in atomic context.
 */
static inline void pgtlib_txn_begin(struct pgtlib_txn *txn,
				    struct pgtlib_space *space,
				    unsigned int flags)
{
	/* Inline: a one-page change costs little more than this. */
	txn->space = space;
	txn->flags = flags;
	txn->gfp = flags & PGTLIB_TXN_ACCOUNT ? GFP_KERNEL_ACCOUNT : GFP_KERNEL;
	txn->nr_ranges = 0;	/* ranges[] is only read below nr_ranges */
	txn->flush_all = false;
	txn->flush_tables = false;
	txn->dirty_tables = false;
	txn->open = true;
	/*
	 * Counter by counter: a structure assignment becomes a call to
	 * memset() on arm64, which costs as much as a one-page change.
	 */
#define PGTLIB_STAT(name) (pgtlib_stat(&txn->stats, name) = 0)
#include <linux/pgtlib_stats.h>
#undef PGTLIB_STAT
	INIT_LIST_HEAD(&txn->free_tables);
	if (flags & PGTLIB_TXN_NOALLOC)
		txn->resv.end = 0;
}

/* @stage end */
unsigned long pgtlib_level_size(unsigned int level);
bool pgtlib_level_has_leaf(unsigned int level);

extern struct pgtlib_space __pgtlib_kernel_space;

/**
 * pgtlib_kernel_space() - the kernel's own page table
 *
 * Inline, as vmalloc_to_page() looks it up for every page it reads.
 *
 * Return: the space for init_mm, covering every kernel address.
 */
static inline struct pgtlib_space *pgtlib_kernel_space(void)
{
	return &__pgtlib_kernel_space;
}

void __init pgtlib_kernel_space_init(void);
/* @stage tables */
struct pgtlib_space *pgtlib_space_create(unsigned long start,
					 unsigned long end,
					 unsigned int flags, gfp_t gfp);
int pgtlib_space_share_kernel(struct pgtlib_space *space,
			      unsigned long start, unsigned long end);
void pgtlib_space_destroy(struct pgtlib_space *space);
unsigned long pgtlib_space_nr_tables(struct pgtlib_space *space);
/* @stage end */
/* @stage txn */

void __pgtlib_txn_commit(struct pgtlib_txn *txn);

/**
 * pgtlib_txn_commit() - finish a transaction
 * @txn: the transaction
 *
 * Invalidates the TLB once for every change made through @txn (page by
 * page up to the architecture's ceiling, else the whole TLB), then frees
 * the table pages the transaction removed. For a live space this sends
 * an IPI, so interrupts must be enabled. @txn->stats stays readable.
 */
static inline void pgtlib_txn_commit(struct pgtlib_txn *txn)
{
	/* Most transactions only mapped into holes: nothing to do. */
	if (txn->open && !txn->nr_ranges && list_empty(&txn->free_tables)) {
		txn->open = false;
		return;
	}
	__pgtlib_txn_commit(txn);
}

bool pgtlib_txn_commit_deferred(struct pgtlib_txn *txn,
				struct pgtlib_range *range);
void pgtlib_txn_commit_local(struct pgtlib_txn *txn);
void pgtlib_txn_abort(struct pgtlib_txn *txn);
/* @stage end */
/* @stage map */

int pgtlib_map(struct pgtlib_txn *txn, unsigned long va, phys_addr_t phys,
	       unsigned long size, unsigned int prot, unsigned int flags);
/* @stage pages */
int pgtlib_map_pages(struct pgtlib_txn *txn, unsigned long va,
		     struct page **pages, unsigned int nr_pages,
		     unsigned int prot, unsigned int flags);
/* @stage end */
/* @stage prot */
int pgtlib_map_prot(struct pgtlib_txn *txn, unsigned long va,
		    phys_addr_t phys, unsigned long size, pgprot_t prot,
		    unsigned int flags);
int pgtlib_map_pages_prot(struct pgtlib_txn *txn, unsigned long va,
			  struct page **pages, unsigned int nr_pages,
			  pgprot_t prot, unsigned int flags);
/* @stage end */
int pgtlib_unmap(struct pgtlib_txn *txn, unsigned long va,
		 unsigned long size);
/* @stage end */
/* @stage noflush */
int pgtlib_map_prot_noflush(struct pgtlib_space *space, unsigned long va,
			    phys_addr_t phys, unsigned long size,
			    pgprot_t prot, unsigned int flags,
			    struct pgtlib_range *range);
int pgtlib_map_pages_prot_noflush(struct pgtlib_space *space,
				  unsigned long va, struct page **pages,
				  unsigned int nr_pages, pgprot_t prot,
				  unsigned int flags,
				  struct pgtlib_range *range);
int pgtlib_unmap_noflush(struct pgtlib_space *space, unsigned long va,
			 unsigned long size, struct pgtlib_range *range);
/* @stage end */
/* @stage protect */
int pgtlib_protect(struct pgtlib_txn *txn, unsigned long va,
		   unsigned long size, unsigned int set, unsigned int clear);
int pgtlib_protect_prot(struct pgtlib_txn *txn, unsigned long va,
			unsigned long size, pgprot_t set, pgprot_t clear);
/* @stage end */
/* @stage ptes */
int pgtlib_change_ptes(struct pgtlib_txn *txn, unsigned long va,
		       unsigned long size, pgprot_t set, pgprot_t clear);
int pgtlib_change_ptes_noflush(struct pgtlib_space *space, unsigned long va,
			       unsigned long size, pgprot_t set,
			       pgprot_t clear, struct pgtlib_range *range);
/* @stage end */
/* @stage collapse */
int pgtlib_collapse(struct pgtlib_txn *txn, unsigned long va,
		    unsigned long size);
int pgtlib_collapse_any(struct pgtlib_txn *txn, unsigned long va,
			unsigned long size, pgprot_t any);
/* @stage end */
/* @stage split-op */
int pgtlib_split(struct pgtlib_txn *txn, unsigned long va, unsigned long size);
int pgtlib_keep_split(struct pgtlib_space *space, unsigned long va,
		      unsigned long size);
/* @stage end */

int pgtlib_query(struct pgtlib_space *space, unsigned long va,
		 struct pgtlib_leaf *leaf);
/* @stage noflush */
int pgtlib_query_pfn(struct pgtlib_space *space, unsigned long va,
		     unsigned long *pfn);
/* @stage end */
int pgtlib_walk(struct pgtlib_space *space, unsigned long start,
		unsigned long end, pgtlib_walk_fn fn, void *arg);
/* @stage txn */
void pgtlib_global_stats(struct pgtlib_stats *stats);
/* @stage end */
/* @stage reserve */
int pgtlib_reserve(struct pgtlib_space *space, unsigned long va,
		   unsigned long size, gfp_t gfp);
void pgtlib_unreserve(struct pgtlib_space *space, unsigned long va,
		      unsigned long size);
/* @stage end */

#else /* !CONFIG_PGTLIB */

static inline void pgtlib_kernel_space_init(void)
{
}

#endif /* CONFIG_PGTLIB */

#endif /* _LINUX_PGTLIB_H */
