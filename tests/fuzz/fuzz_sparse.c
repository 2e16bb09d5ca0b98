// SPDX-License-Identifier: MIT
/*
 * Fuzz the FSCTL_QUERY_ALLOCATED_RANGES reply decoder (proto/sparse.c):
 * signed 64-bit offsets and lengths, their sums, order and overlap. Input
 * byte 0 bit 0: the rest is a whole IOCTL response element (its output
 * buffer is decoded) or a bare output buffer. Byte 1 (when present)
 * picks how many entries the caller has room for, so both the copied
 * and the counted-only paths run. Every decoded range is checked for the
 * promises the decoder makes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/ioctl.h"
#include "proto/sparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_alloc_range out[8];
	struct smb2_ioctl_rsp r;
	const uint8_t *p;
	size_t len, n, room;
	uint64_t end = 0;

	if (size < 2)
		return 0;
	room = data[1] % 9;
	p = data + 2;
	len = size - 2;
	if (data[0] & 1) {
		if (smb2_ioctl_rsp_decode(p, len, 0xFFFFFFFFu, &r) != 0)
			return 0;
		p = r.output;
		len = r.output_len;
	}
	if (smb2_qar_rsp_decode(p, len, room ? out : NULL, room, &n) != 0)
		return 0;
	if (n != len / SMB2_ALLOC_RANGE_SIZE)
		abort();
	for (size_t i = 0; i < n && i < room; i++) {
		/* ascending, disjoint, non-empty, within INT64_MAX */
		if (!out[i].length || out[i].offset < end ||
		    out[i].offset > (uint64_t)INT64_MAX ||
		    out[i].length > (uint64_t)INT64_MAX - out[i].offset)
			abort();
		end = out[i].offset + out[i].length;
	}
	return 0;
}
