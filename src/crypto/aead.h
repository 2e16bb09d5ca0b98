/* SPDX-License-Identifier: MIT */
/*
 * AES-GCM / AES-CCM over a message given as flat leading bytes plus an
 * iterator walked through a scatterlist of spans (kernel-iov-iter-design.md
 * §3.9). This is the core that smb_seal_encrypt()/smb_seal_decrypt() run
 * with the TRANSFORM_HEADER as AAD; it takes any key, nonce, AAD and tag
 * length, so published AEAD vectors can be fed through the same walker.
 *
 * Errors: -EINVAL (bad arguments), -EKEYREJECTED (authentication tag
 * mismatch), -EMSGSIZE (too large for one AEAD call), -ENOMEM, -EIO
 * (OpenSSL failure), or an error of the iterator layer (-EFAULT for
 * DISCARD).
 */
#ifndef SMBIOV_CRYPTO_AEAD_H
#define SMBIOV_CRYPTO_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct smbiov_iter;
struct evp_cipher_ctx_st;

#define SMB_AEAD_TAG_MAX 16
/* CCM nonces are 15 - L bytes with 2 <= L <= 8 (SP 800-38C A.1). */
#define SMB_AEAD_CCM_NONCE_MIN 7
#define SMB_AEAD_CCM_NONCE_MAX 13
#define SMB_AEAD_GCM_NONCE_MAX 128 /* GHASH takes any length; bound it */

/**
 * struct smb_aead_op - one AEAD operation
 * @gcm: GCM if true, CCM if false
 * @enc: encrypt if true, decrypt (and verify) if false
 * @nonce: @nonce_len bytes (GCM: 1..SMB_AEAD_GCM_NONCE_MAX; CCM:
 *	SMB_AEAD_CCM_NONCE_MIN..SMB_AEAD_CCM_NONCE_MAX)
 * @nonce_len: see @nonce
 * @aad: additional authenticated data, or NULL when @aad_len is 0
 * @aad_len: its length
 * @tag: encrypt: receives @tag_len bytes; decrypt: the tag to check
 * @tag_len: GCM 4, 8 or 12..16; CCM 4..16 and even
 * @msg: flat leading bytes of the text, transformed in place; may be NULL
 *	when @msg_len is 0
 * @msg_len: their length
 * @payload: the rest of the text, or NULL; never advanced
 * @out: destination for the transformed payload (must be a DEST iterator
 *	with at least count(@payload) bytes; not advanced), or NULL to
 *	transform the payload in place
 *
 * The text is @msg followed by the payload's bytes.
 */
struct smb_aead_op {
	bool gcm;
	bool enc;
	const uint8_t *nonce;
	size_t nonce_len;
	const uint8_t *aad;
	size_t aad_len;
	uint8_t *tag;
	size_t tag_len;
	uint8_t *msg;
	size_t msg_len;
	const struct smbiov_iter *payload;
	struct smbiov_iter *out;
};

/**
 * smb_aead_ctx_new - make a keyed OpenSSL context for smb_aead_run()
 * @gcm: GCM or CCM
 * @key: AES key
 * @key_len: 16, 24 or 32
 * @nonce_len: the nonce length every operation on the context will use
 * @tag_len: the tag length every operation will use (fixed here for CCM,
 *	whose tag length is an input of the algorithm)
 * @enc: direction
 *
 * The key is copied into the context; the caller may wipe its copy.
 * Return: the context (free with EVP_CIPHER_CTX_free(), which wipes the
 * key schedule), or NULL on bad arguments or an OpenSSL failure.
 */
struct evp_cipher_ctx_st *smb_aead_ctx_new(bool gcm, const uint8_t *key,
					   size_t key_len, size_t nonce_len,
					   size_t tag_len, bool enc);

/**
 * smb_aead_run - run one AEAD operation on a context keyed once
 * @ctx: from smb_aead_ctx_new() with @op's mode, direction, nonce length
 *	and tag length; only the nonce is set per call
 * @op: the operation
 *
 * GCM feeds the text span by span straight from the source spans to the
 * destination spans. CCM (which OpenSSL takes in one update only) gathers
 * the text into a library-owned bounce buffer, wiped before it is freed.
 *
 * Decryption writes nothing the caller can trust before the tag is
 * checked; on -EKEYREJECTED (or any other error during GCM decryption)
 * every text byte written — in @msg, the payload or @out — has been
 * zeroed. CCM decryption writes nothing at all unless the tag matches.
 * Return: 0 or a negative errno (see the file comment).
 */
int smb_aead_run(struct evp_cipher_ctx_st *ctx, const struct smb_aead_op *op);

/**
 * smb_aead_crypt - one AEAD operation with a caller-supplied key
 * @key: AES key
 * @key_len: 16, 24 or 32
 * @op: the operation
 *
 * smb_aead_ctx_new() + smb_aead_run() + free, for known-answer tests and
 * one-off uses. Return: as smb_aead_run().
 */
int smb_aead_crypt(const uint8_t *key, size_t key_len,
		   const struct smb_aead_op *op);

/* ---- streaming GCM decryption ----------------------------------------------
 * For a sealed message whose ciphertext arrives from the socket piece by
 * piece: each piece is decrypted in place as soon as it has landed (in
 * library memory or straight in the caller's iterator), while it is still
 * in cache, instead of buffering the whole message first. GCM only: CCM
 * needs the whole text in one update (see smb_aead_run()).
 *
 * Nothing decrypted may be trusted before smb_aead_gcm_dec_final()
 * returned 0; on failure the caller zeroes what it decrypted
 * (smb_aead_zero_iter() for iterator memory).
 */

/**
 * smb_aead_gcm_dec_begin - start decrypting one message
 * @ctx: a GCM decryption context from smb_aead_ctx_new()
 * @nonce: the message's nonce, @nonce_len bytes (the context's length)
 * @nonce_len: nonce length
 * @aad: additional authenticated data
 * @aad_len: its length
 * Return: 0 or a negative errno (-EINVAL: @ctx is not a GCM decryption
 * context of that nonce length).
 */
int smb_aead_gcm_dec_begin(struct evp_cipher_ctx_st *ctx, const uint8_t *nonce,
			   size_t nonce_len, const uint8_t *aad,
			   size_t aad_len);

/* Decrypt the next @len bytes of the text in place at @buf. */
int smb_aead_gcm_dec_update(struct evp_cipher_ctx_st *ctx, uint8_t *buf,
			    size_t len);

/*
 * Decrypt the next @len bytes of the text in place in the memory of @it
 * (its first @len bytes; @it is not advanced). Any iterator type.
 */
int smb_aead_gcm_dec_update_iter(struct evp_cipher_ctx_st *ctx,
				 const struct smbiov_iter *it, size_t len);

/**
 * smb_aead_gcm_dec_final - check the tag of the text fed since begin
 * @ctx: context
 * @tag: expected tag
 * @tag_len: its length (a GCM tag length: 4, 8, 12..16)
 * Return: 0 when it matches, -EKEYREJECTED when not, another negative
 * errno on bad arguments.
 */
int smb_aead_gcm_dec_final(struct evp_cipher_ctx_st *ctx, const uint8_t *tag,
			   size_t tag_len);

/* Zero the first @len bytes of @it's memory (unauthenticated plaintext). */
void smb_aead_zero_iter(const struct smbiov_iter *it, size_t len);

#endif
