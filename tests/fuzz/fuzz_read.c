// SPDX-License-Identifier: MIT
/*
 * Fuzz the READ response receive plan (DESIGN.md §6.4, bug classes 4 and
 * 12). Input: 4 bytes little-endian "requested length", then the response
 * element. The plan is computed as the transport would (80 bytes received,
 * the frame length known from framing) and checked: its steps must cover
 * exactly the rest of the frame and the payload must lie inside it. The
 * payload range is then read in full so ASan sees any escape.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/le.h"
#include "proto/rw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_read_plan p;
	struct smb2_write_rsp w;
	const uint8_t *frame;
	size_t flen, hlen;
	uint32_t requested, total = 0;
	uint8_t s = 0;

	if (size < 4)
		return 0;
	requested = le32_get(data);
	frame = data + 4;
	flen = size - 4;
	hlen = flen < SMB2_READ_RSP_HDR_LEN ? flen : SMB2_READ_RSP_HDR_LEN;
	(void)smb2_write_rsp_decode(frame, flen, requested, &w);
	if (smb2_read_rsp_plan(frame, hlen, flen, requested, &p) != 0)
		return 0;
	for (unsigned int i = 0; i < p.nr_steps; i++)
		total += p.steps[i].len;
	/* Invariants of a plan: a violation is a decoder bug, so stop. */
	if (SMB2_READ_RSP_HDR_LEN + (size_t)total != flen ||
	    p.data_len > requested ||
	    (p.data_len && (p.data_offset < SMB2_READ_RSP_HDR_LEN ||
			    (size_t)p.data_offset + p.data_len > flen)))
		abort();
	for (uint32_t i = 0; i < p.data_len; i++)
		s ^= frame[p.data_offset + i];
	sink = s;
	return 0;
}
