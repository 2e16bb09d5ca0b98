// SPDX-License-Identifier: MIT
/*
 * IOCTL request/response (MS-SMB2 2.2.31, 2.2.32) with validate negotiate,
 * resume key and server-side copy payloads. The Input/Output pairs are bug
 * class 4 (libsmb2 bae5ef5: output copy sized by one count, copying two).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proto/ioctl.h"
#include "proto/smb2.h"
#include "t.h"

static uint8_t msg[2048];

static void test_ioctl_req_vneg(void)
{
	static const uint16_t dialects[] = {0x0202, 0x0210, 0x0300, 0x0302};
	/* clang-format off */
	static const uint8_t want_in[32] = {
		0x7F, 0x00, 0x00, 0x00, /* Capabilities */
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, /* Guid */
		0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F,
		0x01, 0x00, /* SecurityMode: signing enabled */
		0x04, 0x00, /* DialectCount */
		0x02, 0x02, 0x10, 0x02, 0x00, 0x03, 0x02, 0x03,
	};
	/* clang-format on */
	struct smb2_vneg v = {.capabilities = 0x7F,
			      .security_mode = 1,
			      .dialects = dialects,
			      .dialect_count = 4};
	struct smb2_ioctl_req r = {
		.ctl_code = FSCTL_VALIDATE_NEGOTIATE_INFO,
		.fid = {SMB2_FILEID_NONE_PART, SMB2_FILEID_NONE_PART},
		.max_output_rsp = 24,
		.flags = SMB2_0_IOCTL_IS_FSCTL,
	};
	uint8_t body[256];
	ssize_t n;

	for (int i = 0; i < 16; i++)
		v.guid[i] = (uint8_t)(0x10 + i);
	/* Input encoded in place right after the fixed part. */
	n = smb2_vneg_req_encode(body + 56, sizeof(body) - 56, &v);
	T_ASSERT(n == 32);
	T_EXPECT(memcmp(body + 56, want_in, 32) == 0);
	T_EXPECT_EQ(smb2_ioctl_req_encode(body, sizeof(body), &r, body + 56,
					  (size_t)n),
		    88);
	T_EXPECT_EQ(le16_get(body), 57);
	T_EXPECT_EQ(le32_get(body + 4), FSCTL_VALIDATE_NEGOTIATE_INFO);
	T_EXPECT_EQ(le64_get(body + 8), SMB2_FILEID_NONE_PART);
	T_EXPECT_EQ(le64_get(body + 16), SMB2_FILEID_NONE_PART);
	T_EXPECT_EQ(le32_get(body + 24), 120); /* InputOffset */
	T_EXPECT_EQ(le32_get(body + 28), 32);  /* InputCount */
	T_EXPECT_EQ(le32_get(body + 36), 0);   /* OutputOffset */
	T_EXPECT_EQ(le32_get(body + 40), 0);   /* OutputCount */
	T_EXPECT_EQ(le32_get(body + 44), 24);  /* MaxOutputResponse */
	T_EXPECT_EQ(le32_get(body + 48), 1);   /* Flags */
	T_EXPECT(memcmp(body + 56, want_in, 32) == 0);

	T_EXPECT_EQ(smb2_vneg_req_encode(body, 31, &v), -ENOSPC);
	v.dialect_count = 0;
	T_EXPECT_EQ(smb2_vneg_req_encode(body, 256, &v), -EINVAL);

	/* No input: one zero Buffer byte, offsets 0. */
	r.ctl_code = FSCTL_SRV_REQUEST_RESUME_KEY;
	memset(body, 0xEE, sizeof(body));
	T_EXPECT_EQ(smb2_ioctl_req_encode(body, sizeof(body), &r, NULL, 0), 57);
	T_EXPECT_EQ(le32_get(body + 24), 0);
	T_EXPECT_EQ(le32_get(body + 28), 0);
	T_EXPECT_EQ(body[56], 0);
	T_EXPECT_EQ(smb2_ioctl_req_encode(body, 56, &r, NULL, 0), -ENOSPC);
	T_EXPECT_EQ(smb2_ioctl_req_encode(body, 256, &r, NULL, 4), -EINVAL);
}

/* Test-side IOCTL response: input echo at 112, output after it. */
static size_t mk_ioctl_rsp(uint32_t code, const uint8_t *in, uint32_t ilen,
			   const uint8_t *out, uint32_t olen)
{
	struct smb2_hdr h;
	uint8_t *b = msg + 64;
	uint32_t ioff = 112, ooff = 112 + ((ilen + 7) & ~7u);

	memset(msg, 0, sizeof(msg));
	memset(&h, 0, sizeof(h));
	h.command = SMB2_IOCTL;
	h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
	smb2_hdr_encode(msg, &h);
	le16_put(b, 49);
	le32_put(b + 4, code);
	le64_put(b + 8, 5);
	le64_put(b + 16, 6);
	le32_put(b + 24, ilen ? ioff : 0);
	le32_put(b + 28, ilen);
	le32_put(b + 32, olen ? ooff : 0);
	le32_put(b + 36, olen);
	if (ilen)
		memcpy(msg + ioff, in, ilen);
	if (olen)
		memcpy(msg + ooff, out, olen);
	return olen ? ooff + olen : ioff + ilen;
}

static void test_ioctl_rsp(void)
{
	uint8_t in[12], out[40];
	struct smb2_ioctl_rsp r;
	size_t len;
	static const struct {
		int which; /* 0 input pair, 1 output pair */
		uint32_t off, cnt;
		const char *why;
	} bad[] = {
		{1, 100, 8, "output offset into the fixed part"},
		{1, 0, 8, "output offset 0 with a count"},
		{1, 128, 41, "output count one past the frame"},
		{1, 4096, 1, "output offset past the frame"},
		{1, 0xFFFFFFF0u, 0x20, "output offset + count wraps"},
		{1, 128, 0xFFFFFFFFu, "output count near 2^32"},
		{0, 60, 12, "input offset into the header"},
		{0, 112, 57, "input count past the frame"},
		{0, 0xFFFFFFFFu, 1, "input offset near 2^32"},
	};

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0xA0 + i);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = t_pattern(i);
	len = mk_ioctl_rsp(FSCTL_SRV_REQUEST_RESUME_KEY, in, 12, out, 40);
	T_EXPECT_EQ(len, 168);
	T_ASSERT(smb2_ioctl_rsp_decode(msg, len, 40, &r) == 0);
	T_EXPECT_EQ(r.ctl_code, FSCTL_SRV_REQUEST_RESUME_KEY);
	T_EXPECT_EQ(r.fid.persistent, 5);
	T_EXPECT_EQ(r.fid.volatile_id, 6);
	T_EXPECT(r.input == msg + 112 && r.input_len == 12);
	T_EXPECT(r.output == msg + 128 && r.output_len == 40);
	T_EXPECT(memcmp(r.output, out, 40) == 0);
	T_EXPECT_EQ(smb2_ioctl_rsp_decode(msg, len, 39, &r), -EPROTO);
	for (size_t n = 0; n < len; n++)
		T_EXPECT_EQ(smb2_ioctl_rsp_decode(msg, n, 40, &r), -EBADMSG);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mk_ioctl_rsp(0, in, 12, out, 40);
		le32_put(msg + 64 + (bad[i].which ? 32 : 24), bad[i].off);
		le32_put(msg + 64 + (bad[i].which ? 36 : 28), bad[i].cnt);
		if (smb2_ioctl_rsp_decode(msg, len, 0xFFFFFFFFu, &r) !=
		    -EBADMSG) {
			fprintf(stderr, "row %zu accepted: %s\n", i,
				bad[i].why);
			T_EXPECT(0);
		}
	}

	/* Neither buffer. */
	len = mk_ioctl_rsp(0, NULL, 0, NULL, 0);
	T_EXPECT_EQ(len, 112);
	T_EXPECT_EQ(smb2_ioctl_rsp_decode(msg, len, 0, &r), 0);
	T_EXPECT(r.input == NULL && r.output == NULL);
}

static void test_vneg_rsp(void)
{
	uint8_t p[24];
	struct smb2_vneg got, want;

	le32_put(p, 0x2F);
	for (int i = 0; i < 16; i++)
		p[4 + i] = (uint8_t)(0xC0 + i);
	le16_put(p + 20, 3);
	le16_put(p + 22, 0x0302);
	T_ASSERT(smb2_vneg_rsp_decode(p, 24, &got) == 0);
	T_EXPECT_EQ(got.capabilities, 0x2F);
	T_EXPECT_EQ(got.guid[15], 0xCF);
	T_EXPECT_EQ(got.security_mode, 3);
	T_EXPECT_EQ(got.dialect, 0x0302);
	for (size_t n = 0; n < 24; n++)
		T_EXPECT_EQ(smb2_vneg_rsp_decode(p, n, &got), -EBADMSG);

	want = got;
	T_EXPECT_EQ(smb2_vneg_rsp_check(&got, &want), 0);
	/* Each field on its own must trip the downgrade check. */
	want.capabilities ^= 1;
	T_EXPECT_EQ(smb2_vneg_rsp_check(&got, &want), -EPROTO);
	want = got;
	want.guid[7] ^= 0x80;
	T_EXPECT_EQ(smb2_vneg_rsp_check(&got, &want), -EPROTO);
	want = got;
	want.security_mode = 1;
	T_EXPECT_EQ(smb2_vneg_rsp_check(&got, &want), -EPROTO);
	want = got;
	want.dialect = 0x0300;
	T_EXPECT_EQ(smb2_vneg_rsp_check(&got, &want), -EPROTO);
}

static void test_resume_key(void)
{
	uint8_t p[64], key[24];

	for (int i = 0; i < 24; i++)
		p[i] = (uint8_t)(i + 1);
	le32_put(p + 24, 0);
	T_ASSERT(smb2_resume_key_rsp_decode(p, 28, key) == 0);
	T_EXPECT(memcmp(key, p, 24) == 0);
	for (size_t n = 0; n < 28; n++)
		T_EXPECT_EQ(smb2_resume_key_rsp_decode(p, n, key), -EBADMSG);
	le32_put(p + 24, 4);
	T_EXPECT_EQ(smb2_resume_key_rsp_decode(p, 32, key), 0);
	T_EXPECT_EQ(smb2_resume_key_rsp_decode(p, 31, key), -EBADMSG);
	le32_put(p + 24, 0xFFFFFFFFu); /* ContextLength near 2^32 */
	T_EXPECT_EQ(smb2_resume_key_rsp_decode(p, 64, key), -EBADMSG);
}

static void test_zero_data(void)
{
	uint8_t b[SMB2_ZERO_DATA_SIZE + 1];
	const uint8_t want[16] = {0x00, 0x10, 0, 0, 0, 0, 0, 0,
				  0x01, 0x20, 0, 0, 0, 0, 0, 0};

	T_EXPECT_EQ(smb2_zero_data_encode(b, sizeof(b), 0x1000, 0x2001), 16);
	T_EXPECT(!memcmp(b, want, 16));
	T_EXPECT_EQ(smb2_zero_data_encode(b, 15, 0, 1), -ENOSPC);
	T_EXPECT_EQ(smb2_zero_data_encode(b, sizeof(b), 10, 9), -EINVAL);
	T_EXPECT_EQ(smb2_zero_data_encode(b, sizeof(b), 0, UINT64_MAX),
		    -EINVAL);
	T_EXPECT_EQ(smb2_zero_data_encode(b, sizeof(b), 5, 5), 16);
}

static void test_copychunk(void)
{
	uint8_t key[24], p[128];
	struct smb2_copychunk c[2] = {
		{.source_offset = 0,
		 .target_offset = 1ull << 33,
		 .length = 1 << 20},
		{.source_offset = 1 << 20,
		 .target_offset = (1ull << 33) + (1 << 20),
		 .length = 4096},
	};
	struct smb2_copychunk_rsp r;

	memset(key, 0x77, sizeof(key));
	T_EXPECT_EQ(smb2_copychunk_req_encode(p, sizeof(p), key, c, 2), 80);
	T_EXPECT(memcmp(p, key, 24) == 0);
	T_EXPECT_EQ(le32_get(p + 24), 2);
	T_EXPECT_EQ(le32_get(p + 28), 0);
	T_EXPECT_EQ(le64_get(p + 32), 0);
	T_EXPECT_EQ(le64_get(p + 40), 1ull << 33);
	T_EXPECT_EQ(le32_get(p + 48), 1 << 20);
	T_EXPECT_EQ(le32_get(p + 52), 0);
	T_EXPECT_EQ(le64_get(p + 56), 1 << 20);
	T_EXPECT_EQ(le32_get(p + 72), 4096);
	T_EXPECT_EQ(smb2_copychunk_req_encode(p, 79, key, c, 2), -ENOSPC);
	T_EXPECT_EQ(smb2_copychunk_req_encode(p, 128, key, c, 0), -EINVAL);

	le32_put(p, 2);
	le32_put(p + 4, 4096);
	le32_put(p + 8, (1 << 20) + 4096);
	T_ASSERT(smb2_copychunk_rsp_decode(p, 12, &r) == 0);
	T_EXPECT_EQ(r.chunks_written, 2);
	T_EXPECT_EQ(r.chunk_bytes_written, 4096);
	T_EXPECT_EQ(r.total_bytes_written, (1 << 20) + 4096);
	for (size_t n = 0; n < 12; n++)
		T_EXPECT_EQ(smb2_copychunk_rsp_decode(p, n, &r), -EBADMSG);
}

int main(void)
{
	T_RUN(test_ioctl_req_vneg);
	T_RUN(test_ioctl_rsp);
	T_RUN(test_vneg_rsp);
	T_RUN(test_resume_key);
	T_RUN(test_copychunk);
	T_RUN(test_zero_data);
	return t_done();
}
