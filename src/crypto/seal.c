// SPDX-License-Identifier: MIT
/*
 * SMB 3.x encryption over iterators (MS-SMB2 3.1.4.3; design notes in
 * kernel-iov-iter-design.md §3.9).
 *
 * The message is header bytes in library memory (always transformed in
 * place) plus a payload iterator. The AEAD itself — GCM span by span over
 * a scatterlist, CCM through one wiped bounce buffer — is smb_aead_run()
 * in aead.c; this file adds what SMB puts around it: the TRANSFORM_HEADER
 * (its Nonce..SessionId bytes are the AAD, its Signature the 16-byte tag),
 * the session's keys and nonce generator, and the ownership rules below.
 *
 * Plaintext ownership: encryption never writes the caller's plaintext
 * unless the caller asked for in place (@out NULL) on memory the library
 * owns. Decryption with GCM writes plaintext before the tag is known; on a
 * tag mismatch everything written is zeroed before the error returns.
 */
#include "crypto/seal.h"

#include "crypto/aead.h"

#include <smbiov/iter.h>

#include "proto/le.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SEAL_TAG_SIZE 16

/* ---- TRANSFORM_HEADER (MS-SMB2 2.2.41) ---------------------------------- */

/**
 * smb2_transform_hdr_encode - write a TRANSFORM_HEADER
 * @th: fields to write (Reserved is written as zero)
 * @out: receives SMB2_TRANSFORM_HEADER_SIZE bytes
 */
void smb2_transform_hdr_encode(const struct smb2_transform_hdr *th,
			       uint8_t out[SMB2_TRANSFORM_HEADER_SIZE])
{
	le32_put(out, SMB2_TRANSFORM_PROTO_ID);
	memcpy(out + 4, th->signature, SMB2_TRANSFORM_SIG_SIZE);
	memcpy(out + 20, th->nonce, SMB2_TRANSFORM_NONCE_SIZE);
	le32_put(out + 36, th->original_size);
	le16_put(out + 40, 0);
	le16_put(out + 42, th->flags);
	le64_put(out + 44, th->session_id);
}

/**
 * smb2_transform_hdr_decode - parse and check a received TRANSFORM_HEADER
 * @buf: the frame; its first SMB2_TRANSFORM_HEADER_SIZE bytes are read
 *	(only if @frame_len is at least that)
 * @frame_len: bytes in the whole frame (transform header + encrypted
 *	message), as framed by the transport
 * @session_id: the session the caller expects the frame to belong to
 * @th: receives the fields
 *
 * Checks ProtocolId, Flags (exactly SMB2_TRANSFORM_FLAG_ENCRYPTED: no
 * unknown flags), that OriginalMessageSize equals the bytes that follow the
 * header and can hold an SMB2 header, and SessionId. Reserved is ignored
 * as MS-SMB2 2.2.41 requires (it is covered by the AAD anyway). Returns 0
 * or -EBADMSG (-EINVAL for NULL pointers).
 */
int smb2_transform_hdr_decode(const uint8_t *buf, size_t frame_len,
			      uint64_t session_id,
			      struct smb2_transform_hdr *th)
{
	if (!buf || !th)
		return -EINVAL;
	if (frame_len < SMB2_TRANSFORM_HEADER_SIZE)
		return -EBADMSG;
	if (le32_get(buf) != SMB2_TRANSFORM_PROTO_ID)
		return -EBADMSG;
	memcpy(th->signature, buf + 4, SMB2_TRANSFORM_SIG_SIZE);
	memcpy(th->nonce, buf + 20, SMB2_TRANSFORM_NONCE_SIZE);
	th->original_size = le32_get(buf + 36);
	th->flags = le16_get(buf + 42);
	th->session_id = le64_get(buf + 44);

	if (th->flags != SMB2_TRANSFORM_FLAG_ENCRYPTED)
		return -EBADMSG;
	if (th->original_size < SMB2_TRANSFORM_MIN_MESSAGE ||
	    (uint64_t)th->original_size !=
		    (uint64_t)(frame_len - SMB2_TRANSFORM_HEADER_SIZE))
		return -EBADMSG;
	if (th->session_id != session_id)
		return -EBADMSG;
	return 0;
}

/* ---- ciphers --------------------------------------------------------------
 */

/**
 * smb2_cipher_is_gcm - whether @cipher is a GCM cipher
 * @cipher: a cipher id
 */
bool smb2_cipher_is_gcm(enum smb2_cipher cipher)
{
	return cipher == SMB2_CIPHER_AES128_GCM ||
	       cipher == SMB2_CIPHER_AES256_GCM;
}

/**
 * smb2_cipher_key_len - key bytes @cipher needs
 * @cipher: a cipher id
 *
 * Returns 16 or 32, or 0 for an unknown id.
 */
size_t smb2_cipher_key_len(enum smb2_cipher cipher)
{
	switch (cipher) {
	case SMB2_CIPHER_AES128_CCM:
	case SMB2_CIPHER_AES128_GCM:
		return 16;
	case SMB2_CIPHER_AES256_CCM:
	case SMB2_CIPHER_AES256_GCM:
		return 32;
	}
	return 0;
}

/**
 * smb_sealer_init - set up a session's encryption state
 * @s: sealer to initialise
 * @cipher: Connection.CipherId (AES-128-CCM for 3.0/3.0.2)
 * @session_id: the session's SessionId, written into and checked against
 *	every transform header
 * @enc_key: Session.EncryptionKey (client-to-server)
 * @dec_key: Session.DecryptionKey (server-to-client)
 * @key_len: smb2_cipher_key_len(@cipher)
 *
 * The keys are copied into OpenSSL's contexts; the caller may wipe its
 * copies. The nonce prefix is drawn from RAND_bytes(). Returns 0, -EINVAL,
 * -ENOMEM or -EIO; on error @s needs no release (releasing is harmless).
 */
int smb_sealer_init(struct smb_sealer *s, enum smb2_cipher cipher,
		    uint64_t session_id, const uint8_t *enc_key,
		    const uint8_t *dec_key, size_t key_len)
{
	bool gcm;

	if (!s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	if (!smb2_cipher_key_len(cipher) || !enc_key || !dec_key ||
	    key_len != smb2_cipher_key_len(cipher))
		return -EINVAL;
	gcm = smb2_cipher_is_gcm(cipher);
	s->cipher = cipher;
	s->session_id = session_id;
	s->nonce_len = gcm ? 12 : 11;

	if (RAND_bytes(s->prefix, sizeof(s->prefix)) != 1)
		return -EIO;
	s->enc = smb_aead_ctx_new(gcm, enc_key, key_len, s->nonce_len,
				  SEAL_TAG_SIZE, true);
	s->dec = smb_aead_ctx_new(gcm, dec_key, key_len, s->nonce_len,
				  SEAL_TAG_SIZE, false);
	if (!s->enc || !s->dec) {
		smb_sealer_release(s);
		return -EIO;
	}
	return 0;
}

/**
 * smb_sealer_release - free a sealer's OpenSSL state and wipe it
 * @s: sealer (may be NULL or already released)
 *
 * OpenSSL wipes the key schedules when the contexts are freed.
 */
void smb_sealer_release(struct smb_sealer *s)
{
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->enc);
	EVP_CIPHER_CTX_free(s->dec);
	OPENSSL_cleanse(s, sizeof(*s));
}

/* Arguments shared by encrypt and decrypt. */
static int seal_check_args(const struct smb_sealer *s, const uint8_t *th,
			   const uint8_t *msg, size_t msg_len,
			   const struct smbiov_iter *payload,
			   const struct smbiov_iter *out, size_t *plen)
{
	if (!s || !s->enc || !s->dec || !th || (!msg && msg_len))
		return -EINVAL;
	*plen = payload ? smbiov_iter_count(payload) : 0;
	if (out && smbiov_iter_count(out) < *plen)
		return -EINVAL;
	if (out && smbiov_iter_is_source(out))
		return -EINVAL;
	if ((uint64_t)msg_len + *plen > UINT32_MAX)
		return -EMSGSIZE;
	return 0;
}

/**
 * smb_seal_encrypt_with_nonce - encrypt with a caller-chosen nonce
 * @s: sealer
 * @nonce: the 16-byte Nonce field (first 11 or 12 bytes used; the rest
 *	must be zero)
 * @th: receives the complete transform header
 * @msg: first bytes of the SMB2 message (library memory), encrypted in place
 * @msg_len: their length
 * @payload: plaintext rest of the message, or NULL; never advanced, and
 *	never written unless @out is NULL
 * @out: destination iterator for the payload's ciphertext (advanced by
 *	its length on success), or NULL to encrypt the payload in place —
 *	allowed only when the payload is library memory that may be
 *	scribbled (KVEC, BVEC, BVECQ): -EINVAL for caller memory (UBUF,
 *	IOVEC) and for the page cache (XARRAY)
 *
 * For known-answer tests and fuzzing only: reusing a nonce under one key
 * destroys GCM's and CCM's security. Protocol code uses smb_seal_encrypt().
 * Returns 0 or a negative errno (see seal.h); on error @th, @msg and the
 * destination's contents are unspecified.
 */
int smb_seal_encrypt_with_nonce(struct smb_sealer *s,
				const uint8_t nonce[SMB2_TRANSFORM_NONCE_SIZE],
				uint8_t th[SMB2_TRANSFORM_HEADER_SIZE],
				uint8_t *msg, size_t msg_len,
				const struct smbiov_iter *payload,
				struct smbiov_iter *out)
{
	struct smb2_transform_hdr h = {0};
	struct smb_aead_op op = {0};
	uint8_t tag[SEAL_TAG_SIZE];
	size_t plen;
	int err;

	err = seal_check_args(s, th, msg, msg_len, payload, out, &plen);
	if (err)
		return err;
	if (!nonce)
		return -EINVAL;
	if (!out && plen &&
	    (smbiov_iter_user_backed(payload) ||
	     payload->type == SMBIOV_ITER_XARRAY))
		return -EINVAL;

	memcpy(h.nonce, nonce, sizeof(h.nonce));
	h.original_size = (uint32_t)(msg_len + plen);
	h.flags = SMB2_TRANSFORM_FLAG_ENCRYPTED;
	h.session_id = s->session_id;
	smb2_transform_hdr_encode(&h, th);

	op.gcm = smb2_cipher_is_gcm(s->cipher);
	op.enc = true;
	op.nonce = nonce;
	op.nonce_len = s->nonce_len;
	op.aad = th + SMB2_TRANSFORM_AAD_OFFSET;
	op.aad_len = SMB2_TRANSFORM_AAD_SIZE;
	op.tag = tag;
	op.tag_len = SEAL_TAG_SIZE;
	op.msg = msg;
	op.msg_len = msg_len;
	op.payload = plen ? payload : NULL;
	op.out = plen ? out : NULL;
	err = smb_aead_run(s->enc, &op);
	if (err)
		return err;
	memcpy(th + 4, tag, SEAL_TAG_SIZE);
	if (out)
		smbiov_iter_advance(out, plen);
	return 0;
}

/**
 * smb_seal_encrypt - encrypt one SMB2 message under a fresh nonce
 * @s: sealer
 * @th: receives the transform header to send first
 * @msg: first bytes of the SMB2 message (library memory), encrypted in place
 * @msg_len: their length
 * @payload: plaintext rest of the message, or NULL (see
 *	smb_seal_encrypt_with_nonce() for @out and in-place rules)
 * @out: destination for the payload's ciphertext, or NULL for in place
 *
 * The nonce is the session's random prefix followed by the next value of
 * its 64-bit counter (little-endian); the counter advances even when the
 * operation then fails, so no nonce is ever used twice. Returns 0,
 * -EOVERFLOW once the counter is exhausted (the session must be
 * re-established), or an error of smb_seal_encrypt_with_nonce().
 */
int smb_seal_encrypt(struct smb_sealer *s,
		     uint8_t th[SMB2_TRANSFORM_HEADER_SIZE], uint8_t *msg,
		     size_t msg_len, const struct smbiov_iter *payload,
		     struct smbiov_iter *out)
{
	uint8_t nonce[SMB2_TRANSFORM_NONCE_SIZE] = {0};
	size_t plen, pfx;
	int err;

	err = seal_check_args(s, th, msg, msg_len, payload, out, &plen);
	if (err)
		return err;
	if (s->counter == UINT64_MAX)
		return -EOVERFLOW;
	pfx = s->nonce_len - 8;
	memcpy(nonce, s->prefix, pfx);
	le64_put(nonce + pfx, s->counter);
	s->counter++;
	return smb_seal_encrypt_with_nonce(s, nonce, th, msg, msg_len, payload,
					   out);
}

/*
 * A received transform header for a message of @msg_len bytes: its fields
 * (smb2_transform_hdr_decode()) and the nonce's unused bytes, which must
 * be zero.
 */
static int unseal_hdr(const struct smb_sealer *s,
		      const uint8_t th[SMB2_TRANSFORM_HEADER_SIZE],
		      size_t msg_len, struct smb2_transform_hdr *h)
{
	int err;

	err = smb2_transform_hdr_decode(
		th, SMB2_TRANSFORM_HEADER_SIZE + msg_len, s->session_id, h);
	if (err)
		return err;
	for (size_t k = s->nonce_len; k < SMB2_TRANSFORM_NONCE_SIZE; k++)
		if (h->nonce[k])
			return -EBADMSG;
	return 0;
}

/**
 * smb_seal_decrypt - check and decrypt one transformed message
 * @s: sealer
 * @th: the received transform header (raw bytes)
 * @msg: first bytes of the encrypted message (library memory), decrypted
 *	in place
 * @msg_len: their length
 * @payload: the rest of the ciphertext, or NULL; not advanced
 * @out: destination for the payload's plaintext (advanced on success), or
 *	NULL to decrypt the payload in place (its memory is overwritten)
 *
 * The header is validated with smb2_transform_hdr_decode() against the
 * sealer's SessionId and a frame of 52 + @msg_len + count(@payload) bytes,
 * and the nonce's unused bytes must be zero. The plaintext may be trusted
 * only when this returns 0. Returns 0, -EBADMSG (malformed header),
 * -EKEYREJECTED (tag mismatch: every plaintext byte written, in @msg, the
 * payload or @out, has been zeroed), or another negative errno.
 */
int smb_seal_decrypt(struct smb_sealer *s,
		     const uint8_t th[SMB2_TRANSFORM_HEADER_SIZE], uint8_t *msg,
		     size_t msg_len, const struct smbiov_iter *payload,
		     struct smbiov_iter *out)
{
	struct smb2_transform_hdr h;
	struct smb_aead_op op = {0};
	size_t plen;
	int err;

	err = seal_check_args(s, th, msg, msg_len, payload, out, &plen);
	if (err)
		return err;
	err = unseal_hdr(s, th, msg_len + plen, &h);
	if (err)
		return err;

	op.gcm = smb2_cipher_is_gcm(s->cipher);
	op.enc = false;
	op.nonce = h.nonce;
	op.nonce_len = s->nonce_len;
	op.aad = th + SMB2_TRANSFORM_AAD_OFFSET;
	op.aad_len = SMB2_TRANSFORM_AAD_SIZE;
	op.tag = h.signature;
	op.tag_len = SEAL_TAG_SIZE;
	op.msg = msg;
	op.msg_len = msg_len;
	op.payload = plen ? payload : NULL;
	op.out = plen ? out : NULL;
	/* On failure smb_aead_run() has zeroed any GCM plaintext written. */
	err = smb_aead_run(s->dec, &op);
	if (err)
		return err;
	if (out)
		smbiov_iter_advance(out, plen);
	return 0;
}

/* ---- streaming decryption (seal.h) ----------------------------------------
 */
int smb_unseal_begin(struct smb_unseal *u, struct smb_sealer *s,
		     const uint8_t th[SMB2_TRANSFORM_HEADER_SIZE],
		     size_t msg_len)
{
	struct smb2_transform_hdr h;
	int err;

	if (!u || !s || !s->dec || !th)
		return -EINVAL;
	if (!smb2_cipher_is_gcm(s->cipher))
		return -EOPNOTSUPP;
	if (msg_len > UINT32_MAX)
		return -EMSGSIZE;
	err = unseal_hdr(s, th, msg_len, &h);
	if (err)
		return err;
	err = smb_aead_gcm_dec_begin(s->dec, h.nonce, s->nonce_len,
				     th + SMB2_TRANSFORM_AAD_OFFSET,
				     SMB2_TRANSFORM_AAD_SIZE);
	if (err)
		return err;
	u->s = s;
	u->left = msg_len;
	memcpy(u->tag, h.signature, sizeof(u->tag));
	return 0;
}

int smb_unseal_update(struct smb_unseal *u, uint8_t *buf, size_t len)
{
	int err;

	if (len > u->left)
		return -EMSGSIZE;
	err = smb_aead_gcm_dec_update(u->s->dec, buf, len);
	if (!err)
		u->left -= len;
	return err;
}

int smb_unseal_update_iter(struct smb_unseal *u, const struct smbiov_iter *it,
			   size_t len)
{
	int err;

	if (len > u->left)
		return -EMSGSIZE;
	err = smb_aead_gcm_dec_update_iter(u->s->dec, it, len);
	if (!err)
		u->left -= len;
	return err;
}

int smb_unseal_final(struct smb_unseal *u)
{
	if (u->left)
		return -EBADMSG;
	return smb_aead_gcm_dec_final(u->s->dec, u->tag, SEAL_TAG_SIZE);
}
