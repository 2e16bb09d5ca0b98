// SPDX-License-Identifier: MIT
/*
 * Preauthentication integrity hash chaining (SHA-512). A message arrives as
 * header bytes plus an optional payload iterator; the payload is hashed
 * span by span through smbiov_iter_hash(), never flattened.
 */
#include "crypto/preauth.h"

#include <smbiov/iter.h>

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/**
 * smb2_preauth_init - reset a chaining value to its initial all-zero state
 * @p: value to reset (Connection.PreauthIntegrityHashValue on connect)
 */
void smb2_preauth_init(struct smb2_preauth *p)
{
	memset(p->value, 0, sizeof(p->value));
}

static int digest_update(void *ctx, const void *data, size_t len)
{
	return EVP_DigestUpdate(ctx, data, len) ? 0 : -EIO;
}

/**
 * smb2_preauth_update - chain one whole message into @p
 * @p: chaining value; replaced by SHA-512(@p || message) on success
 * @hdr: the message's first bytes (normally the SMB2 header and body)
 * @hdr_len: their length (may be 0)
 * @payload: the rest of the message, or NULL; not advanced
 *
 * The message is exactly as sent or received, signature field included
 * (MS-SMB2 3.2.5.2 hashes the bytes on the wire). Returns 0, -EINVAL, -EIO
 * (OpenSSL failure) or the error of smbiov_iter_hash(); on error @p is
 * unchanged.
 */
int smb2_preauth_update(struct smb2_preauth *p, const void *hdr, size_t hdr_len,
			const struct smbiov_iter *payload)
{
	uint8_t out[SMB2_PREAUTH_HASH_SIZE];
	unsigned int outl = 0;
	EVP_MD_CTX *md;
	int err = -EIO;

	if (!p || (!hdr && hdr_len))
		return -EINVAL;
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	if (!EVP_DigestInit_ex2(md, EVP_sha512(), NULL) ||
	    !EVP_DigestUpdate(md, p->value, sizeof(p->value)) ||
	    (hdr_len && !EVP_DigestUpdate(md, hdr, hdr_len)))
		goto out;
	if (payload) {
		err = smbiov_iter_hash(payload, smbiov_iter_count(payload),
				       digest_update, md);
		if (err)
			goto out;
		err = -EIO;
	}
	if (!EVP_DigestFinal_ex(md, out, &outl) || outl != sizeof(out))
		goto out;
	memcpy(p->value, out, sizeof(out));
	err = 0;
out:
	OPENSSL_cleanse(out, sizeof(out));
	EVP_MD_CTX_free(md);
	return err;
}
