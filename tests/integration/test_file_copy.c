// SPDX-License-Identifier: MIT
/*
 * Server-side copy (smbiov_copy_range(): FSCTL_SRV_COPYCHUNK_WRITE)
 * against the fixture's smbd, every result checked on the server's disk:
 * a whole file of several requests' worth (16 MiB each), ranges at odd
 * offsets into the middle and past the end of a destination, the range
 * clipped at the source's end of file (and 0 past it), cached data of
 * both files (the source's unwritten writes are copied; the
 * destination's cached bytes of the range are not read again), no
 * payload through the client, and the refusals: overlapping ranges of
 * one file, files of two connections, a read-only destination handle.
 */
#include "file_common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *share;

/* @len bytes of the server's @path from @off are @seed's pattern at @at. */
static bool disk_is(const char *path, uint64_t off, size_t len, uint32_t seed,
		    uint64_t at)
{
	size_t n;
	uint8_t *d = fc_disk_read(share, path, &n);
	bool ok = d && off + len <= n;

	for (size_t i = 0; ok && i < len; i++)
		ok = d[off + i] == fc_byte(seed, at + i);
	free(d);
	return ok;
}

static uint64_t disk_size(const char *path)
{
	size_t n = 0;
	uint8_t *d = fc_disk_read(share, path, &n);

	free(d);
	return n;
}

static void test_whole_and_ranges(void)
{
	struct smbiov_client *c = fc_connect(share, NULL);
	const uint64_t big = (40ull << 20) + 12345; /* three requests */
	struct smbiov_stats s0, s1;
	struct smbiov_file *src, *dst;

	T_ASSERT(c);
	fc_disk_file(share, "cp-src.bin", big, 11);
	fc_disk_file(share, "cp-dst.bin", 100000, 12);
	T_ASSERT(smbiov_open(c, "cp-src.bin", O_RDONLY, &src) == 0);
	T_ASSERT(smbiov_open(c, "cp-new.bin", O_RDWR | O_CREAT | O_TRUNC,
			     &dst) == 0);
	fc_stats(c, &s0);
	T_EXPECT_EQ(smbiov_copy_range(src, 0, dst, 0, big), (ssize_t)big);
	fc_stats(c, &s1);
	/* the bytes never crossed: a resume key and three copies */
	T_EXPECT_EQ(s1.payload_sent, s0.payload_sent);
	T_EXPECT_EQ(s1.payload_received, s0.payload_received);
	T_EXPECT_EQ(s1.requests, s0.requests + 5); /* + QUERY_INFO of src */
	T_EXPECT_EQ(smbiov_close(dst), 0);
	T_EXPECT_EQ(disk_size("cp-new.bin"), big);
	T_EXPECT(disk_is("cp-new.bin", 0, big, 11, 0));

	/* odd offsets, into the middle and past the end of a file */
	T_ASSERT(smbiov_open(c, "cp-dst.bin", O_RDWR, &dst) == 0);
	T_EXPECT_EQ(smbiov_copy_range(src, 777, dst, 1001, 5000), 5000);
	T_EXPECT(disk_is("cp-dst.bin", 0, 1001, 12, 0));
	T_EXPECT(disk_is("cp-dst.bin", 1001, 5000, 11, 777));
	T_EXPECT(disk_is("cp-dst.bin", 6001, 100000 - 6001, 12, 6001));
	T_EXPECT_EQ(smbiov_copy_range(src, 3, dst, 150000, 70000), 70000);
	T_EXPECT_EQ(disk_size("cp-dst.bin"), 220000u);
	T_EXPECT(disk_is("cp-dst.bin", 150000, 70000, 11, 3));
	/* clipped at the source's end, and nothing past it */
	T_EXPECT_EQ(smbiov_copy_range(src, big - 10, dst, 0, 100), 10);
	T_EXPECT(disk_is("cp-dst.bin", 0, 10, 11, big - 10));
	T_EXPECT_EQ(smbiov_copy_range(src, big, dst, 0, 100), 0);
	T_EXPECT_EQ(smbiov_copy_range(src, 0, dst, 0, 0), 0);
	T_EXPECT_EQ(smbiov_close(dst), 0);
	T_EXPECT_EQ(smbiov_close(src), 0);
	smbiov_disconnect(c);
}

/*
 * Cached opens: the source's written, not yet sent, bytes are what is
 * copied; the destination's cache does not keep the old bytes of the
 * range, and its own unwritten bytes outside it stay.
 */
static void test_cached(void)
{
	struct smbiov_open_opts strict = {.cache = SMBIOV_CACHE_STRICT};
	struct smbiov_client *c = fc_connect(share, NULL);
	struct smbiov_file *src, *dst;
	uint8_t a[8192], b[8192], got[8192];

	T_ASSERT(c);
	fc_disk_file(share, "cc-src.bin", 65536, 21);
	fc_disk_file(share, "cc-dst.bin", 65536, 22);
	T_ASSERT(smbiov_open_ex(c, "cc-src.bin", O_RDWR, &strict, &src) == 0);
	T_ASSERT(smbiov_open_ex(c, "cc-dst.bin", O_RDWR, &strict, &dst) == 0);
	/* the destination caches its old bytes, and a write of its own */
	T_EXPECT_EQ(fc_pread(dst, got, sizeof(got), 0), (ssize_t)sizeof(got));
	fc_fill(b, sizeof(b), 24, 0);
	T_EXPECT_EQ(smbiov_pwrite(dst, b, sizeof(b), 32768),
		    (ssize_t)sizeof(b));
	/* the source's new bytes, cached only */
	fc_fill(a, sizeof(a), 23, 0);
	T_EXPECT_EQ(smbiov_pwrite(src, a, sizeof(a), 4096), (ssize_t)sizeof(a));
	T_EXPECT_EQ(smbiov_copy_range(src, 4096, dst, 0, sizeof(a)),
		    (ssize_t)sizeof(a));
	/* read through the destination's cache: the copied bytes */
	T_EXPECT_EQ(fc_pread(dst, got, sizeof(got), 0), (ssize_t)sizeof(got));
	T_EXPECT(!memcmp(got, a, sizeof(a)));
	T_EXPECT_EQ(fc_pread(dst, got, sizeof(got), 32768),
		    (ssize_t)sizeof(got));
	T_EXPECT(!memcmp(got, b, sizeof(b)));
	T_EXPECT_EQ(smbiov_close(dst), 0);
	T_EXPECT_EQ(smbiov_close(src), 0);
	T_EXPECT(disk_is("cc-dst.bin", 0, sizeof(a), 23, 0));
	T_EXPECT(disk_is("cc-dst.bin", 32768, sizeof(b), 24, 0));
	T_EXPECT(disk_is("cc-dst.bin", 8192, 32768 - 8192, 22, 8192));
	smbiov_disconnect(c);
}

static void test_refused(void)
{
	struct smbiov_client *c = fc_connect(share, NULL);
	struct smbiov_client *c2 = fc_connect(share, NULL);
	struct smbiov_file *f, *g, *ro;

	T_ASSERT(c && c2);
	fc_disk_file(share, "rf.bin", 65536, 31);
	T_ASSERT(smbiov_open(c, "rf.bin", O_RDWR, &f) == 0);
	/* one file, overlapping ranges; apart they are fine */
	T_EXPECT_EQ(smbiov_copy_range(f, 0, f, 4096, 8192), -EINVAL);
	T_EXPECT_EQ(smbiov_copy_range(f, 0, f, 8192, 8192), 8192);
	T_EXPECT(disk_is("rf.bin", 8192, 8192, 31, 0));
	/* two connections */
	T_ASSERT(smbiov_open(c2, "rf.bin", O_RDWR, &g) == 0);
	T_EXPECT_EQ(smbiov_copy_range(f, 0, g, 0, 10), -EXDEV);
	T_EXPECT_EQ(smbiov_close(g), 0);
	/* a destination opened for reading only: the server refuses */
	T_ASSERT(smbiov_open(c, "rf.bin", O_RDONLY, &ro) == 0);
	T_EXPECT(smbiov_copy_range(f, 0, ro, 0, 10) < 0);
	T_EXPECT(disk_is("rf.bin", 0, 10, 31, 0));
	T_EXPECT_EQ(smbiov_close(ro), 0);
	T_EXPECT_EQ(smbiov_copy_range(NULL, 0, f, 0, 10), -EINVAL);
	T_EXPECT_EQ(smbiov_copy_range(f, (uint64_t)INT64_MAX, f, 0, 10),
		    -EINVAL);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(c2);
	smbiov_disconnect(c);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	share = fc_env("SMB_SHARE");
	T_RUN(test_whole_and_ranges);
	T_RUN(test_cached);
	T_RUN(test_refused);
	return t_done();
}
