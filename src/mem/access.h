/* SPDX-License-Identifier: MIT */
/*
 * Is the caller's memory there? The library reads and writes UBUF and
 * IOVEC memory itself (signing, sealing, the page cache's copies) and
 * hands it to sendmsg/recvmsg half way through a message: a bad pointer
 * found there would crash the process or kill the connection. So the
 * public calls probe it first.
 */
#ifndef SMBIOV_MEM_ACCESS_H
#define SMBIOV_MEM_ACCESS_H

#include <smbiov/iter.h>

#include <sys/types.h>

/**
 * mem_user_check - probe the caller memory of @it
 * @it: any iterator; only UBUF and IOVEC (caller memory) are probed
 *
 * One byte of every page the iterator's remaining range touches is read
 * with process_vm_readv() on this process (a destination's byte is also
 * written back, unchanged, with process_vm_writev()): the kernel reports
 * an unmapped or protected page as EFAULT instead of a signal.
 *
 * Return: 0, or -EFAULT. Where the kernel refuses the calls (seccomp,
 * ENOSYS) nothing can be probed and 0 is returned.
 */
int mem_user_check(const struct smbiov_iter *it);

/*
 * getpid() without a system call: the pid is read once and refreshed in
 * a child by a pthread_atfork() handler. Every public call compares it
 * with its client's (the fork rule), so it is on every call's path.
 */
pid_t mem_self_pid(void);

#endif
