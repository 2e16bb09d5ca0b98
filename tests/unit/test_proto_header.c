/* SPDX-License-Identifier: MIT */
/*
 * SMB2 header, direct-TCP framing, ERROR response and the 4-byte-body
 * messages: known bytes, round trips and malformed input.
 */
#include <errno.h>

#include "proto/le.h"
#include "proto/ntstatus.h"
#include "proto/smb2.h"
#include "t.h"

/*
 * A sync response header built by hand from MS-SMB2 2.2.1.2: TREE_CONNECT,
 * STATUS_ACCESS_DENIED, CreditCharge 1, 31 credits granted, flags
 * SERVER_TO_REDIR|SIGNED, MessageId 0x0102030405060708, TreeId 0x11223344,
 * SessionId 0x8877665544332211, signature 0xA0..0xAF.
 */
static const uint8_t known_sync[64] = {
	0xFE, 'S',  'M',  'B',	0x40, 0x00, 0x01, 0x00, /* id, size, charge */
	0x22, 0x00, 0x00, 0xC0,				/* Status */
	0x03, 0x00, 0x1F, 0x00,				/* Command, credits */
	0x09, 0x00, 0x00, 0x00,				/* Flags */
	0x00, 0x00, 0x00, 0x00,				/* NextCommand */
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* MessageId */
	0x00, 0x00, 0x00, 0x00,				/* Reserved */
	0x44, 0x33, 0x22, 0x11,				/* TreeId */
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* SessionId */
	0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, /* Signature */
	0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF,
};

static void test_known_sync(void)
{
	struct smb2_hdr h;
	uint8_t out[64];

	T_ASSERT(smb2_hdr_decode(known_sync, sizeof(known_sync), &h) == 0);
	T_EXPECT_EQ(h.credit_charge, 1);
	T_EXPECT_EQ(h.status, STATUS_ACCESS_DENIED);
	T_EXPECT_EQ(h.command, SMB2_TREE_CONNECT);
	T_EXPECT_EQ(h.credits, 31);
	T_EXPECT_EQ(h.flags, SMB2_FLAGS_SERVER_TO_REDIR | SMB2_FLAGS_SIGNED);
	T_EXPECT_EQ(h.next_command, 0);
	T_EXPECT(h.message_id == 0x0102030405060708ull);
	T_EXPECT_EQ(h.tree_id, 0x11223344);
	T_EXPECT_EQ(h.async_id, 0);
	T_EXPECT(h.session_id == 0x8877665544332211ull);
	T_EXPECT_EQ(h.signature[0], 0xA0);
	T_EXPECT_EQ(h.signature[15], 0xAF);
	smb2_hdr_encode(out, &h);
	T_EXPECT(memcmp(out, known_sync, 64) == 0);
	T_EXPECT_EQ(smb2_proto_id(known_sync, 64), SMB2_PROTO_ID);
	T_EXPECT_EQ(smb2_proto_id(known_sync, 3), 0);
}

static void test_async_roundtrip(void)
{
	struct smb2_hdr h, d;
	uint8_t out[64];

	smb2_hdr_init_req(&h, SMB2_READ, 77, 16, 256);
	h.flags = SMB2_FLAGS_ASYNC_COMMAND | SMB2_FLAGS_SERVER_TO_REDIR;
	h.async_id = 0xDEADBEEFCAFEF00Dull;
	h.tree_id = 5; /* not part of the async form: must not survive */
	h.session_id = 9;
	h.status = STATUS_PENDING;
	smb2_hdr_encode(out, &h);
	/* AsyncId occupies bytes 32..39 (MS-SMB2 2.2.1.1). */
	T_EXPECT(le64_get(out + 32) == 0xDEADBEEFCAFEF00Dull);
	T_ASSERT(smb2_hdr_decode(out, sizeof(out), &d) == 0);
	T_EXPECT(d.async_id == h.async_id);
	T_EXPECT_EQ(d.tree_id, 0);
	T_EXPECT_EQ(d.command, SMB2_READ);
	T_EXPECT_EQ(d.credit_charge, 16);
	T_EXPECT_EQ(d.credits, 256);
	T_EXPECT(d.message_id == 77);
	T_EXPECT_EQ(d.status, STATUS_PENDING);
}

static void test_bad_header(void)
{
	struct smb2_hdr h;
	uint8_t b[64];

	for (size_t n = 0; n < 64; n++)
		T_EXPECT_EQ(smb2_hdr_decode(known_sync, n, &h), -EBADMSG);
	T_EXPECT_EQ(smb2_hdr_decode(NULL, 64, &h), -EBADMSG);
	memcpy(b, known_sync, 64);
	b[0] = 0xFD; /* transform header is not an SMB2 header */
	T_EXPECT_EQ(smb2_hdr_decode(b, 64, &h), -EBADMSG);
	b[0] = 0xFF; /* SMB1 */
	T_EXPECT_EQ(smb2_hdr_decode(b, 64, &h), -EBADMSG);
	memcpy(b, known_sync, 64);
	b[4] = 63;
	T_EXPECT_EQ(smb2_hdr_decode(b, 64, &h), -EBADMSG);
}

static void test_nbss(void)
{
	uint8_t p[4];
	uint32_t n = 0;

	T_EXPECT_EQ(smb2_nbss_encode(p, 0x123456), 0);
	T_EXPECT(p[0] == 0 && p[1] == 0x12 && p[2] == 0x34 && p[3] == 0x56);
	T_EXPECT_EQ(smb2_nbss_decode(p, 4, 0, &n), 0);
	T_EXPECT_EQ(n, 0x123456);
	T_EXPECT_EQ(smb2_nbss_encode(p, 0x1000000), -EINVAL);
	T_EXPECT_EQ(smb2_nbss_encode(p, 0xFFFFFF), 0);
	T_EXPECT_EQ(smb2_nbss_decode(p, 4, 0, &n), 0);
	T_EXPECT_EQ(n, 0xFFFFFF);
	/* A caller limit from the negotiated sizes. */
	T_EXPECT_EQ(smb2_nbss_decode(p, 4, 1 << 20, &n), -EMSGSIZE);
	for (size_t k = 0; k < 4; k++)
		T_EXPECT_EQ(smb2_nbss_decode(p, k, 0, &n), -EAGAIN);
	/* SPL 0 and SPL below one header (bug class 1). */
	for (uint32_t v = 0; v < 64; v++) {
		smb2_nbss_encode(p, v);
		T_EXPECT_EQ(smb2_nbss_decode(p, 4, 0, &n), -EBADMSG);
	}
	smb2_nbss_encode(p, 64);
	T_EXPECT_EQ(smb2_nbss_decode(p, 4, 0, &n), 0);
	p[0] = 0x85; /* NetBIOS keepalive: not direct TCP */
	T_EXPECT_EQ(smb2_nbss_decode(p, 4, 0, &n), -EBADMSG);
}

static size_t mk_err(uint8_t *buf, size_t cap, const uint8_t *data,
		     uint32_t dlen, uint8_t count)
{
	struct smb2_hdr h;
	ssize_t n;

	smb2_hdr_init_req(&h, SMB2_CREATE, 3, 1, 1);
	h.status = STATUS_STOPPED_ON_SYMLINK;
	n = smb2_error_rsp_encode(buf, cap, &h, data, dlen, count);
	T_ASSERT(n > 0);
	return (size_t)n;
}

static void test_error_rsp(void)
{
	uint8_t buf[256], data[40];
	struct smb2_error_rsp r;
	struct smb2_error_ctx c;
	size_t n;

	/* Empty ErrorData: one pad byte is sent. */
	n = mk_err(buf, sizeof(buf), NULL, 0, 0);
	T_EXPECT_EQ(n, 73);
	T_ASSERT(smb2_error_rsp_decode(buf, n, &r) == 0);
	T_EXPECT_EQ(r.byte_count, 0);
	T_EXPECT(r.data == NULL);
	/* Servers also send the 8-byte body alone. */
	T_EXPECT_EQ(smb2_error_rsp_decode(buf, 72, &r), 0);
	for (size_t k = 0; k < 72; k++)
		T_EXPECT_EQ(smb2_error_rsp_decode(buf, k, &r), -EBADMSG);

	/* Two contexts: 4 bytes of data, then (8-aligned) 2 bytes. */
	memset(data, 0, sizeof(data));
	le32_put(data, 4);
	le32_put(data + 4, SMB2_ERROR_ID_DEFAULT);
	le32_put(data + 8, 0xAABBCCDD);
	le32_put(data + 16, 2);
	le32_put(data + 20, SMB2_ERROR_ID_SHARE_REDIRECT);
	data[24] = 0x11;
	data[25] = 0x22;
	n = mk_err(buf, sizeof(buf), data, 26, 2);
	T_ASSERT(smb2_error_rsp_decode(buf, n, &r) == 0);
	T_EXPECT_EQ(r.context_count, 2);
	T_EXPECT_EQ(r.byte_count, 26);
	T_ASSERT(smb2_error_ctx_get(&r, 0, &c) == 0);
	T_EXPECT_EQ(c.error_id, SMB2_ERROR_ID_DEFAULT);
	T_EXPECT_EQ(c.data_len, 4);
	T_EXPECT_EQ(le32_get(c.data), 0xAABBCCDD);
	T_ASSERT(smb2_error_ctx_get(&r, 1, &c) == 0);
	T_EXPECT_EQ(c.error_id, SMB2_ERROR_ID_SHARE_REDIRECT);
	T_EXPECT_EQ(c.data_len, 2);
	T_EXPECT_EQ(c.data[1], 0x22);
	T_EXPECT_EQ(smb2_error_ctx_get(&r, 2, &c), -ENOENT);
	/* Truncated anywhere: ByteCount no longer fits. */
	for (size_t k = 0; k < n; k++)
		T_EXPECT_EQ(smb2_error_rsp_decode(buf, k, &r), -EBADMSG);

	/* More contexts claimed than ByteCount holds. */
	buf[SMB2_HDR_SIZE + 2] = 3;
	T_EXPECT_EQ(smb2_error_rsp_decode(buf, n, &r), -EBADMSG);
	buf[SMB2_HDR_SIZE + 2] = 2;
	/* ErrorDataLength running past ByteCount, and near 2^32. */
	le32_put(buf + 72 + 16, 3);
	T_EXPECT_EQ(smb2_error_rsp_decode(buf, n, &r), -EBADMSG);
	le32_put(buf + 72 + 16, 0xFFFFFFF8);
	T_EXPECT_EQ(smb2_error_rsp_decode(buf, n, &r), -EBADMSG);
	le32_put(buf + 72 + 16, 2);
	T_EXPECT_EQ(smb2_error_rsp_decode(buf, n, &r), 0);
	/* ByteCount larger than the message, and 0xFFFFFFFF (wrap). */
	le32_put(buf + SMB2_HDR_SIZE + 4, 27);
	T_EXPECT_EQ(smb2_error_rsp_decode(buf, n, &r), -EBADMSG);
	le32_put(buf + SMB2_HDR_SIZE + 4, 0xFFFFFFFF);
	T_EXPECT_EQ(smb2_error_rsp_decode(buf, n, &r), -EBADMSG);
	/* Contexts claimed with no data at all. */
	n = mk_err(buf, sizeof(buf), NULL, 0, 1);
	T_EXPECT_EQ(smb2_error_rsp_decode(buf, n, &r), -EBADMSG);
	/* Wrong StructureSize. */
	n = mk_err(buf, sizeof(buf), NULL, 0, 0);
	buf[SMB2_HDR_SIZE] = 8;
	T_EXPECT_EQ(smb2_error_rsp_decode(buf, n, &r), -EBADMSG);
	/* Output buffer too small. */
	T_EXPECT_EQ(smb2_error_rsp_encode(buf, 72, &(struct smb2_hdr){0}, NULL,
					  0, 0),
		    -ENOSPC);
}

static void test_simple_msgs(void)
{
	struct smb2_hdr h, d;
	uint8_t buf[SMB2_SIMPLE_MSG_LEN];
	static const uint16_t cmds[] = {SMB2_LOGOFF, SMB2_TREE_DISCONNECT,
					SMB2_ECHO, SMB2_CANCEL};

	smb2_hdr_init_req(&h, 0, 42, 1, 1);
	for (size_t i = 0; i < 4; i++) {
		T_EXPECT_EQ(
			smb2_simple_msg_encode(buf, sizeof(buf), &h, cmds[i]),
			SMB2_SIMPLE_MSG_LEN);
		T_EXPECT_EQ(smb2_simple_msg_decode(buf, sizeof(buf)), 0);
		T_ASSERT(smb2_hdr_decode(buf, sizeof(buf), &d) == 0);
		T_EXPECT_EQ(d.command, cmds[i]);
		for (size_t k = 0; k < sizeof(buf); k++)
			T_EXPECT_EQ(smb2_simple_msg_decode(buf, k), -EBADMSG);
	}
	T_EXPECT_EQ(smb2_simple_msg_encode(buf, sizeof(buf), &h, SMB2_READ),
		    -EINVAL);
	T_EXPECT_EQ(smb2_echo_req_encode(buf, sizeof(buf) - 1, &h), -ENOSPC);
	T_EXPECT_EQ(smb2_echo_req_encode(buf, sizeof(buf), &h),
		    SMB2_SIMPLE_MSG_LEN);
	T_EXPECT_EQ(smb2_echo_rsp_decode(buf, sizeof(buf)), 0);
	buf[SMB2_HDR_SIZE] = 5;
	T_EXPECT_EQ(smb2_echo_rsp_decode(buf, sizeof(buf)), -EBADMSG);

	/* CANCEL of an async request keeps the AsyncId. */
	h.flags = SMB2_FLAGS_ASYNC_COMMAND;
	h.async_id = 0x55;
	T_EXPECT_EQ(smb2_cancel_req_encode(buf, sizeof(buf), &h),
		    SMB2_SIMPLE_MSG_LEN);
	T_ASSERT(smb2_hdr_decode(buf, sizeof(buf), &d) == 0);
	T_EXPECT_EQ(d.command, SMB2_CANCEL);
	T_EXPECT(d.async_id == 0x55);
	T_EXPECT(d.message_id == 42);
}

int main(void)
{
	T_RUN(test_known_sync);
	T_RUN(test_async_roundtrip);
	T_RUN(test_bad_header);
	T_RUN(test_nbss);
	T_RUN(test_error_rsp);
	T_RUN(test_simple_msgs);
	return t_done();
}
