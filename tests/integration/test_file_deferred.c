// SPDX-License-Identifier: MIT
/*
 * Deferred close (cifs' closetimeo) against the fixture's smbd: a cached
 * file closed under a handle lease stays open on the server and is taken
 * back by the next open of the same kind; what closes it (another
 * client's write, this client's unlink or rename, the timer, an open of
 * other flags); a file unlinked while open is not kept; and a create of
 * a name whose deleted file another client still holds waits for it
 * (STATUS_DELETE_PENDING), then EBUSY. Moved from test_file_cache.c.
 */
#include "file_common.h"
#include "proto/ntstatus.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)

static const char *share;
static const struct smbiov_open_opts strict = {.cache = SMBIOV_CACHE_STRICT};

static struct smbiov_client *connect_close_timeout(int ms)
{
	struct smbiov_options o = {.close_timeout_ms = ms};

	return fc_connect_opts(share, &o);
}

/* Wait until no deferred file is left on @c (bounded: a hang guard). */
static bool wait_no_deferred(struct smbiov_client *c)
{
	struct smbiov_cache_stats cs;

	for (int i = 0; i < 3000; i++) {
		smbiov_get_cache_stats(c, &cs);
		if (cs.deferred_now == 0)
			return true;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	return false;
}

/*
 * Deferred close under a handle lease: close keeps the handle and its
 * cache; the same open takes it back with no request; another client's
 * write is seen through it (the breaks took R away); an unlink or a
 * rename of the file, from this connection or another, closes it first
 * (the server breaks H and waits); the timer closes what nobody takes
 * back; a negative timeout defers nothing.
 */
static void test_deferred_close(void)
{
	struct smbiov_client *a = connect_close_timeout(3600 * 1000);
	struct smbiov_client *b = fc_connect(share, NULL);
	struct smbiov_cache_stats cs;
	struct smbiov_stats s0, s1;
	struct smbiov_file *f, *fb;
	struct smbiov_stat st;
	uint8_t buf[65536], want[65536];

	T_ASSERT(a && b);
	fc_disk_file(share, "defer.bin", 1 * MiB, 71);
	T_ASSERT(smbiov_open_ex(a, "defer.bin", O_RDWR, &strict, &f) == 0);
	T_EXPECT_EQ(fc_pread(f, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_now, 1);
	T_EXPECT_EQ(cs.deferred_total, 1);
	smbiov_get_stats(a, &s0);
	T_ASSERT(smbiov_open_ex(a, "defer.bin", O_RDWR, &strict, &f) == 0);
	T_EXPECT_EQ(fc_pread(f, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	smbiov_get_stats(a, &s1);
	/* no CREATE, no READ: one QUERY_INFO checks the name */
	T_EXPECT_EQ(s1.requests, s0.requests + 1);
	T_EXPECT_EQ(fc_check(buf, sizeof(buf), 71, 0), sizeof(buf));
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_reused, 1);
	T_EXPECT_EQ(cs.deferred_now, 0);
	/*
	 * other flags: a new open, and the parked one is closed first (its
	 * lease key shared would take write caching from both)
	 */
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_ASSERT(smbiov_open_ex(a, "defer.bin", O_RDONLY, &strict, &fb) == 0);
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_now, 0);
	T_EXPECT_EQ(smbiov_close(fb), 0);
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_now, 1);

	/* b writes: a's parked handles go; a's next open reads b's bytes. */
	T_ASSERT(smbiov_open(b, "defer.bin", O_RDWR, &fb) == 0);
	fc_fill(want, sizeof(want), 72, 0);
	T_EXPECT_EQ(smbiov_pwrite(fb, want, sizeof(want), 0),
		    (ssize_t)sizeof(want));
	T_EXPECT_EQ(smbiov_close(fb), 0);
	/*
	 * b's write breaks a's lease to none (asynchronously: the write
	 * does not wait for that), which closes the parked handle.
	 */
	T_EXPECT(wait_no_deferred(a));
	T_ASSERT(smbiov_open_ex(a, "defer.bin", O_RDWR, &strict, &f) == 0);
	T_EXPECT_EQ(fc_pread(f, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	T_EXPECT(!memcmp(buf, want, sizeof(buf)));
	T_EXPECT_EQ(smbiov_close(f), 0);

	/* unlink from a itself while parked: gone at once, creatable */
	T_EXPECT_EQ(smbiov_unlink(a, "defer.bin"), 0);
	T_EXPECT_EQ(smbiov_stat(a, "defer.bin", &st), -ENOENT);
	T_ASSERT(smbiov_open_ex(a, "defer.bin", O_RDWR | O_CREAT | O_EXCL,
				&strict, &f) == 0);
	T_EXPECT_EQ(smbiov_pwrite(f, want, 100, 0), 100);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_now, 1);

	/*
	 * unlinked while open (delete-on-close): its close is not deferred,
	 * so the file goes with it and the name is free again at once
	 */
	T_ASSERT(smbiov_open_ex(a, "defer.bin", O_RDWR, &strict, &f) == 0);
	T_EXPECT_EQ(smbiov_unlink(a, "defer.bin"), 0);
	T_EXPECT_EQ(smbiov_pwrite(f, want, 100, 0), 100);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_now, 0);
	T_EXPECT_EQ(smbiov_stat(b, "defer.bin", &st), -ENOENT);
	T_ASSERT(smbiov_open_ex(a, "defer.bin", O_RDWR | O_CREAT | O_EXCL,
				&strict, &f) == 0);
	T_EXPECT_EQ(smbiov_pwrite(f, want, 100, 0), 100);
	T_EXPECT_EQ(smbiov_close(f), 0);

	/*
	 * b renames it while a has it parked (Samba breaks no lease for
	 * that): a's next open of the old name must not get the renamed
	 * file back, and the parked handle goes.
	 */
	T_EXPECT_EQ(smbiov_rename(b, "defer.bin", "defer2.bin", true), 0);
	T_EXPECT_EQ(smbiov_stat(b, "defer2.bin", &st), 0);
	T_EXPECT_EQ(st.size, 100);
	T_EXPECT_EQ(smbiov_open_ex(a, "defer.bin", O_RDWR, &strict, &f),
		    -ENOENT);
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_now, 0);
	T_EXPECT_EQ(smbiov_unlink(b, "defer2.bin"), 0);
	smbiov_disconnect(a);

	/*
	 * This client's own deletes and renames close what it keeps parked
	 * there first: a file in a directory, then the directory; a rename
	 * over a parked file.
	 */
	a = connect_close_timeout(3600 * 1000);
	T_ASSERT(a);
	T_EXPECT_EQ(smbiov_mkdir(a, "ddir"), 0);
	T_ASSERT(smbiov_open_ex(a, "ddir/x", O_RDWR | O_CREAT, &strict, &f) ==
		 0);
	T_EXPECT_EQ(smbiov_pwrite(f, want, 10, 0), 10);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_now, 1);
	T_EXPECT_EQ(smbiov_rename(a, "ddir", "ddir2", false), 0);
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_now, 0);
	T_ASSERT(smbiov_open_ex(a, "ddir2/x", O_RDWR, &strict, &f) == 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_unlink(a, "/ddir2//x"), 0);
	T_EXPECT_EQ(smbiov_rmdir(a, "ddir2"), 0);
	fc_disk_file(share, "r1.bin", 100, 75);
	fc_disk_file(share, "r2.bin", 200, 76);
	T_ASSERT(smbiov_open_ex(a, "r1.bin", O_RDONLY, &strict, &f) == 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_rename(a, "r2.bin", "r1.bin", true), 0);
	T_EXPECT_EQ(smbiov_stat(a, "r1.bin", &st), 0);
	T_EXPECT_EQ(st.size, 200);
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_now, 0);
	T_EXPECT_EQ(smbiov_unlink(a, "r1.bin"), 0);
	smbiov_disconnect(a);

	/* the timer closes what nobody takes back */
	a = connect_close_timeout(1);
	T_ASSERT(a);
	fc_disk_file(share, "defer3.bin", 1000, 73);
	T_ASSERT(smbiov_open_ex(a, "defer3.bin", O_RDONLY, &strict, &f) == 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT(wait_no_deferred(a));
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_total, 1);
	T_EXPECT_EQ(smbiov_unlink(b, "defer3.bin"), 0);
	smbiov_disconnect(a);

	/* negative: nothing deferred */
	a = connect_close_timeout(-1);
	T_ASSERT(a);
	fc_disk_file(share, "defer4.bin", 1000, 74);
	T_ASSERT(smbiov_open_ex(a, "defer4.bin", O_RDONLY, &strict, &f) == 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_total, 0);
	/* a parked file goes with its client: nothing leaks (ASan) */
	smbiov_disconnect(a);
	a = connect_close_timeout(0);
	T_ASSERT(a);
	T_ASSERT(smbiov_open_ex(a, "defer4.bin", O_RDONLY, &strict, &f) == 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_get_cache_stats(a, &cs);
	T_EXPECT_EQ(cs.deferred_now, 1);
	smbiov_disconnect(a);
	T_EXPECT_EQ(smbiov_unlink(b, "defer4.bin"), 0);
	smbiov_disconnect(b);
}

/* A create of @path on @c, on a thread of its own
 * (test_recreate_while_parked()). */
struct recreate {
	struct smbiov_client *c;
	const char *path;
	int ret;
	struct smbiov_file *f;
};

static void *recreate_main(void *arg)
{
	struct recreate *r = arg;

	r->ret = smbiov_open(r->c, r->path, O_RDWR | O_CREAT, &r->f);
	return NULL;
}

/*
 * Another client deletes a file this one keeps parked (deferred close:
 * Samba breaks no lease for a delete, so the delete stays pending while
 * the handle is open) and creates the name again at once: its create
 * waits for the name, asking again, and succeeds once the parked handle
 * goes (here: closed by an open of another kind, at a moment of the
 * test's choosing: after the create was refused once). With the file
 * open for real, the create gives up with EBUSY, not ENOENT.
 */
static void test_recreate_while_parked(void)
{
	struct smbiov_client *a = connect_close_timeout(3600 * 1000);
	struct smbiov_client *b = fc_connect(share, NULL);
	struct recreate r = {.c = b, .path = "rc.bin"};
	struct smbiov_stats s0, s1;
	struct smbiov_error e;
	struct smbiov_file *f;
	pthread_t th;

	T_ASSERT(a && b);
	fc_disk_file(share, "rc.bin", 4096, 81);
	T_ASSERT(smbiov_open_ex(a, "rc.bin", O_RDWR, &strict, &f) == 0);
	T_EXPECT_EQ(smbiov_close(f), 0); /* parked */
	T_EXPECT_EQ(smbiov_unlink(b, "rc.bin"), 0);
	fc_stats(b, &s0);
	T_ASSERT(pthread_create(&th, NULL, recreate_main, &r) == 0);
	/* the create was refused at least once (a hang guard only) */
	for (int i = 0; i < 6000; i++) {
		fc_stats(b, &s1);
		if (s1.requests >= s0.requests + 2)
			break;
		usleep(1000);
	}
	T_EXPECT(s1.requests >= s0.requests + 2);
	/* a's open of another kind closes its parked handle first */
	if (smbiov_open_ex(a, "rc.bin", O_RDONLY, &strict, &f) == 0)
		smbiov_close(f);
	pthread_join(th, NULL);
	T_EXPECT_EQ(r.ret, 0);
	if (!r.ret) {
		T_EXPECT_EQ(smbiov_pwrite(r.f, "new", 3, 0), 3);
		T_EXPECT_EQ(smbiov_close(r.f), 0);
	}
	smbiov_disconnect(a);

	/*
	 * open for real on a: b's create gives up, EBUSY (a file of its own:
	 * whether a's open above found b's new file depends on the order)
	 */
	a = fc_connect(share, NULL);
	T_ASSERT(a);
	fc_disk_file(share, "rc1.bin", 100, 83);
	if (smbiov_open(a, "rc1.bin", O_RDONLY, &f)) {
		smbiov_last_error(&e);
		fprintf(stderr, "open rc1.bin: %s\n", e.message);
		T_ASSERT(false);
	}
	T_EXPECT_EQ(smbiov_unlink(b, "rc1.bin"), 0);
	T_EXPECT_EQ(smbiov_open(b, "rc1.bin", O_RDWR | O_CREAT, &r.f), -EBUSY);
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.ntstatus, STATUS_DELETE_PENDING);
	T_EXPECT(strstr(e.message, "another client") != NULL);
	/* an open that does not create: ENOENT at once */
	T_EXPECT_EQ(smbiov_open(b, "rc1.bin", O_RDONLY, &r.f), -ENOENT);
	T_EXPECT_EQ(smbiov_close(f), 0);
	/* the file open here, unlinked here: EBUSY at once, nothing to wait for
	 */
	fc_disk_file(share, "rc2.bin", 100, 82);
	T_ASSERT(smbiov_open(a, "rc2.bin", O_RDONLY, &f) == 0);
	T_EXPECT_EQ(smbiov_unlink(a, "rc2.bin"), 0);
	fc_stats(a, &s0);
	T_EXPECT_EQ(smbiov_open(a, "rc2.bin", O_RDWR | O_CREAT, &r.f), -EBUSY);
	fc_stats(a, &s1);
	T_EXPECT_EQ(s1.requests, s0.requests + 1); /* asked once */
	smbiov_last_error(&e);
	T_EXPECT(strstr(e.message, "still open here") != NULL);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(a);
	smbiov_disconnect(b);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	share = fc_env("SMB_SHARE");
	T_RUN(test_deferred_close);
	T_RUN(test_recreate_while_parked);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	return t_done();
}
