/* SPDX-License-Identifier: MIT */
/*
 * SMB2 ERROR response (MS-SMB2 2.2.2) and error contexts (2.2.2.1).
 *
 * ByteCount is a 32-bit peer value; libsmb2 once copied that many bytes
 * without bounding it by the PDU. Here it is bounded by the element in
 * 64-bit arithmetic, and so is every ErrorDataLength inside it.
 */
#include <errno.h>
#include <string.h>

#include "proto/le.h"
#include "proto/smb2.h"
#include "proto/span.h"

/* Fixed part: StructureSize, ErrorContextCount, Reserved, ByteCount. */
#define ERR_FIXED    8
#define ERR_DATA_OFF (SMB2_HDR_SIZE + ERR_FIXED)
/* ErrorDataLength (4) + ErrorId (4) precede each context's data. */
#define ERR_CTX_HDR 8

/*
 * Walk the contexts; stop at @want (return its position) or check that
 * exactly rsp->context_count contexts fit when @want is UINT32_MAX.
 */
static int error_ctx_walk(const uint8_t *data, uint32_t byte_count,
			  unsigned int count, unsigned int want,
			  struct smb2_error_ctx *ctx)
{
	uint64_t pos = 0;

	for (unsigned int i = 0; i < count; i++) {
		uint32_t dl;

		/* Contexts start 8-aligned within ErrorData (2.2.2.1). */
		pos = (pos + 7) & ~(uint64_t)7;
		if (pos > byte_count || byte_count - pos < ERR_CTX_HDR)
			return -EBADMSG;
		dl = le32_get(data + pos);
		if (span_check(byte_count, pos + ERR_CTX_HDR, pos + ERR_CTX_HDR,
			       dl))
			return -EBADMSG;
		if (i == want) {
			ctx->error_id = le32_get(data + pos + 4);
			ctx->data_len = dl;
			ctx->data = dl ? data + pos + ERR_CTX_HDR : NULL;
			return 0;
		}
		pos += ERR_CTX_HDR + (uint64_t)dl;
	}
	return want == UINT32_MAX ? 0 : -ENOENT;
}

int smb2_error_rsp_decode(const uint8_t *buf, size_t len,
			  struct smb2_error_rsp *rsp)
{
	struct smb2_error_rsp r;
	int ret;

	ret = smb2_body_check(buf, len, SMB2_ERROR_RSP_SIZE, ERR_FIXED);
	if (ret)
		return ret;
	r.context_count = buf[SMB2_HDR_SIZE + 2];
	r.byte_count = le32_get(buf + SMB2_HDR_SIZE + 4);
	if (span_check(len, ERR_DATA_OFF, ERR_DATA_OFF, r.byte_count))
		return -EBADMSG;
	r.data = r.byte_count ? buf + ERR_DATA_OFF : NULL;
	if (r.context_count) {
		ret = error_ctx_walk(r.data, r.byte_count, r.context_count,
				     UINT32_MAX, NULL);
		if (ret)
			return ret;
	}
	*rsp = r;
	return 0;
}

int smb2_error_ctx_get(const struct smb2_error_rsp *rsp, unsigned int idx,
		       struct smb2_error_ctx *ctx)
{
	if (!rsp || !ctx)
		return -EINVAL;
	if (idx >= rsp->context_count)
		return -ENOENT;
	return error_ctx_walk(rsp->data, rsp->byte_count, rsp->context_count,
			      idx, ctx);
}

ssize_t smb2_error_rsp_encode(uint8_t *out, size_t cap,
			      const struct smb2_hdr *hdr, const uint8_t *data,
			      uint32_t data_len, uint8_t context_count)
{
	struct smb2_hdr h;
	size_t need;
	int ret;

	if (!hdr || (data_len && !data))
		return -EINVAL;
	need = (size_t)ERR_DATA_OFF + (data_len ? data_len : 1);
	ret = smb2_req_begin(out, cap, need, hdr, hdr->command);
	if (ret)
		return ret;
	h = *hdr;
	h.flags |= SMB2_FLAGS_SERVER_TO_REDIR;
	smb2_hdr_encode(out, &h);
	le16_put(out + SMB2_HDR_SIZE, SMB2_ERROR_RSP_SIZE);
	out[SMB2_HDR_SIZE + 2] = context_count;
	le32_put(out + SMB2_HDR_SIZE + 4, data_len);
	if (data_len)
		memcpy(out + ERR_DATA_OFF, data, data_len);
	return (ssize_t)need;
}
