/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "localfile.h"
#include "resume.h"

#define RESUME_MAGIC "smbiov-resume 1"
/* A record is a few lines; anything longer is not one of ours. */
#define RESUME_MAX 16384

/* mkdir -p for the few levels of the state directory. */
static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static char *state_dir(void)
{
	const char *d = getenv("SMBIOV_STATE_DIR");
	const char *x = getenv("XDG_STATE_HOME");
	const char *h = getenv("HOME");
	char *out = NULL;
	int n;

	if (d && *d == '/')
		n = asprintf(&out, "%s/partial", d);
	else if (x && *x == '/')
		n = asprintf(&out, "%s/smbiov/partial", x);
	else if (h && *h == '/')
		n = asprintf(&out, "%s/.local/state/smbiov/partial", h);
	else
		return NULL;
	return n < 0 ? NULL : out;
}

/* FNV-1a over the key's parts, each with its terminating NUL. */
static uint64_t key_hash(const char *kind, const char *local,
			 const char *remote)
{
	const char *parts[] = {kind, local, remote};
	uint64_t h = LOCAL_FNV_INIT;

	for (size_t i = 0; i < 3; i++)
		h = local_fnv1a(h, parts[i], strlen(parts[i]) + 1);
	return h;
}

/* @local made absolute without resolving links (the name the user gave). */
static char *absolute(const char *local)
{
	char cwd[PATH_MAX];
	char *out;

	if (local[0] == '/')
		return strdup(local);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, local) < 0)
		return NULL;
	return out;
}

int resume_init(struct resume_rec *r, const char *kind, const char *local,
		const char *host, const char *share, const char *path)
{
	char *dir;
	int n;

	memset(r, 0, sizeof(*r));
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	r->local = absolute(local);
	if (asprintf(&r->remote, "//%s/%s/%s", host, share, path) < 0)
		r->remote = NULL;
	if (!r->local || !r->remote) {
		resume_release(r);
		return -ENOMEM;
	}
	dir = state_dir();
	if (!dir) {
		resume_release(r);
		return -ENOENT;
	}
	n = asprintf(&r->path, "%s/%016" PRIx64, dir,
		     key_hash(r->kind, r->local, r->remote));
	free(dir);
	if (n < 0) {
		r->path = NULL;
		resume_release(r);
		return -ENOMEM;
	}
	return 0;
}

void resume_release(struct resume_rec *r)
{
	free(r->local);
	free(r->remote);
	free(r->temp);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

/* The value of "NAME VALUE\n" in @buf, up to its newline (NUL-ended). */
static char *field(char *buf, const char *name)
{
	size_t n = strlen(name);

	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');

		if (!strncmp(line, name, n) && line[n] == ' ') {
			if (nl)
				*nl = '\0';
			return line + n + 1;
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static bool num(char *buf, const char *name, uint64_t *v)
{
	char *s = field(buf, name), *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end;
}

static char *read_small(const char *path)
{
	char *buf = malloc(RESUME_MAX + 1);
	ssize_t n = -1;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, RESUME_MAX + 1);
		close(fd);
	}
	if (n < 0 || n > RESUME_MAX) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int resume_load(struct resume_rec *r)
{
	/* each field() cuts its line: look every one up in a fresh copy */
	static const char *const names[] = {
		"size", "mtime_ns", "ctime_ns", "id", "dev", "temp_id", "done"};
	uint64_t v[7];
	char *buf, *copy, *s;
	bool ok = true;

	if (!r->path)
		return -ENOENT;
	if (access(r->path, F_OK))
		return -ENOENT;
	buf = read_small(r->path);
	if (!buf)
		return -EPROTO;
	copy = malloc(strlen(buf) + 1);
	ok = copy && !strncmp(buf, RESUME_MAGIC "\n", strlen(RESUME_MAGIC) + 1);
	for (size_t i = 0; ok && i < 7; i++)
		ok = num(strcpy(copy, buf), names[i], &v[i]);
	ok = ok && (s = field(strcpy(copy, buf), "kind")) &&
	     !strcmp(s, r->kind);
	ok = ok && (s = field(strcpy(copy, buf), "local")) &&
	     !strcmp(s, r->local);
	ok = ok && (s = field(strcpy(copy, buf), "remote")) &&
	     !strcmp(s, r->remote);
	ok = ok && (s = field(strcpy(copy, buf), "temp")) && *s &&
	     (r->temp = strdup(s));
	free(copy);
	free(buf);
	if (!ok)
		return -EPROTO;
	r->size = v[0];
	r->mtime_ns = (int64_t)v[1];
	r->ctime_ns = (int64_t)v[2];
	r->id = v[3];
	r->dev = v[4];
	r->temp_id = v[5];
	r->done = v[6];
	return 0;
}

int resume_save(const struct resume_rec *r)
{
	char *tmp = NULL, *dir;
	FILE *fp;
	int ret = 0;

	if (!r->path || !r->temp)
		return -ENOENT;
	dir = strdup(r->path);
	if (!dir)
		return -ENOMEM;
	*strrchr(dir, '/') = '\0';
	ret = mkdirs(dir);
	free(dir);
	if (ret)
		return ret;
	/*
	 * One fixed temporary name per record: a process killed between the
	 * write and the rename leaves it, and the next save or the drop
	 * takes it away (one transfer per key saves at a time).
	 */
	if (asprintf(&tmp, "%s.tmp", r->path) < 0)
		return -ENOMEM;
	fp = fopen(tmp, "we");
	if (!fp) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	/* Names with a newline cannot be recorded: no resume for them. */
	if (strchr(r->local, '\n') || strchr(r->remote, '\n') ||
	    strchr(r->temp, '\n'))
		ret = -EINVAL;
	else if (fprintf(fp,
			 RESUME_MAGIC "\nkind %s\nlocal %s\nremote %s\n"
				      "temp %s\nsize %" PRIu64 "\n"
				      "mtime_ns %" PRIu64 "\nctime_ns %" PRIu64
				      "\nid %" PRIu64 "\ndev %" PRIu64 "\n"
				      "temp_id %" PRIu64 "\ndone %" PRIu64 "\n",
			 r->kind, r->local, r->remote, r->temp, r->size,
			 (uint64_t)r->mtime_ns, (uint64_t)r->ctime_ns, r->id,
			 r->dev, r->temp_id, r->done) < 0)
		ret = -EIO;
	if (fclose(fp) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, r->path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

void resume_drop(const struct resume_rec *r)
{
	char *tmp;

	if (!r->path)
		return;
	unlink(r->path);
	if (asprintf(&tmp, "%s.tmp", r->path) >= 0) {
		unlink(tmp);
		free(tmp);
	}
}

const char *resume_source_differs(const struct resume_rec *was,
				  const struct resume_rec *now)
{
	if (was->size != now->size)
		return "its size changed";
	if (was->mtime_ns != now->mtime_ns)
		return "its modification time changed";
	if (was->ctime_ns != now->ctime_ns)
		return "its change time changed";
	if (was->id != now->id || was->dev != now->dev)
		return "it is another file now";
	if (was->done > was->size)
		return "the record counts more bytes than the file has";
	return NULL;
}

void resume_checkpoint(void *arg, uint64_t upto)
{
	struct resume_job *j = arg;

	j->r.done = upto;
	resume_save(&j->r);
}

void resume_say_continue(const char *name, uint64_t start, uint64_t size)
{
	fprintf(stderr, "smbiov: %s: continuing at byte %llu of %llu\n", name,
		(unsigned long long)start, (unsigned long long)size);
}

void resume_say_restart(const char *name, const char *why)
{
	fprintf(stderr, "smbiov: %s: not resuming (%s): starting over\n", name,
		why);
}
