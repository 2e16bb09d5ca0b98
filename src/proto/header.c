/* SPDX-License-Identifier: MIT */
/*
 * SMB2 packet header codec (MS-SMB2 2.2.1) and direct-TCP framing
 * (MS-SMB2 2.1). Field-by-field little-endian loads; no struct overlays.
 */
#include <errno.h>
#include <string.h>

#include "proto/le.h"
#include "proto/span.h"
#include "proto/smb2.h"

/*
 * Header layout, offsets from the ProtocolId (MS-SMB2 2.2.1.1/2.2.1.2):
 *  0 ProtocolId  4 StructureSize  6 CreditCharge  8 Status/ChannelSequence
 * 12 Command    14 CreditRequest/Response        16 Flags  20 NextCommand
 * 24 MessageId  32 async: AsyncId (8) | sync: Reserved (4) + TreeId (4)
 * 40 SessionId  48 Signature (16)
 */
#define OFF_STRUCT_SIZE 4
#define OFF_CREDIT_CHG	6
#define OFF_STATUS	8
#define OFF_COMMAND	12
#define OFF_CREDITS	14
#define OFF_MESSAGE_ID	24
#define OFF_ASYNC_ID	32
#define OFF_TREE_ID	36
#define OFF_SESSION_ID	40

int smb2_hdr_decode(const uint8_t *buf, size_t len, struct smb2_hdr *hdr)
{
	struct smb2_hdr h;

	if (!buf || len < SMB2_HDR_SIZE)
		return -EBADMSG;
	if (le32_get(buf) != SMB2_PROTO_ID ||
	    le16_get(buf + OFF_STRUCT_SIZE) != SMB2_HDR_SIZE)
		return -EBADMSG;

	memset(&h, 0, sizeof(h));
	h.credit_charge = le16_get(buf + OFF_CREDIT_CHG);
	h.status = le32_get(buf + OFF_STATUS);
	h.command = le16_get(buf + OFF_COMMAND);
	h.credits = le16_get(buf + OFF_CREDITS);
	h.flags = le32_get(buf + SMB2_HDR_FLAGS_OFF);
	h.next_command = le32_get(buf + SMB2_HDR_NEXT_COMMAND_OFF);
	h.message_id = le64_get(buf + OFF_MESSAGE_ID);
	if (h.flags & SMB2_FLAGS_ASYNC_COMMAND)
		h.async_id = le64_get(buf + OFF_ASYNC_ID);
	else
		h.tree_id = le32_get(buf + OFF_TREE_ID);
	h.session_id = le64_get(buf + OFF_SESSION_ID);
	memcpy(h.signature, buf + SMB2_HDR_SIGNATURE_OFF, SMB2_SIGNATURE_SIZE);
	*hdr = h;
	return 0;
}

void smb2_hdr_encode(uint8_t *out64, const struct smb2_hdr *hdr)
{
	le32_put(out64, SMB2_PROTO_ID);
	le16_put(out64 + OFF_STRUCT_SIZE, SMB2_HDR_SIZE);
	le16_put(out64 + OFF_CREDIT_CHG, hdr->credit_charge);
	le32_put(out64 + OFF_STATUS, hdr->status);
	le16_put(out64 + OFF_COMMAND, hdr->command);
	le16_put(out64 + OFF_CREDITS, hdr->credits);
	le32_put(out64 + SMB2_HDR_FLAGS_OFF, hdr->flags);
	le32_put(out64 + SMB2_HDR_NEXT_COMMAND_OFF, hdr->next_command);
	le64_put(out64 + OFF_MESSAGE_ID, hdr->message_id);
	if (hdr->flags & SMB2_FLAGS_ASYNC_COMMAND) {
		le64_put(out64 + OFF_ASYNC_ID, hdr->async_id);
	} else {
		le32_put(out64 + OFF_ASYNC_ID, 0); /* Reserved (ProcessId) */
		le32_put(out64 + OFF_TREE_ID, hdr->tree_id);
	}
	le64_put(out64 + OFF_SESSION_ID, hdr->session_id);
	memcpy(out64 + SMB2_HDR_SIGNATURE_OFF, hdr->signature,
	       SMB2_SIGNATURE_SIZE);
}

void smb2_hdr_init_req(struct smb2_hdr *hdr, uint16_t command,
		       uint64_t message_id, uint16_t credit_charge,
		       uint16_t credits)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->command = command;
	hdr->message_id = message_id;
	hdr->credit_charge = credit_charge;
	hdr->credits = credits;
}

uint32_t smb2_proto_id(const uint8_t *buf, size_t len)
{
	if (!buf || len < 4)
		return 0;
	return le32_get(buf);
}

int smb2_nbss_encode(uint8_t *out4, size_t len)
{
	if (len > SMB2_NBSS_MAX_LEN)
		return -EINVAL;
	/* Zero byte + 24-bit big-endian length (MS-SMB2 2.1). */
	be32_put(out4, (uint32_t)len);
	return 0;
}

int smb2_nbss_decode(const uint8_t *buf, size_t len, uint32_t max_len,
		     uint32_t *msg_len)
{
	uint32_t n;

	if (!buf || len < SMB2_NBSS_HDR_SIZE)
		return -EAGAIN;
	/*
	 * Direct TCP has no NetBIOS message types: a nonzero first byte is
	 * either NetBIOS-over-TCP traffic (keepalive 0x85, ...) or garbage.
	 */
	if (buf[0] != 0)
		return -EBADMSG;
	n = be32_get(buf);
	/*
	 * Anything shorter than one SMB2 header (or a transform header plus
	 * one) is malformed; rejecting here keeps every later stage from
	 * reading past a short buffer (bug class 1: SPL 0, SPL < 64).
	 */
	if (n < SMB2_NBSS_MIN_LEN)
		return -EBADMSG;
	if (max_len == 0 || max_len > SMB2_NBSS_MAX_LEN)
		max_len = SMB2_NBSS_MAX_LEN;
	if (n > max_len)
		return -EMSGSIZE;
	*msg_len = n;
	return 0;
}

int smb2_req_begin(uint8_t *out, size_t cap, size_t need,
		   const struct smb2_hdr *hdr, uint16_t command)
{
	struct smb2_hdr h;

	if (!out || !hdr || need < SMB2_HDR_SIZE)
		return -EINVAL;
	if (cap < need)
		return -ENOSPC;
	h = *hdr;
	h.command = command;
	smb2_hdr_encode(out, &h);
	memset(out + SMB2_HDR_SIZE, 0, need - SMB2_HDR_SIZE);
	return 0;
}

int smb2_body_check(const uint8_t *buf, size_t len, uint16_t structure_size,
		    size_t fixed)
{
	if (!buf || len < SMB2_HDR_SIZE || len - SMB2_HDR_SIZE < fixed ||
	    len - SMB2_HDR_SIZE < 2)
		return -EBADMSG;
	/*
	 * Re-check the header's fixed fields so every body decoder stands
	 * alone: a fuzz target or a caller that skipped smb2_hdr_decode()
	 * cannot get a body accepted behind a non-SMB2 header.
	 */
	if (le32_get(buf) != SMB2_PROTO_ID ||
	    le16_get(buf + OFF_STRUCT_SIZE) != SMB2_HDR_SIZE)
		return -EBADMSG;
	if (le16_get(buf + SMB2_HDR_SIZE) != structure_size)
		return -EBADMSG;
	return 0;
}

int smb2_out_buffer_decode(const uint8_t *msg, size_t len,
			   uint16_t structure_size, uint32_t max_out,
			   const uint8_t **out, uint32_t *out_len)
{
	const uint8_t *b;
	uint16_t off;
	uint32_t olen;
	int ret;

	ret = smb2_body_check(msg, len, structure_size, SMB2_OUT_BUFFER_FIXED);
	if (ret)
		return ret;
	b = msg + SMB2_HDR_SIZE;
	off = le16_get(b + 2);
	olen = le32_get(b + 4);
	if (span_check(len, SMB2_HDR_SIZE + SMB2_OUT_BUFFER_FIXED, off, olen))
		return -EBADMSG;
	if (olen > max_out)
		return -EPROTO;
	*out = olen ? msg + off : NULL;
	*out_len = olen;
	return 0;
}
