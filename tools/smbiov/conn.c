/* SPDX-License-Identifier: MIT */
/*
 * Connecting: URL, credentials (creds.h), options; --stats at disconnect.
 * The password is resolved once per user and reused for a second
 * connection (cp between servers) without prompting again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "creds.h"
#include "mount.h"

static struct cli_creds cached; /* the resolved user, domain, password */
static bool cached_valid;

bool cli_is_url(const char *s)
{
	return !strncasecmp(s, "smb://", 6);
}

/*
 * The URL for a message, with a password in it (refused, but typed)
 * replaced by "***": scheme, then user up to ':', then from the last '@'
 * of the authority on.
 */
static void redact_url(const char *url, char *buf, size_t len)
{
	const char *auth = strstr(url, "://");
	const char *end, *at = NULL, *colon;

	auth = auth ? auth + 3 : url;
	end = auth + strcspn(auth, "/\\");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (!colon) {
		snprintf(buf, len, "%s", url);
		return;
	}
	snprintf(buf, len, "%.*s***%s", (int)(colon + 1 - url), url, at);
}

int cli_url_parse(const char *url, struct smbiov_url *u)
{
	int ret = smbiov_url_parse(url, u);
	char shown[1200];

	if (ret == -EINVAL) {
		redact_url(url, shown, sizeof(shown));
		fprintf(stderr,
			"smbiov: %s: invalid URL (expected "
			"smb://[domain;]user@host[:port]/share[/path]; no "
			"password, no \"..\")\n",
			shown);
		return CLI_EXIT_USAGE;
	}
	if (ret)
		return cli_report_ret(url, ret);
	return 0;
}

/* "DOM;user" or "DOM\user" from --user. */
static int split_user_opt(const char *s, struct cli_creds *c)
{
	const char *sep = strpbrk(s, ";\\");

	if (sep) {
		c->domain = strndup(s, (size_t)(sep - s));
		s = sep + 1;
	}
	c->user = strdup(s);
	return c->user && (!sep || c->domain) ? 0 : -ENOMEM;
}

static int take(char **dst, const char *src)
{
	if (!src || *dst)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

/*
 * Who we are: --user, else the URL's user, else the credentials file's;
 * the password: the credentials file's, else $SMBIOV_PASSWORD, else the
 * prompt (only when a user is known: no user means anonymous).
 */
static int resolve_creds(const struct cli_opts *o, const struct smbiov_url *u,
			 struct cli_creds *out)
{
	struct cli_creds file = {0};
	const char *env = getenv("SMBIOV_PASSWORD");
	bool insecure;
	int ret;

	memset(out, 0, sizeof(*out));
	if (o->credentials) {
		ret = creds_load(o->credentials, &file, &insecure);
		if (ret) {
			if (ret != -EINVAL)
				fprintf(stderr,
					"smbiov: %s: cannot read credentials "
					"file: %s\n",
					o->credentials, smbiov_strerror(ret));
			return CLI_EXIT_USAGE;
		}
		if (insecure)
			fprintf(stderr,
				"smbiov: warning: %s is readable by group or "
				"others (chmod 600 it)\n",
				o->credentials);
	}
	ret = o->user ? split_user_opt(o->user, out) : 0;
	if (!ret && !out->user && u->user) {
		ret = take(&out->user, u->user);
		if (!ret)
			ret = take(&out->domain, u->domain);
	}
	if (!ret)
		ret = take(&out->user, file.user);
	if (!ret)
		ret = take(&out->domain, file.domain);
	if (!ret && file.password)
		ret = take(&out->password, file.password);
	else if (!ret && env)
		ret = take(&out->password, env);
	creds_release(&file);
	if (ret)
		goto nomem;
	if (!out->password && out->user) {
		char prompt[600];

		snprintf(prompt, sizeof(prompt), "Password for %s%s%s@%s: ",
			 out->domain ? out->domain : "",
			 out->domain ? "\\" : "", out->user, u->host);
		ret = creds_prompt(prompt, &out->password);
		if (ret == -ENXIO) {
			fprintf(stderr,
				"smbiov: no password for %s: set "
				"SMBIOV_PASSWORD, use --credentials FILE or "
				"run on a terminal\n",
				out->user);
			creds_release(out);
			return CLI_EXIT_USAGE;
		}
		if (ret == -EINTR) {
			creds_release(out);
			return CLI_EXIT_INTR;
		}
		if (ret)
			goto nomem;
	}
	return 0;
nomem:
	creds_release(out);
	return cli_report_ret(NULL, -ENOMEM);
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void fill_options(const struct cli_opts *o, const struct cli_creds *cr,
			 struct smbiov_options *so)
{
	so->user = cr->user;
	so->domain = cr->domain;
	so->password = cr->password;
	so->sign = o->sign;
	so->encrypt = o->encrypt;
	so->min_dialect = o->min_dialect;
	so->max_dialect = o->max_dialect;
	so->timeout_ms = o->timeout_ms;
	so->close_timeout_ms = o->close_timeout_ms;
	so->reconnect_ms = o->reconnect_ms ? o->reconnect_ms : CLI_RECONNECT_MS;
	/* mount -o rsize=, wsize=, cache_size= */
	mount_conn_options(o, so);
}

/*
 * Not "at least as strong": exactly the same dialect, signing and cipher
 * as the first connection. Both came from one server with one set of
 * options, so any difference means something in between chose for us.
 */
bool cli_same_protection(const struct smbiov_conn_info *a,
			 const struct smbiov_conn_info *b)
{
	return a->dialect == b->dialect && a->signing == b->signing &&
	       a->encrypted == b->encrypted &&
	       (!a->signing || a->signing_alg == b->signing_alg) &&
	       (!a->encrypted || a->cipher == b->cipher);
}

/*
 * The credentials are the ones @cc connected with (still cached: a
 * command's transfers run between its connect and its exit, and only the
 * thread that runs the command changes them, between transfers).
 */
int cli_connect_stream(const struct cli_conn *cc, int stream,
		       struct cli_conn *out)
{
	struct smbiov_options so = {0};
	struct smbiov_conn_info a, b;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!cached_valid)
		return -EINVAL;
	ret = smbiov_url_parse(cc->urlstr, &out->url);
	if (ret)
		return ret;
	fill_options(cc->o, &cached, &so);
	ret = smbiov_connect(cc->urlstr, &so, &out->c);
	if (!ret) {
		smbiov_get_info(cc->c, &a);
		smbiov_get_info(out->c, &b);
		if (!cli_same_protection(&a, &b)) {
			smbiov_disconnect(out->c);
			ret = -EPERM;
		}
	}
	if (ret) {
		smbiov_url_release(&out->url);
		memset(out, 0, sizeof(*out));
		return ret;
	}
	out->urlstr = cc->urlstr;
	out->o = cc->o;
	out->stream = stream;
	return 0;
}

int cli_connect(const struct cli_opts *o, const char *url, struct cli_conn *cc)
{
	struct smbiov_error why;

	return cli_connect_why(o, url, cc, &why);
}

int cli_connect_why(const struct cli_opts *o, const char *url,
		    struct cli_conn *cc, struct smbiov_error *why)
{
	struct smbiov_options so = {0};
	struct smbiov_error e;
	struct cli_creds cr;
	char target[512];
	int ret;

	memset(why, 0, sizeof(*why));
	memset(cc, 0, sizeof(*cc));
	cc->o = o;
	cc->urlstr = url;
	ret = cli_url_parse(url, &cc->url);
	if (ret)
		return ret;
	if (!cached_valid) {
		ret = resolve_creds(o, &cc->url, &cached);
		if (ret)
			goto fail;
		cached_valid = true;
	}
	cr = cached;
	/* A second URL naming another user needs that user's password. */
	if (cc->url.user && !o->user && !same_str(cc->url.user, cr.user)) {
		creds_release(&cached);
		cached_valid = false;
		ret = resolve_creds(o, &cc->url, &cached);
		if (ret)
			goto fail;
		cached_valid = true;
		cr = cached;
	}
	fill_options(o, &cr, &so);
	ret = smbiov_connect(url, &so, &cc->c);
	if (ret) {
		cc->c = NULL;
		cli_error_from(ret, SMBIOV_PHASE_NONE, &e);
		ret = cli_report(cli_target(cc, "", target, sizeof(target)),
				 &e);
		*why = e;
		goto fail;
	}
	return 0;
fail:
	smbiov_url_release(&cc->url);
	return ret;
}

void cli_disconnect(struct cli_conn *cc)
{
	if (cc->c && cc->o && cc->o->stats) {
		struct smbiov_conn_info ci;
		struct smbiov_stats st;
		char target[512];

		smbiov_get_info(cc->c, &ci);
		smbiov_get_stats(cc->c, &st);
		cli_target(cc, "", target, sizeof(target));
		if (cc->stream) {
			size_t n = strlen(target);

			snprintf(target + n, sizeof(target) - n, " (stream %d)",
				 cc->stream + 1);
		}
		/* Streams disconnect from their own threads: whole blocks. */
		flockfile(stderr);
		cli_stats_print(stderr, target, &ci, &st);
		funlockfile(stderr);
	}
	if (cc->c)
		smbiov_disconnect(cc->c);
	smbiov_url_release(&cc->url);
	memset(cc, 0, sizeof(*cc));
}

void cli_creds_wipe(void)
{
	if (cached_valid)
		creds_release(&cached);
	cached_valid = false;
}

const char *cli_target(const struct cli_conn *cc, const char *path, char *buf,
		       size_t len)
{
	const struct smbiov_url *u = &cc->url;
	bool v6 = strchr(u->host, ':') != NULL;
	bool port = strcmp(u->port, "445") != 0;

	snprintf(buf, len, "smb://%s%s%s%s%s/%s%s%s", v6 ? "[" : "", u->host,
		 v6 ? "]" : "", port ? ":" : "", port ? u->port : "", u->share,
		 path && *path ? "/" : "", path ? path : "");
	return buf;
}

const char *cli_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

char *cli_join(const char *dir, const char *name)
{
	char *s;

	if (asprintf(&s, "%s%s%s", dir, *dir ? "/" : "", name) < 0)
		return NULL;
	return s;
}

void cli_error_from(int ret, enum smbiov_phase phase, struct smbiov_error *out)
{
	smbiov_last_error(out);
	if (out->err == ret)
		return;
	memset(out, 0, sizeof(*out));
	out->err = ret;
	out->phase = phase;
}

int cli_report_ret(const char *target, int ret)
{
	struct smbiov_error e;

	cli_error_from(ret, SMBIOV_PHASE_IO, &e);
	return cli_report(target, &e);
}
