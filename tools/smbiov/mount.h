/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount: the parts with no FUSE in them, so the CLI's core (and
 * its unit tests) can hold them: the -o option parser (mount_opts.c) and
 * the table of inodes and open files (mount_node.c). The FUSE side is
 * mount_fs.h.
 */
#ifndef SMBIOV_CLI_MOUNT_H
#define SMBIOV_CLI_MOUNT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <smbiov/smbiov.h>

/* ---- options (-o a,b=c,...) ------------------------------------------- */

#define MOUNT_MAX_IO ((unsigned)1 << 20) /* FUSE's largest READ/WRITE */
/* dirahead=: its default and largest value (mount_dir.c) */
#define MOUNT_DIRAHEAD	   64u
#define MOUNT_MAX_DIRAHEAD 1024u
/* rsize=, wsize=: up to the library's own ceiling (a server's 8 MiB) */
#define MOUNT_MAX_RWSIZE ((uint64_t)8 << 20)
/*
 * cache_size=: at least 4 MiB: a write waits for write-back once half the
 * budget is dirty, and that half must hold a 1 MiB FUSE write (its
 * folios are up to 1 MiB) and more
 */
#define MOUNT_MIN_CACHE ((uint64_t)4 << 20)
#define MOUNT_MAX_CACHE ((uint64_t)1 << 40)

struct mount_cfg {
	uid_t uid; /* owner shown for every file (uid=, default: caller) */
	gid_t gid;
	mode_t file_mode, dir_mode; /* file_mode= dir_mode= (0755) */
	bool ro;
	bool allow_other, default_permissions;
	bool noserverino; /* st_ino from the mount's own numbers */
	bool mfsymlinks;  /* symlinks as cifs' mfsymlinks files */
	bool debug;	  /* libfuse's request trace (with -f) */
	enum smbiov_cache cache;
	double attr_timeout_file, attr_timeout_dir; /* seconds */
	unsigned loose_ttl_ms;			    /* cache=loose: actimeo */
	unsigned max_read;
	unsigned dirahead; /* dirahead=: subdirectory listings read ahead */
	/* the library's (smbiov_options): rsize=, wsize=, cache_size= (0:
	 * not given, the library's default) */
	uint32_t rsize, wsize;
	size_t cache_bytes;
	/* connection options the mount takes in mount.cifs' words */
	const char *credentials;	   /* credentials=FILE */
	const char *user;		   /* user= / username= */
	const char *domain;		   /* domain= / dom= / workgroup= */
	uint16_t min_dialect, max_dialect; /* vers= (0: not given) */
	enum smbiov_mode sign, encrypt;	   /* sign, seal */
	bool close_timeout_set;
	int close_timeout_ms; /* closetimeo= (s); negative: close at once */
	int reconnect_ms;     /* reconnect= (s); 0 not given, -1 off */
	/* mount(8)'s flags for the kernel (nosuid,nodev,...), as libfuse
	 * takes them: "" or ",a,b" */
	char vfs[128];
	char *buf; /* the options' text; the strings point in */
};

/**
 * mount_cfg_parse - parse the -o options of smbiov mount
 * @cfg: filled (defaults first)
 * @n: number of -o arguments
 * @opts: their text, each a comma-separated list
 *
 * Returns 0, or CLI_EXIT_USAGE after printing one line naming the option
 * (unknown, malformed, not supported yet, or a password).
 * Release @cfg with mount_cfg_release() in either case.
 */
int mount_cfg_parse(struct mount_cfg *cfg, int n, const char *const *opts);
void mount_cfg_release(struct mount_cfg *cfg);
/* @cfg's options that are the library's into @so (those given only). */
void mount_cfg_conn(const struct mount_cfg *cfg, struct smbiov_options *so);
/*
 * The same from the mount's -o options in @o (none for other commands),
 * for every connection the CLI makes (conn.c); cmd_mount() has parsed
 * them already, so they are valid here.
 */
struct cli_opts;
void mount_conn_options(const struct cli_opts *o, struct smbiov_options *so);

/* ---- mfsymlinks (mount_mfsym.c) ---------------------------------------
 * A symbolic link as the cifs client stores it without the unix
 * extensions: a regular file of exactly MFSYM_SIZE bytes, "XSym\n", the
 * target's length, its MD5 and the target (docs/cli.md, "smbiov mount").
 */
#define MFSYM_SIZE 1067
#define MFSYM_MAX  1024 /* the longest target */

/* The file of the link to @target in @buf: 0, -ENAMETOOLONG, -ENOENT
 * (an empty target), -EIO (no MD5). */
int mfsym_format(char buf[MFSYM_SIZE], const char *target);
/* The target of the link file @buf (@len bytes), NUL-terminated in
 * @target: its length, or -EINVAL when @buf is not such a file. */
int mfsym_parse(const char *buf, size_t len, char target[MFSYM_MAX + 1]);

/* ---- inodes ------------------------------------------------------------
 * The FUSE node id of an inode is the address of its struct mnode (the
 * root's is FUSE_ROOT_ID, 1). A node is a name in a directory: its
 * parent node and its name; a path is built by walking up, so a rename
 * moves a whole subtree by changing one node. Nodes live while the kernel
 * holds a lookup on them, while a child does, or while a file of theirs
 * is open.
 */
struct mfile;

#define MTABLE_KC_PARKED 4

/* A write replied to before it was sent (mount_io.c), while it is sent. */
struct mwrite {
	uint64_t off, end;
	struct mwrite *next;
};

struct mnode {
	struct mnode *parent; /* NULL: the root */
	char *name;	      /* "" for the root */
	uint64_t id;	      /* the mount's own number: st_ino fallback */
	uint64_t nlookup;     /* the kernel's lookup count */
	unsigned children;    /* nodes whose parent this is */
	bool hashed;	      /* found by (parent, name) */
	struct mnode *hnext;  /* name hash chain */
	struct mfile *files;  /* open files, a list */
	struct mnode *anext, *aprev; /* every node but the root */
	/*
	 * The kernel's page cache of the node (mount_io.c, docs/cli.md
	 * "Caching"): kc_opens opens replied without FOPEN_DIRECT_IO are
	 * open (each also pins the node until its close has returned);
	 * kc_valid: every byte the kernel may hold of the file is the
	 * server's, read or written under a read lease of this mount held
	 * since; kc_parked: the handles (smbiov_open_info() handle_id) of
	 * the last such opens closed since the node's last open, which the
	 * library may keep parked with their leases (deferred close) — an
	 * open that takes one back with read caching held all along may
	 * keep the kernel's pages.
	 */
	unsigned kc_opens, kc_pins, kc_nparked;
	bool kc_valid;
	uint64_t kc_parked[MTABLE_KC_PARKED];
	struct mwrite *wb; /* writes of the node replied to, being sent */
	/*
	 * Counts this mount's changes of the node's bytes or size (write,
	 * truncate, fallocate; atomic): an open's first bytes read with
	 * its CREATE (struct mfirst) are used only while it is the same.
	 */
	unsigned bytes_gen;
	/*
	 * What this mount knows of a directory without asking
	 * (mount_meta.c): @names, every name in it as of @names_at (ns,
	 * CLOCK_MONOTONIC) with this mount's own changes since; @st, its
	 * attributes as the server gave them at @st_at (@st_ok). @meta_seq:
	 * the table's change count at this mount's last change in or of the
	 * node; @meta_busy: such changes in progress.
	 */
	struct mnames *names;
	uint64_t names_at, st_at, meta_seq;
	unsigned meta_busy;
	bool st_ok;
	struct smbiov_stat st;
	/*
	 * A directory's listing read ahead (mount_dir.c) and where the
	 * read-ahead of it is (enum mahead_state); ahead_next: the queue.
	 */
	struct mlisting *ahead;
	unsigned char ahead_state;
	struct mnode *ahead_next;
};

/* One entry of a directory listing. */
struct mdent {
	char *name;
	struct smbiov_stat st;
};

/*
 * A directory's whole listing: @n entries, asked at @at (ns,
 * CLOCK_MONOTONIC) when the table's change count was @seq.
 */
struct mlisting {
	struct mdent *e;
	size_t n;
	uint64_t at, seq;
};

/* Frees @l's entries (@l itself stays, empty). */
void mlisting_clear(struct mlisting *l);

/*
 * The first bytes of a file the kernel caches, read in the open's own
 * round trip (smbiov_open_ex_read()) for the kernel's READ at offset 0
 * that follows: @len bytes from offset 0; @eof: the file ended there
 * when the server read them. Valid while the open's lease keeps read
 * caching and the node's @bytes_gen is @gen; used once (mount_io.c).
 */
struct mfirst {
	size_t len;
	bool eof;
	unsigned gen;
	char data[];
};

/*
 * One open file (fuse_file_info.fh). An open directory's fh is another
 * struct (mount_ops.c) whose first member is a different magic: the
 * kernel hands a directory's fh to setattr too (futimens on its fd).
 */
#define MFILE_MAGIC 0x6c69666du /* "mfil" */
#define MDIR_MAGIC  0x7269646du /* "mdir" */

struct mfile {
	unsigned magic; /* MFILE_MAGIC */
	struct smbiov_file *f;
	uint64_t handle_id; /* smbiov_open_info(): @f's server handle */
	struct mnode *node;
	struct mfile *next, *prev; /* node->files */
	unsigned refs;		   /* the FUSE handle + calls using it */
	bool written;		   /* written since the last flush */
	bool direct;		   /* opened O_DIRECT */
	bool writable;		   /* opened for writing */
	/*
	 * Replied without FOPEN_DIRECT_IO (the kernel caches its bytes):
	 * the node it pins, NULL for a FOPEN_DIRECT_IO open. has_r: its
	 * lease allows read caching (cleared by the break, atomic).
	 */
	struct mnode *kc_node;
	bool has_r;
	bool has_w; /* its lease allows write caching (atomic) */
	/*
	 * Writes into the file layer's cache (atomic): cached_gen counts
	 * them, clean_gen is what the last write-back covered; while they
	 * differ, reads go through that cache (mount_io.c).
	 */
	unsigned cached_gen, clean_gen;
	int wb_err; /* a write replied to before it failed (table lock) */
	struct mfirst *first; /* or NULL (atomic: taken by exchange) */
	void *ctx; /* the mount (struct mount_ctx), for lease breaks */
};

struct mtable {
	pthread_mutex_t lock;
	struct mnode root;
	char *base; /* the URL's path below the share: "" or "a/b" */
	struct mnode **hash;
	size_t nbuckets, count; /* count: hashed nodes */
	struct mnode *all;	/* every node but the root */
	uint64_t next_id;
	pthread_cond_t wb_done; /* a node's write being sent ended */
	size_t first_bytes;	/* held in struct mfirst (atomic) */
	uint64_t meta_seq;	/* changes counted (mount_meta.c) */
	size_t names_held;	/* names in every node's @names */
	/* listings read ahead (mount_meta.c): the queue, what is kept */
	bool ahead_on;
	struct mnode *ahead_head, *ahead_tail;
	size_t ahead_queued, ahead_held;
	pthread_cond_t ahead_work, ahead_cv;
};

int mtable_init(struct mtable *t, const char *base);
/* Frees every node (the kernel holds none any more). */
void mtable_destroy(struct mtable *t);
/*
 * The share path of @n, or of its child @name if not NULL, malloc'd in
 * *@out. 0, -ENOMEM, or -ENOENT when @n or a directory above it was
 * removed or replaced (its name may lead to another file by now).
 */
int mtable_path(struct mtable *t, struct mnode *n, const char *name,
		char **out);
/*
 * The node of @name in @parent, made if new, with its lookup count
 * raised by one (the kernel now holds it). NULL: no memory.
 */
struct mnode *mtable_lookup(struct mtable *t, struct mnode *parent,
			    const char *name);
/* The kernel forgets @n @nlookup times. */
void mtable_forget(struct mtable *t, struct mnode *n, uint64_t nlookup);
/* Holds @n as a lookup would, until mtable_forget(@t, @n, 1). */
void mtable_hold(struct mtable *t, struct mnode *n);
/* @name in @parent is gone (unlink, rmdir): its node is found no more. */
void mtable_unhash(struct mtable *t, struct mnode *parent, const char *name);
/* After a rename on the server: the node follows, one it replaced goes. */
int mtable_rename(struct mtable *t, struct mnode *parent, const char *name,
		  struct mnode *newparent, const char *newname);

/* Open files of a node: the list, and a reference for a call. */
void mtable_file_add(struct mtable *t, struct mfile *mf);
/* Takes @mf off its node's list (release); the caller drops its ref. */
void mtable_file_remove(struct mtable *t, struct mfile *mf);
/* An open file of @n (@writable: one open for writing), with a
 * reference taken, or NULL. */
struct mfile *mtable_file_any(struct mtable *t, struct mnode *n, bool writable);
void mtable_file_get(struct mtable *t, struct mfile *mf);
/* Drops a reference; the last one closes the file. Returns close's. */
int mtable_file_put(struct mtable *t, struct mfile *mf);
/*
 * First bytes (struct mfirst) of @len bytes may be kept: false when the
 * mount holds MTABLE_FIRST_MAX bytes of them already. Each kept one is
 * given back with mtable_first_put() (NULL: nothing).
 */
#define MTABLE_FIRST_MAX ((size_t)64 << 20)
bool mtable_first_reserve(struct mtable *t, size_t len);
void mtable_first_put(struct mtable *t, struct mfirst *fr);
/* Closes every file still open (at unmount, releases may not come). */
void mtable_close_all(struct mtable *t);

/*
 * The kernel's page cache of a node (struct mnode's kc_* fields).
 * mtable_kc_open: @mf, open on @n and holding a read lease, is replied
 * without FOPEN_DIRECT_IO; @taken_back: its file is one of @n's
 * kc_parked, taken back from the library's deferred close. Returns whether the
 * kernel may keep the pages it has (FOPEN_KEEP_CACHE); else it drops them at
 * this open. False, and @mf stays a FOPEN_DIRECT_IO open, when its
 * lease lost read caching meanwhile.
 */
bool mtable_kc_open(struct mtable *t, struct mnode *n, struct mfile *mf,
		    bool taken_back);
/* Has @n files that an open may take back with the kernel's pages? */
bool mtable_kc_parked_any(struct mtable *t, struct mnode *n);
/* Is the handle @handle_id one of them? */
bool mtable_kc_parked(struct mtable *t, struct mnode *n, uint64_t handle_id);
/* An open of @n replied with FOPEN_DIRECT_IO: the kernel drops its pages. */
void mtable_kc_direct_open(struct mtable *t, struct mnode *n);
/*
 * @mf's lease lost read caching: the node's pages are no longer known to
 * be the server's. Returns the node whose pages the kernel must drop
 * (NULL: @mf never let the kernel cache).
 */
struct mnode *mtable_kc_lost(struct mtable *t, struct mfile *mf);
/* Does the kernel possibly hold pages of @n from an open that caches? */
bool mtable_kc_any(struct mtable *t, struct mnode *n);

/*
 * Writes replied to before they are sent (mount_io.c): mtable_wb_begin
 * waits until no such write of @n overlaps [@w->off, @w->end), then adds
 * @w if @mf's lease still has write caching (false: it has not, nothing
 * added); mtable_wb_stop clears that and waits until @mf's node has no
 * such write left (a break that takes W: none starts after it);
 * mtable_wb_end takes @w off, keeping @err (negative) in @mf's wb_err
 * if that has none. mtable_wb_wait waits until @n has none left
 * (every call that asks the server about the file, or reads it, does so
 * first: mtable_file_any() too); mtable_wb_err takes @mf's error (0:
 * none).
 */
bool mtable_wb_begin(struct mtable *t, struct mnode *n, struct mwrite *w,
		     struct mfile *mf);
void mtable_wb_stop(struct mtable *t, struct mfile *mf);
void mtable_wb_end(struct mtable *t, struct mnode *n, struct mwrite *w,
		   struct mfile *mf, int err);
void mtable_wb_wait(struct mtable *t, struct mnode *n);
/* The same for the node @mf is open on (none once it is released). */
void mtable_wb_wait_file(struct mtable *t, struct mfile *mf);
int mtable_wb_err(struct mtable *t, struct mfile *mf);

/* ---- what the mount knows of directories (mount_meta.c) ---------------
 * A LOOKUP of a name the mount knows is not in a directory is answered
 * without a round trip, and so is a directory's getattr the kernel asks
 * again only because it dropped the access time (after every readdir),
 * each within the directory's attribute timeout of the server's answer
 * (docs/cli.md "Caching", docs/design.md §5). The names are complete as
 * of a full listing, or of this mount's own mkdir; this mount's changes
 * keep them so: a name it may make is added before the call
 * (mtable_meta_begin: the set stays a superset whatever the call's
 * outcome), one it removed is taken out after (mtable_meta_end). An
 * answer asked before a change of this mount's, or while one was in
 * progress, is never kept (the table's change count, as the kernel's
 * attr_version). Times are the caller's, so the unit tests choose them.
 */
struct mnames;
struct mnames *mnames_new(void);
/* 0, or -ENOMEM (the set is then as before). */
int mnames_add(struct mnames *s, const char *name);
bool mnames_has(const struct mnames *s, const char *name);
void mnames_del(struct mnames *s, const char *name);
size_t mnames_count(const struct mnames *s);
void mnames_free(struct mnames *s);

/* At most this many names are kept in all directories together. */
#define MTABLE_NAMES_MAX ((size_t)1 << 20)

/* The change count, before asking the server (for the keeps below). */
uint64_t mtable_meta_seq(struct mtable *t);
/*
 * @ns (taken over) are all the names in @dir as of @at, from a listing
 * asked after mtable_meta_seq() said @seq: kept unless this mount
 * changed @dir since or is changing it, or too many names are kept.
 */
void mtable_names_keep(struct mtable *t, struct mnode *dir, struct mnames *ns,
		       uint64_t at, uint64_t seq);
/*
 * Is @name known not to be in @dir at @now (@ttl: how long a listing
 * holds)? false: not known, ask the server.
 */
bool mtable_names_absent(struct mtable *t, struct mnode *dir, const char *name,
			 uint64_t now, uint64_t ttl);
/*
 * This mount changes @dir's entries or @dir itself (its attributes):
 * mtable_meta_begin before the call, with the name it may make (or
 * NULL), mtable_meta_end after, with the name it removed (or NULL).
 */
void mtable_meta_begin(struct mtable *t, struct mnode *dir, const char *made);
void mtable_meta_end(struct mtable *t, struct mnode *dir, const char *gone);
/*
 * A directory's attributes @s, asked at @at after mtable_meta_seq()
 * said @seq: kept unless this mount changed it since (files' are not
 * kept: their leases and the kernel's own cache decide).
 */
void mtable_attr_keep(struct mtable *t, struct mnode *n,
		      const struct smbiov_stat *s, uint64_t at, uint64_t seq);
/* The kept attributes of @n if asked less than @ttl before @now. */
bool mtable_attr_get(struct mtable *t, struct mnode *n, struct smbiov_stat *s,
		     uint64_t now, uint64_t ttl);
/* Frees what a node keeps (the table's lock held). */
void mtable_meta_free(struct mtable *t, struct mnode *n);

/*
 * Listings read ahead (docs/cli.md "Names and attributes"): when a
 * directory's listing is served, its subdirectories' listings are asked
 * on worker threads (mount_dir.c), so that a walk (find, du, ls -R)
 * finds them listed. One so read is used by the directory's next
 * listing if it was asked less than acdirmax before and this mount
 * changed nothing in or of the directory since; else it is asked again.
 */
enum mahead_state {
	MAHEAD_NONE,
	MAHEAD_QUEUED,
	MAHEAD_SKIP, /* queued, then listed by its own readdir: not read */
	MAHEAD_LISTING,
};
/* At most this many listings wait in the queue, and are kept. */
#define MTABLE_AHEAD_QUEUE 1024
#define MTABLE_AHEAD_HELD  1024
/*
 * Queue @dir's listing (held until it is read) unless it is queued or
 * being read, or one read less than @ttl before @now is kept, or the
 * queue is full or stopped. true: queued.
 */
bool mtable_ahead_push(struct mtable *t, struct mnode *dir, uint64_t now,
		       uint64_t ttl);
/*
 * The next directory to list (a worker's), MAHEAD_LISTING now; NULL once
 * mtable_ahead_stop() was called.
 */
struct mnode *mtable_ahead_pop(struct mtable *t);
/*
 * The worker's listing of @dir (taken over; NULL: it failed) is kept
 * unless this mount changed @dir since it was asked; @dir is let go.
 */
void mtable_ahead_done(struct mtable *t, struct mnode *dir, struct mlisting *l);
/*
 * @dir's own listing is wanted: one being read is waited for, a queued
 * one is not read; a kept one asked less than @ttl before @now, with no
 * change by this mount since, is moved into *@out (true).
 */
bool mtable_ahead_take(struct mtable *t, struct mnode *dir, uint64_t now,
		       uint64_t ttl, struct mlisting *out);
/* Start (the workers run) and stop the queue; drain after the workers. */
void mtable_ahead_start(struct mtable *t);
void mtable_ahead_stop(struct mtable *t);
void mtable_ahead_drain(struct mtable *t);

#endif
