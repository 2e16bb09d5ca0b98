// SPDX-License-Identifier: MIT
/*
 * Streaming directory listing (MS-SMB2 3.2.4.17 QUERY_DIRECTORY) with
 * FileIdBothDirectoryInformation (MS-FSCC 2.4.17). One server batch of at
 * most 64 KiB is held at a time and walked in place, so a directory of any
 * size is listed in bounded memory.
 *
 * A listing must move on: the names in a directory are unique, so a batch
 * byte for byte the same as one of the last DIR_SEEN batches means the
 * server is repeating itself (a broken resume) and would list forever. It
 * fails as a malformed reply (-EPROTO) instead.
 */
#include "client/file.h"
#include "proto/dir.h"
#include "proto/ntstatus.h"
#include "proto/utf16.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DIR_BATCH ((uint32_t)65536)
#define DIR_SEEN  16

struct smbiov_dir {
	struct smbiov_client *c;
	struct smb2_fileid fid;
	/*
	 * Batches: rq[cur] holds the one being walked (by @it), rq[cur ^ 1]
	 * the answer to opendir's second QUERY_DIRECTORY until it is taken
	 * (@next_pending), else nothing. Taken only when the first batch
	 * is walked, so an error it brings comes after the names before it.
	 */
	struct smb_req rq[2];
	const uint8_t *buf[2]; /* each one's OutputBuffer, in its rsp */
	uint32_t len[2];
	unsigned cur;
	struct smb2_dir_iter it; /* walks rq[cur]'s OutputBuffer */
	bool have;		 /* rq[cur] holds a batch */
	bool next_pending;	 /* rq[cur ^ 1] holds an answer */
	bool eof;
	bool opened;		 /* @fid is a handle on the server */
	uint64_t seen[DIR_SEEN]; /* hashes of the last batches, a ring */
	unsigned nseen;		 /* batches so far */
};

/* FNV-1a: enough to tell batches apart, nothing here is adversarial. */
static uint64_t batch_hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ len;
}

/* Record @buf's batch; false when it repeats one of the last DIR_SEEN. */
static bool batch_is_new(struct smbiov_dir *d, const uint8_t *buf, size_t len)
{
	uint64_t h = batch_hash(buf, len);
	unsigned n = d->nseen < DIR_SEEN ? d->nseen : DIR_SEEN;

	for (unsigned i = 0; i < n; i++)
		if (d->seen[i] == h)
			return false;
	d->seen[d->nseen++ % DIR_SEEN] = h;
	return true;
}

static const uint8_t star[2] = {'*', 0};

/* A QUERY_DIRECTORY request's body (qd_req_init() fills it). */
struct qd_msg {
	uint8_t body[SMB2_QUERY_DIRECTORY_REQ_FIXED + sizeof(star) + 8];
	struct iovec v;
};

static uint32_t qd_outlen(const struct smbiov_client *c)
{
	if (c->max_transact && c->max_transact < DIR_BATCH)
		return c->max_transact;
	return DIR_BATCH;
}

static int qd_req_init(struct smb_req *r, struct qd_msg *m,
		       const struct smbiov_client *c,
		       const struct smb2_fileid *fid)
{
	struct smb2_query_dir_req q = {
		.info_class = FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION,
		.fid = *fid,
		.pattern = star,
		.pattern_len = sizeof(star),
		.output_len = qd_outlen(c),
	};
	ssize_t n = smb2_query_dir_req_encode(m->body, sizeof(m->body), &q);

	if (n < 0)
		return (int)n;
	m->v.iov_base = m->body;
	m->v.iov_len = (size_t)n;
	smb_req_init(r, SMB2_QUERY_DIRECTORY);
	r->body = &m->v;
	r->nbody = 1;
	r->payload_len = q.output_len;
	r->flags = SMB_REQ_QUIET;
	return 0;
}

/*
 * Take the answer in rq[@slot] (a QUERY_DIRECTORY that completed): a
 * batch to walk (*@batch true: buf/len[@slot] set, rq[@slot] keeps it),
 * the end of the listing (d->eof) or an error.
 */
static int qd_take(struct smbiov_dir *d, unsigned slot, bool *batch)
{
	struct smb_req *r = &d->rq[slot];
	int ret;

	*batch = false;
	if (r->result) {
		if (r->status == STATUS_NO_MORE_FILES) {
			d->eof = true;
			return 0;
		}
		return smb_req_status_err(r, "QUERY_DIRECTORY");
	}
	ret = smb2_query_dir_rsp_decode(r->rsp, r->rsp_len, qd_outlen(d->c),
					&d->buf[slot], &d->len[slot]);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "QUERY_DIRECTORY: bad reply");
	if (!batch_is_new(d, d->buf[slot], d->len[slot]))
		return smb_error_set(-EPROTO, 0, SMBIOV_PHASE_IO,
				     "QUERY_DIRECTORY: the server repeats the "
				     "listing");
	*batch = true;
	return 0;
}

/*
 * Take rq[cur]'s answer and walk it if it is a batch (d->have), else
 * release it (d->eof, or an error).
 */
static int dir_take_cur(struct smbiov_dir *d)
{
	bool batch;
	int ret = qd_take(d, d->cur, &batch);

	if (!ret && batch) {
		/* fails only for a class it does not know: never this one */
		ret = smb2_dir_iter_init(
			&d->it, FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION,
			d->buf[d->cur], d->len[d->cur]);
		if (ret)
			ret = smb_error_set(ret, 0, SMBIOV_PHASE_IO,
					    "QUERY_DIRECTORY: bad reply");
		else
			d->have = true;
	}
	if (!d->have)
		smb_req_release(&d->rq[d->cur]);
	return ret;
}

static void dir_free(struct smbiov_dir *d)
{
	smb_req_release(&d->rq[0]);
	smb_req_release(&d->rq[1]);
	free(d);
}

/*
 * Open the directory and fetch its first two batches in one round trip:
 * CREATE + QUERY_DIRECTORY + QUERY_DIRECTORY, related (as Windows and
 * cifs open a listing), and with @close a related CLOSE after them. A
 * directory that fits one batch -- most -- is then listed to its end (the
 * second answer is STATUS_NO_MORE_FILES) and, with @close, closed: the
 * whole listing costs one round trip. *@more: with @close, the second
 * answer was a batch: the listing goes on but its handle is gone, so
 * the caller starts over without @close (nothing was returned yet).
 */
static int dir_open(struct smbiov_dir *d, struct smb_create_msg *m, bool close,
		    bool *more)
{
	struct smb_close_msg cm;
	struct qd_msg q[2];
	struct smb_req create, cl,
		*reqs[4] = {&create, &d->rq[0], &d->rq[1], &cl};
	struct smb2_create_rsp rsp;
	int ret;

	*more = false;
	smb_req_init(&create, SMB2_CREATE);
	create.body = &m->vec;
	create.nbody = 1;
	smb_related_close_init(&cl, &cm);
	ret = qd_req_init(&d->rq[0], &q[0], d->c, &smb_related_fid);
	if (!ret)
		ret = qd_req_init(&d->rq[1], &q[1], d->c, &smb_related_fid);
	if (!ret)
		ret = smb_compound(d->c, reqs, close ? 4 : 3);
	if (!ret && create.result)
		ret = smb_req_status_err(&create, "opendir");
	if (!ret) {
		ret = smb2_create_rsp_decode(create.rsp, create.rsp_len, &rsp);
		if (ret) {
			smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				      "opendir: bad reply");
		} else {
			/* a related CLOSE that failed: close by the handle */
			d->opened = !close || cl.result;
			d->fid = rsp.fid;
		}
	}
	smb_req_release(&create);
	smb_req_release(&cl);
	if (ret)
		return ret;
	/* from here on the handle may be open: the caller closes it */
	ret = dir_take_cur(d);
	if (!ret && d->have && close && !d->rq[1].result) {
		*more = true;
		return 0;
	}
	if (!ret && d->have)
		d->next_pending = true;
	else
		smb_req_release(&d->rq[1]);
	return ret;
}

/*
 * Forget a listing opendir's first compound began (its handle is closed
 * already or closed here): the next dir_open() starts from nothing.
 */
static void dir_restart(struct smbiov_dir *d)
{
	struct smbiov_client *c = d->c;

	if (d->opened)
		smb_close_fid(c, &d->fid);
	smb_req_release(&d->rq[0]);
	smb_req_release(&d->rq[1]);
	memset(d, 0, sizeof(*d));
	d->c = c;
}

SMBIOV_API int smbiov_opendir(struct smbiov_client *c, const char *path,
			      struct smbiov_dir **out)
{
	struct smb_create_args a = {
		.path = path,
		.access = SMB_FILE_LIST_DIRECTORY | SMB_FILE_READ_ATTRIBUTES |
			  SMB_SYNCHRONIZE,
		.disposition = SMB2_FILE_OPEN,
		.options = SMB2_FILE_DIRECTORY_FILE,
	};
	struct smb_create_msg m;
	struct smbiov_dir *d;
	bool more;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	ret = smb_api_begin(c);
	if (ret)
		return ret;
	ret = smb_create_msg_init(&m, &a);
	if (ret) {
		smb_create_msg_release(&m);
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "opendir: bad path");
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		smb_create_msg_release(&m);
		return smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "opendir");
	}
	d->c = c;
	ret = dir_open(d, &m, true, &more);
	if (!ret && more) {
		/* two batches or more: a listing that keeps its handle */
		dir_restart(d);
		ret = dir_open(d, &m, false, &more);
	}
	smb_create_msg_release(&m);
	if (ret) {
		if (d->opened) {
			/* the error is the listing's, not the clean-up's */
			struct smbiov_error e;

			smbiov_last_error(&e);
			smb_close_fid(c, &d->fid);
			smb_error_restore(&e);
		}
		dir_free(d);
		return ret;
	}
	*out = d;
	return 0;
}

/* Ask for the next batch into rq[cur]; 0 with d->have or d->eof set. */
static int dir_fetch(struct smbiov_dir *d)
{
	struct smb_req *r = &d->rq[d->cur];
	struct qd_msg q;
	int ret;

	smb_req_release(r);
	ret = qd_req_init(r, &q, d->c, &d->fid);
	if (ret)
		return ret;
	ret = smb_call(d->c, r);
	if (ret && r->status != STATUS_NO_MORE_FILES)
		return smb_req_status_err(r, "QUERY_DIRECTORY");
	return dir_take_cur(d);
}

static bool dot_or_dotdot(const struct smb2_dirent *e)
{
	if (e->name_len == 2)
		return e->name[0] == '.' && e->name[1] == 0;
	if (e->name_len == 4)
		return e->name[0] == '.' && e->name[1] == 0 &&
		       e->name[2] == '.' && e->name[3] == 0;
	return false;
}

SMBIOV_API int smbiov_readdir(struct smbiov_dir *d, struct smbiov_dirent *ent)
{
	struct smb2_dirent e;
	size_t n;
	int ret;

	if (!d || !ent)
		return -EINVAL;
	ret = smb_client_check(d->c);
	if (ret)
		return ret;
	for (;;) {
		if (!d->have) {
			if (d->next_pending) {
				d->next_pending = false;
				d->cur ^= 1;
				ret = dir_take_cur(d);
				if (ret)
					return ret;
				continue;
			}
			if (d->eof)
				return 0;
			ret = dir_fetch(d);
			if (ret)
				return ret;
			continue;
		}
		ret = smb2_dir_next(&d->it, &e);
		if (ret < 0)
			return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
					     "QUERY_DIRECTORY: bad entry");
		if (ret == 0) {
			d->have = false;
			smb_req_release(&d->rq[d->cur]);
			continue;
		}
		if (dot_or_dotdot(&e))
			continue;
		ret = utf16_to_utf8(e.name, e.name_len, ent->name,
				    sizeof(ent->name) - 1, &n);
		if (ret)
			return smb_error_set(
				ret == -ENOSPC ? -ENAMETOOLONG : ret, 0,
				SMBIOV_PHASE_IO, "readdir: unusable name");
		ent->name[n] = '\0';
		memset(&ent->st, 0, sizeof(ent->st));
		ent->st.size = e.end_of_file;
		ent->st.alloc_size = e.allocation_size;
		ent->st.btime_ns = smb_filetime_ns(e.creation_time);
		ent->st.atime_ns = smb_filetime_ns(e.last_access_time);
		ent->st.mtime_ns = smb_filetime_ns(e.last_write_time);
		ent->st.ctime_ns = smb_filetime_ns(e.change_time);
		ent->st.attributes = e.file_attributes;
		ent->st.is_dir =
			e.file_attributes & SMB_FILE_ATTRIBUTE_DIRECTORY;
		ent->st.file_id = e.file_id;
		return 1;
	}
}

SMBIOV_API int smbiov_closedir(struct smbiov_dir *d)
{
	int ret;

	if (!d)
		return 0;
	ret = smb_client_check(d->c);
	/* a listing opendir read whole was closed in the same round trip */
	if (ret == 0 && d->opened)
		ret = smb_close_fid(d->c, &d->fid);
	dir_free(d);
	return ret;
}
