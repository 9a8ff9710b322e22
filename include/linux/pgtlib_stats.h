/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The counters of struct pgtlib_stats, written once. Each user (the
 * structure, pgtlib_txn_begin(), pgtlib_global_stats() and debugfs)
 * defines PGTLIB_STAT(name) and includes this file, which therefore has
 * no include guard. Pages are base pages: a 2M leaf counts 512.
 */

/* pages mapped */
PGTLIB_STAT(pages_mapped);
/* pages unmapped */
PGTLIB_STAT(pages_unmapped);
/* pages whose protection was changed */
PGTLIB_STAT(pages_protected);
/* huge leaves replaced by a table */
PGTLIB_STAT(leaves_split);
/* tables replaced by a huge leaf */
PGTLIB_STAT(leaves_collapsed);
/* table pages allocated from the page allocator */
PGTLIB_STAT(tables_allocated);
/* table pages handed back to the page allocator */
PGTLIB_STAT(tables_freed);
/* TLB invalidation requests issued (each covers all CPUs) */
PGTLIB_STAT(flushes);
/* of flushes, those that flushed the whole TLB */
PGTLIB_STAT(full_flushes);
/*
 * pages invalidated one by one, also those that pgtlib_txn_commit_local()
 * invalidates in this CPU's TLB only (which are not counted in flushes)
 */
PGTLIB_STAT(pages_invalidated);
