// SPDX-License-Identifier: GPL-2.0
/*
 * pgtlib selftest: drives pgtlib through /sys/kernel/debug/pgtlib and
 * checks what it did against its counters and the kernel's own.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "../kselftest.h"

#define PGTLIB_DIR	"/sys/kernel/debug/pgtlib"

struct pgtlib_stats {
	long counting;
	long pages_mapped, pages_unmapped, pages_protected;
	long leaves_split, leaves_collapsed;
	long tables_allocated, tables_freed;
	long flushes, full_flushes, pages_invalidated;
	long kernel_tables, kernel_spare_tables;
};

static const struct {
	const char *name;
	size_t offset;
} stat_keys[] = {
#define KEY(k) { #k, __builtin_offsetof(struct pgtlib_stats, k) }
	KEY(counting),
	KEY(pages_mapped), KEY(pages_unmapped), KEY(pages_protected),
	KEY(leaves_split), KEY(leaves_collapsed),
	KEY(tables_allocated), KEY(tables_freed),
	KEY(flushes), KEY(full_flushes), KEY(pages_invalidated),
	KEY(kernel_tables), KEY(kernel_spare_tables),
#undef KEY
};

#define NR_KEYS ARRAY_SIZE(stat_keys)

/* Returns the number of keys read, all NR_KEYS on success. */
static int read_stats(struct pgtlib_stats *s)
{
	char name[64];
	long value;
	int found = 0;
	size_t i;
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen(PGTLIB_DIR "/stats", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &value) == 2) {
		for (i = 0; i < NR_KEYS; i++) {
			if (strcmp(name, stat_keys[i].name))
				continue;
			*(long *)((char *)s + stat_keys[i].offset) = value;
			found++;
		}
	}
	fclose(f);
	return found;
}

/* Turn the global counting of pages and flushes on or off. */
static int set_counting(long on)
{
	FILE *f = fopen(PGTLIB_DIR "/stats", "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", on) > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Whether counting was on when the test started, to leave it so. */
static long counting_before;

static void restore_counting(void)
{
	set_counting(counting_before);
}

/* A /proc/meminfo value in kB, or -1 if the line is absent. */
static long meminfo_kb(const char *key)
{
	char line[256];
	long value = -1;
	size_t len = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			value = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return value;
}

/* Read the in-kernel selftest: one "ok N what" line per check. */
static int run_kernel_selftest(int *total, int *failed)
{
	char line[256];
	FILE *f = fopen(PGTLIB_DIR "/selftest", "r");

	*total = -1;
	*failed = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "total %d failed %d", total, failed) == 2)
			continue;
		ksft_print_msg("kernel: %s\n", line);
	}
	fclose(f);
	return 0;
}

struct bench_row {
	char code[16];
	unsigned int pages;
	unsigned long map_ns, map_pp, unmap_ns, unmap_pp, flushes, tables;
};

static void test_bench(void)
{
	struct bench_row rows[16];
	unsigned int n = 0, i;
	bool fewer_flushes = true;
	char line[512];
	FILE *f = fopen(PGTLIB_DIR "/bench", "r");

	if (!f) {
		ksft_test_result_fail("bench: cannot open\n");
		return;
	}
	while (fgets(line, sizeof(line), f) && n < 16) {
		struct bench_row *r = &rows[n];

		ksft_print_msg("%s", line);
		if (sscanf(line, "%15s %u %lu %lu %lu %lu %lu %lu", r->code,
			   &r->pages, &r->map_ns, &r->map_pp, &r->unmap_ns,
			   &r->unmap_pp, &r->flushes, &r->tables) == 8)
			n++;
	}
	fclose(f);

	/* Rows come in pairs: vmap then pgtlib, for 1, 16, 256, 512 pages. */
	for (i = 0; i + 1 < n; i += 2)
		if (strcmp(rows[i].code, "vmap") ||
		    strcmp(rows[i + 1].code, "pgtlib") ||
		    rows[i + 1].flushes > rows[i].flushes)
			fewer_flushes = false;
	ksft_test_result(n == 8, "bench: 8 rows for 4 sizes (%u)\n", n);
	ksft_test_result(n == 8 && fewer_flushes,
			 "bench: pgtlib never flushes more than vmap\n");
}

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_TEST		CG_ROOT "/pgtlib_test"
/* Table pages the account file builds; more than memcg's flush batch. */
#define ACCOUNT_TABLES	256
/* Page-table pages this process may itself cause meanwhile. */
#define ACCOUNT_SLACK	16

static int write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(s, f) < 0 ? -1 : 0;
	if (fclose(f))
		ret = -1;
	return ret;
}

static int write_pid(const char *path)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	return write_str(path, pid);
}

/* A "key value" line of @path, or -1. */
static long read_key(const char *path, const char *key)
{
	char name[64];
	long value, found = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &value) == 2)
		if (!strcmp(name, key))
			found = value;
	fclose(f);
	return found;
}

/*
 * PGTLIB_TXN_ACCOUNT: table pages are charged to the memory cgroup of the
 * task that caused them (memory.stat's pagetables) and uncharged when
 * they are freed.
 */
static void test_account(void)
{
	long page = sysconf(_SC_PAGESIZE), before, during, after, tables;
	long slack = ACCOUNT_SLACK * page;
	char nr[16];

	if (access(CG_ROOT "/cgroup.controllers", R_OK))
		mount("none", CG_ROOT, "cgroup2", 0, NULL);
	write_str(CG_ROOT "/cgroup.subtree_control", "+memory");
	mkdir(CG_TEST, 0755);
	if (write_pid(CG_TEST "/cgroup.procs") ||
	    access(CG_TEST "/memory.stat", R_OK)) {
		ksft_test_result_skip("account: no memory cgroup to charge\n");
		ksft_test_result_skip("account: no memory cgroup to uncharge\n");
		rmdir(CG_TEST);
		return;
	}

	before = read_key(CG_TEST "/memory.stat", "pagetables");
	snprintf(nr, sizeof(nr), "%d\n", ACCOUNT_TABLES);
	if (write_str(PGTLIB_DIR "/account", nr))
		ksft_print_msg("account: writing %d failed\n", ACCOUNT_TABLES);
	tables = read_key(PGTLIB_DIR "/account", "tables");
	during = read_key(CG_TEST "/memory.stat", "pagetables");
	write_str(PGTLIB_DIR "/account", "0\n");
	after = read_key(CG_TEST "/memory.stat", "pagetables");

	write_pid(CG_ROOT "/cgroup.procs");
	rmdir(CG_TEST);

	ksft_print_msg("account: pagetables %ld -> %ld -> %ld bytes, %ld tables\n",
		       before, during, after, tables);
	ksft_test_result(before >= 0 && tables >= ACCOUNT_TABLES &&
			 during - before >= tables * page &&
			 during - before <= tables * page + slack,
			 "account: %ld table pages charged to the caller's cgroup\n",
			 tables);
	ksft_test_result(before >= 0 && labs(after - before) <= slack,
			 "account: uncharged when the tables are freed\n");
}

int main(void)
{
	struct pgtlib_stats before, after;
	long dm4k_before, dm4k_after;
	int total, failed;

	ksft_print_header();
	if (access(PGTLIB_DIR, R_OK))
		ksft_exit_skip("%s missing: CONFIG_PGTLIB and debugfs needed\n",
			       PGTLIB_DIR);
	ksft_set_plan(12);

	/* Pages and flushes are only counted on request. */
	read_stats(&before);
	counting_before = before.counting;
	atexit(restore_counting);
	ksft_test_result(set_counting(1) == 0 &&
			 read_stats(&before) == (int)NR_KEYS && before.counting,
			 "stats: all %zu counters present, counting on\n",
			 NR_KEYS);
	ksft_test_result(before.tables_allocated - before.tables_freed ==
			 before.kernel_tables + before.kernel_spare_tables,
			 "stats: every table page pgtlib holds is accounted for\n");

	dm4k_before = meminfo_kb("DirectMap4k");
	run_kernel_selftest(&total, &failed);
	dm4k_after = meminfo_kb("DirectMap4k");
	ksft_test_result(total > 0 && failed == 0,
			 "kernel selftest: %d checks, %d failed\n", total, failed);

	read_stats(&after);
	/*
	 * The kernel selftest maps, protects and unmaps 512 pages once. The
	 * totals are the whole kernel's: vmalloc, and on arm64 the page
	 * allocator's DEBUG_PAGEALLOC, may add to them meanwhile.
	 */
	ksft_test_result(after.pages_mapped - before.pages_mapped >= 512 &&
			 after.pages_protected - before.pages_protected >= 512 &&
			 after.pages_unmapped - before.pages_unmapped >= 512,
			 "stats: 512 pages mapped, protected and unmapped\n");
	/*
	 * map: none; protect: one; eight unmaps in one transaction: one;
	 * the unmap of the emptied PTE table, which stays: none.
	 */
	ksft_test_result(after.flushes - before.flushes == 2,
			 "stats: two flushes for four transactions (%ld)\n",
			 after.flushes - before.flushes);
	/* An emptied init_mm table stays installed, for the next map. */
	ksft_test_result(after.tables_allocated - after.tables_freed ==
			 after.kernel_tables + after.kernel_spare_tables &&
			 after.kernel_tables - before.kernel_tables <= 1,
			 "stats: no table page leaked\n");
	if (dm4k_before < 0)
		ksft_test_result_skip("direct map: no DirectMap4k here\n");
	else
		ksft_test_result(dm4k_after == dm4k_before,
				 "direct map: no huge page split (%ld kB 4k)\n",
				 dm4k_after);

	/* Off again: the benchmark then pays for no global counting. */
	set_counting(counting_before);
	read_stats(&before);
	test_bench();
	read_stats(&after);
	if (counting_before)
		ksft_test_result_skip("stats: counting was on before the test\n");
	else
		ksft_test_result(!after.counting &&
				 after.pages_mapped == before.pages_mapped &&
				 after.pages_unmapped == before.pages_unmapped &&
				 after.flushes == before.flushes,
				 "stats: the benchmark counted nothing with counting off\n");
	test_account();
	ksft_finished();
}
