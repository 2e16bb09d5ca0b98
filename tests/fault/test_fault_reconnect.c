// SPDX-License-Identifier: MIT
/*
 * Fault sweeps over the reconnect itself (issue 15, DESIGN.md §5
 * tests/fault), against the fixture's smbd. One run: connect (reconnect
 * on, 5 s; requests time out after 5 s), a cached file with dirty data
 * under its lease (a durable handle) and an uncached one open, the
 * test's own connection reset (`ss -K`, integ_reset.h), then a pread of
 * the uncached file, which reconnects: new connection, NEGOTIATE,
 * SESSION_SETUP with PreviousSessionId, TREE_CONNECT, both files
 * reopened. Counting starts just before the reset and ends when that
 * pread returns: the window is the reconnect. Then fsync, a read and
 * close of the cached file, close of the uncached one, disconnect.
 *
 * Swept, each with one fault in the window and none after it:
 *  - the N-th sendmsg/recvmsg/recv fails with ECONNRESET, and
 *  - the N-th socket call (poll too) fails with EINTR: every call must
 *    succeed (the reconnect tries again, an interrupted call is retried);
 *  - every transfer of the window short (once): the same;
 *  - the N-th malloc/calloc/realloc/strdup/mmap/pthread_create fails:
 *    the pread may fail with a clean error (ENOMEM, ...), but nothing
 *    after it: one failed allocation costs neither the connection nor a
 *    file.
 * Every run must end within the child's alarm (a hang names the class,
 * N and the call it hangs in). Whatever the outcome: the bytes read are
 * exact, the server's disk (read directly afterwards) has the dirty data
 * whenever fsync said 0, data that did not reach it was reported at
 * fsync or close, no handle was lost, nothing dirty is left in the
 * cache, and nothing leaks (LeakSanitizer at the child's exit in the
 * ASan build).
 */
#include "scenario.h"

#include "file_common.h"
#include "integ_reset.h"

#include <errno.h>

#define CACHED_LEN ((size_t)64 << 10)
#define PLAIN_LEN  ((size_t)64 << 10)
#define OLD_SEED   11 /* the cached file on disk before the run */
#define NEW_SEED   12 /* its dirty bytes, written in the cache */
#define PLAIN_SEED 13 /* the uncached file */
/*
 * The library's bounds: requests time out after RC_MS, the reconnect
 * gives up after RC_MS plus one try (with 2 s a retried reconnect timed
 * out once under a load of 13 on 2 cores; not seen alone). A run takes
 * well under a second; one still going after RC_CHILD_SEC hangs.
 */
#define RC_MS	     5000
#define RC_CHILD_SEC 40
/* Children at once: a run mostly waits for smbd's forks and replies. */
#define RC_JOBS 4
/*
 * Under ASan (a fork, a run and LeakSanitizer cost more) the EINTR sweep
 * takes every other N: 85-93 s for all three sweeps under a load of 13 on
 * 2 cores, over its 70 s. An interrupted call is only ever retried; the
 * reset and allocation sweeps, which unwind, take every N everywhere.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang */
#define RC_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(RC_ASAN)
#define RC_EINTR_STRIDE 2
#else
#define RC_EINTR_STRIDE 1
#endif

/*
 * The errors a call may end with after a fault in the reconnect: the
 * connection lost and not back (ENOTCONN, ECONNRESET, ETIMEDOUT, EPIPE),
 * a file that could not be reopened (ESTALE), a write-back that failed
 * (EIO), memory (ENOMEM, EAGAIN: a thread).
 */
static bool clean_error(long long ret)
{
	static const int ok[] = {ENOTCONN, ECONNRESET, ETIMEDOUT,
				 EPIPE,	   ESTALE,     EIO,
				 ENOMEM,   EAGAIN,     ECONNABORTED};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ret == -ok[i])
			return true;
	return false;
}

/* fault_judge(), and a failure must be one of the clean errors. */
static bool answered(const char *what, long long ret)
{
	if (fault_judge(what, ret, true))
		return true;
	if (!clean_error(ret)) {
		fprintf(stderr, "fault: reconnect: %s failed with %lld (%s)\n",
			what, ret, strerror((int)-ret));
		t_failures++;
	}
	return false;
}

/*
 * A call after the window (nothing armed): it must succeed. One fault in
 * the reconnect may fail the call that reconnects, never the connection
 * or a file for good. (An ENOMEM answering SESSION_SETUP's CHALLENGE
 * was reported as EPROTO, which gave the reconnect up: fixed in
 * session.c, this sweep found it.)
 */
static bool after(const char *what, long long ret)
{
	struct smbiov_error e;

	if (ret >= 0)
		return true;
	smbiov_last_error(&e);
	fprintf(stderr,
		"fault: reconnect: %s failed after the window: %lld (%s)\n",
		what, ret, e.message);
	t_failures++;
	return false;
}

struct rc_run {
	const char *share;
	char cached[64], plain[64];
	uint8_t *buf; /* CACHED_LEN */
	struct smbiov_client *c;
	struct smbiov_file *fc, *fp;
};

/* Before the reset: the files on disk, the connection, dirty data. */
static void rc_setup(struct rc_run *r, long nth)
{
	static const struct smbiov_open_opts strict = {
		.cache = SMBIOV_CACHE_STRICT};
	struct smbiov_options o = {.timeout_ms = RC_MS,
				   .reconnect_ms = RC_MS,
				   .close_timeout_ms = -1};
	struct smbiov_cache_stats cs;
	struct smbiov_lease_info li;

	fault_phase("setup");
	r->share = fc_env("SMB_SHARE");
	T_ASSERT(r->share);
	/* fault.<pid>.*: the sweep removes what a dead child left */
	snprintf(r->cached, sizeof(r->cached), "fault.%d.rc%ld.cached",
		 (int)getpid(), nth);
	snprintf(r->plain, sizeof(r->plain), "fault.%d.rc%ld.plain",
		 (int)getpid(), nth);
	fc_disk_file(r->share, r->cached, CACHED_LEN, OLD_SEED);
	fc_disk_file(r->share, r->plain, PLAIN_LEN, PLAIN_SEED);
	r->buf = malloc(CACHED_LEN);
	T_ASSERT(r->buf);
	r->c = fc_connect_opts(r->share, &o);
	T_ASSERT(r->c);
	T_ASSERT(smbiov_open_ex(r->c, r->cached, O_RDWR, &strict, &r->fc) == 0);
	smbiov_lease_info(r->fc, &li);
	T_ASSERT(li.state & SMBIOV_LEASE_WRITE);
	fc_fill(r->buf, CACHED_LEN, NEW_SEED, 0);
	T_ASSERT(smbiov_pwrite(r->fc, r->buf, CACHED_LEN, 0) ==
		 (ssize_t)CACHED_LEN);
	smbiov_get_cache_stats(r->c, &cs);
	T_ASSERT(cs.dirty == CACHED_LEN);
	T_ASSERT(smbiov_open(r->c, r->plain, O_RDWR, &r->fp) == 0);
	T_ASSERT(smbiov_pread(r->fp, r->buf, 4096, 0) == 4096);
}

/* What is on the server's disk; the files removed. */
static void rc_verify(struct rc_run *r, bool synced, bool said_error)
{
	char p[1024];
	size_t got = 0;
	uint8_t *disk = fc_disk_read(r->share, r->cached, &got);
	bool exact = disk && got == CACHED_LEN &&
		     fc_check(disk, got, NEW_SEED, 0) == CACHED_LEN;

	/* fsync said 0: the bytes are there */
	if (synced && !exact)
		fprintf(stderr, "fault: reconnect: fsync succeeded but the "
				"server's file is not what was written\n");
	T_EXPECT(!synced || exact);
	/* never lost without a word at fsync or close */
	if (!exact && !said_error)
		fprintf(stderr, "fault: reconnect: dirty data lost and "
				"neither fsync nor close said so\n");
	T_EXPECT(exact || said_error);
	free(disk);
	fc_disk_path(p, sizeof(p), r->share, r->cached);
	T_EXPECT_EQ(unlink(p), 0);
	fc_disk_path(p, sizeof(p), r->share, r->plain);
	T_EXPECT_EQ(unlink(p), 0);
}

static int rc_scenario(enum fault_class cls, long nth, long *count, bool *fired)
{
	unsigned port = (unsigned)atoi(fc_env("SMB_PORT"));
	struct rc_run r = {0};
	struct smbiov_cache_stats cs;
	struct smbiov_stats st;
	bool synced, ok, said = false;
	ssize_t n;

	rc_setup(&r, nth);
	fault_phase("the reset and the pread that reconnects");
	fault_arm(cls, nth ? nth : -1);
	T_EXPECT_EQ(integ_reset_port(port), 1);
	memset(r.buf, 0, PLAIN_LEN);
	n = smbiov_pread(r.fp, r.buf, PLAIN_LEN, 0);
	*count = fault_count();
	*fired = fault_fired();
	fault_arm(FAULT_NONE, 0);
	ok = answered("pread (reconnects)", n);
	if (ok) {
		T_EXPECT_EQ(n, PLAIN_LEN);
		T_EXPECT_EQ(fc_check(r.buf, PLAIN_LEN, PLAIN_SEED, 0),
			    PLAIN_LEN);
	}
	fault_phase("fsync of the dirty cached file");
	synced = after("fsync (cached)", smbiov_fsync(r.fc));
	said |= !synced;
	fault_phase("pread of the cached file");
	memset(r.buf, 0, CACHED_LEN);
	n = smbiov_pread(r.fc, r.buf, CACHED_LEN, 0);
	if (after("pread (cached)", n)) {
		T_EXPECT_EQ(n, CACHED_LEN);
		T_EXPECT_EQ(fc_check(r.buf, CACHED_LEN, NEW_SEED, 0),
			    CACHED_LEN);
	}
	fault_phase("close");
	said |= !after("close (cached)", smbiov_close(r.fc));
	after("close (uncached)", smbiov_close(r.fp));
	/* nothing dirty is left behind, no handle was lost */
	smbiov_get_cache_stats(r.c, &cs);
	T_EXPECT_EQ(cs.dirty, 0);
	smbiov_get_stats(r.c, &st);
	T_EXPECT(st.reconnects >= 1);
	T_EXPECT_EQ(st.handles_lost, 0);
	fault_phase("disconnect");
	smbiov_disconnect(r.c);
	fault_phase("verify");
	rc_verify(&r, synced, said);
	free(r.buf);
	return t_failures;
}

static const struct fault_scenario rc = {
	.name = "reconnect",
	.child_sec = RC_CHILD_SEC,
	.jobs = RC_JOBS,
	.run = rc_scenario,
};

/* FAULT_RC_ONE=CLASS:N (enum fault_class): that one run, for a look. */
static int one(const char *spec)
{
	long cls = 0, nth = 0, count;
	enum fault_outcome o;

	T_ASSERT(sscanf(spec, "%ld:%ld", &cls, &nth) == 2);
	o = fault_run_in(&rc, (enum fault_class)cls, nth,
			 cls != FAULT_ALLOC && cls != FAULT_NONE, &count);
	fprintf(stderr, "fault: reconnect: class %ld at %ld: %s, %ld counted\n",
		cls, nth,
		o == FAULT_OK_FIRED   ? "fired"
		: o == FAULT_OK_QUIET ? "quiet"
				      : "broken",
		count);
	return o == FAULT_BROKEN ? T_EXIT_FAIL : T_EXIT_PASS;
}

int main(void)
{
	long count;

	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	if (getenv("FAULT_RC_ONE"))
		return one(getenv("FAULT_RC_ONE"));
	T_EXPECT_EQ(fault_sweep_in(&rc, FAULT_SOCK_ERR, "reconnect: reset",
				   true, 1000, 1),
		    0);
	T_EXPECT_EQ(fault_sweep_in(&rc, FAULT_SOCK_EINTR, "reconnect: EINTR",
				   true, 1000, RC_EINTR_STRIDE),
		    0);
	T_EXPECT_EQ(fault_run_in(&rc, FAULT_SOCK_SHORT, 1, true, &count),
		    FAULT_OK_FIRED);
	T_EXPECT(count > 0);
	T_EXPECT_EQ(fault_sweep_in(&rc, FAULT_ALLOC, "reconnect: allocation",
				   false, 1000, 1),
		    0);
	return t_done();
}
