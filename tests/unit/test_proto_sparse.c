// SPDX-License-Identifier: MIT
/*
 * Sparse-file FSCTL payloads (proto/sparse.c): FILE_SET_SPARSE_BUFFER and
 * FILE_ALLOCATED_RANGE_BUFFER in and out (MS-FSCC 2.3.64, 2.3.46). The
 * reply decoder gets malformed server output: partial entries, signed
 * fields past INT64_MAX, sums that wrap, zero lengths, ranges out of
 * order or overlapping.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proto/le.h"
#include "proto/sparse.h"
#include "t.h"

static void test_set_sparse(void)
{
	uint8_t b[4] = {0xEE, 0xEE, 0xEE, 0xEE};

	T_EXPECT_EQ(smb2_set_sparse_encode(b, sizeof(b), true), 1);
	T_EXPECT_EQ(b[0], 1);
	T_EXPECT_EQ(b[1], 0xEE); /* nothing past it */
	T_EXPECT_EQ(smb2_set_sparse_encode(b, 1, false), 1);
	T_EXPECT_EQ(b[0], 0);
	T_EXPECT_EQ(smb2_set_sparse_encode(b, 0, true), -ENOSPC);
	T_EXPECT_EQ(smb2_set_sparse_encode(NULL, 1, true), -EINVAL);
}

static void test_qar_req(void)
{
	uint8_t b[16];

	T_EXPECT_EQ(smb2_qar_req_encode(b, sizeof(b), 4096, 1 << 20), 16);
	T_EXPECT_EQ(le64_get(b), 4096);
	T_EXPECT_EQ(le64_get(b + 8), 1 << 20);
	/* the largest range the signed fields take */
	T_EXPECT_EQ(smb2_qar_req_encode(b, 16, 0, INT64_MAX), 16);
	T_EXPECT_EQ(smb2_qar_req_encode(b, 16, INT64_MAX - 1, 1), 16);
	T_EXPECT_EQ(smb2_qar_req_encode(b, 16, INT64_MAX, 1), -EINVAL);
	T_EXPECT_EQ(smb2_qar_req_encode(b, 16, 1, INT64_MAX), -EINVAL);
	T_EXPECT_EQ(smb2_qar_req_encode(b, 16, (uint64_t)INT64_MAX + 1, 1),
		    -EINVAL);
	T_EXPECT_EQ(smb2_qar_req_encode(b, 16, 0, 0), -EINVAL);
	T_EXPECT_EQ(smb2_qar_req_encode(b, 15, 0, 1), -ENOSPC);
	T_EXPECT_EQ(smb2_qar_req_encode(NULL, 16, 0, 1), -EINVAL);
}

static size_t put_ranges(uint8_t *p, const uint64_t (*r)[2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		le64_put(p + 16 * i, r[i][0]);
		le64_put(p + 16 * i + 8, r[i][1]);
	}
	return 16 * n;
}

static void test_qar_rsp(void)
{
	static const uint64_t good[][2] = {
		{0, 4096},	  /* data at the start */
		{8192, 4096},	  /* a hole between */
		{12288, 1},	  /* adjacent to the last: allowed */
		{1 << 20, 65536}, /* a gap */
	};
	struct smb2_alloc_range out[4];
	uint8_t b[16 * 8];
	size_t len, n;

	len = put_ranges(b, good, 4);
	T_ASSERT(smb2_qar_rsp_decode(b, len, out, 4, &n) == 0);
	T_EXPECT_EQ(n, 4);
	for (size_t i = 0; i < 4; i++) {
		T_EXPECT_EQ(out[i].offset, good[i][0]);
		T_EXPECT_EQ(out[i].length, good[i][1]);
	}
	/* fewer slots than entries: the count says how many there are */
	memset(out, 0, sizeof(out));
	T_ASSERT(smb2_qar_rsp_decode(b, len, out, 2, &n) == 0);
	T_EXPECT_EQ(n, 4);
	T_EXPECT_EQ(out[1].offset, 8192);
	T_EXPECT_EQ(out[2].offset, 0); /* untouched */
	T_ASSERT(smb2_qar_rsp_decode(b, len, NULL, 0, &n) == 0);
	T_EXPECT_EQ(n, 4);
	/* an empty reply: no data in the range */
	T_ASSERT(smb2_qar_rsp_decode(NULL, 0, out, 4, &n) == 0);
	T_EXPECT_EQ(n, 0);
	/* the largest range the fields allow */
	le64_put(b, 0);
	le64_put(b + 8, INT64_MAX);
	T_EXPECT_EQ(smb2_qar_rsp_decode(b, 16, out, 1, &n), 0);
	T_EXPECT_EQ(out[0].length, INT64_MAX);
}

static void test_qar_rsp_bad(void)
{
	static const struct {
		uint64_t r[2][2];
		size_t n;
		const char *why;
	} bad[] = {
		{{{0, 0}}, 1, "a zero length"},
		{{{(uint64_t)INT64_MAX + 1, 1}}, 1, "offset past INT64_MAX"},
		{{{UINT64_MAX, 1}}, 1, "offset -1 (signed)"},
		{{{0, (uint64_t)INT64_MAX + 1}}, 1, "length past INT64_MAX"},
		{{{INT64_MAX, 1}}, 1, "offset + length past INT64_MAX"},
		{{{1, INT64_MAX}}, 1, "offset + length past INT64_MAX"},
		{{{4096, 4096}, {0, 4096}}, 2, "descending"},
		{{{0, 8192}, {4096, 4096}}, 2, "overlapping"},
		{{{0, 4096}, {0, 4096}}, 2, "repeated (a server looping)"},
		{{{0, 4096}, {8192, 0}}, 2, "a zero length after a good one"},
	};
	struct smb2_alloc_range out[2];
	uint8_t b[64];
	size_t n, len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = put_ranges(b, bad[i].r, bad[i].n);
		n = 99;
		/* refused whether or not the bad entry is copied */
		T_EXPECT_EQ(smb2_qar_rsp_decode(b, len, out, 2, &n), -EBADMSG);
		T_EXPECT_EQ(smb2_qar_rsp_decode(b, len, out, 0, &n), -EBADMSG);
		if (n != 99)
			fprintf(stderr, "count set for: %s\n", bad[i].why);
		T_EXPECT_EQ(n, 99);
	}
	/* partial entries */
	le64_put(b, 0);
	le64_put(b + 8, 4096);
	for (len = 1; len < 32; len++)
		if (len != 16)
			T_EXPECT_EQ(smb2_qar_rsp_decode(b, len, out, 2, &n),
				    -EBADMSG);
	T_EXPECT_EQ(smb2_qar_rsp_decode(NULL, 16, out, 2, &n), -EBADMSG);
	T_EXPECT_EQ(smb2_qar_rsp_decode(b, 16, NULL, 1, &n), -EBADMSG);
}

int main(void)
{
	T_RUN(test_set_sparse);
	T_RUN(test_qar_req);
	T_RUN(test_qar_rsp);
	T_RUN(test_qar_rsp_bad);
	return t_done();
}
