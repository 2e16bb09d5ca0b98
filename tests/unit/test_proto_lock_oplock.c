// SPDX-License-Identifier: MIT
/*
 * LOCK (MS-SMB2 2.2.26, 2.2.27) and the OPLOCK_BREAK family: oplock break
 * notification/ack/response and lease break notification/ack/response
 * (2.2.23 - 2.2.25).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proto/oplock.h"
#include "proto/smb2.h"
#include "t.h"

static uint8_t msg[256];

static void put_hdr(uint16_t cmd)
{
	struct smb2_hdr h;

	memset(msg, 0, sizeof(msg));
	memset(&h, 0, sizeof(h));
	h.command = cmd;
	h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
	h.message_id = SMB2_UNSOLICITED_MESSAGE_ID;
	smb2_hdr_encode(msg, &h);
}

static void test_lock_req(void)
{
	/* clang-format off */
	static const uint8_t want[72] = {
		0x30, 0x00, /* StructureSize 48 */
		0x02, 0x00, /* LockCount */
		0x53, 0x00, 0x00, 0x00, /* seq number 3, index 5 */
		0x01, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0,
		/* element 0: offset 4096, length 100, exclusive|fail */
		0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x64, 0, 0, 0, 0, 0, 0, 0,
		0x12, 0, 0, 0, 0, 0, 0, 0,
		/* element 1: offset 2^40, length 1, shared */
		0, 0, 0, 0, 0, 0x01, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0,
		0x01, 0, 0, 0, 0, 0, 0, 0,
	};
	/* clang-format on */
	struct smb2_lock_element el[2] = {
		{4096, 100,
		 SMB2_LOCKFLAG_EXCLUSIVE_LOCK | SMB2_LOCKFLAG_FAIL_IMMEDIATELY},
		{1ull << 40, 1, SMB2_LOCKFLAG_SHARED_LOCK},
	};
	struct smb2_lock_req r = {.fid = {1, 2},
				  .seq_number = 3,
				  .seq_index = 5,
				  .locks = el,
				  .count = 2};
	uint8_t body[128];

	memset(body, 0xEE, sizeof(body));
	T_EXPECT_EQ(smb2_lock_req_encode(body, sizeof(body), &r), 72);
	T_EXPECT(memcmp(body, want, sizeof(want)) == 0);
	T_EXPECT_EQ(body[72], 0xEE);
	for (size_t cap = 0; cap < 72; cap++)
		T_EXPECT_EQ(smb2_lock_req_encode(body, cap, &r), -ENOSPC);

	r.count = 0;
	T_EXPECT_EQ(smb2_lock_req_encode(body, sizeof(body), &r), -EINVAL);
	r.count = 2;
	r.seq_number = 16;
	T_EXPECT_EQ(smb2_lock_req_encode(body, sizeof(body), &r), -EINVAL);
	r.seq_number = 0;
	r.seq_index = 0x10000000;
	T_EXPECT_EQ(smb2_lock_req_encode(body, sizeof(body), &r), -EINVAL);
	r.seq_index = 0;
	el[1].flags = 0x08;
	T_EXPECT_EQ(smb2_lock_req_encode(body, sizeof(body), &r), -EINVAL);

	put_hdr(SMB2_LOCK);
	le16_put(msg + 64, 4);
	T_EXPECT_EQ(smb2_lock_rsp_decode(msg, 68), 0);
	for (size_t n = 0; n < 68; n++)
		T_EXPECT_EQ(smb2_lock_rsp_decode(msg, n), -EBADMSG);
	le16_put(msg + 64, 9);
	T_EXPECT_EQ(smb2_lock_rsp_decode(msg, 73), -EBADMSG);
}

static void test_oplock_break(void)
{
	struct smb2_oplock_break ob = {SMB2_OPLOCK_LEVEL_II,
				       {0x1122334455667788ull, 42}};
	struct smb2_oplock_break got;
	uint8_t *b = msg + 64;

	/* Notification: the server's body decodes; classify says oplock. */
	put_hdr(SMB2_OPLOCK_BREAK);
	T_ASSERT(smb2_oplock_break_ack_encode(b, 24, &ob) == 24);
	T_EXPECT_EQ(le16_get(b), 24);
	T_EXPECT_EQ(b[2], SMB2_OPLOCK_LEVEL_II);
	T_EXPECT_EQ(le64_get(b + 8), ob.fid.persistent);
	T_EXPECT_EQ(le64_get(b + 16), 42);
	T_EXPECT_EQ(smb2_break_classify(msg, 88), SMB2_BREAK_OPLOCK);
	T_ASSERT(smb2_oplock_break_decode(msg, 88, &got) == 0);
	T_EXPECT_EQ(got.oplock_level, SMB2_OPLOCK_LEVEL_II);
	T_EXPECT_EQ(got.fid.persistent, ob.fid.persistent);
	T_EXPECT_EQ(got.fid.volatile_id, 42);
	for (size_t n = 0; n < 88; n++)
		T_EXPECT_EQ(smb2_oplock_break_decode(msg, n, &got), -EBADMSG);
	T_EXPECT_EQ(smb2_oplock_break_ack_encode(b, 23, &ob), -ENOSPC);
	/* A lease body is not an oplock body. */
	le16_put(b, 44);
	T_EXPECT_EQ(smb2_oplock_break_decode(msg, 108, &got), -EBADMSG);
}

static void test_lease_break(void)
{
	struct smb2_lease_break lb;
	struct smb2_lease_ack ack, got;
	uint8_t *b = msg + 64;

	put_hdr(SMB2_OPLOCK_BREAK);
	le16_put(b, 44);
	le16_put(b + 2, 5);
	le32_put(b + 4, SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED);
	for (int i = 0; i < 16; i++)
		b[8 + i] = (uint8_t)(0xE0 + i);
	le32_put(b + 24, SMB2_LEASE_READ_CACHING | SMB2_LEASE_WRITE_CACHING);
	le32_put(b + 28, SMB2_LEASE_READ_CACHING);
	le32_put(b + 32, 0);
	le32_put(b + 36, 0x11);
	le32_put(b + 40, 0x7);
	T_EXPECT_EQ(smb2_break_classify(msg, 108), SMB2_BREAK_LEASE_NOTIFY);
	T_ASSERT(smb2_lease_break_decode(msg, 108, &lb) == 0);
	T_EXPECT_EQ(lb.new_epoch, 5);
	T_EXPECT_EQ(lb.flags, 1);
	T_EXPECT_EQ(lb.key[0], 0xE0);
	T_EXPECT_EQ(lb.key[15], 0xEF);
	T_EXPECT_EQ(lb.current_state, 5);
	T_EXPECT_EQ(lb.new_state, 1);
	T_EXPECT_EQ(lb.access_mask_hint, 0x11);
	T_EXPECT_EQ(lb.share_mask_hint, 7);
	for (size_t n = 0; n < 108; n++)
		T_EXPECT_EQ(smb2_lease_break_decode(msg, n, &lb), -EBADMSG);

	/* Ack round trip: encode, then decode it as the server's response. */
	memset(&ack, 0, sizeof(ack));
	memcpy(ack.key, lb.key, 16);
	ack.state = lb.new_state;
	put_hdr(SMB2_OPLOCK_BREAK);
	T_EXPECT_EQ(smb2_lease_break_ack_encode(b, 36, &ack), 36);
	T_EXPECT_EQ(le16_get(b), 36);
	T_EXPECT_EQ(le32_get(b + 4), 0);
	T_EXPECT_EQ(le32_get(b + 24), SMB2_LEASE_READ_CACHING);
	T_EXPECT_EQ(le64_get(b + 28), 0);
	T_EXPECT_EQ(smb2_break_classify(msg, 100), SMB2_BREAK_LEASE_ACK);
	T_ASSERT(smb2_lease_break_rsp_decode(msg, 100, &got) == 0);
	T_EXPECT(memcmp(got.key, ack.key, 16) == 0);
	T_EXPECT_EQ(got.state, ack.state);
	for (size_t n = 0; n < 100; n++)
		T_EXPECT_EQ(smb2_lease_break_rsp_decode(msg, n, &got),
			    -EBADMSG);
	T_EXPECT_EQ(smb2_lease_break_ack_encode(b, 35, &ack), -ENOSPC);

	/* Unknown shapes. */
	le16_put(b, 9);
	T_EXPECT_EQ(smb2_break_classify(msg, 100), -EBADMSG);
	T_EXPECT_EQ(smb2_break_classify(msg, 65), -EBADMSG);
}

int main(void)
{
	T_RUN(test_lock_req);
	T_RUN(test_oplock_break);
	T_RUN(test_lease_break);
	return t_done();
}
