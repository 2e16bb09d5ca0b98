/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "rtmp.h"

/*
 * Interrupted (SIGINT, SIGTERM, SIGHUP) while a temporary file that is
 * not marked delete-on-close is written (reconnect on): the signal
 * handler cannot talk to the server, so it wakes the reaper thread, which
 * marks the file through the library (the client is thread-safe; the
 * server deletes the file when the exiting process's handles close) and
 * then exits as the handler would (cli_interrupted_exit).
 */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rtmp *live; /* under live_lock */
static volatile sig_atomic_t live_set;
static int wake[2] = {-1, -1};
static pthread_once_t reaper_once = PTHREAD_ONCE_INIT;

static void *reaper(void *arg)
{
	unsigned char b;

	(void)arg;
	while (read(wake[0], &b, 1) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&live_lock);
	if (live && live->f && live->marked != 1)
		smbiov_set_delete_on_close(live->f, true);
	cli_interrupted_exit();
	return NULL;
}

static void reaper_start(void)
{
	pthread_t th;

	if (pipe2(wake, O_CLOEXEC))
		return;
	if (pthread_create(&th, NULL, reaper, NULL)) {
		close(wake[0]);
		close(wake[1]);
		wake[0] = wake[1] = -1;
		return;
	}
	pthread_detach(th);
}

static void live_add(struct rtmp *t)
{
	pthread_once(&reaper_once, reaper_start);
	pthread_mutex_lock(&live_lock);
	live = t;
	live_set = wake[1] >= 0;
	pthread_mutex_unlock(&live_lock);
}

/* Before @t's handle closes: the reaper must not use it any more. */
static void live_del(struct rtmp *t)
{
	pthread_mutex_lock(&live_lock);
	if (live == t) {
		live = NULL;
		live_set = 0;
	}
	pthread_mutex_unlock(&live_lock);
}

bool rtmp_signal(void)
{
	unsigned char b = 1;

	return live_set && write(wake[1], &b, 1) == 1;
}

char *rtmp_name(const char *rpath)
{
	const char *slash = strrchr(rpath, '/');
	int dirlen = slash ? (int)(slash - rpath) + 1 : 0;
	uint64_t r = 0;
	char *out;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		r = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^
		    (uint64_t)(uintptr_t)&r;
	if (fd >= 0)
		close(fd);
	if (asprintf(&out, "%.*s.smbiov-%016llx.part", dirlen, rpath,
		     (unsigned long long)r) < 0)
		return NULL;
	return out;
}

int rtmp_open(struct rtmp *t, struct smbiov_client *c, const char *rpath)
{
	int ret;

	*t = (struct rtmp){.c = c, .path = rtmp_name(rpath)};
	if (!t->path)
		return -ENOMEM;
	ret = smbiov_open(c, t->path,
			  O_WRONLY | O_CREAT | O_EXCL | SMBIOV_O_DELETE, &t->f);
	/*
	 * A reconnect may have sent the CREATE again after its answer was
	 * lost: the first one made the file, the second finds it. With 64
	 * random bits in its name it is ours; open it as it is (empty).
	 */
	if (ret == -EEXIST)
		ret = smbiov_open(c, t->path,
				  O_WRONLY | O_TRUNC | SMBIOV_O_DELETE, &t->f);
	if (ret) {
		free(t->path);
		t->path = NULL;
		return ret;
	}
	live_add(t);
	return 0;
}

void rtmp_mark(void *arg)
{
	struct rtmp *t = arg;
	struct smbiov_conn_info ci;

	smbiov_get_info(t->c, &ci);
	if (ci.dialect < SMBIOV_DIALECT_300)
		return;
	t->marked = smbiov_set_delete_on_close(t->f, true) ? -1 : 1;
}

int rtmp_commit(struct rtmp *t, uint64_t sent, const char *rpath)
{
	struct smbiov_stat rst;
	int ret;

	ret = smbiov_fstat(t->f, &rst);
	if (!ret && rst.size != sent)
		ret = -EIO;
	if (!ret && t->marked == 1)
		ret = smbiov_set_delete_on_close(t->f, false);
	if (ret)
		return ret;
	t->marked = 0;
	live_del(t);
	ret = smbiov_close(t->f);
	t->f = NULL;
	if (!ret)
		ret = smbiov_rename(t->c, t->path, rpath, true);
	return ret;
}

void rtmp_drop(struct rtmp *t)
{
	live_del(t);
	if (t->f)
		smbiov_close(t->f);
	t->f = NULL;
	if (t->path && t->marked != 1)
		smbiov_unlink(t->c, t->path);
	rtmp_release(t);
}

void rtmp_release(struct rtmp *t)
{
	live_del(t);
	if (t->f)
		smbiov_close(t->f);
	free(t->path);
	*t = (struct rtmp){.c = t->c};
}
