/* SPDX-License-Identifier: MIT */
/*
 * SMB 3.1.1 preauthentication integrity (MS-SMB2 3.2.5.2, 3.2.5.3.1):
 * H(0) = 64 zero bytes; H(n) = SHA-512(H(n-1) || message n), over every
 * NEGOTIATE request/response on the connection and then every
 * SESSION_SETUP request/response (except the final success response) of
 * a session, starting from the connection's value.
 */
#ifndef SMBIOV_CRYPTO_PREAUTH_H
#define SMBIOV_CRYPTO_PREAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/kdf.h"

struct smbiov_iter;

/*
 * One chaining value. Plain data: a session starts as a struct copy of its
 * connection's (Connection.PreauthIntegrityHashValue), so nothing to free.
 */
struct smb2_preauth {
	uint8_t value[SMB2_PREAUTH_HASH_SIZE];
};

void smb2_preauth_init(struct smb2_preauth *p);
int smb2_preauth_update(struct smb2_preauth *p, const void *hdr, size_t hdr_len,
			const struct smbiov_iter *payload);

#endif
