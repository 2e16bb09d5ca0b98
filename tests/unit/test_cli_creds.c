/* SPDX-License-Identifier: MIT */
/*
 * The CLI's credentials file (mount.cifs format): keys and aliases, values
 * verbatim to the end of the line, comments, CRLF, DOMAIN\user, bad lines,
 * and the group/world-readable warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"
#include "t.h"

struct creds_case {
	const char *text;
	int ret;
	const char *user, *domain, *password;
	int bad_line;
};

static const struct creds_case cases[] = {
	/* the three keys */
	{"username=alice\npassword=s3cret\ndomain=CORP\n", 0, "alice", "CORP",
	 "s3cret", 0},
	/* no trailing newline */
	{"username=alice\npassword=pw", 0, "alice", NULL, "pw", 0},
	/* aliases: user, pass, dom / workgroup */
	{"user=bob\npass=x\ndom=D\n", 0, "bob", "D", "x", 0},
	{"user=bob\nworkgroup=WG\n", 0, "bob", "WG", NULL, 0},
	/* keys are case-insensitive */
	{"UserName=carol\nPASSWORD=Y\n", 0, "carol", NULL, "Y", 0},
	/* the value is verbatim: spaces, '=', '#', trailing blanks */
	{"password= a b=c #d \n", 0, NULL, NULL, " a b=c #d ", 0},
	/* an empty password is a password */
	{"username=u\npassword=\n", 0, "u", NULL, "", 0},
	/* CRLF line ends */
	{"username=u\r\npassword=p\r\n", 0, "u", NULL, "p", 0},
	/* comments, blank lines, leading blanks, blanks before '=' */
	{"# creds\n\n   \n  username =u\n\tpassword=p\n", 0, "u", NULL, "p", 0},
	/* ... but the value is verbatim from right after '=' */
	{"username= u\n", 0, " u", NULL, NULL, 0},
	/* unknown keys are ignored, as mount.cifs does */
	{"username=u\nfoo=bar\n", 0, "u", NULL, NULL, 0},
	/* the last occurrence wins */
	{"password=a\npassword=b\n", 0, NULL, NULL, "b", 0},
	/* DOMAIN\user and DOMAIN/user in username= */
	{"username=CORP\\dave\n", 0, "dave", "CORP", NULL, 0},
	{"username=CORP/dave\n", 0, "dave", "CORP", NULL, 0},
	/* ... but domain= wins over the prefix */
	{"domain=REAL\nusername=CORP\\dave\n", 0, "dave", "REAL", NULL, 0},
	{"username=CORP\\dave\ndomain=REAL\n", 0, "dave", "REAL", NULL, 0},
	/* empty input */
	{"", 0, NULL, NULL, NULL, 0},
	/* a line without '=' */
	{"username=u\njunk\n", -EINVAL, NULL, NULL, NULL, 2},
	/* a line that starts with '=' */
	{"=x\n", -EINVAL, NULL, NULL, NULL, 1},
	/* an empty domain or user around the separator */
	{"username=\\dave\n", -EINVAL, NULL, NULL, NULL, 0},
	{"username=CORP\\\n", -EINVAL, NULL, NULL, NULL, 0},
};

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void test_parse_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct creds_case *c = &cases[i];
		struct cli_creds cr;
		int bad = -1;
		int ret = creds_parse(c->text, strlen(c->text), &cr, &bad);

		t_checks++;
		if (ret != c->ret) {
			t_failures++;
			fprintf(stderr, "case %zu: ret %d, want %d\n", i, ret,
				c->ret);
			if (!ret)
				creds_release(&cr);
			continue;
		}
		if (ret) {
			T_EXPECT(!cr.user && !cr.domain && !cr.password);
			if (c->bad_line)
				T_EXPECT_EQ(bad, c->bad_line);
			continue;
		}
		t_checks++;
		if (!same(cr.user, c->user) || !same(cr.domain, c->domain) ||
		    !same(cr.password, c->password)) {
			t_failures++;
			fprintf(stderr, "case %zu: got %s/%s/%s\n", i,
				cr.user ? cr.user : "-",
				cr.domain ? cr.domain : "-",
				cr.password ? cr.password : "-");
		}
		creds_release(&cr);
		T_EXPECT(!cr.user && !cr.password);
	}
}

/* The length is honoured: no reading past it, no NUL needed. */
static void test_parse_length(void)
{
	const char text[] = "username=u\npassword=abcdef";
	struct cli_creds cr;
	int bad;

	T_ASSERT(creds_parse(text, sizeof(text) - 1 - 3, &cr, &bad) == 0);
	T_EXPECT(same(cr.password, "abc"));
	creds_release(&cr);
	/* an embedded NUL in a value is refused */
	T_EXPECT_EQ(creds_parse("password=a\0b\n", 12, &cr, &bad), -EINVAL);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	T_ASSERT(fchmod(fd, mode) == 0);
	close(fd);
}

static void test_load(void)
{
	char dir[] = "/tmp/smbiov-creds-XXXXXX", path[64];
	struct cli_creds cr;
	bool insecure;

	T_ASSERT(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c", dir);

	write_file(path, "username=u\npassword=p\n", 0600);
	T_EXPECT_EQ(creds_load(path, &cr, &insecure), 0);
	T_EXPECT(!insecure);
	T_EXPECT(same(cr.user, "u") && same(cr.password, "p"));
	creds_release(&cr);

	/* readable by group or others: loaded, flagged */
	write_file(path, "username=u\n", 0640);
	T_EXPECT_EQ(creds_load(path, &cr, &insecure), 0);
	T_EXPECT(insecure);
	creds_release(&cr);
	write_file(path, "username=u\n", 0604);
	T_EXPECT_EQ(creds_load(path, &cr, &insecure), 0);
	T_EXPECT(insecure);
	creds_release(&cr);

	/* a bad line fails the load */
	write_file(path, "nonsense\n", 0600);
	T_EXPECT_EQ(creds_load(path, &cr, &insecure), -EINVAL);

	unlink(path);
	/* missing file, a directory (its own error: the CLI says it) */
	T_EXPECT_EQ(creds_load(path, &cr, &insecure), -ENOENT);
	T_EXPECT_EQ(creds_load(dir, &cr, &insecure), -EISDIR);
	/* a device is neither a file nor a pipe */
	T_EXPECT_EQ(creds_load("/dev/null", &cr, &insecure), -EINVAL);
	/* a pipe (a FIFO, bash's <(...)): read to its end, never "insecure" */
	{
		int p[2];

		T_ASSERT(pipe(p) == 0);
		T_ASSERT(write(p[1], "username=pu\npassword=pp\n", 24) == 24);
		close(p[1]);
		snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
		T_EXPECT_EQ(creds_load(path, &cr, &insecure), 0);
		T_EXPECT(!insecure);
		T_EXPECT(same(cr.user, "pu") && same(cr.password, "pp"));
		creds_release(&cr);
		close(p[0]);
	}
	rmdir(dir);
}

/* No terminal: the prompt says so instead of blocking. */
static void test_prompt_no_tty(void)
{
	char *pw = (char *)1;

	if (access("/dev/tty", R_OK | W_OK) == 0) {
		int fd = open("/dev/tty", O_RDWR);

		if (fd >= 0) {
			close(fd);
			T_EXPECT(1); /* a real terminal: not tested here */
			return;
		}
	}
	T_EXPECT_EQ(creds_prompt("pw: ", &pw), -ENXIO);
	T_EXPECT(pw == NULL);
}

int main(void)
{
	T_RUN(test_parse_table);
	T_RUN(test_parse_length);
	T_RUN(test_load);
	T_RUN(test_prompt_no_tty);
	return t_done();
}
