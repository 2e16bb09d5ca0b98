// SPDX-License-Identifier: MIT
/*
 * A reconnect's open files (reconnect.c calls smb_rc_reopen_files() once
 * the new session and tree are up): every open file is put on the new
 * connection, and the FileIds that still name its old handles are made
 * the new ones. Its own file: what a handle needs to come back (durable
 * or by path, lease state, the same file on disk) is apart from how the
 * connection does.
 *
 * Every open file is reopened: a durable handle with DH2C (the same
 * persistent FileId, a new volatile half), a file without one by its path
 * when that is safe (no lease: nothing cached; the same creation time, so
 * it is the same file). A file that cannot be reopened is stale: its
 * calls fail with ESTALE.
 *
 * Any request whose FileId names a handle from before a reopen — resent,
 * or built by a call that was already under way when another thread
 * reconnected — has it rewritten to the new one as its message is built
 * (smb_rc_patch_fid()).
 */
#include "client/engine.h"
#include "client/file.h"
#include "client/lease.h"
#include "client/reconnect.h"
#include "proto/create.h"
#include "proto/le.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

/* ---- open files ---------------------------------------------------------- */

void smb_rc_file_add(struct smbiov_client *c, struct smbiov_file *f)
{
	pthread_mutex_lock(&c->lock);
	f->rc_next = c->files;
	f->rc_prev = NULL;
	if (c->files)
		c->files->rc_prev = f;
	c->files = f;
	pthread_mutex_unlock(&c->lock);
}

void smb_rc_file_del(struct smbiov_client *c, struct smbiov_file *f)
{
	/* not while a reconnect walks the list */
	pthread_mutex_lock(&c->rc_lock);
	pthread_mutex_lock(&c->lock);
	if (f->rc_prev)
		f->rc_prev->rc_next = f->rc_next;
	else if (c->files == f)
		c->files = f->rc_next;
	if (f->rc_next)
		f->rc_next->rc_prev = f->rc_prev;
	f->rc_next = f->rc_prev = NULL;
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&c->rc_lock);
}

/*
 * What a reopen reads from its CREATE's contexts (while they exist): the
 * on-disk ids, and the lease granted for @key (set by the caller: the
 * key asked for, or NULL).
 */
struct reopened {
	const uint8_t *key;
	bool have_id, have_lease;
	struct smb2_qfid id;
	struct smb2_lease lease;
};

/*
 * One CREATE on its own (this thread never resends: smb_rc_inside()). @rsp's
 * contexts point into the released response: what is wanted of them is
 * in @got.
 */
static int create_once(struct smbiov_client *c, const struct smb_create_args *a,
		       struct smb2_create_rsp *rsp, struct reopened *got)
{
	struct smb_create_msg m;
	struct smb_req r;
	int ret = smb_create_msg_init(&m, a);

	if (ret) {
		smb_create_msg_release(&m);
		return ret;
	}
	smb_req_init(&r, SMB2_CREATE);
	r.flags = SMB_REQ_QUIET;
	r.body = &m.vec;
	r.nbody = 1;
	ret = smb_call(c, &r);
	smb_create_msg_release(&m);
	if (!ret)
		ret = smb2_create_rsp_decode(r.rsp, r.rsp_len, rsp);
	if (!ret) {
		got->have_id = smb_file_disk_id(rsp, &got->id);
		got->have_lease = got->key &&
				  smb_file_lease_of(rsp, got->key, &got->lease);
	}
	rsp->contexts = NULL;
	rsp->contexts_len = 0;
	smb_req_release(&r);
	return ret;
}

/* DH2C (MS-SMB2 3.2.4.4 reconnect): the same handle, a new volatile id. */
static int reopen_durable(struct smbiov_client *c, struct smbiov_file *f,
			  struct smb2_fileid *fid)
{
	struct smb_create_args a = {.path = f->path};
	struct smb2_dh2q d = {.flags = 0};
	struct smb2_cc_builder b;
	struct smb2_create_rsp rsp;
	struct reopened got = {.key = f->lease_req.key};
	struct smb2_lease want;
	uint8_t ctx[256];
	int ret;

	memcpy(d.create_guid, f->create_guid, sizeof(d.create_guid));
	smb2_cc_builder_init(&b, ctx, sizeof(ctx));
	ret = smb2_cc_add_dh2c(&b, &f->fid, &d);
	if (!ret && f->lease && f->lease_req.version) {
		want = f->lease_req;
		ret = smb2_cc_add_lease(&b, &want);
		a.oplock_level = SMB2_OPLOCK_LEVEL_LEASE;
	} else if (!ret && f->lease) {
		a.oplock_level = SMB2_OPLOCK_LEVEL_BATCH;
	}
	if (ret)
		return ret;
	a.access = f->access;
	a.disposition = SMB2_FILE_OPEN;
	a.options = SMB2_FILE_NON_DIRECTORY_FILE;
	a.contexts = b.buf;
	a.contexts_len = b.len;
	ret = create_once(c, &a, &rsp, &got);
	if (ret)
		return ret;
	*fid = rsp.fid;
	/* the lease as the server has it now (broken while down?) */
	if (f->lease && f->lease_req.version) {
		static const struct smb2_lease none;

		smb_lease_regranted(c, f->lease,
				    got.have_lease ? &got.lease : &none);
	}
	return 0;
}

/*
 * Does @f's lease keep nothing the server lacks? No write caching, held
 * or granted (an open's W goes when a second open of the file shares its
 * key: smb_lease_share()), and a lease, not an oplock: the caches under
 * it can be emptied with smb_lease_regranted().
 */
static bool lease_clean(struct smbiov_client *c, struct smbiov_file *f)
{
	struct smb_lease l;

	smb_lease_snapshot(c, f->lease, &l);
	return !l.oplock && !((l.state | l.held) & SMB2_LEASE_WRITE_CACHING);
}

/*
 * By its path, when nothing can be lost: no lease, or one that keeps
 * nothing unwritten (lease_clean(); what it cached goes: the server
 * could have broken it unseen), and the file there is the one we had
 * (same on-disk ids, else creation time). Samba reconnects a durable
 * handle only while it is the file's only one
 * (vfs_default_durable_reconnect()), so two opens of a file come back
 * this way.
 */
static int reopen_path(struct smbiov_client *c, struct smbiov_file *f,
		       struct smb2_fileid *fid)
{
	struct smb_create_args a = {.path = f->path};
	struct smb2_create_rsp rsp;
	struct smb2_cc_builder b;
	struct reopened got = {.key = NULL};
	uint8_t ctx[64];
	bool same;
	int ret;

	if (!f->path || (f->lease && !lease_clean(c, f)))
		return -ESTALE;
	smb2_cc_builder_init(&b, ctx, sizeof(ctx));
	if (f->have_disk_id && !smb2_cc_add_qfid(&b)) {
		a.contexts = b.buf;
		a.contexts_len = b.len;
	}
	ret = smb_open_flags(f->flags & ~(O_CREAT | O_EXCL | O_TRUNC),
			     &a.access, &a.disposition);
	if (ret)
		return ret;
	a.access = f->access;
	a.options = SMB2_FILE_NON_DIRECTORY_FILE;
	ret = create_once(c, &a, &rsp, &got);
	if (ret)
		return ret;
	/* the same file: by its on-disk ids, else by its creation time */
	if (f->have_disk_id && got.have_id)
		same = got.id.disk_file_id == f->disk_id.disk_file_id &&
		       got.id.volume_id == f->disk_id.volume_id;
	else
		same = rsp.attrs.creation_time == f->creation_time;
	if (!same) {
		smb_close_fid(c, &rsp.fid);
		return -ESTALE;
	}
	*fid = rsp.fid;
	if (f->lease) {
		static const struct smb2_lease none;

		/* no lease on the new handle: the caches under it go */
		smb_lease_regranted(c, f->lease, &none);
		f->durable = false;
	}
	return 0;
}

/*
 * Not the file's fault: the new connection died, or memory ran out here
 * before the server could say anything about the handle. The file is not
 * lost for that; the reconnect tries again.
 */
static bool not_the_files(int err)
{
	return smb_rc_lost(err) || err == -ENOMEM;
}

void smb_rc_file_reopened_locked(struct smbiov_client *c, struct smbiov_file *f,
				 const struct smb2_fileid *fid)
{
	if (fid) {
		f->old_fids[f->nr_old_fids++ % SMB_OLD_FIDS] = f->fid;
		f->fid = *fid;
		atomic_fetch_add(&c->st_handles_reopened, 1);
	} else {
		f->stale = true;
		atomic_fetch_add(&c->st_handles_lost, 1);
	}
	/*
	 * From now on a message may name a handle that is gone: every one
	 * is checked as it is built (smb_rc_patch_fid()). Not "a reconnect
	 * happened" (rc_gen): it says what the check is about, set where
	 * the handle moves. (rc_gen used to be counted only after the
	 * reconnect had let the other threads' requests go (rc_busy), and
	 * the first reconnect's went out unpatched in between:
	 * test_silent_loss, the reviver's parked WRITEs with the old
	 * FileId, STATUS_FILE_CLOSED.)
	 */
	atomic_store(&c->rc_fids_moved, true);
}

/*
 * Every open file on the new connection, or stale. The new connection
 * dying meanwhile (or an allocation failing) is not the file's fault:
 * the reconnect starts over (the error is returned; files done so far
 * are done again).
 */
int smb_rc_reopen_files(struct smbiov_client *c)
{
	for (struct smbiov_file *f = c->files; f; f = f->rc_next) {
		struct smb2_fileid fid;
		int ret = -ESTALE;

		if (f->fid_closed || f->stale || f->is_dir)
			continue;
		if (f->durable)
			ret = reopen_durable(c, f, &fid);
		if (ret && !not_the_files(ret))
			ret = reopen_path(c, f, &fid);
		if (not_the_files(ret))
			return ret;
		pthread_mutex_lock(&c->lock);
		smb_rc_file_reopened_locked(c, f, ret ? NULL : &fid);
		pthread_mutex_unlock(&c->lock);
	}
	return 0;
}

/* ---- FileIds of reopened handles ---------------------------------------- */

/* Where a command's body has its FileId, or -1. */
static int fid_offset(uint16_t command)
{
	switch (command) {
	case SMB2_CLOSE:
	case SMB2_FLUSH:
	case SMB2_LOCK:
	case SMB2_IOCTL:
	case SMB2_QUERY_DIRECTORY:
	case SMB2_CHANGE_NOTIFY:
		return 8;
	case SMB2_READ:
	case SMB2_WRITE:
	case SMB2_SET_INFO:
		return 16;
	case SMB2_QUERY_INFO:
		return 24;
	default:
		return -1;
	}
}

/* Was @fid one of @f's handles before a reopen (or is it its own)? */
static bool had_fid(const struct smbiov_file *f, uint64_t p, uint64_t v)
{
	unsigned n =
		f->nr_old_fids < SMB_OLD_FIDS ? f->nr_old_fids : SMB_OLD_FIDS;

	for (unsigned i = 0; i < n; i++)
		if (f->old_fids[i].persistent == p &&
		    f->old_fids[i].volatile_id == v)
			return true;
	return false;
}

int smb_rc_patch_fid(struct smbiov_client *c, uint16_t command, uint8_t *body,
		     size_t len, uint8_t *keep)
{
	int fo = fid_offset(command), ret = 0;
	uint64_t p, v;

	if (fo < 0 || len < (size_t)fo + 16 || !atomic_load(&c->rc_fids_moved))
		return 0;
	p = le64_get(body + fo);
	v = le64_get(body + fo + 8);
	pthread_mutex_lock(&c->lock);
	for (struct smbiov_file *f = c->files; f; f = f->rc_next) {
		bool cur = f->fid.persistent == p && f->fid.volatile_id == v;

		if (!cur && !had_fid(f, p, v))
			continue;
		/* lost with the connection: nothing to send it on */
		if (f->stale) {
			ret = -ESTALE;
		} else if (!cur) {
			le64_put(body + fo, f->fid.persistent);
			le64_put(body + fo + 8, f->fid.volatile_id);
			/* a later resend starts from the new handle */
			if (keep)
				memcpy(keep + fo, body + fo, 16);
		}
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}
