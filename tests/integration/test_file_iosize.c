// SPDX-License-Identifier: MIT
/*
 * How big one READ or WRITE is: at most 2 MiB on every connection, or
 * the server's MaxReadSize/MaxWriteSize if smaller (io.c SMB_IO_MAX: the
 * message stays in both ends' caches between their passes over it). Seen
 * in the requests an 8 MiB pwrite and pread cost on the plain, encrypted
 * and signed shares (at least 4, Samba offering 8 MiB), with the bytes
 * checked. The caller's smbiov_options.max_read and max_write (the
 * mount's rsize=, wsize=) lower them: whole pages, at least one.
 */
#include "file_common.h"

#include <errno.h>

#define MiB ((size_t)1 << 20)
#define LEN (8 * MiB)

static uint64_t pieces(size_t len, size_t max)
{
	return (len + max - 1) / max;
}

/*
 * The engine may split further to keep two pieces in flight within the
 * credits granted so far (io.c credit_budget), never less: at least
 * LEN / @max requests, so at least 4 of 2 MiB; and never pieces under
 * 1 MiB for an 8 MiB call once the credits are there (at most 8).
 */
static void check(uint64_t n, size_t max)
{
	T_EXPECT(n >= pieces(LEN, max));
	T_EXPECT(n >= 4);
	T_EXPECT(n <= 8);
}

static void one(const char *share, const char *port, bool secured)
{
	struct smbiov_client *c = fc_connect(share, port);
	struct smbiov_conn_info ci;
	struct smbiov_stats s0, s1;
	struct smbiov_file *f;
	uint8_t *buf = malloc(LEN);
	size_t rmax, wmax;

	T_ASSERT(c && buf);
	smbiov_get_info(c, &ci);
	T_EXPECT_EQ(ci.signing || ci.encrypted, secured);
	rmax = ci.max_read;
	wmax = ci.max_write;
	rmax = rmax < 2 * MiB ? rmax : 2 * MiB;
	wmax = wmax < 2 * MiB ? wmax : 2 * MiB;
	fc_fill(buf, LEN, 99, 0);
	T_ASSERT(smbiov_open(c, "iosize.bin", O_RDWR | O_CREAT | O_TRUNC, &f) ==
		 0);
	fc_stats(c, &s0);
	T_EXPECT_EQ(smbiov_pwrite(f, buf, LEN, 0), (ssize_t)LEN);
	fc_stats(c, &s1);
	check(s1.requests - s0.requests, wmax);
	memset(buf, 0, LEN);
	fc_stats(c, &s0);
	T_EXPECT_EQ(smbiov_pread(f, buf, LEN, 0), (ssize_t)LEN);
	fc_stats(c, &s1);
	check(s1.requests - s0.requests, rmax);
	T_EXPECT_EQ(fc_check(buf, LEN, 99, 0), LEN);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_unlink(c, "iosize.bin"), 0);
	fprintf(stderr, "%s: max read %u write %u -> %zu/%zu per request\n",
		share, ci.max_read, ci.max_write, rmax, wmax);
	free(buf);
	smbiov_disconnect(c);
}

static void test_sizes(void)
{
	const char *sport = fc_env("SMB_SIGNED_PORT");

	one(fc_env("SMB_SHARE"), NULL, false);
	one(fc_env("SMB_ENC_SHARE"), NULL, true);
	if (sport && strcmp(sport, "0"))
		one(fc_env("SMB_SIGNED_SHARE"), sport, true);
}

/*
 * max_read 64 KiB + 100 is 64 KiB (whole pages), max_write 1000 a page:
 * smbiov_get_info() says so, and an 8 MiB pwrite costs at least 2048
 * WRITEs, a pread at least 128 READs, against at most 8 each without
 * (test_sizes), the bytes exact; through the page cache too (a cached
 * open's write-back and readahead), counted the same way.
 */
static void test_caller_limits(void)
{
	struct smbiov_options o = {.max_read = 65536 + 100, .max_write = 1000};
	struct smbiov_open_opts modes[] = {{.cache = SMBIOV_CACHE_NONE},
					   {.cache = SMBIOV_CACHE_STRICT}};
	struct smbiov_client *c = fc_connect_opts(fc_env("SMB_SHARE"), &o);
	struct smbiov_conn_info ci;
	struct smbiov_stats s0, s1;
	struct smbiov_file *f;
	uint8_t *buf = malloc(LEN);

	T_ASSERT(c && buf);
	smbiov_get_info(c, &ci);
	T_EXPECT_EQ(ci.max_read, 65536);
	T_EXPECT_EQ(ci.max_write, 4096);
	for (int cached = 0; cached < 2; cached++) {
		fc_fill(buf, LEN, 7 + cached, 0);
		T_ASSERT(smbiov_open_ex(c, "iosize-lim.bin",
					O_RDWR | O_CREAT | O_TRUNC,
					&modes[cached], &f) == 0);
		fc_stats(c, &s0);
		T_EXPECT_EQ(smbiov_pwrite(f, buf, LEN, 0), (ssize_t)LEN);
		T_EXPECT_EQ(smbiov_fsync(f), 0);
		fc_stats(c, &s1);
		T_EXPECT(s1.requests - s0.requests >= LEN / 4096);
		T_EXPECT_EQ(smbiov_close(f), 0);
		/* reopened: a cached open's reads come from the server */
		T_ASSERT(smbiov_open_ex(c, "iosize-lim.bin", O_RDONLY,
					&modes[cached], &f) == 0);
		memset(buf, 0, LEN);
		fc_stats(c, &s0);
		T_EXPECT_EQ(smbiov_pread(f, buf, LEN, 0), (ssize_t)LEN);
		fc_stats(c, &s1);
		T_EXPECT(s1.requests - s0.requests >= LEN / 65536);
		T_EXPECT_EQ(fc_check(buf, LEN, 7 + cached, 0), LEN);
		T_EXPECT_EQ(smbiov_close(f), 0);
	}
	T_EXPECT_EQ(smbiov_unlink(c, "iosize-lim.bin"), 0);
	free(buf);
	smbiov_disconnect(c);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	T_RUN(test_sizes);
	T_RUN(test_caller_limits);
	return t_done();
}
