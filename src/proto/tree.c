/* SPDX-License-Identifier: MIT */
/*
 * TREE_CONNECT (MS-SMB2 2.2.9, 2.2.10) and TREE_DISCONNECT (2.2.11/12).
 */
#include <errno.h>
#include <string.h>

#include "proto/le.h"
#include "proto/span.h"
#include "proto/tree.h"
#include "proto/utf16.h"

/* Request body offsets from the header start (MS-SMB2 2.2.9). */
#define REQ_FLAGS	(SMB2_HDR_SIZE + 2)
#define REQ_PATH_OFFSET (SMB2_HDR_SIZE + 4)
#define REQ_PATH_LENGTH (SMB2_HDR_SIZE + 6)

/* Response body offsets from the header start (MS-SMB2 2.2.10). */
#define RSP_SHARE_TYPE	   (SMB2_HDR_SIZE + 2)
#define RSP_SHARE_FLAGS	   (SMB2_HDR_SIZE + 4)
#define RSP_CAPABILITIES   (SMB2_HDR_SIZE + 8)
#define RSP_MAXIMAL_ACCESS (SMB2_HDR_SIZE + 12)

ssize_t smb2_tree_connect_req_encode(uint8_t *out, size_t cap,
				     const struct smb2_hdr *hdr,
				     const struct smb2_tree_connect_req *req)
{
	size_t n16;
	int ret;

	if (!req || !req->path || req->path_len == 0 ||
	    (req->flags & SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT))
		return -EINVAL;
	/* Measure first so a too-long path is -EINVAL, not -ENOSPC. */
	ret = utf16_from_utf8(req->path, req->path_len, NULL, 0, &n16);
	if (ret)
		return ret;
	if (n16 > 0xFFFF)
		return -EINVAL;
	ret = smb2_req_begin(out, cap, SMB2_TREE_CONNECT_REQ_LEN + n16, hdr,
			     SMB2_TREE_CONNECT);
	if (ret)
		return ret;
	le16_put(out + SMB2_HDR_SIZE, SMB2_TREE_CONNECT_REQ_SIZE);
	le16_put(out + REQ_FLAGS, req->flags);
	le16_put(out + REQ_PATH_OFFSET, SMB2_TREE_CONNECT_REQ_LEN);
	le16_put(out + REQ_PATH_LENGTH, (uint16_t)n16);
	ret = utf16_from_utf8(req->path, req->path_len,
			      out + SMB2_TREE_CONNECT_REQ_LEN, n16, &n16);
	if (ret)
		return ret;
	return (ssize_t)(SMB2_TREE_CONNECT_REQ_LEN + n16);
}

int smb2_tree_connect_req_decode(const uint8_t *buf, size_t len,
				 struct smb2_tree_connect_req *req)
{
	struct smb2_tree_connect_req r;
	uint16_t off, plen;
	int ret;

	ret = smb2_body_check(buf, len, SMB2_TREE_CONNECT_REQ_SIZE,
			      SMB2_TREE_CONNECT_REQ_LEN - SMB2_HDR_SIZE);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	r.flags = le16_get(buf + REQ_FLAGS);
	if (r.flags & SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT)
		return -EBADMSG; /* 2.2.9.1 form: not produced, not parsed */
	off = le16_get(buf + REQ_PATH_OFFSET);
	plen = le16_get(buf + REQ_PATH_LENGTH);
	if (plen == 0 || plen % 2 ||
	    span_check(len, SMB2_TREE_CONNECT_REQ_LEN, off, plen))
		return -EBADMSG;
	r.path16 = buf + off;
	r.path16_len = plen;
	*req = r;
	return 0;
}

int smb2_tree_connect_rsp_decode(const uint8_t *buf, size_t len,
				 struct smb2_tree_connect_rsp *rsp)
{
	struct smb2_tree_connect_rsp r;
	int ret;

	ret = smb2_body_check(buf, len, SMB2_TREE_CONNECT_RSP_SIZE,
			      SMB2_TREE_CONNECT_RSP_LEN - SMB2_HDR_SIZE);
	if (ret)
		return ret;
	r.share_type = buf[RSP_SHARE_TYPE];
	if (r.share_type < SMB2_SHARE_TYPE_DISK ||
	    r.share_type > SMB2_SHARE_TYPE_PRINT)
		return -EBADMSG;
	r.share_flags = le32_get(buf + RSP_SHARE_FLAGS);
	r.capabilities = le32_get(buf + RSP_CAPABILITIES);
	r.maximal_access = le32_get(buf + RSP_MAXIMAL_ACCESS);
	*rsp = r;
	return 0;
}

ssize_t smb2_tree_connect_rsp_encode(uint8_t *out, size_t cap,
				     const struct smb2_hdr *hdr,
				     const struct smb2_tree_connect_rsp *rsp)
{
	struct smb2_hdr h;
	int ret;

	if (!hdr || !rsp)
		return -EINVAL;
	h = *hdr;
	h.flags |= SMB2_FLAGS_SERVER_TO_REDIR;
	ret = smb2_req_begin(out, cap, SMB2_TREE_CONNECT_RSP_LEN, &h,
			     SMB2_TREE_CONNECT);
	if (ret)
		return ret;
	le16_put(out + SMB2_HDR_SIZE, SMB2_TREE_CONNECT_RSP_SIZE);
	out[RSP_SHARE_TYPE] = rsp->share_type;
	le32_put(out + RSP_SHARE_FLAGS, rsp->share_flags);
	le32_put(out + RSP_CAPABILITIES, rsp->capabilities);
	le32_put(out + RSP_MAXIMAL_ACCESS, rsp->maximal_access);
	return SMB2_TREE_CONNECT_RSP_LEN;
}

ssize_t smb2_tree_disconnect_req_encode(uint8_t *out, size_t cap,
					const struct smb2_hdr *hdr)
{
	return smb2_simple_msg_encode(out, cap, hdr, SMB2_TREE_DISCONNECT);
}

int smb2_tree_disconnect_rsp_decode(const uint8_t *buf, size_t len)
{
	return smb2_simple_msg_decode(buf, len);
}
