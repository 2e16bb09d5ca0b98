/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount -o: mount.cifs-style options plus FUSE's own. Each -o is a
 * comma-separated list; the last of an option wins. An option that is not
 * known is refused (one line, exit 2), mount.cifs' too when the mount
 * does not implement it: silently ignoring what a user asked for hides
 * the difference until the data is wrong.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "mount.h"

static int bad(const char *what, const char *opt)
{
	fprintf(stderr, "smbiov: mount: %s '%s' (see 'smbiov mount --help')\n",
		what, opt);
	return CLI_EXIT_USAGE;
}

static int parse_ulong(const char *s, int base, unsigned long max,
		       unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, base);
	return errno || *end || *out > max ? -1 : 0;
}

static int parse_id(const char *s, bool group, unsigned *out)
{
	unsigned long v;

	if (!parse_ulong(s, 10, UINT_MAX - 1, &v)) {
		*out = (unsigned)v;
		return 0;
	}
	if (group) {
		struct group *g = getgrnam(s);

		if (g)
			*out = g->gr_gid;
		return g ? 0 : -1;
	} else {
		struct passwd *p = getpwnam(s);

		if (p)
			*out = p->pw_uid;
		return p ? 0 : -1;
	}
}

/* seconds as mount.cifs takes them (whole, at most a day) */
static int parse_secs(const char *v, double *out)
{
	unsigned long s;

	if (parse_ulong(v, 10, 86400, &s))
		return -1;
	*out = (double)s;
	return 0;
}

/*
 * A size in bytes: a number, or with a suffix K, M or G (also KiB, MiB,
 * GiB: powers of 1024, as mount.cifs and the kernel take sizes), within
 * [@min, @max].
 */
static int parse_bytes(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	static const char units[] = "KMG";
	const char *u;
	unsigned long long n;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -1;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (!strcasecmp(end, "iB"))
			end += 2;
		if (*end)
			return -1;
	}
	if (n > (max >> shift))
		return -1;
	n <<= shift;
	if (n < min)
		return -1;
	*out = n;
	return 0;
}

/* vers=: mount.cifs' names, and the CLI's --dialect forms */
static int parse_vers(const char *v, struct mount_cfg *c)
{
	if (!strcmp(v, "default")) {
		c->min_dialect = c->max_dialect = 0;
		return 0;
	}
	if (!strcmp(v, "2.0")) {
		c->min_dialect = c->max_dialect = SMBIOV_DIALECT_202;
		return 0;
	}
	return cli_parse_dialect(v, &c->min_dialect, &c->max_dialect);
}

static int opt_cache(const char *v, struct mount_cfg *c)
{
	if (!strcmp(v, "strict"))
		c->cache = SMBIOV_CACHE_STRICT;
	else if (!strcmp(v, "loose"))
		c->cache = SMBIOV_CACHE_LOOSE;
	else if (!strcmp(v, "none"))
		c->cache = SMBIOV_CACHE_NONE;
	else
		return -1;
	return 0;
}

/*
 * mount(8)'s own options, as an /etc/fstab line gives them (through
 * mount.fuse3, which drops user, noauto, _netdev, nofail and the like
 * itself; they are taken here too, for a mount.fuse3 that does not):
 * the kernel's mount flags libfuse knows go to the FUSE mount, the rest
 * are mount(8)'s or systemd's business (or atime policy: the server
 * keeps its own times). 1: not one of them.
 */
static const char *const vfs_flags[] = {
	"suid",	   "nosuid", "dev",   "nodev",	    "exec",    "noexec",
	"noatime", "sync",   "async", "nodiratime", "dirsync", NULL};
static const char *const fstab_only[] = {
	"auto",	      "noauto",	  "user",	"nouser",      "users",
	"owner",      "group",	  "_netdev",	"nofail",      "defaults",
	"atime",      "relatime", "norelatime", "strictatime", "lazytime",
	"nolazytime", NULL};

static bool in_list(const char *const *l, const char *k)
{
	for (; *l; l++)
		if (!strcmp(*l, k))
			return true;
	return false;
}

static int opt_mount8(const char *k, struct mount_cfg *c)
{
	size_t at = strlen(c->vfs);

	if (in_list(fstab_only, k) || !strncmp(k, "x-", 2))
		return 0;
	if (!in_list(vfs_flags, k))
		return 1;
	/* in order, as libfuse takes them: the last one wins there */
	if (strlen(k) + 1 >= sizeof(c->vfs) - at)
		return -1;
	snprintf(c->vfs + at, sizeof(c->vfs) - at, ",%s", k);
	return 0;
}

/* Options without a value; 1: not one of them. */
static int opt_flag(const char *k, struct mount_cfg *c)
{
	if (!strcmp(k, "ro"))
		c->ro = true;
	else if (!strcmp(k, "rw"))
		c->ro = false;
	else if (!strcmp(k, "allow_other"))
		c->allow_other = true;
	else if (!strcmp(k, "default_permissions"))
		c->default_permissions = true;
	else if (!strcmp(k, "noserverino"))
		c->noserverino = true;
	else if (!strcmp(k, "serverino"))
		c->noserverino = false;
	else if (!strcmp(k, "sign"))
		c->sign = SMBIOV_REQUIRED;
	else if (!strcmp(k, "seal"))
		c->encrypt = SMBIOV_REQUIRED;
	else if (!strcmp(k, "mfsymlinks"))
		c->mfsymlinks = true;
	else if (!strcmp(k, "nomfsymlinks"))
		c->mfsymlinks = false;
	else if (!strcmp(k, "debug"))
		c->debug = true;
	/*
	 * Without the unix extensions the server has no owner to show:
	 * uid= and gid= always apply, as forceuid/forcegid make them in
	 * mount.cifs. Byte-range locks stay local (the kernel's own):
	 * nobrl is what the mount does.
	 */
	else if (!strcmp(k, "forceuid") || !strcmp(k, "forcegid") ||
		 !strcmp(k, "nobrl"))
		;
	else
		return opt_mount8(k, c);
	return 0;
}

/* Options with a value; 1: not one of them, -1: a bad value. */
static int opt_value(const char *k, const char *v, struct mount_cfg *c)
{
	unsigned long u;
	uint64_t b;
	double secs;

	if (!strcmp(k, "uid"))
		return parse_id(v, false, &c->uid);
	if (!strcmp(k, "gid"))
		return parse_id(v, true, &c->gid);
	if (!strcmp(k, "file_mode") || !strcmp(k, "dir_mode")) {
		if (parse_ulong(v, 8, 07777, &u))
			return -1;
		*(k[0] == 'f' ? &c->file_mode : &c->dir_mode) = (mode_t)u;
		return 0;
	}
	if (!strcmp(k, "cache"))
		return opt_cache(v, c);
	if (!strcmp(k, "actimeo") || !strcmp(k, "acregmax") ||
	    !strcmp(k, "acdirmax")) {
		if (parse_secs(v, &secs))
			return -1;
		if (strcmp(k, "acdirmax"))
			c->attr_timeout_file = secs;
		if (strcmp(k, "acregmax"))
			c->attr_timeout_dir = secs;
		if (!strcmp(k, "actimeo"))
			c->loose_ttl_ms = secs ? (unsigned)(secs * 1000) : 1;
		return 0;
	}
	if (!strcmp(k, "reconnect")) {
		if (parse_secs(v, &secs) || secs > 86400)
			return -1;
		c->reconnect_ms = secs ? (int)(secs * 1000) : -1;
		return 0;
	}
	if (!strcmp(k, "closetimeo")) {
		if (parse_secs(v, &secs))
			return -1;
		c->close_timeout_set = true;
		c->close_timeout_ms = secs ? (int)(secs * 1000) : -1;
		return 0;
	}
	/*
	 * dirahead=N: how many subdirectories' listings one served listing
	 * has read ahead (mount_dir.c); 0: none. Not a mount.cifs option.
	 */
	if (!strcmp(k, "dirahead")) {
		if (parse_ulong(v, 10, MOUNT_MAX_DIRAHEAD, &u))
			return -1;
		c->dirahead = (unsigned)u;
		return 0;
	}
	if (!strcmp(k, "max_read")) {
		if (parse_ulong(v, 10, MOUNT_MAX_IO, &u) || u < 4096)
			return -1;
		c->max_read = (unsigned)u;
		return 0;
	}
	/*
	 * rsize=, wsize=: the most bytes one READ or WRITE to the server
	 * carries (the library's max_read, max_write), where that is less
	 * than the server offers; rounded down to whole pages (4096) there,
	 * as cifs does. The FUSE side (max_read=, and 1 MiB writes) is
	 * another thing: a 1 MiB FUSE write becomes several WRITEs.
	 */
	if (!strcmp(k, "rsize") || !strcmp(k, "wsize")) {
		if (parse_bytes(v, 4096, MOUNT_MAX_RWSIZE, &b))
			return -1;
		*(k[0] == 'r' ? &c->rsize : &c->wsize) = (uint32_t)b;
		return 0;
	}
	/* cache_size=: the file layer's budget (smbiov_options.cache_bytes) */
	if (!strcmp(k, "cache_size")) {
		if (parse_bytes(v, MOUNT_MIN_CACHE, MOUNT_MAX_CACHE, &b))
			return -1;
		c->cache_bytes = (size_t)b;
		return 0;
	}
	if (!strcmp(k, "vers"))
		return parse_vers(v, c);
	if (!strcmp(k, "credentials") || !strcmp(k, "cred")) {
		c->credentials = v;
		return *v ? 0 : -1;
	}
	if (!strcmp(k, "user") || !strcmp(k, "username")) {
		c->user = v;
		/* mount.cifs' user=NAME%PASSWORD: never on a command line */
		return *v && !strchr(v, '%') ? 0 : -1;
	}
	if (!strcmp(k, "domain") || !strcmp(k, "dom") ||
	    !strcmp(k, "workgroup")) {
		c->domain = v;
		return 0;
	}
	/* fstab: comment=... (systemd's x-systemd.* have a value too) */
	if (!strcmp(k, "comment") || !strncmp(k, "x-", 2))
		return 0;
	return 1;
}

static int one_option(char *opt, struct mount_cfg *c)
{
	char *eq = strchr(opt, '=');
	int r;

	if (!*opt)
		return 0;
	if (eq)
		*eq = '\0';
	if (!strcmp(opt, "password") || !strcmp(opt, "pass") ||
	    !strcmp(opt, "password2")) {
		fprintf(stderr, "smbiov: mount: passwords are not taken from "
				"the command line: use SMBIOV_PASSWORD, "
				"credentials=FILE or the prompt\n");
		return CLI_EXIT_USAGE;
	}
	r = eq ? opt_value(opt, eq + 1, c) : opt_flag(opt, c);
	/* (the other kind is asked only to word the refusal) */
	if (r == 1 && !eq && opt_value(opt, "", c) != 1)
		return bad("option needs a value", opt);
	if (r == 1 && eq && opt_flag(opt, c) != 1)
		return bad("option takes no value", opt);
	if (eq)
		*eq = '=';
	if (r == 1)
		return bad("unknown option", opt);
	if (r)
		return bad("bad value in option", opt);
	return 0;
}

int mount_cfg_parse(struct mount_cfg *c, int n, const char *const *opts)
{
	size_t len = 0, at = 0;
	char *p, *next;
	int code = 0;

	memset(c, 0, sizeof(*c));
	c->uid = getuid();
	c->gid = getgid();
	c->file_mode = 0755;
	c->dir_mode = 0755;
	c->cache = SMBIOV_CACHE_STRICT;
	c->attr_timeout_file = c->attr_timeout_dir = 1.0;
	c->max_read = MOUNT_MAX_IO;
	c->dirahead = MOUNT_DIRAHEAD;
	c->sign = c->encrypt = SMBIOV_AUTO;
	for (int i = 0; i < n; i++)
		len += strlen(opts[i]) + 1;
	c->buf = malloc(len + 1);
	if (!c->buf)
		return cli_report_local("-o", "parse", ENOMEM);
	/* one buffer, the -o arguments joined by commas */
	for (int i = 0; i < n; i++) {
		size_t l = strlen(opts[i]);

		memcpy(c->buf + at, opts[i], l);
		at += l;
		c->buf[at++] = ',';
	}
	c->buf[at] = '\0';
	for (p = c->buf; p && !code; p = next) {
		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		code = one_option(p, c);
	}
	return code;
}

void mount_cfg_conn(const struct mount_cfg *c, struct smbiov_options *so)
{
	if (c->rsize)
		so->max_read = c->rsize;
	if (c->wsize)
		so->max_write = c->wsize;
	if (c->cache_bytes)
		so->cache_bytes = c->cache_bytes;
}

void mount_conn_options(const struct cli_opts *o, struct smbiov_options *so)
{
	struct mount_cfg c;

	if (!o->n_mount_o)
		return;
	/* checked when the mount began: no message can come from here */
	if (!mount_cfg_parse(&c, o->n_mount_o, o->mount_o))
		mount_cfg_conn(&c, so);
	mount_cfg_release(&c);
}

void mount_cfg_release(struct mount_cfg *c)
{
	free(c->buf);
	c->buf = NULL;
}
