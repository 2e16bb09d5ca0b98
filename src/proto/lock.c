// SPDX-License-Identifier: MIT
/*
 * SMB2 LOCK (MS-SMB2 2.2.26, 2.2.27). Declarations live in proto/oplock.h
 * with the other per-open coherency messages.
 */
#include <errno.h>

#include "proto/oplock.h"

#define LOCKFLAG_ALL                                                           \
	(SMB2_LOCKFLAG_SHARED_LOCK | SMB2_LOCKFLAG_EXCLUSIVE_LOCK |            \
	 SMB2_LOCKFLAG_UNLOCK | SMB2_LOCKFLAG_FAIL_IMMEDIATELY)

ssize_t smb2_lock_req_encode(uint8_t *buf, size_t cap,
			     const struct smb2_lock_req *req)
{
	size_t total;
	uint8_t *e;

	if (!buf || !req || !req->locks || req->count == 0 ||
	    req->seq_number > 0xF || req->seq_index > 0x0FFFFFFF)
		return -EINVAL;
	for (uint16_t i = 0; i < req->count; i++)
		if (req->locks[i].flags & ~LOCKFLAG_ALL)
			return -EINVAL;
	total = SMB2_LOCK_REQ_FIXED +
		(size_t)req->count * SMB2_LOCK_ELEMENT_SIZE;
	if (cap < total)
		return -ENOSPC;
	le16_put(buf, SMB2_LOCK_REQ_SIZE);
	le16_put(buf + 2, req->count);
	/* Sequence number in the low 4 bits, index above (2.2.26). */
	le32_put(buf + 4,
		 (uint32_t)req->seq_number | (uint32_t)req->seq_index << 4);
	smb2_fileid_put(buf + 8, &req->fid);
	for (uint16_t i = 0; i < req->count; i++) {
		e = buf + SMB2_LOCK_REQ_FIXED +
		    (size_t)i * SMB2_LOCK_ELEMENT_SIZE;
		le64_put(e, req->locks[i].offset);
		le64_put(e + 8, req->locks[i].length);
		le32_put(e + 16, req->locks[i].flags);
		le32_put(e + 20, 0); /* Reserved */
	}
	return (ssize_t)total;
}

int smb2_lock_rsp_decode(const uint8_t *msg, size_t len)
{
	return smb2_body_check(msg, len, SMB2_LOCK_RSP_SIZE,
			       SMB2_LOCK_RSP_FIXED);
}
