/* SPDX-License-Identifier: MIT */
/*
 * The CLI's connection cache with a fake connect: URLs on one share (host
 * and share names in any case) share a client, other ports, shares, users
 * and domains get their own, the least recently used of more than
 * CLI_CACHE_MAX is closed, a failed connection is reported again without a
 * new attempt, a failure without credentials is fatal and not cached.
 * Also the "-" argument that reads URLs from stdin.
 */
#include <errno.h>
#include <stdbool.h>

#include "cli.h"
#include "t.h"

#define NFAKE 16

static struct fake {
	int connects, disconnects;
	const char *connected[NFAKE], *disconnected[NFAKE];
	char clients[NFAKE]; /* addresses stand in for clients */
	int fail_code;	     /* next connects fail with this */
	int fail_err;	     /* ... with this why.err (0: no creds) */
} fk;

static int fake_connect(const struct cli_opts *o, const char *url,
			struct cli_conn *cc, struct smbiov_error *why)
{
	memset(cc, 0, sizeof(*cc));
	memset(why, 0, sizeof(*why));
	T_ASSERT(fk.connects < NFAKE);
	fk.connected[fk.connects] = url;
	if (fk.fail_code) {
		why->err = fk.fail_err;
		why->phase = SMBIOV_PHASE_CONNECT;
		fk.connects++;
		return fk.fail_code;
	}
	T_ASSERT(smbiov_url_parse(url, &cc->url) == 0);
	cc->o = o;
	cc->urlstr = url;
	cc->c = (struct smbiov_client *)&fk.clients[fk.connects++];
	return 0;
}

static void fake_disconnect(struct cli_conn *cc)
{
	T_ASSERT(fk.disconnects < NFAKE);
	fk.disconnected[fk.disconnects++] = cc->urlstr;
	smbiov_url_release(&cc->url);
	memset(cc, 0, sizeof(*cc));
}

static struct cli_opts opts;

static void cache_init(struct cli_cache *k)
{
	memset(&fk, 0, sizeof(fk));
	cli_cache_init(k, &opts);
	k->connect = fake_connect;
	k->disconnect = fake_disconnect;
}

/* Open @url, return its client (NULL on failure), release the URL. */
static struct smbiov_client *client_of(struct cli_cache *k, const char *url,
				       int *code)
{
	struct cli_conn cc;
	struct smbiov_client *c;

	*code = cli_cache_open(k, url, &cc);
	c = cc.c;
	if (!*code)
		cli_cache_done(&cc);
	return c;
}

static void test_same_share(void)
{
	struct cli_cache k;
	struct cli_conn cc;
	struct smbiov_client *a;
	int code;

	cache_init(&k);
	T_EXPECT(!cli_cache_ready(&k, "smb://u@h/s/a"));
	T_ASSERT(cli_cache_open(&k, "smb://u@h/s/dir/a", &cc) == 0);
	T_EXPECT(!strcmp(cc.url.path, "dir/a"));
	a = cc.c;
	cli_cache_done(&cc);
	T_EXPECT(cli_cache_ready(&k, "smb://u@h/s/b"));
	T_ASSERT(cli_cache_open(&k, "smb://u@H/S/b", &cc) == 0);
	T_EXPECT(cc.c == a);
	T_EXPECT(!strcmp(cc.url.path, "b")); /* this URL's path */
	cli_cache_done(&cc);
	T_EXPECT(client_of(&k, "smb://u@h:445/s", &code) == a);
	T_EXPECT_EQ(fk.connects, 1);
	cli_cache_release(&k);
	T_EXPECT_EQ(fk.disconnects, 1);
}

static void test_different_keys(void)
{
	static const char *const urls[] = {
		"smb://u@h/s/x", "smb://u@h:4455/s/x", "smb://u@h/t/x",
		"smb://v@h/s/x", "smb://d;u@h/s/x",    "smb://u@g/s/x",
		"smb://h/s/x", /* anonymous */
	};
	struct cli_cache k;
	int code;

	cache_init(&k);
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		T_EXPECT(client_of(&k, urls[i], &code) ==
			 (struct smbiov_client *)&fk.clients[i]);
		T_EXPECT_EQ(fk.connects, i + 1);
	}
	cli_cache_release(&k);
	T_EXPECT_EQ(fk.disconnects, fk.connects);
}

static void test_lru(void)
{
	struct cli_cache k;
	int code;

	T_ASSERT(CLI_CACHE_MAX == 4);
	cache_init(&k);
	client_of(&k, "smb://h/s1/x", &code); /* 0 */
	client_of(&k, "smb://h/s2/x", &code); /* 1 */
	client_of(&k, "smb://h/s3/x", &code); /* 2 */
	client_of(&k, "smb://h/s4/x", &code); /* 3 */
	client_of(&k, "smb://h/s1/y", &code); /* reused: s2 is now the LRU */
	T_EXPECT_EQ(fk.connects, 4);
	T_EXPECT_EQ(fk.disconnects, 0);
	client_of(&k, "smb://h/s5/x", &code);
	T_EXPECT_EQ(fk.connects, 5);
	T_ASSERT(fk.disconnects == 1);
	T_EXPECT(!strcmp(fk.disconnected[0], "smb://h/s2/x"));
	T_EXPECT(!cli_cache_ready(&k, "smb://h/s2/x"));
	T_EXPECT(cli_cache_ready(&k, "smb://h/s3/x"));
	/* s2 again: reconnected, closing s3 */
	T_EXPECT(client_of(&k, "smb://h/s2/z", &code) ==
		 (struct smbiov_client *)&fk.clients[5]);
	T_ASSERT(fk.disconnects == 2);
	T_EXPECT(!strcmp(fk.disconnected[1], "smb://h/s3/x"));
	/* at the end, in the order opened: s1, s4, s5, s2 */
	cli_cache_release(&k);
	T_ASSERT(fk.disconnects == 6);
	T_EXPECT(!strcmp(fk.disconnected[2], "smb://h/s1/x"));
	T_EXPECT(!strcmp(fk.disconnected[3], "smb://h/s4/x"));
	T_EXPECT(!strcmp(fk.disconnected[4], "smb://h/s5/x"));
	T_EXPECT(!strcmp(fk.disconnected[5], "smb://h/s2/z"));
}

static void test_failed_connection(void)
{
	struct cli_cache k;
	int code;

	cache_init(&k);
	fk.fail_code = CLI_EXIT_CONNECT;
	fk.fail_err = -ECONNREFUSED;
	T_EXPECT(!client_of(&k, "smb://h:1/s/a", &code));
	T_EXPECT_EQ(code, CLI_EXIT_CONNECT);
	fk.fail_code = 0;
	/* reported again from the cache, without a new attempt */
	T_EXPECT(!cli_cache_ready(&k, "smb://h:1/s/b"));
	T_EXPECT(!client_of(&k, "smb://h:1/s/b", &code));
	T_EXPECT_EQ(code, CLI_EXIT_CONNECT);
	T_EXPECT_EQ(fk.connects, 1);
	T_EXPECT(!k.fatal);
	/* other shares are still tried */
	T_EXPECT(client_of(&k, "smb://h/s/a", &code) != NULL);
	T_EXPECT_EQ(code, 0);
	/* an invalid URL is that URL's failure only */
	T_EXPECT(!client_of(&k, "smb://u:pw@h/s/a", &code));
	T_EXPECT_EQ(code, CLI_EXIT_USAGE);
	T_EXPECT(!k.fatal);
	cli_cache_release(&k);
	T_EXPECT_EQ(fk.disconnects, 1); /* the failed entry had no client */
}

static void test_no_credentials(void)
{
	struct cli_cache k;
	int code;

	cache_init(&k);
	fk.fail_code = CLI_EXIT_USAGE;
	fk.fail_err = 0;
	T_EXPECT(!client_of(&k, "smb://u@h/s/a", &code));
	T_EXPECT_EQ(code, CLI_EXIT_USAGE);
	T_EXPECT(k.fatal);
	T_EXPECT_EQ(k.n, 0);
	cli_cache_release(&k);
	T_EXPECT_EQ(fk.disconnects, 0);
}

static void expand(const char *in, int argc, char **argv, int want_code,
		   int want_argc, const char *const *want)
{
	FILE *f = fmemopen((void *)in, strlen(in), "r");
	struct cli_urls u;
	int code;

	/* fmemopen of an empty buffer fails on some libcs */
	if (!f)
		f = fopen("/dev/null", "r");
	T_ASSERT(f);
	code = cli_urls_expand(f, argc, argv, &u);
	fclose(f);
	T_EXPECT_EQ(code, want_code);
	if (code)
		return;
	T_EXPECT_EQ(u.argc, want_argc);
	for (int i = 0; i < u.argc && i < want_argc; i++) {
		t_checks++;
		if (strcmp(u.argv[i], want[i])) {
			t_failures++;
			fprintf(stderr, "argv[%d] \"%s\", want \"%s\"\n", i,
				u.argv[i], want[i]);
		}
	}
	cli_urls_release(&u);
}

static void test_urls_stdin(void)
{
	char *a1[] = {"smb://h/s/a", "smb://h/s/b"};
	const char *const w1[] = {"smb://h/s/a", "smb://h/s/b"};
	char *a2[] = {"smb://h/s/a", "-", "smb://h/s/z"};
	const char *const w2[] = {"smb://h/s/a", "smb://h/s/x", "smb://h/s/y",
				  " smb://h/s/sp ", "smb://h/s/z"};
	char *a3[] = {"-"};
	char *a4[] = {"-", "-"};

	expand("ignored\n", 2, a1, 0, 2, w1);
	/* CRLF, empty lines, no final newline; spaces are kept */
	expand("smb://h/s/x\r\n\n\nsmb://h/s/y\n smb://h/s/sp ", 3, a2, 0, 5,
	       w2);
	expand("", 1, a3, 0, 0, NULL);
	expand("\n\r\n", 1, a3, 0, 0, NULL);
	expand("smb://h/s/x\n", 2, a4, CLI_EXIT_USAGE, 0, NULL);
}

int main(void)
{
	cli_opts_init(&opts);
	T_RUN(test_same_share);
	T_RUN(test_different_keys);
	T_RUN(test_lru);
	T_RUN(test_failed_connection);
	T_RUN(test_no_credentials);
	T_RUN(test_urls_stdin);
	return t_done();
}
