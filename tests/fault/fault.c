// SPDX-License-Identifier: MIT
/*
 * The injection points (fault.h). Counting is global and atomic: the
 * library's receiver and watchdog threads allocate and receive too, so
 * which call is the N-th varies a little from run to run; a sweep covers
 * every N anyway.
 */
#include "fault.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

static _Atomic int armed_cls;
static _Atomic long armed_nth;
static _Atomic long counted;
static _Atomic bool fired;

void fault_arm(enum fault_class cls, long nth)
{
	atomic_store(&counted, 0);
	atomic_store(&fired, false);
	atomic_store(&armed_nth, nth);
	atomic_store(&armed_cls, (int)cls);
}

bool fault_fired(void)
{
	return atomic_load(&fired);
}

long fault_count(void)
{
	return atomic_load(&counted);
}

/* Count one call of @cls; true when this one must fail. */
static bool hit(enum fault_class cls)
{
	if (atomic_load(&armed_cls) != (int)cls)
		return false;
	if (atomic_fetch_add(&counted, 1) + 1 != atomic_load(&armed_nth))
		return false;
	atomic_store(&fired, true);
	return true;
}

void *__wrap_malloc(size_t n)
{
	if (hit(FAULT_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	if (hit(FAULT_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (hit(FAULT_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	if (hit(FAULT_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}

void *__wrap_mmap(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
	if (hit(FAULT_ALLOC)) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return __real_mmap(a, n, prot, flags, fd, off);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a,
			  void *(*fn)(void *), void *arg)
{
	if (hit(FAULT_ALLOC))
		return EAGAIN;
	return __real_pthread_create(t, a, fn, arg);
}

/*
 * A socket call: fail it? A transfer fails with ECONNRESET (SOCK_ERR) or
 * EINTR; poll() only with EINTR, the one failure it really has.
 */
static bool sock_fail(bool is_poll)
{
	int cls = atomic_load(&armed_cls);

	if (cls == FAULT_SOCK_ERR && !is_poll && hit(FAULT_SOCK_ERR)) {
		errno = ECONNRESET;
		return true;
	}
	if (cls == FAULT_SOCK_EINTR && hit(FAULT_SOCK_EINTR)) {
		errno = EINTR;
		return true;
	}
	return false;
}

/* SHORT: at most 1..61 bytes per transfer (varies with the call count). */
static size_t short_len(void)
{
	long k;

	if (atomic_load(&armed_cls) != FAULT_SOCK_SHORT)
		return 0;
	k = atomic_fetch_add(&counted, 1);
	atomic_store(&fired, true);
	return 1 + (size_t)(k * 7 % 61);
}

/* Cut @m's iovec array to @cap bytes in @tmp (a private copy). */
static void cut_msg(struct msghdr *tmp, const struct msghdr *m,
		    struct iovec *iov, size_t cap)
{
	size_t i, left = cap;

	*tmp = *m;
	tmp->msg_iov = iov;
	tmp->msg_iovlen = 0;
	for (i = 0; i < m->msg_iovlen && left; i++) {
		iov[i] = m->msg_iov[i];
		if (iov[i].iov_len > left)
			iov[i].iov_len = left;
		left -= iov[i].iov_len;
		tmp->msg_iovlen++;
	}
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int flags)
{
	size_t cap;

	if (sock_fail(false))
		return -1;
	cap = short_len();
	if (cap && m->msg_iovlen) {
		struct iovec iov[64];
		struct msghdr tmp;
		struct msghdr lim = *m;

		if (lim.msg_iovlen > 64)
			lim.msg_iovlen = 64;
		cut_msg(&tmp, &lim, iov, cap);
		return __real_sendmsg(fd, &tmp, flags);
	}
	return __real_sendmsg(fd, m, flags);
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *m, int flags)
{
	size_t cap;

	if (sock_fail(false))
		return -1;
	cap = short_len();
	if (cap && m->msg_iovlen) {
		struct iovec iov[64];
		struct msghdr tmp;
		struct msghdr lim = *m;
		ssize_t n;

		if (lim.msg_iovlen > 64)
			lim.msg_iovlen = 64;
		cut_msg(&tmp, &lim, iov, cap);
		n = __real_recvmsg(fd, &tmp, flags);
		m->msg_flags = tmp.msg_flags;
		return n;
	}
	return __real_recvmsg(fd, m, flags);
}

ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags)
{
	size_t cap;

	if (sock_fail(false))
		return -1;
	cap = short_len();
	if (cap && n > cap)
		n = cap;
	return __real_recv(fd, buf, n, flags);
}

int __wrap_poll(struct pollfd *p, nfds_t n, int timeout)
{
	if (sock_fail(true))
		return -1;
	return __real_poll(p, n, timeout);
}
