// SPDX-License-Identifier: MIT
/*
 * SP800-108 counter-mode KDF (HMAC-SHA256) and the SMB 3.x session keys
 * built from it (MS-SMB2 3.1.4.2, 3.2.5.3.1). OpenSSL's KBKDF provider does
 * the PRF iterations: K(i) = HMAC(Ki, [i]_32 || Label || 0x00 || Context ||
 * [L]_32). MS-SMB2's labels carry their own terminating NUL, so the label
 * passed here includes it and KBKDF adds the 0x00 separator on top, exactly
 * as the specification's byte layout requires.
 */
#include "crypto/kdf.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

/**
 * smb3_kdf - SP800-108 counter-mode KDF with HMAC-SHA256
 * @ki: key derivation key
 * @ki_len: its length (> 0)
 * @label: Label bytes, including any terminating NUL the spec gives
 * @label_len: their length
 * @context: Context bytes
 * @context_len: their length
 * @out: receives @out_len bytes
 * @out_len: 16 or 32 (L = 128 or 256 bits)
 *
 * Returns 0, -EINVAL for bad lengths or -EIO when OpenSSL fails (including
 * a missing KBKDF implementation). @out is wiped on failure.
 */
int smb3_kdf(const uint8_t *ki, size_t ki_len, const uint8_t *label,
	     size_t label_len, const uint8_t *context, size_t context_len,
	     uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[7], *p = params;
	int ok;

	if (!ki || !ki_len || !out || (out_len != 16 && out_len != 32) ||
	    (!label && label_len) || (!context && context_len))
		return -EINVAL;

	kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
	if (!kdf)
		return -EIO;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return -EIO;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE,
						(char *)"counter", 0);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC,
						(char *)"HMAC", 0);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ki,
						 ki_len);
	/* KBKDF calls the Label "salt" and the Context "info". */
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						 (void *)label, label_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						 (void *)context, context_len);
	*p = OSSL_PARAM_construct_end();

	ok = EVP_KDF_derive(kctx, out, out_len, params) > 0;
	EVP_KDF_CTX_free(kctx);
	if (!ok) {
		OPENSSL_cleanse(out, out_len);
		return -EIO;
	}
	return 0;
}

#define LBL(s)                                                                 \
	{                                                                      \
		(const uint8_t *)(s), sizeof(s)                                \
	} /* sizeof counts the NUL */

struct kdf_label {
	const uint8_t *p;
	size_t len;
};

/* MS-SMB2 3.2.5.3.1: 3.0/3.0.2 labels and contexts. */
static const struct kdf_label l30_sign = LBL("SMB2AESCMAC");
static const struct kdf_label c30_sign = LBL("SmbSign");
static const struct kdf_label l30_app = LBL("SMB2APP");
static const struct kdf_label c30_app = LBL("SmbRpc");
static const struct kdf_label l30_ccm = LBL("SMB2AESCCM");
static const struct kdf_label c30_c2s = LBL("ServerIn "); /* trailing space */
static const struct kdf_label c30_s2c = LBL("ServerOut");
/* 3.1.1: new labels; the context is Session.PreauthIntegrityHashValue. */
static const struct kdf_label l311_sign = LBL("SMBSigningKey");
static const struct kdf_label l311_app = LBL("SMBAppKey");
static const struct kdf_label l311_c2s = LBL("SMBC2SCipherKey");
static const struct kdf_label l311_s2c = LBL("SMBS2CCipherKey");

/**
 * smb3_derive_keys - derive the SMB 3.x session keys
 * @dialect: SMB2_DIALECT_300, _0302 or _0311
 * @session_key: the authentication's (full) session key
 * @session_key_len: its length (> 0)
 * @preauth_hash: Session.PreauthIntegrityHashValue (64 bytes) for 3.1.1;
 *	ignored (may be NULL) for 3.0/3.0.2
 * @cipher_key_len: 16 (AES-128-CCM/GCM) or 32 (AES-256-CCM/GCM)
 * @keys: receives the signing, application, encryption (client-to-server)
 *	and decryption (server-to-client) keys
 *
 * Per MS-SMB2 3.2.5.3.1 the signing and application keys (L = 128) come
 * from Session.SessionKey: the first 16 bytes of the session key, zero
 * padded if shorter. For a 256-bit cipher the cipher keys (L = 256) come
 * from Session.FullSessionKey, the whole key as authentication produced it.
 * 256-bit ciphers exist only in 3.1.1. The caller wipes @keys with
 * smb3_keys_wipe() when done. Returns 0, -EINVAL (bad dialect or lengths,
 * missing preauth hash) or -EIO; on error @keys is wiped.
 */
int smb3_derive_keys(uint16_t dialect, const uint8_t *session_key,
		     size_t session_key_len, const uint8_t *preauth_hash,
		     size_t cipher_key_len, struct smb3_keys *keys)
{
	uint8_t sk[SMB3_SESSION_KEY_SIZE] = {0};
	const uint8_t *ctx_sign, *ctx_app, *ctx_c2s, *ctx_s2c;
	size_t ctx_sign_len, ctx_app_len, ctx_c2s_len, ctx_s2c_len;
	const struct kdf_label *l_sign, *l_app, *l_c2s, *l_s2c;
	const uint8_t *cipher_ki;
	size_t cipher_ki_len;
	int err;

	if (!keys)
		return -EINVAL;
	memset(keys, 0, sizeof(*keys));
	if (!session_key || !session_key_len ||
	    (cipher_key_len != 16 && cipher_key_len != 32))
		return -EINVAL;

	switch (dialect) {
	case SMB2_DIALECT_300:
	case SMB2_DIALECT_302:
		if (cipher_key_len != 16)
			return -EINVAL;
		l_sign = &l30_sign;
		l_app = &l30_app;
		l_c2s = &l30_ccm;
		l_s2c = &l30_ccm;
		ctx_sign = c30_sign.p;
		ctx_sign_len = c30_sign.len;
		ctx_app = c30_app.p;
		ctx_app_len = c30_app.len;
		ctx_c2s = c30_c2s.p;
		ctx_c2s_len = c30_c2s.len;
		ctx_s2c = c30_s2c.p;
		ctx_s2c_len = c30_s2c.len;
		break;
	case SMB2_DIALECT_311:
		if (!preauth_hash)
			return -EINVAL;
		l_sign = &l311_sign;
		l_app = &l311_app;
		l_c2s = &l311_c2s;
		l_s2c = &l311_s2c;
		ctx_sign = ctx_app = ctx_c2s = ctx_s2c = preauth_hash;
		ctx_sign_len = ctx_app_len = ctx_c2s_len = ctx_s2c_len =
			SMB2_PREAUTH_HASH_SIZE;
		break;
	default:
		return -EINVAL;
	}

	memcpy(sk, session_key,
	       session_key_len < sizeof(sk) ? session_key_len : sizeof(sk));
	if (cipher_key_len == 32) {
		cipher_ki = session_key;
		cipher_ki_len = session_key_len;
	} else {
		cipher_ki = sk;
		cipher_ki_len = sizeof(sk);
	}

	err = smb3_kdf(sk, sizeof(sk), l_sign->p, l_sign->len, ctx_sign,
		       ctx_sign_len, keys->signing, sizeof(keys->signing));
	if (!err)
		err = smb3_kdf(sk, sizeof(sk), l_app->p, l_app->len, ctx_app,
			       ctx_app_len, keys->application,
			       sizeof(keys->application));
	if (!err)
		err = smb3_kdf(cipher_ki, cipher_ki_len, l_c2s->p, l_c2s->len,
			       ctx_c2s, ctx_c2s_len, keys->encryption,
			       cipher_key_len);
	if (!err)
		err = smb3_kdf(cipher_ki, cipher_ki_len, l_s2c->p, l_s2c->len,
			       ctx_s2c, ctx_s2c_len, keys->decryption,
			       cipher_key_len);
	OPENSSL_cleanse(sk, sizeof(sk));
	if (err) {
		smb3_keys_wipe(keys);
		return err;
	}
	keys->cipher_key_len = cipher_key_len;
	return 0;
}

/**
 * smb3_keys_wipe - erase derived keys
 * @keys: keys to erase (may be NULL)
 */
void smb3_keys_wipe(struct smb3_keys *keys)
{
	if (keys)
		OPENSSL_cleanse(keys, sizeof(*keys));
}
