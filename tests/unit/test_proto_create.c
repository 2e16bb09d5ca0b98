// SPDX-License-Identifier: MIT
/*
 * CREATE request/response, create-context builder and walker, typed
 * context decoders, CLOSE and FLUSH (MS-SMB2 2.2.13 - 2.2.18).
 * Responses are built by a small test-side encoder; every malformed case
 * from bug classes 4 and 5 (users-and-bug-classes.md §5) has a test.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proto/create.h"
#include "proto/smb2.h"
#include "t.h"

static uint8_t msg[4096];

/* ASCII -> UTF-16LE, test-side only. */
static size_t u16(uint8_t *out, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		out[n++] = (uint8_t)*s;
		out[n++] = 0;
	}
	return n;
}

static void put_rsp_hdr(uint8_t *m, uint16_t cmd)
{
	struct smb2_hdr h;

	memset(&h, 0, sizeof(h));
	h.command = cmd;
	h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
	h.message_id = 7;
	smb2_hdr_encode(m, &h);
}

/* clang-format off */
static const uint8_t lease_key[16] = { 1, 2, 3, 4, 5, 6, 7, 8,
				       9, 10, 11, 12, 13, 14, 15, 16 };
/* clang-format on */

static void test_create_req_encode(void)
{
	uint8_t name[64], ctx[512], body[1024];
	struct smb2_cc_builder b;
	struct smb2_create_req req;
	struct smb2_dh2q dh = {.timeout = 60000,
			       .flags = SMB2_DHANDLE_FLAG_PERSISTENT};
	struct smb2_lease l, l2;
	struct smb2_cc_iter it;
	struct smb2_cc cc;
	ssize_t n;
	uint32_t coff;
	int seen = 0;

	memset(dh.create_guid, 0xAB, 16);
	memset(&l, 0, sizeof(l));
	memcpy(l.key, lease_key, 16);
	memset(l.parent_key, 0x5A, 16);
	l.state = SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING;
	l.flags = SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET;
	l.epoch = 3;
	l.version = 2;

	smb2_cc_builder_init(&b, ctx, sizeof(ctx));
	T_ASSERT(smb2_cc_add_dh2q(&b, &dh) == 0);
	T_ASSERT(smb2_cc_add_lease(&b, &l) == 0);
	T_ASSERT(smb2_cc_add_mxac(&b, 0) == 0);
	T_ASSERT(smb2_cc_add_qfid(&b) == 0);
	T_EXPECT_EQ(b.count, 4);

	memset(&req, 0, sizeof(req));
	req.oplock_level = SMB2_OPLOCK_LEVEL_LEASE;
	req.impersonation = SMB2_IMPERSONATION_IMPERSONATION;
	req.desired_access = 0x0012019F;
	req.share_access = SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE;
	req.disposition = SMB2_FILE_OPEN_IF;
	req.options = SMB2_FILE_NON_DIRECTORY_FILE;
	req.name_len = u16(name, "dir\\f.txt"); /* 18 bytes */
	req.name = name;
	req.contexts = ctx;
	req.contexts_len = b.len;

	n = smb2_create_req_encode(body, sizeof(body), &req);
	T_ASSERT(n > 0);
	T_EXPECT_EQ(le16_get(body), 57);
	T_EXPECT_EQ(body[3], SMB2_OPLOCK_LEVEL_LEASE);
	T_EXPECT_EQ(le32_get(body + 4), 2);
	T_EXPECT_EQ(le32_get(body + 24), 0x0012019F);
	T_EXPECT_EQ(le32_get(body + 36), SMB2_FILE_OPEN_IF);
	T_EXPECT_EQ(le16_get(body + 44), 120);
	T_EXPECT_EQ(le16_get(body + 46), 18);
	coff = le32_get(body + 48);
	T_EXPECT_EQ(coff % 8, 0);
	T_EXPECT_EQ(coff, 64 + 80); /* 56 + 18 = 74, aligned to 80 */
	T_EXPECT_EQ(le32_get(body + 52), b.len);
	T_EXPECT_EQ(n, 80 + (ssize_t)b.len);
	T_EXPECT(memcmp(body + 56, name, 18) == 0);
	T_EXPECT(body[74] == 0 && body[79] == 0);

	/* Walk the encoded chain: the walker must accept what we build. */
	smb2_cc_iter_init(&it, body + coff - 64, b.len);
	while (smb2_cc_next(&it, &cc) == 1) {
		/* Each context starts 8-aligned inside the chain. */
		T_EXPECT_EQ((size_t)(cc.name - (body + coff - 64)) % 8, 0);
		if (smb2_cc_is(&cc, SMB2_CC_DH2Q)) {
			T_EXPECT_EQ(cc.data_len, 32);
			T_EXPECT_EQ(le32_get(cc.data), 60000);
			T_EXPECT_EQ(le32_get(cc.data + 4), 2);
			T_EXPECT(cc.data[16] == 0xAB && cc.data[31] == 0xAB);
			seen |= 1;
		} else if (smb2_cc_is(&cc, SMB2_CC_LEASE)) {
			T_EXPECT_EQ(cc.data_len, 52);
			T_ASSERT(smb2_cc_lease_decode(&cc, &l2) == 0);
			T_EXPECT_EQ(l2.version, 2);
			T_EXPECT(memcmp(l2.key, lease_key, 16) == 0);
			T_EXPECT(memcmp(l2.parent_key, l.parent_key, 16) == 0);
			T_EXPECT_EQ(l2.state, l.state);
			T_EXPECT_EQ(l2.flags, l.flags);
			T_EXPECT_EQ(l2.epoch, 3);
			seen |= 2;
		} else if (smb2_cc_is(&cc, SMB2_CC_MXAC)) {
			T_EXPECT_EQ(cc.data_len, 0);
			seen |= 4;
		} else if (smb2_cc_is(&cc, SMB2_CC_QFID)) {
			T_EXPECT_EQ(cc.data_len, 0);
			seen |= 8;
		}
	}
	T_EXPECT_EQ(it.state, 1);
	T_EXPECT_EQ(seen, 15);

	/* Too small at every capacity: -ENOSPC, never a partial success. */
	for (size_t cap = 0; cap < (size_t)n; cap++)
		T_EXPECT_EQ(smb2_create_req_encode(body, cap, &req), -ENOSPC);
}

static void test_create_req_edge(void)
{
	uint8_t body[256], name[4] = {'a', 0, 'b', 0};
	struct smb2_create_req req;

	memset(&req, 0, sizeof(req));
	/* Share root: empty name still sends one Buffer byte, no contexts. */
	memset(body, 0xEE, sizeof(body));
	T_EXPECT_EQ(smb2_create_req_encode(body, sizeof(body), &req), 57);
	T_EXPECT_EQ(body[56], 0);
	T_EXPECT_EQ(le16_get(body + 46), 0);
	T_EXPECT_EQ(le32_get(body + 48), 0);
	T_EXPECT_EQ(le32_get(body + 52), 0);
	/* Odd UTF-16 byte count, NULL with a length: caller bugs. */
	req.name = name;
	req.name_len = 3;
	T_EXPECT_EQ(smb2_create_req_encode(body, sizeof(body), &req), -EINVAL);
	req.name = NULL;
	req.name_len = 4;
	T_EXPECT_EQ(smb2_create_req_encode(body, sizeof(body), &req), -EINVAL);
	req.name = name;
	req.name_len = 0x10000;
	T_EXPECT_EQ(smb2_create_req_encode(body, sizeof(body), &req), -EINVAL);
}

static void test_dh2c(void)
{
	uint8_t buf[128];
	struct smb2_cc_builder b;
	struct smb2_fileid fid = {0x0102030405060708ull, 0x99};
	struct smb2_dh2q d = {.flags = SMB2_DHANDLE_FLAG_PERSISTENT};
	struct smb2_cc cc;

	memset(d.create_guid, 0x3C, 16);
	smb2_cc_builder_init(&b, buf, sizeof(buf));
	T_ASSERT(smb2_cc_add_dh2c(&b, &fid, &d) == 0);
	T_ASSERT(smb2_cc_find(buf, b.len, SMB2_CC_DH2C, &cc) == 1);
	T_EXPECT_EQ(cc.data_len, 36);
	T_EXPECT_EQ(le64_get(cc.data), fid.persistent);
	T_EXPECT_EQ(le64_get(cc.data + 8), fid.volatile_id);
	T_EXPECT(cc.data[16] == 0x3C && cc.data[31] == 0x3C);
	T_EXPECT_EQ(le32_get(cc.data + 32), SMB2_DHANDLE_FLAG_PERSISTENT);
	T_EXPECT_EQ(smb2_cc_add_dh2c(&b, NULL, &d), -EINVAL);
}

static void test_builder_nospace(void)
{
	uint8_t buf[64];
	struct smb2_cc_builder b;
	struct smb2_dh2q dh;

	memset(&dh, 0, sizeof(dh));
	smb2_cc_builder_init(&b, buf, sizeof(buf));
	T_EXPECT_EQ(smb2_cc_add_dh2q(&b, &dh), 0); /* 24 + 32 = 56 */
	T_EXPECT_EQ(b.len, 56);
	T_EXPECT_EQ(smb2_cc_add_qfid(&b), -ENOSPC); /* needs 56 + 20 */
	T_EXPECT_EQ(b.len, 56);
	T_EXPECT_EQ(b.count, 1);
	T_EXPECT_EQ(le32_get(buf), 0); /* Next untouched on failure */
	T_EXPECT_EQ(smb2_cc_add(&b, "", 0, NULL, 0), -EINVAL);
	T_EXPECT_EQ(smb2_cc_add(&b, "X", 1, NULL, 4), -EINVAL);
}

/* Test-side CREATE response encoder: fixed part + optional chain. */
static size_t mk_create_rsp(const uint8_t *chain, size_t chain_len)
{
	uint8_t *b = msg + 64;
	size_t off = 64 + 88;

	memset(msg, 0, sizeof(msg));
	put_rsp_hdr(msg, SMB2_CREATE);
	le16_put(b, 89);
	b[2] = SMB2_OPLOCK_LEVEL_LEASE;
	b[3] = 0;
	le32_put(b + 4, 1); /* FILE_OPENED */
	le64_put(b + 8, 0x01D0000000000001ull);
	le64_put(b + 16, 0x01D0000000000002ull);
	le64_put(b + 24, 0x01D0000000000003ull);
	le64_put(b + 32, 0x01D0000000000004ull);
	le64_put(b + 40, 4096);
	le64_put(b + 48, 1234);
	le32_put(b + 56, 0x20);
	le64_put(b + 64, 0x1111222233334444ull);
	le64_put(b + 72, 0x5555666677778888ull);
	le32_put(b + 80, chain_len ? (uint32_t)off : 0);
	le32_put(b + 84, (uint32_t)chain_len);
	if (chain_len)
		memcpy(msg + off, chain, chain_len);
	return off + chain_len;
}

/* Server-style response contexts: DH2Q(8), RqLs v2, MxAc, QFid. */
static size_t mk_rsp_chain(uint8_t *chain, size_t cap)
{
	struct smb2_cc_builder b;
	uint8_t dh[8], mx[8], qf[32], ls[52];

	le32_put(dh, 30000);
	le32_put(dh + 4, 0);
	le32_put(mx, 0);
	le32_put(mx + 4, 0x001F01FF);
	memset(qf, 0, sizeof(qf));
	le64_put(qf, 0xABCDEF);
	le64_put(qf + 8, 0x42);
	memset(ls, 0, sizeof(ls));
	memcpy(ls, lease_key, 16);
	le32_put(ls + 16, 7);
	le16_put(ls + 48, 9);
	smb2_cc_builder_init(&b, chain, cap);
	T_ASSERT(smb2_cc_add(&b, SMB2_CC_DH2Q, 4, dh, sizeof(dh)) == 0);
	T_ASSERT(smb2_cc_add(&b, SMB2_CC_LEASE, 4, ls, sizeof(ls)) == 0);
	T_ASSERT(smb2_cc_add(&b, SMB2_CC_MXAC, 4, mx, sizeof(mx)) == 0);
	T_ASSERT(smb2_cc_add(&b, SMB2_CC_QFID, 4, qf, sizeof(qf)) == 0);
	return b.len;
}

static void test_create_rsp_decode(void)
{
	uint8_t chain[512];
	size_t clen = mk_rsp_chain(chain, sizeof(chain));
	size_t len = mk_create_rsp(chain, clen);
	struct smb2_create_rsp r;
	struct smb2_cc cc;
	struct smb2_dh2q dh;
	struct smb2_lease l;
	struct smb2_mxac mx;
	struct smb2_qfid qf;

	T_ASSERT(smb2_create_rsp_decode(msg, len, &r) == 0);
	T_EXPECT_EQ(r.oplock_level, SMB2_OPLOCK_LEVEL_LEASE);
	T_EXPECT_EQ(r.create_action, 1);
	T_EXPECT_EQ(r.attrs.creation_time, 0x01D0000000000001ull);
	T_EXPECT_EQ(r.attrs.change_time, 0x01D0000000000004ull);
	T_EXPECT_EQ(r.attrs.allocation_size, 4096);
	T_EXPECT_EQ(r.attrs.end_of_file, 1234);
	T_EXPECT_EQ(r.attrs.file_attributes, 0x20);
	T_EXPECT_EQ(r.fid.persistent, 0x1111222233334444ull);
	T_EXPECT_EQ(r.fid.volatile_id, 0x5555666677778888ull);
	T_EXPECT(r.contexts == msg + 152);
	T_EXPECT_EQ(r.contexts_len, clen);

	T_ASSERT(smb2_cc_find(r.contexts, r.contexts_len, SMB2_CC_DH2Q, &cc) ==
		 1);
	T_ASSERT(smb2_cc_dh2q_rsp_decode(&cc, &dh) == 0);
	T_EXPECT_EQ(dh.timeout, 30000);
	T_ASSERT(smb2_cc_find(r.contexts, r.contexts_len, SMB2_CC_LEASE, &cc) ==
		 1);
	T_ASSERT(smb2_cc_lease_decode(&cc, &l) == 0);
	T_EXPECT_EQ(l.version, 2);
	T_EXPECT_EQ(l.state, 7);
	T_EXPECT_EQ(l.epoch, 9);
	T_ASSERT(smb2_cc_find(r.contexts, r.contexts_len, SMB2_CC_MXAC, &cc) ==
		 1);
	T_ASSERT(smb2_cc_mxac_rsp_decode(&cc, &mx) == 0);
	T_EXPECT_EQ(mx.maximal_access, 0x001F01FF);
	T_ASSERT(smb2_cc_find(r.contexts, r.contexts_len, SMB2_CC_QFID, &cc) ==
		 1);
	T_ASSERT(smb2_cc_qfid_rsp_decode(&cc, &qf) == 0);
	T_EXPECT_EQ(qf.disk_file_id, 0xABCDEF);
	T_EXPECT_EQ(qf.volume_id, 0x42);
	T_EXPECT_EQ(smb2_cc_find(r.contexts, r.contexts_len, SMB2_CC_DH2C, &cc),
		    0);

	/* Truncated at every length: never accepted, never read past. */
	for (size_t n = 0; n < len; n++)
		T_EXPECT_EQ(smb2_create_rsp_decode(msg, n, &r), -EBADMSG);

	/* No contexts at all. */
	len = mk_create_rsp(NULL, 0);
	T_EXPECT_EQ(smb2_create_rsp_decode(msg, len, &r), 0);
	T_EXPECT(r.contexts == NULL && r.contexts_len == 0);
	/* Wrong StructureSize. */
	le16_put(msg + 64, 88);
	T_EXPECT_EQ(smb2_create_rsp_decode(msg, len, &r), -EBADMSG);
}

static void test_create_rsp_bad_offsets(void)
{
	uint8_t chain[512];
	size_t clen = mk_rsp_chain(chain, sizeof(chain));
	size_t len = mk_create_rsp(chain, clen);
	struct smb2_create_rsp r;
	static const struct {
		uint32_t off, len;
		const char *why;
	} rows[] = {
		{64 + 80, 16, "offset into the fixed part"},
		{0, 16, "offset 0 with a length"},
		{64 + 88, 0x1000, "length past the element"},
		{0x1000, 8, "offset past the element"},
		{0xFFFFFFF8u, 0x10, "offset + length wraps 32 bits"},
		{64 + 88, 0xFFFFFFFFu, "length near 2^32"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mk_create_rsp(chain, clen);
		le32_put(msg + 64 + 80, rows[i].off);
		le32_put(msg + 64 + 84, rows[i].len);
		if (smb2_create_rsp_decode(msg, len, &r) != -EBADMSG) {
			fprintf(stderr, "row %zu accepted: %s\n", i,
				rows[i].why);
			T_EXPECT(0);
		} else {
			T_EXPECT(1);
		}
	}
}

/* One hand-made context with a 4-byte name at 16 and data at 24. */
static void put_ctx(uint8_t *c, uint32_t next, uint16_t noff, uint16_t nlen,
		    uint16_t doff, uint32_t dlen)
{
	le32_put(c, next);
	le16_put(c + 4, noff);
	le16_put(c + 6, nlen);
	le16_put(c + 8, 0);
	le16_put(c + 10, doff);
	le32_put(c + 12, dlen);
	memcpy(c + 16, "MxAc", 4);
}

static int walk_all(const uint8_t *chain, size_t len, int *count)
{
	struct smb2_cc_iter it;
	struct smb2_cc cc;
	int ret;

	*count = 0;
	smb2_cc_iter_init(&it, chain, len);
	while ((ret = smb2_cc_next(&it, &cc)) == 1) {
		(*count)++;
		T_ASSERT(*count < 1000); /* a loop would spin here */
	}
	/* Errors stay: the next call reports the same thing. */
	T_EXPECT_EQ(smb2_cc_next(&it, &cc), ret);
	return ret;
}

static void test_cc_walker_malformed(void)
{
	uint8_t c[128];
	int n;
	static const struct {
		uint32_t next;
		uint16_t noff, nlen, doff;
		uint32_t dlen;
		size_t len;
		int want;
		const char *why;
	} rows[] = {
		{0, 16, 4, 24, 8, 32, 0, "valid single context"},
		{32, 16, 4, 24, 8, 32, -EBADMSG, "Next to the end: no header"},
		{20, 16, 4, 0, 0, 64, -EBADMSG, "Next not 8-aligned"},
		{8, 16, 4, 0, 0, 64, -EBADMSG, "Next inside the header"},
		{0xFFFFFFF8u, 16, 4, 0, 0, 64, -EBADMSG, "Next wraps back"},
		{128, 16, 4, 0, 0, 64, -EBADMSG, "Next past the chain"},
		{0, 16, 0, 0, 0, 32, -EBADMSG, "NameLength 0"},
		{0, 8, 4, 0, 0, 32, -EBADMSG, "name inside the header"},
		{0, 30, 4, 0, 0, 32, -EBADMSG, "name past the context"},
		{0, 0xFFFF, 0xFFFF, 0, 0, 32, -EBADMSG, "name 16-bit wrap"},
		{0, 16, 4, 24, 9, 32, -EBADMSG, "data past the chain"},
		{0, 16, 4, 4, 8, 32, -EBADMSG, "data inside the header"},
		{0, 16, 4, 24, 0xFFFFFFFFu, 32, -EBADMSG, "data 32-bit wrap"},
		{0, 16, 4, 0xFFF8, 16, 32, -EBADMSG, "data offset past"},
		{0, 16, 4, 24, 8, 12, -EBADMSG, "truncated header"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(c, 0, sizeof(c));
		put_ctx(c, rows[i].next, rows[i].noff, rows[i].nlen,
			rows[i].doff, rows[i].dlen);
		if (walk_all(c, rows[i].len, &n) != rows[i].want) {
			fprintf(stderr, "row %zu: %s\n", i, rows[i].why);
			T_EXPECT(0);
		}
	}

	/*
	 * Data bounded by its own context, not the chain: context 1 (Next 32)
	 * claims 16 data bytes at 24, which run into context 2.
	 */
	memset(c, 0, sizeof(c));
	put_ctx(c, 32, 16, 4, 24, 16);
	put_ctx(c + 32, 0, 16, 4, 24, 8);
	T_EXPECT_EQ(walk_all(c, 64, &n), -EBADMSG);
	put_ctx(c, 32, 16, 4, 24, 8);
	T_EXPECT_EQ(walk_all(c, 64, &n), 0);
	T_EXPECT_EQ(n, 2);
	/* The bad second context is found even after a good first one. */
	put_ctx(c + 32, 4, 16, 4, 24, 8);
	T_EXPECT_EQ(walk_all(c, 64, &n), -EBADMSG);
	T_EXPECT_EQ(n, 1);
	/* Empty chain: no contexts, not an error. */
	T_EXPECT_EQ(walk_all(NULL, 0, &n), 0);
	T_EXPECT_EQ(n, 0);
}

static void test_cc_typed_sizes(void)
{
	uint8_t d[64] = {0};
	struct smb2_cc cc = {
		.name = (const uint8_t *)"RqLs", .name_len = 4, .data = d};
	struct smb2_lease l;
	struct smb2_dh2q dh;
	struct smb2_mxac mx;
	struct smb2_qfid qf;

	for (uint32_t n = 0; n <= 64; n++) {
		cc.data_len = n;
		T_EXPECT_EQ(smb2_cc_lease_decode(&cc, &l),
			    (n == 32 || n == 52) ? 0 : -EBADMSG);
		T_EXPECT_EQ(smb2_cc_dh2q_rsp_decode(&cc, &dh),
			    n >= 8 ? 0 : -EBADMSG);
		T_EXPECT_EQ(smb2_cc_mxac_rsp_decode(&cc, &mx),
			    n >= 8 ? 0 : -EBADMSG);
		T_EXPECT_EQ(smb2_cc_qfid_rsp_decode(&cc, &qf),
			    n >= 32 ? 0 : -EBADMSG);
	}
	cc.data_len = 32;
	T_EXPECT_EQ(smb2_cc_lease_decode(&cc, &l), 0);
	T_EXPECT_EQ(l.version, 1);
}

static void test_close_flush(void)
{
	uint8_t body[64];
	struct smb2_fileid fid = {0x0102030405060708ull, 0x1112131415161718ull};
	struct smb2_close_rsp r;
	uint8_t *b = msg + 64;
	size_t len = 64 + 60;

	T_EXPECT_EQ(smb2_close_req_encode(body, sizeof(body), &fid,
					  SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB),
		    24);
	T_EXPECT_EQ(le16_get(body), 24);
	T_EXPECT_EQ(le16_get(body + 2), 1);
	T_EXPECT_EQ(le32_get(body + 4), 0);
	T_EXPECT_EQ(le64_get(body + 8), fid.persistent);
	T_EXPECT_EQ(le64_get(body + 16), fid.volatile_id);
	T_EXPECT_EQ(smb2_close_req_encode(body, 23, &fid, 0), -ENOSPC);
	T_EXPECT_EQ(smb2_close_req_encode(body, 64, &fid, 2), -EINVAL);

	memset(msg, 0, sizeof(msg));
	put_rsp_hdr(msg, SMB2_CLOSE);
	le16_put(b, 60);
	le16_put(b + 2, 1);
	le64_put(b + 8, 11);
	le64_put(b + 16, 12);
	le64_put(b + 24, 13);
	le64_put(b + 32, 14);
	le64_put(b + 40, 8192);
	le64_put(b + 48, 5000);
	le32_put(b + 56, 0x80);
	T_ASSERT(smb2_close_rsp_decode(msg, len, &r) == 0);
	T_EXPECT_EQ(r.flags, 1);
	T_EXPECT_EQ(r.attrs.creation_time, 11);
	T_EXPECT_EQ(r.attrs.change_time, 14);
	T_EXPECT_EQ(r.attrs.allocation_size, 8192);
	T_EXPECT_EQ(r.attrs.end_of_file, 5000);
	T_EXPECT_EQ(r.attrs.file_attributes, 0x80);
	for (size_t n = 0; n < len; n++)
		T_EXPECT_EQ(smb2_close_rsp_decode(msg, n, &r), -EBADMSG);
	le16_put(b, 9); /* an error body is not a CLOSE body */
	T_EXPECT_EQ(smb2_close_rsp_decode(msg, len, &r), -EBADMSG);

	T_EXPECT_EQ(smb2_flush_req_encode(body, sizeof(body), &fid), 24);
	T_EXPECT_EQ(le16_get(body), 24);
	T_EXPECT_EQ(le64_get(body + 8), fid.persistent);
	T_EXPECT_EQ(smb2_flush_req_encode(body, 10, &fid), -ENOSPC);
	le16_put(b, 4);
	T_EXPECT_EQ(smb2_flush_rsp_decode(msg, 68), 0);
	T_EXPECT_EQ(smb2_flush_rsp_decode(msg, 67), -EBADMSG);
	le16_put(b, 5);
	T_EXPECT_EQ(smb2_flush_rsp_decode(msg, 68), -EBADMSG);
}

int main(void)
{
	T_RUN(test_create_req_encode);
	T_RUN(test_create_req_edge);
	T_RUN(test_dh2c);
	T_RUN(test_builder_nospace);
	T_RUN(test_create_rsp_decode);
	T_RUN(test_create_rsp_bad_offsets);
	T_RUN(test_cc_walker_malformed);
	T_RUN(test_cc_typed_sizes);
	T_RUN(test_close_flush);
	return t_done();
}
