// SPDX-License-Identifier: GPL-2.0
/*
 * The unmapped-page allocator under memfd_secret(): a process holding
 * secretmem pages is killed, and every page must come back to the
 * allocator and every block go back to the direct map.
 *
 * With UNMAPPED_TEST_HOLD_CMD set, that command runs (through /bin/sh)
 * while the pages are held: make run draws the direct map then.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../kselftest.h"

#ifndef __NR_memfd_secret
#define __NR_memfd_secret 447
#endif

#define STATS		"/sys/kernel/debug/unmapped_alloc/stats"
#define NR_PAGES	1024
#define BLOCK_PAGES	512

struct ua_stats {
	long blocks, blocks_empty, pages_used;
	long blocks_removed, blocks_restored, pages_freed;
};

static int read_stats(struct ua_stats *s)
{
	char name[64];
	long v;
	int n = 0;
	FILE *f = fopen(STATS, "r");

	memset(s, 0, sizeof(*s));
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2) {
		n++;
		if (!strcmp(name, "blocks"))
			s->blocks = v;
		else if (!strcmp(name, "blocks_empty"))
			s->blocks_empty = v;
		else if (!strcmp(name, "pages_used"))
			s->pages_used = v;
		else if (!strcmp(name, "blocks_removed"))
			s->blocks_removed = v;
		else if (!strcmp(name, "blocks_restored"))
			s->blocks_restored = v;
		else if (!strcmp(name, "pages_freed"))
			s->pages_freed = v;
	}
	fclose(f);
	return n;
}

/* Run the shrinkers: the allocator gives its cached blocks back. */
static void drain(void)
{
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

	if (f) {
		fputs("2\n", f);
		fclose(f);
	}
}

static void child(int wfd)
{
	size_t size = (size_t)NR_PAGES * getpagesize();
	char *p;
	int fd;
	long i;

	fd = syscall(__NR_memfd_secret, 0);
	if (fd < 0 || ftruncate(fd, size))
		_exit(1);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(1);
	for (i = 0; i < NR_PAGES; i++)
		p[i * getpagesize()] = 0x5a;
	if (write(wfd, "x", 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

int main(void)
{
	struct rlimit unl = { RLIM_INFINITY, RLIM_INFINITY };
	struct ua_stats s0, s1, s2;
	const char *cmd;
	int pfd[2], i, status;
	long blocks;
	pid_t pid;
	char c;

	ksft_print_header();
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (read_stats(&s0) < 0)
		ksft_exit_skip("no %s: the kernel has no unmapped-page allocator\n",
			       STATS);
	ksft_set_plan(4);
	setrlimit(RLIMIT_MEMLOCK, &unl);
	drain();
	read_stats(&s0);

	if (pipe(pfd))
		ksft_exit_fail_msg("pipe\n");
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork\n");
	if (!pid)
		child(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		ksft_exit_fail_msg("memfd_secret child failed (status %d)\n",
				   status);
	}
	read_stats(&s1);
	blocks = s1.blocks_removed - s0.blocks_removed;
	ksft_print_msg("held: %ld pages in %ld blocks (%ld new)\n",
		       s1.pages_used, s1.blocks, blocks);
	ksft_test_result(s1.pages_used - s0.pages_used == NR_PAGES,
			 "the allocator holds the %d secretmem pages\n",
			 NR_PAGES);
	ksft_test_result(blocks <= NR_PAGES / BLOCK_PAGES + 1,
			 "%ld blocks removed for %d pages\n", blocks, NR_PAGES);
	cmd = getenv("UNMAPPED_TEST_HOLD_CMD");
	if (cmd && system(cmd))
		ksft_print_msg("'%s' failed\n", cmd);

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* pages freed where they cannot be zeroed at once come back later */
	for (i = 0; i < 100; i++) {
		read_stats(&s2);
		if (s2.pages_used == s0.pages_used)
			break;
		usleep(50000);
	}
	ksft_test_result(s2.pages_used == s0.pages_used &&
			 s2.pages_freed - s1.pages_freed >= NR_PAGES,
			 "every page came back after SIGKILL (%ld in use)\n",
			 s2.pages_used);
	drain();
	read_stats(&s2);
	ksft_test_result(s2.blocks == 0 &&
			 s2.blocks_restored - s0.blocks_restored ==
			 s2.blocks_removed - s0.blocks_removed + s0.blocks,
			 "every block went back to the direct map (%ld left)\n",
			 s2.blocks);
	ksft_finished();
}
