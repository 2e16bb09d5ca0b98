// SPDX-License-Identifier: MIT
/*
 * READ request bytes, the READ response receive plan (DESIGN.md §6.4) and
 * the WRITE request that describes its payload as the caller's iterator
 * without touching it (§6.5). MS-SMB2 2.2.19 - 2.2.22.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <smbiov/iter.h>

#include "proto/rw.h"
#include "proto/smb2.h"
#include "t.h"

static uint8_t frame[70000];

static const struct smb2_fileid fid = {0x0807060504030201ull,
				       0x1817161514131211ull};

static void test_read_req_bytes(void)
{
	static const uint8_t want[49] = {
		0x31, 0x00,		/* StructureSize 49 */
		0x50,			/* Padding: data at 80 */
		0x01,			/* Flags: READ_UNBUFFERED */
		0x00, 0x00, 0x01, 0x00, /* Length 65536 */
		0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* Offset */
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* FileId */
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x00, 0x02, 0x00, 0x00, /* MinimumCount 512 */
		0x00, 0x00, 0x00, 0x00, /* Channel NONE */
		0x00, 0x00, 0x00, 0x00, /* RemainingBytes */
		0x00, 0x00, 0x00, 0x00, /* ReadChannelInfo offset/length */
		0x00,			/* Buffer */
	};
	struct smb2_read_req r = {.fid = fid,
				  .offset = 0x100001000ull,
				  .length = 65536,
				  .minimum_count = 512,
				  .flags = SMB2_READFLAG_READ_UNBUFFERED};
	uint8_t body[64];

	memset(body, 0xEE, sizeof(body));
	T_EXPECT_EQ(smb2_read_req_encode(body, sizeof(body), &r), 49);
	T_EXPECT(memcmp(body, want, sizeof(want)) == 0);
	T_EXPECT_EQ(body[49], 0xEE); /* nothing written past the body */
	T_EXPECT_EQ(smb2_read_req_encode(body, 48, &r), -ENOSPC);
	T_EXPECT_EQ(smb2_read_req_encode(NULL, 64, &r), -EINVAL);
}

/* Test-side READ response: header + fixed part; payload bytes patterned. */
static size_t mk_read_rsp(uint8_t off, uint32_t dlen, size_t frame_len)
{
	struct smb2_hdr h;
	uint8_t *b = frame + 64;

	memset(frame, 0, 80);
	memset(&h, 0, sizeof(h));
	h.command = SMB2_READ;
	h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
	smb2_hdr_encode(frame, &h);
	le16_put(b, 17);
	b[2] = off;
	le32_put(b + 4, dlen);
	le32_put(b + 8, 0);
	le32_put(b + 12, 0);
	return frame_len;
}

static uint32_t steps_total(const struct smb2_read_plan *p)
{
	uint32_t s = 0;

	for (unsigned int i = 0; i < p->nr_steps; i++)
		s += p->steps[i].len;
	return s;
}

static void test_read_plan(void)
{
	struct smb2_read_plan p;
	size_t fl;

	/* The common case: data right after the fixed part, nothing else. */
	fl = mk_read_rsp(80, 4096, 80 + 4096);
	T_ASSERT(smb2_read_rsp_plan(frame, 80, fl, 4096, &p) == 0);
	T_EXPECT_EQ(p.data_offset, 80);
	T_EXPECT_EQ(p.data_len, 4096);
	T_EXPECT_EQ(p.pad, 0);
	T_EXPECT_EQ(p.tail, 0);
	T_EXPECT_EQ(p.nr_steps, 1);
	T_EXPECT_EQ(p.steps[0].sink, SMB2_RECV_PAYLOAD);
	T_EXPECT_EQ(p.steps[0].len, 4096);

	/* Padding before and bytes after: DISCARD, PAYLOAD, DISCARD. */
	fl = mk_read_rsp(96, 1000, 96 + 1000 + 8);
	T_ASSERT(smb2_read_rsp_plan(frame, 80, fl, 65536, &p) == 0);
	T_EXPECT_EQ(p.pad, 16);
	T_EXPECT_EQ(p.tail, 8);
	T_EXPECT_EQ(p.nr_steps, 3);
	T_EXPECT_EQ(p.steps[0].sink, SMB2_RECV_DISCARD);
	T_EXPECT_EQ(p.steps[0].len, 16);
	T_EXPECT_EQ(p.steps[1].sink, SMB2_RECV_PAYLOAD);
	T_EXPECT_EQ(p.steps[1].len, 1000);
	T_EXPECT_EQ(p.steps[2].sink, SMB2_RECV_DISCARD);
	T_EXPECT_EQ(p.steps[2].len, 8);

	/* Short read (EOF): fewer bytes than asked is fine. */
	fl = mk_read_rsp(80, 10, 90);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 4096, &p), 0);
	T_EXPECT_EQ(p.data_len, 10);

	/* Exactly the requested length is fine; one more is not. */
	fl = mk_read_rsp(80, 512, 80 + 513);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 512, &p), 0);
	T_EXPECT_EQ(p.tail, 1);
	fl = mk_read_rsp(80, 513, 80 + 513);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 512, &p), -EPROTO);

	/* Empty read: the rest of the frame (if any) is discarded. */
	fl = mk_read_rsp(0, 0, 81);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 512, &p), 0);
	T_EXPECT_EQ(p.nr_steps, 1);
	T_EXPECT_EQ(p.steps[0].sink, SMB2_RECV_DISCARD);
	T_EXPECT_EQ(p.steps[0].len, 1);
	fl = mk_read_rsp(0, 0, 80);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 512, &p), 0);
	T_EXPECT_EQ(p.nr_steps, 0);

	/* Whole frame in memory (e.g. after decryption): same answer. */
	fl = mk_read_rsp(80, 100, 180);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, fl, fl, 100, &p), 0);
	T_EXPECT_EQ(p.data_len, 100);
}

static void test_read_plan_rejects(void)
{
	struct smb2_read_plan p;
	size_t fl;

	/* Offset into the header or fixed part (bug class 4). */
	fl = mk_read_rsp(64, 16, 200);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 100, &p), -EBADMSG);
	fl = mk_read_rsp(79, 16, 200);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 100, &p), -EBADMSG);
	fl = mk_read_rsp(0, 16, 200);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 100, &p), -EBADMSG);
	/* Data beyond the frame. */
	fl = mk_read_rsp(80, 121, 200);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 1000, &p), -EBADMSG);
	fl = mk_read_rsp(255, 1, 255);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 1000, &p), -EBADMSG);
	/* 32-bit wrap attempt: offset + 0xFFFFFFF0 must not wrap to small. */
	fl = mk_read_rsp(0x50, 0xFFFFFFF0u, 200);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 0xFFFFFFFFu, &p),
		    -EBADMSG);
	/* Frame shorter than the fixed part. */
	for (size_t n = 0; n < 80; n++) {
		mk_read_rsp(80, 0, n);
		T_EXPECT_EQ(smb2_read_rsp_plan(frame, n, n, 100, &p), -EBADMSG);
	}
	/* Wrong StructureSize (e.g. an error body slipped through). */
	fl = mk_read_rsp(80, 10, 90);
	le16_put(frame + 64, 9);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 80, fl, 100, &p), -EBADMSG);
	/* Caller bugs: less than the fixed part received, or more than the
	 * frame. */
	fl = mk_read_rsp(80, 10, 90);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 79, fl, 100, &p), -EINVAL);
	T_EXPECT_EQ(smb2_read_rsp_plan(frame, 91, fl, 100, &p), -EINVAL);
}

/*
 * Every (DataOffset, DataLength, frame) combination in a grid: either an
 * error, or a plan that covers exactly the frame after the fixed part and
 * whose payload lies inside it.
 */
static void test_read_plan_sweep(void)
{
	/* clang-format off */
	static const uint32_t lens[] = { 0, 1, 7, 100, 175, 176, 4096, 65535,
					 65536, 0x7FFFFFFFu, 0xFFFFFFFFu };
	/* clang-format on */
	static const size_t frames[] = {80,  81,   96,	  255,
					256, 4176, 65616, 65617};
	struct smb2_read_plan p;
	int ok = 0;

	for (unsigned int off = 0; off < 256; off++)
		for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
			for (size_t fi = 0;
			     fi < sizeof(frames) / sizeof(frames[0]); fi++) {
				size_t fl = mk_read_rsp((uint8_t)off, lens[li],
							frames[fi]);
				int r = smb2_read_rsp_plan(frame, 80, fl, 65536,
							   &p);

				if (r) {
					T_EXPECT(r == -EBADMSG || r == -EPROTO);
					continue;
				}
				ok++;
				T_EXPECT_EQ(80 + steps_total(&p), fl);
				T_EXPECT(p.data_len <= 65536);
				if (p.data_len) {
					T_EXPECT(p.data_offset >= 80);
					T_EXPECT((uint64_t)p.data_offset +
							 p.data_len <=
						 fl);
					T_EXPECT_EQ(p.pad, p.data_offset - 80);
				}
			}
	T_EXPECT(ok > 0);
}

static void test_write_req_iter_untouched(void)
{
	static uint8_t payload[10000], copy[10000];
	static const uint8_t want_hdr[48] = {
		0x31, 0x00,		/* StructureSize 49 */
		0x70, 0x00,		/* DataOffset 112 */
		0x10, 0x27, 0x00, 0x00, /* Length 10000 */
		0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, /* Offset */
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* FileId */
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x00, 0x00, 0x00, 0x00, /* Channel */
		0x00, 0x00, 0x00, 0x00, /* RemainingBytes */
		0x00, 0x00, 0x00, 0x00, /* WriteChannelInfo offset/length */
		0x01, 0x00, 0x00, 0x00, /* Flags: WRITE_THROUGH */
	};
	struct smb2_write_req w = {.fid = fid,
				   .offset = 0x20000,
				   .flags = SMB2_WRITEFLAG_WRITE_THROUGH};
	struct smbiov_iter it, before;
	struct iovec kv[3];
	uint8_t body[64];

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = t_pattern(i * 7 + 3);
	memcpy(copy, payload, sizeof(payload));

	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE, payload,
				  sizeof(payload)) == 0);
	before = it;
	memset(body, 0xEE, sizeof(body));
	T_EXPECT_EQ(smb2_write_req_encode(body, sizeof(body), &w, &it), 48);
	T_EXPECT(memcmp(body, want_hdr, sizeof(want_hdr)) == 0);
	T_EXPECT_EQ(body[48], 0xEE); /* the payload is not in the body */
	/* The iterator and the memory it describes are untouched. */
	T_EXPECT_EQ(it.count, before.count);
	T_EXPECT_EQ(it.iov_offset, before.iov_offset);
	T_EXPECT_EQ(it.advanced, before.advanced);
	T_EXPECT(it.ubuf == before.ubuf);
	T_EXPECT(memcmp(payload, copy, sizeof(payload)) == 0);

	/* A multi-segment KVEC: Length is the iterator's count, not a seg. */
	kv[0].iov_base = payload;
	kv[0].iov_len = 100;
	kv[1].iov_base = payload + 500;
	kv[1].iov_len = 0;
	kv[2].iov_base = payload + 1000;
	kv[2].iov_len = 3000;
	T_ASSERT(smbiov_iter_kvec(&it, SMBIOV_ITER_SOURCE, kv, 3, 2500) == 0);
	T_EXPECT_EQ(smb2_write_req_encode(body, sizeof(body), &w, &it), 48);
	T_EXPECT_EQ(le32_get(body + 4), 2500);
	T_EXPECT_EQ(le16_get(body + 2), 112);
	T_EXPECT_EQ(smbiov_iter_count(&it), 2500);
	T_EXPECT(memcmp(payload, copy, sizeof(payload)) == 0);

	/* Empty write: one Buffer byte keeps the body at 49. */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE, payload, 0) == 0);
	T_EXPECT_EQ(smb2_write_req_encode(body, sizeof(body), &w, &it), 49);
	T_EXPECT_EQ(le32_get(body + 4), 0);
	T_EXPECT_EQ(body[48], 0);
	T_EXPECT_EQ(smb2_write_req_encode(body, 48, &w, &it), -ENOSPC);

	/* A DEST iterator cannot be a WRITE payload. */
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, payload, 10) == 0);
	T_EXPECT_EQ(smb2_write_req_encode(body, sizeof(body), &w, &it),
		    -EINVAL);
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_SOURCE, payload, 10) == 0);
	T_EXPECT_EQ(smb2_write_req_encode(body, 47, &w, &it), -ENOSPC);
	T_EXPECT_EQ(smb2_write_req_encode(body, 64, &w, NULL), -EINVAL);
}

static void test_write_rsp(void)
{
	struct smb2_write_rsp r;
	struct smb2_hdr h;
	uint8_t *b = frame + 64;
	const size_t len = 64 + 16;

	memset(frame, 0, 128);
	memset(&h, 0, sizeof(h));
	h.command = SMB2_WRITE;
	h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
	smb2_hdr_encode(frame, &h);
	le16_put(b, 17);
	le32_put(b + 4, 4096);
	le32_put(b + 8, 3);
	T_ASSERT(smb2_write_rsp_decode(frame, len, 4096, &r) == 0);
	T_EXPECT_EQ(r.count, 4096);
	T_EXPECT_EQ(r.remaining, 3);
	/* Server claims to have written more than we sent. */
	T_EXPECT_EQ(smb2_write_rsp_decode(frame, len, 4095, &r), -EPROTO);
	for (size_t n = 0; n < len; n++)
		T_EXPECT_EQ(smb2_write_rsp_decode(frame, n, 4096, &r),
			    -EBADMSG);
	le16_put(b, 16);
	T_EXPECT_EQ(smb2_write_rsp_decode(frame, len, 4096, &r), -EBADMSG);
}

int main(void)
{
	T_RUN(test_read_req_bytes);
	T_RUN(test_read_plan);
	T_RUN(test_read_plan_rejects);
	T_RUN(test_read_plan_sweep);
	T_RUN(test_write_req_iter_untouched);
	T_RUN(test_write_rsp);
	return t_done();
}
