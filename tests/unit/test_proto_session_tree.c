/* SPDX-License-Identifier: MIT */
/*
 * SESSION_SETUP, LOGOFF, TREE_CONNECT and TREE_DISCONNECT: round trips,
 * known field positions, truncation and bad offset/length pairs.
 */
#include <errno.h>

#include "proto/le.h"
#include "proto/session.h"
#include "proto/tree.h"
#include "proto/utf16.h"
#include "t.h"

static void test_ss_req(void)
{
	static const uint8_t blob[] = "NTLMSSP\0negotiate-token";
	struct smb2_session_setup_req
		q =
			{
				.flags = SMB2_SESSION_FLAG_BINDING,
				.security_mode =
					SMB2_NEGOTIATE_SIGNING_REQUIRED,
				.capabilities = SMB2_GLOBAL_CAP_DFS,
				.previous_session_id = 0x1122334455667788ull,
				.sec_buf = blob,
				.sec_len = sizeof(blob),
			},
		d;
	struct smb2_hdr h;
	uint8_t m[256];
	ssize_t n;

	smb2_hdr_init_req(&h, 0, 2, 1, 130);
	h.session_id = 0xABCD;
	n = smb2_session_setup_req_encode(m, sizeof(m), &h, &q);
	T_ASSERT(n == SMB2_SESSION_SETUP_REQ_LEN);
	T_EXPECT_EQ(le16_get(m + 64), 25);
	T_EXPECT_EQ(le16_get(m + 76), 88); /* SecurityBufferOffset */
	T_EXPECT_EQ(le16_get(m + 78), sizeof(blob));
	/* The blob travels from caller memory; append it for decoding. */
	memcpy(m + n, blob, sizeof(blob));
	T_ASSERT(smb2_session_setup_req_decode(m, (size_t)n + sizeof(blob),
					       &d) == 0);
	T_EXPECT_EQ(d.flags, q.flags);
	T_EXPECT_EQ(d.security_mode, q.security_mode);
	T_EXPECT_EQ(d.capabilities, q.capabilities);
	T_EXPECT_EQ(d.channel, 0);
	T_EXPECT(d.previous_session_id == q.previous_session_id);
	T_EXPECT_EQ(d.sec_len, sizeof(blob));
	T_EXPECT(d.sec_buf == m + 88);
	for (size_t k = 0; k < (size_t)n + sizeof(blob); k++)
		T_EXPECT_EQ(smb2_session_setup_req_decode(m, k, &d), -EBADMSG);
	for (size_t k = 0; k < (size_t)n; k++)
		T_EXPECT_EQ(smb2_session_setup_req_encode(m, k, &h, &q),
			    -ENOSPC);
	q.sec_len = 0x10000;
	T_EXPECT_EQ(smb2_session_setup_req_encode(m, sizeof(m), &h, &q),
		    -EINVAL);
}

static void test_ss_rsp(void)
{
	static const uint8_t blob[] = {0xA1, 0x81, 0x22, 0x30, 0x20};
	struct smb2_session_setup_rsp
		r =
			{
				.session_flags = SMB2_SESSION_FLAG_ENCRYPT_DATA,
				.sec_buf = blob,
				.sec_len = sizeof(blob),
			},
		d;
	struct smb2_hdr h;
	uint8_t m[128];
	ssize_t n;

	smb2_hdr_init_req(&h, 0, 2, 1, 1);
	h.status = 0xC0000016; /* MORE_PROCESSING_REQUIRED */
	n = smb2_session_setup_rsp_encode(m, sizeof(m), &h, &r);
	T_ASSERT(n == 72 + (ssize_t)sizeof(blob));
	T_ASSERT(smb2_session_setup_rsp_decode(m, (size_t)n, &d) == 0);
	T_EXPECT_EQ(d.session_flags, r.session_flags);
	T_EXPECT_EQ(d.sec_len, sizeof(blob));
	T_EXPECT(memcmp(d.sec_buf, blob, sizeof(blob)) == 0);
	for (ssize_t k = 0; k < n; k++)
		T_EXPECT_EQ(smb2_session_setup_rsp_decode(m, (size_t)k, &d),
			    -EBADMSG);
	/* Offset in the fixed part / header, past the end, wrapping. */
	le16_put(m + 68, 64);
	T_EXPECT_EQ(smb2_session_setup_rsp_decode(m, (size_t)n, &d), -EBADMSG);
	le16_put(m + 68, 71);
	T_EXPECT_EQ(smb2_session_setup_rsp_decode(m, (size_t)n, &d), -EBADMSG);
	le16_put(m + 68, 73);
	T_EXPECT_EQ(smb2_session_setup_rsp_decode(m, (size_t)n, &d), -EBADMSG);
	le16_put(m + 68, 0xFFFF);
	le16_put(m + 70, 0xFFFF);
	T_EXPECT_EQ(smb2_session_setup_rsp_decode(m, (size_t)n, &d), -EBADMSG);
	/* Empty blob: offset ignored. */
	le16_put(m + 70, 0);
	T_EXPECT_EQ(smb2_session_setup_rsp_decode(m, (size_t)n, &d), 0);
	T_EXPECT(d.sec_buf == NULL);
	le16_put(m + 64, 8);
	T_EXPECT_EQ(smb2_session_setup_rsp_decode(m, (size_t)n, &d), -EBADMSG);
}

static void test_logoff(void)
{
	struct smb2_hdr h;
	uint8_t m[SMB2_SIMPLE_MSG_LEN];

	smb2_hdr_init_req(&h, 0, 9, 1, 1);
	T_EXPECT_EQ(smb2_logoff_req_encode(m, sizeof(m), &h),
		    SMB2_SIMPLE_MSG_LEN);
	T_EXPECT_EQ(le16_get(m + 12), SMB2_LOGOFF);
	T_EXPECT_EQ(smb2_logoff_rsp_decode(m, sizeof(m)), 0);
	T_EXPECT_EQ(smb2_logoff_rsp_decode(m, sizeof(m) - 1), -EBADMSG);
	T_EXPECT_EQ(smb2_tree_disconnect_req_encode(m, sizeof(m), &h),
		    SMB2_SIMPLE_MSG_LEN);
	T_EXPECT_EQ(le16_get(m + 12), SMB2_TREE_DISCONNECT);
	T_EXPECT_EQ(smb2_tree_disconnect_rsp_decode(m, sizeof(m)), 0);
	T_EXPECT_EQ(smb2_tree_disconnect_rsp_decode(m, 64), -EBADMSG);
}

static void test_tc_req(void)
{
	/* \\srv\share with an e-acute: 11 UTF-16 units. */
	static const char path[] = "\\\\srv\\sh\xC3\xA9re";
	struct smb2_tree_connect_req q =
					     {
						     .path = path,
						     .path_len =
							     sizeof(path) - 1,
					     },
				     d;
	struct smb2_hdr h;
	uint8_t m[256];
	char back[64];
	size_t blen;
	ssize_t n;

	smb2_hdr_init_req(&h, 0, 3, 1, 1);
	n = smb2_tree_connect_req_encode(m, sizeof(m), &h, &q);
	T_ASSERT(n == 72 + 2 * 11);
	T_EXPECT_EQ(le16_get(m + 64), 9);
	T_EXPECT_EQ(le16_get(m + 68), 72);
	T_EXPECT_EQ(le16_get(m + 70), 22);
	T_EXPECT_EQ(le16_get(m + 72), '\\');
	T_EXPECT_EQ(le16_get(m + 72 + 2 * 8), 0xE9);
	T_ASSERT(smb2_tree_connect_req_decode(m, (size_t)n, &d) == 0);
	T_ASSERT(utf16_to_utf8(d.path16, d.path16_len, back, sizeof(back),
			       &blen) == 0);
	T_EXPECT_EQ(blen, sizeof(path) - 1);
	T_EXPECT(memcmp(back, path, blen) == 0);
	for (ssize_t k = 0; k < n; k++) {
		T_EXPECT_EQ(smb2_tree_connect_req_decode(m, (size_t)k, &d),
			    -EBADMSG);
		T_EXPECT_EQ(smb2_tree_connect_req_encode(m, (size_t)k, &h, &q),
			    -ENOSPC);
	}
	/* Odd PathLength, offset into the fixed part. */
	le16_put(m + 70, 21);
	T_EXPECT_EQ(smb2_tree_connect_req_decode(m, (size_t)n, &d), -EBADMSG);
	le16_put(m + 70, 22);
	le16_put(m + 68, 70);
	T_EXPECT_EQ(smb2_tree_connect_req_decode(m, (size_t)n, &d), -EBADMSG);
	/* Invalid UTF-8 and empty paths are caller errors. */
	q.path = "\\\\srv\\\xC0\xAF";
	q.path_len = 8;
	T_EXPECT_EQ(smb2_tree_connect_req_encode(m, sizeof(m), &h, &q),
		    -EINVAL);
	q.path_len = 0;
	T_EXPECT_EQ(smb2_tree_connect_req_encode(m, sizeof(m), &h, &q),
		    -EINVAL);
}

static void test_tc_rsp(void)
{
	struct smb2_tree_connect_rsp
		r =
			{
				.share_type = SMB2_SHARE_TYPE_DISK,
				.share_flags = SMB2_SHAREFLAG_ENCRYPT_DATA |
					       SMB2_SHAREFLAG_NO_CACHING,
				.capabilities =
					SMB2_SHARE_CAP_CONTINUOUS_AVAILABILITY,
				.maximal_access = 0x001F01FF,
			},
		d;
	struct smb2_hdr h;
	uint8_t m[SMB2_TREE_CONNECT_RSP_LEN];

	smb2_hdr_init_req(&h, 0, 3, 1, 1);
	h.tree_id = 7;
	T_ASSERT(smb2_tree_connect_rsp_encode(m, sizeof(m), &h, &r) ==
		 SMB2_TREE_CONNECT_RSP_LEN);
	T_EXPECT_EQ(le16_get(m + 64), 16);
	T_EXPECT_EQ(m[66], 1);
	T_ASSERT(smb2_tree_connect_rsp_decode(m, sizeof(m), &d) == 0);
	T_EXPECT_EQ(d.share_type, r.share_type);
	T_EXPECT_EQ(d.share_flags, r.share_flags);
	T_EXPECT_EQ(d.capabilities, r.capabilities);
	T_EXPECT_EQ(d.maximal_access, r.maximal_access);
	for (size_t k = 0; k < sizeof(m); k++)
		T_EXPECT_EQ(smb2_tree_connect_rsp_decode(m, k, &d), -EBADMSG);
	m[66] = 0;
	T_EXPECT_EQ(smb2_tree_connect_rsp_decode(m, sizeof(m), &d), -EBADMSG);
	m[66] = 4;
	T_EXPECT_EQ(smb2_tree_connect_rsp_decode(m, sizeof(m), &d), -EBADMSG);
}

int main(void)
{
	T_RUN(test_ss_req);
	T_RUN(test_ss_rsp);
	T_RUN(test_logoff);
	T_RUN(test_tc_req);
	T_RUN(test_tc_rsp);
	return t_done();
}
