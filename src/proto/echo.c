/* SPDX-License-Identifier: MIT */
/*
 * The messages whose body is StructureSize 4 + Reserved: LOGOFF,
 * TREE_DISCONNECT, ECHO and CANCEL (MS-SMB2 2.2.7/8, 2.2.11/12,
 * 2.2.28/29, 2.2.30).
 */
#include <errno.h>

#include "proto/le.h"
#include "proto/smb2.h"

#define SIMPLE_BODY 4

ssize_t smb2_simple_msg_encode(uint8_t *out, size_t cap,
			       const struct smb2_hdr *hdr, uint16_t command)
{
	int ret;

	if (command != SMB2_LOGOFF && command != SMB2_TREE_DISCONNECT &&
	    command != SMB2_ECHO && command != SMB2_CANCEL)
		return -EINVAL;
	ret = smb2_req_begin(out, cap, SMB2_SIMPLE_MSG_LEN, hdr, command);
	if (ret)
		return ret;
	le16_put(out + SMB2_HDR_SIZE, SIMPLE_BODY);
	return SMB2_SIMPLE_MSG_LEN;
}

int smb2_simple_msg_decode(const uint8_t *buf, size_t len)
{
	return smb2_body_check(buf, len, SIMPLE_BODY, SIMPLE_BODY);
}

ssize_t smb2_echo_req_encode(uint8_t *out, size_t cap,
			     const struct smb2_hdr *hdr)
{
	return smb2_simple_msg_encode(out, cap, hdr, SMB2_ECHO);
}

int smb2_echo_rsp_decode(const uint8_t *buf, size_t len)
{
	return smb2_simple_msg_decode(buf, len);
}

ssize_t smb2_cancel_req_encode(uint8_t *out, size_t cap,
			       const struct smb2_hdr *hdr)
{
	return smb2_simple_msg_encode(out, cap, hdr, SMB2_CANCEL);
}
