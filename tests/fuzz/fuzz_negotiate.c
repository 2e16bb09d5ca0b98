/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the NEGOTIATE response and request decoders, the offer check, and
 * encode -> decode round trips of whatever decoded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/negotiate.h"

static uint8_t out[1 << 18];

static struct smb2_negotiate_req offer(void)
{
	struct smb2_negotiate_req r;

	memset(&r, 0, sizeof(r));
	r.dialects[0] = SMB2_DIALECT_202;
	r.dialects[1] = SMB2_DIALECT_210;
	r.dialects[2] = SMB2_DIALECT_300;
	r.dialects[3] = SMB2_DIALECT_302;
	r.dialects[4] = SMB2_DIALECT_311;
	r.nr_dialects = 5;
	r.ciphers[0] = SMB2_ENCRYPTION_AES128_GCM;
	r.ciphers[1] = SMB2_ENCRYPTION_AES128_CCM;
	r.nr_ciphers = 2;
	r.signing_algs[0] = SMB2_SIGNING_AES_CMAC;
	r.nr_signing_algs = 1;
	return r;
}

static void rsp_roundtrip(const uint8_t *data, size_t size)
{
	struct smb2_negotiate_req o = offer();
	struct smb2_negotiate_rsp r, d;
	struct smb2_hdr h;
	ssize_t n;

	if (smb2_negotiate_rsp_decode(data, size, &r))
		return;
	(void)smb2_negotiate_check(&o, &r);
	if ((r.sec_len && r.sec_buf + r.sec_len > data + size) ||
	    (r.preauth_salt_len &&
	     r.preauth_salt + r.preauth_salt_len > data + size))
		abort();
	if (smb2_hdr_decode(data, size, &h))
		abort();
	n = smb2_negotiate_rsp_encode(out, sizeof(out), &h, &r);
	if (n < 0)
		return;
	if (smb2_negotiate_rsp_decode(out, (size_t)n, &d))
		abort();
	if (d.dialect != r.dialect || d.sec_len != r.sec_len ||
	    (r.sec_len && memcmp(d.sec_buf, r.sec_buf, r.sec_len)) ||
	    d.max_read_size != r.max_read_size ||
	    d.has_preauth != r.has_preauth ||
	    d.preauth_hash != r.preauth_hash ||
	    d.preauth_salt_len != r.preauth_salt_len ||
	    d.has_encryption != r.has_encryption || d.cipher != r.cipher ||
	    d.has_signing != r.has_signing || d.signing_alg != r.signing_alg)
		abort();
}

static void req_roundtrip(const uint8_t *data, size_t size)
{
	struct smb2_negotiate_req q, d;
	struct smb2_hdr h;
	ssize_t n;

	if (smb2_negotiate_req_decode(data, size, &q))
		return;
	if (smb2_hdr_decode(data, size, &h))
		abort();
	n = smb2_negotiate_req_encode(out, sizeof(out), &h, &q);
	if (n < 0)
		abort(); /* a decoded request always fits and is valid */
	if (smb2_negotiate_req_decode(out, (size_t)n, &d) ||
	    d.nr_dialects != q.nr_dialects ||
	    memcmp(d.dialects, q.dialects, 2 * q.nr_dialects))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rsp_roundtrip(data, size);
	req_roundtrip(data, size);
	return 0;
}
