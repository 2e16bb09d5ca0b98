// SPDX-License-Identifier: MIT
/*
 * The fork test through the mount (issue 18, "Tests"; the library's own is
 * tests/integration/test_file_fork.c): O_DIRECT reads through the mount
 * in flight while the process forks.
 *
 *   fork -m FILE_ON_MOUNT -r SAME_BYTES_LOCALLY [-n ITERATIONS] [-t THREADS]
 *
 * Every iteration, THREADS threads each pread() a random piece (up to
 * 256 KiB, at a random offset and a random place in its buffer, so the
 * piece shares its first and last page with guard bytes) of the file
 * opened O_DIRECT on the mount, and the main thread forks as soon as they
 * are started, while their reads are in flight (with FUSE the kernel
 * copies the daemon's reply into the pages it pinned from the reader at
 * the read's start: the pages the parent had then, which copy-on-write
 * must leave the parent's).
 *
 * The child, at once, snapshots every buffer; writes a pattern into the
 * guard bytes (beside the reads, on the same pages); tells the parent and
 * waits until the parent's reads are done; then checks that its copy of
 * the read ranges still equals the snapshot (nothing the parent read
 * after the fork reached the child) and leaves with _exit().
 * The parent joins its threads and checks every byte read against the
 * local copy, and that its guard bytes are the ones it wrote (the child's
 * writes never reached it), then the child's status.
 *
 * Exit 0 pass, 1 fail (a line on stderr says what), 2 usage or setup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIECE_MAX   (256 * 1024)
#define BUF_SIZE    (PIECE_MAX + 2 * 4096)
#define GUARD	    0x5a
#define CHILD_GUARD 0xc3

struct reader {
	pthread_t th;
	int fd;
	uint8_t *buf; /* BUF_SIZE bytes, page-aligned */
	size_t at, len;
	uint64_t off;
	ssize_t got;
	int err;
};

static const uint8_t *ref;
static size_t ref_len;
static uint64_t rng;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	r->got = pread(r->fd, r->buf + r->at, r->len, (off_t)r->off);
	r->err = r->got < 0 ? errno : 0;
	return NULL;
}

static int fail(const char *what, int it)
{
	fprintf(stderr, "FAIL: iteration %d: %s\n", it, what);
	return 1;
}

/* The child's part; its exit status: 0, or 1 with a line on stderr. */
static int child(struct reader *rd, int nr, int to_parent, int from_parent)
{
	uint8_t *snap[16];
	char c = 0;

	for (int k = 0; k < nr; k++) {
		snap[k] = malloc(BUF_SIZE);
		if (!snap[k])
			return 1;
		memcpy(snap[k], rd[k].buf, BUF_SIZE);
	}
	/* beside the reads, on the same pages */
	for (int k = 0; k < nr; k++) {
		memset(rd[k].buf, CHILD_GUARD, rd[k].at);
		memset(rd[k].buf + rd[k].at + rd[k].len, CHILD_GUARD,
		       BUF_SIZE - rd[k].at - rd[k].len);
	}
	if (write(to_parent, &c, 1) != 1 || read(from_parent, &c, 1) != 1)
		return 1;
	for (int k = 0; k < nr; k++) {
		if (memcmp(snap[k] + rd[k].at, rd[k].buf + rd[k].at,
			   rd[k].len)) {
			fprintf(stderr,
				"FAIL: the parent's read %d reached the "
				"child's memory after the fork\n",
				k);
			return 1;
		}
	}
	return 0;
}

static int iteration(int fd, struct reader *rd, int nr, int it)
{
	int up[2], down[2], status;
	char c = 0;
	pid_t pid;

	for (int k = 0; k < nr; k++) {
		rd[k].fd = fd;
		rd[k].len = 1 + next_rand() % PIECE_MAX;
		rd[k].at = 1 + next_rand() % (BUF_SIZE - rd[k].len - 1);
		rd[k].off = next_rand() % (ref_len - rd[k].len + 1);
		memset(rd[k].buf, GUARD, BUF_SIZE);
	}
	if (pipe(up) || pipe(down))
		return 2;
	for (int k = 0; k < nr; k++)
		if (pthread_create(&rd[k].th, NULL, reader_main, &rd[k]))
			return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		_exit(child(rd, nr, up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	for (int k = 0; k < nr; k++)
		pthread_join(rd[k].th, NULL);
	/* the child has written its guards (or died) */
	if (read(up[0], &c, 1) != 1)
		c = 1;
	for (int k = 0; k < nr; k++) {
		struct reader *r = &rd[k];

		if (r->got != (ssize_t)r->len) {
			fprintf(stderr, "read %zu at %llu: %zd (%s)\n", r->len,
				(unsigned long long)r->off, r->got,
				strerror(r->err));
			return fail("a read through the mount came back short",
				    it);
		}
		if (memcmp(r->buf + r->at, ref + r->off, r->len))
			return fail("wrong bytes read through the mount", it);
		for (size_t i = 0; i < BUF_SIZE; i++)
			if ((i < r->at || i >= r->at + r->len) &&
			    r->buf[i] != GUARD)
				return fail(
					"a guard byte beside a read changed "
					"in the parent",
					it);
	}
	if (write(down[1], &c, 1) != 1)
		return fail("the child is gone before it was told", it);
	close(up[0]);
	close(down[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return fail("the child's checks failed (above)", it);
	return 0;
}

/*
 * -w: two 4 KiB O_DIRECT reads at once (offsets 0 and 4096, one thread
 * each: the mount reads one alone synchronously, the other with one in
 * progress asynchronously), once a line on stdin says go (the file is
 * open: "open" on stdout before). Prints "read N" or "read: ERROR" for
 * each. 0: the file's bytes or an error (the mount may be gone
 * meanwhile), 1: wrong bytes.
 */
static int read_on_go(int fd)
{
	struct reader rd[2];
	char line[16];
	int ret = 0;

	for (int k = 0; k < 2; k++) {
		rd[k].buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (rd[k].buf == MAP_FAILED)
			return 2;
		rd[k].fd = fd;
		rd[k].at = 0;
		rd[k].len = 4096;
		rd[k].off = 4096 * (unsigned)k;
	}
	printf("open\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	for (int k = 0; k < 2; k++)
		if (pthread_create(&rd[k].th, NULL, reader_main, &rd[k]))
			return 2;
	for (int k = 0; k < 2; k++) {
		struct reader *r = &rd[k];

		pthread_join(r->th, NULL);
		if (r->got < 0) {
			printf("read: %s\n", strerror(r->err));
			continue;
		}
		printf("read %zd\n", r->got);
		if (r->got > 4096 ||
		    memcmp(r->buf, ref + r->off, (size_t)r->got)) {
			fprintf(stderr,
				"FAIL: wrong bytes read through the mount\n");
			ret = 1;
		}
	}
	return ret;
}

int main(int argc, char **argv)
{
	const char *mpath = NULL, *rpath = NULL;
	int iters = 300, nr = 4, opt, fd, rfd, ret = 0;
	bool wait_go = false;
	struct reader rd[16];
	struct stat st;

	while ((opt = getopt(argc, argv, "m:r:n:t:w")) != -1) {
		if (opt == 'm')
			mpath = optarg;
		else if (opt == 'r')
			rpath = optarg;
		else if (opt == 'n')
			iters = atoi(optarg);
		else if (opt == 't')
			nr = atoi(optarg);
		else if (opt == 'w')
			wait_go = true;
		else
			return 2;
	}
	if (!mpath || !rpath || iters < 1 || nr < 1 || nr > 16) {
		fprintf(stderr,
			"usage: fork -m FILE -r REF [-n N] [-t 1-16] [-w]\n");
		return 2;
	}
	rfd = open(rpath, O_RDONLY);
	if (rfd < 0 || fstat(rfd, &st) || st.st_size < PIECE_MAX)
		return 2;
	ref_len = (size_t)st.st_size;
	ref = mmap(NULL, ref_len, PROT_READ, MAP_PRIVATE, rfd, 0);
	fd = open(mpath, O_RDONLY | O_DIRECT);
	if (ref == MAP_FAILED || fd < 0) {
		perror("open");
		return 2;
	}
	if (wait_go)
		return read_on_go(fd);
	rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	for (int k = 0; k < nr; k++) {
		rd[k].buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (rd[k].buf == MAP_FAILED)
			return 2;
	}
	for (int it = 0; it < iters && !ret; it++)
		ret = iteration(fd, rd, nr, it);
	if (!ret)
		printf("ok: %d iterations, %d reads in flight at each fork\n",
		       iters, nr);
	close(fd);
	return ret;
}
