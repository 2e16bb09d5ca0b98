/* SPDX-License-Identifier: MIT */
/*
 * ref_client: the reference client of bench/smb_bench. A copy done the
 * classic simple way with the public API only: connect, open, then one
 * synchronous 1 MiB smbiov_pread() into one buffer followed by write() to
 * the local file, until end of file (get); or read() of 1 MiB into one
 * buffer followed by smbiov_pwrite() (put). No splice, no asynchronous
 * I/O, no parallel streams, no fsync, no temporary file: what a program
 * written against the library in an afternoon does.
 *
 *   ref_client [--sign] [--encrypt] get smb://user@host[:port]/share/path FILE
 *   ref_client [--sign] [--encrypt] put FILE smb://user@host[:port]/share/path
 *
 * The password comes from SMBIOV_PASSWORD, as for the smbiov CLI.
 * Exit status: 0 done, 1 failed (one message on stderr), 2 usage.
 */
#include <smbiov/smbiov.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)

/* One line on stderr: what failed, on which name, and why. */
static int fail(const char *what, const char *name, int err)
{
	fprintf(stderr, "ref_client: %s %s: %s\n", what, name, strerror(-err));
	return 1;
}

static int fail_smb(const char *what, const char *name, int err)
{
	struct smbiov_error e;

	smbiov_last_error(&e);
	if (!e.message[0])
		return fail(what, name, err);
	fprintf(stderr, "ref_client: %s %s: %s\n", what, name, e.message);
	return 1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int get(struct smbiov_file *f, const char *url, const char *local,
	       char *buf)
{
	uint64_t off = 0;
	int fd, ret = 0;

	fd = open(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail("open", local, -errno);
	for (;;) {
		ssize_t n = smbiov_pread(f, buf, CHUNK, off);

		if (n < 0) {
			ret = fail_smb("read", url, (int)n);
			break;
		}
		if (n == 0)
			break;
		ret = write_all(fd, buf, (size_t)n);
		if (ret) {
			ret = fail("write", local, ret);
			break;
		}
		off += (uint64_t)n;
	}
	if (close(fd) && !ret)
		ret = fail("close", local, -errno);
	return ret;
}

static int put(struct smbiov_file *f, const char *url, const char *local,
	       char *buf)
{
	uint64_t off = 0;
	int fd, ret = 0;

	fd = open(local, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open", local, -errno);
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK), done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = fail("read", local, -errno);
			break;
		}
		if (n == 0)
			break;
		while (done < n) {
			ssize_t w = smbiov_pwrite(f, buf + done,
						  (size_t)(n - done), off);

			if (w <= 0) {
				ret = fail_smb("write", url, w ? (int)w : -EIO);
				break;
			}
			done += w;
			off += (uint64_t)w;
		}
		if (ret)
			break;
	}
	close(fd);
	return ret;
}

static int usage(void)
{
	fprintf(stderr, "usage: ref_client [--sign] [--encrypt] get URL FILE\n"
			"       ref_client [--sign] [--encrypt] put FILE URL\n"
			"password from SMBIOV_PASSWORD\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct smbiov_options opt = {0};
	struct smbiov_client *c = NULL;
	struct smbiov_file *f = NULL;
	struct smbiov_url u;
	const char *url, *local;
	char *buf;
	int i = 1, ret, is_get;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--sign"))
			opt.sign = SMBIOV_REQUIRED;
		else if (!strcmp(argv[i], "--encrypt"))
			opt.encrypt = SMBIOV_REQUIRED;
		else
			return usage();
	}
	if (argc - i != 3)
		return usage();
	is_get = !strcmp(argv[i], "get");
	if (!is_get && strcmp(argv[i], "put"))
		return usage();
	url = is_get ? argv[i + 1] : argv[i + 2];
	local = is_get ? argv[i + 2] : argv[i + 1];
	opt.password = getenv("SMBIOV_PASSWORD");

	ret = smbiov_url_parse(url, &u);
	if (ret)
		return fail("parse", url, ret);
	buf = malloc(CHUNK);
	if (!buf) {
		smbiov_url_release(&u);
		return fail("allocate", "buffer", -ENOMEM);
	}
	ret = smbiov_connect(url, &opt, &c);
	if (ret) {
		ret = fail_smb("connect", url, ret);
		goto out;
	}
	ret = smbiov_open(c, u.path,
			  is_get ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC, &f);
	if (ret) {
		ret = fail_smb("open", url, ret);
		goto out;
	}
	ret = is_get ? get(f, url, local, buf) : put(f, url, local, buf);
	i = smbiov_close(f);
	if (i && !ret)
		ret = fail_smb("close", url, i);
out:
	if (c)
		smbiov_disconnect(c);
	free(buf);
	smbiov_url_release(&u);
	return ret;
}
