// SPDX-License-Identifier: MIT
/*
 * FILE_FULL_EA_INFORMATION and FILE_GET_EA_INFORMATION (MS-FSCC 2.4.15,
 * 2.4.15.1).
 */
#include <errno.h>
#include <string.h>

#include "proto/ea.h"
#include "proto/le.h"
#include "proto/span.h"

bool smb2_ea_name_ok(const char *name, size_t len)
{
	return name && len >= 1 && len <= SMB2_EA_NAME_MAX &&
	       !memchr(name, 0, len);
}

ssize_t smb2_full_ea_encode(uint8_t *p, size_t cap, const char *name,
			    size_t name_len, const void *value,
			    size_t value_len)
{
	size_t total;

	if (!p || !smb2_ea_name_ok(name, name_len) || (value_len && !value))
		return -EINVAL;
	if (value_len > SMB2_EA_VALUE_MAX)
		return -E2BIG;
	total = SMB2_FULL_EA_FIXED + name_len + 1 + value_len;
	if (cap < total)
		return -ENOSPC;
	le32_put(p, 0); /* NextEntryOffset: the only entry */
	p[4] = 0;	/* Flags */
	p[5] = (uint8_t)name_len;
	le16_put(p + 6, (uint16_t)value_len);
	memcpy(p + SMB2_FULL_EA_FIXED, name, name_len);
	p[SMB2_FULL_EA_FIXED + name_len] = 0;
	if (value_len)
		memcpy(p + SMB2_FULL_EA_FIXED + name_len + 1, value, value_len);
	return (ssize_t)total;
}

ssize_t smb2_get_ea_encode(uint8_t *p, size_t cap, const char *name,
			   size_t name_len)
{
	size_t total;

	if (!p || !smb2_ea_name_ok(name, name_len))
		return -EINVAL;
	total = SMB2_GET_EA_FIXED + name_len + 1;
	if (cap < total)
		return -ENOSPC;
	le32_put(p, 0); /* NextEntryOffset: the only entry */
	p[4] = (uint8_t)name_len;
	memcpy(p + SMB2_GET_EA_FIXED, name, name_len);
	p[SMB2_GET_EA_FIXED + name_len] = 0;
	return (ssize_t)total;
}

int smb2_full_ea_next(const uint8_t *p, size_t len, size_t *pos,
		      struct smb2_ea *ea)
{
	size_t at = *pos, need;
	uint32_t next;
	uint8_t nl;
	uint16_t vl;

	if (at >= len)
		return 0;
	if (!p || len - at < SMB2_FULL_EA_FIXED)
		return -EBADMSG;
	next = le32_get(p + at);
	nl = p[at + 5];
	vl = le16_get(p + at + 6);
	/* name, its NUL and the value, all inside the buffer */
	need = SMB2_FULL_EA_FIXED + (size_t)nl + 1 + vl;
	if (span_check(len, 0, at, need) || !nl)
		return -EBADMSG;
	if (p[at + SMB2_FULL_EA_FIXED + nl] != 0 ||
	    memchr(p + at + SMB2_FULL_EA_FIXED, 0, nl))
		return -EBADMSG;
	if (next && (next < need || next > len - at ||
		     len - at - next < SMB2_FULL_EA_FIXED))
		return -EBADMSG;
	ea->flags = p[at + 4];
	ea->name = (const char *)(p + at + SMB2_FULL_EA_FIXED);
	ea->name_len = nl;
	ea->value = vl ? p + at + SMB2_FULL_EA_FIXED + nl + 1 : NULL;
	ea->value_len = vl;
	*pos = next ? at + next : len;
	return 1;
}
