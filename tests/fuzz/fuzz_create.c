// SPDX-License-Identifier: MIT
/*
 * Fuzz the CREATE response decoder and the create-context walker with its
 * typed decoders (bug classes 4 and 5). The input is one response element
 * (SMB2 header first); the same bytes are also walked as a bare context
 * chain so the walker is reached without a valid header. Every pointer a
 * decoder returns is read in full, so ASan reports any that escape the
 * input.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/create.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s ^= p[i];
	sink = s;
}

static void walk(const uint8_t *chain, size_t len)
{
	struct smb2_cc_iter it;
	struct smb2_cc cc;
	struct smb2_dh2q dh;
	struct smb2_lease l;
	struct smb2_mxac mx;
	struct smb2_qfid qf;

	smb2_cc_iter_init(&it, chain, len);
	while (smb2_cc_next(&it, &cc) == 1) {
		touch(cc.name, cc.name_len);
		if (cc.data_len)
			touch(cc.data, cc.data_len);
		if (smb2_cc_is(&cc, SMB2_CC_DH2Q))
			(void)smb2_cc_dh2q_rsp_decode(&cc, &dh);
		else if (smb2_cc_is(&cc, SMB2_CC_LEASE))
			(void)smb2_cc_lease_decode(&cc, &l);
		else if (smb2_cc_is(&cc, SMB2_CC_MXAC))
			(void)smb2_cc_mxac_rsp_decode(&cc, &mx);
		else if (smb2_cc_is(&cc, SMB2_CC_QFID))
			(void)smb2_cc_qfid_rsp_decode(&cc, &qf);
	}
	(void)smb2_cc_find(chain, len, SMB2_CC_LEASE, &cc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_create_rsp r;
	struct smb2_close_rsp c;

	if (smb2_create_rsp_decode(data, size, &r) == 0 && r.contexts_len)
		walk(r.contexts, r.contexts_len);
	(void)smb2_close_rsp_decode(data, size, &c);
	walk(data, size);
	return 0;
}
