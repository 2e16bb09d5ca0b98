/* SPDX-License-Identifier: MIT */
/*
 * smb:// URL parsing (include/smbiov/smbiov.h):
 *
 *	smb://[domain;]user@host[:port]/share[/path]
 *
 * host may be a bracketed IPv6 literal ("[::1]:4455"). Percent-escapes are
 * decoded in every part; a malformed escape or an escaped NUL is refused.
 * A password in the URL ("user:secret@") is refused: passwords never travel
 * on command lines. The path is normalised to '/'-separated components with
 * no leading or trailing '/'; '\' is accepted as a separator, empty and "."
 * components are dropped and ".." is refused (a URL cannot climb out of its
 * share). '?' and '#' are ordinary name characters: there is no query or
 * fragment.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <smbiov/smbiov.h>

static const char url_scheme[] = "smb://";

static int url_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode @len bytes at @s into a new NUL-terminated string. Refuses bad
 * escapes and control characters (raw or escaped): none belongs in a user,
 * host, share or file name, and an escaped NUL would truncate silently.
 */
static int url_decode(const char *s, size_t len, char **out)
{
	char *d = malloc(len + 1);
	size_t i, n = 0;

	if (!d)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				goto bad;
			hi = url_hexval(s[i + 1]);
			lo = url_hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			goto bad;
		d[n++] = (char)c;
	}
	d[n] = '\0';
	*out = d;
	return 0;
bad:
	free(d);
	return -EINVAL;
}

/* Decimal port 1..65535, stored without leading zeros. */
static int url_port(const char *s, size_t len, char **out)
{
	unsigned long v = 0;
	size_t i;
	char buf[8];

	if (len == 0 || len > 5)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%lu", v);
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

/* [domain;]user — no ':' (that would be a password). */
static int url_userinfo(const char *s, size_t len, struct smbiov_url *u)
{
	const char *semi = memchr(s, ';', len);
	int ret;

	if (memchr(s, ':', len))
		return -EINVAL;
	if (semi) {
		size_t dlen = (size_t)(semi - s);

		if (dlen == 0)
			return -EINVAL;
		ret = url_decode(s, dlen, &u->domain);
		if (ret)
			return ret;
		len -= dlen + 1;
		s = semi + 1;
	}
	if (len == 0)
		return -EINVAL;
	ret = url_decode(s, len, &u->user);
	if (ret)
		return ret;
	return u->user[0] && (!u->domain || u->domain[0]) ? 0 : -EINVAL;
}

/* An IPv6 literal: hex digits, ':' and '.', and an optional "%zone". */
static bool url_ipv6_ok(const char *h)
{
	const char *zone = strchr(h, '%');
	size_t n = zone ? (size_t)(zone - h) : strlen(h);
	size_t i;

	if (n < 2 || !memchr(h, ':', n))
		return false;
	for (i = 0; i < n; i++)
		if (url_hexval(h[i]) < 0 && h[i] != ':' && h[i] != '.')
			return false;
	return !zone || zone[1];
}

/* host[:port] or [v6]:port */
static int url_hostport(const char *s, size_t len, struct smbiov_url *u)
{
	const char *end = s + len, *colon;
	int ret;

	if (len && s[0] == '[') {
		const char *rb = memchr(s, ']', len);

		if (!rb)
			return -EINVAL;
		ret = url_decode(s + 1, (size_t)(rb - s - 1), &u->host);
		if (ret)
			return ret;
		if (!url_ipv6_ok(u->host))
			return -EINVAL;
		if (rb + 1 == end)
			colon = NULL;
		else if (rb[1] == ':')
			colon = rb + 1;
		else
			return -EINVAL;
	} else {
		colon = memchr(s, ':', len);
		if (colon == s || len == 0)
			return -EINVAL;
		if (memchr(s, '[', len) || memchr(s, ']', len))
			return -EINVAL;
		ret = url_decode(s, colon ? (size_t)(colon - s) : len,
				 &u->host);
		if (ret)
			return ret;
		if (!u->host[0] || strpbrk(u->host, "/\\@"))
			return -EINVAL;
	}
	if (colon)
		return url_port(colon + 1, (size_t)(end - colon - 1), &u->port);
	u->port = strdup("445");
	return u->port ? 0 : -ENOMEM;
}

static bool url_is_sep(char c)
{
	return c == '/' || c == '\\';
}

/*
 * Normalise the (already decoded) path in place: drop empty and "."
 * components, refuse "..", join with '/'.
 */
static int url_normalise(char *p)
{
	char *r = p, *w = p;

	while (*r) {
		char *start;
		size_t n;

		while (url_is_sep(*r))
			r++;
		start = r;
		while (*r && !url_is_sep(*r))
			r++;
		n = (size_t)(r - start);
		if (n == 0 || (n == 1 && start[0] == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.')
			return -EINVAL;
		if (w != p)
			*w++ = '/';
		memmove(w, start, n);
		w += n;
	}
	*w = '\0';
	return 0;
}

static int url_parse(const char *url, struct smbiov_url *u)
{
	const char *auth, *auth_end, *at, *share, *share_end;
	size_t n;
	int ret;

	if (strncasecmp(url, url_scheme, sizeof(url_scheme) - 1))
		return -EINVAL;
	auth = url + sizeof(url_scheme) - 1;
	auth_end = auth + strcspn(auth, "/\\");
	/* The last '@' ends the user part: a raw '@' may not be in a host. */
	at = NULL;
	for (const char *p = auth; p < auth_end; p++)
		if (*p == '@')
			at = p;
	if (at) {
		ret = url_userinfo(auth, (size_t)(at - auth), u);
		if (ret)
			return ret;
		auth = at + 1;
	}
	ret = url_hostport(auth, (size_t)(auth_end - auth), u);
	if (ret)
		return ret;

	/* The share: one component, separated by '/' (or '\'). */
	share = auth_end;
	while (url_is_sep(*share))
		share++;
	share_end = share + strcspn(share, "/\\");
	n = (size_t)(share_end - share);
	if (n == 0)
		return -EINVAL;
	ret = url_decode(share, n, &u->share);
	if (ret)
		return ret;
	if (strpbrk(u->share, "/\\") || !strcmp(u->share, ".") ||
	    !strcmp(u->share, ".."))
		return -EINVAL;

	ret = url_decode(share_end, strlen(share_end), &u->path);
	if (ret)
		return ret;
	return url_normalise(u->path);
}

SMBIOV_API void smbiov_url_release(struct smbiov_url *u)
{
	if (!u)
		return;
	free(u->domain);
	free(u->user);
	free(u->host);
	free(u->port);
	free(u->share);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

/**
 * smbiov_url_parse - split an smb:// URL into its parts
 * @url: the URL (see the file comment for the grammar)
 * @out: filled on success; release with smbiov_url_release()
 *
 * Returns 0, -EINVAL for a malformed URL (bad scheme, empty host or share,
 * a password, a bad escape or port, a ".." component) or -ENOMEM. On
 * failure @out holds nothing (all NULL) and needs no release.
 */
SMBIOV_API int smbiov_url_parse(const char *url, struct smbiov_url *out)
{
	int ret;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!url)
		return -EINVAL;
	ret = url_parse(url, out);
	if (ret)
		smbiov_url_release(out);
	return ret;
}
