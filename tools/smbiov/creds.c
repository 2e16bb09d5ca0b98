/* SPDX-License-Identifier: MIT */
/*
 * Credentials: the mount.cifs credentials-file format and the terminal
 * prompt. Password memory is wiped before it is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "creds.h"

#define CREDS_MAX_FILE (64 * 1024)

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void creds_release(struct cli_creds *c)
{
	free(c->user);
	free(c->domain);
	wipe_free(c->password);
	memset(c, 0, sizeof(*c));
}

static bool key_is(const char *k, size_t n, const char *const *names)
{
	for (; *names; names++)
		if (strlen(*names) == n && !strncasecmp(k, *names, n))
			return true;
	return false;
}

static const char *const key_user[] = {"username", "user", NULL};
static const char *const key_pass[] = {"password", "pass", NULL};
static const char *const key_domain[] = {"domain", "dom", "workgroup", NULL};

/* Replace *@field by a copy of [v, v + n); the last occurrence wins. */
static int set_field(char **field, const char *v, size_t n, bool secret)
{
	char *s = strndup(v, n);

	if (!s)
		return -ENOMEM;
	if (secret)
		wipe_free(*field);
	else
		free(*field);
	*field = s;
	return 0;
}

/* "DOMAIN\user" or "DOMAIN/user" in username= (mount.cifs does this). */
static int split_user(struct cli_creds *c, bool have_domain)
{
	char *sep = strpbrk(c->user, "\\/");
	char *u;

	if (!sep)
		return 0;
	if (sep == c->user || !sep[1])
		return -EINVAL;
	if (!have_domain) {
		free(c->domain);
		c->domain = strndup(c->user, (size_t)(sep - c->user));
		if (!c->domain)
			return -ENOMEM;
	}
	u = strdup(sep + 1);
	if (!u)
		return -ENOMEM;
	free(c->user);
	c->user = u;
	return 0;
}

int creds_parse(const char *text, size_t len, struct cli_creds *out,
		int *bad_line)
{
	const char *p = text, *end = text + len;
	bool have_domain = false;
	int line = 0, ret = 0;

	memset(out, 0, sizeof(*out));
	*bad_line = 0;
	while (p < end && !ret) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *eq;
		size_t n;

		line++;
		/* leading blanks are skipped, as mount.cifs does */
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		n = (size_t)(e - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0 || *p == '#') {
			p = e + 1;
			continue;
		}
		eq = memchr(p, '=', n);
		if (!eq || eq == p) {
			*bad_line = line;
			ret = -EINVAL;
			break;
		}
		{
			size_t klen = (size_t)(eq - p);
			const char *v = eq + 1;
			size_t vlen = n - klen - 1;

			/* "username = x": blanks around the key only */
			while (klen &&
			       (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
				klen--;
			if (memchr(v, '\0', vlen)) {
				*bad_line = line;
				ret = -EINVAL;
			} else if (key_is(p, klen, key_user)) {
				ret = set_field(&out->user, v, vlen, false);
			} else if (key_is(p, klen, key_pass)) {
				ret = set_field(&out->password, v, vlen, true);
			} else if (key_is(p, klen, key_domain)) {
				ret = set_field(&out->domain, v, vlen, false);
				have_domain = true;
			}
		}
		p = e + 1;
	}
	if (!ret && out->user)
		ret = split_user(out, have_domain);
	if (ret == -EINVAL && !*bad_line)
		*bad_line = line;
	if (ret)
		creds_release(out);
	return ret;
}

int creds_load(const char *path, struct cli_creds *out, bool *insecure)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, ret, bad_line;

	memset(out, 0, sizeof(*out));
	*insecure = false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out_close;
	}
	/*
	 * A regular file, or a pipe: a FIFO or bash's <(...) hands the
	 * secret over without a file on disk (read to its end, bounded).
	 */
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		fprintf(stderr,
			"smbiov: %s: credentials must be a regular file or a "
			"pipe\n",
			path);
		ret = -EINVAL;
		goto out_close;
	}
	if (st.st_size > CREDS_MAX_FILE) {
		ret = -EFBIG;
		goto out_close;
	}
	*insecure =
		S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
	buf = malloc(CREDS_MAX_FILE);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	for (;;) {
		ssize_t r = read(fd, buf + got, CREDS_MAX_FILE - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out_free;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got == CREDS_MAX_FILE) {
			ret = -EFBIG;
			goto out_free;
		}
	}
	ret = creds_parse(buf, got, out, &bad_line);
	if (ret == -EINVAL)
		fprintf(stderr, "smbiov: %s:%d: expected key=value\n", path,
			bad_line);
out_free:
	explicit_bzero(buf, got);
	free(buf);
out_close:
	close(fd);
	return ret;
}

/* The prompt's terminal state, for the signal handler to restore. */
static int prompt_fd = -1;
static struct termios prompt_saved;
static volatile sig_atomic_t prompt_active;

void creds_signal_restore(void)
{
	if (prompt_active)
		tcsetattr(prompt_fd, TCSAFLUSH, &prompt_saved);
}

static int tty_write(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int creds_prompt(const char *prompt, char **out)
{
	struct termios t;
	char buf[512];
	size_t n = 0;
	int fd, ret = 0;

	*out = NULL;
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -ENXIO;
	if (tcgetattr(fd, &t)) {
		close(fd);
		return -ENXIO;
	}
	prompt_saved = t;
	prompt_fd = fd;
	prompt_active = 1;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	t.c_lflag |= ICANON;
	tcsetattr(fd, TCSAFLUSH, &t);
	tty_write(fd, prompt);
	for (;;) {
		char ch;
		ssize_t r = read(fd, &ch, 1);

		if (r < 0 && errno == EINTR) {
			ret = -EINTR;
			break;
		}
		if (r <= 0 || ch == '\n' || ch == '\r')
			break;
		if (n + 1 < sizeof(buf))
			buf[n++] = ch;
	}
	buf[n] = '\0';
	tcsetattr(fd, TCSAFLUSH, &prompt_saved);
	prompt_active = 0;
	tty_write(fd, "\n");
	close(fd);
	prompt_fd = -1;
	if (!ret) {
		*out = strdup(buf);
		if (!*out)
			ret = -ENOMEM;
	}
	explicit_bzero(buf, sizeof(buf));
	return ret;
}
