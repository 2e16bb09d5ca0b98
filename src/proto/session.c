/* SPDX-License-Identifier: MIT */
/*
 * SESSION_SETUP (MS-SMB2 2.2.5, 2.2.6) and LOGOFF (2.2.7, 2.2.8) codec.
 */
#include <errno.h>
#include <string.h>

#include "proto/le.h"
#include "proto/session.h"
#include "proto/span.h"

/* Request body offsets from the header start (MS-SMB2 2.2.5). */
#define REQ_FLAGS	  (SMB2_HDR_SIZE + 2)
#define REQ_SECURITY_MODE (SMB2_HDR_SIZE + 3)
#define REQ_CAPABILITIES  (SMB2_HDR_SIZE + 4)
#define REQ_CHANNEL	  (SMB2_HDR_SIZE + 8)
#define REQ_SEC_OFFSET	  (SMB2_HDR_SIZE + 12)
#define REQ_SEC_LENGTH	  (SMB2_HDR_SIZE + 14)
#define REQ_PREV_SESSION  (SMB2_HDR_SIZE + 16)

/* Response body offsets from the header start (MS-SMB2 2.2.6). */
#define RSP_SESSION_FLAGS (SMB2_HDR_SIZE + 2)
#define RSP_SEC_OFFSET	  (SMB2_HDR_SIZE + 4)
#define RSP_SEC_LENGTH	  (SMB2_HDR_SIZE + 6)

ssize_t smb2_session_setup_req_encode(uint8_t *out, size_t cap,
				      const struct smb2_hdr *hdr,
				      const struct smb2_session_setup_req *req)
{
	int ret;

	if (!req || req->sec_len > 0xFFFF)
		return -EINVAL;
	ret = smb2_req_begin(out, cap, SMB2_SESSION_SETUP_REQ_LEN, hdr,
			     SMB2_SESSION_SETUP);
	if (ret)
		return ret;
	le16_put(out + SMB2_HDR_SIZE, SMB2_SESSION_SETUP_REQ_SIZE);
	out[REQ_FLAGS] = req->flags;
	out[REQ_SECURITY_MODE] = req->security_mode;
	le32_put(out + REQ_CAPABILITIES, req->capabilities);
	le32_put(out + REQ_CHANNEL, req->channel);
	le16_put(out + REQ_SEC_OFFSET,
		 req->sec_len ? SMB2_SESSION_SETUP_REQ_LEN : 0);
	le16_put(out + REQ_SEC_LENGTH, (uint16_t)req->sec_len);
	le64_put(out + REQ_PREV_SESSION, req->previous_session_id);
	return SMB2_SESSION_SETUP_REQ_LEN;
}

int smb2_session_setup_req_decode(const uint8_t *buf, size_t len,
				  struct smb2_session_setup_req *req)
{
	struct smb2_session_setup_req r;
	uint16_t off;
	int ret;

	ret = smb2_body_check(buf, len, SMB2_SESSION_SETUP_REQ_SIZE,
			      SMB2_SESSION_SETUP_REQ_LEN - SMB2_HDR_SIZE);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	r.flags = buf[REQ_FLAGS];
	r.security_mode = buf[REQ_SECURITY_MODE];
	r.capabilities = le32_get(buf + REQ_CAPABILITIES);
	r.channel = le32_get(buf + REQ_CHANNEL);
	r.previous_session_id = le64_get(buf + REQ_PREV_SESSION);
	off = le16_get(buf + REQ_SEC_OFFSET);
	r.sec_len = le16_get(buf + REQ_SEC_LENGTH);
	if (span_check(len, SMB2_SESSION_SETUP_REQ_LEN, off, r.sec_len))
		return -EBADMSG;
	r.sec_buf = r.sec_len ? buf + off : NULL;
	*req = r;
	return 0;
}

int smb2_session_setup_rsp_decode(const uint8_t *buf, size_t len,
				  struct smb2_session_setup_rsp *rsp)
{
	struct smb2_session_setup_rsp r;
	uint16_t off;
	int ret;

	ret = smb2_body_check(buf, len, SMB2_SESSION_SETUP_RSP_SIZE,
			      SMB2_SESSION_SETUP_RSP_MIN - SMB2_HDR_SIZE);
	if (ret)
		return ret;
	r.session_flags = le16_get(buf + RSP_SESSION_FLAGS);
	off = le16_get(buf + RSP_SEC_OFFSET);
	r.sec_len = le16_get(buf + RSP_SEC_LENGTH);
	if (span_check(len, SMB2_SESSION_SETUP_RSP_MIN, off, r.sec_len))
		return -EBADMSG;
	r.sec_buf = r.sec_len ? buf + off : NULL;
	*rsp = r;
	return 0;
}

ssize_t smb2_session_setup_rsp_encode(uint8_t *out, size_t cap,
				      const struct smb2_hdr *hdr,
				      const struct smb2_session_setup_rsp *rsp)
{
	struct smb2_hdr h;
	size_t need;
	int ret;

	if (!hdr || !rsp || (rsp->sec_len && !rsp->sec_buf))
		return -EINVAL;
	need = SMB2_SESSION_SETUP_RSP_MIN + rsp->sec_len;
	h = *hdr;
	h.flags |= SMB2_FLAGS_SERVER_TO_REDIR;
	ret = smb2_req_begin(out, cap, need, &h, SMB2_SESSION_SETUP);
	if (ret)
		return ret;
	le16_put(out + SMB2_HDR_SIZE, SMB2_SESSION_SETUP_RSP_SIZE);
	le16_put(out + RSP_SESSION_FLAGS, rsp->session_flags);
	le16_put(out + RSP_SEC_OFFSET,
		 rsp->sec_len ? SMB2_SESSION_SETUP_RSP_MIN : 0);
	le16_put(out + RSP_SEC_LENGTH, rsp->sec_len);
	if (rsp->sec_len)
		memcpy(out + SMB2_SESSION_SETUP_RSP_MIN, rsp->sec_buf,
		       rsp->sec_len);
	return (ssize_t)need;
}

ssize_t smb2_logoff_req_encode(uint8_t *out, size_t cap,
			       const struct smb2_hdr *hdr)
{
	return smb2_simple_msg_encode(out, cap, hdr, SMB2_LOGOFF);
}

int smb2_logoff_rsp_decode(const uint8_t *buf, size_t len)
{
	return smb2_simple_msg_decode(buf, len);
}
