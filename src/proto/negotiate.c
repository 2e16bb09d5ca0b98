/* SPDX-License-Identifier: MIT */
/*
 * NEGOTIATE request/response codec (MS-SMB2 2.2.3, 2.2.4, 2.2.3.1).
 *
 * The context list is the part peers have gotten wrong: libsmb2's loop
 * ran past the buffer end on a short DataLength. Every context here is
 * checked whole (8-byte header + DataLength) against the message before
 * any byte of it is read, and each list count is bounded by DataLength.
 */
#include <errno.h>
#include <string.h>

#include "proto/le.h"
#include "proto/negotiate.h"
#include "proto/span.h"

/* Request body offsets from the header start (MS-SMB2 2.2.3). */
#define REQ_DIALECT_COUNT (SMB2_HDR_SIZE + 2)
#define REQ_SECURITY_MODE (SMB2_HDR_SIZE + 4)
#define REQ_CAPABILITIES  (SMB2_HDR_SIZE + 8)
#define REQ_CLIENT_GUID	  (SMB2_HDR_SIZE + 12)
#define REQ_CTX_OFFSET	  (SMB2_HDR_SIZE + 28)
#define REQ_CTX_COUNT	  (SMB2_HDR_SIZE + 32)
#define REQ_DIALECTS	  (SMB2_HDR_SIZE + 36)

/* Response body offsets from the header start (MS-SMB2 2.2.4). */
#define RSP_SECURITY_MODE (SMB2_HDR_SIZE + 2)
#define RSP_DIALECT	  (SMB2_HDR_SIZE + 4)
#define RSP_CTX_COUNT	  (SMB2_HDR_SIZE + 6)
#define RSP_SERVER_GUID	  (SMB2_HDR_SIZE + 8)
#define RSP_CAPABILITIES  (SMB2_HDR_SIZE + 24)
#define RSP_MAX_TRANSACT  (SMB2_HDR_SIZE + 28)
#define RSP_MAX_READ	  (SMB2_HDR_SIZE + 32)
#define RSP_MAX_WRITE	  (SMB2_HDR_SIZE + 36)
#define RSP_SYSTEM_TIME	  (SMB2_HDR_SIZE + 40)
#define RSP_START_TIME	  (SMB2_HDR_SIZE + 48)
#define RSP_SEC_OFFSET	  (SMB2_HDR_SIZE + 56)
#define RSP_SEC_LENGTH	  (SMB2_HDR_SIZE + 58)
#define RSP_CTX_OFFSET	  (SMB2_HDR_SIZE + 60)
#define RSP_BUFFER	  (SMB2_HDR_SIZE + 64)

/* ContextType (2) + DataLength (2) + Reserved (4) (MS-SMB2 2.2.3.1). */
#define CTX_HDR 8

static size_t align8(size_t x)
{
	return (x + 7) & ~(size_t)7;
}

/* ---- context walk ------------------------------------------------------ */

typedef int (*ctx_fn)(void *arg, uint16_t type, const uint8_t *data,
		      uint16_t dlen);

/*
 * Walk @count contexts starting at @off. Each starts 8-aligned relative
 * to the header (MS-SMB2 2.2.3.1: "MUST be 8-byte aligned"); the last one
 * needs no trailing padding. Because every context occupies >= 8 bytes a
 * count larger than the message can hold fails on the bounds check.
 */
static int ctx_walk(const uint8_t *buf, size_t len, uint64_t off,
		    unsigned int count, ctx_fn fn, void *arg)
{
	uint64_t pos = off;

	if (count == 0)
		return 0;
	if (off % 8 || off < SMB2_HDR_SIZE || off > len)
		return -EBADMSG;
	for (unsigned int i = 0; i < count; i++) {
		uint16_t type, dlen;
		int ret;

		pos = (pos + 7) & ~(uint64_t)7;
		if (pos > len || len - pos < CTX_HDR)
			return -EBADMSG;
		type = le16_get(buf + pos);
		dlen = le16_get(buf + pos + 2);
		if (span_check(len, pos + CTX_HDR, pos + CTX_HDR, dlen))
			return -EBADMSG;
		ret = fn(arg, type, buf + pos + CTX_HDR, dlen);
		if (ret)
			return ret;
		pos += CTX_HDR + (uint64_t)dlen;
	}
	return 0;
}

/*
 * Read a (count, list) pair: a u16 count at @data + @count_off, the list
 * of u16 at @data + @list_off. Count must be >= 1 and fit in @dlen.
 */
static int ctx_list(const uint8_t *data, uint16_t dlen, size_t count_off,
		    size_t list_off, uint16_t *count)
{
	if (dlen < list_off)
		return -EBADMSG;
	*count = le16_get(data + count_off);
	if (*count == 0 || (uint64_t)*count * 2 > (uint64_t)dlen - list_off)
		return -EBADMSG;
	return 0;
}

/* ---- response ----------------------------------------------------------- */

static int rsp_ctx(void *arg, uint16_t type, const uint8_t *data, uint16_t dlen)
{
	struct smb2_negotiate_rsp *r = arg;
	uint16_t n;

	switch (type) {
	case SMB2_PREAUTH_INTEGRITY_CAPABILITIES:
		/* HashAlgorithmCount, SaltLength, HashAlgorithms, Salt. */
		if (r->has_preauth || ctx_list(data, dlen, 0, 4, &n))
			return -EBADMSG;
		r->preauth_salt_len = le16_get(data + 2);
		if (span_check(dlen, 4, 4 + (uint64_t)n * 2,
			       r->preauth_salt_len))
			return -EBADMSG;
		r->has_preauth = true;
		r->preauth_hash_count = n;
		r->preauth_hash = le16_get(data + 4);
		r->preauth_salt =
			r->preauth_salt_len ? data + 4 + (size_t)n * 2 : NULL;
		return 0;
	case SMB2_ENCRYPTION_CAPABILITIES:
		if (r->has_encryption || ctx_list(data, dlen, 0, 2, &n))
			return -EBADMSG;
		r->has_encryption = true;
		r->cipher_count = n;
		r->cipher = le16_get(data + 2);
		return 0;
	case SMB2_SIGNING_CAPABILITIES:
		if (r->has_signing || ctx_list(data, dlen, 0, 2, &n))
			return -EBADMSG;
		r->has_signing = true;
		r->signing_count = n;
		r->signing_alg = le16_get(data + 2);
		return 0;
	default:
		/* Unknown types MUST be ignored (MS-SMB2 3.2.5.2). */
		r->unknown_contexts++;
		return 0;
	}
}

int smb2_negotiate_rsp_decode(const uint8_t *buf, size_t len,
			      struct smb2_negotiate_rsp *rsp)
{
	struct smb2_negotiate_rsp r;
	uint32_t ctx_off;
	int ret;

	ret = smb2_body_check(buf, len, SMB2_NEGOTIATE_RSP_SIZE,
			      RSP_BUFFER - SMB2_HDR_SIZE);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	r.security_mode = le16_get(buf + RSP_SECURITY_MODE);
	r.dialect = le16_get(buf + RSP_DIALECT);
	memcpy(r.server_guid, buf + RSP_SERVER_GUID, SMB2_GUID_SIZE);
	r.capabilities = le32_get(buf + RSP_CAPABILITIES);
	r.max_transact_size = le32_get(buf + RSP_MAX_TRANSACT);
	r.max_read_size = le32_get(buf + RSP_MAX_READ);
	r.max_write_size = le32_get(buf + RSP_MAX_WRITE);
	r.system_time = le64_get(buf + RSP_SYSTEM_TIME);
	r.server_start_time = le64_get(buf + RSP_START_TIME);
	r.sec_len = le16_get(buf + RSP_SEC_LENGTH);
	if (span_check(len, RSP_BUFFER, le16_get(buf + RSP_SEC_OFFSET),
		       r.sec_len))
		return -EBADMSG;
	r.sec_buf = r.sec_len ? buf + le16_get(buf + RSP_SEC_OFFSET) : NULL;

	/* Count and offset are Reserved fields in other dialects. */
	if (r.dialect == SMB2_DIALECT_311) {
		r.context_count = le16_get(buf + RSP_CTX_COUNT);
		ctx_off = le32_get(buf + RSP_CTX_OFFSET);
		if (r.context_count &&
		    (ctx_off < RSP_BUFFER || ctx_off % 8 || ctx_off > len))
			return -EBADMSG;
		ret = ctx_walk(buf, len, ctx_off, r.context_count, rsp_ctx, &r);
		if (ret)
			return ret;
	}
	*rsp = r;
	return 0;
}

/* Write one context header at the 8-aligned @pos; returns the data offset. */
static size_t ctx_put_hdr(uint8_t *out, size_t pos, uint16_t type,
			  uint16_t dlen)
{
	le16_put(out + pos, type);
	le16_put(out + pos + 2, dlen);
	le32_put(out + pos + 4, 0);
	return pos + CTX_HDR;
}

/* Bytes of contexts starting at 8-aligned @start; @dlens lists sizes. */
static size_t ctx_total(size_t start, const uint16_t *dlens, unsigned int n)
{
	size_t pos = start;

	for (unsigned int i = 0; i < n; i++)
		pos = align8(pos) + CTX_HDR + dlens[i];
	return pos;
}

ssize_t smb2_negotiate_rsp_encode(uint8_t *out, size_t cap,
				  const struct smb2_hdr *hdr,
				  const struct smb2_negotiate_rsp *rsp)
{
	struct smb2_hdr h;
	uint16_t dlens[3];
	unsigned int n = 0;
	size_t need, ctx_off = 0, pos;
	int ret;

	if (!hdr || !rsp || (rsp->sec_len && !rsp->sec_buf) ||
	    (rsp->preauth_salt_len && !rsp->preauth_salt))
		return -EINVAL;
	need = RSP_BUFFER + rsp->sec_len;
	if (rsp->dialect == SMB2_DIALECT_311) {
		if (rsp->has_preauth)
			dlens[n++] = (uint16_t)(6 + rsp->preauth_salt_len);
		if (rsp->has_encryption)
			dlens[n++] = 4;
		if (rsp->has_signing)
			dlens[n++] = 4;
		if (rsp->preauth_salt_len > 0xFFFF - 6)
			return -EINVAL;
		if (n) {
			ctx_off = align8(need);
			need = ctx_total(ctx_off, dlens, n);
		}
	}
	h = *hdr;
	h.flags |= SMB2_FLAGS_SERVER_TO_REDIR;
	ret = smb2_req_begin(out, cap, need, &h, SMB2_NEGOTIATE);
	if (ret)
		return ret;
	le16_put(out + SMB2_HDR_SIZE, SMB2_NEGOTIATE_RSP_SIZE);
	le16_put(out + RSP_SECURITY_MODE, rsp->security_mode);
	le16_put(out + RSP_DIALECT, rsp->dialect);
	le16_put(out + RSP_CTX_COUNT, (uint16_t)n);
	memcpy(out + RSP_SERVER_GUID, rsp->server_guid, SMB2_GUID_SIZE);
	le32_put(out + RSP_CAPABILITIES, rsp->capabilities);
	le32_put(out + RSP_MAX_TRANSACT, rsp->max_transact_size);
	le32_put(out + RSP_MAX_READ, rsp->max_read_size);
	le32_put(out + RSP_MAX_WRITE, rsp->max_write_size);
	le64_put(out + RSP_SYSTEM_TIME, rsp->system_time);
	le64_put(out + RSP_START_TIME, rsp->server_start_time);
	le16_put(out + RSP_SEC_OFFSET, rsp->sec_len ? RSP_BUFFER : 0);
	le16_put(out + RSP_SEC_LENGTH, rsp->sec_len);
	le32_put(out + RSP_CTX_OFFSET, (uint32_t)ctx_off);
	if (rsp->sec_len)
		memcpy(out + RSP_BUFFER, rsp->sec_buf, rsp->sec_len);
	pos = ctx_off;
	if (n && rsp->has_preauth) {
		pos = ctx_put_hdr(out, align8(pos),
				  SMB2_PREAUTH_INTEGRITY_CAPABILITIES,
				  (uint16_t)(6 + rsp->preauth_salt_len));
		le16_put(out + pos, 1);
		le16_put(out + pos + 2, rsp->preauth_salt_len);
		le16_put(out + pos + 4, rsp->preauth_hash);
		if (rsp->preauth_salt_len)
			memcpy(out + pos + 6, rsp->preauth_salt,
			       rsp->preauth_salt_len);
		pos += 6 + (size_t)rsp->preauth_salt_len;
	}
	if (n && rsp->has_encryption) {
		pos = ctx_put_hdr(out, align8(pos),
				  SMB2_ENCRYPTION_CAPABILITIES, 4);
		le16_put(out + pos, 1);
		le16_put(out + pos + 2, rsp->cipher);
		pos += 4;
	}
	if (n && rsp->has_signing) {
		pos = ctx_put_hdr(out, align8(pos), SMB2_SIGNING_CAPABILITIES,
				  4);
		le16_put(out + pos, 1);
		le16_put(out + pos + 2, rsp->signing_alg);
		pos += 4;
	}
	return (ssize_t)need;
}

/* ---- request ------------------------------------------------------------ */

static bool offers_311(const struct smb2_negotiate_req *req)
{
	for (unsigned int i = 0; i < req->nr_dialects; i++)
		if (req->dialects[i] == SMB2_DIALECT_311)
			return true;
	return false;
}

ssize_t smb2_negotiate_req_encode(uint8_t *out, size_t cap,
				  const struct smb2_hdr *hdr,
				  const struct smb2_negotiate_req *req)
{
	uint16_t dlens[3];
	unsigned int n = 0;
	size_t need, ctx_off = 0, pos;
	bool v311;
	int ret;

	if (!hdr || !req || req->nr_dialects == 0 ||
	    req->nr_dialects > SMB2_MAX_DIALECTS ||
	    req->nr_ciphers > SMB2_MAX_CIPHERS ||
	    req->nr_signing_algs > SMB2_MAX_SIGNING_ALGS)
		return -EINVAL;
	v311 = offers_311(req);
	need = REQ_DIALECTS + 2 * (size_t)req->nr_dialects;
	if (v311) {
		/* Preauth: 1 hash (SHA-512) + 32-byte salt (2.2.3.1.1). */
		dlens[n++] = 4 + 2 + SMB2_PREAUTH_SALT_SIZE;
		if (req->nr_ciphers)
			dlens[n++] = (uint16_t)(2 + 2 * req->nr_ciphers);
		if (req->nr_signing_algs)
			dlens[n++] = (uint16_t)(2 + 2 * req->nr_signing_algs);
		ctx_off = align8(need);
		need = ctx_total(ctx_off, dlens, n);
	}
	ret = smb2_req_begin(out, cap, need, hdr, SMB2_NEGOTIATE);
	if (ret)
		return ret;
	le16_put(out + SMB2_HDR_SIZE, SMB2_NEGOTIATE_REQ_SIZE);
	le16_put(out + REQ_DIALECT_COUNT, (uint16_t)req->nr_dialects);
	le16_put(out + REQ_SECURITY_MODE, req->security_mode);
	le32_put(out + REQ_CAPABILITIES, req->capabilities);
	memcpy(out + REQ_CLIENT_GUID, req->client_guid, SMB2_GUID_SIZE);
	/* Without 3.1.1 these 8 bytes are ClientStartTime, sent as 0. */
	le32_put(out + REQ_CTX_OFFSET, (uint32_t)ctx_off);
	le16_put(out + REQ_CTX_COUNT, (uint16_t)n);
	for (unsigned int i = 0; i < req->nr_dialects; i++)
		le16_put(out + REQ_DIALECTS + 2 * i, req->dialects[i]);
	if (!v311)
		return (ssize_t)need;

	pos = ctx_put_hdr(out, ctx_off, SMB2_PREAUTH_INTEGRITY_CAPABILITIES,
			  dlens[0]);
	le16_put(out + pos, 1);
	le16_put(out + pos + 2, SMB2_PREAUTH_SALT_SIZE);
	le16_put(out + pos + 4, SMB2_PREAUTH_INTEGRITY_SHA512);
	memcpy(out + pos + 6, req->salt, SMB2_PREAUTH_SALT_SIZE);
	pos += 6 + SMB2_PREAUTH_SALT_SIZE;
	if (req->nr_ciphers) {
		pos = ctx_put_hdr(out, align8(pos),
				  SMB2_ENCRYPTION_CAPABILITIES,
				  (uint16_t)(2 + 2 * req->nr_ciphers));
		le16_put(out + pos, (uint16_t)req->nr_ciphers);
		for (unsigned int i = 0; i < req->nr_ciphers; i++)
			le16_put(out + pos + 2 + 2 * i, req->ciphers[i]);
		pos += 2 + 2 * (size_t)req->nr_ciphers;
	}
	if (req->nr_signing_algs) {
		pos = ctx_put_hdr(out, align8(pos), SMB2_SIGNING_CAPABILITIES,
				  (uint16_t)(2 + 2 * req->nr_signing_algs));
		le16_put(out + pos, (uint16_t)req->nr_signing_algs);
		for (unsigned int i = 0; i < req->nr_signing_algs; i++)
			le16_put(out + pos + 2 + 2 * i, req->signing_algs[i]);
	}
	return (ssize_t)need;
}

static int req_ctx(void *arg, uint16_t type, const uint8_t *data, uint16_t dlen)
{
	struct smb2_negotiate_req *r = arg;
	uint16_t n;

	switch (type) {
	case SMB2_PREAUTH_INTEGRITY_CAPABILITIES:
		if (ctx_list(data, dlen, 0, 4, &n))
			return -EBADMSG;
		/* Keep the salt only in the form we send: 32 bytes. */
		if (le16_get(data + 2) == SMB2_PREAUTH_SALT_SIZE &&
		    !span_check(dlen, 4, 4 + (uint64_t)n * 2,
				SMB2_PREAUTH_SALT_SIZE))
			memcpy(r->salt, data + 4 + (size_t)n * 2,
			       SMB2_PREAUTH_SALT_SIZE);
		return 0;
	case SMB2_ENCRYPTION_CAPABILITIES:
		if (ctx_list(data, dlen, 0, 2, &n) || n > SMB2_MAX_CIPHERS)
			return -EBADMSG;
		r->nr_ciphers = n;
		for (unsigned int i = 0; i < n; i++)
			r->ciphers[i] = le16_get(data + 2 + 2 * i);
		return 0;
	case SMB2_SIGNING_CAPABILITIES:
		if (ctx_list(data, dlen, 0, 2, &n) || n > SMB2_MAX_SIGNING_ALGS)
			return -EBADMSG;
		r->nr_signing_algs = n;
		for (unsigned int i = 0; i < n; i++)
			r->signing_algs[i] = le16_get(data + 2 + 2 * i);
		return 0;
	default:
		return 0;
	}
}

int smb2_negotiate_req_decode(const uint8_t *buf, size_t len,
			      struct smb2_negotiate_req *req)
{
	struct smb2_negotiate_req r;
	uint16_t count;
	int ret;

	ret = smb2_body_check(buf, len, SMB2_NEGOTIATE_REQ_SIZE,
			      REQ_DIALECTS - SMB2_HDR_SIZE);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	count = le16_get(buf + REQ_DIALECT_COUNT);
	if (count == 0 || count > SMB2_MAX_DIALECTS ||
	    span_check(len, REQ_DIALECTS, REQ_DIALECTS, 2 * (uint64_t)count))
		return -EBADMSG;
	r.nr_dialects = count;
	r.security_mode = le16_get(buf + REQ_SECURITY_MODE);
	r.capabilities = le32_get(buf + REQ_CAPABILITIES);
	memcpy(r.client_guid, buf + REQ_CLIENT_GUID, SMB2_GUID_SIZE);
	for (unsigned int i = 0; i < count; i++)
		r.dialects[i] = le16_get(buf + REQ_DIALECTS + 2 * i);
	if (offers_311(&r)) {
		uint32_t off = le32_get(buf + REQ_CTX_OFFSET);
		uint16_t n = le16_get(buf + REQ_CTX_COUNT);

		if (n && (off < REQ_DIALECTS + 2 * (uint32_t)count || off % 8 ||
			  off > len))
			return -EBADMSG;
		ret = ctx_walk(buf, len, off, n, req_ctx, &r);
		if (ret)
			return ret;
	}
	*req = r;
	return 0;
}

/* ---- policy ------------------------------------------------------------- */

static bool in_list(uint16_t v, const uint16_t *list, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

int smb2_negotiate_check(const struct smb2_negotiate_req *offer,
			 const struct smb2_negotiate_rsp *rsp)
{
	if (!offer || !rsp)
		return -EPROTO;
	if (!in_list(rsp->dialect, offer->dialects, offer->nr_dialects) ||
	    rsp->dialect == SMB2_DIALECT_WILDCARD)
		return -EPROTO;
	if (rsp->max_transact_size < SMB2_MIN_MAX_SIZE ||
	    rsp->max_read_size < SMB2_MIN_MAX_SIZE ||
	    rsp->max_write_size < SMB2_MIN_MAX_SIZE)
		return -EPROTO;
	if (rsp->dialect != SMB2_DIALECT_311)
		return 0;
	/* MS-SMB2 3.2.5.2: exactly one hash, and it must be ours. */
	if (!rsp->has_preauth || rsp->preauth_hash_count != 1 ||
	    rsp->preauth_hash != SMB2_PREAUTH_INTEGRITY_SHA512)
		return -EPROTO;
	if (rsp->has_encryption &&
	    (offer->nr_ciphers == 0 || rsp->cipher_count != 1 ||
	     (rsp->cipher != SMB2_ENCRYPTION_NONE &&
	      !in_list(rsp->cipher, offer->ciphers, offer->nr_ciphers))))
		return -EPROTO;
	if (rsp->has_signing &&
	    (offer->nr_signing_algs == 0 || rsp->signing_count != 1 ||
	     !in_list(rsp->signing_alg, offer->signing_algs,
		      offer->nr_signing_algs)))
		return -EPROTO;
	return 0;
}
