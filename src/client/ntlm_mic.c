// SPDX-License-Identifier: MIT
/*
 * NTLMSSP message signature for the SPNEGO mechListMIC (MS-NLMP 3.4.4.2,
 * 3.4.5.2 SIGNKEY, 3.4.5.3 SEALKEY).
 */
#include "client/ntlm_mic.h"
#include "auth/ntlm_crypto.h"
#include "auth/ntlmssp.h"
#include "auth/spnego.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* The magic constants include their terminating NUL (MS-NLMP 3.4.5.2). */
static const char c2s_sign[] =
	"session key to client-to-server signing key magic constant";
static const char s2c_sign[] =
	"session key to server-to-client signing key magic constant";
static const char c2s_seal[] =
	"session key to client-to-server sealing key magic constant";
static const char s2c_seal[] =
	"session key to server-to-client sealing key magic constant";

size_t smb_ntlm_mech_list(uint8_t *out, size_t cap)
{
	size_t oid = sizeof(spnego_oid_ntlmssp);
	size_t need = 4 + oid;

	if (cap < need)
		return 0;
	out[0] = 0x30; /* SEQUENCE */
	out[1] = (uint8_t)(2 + oid);
	out[2] = 0x06; /* OBJECT IDENTIFIER */
	out[3] = (uint8_t)oid;
	memcpy(out + 4, spnego_oid_ntlmssp, oid);
	return need;
}

static int md5_key(const uint8_t key[16], const char *magic, uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok;

	if (!ctx)
		return -EIO;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
	     EVP_DigestUpdate(ctx, key, 16) &&
	     EVP_DigestUpdate(ctx, magic, strlen(magic) + 1) &&
	     EVP_DigestFinal_ex(ctx, out, &n) && n == 16;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int smb_ntlm_mech_mic(const uint8_t session_key[16], uint32_t flags,
		      bool client, const uint8_t *msg, size_t len,
		      uint8_t out[SMB_NTLM_MIC_SIZE])
{
	uint8_t sign[16], seal[16], mac[16];
	static const uint8_t seq0[4];
	struct ntlm_buf v[2];
	int ret;

	if (!(flags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY))
		return -EOPNOTSUPP;
	ret = md5_key(session_key, client ? c2s_sign : s2c_sign, sign);
	if (!ret)
		ret = md5_key(session_key, client ? c2s_seal : s2c_seal, seal);
	if (ret)
		goto out;
	v[0].p = seq0;
	v[0].len = sizeof(seq0);
	v[1].p = msg;
	v[1].len = len;
	ret = ntlm_hmac_md5v(sign, sizeof(sign), v, 2, mac);
	if (ret)
		goto out;
	/* Sequence number 0: the RC4 handle's first use, a fresh state. */
	if (flags & NTLMSSP_NEGOTIATE_KEY_EXCH)
		ret = ntlm_rc4(seal, mac, 8, mac);
	if (ret)
		goto out;
	out[0] = 1; /* Version */
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, mac, 8);
	memset(out + 12, 0, 4); /* SeqNum 0 */
out:
	OPENSSL_cleanse(sign, sizeof(sign));
	OPENSSL_cleanse(seal, sizeof(seal));
	OPENSSL_cleanse(mac, sizeof(mac));
	return ret;
}
