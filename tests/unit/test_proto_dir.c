// SPDX-License-Identifier: MIT
/*
 * QUERY_DIRECTORY request/response and the entry walker for
 * FileIdBothDirectoryInformation / FileIdFullDirectoryInformation
 * (MS-SMB2 2.2.33, 2.2.34; MS-FSCC 2.4.17, 2.4.18). The malformed chains
 * are bug classes 5 and 6 of users-and-bug-classes.md §5.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proto/dir.h"
#include "proto/smb2.h"
#include "t.h"

static uint8_t buf[4096];
static uint8_t msg[4096];

static size_t u16(uint8_t *out, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		out[n++] = (uint8_t)*s;
		out[n++] = 0;
	}
	return n;
}

static size_t fixed_of(uint8_t cls)
{
	return cls == FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION ? 104 : 80;
}

/*
 * Test-side entry encoder: writes one entry at @p and returns its length
 * before padding. NextEntryOffset is patched by mk_dir().
 */
static size_t put_entry(uint8_t *p, uint8_t cls, const char *name,
			const char *shortname, uint64_t id)
{
	size_t fx = fixed_of(cls), nlen;

	memset(p, 0, fx);
	le32_put(p + 4, 0);
	le64_put(p + 8, 1000 + id);
	le64_put(p + 16, 2000 + id);
	le64_put(p + 24, 3000 + id);
	le64_put(p + 32, 4000 + id);
	le64_put(p + 40, 100 * id);
	le64_put(p + 48, 4096);
	le32_put(p + 56, id == 1 ? 0x10 : 0x20);
	nlen = u16(p + fx, name);
	le32_put(p + 60, (uint32_t)nlen);
	le32_put(p + 64, 0);
	if (cls == FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION) {
		p[68] = (uint8_t)u16(p + 70, shortname);
		le64_put(p + 96, 0x1000 + id);
	} else {
		le64_put(p + 72, 0x1000 + id);
	}
	return fx + nlen;
}

static const char *const names[] = {".", "..", "file.txt", "Longer Name.docx"};
static const char *const shorts[] = {"", "", "FILE.TXT", "LONGER~1.DOC"};

/* Build a 4-entry buffer; returns its length (no padding after the last). */
static size_t mk_dir(uint8_t cls, size_t offs[4])
{
	size_t pos = 0, len = 0;

	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < 4; i++) {
		offs[i] = pos;
		len = put_entry(buf + pos, cls, names[i], shorts[i],
				(uint64_t)i);
		if (i < 3) {
			size_t next = (len + 7) & ~(size_t)7;

			le32_put(buf + pos, (uint32_t)next);
			pos += next;
		}
	}
	return pos + len;
}

/* Walk to the end; return the final code and count the entries. */
static int walk(uint8_t cls, size_t len, int *count)
{
	struct smb2_dir_iter it;
	struct smb2_dirent e;
	int ret;

	*count = 0;
	T_ASSERT(smb2_dir_iter_init(&it, cls, buf, len) == 0);
	while ((ret = smb2_dir_next(&it, &e)) == 1) {
		(*count)++;
		T_ASSERT(*count < 1000); /* a loop would spin here */
		T_EXPECT(e.name >= buf && e.name + e.name_len <= buf + len);
	}
	T_EXPECT_EQ(smb2_dir_next(&it, &e), ret); /* sticky */
	return ret;
}

static void check_walk(uint8_t cls)
{
	size_t offs[4], len = mk_dir(cls, offs);
	struct smb2_dir_iter it;
	struct smb2_dirent e;
	uint8_t want[64];
	int i = 0;

	T_ASSERT(smb2_dir_iter_init(&it, cls, buf, len) == 0);
	while (smb2_dir_next(&it, &e) == 1) {
		size_t wl = u16(want, names[i]);

		T_EXPECT_EQ(e.name_len, wl);
		T_EXPECT(memcmp(e.name, want, wl) == 0);
		T_EXPECT(e.name == buf + offs[i] + fixed_of(cls));
		T_EXPECT_EQ(e.creation_time, 1000 + i);
		T_EXPECT_EQ(e.change_time, 4000 + i);
		T_EXPECT_EQ(e.end_of_file, 100 * i);
		T_EXPECT_EQ(e.file_id, 0x1000 + i);
		T_EXPECT_EQ(e.file_attributes, i == 1 ? 0x10 : 0x20);
		if (cls == FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION) {
			size_t sl = u16(want, shorts[i]);

			T_EXPECT_EQ(e.short_name_len, sl);
			if (sl)
				T_EXPECT(memcmp(e.short_name, want, sl) == 0);
			else
				T_EXPECT(e.short_name == NULL);
		} else {
			T_EXPECT(e.short_name == NULL);
		}
		i++;
	}
	T_EXPECT_EQ(i, 4);
	T_EXPECT_EQ(it.state, 1);
}

static void test_walk_both(void)
{
	check_walk(FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION);
}

static void test_walk_full(void)
{
	check_walk(FSCC_FILE_ID_FULL_DIRECTORY_INFORMATION);
}

static void test_walk_truncated(void)
{
	static const uint8_t classes[] = {
		FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION,
		FSCC_FILE_ID_FULL_DIRECTORY_INFORMATION,
	};
	struct smb2_dir_iter it;
	int n;

	for (size_t c = 0; c < 2; c++) {
		size_t offs[4], len = mk_dir(classes[c], offs);

		/*
		 * Cut anywhere but 0: the cut entry must be rejected (an
		 * entry whose Next points past the cut, or a last entry
		 * whose name is cut).
		 */
		T_EXPECT_EQ(walk(classes[c], 0, &n), 0);
		T_EXPECT_EQ(n, 0);
		for (size_t cut = 1; cut < len; cut++)
			T_EXPECT_EQ(walk(classes[c], cut, &n), -EBADMSG);
		T_EXPECT_EQ(walk(classes[c], len, &n), 0);
		T_EXPECT_EQ(n, 4);
	}
	T_EXPECT_EQ(smb2_dir_iter_init(&it, 3, buf, 10), -EINVAL);
}

static void test_walk_malformed(void)
{
	static const uint8_t classes[] = {
		FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION,
		FSCC_FILE_ID_FULL_DIRECTORY_INFORMATION,
	};
	int n;

	for (size_t c = 0; c < 2; c++) {
		uint8_t cls = classes[c];
		size_t offs[4], len, fx = fixed_of(cls);
		const struct {
			size_t entry; /* which entry to corrupt */
			size_t field; /* byte offset in the entry */
			uint32_t value;
			int width; /* 1 or 4 */
			const char *why;
		} rows[] = {
			{1, 0, 4, 4, "Next smaller than the fixed entry"},
			{1, 0, 0xFFFFFFF8u, 4, "Next wraps backwards"},
			{1, 0, (uint32_t)fx + 4 + 1, 4, "Next unaligned"},
			{2, 0, 4096, 4, "Next past the buffer"},
			{2, 0, (uint32_t)(fx + 8), 4,
			 "Next inside this entry's name"},
			{0, 60, 3, 4, "odd FileNameLength"},
			{0, 60, 0, 4, "empty FileNameLength"},
			{0, 60, 200, 4, "name past Next"},
			{3, 60, 0xFFFFFFFEu, 4, "name near 2^32"},
			{3, 60, 34, 4, "last name past the buffer"},
		};

		for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
			uint8_t *p;

			len = mk_dir(cls, offs);
			p = buf + offs[rows[r].entry] + rows[r].field;
			if (rows[r].width == 4)
				le32_put(p, rows[r].value);
			else
				*p = (uint8_t)rows[r].value;
			if (walk(cls, len, &n) != -EBADMSG) {
				fprintf(stderr, "class %u row %zu: %s\n", cls,
					r, rows[r].why);
				T_EXPECT(0);
			}
		}

		/* Names that would inject a path: '/', '\\', NUL. */
		for (int k = 0; k < 3; k++) {
			static const uint16_t badc[] = {'/', '\\', 0};

			len = mk_dir(cls, offs);
			le16_put(buf + offs[2] + fx + 2, badc[k]);
			T_EXPECT_EQ(walk(cls, len, &n), -EBADMSG);
			T_EXPECT_EQ(n, 2); /* entries before it were fine */
		}
	}

	/* ShortNameLength > 24 or odd (IdBoth only). */
	{
		size_t offs[4], len;
		uint8_t cls = FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION;
		static const uint8_t bad_sl[] = {25, 26, 255, 3};

		for (size_t k = 0; k < sizeof(bad_sl); k++) {
			len = mk_dir(cls, offs);
			buf[offs[2] + 68] = bad_sl[k];
			T_EXPECT_EQ(walk(cls, len, &n), -EBADMSG);
		}
		len = mk_dir(cls, offs);
		buf[offs[2] + 68] = 24;
		T_EXPECT_EQ(walk(cls, len, &n), 0);
		T_EXPECT_EQ(n, 4);
	}
}

static void test_query_dir_req(void)
{
	uint8_t body[128], pat[4];
	struct smb2_query_dir_req q = {
		.info_class = FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION,
		.flags = SMB2_RESTART_SCANS,
		.fid = {1, 2},
		.output_len = 65536,
		.pattern = pat,
		.pattern_len = u16(pat, "*"),
	};

	T_EXPECT_EQ(smb2_query_dir_req_encode(body, sizeof(body), &q), 34);
	T_EXPECT_EQ(le16_get(body), 33);
	T_EXPECT_EQ(body[2], 37);
	T_EXPECT_EQ(body[3], 1);
	T_EXPECT_EQ(le64_get(body + 8), 1);
	T_EXPECT_EQ(le64_get(body + 16), 2);
	T_EXPECT_EQ(le16_get(body + 24), 96);
	T_EXPECT_EQ(le16_get(body + 26), 2);
	T_EXPECT_EQ(le32_get(body + 28), 65536);
	T_EXPECT(body[32] == '*' && body[33] == 0);
	T_EXPECT_EQ(smb2_query_dir_req_encode(body, 33, &q), -ENOSPC);
	q.pattern_len = 1;
	T_EXPECT_EQ(smb2_query_dir_req_encode(body, sizeof(body), &q), -EINVAL);
	q.pattern_len = 0;
	T_EXPECT_EQ(smb2_query_dir_req_encode(body, sizeof(body), &q), -EINVAL);
}

static void test_query_dir_rsp(void)
{
	struct smb2_hdr h;
	const uint8_t *out;
	uint32_t olen;
	size_t len = 72 + 200;

	memset(msg, 0, sizeof(msg));
	memset(&h, 0, sizeof(h));
	h.command = SMB2_QUERY_DIRECTORY;
	h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
	smb2_hdr_encode(msg, &h);
	le16_put(msg + 64, 9);
	le16_put(msg + 66, 72);
	le32_put(msg + 68, 200);
	T_ASSERT(smb2_query_dir_rsp_decode(msg, len, 65536, &out, &olen) == 0);
	T_EXPECT(out == msg + 72);
	T_EXPECT_EQ(olen, 200);
	T_EXPECT_EQ(smb2_query_dir_rsp_decode(msg, len, 199, &out, &olen),
		    -EPROTO);
	for (size_t n = 0; n < len; n++)
		T_EXPECT_EQ(
			smb2_query_dir_rsp_decode(msg, n, 65536, &out, &olen),
			-EBADMSG);
	le16_put(msg + 66, 70); /* into the fixed part */
	T_EXPECT_EQ(smb2_query_dir_rsp_decode(msg, len, 65536, &out, &olen),
		    -EBADMSG);
	le16_put(msg + 66, 0xFFFF); /* 16/32-bit wrap */
	le32_put(msg + 68, 0xFFFFFFFFu);
	T_EXPECT_EQ(
		smb2_query_dir_rsp_decode(msg, len, 0xFFFFFFFFu, &out, &olen),
		-EBADMSG);
}

int main(void)
{
	T_RUN(test_walk_both);
	T_RUN(test_walk_full);
	T_RUN(test_walk_truncated);
	T_RUN(test_walk_malformed);
	T_RUN(test_query_dir_req);
	T_RUN(test_query_dir_rsp);
	return t_done();
}
