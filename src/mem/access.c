// SPDX-License-Identifier: MIT
/*
 * Probing caller memory without touching it (access.h). Probes go out in
 * batches, one iovec of one byte per page, so a GiB costs a few hundred
 * system calls, not a quarter million.
 */
#include "mem/access.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/uio.h>
#include <unistd.h>

#define PROBE_BATCH 512

static _Atomic pid_t self_pid;
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

static void self_child(void)
{
	self_pid = getpid();
}

static void self_init(void)
{
	self_pid = getpid();
	pthread_atfork(NULL, NULL, self_child);
}

pid_t mem_self_pid(void)
{
	pthread_once(&self_once, self_init);
	return self_pid;
}

struct probe {
	struct iovec remote[PROBE_BATCH];
	uint8_t bytes[PROBE_BATCH];
	size_t n;
	bool dest;
	bool unsupported;
};

static int probe_flush(struct probe *p)
{
	struct iovec local = {p->bytes, p->n};
	pid_t self = mem_self_pid();
	ssize_t r;

	if (!p->n || p->unsupported)
		return 0;
	r = process_vm_readv(self, &local, 1, p->remote, p->n, 0);
	if (r < 0 && (errno == ENOSYS || errno == EPERM)) {
		p->unsupported = true;
		return 0;
	}
	if (r != (ssize_t)p->n)
		return -EFAULT;
	/* the same bytes back: proves the pages are writable */
	if (p->dest && process_vm_writev(self, &local, 1, p->remote, p->n, 0) !=
			       (ssize_t)p->n)
		return -EFAULT;
	p->n = 0;
	return 0;
}

/* Probe one byte in every page of [base, base + len). */
static int probe_range(struct probe *p, uintptr_t base, size_t len)
{
	uintptr_t at = base, end;
	int ret;

	if (!len)
		return 0;
	if (base + len < base)
		return -EFAULT;
	end = base + len;
	while (at < end) {
		p->remote[p->n].iov_base = (void *)at;
		p->remote[p->n].iov_len = 1;
		if (++p->n == PROBE_BATCH) {
			ret = probe_flush(p);
			if (ret)
				return ret;
		}
		at = (at & SMBIOV_PAGE_MASK) + SMBIOV_PAGE_SIZE;
	}
	return 0;
}

int mem_user_check(const struct smbiov_iter *it)
{
	struct probe p = {.dest = !it->source};
	size_t left = it->count, skip = it->iov_offset;
	int ret = 0;

	if (!left)
		return 0;
	if (it->type == SMBIOV_ITER_UBUF) {
		ret = probe_range(&p, (uintptr_t)it->ubuf + skip, left);
	} else if (it->type == SMBIOV_ITER_IOVEC) {
		for (size_t k = 0; k < it->nr_segs && left && !ret; k++) {
			size_t len = it->iov[k].iov_len - skip;

			if (len > left)
				len = left;
			ret = probe_range(
				&p, (uintptr_t)it->iov[k].iov_base + skip, len);
			left -= len;
			skip = 0;
		}
	}
	return ret ? ret : probe_flush(&p);
}
