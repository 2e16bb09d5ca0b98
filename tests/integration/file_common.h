/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the file-operation integration tests (test_file_*.c):
 * connecting to one of the fixture's shares, deterministic file contents,
 * and the independent cross-check: the file as it is on the server's disk
 * (SMB_ROOT/<share>/<path>), read with plain POSIX calls.
 */
#ifndef SMBIOV_TEST_FILE_COMMON_H
#define SMBIOV_TEST_FILE_COMMON_H

#include "integ.h"
#include "t.h"

#include <smbiov/smbiov.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline const char *fc_env(const char *k)
{
	const char *v = getenv(k);

	return v && *v ? v : NULL;
}

/* Connect to @share on @port (NULL: SMB_PORT). NULL on failure. */
static inline struct smbiov_client *fc_connect(const char *share,
					       const char *port)
{
	struct smbiov_options o = {0};
	struct smbiov_client *c = NULL;
	struct smbiov_error e;
	char url[512];
	int ret;

	if (!port)
		port = fc_env("SMB_PORT");
	snprintf(url, sizeof(url), "smb://%s@%s:%s/%s", fc_env("SMB_USER"),
		 fc_env("SMB_HOST"), port, share);
	o.password = fc_env("SMB_PASS");
	ret = smbiov_connect(url, &o, &c);
	if (ret) {
		smbiov_last_error(&e);
		fprintf(stderr, "connect %s: %d (%s)\n", url, ret, e.message);
		integ_print_logs_hint();
		return NULL;
	}
	return c;
}

/*
 * Connect to @share with options @o (its password is filled in from
 * SMB_PASS); NULL on failure, quietly (a test may expect one).
 */
static inline struct smbiov_client *fc_connect_opts(const char *share,
						    struct smbiov_options *o)
{
	struct smbiov_client *c = NULL;
	char url[512];

	snprintf(url, sizeof(url), "smb://%s@%s:%s/%s", fc_env("SMB_USER"),
		 fc_env("SMB_HOST"), fc_env("SMB_PORT"), share);
	o->password = fc_env("SMB_PASS");
	return smbiov_connect(url, o, &c) ? NULL : c;
}

/* SMB_ROOT/@share/@path into @out. */
static inline void fc_disk_path(char *out, size_t cap, const char *share,
				const char *path)
{
	snprintf(out, cap, "%s/%s/%s", fc_env("SMB_ROOT"), share, path);
}

/* Deterministic bytes for (seed, file offset): offsets are distinguishable. */
static inline uint8_t fc_byte(uint32_t seed, uint64_t off)
{
	uint64_t x = (off >> 3) * 0x9E3779B97F4A7C15ull ^ seed;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return (uint8_t)(x >> (8 * (off & 7)));
}

static inline void fc_fill(uint8_t *p, size_t len, uint32_t seed, uint64_t off)
{
	for (size_t k = 0; k < len; k++)
		p[k] = fc_byte(seed, off + k);
}

/* Index of the first byte of @p that is not fc_byte(seed, off + k), or len. */
static inline size_t fc_check(const uint8_t *p, size_t len, uint32_t seed,
			      uint64_t off)
{
	for (size_t k = 0; k < len; k++)
		if (p[k] != fc_byte(seed, off + k))
			return k;
	return len;
}

/* Read the on-disk file into a malloc'd buffer; *len its size; NULL: gone. */
static inline uint8_t *fc_disk_read(const char *share, const char *path,
				    size_t *len)
{
	char p[1024];
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd;

	fc_disk_path(p, sizeof(p), share, path);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	T_ASSERT(buf);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	*len = done;
	return buf;
}

/* Write @len pattern bytes to the on-disk file (root of the server side). */
static inline void fc_disk_write(const char *share, const char *path,
				 size_t len, uint32_t seed)
{
	char p[1024];
	uint8_t *buf = malloc(len + 1);
	int fd;

	T_ASSERT(buf);
	fc_fill(buf, len, seed, 0);
	fc_disk_path(p, sizeof(p), share, path);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, buf, len) == (ssize_t)len);
	close(fd);
	free(buf);
}

/* A file of @size bytes of pattern @seed on the share's disk, world-writable.
 */
static inline void fc_disk_file(const char *share, const char *name,
				size_t size, uint32_t seed)
{
	char p[1024];

	fc_disk_write(share, name, size, seed);
	fc_disk_path(p, sizeof(p), share, name);
	T_ASSERT(chmod(p, 0666) == 0);
}

/* smbiov_pread that says why it failed (the thread's last error). */
static inline ssize_t fc_pread(struct smbiov_file *f, void *buf, size_t len,
			       uint64_t off)
{
	ssize_t n = smbiov_pread(f, buf, len, off);
	struct smbiov_error e;

	if (n < 0) {
		smbiov_last_error(&e);
		fprintf(stderr, "pread %zu at %llu: %zd (%s)\n", len,
			(unsigned long long)off, n, e.message);
	}
	return n;
}

static inline void fc_stats(struct smbiov_client *c, struct smbiov_stats *s)
{
	smbiov_get_stats(c, s);
}

/* The fixture's shares, in the order fc_for_each_share() visits them. */
enum fc_kind { FC_PLAIN, FC_SEALED, FC_SIGNED };

/*
 * Connect to each configured share of the fixture in turn and run
 * @fn(c, share, kind, arg) on it, then disconnect: the plain and the
 * encrypted share of the main instance and the signed share of the signed
 * instance (said and left out when SMB_SIGNED_PORT is 0). Each connection
 * is first checked to be as protected as its share demands. Returns how
 * many shares ran; the plain one always must, so that nothing tested is
 * never a pass.
 */
static inline int fc_for_each_share(void (*fn)(struct smbiov_client *c,
					       const char *share,
					       enum fc_kind kind, void *arg),
				    void *arg)
{
	const struct {
		const char *share, *port;
	} s[] = {
		[FC_PLAIN] = {fc_env("SMB_SHARE"), NULL},
		[FC_SEALED] = {fc_env("SMB_ENC_SHARE"), NULL},
		[FC_SIGNED] = {fc_env("SMB_SIGNED_SHARE"),
			       fc_env("SMB_SIGNED_PORT")},
	};
	int ran = 0;

	for (int k = FC_PLAIN; k <= FC_SIGNED; k++) {
		struct smbiov_conn_info ci;
		struct smbiov_client *c;

		if (!s[k].share || (s[k].port && !strcmp(s[k].port, "0"))) {
			T_EXPECT(k != FC_PLAIN);
			fprintf(stderr, "share %d not configured: skipped\n",
				k);
			continue;
		}
		c = fc_connect(s[k].share, s[k].port);
		T_ASSERT(c);
		smbiov_get_info(c, &ci);
		fprintf(stderr, "%s: dialect %#x signing %d encrypted %d\n",
			s[k].share, ci.dialect, ci.signing, ci.encrypted);
		if (k == FC_PLAIN)
			T_EXPECT(!ci.encrypted && !ci.signing);
		if (k == FC_SEALED)
			T_EXPECT(ci.encrypted);
		if (k == FC_SIGNED)
			T_EXPECT(ci.signing && !ci.encrypted);
		fn(c, s[k].share, (enum fc_kind)k, arg);
		smbiov_disconnect(c);
		ran++;
	}
	T_EXPECT(ran >= 1);
	return ran;
}

#endif
