/* SPDX-License-Identifier: MIT */
/*
 * NTLM cryptographic primitives (MS-NLMP 3.3.2, 3.4.5, 6): MD4, HMAC-MD5
 * and RC4 through a library-private OpenSSL 3 library context, and the
 * NTLMv2 functions built on them. Internal to smbiov; see ntlm_crypto.c for
 * why the legacy provider is loaded into a private context.
 */
#ifndef SMBIOV_AUTH_NTLM_CRYPTO_H
#define SMBIOV_AUTH_NTLM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NTLM_HASH_LEN	   16 /* MD4 / HMAC-MD5 output, every NTLM key */
#define NTLM_CHALLENGE_LEN 8  /* server and client challenges */
#define NTLM_LMV2_RESP_LEN 24 /* LMv2_RESPONSE: 16 proof + 8 challenge */

/* One piece of a message fed to a MAC: the pieces are hashed in order. */
struct ntlm_buf {
	const void *p;
	size_t len;
};

/**
 * ntlm_crypto_init - set up the private OpenSSL context (idempotent)
 *
 * Creates, once per process, an OSSL_LIB_CTX holding the "default" and
 * "legacy" providers and fetches MD4, HMAC and RC4 from it. Every other
 * function here calls it, so calling it first is only useful to learn early
 * whether NTLM can work at all. Thread-safe.
 *
 * Return: 0, or -ENOPKG when a provider or algorithm is unavailable (e.g.
 * the legacy provider module is not installed).
 */
int ntlm_crypto_init(void);

/**
 * ntlm_random - fill @out with @len bytes from the private context's DRBG
 * Return: 0, -ENOPKG, or -EIO if the DRBG fails.
 */
int ntlm_random(void *out, size_t len);

/**
 * ntlm_md4 - MD4 (RFC 1320) of @len bytes at @data into @out
 * Return: 0, -ENOPKG, or -EIO on an OpenSSL failure.
 */
int ntlm_md4(const void *data, size_t len, uint8_t out[NTLM_HASH_LEN]);

/**
 * ntlm_hmac_md5v - HMAC-MD5 (RFC 2104) over the concatenation of @n pieces
 * @key: MAC key, @key_len bytes (any length; NTLM uses 16)
 * @v: the pieces, hashed in order; a piece may be empty
 * @out: receives the 16-byte MAC
 * Return: 0, -ENOPKG, or -EIO.
 */
int ntlm_hmac_md5v(const uint8_t *key, size_t key_len, const struct ntlm_buf *v,
		   size_t n, uint8_t out[NTLM_HASH_LEN]);

/**
 * ntlm_hmac_md5 - HMAC-MD5 of one contiguous message
 * Return: as ntlm_hmac_md5v().
 */
int ntlm_hmac_md5(const uint8_t *key, size_t key_len, const void *data,
		  size_t len, uint8_t out[NTLM_HASH_LEN]);

/**
 * ntlm_rc4 - one-shot RC4 with a 16-byte key (MS-NLMP 6, RC4K)
 * @key: 16-byte key
 * @in: @len input bytes
 * @out: @len output bytes; may equal @in
 * Return: 0, -ENOPKG, -EINVAL if @len exceeds INT_MAX, or -EIO.
 */
int ntlm_rc4(const uint8_t key[NTLM_HASH_LEN], const uint8_t *in, size_t len,
	     uint8_t *out);

/**
 * ntlm_nt_hash - NTOWFv1: MD4(UTF-16LE(@password)) (MS-NLMP 3.3.1)
 * @password: NUL-terminated UTF-8 password
 * @out: receives the 16-byte NT hash
 *
 * The UTF-16 copy of the password is wiped before returning.
 * Return: 0, -EINVAL (bad UTF-8, too long), -ENOMEM, -ENOPKG or -EIO.
 */
int ntlm_nt_hash(const char *password, uint8_t out[NTLM_HASH_LEN]);

/**
 * ntlm_ntowfv2 - NTOWFv2 (MS-NLMP 3.3.2)
 * @nt_hash: NTOWFv1 of the password
 * @user: user name in UTF-16LE, @user_len bytes (even)
 * @domain: domain in UTF-16LE, @domain_len bytes (even); may be empty
 * @out: receives ResponseKeyNT (== ResponseKeyLM for NTLMv2)
 *
 * Computes HMAC_MD5(@nt_hash, Uppercase(@user) || @domain). Upper-casing
 * covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; other
 * characters are left as they are (Windows' own table is larger).
 *
 * Return: 0, -EINVAL (odd length), -ENOMEM, -ENOPKG or -EIO.
 */
int ntlm_ntowfv2(const uint8_t nt_hash[NTLM_HASH_LEN], const uint8_t *user,
		 size_t user_len, const uint8_t *domain, size_t domain_len,
		 uint8_t out[NTLM_HASH_LEN]);

/**
 * ntlm_ntproofstr - NTProofStr = HMAC_MD5(key, ServerChallenge || temp)
 * @response_key_nt: NTOWFv2 output
 * @server_challenge: the CHALLENGE_MESSAGE ServerChallenge
 * @temp: the NTLMv2_CLIENT_CHALLENGE ("temp" in MS-NLMP 3.3.2), @temp_len
 * @out: receives NTProofStr, the first 16 bytes of the NTLMv2 response
 * Return: 0, -ENOPKG or -EIO.
 */
int ntlm_ntproofstr(const uint8_t response_key_nt[NTLM_HASH_LEN],
		    const uint8_t server_challenge[NTLM_CHALLENGE_LEN],
		    const uint8_t *temp, size_t temp_len,
		    uint8_t out[NTLM_HASH_LEN]);

/**
 * ntlm_session_base_key - SessionBaseKey = HMAC_MD5(key, NTProofStr)
 * Return: 0, -ENOPKG or -EIO.
 */
int ntlm_session_base_key(const uint8_t response_key_nt[NTLM_HASH_LEN],
			  const uint8_t ntproofstr[NTLM_HASH_LEN],
			  uint8_t out[NTLM_HASH_LEN]);

/**
 * ntlm_lmv2_response - the 24-byte LMv2_RESPONSE (MS-NLMP 3.3.2)
 *
 * HMAC_MD5(ResponseKeyLM, ServerChallenge || ClientChallenge) followed by
 * ClientChallenge. Only sent when the server gave no MsvAvTimestamp.
 * Return: 0, -ENOPKG or -EIO.
 */
int ntlm_lmv2_response(const uint8_t response_key_lm[NTLM_HASH_LEN],
		       const uint8_t server_challenge[NTLM_CHALLENGE_LEN],
		       const uint8_t client_challenge[NTLM_CHALLENGE_LEN],
		       uint8_t out[NTLM_LMV2_RESP_LEN]);

/**
 * ntlm_encrypt_session_key - EncryptedRandomSessionKey (MS-NLMP 3.1.5.1.2)
 *
 * RC4K(KeyExchangeKey, ExportedSessionKey). For NTLMv2 KXKEY() returns the
 * SessionBaseKey unchanged (MS-NLMP 3.4.5.1), so @kxkey is that key.
 * Return: 0, -ENOPKG or -EIO.
 */
int ntlm_encrypt_session_key(const uint8_t kxkey[NTLM_HASH_LEN],
			     const uint8_t exported[NTLM_HASH_LEN],
			     uint8_t out[NTLM_HASH_LEN]);

/**
 * ntlm_mic - the AUTHENTICATE_MESSAGE MIC (MS-NLMP 3.1.5.1.2)
 *
 * HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE),
 * where the AUTHENTICATE bytes must already carry 16 zero bytes in the MIC
 * field: the caller builds the message that way and stores the MIC after.
 * Return: 0, -ENOPKG or -EIO.
 */
int ntlm_mic(const uint8_t exported[NTLM_HASH_LEN], const uint8_t *neg,
	     size_t neg_len, const uint8_t *chal, size_t chal_len,
	     const uint8_t *auth, size_t auth_len, uint8_t out[NTLM_HASH_LEN]);

#endif
