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
#include "client/file.h"
#include "fs/cache.h"
#include "file_common.h"

#include <errno.h>
#include <pthread.h>
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

/*
 * smbiov_open_opts.on_lease that holds the client's break worker until
 * the test lets it go: the breaks the server sends meanwhile wait in the
 * worker's queue, so a cache depends only on what the library does before
 * a call returns, not on how fast a break arrives.
 */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool entered, open;
	unsigned calls;
	uint32_t last;
};

static void gate_cb(void *arg, struct smbiov_file *f, uint32_t state)
{
	struct gate *g = arg;

	(void)f;
	pthread_mutex_lock(&g->mu);
	g->entered = true;
	g->calls++;
	g->last = state;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

/* Wait until the worker is in gate_cb (bounded: a hang guard only). */
static bool gate_entered(struct gate *g)
{
	struct timespec ts;
	bool in;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 60;
	pthread_mutex_lock(&g->mu);
	while (!g->entered &&
	       pthread_cond_timedwait(&g->cv, &g->mu, &ts) != ETIMEDOUT)
		;
	in = g->entered;
	pthread_mutex_unlock(&g->mu);
	return in;
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

struct other_open {
	struct smbiov_client *c;
	struct smbiov_file *f;
	int ret;
};

static void *other_open_main(void *arg)
{
	struct other_open *o = arg;

	o->ret = smbiov_open(o->c, "sib-gate.bin", O_RDWR, &o->f);
	return NULL;
}

/* @f reads [@off, @off + @len) as @want (@len bytes, then end of file). */
static bool reads_as(struct smbiov_file *f, uint64_t off, const uint8_t *want,
		     size_t len)
{
	uint8_t buf[8192];

	T_ASSERT(len < sizeof(buf));
	return smbiov_pread(f, buf, sizeof(buf), off) == (ssize_t)len &&
	       !memcmp(buf, want, len);
}

/*
 * Two cached opens of one file on one client (two descriptors of a file
 * in a mount): a change through one, or by path, is what the other reads
 * as soon as the call returned, though the server's break of the other's
 * read caching has not been handled yet (the worker is held in gate_cb).
 * Without the siblings' invalidation (src/fs/conn.c) the other read its
 * cached old bytes and size here.
 */
static void test_siblings(void)
{
	struct smbiov_options o = {.break_ack_ms = -1};
	struct smbiov_client *a = fc_connect_opts(share, &o);
	struct other_open other = {.c = fc_connect(share, NULL)};
	struct gate g = {.mu = PTHREAD_MUTEX_INITIALIZER,
			 .cv = PTHREAD_COND_INITIALIZER};
	struct smbiov_open_opts go = {.on_lease = gate_cb, .lease_arg = &g};
	struct smbiov_file *f1, *f2, *gf;
	uint8_t buf[8192], want[4096];
	struct smbiov_lease_info li;
	pthread_t th;

	T_ASSERT(a && other.c);
	disk_file("sib.bin", 65536, 5);
	disk_file("sib-gate.bin", 4096, 6);
	T_ASSERT(smbiov_open_ex(a, "sib.bin", O_RDWR, NULL, &f1) == 0);
	T_ASSERT(smbiov_open_ex(a, "/sib.bin", O_RDWR, NULL, &f2) == 0);
	/* f2 caches the file (two opens: read caching, no write caching) */
	T_ASSERT(smbiov_pread(f2, buf, 4096, 0) == 4096);
	T_ASSERT(smbiov_pread(f2, buf, 4096, 61440) == 4096);
	smbiov_lease_info(f2, &li);
	T_EXPECT(li.state & SMBIOV_LEASE_READ);
	T_EXPECT(!(li.state & SMBIOV_LEASE_WRITE));

	/*
	 * A truncate by path (its CREATE needs f1's and f2's handle caching
	 * broken and acknowledged, so this runs before the worker is held;
	 * the break of read caching that its SET_INFO causes comes unwaited)
	 */
	T_EXPECT_EQ(smbiov_truncate(a, "sib.bin", 65000), 0);
	T_EXPECT_EQ(smbiov_pread(f2, buf, sizeof(buf), 61440), 3560);
	T_EXPECT_EQ(fc_check(buf, 3560, 5, 61440), 3560);
	T_EXPECT_EQ(smbiov_pread(f1, buf, sizeof(buf), 61440), 3560);

	/* hold the worker: the other client's open breaks gf's lease */
	T_ASSERT(smbiov_open_ex(a, "sib-gate.bin", O_RDWR, &go, &gf) == 0);
	T_ASSERT(pthread_create(&th, NULL, other_open_main, &other) == 0);
	T_ASSERT(gate_entered(&g));

	/* overwrite inside, then extend: f2 sees both at once */
	fc_fill(want, sizeof(want), 91, 0);
	T_EXPECT_EQ(smbiov_pwrite(f1, want, 1000, 100), 1000);
	T_EXPECT_EQ(smbiov_pread(f2, buf, 1000, 100), 1000);
	T_EXPECT(!memcmp(buf, want, 1000));
	T_EXPECT_EQ(smbiov_pwrite(f1, want, 4096, 65536), 4096);
	T_EXPECT(reads_as(f2, 65536, want, 4096));

	/* a truncate through the handle */
	T_EXPECT_EQ(smbiov_ftruncate(f1, 66000), 0);
	T_EXPECT(reads_as(f2, 65536, want, 464));

	gate_open(&g);
	pthread_join(th, NULL);
	T_EXPECT_EQ(other.ret, 0);
	/* the callback was told the broken state: write caching gone */
	T_EXPECT(g.calls >= 1);
	T_EXPECT(g.last & SMBIOV_LEASE_READ);
	T_EXPECT(!(g.last & SMBIOV_LEASE_WRITE));
	T_EXPECT_EQ(smbiov_close(other.f), 0);
	T_EXPECT_EQ(smbiov_close(gf), 0);
	T_EXPECT_EQ(smbiov_close(f2), 0);
	T_EXPECT_EQ(smbiov_close(f1), 0);
	smbiov_disconnect(other.c);
	smbiov_disconnect(a);
}

static uint64_t nreq(struct smbiov_client *c)
{
	struct smbiov_stats s;

	smbiov_get_stats(c, &s);
	return s.requests;
}

static bool same_stat(const struct smbiov_stat *x, const struct smbiov_stat *y)
{
	return x->size == y->size && x->alloc_size == y->alloc_size &&
	       x->btime_ns == y->btime_ns && x->atime_ns == y->atime_ns &&
	       x->mtime_ns == y->mtime_ns && x->ctime_ns == y->ctime_ns &&
	       x->attributes == y->attributes && x->is_dir == y->is_dir &&
	       x->file_id == y->file_id && x->nlink == y->nlink;
}

/*
 * @f's stat is kept: asked again, it sends nothing and answers as before
 * (so each case below starts from a kept answer, and shows that the
 * change made it ask again).
 */
static bool stat_is_kept(struct smbiov_client *c, struct smbiov_file *f)
{
	struct smbiov_stat s1, s2;
	uint64_t r0;

	if (smbiov_fstat(f, &s1))
		return false;
	r0 = nreq(c);
	return smbiov_fstat(f, &s2) == 0 && nreq(c) == r0 &&
	       same_stat(&s1, &s2);
}

/*
 * @f's stat is what the server says now: what smbiov_fstat() always did
 * (write back, then QUERY_INFO on the handle: smb_fstat()). Written back
 * by the mapping itself: smbiov_writeback() and smbiov_fsync() would
 * have the server set the write time between the two (Samba's FLUSH
 * does, as the write-time stamp of a close does).
 */
static bool stat_exact(struct smbiov_file *f, struct smbiov_stat *out)
{
	struct smbiov_stat s, p;

	if (smbiov_fstat(f, &s) ||
	    (f->map && fs_mapping_writeback(f->map, 0, UINT64_MAX)) ||
	    smb_fstat(f, &p))
		return false;
	if (!same_stat(&s, &p))
		fprintf(stderr,
			"fstat size %llu mtime %lld ctime %lld attr %#x / "
			"server size %llu mtime %lld ctime %lld attr %#x\n",
			(unsigned long long)s.size, (long long)s.mtime_ns,
			(long long)s.ctime_ns, s.attributes,
			(unsigned long long)p.size, (long long)p.mtime_ns,
			(long long)p.ctime_ns, p.attributes);
	if (out)
		*out = s;
	return same_stat(&s, &p);
}

/*
 * A cached open of a new file @name of 10000 bytes, taken back from the
 * deferred close: its stat kept.
 */
static struct smbiov_file *stat_open(struct smbiov_client *a, const char *name)
{
	struct smbiov_cache_stats cs0, cs1;
	struct smbiov_lease_info li;
	struct smbiov_file *f;

	disk_file(name, 10000, 7);
	T_ASSERT(smbiov_open_ex(a, name, O_RDWR, NULL, &f) == 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_get_cache_stats(a, &cs0);
	T_ASSERT(smbiov_open_ex(a, name, O_RDWR, NULL, &f) == 0);
	smbiov_get_cache_stats(a, &cs1);
	T_EXPECT_EQ(cs1.deferred_reused, cs0.deferred_reused + 1);
	smbiov_lease_info(f, &li);
	T_EXPECT_EQ(li.state, RWH);
	T_EXPECT(stat_is_kept(a, f));
	return f;
}

/*
 * smbiov_fstat() of a cached open under read and write caching answers
 * without a request right after a deferred-closed file was taken back
 * (the take-back's QUERY_INFO is its answer), and stays what the server
 * says after every change: a write, ftruncate and set_attr through it,
 * a truncate and a set_attr by path (stat opens: no break), a sibling
 * open's write, another client's write. Without the kept stat
 * (src/fs/leasestat.c) every stat_is_kept fails (each stat asks); the
 * set_attr by path case fails without meta.c telling the file layer.
 */
static void test_stat_from_lease(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct smbiov_client *b = fc_connect(share, NULL);
	struct smbiov_setattr sa = {0};
	struct smbiov_cache_stats cs0, cs1;
	struct smbiov_file *f, *f1;
	struct smbiov_lease_info li;
	struct smbiov_stat s;
	uint8_t want[4096];
	uint64_t r0;

	T_ASSERT(a && b);
	fc_fill(want, sizeof(want), 93, 0);

	/* a fresh open asks; taken back from the deferred close: no request */
	disk_file("st.bin", 10000, 7);
	T_ASSERT(smbiov_open_ex(a, "st.bin", O_RDWR, NULL, &f) == 0);
	r0 = nreq(a);
	T_EXPECT(stat_exact(f, &s));
	T_EXPECT(nreq(a) > r0);
	T_EXPECT_EQ(s.size, 10000);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_get_cache_stats(a, &cs0);
	T_ASSERT(smbiov_open_ex(a, "st.bin", O_RDWR, NULL, &f) == 0);
	smbiov_get_cache_stats(a, &cs1);
	T_EXPECT_EQ(cs1.deferred_reused, cs0.deferred_reused + 1);
	r0 = nreq(a);
	T_EXPECT(smbiov_fstat(f, &s) == 0);
	T_EXPECT_EQ(nreq(a), r0);
	T_EXPECT(stat_exact(f, NULL));
	/* a write through the open, cached (write caching): its size */
	T_EXPECT(stat_is_kept(a, f));
	T_EXPECT_EQ(smbiov_pwrite(f, want, 100, 10000), 100);
	T_EXPECT(stat_exact(f, &s));
	T_EXPECT_EQ(s.size, 10100);
	T_EXPECT_EQ(smbiov_close(f), 0);

	f = stat_open(a, "st-ft.bin");
	T_EXPECT_EQ(smbiov_ftruncate(f, 5000), 0);
	T_EXPECT(stat_exact(f, &s));
	T_EXPECT_EQ(s.size, 5000);
	T_EXPECT_EQ(smbiov_close(f), 0);

	f = stat_open(a, "st-fa.bin");
	sa.mtime_ns = 1400000000LL * 1000000000LL;
	T_EXPECT_EQ(smbiov_fset_attr(f, &sa), 0);
	T_EXPECT(stat_exact(f, &s));
	T_EXPECT_EQ(s.mtime_ns, sa.mtime_ns);
	T_EXPECT_EQ(smbiov_close(f), 0);

	f = stat_open(a, "st-t.bin");
	T_EXPECT_EQ(smbiov_truncate(a, "st-t.bin", 9000), 0);
	T_EXPECT(stat_exact(f, &s));
	T_EXPECT_EQ(s.size, 9000);
	T_EXPECT_EQ(smbiov_close(f), 0);

	f = stat_open(a, "st-a.bin");
	sa.mtime_ns = 1500000000LL * 1000000000LL;
	T_EXPECT_EQ(smbiov_set_attr(a, "st-a.bin", &sa), 0);
	smbiov_lease_info(f, &li);
	T_EXPECT_EQ(li.breaks, 0);
	T_EXPECT(stat_exact(f, &s));
	T_EXPECT_EQ(s.mtime_ns, sa.mtime_ns);
	T_EXPECT_EQ(smbiov_close(f), 0);

	/* a sibling open (it breaks write caching) writes */
	f = stat_open(a, "st-w.bin");
	T_ASSERT(smbiov_open_ex(a, "st-w.bin", O_RDWR, NULL, &f1) == 0);
	T_EXPECT_EQ(smbiov_pwrite(f1, want, 4096, 9000), 4096);
	T_EXPECT(stat_exact(f, &s));
	T_EXPECT_EQ(s.size, 13096);
	T_EXPECT_EQ(smbiov_close(f1), 0);
	T_EXPECT_EQ(smbiov_close(f), 0);

	/* another client's open breaks write caching, then it writes */
	f = stat_open(a, "st-o.bin");
	T_ASSERT(smbiov_open(b, "st-o.bin", O_RDWR, &f1) == 0);
	smbiov_lease_info(f, &li);
	T_EXPECT(!(li.state & SMBIOV_LEASE_WRITE));
	T_EXPECT_EQ(smbiov_pwrite(f1, want, 4096, 10000), 4096);
	T_EXPECT(wait_breaks(f, 2, &li));
	T_EXPECT(stat_exact(f, &s));
	T_EXPECT_EQ(s.size, 14096);
	T_EXPECT_EQ(smbiov_close(f1), 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(b);
	smbiov_disconnect(a);
}

static uint64_t nmsg(struct smbiov_client *c)
{
	struct smbiov_stats s;

	smbiov_get_stats(c, &s);
	return s.messages;
}

/* Did smbiov_fstat(@f) send a request? (false too when it failed) */
static bool fstat_asks(struct smbiov_client *c, struct smbiov_file *f,
		       struct smbiov_stat *s)
{
	uint64_t r0 = nreq(c);

	return smbiov_fstat(f, s) == 0 && nreq(c) != r0;
}

/*
 * An EA set or removed by path changes the file (its EAs; the change
 * time where the server moves it: Samba reports the write time as the
 * change time, so its stat shows no difference): a cached open's kept
 * stat is not answered after it, the next smbiov_fstat() asks the server.
 * Samba's CREATE for the EA (FILE_WRITE_EA or FILE_READ_EA: not a stat
 * open) breaks the open's write caching, which drops the kept answer too,
 * so this passes without ea.c telling the file layer as well: a guard.
 * test_client_ea test_set shows the call (fails without it).
 */
static void test_stat_after_xattr(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct smbiov_stat s;
	struct smbiov_file *f;
	char v[4];

	T_ASSERT(a);
	f = stat_open(a, "st-ea.bin");
	T_EXPECT_EQ(smbiov_setxattr(a, "st-ea.bin", "smbiovtest", "v1", 2, 0),
		    0);
	T_EXPECT(fstat_asks(a, f, &s));
	T_EXPECT(stat_exact(f, NULL));
	T_EXPECT_EQ(smbiov_getxattr(a, "st-ea.bin", "smbiovtest", v, sizeof(v)),
		    2);
	T_EXPECT_EQ(smbiov_close(f), 0);

	/* the EA set before the open that keeps its stat */
	disk_file("st-ea2.bin", 10000, 7);
	T_EXPECT_EQ(smbiov_setxattr(a, "st-ea2.bin", "smbiovtest", "v2", 2, 0),
		    0);
	f = stat_open(a, "st-ea2.bin");
	T_EXPECT_EQ(smbiov_removexattr(a, "st-ea2.bin", "smbiovtest"), 0);
	T_EXPECT(fstat_asks(a, f, &s));
	T_EXPECT(stat_exact(f, NULL));
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(a);
}

/*
 * Open @name with stat_at_open: one message (the CREATE's compound),
 * no request for the stat after, and that stat what the server says.
 */
static struct smbiov_file *sao_open(struct smbiov_client *a, const char *name,
				    int flags)
{
	struct smbiov_open_opts o = {.cache = SMBIOV_CACHE_STRICT,
				     .stat_at_open = true};
	struct smbiov_file *f;
	struct smbiov_stat s;
	uint64_t m0 = nmsg(a);

	T_ASSERT(smbiov_open_ex(a, name, flags, &o, &f) == 0);
	T_EXPECT_EQ(nmsg(a), m0 + 1);
	T_EXPECT(!fstat_asks(a, f, &s));
	T_EXPECT(stat_exact(f, NULL));
	return f;
}

/*
 * smbiov_open_opts.stat_at_open: a cached open that sends a CREATE asks
 * the stat in the same message, and smbiov_fstat() answers from it
 * without a request, as the server would (a file that was there, one the
 * open creates), until a change (a write: then it asks). Not with
 * O_TRUNC, not without the option, not while another client's open of
 * the file keeps write caching from this one. Without the kept answer
 * (stat_keep_fresh() not called) every !fstat_asks fails.
 */
static void test_stat_at_open(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct smbiov_client *b = fc_connect(share, NULL);
	struct smbiov_open_opts o = {.cache = SMBIOV_CACHE_STRICT,
				     .stat_at_open = true};
	struct smbiov_file *f, *f1, *fb;
	struct smbiov_stat s;
	uint8_t want[100];

	T_ASSERT(a && b);
	fc_fill(want, sizeof(want), 95, 0);

	/*
	 * Both opens counted before anything of @a is parked (a parked
	 * handle's CLOSE would be a message of its own).
	 */
	disk_file("sao.bin", 10000, 7);
	f = sao_open(a, "sao.bin", O_RDWR);
	/* a file the open creates (as a mount's create) */
	f1 = sao_open(a, "sao-new.bin", O_RDWR | O_CREAT | O_EXCL);
	T_EXPECT(!fstat_asks(a, f1, &s));
	T_EXPECT_EQ(s.size, 0);
	T_EXPECT(!fstat_asks(a, f, &s));
	T_EXPECT_EQ(s.size, 10000);
	T_EXPECT_EQ(s.nlink, 1);
	T_EXPECT_EQ(smbiov_pwrite(f, want, sizeof(want), 10000), 100);
	T_EXPECT(fstat_asks(a, f, &s));
	T_EXPECT_EQ(s.size, 10100);
	T_EXPECT(stat_exact(f, NULL));
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_close(f1), 0);

	/* O_TRUNC: the open changed the file */
	disk_file("sao-t.bin", 5000, 7);
	T_ASSERT(smbiov_open_ex(a, "sao-t.bin", O_RDWR | O_TRUNC, &o, &f) == 0);
	T_EXPECT(fstat_asks(a, f, &s));
	T_EXPECT_EQ(s.size, 0);
	T_EXPECT_EQ(smbiov_close(f), 0);

	/* no option: the stat is asked */
	disk_file("sao-n.bin", 5000, 7);
	T_ASSERT(smbiov_open_ex(a, "sao-n.bin", O_RDWR, NULL, &f) == 0);
	T_EXPECT(fstat_asks(a, f, &s));
	T_EXPECT_EQ(smbiov_close(f), 0);

	/* another client has it open: no write caching, asked every time */
	disk_file("sao-b.bin", 5000, 7);
	T_ASSERT(smbiov_open(b, "sao-b.bin", O_RDWR, &fb) == 0);
	T_ASSERT(smbiov_open_ex(a, "sao-b.bin", O_RDWR, &o, &f) == 0);
	T_EXPECT(fstat_asks(a, f, &s));
	T_EXPECT_EQ(s.size, 5000);
	T_EXPECT_EQ(smbiov_pwrite(fb, want, sizeof(want), 5000), 100);
	T_EXPECT(fstat_asks(a, f, &s));
	T_EXPECT_EQ(s.size, 5100);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_close(fb), 0);
	smbiov_disconnect(b);
	smbiov_disconnect(a);
}

/*
 * smbiov_open_ex_read(): the open, its first bytes and (stat_at_open) its
 * stat in one message. The bytes are the file's, eof when the file ended
 * within the READ; the stat is kept and is what the server says after
 * the READ (its access time). A file longer than the buffer: the
 * buffer's length, not eof. A handle taken back from the deferred close
 * reads nothing (got -1). Without the READ in the compound (create_send()
 * not adding it) got stays -1 and 6 checks fail.
 */
static void test_open_ex_read(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct smbiov_open_opts o = {.cache = SMBIOV_CACHE_STRICT,
				     .stat_at_open = true};
	struct smbiov_first_read rd;
	struct smbiov_file *f, *g;
	struct smbiov_iter it;
	struct smbiov_stat s;
	uint8_t buf[16384];
	uint64_t m0;

	T_ASSERT(a);
	disk_file("oer.bin", 10000, 11);
	disk_file("oer-big.bin", 40000, 12);
	/* counted before anything of @a is parked (its CLOSE is a message) */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf)) ==
		 0);
	m0 = nmsg(a);
	T_ASSERT(smbiov_open_ex_read(a, "oer.bin", O_RDONLY, &o, &it, &rd,
				     &f) == 0);
	T_EXPECT_EQ(nmsg(a), m0 + 1);
	T_EXPECT_EQ(rd.got, 10000);
	T_EXPECT(rd.eof);
	T_EXPECT_EQ(smbiov_iter_count(&it), sizeof(buf) - 10000);
	T_EXPECT_EQ(fc_check(buf, 10000, 11, 0), 10000);
	T_EXPECT(!fstat_asks(a, f, &s));
	T_EXPECT(stat_exact(f, NULL));

	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf)) ==
		 0);
	m0 = nmsg(a);
	T_ASSERT(smbiov_open_ex_read(a, "oer-big.bin", O_RDWR, NULL, &it, &rd,
				     &g) == 0);
	T_EXPECT_EQ(nmsg(a), m0 + 1);
	T_EXPECT_EQ(rd.got, (ssize_t)sizeof(buf));
	T_EXPECT(!rd.eof);
	T_EXPECT_EQ(fc_check(buf, sizeof(buf), 12, 0), sizeof(buf));
	T_EXPECT_EQ(smbiov_close(g), 0);
	T_EXPECT_EQ(smbiov_close(f), 0);

	/* taken back: no CREATE, nothing read */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf)) ==
		 0);
	T_ASSERT(smbiov_open_ex_read(a, "oer.bin", O_RDONLY, &o, &it, &rd,
				     &f) == 0);
	T_EXPECT_EQ(rd.got, -1);
	T_EXPECT_EQ(smbiov_iter_count(&it), sizeof(buf));
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(
		smbiov_open_ex_read(a, "oer.bin", O_RDONLY, &o, NULL, &rd, &f),
		-EINVAL);
	smbiov_disconnect(a);
}

/*
 * A direct read (SMBIOV_RW_DIRECT, as the mount reads files the kernel
 * caches) of whole pages of a small file under read caching is one READ
 * of the bytes up to the end of file the open knows: the answer is whole
 * and nothing more is asked. Without src/fs/rw.c read_to_eof() the READ
 * of 8192 bytes is answered with 5000 and io.c asks for the rest (2
 * requests, the second answered END_OF_FILE).
 */
static void test_direct_read_to_eof(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct smbiov_file *f;
	struct smbiov_iter it;
	uint8_t buf[8192];
	uint64_t r0;

	T_ASSERT(a);
	disk_file("rte.bin", 5000, 13);
	T_ASSERT(smbiov_open_ex(a, "rte.bin", O_RDONLY, NULL, &f) == 0);
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf)) ==
		 0);
	r0 = nreq(a);
	T_EXPECT_EQ(smbiov_read_iter_ex(f, &it, 0, SMBIOV_RW_DIRECT), 5000);
	T_EXPECT_EQ(nreq(a), r0 + 1);
	T_EXPECT_EQ(fc_check(buf, 5000, 13, 0), 5000);
	T_EXPECT_EQ(smbiov_iter_count(&it), sizeof(buf) - 5000);
	/* past the end: asked, as before (the server says where it ends) */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, sizeof(buf)) ==
		 0);
	T_EXPECT_EQ(smbiov_read_iter_ex(f, &it, 5000, SMBIOV_RW_DIRECT), 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(a);
}

/*
 * smbiov_open_info() (the mount keeps the kernel's pages of an open that
 * took back a handle whose read caching held all along): a cached open's
 * handle number is the same when a later open takes the handle back from
 * the deferred close (reused) and another handle's never; r_kept holds
 * through a break that keeps R (another open's) and goes with the break
 * another client's write causes; an uncached open has none of it.
 */
static void test_open_info(void)
{
	struct smbiov_client *a = fc_connect(share, NULL);
	struct smbiov_client *b = fc_connect(share, NULL);
	struct smbiov_open_info i1, i2, i3;
	struct smbiov_file *f, *g, *fb;
	struct smbiov_lease_info li;
	uint8_t buf[4096];

	T_ASSERT(a && b);
	disk_file("oi.bin", sizeof(buf), 8);
	fc_fill(buf, sizeof(buf), 9, 0);
	T_ASSERT(smbiov_open_ex(a, "oi.bin", O_RDWR, NULL, &f) == 0);
	T_EXPECT_EQ(smbiov_open_info(f, &i1), 0);
	T_EXPECT(i1.handle_id != 0);
	T_EXPECT(!i1.reused);
	T_EXPECT(i1.r_kept);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_ASSERT(smbiov_open_ex(a, "oi.bin", O_RDWR, NULL, &f) == 0);
	T_EXPECT_EQ(smbiov_open_info(f, &i2), 0);
	T_EXPECT(i2.reused);
	T_EXPECT_EQ(i2.handle_id, i1.handle_id);
	T_EXPECT(i2.r_kept);

	/* another open of the file: another handle; f keeps R (not W) */
	T_ASSERT(smbiov_open_ex(a, "oi.bin", O_RDONLY, NULL, &g) == 0);
	T_EXPECT_EQ(smbiov_open_info(g, &i3), 0);
	T_EXPECT(i3.handle_id != 0 && i3.handle_id != i1.handle_id);
	T_EXPECT(!i3.reused);
	T_EXPECT_EQ(smbiov_close(g), 0);
	T_EXPECT_EQ(smbiov_open_info(f, &i2), 0);
	T_EXPECT(i2.r_kept);

	/* another client's write breaks R: never kept again */
	T_ASSERT(smbiov_open(b, "oi.bin", O_RDWR, &fb) == 0);
	T_EXPECT_EQ(smbiov_pwrite(fb, buf, sizeof(buf), 0),
		    (ssize_t)sizeof(buf));
	/* (the first break was g's open's, of W) */
	T_EXPECT(wait_breaks(f, 2, &li));
	T_EXPECT(!(li.state & SMBIOV_LEASE_READ));
	T_EXPECT_EQ(smbiov_open_info(f, &i2), 0);
	T_EXPECT(!i2.r_kept);
	T_EXPECT_EQ(i2.handle_id, i1.handle_id);
	T_EXPECT_EQ(smbiov_close(fb), 0);
	T_EXPECT_EQ(smbiov_close(f), 0);

	/* no cache: nothing to tell */
	T_ASSERT(smbiov_open(a, "oi.bin", O_RDONLY, &g) == 0);
	memset(&i3, 0xff, sizeof(i3));
	T_EXPECT_EQ(smbiov_open_info(g, &i3), 0);
	T_EXPECT(!i3.handle_id && !i3.reused && !i3.r_kept);
	T_EXPECT_EQ(smbiov_close(g), 0);
	T_EXPECT_EQ(smbiov_open_info(NULL, &i3), -EINVAL);
	smbiov_disconnect(b);
	smbiov_disconnect(a);
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
	T_RUN(test_siblings);
	T_RUN(test_stat_from_lease);
	T_RUN(test_stat_after_xattr);
	T_RUN(test_stat_at_open);
	T_RUN(test_open_ex_read);
	T_RUN(test_direct_read_to_eof);
	T_RUN(test_open_info);
	if (t_failures)
		integ_print_logs_hint();
	return t_done();
}
