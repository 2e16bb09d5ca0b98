/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount / smbiov umount (docs/cli.md "smbiov mount"). The mount
 * connects first, exactly as every other command does (URL, credentials,
 * exit codes), then mounts and serves FUSE requests with libfuse's
 * multithreaded loop. Without -f it goes to the background only once
 * that worked: the client library's threads do not survive fork(), so
 * the process forks first and the parent waits on a pipe for the child
 * to report the mount made (exit 0) or its failure (its exit code, after
 * the child has exited: no daemon is left behind).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "mount_fs.h"

struct mount_run {
	const char *url, *mnt;
	struct cli_opts *co;
	const struct mount_cfg *cfg;
	int notify_fd; /* daemon: the pipe to the waiting parent; else -1 */
};

/* -o's connection options, into the CLI's own. */
static int apply_conn_opts(struct cli_opts *co, const struct mount_cfg *cfg,
			   const char *url, char **userbuf)
{
	const char *user = cfg->user;
	struct smbiov_url u = {0};

	if (cfg->credentials)
		co->credentials = cfg->credentials;
	if (cfg->domain && !user) {
		if (smbiov_url_parse(url, &u) == 0 && u.user)
			user = u.user;
		if (!user) {
			fprintf(stderr, "smbiov: mount: domain= needs user= or "
					"a user in the URL\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (user) {
		if (asprintf(userbuf, "%s%s%s", cfg->domain ? cfg->domain : "",
			     cfg->domain ? ";" : "", user) < 0) {
			smbiov_url_release(&u);
			return cli_report_local("-o", "user", ENOMEM);
		}
		co->user = *userbuf;
	}
	smbiov_url_release(&u);
	if (cfg->min_dialect) {
		co->min_dialect = cfg->min_dialect;
		co->max_dialect = cfg->max_dialect;
	}
	if (cfg->sign != SMBIOV_AUTO)
		co->sign = cfg->sign;
	if (cfg->encrypt != SMBIOV_AUTO)
		co->encrypt = cfg->encrypt;
	/*
	 * Deferred close as the library does it (5 s) unless closetimeo=
	 * says otherwise: its unlink, rmdir and rename close the parked
	 * handles of their paths first.
	 */
	if (cfg->close_timeout_set)
		co->close_timeout_ms = cfg->close_timeout_ms;
	/* a lost connection: as the CLI (10 s), unless reconnect= */
	if (cfg->reconnect_ms)
		co->reconnect_ms = cfg->reconnect_ms;
	return 0;
}

/* The URL's path must be a directory of the share: the mount's root. */
static int check_root(struct cli_conn *cc)
{
	struct smbiov_stat s;
	char target[1200];
	int ret = smbiov_stat(cc->c, cc->url.path, &s);

	cli_target(cc, cc->url.path, target, sizeof(target));
	if (ret)
		return cli_report_ret(target, ret);
	if (!s.is_dir) {
		fprintf(stderr, "smbiov: %s: not a directory\n", target);
		return CLI_EXIT_PATH;
	}
	return 0;
}

/* fsname: //host/share[/path], nothing libfuse's option syntax splits. */
static int session_args(struct fuse_args *args, const struct mount_cfg *cfg,
			const struct cli_conn *cc)
{
	char opts[1600], fsname[1200];
	int ret;

	snprintf(fsname, sizeof(fsname), "//%s/%s%s%s", cc->url.host,
		 cc->url.share, *cc->url.path ? "/" : "", cc->url.path);
	for (char *p = fsname; *p; p++)
		if (*p == ',' || *p == '\\' || *p == ' ' || *p == '\t')
			*p = '_';
	snprintf(opts, sizeof(opts),
		 "fsname=%s,subtype=smbiov,max_read=%u%s%s%s%s", fsname,
		 cfg->max_read, cfg->ro ? ",ro" : "",
		 cfg->allow_other ? ",allow_other" : "",
		 cfg->default_permissions ? ",default_permissions" : "",
		 cfg->vfs);
	ret = fuse_opt_add_arg(args, "smbiov");
	if (!ret && cfg->debug)
		ret = fuse_opt_add_arg(args, "-d");
	if (!ret)
		ret = fuse_opt_add_arg(args, "-o");
	if (!ret)
		ret = fuse_opt_add_arg(args, opts);
	return ret;
}

/* The daemon leaves the terminal and tells the parent it is mounted. */
static void detach(struct mount_run *r)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	char ok = 0;
	ssize_t w;

	setsid();
	if (chdir("/")) {
		/* "/" is always there; nothing to do if not */
	}
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	do
		w = write(r->notify_fd, &ok, 1);
	while (w < 0 && errno == EINTR);
	close(r->notify_fd);
	r->notify_fd = -1;
}

static void loop(struct fuse_session *se)
{
	struct fuse_loop_config *lc = fuse_loop_cfg_create();

	if (!lc) {
		fuse_session_loop(se);
		return;
	}
	/* each thread its own /dev/fuse descriptor; enough for the
	 * kernel's readahead and async direct I/O of several files */
	fuse_loop_cfg_set_clone_fd(lc, 1);
	fuse_loop_cfg_set_max_threads(lc, 64);
	fuse_loop_cfg_set_idle_threads(lc, 16);
	fuse_session_loop_mt(se, lc);
	fuse_loop_cfg_destroy(lc);
}

/*
 * The sysfs file of the mount's read-ahead (its bdi, named by the mount's
 * device number, from /proc/self/mountinfo: a stat of the mount point
 * would be a request to this process, whose loop is not running yet),
 * for read_ahead_once() in mount_io.c; empty when not found.
 */
static void find_read_ahead(const char *mnt, char *out, size_t size)
{
	char line[4096], want[PATH_MAX * 4 + 1], dev[32] = "";
	char *real = realpath(mnt, NULL), *o = want;
	FILE *fp;

	*out = '\0';
	if (!real)
		return;
	/* mountinfo escapes space, tab, newline and backslash as \ooo */
	for (const char *p = real; *p && o < want + sizeof(want) - 5; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\\')
			o += sprintf(o, "\\%03o", (unsigned char)*p);
		else
			*o++ = *p;
	}
	*o = '\0';
	free(real);
	fp = fopen("/proc/self/mountinfo", "re");
	if (!fp)
		return;
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ...; the last one is ours */
	while (fgets(line, sizeof(line), fp)) {
		char d[32], point[sizeof(line)];

		if (sscanf(line, "%*s %*s %31s %*s %4095s", d, point) == 2 &&
		    !strcmp(point, want))
			snprintf(dev, sizeof(dev), "%s", d);
	}
	fclose(fp);
	if (*dev)
		snprintf(out, size, "/sys/class/bdi/%s/read_ahead_kb", dev);
}

/* Mount @r->mnt on the connected client of @m and serve until unmount. */
static int serve(struct mount_run *r, struct mount_ctx *m,
		 const struct cli_conn *cc)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se = NULL;
	int code = 0;

	if (session_args(&args, r->cfg, cc) == 0)
		se = fuse_session_new(&args, &mount_ops, sizeof(mount_ops), m);
	fuse_opt_free_args(&args);
	if (!se) {
		fprintf(stderr, "smbiov: %s: cannot start the FUSE session\n",
			r->mnt);
		return CLI_EXIT_ERROR;
	}
	/* libfuse installs its handlers only over the default ones */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (fuse_set_signal_handlers(se)) {
		code = CLI_EXIT_ERROR;
		goto out;
	}
	if (fuse_session_mount(se, r->mnt)) {
		fprintf(stderr, "smbiov: %s: cannot mount\n", r->mnt);
		code = CLI_EXIT_LOCAL;
		goto out_signals;
	}
	/* no such hook: the kernel asks before each write, as before */
	if (mount_init_hook(se, r->cfg))
		fprintf(stderr,
			"smbiov: %s: no FUSE I/O hook: writes "
			"ask for security.capability\n",
			r->mnt);
	find_read_ahead(r->mnt, m->ra_path, sizeof(m->ra_path));
	if (r->notify_fd >= 0)
		detach(r);
	mount_io_set_session(m, se);
	loop(se);
	fuse_session_unmount(se);
	/*
	 * Reads answered from their completion reply through @se, which
	 * stays until fuse_session_destroy(); after the unmount, which a
	 * read waiting on a stopped server must not hold up.
	 */
	mount_aread_stop(m);
	/*
	 * After the unmount: a lease break's invalidation in progress waits
	 * for pages of requests in flight, which the unmount ends.
	 */
	mount_io_set_session(m, NULL);
out_signals:
	fuse_remove_signal_handlers(se);
out:
	fuse_session_destroy(se);
	return code;
}

/*
 * The daemon lives on with its environment, which /proc/PID/environ
 * shows (to its owner and root): $SMBIOV_PASSWORD is overwritten there
 * too, in place, once it is no longer needed.
 */
static void wipe_env_password(void)
{
	char *pw = getenv("SMBIOV_PASSWORD");

	if (pw)
		explicit_bzero(pw, strlen(pw));
	unsetenv("SMBIOV_PASSWORD");
}

static int mount_main(struct mount_run *r)
{
	struct mount_ctx m;
	struct cli_conn cc;
	int code;

	code = cli_connect(r->co, r->url, &cc);
	if (code)
		return code;
	/* the library keeps its own copy for reconnecting (wiped at exit) */
	cli_creds_wipe();
	wipe_env_password();
	code = check_root(&cc);
	if (!code && mtable_init(&m.t, cc.url.path))
		code = cli_report_local(r->mnt, "mount", ENOMEM);
	if (code) {
		cli_disconnect(&cc);
		return code;
	}
	m.c = cc.c;
	m.cfg = r->cfg;
	m.oo = (struct smbiov_open_opts){.cache = r->cfg->cache,
					 .loose_ttl_ms = r->cfg->loose_ttl_ms};
	m.se = NULL;
	m.ra_path[0] = '\0';
	m.ra_set = false;
	m.xattr_security = 0;
	pthread_mutex_init(&m.append_lock, NULL);
	pthread_rwlock_init(&m.se_lock, NULL);
	/* without it (no thread) every read is synchronous, as before */
	mount_aread_start(&m);
	mount_ahead_start(&m);
	code = serve(r, &m, &cc);
	mount_aread_stop(&m); /* when serve() ended before its loop */
	/* no request runs now: what is queued or listing is let go */
	mount_ahead_stop(&m);
	/* what the kernel left open at unmount is closed (written back) */
	mtable_close_all(&m.t);
	mtable_destroy(&m.t);
	pthread_rwlock_destroy(&m.se_lock);
	pthread_mutex_destroy(&m.append_lock);
	cli_disconnect(&cc);
	/* under the connection's own --stats block */
	if (r->co->stats) {
		cli_stats_line(stderr, "  security. xattr asks",
			       m.xattr_security, "");
		cli_stats_line(stderr, "  listings queued ahead",
			       m.ahead_queued, "");
		cli_stats_line(stderr, "  listings read ahead", m.ahead_read,
			       "");
		cli_stats_line(stderr, "  of them used", m.ahead_used, "");
	}
	return code;
}

static int daemonize(struct mount_run *r)
{
	int p[2], st, code;
	unsigned char b;
	ssize_t got;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return cli_report_local("pipe", NULL, errno);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return cli_report_local("fork", NULL, errno);
	}
	if (pid == 0) {
		close(p[0]);
		r->notify_fd = p[1];
		code = mount_main(r);
		if (r->notify_fd >= 0) {
			b = (unsigned char)(code ? code : CLI_EXIT_ERROR);
			got = write(r->notify_fd, &b, 1);
			(void)got;
			close(r->notify_fd);
		}
		return code;
	}
	close(p[1]);
	do
		got = read(p[0], &b, 1);
	while (got < 0 && errno == EINTR);
	close(p[0]);
	if (got == 1 && b == 0)
		return 0; /* mounted; the child serves it */
	/* it failed: wait until it is gone, then report its code */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got == 1)
		return b;
	return WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st)
						: CLI_EXIT_ERROR;
}

int cmd_mount(const struct cli_opts *o, int argc, char **argv)
{
	struct cli_opts co = *o;
	struct mount_cfg cfg;
	struct mount_run r;
	char *userbuf = NULL;
	struct stat st;
	int code;

	(void)argc;
	code = mount_cfg_parse(&cfg, o->n_mount_o, o->mount_o);
	if (!code)
		code = apply_conn_opts(&co, &cfg, argv[0], &userbuf);
	if (!code && stat(argv[1], &st))
		code = cli_report_local(argv[1], "mount point", errno);
	else if (!code && !S_ISDIR(st.st_mode))
		code = cli_report_local(argv[1], "mount point", ENOTDIR);
	if (!code) {
		r = (struct mount_run){.url = argv[0],
				       .mnt = argv[1],
				       .co = &co,
				       .cfg = &cfg,
				       .notify_fd = -1};
		code = o->foreground ? mount_main(&r) : daemonize(&r);
	}
	free(userbuf);
	mount_cfg_release(&cfg);
	return code;
}

int cmd_umount(const struct cli_opts *o, int argc, char **argv)
{
	char *mnt = argv[0], *dot = NULL;
	int st;
	pid_t pid;

	(void)o;
	(void)argc;
	/* fusermount3 would take "-x" for an option */
	if (*mnt == '-' && asprintf(&dot, "./%s", mnt) > 0)
		mnt = dot;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", mnt, (char *)NULL);
		_exit(127);
	}
	free(dot);
	if (pid < 0)
		return cli_report_local("fork", NULL, errno);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		fprintf(stderr, "smbiov: umount: cannot run fusermount3 "
				"(Debian package fuse3)\n");
		return CLI_EXIT_ERROR;
	}
	/* fusermount3 said why */
	return CLI_EXIT_ERROR;
}
