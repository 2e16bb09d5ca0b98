// SPDX-License-Identifier: MIT
/*
 * Open and read the start of a file in one round trip: CREATE + related
 * READ at offset 0 as one compound (MS-SMB2 3.2.4.1.4). A small file
 * costs one round trip for open and data instead of two; the READ's data
 * lands straight in the caller's iterator when the response is plain
 * (recv.c receives the last element of a compound like an uncompounded
 * READ).
 * smbiov_read_file adds the CLOSE to the compound: a whole small file in
 * one round trip.
 */
#include "mem/access.h"
#include "client/file.h"
#include "client/reconnect.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The most the compound's READ asks for: enough for "small" files, and
 * the credit charge (16) stays well inside what servers grant at once.
 */
#define OPEN_READ_MAX ((size_t)1 << 20)

static size_t open_read_len(const struct smbiov_client *c, size_t want)
{
	size_t m = smb_max_chunk(c, false);

	if (m > OPEN_READ_MAX)
		m = OPEN_READ_MAX;
	return want < m ? want : m;
}

/*
 * Up to open_read_len() bytes of @dst; the FileId is the related one.
 * Returns 0 or the encoder's error.
 */
int smb_first_read_init(const struct smbiov_client *c,
			const struct smbiov_iter *dst,
			struct smb_first_read *fr)
{
	struct smb2_read_req rq = {.fid = smb_related_fid};
	ssize_t n;

	rq.length = (uint32_t)open_read_len(c, smbiov_iter_count(dst));
	n = smb2_read_req_encode(fr->body, sizeof(fr->body), &rq);
	if (n < 0)
		return (int)n;
	fr->len = rq.length;
	fr->vec = (struct iovec){fr->body, (size_t)n};
	fr->view = *dst;
	smbiov_iter_truncate(&fr->view, rq.length);
	smb_req_init(&fr->rd, SMB2_READ);
	fr->rd.body = &fr->vec;
	fr->rd.nbody = 1;
	fr->rd.dst = rq.length ? &fr->view : NULL;
	fr->rd.read_len = rq.length;
	return 0;
}

/*
 * MS-SMB2 3.3.5.12: reading at or past EOF (an empty file) is no
 * failure, just nothing read. True when that is what happened.
 */
bool smb_first_read_eof(struct smb_first_read *fr)
{
	if (!fr->rd.result || fr->rd.status != STATUS_END_OF_FILE)
		return false;
	fr->rd.result = 0;
	fr->rd.data_len = 0;
	return true;
}

SMBIOV_API ssize_t smbiov_open_read(struct smbiov_client *c, const char *path,
				    int flags, struct smbiov_iter *dst,
				    uint64_t *size, struct smbiov_file **out)
{
	struct smb_create_args a = {.path = path};
	struct smb_first_read fr;
	struct smb_req *rd = &fr.rd;
	struct smb_create_msg m;
	struct smb2_create_rsp crsp;
	struct smb_req create;
	struct smb_req *reqs[2] = {&create, rd};
	struct smb2_cc_builder b;
	uint8_t ctx[64];
	struct smbiov_file *f;
	char what[64];
	int ret;

	if (out)
		*out = NULL;
	if (!out || !dst || dst->source)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "open_read: bad arguments");
	ret = smb_api_begin(c);
	if (ret)
		return ret;
	if (mem_user_check(dst))
		return smb_error_set(-EFAULT, 0, SMBIOV_PHASE_IO,
				     "open_read: bad buffer");
	ret = smb_open_flags(flags, &a.access, &a.disposition);
	if (!ret && (flags & O_ACCMODE) == O_WRONLY)
		ret = -EINVAL;
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "open_read %s: bad flags %#x",
				     path ? path : "", flags);
	a.options = SMB2_FILE_NON_DIRECTORY_FILE;
	smb2_cc_builder_init(&b, ctx, sizeof(ctx));
	smb_file_want_id(c, &b);
	smb_create_args_contexts(&a, &b);
	snprintf(what, sizeof(what), "CREATE %.50s", path ? path : "");

	ret = smb_first_read_init(c, dst, &fr);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO, "%s", what);
	ret = smb_create_msg_init(&m, &a);
	if (ret) {
		smb_create_msg_release(&m);
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "open_read %s: bad path",
				     path ? path : "");
	}
	smb_req_init(&create, SMB2_CREATE);
	create.body = &m.vec;
	create.nbody = 1;
	/* Its failure is judged below: END_OF_FILE is not one. */
	rd->flags = SMB_REQ_QUIET;

	ret = smb_compound(c, reqs, 2);
	smb_create_msg_release(&m);
	if (ret)
		goto out; /* not sent: recorded by smb_compound() */
	/* A failed CREATE fails the related READ too: report the CREATE. */
	ret = create.result;
	if (ret)
		goto out;
	ret = smb2_create_rsp_decode(create.rsp, create.rsp_len, &crsp);
	if (ret) {
		/* Nothing to close by: we don't know the handle. */
		smb_error_set(ret, 0, SMBIOV_PHASE_IO, "%s: bad reply", what);
		goto out;
	}
	smb_first_read_eof(&fr);
	ret = rd->result;
	if (ret)
		smb_req_status_err(rd, "READ after open");
	else if (rd->data_len > fr.len)
		ret = smb_error_set(-EPROTO, 0, SMBIOV_PHASE_IO,
				    "READ after open: more than asked");
	if (ret) {
		/* Keep the handle from leaking: no file comes back on error. */
		if (ret != -ECONNRESET)
			smb_close_fid(c, &crsp.fid);
		goto out;
	}
	f = smb_file_new(c, path, flags, a.access, &crsp);
	if (!f) {
		ret = -ENOMEM;
		goto out;
	}
	/* a reconnect reopens it by path (no lease: nothing cached) */
	smb_rc_file_add(c, f);
	*out = f;
	if (size)
		*size = crsp.attrs.end_of_file;
	smbiov_iter_advance(dst, rd->data_len);
out:
	smb_req_release(&create);
	smb_req_release(rd);
	return ret ? ret : (ssize_t)rd->data_len;
}

/*
 * The whole of a small file: CREATE + READ + CLOSE as one compound. The
 * READ is not the last element; on a plain, unsigned connection its data
 * still lands straight in @dst (recv.c rx_chain), otherwise it is copied
 * out of the buffered response: for files of at most 1 MiB the saved
 * round trip is worth far more than that copy.
 */
SMBIOV_API ssize_t smbiov_read_file(struct smbiov_client *c, const char *path,
				    struct smbiov_iter *dst, uint64_t *size)
{
	struct smb_create_args a = {
		.path = path,
		.options = SMB2_FILE_NON_DIRECTORY_FILE,
	};
	struct smb_first_read fr;
	struct smb_req *rd = &fr.rd;
	struct smb2_create_rsp crsp;
	int ret;

	ret = smb_api_begin(c);
	if (ret)
		return ret;
	if (!path || !dst || dst->source)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "read_file: bad arguments");
	if (mem_user_check(dst))
		return smb_error_set(-EFAULT, 0, SMBIOV_PHASE_IO,
				     "read_file: bad buffer");
	ret = smb_open_flags(O_RDONLY, &a.access, &a.disposition);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO, "read_file");
	ret = smb_first_read_init(c, dst, &fr);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO, "read_file");

	memset(&crsp, 0, sizeof(crsp));
	ret = smb_path_op(c, &a, rd, &crsp);
	if (ret && smb_first_read_eof(&fr)) {
		smb_error_clear();
		ret = 0;
	}
	if (!ret && rd->data_len > fr.len)
		ret = smb_error_set(-EPROTO, 0, SMBIOV_PHASE_IO,
				    "READ %s: more than asked", path);
	if (!ret) {
		smbiov_iter_advance(dst, rd->data_len);
		if (size)
			*size = crsp.attrs.end_of_file;
	}
	smb_req_release(rd);
	return ret ? ret : (ssize_t)rd->data_len;
}
