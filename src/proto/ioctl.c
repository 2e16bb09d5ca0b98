// SPDX-License-Identifier: MIT
/*
 * SMB2 IOCTL (MS-SMB2 2.2.31, 2.2.32) and the FSCTL payloads the client
 * builds and parses: validate negotiate, resume key, server-side copy.
 */
#include <errno.h>
#include <string.h>

#include "proto/ioctl.h"
#include "proto/span.h"

ssize_t smb2_ioctl_req_encode(uint8_t *buf, size_t cap,
			      const struct smb2_ioctl_req *req,
			      const uint8_t *input, size_t input_len)
{
	size_t body;

	if (!buf || !req || (input_len && !input) ||
	    input_len > UINT32_MAX - SMB2_HDR_SIZE - SMB2_IOCTL_REQ_FIXED)
		return -EINVAL;
	body = SMB2_IOCTL_REQ_FIXED + (input_len ? input_len : 1);
	if (cap < body)
		return -ENOSPC;
	/* The input may have been encoded in place already: memmove. */
	if (input_len)
		memmove(buf + SMB2_IOCTL_REQ_FIXED, input, input_len);
	else
		buf[SMB2_IOCTL_REQ_FIXED] = 0;
	le16_put(buf + 0, SMB2_IOCTL_REQ_SIZE);
	le16_put(buf + 2, 0); /* Reserved */
	le32_put(buf + 4, req->ctl_code);
	smb2_fileid_put(buf + 8, &req->fid);
	le32_put(buf + 24,
		 input_len ? SMB2_HDR_SIZE + SMB2_IOCTL_REQ_FIXED : 0);
	le32_put(buf + 28, (uint32_t)input_len);
	le32_put(buf + 32, req->max_input_rsp);
	le32_put(buf + 36, 0); /* OutputOffset: we send no output */
	le32_put(buf + 40, 0); /* OutputCount */
	le32_put(buf + 44, req->max_output_rsp);
	le32_put(buf + 48, req->flags);
	le32_put(buf + 52, 0); /* Reserved2 */
	return (ssize_t)body;
}

int smb2_ioctl_rsp_decode(const uint8_t *msg, size_t len, uint32_t max_out,
			  struct smb2_ioctl_rsp *rsp)
{
	const uint64_t min = SMB2_HDR_SIZE + SMB2_IOCTL_RSP_FIXED;
	const uint8_t *b;
	uint32_t ioff, icnt, ooff, ocnt;
	int ret;

	ret = smb2_body_check(msg, len, SMB2_IOCTL_RSP_SIZE,
			      SMB2_IOCTL_RSP_FIXED);
	if (ret)
		return ret;
	b = msg + SMB2_HDR_SIZE;
	ioff = le32_get(b + 24);
	icnt = le32_get(b + 28);
	ooff = le32_get(b + 32);
	ocnt = le32_get(b + 36);
	if (span_check(len, min, ioff, icnt) ||
	    span_check(len, min, ooff, ocnt))
		return -EBADMSG;
	if (ocnt > max_out)
		return -EPROTO;
	rsp->ctl_code = le32_get(b + 4);
	smb2_fileid_get(b + 8, &rsp->fid);
	rsp->input = icnt ? msg + ioff : NULL;
	rsp->input_len = icnt;
	rsp->output = ocnt ? msg + ooff : NULL;
	rsp->output_len = ocnt;
	rsp->flags = le32_get(b + 40);
	return 0;
}

ssize_t smb2_vneg_req_encode(uint8_t *p, size_t cap, const struct smb2_vneg *v)
{
	size_t total;

	if (!p || !v || v->dialect_count == 0 || !v->dialects)
		return -EINVAL;
	total = SMB2_VNEG_REQ_FIXED + (size_t)v->dialect_count * 2;
	if (cap < total)
		return -ENOSPC;
	le32_put(p, v->capabilities);
	memcpy(p + 4, v->guid, 16);
	le16_put(p + 20, v->security_mode);
	le16_put(p + 22, v->dialect_count);
	for (size_t i = 0; i < v->dialect_count; i++)
		le16_put(p + SMB2_VNEG_REQ_FIXED + 2 * i, v->dialects[i]);
	return (ssize_t)total;
}

int smb2_vneg_rsp_decode(const uint8_t *p, size_t len, struct smb2_vneg *v)
{
	if (!p || len < SMB2_VNEG_RSP_SIZE)
		return -EBADMSG;
	memset(v, 0, sizeof(*v));
	v->capabilities = le32_get(p);
	memcpy(v->guid, p + 4, 16);
	v->security_mode = le16_get(p + 20);
	v->dialect = le16_get(p + 22);
	return 0;
}

int smb2_vneg_rsp_check(const struct smb2_vneg *got,
			const struct smb2_vneg *want)
{
	if (got->capabilities != want->capabilities ||
	    memcmp(got->guid, want->guid, 16) != 0 ||
	    got->security_mode != want->security_mode ||
	    got->dialect != want->dialect)
		return -EPROTO;
	return 0;
}

int smb2_resume_key_rsp_decode(const uint8_t *p, size_t len,
			       uint8_t key[SMB2_RESUME_KEY_SIZE])
{
	uint32_t clen;

	if (!p || len < SMB2_RESUME_KEY_SIZE + 4)
		return -EBADMSG;
	clen = le32_get(p + SMB2_RESUME_KEY_SIZE);
	if (span_check(len, SMB2_RESUME_KEY_SIZE + 4, SMB2_RESUME_KEY_SIZE + 4,
		       clen))
		return -EBADMSG;
	memcpy(key, p, SMB2_RESUME_KEY_SIZE);
	return 0;
}

ssize_t smb2_zero_data_encode(uint8_t *p, size_t cap, uint64_t off,
			      uint64_t end)
{
	if (!p || end < off || end > (uint64_t)INT64_MAX)
		return -EINVAL;
	if (cap < SMB2_ZERO_DATA_SIZE)
		return -ENOSPC;
	le64_put(p, off);     /* FileOffset */
	le64_put(p + 8, end); /* BeyondFinalZero */
	return SMB2_ZERO_DATA_SIZE;
}

ssize_t smb2_copychunk_req_encode(uint8_t *p, size_t cap,
				  const uint8_t key[SMB2_RESUME_KEY_SIZE],
				  const struct smb2_copychunk *chunks,
				  uint32_t count)
{
	size_t total;
	uint8_t *e;

	if (!p || !key || !chunks || count == 0 || count > 0xFFFF)
		return -EINVAL;
	total = SMB2_COPYCHUNK_REQ_FIXED +
		(size_t)count * SMB2_COPYCHUNK_ENTRY_SIZE;
	if (cap < total)
		return -ENOSPC;
	memcpy(p, key, SMB2_RESUME_KEY_SIZE);
	le32_put(p + 24, count);
	le32_put(p + 28, 0); /* Reserved */
	for (uint32_t i = 0; i < count; i++) {
		e = p + SMB2_COPYCHUNK_REQ_FIXED +
		    (size_t)i * SMB2_COPYCHUNK_ENTRY_SIZE;
		le64_put(e, chunks[i].source_offset);
		le64_put(e + 8, chunks[i].target_offset);
		le32_put(e + 16, chunks[i].length);
		le32_put(e + 20, 0); /* Reserved */
	}
	return (ssize_t)total;
}

int smb2_copychunk_rsp_decode(const uint8_t *p, size_t len,
			      struct smb2_copychunk_rsp *r)
{
	if (!p || len < SMB2_COPYCHUNK_RSP_SIZE)
		return -EBADMSG;
	r->chunks_written = le32_get(p);
	r->chunk_bytes_written = le32_get(p + 4);
	r->total_bytes_written = le32_get(p + 8);
	return 0;
}
