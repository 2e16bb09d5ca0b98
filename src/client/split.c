// SPDX-License-Identifier: MIT
/*
 * Subrequest carving (kernel-iov-iter-design.md §3.3): struct copy of the
 * parent iterator, truncate to the piece, advance the parent by it.
 */
#include "client/split.h"

#include <string.h>

uint16_t smb_credit_charge(size_t len)
{
	size_t c = (len + SMB_CREDIT_BYTES - 1) / SMB_CREDIT_BYTES;

	if (c == 0)
		c = 1;
	return c > UINT16_MAX ? UINT16_MAX : (uint16_t)c;
}

void smb_split_init(struct smb_split *s, const struct smbiov_iter *it,
		    uint64_t offset, size_t max_chunk)
{
	s->rest = *it;
	s->offset = offset;
	s->max_chunk = max_chunk ? max_chunk : SMB_CREDIT_BYTES;
}

size_t smb_split_next(struct smb_split *s, size_t budget,
		      struct smb_subreq *sub)
{
	size_t left = smbiov_iter_count(&s->rest);
	size_t len = left;

	if (len > s->max_chunk)
		len = s->max_chunk;
	if (budget && len > budget)
		len = budget;
	/* Keep interior pieces on whole credits (no partly used credit). */
	if (len < left && len > SMB_CREDIT_BYTES)
		len -= len % SMB_CREDIT_BYTES;
	if (len > UINT32_MAX)
		len = UINT32_MAX - (UINT32_MAX % SMB_CREDIT_BYTES);

	memset(sub, 0, sizeof(*sub));
	if (len == 0)
		return 0;
	sub->iter = s->rest;
	smbiov_iter_truncate(&sub->iter, len);
	sub->offset = s->offset;
	sub->len = (uint32_t)len;
	sub->charge = smb_credit_charge(len);
	smbiov_iter_advance(&s->rest, len);
	s->offset += len;
	return len;
}

ssize_t smb_split_collect(const struct smb_subreq *subs, size_t n)
{
	ssize_t total = 0;
	size_t k;

	for (k = 0; k < n; k++) {
		if (subs[k].result < 0)
			return subs[k].result;
		total += subs[k].result;
		if ((size_t)subs[k].result < subs[k].len)
			break;
	}
	return total;
}
