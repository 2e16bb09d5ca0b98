/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the per-command response table: every element of a (possibly
 * compound, possibly length-prefixed) message goes through
 * smb2_rsp_check() before any decoder, as a receiver does. A verdict must
 * agree with the table (the StructureSize is one the {command, status}
 * pair allows, the fixed part is inside the element), and the decoder it
 * names must not read outside the element. abort() flags a table bug,
 * never bad input.
 */
#include <stdint.h>
#include <stdlib.h>

#include "proto/le.h"
#include "proto/rsp_table.h"
#include "proto/smb2.h"

static void check_elem(const uint8_t *p, size_t n)
{
	const struct smb2_rsp_desc *d;
	struct smb2_error_rsp e;
	uint16_t command, size;
	int kind, want;
	size_t i;

	kind = smb2_rsp_check(p, n);
	if (kind < 0)
		return;
	command = le16_get(p + 12);
	size = le16_get(p + SMB2_HDR_SIZE);
	want = smb2_rsp_body_kind(command, le32_get(p + 8));
	d = smb2_rsp_desc(command);
	if (!d || want < 0 || n < SMB2_HDR_SIZE + (size_t)(size & ~1u))
		abort();
	if (kind == SMB2_RSP_BODY_ERROR) {
		if (want == SMB2_RSP_BODY_NORMAL || size != SMB2_ERROR_RSP_SIZE)
			abort();
		(void)smb2_error_rsp_decode(p, n, &e);
		return;
	}
	if (kind != SMB2_RSP_BODY_NORMAL || want == SMB2_RSP_BODY_ERROR)
		abort();
	for (i = 0; i < SMB2_RSP_SIZES_MAX && d->sizes[i]; i++)
		if (d->sizes[i] == size)
			return;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_compound_iter it;
	size_t off, len;
	uint32_t msg_len;

	/* Inputs may start with a length prefix; try both readings. */
	if (smb2_nbss_decode(data, size, 0, &msg_len) == 0 &&
	    msg_len <= size - SMB2_NBSS_HDR_SIZE) {
		data += SMB2_NBSS_HDR_SIZE;
		size = msg_len;
	}
	check_elem(data, size);
	smb2_compound_iter_init(&it, data, size, 0);
	while (smb2_compound_next(&it, &off, &len) == 1)
		check_elem(data + off, len);
	return 0;
}
