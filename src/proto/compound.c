/* SPDX-License-Identifier: MIT */
/*
 * Compound chains (MS-SMB2 3.2.4.1.4 sending, 3.2.5.1.9 receiving).
 *
 * The walk never trusts NextCommand: libsmb2 and the Linux client both
 * shipped chain parsers that an unaligned, backwards or oversized value
 * could drive out of the buffer or into an unbounded vector array (bug
 * class 3). Here each step moves forward by at least one header, stays
 * inside the message and counts against a fixed bound.
 */
#include <errno.h>

#include "proto/le.h"
#include "proto/smb2.h"

void smb2_compound_iter_init(struct smb2_compound_iter *it, const uint8_t *buf,
			     size_t len, unsigned int max_elems)
{
	it->buf = buf;
	it->len = buf ? len : 0;
	it->off = 0;
	it->count = 0;
	it->max = max_elems ? max_elems : SMB2_COMPOUND_MAX_ELEMS;
	it->done = 0;
}

int smb2_compound_step(const uint8_t *hdr, size_t hlen, size_t rest,
		       size_t *elem_len)
{
	uint32_t next;

	/* Each element is at least a header with the right ProtocolId. */
	if (!hdr || hlen < SMB2_HDR_SIZE || rest < SMB2_HDR_SIZE ||
	    le32_get(hdr) != SMB2_PROTO_ID)
		return -EBADMSG;
	next = le32_get(hdr + SMB2_HDR_NEXT_COMMAND_OFF);
	if (next == 0) {
		*elem_len = rest;
		return 0;
	}
	/*
	 * next >= 64 makes the walk strictly forward (no loops); the
	 * 8-alignment is required by MS-SMB2 3.2.4.1.4; the next element
	 * must still have a whole header inside the message.
	 */
	if (next < SMB2_HDR_SIZE || next % SMB2_COMPOUND_ALIGN || next > rest ||
	    rest - next < SMB2_HDR_SIZE)
		return -EBADMSG;
	*elem_len = next;
	return 1;
}

int smb2_compound_next(struct smb2_compound_iter *it, size_t *elem_off,
		       size_t *elem_len)
{
	size_t rest, len;
	int ret;

	if (it->done < 0)
		return it->done;
	if (it->done)
		return 0;
	if (it->count >= it->max) {
		it->done = -E2BIG;
		return it->done;
	}
	rest = it->len - it->off;
	ret = smb2_compound_step(it->buf + it->off, rest, rest, &len);
	if (ret < 0) {
		it->done = ret;
		return it->done;
	}
	*elem_off = it->off;
	*elem_len = len;
	it->count++;
	if (ret == 0)
		it->done = 1;
	else
		it->off += len;
	return 1;
}

size_t smb2_compound_pad(size_t elem_len)
{
	return (SMB2_COMPOUND_ALIGN - elem_len % SMB2_COMPOUND_ALIGN) %
	       SMB2_COMPOUND_ALIGN;
}

int smb2_compound_link(uint8_t *hdr64, size_t elem_len)
{
	size_t pad = smb2_compound_pad(elem_len);

	if (!hdr64 || elem_len < SMB2_HDR_SIZE ||
	    elem_len > UINT32_MAX - SMB2_COMPOUND_ALIGN)
		return -EINVAL;
	le32_put(hdr64 + SMB2_HDR_NEXT_COMMAND_OFF, (uint32_t)(elem_len + pad));
	return (int)pad;
}
