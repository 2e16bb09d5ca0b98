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
#include "client/file.h"
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

SMBIOV_API ssize_t smbiov_open_read(struct smbiov_client *c, const char *path,
				    int flags, struct smbiov_iter *dst,
				    uint64_t *size, struct smbiov_file **out)
{
	struct smb_create_args a = {.path = path};
	uint8_t read_body[SMB2_READ_REQ_SIZE];
	struct iovec read_vec;
	struct smb_create_msg m;
	struct smb2_create_rsp crsp;
	struct smb_req create, rd;
	struct smb_req *reqs[2] = {&create, &rd};
	struct smbiov_iter view;
	struct smbiov_file *f;
	struct smb2_read_req rq = {.fid = smb_related_fid};
	char what[64];
	ssize_t n;
	int ret;

	if (out)
		*out = NULL;
	if (!out || !dst || dst->source)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "open_read: bad arguments");
	ret = smb_api_begin(c);
	if (ret)
		return ret;
	ret = smb_open_flags(flags, &a.access, &a.disposition);
	if (!ret && (flags & O_ACCMODE) == O_WRONLY)
		ret = -EINVAL;
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "open_read %s: bad flags %#x",
				     path ? path : "", flags);
	a.options = SMB2_FILE_NON_DIRECTORY_FILE;
	snprintf(what, sizeof(what), "CREATE %.50s", path ? path : "");

	rq.length = (uint32_t)open_read_len(c, smbiov_iter_count(dst));
	n = smb2_read_req_encode(read_body, sizeof(read_body), &rq);
	if (n < 0)
		return smb_error_set((int)n, 0, SMBIOV_PHASE_IO, "%s", what);
	ret = smb_create_msg_init(&m, &a);
	if (ret) {
		smb_create_msg_release(&m);
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "open_read %s: bad path",
				     path ? path : "");
	}
	view = *dst;
	smbiov_iter_truncate(&view, rq.length);
	read_vec.iov_base = read_body;
	read_vec.iov_len = (size_t)n;
	smb_req_init(&create, SMB2_CREATE);
	create.body = &m.vec;
	create.nbody = 1;
	smb_req_init(&rd, SMB2_READ);
	rd.body = &read_vec;
	rd.nbody = 1;
	/* Its failure is judged below: END_OF_FILE is not one. */
	rd.flags = SMB_REQ_QUIET;
	rd.dst = rq.length ? &view : NULL;
	rd.read_len = rq.length;

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
	/* MS-SMB2 3.3.5.12: reading at or past EOF (an empty file). */
	if (rd.result && rd.status == STATUS_END_OF_FILE) {
		rd.result = 0;
		rd.data_len = 0;
	}
	ret = rd.result;
	if (ret)
		smb_req_status_err(&rd, "READ after open");
	else if (rd.data_len > rq.length)
		ret = smb_error_set(-EPROTO, 0, SMBIOV_PHASE_IO,
				    "READ after open: more than asked");
	if (ret) {
		/* Keep the handle from leaking: no file comes back on error. */
		if (ret != -ECONNRESET)
			smb_close_fid(c, &crsp.fid);
		goto out;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		smb_close_fid(c, &crsp.fid);
		ret = smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "%s", what);
		goto out;
	}
	f->c = c;
	f->fid = crsp.fid;
	f->access = a.access;
	f->is_dir = crsp.attrs.file_attributes & SMB_FILE_ATTRIBUTE_DIRECTORY;
	*out = f;
	if (size)
		*size = crsp.attrs.end_of_file;
	smbiov_iter_advance(dst, rd.data_len);
out:
	smb_req_release(&create);
	smb_req_release(&rd);
	return ret ? ret : (ssize_t)rd.data_len;
}

/*
 * The whole of a small file: CREATE + READ + CLOSE as one compound. The
 * READ is not the last element, so its data is copied out of the buffered
 * response (the engine lands only a compound's last READ directly); for
 * files of at most 1 MiB the saved round trip is worth far more.
 */
SMBIOV_API ssize_t smbiov_read_file(struct smbiov_client *c, const char *path,
				    struct smbiov_iter *dst, uint64_t *size)
{
	struct smb_create_args a = {
		.path = path,
		.options = SMB2_FILE_NON_DIRECTORY_FILE,
	};
	uint8_t read_body[SMB2_READ_REQ_SIZE];
	struct smb2_read_req rq = {.fid = smb_related_fid};
	struct smb2_create_rsp crsp;
	struct smbiov_iter view;
	struct iovec read_vec;
	struct smb_req rd;
	ssize_t n;
	int ret;

	ret = smb_api_begin(c);
	if (ret)
		return ret;
	if (!path || !dst || dst->source)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "read_file: bad arguments");
	ret = smb_open_flags(O_RDONLY, &a.access, &a.disposition);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO, "read_file");
	rq.length = (uint32_t)open_read_len(c, smbiov_iter_count(dst));
	n = smb2_read_req_encode(read_body, sizeof(read_body), &rq);
	if (n < 0)
		return smb_error_set((int)n, 0, SMBIOV_PHASE_IO, "read_file");
	view = *dst;
	smbiov_iter_truncate(&view, rq.length);
	read_vec = (struct iovec){read_body, (size_t)n};
	smb_req_init(&rd, SMB2_READ);
	rd.body = &read_vec;
	rd.nbody = 1;
	rd.dst = rq.length ? &view : NULL;
	rd.read_len = rq.length;

	memset(&crsp, 0, sizeof(crsp));
	ret = smb_path_op(c, &a, &rd, &crsp);
	/* MS-SMB2 3.3.5.12: reading at or past EOF (an empty file). */
	if (ret && rd.result && rd.status == STATUS_END_OF_FILE) {
		smb_error_clear();
		ret = 0;
		rd.data_len = 0;
	}
	if (!ret && rd.data_len > rq.length)
		ret = smb_error_set(-EPROTO, 0, SMBIOV_PHASE_IO,
				    "READ %s: more than asked", path);
	if (!ret) {
		smbiov_iter_advance(dst, rd.data_len);
		if (size)
			*size = crsp.attrs.end_of_file;
	}
	smb_req_release(&rd);
	return ret ? ret : (ssize_t)rd.data_len;
}
