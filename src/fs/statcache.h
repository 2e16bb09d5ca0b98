/* SPDX-License-Identifier: MIT */
/*
 * The attributes of a cached open as the server last gave them, kept to
 * answer smbiov_fstat() without a QUERY_INFO while they cannot have
 * changed (leasestat.c has the rule; this is only its bookkeeping, fed
 * by the caller's decisions, so the unit tests drive it with chosen
 * sequences).
 *
 * An answer is kept only if nothing that may change it happened between
 * asking and keeping (fs_sc_begin() hands out the generation, any
 * fs_sc_forget() since makes fs_sc_keep() drop it): a stat racing with a
 * change never keeps the older answer. @changed is sticky: once this
 * connection changed the file (data, size, attributes) nothing is kept
 * for the rest of the open, because the server may still move the
 * times after the change returned (Samba updates the write time of a
 * handle that wrote up to 2 s later, or at its close).
 */
#ifndef SMBIOV_FS_STATCACHE_H
#define SMBIOV_FS_STATCACHE_H

#include <smbiov/smbiov.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct fs_statcache {
	pthread_mutex_t lock;
	struct smbiov_stat st;
	bool ok;	/* @st is the server's answer and still holds */
	bool changed;	/* this connection changed the file: keep nothing */
	unsigned gen;	/* bumped by every fs_sc_forget() */
	uint64_t epoch; /* the caller's epoch @st was asked in (reconnects) */
};

int fs_sc_init(struct fs_statcache *s);
void fs_sc_destroy(struct fs_statcache *s);
/*
 * Something may have changed the server's answer: drop what is kept.
 * @changed: this connection changed the file; nothing is kept again.
 */
void fs_sc_forget(struct fs_statcache *s, bool changed);
/*
 * Before asking the server: the token for fs_sc_keep(). false: nothing
 * will be kept (ask and answer, as without the cache).
 */
bool fs_sc_begin(struct fs_statcache *s, unsigned *token);
/* The server answered @st, asked after fs_sc_begin() gave @token. */
void fs_sc_keep(struct fs_statcache *s, unsigned token,
		const struct smbiov_stat *st, uint64_t epoch);
/* The kept answer into *@st if there is one asked in @epoch. */
bool fs_sc_get(struct fs_statcache *s, struct smbiov_stat *st, uint64_t epoch);
bool fs_sc_changed(struct fs_statcache *s);

#endif
