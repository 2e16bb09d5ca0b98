/* SPDX-License-Identifier: MIT */
/*
 * smbiov_url_parse: a table of valid URLs with every expected part, and a
 * table of invalid ones that must fail with -EINVAL and leave the output
 * empty.
 */
#include <errno.h>

#include <smbiov/smbiov.h>

#include "t.h"

struct url_ok {
	const char *url;
	const char *domain, *user, *host, *port, *share, *path;
};

static const struct url_ok good[] = {
	/* the minimum: host and share; default port, empty path */
	{"smb://h/s", NULL, NULL, "h", "445", "s", ""},
	/* scheme is case-insensitive */
	{"SMB://h/s", NULL, NULL, "h", "445", "s", ""},
	/* trailing '/' after the share: still the root */
	{"smb://h/s/", NULL, NULL, "h", "445", "s", ""},
	/* user and port */
	{"smb://alice@server:4455/pub/a/b.txt", NULL, "alice", "server", "4455",
	 "pub", "a/b.txt"},
	/* domain;user */
	{"smb://CORP;bob@fs1/data/x", "CORP", "bob", "fs1", "445", "data", "x"},
	/* IPv6 literal without and with port */
	{"smb://[::1]/s/f", NULL, NULL, "::1", "445", "s", "f"},
	{"smb://u@[fe80::1:2]:139/s", NULL, "u", "fe80::1:2", "139", "s", ""},
	/* IPv6 with an RFC 6874 zone: %25 decodes to '%' */
	{"smb://[fe80::1%25eth0]:445/s", NULL, NULL, "fe80::1%eth0", "445", "s",
	 ""},
	/* IPv4-mapped IPv6 */
	{"smb://[::ffff:127.0.0.1]/s", NULL, NULL, "::ffff:127.0.0.1", "445",
	 "s", ""},
	/* percent-escapes in every part */
	{"smb://my%3Bdom;j%40doe@h%2Dx/sh%20are/a%20b/c%25d", "my;dom", "j@doe",
	 "h-x", "445", "sh are", "a b/c%d"},
	/* an escaped ':' in the user is a character, not a password */
	{"smb://a%3Ab@h/s", NULL, "a:b", "h", "445", "s", ""},
	/* the last raw '@' ends the user part */
	{"smb://a@b@h/s", NULL, "a@b", "h", "445", "s", ""},
	/* UTF-8 passes through, escaped or raw */
	{"smb://h/s/%C3%A9t%C3%A9/\xc3\xa9", NULL, NULL, "h", "445", "s",
	 "\xc3\xa9t\xc3\xa9/\xc3\xa9"},
	/* '\' is a separator, runs of separators collapse */
	{"smb://h/s/a\\b//c///", NULL, NULL, "h", "445", "s", "a/b/c"},
	{"smb://h\\s\\dir\\file", NULL, NULL, "h", "445", "s", "dir/file"},
	/* '.' components vanish */
	{"smb://h/s/./a/./b/.", NULL, NULL, "h", "445", "s", "a/b"},
	/* names that merely start with dots are names */
	{"smb://h/s/...", NULL, NULL, "h", "445", "s", "..."},
	{"smb://h/s/..x/.y/x..", NULL, NULL, "h", "445", "s", "..x/.y/x.."},
	/* an escaped separator separates too (no name may contain one) */
	{"smb://h/s/a%2Fb%5Cc", NULL, NULL, "h", "445", "s", "a/b/c"},
	/* '?' and '#' are name characters: no query, no fragment */
	{"smb://h/s/a#1/b?x=y", NULL, NULL, "h", "445", "s", "a#1/b?x=y"},
	/* leading zeros in the port are dropped; 65535 is the top */
	{"smb://h:0445/s", NULL, NULL, "h", "445", "s", ""},
	{"smb://h:65535/s", NULL, NULL, "h", "65535", "s", ""},
	/* lower-case hex digits in escapes */
	{"smb://h/s/%7e%7E", NULL, NULL, "h", "445", "s", "~~"},
	/* spaces are ordinary characters */
	{"smb://h/s/my file.txt", NULL, NULL, "h", "445", "s", "my file.txt"},
	/* a dotted IPv4 address */
	{"smb://10.0.0.1:1/s", NULL, NULL, "10.0.0.1", "1", "s", ""},
};

static const char *const bad[] = {
	"",			/* empty */
	"h/s",			/* no scheme */
	"smb:/h/s",		/* one slash */
	"cifs://h/s",		/* other scheme */
	"smbs://h/s",		/* other scheme */
	"smb://",		/* nothing */
	"smb:///s",		/* no host */
	"smb://h",		/* no share */
	"smb://h/",		/* empty share */
	"smb://h//",		/* empty share */
	"smb://u:pw@h/s",	/* a password */
	"smb://u:@h/s",		/* an empty password is still one */
	"smb://d;u:pw@h/s",	/* a password with a domain */
	"smb://@h/s",		/* empty user */
	"smb://;u@h/s",		/* empty domain */
	"smb://d;@h/s",		/* domain, empty user */
	"smb://u@/s",		/* user, no host */
	"smb://h:/s",		/* empty port */
	"smb://h:0/s",		/* port 0 */
	"smb://h:65536/s",	/* port too large */
	"smb://h:123456/s",	/* port far too large */
	"smb://h:44a/s",	/* port not a number */
	"smb://h:-1/s",		/* negative port */
	"smb://h:+1/s",		/* signed port */
	"smb://:445/s",		/* port, no host */
	"smb://[::1/s",		/* unclosed bracket */
	"smb://[]/s",		/* empty IPv6 literal */
	"smb://[::1]x/s",	/* junk after the bracket */
	"smb://[::1]:/s",	/* empty port after bracket */
	"smb://[hostname]/s",	/* not an IPv6 literal */
	"smb://[fe80::1%25]/s", /* empty zone */
	"smb://::1/s",		/* IPv6 without brackets (port ambiguity) */
	"smb://h]/s",		/* stray bracket */
	"smb://h%2F/s",		/* host with an escaped '/' */
	"smb://h/s/..",		/* climbs out of the share */
	"smb://h/s/a/../b",	/* climbs (any ".." is refused) */
	"smb://h/s/a\\..\\b",	/* climbs with '\' */
	"smb://h/s/%2E%2E/x",	/* escaped ".." */
	"smb://h/s/a/..",	/* trailing ".." */
	"smb://h/..",		/* ".." as the share */
	"smb://h/./x",		/* "." as the share */
	"smb://h/s%2Fx",	/* share with an escaped separator */
	"smb://h/s/%",		/* truncated escape */
	"smb://h/s/%4",		/* truncated escape */
	"smb://h/s/%G1",	/* bad hex */
	"smb://h/s/%1G",	/* bad hex */
	"smb://h/s/a%00b",	/* escaped NUL */
	"smb://h/s/a%0Ab",	/* escaped newline */
	"smb://h/s/a\tb",	/* raw control character */
	"smb://h/s/a%7Fb",	/* DEL */
	"smb://u%@h/s",		/* bad escape in the user */
	"smb://d%zz;u@h/s",	/* bad escape in the domain */
	"smb://h%/s",		/* bad escape in the host */
	"smb://h/s%/x",		/* bad escape in the share */
};

static void check_str(const char *what, const char *url, const char *got,
		      const char *want)
{
	t_checks++;
	if ((!got) != (!want) || (got && strcmp(got, want))) {
		t_failures++;
		fprintf(stderr, "%s: %s: got \"%s\", want \"%s\"\n", url, what,
			got ? got : "(null)", want ? want : "(null)");
	}
}

static void test_valid(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct url_ok *g = &good[i];
		struct smbiov_url u;
		int ret = smbiov_url_parse(g->url, &u);

		if (ret) {
			t_checks++;
			t_failures++;
			fprintf(stderr, "%s: parse failed (%d)\n", g->url, ret);
			continue;
		}
		check_str("domain", g->url, u.domain, g->domain);
		check_str("user", g->url, u.user, g->user);
		check_str("host", g->url, u.host, g->host);
		check_str("port", g->url, u.port, g->port);
		check_str("share", g->url, u.share, g->share);
		check_str("path", g->url, u.path, g->path);
		smbiov_url_release(&u);
		/* release leaves it empty and may run twice */
		T_EXPECT(!u.host && !u.share && !u.path);
		smbiov_url_release(&u);
	}
}

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct smbiov_url u;
		int ret;

		memset(&u, 0x5a, sizeof(u));
		ret = smbiov_url_parse(bad[i], &u);
		t_checks++;
		if (ret != -EINVAL) {
			t_failures++;
			fprintf(stderr, "\"%s\": got %d, want -EINVAL\n",
				bad[i], ret);
			if (ret == 0)
				smbiov_url_release(&u);
			continue;
		}
		/* nothing to release after a failure */
		T_EXPECT(!u.domain && !u.user && !u.host && !u.port &&
			 !u.share && !u.path);
	}
}

static void test_null_args(void)
{
	struct smbiov_url u;

	T_EXPECT_EQ(smbiov_url_parse(NULL, &u), -EINVAL);
	T_EXPECT(!u.host);
	T_EXPECT_EQ(smbiov_url_parse("smb://h/s", NULL), -EINVAL);
	smbiov_url_release(NULL);
}

/* A long path survives intact (no fixed-size buffers). */
static void test_long_path(void)
{
	static char url[70000], want[70000];
	struct smbiov_url u;
	size_t n = 0, w = 0;

	n = (size_t)snprintf(url, sizeof(url), "smb://h/s");
	for (int i = 0; i < 6000; i++) {
		n += (size_t)snprintf(url + n, sizeof(url) - n, "/d%04d", i);
		w += (size_t)snprintf(want + w, sizeof(want) - w, "%sd%04d",
				      i ? "/" : "", i);
	}
	T_ASSERT(smbiov_url_parse(url, &u) == 0);
	T_EXPECT(strcmp(u.path, want) == 0);
	smbiov_url_release(&u);
}

int main(void)
{
	T_RUN(test_valid);
	T_RUN(test_invalid);
	T_RUN(test_null_args);
	T_RUN(test_long_path);
	return t_done();
}
