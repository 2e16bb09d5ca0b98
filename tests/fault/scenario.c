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
#include <time.h>
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
static int errors;
static const char *known_bug; /* this child's run hit it */
static const char *_Atomic phase = "start";

void fault_phase(const char *what)
{
	atomic_store(&phase, what);
}

int fault_errors(void)
{
	return errors;
}

void fault_known_bug(const char *bug)
{
	known_bug = bug;
}

bool fault_judge(const char *what, long long ret, bool sync)
{
	struct smbiov_error e;

	if (ret >= 0)
		return true;
	errors++;
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
	return fault_judge(what, ret, true);
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
			if (fault_judge("aio_read result",
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

static int api_run(enum fault_class cls, long nth, long *count, bool *fired)
{
	const char *user = getenv("SMB_USER"), *host = getenv("SMB_HOST");
	const char *port = getenv("SMB_PORT"), *share = getenv("SMB_SHARE");
	char url[512], name[64], name2[64];
	uint8_t *wbuf = malloc(FILE_LEN);
	uint8_t *rbuf = malloc(FILE_LEN + sizeof(struct smbiov_dirent));

	T_ASSERT(wbuf && rbuf && user && host && port && share);
	for (size_t k = 0; k < FILE_LEN; k++)
		wbuf[k] = byte_at(k);
	snprintf(url, sizeof(url), "smb://%s@%s:%s/%s", user, host, port,
		 share);
	snprintf(name, sizeof(name), "fault.%d.%ld", (int)getpid(), nth);
	snprintf(name2, sizeof(name2), "fault.%d.%ld.moved", (int)getpid(),
		 nth);
	fault_arm(cls, nth ? nth : -1);
	scenario(url, getenv("SMB_PASS"), name, name2, wbuf, rbuf);
	*fired = fault_fired();
	*count = fault_count();
	fault_arm(FAULT_NONE, 0);
	free(wbuf);
	free(rbuf);
	return 0;
}

const struct fault_scenario fault_api_scenario = {
	.name = "api",
	.child_sec = CHILD_SEC,
	.jobs = 1,
	.run = api_run,
};

/* SIGALRM: the run hangs. Say where, then die of the signal. */
static void on_hang(int sig)
{
	const char *p = atomic_load(&phase);
	ssize_t n;

	n = write(2, "fault: hung in ", 15);
	n = write(2, p, strlen(p));
	n = write(2, "\n", 1);
	(void)n;
	signal(sig, SIG_DFL);
	raise(sig);
}

/* What a child tells the sweep through the pipe. */
struct child_report {
	long count;
	int errors;
	bool known_bug;
	char bug[120];
};

static void child(const struct fault_scenario *s, enum fault_class cls,
		  long nth, bool must_succeed, int wfd)
{
	struct child_report rep = {0};
	bool fired = false;
	int failed;

	must = must_succeed;
	signal(SIGALRM, on_hang);
	alarm(s->child_sec);
	failed = s->run(cls, nth, &rep.count, &fired);
	fault_arm(FAULT_NONE, 0);
	rep.errors = errors;
	if (known_bug) {
		rep.known_bug = true;
		snprintf(rep.bug, sizeof(rep.bug), "%s", known_bug);
	}
	if (write(wfd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		t_failures++;
	if (t_failures || failed)
		exit(T_EXIT_FAIL);
	/* exit(), not _exit(): LeakSanitizer runs at exit. */
	exit(fired ? CHILD_FIRED : CHILD_QUIET);
}

/*
 * Leftovers of child @pid that died between create and unlink: a
 * scenario names its files fault.<pid>.* (other children may still run).
 */
static void cleanup_share(pid_t pid)
{
	char cmd[1024];
	const char *root = getenv("SMB_ROOT"), *share = getenv("SMB_SHARE");

	if (!root || !share)
		return;
	snprintf(cmd, sizeof(cmd), "rm -f -- '%s/%s'/fault.%d.* 2>/dev/null",
		 root, share, (int)pid);
	if (system(cmd) != 0)
		fprintf(stderr, "fault: cleanup of %s/%s failed\n", root,
			share);
}

/* Runs of the current sweep that ended with a failed call. */
static int runs_failed_clean;
/* Runs of the current sweep that hit a known bug: their N, and which. */
static int runs_known_bug;
static char known_n[256], known_what[120];

/* One child under way. */
struct fault_child {
	pid_t pid;
	int fd; /* the read end of its report */
	enum fault_class cls;
	long nth;
};

static void child_start(struct fault_child *k, const struct fault_scenario *s,
			enum fault_class cls, long nth, bool must_succeed)
{
	int p[2];

	T_ASSERT(pipe(p) == 0);
	fflush(NULL);
	k->pid = fork();
	T_ASSERT(k->pid >= 0);
	if (k->pid == 0) {
		close(p[0]);
		child(s, cls, nth, must_succeed, p[1]);
	}
	close(p[1]);
	k->fd = p[0];
	k->cls = cls;
	k->nth = nth;
}

static enum fault_outcome
child_finish(struct fault_child *k, const struct fault_scenario *s, long *count)
{
	struct child_report rep = {0};
	ssize_t got;
	int status;

	got = read(k->fd, &rep, sizeof(rep));
	close(k->fd);
	T_ASSERT(waitpid(k->pid, &status, 0) == k->pid);
	*count = got == (ssize_t)sizeof(rep) ? rep.count : 0;
	if (rep.errors)
		runs_failed_clean++;
	if (got == (ssize_t)sizeof(rep) && rep.known_bug) {
		size_t used = strlen(known_n);

		runs_known_bug++;
		if (used < sizeof(known_n) - 24)
			snprintf(known_n + used, sizeof(known_n) - used, " %ld",
				 k->nth);
		memcpy(known_what, rep.bug, sizeof(known_what));
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr,
			"fault: %s: class %d at %ld: child killed by %s%s\n",
			s->name, k->cls, k->nth, strsignal(WTERMSIG(status)),
			WTERMSIG(status) == SIGALRM ? " (hung)" : "");
		cleanup_share(k->pid);
		return FAULT_BROKEN;
	}
	if (WEXITSTATUS(status) == CHILD_FIRED)
		return FAULT_OK_FIRED;
	if (WEXITSTATUS(status) == CHILD_QUIET)
		return FAULT_OK_QUIET;
	fprintf(stderr, "fault: %s: class %d at %ld: child exit %d%s\n",
		s->name, k->cls, k->nth, WEXITSTATUS(status),
		WEXITSTATUS(status) == 23 ? " (LeakSanitizer: leak)" : "");
	cleanup_share(k->pid);
	return FAULT_BROKEN;
}

enum fault_outcome fault_run_in(const struct fault_scenario *s,
				enum fault_class cls, long nth,
				bool must_succeed, long *count)
{
	struct fault_child k;

	child_start(&k, s, cls, nth, must_succeed);
	return child_finish(&k, s, count);
}

enum fault_outcome fault_run(enum fault_class cls, long nth, bool must_succeed,
			     long *count)
{
	return fault_run_in(&fault_api_scenario, cls, nth, must_succeed, count);
}

/* The next N of a sweep after @n: by @stride through 64, then by @step. */
static long next_n(long n, long stride, long step)
{
	return n + (n < 64 ? stride : step);
}

int fault_sweep_in(const struct fault_scenario *s, enum fault_class cls,
		   const char *what, bool must_succeed, int max_points,
		   long stride)
{
	struct fault_child k[FAULT_MAX_JOBS];
	int broken = 0, runs = 0, fired = 0, nk = 0;
	int jobs = s->jobs < 1		      ? 1
		   : s->jobs > FAULT_MAX_JOBS ? FAULT_MAX_JOBS
					      : s->jobs;
	long total, count, n, step, last;
	char bad[256] = "";
	size_t used = 0;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* How many calls does a clean run make? (Counted, never fired.) */
	if (fault_run_in(s, cls, 0, true, &total) != FAULT_OK_QUIET) {
		fprintf(stderr, "fault: %s: the clean run failed\n", what);
		return 1;
	}
	if (total <= 0)
		return 1;
	runs_failed_clean = runs_known_bug = 0;
	known_n[0] = known_what[0] = 0;
	step = total / max_points + 1;
	if (stride < 1)
		stride = 1;
	if (step < stride)
		step = stride;
	/* Every N through the connect phase, then sampled; one past the end. */
	last = total + 2;
	n = next_n(0, 1, step);
	while (n <= last || nk) {
		enum fault_outcome o;
		long done;

		/* up to @jobs children at a time: each counts its own calls */
		if (n <= last && nk < jobs) {
			child_start(&k[nk++], s, cls, n, must_succeed);
			n = next_n(n, stride, step);
			continue;
		}
		done = k[0].nth;
		o = child_finish(&k[0], s, &count);
		memmove(&k[0], &k[1], (size_t)--nk * sizeof(k[0]));
		runs++;
		if (o == FAULT_BROKEN) {
			broken++;
			if (used < sizeof(bad) - 24)
				used += (size_t)snprintf(bad + used,
							 sizeof(bad) - used,
							 " %ld", done);
		} else if (o == FAULT_OK_FIRED) {
			fired++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr,
		"fault: %s: %ld calls in a clean run; %d runs (N step %ld "
		"past 64, %d at once, %.1f s), %d with the fault fired, %d "
		"ended in a clean error, %d broken%s%s\n",
		what, total, runs, step, jobs,
		(double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		fired, runs_failed_clean, broken, broken ? ": N =" : "", bad);
	if (runs_known_bug)
		fprintf(stderr,
			"fault: %s: %d runs hit a known bug (%s): N =%s\n",
			what, runs_known_bug, known_what, known_n);
	/* The sweep reached the calls: most runs really injected. */
	if (fired < runs / 2) {
		fprintf(stderr, "fault: %s: the fault fired in too few runs\n",
			what);
		return broken + 1;
	}
	return broken;
}

int fault_sweep(enum fault_class cls, const char *what, bool must_succeed,
		int max_points)
{
	return fault_sweep_in(&fault_api_scenario, cls, what, must_succeed,
			      max_points, 1);
}
