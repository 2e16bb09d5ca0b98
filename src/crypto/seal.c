// SPDX-License-Identifier: MIT
/*
 * SMB 3.x encryption over iterators (MS-SMB2 3.1.4.3; design notes in
 * kernel-iov-iter-design.md §3.9).
 *
 * The message is header bytes in library memory (always transformed in
 * place) plus a payload iterator. The payload is turned into scatterlist
 * batches with smbiov_extract_iter_to_sg() on a private view of the
 * iterator (so the caller's iterator is never consumed and no revert is
 * needed); pinned entries are released batch by batch.
 *
 * GCM is fed span by span: each contiguous source span is encrypted or
 * decrypted straight into the matching destination span (or in place).
 *
 * CCM cannot be: OpenSSL's CCM (as CCM itself, RFC 3610) needs the total
 * length before any data, and its EVP implementation accepts exactly one
 * EVP_CipherUpdate() carrying the whole plaintext — a shorter first update
 * fails (checked against OpenSSL 3.0; test_crypto_seal.c keeps checking).
 * So CCM gathers the message into one library-owned bounce buffer, runs a
 * single update over it and scatters the result. That copy is the one
 * documented exception to "no flattening" in this layer; the bounce is
 * wiped before it is freed.
 *
 * Plaintext ownership: encryption never writes the caller's plaintext
 * unless the caller asked for in place (@out NULL) on memory the library
 * owns. Decryption with GCM writes plaintext before the tag is known; on a
 * tag mismatch everything written is zeroed before the error returns.
 */
#include "crypto/seal.h"

#include <smbiov/iter.h>

#include "proto/le.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SEAL_TAG_SIZE  16
#define SEAL_SG_BATCH  64
#define SEAL_CHUNK_MAX (1u << 30) /* keep each EVP length inside int */

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

static const char *cipher_name(enum smb2_cipher cipher)
{
	switch (cipher) {
	case SMB2_CIPHER_AES128_CCM:
		return "AES-128-CCM";
	case SMB2_CIPHER_AES128_GCM:
		return "AES-128-GCM";
	case SMB2_CIPHER_AES256_CCM:
		return "AES-256-CCM";
	case SMB2_CIPHER_AES256_GCM:
		return "AES-256-GCM";
	}
	return NULL;
}

/* One direction's context, keyed once; each message only sets the IV. */
static EVP_CIPHER_CTX *ctx_new(EVP_CIPHER *evp, bool gcm, size_t nonce_len,
			       const uint8_t *key, int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return NULL;
	/* CCM wants IV and tag lengths fixed before the key goes in. */
	if (!EVP_CipherInit_ex2(ctx, evp, NULL, NULL, enc, NULL) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)nonce_len,
				NULL) <= 0 ||
	    (!gcm && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					 SEAL_TAG_SIZE, NULL) <= 0) ||
	    !EVP_CipherInit_ex2(ctx, NULL, key, NULL, enc, NULL)) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
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
	const char *name = cipher_name(cipher);
	EVP_CIPHER *evp;
	bool gcm;

	if (!s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	if (!name || !enc_key || !dec_key ||
	    key_len != smb2_cipher_key_len(cipher))
		return -EINVAL;
	gcm = smb2_cipher_is_gcm(cipher);
	s->cipher = cipher;
	s->session_id = session_id;
	s->nonce_len = gcm ? 12 : 11;

	if (RAND_bytes(s->prefix, sizeof(s->prefix)) != 1)
		return -EIO;
	evp = EVP_CIPHER_fetch(NULL, name, NULL);
	if (!evp)
		return -EIO;
	s->enc = ctx_new(evp, gcm, s->nonce_len, enc_key, 1);
	s->dec = ctx_new(evp, gcm, s->nonce_len, dec_key, 0);
	EVP_CIPHER_free(evp); /* each context holds its own reference */
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

/* ---- scatterlist cursor ----------------------------------------------------
 * Walks an iterator's bytes as contiguous spans, extracting SEAL_SG_BATCH
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
		err = smbiov_sg_table_init(&c->t, SEAL_SG_BATCH);
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

/* ---- the AEAD operation ----------------------------------------------------
 */

struct seal_op {
	EVP_CIPHER_CTX *ctx;
	bool gcm;
	bool enc;
	const uint8_t *th; /* transform header; AAD = th[20..52) */
	uint8_t nonce[SMB2_TRANSFORM_NONCE_SIZE];
	size_t nonce_len;
	uint8_t tag[SEAL_TAG_SIZE]; /* out for encrypt, in for decrypt */
	uint8_t *msg;
	size_t msg_len;
	const struct smbiov_iter *payload; /* may be NULL */
	size_t plen;
	struct smbiov_iter *out; /* NULL: in place */
};

static int evp_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in,
		      size_t len)
{
	int outl;

	while (len) {
		size_t n = len > SEAL_CHUNK_MAX ? SEAL_CHUNK_MAX : len;

		if (!EVP_CipherUpdate(ctx, out, &outl, in, (int)n))
			return -EIO;
		if (out)
			out += n;
		in += n;
		len -= n;
	}
	return 0;
}

/* GCM: header, then payload span by span (source span -> dest span). */
static int gcm_run(struct seal_op *op)
{
	struct sg_cursor src, dst;
	uint8_t *p, *q, scratch[16];
	size_t n, m;
	int outl, err;

	err = evp_update(op->ctx, op->msg, op->msg, op->msg_len);
	if (err)
		return err;

	if (!op->plen)
		goto final;
	cursor_init(&src, op->payload, op->plen);
	if (op->out)
		cursor_init(&dst, op->out, op->plen);
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
		err = evp_update(op->ctx, q, p, n);
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
	if (!op->enc && EVP_CIPHER_CTX_ctrl(op->ctx, EVP_CTRL_AEAD_SET_TAG,
					    SEAL_TAG_SIZE, op->tag) <= 0)
		return -EIO;
	if (!EVP_CipherFinal_ex(op->ctx, scratch, &outl))
		return op->enc ? -EIO : -EKEYREJECTED;
	if (op->enc && EVP_CIPHER_CTX_ctrl(op->ctx, EVP_CTRL_AEAD_GET_TAG,
					   SEAL_TAG_SIZE, op->tag) <= 0)
		return -EIO;
	return 0;
}

/* CCM: one contiguous update over a bounce buffer (see the file comment). */
static int ccm_run(struct seal_op *op)
{
	size_t total = op->msg_len + op->plen;
	uint8_t *bounce;
	int outl, err;

	if (total > INT_MAX)
		return -EMSGSIZE;
	bounce = malloc(total ? total : 1);
	if (!bounce)
		return -ENOMEM;
	memcpy(bounce, op->msg, op->msg_len);
	err = op->plen ? iter_mem_xfer(op->payload, bounce + op->msg_len,
				       op->plen, false)
		       : 0;
	if (err)
		goto out;

	err = -EIO;
	if (!op->enc && EVP_CIPHER_CTX_ctrl(op->ctx, EVP_CTRL_AEAD_SET_TAG,
					    SEAL_TAG_SIZE, op->tag) <= 0)
		goto out;
	/* Total length first, then the AAD, then all the data at once. */
	if (!EVP_CipherUpdate(op->ctx, NULL, &outl, NULL, (int)total) ||
	    !EVP_CipherUpdate(op->ctx, NULL, &outl,
			      op->th + SMB2_TRANSFORM_AAD_OFFSET,
			      SMB2_TRANSFORM_AAD_SIZE))
		goto out;
	if (EVP_CipherUpdate(op->ctx, bounce, &outl, bounce, (int)total) <= 0) {
		/* For decryption this is where CCM checks the tag. */
		err = op->enc ? -EIO : -EKEYREJECTED;
		goto out;
	}
	if (op->enc) {
		if (!EVP_CipherFinal_ex(op->ctx, bounce, &outl) ||
		    EVP_CIPHER_CTX_ctrl(op->ctx, EVP_CTRL_AEAD_GET_TAG,
					SEAL_TAG_SIZE, op->tag) <= 0)
			goto out;
	}

	memcpy(op->msg, bounce, op->msg_len);
	err = op->plen ? iter_mem_xfer(op->out ? op->out : op->payload,
				       bounce + op->msg_len, op->plen, true)
		       : 0;
out:
	OPENSSL_cleanse(bounce, total);
	free(bounce);
	return err;
}

static int seal_run(struct seal_op *op)
{
	int err;

	/* The IV only: the key set at init stays. */
	if (!EVP_CipherInit_ex2(op->ctx, NULL, NULL, op->nonce, op->enc, NULL))
		return -EIO;
	if (!op->gcm)
		return ccm_run(op);
	err = evp_update(op->ctx, NULL, op->th + SMB2_TRANSFORM_AAD_OFFSET,
			 SMB2_TRANSFORM_AAD_SIZE);
	return err ? err : gcm_run(op);
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
	struct seal_op op = {0};
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

	op.ctx = s->enc;
	op.gcm = smb2_cipher_is_gcm(s->cipher);
	op.enc = true;
	op.th = th;
	memcpy(op.nonce, nonce, sizeof(op.nonce));
	op.nonce_len = s->nonce_len;
	op.msg = msg;
	op.msg_len = msg_len;
	op.payload = payload;
	op.plen = plen;
	op.out = out;
	err = seal_run(&op);
	if (err)
		return err;
	memcpy(th + 4, op.tag, SEAL_TAG_SIZE);
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
	struct seal_op op = {0};
	size_t plen, k;
	int err;

	err = seal_check_args(s, th, msg, msg_len, payload, out, &plen);
	if (err)
		return err;
	err = smb2_transform_hdr_decode(
		th, SMB2_TRANSFORM_HEADER_SIZE + msg_len + plen, s->session_id,
		&h);
	if (err)
		return err;
	for (k = s->nonce_len; k < SMB2_TRANSFORM_NONCE_SIZE; k++)
		if (h.nonce[k])
			return -EBADMSG;

	op.ctx = s->dec;
	op.gcm = smb2_cipher_is_gcm(s->cipher);
	op.enc = false;
	op.th = th;
	memcpy(op.nonce, h.nonce, sizeof(op.nonce));
	op.nonce_len = s->nonce_len;
	memcpy(op.tag, h.signature, sizeof(op.tag));
	op.msg = msg;
	op.msg_len = msg_len;
	op.payload = payload;
	op.plen = plen;
	op.out = out;
	err = seal_run(&op);
	if (err) {
		/* Never leave unauthenticated plaintext behind (GCM). */
		if (op.gcm) {
			OPENSSL_cleanse(msg, msg_len);
			if (plen)
				iter_mem_zero(out ? out : payload, plen);
		}
		return err;
	}
	if (out)
		smbiov_iter_advance(out, plen);
	return 0;
}
