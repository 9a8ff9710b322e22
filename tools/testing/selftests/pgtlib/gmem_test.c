// SPDX-License-Identifier: GPL-2.0
/*
 * guest_memfd with GUEST_MEMFD_FLAG_NO_DIRECT_MAP, on the unmapped-page
 * allocator: the flag is offered where it can be honoured and refused
 * elsewhere, fallocate() and PUNCH_HOLE move pages to and from the
 * allocator, no page of the file can be read through the direct map, a
 * vCPU reads and writes the file's private memory, memcg and meminfo
 * count the pages as without the flag, an injected allocation failure
 * gives ENOMEM, and every page comes back when the VMM is killed.
 *
 * Plain KVM ioctls, so that it builds with the other pgtlib selftests:
 * the vCPU runs a few instructions of real-mode code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kselftest.h"

#ifdef __x86_64__

#define STATS		"/sys/kernel/debug/unmapped_alloc/stats"
#define AUDIT		"/sys/kernel/debug/unmapped_alloc/audit"
#define GMEM_SIZE	(64UL << 20)
#define GMEM_BLOCK	(2UL << 20)
#define CODE_GPA	0x0UL
#define CODE_SIZE	0x10000UL
#define DATA_GPA	0x10000UL
#define DATA_SIZE	0x10000UL
#define PORT		0x10
#define CG		"/sys/fs/cgroup/gmem_test"
#define CHARGE_SIZE	(16UL << 20)
#define CHARGE_SLACK	(16L << 12)	/* sixteen pages */
#define FAIL		"/sys/kernel/debug/fail_page_alloc/"

/* value of @name in @file ("name value" lines), or -1 */
static long read_val(const char *file, const char *name)
{
	char n[64];
	long v, ret = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", n, &v) == 2)
		if (!strcmp(n, name))
			ret = v;
	fclose(f);
	return ret;
}

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(s, f) < 0;
	return fclose(f) || ret ? -1 : 0;
}

/* the first number in @path after @key ("" for the file's first) */
static long read_num(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key))) {
			v = strtol(line + strlen(key), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/*
 * What fallocate() of CHARGE_SIZE of a guest_memfd with @flags adds to
 * the memory cgroup of this task (@mem, bytes) and to /proc/meminfo's
 * Unevictable (@unev, kB). 0 on success.
 */
static int charge(int vm, uint64_t flags, long *mem, long *unev)
{
	long m0 = read_num(CG "/memory.current", "");
	long u0 = read_num("/proc/meminfo", "Unevictable:");
	int fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD,
		       &(struct kvm_create_guest_memfd){ CHARGE_SIZE, flags });

	if (fd < 0 || fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, CHARGE_SIZE))
		return -1;
	*mem = read_num(CG "/memory.current", "") - m0;
	*unev = read_num("/proc/meminfo", "Unevictable:") - u0;
	close(fd);
	return 0;
}

/*
 * In a memory cgroup of its own, this task's guest_memfd pages are
 * charged with the flag as without it, and counted as Unevictable alike.
 */
static int memcg_test(int vm)
{
	long mem0 = 0, unev0 = 0, mem1 = 0, unev1 = 0;
	char pid[32];
	int bad;

	mkdir("/sys/fs/cgroup", 0755);
	mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	rmdir(CG);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (mkdir(CG, 0755) || write_file(CG "/cgroup.procs", pid)) {
		ksft_print_msg("memory cgroup: %s\n", strerror(errno));
		return -1;
	}
	bad = charge(vm, 0, &mem0, &unev0) ||
	      charge(vm, GUEST_MEMFD_FLAG_NO_DIRECT_MAP, &mem1, &unev1);
	write_file("/sys/fs/cgroup/cgroup.procs", pid);
	rmdir(CG);
	ksft_print_msg("without / with the flag: memcg %ld / %ld B, Unevictable %ld / %ld kB\n",
		       mem0, mem1, unev0, unev1);
	/*
	 * Other charges of the task come and go meanwhile (a slab page of
	 * the file closed before is uncharged after an RCU grace period):
	 * allow a few pages.
	 */
	if (bad || mem0 < (long)CHARGE_SIZE - CHARGE_SLACK ||
	    mem1 < (long)CHARGE_SIZE - CHARGE_SLACK)
		return -1;
	/* per-CPU LRU batches hold a few pages back from Unevictable */
	return labs(mem1 - mem0) <= 1L << 20 && labs(unev1 - unev0) <= 1024 &&
	       unev1 >= (long)(CHARGE_SIZE >> 10) / 2 ? 0 : -1;
}

static void drain(void)
{
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

	if (f) {
		fputs("2\n", f);
		fclose(f);
	}
}

static int create_gmem(int vm, uint64_t size, uint64_t flags)
{
	struct kvm_create_guest_memfd g = { .size = size, .flags = flags };

	return ioctl(vm, KVM_CREATE_GUEST_MEMFD, &g);
}

/*
 * A child fails every page allocation it makes (fail_page_alloc, that task
 * only): its fallocate() of a no-direct-map guest_memfd must fail with
 * ENOMEM. (The file is the parent's: KVM refuses a VM's ioctls from
 * another process.) 1 if it did, 0 if not, -1 without fault injection.
 */
static int enomem_test(int vm)
{
	static const char * const knobs[][2] = {
		{ "task-filter", "Y" }, { "ignore-gfp-wait", "N" },
		{ "ignore-gfp-highmem", "N" }, { "min-order", "0" },
		{ "verbose", "0" }, { "interval", "1" }, { "times", "-1" },
		{ "probability", "100" },
	};
	char path[128];
	int status, gmem;
	unsigned int i;
	pid_t pid;

	if (access(FAIL "probability", W_OK))
		return -1;
	gmem = create_gmem(vm, GMEM_SIZE, GUEST_MEMFD_FLAG_NO_DIRECT_MAP);
	if (gmem < 0)
		return 0;
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(path, sizeof(path), FAIL "%s", knobs[i][0]);
		if (write_file(path, knobs[i][1])) {
			close(gmem);
			return -1;
		}
	}
	pid = fork();
	if (!pid) {
		if (write_file("/proc/self/make-it-fail", "1"))
			_exit(2);
		if (!fallocate(gmem, FALLOC_FL_KEEP_SIZE, 0, GMEM_SIZE))
			_exit(1);
		_exit(errno == ENOMEM ? 0 : 3);
	}
	waitpid(pid, &status, 0);
	write_file(FAIL "probability", "0");
	close(gmem);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		ksft_print_msg("child: status %#x (1: no failure, 2: setup, 3: not ENOMEM)\n",
			       status);
	return pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status);
}

/*
 * pages_used back at @used within a few seconds: a truncated folio may
 * still sit in a CPU's LRU batch, which drop_caches=1 drains on every CPU
 */
static long wait_used(long used)
{
	long now = -1;
	int i;

	for (i = 0; i < 100; i++) {
		now = read_val(STATS, "pages_used");
		if (now == used)
			break;
		write_file("/proc/sys/vm/drop_caches", "1");
		usleep(50000);
	}
	return now;
}

/*
 * Real mode, DS at DATA_GPA: report the dword there (a fresh page of the
 * guest_memfd: zero), write a pattern, report what reads back, halt.
 */
static const uint8_t guest_code[] = {
	0xb8, DATA_GPA >> 4 & 0xff, DATA_GPA >> 12,	/* mov ax, DATA >> 4 */
	0x8e, 0xd8,					/* mov ds, ax */
	0x66, 0xa1, 0x00, 0x00,				/* mov eax, [0] */
	0x66, 0xe7, PORT,				/* out PORT, eax */
	0x66, 0xc7, 0x06, 0x00, 0x00,			/* mov dword [0], */
	0xa5, 0xa5, 0x5a, 0x5a,				/*   0x5a5aa5a5 */
	0x66, 0xa1, 0x00, 0x00,				/* mov eax, [0] */
	0x66, 0xe7, PORT,				/* out PORT, eax */
	0xf4,						/* hlt */
};

/* run until the next exit; the value an OUT to PORT sent, or -1 */
static long run_to_out(int vcpu, struct kvm_run *run)
{
	uint32_t v;

	if (ioctl(vcpu, KVM_RUN, 0))
		return -1;
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != PORT ||
	    run->io.size != 4) {
		ksft_print_msg("vCPU exit %u (port %#x)\n", run->exit_reason,
			       run->exit_reason == KVM_EXIT_IO ?
			       run->io.port : 0);
		return -1;
	}
	memcpy(&v, (char *)run + run->io.data_offset, 4);
	return v;
}

/*
 * A software-protected VM whose DATA_GPA page is private memory of a
 * no-direct-map guest_memfd: what the vCPU reads there. 0 on success.
 */
static int vcpu_test(int kvm, int vm, int gmem)
{
	struct kvm_userspace_memory_region2 code = {
		.slot = 0, .guest_phys_addr = CODE_GPA,
		.memory_size = CODE_SIZE,
	};
	struct kvm_userspace_memory_region2 data = {
		.slot = 1, .flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = DATA_GPA, .memory_size = DATA_SIZE,
		.guest_memfd = gmem, .guest_memfd_offset = 0,
	};
	struct kvm_memory_attributes attr = {
		.address = DATA_GPA, .size = DATA_SIZE,
		.attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	long first, second;
	int vcpu, sz;
	void *mem, *shared;

	mem = mmap(NULL, CODE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || shared == MAP_FAILED)
		return -1;
	memcpy(mem, guest_code, sizeof(guest_code));
	code.userspace_addr = (uintptr_t)mem;
	data.userspace_addr = (uintptr_t)shared;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &code) ||
	    ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &data) ||
	    ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &attr)) {
		ksft_print_msg("memory setup: %s\n", strerror(errno));
		return -1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || sz <= 0)
		return -1;
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		return -1;
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		return -1;
	first = run_to_out(vcpu, run);
	second = run_to_out(vcpu, run);
	ksft_print_msg("vCPU read %#lx from a fresh private page, then %#lx\n",
		       first, second);
	return first == 0 && second == 0x5a5aa5a5 ? 0 : -1;
}

/* a VMM: a VM and its guest_memfd, GMEM_SIZE allocated, then killed */
static void vmm_child(int kvm, int wfd)
{
	int vm, gmem;

	vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	if (vm < 0)
		_exit(1);
	gmem = create_gmem(vm, GMEM_SIZE, GUEST_MEMFD_FLAG_NO_DIRECT_MAP);
	if (gmem < 0 || fallocate(gmem, FALLOC_FL_KEEP_SIZE, 0, GMEM_SIZE))
		_exit(2);
	if (vcpu_test(kvm, vm, gmem))
		_exit(3);
	if (write(wfd, "x", 1) != 1)
		_exit(4);
	pause();
	_exit(0);
}

int main(void)
{
	long used0, used1, removed0, removed, used, readable, left, blocks0;
	long maps0;
	int kvm, vm, def, gmem, pfd[2], status;
	uint64_t flag;
	pid_t pid;
	char c;
	int bad;

	ksft_print_header();
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		ksft_exit_skip("no /dev/kvm\n");
	if (!(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS) &
	      GUEST_MEMFD_FLAG_NO_DIRECT_MAP))
		ksft_exit_skip("KVM offers no GUEST_MEMFD_FLAG_NO_DIRECT_MAP\n");
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	if (vm < 0)
		ksft_exit_skip("no software-protected VMs: %s\n",
			       strerror(errno));
	ksft_set_plan(10);

	/* 1: the flag where it can be honoured, and only there */
	def = ioctl(kvm, KVM_CREATE_VM, 0);
	bad = def < 0 ||
	      ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS) !=
	      GUEST_MEMFD_FLAG_NO_DIRECT_MAP ||
	      ioctl(def, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS) != 0;
	gmem = create_gmem(def, GMEM_BLOCK, GUEST_MEMFD_FLAG_NO_DIRECT_MAP);
	bad |= gmem >= 0 || errno != EINVAL;
	for (flag = 1; flag; flag <<= 1) {
		if (flag == GUEST_MEMFD_FLAG_NO_DIRECT_MAP)
			continue;
		gmem = create_gmem(vm, GMEM_BLOCK,
				   GUEST_MEMFD_FLAG_NO_DIRECT_MAP | flag);
		bad |= gmem >= 0 || errno != EINVAL;
	}
	gmem = create_gmem(vm, GMEM_BLOCK + 1, GUEST_MEMFD_FLAG_NO_DIRECT_MAP);
	bad |= gmem >= 0 || errno != EINVAL;
	ksft_test_result(!bad,
			 "flag offered for software-protected VMs only, bad flags and sizes refused\n");
	if (def >= 0)
		close(def);

	/* 2: fallocate() takes whole blocks out of the direct map */
	drain();
	used0 = read_val(STATS, "pages_used");
	blocks0 = read_val(STATS, "blocks");
	removed0 = read_val(STATS, "blocks_removed");
	gmem = create_gmem(vm, GMEM_SIZE, GUEST_MEMFD_FLAG_NO_DIRECT_MAP);
	if (gmem < 0)
		ksft_exit_fail_msg("KVM_CREATE_GUEST_MEMFD: %s\n",
				   strerror(errno));
	if (fallocate(gmem, FALLOC_FL_KEEP_SIZE, 0, GMEM_SIZE))
		ksft_exit_fail_msg("fallocate: %s\n", strerror(errno));
	used1 = read_val(STATS, "pages_used");
	removed = read_val(STATS, "blocks_removed") - removed0;
	ksft_print_msg("%ld pages from the allocator in %ld new blocks\n",
		       used1 - used0, removed);
	ksft_test_result(used1 - used0 == GMEM_SIZE / getpagesize() &&
			 removed <= GMEM_SIZE / GMEM_BLOCK + 1,
			 "fallocate: every page from the allocator, %ld blocks removed\n",
			 removed);

	/*
	 * 3: none of them readable through the direct map, though the same
	 * read of each block's descriptor, in the direct map, succeeds
	 */
	used = read_val(AUDIT, "pages");
	readable = read_val(AUDIT, "readable");
	bad = read_val(AUDIT, "blocks") < removed ||
	      read_val(AUDIT, "control_readable") != read_val(AUDIT, "blocks");
	ksft_test_result(!bad && used >= used1 && readable == 0,
			 "%ld pages outside the direct map, %ld readable\n",
			 used, readable);

	/* 4: a hole gives its pages back, fallocate() takes them again */
	bad = fallocate(gmem, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			GMEM_SIZE / 2);
	used = wait_used(used1 - GMEM_SIZE / 2 / getpagesize());
	bad |= used != used1 - (long)(GMEM_SIZE / 2 / getpagesize());
	bad |= fallocate(gmem, FALLOC_FL_KEEP_SIZE, 0, GMEM_SIZE);
	bad |= read_val(STATS, "pages_used") != used1;
	ksft_test_result(!bad, "punch hole and fallocate again\n");

	/* 5: closing the file gives every page back */
	close(gmem);
	left = wait_used(used0);
	ksft_test_result(left == used0, "close: %ld pages left\n",
			 left - used0);

	/* 6, 7: a vCPU uses the private memory; killing the VMM frees it */
	if (pipe(pfd))
		ksft_exit_fail_msg("pipe\n");
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork\n");
	if (!pid)
		vmm_child(kvm, pfd[1]);
	close(pfd[1]);
	maps0 = read_val(STATS, "window_maps");
	bad = read(pfd[0], &c, 1) != 1;
	if (bad) {
		waitpid(pid, &status, 0);
		ksft_print_msg("VMM child failed (status %#x)\n", status);
	}
	ksft_test_result(!bad && read_val(STATS, "window_maps") > maps0,
			 "a vCPU reads zero from and writes to no-direct-map private memory (cleared through kmap_local)\n");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	left = wait_used(used0);
	ksft_test_result(left == used0, "VMM killed: %ld pages left\n",
			 left - used0);

	/* 8: memcg and meminfo as for guest_memfd without the flag */
	ksft_test_result(!memcg_test(vm),
			 "memcg charge and Unevictable as without the flag\n");

	/*
	 * 9: allocation failure, injected: ENOMEM, and every page the
	 * failed call took comes back when the file is closed
	 */
	drain();
	bad = enomem_test(vm);
	if (bad < 0) {
		ksft_test_result_skip("no fail_page_alloc to inject failures\n");
	} else {
		left = wait_used(used0);
		ksft_test_result(bad == 1 && left == used0,
				 "injected allocation failure: ENOMEM, %ld pages left\n",
				 left - used0);
	}

	/* 10: and the blocks go back to the direct map */
	close(vm);
	drain();
	left = read_val(STATS, "blocks");
	ksft_test_result(left == blocks0,
			 "every block back in the direct map (%ld left)\n",
			 left);
	ksft_finished();
}

#else /* !__x86_64__ */

int main(void)
{
	ksft_print_header();
	ksft_exit_skip("guest_memfd without the direct map is x86_64 only\n");
}

#endif /* __x86_64__ */
