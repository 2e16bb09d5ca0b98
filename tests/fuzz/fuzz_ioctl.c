// SPDX-License-Identifier: MIT
/*
 * Fuzz the IOCTL response decoder (Input/Output offset and count pairs,
 * bug class 4) and the FSCTL output decoders it feeds: validate negotiate,
 * resume key, copychunk. The input is one response element; the output
 * buffer is routed by CtlCode, and also tried with every FSCTL decoder.
 * Borrowed ranges are read in full so ASan reports any escape.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/ioctl.h"
#include "proto/oplock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s ^= p[i];
	sink = s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_ioctl_rsp r;
	struct smb2_vneg v;
	struct smb2_copychunk_rsp c;
	struct smb2_oplock_break ob;
	struct smb2_lease_break lb;
	struct smb2_lease_ack la;
	uint8_t key[SMB2_RESUME_KEY_SIZE];

	/* The OPLOCK_BREAK family shares this target: tiny fixed decoders. */
	switch (smb2_break_classify(data, size)) {
	case SMB2_BREAK_OPLOCK:
		(void)smb2_oplock_break_decode(data, size, &ob);
		break;
	case SMB2_BREAK_LEASE_NOTIFY:
		(void)smb2_lease_break_decode(data, size, &lb);
		break;
	case SMB2_BREAK_LEASE_ACK:
		(void)smb2_lease_break_rsp_decode(data, size, &la);
		break;
	default:
		break;
	}
	if (smb2_ioctl_rsp_decode(data, size, 0xFFFFFFFFu, &r) != 0)
		return 0;
	if (r.input_len)
		touch(r.input, r.input_len);
	if (!r.output_len)
		return 0;
	touch(r.output, r.output_len);
	(void)smb2_vneg_rsp_decode(r.output, r.output_len, &v);
	(void)smb2_resume_key_rsp_decode(r.output, r.output_len, key);
	(void)smb2_copychunk_rsp_decode(r.output, r.output_len, &c);
	return 0;
}
