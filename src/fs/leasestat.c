// SPDX-License-Identifier: MIT
/*
 * Stat from the lease: the rule for when smbiov_fstat() of a cached
 * open may answer from a kept QUERY_INFO. It reads the lease's state, the
 * open's I/O and its connection's changes together; statcache.c only
 * keeps the answer as it is told, so the unit tests drive it alone.
 *
 * smbiov_fstat() of a cached open answers without a QUERY_INFO when all
 * of this holds (else it asks the server, as always):
 * - the answer kept is the QUERY_INFO that took the file back from the
 *   deferred close, or the one a fresh open's CREATE carried
 *   (stat_at_open, fs_stat_keep_fresh()): the open's first stat, as a
 *   mount's getattr right after the open, is that answer. The answers
 *   of smbiov_fstat() itself are not kept: with them kept (a fresh
 *   open's second stat answered without a request) the mount's
 *   mount_fork SIGTERM case failed 2 runs of 3 (its "one read held
 *   synchronously" set-up depends on the timing the QUERY_INFO gave;
 *   0 of 3 without). The answer was asked
 *   while the open held read and write caching (lease RW, or a batch or
 *   exclusive oplock) with no READ or WRITE of the open's mapping on the
 *   wire;
 * - the open has held RW since, and no break of any kind came in since:
 *   with W held, any other open of the file (another client's, or this
 *   client's) breaks W first and waits for the acknowledgement, which the
 *   break worker sends only after on_lease() dropped the kept answer. R
 *   alone is not enough: a write breaks R without waiting (no
 *   acknowledgement; Samba's smbd sends it through its messaging, so the
 *   writer's call may return before the break reaches us), and only a
 *   QUERY_INFO, answered after the break on our connection, showed that
 *   change in time (mount_kcache 'held' and 'closed' read old pages:
 *   the kernel got a kept stat from between smbclient's open, which broke
 *   W and H, and its write);
 * - nothing of the open reached the server since that may move a time:
 *   no READ (the access time), no reconnect (the handle was reopened);
 * - this connection has not changed the file since the open (sticky, for
 *   the rest of the open): no write, truncate, fallocate or set_attr
 *   through it or a sibling open, no change by path (truncate, set_attr,
 *   setxattr, removexattr, rename, link, unlink, delete-on-close,
 *   set_sparse), and no sibling that did is still open when it was
 *   opened. Dirty data, which the server's answer must include, exists
 *   only after such a write.
 * What a lease does not cover is not seen here either: times or
 * attributes another client sets without writing (a SET_INFO breaks no
 * lease), and links it adds, show only once W is broken (any other open
 * does that) or the file is opened anew. Asynchronous reads (smbiov_aio_read())
 * complete on their own and count as a change.
 */
#include "client/file.h"
#include "client/lease.h"
#include "fs/fileapi.h"
#include "proto/create.h"

/*
 * Does @ff's open hold read and write caching now (and its cache R)?
 * With @idle: and no I/O of its mapping out.
 */
static bool holds_rw(struct fs_file *ff, bool idle)
{
	const uint32_t rw = SMB2_LEASE_READ_CACHING | SMB2_LEASE_WRITE_CACHING;
	struct smb_lease l;
	bool r;

	if (!ff->f->lease)
		return false;
	smb_lease_snapshot(ff->f->c, ff->f->lease, &l);
	if ((l.state & rw) != rw)
		return false;
	pthread_mutex_lock(&ff->m.lock);
	r = (ff->m.caps & FS_CAN_READ) && (!idle || !ff->m.inflight);
	pthread_mutex_unlock(&ff->m.lock);
	return r;
}

bool fs_stat_may_keep(struct fs_file *ff, struct fs_stat_tok *t)
{
	t->rc_gen = ff->f->c->rc_gen;
	/* the token first: I/O sent after it forgets whatever is kept */
	return fs_sc_begin(&ff->sc, &t->gen) && holds_rw(ff, true);
}

/* (a reconnect since the token: the handle was reopened, keep nothing) */
void fs_stat_keep(struct fs_file *ff, const struct fs_stat_tok *t,
		  const struct smbiov_stat *st)
{
	if (holds_rw(ff, false) && ff->f->c->rc_gen == t->rc_gen)
		fs_sc_keep(&ff->sc, t->gen, st, t->rc_gen);
}

bool fs_stat_kept(struct fs_file *ff, struct smbiov_stat *st)
{
	return holds_rw(ff, false) && fs_sc_get(&ff->sc, st, ff->f->c->rc_gen);
}

void fs_stat_keep_fresh(struct fs_file *ff, uint64_t rc_gen,
			const struct smbiov_stat *st)
{
	struct fs_stat_tok t;

	if (fs_stat_may_keep(ff, &t) && t.rc_gen == rc_gen)
		fs_stat_keep(ff, &t, st);
}

void fs_read_sent(struct smbiov_file *f)
{
	if (f && f->map)
		fs_sc_forget(&fs_file_of(f->map)->sc, false);
}

void fs_own_change(struct smbiov_file *f)
{
	if (f && f->map)
		fs_sc_forget(&fs_file_of(f->map)->sc, true);
}
