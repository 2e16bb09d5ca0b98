// SPDX-License-Identifier: MIT
/*
 * OPLOCK_BREAK notifications, acknowledgements and responses for oplocks
 * and leases (MS-SMB2 2.2.23 - 2.2.25).
 */
#include <errno.h>
#include <string.h>

#include "proto/oplock.h"

int smb2_break_classify(const uint8_t *msg, size_t len)
{
	if (!msg || len < SMB2_HDR_SIZE + 2)
		return -EBADMSG;
	switch (le16_get(msg + SMB2_HDR_SIZE)) {
	case SMB2_OPLOCK_BREAK_SIZE:
		return SMB2_BREAK_OPLOCK;
	case SMB2_LEASE_BREAK_NOTIFY_SIZE:
		return SMB2_BREAK_LEASE_NOTIFY;
	case SMB2_LEASE_BREAK_ACK_SIZE:
		return SMB2_BREAK_LEASE_ACK;
	default:
		return -EBADMSG;
	}
}

int smb2_oplock_break_decode(const uint8_t *msg, size_t len,
			     struct smb2_oplock_break *ob)
{
	const uint8_t *b;
	int ret;

	ret = smb2_body_check(msg, len, SMB2_OPLOCK_BREAK_SIZE,
			      SMB2_OPLOCK_BREAK_FIXED);
	if (ret)
		return ret;
	b = msg + SMB2_HDR_SIZE;
	ob->oplock_level = b[2];
	smb2_fileid_get(b + 8, &ob->fid);
	return 0;
}

ssize_t smb2_oplock_break_ack_encode(uint8_t *buf, size_t cap,
				     const struct smb2_oplock_break *ob)
{
	if (!buf || !ob)
		return -EINVAL;
	if (cap < SMB2_OPLOCK_BREAK_FIXED)
		return -ENOSPC;
	le16_put(buf, SMB2_OPLOCK_BREAK_SIZE);
	buf[2] = ob->oplock_level;
	buf[3] = 0;	      /* Reserved */
	le32_put(buf + 4, 0); /* Reserved2 */
	smb2_fileid_put(buf + 8, &ob->fid);
	return SMB2_OPLOCK_BREAK_FIXED;
}

int smb2_lease_break_decode(const uint8_t *msg, size_t len,
			    struct smb2_lease_break *lb)
{
	const uint8_t *b;
	int ret;

	ret = smb2_body_check(msg, len, SMB2_LEASE_BREAK_NOTIFY_SIZE,
			      SMB2_LEASE_BREAK_NOTIFY_FIXED);
	if (ret)
		return ret;
	b = msg + SMB2_HDR_SIZE;
	lb->new_epoch = le16_get(b + 2);
	lb->flags = le32_get(b + 4);
	memcpy(lb->key, b + 8, SMB2_LEASE_KEY_SIZE);
	lb->current_state = le32_get(b + 24);
	lb->new_state = le32_get(b + 28);
	lb->break_reason = le32_get(b + 32);
	lb->access_mask_hint = le32_get(b + 36);
	lb->share_mask_hint = le32_get(b + 40);
	return 0;
}

ssize_t smb2_lease_break_ack_encode(uint8_t *buf, size_t cap,
				    const struct smb2_lease_ack *ack)
{
	if (!buf || !ack)
		return -EINVAL;
	if (cap < SMB2_LEASE_BREAK_ACK_FIXED)
		return -ENOSPC;
	le16_put(buf, SMB2_LEASE_BREAK_ACK_SIZE);
	le16_put(buf + 2, 0); /* Reserved */
	le32_put(buf + 4, 0); /* Flags: reserved in the ack (2.2.24.2) */
	memcpy(buf + 8, ack->key, SMB2_LEASE_KEY_SIZE);
	le32_put(buf + 24, ack->state);
	le64_put(buf + 28, 0); /* LeaseDuration: reserved */
	return SMB2_LEASE_BREAK_ACK_FIXED;
}

int smb2_lease_break_rsp_decode(const uint8_t *msg, size_t len,
				struct smb2_lease_ack *ack)
{
	const uint8_t *b;
	int ret;

	ret = smb2_body_check(msg, len, SMB2_LEASE_BREAK_ACK_SIZE,
			      SMB2_LEASE_BREAK_ACK_FIXED);
	if (ret)
		return ret;
	b = msg + SMB2_HDR_SIZE;
	ack->flags = le32_get(b + 4);
	memcpy(ack->key, b + 8, SMB2_LEASE_KEY_SIZE);
	ack->state = le32_get(b + 24);
	ack->duration = le64_get(b + 28);
	return 0;
}
