// SPDX-License-Identifier: GPL-2.0
/*
 * make bench workload: N pages of memfd_secret() faulted in, then freed;
 * or (x86_64, --gmem) N pages of a software-protected VM's guest_memfd
 * allocated with fallocate(), then freed by close().
 *
 *   secretmem LABEL NPAGES [COMMAND]
 *   secretmem --gmem FLAGS LABEL NPAGES [COMMAND]
 *
 * COMMAND runs (through /bin/sh) while the pages are mapped: bench mode
 * of guest-init.sh passes "pgt-dmap secretmem:LABEL" to print the direct
 * map then. Prints two lines, one per phase, in pgtbench's format:
 *   PGTBENCH secretmem:LABEL:fault instr=<per page> tlb=<per page> ...
 *   PGTBENCH secretmem:LABEL:free  instr=<per page> tlb=<per page> ...
 * (--gmem: gmem:LABEL:populate and gmem:LABEL:free; FLAGS are
 * KVM_CREATE_GUEST_MEMFD's)
 * instr: CLOCK_MONOTONIC nanoseconds, which under QEMU -icount shift=0 are
 * instructions; tlb: the nr_tlb_* lines of /proc/vmstat; req: of those,
 * nr_tlb_remote_flush, the invalidation requests that reach every CPU
 * (x86 IPIs, arm64 completed broadcast TLBIs), as a total for the phase;
 * splits: x86's direct_map_level{2,3}_splits; tables:
 * /sys/kernel/debug/pgtbench/tables; dm: DirectMap4k/2M/1G of
 * /proc/meminfo (kB, x86) before, mapped, freed, and after
 * "echo 3 > /proc/sys/vm/drop_caches" has run the shrinkers and
 * lru_add_drain_all() (drained): a truncated folio that a CPU's LRU-add
 * batch still holds is freed only when the batch drains (up to a batch of
 * folios per CPU, in both kernels), and the direct-map pictures after
 * free come after this.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#ifndef __NR_memfd_secret
#define __NR_memfd_secret 447
#endif

struct snap {
	unsigned long long ns, tlb, req, splits, pagetable;
	long tables;
	unsigned long dm[3];
};

static unsigned long long vmstat_sum(const char *prefix)
{
	unsigned long long sum = 0, v;
	char name[128];
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return 0;
	while (fscanf(f, "%127s %llu", name, &v) == 2)
		if (!strncmp(name, prefix, strlen(prefix)))
			sum += v;
	fclose(f);
	return sum;
}

static unsigned long long vmstat_get(const char *key)
{
	unsigned long long v, ret = 0;
	char name[128];
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return 0;
	while (fscanf(f, "%127s %llu", name, &v) == 2)
		if (!strcmp(name, key))
			ret = v;
	fclose(f);
	return ret;
}

static void read_meminfo(struct snap *s)
{
	static const char * const keys[] = {
		"DirectMap4k:", "DirectMap2M:", "DirectMap1G:" };
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");
	int i;

	memset(s->dm, 0, sizeof(s->dm));
	s->pagetable = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < 3; i++)
			if (!strncmp(line, keys[i], strlen(keys[i])))
				s->dm[i] = strtoul(line + strlen(keys[i]), NULL, 10);
		if (!strncmp(line, "PageTables:", 11))
			s->pagetable = strtoul(line + 11, NULL, 10) / 4;
	}
	fclose(f);
}

static long read_tables(void)
{
	long n = -1;
	FILE *f = fopen("/sys/kernel/debug/pgtbench/tables", "r");

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static unsigned long long now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void counters(struct snap *s)
{
	s->tables = read_tables();
	s->tlb = vmstat_sum("nr_tlb_");
	s->req = vmstat_get("nr_tlb_remote_flush");
	s->splits = vmstat_sum("direct_map_level");
	read_meminfo(s);
}

/* a timed part starts after its counters are read and ends before */
static void snap_start(struct snap *s)
{
	counters(s);
	s->ns = now();
}

static void snap_end(struct snap *s)
{
	s->ns = now();
	counters(s);
}

static const char *workload = "secretmem";

static void report(const char *label, const char *phase, unsigned long n,
		   struct snap *a, struct snap *b, struct snap *d0,
		   struct snap *d1, struct snap *d2, struct snap *d3)
{
	printf("PGTBENCH %s:%s:%s instr=%llu tlb=%llu.%03llu ",
	       workload, label, phase, (b->ns - a->ns) / n,
	       (b->tlb - a->tlb) / n, (b->tlb - a->tlb) * 1000 / n % 1000);
	printf("req=%llu splits=%llu tables=%ld pagetable=%lld ops=%lu ",
	       b->req - a->req, b->splits - a->splits, b->tables - a->tables,
	       (long long)(b->pagetable - a->pagetable), n);
	printf("dm4k=%lu,%lu,%lu,%lu dm2m=%lu,%lu,%lu,%lu dm1g=%lu,%lu,%lu,%lu\n",
	       d0->dm[0], d1->dm[0], d2->dm[0], d3->dm[0],
	       d0->dm[1], d1->dm[1], d2->dm[1], d3->dm[1],
	       d0->dm[2], d1->dm[2], d2->dm[2], d3->dm[2]);
}

static void drain(void)
{
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

	if (f) {
		fputs("3\n", f);
		fclose(f);
	}
}

static int run_command(int argc, char **argv, int i)
{
	if (argc > i) {
		fflush(stdout);
		if (system(argv[i]))
			fprintf(stderr, "command failed\n");
	}
	return 0;
}

#ifdef __x86_64__
/* --gmem FLAGS LABEL NPAGES [COMMAND] */
static int gmem_bench(int argc, char **argv)
{
	struct kvm_create_guest_memfd g = { 0 };
	struct snap s0, s1, s2, s3, s4;
	unsigned long n;
	int kvm, vm, fd;

	if (argc < 5) {
		fprintf(stderr, "usage: %s --gmem FLAGS LABEL NPAGES [COMMAND]\n",
			argv[0]);
		return 2;
	}
	workload = "gmem";
	n = strtoul(argv[4], NULL, 0);
	g.flags = strtoull(argv[2], NULL, 0);
	g.size = n * 4096;
	kvm = open("/dev/kvm", O_RDWR);
	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	if (vm < 0) {
		perror("PGTBENCH-FAIL software-protected VM");
		return 1;
	}
	fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &g);
	if (fd < 0) {
		perror("PGTBENCH-FAIL KVM_CREATE_GUEST_MEMFD");
		return 1;
	}
	snap_start(&s0);
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, g.size)) {
		perror("PGTBENCH-FAIL fallocate");
		return 1;
	}
	snap_end(&s1);
	run_command(argc, argv, 5);
	snap_start(&s2);
	close(fd);
	snap_end(&s3);
	drain();
	counters(&s4);
	report(argv[3], "populate", n, &s0, &s1, &s0, &s1, &s3, &s4);
	report(argv[3], "free", n, &s2, &s3, &s0, &s1, &s3, &s4);
	close(vm);
	close(kvm);
	return 0;
}
#endif

int main(int argc, char **argv)
{
	struct rlimit unl = { RLIM_INFINITY, RLIM_INFINITY };
	struct snap s0, s1, s2, s3, s4;
	unsigned long n, i;
	size_t size;
	char *p;
	int fd;

#ifdef __x86_64__
	if (argc > 1 && !strcmp(argv[1], "--gmem"))
		return gmem_bench(argc, argv);
#endif
	if (argc < 3) {
		fprintf(stderr, "usage: %s LABEL NPAGES [COMMAND]\n", argv[0]);
		return 2;
	}
	n = strtoul(argv[2], NULL, 0);
	size = n * 4096;
	/* secretmem is charged to RLIMIT_MEMLOCK */
	if (setrlimit(RLIMIT_MEMLOCK, &unl))
		perror("setrlimit");
	fd = syscall(__NR_memfd_secret, 0);
	if (fd < 0) {
		perror("PGTBENCH-FAIL memfd_secret");
		return 1;
	}
	if (ftruncate(fd, size)) {
		perror("PGTBENCH-FAIL ftruncate");
		return 1;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("PGTBENCH-FAIL mmap");
		return 1;
	}
	snap_start(&s0);
	for (i = 0; i < n; i++)
		p[i * 4096] = 1;
	snap_end(&s1);
	run_command(argc, argv, 3);
	snap_start(&s2);
	munmap(p, size);
	close(fd);
	snap_end(&s3);
	/* what the kernel keeps only until memory is short */
	drain();
	counters(&s4);
	report(argv[1], "fault", n, &s0, &s1, &s0, &s1, &s3, &s4);
	report(argv[1], "free", n, &s2, &s3, &s0, &s1, &s3, &s4);
	return 0;
}
