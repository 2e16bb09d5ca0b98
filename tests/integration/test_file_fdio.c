// SPDX-License-Identifier: MIT
/*
 * smbiov_read_to_fd / smbiov_write_from_fd against the fixture's smbd:
 * sizes 0 .. 100 MiB into a regular file (at an fd offset and at the fd's
 * position), into a pipe and into /dev/null, and from a regular file,
 * cross-checked with the server's disk; zero payload copies on the plain
 * share, the (copying, still correct) fallback on the signed one; a
 * read-only destination and a destination that fails mid-response
 * (RLIMIT_FSIZE: EFBIG after 1 MiB) give clear errors and the connection
 * keeps working; a source whose size says 0 but reads longer (/proc) is
 * sent whole.
 */
#include "file_common.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#define MiB ((size_t)1 << 20)

static const size_t sizes[] = {0, 1, 4095, 65537, 8 * MiB + 1, 100 * MiB};

/* A temporary local file, already unlinked; returns its fd. */
static int tmp_fd(void)
{
	const char *d = getenv("TMPDIR");
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/smbiov-fdio-XXXXXX", d && *d ? d : "/tmp");
	fd = mkstemp(p);
	T_ASSERT(fd >= 0);
	unlink(p);
	return fd;
}

/* A local file holding @len pattern bytes of @seed after @pad zeros. */
static int local_pattern(size_t len, uint32_t seed, size_t pad)
{
	int fd = tmp_fd();
	uint8_t *buf = malloc(len + pad + 1);

	T_ASSERT(buf);
	memset(buf, 0, pad);
	fc_fill(buf + pad, len, seed, 0);
	T_ASSERT(pwrite(fd, buf, len + pad, 0) == (ssize_t)(len + pad));
	free(buf);
	return fd;
}

/* Is the local file's range [at, at+len) the pattern? */
static bool local_check(int fd, off_t at, size_t len, uint32_t seed)
{
	uint8_t *buf = malloc(len + 1);
	bool ok;

	T_ASSERT(buf);
	ok = pread(fd, buf, len, at) == (ssize_t)len &&
	     fc_check(buf, len, seed, 0) == len;
	free(buf);
	return ok;
}

struct drain {
	int fd;
	uint8_t *buf;
	size_t cap, got;
};

static void *drain_pipe(void *arg)
{
	struct drain *d = arg;

	for (;;) {
		ssize_t n = read(d->fd, d->buf + d->got, d->cap - d->got);

		if (n <= 0)
			break;
		d->got += (size_t)n;
	}
	return NULL;
}

/* The remote file @name (which holds @size bytes of @seed), every way. */
static void read_all_ways(struct smbiov_client *c, struct smbiov_file *f,
			  size_t size, uint32_t seed)
{
	const size_t extra = 9 * MiB; /* ask past EOF, across pieces */
	struct drain d;
	pthread_t th;
	off_t o = 7;
	ssize_t n;
	int fd, p[2];

	(void)c;
	/* Regular file at an fd offset: *fd_off advances, position not. */
	fd = tmp_fd();
	n = smbiov_read_to_fd(f, 0, size + extra, fd, &o);
	T_EXPECT_EQ(n, size);
	T_EXPECT_EQ(o, 7 + (off_t)size);
	T_EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	T_EXPECT(local_check(fd, 7, size, seed));
	/* At the fd's position, which then moves past the bytes. */
	T_ASSERT(lseek(fd, 3, SEEK_SET) == 3);
	n = smbiov_read_to_fd(f, 0, size, fd, NULL);
	T_EXPECT_EQ(n, size);
	T_EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 3 + (off_t)size);
	T_EXPECT(local_check(fd, 3, size, seed));
	close(fd);

	/* A pipe: in file order, one piece at a time. */
	T_ASSERT(pipe(p) == 0);
	d = (struct drain){p[0], malloc(size + 1), size + 1, 0};
	T_ASSERT(d.buf);
	pthread_create(&th, NULL, drain_pipe, &d);
	n = smbiov_read_to_fd(f, 0, size + extra, p[1], NULL);
	T_EXPECT_EQ(n, size);
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	T_EXPECT_EQ(d.got, size);
	T_EXPECT_EQ(fc_check(d.buf, d.got, seed, 0), d.got);
	free(d.buf);
	/* A pipe cannot take an offset. */
	T_ASSERT(pipe(p) == 0);
	o = 0;
	T_EXPECT_EQ(smbiov_read_to_fd(f, 0, 1, p[1], &o), -ESPIPE);
	close(p[0]);
	close(p[1]);

	fd = open("/dev/null", O_WRONLY);
	T_ASSERT(fd >= 0);
	T_EXPECT_EQ(smbiov_read_to_fd(f, 0, size + extra, fd, NULL), size);
	close(fd);
}

/* Every size: write_from_fd, compare on disk, read back every way. */
static void roundtrips(const char *share, const char *port, bool plain)
{
	struct smbiov_client *c = fc_connect(share, port);
	struct smbiov_stats s0, s1;
	struct smbiov_conn_info ci;
	uint64_t moved = 0;

	T_ASSERT(c);
	smbiov_get_info(c, &ci);
	T_EXPECT_EQ(plain, !ci.signing && !ci.encrypted);
	fc_stats(c, &s0);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t size = sizes[k], dlen = 0;
		uint32_t seed = (uint32_t)(size * 2654435761u) ^ 0xfd;
		struct smbiov_file *f;
		char name[64];
		uint8_t *disk;
		off_t o = 5;
		ssize_t n;
		int fd;

		if (!plain && size > 8 * MiB + 1)
			continue; /* the fallback is slow; two sizes suffice */
		snprintf(name, sizeof(name), "fdio_%zu.bin", size);
		T_ASSERT(smbiov_open(c, name, O_RDWR | O_CREAT | O_TRUNC, &f) ==
			 0);
		/* From a local file at an offset; short at its end. */
		fd = local_pattern(size, seed, 5);
		n = smbiov_write_from_fd(f, 0, size + 4096, fd, &o);
		T_EXPECT_EQ(n, size);
		T_EXPECT_EQ(o, 5 + (off_t)size);
		close(fd);
		disk = fc_disk_read(share, name, &dlen);
		T_EXPECT(disk != NULL);
		T_EXPECT_EQ(dlen, size);
		if (disk && dlen == size)
			T_EXPECT_EQ(fc_check(disk, size, seed, 0), size);
		free(disk);
		read_all_ways(c, f, size, seed);
		moved += 5 * (uint64_t)size;
		/* From the fd's position, to a remote offset. */
		fd = local_pattern(size, seed, 0);
		if (size > 1) {
			T_ASSERT(lseek(fd, 1, SEEK_SET) == 1);
			n = smbiov_write_from_fd(f, 1, size, fd, NULL);
			T_EXPECT_EQ(n, size - 1);
			T_EXPECT_EQ(lseek(fd, 0, SEEK_CUR), (off_t)size);
		}
		close(fd);
		T_EXPECT_EQ(smbiov_close(f), 0);
		T_EXPECT_EQ(smbiov_unlink(c, name), 0);
	}
	fc_stats(c, &s1);
	if (plain) {
		/* Not one payload byte passed through our memory. */
		T_EXPECT_EQ(s1.payload_copied - s0.payload_copied, 0);
		T_EXPECT(s1.payload_received - s0.payload_received +
				 s1.payload_sent - s0.payload_sent >=
			 moved);
		/* ... because the kernel moved it between socket and fd. */
		T_EXPECT(s1.payload_spliced - s0.payload_spliced >= moved);
	} else {
		T_EXPECT(s1.payload_copied - s0.payload_copied > 0);
		T_EXPECT_EQ(s1.payload_spliced - s0.payload_spliced, 0);
	}
	smbiov_disconnect(c);
}

static void test_plain(void)
{
	roundtrips(fc_env("SMB_SHARE"), NULL, true);
}

static void test_signed_fallback(void)
{
	const char *port = fc_env("SMB_SIGNED_PORT");

	if (!port || !strcmp(port, "0")) {
		fprintf(stderr, "no signed instance: skipped\n");
		return;
	}
	roundtrips(fc_env("SMB_SIGNED_SHARE"), port, false);
}

/*
 * A destination that cannot take the bytes: read-only (refused before
 * anything is sent), and one that fails after 1 MiB of a response
 * (RLIMIT_FSIZE makes the splice fail with EFBIG mid-payload): the rest is
 * drained, the call fails with the fd's error, the connection works on.
 */
static void test_bad_destination(void)
{
	struct smbiov_client *c = fc_connect(fc_env("SMB_SHARE"), NULL);
	const size_t size = 8 * MiB + 1;
	uint32_t seed = 0x5eed;
	struct smbiov_file *f;
	struct smbiov_error e;
	struct rlimit old, lim;
	uint8_t *buf = malloc(size);
	char p[512];
	ssize_t n;
	int fd;

	T_ASSERT(c && buf);
	fc_disk_write(fc_env("SMB_SHARE"), "fdio_bad.bin", size, seed);
	T_ASSERT(smbiov_open(c, "fdio_bad.bin", O_RDONLY, &f) == 0);

	fd = tmp_fd();
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	{
		int ro = open(p, O_RDONLY);

		T_ASSERT(ro >= 0);
		n = smbiov_read_to_fd(f, 0, size, ro, NULL);
		T_EXPECT_EQ(n, -EBADF);
		smbiov_last_error(&e);
		T_EXPECT(strstr(e.message, "local file") != NULL);
		T_EXPECT_EQ(e.phase, SMBIOV_PHASE_LOCAL);
		close(ro);
	}

	signal(SIGXFSZ, SIG_IGN);
	T_ASSERT(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = MiB;
	T_ASSERT(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	n = smbiov_read_to_fd(f, 0, size, fd, NULL);
	T_ASSERT(setrlimit(RLIMIT_FSIZE, &old) == 0);
	T_EXPECT_EQ(n, -EFBIG);
	smbiov_last_error(&e);
	T_EXPECT(strstr(e.message, "local file") != NULL);
	T_EXPECT_EQ(e.phase, SMBIOV_PHASE_LOCAL);

	/* Still in step: both paths read the right bytes. */
	T_EXPECT_EQ(smbiov_read_to_fd(f, 0, size, fd, NULL), size);
	T_EXPECT(local_check(fd, 0, size, seed));
	memset(buf, 0, size);
	T_EXPECT_EQ(smbiov_pread(f, buf, size, 0), size);
	T_EXPECT_EQ(fc_check(buf, size, seed, 0), size);
	close(fd);
	T_EXPECT_EQ(smbiov_read_to_fd(f, 0, 1, -1, NULL), -EBADF);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_unlink(c, "fdio_bad.bin"), 0);
	free(buf);
	smbiov_disconnect(c);
}

/*
 * A regular file whose size says 0 but that reads longer (/proc/kallsyms:
 * megabytes): all of it is sent, through the buffer, not the 0 bytes its
 * size promises (sendfile needs the length up front).
 */
static void test_size_zero_source(void)
{
	const char *share = fc_env("SMB_SHARE");
	struct smbiov_client *c = fc_connect(share, NULL);
	size_t cap = 16 * MiB, wlen = 0, dlen = 0;
	uint8_t *want = malloc(cap), *disk;
	struct smbiov_file *f;
	struct stat st;
	ssize_t n;
	int fd;

	T_ASSERT(c && want);
	fd = open("/proc/kallsyms", O_RDONLY);
	T_ASSERT(fd >= 0);
	while ((n = read(fd, want + wlen, cap - wlen)) > 0)
		wlen += (size_t)n;
	T_ASSERT(fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
	close(fd);
	/* What makes this the case: a size of 0, more than 1 MiB to read. */
	T_ASSERT(st.st_size == 0 && wlen > MiB && wlen < cap);

	fd = open("/proc/kallsyms", O_RDONLY);
	T_ASSERT(fd >= 0);
	T_ASSERT(smbiov_open(c, "fdio_proc.bin", O_WRONLY | O_CREAT | O_TRUNC,
			     &f) == 0);
	n = smbiov_write_from_fd(f, 0, 64 * MiB, fd, NULL);
	T_EXPECT_EQ(n, (ssize_t)wlen);
	/* The fd's position moved past what was sent. */
	T_EXPECT_EQ(lseek(fd, 0, SEEK_CUR), (off_t)wlen);
	close(fd);
	T_EXPECT_EQ(smbiov_close(f), 0);
	disk = fc_disk_read(share, "fdio_proc.bin", &dlen);
	T_EXPECT(disk && dlen == wlen && !memcmp(disk, want, wlen));
	free(disk);
	T_EXPECT_EQ(smbiov_unlink(c, "fdio_proc.bin"), 0);
	free(want);
	smbiov_disconnect(c);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	T_RUN(test_bad_destination);
	T_RUN(test_plain);
	T_RUN(test_signed_fallback);
	T_RUN(test_size_zero_source);
	if (t_failures)
		integ_print_logs_hint();
	return t_done();
}
