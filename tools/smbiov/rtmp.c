/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtmp.h"

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
	if (ret) {
		free(t->path);
		t->path = NULL;
	}
	return ret;
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
	ret = smbiov_close(t->f);
	t->f = NULL;
	if (!ret)
		ret = smbiov_rename(t->c, t->path, rpath, true);
	return ret;
}

void rtmp_drop(struct rtmp *t)
{
	if (t->f)
		smbiov_close(t->f);
	t->f = NULL;
	if (t->path && t->marked != 1)
		smbiov_unlink(t->c, t->path);
	rtmp_release(t);
}

void rtmp_release(struct rtmp *t)
{
	if (t->f)
		smbiov_close(t->f);
	free(t->path);
	*t = (struct rtmp){.c = t->c};
}
