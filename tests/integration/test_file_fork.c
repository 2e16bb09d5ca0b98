// SPDX-License-Identifier: MIT
/*
 * Fork while reads are in flight (DESIGN.md §2 "Fork"; the kernel's
 * DIO-read-vs-fork race, kernel-iov-iter-design.md §4). Each iteration
 * submits asynchronous reads into a malloc'd buffer, forks at once, and:
 *  - the child writes to a malloc'd object next to that buffer (same
 *    page), checks that the parent's client refuses it (-ECHILD) and
 *    exits;
 *  - the parent waits for its reads and checks every byte, checks the
 *    child's write did not reach it, and checks the child's exit status.
 * Bounded: at most ITERS iterations or ~25 s.
 */
#include "file_common.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

#define ITERS	  2000
#define BUF_LEN	  60000 /* heap, not mmap: neighbours share pages */
#define NPIECES	  3
#define FILE_LEN  (1 << 20)
#define NEIGH_LEN 64

static _Atomic int done_calls;
static _Atomic long done_bytes;

static void on_done(void *arg, ssize_t res)
{
	(void)arg;
	atomic_fetch_add(&done_calls, 1);
	atomic_fetch_add(&done_bytes, (long)res);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct smbiov_client *c;
	struct smbiov_file *f;
	const char *share;
	double t0;
	int it, bad_parent = 0, bad_child = 0;

	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	share = fc_env("SMB_SHARE");
	c = fc_connect(share, NULL);
	T_ASSERT(c);
	fc_disk_write(share, "fork.bin", FILE_LEN, 99);
	T_ASSERT(smbiov_open(c, "fork.bin", O_RDONLY, &f) == 0);

	t0 = now();
	for (it = 0; it < ITERS && now() - t0 < 25; it++) {
		uint8_t *buf = malloc(BUF_LEN);
		uint8_t *neigh = malloc(NEIGH_LEN);
		uint64_t off = ((uint64_t)it * 4099) % (FILE_LEN - BUF_LEN);
		struct smbiov_iter iter[NPIECES];
		size_t per = BUF_LEN / NPIECES;
		int status = 0;
		pid_t pid;

		T_ASSERT(buf && neigh);
		memset(buf, 0, BUF_LEN);
		memset(neigh, 0x11, NEIGH_LEN);
		atomic_store(&done_calls, 0);
		atomic_store(&done_bytes, 0);
		for (int k = 0; k < NPIECES; k++) {
			T_ASSERT(smbiov_iter_ubuf(&iter[k], SMBIOV_ITER_DEST,
						  buf + k * per, per) == 0);
			T_ASSERT(smbiov_aio_read(f, &iter[k], off + k * per,
						 on_done, NULL) == 0);
		}
		/* FC_NOFORK=1: the same loop without fork, for comparison. */
		pid = getenv("FC_NOFORK") ? 1 : fork();
		T_ASSERT(pid >= 0);
		if (pid == 0) {
			uint8_t tmp[16];
			int ok = 1;

			memset(neigh, 0x22, NEIGH_LEN);
			for (int k = 0; k < NEIGH_LEN; k++)
				ok &= neigh[k] == 0x22;
			/* The parent's connection is not ours to use. */
			ok &= smbiov_pread(f, tmp, sizeof(tmp), 0) == -ECHILD;
			_exit(ok ? 0 : 1);
		}
		smbiov_aio_wait(c);
		if (pid != 1)
			T_ASSERT(waitpid(pid, &status, 0) == pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad_child++;
		if (atomic_load(&done_calls) != NPIECES ||
		    atomic_load(&done_bytes) != (long)(per * NPIECES) ||
		    fc_check(buf, per * NPIECES, 99, off) != per * NPIECES)
			bad_parent++;
		for (int k = 0; k < NEIGH_LEN; k++)
			if (neigh[k] != 0x11) {
				bad_parent++;
				break;
			}
		free(neigh);
		free(buf);
	}
	fprintf(stderr,
		"%d iterations in %.1f s: parent bad %d, child bad %d\n", it,
		now() - t0, bad_parent, bad_child);
	T_EXPECT(it >= 200);
	T_EXPECT_EQ(bad_parent, 0);
	T_EXPECT_EQ(bad_child, 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(c);
	return t_done();
}
