// SPDX-License-Identifier: MIT
/*
 * Opening and closing files (MS-SMB2 3.2.4.3 CREATE, 3.2.4.5 CLOSE), the
 * path and open-flag translation, and the CREATE + op + CLOSE compound the
 * path-based metadata calls are built on.
 */
#include "client/file.h"
#include "client/reconnect.h"
#include "mem/access.h"
#include "client/lease.h"
#include "fs/path.h"
#include "proto/info.h"
#include "proto/ntstatus.h"
#include "proto/utf16.h"

#include <errno.h>
#include <sys/random.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct smb2_fileid smb_related_fid = {
	.persistent = UINT64_MAX,
	.volatile_id = UINT64_MAX,
};

/* Largest name CREATE can carry (NameLength is 16 bits). */
#define SMB_NAME_MAX 65534

int smb_path_utf16(const char *path, uint8_t **out, size_t *out_len)
{
	size_t n = path ? strlen(path) : 0, k, len = 0;
	char *tmp;
	uint8_t *u;
	int ret;

	*out = NULL;
	*out_len = 0;
	if (n > SMB_NAME_MAX)
		return -ENAMETOOLONG;
	tmp = malloc(n + 1);
	if (!tmp)
		return -ENOMEM;
	/* Drop empty components; '/' becomes the wire's '\\'. */
	for (k = 0; k < n; k++) {
		char ch = path[k];

		if (ch == '\\') {
			free(tmp);
			return -EINVAL;
		}
		if (ch == '/') {
			if (len && tmp[len - 1] != '\\')
				tmp[len++] = '\\';
			continue;
		}
		tmp[len++] = ch;
	}
	if (len && tmp[len - 1] == '\\')
		len--;
	if (!len) {
		free(tmp);
		return 0;
	}
	ret = utf16_from_utf8(tmp, len, NULL, 0, out_len);
	if (ret == 0 && *out_len > SMB_NAME_MAX)
		ret = -ENAMETOOLONG;
	if (ret) {
		free(tmp);
		return ret;
	}
	u = malloc(*out_len);
	if (!u) {
		free(tmp);
		return -ENOMEM;
	}
	ret = utf16_from_utf8(tmp, len, u, *out_len, out_len);
	free(tmp);
	if (ret) {
		free(u);
		return ret;
	}
	*out = u;
	return 0;
}

int smb_open_flags(int flags, uint32_t *access, uint32_t *disposition)
{
	bool wr;

	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		*access = SMB_ACCESS_READ;
		wr = false;
		break;
	case O_WRONLY:
		*access = SMB_ACCESS_WRITE | SMB_FILE_READ_ATTRIBUTES;
		wr = true;
		break;
	case O_RDWR:
		*access = SMB_ACCESS_READ | SMB_ACCESS_WRITE;
		wr = true;
		break;
	default:
		return -EINVAL;
	}
	if ((flags & O_TRUNC) && !wr)
		return -EINVAL;
	if (flags & SMBIOV_O_DELETE)
		*access |= SMB_DELETE;
	/* MS-SMB2 2.2.13 CreateDisposition, as POSIX open(2) means it. */
	if ((flags & O_CREAT) && (flags & O_EXCL))
		*disposition = SMB2_FILE_CREATE;
	else if ((flags & O_CREAT) && (flags & O_TRUNC))
		*disposition = SMB2_FILE_OVERWRITE_IF;
	else if (flags & O_CREAT)
		*disposition = SMB2_FILE_OPEN_IF;
	else if (flags & O_TRUNC)
		*disposition = SMB2_FILE_OVERWRITE;
	else
		*disposition = SMB2_FILE_OPEN;
	return 0;
}

int64_t smb_filetime_ns(uint64_t ft)
{
	/* 1601-01-01 to 1970-01-01 in 100 ns units. */
	const int64_t epoch = 116444736000000000LL;

	int64_t d;

	if (ft == 0)
		return 0;
	if (ft > (uint64_t)INT64_MAX)
		return INT64_MAX;
	d = (int64_t)ft - epoch;
	/* Saturate: int64 ns cover only the years 1677 to 2262. */
	if (d > INT64_MAX / 100)
		return INT64_MAX;
	if (d < INT64_MIN / 100)
		return INT64_MIN;
	return d * 100;
}

void smb_create_msg_release(struct smb_create_msg *m)
{
	free(m->name);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

int smb_create_msg_init(struct smb_create_msg *m,
			const struct smb_create_args *a)
{
	struct smb2_create_req req = {
		.oplock_level = a->oplock_level,
		.impersonation = SMB2_IMPERSONATION_IMPERSONATION,
		.desired_access = a->access,
		.file_attributes = a->attributes,
		.share_access = SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE |
				SMB2_FILE_SHARE_DELETE,
		.disposition = a->disposition,
		.options = a->options,
		.contexts = a->contexts,
		.contexts_len = a->contexts_len,
	};
	size_t name_len, cap;
	ssize_t n;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = smb_path_utf16(a->path, &m->name, &name_len);
	if (ret)
		return ret;
	req.name = m->name;
	req.name_len = name_len;
	cap = SMB2_CREATE_REQ_FIXED + name_len + 8 + a->contexts_len;
	m->body = malloc(cap);
	if (!m->body)
		return -ENOMEM;
	n = smb2_create_req_encode(m->body, cap, &req);
	if (n < 0)
		return (int)n;
	m->body_len = (size_t)n;
	m->vec.iov_base = m->body;
	m->vec.iov_len = m->body_len;
	return 0;
}

int smb_req_status_err(const struct smb_req *r, const char *what)
{
	if (r->status)
		return smb_error_status(r->status, SMBIOV_PHASE_IO, what);
	return smb_error_set(r->result, 0, SMBIOV_PHASE_IO, "%s: %s", what,
			     smb_conn_strerror(r->e.c, r->result));
}

int smb_close_fid(struct smbiov_client *c, const struct smb2_fileid *fid)
{
	uint8_t body[SMB2_CLOSE_REQ_FIXED];
	struct iovec v = {body, sizeof(body)};
	struct smb_req r;
	ssize_t n;
	int ret;

	n = smb2_close_req_encode(body, sizeof(body), fid, 0);
	if (n < 0)
		return (int)n;
	smb_req_init(&r, SMB2_CLOSE);
	r.body = &v;
	r.nbody = 1;
	ret = smb_call(c, &r);
	smb_req_release(&r);
	return ret;
}

void smb_related_close_init(struct smb_req *r, struct smb_close_msg *m)
{
	smb2_close_req_encode(m->body, sizeof(m->body), &smb_related_fid, 0);
	m->vec = (struct iovec){m->body, sizeof(m->body)};
	smb_req_init(r, SMB2_CLOSE);
	r->body = &m->vec;
	r->nbody = 1;
	r->flags = SMB_REQ_QUIET;
}

int smb_path_op(struct smbiov_client *c, const struct smb_create_args *a,
		struct smb_req *mid, struct smb2_create_rsp *create_rsp)
{
	struct smb_close_msg cm;
	struct smb_create_msg m;
	struct smb_req create, close;
	struct smb_req *reqs[3];
	struct smb2_create_rsp crsp;
	size_t n = 0;
	int ret;

	ret = smb_create_msg_init(&m, a);
	if (ret) {
		smb_create_msg_release(&m);
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO, "%s: bad path",
				     a->path ? a->path : "");
	}
	smb_req_init(&create, SMB2_CREATE);
	create.body = &m.vec;
	create.nbody = 1;
	smb_related_close_init(&close, &cm);
	reqs[n++] = &create;
	/* A failed CREATE fails it too: then the CREATE's error is the one. */
	if (mid) {
		mid->flags |= SMB_REQ_QUIET;
		reqs[n++] = mid;
	}
	reqs[n++] = &close;

	ret = smb_compound(c, reqs, n);
	smb_create_msg_release(&m);
	if (ret)
		goto out;
	ret = create.result;
	if (ret)
		goto out;
	ret = smb2_create_rsp_decode(create.rsp, create.rsp_len, &crsp);
	if (ret) {
		smb_error_set(ret, 0, SMBIOV_PHASE_IO, "%s: bad CREATE reply",
			      a->path);
		goto out;
	}
	if (create_rsp)
		*create_rsp = crsp;
	/* The related CLOSE failed: close by the real handle. */
	if (close.result && close.result != -ECONNRESET)
		smb_close_fid(c, &crsp.fid);
	if (mid && mid->result)
		ret = smb_req_status_err(mid, smb_cmd_name(mid->command));
out:
	smb_req_release(&create);
	smb_req_release(&close);
	return ret;
}

void smb_stat_from_all(struct smbiov_stat *st, const struct smb2_file_all *a)
{
	memset(st, 0, sizeof(*st));
	st->size = a->standard.end_of_file;
	st->alloc_size = a->standard.allocation_size;
	st->btime_ns = smb_filetime_ns(a->basic.creation_time);
	st->atime_ns = smb_filetime_ns(a->basic.last_access_time);
	st->mtime_ns = smb_filetime_ns(a->basic.last_write_time);
	st->ctime_ns = smb_filetime_ns(a->basic.change_time);
	st->attributes = a->basic.file_attributes;
	st->is_dir = a->standard.directory ||
		     (a->basic.file_attributes & SMB_FILE_ATTRIBUTE_DIRECTORY);
	st->file_id = a->index_number;
	st->nlink = a->standard.number_of_links;
}

bool smb_file_lease_of(const struct smb2_create_rsp *rsp, const uint8_t *key,
		       struct smb2_lease *got)
{
	struct smb2_cc cc;

	return rsp->oplock_level == SMB2_OPLOCK_LEVEL_LEASE &&
	       smb2_cc_find(rsp->contexts, rsp->contexts_len, SMB2_CC_LEASE,
			    &cc) == 1 &&
	       !smb2_cc_lease_decode(&cc, got) &&
	       !memcmp(got->key, key, sizeof(got->key));
}

/* The lease the CREATE response grants, if any, kept in the table. */
static struct smb_lease *granted_lease(struct smbiov_client *c,
				       const struct smb2_create_rsp *rsp,
				       const struct smb2_lease *want,
				       const char *path, bool writer)
{
	struct smb2_lease got;

	if (!smb_file_lease_of(rsp, want->key, &got))
		return NULL;
	/* never more than was asked */
	got.state &= want->state;
	return smb_lease_add(c, &got, path, writer);
}

/* Did the server make the handle durable (DH2Q answered)? */
static bool granted_durable(const struct smb2_create_rsp *rsp)
{
	struct smb2_dh2q got;
	struct smb2_cc cc;

	return smb2_cc_find(rsp->contexts, rsp->contexts_len, SMB2_CC_DH2Q,
			    &cc) == 1 &&
	       !smb2_cc_dh2q_rsp_decode(&cc, &got);
}

void smb_file_want_id(const struct smbiov_client *c, struct smb2_cc_builder *b)
{
	if (c->rc_ms > 0)
		smb2_cc_add_qfid(b);
}

bool smb_file_disk_id(const struct smb2_create_rsp *rsp, struct smb2_qfid *q)
{
	struct smb2_cc cc;

	return smb2_cc_find(rsp->contexts, rsp->contexts_len, SMB2_CC_QFID,
			    &cc) == 1 &&
	       !smb2_cc_qfid_rsp_decode(&cc, q);
}

struct smbiov_file *smb_file_new(struct smbiov_client *c, const char *path,
				 int flags, uint32_t access,
				 const struct smb2_create_rsp *rsp)
{
	struct smbiov_file *f = calloc(1, sizeof(*f));

	if (!f) {
		smb_close_fid(c, &rsp->fid);
		smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "CREATE %.50s",
			      path ? path : "");
		return NULL;
	}
	f->have_disk_id = smb_file_disk_id(rsp, &f->disk_id);
	f->c = c;
	f->fid = rsp->fid;
	f->access = access;
	f->is_dir = rsp->attrs.file_attributes & SMB_FILE_ATTRIBUTE_DIRECTORY;
	f->size_at_open = rsp->attrs.end_of_file;
	f->flags = flags;
	f->creation_time = rsp->attrs.creation_time;
	/* (without it the file cannot be reopened after a reconnect: stale) */
	f->path = strdup(path ? path : "");
	return f;
}

/* The requests that go with a CREATE (struct smb_open_extra). */
struct open_extra_reqs {
	struct smb_first_read fr;
	struct smb_stat_req sq;
	bool rd, st;
};

/*
 * Send the CREATE @r and what @x asks to go with it (@readable: the open
 * may read) as one compound; the CREATE's result.
 */
static int create_send(struct smbiov_client *c, struct smb_req *r,
		       struct smb_open_extra *x, bool readable,
		       struct open_extra_reqs *e)
{
	struct smb_req *reqs[3];
	size_t n = 0;
	int ret;

	if (x) {
		x->rd_got = -1;
		x->rd_eof = false;
		x->st_ok = false;
	}
	e->rd = x && x->rd && readable && smbiov_iter_count(x->rd) &&
		!smb_first_read_init(c, x->rd, &e->fr);
	e->st = x && x->st && !smb_stat_req_init(&e->sq, c, &smb_related_fid);
	if (!e->rd && !e->st)
		return smb_call(c, r);
	reqs[n++] = r;
	/* a failed CREATE fails them too: the CREATE's error is the one */
	if (e->rd) {
		e->fr.rd.flags |= SMB_REQ_QUIET;
		reqs[n++] = &e->fr.rd;
	}
	if (e->st) {
		e->sq.q.flags |= SMB_REQ_QUIET;
		reqs[n++] = &e->sq.q;
	}
	ret = smb_compound(c, reqs, n);
	return ret ? ret : r->result;
}

/*
 * What went with a CREATE that succeeded, into @x; a part that failed
 * is just not there (the caller reads or asks again).
 */
static void extra_take(struct smb_open_extra *x, struct open_extra_reqs *e)
{
	if (e->rd) {
		smb_first_read_eof(&e->fr);
		if (!e->fr.rd.result && e->fr.rd.data_len <= e->fr.len) {
			smbiov_iter_advance(x->rd, e->fr.rd.data_len);
			x->rd_got = (ssize_t)e->fr.rd.data_len;
			x->rd_eof = e->fr.rd.data_len < e->fr.len;
		}
	}
	if (e->st && !e->sq.q.result) {
		x->st_ok = !smb_stat_req_decode(&e->sq, x->st);
		if (!x->st_ok)
			smb_error_clear();
	}
}

static void extra_release(struct open_extra_reqs *e)
{
	if (e->rd)
		smb_req_release(&e->fr.rd);
	if (e->st)
		smb_req_release(&e->sq.q);
}

/*
 * One CREATE of smb_file_open(); @fresh_key: ask for a lease with a key
 * of its own, whatever else is open. *@shared: the lease asked for had a
 * key shared with another open of @path.
 */
static int open_once(struct smbiov_client *c, const char *path, int flags,
		     enum smbiov_cache cache, struct smbiov_file **out,
		     struct smb_open_extra *x, bool fresh_key, bool *shared)
{
	struct open_extra_reqs e = {0};
	struct smb_create_args a = {.path = path};
	uint8_t ctx[256];
	struct smb2_cc_builder b;
	struct smb2_lease want;
	struct smb_create_msg m;
	struct smb2_create_rsp rsp;
	struct smbiov_file *f;
	struct smb2_dh2q dq = {0};
	struct smb_req r;
	bool leasing = false, durable = false;
	char what[64];
	int ret, want_ret = -EOPNOTSUPP;

	*shared = false;
	ret = smb_open_flags(flags, &a.access, &a.disposition);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "open %s: bad flags %#x", path, flags);
	a.options = SMB2_FILE_NON_DIRECTORY_FILE;
	smb2_cc_builder_init(&b, ctx, sizeof(ctx));
	smb_file_want_id(c, &b);
	if (cache != SMBIOV_CACHE_NONE)
		want_ret = smb_lease_want(c, fresh_key ? NULL : path, &want);
	if (want_ret >= 0) {
		leasing = !smb2_cc_add_lease(&b, &want);
		*shared = leasing && want_ret == 1;
		/*
		 * A durable handle survives a lost connection (reconnect.c);
		 * the server grants one only with a lease (or batch oplock).
		 */
		if (leasing && c->rc_ms > 0 && c->dialect >= SMB2_DIALECT_300 &&
		    getrandom(dq.create_guid, sizeof(dq.create_guid), 0) ==
			    (ssize_t)sizeof(dq.create_guid))
			durable = !smb2_cc_add_dh2q(&b, &dq);
		if (leasing)
			a.oplock_level = SMB2_OPLOCK_LEVEL_LEASE;
	} else if (cache != SMBIOV_CACHE_NONE && want_ret == -EOPNOTSUPP) {
		/* no leases on this server: a batch oplock instead */
		a.oplock_level = SMB2_OPLOCK_LEVEL_BATCH;
	}
	smb_create_args_contexts(&a, &b);
	ret = smb_create_msg_init(&m, &a);
	if (ret) {
		smb_create_msg_release(&m);
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "open %s: bad path", path ? path : "");
	}
	snprintf(what, sizeof(what), "CREATE %.50s", path ? path : "");
	smb_req_init(&r, SMB2_CREATE);
	r.body = &m.vec;
	r.nbody = 1;
	ret = create_send(c, &r, x, a.access & SMB_FILE_READ_DATA, &e);
	smb_create_msg_release(&m);
	if (ret)
		goto out;
	ret = smb2_create_rsp_decode(r.rsp, r.rsp_len, &rsp);
	if (ret) {
		smb_error_set(ret, 0, SMBIOV_PHASE_IO, "%s: bad reply", what);
		goto out;
	}
	f = smb_file_new(c, path, flags, a.access, &rsp);
	if (!f) {
		ret = -ENOMEM;
		goto out;
	}
	if (leasing)
		f->lease = granted_lease(c, &rsp, &want, path,
					 a.access & SMB_FILE_WRITE_DATA);
	else if (a.oplock_level == SMB2_OPLOCK_LEVEL_BATCH)
		f->lease = smb_oplock_add(c, &rsp.fid, rsp.oplock_level);
	if (f->lease && leasing)
		f->lease_req = want;
	if (durable && granted_durable(&rsp)) {
		f->durable = true;
		memcpy(f->create_guid, dq.create_guid, sizeof(dq.create_guid));
	}
	smb_rc_file_add(c, f);
	/* two caches of one file: neither keeps writes (lease.h) */
	if (*shared && smb_lease_share(c, want.key)) {
		smb_file_close(f);
		ret = smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "%s", what);
		goto out;
	}
	*out = f;
	if (x)
		extra_take(x, &e);
out:
	smb_req_release(&r);
	extra_release(&e);
	return ret;
}

/* open_once(), with a key of its own after a shared one is refused */
static int open_keyed(struct smbiov_client *c, const char *path, int flags,
		      enum smbiov_cache cache, struct smbiov_file **out,
		      struct smb_open_extra *x)
{
	bool shared;
	int ret = open_once(c, path, flags, cache, out, x, false, &shared);

	/*
	 * STATUS_INVALID_PARAMETER for a key another open of the name holds:
	 * the server has that lease on another file (renamed, or replaced
	 * under the name, meanwhile). A key of its own then.
	 */
	if (ret == -EINVAL && shared) {
		smb_error_clear();
		ret = open_once(c, path, flags, cache, out, x, true, &shared);
	}
	return ret;
}

/*
 * Has this client the file of @path open itself (a handle not closed)?
 * Then its delete waits for this client's own close: nothing to wait for.
 */
static bool open_here(struct smbiov_client *c, const char *path)
{
	bool found = false;

	pthread_mutex_lock(&c->lock);
	for (struct smbiov_file *f = c->files; f && !found; f = f->rc_next)
		found = !f->fid_closed && !f->stale && f->path &&
			fs_path_eq(f->path, path ? path : "");
	pthread_mutex_unlock(&c->lock);
	return found;
}

/* Did the thread's last failure come with STATUS_DELETE_PENDING? */
static bool delete_pending(void)
{
	struct smbiov_error e;

	smbiov_last_error(&e);
	return e.ntstatus == STATUS_DELETE_PENDING;
}

int smb_file_open(struct smbiov_client *c, const char *path, int flags,
		  enum smbiov_cache cache, struct smbiov_file **out,
		  struct smb_open_extra *x)
{
	unsigned waited = 0, pause = 10;
	int ret;

	if (!out)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "open: no result pointer");
	*out = NULL;
	ret = smb_api_begin(c);
	if (ret)
		return ret;
	/*
	 * The name's file was deleted while another client still has it
	 * open: it goes with that client's last handle (a handle it keeps
	 * after a close, as this library and cifs do, is closed within
	 * seconds; Samba breaks no lease for a delete). An open that would
	 * create the name waits for that, asking again with a growing
	 * pause, then fails with EBUSY, not with ENOENT; at once when the
	 * handle is this client's own (a file unlinked while open here).
	 */
	while ((ret = open_keyed(c, path, flags, cache, out, x)) == -ENOENT &&
	       (flags & O_CREAT) && delete_pending()) {
		if (open_here(c, path))
			return smb_error_set(-EBUSY, STATUS_DELETE_PENDING,
					     SMBIOV_PHASE_IO,
					     "open %s: the file is being "
					     "deleted, and is still open here",
					     path ? path : "");
		if (waited >= SMB_DELETE_PENDING_WAIT_MS)
			return smb_error_set(-EBUSY, STATUS_DELETE_PENDING,
					     SMBIOV_PHASE_IO,
					     "open %s: the file is being "
					     "deleted, and another client "
					     "still has it open",
					     path ? path : "");
		smb_error_clear();
		usleep(pause * 1000u);
		waited += pause;
		pause = pause * 2 > 500 ? 500 : pause * 2;
	}
	return ret;
}

SMBIOV_API int smbiov_lease_info(struct smbiov_file *f,
				 struct smbiov_lease_info *out)
{
	struct smb_lease l;

	if (!f || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!f->lease)
		return 0;
	smb_lease_snapshot(f->c, f->lease, &l);
	out->leased = true;
	out->oplock = l.oplock;
	out->state = l.held;
	out->epoch = l.epoch;
	out->breaks = l.breaks;
	out->acked_early = l.acked_early;
	out->ack_err = l.ack_err;
	return 0;
}

int smb_file_close(struct smbiov_file *f)
{
	int ret;

	if (!f)
		return 0;
	ret = smb_client_check(f->c);
	if (ret == 0) {
		smb_error_clear();
		/* a stale handle is gone already: nothing to close */
		if (!f->fid_closed && !f->stale)
			ret = smb_close_fid(f->c, &f->fid);
		/* the server drops the lease with its last open */
		smb_lease_forget(f->c, f->lease);
	}
	if (mem_self_pid() == f->c->pid)
		smb_rc_file_del(f->c, f);
	free(f->path);
	free(f);
	return ret;
}
