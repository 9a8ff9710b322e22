// SPDX-License-Identifier: GPL-2.0
/*
 * vmalloc() and vfree() on every CPU (test_vmalloc, loaded again and
 * again) while this task reads the kernel's page tables through ptdump
 * and vmalloc memory through /proc/kcore (vread_iter(), which looks each
 * page up with vmalloc_to_page()): the kernel's lockless and locked
 * readers of the tables that vmalloc edits, for at least STRESS_SECONDS.
 * A table freed or reused under a reader shows on the console (KASAN,
 * "Bad page", an oops), which the harness checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/elf.h>

#include "../kselftest.h"

#define STRESS_SECONDS	12
/* x86's ptdump file, and arm64's */
static const char *ptdump = "/sys/kernel/debug/page_tables/kernel";
static const char *ptdump_arm64 = "/sys/kernel/debug/kernel_page_tables";

static struct elf64_phdr *phdrs;
static int nr_phdrs;
static int kcore;

static int kcore_open(void)
{
	struct elf64_hdr eh;

	kcore = open("/proc/kcore", O_RDONLY);
	if (kcore < 0)
		return -errno;
	if (pread(kcore, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -EINVAL;
	nr_phdrs = eh.e_phnum;
	phdrs = calloc(nr_phdrs, sizeof(*phdrs));
	if (!phdrs)
		return -ENOMEM;
	if (pread(kcore, phdrs, nr_phdrs * sizeof(*phdrs), eh.e_phoff) !=
	    (ssize_t)(nr_phdrs * sizeof(*phdrs)))
		return -EINVAL;
	return 0;
}

/* The file offset of kernel address @va in /proc/kcore, or -1. */
static long long kcore_offset(unsigned long va)
{
	int i;

	for (i = 0; i < nr_phdrs; i++)
		if (phdrs[i].p_type == PT_LOAD && va >= phdrs[i].p_vaddr &&
		    va - phdrs[i].p_vaddr < phdrs[i].p_memsz)
			return phdrs[i].p_offset + (va - phdrs[i].p_vaddr);
	return -1;
}

/* Read the first and last page of every vmalloc()ed area once. */
static int read_vmalloc_areas(unsigned long *reads)
{
	FILE *f = fopen("/proc/vmallocinfo", "r");
	char line[512], buf[4096];
	unsigned long start, end;
	long long off;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "0x%lx-0x%lx", &start, &end) != 2 ||
		    !strstr(line, " vmalloc"))
			continue;
		off = kcore_offset(start);
		if (off < 0)
			continue;
		/* The area may be freed meanwhile: kcore then reads zeroes. */
		if (pread(kcore, buf, sizeof(buf), off) < 0 ||
		    pread(kcore, buf, sizeof(buf),
			  off + (end - start) - 2 * sizeof(buf)) < 0) {
			fclose(f);
			return -errno;
		}
		*reads += 2;
	}
	fclose(f);
	return 0;
}

static int read_ptdump(unsigned long *bytes)
{
	char buf[65536];
	ssize_t n;
	int fd = open(ptdump, O_RDONLY);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		*bytes += n;
	close(fd);
	return n < 0 ? -errno : 0;
}

/* test_vmalloc on every CPU; its init returns -EAGAIN by design. */
static pid_t start_vmalloc(void)
{
	pid_t pid = fork();

	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execlp("modprobe", "modprobe", "test_vmalloc",
		       "run_test_mask=1033", "nr_threads=0",
		       "test_loop_count=300", "test_repeat_count=1", NULL);
		_exit(127);
	}
	return pid;
}

/*
 * /proc/vmallocinfo prints addresses with %pK: hashed unless
 * kptr_restrict is 1 (for CAP_SYSLOG) or 2. Returns the old setting.
 */
static int set_kptr_restrict(int val)
{
	char buf[16] = "";
	int fd = open("/proc/sys/kernel/kptr_restrict", O_RDWR), old;

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		buf[0] = 0;
	old = atoi(buf);
	snprintf(buf, sizeof(buf), "%d\n", val);
	if (pwrite(fd, buf, strlen(buf), 0) < 0)
		old = -1;
	close(fd);
	return old;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	unsigned long reads = 0, bytes = 0, runs = 0;
	int err = 0, kerr = 0, perr = 0, kptr, status;
	double t0;
	pid_t pid;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	if (access(ptdump, R_OK))
		ptdump = ptdump_arm64;
	if (access(ptdump, R_OK))
		ksft_exit_skip("no %s (CONFIG_PTDUMP_DEBUGFS)\n", ptdump);
	err = kcore_open();
	if (err)
		ksft_exit_skip("/proc/kcore: %s (CONFIG_PROC_KCORE)\n",
			       strerror(-err));
	if (system("modinfo test_vmalloc >/dev/null 2>&1"))
		ksft_exit_skip("no test_vmalloc module\n");
	ksft_set_plan(3);

	kptr = set_kptr_restrict(1);
	t0 = now();
	pid = start_vmalloc();
	while (pid > 0) {
		if (!kerr)
			kerr = read_vmalloc_areas(&reads);
		if (!perr)
			perr = read_ptdump(&bytes);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			runs++;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
				pid = -1;
				break;
			}
			pid = now() - t0 < STRESS_SECONDS ? start_vmalloc() : 0;
		}
	}

	if (kptr >= 0)
		set_kptr_restrict(kptr);

	ksft_test_result(pid == 0 && now() - t0 >= STRESS_SECONDS,
			 "test_vmalloc loaded %lu times in %.1f s\n", runs,
			 now() - t0);
	ksft_test_result(!kerr && reads > 0,
			 "%lu reads of vmalloc memory through /proc/kcore%s%s\n",
			 reads, kerr ? ": " : "", kerr ? strerror(-kerr) : "");
	ksft_test_result(!perr && bytes > 0, "%lu bytes of ptdump%s%s\n",
			 bytes, perr ? ": " : "", perr ? strerror(-perr) : "");
	ksft_finished();
}
