// SPDX-License-Identifier: MIT
/*
 * SMB2 READ and WRITE (MS-SMB2 2.2.19 - 2.2.22). Only fixed parts are
 * read or written here: the payload stays in the caller's iterator in both
 * directions (DESIGN.md §3). This file must never copy payload bytes.
 */
#include <errno.h>

#include "proto/rw.h"
#include "proto/span.h"

ssize_t smb2_read_req_encode(uint8_t *buf, size_t cap,
			     const struct smb2_read_req *req)
{
	if (!buf || !req)
		return -EINVAL;
	if (cap < SMB2_READ_REQ_FIXED + 1)
		return -ENOSPC;
	le16_put(buf + 0, SMB2_READ_REQ_SIZE);
	buf[2] = SMB2_READ_RSP_HDR_LEN; /* Padding: where we want the data */
	buf[3] = req->flags;
	le32_put(buf + 4, req->length);
	le64_put(buf + 8, req->offset);
	smb2_fileid_put(buf + 16, &req->fid);
	le32_put(buf + 32, req->minimum_count);
	le32_put(buf + 36, 0); /* Channel: SMB2_CHANNEL_NONE */
	le32_put(buf + 40, req->remaining);
	le16_put(buf + 44, 0); /* ReadChannelInfoOffset */
	le16_put(buf + 46, 0); /* ReadChannelInfoLength */
	buf[48] = 0; /* 2.2.19: one zero Buffer byte without channel info */
	return SMB2_READ_REQ_FIXED + 1;
}

static void plan_step(struct smb2_read_plan *p, uint8_t sink, uint32_t len)
{
	if (!len)
		return;
	p->steps[p->nr_steps].sink = sink;
	p->steps[p->nr_steps].len = len;
	p->nr_steps++;
}

int smb2_read_rsp_plan(const uint8_t *hdr, size_t hdr_len, size_t frame_len,
		       uint32_t requested, struct smb2_read_plan *plan)
{
	const uint8_t *b;
	uint32_t off, dlen;
	uint64_t end;
	int ret;

	if (!hdr || !plan)
		return -EINVAL;
	if (frame_len < SMB2_READ_RSP_HDR_LEN)
		return -EBADMSG;
	if (hdr_len < SMB2_READ_RSP_HDR_LEN || hdr_len > frame_len)
		return -EINVAL;
	/* The element is at most 16 MiB (24-bit framing): u32 fields fit. */
	if (frame_len > UINT32_MAX)
		return -EBADMSG;
	ret = smb2_body_check(hdr, hdr_len, SMB2_READ_RSP_SIZE,
			      SMB2_READ_RSP_FIXED);
	if (ret)
		return ret;
	b = hdr + SMB2_HDR_SIZE;
	off = b[2]; /* DataOffset is one byte (2.2.20) */
	dlen = le32_get(b + 4);

	/* More than asked is a protocol violation (bug class 12). */
	if (dlen > requested)
		return -EPROTO;
	if (span_check(frame_len, SMB2_READ_RSP_HDR_LEN, off, dlen))
		return -EBADMSG;

	plan->data_offset = dlen ? off : 0;
	plan->data_len = dlen;
	plan->data_remaining = le32_get(b + 8);
	plan->flags = le32_get(b + 12);
	plan->nr_steps = 0;
	if (dlen) {
		end = (uint64_t)off + dlen;
		plan->pad = off - SMB2_READ_RSP_HDR_LEN;
		plan->tail = (uint32_t)(frame_len - end);
	} else {
		plan->pad = 0;
		plan->tail = (uint32_t)(frame_len - SMB2_READ_RSP_HDR_LEN);
	}
	plan_step(plan, SMB2_RECV_DISCARD, plan->pad);
	plan_step(plan, SMB2_RECV_PAYLOAD, plan->data_len);
	plan_step(plan, SMB2_RECV_DISCARD, plan->tail);
	return 0;
}

ssize_t smb2_write_req_encode(uint8_t *buf, size_t cap,
			      const struct smb2_write_req *req,
			      const struct smbiov_iter *data)
{
	size_t count, body;

	if (!buf || !req || !data || !smbiov_iter_is_source(data))
		return -EINVAL;
	count = smbiov_iter_count(data);
	if (count > UINT32_MAX)
		return -EINVAL;
	/* An empty write still carries the Buffer byte StructureSize counts. */
	body = SMB2_WRITE_REQ_FIXED + (count ? 0 : 1);
	if (cap < body)
		return -ENOSPC;
	le16_put(buf + 0, SMB2_WRITE_REQ_SIZE);
	le16_put(buf + 2, SMB2_WRITE_DATA_OFFSET);
	le32_put(buf + 4, (uint32_t)count);
	le64_put(buf + 8, req->offset);
	smb2_fileid_put(buf + 16, &req->fid);
	le32_put(buf + 32, 0); /* Channel: SMB2_CHANNEL_NONE */
	le32_put(buf + 36, req->remaining);
	le16_put(buf + 40, 0); /* WriteChannelInfoOffset */
	le16_put(buf + 42, 0); /* WriteChannelInfoLength */
	le32_put(buf + 44, req->flags);
	if (!count)
		buf[48] = 0;
	return (ssize_t)body;
}

int smb2_write_rsp_decode(const uint8_t *msg, size_t len, uint32_t requested,
			  struct smb2_write_rsp *rsp)
{
	const uint8_t *b;
	int ret;

	ret = smb2_body_check(msg, len, SMB2_WRITE_RSP_SIZE,
			      SMB2_WRITE_RSP_FIXED);
	if (ret)
		return ret;
	b = msg + SMB2_HDR_SIZE;
	rsp->count = le32_get(b + 4);
	rsp->remaining = le32_get(b + 8);
	if (rsp->count > requested)
		return -EPROTO;
	return 0;
}
