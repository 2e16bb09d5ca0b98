// SPDX-License-Identifier: MIT
/*
 * The scenario and the sweep driver (scenario.h). The child's buffers are
 * allocated before the fault is armed, and the scenario itself makes no
 * allocation of its own while armed, so the counted calls are the
 * library's (and the few libc makes on its behalf through it).
 */
#include "scenario.h"

#include "integ.h"
#include "t.h"

#include <smbiov/smbiov.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILE_LEN  ((size_t)3 << 20)
#define AIO_LEN	  ((size_t)1 << 20)
#define CHILD_SEC 60 /* "nothing hangs": far above any request timeout */

/* Exit codes of the child (LeakSanitizer exits with 23). */
#define CHILD_FIRED 10
#define CHILD_QUIET 11

static uint8_t byte_at(size_t off)
{
	return (uint8_t)(off * 131 + (off >> 11) * 7 + 3);
}

static bool must;

/*
 * A call returned @ret: a failure must be a negative errno with the
 * thread's last error saying the same in words. Returns true on success.
 */
static bool judge_ret(const char *what, long long ret, bool sync)
{
	struct smbiov_error e;

	if (ret >= 0)
		return true;
	smbiov_last_error(&e);
	if (must)
		fprintf(stderr,
			"fault: %s failed (%lld: %s) with nothing "
			"injected that may fail it\n",
			what, ret, e.message);
	T_EXPECT(!must);
	T_EXPECT(ret >= -4095);
	/* An asynchronous result is not the calling thread's last error. */
	if (sync && (e.err != ret || !e.message[0])) {
		fprintf(stderr,
			"fault: %s returned %lld, but the last error says "
			"%d \"%s\"\n",
			what, ret, e.err, e.message);
		t_failures++;
	}
	return false;
}

static bool judge(const char *what, long long ret)
{
	return judge_ret(what, ret, true);
}

struct aio_res {
	_Atomic int runs;
	_Atomic long long result;
};

static void aio_done(void *arg, ssize_t result)
{
	struct aio_res *r = arg;

	atomic_store(&r->result, (long long)result);
	atomic_fetch_add(&r->runs, 1);
}

/*
 * The file layer's paths (src/fs): a write kept in the page cache under
 * the lease, read back from it, a direct read that must see it (written
 * back first), fsync, and a close that may be deferred (the disconnect
 * then closes it). Contents are checked only while every call before
 * succeeded: after a failed write-back the server may hold old bytes.
 */
static void cached(struct smbiov_client *c, const char *name,
		   const uint8_t *wbuf, uint8_t *rbuf, bool wrote)
{
	const size_t len = AIO_LEN, dlen = 65536;
	struct smbiov_file *f;
	struct smbiov_iter it;
	bool ok = wrote;
	ssize_t n;

	if (!judge("open_ex", smbiov_open_ex(c, name, O_RDWR, NULL, &f)))
		return;
	/* the file's second MiB written over its third */
	n = smbiov_pwrite(f, wbuf + len, len, 2 * len);
	ok &= judge("cached pwrite", n) && n == (ssize_t)len;
	n = smbiov_pread(f, rbuf, len, 2 * len);
	if (judge("cached pread", n) && ok) {
		T_EXPECT_EQ(n, len);
		T_EXPECT(!memcmp(rbuf, wbuf + len, len));
	}
	ok &= n == (ssize_t)len;
	memset(rbuf, 0, dlen);
	T_ASSERT(!smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, rbuf, dlen));
	n = smbiov_read_iter_ex(f, &it, 2 * len, SMBIOV_RW_DIRECT);
	if (judge("direct read", n) && ok) {
		T_EXPECT_EQ(n, dlen);
		T_EXPECT(!memcmp(rbuf, wbuf + len, dlen));
	}
	judge("fsync", smbiov_fsync(f));
	judge("close (cached)", smbiov_close(f));
}

static void scenario(const char *url, const char *pass, const char *name,
		     const char *name2, uint8_t *wbuf, uint8_t *rbuf)
{
	struct smbiov_options o = {.password = pass, .timeout_ms = 10000};
	struct smbiov_client *c = NULL;
	struct smbiov_file *f = NULL;
	struct smbiov_stat st;
	struct smbiov_statvfs sv;
	struct smbiov_dir *d;
	struct smbiov_dirent *ent = (struct smbiov_dirent *)(rbuf + FILE_LEN);
	struct aio_res ar = {0};
	struct smbiov_iter it;
	bool wrote = false, named2 = false;
	ssize_t n;
	int ret;

	if (!judge("connect", smbiov_connect(url, &o, &c)))
		return;
	if (judge("open",
		  smbiov_open(c, name, O_RDWR | O_CREAT | O_TRUNC, &f))) {
		n = smbiov_pwrite(f, wbuf, FILE_LEN, 0);
		if (judge("pwrite", n)) {
			T_EXPECT_EQ(n, FILE_LEN);
			wrote = n == (ssize_t)FILE_LEN;
		}
		n = smbiov_pread(f, rbuf, FILE_LEN, 0);
		if (judge("pread", n) && wrote) {
			T_EXPECT_EQ(n, FILE_LEN);
			T_EXPECT(n != (ssize_t)FILE_LEN ||
				 !memcmp(rbuf, wbuf, FILE_LEN));
		}
		memset(rbuf, 0, AIO_LEN);
		T_ASSERT(!smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, rbuf,
					   AIO_LEN));
		ret = smbiov_aio_read(f, &it, 4096, aio_done, &ar);
		if (judge("aio_read", ret)) {
			judge("aio_wait", smbiov_aio_wait(c));
			/* done() ran exactly once, before aio_wait returned */
			T_EXPECT_EQ(atomic_load(&ar.runs), 1);
			if (judge_ret("aio_read result",
				      atomic_load(&ar.result), false) &&
			    wrote) {
				T_EXPECT_EQ(atomic_load(&ar.result), AIO_LEN);
				T_EXPECT(!memcmp(rbuf, wbuf + 4096, AIO_LEN));
			}
		}
		if (judge("fstat", smbiov_fstat(f, &st)) && wrote)
			T_EXPECT_EQ(st.size, FILE_LEN);
		/* close releases the file whatever it returns */
		judge("close", smbiov_close(f));
	}
	cached(c, name, wbuf, rbuf, wrote);
	if (judge("stat", smbiov_stat(c, name, &st)) && wrote)
		T_EXPECT_EQ(st.size, FILE_LEN);
	if (judge("opendir", smbiov_opendir(c, "", &d))) {
		int k = 0;

		while ((ret = smbiov_readdir(d, ent)) == 1 && k < 100000)
			k++;
		judge("readdir", ret);
		judge("closedir", smbiov_closedir(d));
	}
	if (judge("rename", smbiov_rename(c, name, name2, true)))
		named2 = true;
	judge("unlink", smbiov_unlink(c, named2 ? name2 : name));
	judge("statvfs", smbiov_statvfs(c, &sv));
	smbiov_disconnect(c);
}

static void child(enum fault_class cls, long nth, bool must_succeed, int wfd)
{
	const char *user = getenv("SMB_USER"), *host = getenv("SMB_HOST");
	const char *port = getenv("SMB_PORT"), *share = getenv("SMB_SHARE");
	char url[512], name[64], name2[64];
	uint8_t *wbuf = malloc(FILE_LEN);
	uint8_t *rbuf = malloc(FILE_LEN + sizeof(struct smbiov_dirent));
	long count;
	bool fired;

	T_ASSERT(wbuf && rbuf && user && host && port && share);
	for (size_t k = 0; k < FILE_LEN; k++)
		wbuf[k] = byte_at(k);
	snprintf(url, sizeof(url), "smb://%s@%s:%s/%s", user, host, port,
		 share);
	snprintf(name, sizeof(name), "fault.%d.%ld", (int)getpid(), nth);
	snprintf(name2, sizeof(name2), "fault.%d.%ld.moved", (int)getpid(),
		 nth);
	must = must_succeed;
	alarm(CHILD_SEC);
	fault_arm(cls, nth ? nth : -1);
	scenario(url, getenv("SMB_PASS"), name, name2, wbuf, rbuf);
	fired = fault_fired();
	count = fault_count();
	fault_arm(FAULT_NONE, 0);
	if (write(wfd, &count, sizeof(count)) != (ssize_t)sizeof(count))
		t_failures++;
	free(wbuf);
	free(rbuf);
	if (t_failures)
		exit(T_EXIT_FAIL);
	/* exit(), not _exit(): LeakSanitizer runs at exit. */
	exit(fired ? CHILD_FIRED : CHILD_QUIET);
}

/* Leftovers of a child that died between create and unlink. */
static void cleanup_share(void)
{
	char cmd[1024];
	const char *root = getenv("SMB_ROOT"), *share = getenv("SMB_SHARE");

	if (!root || !share)
		return;
	snprintf(cmd, sizeof(cmd), "rm -f -- '%s/%s'/fault.* 2>/dev/null", root,
		 share);
	if (system(cmd) != 0)
		fprintf(stderr, "fault: cleanup of %s/%s failed\n", root,
			share);
}

enum fault_outcome fault_run(enum fault_class cls, long nth, bool must_succeed,
			     long *count)
{
	int p[2], status;
	pid_t pid;
	ssize_t got;

	*count = 0;
	T_ASSERT(pipe(p) == 0);
	fflush(NULL);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child(cls, nth, must_succeed, p[1]);
	}
	close(p[1]);
	got = read(p[0], count, sizeof(*count));
	close(p[0]);
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	if (got != (ssize_t)sizeof(*count))
		*count = 0;
	if (WIFSIGNALED(status)) {
		fprintf(stderr,
			"fault: class %d at %ld: child killed by %s%s\n", cls,
			nth, strsignal(WTERMSIG(status)),
			WTERMSIG(status) == SIGALRM ? " (hung)" : "");
		cleanup_share();
		return FAULT_BROKEN;
	}
	if (WEXITSTATUS(status) == CHILD_FIRED)
		return FAULT_OK_FIRED;
	if (WEXITSTATUS(status) == CHILD_QUIET)
		return FAULT_OK_QUIET;
	fprintf(stderr, "fault: class %d at %ld: child exit %d%s\n", cls, nth,
		WEXITSTATUS(status),
		WEXITSTATUS(status) == 23 ? " (LeakSanitizer: leak)" : "");
	cleanup_share();
	return FAULT_BROKEN;
}

int fault_sweep(enum fault_class cls, const char *what, bool must_succeed,
		int max_points)
{
	long total, count, n, step;
	int broken = 0, runs = 0, fired = 0;

	/* How many calls does a clean run make? (Counted, never fired.) */
	if (fault_run(cls, 0, true, &total) != FAULT_OK_QUIET) {
		fprintf(stderr, "fault: %s: the clean run failed\n", what);
		return 1;
	}
	if (total <= 0)
		return 1;
	step = total / max_points + 1;
	/* Every N through the connect phase, then sampled; one past the end. */
	for (n = 1; n <= total + 2; n += n < 64 ? 1 : step) {
		enum fault_outcome o = fault_run(cls, n, must_succeed, &count);

		runs++;
		if (o == FAULT_BROKEN)
			broken++;
		else if (o == FAULT_OK_FIRED)
			fired++;
	}
	fprintf(stderr,
		"fault: %s: %ld calls in a clean run; %d runs, %d with the "
		"fault fired, %d broken\n",
		what, total, runs, fired, broken);
	/* The sweep reached the calls: most runs really injected. */
	if (fired < runs / 2) {
		fprintf(stderr, "fault: %s: the fault fired in too few runs\n",
			what);
		return broken + 1;
	}
	return broken;
}
