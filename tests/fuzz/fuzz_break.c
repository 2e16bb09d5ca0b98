// SPDX-License-Identifier: MIT
/*
 * Fuzz the OPLOCK_BREAK family's decoders (MS-SMB2 2.2.23 - 2.2.25): what
 * the receiver hands the lease break worker comes straight from the
 * server, unsigned (3.2.5.1.3). Input: one element, header first. Every
 * decoder that accepts it must have read only inside it (ASan), and the
 * classification must agree with what decodes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/oplock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_oplock_break ob;
	struct smb2_lease_break lb;
	struct smb2_lease_ack ack;
	int kind = smb2_break_classify(data, size);

	if (!smb2_lease_break_decode(data, size, &lb)) {
		if (kind != SMB2_BREAK_LEASE_NOTIFY)
			__builtin_trap();
		sink = lb.new_state ^ lb.current_state ^ lb.flags ^ lb.key[15];
	}
	if (!smb2_lease_break_rsp_decode(data, size, &ack)) {
		if (kind != SMB2_BREAK_LEASE_ACK)
			__builtin_trap();
		sink = ack.state ^ ack.key[0];
	}
	if (!smb2_oplock_break_decode(data, size, &ob)) {
		if (kind != SMB2_BREAK_OPLOCK)
			__builtin_trap();
		sink = ob.oplock_level;
	}
	return 0;
}
