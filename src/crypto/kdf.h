/* SPDX-License-Identifier: MIT */
/*
 * SMB 3.x key derivation (MS-SMB2 3.1.4.2): NIST SP800-108 KDF in counter
 * mode with HMAC-SHA256 as the PRF, r = 32, L = 128 or 256 bits.
 *
 * Keys are named from the client's side: "encryption" protects what the
 * client sends (client-to-server), "decryption" what it receives.
 */
#ifndef SMBIOV_CRYPTO_KDF_H
#define SMBIOV_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "proto/smb2.h" /* dialect revision numbers */

#define SMB3_KEY_MAX	      32 /* AES-256 */
#define SMB3_SIGN_KEY_SIZE    16
#define SMB3_SESSION_KEY_SIZE 16

/* The four session keys of MS-SMB2 3.2.5.3.1, client's point of view. */
struct smb3_keys {
	uint8_t signing[SMB3_SIGN_KEY_SIZE];
	uint8_t application[SMB3_SIGN_KEY_SIZE];
	uint8_t encryption[SMB3_KEY_MAX]; /* client-to-server */
	uint8_t decryption[SMB3_KEY_MAX]; /* server-to-client */
	size_t cipher_key_len; /* 16 or 32: bytes used in the two above */
};

int smb3_kdf(const uint8_t *ki, size_t ki_len, const uint8_t *label,
	     size_t label_len, const uint8_t *context, size_t context_len,
	     uint8_t *out, size_t out_len);

int smb3_derive_keys(uint16_t dialect, const uint8_t *session_key,
		     size_t session_key_len, const uint8_t *preauth_hash,
		     size_t cipher_key_len, struct smb3_keys *keys);

void smb3_keys_wipe(struct smb3_keys *keys);

#endif
