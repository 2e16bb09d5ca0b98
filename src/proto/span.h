/* SPDX-License-Identifier: MIT */
/*
 * The one (offset, length) validator every decoder uses (DESIGN.md §6.13).
 * A peer-supplied (offset, length) pair is accepted only if the whole range
 * lies inside the message and starts at or after the fixed part, computed
 * in 64-bit arithmetic so no u16/u32 sum can wrap.
 */
#ifndef SMBIOV_PROTO_SPAN_H
#define SMBIOV_PROTO_SPAN_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/**
 * span_check - validate a peer-supplied range inside a message
 * @msg_len: bytes in the message the offset is relative to
 * @min_off: smallest legal offset (end of the fixed part)
 * @off: offset from the peer
 * @len: length from the peer
 *
 * An empty range (@len == 0) is accepted whatever @off says (peers send
 * offset 0 with length 0). Returns 0 or -EBADMSG.
 */
static inline int span_check(size_t msg_len, uint64_t min_off, uint64_t off,
			     uint64_t len)
{
	if (len == 0)
		return 0;
	if (off < min_off || off > msg_len || len > (uint64_t)msg_len - off)
		return -EBADMSG;
	return 0;
}

#endif
