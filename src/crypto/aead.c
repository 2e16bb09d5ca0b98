// SPDX-License-Identifier: MIT
/*
 * AES-GCM / AES-CCM over iterators (design notes in
 * kernel-iov-iter-design.md §3.9).
 *
 * The text is flat leading bytes (transformed in place) plus a payload
 * iterator. The payload is turned into scatterlist batches with
 * smbiov_extract_iter_to_sg() on a private view of the iterator (so the
 * caller's iterator is never consumed and no revert is needed); pinned
 * entries are released batch by batch.
 *
 * GCM is fed span by span: each contiguous source span is encrypted or
 * decrypted straight into the matching destination span (or in place).
 *
 * CCM cannot be: OpenSSL's CCM (as CCM itself, RFC 3610) needs the total
 * length before any data, and its EVP implementation accepts exactly one
 * EVP_CipherUpdate() carrying the whole text — a shorter first update
 * fails (checked against OpenSSL 3.0; test_crypto_seal.c keeps checking).
 * So CCM gathers the text into one library-owned bounce buffer, runs a
 * single update over it and scatters the result. That copy is the one
 * documented exception to "no flattening" in this layer; the bounce is
 * wiped before it is freed.
 */
#include "crypto/aead.h"

#include <smbiov/iter.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define AEAD_SG_BATCH  64
#define AEAD_CHUNK_MAX (1u << 30) /* keep each EVP length inside int */

/* ---- scatterlist cursor ----------------------------------------------------
 * Walks an iterator's bytes as contiguous spans, extracting AEAD_SG_BATCH
 * scatterlist entries at a time from a private view of the iterator.
 */
struct sg_cursor {
	struct smbiov_iter it;
	struct smbiov_sg_table t;
	size_t idx;  /* current entry */
	size_t off;  /* bytes of it already used */
	size_t left; /* bytes still to deliver */
};

static void cursor_init(struct sg_cursor *c, const struct smbiov_iter *i,
			size_t len)
{
	memset(c, 0, sizeof(*c));
	c->it = *i;
	smbiov_iter_truncate(&c->it, len);
	c->left = smbiov_iter_count(&c->it);
}

static void cursor_release(struct sg_cursor *c)
{
	smbiov_sg_table_release(&c->t);
}

/* The next span, at @p for @n (> 0) bytes. Returns 0 or a negative errno. */
static int cursor_peek(struct sg_cursor *c, uint8_t **p, size_t *n)
{
	struct smbiov_sg *sg;
	ssize_t got;
	int err;

	if (!c->left)
		return -EINVAL;
	while (!c->t.sgl || c->idx >= c->t.nents) {
		/* Done with this batch: unpin it before taking the next. */
		smbiov_sg_table_release(&c->t);
		err = smbiov_sg_table_init(&c->t, AEAD_SG_BATCH);
		if (err)
			return err;
		c->idx = 0;
		c->off = 0;
		got = smbiov_extract_iter_to_sg(&c->it, c->left, &c->t);
		if (got < 0)
			return (int)got;
		if (got == 0)
			return -ENODATA; /* an XARRAY hole: bytes missing */
	}
	sg = &c->t.sgl[c->idx];
	*p = (uint8_t *)sg->page + sg->offset + c->off;
	*n = sg->len - c->off;
	if (*n > c->left)
		*n = c->left;
	return 0;
}

static void cursor_consume(struct sg_cursor *c, size_t n)
{
	c->off += n;
	c->left -= n;
	if (c->off >= c->t.sgl[c->idx].len) {
		c->idx++;
		c->off = 0;
	}
}

/* Copy @len bytes from @i's memory to @buf, or from @buf when @into_iter. */
static int iter_mem_xfer(const struct smbiov_iter *i, uint8_t *buf, size_t len,
			 bool into_iter)
{
	struct sg_cursor c;
	uint8_t *p;
	size_t n;
	int err = 0;

	cursor_init(&c, i, len);
	if (c.left != len)
		return -EINVAL;
	while (c.left) {
		err = cursor_peek(&c, &p, &n);
		if (err)
			break;
		if (into_iter)
			memcpy(p, buf, n);
		else
			memcpy(buf, p, n);
		buf += n;
		cursor_consume(&c, n);
	}
	cursor_release(&c);
	return err;
}

/* Zero the first @len bytes of @i's memory (unauthenticated plaintext). */
static void iter_mem_zero(const struct smbiov_iter *i, size_t len)
{
	struct sg_cursor c;
	uint8_t *p;
	size_t n;

	cursor_init(&c, i, len);
	while (c.left && !cursor_peek(&c, &p, &n)) {
		OPENSSL_cleanse(p, n);
		cursor_consume(&c, n);
	}
	cursor_release(&c);
}

/* ---- parameters -----------------------------------------------------------
 */

static bool tag_len_ok(bool gcm, size_t tag_len)
{
	if (gcm) /* SP 800-38D 5.2.1.2 */
		return tag_len == 4 || tag_len == 8 ||
		       (tag_len >= 12 && tag_len <= SMB_AEAD_TAG_MAX);
	/* SP 800-38C A.1: Tlen in {32, 48, ..., 128} bits. */
	return tag_len >= 4 && tag_len <= SMB_AEAD_TAG_MAX && !(tag_len & 1);
}

static bool nonce_len_ok(bool gcm, size_t nonce_len)
{
	if (gcm)
		return nonce_len >= 1 && nonce_len <= SMB_AEAD_GCM_NONCE_MAX;
	return nonce_len >= SMB_AEAD_CCM_NONCE_MIN &&
	       nonce_len <= SMB_AEAD_CCM_NONCE_MAX;
}

static const char *cipher_name(bool gcm, size_t key_len)
{
	switch (key_len) {
	case 16:
		return gcm ? "AES-128-GCM" : "AES-128-CCM";
	case 24:
		return gcm ? "AES-192-GCM" : "AES-192-CCM";
	case 32:
		return gcm ? "AES-256-GCM" : "AES-256-CCM";
	}
	return NULL;
}

/**
 * smb_aead_ctx_new - make a keyed OpenSSL context for smb_aead_run()
 * @gcm: GCM or CCM
 * @key: AES key
 * @key_len: 16, 24 or 32
 * @nonce_len: the nonce length every operation on the context will use
 * @tag_len: the tag length every operation will use
 * @enc: direction
 *
 * See aead.h. Return: the context, or NULL.
 */
EVP_CIPHER_CTX *smb_aead_ctx_new(bool gcm, const uint8_t *key, size_t key_len,
				 size_t nonce_len, size_t tag_len, bool enc)
{
	const char *name = cipher_name(gcm, key_len);
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER *evp;
	int ok;

	if (!name || !key || !nonce_len_ok(gcm, nonce_len) ||
	    !tag_len_ok(gcm, tag_len))
		return NULL;
	evp = EVP_CIPHER_fetch(NULL, name, NULL);
	if (!evp)
		return NULL;
	ctx = EVP_CIPHER_CTX_new();
	/* CCM wants IV and tag lengths fixed before the key goes in. */
	ok = ctx && EVP_CipherInit_ex2(ctx, evp, NULL, NULL, enc, NULL) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)nonce_len,
				 NULL) > 0 &&
	     (gcm || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					 (int)tag_len, NULL) > 0) &&
	     EVP_CipherInit_ex2(ctx, NULL, key, NULL, enc, NULL);
	EVP_CIPHER_free(evp); /* the context holds its own reference */
	if (!ok) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* ---- the operation --------------------------------------------------------
 */

/* What one run needs besides the caller's op. */
struct aead_run {
	EVP_CIPHER_CTX *ctx;
	const struct smb_aead_op *op;
	size_t plen; /* payload bytes */
	uint8_t tag[SMB_AEAD_TAG_MAX];
};

static int evp_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in,
		      size_t len)
{
	int outl;

	while (len) {
		size_t n = len > AEAD_CHUNK_MAX ? AEAD_CHUNK_MAX : len;

		if (!EVP_CipherUpdate(ctx, out, &outl, in, (int)n))
			return -EIO;
		if (out)
			out += n;
		in += n;
		len -= n;
	}
	return 0;
}

/* GCM: AAD, the flat bytes, then the payload span by span (src -> dst). */
static int gcm_run(struct aead_run *r)
{
	const struct smb_aead_op *op = r->op;
	struct sg_cursor src, dst;
	uint8_t *p, *q, scratch[16];
	size_t n, m;
	int outl, err;

	err = evp_update(r->ctx, NULL, op->aad, op->aad_len);
	if (!err)
		err = evp_update(r->ctx, op->msg, op->msg, op->msg_len);
	if (err)
		return err;

	if (!r->plen)
		goto final;
	cursor_init(&src, op->payload, r->plen);
	if (op->out)
		cursor_init(&dst, op->out, r->plen);
	while (!err && src.left) {
		err = cursor_peek(&src, &p, &n);
		if (err)
			break;
		if (op->out) {
			err = cursor_peek(&dst, &q, &m);
			if (err)
				break;
			if (m < n)
				n = m;
		} else {
			q = p; /* in place */
		}
		err = evp_update(r->ctx, q, p, n);
		cursor_consume(&src, n);
		if (op->out)
			cursor_consume(&dst, n);
	}
	cursor_release(&src);
	if (op->out)
		cursor_release(&dst);
	if (err)
		return err;
final:
	if (!op->enc && EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_AEAD_SET_TAG,
					    (int)op->tag_len, r->tag) <= 0)
		return -EIO;
	if (!EVP_CipherFinal_ex(r->ctx, scratch, &outl))
		return op->enc ? -EIO : -EKEYREJECTED;
	if (op->enc && EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_AEAD_GET_TAG,
					   (int)op->tag_len, r->tag) <= 0)
		return -EIO;
	return 0;
}

/* CCM: one contiguous update over a bounce buffer (see the file comment). */
static int ccm_run(struct aead_run *r)
{
	const struct smb_aead_op *op = r->op;
	size_t total = op->msg_len + r->plen;
	uint8_t *bounce;
	int outl, err;

	if (total > INT_MAX || total < op->msg_len || op->aad_len > INT_MAX)
		return -EMSGSIZE;
	bounce = malloc(total ? total : 1);
	if (!bounce)
		return -ENOMEM;
	if (op->msg_len)
		memcpy(bounce, op->msg, op->msg_len);
	err = r->plen ? iter_mem_xfer(op->payload, bounce + op->msg_len,
				      r->plen, false)
		      : 0;
	if (err)
		goto out;

	err = -EIO;
	if (!op->enc && EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_AEAD_SET_TAG,
					    (int)op->tag_len, r->tag) <= 0)
		goto out;
	/* Total length first, then the AAD, then all the data at once. */
	if (!EVP_CipherUpdate(r->ctx, NULL, &outl, NULL, (int)total) ||
	    (op->aad_len &&
	     !EVP_CipherUpdate(r->ctx, NULL, &outl, op->aad, (int)op->aad_len)))
		goto out;
	if (EVP_CipherUpdate(r->ctx, bounce, &outl, bounce, (int)total) <= 0) {
		/* For decryption this is where CCM checks the tag. */
		err = op->enc ? -EIO : -EKEYREJECTED;
		goto out;
	}
	if (op->enc) {
		if (!EVP_CipherFinal_ex(r->ctx, bounce, &outl) ||
		    EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_AEAD_GET_TAG,
					(int)op->tag_len, r->tag) <= 0)
			goto out;
	}

	if (op->msg_len)
		memcpy(op->msg, bounce, op->msg_len);
	err = r->plen ? iter_mem_xfer(op->out ? op->out : op->payload,
				      bounce + op->msg_len, r->plen, true)
		      : 0;
out:
	OPENSSL_cleanse(bounce, total);
	free(bounce);
	return err;
}

static int op_check(EVP_CIPHER_CTX *ctx, const struct smb_aead_op *op,
		    size_t *plen)
{
	if (!ctx || !op || !op->nonce || !op->tag ||
	    (!op->msg && op->msg_len) || (!op->aad && op->aad_len))
		return -EINVAL;
	if (!nonce_len_ok(op->gcm, op->nonce_len) ||
	    !tag_len_ok(op->gcm, op->tag_len))
		return -EINVAL;
	/* The context must have been made for exactly this shape. */
	if ((size_t)EVP_CIPHER_CTX_get_iv_length(ctx) != op->nonce_len ||
	    (EVP_CIPHER_CTX_get_mode(ctx) == EVP_CIPH_GCM_MODE) != op->gcm ||
	    !EVP_CIPHER_CTX_is_encrypting(ctx) != !op->enc)
		return -EINVAL;
	if (!op->gcm &&
	    (size_t)EVP_CIPHER_CTX_get_tag_length(ctx) != op->tag_len)
		return -EINVAL;
	*plen = op->payload ? smbiov_iter_count(op->payload) : 0;
	if (op->out && (smbiov_iter_is_source(op->out) ||
			smbiov_iter_count(op->out) < *plen))
		return -EINVAL;
	return 0;
}

/**
 * smb_aead_run - run one AEAD operation on a context keyed once
 * @ctx: from smb_aead_ctx_new() matching @op's shape
 * @op: the operation
 *
 * See aead.h. Return: 0 or a negative errno.
 */
int smb_aead_run(EVP_CIPHER_CTX *ctx, const struct smb_aead_op *op)
{
	struct aead_run r = {.ctx = ctx, .op = op};
	int err;

	err = op_check(ctx, op, &r.plen);
	if (err)
		return err;
	if (!op->enc)
		memcpy(r.tag, op->tag, op->tag_len);

	/* The IV only: the key set at init stays. */
	if (!EVP_CipherInit_ex2(ctx, NULL, NULL, op->nonce, op->enc, NULL))
		return -EIO;
	err = op->gcm ? gcm_run(&r) : ccm_run(&r);
	if (err) {
		/* Never leave unauthenticated plaintext behind (GCM). */
		if (op->gcm && !op->enc) {
			if (op->msg_len)
				OPENSSL_cleanse(op->msg, op->msg_len);
			if (r.plen)
				iter_mem_zero(op->out ? op->out : op->payload,
					      r.plen);
		}
		return err;
	}
	if (op->enc)
		memcpy(op->tag, r.tag, op->tag_len);
	return 0;
}

/**
 * smb_aead_crypt - one AEAD operation with a caller-supplied key
 * @key: AES key
 * @key_len: 16, 24 or 32
 * @op: the operation
 *
 * See aead.h. Return: 0 or a negative errno.
 */
int smb_aead_crypt(const uint8_t *key, size_t key_len,
		   const struct smb_aead_op *op)
{
	EVP_CIPHER_CTX *ctx;
	int err;

	if (!op || !key || !cipher_name(op->gcm, key_len) ||
	    !nonce_len_ok(op->gcm, op->nonce_len) ||
	    !tag_len_ok(op->gcm, op->tag_len))
		return -EINVAL;
	ctx = smb_aead_ctx_new(op->gcm, key, key_len, op->nonce_len,
			       op->tag_len, op->enc);
	if (!ctx)
		return -EIO;
	err = smb_aead_run(ctx, op);
	EVP_CIPHER_CTX_free(ctx);
	return err;
}

/* ---- streaming GCM decryption (aead.h) ------------------------------------
 */
int smb_aead_gcm_dec_begin(EVP_CIPHER_CTX *ctx, const uint8_t *nonce,
			   size_t nonce_len, const uint8_t *aad, size_t aad_len)
{
	if (!ctx || !nonce || (!aad && aad_len) ||
	    !nonce_len_ok(true, nonce_len) ||
	    (size_t)EVP_CIPHER_CTX_get_iv_length(ctx) != nonce_len ||
	    EVP_CIPHER_CTX_get_mode(ctx) != EVP_CIPH_GCM_MODE ||
	    EVP_CIPHER_CTX_is_encrypting(ctx))
		return -EINVAL;
	if (!EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, 0, NULL))
		return -EIO;
	return evp_update(ctx, NULL, aad, aad_len);
}

int smb_aead_gcm_dec_update(EVP_CIPHER_CTX *ctx, uint8_t *buf, size_t len)
{
	if (!ctx || (!buf && len))
		return -EINVAL;
	return evp_update(ctx, buf, buf, len);
}

int smb_aead_gcm_dec_update_iter(EVP_CIPHER_CTX *ctx,
				 const struct smbiov_iter *it, size_t len)
{
	struct sg_cursor cur;
	uint8_t *p;
	size_t n;
	int err = 0;

	if (!ctx || !it || smbiov_iter_is_source(it) ||
	    smbiov_iter_count(it) < len)
		return -EINVAL;
	cursor_init(&cur, it, len);
	while (!err && cur.left) {
		err = cursor_peek(&cur, &p, &n);
		if (!err)
			err = evp_update(ctx, p, p, n);
		if (!err)
			cursor_consume(&cur, n);
	}
	cursor_release(&cur);
	return err;
}

int smb_aead_gcm_dec_final(EVP_CIPHER_CTX *ctx, const uint8_t *tag,
			   size_t tag_len)
{
	uint8_t t[SMB_AEAD_TAG_MAX], scratch[16];
	int outl;

	if (!ctx || !tag || !tag_len_ok(true, tag_len))
		return -EINVAL;
	/* OpenSSL's SET_TAG takes a non-const buffer. */
	memcpy(t, tag, tag_len);
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, t) <=
	    0)
		return -EIO;
	if (!EVP_CipherFinal_ex(ctx, scratch, &outl))
		return -EKEYREJECTED;
	return 0;
}

void smb_aead_zero_iter(const struct smbiov_iter *it, size_t len)
{
	if (it && len)
		iter_mem_zero(it, len);
}
