// SPDX-License-Identifier: MIT
/*
 * Write caching across opens of one file, against the fixture's smbd
 * (issue 18): a client's opens of a file share its lease key, and two of
 * them keep no writes (smb_lease_share()); these check that one open
 * left alone keeps them again, whatever order its siblings come and go
 * in (deferred close, take-back, an open of other flags), and that a
 * written file's write time settles at its close. Request counts and the
 * server's disk are what is checked; no timing.
 */
#include "client/file.h"
#include "file_common.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

static const char *share;

/*
 * A cached write-only open is opened read-write (so a partial folio can
 * be read), and parked so at its close: the next write-only open of the
 * file takes it back, with its W. It looked for a write-only handle
 * instead, missed, and opened a second one beside the parked one; the
 * two shared the lease key, which takes W from both (smb_lease_share()),
 * and every small write went to the server at once: `touch f` and then
 * `dd conv=notrunc of=f bs=4k` through the mount sent one WRITE per block.
 */
/* Open @path with @flags: its handle is @id's (reused) and holds W. */
static void reopen_check(struct smbiov_client *a, const char *path, int flags,
			 uint64_t id)
{
	struct smbiov_lease_info li;
	struct smbiov_open_info oi;
	struct smbiov_file *f;

	T_ASSERT(smbiov_open_ex(a, path, flags, NULL, &f) == 0);
	T_EXPECT_EQ(smbiov_open_info(f, &oi), 0);
	T_EXPECT(oi.reused);
	T_EXPECT_EQ(oi.handle_id, id);
	T_EXPECT_EQ(smbiov_lease_info(f, &li), 0);
	T_EXPECT(li.state & SMBIOV_LEASE_WRITE);
	T_EXPECT_EQ(smbiov_close(f), 0);
}

static void test_reopen_keeps_w(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct smbiov_lease_info li;
	struct smbiov_open_info o1;
	struct smbiov_file *f;

	T_ASSERT(a);
	fc_disk_file(share, "rw1.bin", 4096, 3);
	T_ASSERT(smbiov_open_ex(a, "rw1.bin", O_WRONLY, NULL, &f) == 0);
	T_EXPECT_EQ(smbiov_open_info(f, &o1), 0);
	T_EXPECT_EQ(smbiov_lease_info(f, &li), 0);
	T_EXPECT(li.state & SMBIOV_LEASE_WRITE);
	T_EXPECT_EQ(smbiov_close(f), 0);
	reopen_check(a, "rw1.bin", O_WRONLY, o1.handle_id);
	/* and a read-write open takes the same handle back */
	reopen_check(a, "rw1.bin", O_RDWR, o1.handle_id);
	smbiov_disconnect(a);
}

/*
 * A file opened read-write and closed (parked), then read through a
 * read-only open, then opened read-write again ('touch f; cat f', then
 * a write): the last open still holds write caching, so small writes
 * stay in its cache until the close. Before, the read-only CREATE
 * shared the parked handle's lease key, which took W from both for
 * good, and every write went to the server.
 */
static void test_read_then_write_keeps_w(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct smbiov_lease_info li;
	struct smbiov_stats s0, s1;
	struct smbiov_file *f;
	uint8_t buf[4096], *disk;
	size_t len;

	T_ASSERT(a);
	fc_disk_file(share, "rw2.bin", 65536, 5);
	T_ASSERT(smbiov_open_ex(a, "rw2.bin", O_RDWR, NULL, &f) == 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_ASSERT(smbiov_open_ex(a, "rw2.bin", O_RDONLY, NULL, &f) == 0);
	T_EXPECT_EQ(fc_pread(f, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_ASSERT(smbiov_open_ex(a, "rw2.bin", O_RDWR, NULL, &f) == 0);
	T_EXPECT_EQ(smbiov_lease_info(f, &li), 0);
	T_EXPECT(li.state & SMBIOV_LEASE_WRITE);
	smbiov_get_stats(a, &s0);
	for (unsigned i = 0; i < 16; i++) {
		fc_fill(buf, sizeof(buf), 6, i * 4096ull);
		T_EXPECT_EQ(smbiov_pwrite(f, buf, sizeof(buf), i * 4096ull),
			    (ssize_t)sizeof(buf));
	}
	smbiov_get_stats(a, &s1);
	/* all 16 in the cache (the folios are whole: nothing read either) */
	T_EXPECT_EQ(s1.requests, s0.requests);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(a);
	/* and the close wrote them back */
	disk = fc_disk_read(share, "rw2.bin", &len);
	T_ASSERT(disk);
	T_EXPECT_EQ(len, 65536u);
	T_EXPECT_EQ(fc_check(disk, len, 6, 0), len);
	free(disk);
}

/* 16 pwrites of 4 KiB through @f sent nothing (all in its cache). */
static void writes_cached(struct smbiov_client *a, struct smbiov_file *f)
{
	struct smbiov_stats s0, s1;
	uint8_t buf[4096];

	fc_fill(buf, sizeof(buf), 9, 0);
	smbiov_get_stats(a, &s0);
	for (unsigned i = 0; i < 16; i++)
		T_EXPECT_EQ(smbiov_pwrite(f, buf, sizeof(buf), i * 4096ull),
			    (ssize_t)sizeof(buf));
	smbiov_get_stats(a, &s1);
	T_EXPECT_EQ(s1.requests, s0.requests);
}

/*
 * Two opens of a file share its key and keep no writes; when one goes,
 * the other, its key's only open again, takes write caching back (the
 * server never broke it): a read-only open closed beside a writer is
 * closed for good, not kept, so that the writer does. Either order: the
 * writer still open, or kept after its close and taken back. Through a
 * mount, a reader's release that comes after the next writer's open
 * left that writer writing through.
 */
static void test_lone_open_takes_w_back(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct smbiov_lease_info li;
	struct smbiov_open_info oi;
	struct smbiov_cache_stats cs, cs1;
	struct smbiov_file *w, *r;
	uint64_t wid;

	T_ASSERT(a);
	fc_disk_file(share, "lone.bin", 65536, 5);
	/* the writer still open when the reader goes */
	T_ASSERT(smbiov_open_ex(a, "lone.bin", O_RDWR, NULL, &w) == 0);
	T_ASSERT(smbiov_open_ex(a, "lone.bin", O_RDONLY, NULL, &r) == 0);
	T_EXPECT_EQ(smbiov_lease_info(w, &li), 0);
	T_EXPECT(!(li.state & SMBIOV_LEASE_WRITE));
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(smbiov_close(r), 0);
	T_EXPECT_EQ(smbiov_lease_info(w, &li), 0);
	T_EXPECT(li.state & SMBIOV_LEASE_WRITE);
	smbiov_get_cache_stats(a, &cs1);
	T_EXPECT_EQ(cs1.deferred_now, cs.deferred_now); /* not kept */
	writes_cached(a, w);
	T_EXPECT_EQ(smbiov_close(w), 0);

	/* the writer kept first, then the reader goes: taken back with W */
	T_ASSERT(smbiov_open_ex(a, "lone.bin", O_RDWR, NULL, &w) == 0);
	T_EXPECT_EQ(smbiov_open_info(w, &oi), 0);
	wid = oi.handle_id;
	T_ASSERT(smbiov_open_ex(a, "lone.bin", O_RDONLY, NULL, &r) == 0);
	T_EXPECT_EQ(smbiov_close(w), 0);
	T_EXPECT_EQ(smbiov_close(r), 0);
	T_ASSERT(smbiov_open_ex(a, "lone.bin", O_RDWR, NULL, &w) == 0);
	T_EXPECT_EQ(smbiov_open_info(w, &oi), 0);
	T_EXPECT(oi.reused);
	T_EXPECT_EQ(oi.handle_id, wid);
	T_EXPECT_EQ(smbiov_lease_info(w, &li), 0);
	T_EXPECT(li.state & SMBIOV_LEASE_WRITE);
	writes_cached(a, w);
	T_EXPECT_EQ(smbiov_close(w), 0);
	smbiov_disconnect(a);
}

/* The modification time of @name on the server's disk. */
static struct timespec disk_mtime(const char *name)
{
	struct stat st = {0};
	char p[1024];

	fc_disk_path(p, sizeof(p), share, name);
	T_EXPECT_EQ(stat(p, &st), 0);
	return st.st_mtim;
}

static bool ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/*
 * A written file's write time settles before its close returns, also
 * when the handle stays open (deferred close): Samba sets the write time
 * of a written handle 2 s after its first write or at its CLOSE, so
 * without the stamp at close (smb_file_stamp_write_time()) it moved when
 * the parked handle was closed later (here: by an open of another kind),
 * and vim, which compares it before saving, refused to save. The stamp
 * freezes nothing: a later write moves it again.
 */
static void test_write_time_at_close(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct timespec t1, t2, t3;
	struct smbiov_open_info oi;
	struct smbiov_file *f;
	uint8_t buf[4096];

	T_ASSERT(a);
	fc_disk_file(share, "wt.bin", 65536, 7);
	fc_fill(buf, sizeof(buf), 8, 0);
	T_ASSERT(smbiov_open_ex(a, "wt.bin", O_RDWR, NULL, &f) == 0);
	T_EXPECT_EQ(smbiov_pwrite(f, buf, sizeof(buf), 0),
		    (ssize_t)sizeof(buf));
	T_EXPECT_EQ(smbiov_close(f), 0);
	t1 = disk_mtime("wt.bin");
	/* an open of another kind: the parked handle is closed first */
	T_ASSERT(smbiov_open_ex(a, "wt.bin", O_RDONLY, NULL, &f) == 0);
	T_EXPECT_EQ(smbiov_open_info(f, &oi), 0);
	T_EXPECT(!oi.reused);
	t2 = disk_mtime("wt.bin");
	T_EXPECT(ts_eq(t1, t2));
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_ASSERT(smbiov_open_ex(a, "wt.bin", O_RDWR, NULL, &f) == 0);
	T_EXPECT_EQ(smbiov_pwrite(f, buf, sizeof(buf), 8192),
		    (ssize_t)sizeof(buf));
	T_EXPECT_EQ(smbiov_close(f), 0);
	t3 = disk_mtime("wt.bin");
	T_EXPECT(t3.tv_sec > t2.tv_sec ||
		 (t3.tv_sec == t2.tv_sec && t3.tv_nsec > t2.tv_nsec));
	smbiov_disconnect(a);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	share = fc_env("SMB_SHARE");
	T_RUN(test_reopen_keeps_w);
	T_RUN(test_read_then_write_keeps_w);
	T_RUN(test_lone_open_takes_w_back);
	T_RUN(test_write_time_at_close);
	return t_done();
}
