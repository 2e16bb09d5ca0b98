// SPDX-License-Identifier: MIT
/*
 * smbiov_open_read() (CREATE + READ as one compound) against the
 * fixture's smbd: contents of files of many sizes compared with what is
 * on the server's disk, on the plain, encrypted and signed shares; the
 * READ's data lands without a copy on a plain connection (payload_copied
 * stays 0); a missing file gives -ENOENT; no handle stays open on the
 * server (a directory holding an open file cannot be renamed, one whose
 * files were all closed can). smbiov_read_file() (CREATE + READ + CLOSE):
 * the same contents in one compound of 3 requests, at most 1 MiB, the
 * size at open, the bytes copied once; -ENOENT, -EISDIR, -EINVAL.
 */
#include "file_common.h"

#include <errno.h>

#define MiB ((size_t)1 << 20)

static const char *share_pub;

/* open_read @size bytes' file into a @cap-byte buffer and check all. */
static void one(struct smbiov_client *c, const char *share, size_t size,
		size_t cap, bool plain)
{
	uint32_t seed = (uint32_t)size * 2246822519u + 7;
	struct smbiov_stats s0, s1;
	struct smbiov_file *f = NULL;
	struct smbiov_iter it;
	uint8_t *buf = malloc(size + cap + 1);
	uint64_t fsize = 12345;
	char name[64];
	size_t want, got, bad;
	ssize_t n;

	T_ASSERT(buf);
	snprintf(name, sizeof(name), "or_%zu.bin", size);
	fc_disk_write(share, name, size, seed);
	memset(buf, 0xA5, size + cap + 1);
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, cap) == 0);
	fc_stats(c, &s0);
	n = smbiov_open_read(c, name, O_RDONLY, &it, &fsize, &f);
	fc_stats(c, &s1);
	T_ASSERT(n >= 0 && f);
	T_EXPECT_EQ(fsize, size);
	/* At most 1 MiB (and MaxReadSize) in the first read. */
	want = size < cap ? size : cap;
	T_EXPECT((size_t)n <= want && (size_t)n <= MiB);
	if (want <= 65536)
		T_EXPECT_EQ((size_t)n, want);
	T_EXPECT_EQ(smbiov_iter_count(&it), cap - (size_t)n);
	/* One compound: exactly a CREATE and a READ. */
	T_EXPECT_EQ(s1.requests - s0.requests, 2);
	T_EXPECT_EQ(s1.payload_received - s0.payload_received, (uint64_t)n);
	if (plain)
		T_EXPECT_EQ(s1.payload_copied - s0.payload_copied, 0);
	/* The rest, if any, the usual way. */
	got = (size_t)n;
	while (got < want) {
		n = smbiov_read_iter(f, &it, got);
		T_ASSERT(n > 0);
		got += (size_t)n;
	}
	bad = fc_check(buf, got, seed, 0);
	if (bad != got)
		fprintf(stderr, "%s %s: first bad byte at %zu\n", share, name,
			bad);
	T_EXPECT_EQ(bad, got);
	T_EXPECT(buf[got] == 0xA5);
	T_EXPECT_EQ(smbiov_close(f), 0);
	free(buf);
}

static void sizes(struct smbiov_client *c, const char *share, bool plain)
{
	static const size_t sz[] = {0, 1, 4095, 4096, 65537, 3 * MiB + 5};

	for (size_t k = 0; k < sizeof(sz) / sizeof(*sz); k++)
		one(c, share, sz[k], sz[k] + 100, plain);
	/* A buffer smaller than the file: exactly the buffer is read. */
	one(c, share, 65537, 4096, plain);
	/* A file larger than what one compound reads (1 MiB cap). */
	one(c, share, 3 * MiB + 5, 3 * MiB + 5, plain);
}

static void sizes_on(struct smbiov_client *c, const char *share,
		     enum fc_kind kind, void *arg)
{
	(void)arg;
	sizes(c, share, kind == FC_PLAIN);
}

static void test_shares(void)
{
	fc_for_each_share(sizes_on, NULL);
}

/* Rename directory @from to @to over SMB; the error. */
static int try_rename(struct smbiov_client *c, const char *from, const char *to)
{
	return smbiov_rename(c, from, to, false);
}

static void test_errors_and_leaks(void)
{
	struct smbiov_client *c = fc_connect(share_pub, NULL);
	struct smbiov_file *f = (struct smbiov_file *)&f;
	struct smbiov_iter it;
	uint8_t buf[256];
	uint64_t size = 0;
	char p[1024];
	ssize_t n;

	T_ASSERT(c);
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf)) ==
		 0);
	n = smbiov_open_read(c, "no/such/file", O_RDONLY, &it, NULL, &f);
	T_EXPECT_EQ(n, -ENOENT);
	T_EXPECT(f == NULL);
	T_EXPECT_EQ(smbiov_iter_count(&it), sizeof(buf));
	n = smbiov_open_read(c, "nosuchfile", O_RDONLY, &it, NULL, &f);
	T_EXPECT_EQ(n, -ENOENT);
	/* Write-only gives no read access: refused before anything is sent. */
	n = smbiov_open_read(c, "x", O_WRONLY, &it, NULL, &f);
	T_EXPECT_EQ(n, -EINVAL);
	T_EXPECT(f == NULL);
	n = smbiov_open_read(c, "x", O_RDONLY, NULL, NULL, &f);
	T_EXPECT_EQ(n, -EINVAL);

	/* A directory: the CREATE (NON_DIRECTORY_FILE) fails, no handle. */
	smbiov_rmdir(c, "ordir/sub");
	smbiov_unlink(c, "ordir/a.bin");
	smbiov_rmdir(c, "ordir");
	smbiov_rmdir(c, "ordir2");
	T_ASSERT(smbiov_mkdir(c, "ordir") == 0);
	T_ASSERT(smbiov_mkdir(c, "ordir/sub") == 0);
	n = smbiov_open_read(c, "ordir/sub", O_RDONLY, &it, NULL, &f);
	T_EXPECT(n < 0);
	T_EXPECT(f == NULL);
	T_EXPECT_EQ(smbiov_rmdir(c, "ordir/sub"), 0);

	fc_disk_write(share_pub, "ordir/a.bin", 1000, 3);
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf)) ==
		 0);
	n = smbiov_open_read(c, "ordir/a.bin", O_RDONLY, &it, NULL, &f);
	T_EXPECT_EQ(n, (ssize_t)sizeof(buf));
	T_ASSERT(f);
	T_EXPECT_EQ(fc_check(buf, sizeof(buf), 3, 0), sizeof(buf));
	T_EXPECT_EQ(smbiov_close(f), 0);
	/* An empty destination: just the open (and the size). */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, 0) == 0);
	n = smbiov_open_read(c, "ordir/a.bin", O_RDONLY, &it, &size, &f);
	T_EXPECT_EQ(n, 0);
	T_EXPECT_EQ(size, 1000);
	T_ASSERT(f);
	/* Control: while the file is open, its directory can't move. */
	T_EXPECT(try_rename(c, "ordir", "ordir2") < 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	/* After close (and after the failed opens above) it can. */
	T_EXPECT_EQ(try_rename(c, "ordir", "ordir2"), 0);
	fc_disk_path(p, sizeof(p), share_pub, "ordir2/a.bin");
	T_EXPECT(access(p, F_OK) == 0);
	T_EXPECT_EQ(smbiov_unlink(c, "ordir2/a.bin"), 0);
	T_EXPECT_EQ(smbiov_rmdir(c, "ordir2"), 0);
	smbiov_disconnect(c);
}

/* smbiov_read_file: CREATE + READ + CLOSE, one round trip. */
static void read_file_one(struct smbiov_client *c, size_t size, size_t cap)
{
	uint32_t seed = (uint32_t)size * 40503u + 5;
	struct smbiov_stats s0, s1;
	struct smbiov_iter it;
	uint8_t *buf = malloc(cap + 1);
	uint64_t fsize = 777;
	size_t want;
	char name[64];
	ssize_t n;

	T_ASSERT(buf);
	snprintf(name, sizeof(name), "rf_%zu.bin", size);
	fc_disk_write(share_pub, name, size, seed);
	memset(buf, 0xA5, cap + 1);
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, cap) == 0);
	fc_stats(c, &s0);
	n = smbiov_read_file(c, name, &it, &fsize);
	fc_stats(c, &s1);
	want = size < cap ? size : cap;
	if (want > MiB)
		want = MiB;
	T_EXPECT_EQ(n, (ssize_t)want);
	T_EXPECT_EQ(fsize, size);
	T_EXPECT_EQ(smbiov_iter_count(&it), cap - want);
	T_EXPECT_EQ(s1.requests - s0.requests, 3);
	/* plain, unsigned: the READ lands in place mid-compound (rx_chain) */
	T_EXPECT_EQ(s1.payload_copied - s0.payload_copied, 0);
	T_EXPECT_EQ(fc_check(buf, want, seed, 0), want);
	T_EXPECT(buf[want] == 0xA5);
	free(buf);
}

static void test_read_file(void)
{
	struct smbiov_client *c = fc_connect(share_pub, NULL);
	struct smbiov_iter it;
	uint8_t buf[64];
	char p[1024];

	T_ASSERT(c);
	read_file_one(c, 0, 100);
	read_file_one(c, 1, 100);
	read_file_one(c, 4096, 4096);
	read_file_one(c, 65537, 70000);
	read_file_one(c, MiB, MiB);
	/* Larger than one call: 1 MiB of it, and the size says more. */
	read_file_one(c, 3 * MiB + 5, 4 * MiB);
	/* A buffer smaller than the file: exactly the buffer. */
	read_file_one(c, 65537, 1000);

	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf)) ==
		 0);
	T_EXPECT_EQ(smbiov_read_file(c, "no/such", &it, NULL), -ENOENT);
	smbiov_unlink(c, "rfdir/a.bin");
	smbiov_rmdir(c, "rfdir/sub");
	smbiov_rmdir(c, "rfdir");
	smbiov_rmdir(c, "rfdir2");
	T_ASSERT(smbiov_mkdir(c, "rfdir") == 0);
	T_ASSERT(smbiov_mkdir(c, "rfdir/sub") == 0);
	T_EXPECT_EQ(smbiov_read_file(c, "rfdir/sub", &it, NULL), -EISDIR);
	fc_disk_write(share_pub, "rfdir/a.bin", 10, 1);
	T_EXPECT_EQ(smbiov_read_file(c, "rfdir/a.bin", &it, NULL), 10);
	T_EXPECT_EQ(smbiov_iter_count(&it), sizeof(buf) - 10);
	T_EXPECT_EQ(smbiov_read_file(c, "x", NULL, NULL), -EINVAL);
	/* Nothing stayed open: the directory can move. */
	T_EXPECT_EQ(smbiov_rmdir(c, "rfdir/sub"), 0);
	T_EXPECT_EQ(try_rename(c, "rfdir", "rfdir2"), 0);
	fc_disk_path(p, sizeof(p), share_pub, "rfdir2/a.bin");
	T_EXPECT(access(p, F_OK) == 0);
	T_EXPECT_EQ(smbiov_unlink(c, "rfdir2/a.bin"), 0);
	T_EXPECT_EQ(smbiov_rmdir(c, "rfdir2"), 0);
	smbiov_disconnect(c);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	share_pub = fc_env("SMB_SHARE");
	T_RUN(test_errors_and_leaks);
	T_RUN(test_shares);
	T_RUN(test_read_file);
	return t_done();
}
