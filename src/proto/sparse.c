// SPDX-License-Identifier: MIT
/*
 * FSCTL_SET_SPARSE and FSCTL_QUERY_ALLOCATED_RANGES payloads (MS-FSCC
 * 2.3.64, 2.3.46).
 */
#include <errno.h>

#include "proto/le.h"
#include "proto/sparse.h"

ssize_t smb2_set_sparse_encode(uint8_t *p, size_t cap, bool sparse)
{
	if (!p)
		return -EINVAL;
	if (cap < SMB2_SET_SPARSE_SIZE)
		return -ENOSPC;
	p[0] = sparse ? 1 : 0; /* SetSparse (BOOLEAN) */
	return SMB2_SET_SPARSE_SIZE;
}

ssize_t smb2_qar_req_encode(uint8_t *p, size_t cap, uint64_t off, uint64_t len)
{
	if (!p || !len || off > (uint64_t)INT64_MAX ||
	    len > (uint64_t)INT64_MAX - off)
		return -EINVAL;
	if (cap < SMB2_ALLOC_RANGE_SIZE)
		return -ENOSPC;
	le64_put(p, off);     /* FileOffset */
	le64_put(p + 8, len); /* Length */
	return SMB2_ALLOC_RANGE_SIZE;
}

int smb2_qar_rsp_decode(const uint8_t *p, size_t len,
			struct smb2_alloc_range *out, size_t max, size_t *count)
{
	uint64_t prev_end = 0;
	size_t n;

	if ((len && !p) || len % SMB2_ALLOC_RANGE_SIZE || (max && !out))
		return -EBADMSG;
	n = len / SMB2_ALLOC_RANGE_SIZE;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = p + i * SMB2_ALLOC_RANGE_SIZE;
		uint64_t off = le64_get(e), l = le64_get(e + 8);

		if (off > (uint64_t)INT64_MAX || !l ||
		    l > (uint64_t)INT64_MAX - off || off < prev_end)
			return -EBADMSG;
		prev_end = off + l;
		if (i < max) {
			out[i].offset = off;
			out[i].length = l;
		}
	}
	*count = n;
	return 0;
}
