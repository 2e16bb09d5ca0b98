/* SPDX-License-Identifier: MIT */
/*
 * The state the public file calls of the file layer share, and the
 * helpers more than one of their files calls. The calls are split by job
 * (conn.c: a connection's state and its index of cached opens;
 * leasestat.c: when fstat may answer from the lease; open.c: open and
 * close; rw.c: reading and writing; fileops.c: the other calls on a
 * handle), and all of them work on the two structs below, so the structs
 * are defined once, here.
 */
#ifndef SMBIOV_FS_FILEAPI_H
#define SMBIOV_FS_FILEAPI_H

#include "fs/cache.h"
#include "fs/statcache.h"

#include <smbiov/smbiov.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define FS_SIB_BUCKETS 256

struct fs_file;

/* The file layer's state of one connection (client->fs). */
struct fs_conn {
	struct fs_budget b;
	struct fs_parking park;
	/*
	 * Every cached open of the connection (parked ones too), hashed by
	 * path: the siblings of a file (conn.c, "siblings"). @sib_lock is
	 * held while a sibling's cache is invalidated, which may wait for its
	 * folios' I/O; nobody takes it holding a folio or a mapping lock.
	 */
	pthread_mutex_t sib_lock;
	struct fs_file *sib[FS_SIB_BUCKETS];
	/* opens in @sib: with none but the writer, a write looks no further */
	_Atomic unsigned nr_sib;
	/* the last fs_file.handle_id given */
	_Atomic uint64_t last_handle_id;
};

/* A cached open file's layer state: its mapping and how it was opened. */
struct fs_file {
	struct fs_mapping m; /* first: f->map points here */
	struct fs_conn *fc;
	struct smbiov_file *f;
	char *path;
	struct fs_park_key key;
	struct fs_file *sib_prev, *sib_next;
	unsigned sib_bucket;
	/* the attributes smbiov_fstat() may answer from (leasestat.c) */
	struct fs_statcache sc;
	/*
	 * smbiov_open_info(): the handle's number on its connection (from 1,
	 * never given twice); whether the open that holds it now took it
	 * back from the deferred close; whether read caching was ever
	 * missing since its CREATE (set by the break worker).
	 */
	uint64_t handle_id;
	bool reused;
	_Atomic bool r_lost;
	/*
	 * smbiov_open_opts.on_lease of the open that holds it now (cleared
	 * when it is closed or parked, under @cb_lock, which the call holds).
	 */
	pthread_mutex_t cb_lock;
	void (*user_cb)(void *arg, struct smbiov_file *f, uint32_t state);
	void *user_arg;
};

static inline struct fs_file *fs_file_of(struct fs_mapping *m)
{
	return (struct fs_file *)m;
}

/* ---- conn.c ---- */
/* @c's file-layer state, made at its first cached open; NULL: no memory. */
struct fs_conn *fs_conn_get(struct smbiov_client *c);
/* @ff joins (leaves) the index of its connection's cached opens. */
void fs_sib_add(struct fs_file *ff);
void fs_sib_del(struct fs_file *ff);

enum fs_sib_change {
	/* [off, off + len) has new bytes; the file reaches off + len */
	FS_SIB_WROTE,
	/* [off, off + len) has new bytes; the size is as it was */
	FS_SIB_ZEROED,
	/* the size is @off now */
	FS_SIB_RESIZED,
	/* only attributes (times, names, flags) changed */
	FS_SIB_ATTRS,
};

/*
 * @by (NULL for a change by path) changed the file at @path as @how says.
 * Its own cache is the caller's business.
 */
void fs_siblings_changed(struct fs_conn *fc, const struct smbiov_file *by,
			 const char *path, uint64_t off, uint64_t len,
			 enum fs_sib_change how);

/* ---- leasestat.c ---- */
/* When the server was asked: what keeping its answer depends on. */
struct fs_stat_tok {
	unsigned gen;
	uint64_t rc_gen;
};

/* Before asking the server: may the answer be kept (*@t for keeping)? */
bool fs_stat_may_keep(struct fs_file *ff, struct fs_stat_tok *t);
/* The server answered @st, asked after fs_stat_may_keep() gave *@t. */
void fs_stat_keep(struct fs_file *ff, const struct fs_stat_tok *t,
		  const struct smbiov_stat *st);
/* The kept answer into *@st, if one may be given now. */
bool fs_stat_kept(struct fs_file *ff, struct smbiov_stat *st);
/*
 * A fresh open's stat, asked with its CREATE (smbiov_open_opts.
 * stat_at_open): kept as a take-back's is, the token taken only now,
 * after attach_cache(): before it the open had no I/O and no change of
 * its own, and a break that came since the CREATE lowered the lease
 * state holds_rw() reads (a later one forgets it through on_lease()).
 * Nothing is kept across a reconnect since @rc_gen (read before the
 * CREATE).
 */
void fs_stat_keep_fresh(struct fs_file *ff, uint64_t rc_gen,
			const struct smbiov_stat *st);
/* A READ of @f goes to the server: it may move the access time. */
void fs_read_sent(struct smbiov_file *f);
/* This open is about to change the file (data, size or attributes). */
void fs_own_change(struct smbiov_file *f);

/* ---- open.c ---- */
/* Drop the cache and CLOSE (unless a break did already). */
int fs_close_for_good(struct smbiov_file *f);

/* ---- rw.c ---- */
/*
 * A call on a cached file first does its part in the cache: only with a
 * connection (brought back by a reconnect if need be). Skipping the cache
 * when it failed would let the call itself succeed on a reconnected
 * connection with the cache's dirty data never sent. 0 without a cache.
 */
int fs_cache_begin(struct smbiov_file *f);

#endif
