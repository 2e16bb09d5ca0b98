// SPDX-License-Identifier: MIT
/*
 * Leases against the fixture's smbd (issue 14): an open with
 * a cache mode asks for a lease and gets read, handle and write caching;
 * another connection's open of the same file makes the server break it,
 * and the library's break worker lowers the lease and acknowledges, so
 * the other open completes (the server waits for that acknowledgement);
 * a write from the other connection is then what this one reads. SMB
 * 2.0.2 (no leases) gets a batch oplock, broken and acknowledged alike. No
 * timing: the server answers the other open only after our
 * acknowledgement, which the worker sends after lowering the lease, so the
 * lowered state is visible as soon as that open returns; counting the
 * break waits for an event (bounded, as a hang guard only).
 */
#include "file_common.h"

#include <errno.h>
#include <time.h>

static const char *share;

#define RWH (SMBIOV_LEASE_READ | SMBIOV_LEASE_HANDLE | SMBIOV_LEASE_WRITE)

static struct smbiov_client *connect_dialect(uint16_t max)
{
	struct smbiov_options o = {.max_dialect = max};

	return fc_connect_opts(share, &o);
}

/* A file on the server's disk that the test user may write. */
static void disk_file(const char *name, size_t size, uint32_t seed)
{
	char p[1024];

	fc_disk_write(share, name, size, seed);
	fc_disk_path(p, sizeof(p), share, name);
	T_ASSERT(chmod(p, 0666) == 0);
}

/* Wait until @f's lease has handled @n breaks (bounded: a hang guard). */
static bool wait_breaks(struct smbiov_file *f, uint32_t n,
			struct smbiov_lease_info *li)
{
	for (int i = 0; i < 3000; i++) {
		smbiov_lease_info(f, li);
		if (li->breaks >= n)
			return true;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	return false;
}

static void test_granted_and_broken(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct smbiov_client *b = fc_connect(share, NULL);
	struct smbiov_file *fa, *fb;
	struct smbiov_lease_info li;
	uint8_t buf[4096], want[4096];
	uint16_t epoch0;

	T_ASSERT(a && b);
	disk_file("lease.bin", sizeof(buf), 21);
	T_ASSERT(smbiov_open_ex(a, "lease.bin", O_RDWR, NULL, &fa) == 0);
	T_EXPECT_EQ(smbiov_lease_info(fa, &li), 0);
	T_EXPECT(li.leased);
	T_EXPECT_EQ(li.state, RWH);
	T_EXPECT_EQ(li.breaks, 0);
	epoch0 = li.epoch;
	fprintf(stderr, "granted state %#x epoch %u\n", li.state, li.epoch);

	/* b's open conflicts with a's write caching: the server breaks it */
	T_ASSERT(smbiov_open(b, "lease.bin", O_RDWR, &fb) == 0);
	smbiov_lease_info(fa, &li);
	T_EXPECT(!(li.state & SMBIOV_LEASE_WRITE));
	T_EXPECT(wait_breaks(fa, 1, &li));
	T_EXPECT_EQ(li.ack_err, 0);
	T_EXPECT(li.epoch > epoch0);
	fprintf(stderr, "after b's open: state %#x epoch %u breaks %u\n",
		li.state, li.epoch, li.breaks);

	/* b writes; a reads b's bytes (a lost its write caching at b's open) */
	fc_fill(want, sizeof(want), 77, 0);
	T_EXPECT_EQ(smbiov_pwrite(fb, want, sizeof(want), 0),
		    (ssize_t)sizeof(want));
	T_EXPECT_EQ(smbiov_pread(fa, buf, sizeof(buf), 0),
		    (ssize_t)sizeof(buf));
	T_EXPECT(!memcmp(buf, want, sizeof(buf)));
	/* a write breaks read caching too (when a still held it) */
	smbiov_lease_info(fa, &li);
	fprintf(stderr, "after b's write: state %#x breaks %u\n", li.state,
		li.breaks);
	T_EXPECT_EQ(li.ack_err, 0);

	T_EXPECT_EQ(smbiov_close(fb), 0);
	T_EXPECT_EQ(smbiov_close(fa), 0);
	smbiov_disconnect(b);
	smbiov_disconnect(a);
}

/* Two leased opens on two connections: each is broken, both work. */
static void test_two_leases(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct smbiov_client *b = fc_connect(share, NULL);
	struct smbiov_file *fa, *fb;
	struct smbiov_lease_info la, lb;

	T_ASSERT(a && b);
	disk_file("lease2.bin", 8192, 3);
	T_ASSERT(smbiov_open_ex(a, "lease2.bin", O_RDONLY, NULL, &fa) == 0);
	T_ASSERT(smbiov_open_ex(b, "lease2.bin", O_RDONLY, NULL, &fb) == 0);
	smbiov_lease_info(fa, &la);
	smbiov_lease_info(fb, &lb);
	/* two readers: both may cache reads, neither may cache writes */
	T_EXPECT(la.leased && lb.leased);
	T_EXPECT(!(la.state & SMBIOV_LEASE_WRITE));
	T_EXPECT(lb.state & SMBIOV_LEASE_READ);
	T_EXPECT(!(lb.state & SMBIOV_LEASE_WRITE));
	T_EXPECT(la.breaks == 1 || wait_breaks(fa, 1, &la));
	T_EXPECT_EQ(la.ack_err, 0);
	T_EXPECT_EQ(smbiov_close(fa), 0);
	T_EXPECT_EQ(smbiov_close(fb), 0);
	smbiov_disconnect(b);
	smbiov_disconnect(a);
}

/*
 * SMB 2.0.2 has no leases: a batch oplock instead, broken the same way by
 * another connection's open and acknowledged by the worker.
 */
static void test_oplock_fallback(void)
{
	struct smbiov_client *old = connect_dialect(SMBIOV_DIALECT_202);
	struct smbiov_client *b = fc_connect(share, NULL);
	struct smbiov_lease_info li;
	struct smbiov_file *f, *fb;

	T_ASSERT(old && b);
	disk_file("oplock.bin", 100, 1);
	T_ASSERT(smbiov_open_ex(old, "oplock.bin", O_RDWR, NULL, &f) == 0);
	smbiov_lease_info(f, &li);
	T_EXPECT(li.leased && li.oplock);
	T_EXPECT_EQ(li.state, RWH); /* batch */
	T_ASSERT(smbiov_open(b, "oplock.bin", O_RDWR, &fb) == 0);
	smbiov_lease_info(f, &li);
	T_EXPECT(!(li.state & SMBIOV_LEASE_WRITE));
	T_EXPECT(wait_breaks(f, 1, &li));
	T_EXPECT_EQ(li.ack_err, 0);
	fprintf(stderr, "2.0.2 oplock after b's open: state %#x breaks %u\n",
		li.state, li.breaks);
	T_EXPECT_EQ(smbiov_close(fb), 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(b);
	smbiov_disconnect(old);
}

/* None asked for: no lease; a bad mode is refused. */
static void test_no_lease(void)
{
	struct smbiov_client *c = fc_connect(share, NULL);
	struct smbiov_open_opts none = {.cache = SMBIOV_CACHE_NONE};
	struct smbiov_open_opts bad = {.cache = (enum smbiov_cache)7};
	struct smbiov_lease_info li;
	struct smbiov_file *f;

	T_ASSERT(c);
	disk_file("lease3.bin", 100, 1);
	T_ASSERT(smbiov_open_ex(c, "lease3.bin", O_RDONLY, &none, &f) == 0);
	smbiov_lease_info(f, &li);
	T_EXPECT(!li.leased && li.state == 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_ASSERT(smbiov_open(c, "lease3.bin", O_RDONLY, &f) == 0);
	smbiov_lease_info(f, &li);
	T_EXPECT(!li.leased);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_open_ex(c, "lease3.bin", O_RDONLY, &bad, &f),
		    -EINVAL);
	T_EXPECT_EQ(smbiov_lease_info(NULL, &li), -EINVAL);
	smbiov_disconnect(c);
}

/* Leased opens closed in any order leave the table consistent. */
static void test_many_leases(void)
{
	struct smbiov_client *c = fc_connect(share, NULL);
	struct smbiov_lease_info li;
	struct smbiov_file *f[8];
	char name[32];

	T_ASSERT(c);
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "lease4.%d", i);
		disk_file(name, 10, (uint32_t)i);
		T_ASSERT(smbiov_open_ex(c, name, O_RDONLY, NULL, &f[i]) == 0);
		smbiov_lease_info(f[i], &li);
		T_EXPECT(li.leased && li.state == RWH);
	}
	for (int i = 1; i < 8; i += 2)
		T_EXPECT_EQ(smbiov_close(f[i]), 0);
	for (int i = 0; i < 8; i += 2) {
		smbiov_lease_info(f[i], &li);
		T_EXPECT(li.leased && li.state == RWH && li.breaks == 0);
		T_EXPECT_EQ(smbiov_close(f[i]), 0);
	}
	smbiov_disconnect(c);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	share = fc_env("SMB_SHARE");
	T_RUN(test_granted_and_broken);
	T_RUN(test_two_leases);
	T_RUN(test_oplock_fallback);
	T_RUN(test_no_lease);
	T_RUN(test_many_leases);
	if (t_failures)
		integ_print_logs_hint();
	return t_done();
}
