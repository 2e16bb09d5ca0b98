/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for tests/fault/ (DESIGN.md §5): the test programs are
 * linked with -Wl,--wrap for the allocation and socket calls the library
 * makes (tests/CMakeLists.txt), so every call from the library's own
 * objects goes through the __wrap_ functions in fault.c first. OpenSSL
 * and libc internals are not affected: their failures are theirs.
 *
 * A sweep arms one fault at the N-th counted call of a class, runs a
 * scenario in a forked child, and lets the child judge the outcome
 * (scenario.c); the parent raises N until the fault no longer fires.
 */
#ifndef SMBIOV_TEST_FAULT_H
#define SMBIOV_TEST_FAULT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <poll.h>

enum fault_class {
	FAULT_NONE = 0,
	FAULT_ALLOC,	  /* malloc calloc realloc strdup mmap pthread_create */
	FAULT_SOCK_ERR,	  /* the N-th socket call fails with ECONNRESET */
	FAULT_SOCK_EINTR, /* the N-th socket call fails with EINTR */
	FAULT_SOCK_SHORT, /* every socket transfer moves at most a few bytes */
};

/* Arm @cls to fire at the @nth counted call (1-based); FAULT_NONE off. */
void fault_arm(enum fault_class cls, long nth);
/* Did the armed fault fire? How many calls of the class were counted? */
bool fault_fired(void);
long fault_count(void);

/* The wrapped calls (the linker routes the library's calls here). */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__real_mmap(void *a, size_t n, int prot, int flags, int fd, off_t off);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a,
			  void *(*fn)(void *), void *arg);
ssize_t __real_sendmsg(int fd, const struct msghdr *m, int flags);
ssize_t __real_recvmsg(int fd, struct msghdr *m, int flags);
ssize_t __real_recv(int fd, void *buf, size_t n, int flags);
int __real_poll(struct pollfd *p, nfds_t n, int timeout);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
void *__wrap_mmap(void *a, size_t n, int prot, int flags, int fd, off_t off);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a,
			  void *(*fn)(void *), void *arg);
ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int flags);
ssize_t __wrap_recvmsg(int fd, struct msghdr *m, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags);
int __wrap_poll(struct pollfd *p, nfds_t n, int timeout);

#endif
