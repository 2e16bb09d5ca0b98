// SPDX-License-Identifier: MIT
/*
 * SMB2 CLOSE (MS-SMB2 2.2.15, 2.2.16) and FLUSH (2.2.17, 2.2.18).
 * Declarations live in proto/create.h beside the FileId they consume.
 */
#include <errno.h>
#include <string.h>

#include "proto/create.h"

ssize_t smb2_close_req_encode(uint8_t *buf, size_t cap,
			      const struct smb2_fileid *fid, uint16_t flags)
{
	if (!buf || !fid || (flags & ~SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB))
		return -EINVAL;
	if (cap < SMB2_CLOSE_REQ_FIXED)
		return -ENOSPC;
	le16_put(buf, SMB2_CLOSE_REQ_SIZE);
	le16_put(buf + 2, flags);
	le32_put(buf + 4, 0); /* Reserved */
	smb2_fileid_put(buf + 8, fid);
	return SMB2_CLOSE_REQ_FIXED;
}

int smb2_close_rsp_decode(const uint8_t *msg, size_t len,
			  struct smb2_close_rsp *rsp)
{
	const uint8_t *b;
	int ret;

	ret = smb2_body_check(msg, len, SMB2_CLOSE_RSP_SIZE,
			      SMB2_CLOSE_RSP_FIXED);
	if (ret)
		return ret;
	b = msg + SMB2_HDR_SIZE;
	rsp->flags = le16_get(b + 2);
	/* Reserved (4) at 4 */
	smb2_network_open_get(b + 8, &rsp->attrs);
	return 0;
}

ssize_t smb2_flush_req_encode(uint8_t *buf, size_t cap,
			      const struct smb2_fileid *fid)
{
	if (!buf || !fid)
		return -EINVAL;
	if (cap < SMB2_FLUSH_REQ_FIXED)
		return -ENOSPC;
	le16_put(buf, SMB2_FLUSH_REQ_SIZE);
	le16_put(buf + 2, 0); /* Reserved1 */
	le32_put(buf + 4, 0); /* Reserved2 */
	smb2_fileid_put(buf + 8, fid);
	return SMB2_FLUSH_REQ_FIXED;
}

int smb2_flush_rsp_decode(const uint8_t *msg, size_t len)
{
	return smb2_body_check(msg, len, SMB2_FLUSH_RSP_SIZE,
			       SMB2_FLUSH_RSP_FIXED);
}
