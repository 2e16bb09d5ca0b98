// SPDX-License-Identifier: MIT
/*
 * NTLM cryptography (MS-NLMP 3.3.2, 3.4.5, 6).
 *
 * Where MD4 and RC4 come from — the decision:
 *
 * NTLM needs MD4 (NTOWFv1) and RC4 (the key-exchange step). OpenSSL 3 moved
 * both into the "legacy" provider, which is not loaded by default. We load
 * it, together with "default" (MD5/HMAC and the DRBG), into a library-private
 * OSSL_LIB_CTX created once per process (OSSL_LIB_CTX_new +
 * OSSL_PROVIDER_load), and fetch every algorithm from that context only.
 *
 * Why not the alternatives:
 * - Loading "legacy" into the default context (NULL) would change what
 *   every other user of libcrypto in the application can fetch, and could
 *   fight with the application's own provider configuration (FIPS, say).
 * - Carrying our own MD4/RC4 means hand-written crypto, which DESIGN.md
 *   rules out, and leaves us maintaining primitives OpenSSL already ships.
 *
 * The private context does not read openssl.cnf, so the application's
 * configuration cannot disable or redirect these algorithms under us, and
 * we do not touch its configuration either. If the legacy module is missing
 * at run time (on Debian 12 it ships in libssl3 as
 * ossl-modules/legacy.so; OPENSSL_MODULES can point elsewhere), every call
 * fails with -ENOPKG: NTLM cannot work without MD4, and a clear "package
 * not installed" error beats a silent fallback. The context lives until
 * process exit; it holds no secrets.
 *
 * Error convention: -ENOPKG when the provider/algorithm is unavailable,
 * -EIO when OpenSSL fails on an operation that should not fail.
 */
#include "auth/ntlm_crypto.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "proto/le.h"
#include "proto/utf16.h"

static struct {
	pthread_once_t once;
	int err;
	OSSL_LIB_CTX *libctx;
	OSSL_PROVIDER *legacy;
	OSSL_PROVIDER *deflt;
	EVP_MD *md4;
	EVP_MAC *hmac;
	EVP_CIPHER *rc4;
} nc = {.once = PTHREAD_ONCE_INIT};

static void ntlm_crypto_setup(void)
{
	nc.err = -ENOPKG;
	nc.libctx = OSSL_LIB_CTX_new();
	if (!nc.libctx)
		return;
	nc.deflt = OSSL_PROVIDER_load(nc.libctx, "default");
	nc.legacy = OSSL_PROVIDER_load(nc.libctx, "legacy");
	if (!nc.deflt || !nc.legacy)
		goto fail;
	nc.md4 = EVP_MD_fetch(nc.libctx, "MD4", NULL);
	nc.hmac = EVP_MAC_fetch(nc.libctx, "HMAC", NULL);
	nc.rc4 = EVP_CIPHER_fetch(nc.libctx, "RC4", NULL);
	if (!nc.md4 || !nc.hmac || !nc.rc4)
		goto fail;
	nc.err = 0;
	return;
fail:
	/* Leave nothing half set up: a failed init stays failed (-ENOPKG). */
	EVP_CIPHER_free(nc.rc4);
	EVP_MAC_free(nc.hmac);
	EVP_MD_free(nc.md4);
	if (nc.legacy)
		OSSL_PROVIDER_unload(nc.legacy);
	if (nc.deflt)
		OSSL_PROVIDER_unload(nc.deflt);
	OSSL_LIB_CTX_free(nc.libctx);
	nc.rc4 = NULL;
	nc.hmac = NULL;
	nc.md4 = NULL;
	nc.legacy = NULL;
	nc.deflt = NULL;
	nc.libctx = NULL;
}

int ntlm_crypto_init(void)
{
	if (pthread_once(&nc.once, ntlm_crypto_setup) != 0)
		return -ENOPKG;
	return nc.err;
}

int ntlm_random(void *out, size_t len)
{
	int ret = ntlm_crypto_init();

	if (ret)
		return ret;
	if (RAND_bytes_ex(nc.libctx, out, len, 0) != 1)
		return -EIO;
	return 0;
}

int ntlm_md4(const void *data, size_t len, uint8_t out[NTLM_HASH_LEN])
{
	unsigned int n = 0;
	int ret = ntlm_crypto_init();

	if (ret)
		return ret;
	if (EVP_Digest(data, len, out, &n, nc.md4, NULL) != 1 ||
	    n != NTLM_HASH_LEN)
		return -EIO;
	return 0;
}

int ntlm_hmac_md5v(const uint8_t *key, size_t key_len, const struct ntlm_buf *v,
		   size_t n, uint8_t out[NTLM_HASH_LEN])
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *mctx;
	size_t outl = 0;
	int ret = ntlm_crypto_init();

	if (ret)
		return ret;
	mctx = EVP_MAC_CTX_new(nc.hmac);
	if (!mctx)
		return -EIO;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"MD5", 0);
	params[1] = OSSL_PARAM_construct_end();
	ret = -EIO;
	if (EVP_MAC_init(mctx, key, key_len, params) != 1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (v[i].len && EVP_MAC_update(mctx, v[i].p, v[i].len) != 1)
			goto out;
	}
	if (EVP_MAC_final(mctx, out, &outl, NTLM_HASH_LEN) != 1 ||
	    outl != NTLM_HASH_LEN)
		goto out;
	ret = 0;
out:
	/* The MAC context holds the derived key pads: freed with cleansing. */
	EVP_MAC_CTX_free(mctx);
	return ret;
}

int ntlm_hmac_md5(const uint8_t *key, size_t key_len, const void *data,
		  size_t len, uint8_t out[NTLM_HASH_LEN])
{
	struct ntlm_buf v = {data, len};

	return ntlm_hmac_md5v(key, key_len, &v, 1, out);
}

int ntlm_rc4(const uint8_t key[NTLM_HASH_LEN], const uint8_t *in, size_t len,
	     uint8_t *out)
{
	EVP_CIPHER_CTX *cctx;
	int outl = 0, fin = 0;
	int ret = ntlm_crypto_init();

	if (ret)
		return ret;
	if (len > INT_MAX)
		return -EINVAL;
	cctx = EVP_CIPHER_CTX_new();
	if (!cctx)
		return -EIO;
	ret = -EIO;
	if (EVP_EncryptInit_ex2(cctx, nc.rc4, key, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_get_key_length(cctx) != NTLM_HASH_LEN)
		goto out;
	if (EVP_EncryptUpdate(cctx, out, &outl, in, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(cctx, out + outl, &fin) != 1 ||
	    (size_t)outl + (size_t)fin != len)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(cctx);
	return ret;
}

int ntlm_nt_hash(const char *password, uint8_t out[NTLM_HASH_LEN])
{
	size_t len, u16len = 0;
	uint8_t *u16;
	int ret;

	if (!password)
		return -EINVAL;
	len = strlen(password);
	/* Windows caps passwords at 256 characters; be generous but bounded. */
	if (len > 1024)
		return -EINVAL;
	ret = utf16_from_utf8(password, len, NULL, 0, &u16len);
	if (ret)
		return ret;
	u16 = malloc(u16len ? u16len : 1);
	if (!u16)
		return -ENOMEM;
	ret = utf16_from_utf8(password, len, u16, u16len, &u16len);
	if (!ret)
		ret = ntlm_md4(u16, u16len, out);
	OPENSSL_clear_free(u16, u16len ? u16len : 1);
	return ret;
}

/*
 * Upper-case one UTF-16 code unit for NTOWFv2. Windows uses its own
 * case table; this covers the scripts user names are most often written in.
 * Surrogate halves pass through unchanged.
 */
static uint16_t ntlm_upcase(uint16_t c)
{
	if (c >= 'a' && c <= 'z')
		return (uint16_t)(c - 0x20);
	if (c < 0x80)
		return c;
	if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
		return (uint16_t)(c - 0x20);
	if (c == 0xff)
		return 0x178;
	/* Latin Extended-A: upper/lower pairs alternate. */
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return (c & 1) ? (uint16_t)(c - 1) : c;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c : (uint16_t)(c - 1);
	if ((c >= 0x3b1 && c <= 0x3c1) || (c >= 0x3c3 && c <= 0x3cb))
		return (uint16_t)(c - 0x20);
	if (c >= 0x430 && c <= 0x44f)
		return (uint16_t)(c - 0x20);
	if (c >= 0x450 && c <= 0x45f)
		return (uint16_t)(c - 0x50);
	return c;
}

int ntlm_ntowfv2(const uint8_t nt_hash[NTLM_HASH_LEN], const uint8_t *user,
		 size_t user_len, const uint8_t *domain, size_t domain_len,
		 uint8_t out[NTLM_HASH_LEN])
{
	struct ntlm_buf v[2];
	uint8_t *up;
	int ret;

	if ((user_len | domain_len) & 1)
		return -EINVAL;
	up = malloc(user_len ? user_len : 1);
	if (!up)
		return -ENOMEM;
	for (size_t i = 0; i < user_len; i += 2)
		le16_put(up + i, ntlm_upcase(le16_get(user + i)));
	v[0].p = up;
	v[0].len = user_len;
	v[1].p = domain;
	v[1].len = domain_len;
	ret = ntlm_hmac_md5v(nt_hash, NTLM_HASH_LEN, v, 2, out);
	OPENSSL_clear_free(up, user_len ? user_len : 1);
	return ret;
}

int ntlm_ntproofstr(const uint8_t response_key_nt[NTLM_HASH_LEN],
		    const uint8_t server_challenge[NTLM_CHALLENGE_LEN],
		    const uint8_t *temp, size_t temp_len,
		    uint8_t out[NTLM_HASH_LEN])
{
	struct ntlm_buf v[2] = {
		{server_challenge, NTLM_CHALLENGE_LEN},
		{temp, temp_len},
	};

	return ntlm_hmac_md5v(response_key_nt, NTLM_HASH_LEN, v, 2, out);
}

int ntlm_session_base_key(const uint8_t response_key_nt[NTLM_HASH_LEN],
			  const uint8_t ntproofstr[NTLM_HASH_LEN],
			  uint8_t out[NTLM_HASH_LEN])
{
	return ntlm_hmac_md5(response_key_nt, NTLM_HASH_LEN, ntproofstr,
			     NTLM_HASH_LEN, out);
}

int ntlm_lmv2_response(const uint8_t response_key_lm[NTLM_HASH_LEN],
		       const uint8_t server_challenge[NTLM_CHALLENGE_LEN],
		       const uint8_t client_challenge[NTLM_CHALLENGE_LEN],
		       uint8_t out[NTLM_LMV2_RESP_LEN])
{
	struct ntlm_buf v[2] = {
		{server_challenge, NTLM_CHALLENGE_LEN},
		{client_challenge, NTLM_CHALLENGE_LEN},
	};
	int ret;

	ret = ntlm_hmac_md5v(response_key_lm, NTLM_HASH_LEN, v, 2, out);
	if (ret)
		return ret;
	memcpy(out + NTLM_HASH_LEN, client_challenge, NTLM_CHALLENGE_LEN);
	return 0;
}

int ntlm_encrypt_session_key(const uint8_t kxkey[NTLM_HASH_LEN],
			     const uint8_t exported[NTLM_HASH_LEN],
			     uint8_t out[NTLM_HASH_LEN])
{
	return ntlm_rc4(kxkey, exported, NTLM_HASH_LEN, out);
}

int ntlm_mic(const uint8_t exported[NTLM_HASH_LEN], const uint8_t *neg,
	     size_t neg_len, const uint8_t *chal, size_t chal_len,
	     const uint8_t *auth, size_t auth_len, uint8_t out[NTLM_HASH_LEN])
{
	struct ntlm_buf v[3] = {
		{neg, neg_len},
		{chal, chal_len},
		{auth, auth_len},
	};

	return ntlm_hmac_md5v(exported, NTLM_HASH_LEN, v, 3, out);
}
