/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: pgtlib statistics
 *
 * The counters of struct pgtlib_stats, which a transaction keeps for itself
 * and pgtlib_global_stats() sums over all of them. Pages are base pages: a
 * 2M leaf counts 512.
 *
 * - pages_mapped: pages mapped
 * - pages_unmapped: pages unmapped
 * - pages_protected: pages whose protection was changed
 * - leaves_split: huge leaves replaced by a table
 * - leaves_collapsed: tables replaced by a huge leaf
 * - tables_allocated: table pages allocated from the page allocator
 * - tables_freed: table pages handed back to the page allocator
 * - flushes: TLB invalidation requests issued (each covers all CPUs)
 * - full_flushes: of flushes, those that flushed the whole TLB
 * - pages_invalidated: pages invalidated one by one, also those that
 *   pgtlib_txn_commit_local() invalidates in this CPU's TLB only (which
 *   are not counted in flushes)
 *
 * The list is written once, below. Each user (the structure,
 * pgtlib_txn_begin(), pgtlib_global_stats() and debugfs) defines
 * PGTLIB_STAT(name) and includes this file, which therefore has no
 * include guard.
 */
PGTLIB_STAT(pages_mapped);
PGTLIB_STAT(pages_unmapped);
PGTLIB_STAT(pages_protected);
PGTLIB_STAT(leaves_split);
PGTLIB_STAT(leaves_collapsed);
PGTLIB_STAT(tables_allocated);
PGTLIB_STAT(tables_freed);
PGTLIB_STAT(flushes);
PGTLIB_STAT(full_flushes);
PGTLIB_STAT(pages_invalidated);
