// SPDX-License-Identifier: MIT
/*
 * Security blobs from a hostile server (bug class 7): the same input is
 * fed to the CHALLENGE decoder (with its AV_PAIR walk), the SPNEGO
 * NegTokenResp and NegTokenInit decoders, and — whenever a CHALLENGE
 * decodes, directly or as a NegTokenResp responseToken — to the
 * AUTHENTICATE encoder, which re-walks and echoes the server's AV pairs.
 * Invariants checked beyond "no crash": every pointer returned lies inside
 * the input, and the AUTHENTICATE never exceeds 64 KiB.
 */
#include "auth/ntlmssp.h"
#include "auth/spnego.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t test_cc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t test_key[16] = {0x55};

static void check_inside(const uint8_t *base, size_t size, const uint8_t *p,
			 size_t len)
{
	if (!p)
		return;
	if (p < base || len > size || (size_t)(p - base) > size - len)
		abort();
}

static void fuzz_authenticate(const struct ntlmssp_challenge *c)
{
	static uint8_t out[NTLMSSP_MAX_MSG_LEN + 1];
	struct ntlmssp_ctx ctx;
	uint8_t neg[NTLMSSP_NEGOTIATE_LEN];
	size_t n;
	int ret;

	if (ntlmssp_ctx_init(&ctx, "user", "DOMAIN", "password", "WS") != 0)
		return; /* no legacy provider: nothing more to exercise */
	ntlmssp_ctx_set_test_values(&ctx, test_cc, 0, test_key);
	if (ntlmssp_negotiate_encode(&ctx, neg, sizeof(neg), &n) == 0) {
		ret = ntlmssp_authenticate_encode(&ctx, c, out, sizeof(out),
						  &n);
		if (ret == 0 && (n > NTLMSSP_MAX_MSG_LEN || n < 72))
			abort();
	}
	ntlmssp_ctx_release(&ctx);
}

static void fuzz_challenge(const uint8_t *data, size_t size)
{
	struct ntlmssp_challenge c;

	if (ntlmssp_challenge_decode(data, size, &c) != 0)
		return;
	check_inside(data, size, c.target_name, c.target_name_len);
	check_inside(data, size, c.target_info, c.target_info_len);
	fuzz_authenticate(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spnego_resp r;
	struct spnego_init in;

	(void)spnego_token_kind(data, size);
	fuzz_challenge(data, size);
	if (spnego_decode_resp(data, size, &r) == 0) {
		check_inside(data, size, r.supported_mech,
			     r.supported_mech_len);
		check_inside(data, size, r.response_token,
			     r.response_token_len);
		check_inside(data, size, r.mech_list_mic, r.mech_list_mic_len);
		if (r.response_token)
			fuzz_challenge(r.response_token, r.response_token_len);
	}
	if (spnego_decode_init(data, size, &in) == 0) {
		check_inside(data, size, in.mech_types, in.mech_types_len);
		check_inside(data, size, in.mech_token, in.mech_token_len);
		if (in.mech_token)
			fuzz_challenge(in.mech_token, in.mech_token_len);
	}
	return 0;
}
