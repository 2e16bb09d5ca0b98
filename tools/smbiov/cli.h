/* SPDX-License-Identifier: MIT */
/*
 * The smbiov command-line tool: options, connections and the commands.
 * Every command returns an exit code (exitcodes.h) after printing at most
 * one error line.
 */
#ifndef SMBIOV_CLI_H
#define SMBIOV_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <smbiov/smbiov.h>

#include "exitcodes.h"

/* Command-specific options a command accepts (struct cli_cmd.flags). */
#define CLI_F_RECURSIVE (1u << 0) /* -r */
#define CLI_F_LONG	(1u << 1) /* -l */
#define CLI_F_FORCE	(1u << 2) /* -f */
#define CLI_F_PARENTS	(1u << 3) /* -p */
#define CLI_F_INPLACE	(1u << 5) /* --inplace */
#define CLI_F_FAILFAST	(1u << 6) /* --fail-fast */
#define CLI_F_HUMAN	(1u << 4) /* -h, -H: human sizes (-h is help elsewhere) */
#define CLI_F_CONTINUE	(1u << 7)  /* -C, --continue */
#define CLI_F_DEREF	(1u << 8)  /* -L, --dereference */
#define CLI_F_MOUNTFG	(1u << 9)  /* mount -f: stay in the foreground */
#define CLI_F_MOUNTOPTS (1u << 10) /* mount -o OPTIONS */

/* -o arguments one mount takes (each a comma-separated list) */
#define CLI_MOUNT_O_MAX 16

/* Transfer chunk: one library call moves this much (split by the engine). */
#define CLI_CHUNK ((size_t)8 << 20)

/*
 * --streams: a get or put of one file of at least CLI_STREAM_MIN bytes
 * also runs over streams-1 more connections to the same share, opened
 * while the first one already moves data (xfer_par.c). On Samba each
 * connection is its own smbd process, so the server's signing and
 * sealing spread over cores. Without --streams: CLI_STREAMS_SECURED on a
 * signed or sealed connection, one on a plain one, where the server only
 * copies and a second connection measured no faster on 2 cores
 * (bench/RESULTS.md, 2026-11-26).
 */
#define CLI_STREAMS_SECURED 2
/*
 * Decision (issue 15): a command tries a lost connection again for 10 s
 * by default, not the library's 60 s: long enough for a reset, a server
 * restart or a failover, short enough that a server that is gone ends
 * the command (exit 4) while someone still waits for it.
 */
#define CLI_RECONNECT_MS 10000
/*
 * An interrupted command's end (main.c): the local temporary file
 * removed, the terminal restored, "interrupted", exit CLI_EXIT_INTR.
 * Async-signal-safe.
 */
_Noreturn void cli_interrupted_exit(void);

/* Is the library's reconnect on for @o's connections (--reconnect)? */
#define cli_reconnects(o) ((o)->reconnect_ms >= 0)
#define CLI_STREAMS_MAX	  8
#define CLI_STREAM_MIN	  ((uint64_t)64 << 20)

struct cli_opts {
	const char *credentials; /* --credentials FILE */
	const char *user;	 /* --user [DOMAIN;]USER */
	enum smbiov_mode sign, encrypt;
	uint16_t min_dialect, max_dialect;
	int timeout_ms;
	/*
	 * --reconnect SECONDS: how long a lost connection is tried again
	 * (smbiov_options.reconnect_ms); 0 means CLI_RECONNECT_MS, -1 off.
	 */
	int reconnect_ms;
	int streams; /* --streams: connections per big file; 0 auto */
	bool stats;
	bool fsync;   /* --fsync: downloads durable before their rename */
	int progress; /* -1 auto (stderr is a TTY), 0 off, 1 on */
	bool recursive, long_list, force, parents, human;
	bool inplace;	/* put: write the destination itself, not a temporary */
	bool fail_fast; /* get -r, put -r: stop at the first failing entry */
	bool resume;	/* -C: keep partial transfers, continue kept ones */
	bool deref;	/* put -r -L: follow symbolic links in the tree */
	bool foreground;		      /* mount -f */
	const char *mount_o[CLI_MOUNT_O_MAX]; /* mount -o, in order */
	int n_mount_o;
	/* smbiov_options.close_timeout_ms (mount closetimeo=); 0 default */
	int close_timeout_ms;
	bool help, version;
};

struct cli_cmd {
	const char *name;
	int (*run)(const struct cli_opts *o, int argc, char **argv);
	unsigned flags;		/* CLI_F_* it accepts */
	int min_args, max_args; /* positional arguments; -1: no maximum */
	const char *synopsis;	/* after "smbiov NAME " */
	const char *help;	/* what it does, options it takes */
	bool stdin_urls;	/* an argument "-" reads URLs from stdin */
};

/*
 * A tree transfer (get -r, put -r) goes on after an entry fails: each
 * failure has printed its own line; the walk stops only at a failure that
 * would fail every entry after it (tree_fatal: the connection, the
 * server's replies, a signal, no space), or with --fail-fast. At the end
 * one summary line when there was more than the one failure to report,
 * and the exit code of the first failure.
 */
struct cli_tree {
	uint64_t ok, failed;
	int code; /* the first failure's exit code, or 0 */
};

/* tree.c */
/* Account one entry's result @code; true when the walk must stop. */
bool cli_tree_note(struct cli_tree *t, const struct cli_opts *o, int code);
/* The summary line (if any is due) and the tree's exit code. */
int cli_tree_end(const struct cli_tree *t, const char *what);

/* args.c */
void cli_opts_init(struct cli_opts *o);
/**
 * cli_parse_args - parse options into @o
 * @argc, @argv: argv[0] is the program or command name
 * @allowed: CLI_F_* flags accepted besides the connection options
 * @global: stop at the first non-option (the command name)
 * @first_arg: index of the first non-option argument on return
 *
 * Returns 0 or CLI_EXIT_USAGE after printing why.
 */
int cli_parse_args(int argc, char **argv, struct cli_opts *o, unsigned allowed,
		   bool global, int *first_arg);
int cli_parse_dialect(const char *s, uint16_t *min, uint16_t *max);
int cli_parse_mode(const char *s, enum smbiov_mode *m);
void cli_print_options(void);

/* The URL arguments of a command, with "-" replaced by the lines of stdin. */
struct cli_urls {
	int argc;
	char **argv; /* into the command line and buf */
	char *buf;   /* what was read */
};
/* Returns 0 (release @out then) or an exit code after printing why. */
int cli_urls_expand(FILE *in, int argc, char **argv, struct cli_urls *out);
void cli_urls_release(struct cli_urls *u);

/* conn.c: one connection to one share. */
struct cli_conn {
	struct smbiov_client *c;
	struct smbiov_url url;
	const char *urlstr;
	const struct cli_opts *o;
	int stream; /* 0, or n: the n+1-th connection of one transfer */
};

bool cli_is_url(const char *s);
/* Parse @url into @u; prints and returns CLI_EXIT_USAGE when malformed. */
int cli_url_parse(const char *url, struct smbiov_url *u);
/* Parse and connect; returns 0 or an exit code after printing why. */
int cli_connect(const struct cli_opts *o, const char *url, struct cli_conn *cc);
/*
 * cli_connect(); when the connection itself failed (not the URL or the
 * credentials), the failure is also in @why (why->err == 0 otherwise).
 */
int cli_connect_why(const struct cli_opts *o, const char *url,
		    struct cli_conn *cc, struct smbiov_error *why);
/*
 * Another connection like @cc's (same URL, credentials and options) for
 * one transfer's stream @stream; prints nothing. Refused with -EPERM when
 * it did not come out exactly as protected as @cc (cli_same_protection).
 */
bool cli_same_protection(const struct smbiov_conn_info *a,
			 const struct smbiov_conn_info *b);
int cli_connect_stream(const struct cli_conn *cc, int stream,
		       struct cli_conn *out);
/* Print --stats if asked, disconnect, release. */
void cli_disconnect(struct cli_conn *cc);
/* Wipe the cached password (at exit). */
void cli_creds_wipe(void);
bool cli_same_share(const struct smbiov_url *a, const struct smbiov_url *b);
/* "smb://host/share/path" for messages, into @buf. */
const char *cli_target(const struct cli_conn *cc, const char *path, char *buf,
		       size_t len);
/* Last component of @path ("" for ""). */
const char *cli_basename(const char *path);
/* @dir + "/" + @name without a leading '/' when @dir is ""; malloc'd. */
char *cli_join(const char *dir, const char *name);

/*
 * conncache.c: the connections of one command with many URLs. URLs with
 * the same host, port, share, user and domain (cli_same_share) share one
 * client; the CLI_CACHE_MAX most recently used stay open. A failure to
 * connect is remembered and reported again, without a new attempt, for
 * each later URL of that share.
 */
#define CLI_CACHE_MAX 4

struct cli_cache_ent {
	struct cli_conn cc;	 /* cc.c NULL: connecting failed */
	struct smbiov_error why; /* the failure, when cc.c is NULL */
	unsigned long used;	 /* LRU clock */
};

struct cli_cache {
	const struct cli_opts *o;
	/* cli_connect_why and cli_disconnect; the unit tests replace them */
	int (*connect)(const struct cli_opts *o, const char *url,
		       struct cli_conn *cc, struct smbiov_error *why);
	void (*disconnect)(struct cli_conn *cc);
	struct cli_cache_ent ent[CLI_CACHE_MAX]; /* in the order opened */
	size_t n;
	unsigned long clock;
	/*
	 * Set when a failure concerned the command, not one URL (no
	 * credentials, a prompt interrupted, out of memory): commands that
	 * go on after a failed URL stop.
	 */
	bool fatal;
};

void cli_cache_init(struct cli_cache *k, const struct cli_opts *o);
/**
 * cli_cache_open - a connection for @url, reused or opened
 * @cc: filled: cc->url is @url's own (cc->url.path its path), cc->c is
 *	borrowed from the cache (valid until cli_cache_release(), or the
 *	next cli_cache_open() that has to connect: it may close the least
 *	recently used client)
 *
 * Returns 0, or an exit code after printing one line (invalid URL, failed
 * connection, no credentials). Release @cc with cli_cache_done().
 */
int cli_cache_open(struct cli_cache *k, const char *url, struct cli_conn *cc);
/*
 * True when cli_cache_open(@url) would reuse an open client: it prints
 * nothing, connects nothing and closes nothing.
 */
bool cli_cache_ready(const struct cli_cache *k, const char *url);
/* Release what cli_cache_open() filled in @cc; the client stays cached. */
void cli_cache_done(struct cli_conn *cc);
/* Disconnect every client (--stats for each, in the order opened). */
void cli_cache_release(struct cli_cache *k);

/*
 * cli_each_url - run @fn on each of @argc URLs in order, through one
 * connection cache; stops at the first non-zero exit code (a URL that
 * cannot be opened included) and returns it, else 0.
 */
typedef int (*cli_url_fn)(const struct cli_opts *o, struct cli_conn *cc,
			  void *arg);
int cli_each_url(const struct cli_opts *o, int argc, char **argv, cli_url_fn fn,
		 void *arg);
/*
 * rm/rmdir: a URL naming a share's root is refused (one line, exit
 * CLI_EXIT_USAGE); 0 otherwise. @target as cli_target() made it.
 */
int cli_refuse_share_root(const struct cli_conn *cc, const char *target);

/* cmd_ls.c: a whole directory, sorted by name (memory: names + stat). */
struct cli_entry {
	char *name;
	struct smbiov_stat st;
};
struct cli_list {
	struct cli_entry *e;
	size_t n;
};
/* Returns 0 or a negative errno (smbiov_last_error() tells more). */
int cli_list_dir(struct smbiov_client *c, const char *path,
		 struct cli_list *out);
void cli_list_release(struct cli_list *l);

/* The commands. */
int cmd_ls(const struct cli_opts *o, int argc, char **argv);
int cmd_stat(const struct cli_opts *o, int argc, char **argv);
int cmd_cat(const struct cli_opts *o, int argc, char **argv);
int cmd_get(const struct cli_opts *o, int argc, char **argv);
int cmd_put(const struct cli_opts *o, int argc, char **argv);
int cmd_cp(const struct cli_opts *o, int argc, char **argv);
int cmd_rm(const struct cli_opts *o, int argc, char **argv);
int cmd_mkdir(const struct cli_opts *o, int argc, char **argv);
int cmd_rmdir(const struct cli_opts *o, int argc, char **argv);
int cmd_mv(const struct cli_opts *o, int argc, char **argv);
int cmd_df(const struct cli_opts *o, int argc, char **argv);
/* mount.c (with libfuse3; else main.c says it is not built) */
int cmd_mount(const struct cli_opts *o, int argc, char **argv);
int cmd_umount(const struct cli_opts *o, int argc, char **argv);

/* stats.c */
const char *cli_dialect_name(uint16_t dialect);
const char *cli_cipher_name(uint16_t cipher);
const char *cli_signing_name(uint16_t alg);
void cli_stats_print(FILE *f, const char *target,
		     const struct smbiov_conn_info *ci,
		     const struct smbiov_stats *st);
/* One more line of a --stats block: "  label" in its column, @n, @unit. */
void cli_stats_line(FILE *f, const char *label, unsigned long long n,
		    const char *unit);

#endif
