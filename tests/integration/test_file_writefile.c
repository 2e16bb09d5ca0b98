// SPDX-License-Identifier: MIT
/*
 * smbiov_write_file() (CREATE + WRITE + CLOSE as one compound) against the
 * fixture's smbd: files of several sizes up to 1 MiB on the plain,
 * encrypted and signed shares, compared with what lands on the server's
 * disk; exactly three requests each, the bytes counted as sent and as
 * copied once; an existing longer file is replaced (O_TRUNC); the errors:
 * a directory (-EISDIR, left as it was), a missing parent (-ENOENT, with
 * the CREATE's error), the read-only share (-EACCES), more than one call
 * takes (-EFBIG, nothing sent), read-only flags (-EINVAL); no handle
 * stays open (the directory that held the files can be renamed).
 */
#include "file_common.h"

#include <errno.h>
#include <sys/stat.h>

#define MiB ((size_t)1 << 20)

static const char *share_pub;

static void one(struct smbiov_client *c, const char *share, size_t size)
{
	uint32_t seed = (uint32_t)size * 2654435761u + 11;
	struct smbiov_stats s0, s1;
	uint8_t *buf = malloc(size + 1), *disk;
	size_t dlen = 0;
	char name[64], path[1024];
	ssize_t n;

	T_ASSERT(buf);
	fc_fill(buf, size, seed, 0);
	snprintf(name, sizeof(name), "wf_%zu.bin", size);
	/* Something longer there first: O_TRUNC must leave only ours. */
	fc_disk_write(share, name, size + 5000, seed + 1);
	fc_disk_path(path, sizeof(path), share, name);
	T_ASSERT(chmod(path, 0666) == 0); /* the server's user replaces it */
	fc_stats(c, &s0);
	n = smbiov_write_file(c, name, O_WRONLY | O_CREAT | O_TRUNC, buf, size);
	fc_stats(c, &s1);
	T_EXPECT_EQ(n, (ssize_t)size);
	/* One compound: CREATE, WRITE (none for 0 bytes), CLOSE. */
	T_EXPECT_EQ(s1.requests - s0.requests, size ? 3 : 2);
	T_EXPECT_EQ(s1.payload_sent - s0.payload_sent, size);
	T_EXPECT_EQ(s1.payload_copied - s0.payload_copied, size);
	disk = fc_disk_read(share, name, &dlen);
	T_ASSERT(disk || !size);
	T_EXPECT_EQ(dlen, size);
	if (dlen == size)
		T_EXPECT_EQ(fc_check(disk, size, seed, 0), size);
	free(disk);
	free(buf);
}

static void sizes_on(struct smbiov_client *c, const char *share,
		     enum fc_kind kind, void *arg)
{
	static const size_t sz[] = {0, 1, 4096, 65535, 65537, MiB};

	(void)kind;
	(void)arg;
	for (size_t k = 0; k < sizeof(sz) / sizeof(*sz); k++)
		one(c, share, sz[k]);
}

static void test_shares(void)
{
	fc_for_each_share(sizes_on, NULL);
}

static void test_errors_and_leaks(void)
{
	struct smbiov_client *c = fc_connect(share_pub, NULL);
	struct smbiov_error e;
	struct smbiov_stats s0, s1;
	uint8_t buf[4096] = {1, 2, 3};
	uint8_t *big;
	char p[1024];
	ssize_t n;

	T_ASSERT(c);
	smbiov_unlink(c, "wfdir/a.bin");
	smbiov_rmdir(c, "wfdir/sub");
	smbiov_rmdir(c, "wfdir");
	smbiov_rmdir(c, "wfdir2");
	T_ASSERT(smbiov_mkdir(c, "wfdir") == 0);
	T_ASSERT(smbiov_mkdir(c, "wfdir/sub") == 0);

	n = smbiov_write_file(c, "wfdir/sub", O_WRONLY | O_CREAT | O_TRUNC, buf,
			      sizeof(buf));
	T_EXPECT_EQ(n, -EISDIR);
	fc_disk_path(p, sizeof(p), share_pub, "wfdir/sub");
	T_EXPECT(access(p, F_OK) == 0);

	n = smbiov_write_file(c, "no/such/dir/x", O_WRONLY | O_CREAT, buf,
			      sizeof(buf));
	T_EXPECT_EQ(n, -ENOENT);
	smbiov_last_error(&e);
	T_EXPECT(strstr(e.message, "CREATE") != NULL);

	n = smbiov_write_file(c, "x", O_RDONLY, buf, sizeof(buf));
	T_EXPECT_EQ(n, -EINVAL);
	n = smbiov_write_file(c, "x", O_WRONLY | O_CREAT, NULL, 1);
	T_EXPECT_EQ(n, -EINVAL);
	big = calloc(1, MiB + 1);
	T_ASSERT(big);
	fc_stats(c, &s0);
	n = smbiov_write_file(c, "wfdir/big", O_WRONLY | O_CREAT, big, MiB + 1);
	fc_stats(c, &s1);
	T_EXPECT_EQ(n, -EFBIG);
	T_EXPECT_EQ(s1.requests, s0.requests);
	free(big);

	n = smbiov_write_file(c, "wfdir/a.bin", O_WRONLY | O_CREAT | O_TRUNC,
			      buf, 100);
	T_EXPECT_EQ(n, 100);
	/* Every handle above was closed: the directory can move. */
	T_EXPECT_EQ(smbiov_rmdir(c, "wfdir/sub"), 0);
	T_EXPECT_EQ(smbiov_rename(c, "wfdir", "wfdir2", false), 0);
	T_EXPECT_EQ(smbiov_unlink(c, "wfdir2/a.bin"), 0);
	T_EXPECT_EQ(smbiov_rmdir(c, "wfdir2"), 0);
	smbiov_disconnect(c);

	c = fc_connect(fc_env("SMB_RO_SHARE"), NULL);
	T_ASSERT(c);
	n = smbiov_write_file(c, "new.bin", O_WRONLY | O_CREAT | O_TRUNC, buf,
			      10);
	T_EXPECT_EQ(n, -EACCES);
	smbiov_disconnect(c);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	share_pub = fc_env("SMB_SHARE");
	T_RUN(test_errors_and_leaks);
	T_RUN(test_shares);
	return t_done();
}
