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
	struct smb_req r;	 /* holds the current batch in r.rsp */
	struct smb2_dir_iter it; /* walks r.rsp's OutputBuffer */
	bool have;		 /* r.rsp holds a batch */
	bool eof;
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
	struct smb2_create_rsp rsp;
	struct smbiov_dir *d;
	struct smb_req r;
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
	smb_req_init(&r, SMB2_CREATE);
	r.body = &m.vec;
	r.nbody = 1;
	ret = smb_call(c, &r);
	smb_create_msg_release(&m);
	if (ret)
		goto out;
	ret = smb2_create_rsp_decode(r.rsp, r.rsp_len, &rsp);
	if (ret) {
		smb_error_set(ret, 0, SMBIOV_PHASE_IO, "opendir: bad reply");
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		smb_close_fid(c, &rsp.fid);
		ret = smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "opendir");
		goto out;
	}
	d->c = c;
	d->fid = rsp.fid;
	*out = d;
out:
	smb_req_release(&r);
	return ret;
}

/* Ask for the next batch; 0 with d->have or d->eof set, or an error. */
static int dir_fetch(struct smbiov_dir *d)
{
	static const uint8_t star[2] = {'*', 0};
	uint32_t outlen = DIR_BATCH;
	struct smb2_query_dir_req q = {
		.info_class = FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION,
		.fid = d->fid,
		.pattern = star,
		.pattern_len = sizeof(star),
	};
	uint8_t body[SMB2_QUERY_DIRECTORY_REQ_FIXED + sizeof(star) + 8];
	struct iovec v = {body, 0};
	const uint8_t *buf;
	uint32_t len;
	ssize_t n;
	int ret;

	if (d->c->max_transact && d->c->max_transact < outlen)
		outlen = d->c->max_transact;
	q.output_len = outlen;
	n = smb2_query_dir_req_encode(body, sizeof(body), &q);
	if (n < 0)
		return (int)n;
	v.iov_len = (size_t)n;
	smb_req_release(&d->r);
	smb_req_init(&d->r, SMB2_QUERY_DIRECTORY);
	d->r.body = &v;
	d->r.nbody = 1;
	d->r.payload_len = outlen;
	d->r.flags = SMB_REQ_QUIET;
	ret = smb_call(d->c, &d->r);
	if (ret) {
		if (d->r.status == STATUS_NO_MORE_FILES) {
			d->eof = true;
			smb_req_release(&d->r);
			return 0;
		}
		return smb_req_status_err(&d->r, "QUERY_DIRECTORY");
	}
	ret = smb2_query_dir_rsp_decode(d->r.rsp, d->r.rsp_len, outlen, &buf,
					&len);
	if (ret == 0)
		ret = smb2_dir_iter_init(&d->it, q.info_class, buf, len);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "QUERY_DIRECTORY: bad reply");
	if (!batch_is_new(d, buf, len))
		return smb_error_set(-EPROTO, 0, SMBIOV_PHASE_IO,
				     "QUERY_DIRECTORY: the server repeats the "
				     "listing");
	d->have = true;
	return 0;
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
			smb_req_release(&d->r);
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
	smb_req_release(&d->r);
	ret = smb_client_check(d->c);
	if (ret == 0)
		ret = smb_close_fid(d->c, &d->fid);
	free(d);
	return ret;
}
