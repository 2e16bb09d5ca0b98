/* SPDX-License-Identifier: MIT */
/*
 * One connection per share for a command with many URLs: each new client
 * costs a NEGOTIATE, two SESSION_SETUP round trips, a TREE_CONNECT and,
 * on Samba, a new smbd process; a stat is one compound. A handful of
 * clients is enough for the commands' URL lists (usually one share), so
 * the cache is a small array searched linearly.
 */
#include <string.h>
#include <strings.h>

#include "cli.h"

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/*
 * Share and host names are case-insensitive on the wire; the user and
 * domain are compared exactly, which at worst costs a second connection.
 */
bool cli_same_share(const struct smbiov_url *a, const struct smbiov_url *b)
{
	return !strcasecmp(a->host, b->host) && !strcmp(a->port, b->port) &&
	       !strcasecmp(a->share, b->share) && same_str(a->user, b->user) &&
	       same_str(a->domain, b->domain);
}

void cli_cache_init(struct cli_cache *k, const struct cli_opts *o)
{
	memset(k, 0, sizeof(*k));
	k->o = o;
	k->connect = cli_connect_why;
	k->disconnect = cli_disconnect;
}

static struct cli_cache_ent *find(const struct cli_cache *k,
				  const struct smbiov_url *u)
{
	for (size_t i = 0; i < k->n; i++)
		if (cli_same_share(&k->ent[i].cc.url, u))
			return (struct cli_cache_ent *)&k->ent[i];
	return NULL;
}

static void ent_release(struct cli_cache *k, struct cli_cache_ent *e)
{
	if (e->cc.c)
		k->disconnect(&e->cc);
	else
		smbiov_url_release(&e->cc.url);
	memset(e, 0, sizeof(*e));
}

/* A free entry at the end, closing the least recently used if full. */
static struct cli_cache_ent *new_entry(struct cli_cache *k)
{
	if (k->n == CLI_CACHE_MAX) {
		size_t lru = 0;

		for (size_t i = 1; i < k->n; i++)
			if (k->ent[i].used < k->ent[lru].used)
				lru = i;
		ent_release(k, &k->ent[lru]);
		memmove(&k->ent[lru], &k->ent[lru + 1],
			(k->n - lru - 1) * sizeof(k->ent[0]));
		k->n--;
	}
	memset(&k->ent[k->n], 0, sizeof(k->ent[0]));
	return &k->ent[k->n++];
}

int cli_cache_open(struct cli_cache *k, const char *url, struct cli_conn *cc)
{
	struct cli_cache_ent *e;
	char target[512];
	int code;

	memset(cc, 0, sizeof(*cc));
	code = cli_url_parse(url, &cc->url);
	if (code) {
		/* a malformed URL is that URL's problem; no memory is not */
		if (code != CLI_EXIT_USAGE)
			k->fatal = true;
		return code;
	}
	cc->urlstr = url;
	cc->o = k->o;
	e = find(k, &cc->url);
	if (!e) {
		e = new_entry(k);
		code = k->connect(k->o, url, &e->cc, &e->why);
		if (code &&
		    (!e->why.err || smbiov_url_parse(url, &e->cc.url))) {
			/* no credentials: every later URL would fail alike */
			k->fatal = true;
			memset(e, 0, sizeof(*e));
			k->n--;
			cli_cache_done(cc);
			return code;
		}
		/* a failed entry keeps its URL as the key, with no client */
	} else if (!e->cc.c) {
		code = cli_report(
			cli_target(&e->cc, "", target, sizeof(target)),
			&e->why);
	}
	e->used = ++k->clock;
	if (code) {
		cli_cache_done(cc);
		return code;
	}
	cc->c = e->cc.c;
	return 0;
}

bool cli_cache_ready(const struct cli_cache *k, const char *url)
{
	struct smbiov_url u;
	const struct cli_cache_ent *e;

	if (smbiov_url_parse(url, &u))
		return false;
	e = find(k, &u);
	smbiov_url_release(&u);
	return e && e->cc.c;
}

void cli_cache_done(struct cli_conn *cc)
{
	smbiov_url_release(&cc->url);
	memset(cc, 0, sizeof(*cc));
}

void cli_cache_release(struct cli_cache *k)
{
	for (size_t i = 0; i < k->n; i++)
		ent_release(k, &k->ent[i]);
	k->n = 0;
}

int cli_each_url(const struct cli_opts *o, int argc, char **argv, cli_url_fn fn,
		 void *arg)
{
	struct cli_cache k;
	int code = 0;

	cli_cache_init(&k, o);
	for (int i = 0; i < argc && !code; i++) {
		struct cli_conn cc;

		code = cli_cache_open(&k, argv[i], &cc);
		if (code)
			break;
		code = fn(o, &cc, arg);
		cli_cache_done(&cc);
	}
	cli_cache_release(&k);
	return code;
}

int cli_refuse_share_root(const struct cli_conn *cc, const char *target)
{
	if (cc->url.path[0])
		return 0;
	fprintf(stderr, "smbiov: %s: refusing to remove a share's root\n",
		target);
	return CLI_EXIT_USAGE;
}
