/* SPDX-License-Identifier: MIT */
/*
 * SMB2/3 message signing (MS-SMB2 3.1.4.1, 3.1.5.1): HMAC-SHA256 truncated
 * to 16 bytes (2.0.2, 2.1), AES-128-CMAC (3.0, 3.0.2, and 3.1.1 unless
 * another algorithm was negotiated) and AES-128-GMAC (3.1.1 when the
 * SMB2_SIGNING_CAPABILITIES context selected it).
 *
 * A message is given as its first bytes (the SMB2 header, which must be
 * complete: at least 64 bytes) plus an optional payload iterator that is
 * hashed span by span. The 16-byte Signature field at header offset 48 is
 * always treated as zero, so verification does not modify the message.
 *
 * Errors: -EINVAL (bad arguments), -EBADMSG (malformed message),
 * -EKEYREJECTED (the signature does not match), -EIO (OpenSSL failure).
 */
#ifndef SMBIOV_CRYPTO_SIGN_H
#define SMBIOV_CRYPTO_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "proto/smb2.h" /* header layout, algorithm ids */

struct smbiov_iter;
struct evp_mac_ctx_st;
struct evp_cipher_ctx_st;

/* SigningAlgorithmId values (MS-SMB2 2.2.3.1.7), typed. */
enum smb2_sign_alg {
	SMB2_SIGN_HMAC_SHA256 = SMB2_SIGNING_HMAC_SHA256,
	SMB2_SIGN_AES_CMAC = SMB2_SIGNING_AES_CMAC,
	SMB2_SIGN_AES_GMAC = SMB2_SIGNING_AES_GMAC,
};

/*
 * One signing key with its OpenSSL state, created once (per session or
 * channel) and reused for every message. Not thread-safe: serialise use
 * of one signer. Release with smb_signer_release().
 */
struct smb_signer {
	enum smb2_sign_alg alg;
	struct evp_mac_ctx_st *mac;    /* HMAC, CMAC */
	struct evp_cipher_ctx_st *gcm; /* GMAC */
};

int smb_signer_init(struct smb_signer *s, enum smb2_sign_alg alg,
		    const uint8_t *key, size_t key_len);
void smb_signer_release(struct smb_signer *s);

int smb_signer_compute(struct smb_signer *s, const uint8_t *hdr, size_t hdr_len,
		       const struct smbiov_iter *payload,
		       uint8_t sig[SMB2_SIGNATURE_SIZE]);
int smb_signer_sign(struct smb_signer *s, uint8_t *hdr, size_t hdr_len,
		    const struct smbiov_iter *payload);
int smb_signer_verify(struct smb_signer *s, const uint8_t *hdr, size_t hdr_len,
		      const struct smbiov_iter *payload);
int smb_signer_mac(struct smb_signer *s, const void *head, size_t head_len,
		   const struct smbiov_iter *data,
		   uint8_t mac[SMB2_SIGNATURE_SIZE]);

#endif
