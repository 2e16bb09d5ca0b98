// SPDX-License-Identifier: MIT
/*
 * Signing over header bytes + payload iterator (kernel-iov-iter-design.md
 * §3.8): the MAC is fed the header with its Signature field as zeros, then
 * each contiguous span of the payload through smbiov_iter_hash(). Nothing
 * is flattened and the caller's message is never modified by verification.
 *
 * OpenSSL objects are made once in smb_signer_init() with the key set, and
 * each message only restarts them: EVP_MAC_init() with a NULL key keeps
 * the key, EVP_EncryptInit_ex2() with only an IV keeps the AES schedule.
 */
#include "crypto/sign.h"

#include <smbiov/iter.h>

#include "proto/le.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define GMAC_NONCE_SIZE 12

/**
 * smb_signer_init - set up a signer for one key
 * @s: signer to initialise
 * @alg: SMB2_SIGN_HMAC_SHA256 (2.x: @key is Session.SessionKey, any
 *	length), SMB2_SIGN_AES_CMAC or SMB2_SIGN_AES_GMAC (@key is the
 *	16-byte SigningKey)
 * @key: the key; copied into OpenSSL's state, the caller may wipe its copy
 * @key_len: its length
 *
 * Returns 0, -EINVAL (unknown algorithm, bad key length) or -ENOMEM/-EIO;
 * on error @s needs no release (releasing it is harmless).
 */
int smb_signer_init(struct smb_signer *s, enum smb2_sign_alg alg,
		    const uint8_t *key, size_t key_len)
{
	OSSL_PARAM params[2];
	EVP_CIPHER *gcm;
	EVP_MAC *mac;
	int ok;

	if (!s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	if (!key || !key_len)
		return -EINVAL;
	s->alg = alg;

	switch (alg) {
	case SMB2_SIGN_HMAC_SHA256:
	case SMB2_SIGN_AES_CMAC:
		if (alg == SMB2_SIGN_AES_CMAC && key_len != 16)
			return -EINVAL;
		mac = EVP_MAC_fetch(NULL,
				    alg == SMB2_SIGN_AES_CMAC ? "CMAC" : "HMAC",
				    NULL);
		if (!mac)
			return -EIO;
		s->mac = EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac); /* the context holds its own reference */
		if (!s->mac)
			return -ENOMEM;
		if (alg == SMB2_SIGN_AES_CMAC)
			params[0] = OSSL_PARAM_construct_utf8_string(
				OSSL_MAC_PARAM_CIPHER, (char *)"AES-128-CBC",
				0);
		else
			params[0] = OSSL_PARAM_construct_utf8_string(
				OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
		params[1] = OSSL_PARAM_construct_end();
		ok = EVP_MAC_init(s->mac, key, key_len, params);
		break;
	case SMB2_SIGN_AES_GMAC:
		if (key_len != 16)
			return -EINVAL;
		gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
		if (!gcm)
			return -EIO;
		s->gcm = EVP_CIPHER_CTX_new();
		ok = s->gcm &&
		     EVP_EncryptInit_ex2(s->gcm, gcm, key, NULL, NULL);
		EVP_CIPHER_free(gcm);
		if (!s->gcm)
			return -ENOMEM;
		break;
	default:
		return -EINVAL;
	}
	if (!ok) {
		smb_signer_release(s);
		return -EIO;
	}
	return 0;
}

/**
 * smb_signer_release - free a signer's OpenSSL state
 * @s: signer (may be NULL or already released)
 *
 * OpenSSL wipes the key schedules it holds when they are freed.
 */
void smb_signer_release(struct smb_signer *s)
{
	if (!s)
		return;
	EVP_MAC_CTX_free(s->mac);
	EVP_CIPHER_CTX_free(s->gcm);
	memset(s, 0, sizeof(*s));
}

static int mac_update(void *ctx, const void *data, size_t len)
{
	return EVP_MAC_update(ctx, data, len) ? 0 : -EIO;
}

static int gmac_update(void *ctx, const void *data, size_t len)
{
	int outl;

	/* GMAC: the whole message is AAD; no plaintext. */
	while (len) {
		int n = len > INT32_MAX ? INT32_MAX : (int)len;

		if (!EVP_EncryptUpdate(ctx, NULL, &outl, data, n))
			return -EIO;
		data = (const uint8_t *)data + n;
		len -= (size_t)n;
	}
	return 0;
}

/* Feed header (Signature as zeros) then payload to @update. */
static int feed_message(int (*update)(void *, const void *, size_t), void *ctx,
			const uint8_t *hdr, size_t hdr_len,
			const struct smbiov_iter *payload)
{
	static const uint8_t zero_sig[SMB2_SIGNATURE_SIZE];
	int err;

	err = update(ctx, hdr, SMB2_HDR_SIGNATURE_OFF);
	if (!err)
		err = update(ctx, zero_sig, sizeof(zero_sig));
	if (!err && hdr_len > SMB2_HDR_SIZE)
		err = update(ctx, hdr + SMB2_HDR_SIZE, hdr_len - SMB2_HDR_SIZE);
	if (!err && payload && smbiov_iter_count(payload))
		err = smbiov_iter_hash(payload, smbiov_iter_count(payload),
				       update, ctx);
	return err;
}

/*
 * MS-SMB2 3.1.4.1: the GMAC nonce is MessageId (8 bytes, as in the header)
 * followed by a 32-bit little-endian word whose bit 0 says the sender is the
 * server and bit 1 that the message is an SMB2 CANCEL request.
 */
static void gmac_nonce(const uint8_t *hdr, uint8_t nonce[GMAC_NONCE_SIZE])
{
	uint32_t flags = le32_get(hdr + SMB2_HDR_FLAGS_OFF);
	uint32_t word = 0;

	memcpy(nonce, hdr + 24, 8);
	if (flags & SMB2_FLAGS_SERVER_TO_REDIR)
		word |= 1u;
	if (le16_get(hdr + 12) == SMB2_CANCEL &&
	    !(flags & SMB2_FLAGS_SERVER_TO_REDIR))
		word |= 2u;
	le32_put(nonce + 8, word);
}

/**
 * smb_signer_compute - compute a message's 16-byte signature
 * @s: signer
 * @hdr: the message's first @hdr_len bytes, starting with the SMB2 header;
 *	the Signature field (offset 48) is read as zeros, @hdr is not changed
 * @hdr_len: at least SMB2_HDR_SIZE
 * @payload: the rest of the message (compound padding included), or NULL;
 *	not advanced
 * @sig: receives the signature
 *
 * Returns 0, -EINVAL, -EBADMSG (@hdr_len shorter than an SMB2 header), -EIO
 * or the error of smbiov_iter_hash() (-EFAULT, -ENODATA).
 */
int smb_signer_compute(struct smb_signer *s, const uint8_t *hdr, size_t hdr_len,
		       const struct smbiov_iter *payload,
		       uint8_t sig[SMB2_SIGNATURE_SIZE])
{
	uint8_t out[EVP_MAX_MD_SIZE];
	uint8_t nonce[GMAC_NONCE_SIZE];
	size_t outl = 0;
	int outi = 0;
	int err;

	if (!s || !hdr || !sig || (!s->mac && !s->gcm))
		return -EINVAL;
	if (hdr_len < SMB2_HDR_SIZE)
		return -EBADMSG;

	if (s->alg == SMB2_SIGN_AES_GMAC) {
		gmac_nonce(hdr, nonce);
		if (!EVP_EncryptInit_ex2(s->gcm, NULL, NULL, nonce, NULL))
			return -EIO;
		err = feed_message(gmac_update, s->gcm, hdr, hdr_len, payload);
		if (err)
			return err;
		if (!EVP_EncryptFinal_ex(s->gcm, out, &outi) ||
		    !EVP_CIPHER_CTX_ctrl(s->gcm, EVP_CTRL_AEAD_GET_TAG,
					 SMB2_SIGNATURE_SIZE, sig))
			return -EIO;
		return 0;
	}

	/* A NULL key restarts the MAC with the key it already holds. */
	if (!EVP_MAC_init(s->mac, NULL, 0, NULL))
		return -EIO;
	err = feed_message(mac_update, s->mac, hdr, hdr_len, payload);
	if (err)
		return err;
	if (!EVP_MAC_final(s->mac, out, &outl, sizeof(out)) ||
	    outl < SMB2_SIGNATURE_SIZE) {
		OPENSSL_cleanse(out, sizeof(out));
		return -EIO;
	}
	/* HMAC-SHA256 is truncated to its first 16 bytes. */
	memcpy(sig, out, SMB2_SIGNATURE_SIZE);
	OPENSSL_cleanse(out, sizeof(out));
	return 0;
}

/**
 * smb_signer_mac - raw HMAC-SHA256 (first 16 bytes) or AES-CMAC of bytes
 * @s: an HMAC or CMAC signer (-EINVAL for GMAC, whose nonce comes from an
 *	SMB2 header)
 * @head: first bytes, or NULL
 * @head_len: their length
 * @data: the rest, or NULL; not advanced
 * @mac: receives the MAC
 *
 * The same MAC as smb_signer_compute() without SMB2 framing (no Signature
 * field is zeroed): for known-answer tests against RFC 4493 and RFC 4231.
 * Returns 0, -EINVAL, -EIO or the error of smbiov_iter_hash().
 */
int smb_signer_mac(struct smb_signer *s, const void *head, size_t head_len,
		   const struct smbiov_iter *data,
		   uint8_t mac[SMB2_SIGNATURE_SIZE])
{
	uint8_t out[EVP_MAX_MD_SIZE];
	size_t outl = 0;
	int err = 0;

	if (!s || !s->mac || !mac || (!head && head_len))
		return -EINVAL;
	if (!EVP_MAC_init(s->mac, NULL, 0, NULL))
		return -EIO;
	if (head_len)
		err = mac_update(s->mac, head, head_len);
	if (!err && data && smbiov_iter_count(data))
		err = smbiov_iter_hash(data, smbiov_iter_count(data),
				       mac_update, s->mac);
	if (err)
		return err;
	if (!EVP_MAC_final(s->mac, out, &outl, sizeof(out)) ||
	    outl < SMB2_SIGNATURE_SIZE)
		return -EIO;
	memcpy(mac, out, SMB2_SIGNATURE_SIZE);
	OPENSSL_cleanse(out, sizeof(out));
	return 0;
}

/**
 * smb_signer_sign - sign an outgoing message
 * @s: signer
 * @hdr: header bytes (library memory); the signature is written at offset 48
 * @hdr_len: at least SMB2_HDR_SIZE
 * @payload: rest of the message or NULL; not advanced
 *
 * The caller sets SMB2_FLAGS_SIGNED in the header beforehand. Returns as
 * smb_signer_compute(); on error @hdr is unchanged.
 */
int smb_signer_sign(struct smb_signer *s, uint8_t *hdr, size_t hdr_len,
		    const struct smbiov_iter *payload)
{
	uint8_t sig[SMB2_SIGNATURE_SIZE];
	int err;

	err = smb_signer_compute(s, hdr, hdr_len, payload, sig);
	if (err)
		return err;
	memcpy(hdr + SMB2_HDR_SIGNATURE_OFF, sig, sizeof(sig));
	return 0;
}

/**
 * smb_signer_verify - check an incoming message's signature
 * @s: signer
 * @hdr: header bytes as received (Signature field included); not modified
 * @hdr_len: at least SMB2_HDR_SIZE
 * @payload: rest of the message or NULL; not advanced
 *
 * Compares in constant time. Returns 0 when the signature matches,
 * -EKEYREJECTED when it does not, or an error of smb_signer_compute().
 * Until this returns 0 the payload's bytes must not be trusted.
 */
int smb_signer_verify(struct smb_signer *s, const uint8_t *hdr, size_t hdr_len,
		      const struct smbiov_iter *payload)
{
	uint8_t sig[SMB2_SIGNATURE_SIZE];
	int err;

	err = smb_signer_compute(s, hdr, hdr_len, payload, sig);
	if (err)
		return err;
	if (CRYPTO_memcmp(sig, hdr + SMB2_HDR_SIGNATURE_OFF, sizeof(sig)))
		return -EKEYREJECTED;
	return 0;
}
