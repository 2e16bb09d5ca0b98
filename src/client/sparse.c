// SPDX-License-Identifier: MIT
/*
 * Sparse files: FSCTL_SET_SPARSE (MS-FSCC 2.3.64) and
 * FSCTL_QUERY_ALLOCATED_RANGES (MS-FSCC 2.3.46) on an open file.
 */
#include "client/file.h"
#include "client/sparse.h"
#include "proto/ioctl.h"
#include "proto/ntstatus.h"
#include "proto/sparse.h"

#include <errno.h>
#include <string.h>

/* Output buffer of one query: 4096 ranges, one credit. */
#define QAR_OUT ((uint32_t)65536)
/*
 * Samba answers STATUS_BUFFER_TOO_SMALL, with no ranges, when they do
 * not fit: the range asked is then cut to a sixteenth, down to this. A
 * range and the hole after it take two file system blocks at least, so
 * 1 MiB holds at most 128 of them (4 KiB blocks) and always fits.
 */
#define QAR_MIN_WINDOW ((uint64_t)1 << 20)

int smb_fsctl(struct smbiov_file *f, struct smb_req *r, uint32_t code,
	      const uint8_t *in, size_t in_len, uint32_t out)
{
	uint8_t body[SMB2_IOCTL_REQ_FIXED + SMB_FSCTL_IN_MAX];
	struct smb2_ioctl_req io = {
		.ctl_code = code,
		.fid = f->fid,
		.max_output_rsp = out,
		.flags = SMB2_0_IOCTL_IS_FSCTL,
	};
	struct iovec v;
	ssize_t n;

	/* first: the caller releases @r whatever this returns */
	smb_req_init(r, SMB2_IOCTL);
	n = smb2_ioctl_req_encode(body, sizeof(body), &io, in, in_len);
	if (n < 0)
		return (int)n;
	v.iov_base = body;
	v.iov_len = (size_t)n;
	r->body = &v;
	r->nbody = 1;
	r->payload_len = out;
	r->flags = SMB_REQ_QUIET;
	return smb_call(f->c, r);
}

SMBIOV_API int smbiov_set_sparse(struct smbiov_file *f, bool on)
{
	uint8_t in[SMB2_SET_SPARSE_SIZE];
	struct smb_req r;
	int ret;

	ret = smb_file_api_begin(f);
	if (ret)
		return ret;
	if (f->is_dir)
		return smb_error_set(-EISDIR, 0, SMBIOV_PHASE_IO,
				     "set sparse: a directory");
	smb2_set_sparse_encode(in, sizeof(in), on);
	ret = smb_fsctl(f, &r, FSCTL_SET_SPARSE, in, sizeof(in), 0);
	if (ret)
		ret = smb_req_status_err(&r, "FSCTL_SET_SPARSE");
	smb_req_release(&r);
	/*
	 * Samba takes the mark into a handle when it opens it: one opened
	 * before keeps reporting the file as all data. Handles the file
	 * layer keeps after their close (deferred) are closed now, so no
	 * later open takes one of them back.
	 */
	if (!ret && f->path && f->c->fs && f->c->fs_path_busy)
		f->c->fs_path_busy(f->c->fs, f->path);
	return ret;
}

/*
 * Append the @n ranges @got to @out[0..@have), clipped to [@lo, @hi),
 * merging one that continues the last, until @out holds @max. Returns
 * the new count.
 */
static size_t ranges_add(struct smbiov_range *out, size_t have, size_t max,
			 const struct smb2_alloc_range *got, size_t n,
			 uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t s = got[i].offset, e = got[i].offset + got[i].length;

		s = s < lo ? lo : s;
		e = e > hi ? hi : e;
		if (s >= e)
			continue;
		if (have && out[have - 1].offset + out[have - 1].length == s) {
			out[have - 1].length += e - s;
			continue;
		}
		if (have == max)
			break;
		out[have].offset = s;
		out[have].length = e - s;
		have++;
	}
	return have;
}

#define QAR_BATCH 64 /* ranges taken from one reply */

/*
 * One FSCTL_QUERY_ALLOCATED_RANGES about [@off, @off + @len): up to
 * QAR_BATCH ranges into @got, their number in *@n. *@more: the reply
 * was cut short (STATUS_BUFFER_OVERFLOW) or held more than were taken:
 * ask again from the end of @got[*@n - 1]. Returns 0, or a negative
 * errno with the reply's status in *@status (0: none came).
 */
static int qar_once(struct smbiov_file *f, uint64_t off, uint64_t len,
		    struct smb2_alloc_range got[QAR_BATCH], size_t *n,
		    bool *more, uint32_t *status)
{
	uint32_t out = f->c->max_transact && f->c->max_transact < QAR_OUT
			       ? f->c->max_transact
			       : QAR_OUT;
	uint8_t in[SMB2_ALLOC_RANGE_SIZE];
	struct smb2_ioctl_rsp rsp;
	struct smb_req r;
	size_t total = 0;
	int ret, call;

	*n = 0;
	*more = false;
	*status = 0;
	ret = (int)smb2_qar_req_encode(in, sizeof(in), off, len);
	if (ret < 0)
		return ret;
	call = smb_fsctl(f, &r, FSCTL_QUERY_ALLOCATED_RANGES, in, sizeof(in),
			 out);
	*status = r.status;
	if (call && r.status != STATUS_BUFFER_OVERFLOW) {
		smb_req_release(&r);
		return call;
	}
	/* success, or STATUS_BUFFER_OVERFLOW with the ranges that fitted */
	ret = smb2_ioctl_rsp_decode(r.rsp, r.rsp_len, out, &rsp);
	if (!ret)
		ret = smb2_qar_rsp_decode(rsp.output, rsp.output_len, got,
					  QAR_BATCH, &total);
	smb_req_release(&r);
	if (ret)
		return -EBADMSG;
	*n = total < QAR_BATCH ? total : QAR_BATCH;
	*more = call || total > QAR_BATCH;
	/* a reply cut short must carry a range to go on from */
	return *more && !*n ? -EPROTO : 0;
}

ssize_t smb_allocated_ranges(struct smbiov_file *f, uint64_t off, uint64_t len,
			     struct smbiov_range *out, size_t max)
{
	struct smb2_alloc_range got[QAR_BATCH];
	uint64_t pos = off, end, win = len, ask, next;
	size_t n = 0, k;
	uint32_t status;
	bool more;
	int ret;

	if (!f || !out || !max || !len || off > (uint64_t)INT64_MAX ||
	    len > (uint64_t)INT64_MAX - off)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "allocated ranges: bad range");
	end = off + len;
	while (n < max && pos < end) {
		ask = end - pos < win ? end - pos : win;
		ret = qar_once(f, pos, ask, got, &k, &more, &status);
		if (ret && status == STATUS_BUFFER_TOO_SMALL) {
			if (ask <= QAR_MIN_WINDOW)
				return smb_error_set(-EPROTO, status,
						     SMBIOV_PHASE_IO,
						     "QUERY_ALLOCATED_RANGES: "
						     "no range fits");
			win = ask / 16 > QAR_MIN_WINDOW ? ask / 16
							: QAR_MIN_WINDOW;
			continue;
		}
		if (ret == -EBADMSG || ret == -EPROTO)
			return smb_error_set(
				ret, status, SMBIOV_PHASE_IO,
				"QUERY_ALLOCATED_RANGES: bad reply");
		if (ret)
			return status ? smb_error_status(
						status, SMBIOV_PHASE_IO,
						"IOCTL QUERY_ALLOCATED_RANGES")
				      : smb_error_set(ret, 0, SMBIOV_PHASE_IO,
						      "QUERY_ALLOCATED_RANGES");
		/* the reply must move on */
		next = k ? got[k - 1].offset + got[k - 1].length : 0;
		if (more && next <= pos)
			return smb_error_set(-EPROTO, status, SMBIOV_PHASE_IO,
					     "QUERY_ALLOCATED_RANGES: a reply "
					     "that does not move on");
		n = ranges_add(out, n, max, got, k, pos, pos + ask);
		pos = more ? next : pos + ask;
	}
	return (ssize_t)n;
}
