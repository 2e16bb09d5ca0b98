/* SPDX-License-Identifier: MIT */
/*
 * SMB 3.x encryption (MS-SMB2 2.2.41, 3.1.4.3, 3.2.5.1.1): the 52-byte
 * TRANSFORM_HEADER and AES-128/256-CCM/GCM over a message given as header
 * bytes (library memory, transformed in place) plus a payload iterator
 * walked through a scatterlist (kernel-iov-iter-design.md §3.9).
 *
 * Errors: -EINVAL (bad arguments or use), -EBADMSG (malformed transform
 * header or frame), -EKEYREJECTED (authentication tag mismatch),
 * -EOVERFLOW (the session's nonces are used up), -EMSGSIZE (message too
 * large for one AEAD call), -ENOMEM, -EIO (OpenSSL failure), or an error
 * of the iterator layer (-EFAULT for DISCARD).
 */
#ifndef SMBIOV_CRYPTO_SEAL_H
#define SMBIOV_CRYPTO_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/smb2.h" /* transform ProtocolId, cipher ids */

struct smbiov_iter;
struct evp_cipher_ctx_st;

#define SMB2_TRANSFORM_HEADER_SIZE 52
#define SMB2_TRANSFORM_AAD_OFFSET  20 /* AAD: Nonce .. SessionId */
#define SMB2_TRANSFORM_AAD_SIZE	   32
#define SMB2_TRANSFORM_NONCE_SIZE  16
#define SMB2_TRANSFORM_SIG_SIZE	   16
/* 3.1.1 Flags "Encrypted"; also the 3.0 EncryptionAlgorithm AES-128-CCM. */
#define SMB2_TRANSFORM_FLAG_ENCRYPTED 0x0001
#define SMB2_TRANSFORM_MIN_MESSAGE    64 /* an SMB2 header at least */

/* Cipher ids (MS-SMB2 2.2.3.1.2), typed. 3.0/3.0.2 use AES-128-CCM. */
enum smb2_cipher {
	SMB2_CIPHER_AES128_CCM = SMB2_ENCRYPTION_AES128_CCM,
	SMB2_CIPHER_AES128_GCM = SMB2_ENCRYPTION_AES128_GCM,
	SMB2_CIPHER_AES256_CCM = SMB2_ENCRYPTION_AES256_CCM,
	SMB2_CIPHER_AES256_GCM = SMB2_ENCRYPTION_AES256_GCM,
};

/* A decoded TRANSFORM_HEADER (Reserved is ignored on receipt). */
struct smb2_transform_hdr {
	uint8_t signature[SMB2_TRANSFORM_SIG_SIZE];
	uint8_t nonce[SMB2_TRANSFORM_NONCE_SIZE];
	uint32_t original_size;
	uint16_t flags;
	uint64_t session_id;
};

void smb2_transform_hdr_encode(const struct smb2_transform_hdr *th,
			       uint8_t out[SMB2_TRANSFORM_HEADER_SIZE]);
int smb2_transform_hdr_decode(const uint8_t *buf, size_t frame_len,
			      uint64_t session_id,
			      struct smb2_transform_hdr *th);

/*
 * Per-session encryption state: the cipher, both directions' keys (held
 * only inside OpenSSL contexts made once here) and the nonce generator.
 * Nonces are a random per-session prefix followed by a 64-bit counter;
 * encryption is refused once the counter would wrap. Not thread-safe:
 * serialise use of one sealer. Release with smb_sealer_release().
 */
struct smb_sealer {
	enum smb2_cipher cipher;
	uint64_t session_id;
	size_t nonce_len;	       /* 11 (CCM) or 12 (GCM) */
	struct evp_cipher_ctx_st *enc; /* EncryptionKey (client-to-server) */
	struct evp_cipher_ctx_st *dec; /* DecryptionKey (server-to-client) */
	uint8_t prefix[4];	       /* random; nonce_len - 8 bytes used */
	uint64_t counter; /* next nonce; UINT64_MAX is never used */
};

bool smb2_cipher_is_gcm(enum smb2_cipher cipher);
size_t smb2_cipher_key_len(enum smb2_cipher cipher);

int smb_sealer_init(struct smb_sealer *s, enum smb2_cipher cipher,
		    uint64_t session_id, const uint8_t *enc_key,
		    const uint8_t *dec_key, size_t key_len);
void smb_sealer_release(struct smb_sealer *s);

int smb_seal_encrypt(struct smb_sealer *s,
		     uint8_t th[SMB2_TRANSFORM_HEADER_SIZE], uint8_t *msg,
		     size_t msg_len, const struct smbiov_iter *payload,
		     struct smbiov_iter *out);
int smb_seal_encrypt_with_nonce(struct smb_sealer *s,
				const uint8_t nonce[SMB2_TRANSFORM_NONCE_SIZE],
				uint8_t th[SMB2_TRANSFORM_HEADER_SIZE],
				uint8_t *msg, size_t msg_len,
				const struct smbiov_iter *payload,
				struct smbiov_iter *out);
int smb_seal_decrypt(struct smb_sealer *s,
		     const uint8_t th[SMB2_TRANSFORM_HEADER_SIZE], uint8_t *msg,
		     size_t msg_len, const struct smbiov_iter *payload,
		     struct smbiov_iter *out);

/*
 * Streaming decryption of one sealed message (GCM ciphers only): begin
 * with the transform header, feed the ciphertext in order as it arrives
 * (each piece is decrypted in place: library memory or the caller's
 * iterator), then final checks the tag over everything fed. Nothing fed
 * may be trusted before final returned 0; on any failure the caller zeroes
 * what it fed (smb_aead_zero_iter() for iterator memory). Lets the
 * receiver put READ data straight into the caller's memory and decrypt it
 * there while it is still in cache (DESIGN.md §3 Encryption).
 */
struct smb_unseal {
	struct smb_sealer *s;
	size_t left; /* ciphertext bytes still to feed */
	uint8_t tag[SMB2_TRANSFORM_SIG_SIZE];
};

/*
 * Validate @th (as smb_seal_decrypt() does) for a message of @msg_len
 * bytes and start. Returns 0, -EOPNOTSUPP (a CCM sealer: use
 * smb_seal_decrypt()), -EBADMSG (malformed header) or another negative
 * errno.
 */
int smb_unseal_begin(struct smb_unseal *u, struct smb_sealer *s,
		     const uint8_t th[SMB2_TRANSFORM_HEADER_SIZE],
		     size_t msg_len);
/* The next @len ciphertext bytes, in place. -EMSGSIZE past the message. */
int smb_unseal_update(struct smb_unseal *u, uint8_t *buf, size_t len);
/* The next @len bytes, in place in @it's memory (@it not advanced). */
int smb_unseal_update_iter(struct smb_unseal *u, const struct smbiov_iter *it,
			   size_t len);
/*
 * Every byte fed: check the tag. Returns 0, -EKEYREJECTED (mismatch),
 * -EBADMSG (not all of the message was fed).
 */
int smb_unseal_final(struct smb_unseal *u);

#endif
