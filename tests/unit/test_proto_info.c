// SPDX-License-Identifier: MIT
/*
 * QUERY_INFO / SET_INFO (MS-SMB2 2.2.37 - 2.2.40) and the MS-FSCC typed
 * codecs: round trips through test-side encoders, the OutputBuffer
 * offset/length pair, and embedded name lengths (libsmb2 #457: FileAll
 * FileNameLength past the buffer).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proto/info.h"
#include "proto/smb2.h"
#include "t.h"

static uint8_t msg[2048];

static const struct smb2_fileid fid = {0xA1A2A3A4A5A6A7A8ull,
				       0xB1B2B3B4B5B6B7B8ull};

static size_t u16(uint8_t *out, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		out[n++] = (uint8_t)*s;
		out[n++] = 0;
	}
	return n;
}

static void test_query_info_req(void)
{
	struct smb2_query_info_req q = {
		.info_type = SMB2_0_INFO_FILE,
		.info_class = FSCC_FILE_ALL_INFORMATION,
		.output_len = 4096,
		.additional = 0,
		.flags = 0,
		.fid = fid,
	};
	uint8_t body[128], in[6] = {1, 2, 3, 4, 5, 6};

	T_EXPECT_EQ(smb2_query_info_req_encode(body, sizeof(body), &q), 41);
	T_EXPECT_EQ(le16_get(body), 41);
	T_EXPECT_EQ(body[2], 1);
	T_EXPECT_EQ(body[3], 18);
	T_EXPECT_EQ(le32_get(body + 4), 4096);
	T_EXPECT_EQ(le16_get(body + 8), 0);
	T_EXPECT_EQ(le32_get(body + 12), 0);
	T_EXPECT_EQ(le64_get(body + 24), fid.persistent);
	T_EXPECT_EQ(le64_get(body + 32), fid.volatile_id);
	T_EXPECT_EQ(body[40], 0);
	T_EXPECT_EQ(smb2_query_info_req_encode(body, 40, &q), -ENOSPC);

	q.input = in;
	q.input_len = sizeof(in);
	T_EXPECT_EQ(smb2_query_info_req_encode(body, sizeof(body), &q), 46);
	T_EXPECT_EQ(le16_get(body + 8), 104);
	T_EXPECT_EQ(le32_get(body + 12), 6);
	T_EXPECT(memcmp(body + 40, in, 6) == 0);
	q.input = NULL;
	T_EXPECT_EQ(smb2_query_info_req_encode(body, sizeof(body), &q),
		    -EINVAL);
}

/* Test-side QUERY_INFO response: header, fixed part, buffer at 72. */
static size_t mk_qi_rsp(const uint8_t *data, uint32_t len)
{
	struct smb2_hdr h;

	memset(msg, 0, sizeof(msg));
	memset(&h, 0, sizeof(h));
	h.command = SMB2_QUERY_INFO;
	h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
	smb2_hdr_encode(msg, &h);
	le16_put(msg + 64, 9);
	le16_put(msg + 66, 72);
	le32_put(msg + 68, len);
	memcpy(msg + 72, data, len);
	return 72 + len;
}

static void test_query_info_rsp(void)
{
	uint8_t data[40];
	const uint8_t *out;
	uint32_t olen;
	size_t len;
	static const struct {
		uint16_t off;
		uint32_t len;
		const char *why;
	} bad[] = {
		{64, 8, "offset into the fixed part"},
		{71, 8, "offset one short of the buffer"},
		{72, 41, "length one past the element"},
		{200, 1, "offset past the element"},
		{0xFFFF, 0xFFFFFFFFu, "16/32-bit wrap"},
		{72, 0xFFFFFFF8u, "length near 2^32"},
	};

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = t_pattern(i);
	len = mk_qi_rsp(data, sizeof(data));
	T_ASSERT(smb2_query_info_rsp_decode(msg, len, 40, &out, &olen) == 0);
	T_EXPECT(out == msg + 72);
	T_EXPECT_EQ(olen, 40);
	/* More than the OutputBufferLength we asked for. */
	T_EXPECT_EQ(smb2_query_info_rsp_decode(msg, len, 39, &out, &olen),
		    -EPROTO);
	for (size_t n = 0; n < len; n++)
		T_EXPECT_EQ(smb2_query_info_rsp_decode(msg, n, 40, &out, &olen),
			    -EBADMSG);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mk_qi_rsp(data, sizeof(data));
		le16_put(msg + 66, bad[i].off);
		le32_put(msg + 68, bad[i].len);
		if (smb2_query_info_rsp_decode(msg, len, 0xFFFFFFFFu, &out,
					       &olen) != -EBADMSG) {
			fprintf(stderr, "row %zu accepted: %s\n", i,
				bad[i].why);
			T_EXPECT(0);
		}
	}
	/* Empty buffer with any offset is fine (nothing to read). */
	mk_qi_rsp(data, 0);
	le16_put(msg + 66, 0);
	T_EXPECT_EQ(smb2_query_info_rsp_decode(msg, 72, 40, &out, &olen), 0);
	T_EXPECT(out == NULL && olen == 0);
}

static void test_basic_standard_netopen(void)
{
	struct smb2_file_basic b = {1, 2, 3, 4, 0x21}, b2;
	struct smb2_file_standard s;
	struct smb2_file_network_open no;
	uint8_t buf[64];

	/* Basic: library encoder, library decoder. */
	T_EXPECT_EQ(smb2_file_basic_encode(buf, sizeof(buf), &b), 40);
	T_EXPECT_EQ(smb2_file_basic_encode(buf, 39, &b), -ENOSPC);
	T_ASSERT(smb2_file_basic_decode(buf, 40, &b2) == 0);
	T_EXPECT_EQ(b2.creation_time, 1);
	T_EXPECT_EQ(b2.last_access_time, 2);
	T_EXPECT_EQ(b2.last_write_time, 3);
	T_EXPECT_EQ(b2.change_time, 4);
	T_EXPECT_EQ(b2.file_attributes, 0x21);
	T_EXPECT_EQ(smb2_file_basic_decode(buf, 36, &b2), 0);
	T_EXPECT_EQ(smb2_file_basic_decode(buf, 35, &b2), -EBADMSG);

	memset(buf, 0, sizeof(buf));
	le64_put(buf, 8192);
	le64_put(buf + 8, 5000);
	le32_put(buf + 16, 2);
	buf[20] = 1;
	buf[21] = 1;
	T_ASSERT(smb2_file_standard_decode(buf, 24, &s) == 0);
	T_EXPECT_EQ(s.allocation_size, 8192);
	T_EXPECT_EQ(s.end_of_file, 5000);
	T_EXPECT_EQ(s.number_of_links, 2);
	T_EXPECT_EQ(s.delete_pending, 1);
	T_EXPECT_EQ(s.directory, 1);
	T_EXPECT_EQ(smb2_file_standard_decode(buf, 21, &s), -EBADMSG);

	for (int i = 0; i < 6; i++)
		le64_put(buf + 8 * i, (uint64_t)(100 + i));
	le32_put(buf + 48, 0x10);
	T_ASSERT(smb2_file_network_open_decode(buf, 56, &no) == 0);
	T_EXPECT_EQ(no.creation_time, 100);
	T_EXPECT_EQ(no.change_time, 103);
	T_EXPECT_EQ(no.allocation_size, 104);
	T_EXPECT_EQ(no.end_of_file, 105);
	T_EXPECT_EQ(no.file_attributes, 0x10);
	for (size_t n = 0; n < 52; n++)
		T_EXPECT_EQ(smb2_file_network_open_decode(buf, n, &no),
			    -EBADMSG);
}

static size_t mk_file_all(uint8_t *p, const char *name)
{
	size_t nlen;

	memset(p, 0, 100);
	for (int i = 0; i < 4; i++)
		le64_put(p + 8 * i, (uint64_t)(10 + i));
	le32_put(p + 32, 0x20);
	le64_put(p + 40, 4096);
	le64_put(p + 48, 3000);
	le32_put(p + 56, 1);
	le64_put(p + 64, 0xDEADBEEFull);
	le32_put(p + 72, 0);
	le32_put(p + 76, 0x120089);
	le64_put(p + 80, 77);
	le32_put(p + 88, 0);
	le32_put(p + 92, 0);
	nlen = u16(p + 100, name);
	le32_put(p + 96, (uint32_t)nlen);
	return 100 + nlen;
}

static void test_file_all(void)
{
	uint8_t buf[256];
	struct smb2_file_all a;
	size_t len = mk_file_all(buf, "\\dir\\file.txt");
	static const uint32_t bad_nlen[] = {
		27, 28, 0x7FFFFFFF, 0xFFFFFFFFu, 0xFFFFFFFEu, 25};

	T_ASSERT(smb2_file_all_decode(buf, len, &a) == 0);
	T_EXPECT_EQ(a.basic.creation_time, 10);
	T_EXPECT_EQ(a.basic.file_attributes, 0x20);
	T_EXPECT_EQ(a.standard.end_of_file, 3000);
	T_EXPECT_EQ(a.standard.number_of_links, 1);
	T_EXPECT_EQ(a.index_number, 0xDEADBEEF);
	T_EXPECT_EQ(a.access_flags, 0x120089);
	T_EXPECT_EQ(a.current_byte_offset, 77);
	T_EXPECT(a.name == buf + 100);
	T_EXPECT_EQ(a.name_len, 26);
	/* Truncated at every length (bug class 6 / libsmb2 57bee9f). */
	for (size_t n = 0; n < len; n++)
		T_EXPECT_EQ(smb2_file_all_decode(buf, n, &a), -EBADMSG);
	/* FileNameLength past the buffer, odd, or near 2^32. */
	for (size_t i = 0; i < sizeof(bad_nlen) / sizeof(bad_nlen[0]); i++) {
		le32_put(buf + 96, bad_nlen[i]);
		T_EXPECT_EQ(smb2_file_all_decode(buf, len, &a), -EBADMSG);
	}
	/* No name at all. */
	le32_put(buf + 96, 0);
	T_EXPECT_EQ(smb2_file_all_decode(buf, 100, &a), 0);
	T_EXPECT(a.name == NULL && a.name_len == 0);
	/*
	 * The fixed-part decoder (stat) ignores FileName however it is
	 * encoded (an odd ASCII length, as impacket sends) but still needs
	 * the whole fixed part.
	 */
	le32_put(buf + 96, 1);
	T_EXPECT_EQ(smb2_file_all_decode(buf, 101, &a), -EBADMSG);
	T_EXPECT_EQ(smb2_file_all_fixed_decode(buf, 101, &a), 0);
	T_EXPECT_EQ(a.standard.end_of_file, 3000);
	T_EXPECT_EQ(a.index_number, 0xDEADBEEF);
	T_EXPECT(a.name == NULL && a.name_len == 0);
	for (size_t n = 0; n < 100; n++)
		T_EXPECT_EQ(smb2_file_all_fixed_decode(buf, n, &a), -EBADMSG);
}

static void test_fs_classes(void)
{
	uint8_t buf[128];
	struct smb2_fs_full_size fs;
	struct smb2_fs_attribute at;
	struct smb2_fs_volume vol;
	size_t n;

	le64_put(buf, 1000000);
	le64_put(buf + 8, 250000);
	le64_put(buf + 16, 260000);
	le32_put(buf + 24, 8);
	le32_put(buf + 28, 512);
	T_ASSERT(smb2_fs_full_size_decode(buf, 32, &fs) == 0);
	T_EXPECT_EQ(fs.total_allocation_units, 1000000);
	T_EXPECT_EQ(fs.caller_available_units, 250000);
	T_EXPECT_EQ(fs.actual_available_units, 260000);
	T_EXPECT_EQ(fs.sectors_per_unit, 8);
	T_EXPECT_EQ(fs.bytes_per_sector, 512);
	for (n = 0; n < 32; n++)
		T_EXPECT_EQ(smb2_fs_full_size_decode(buf, n, &fs), -EBADMSG);

	le32_put(buf, 0x0000008F);
	le32_put(buf + 4, 255);
	n = u16(buf + 12, "NTFS");
	le32_put(buf + 8, (uint32_t)n);
	T_ASSERT(smb2_fs_attribute_decode(buf, 12 + n, &at) == 0);
	T_EXPECT_EQ(at.attributes, 0x8F);
	T_EXPECT_EQ(at.max_component_name_len, 255);
	T_EXPECT(at.name == buf + 12);
	T_EXPECT_EQ(at.name_len, 8);
	for (size_t k = 0; k < 12 + n; k++)
		T_EXPECT_EQ(smb2_fs_attribute_decode(buf, k, &at), -EBADMSG);
	le32_put(buf + 8, 7);
	T_EXPECT_EQ(smb2_fs_attribute_decode(buf, 12 + n, &at), -EBADMSG);
	le32_put(buf + 8, 0xFFFFFFFEu);
	T_EXPECT_EQ(smb2_fs_attribute_decode(buf, 12 + n, &at), -EBADMSG);

	memset(buf, 0, sizeof(buf));
	le64_put(buf, 0x01D5000000000000ull);
	le32_put(buf + 8, 0xCAFEF00D);
	buf[16] = 1;
	n = u16(buf + 18, "Data");
	le32_put(buf + 12, (uint32_t)n);
	T_ASSERT(smb2_fs_volume_decode(buf, 18 + n, &vol) == 0);
	T_EXPECT_EQ(vol.creation_time, 0x01D5000000000000ull);
	T_EXPECT_EQ(vol.serial_number, 0xCAFEF00D);
	T_EXPECT_EQ(vol.supports_objects, 1);
	T_EXPECT(vol.label == buf + 18);
	T_EXPECT_EQ(vol.label_len, 8);
	for (size_t k = 0; k < 18 + n; k++)
		T_EXPECT_EQ(smb2_fs_volume_decode(buf, k, &vol), -EBADMSG);
	le32_put(buf + 12, 9);
	T_EXPECT_EQ(smb2_fs_volume_decode(buf, 18 + n, &vol), -EBADMSG);
	le32_put(buf + 12, 0);
	T_EXPECT_EQ(smb2_fs_volume_decode(buf, 18, &vol), 0);
	T_EXPECT(vol.label == NULL);
}

static void test_set_info(void)
{
	struct smb2_set_info_req s = {.info_type = SMB2_0_INFO_FILE,
				      .info_class =
					      FSCC_FILE_RENAME_INFORMATION,
				      .fid = fid};
	uint8_t body[256], name[64], tmp[8];
	size_t nlen = u16(name, "new\\name");
	ssize_t n;

	/* Rename encoded in place at body + 32, then the fixed part. */
	n = smb2_file_rename_encode(body + 32, sizeof(body) - 32, true, name,
				    nlen);
	T_ASSERT(n == (ssize_t)(20 + nlen + 2));
	T_EXPECT_EQ(body[32], 1);
	T_EXPECT_EQ(le64_get(body + 32 + 8), 0); /* RootDirectory */
	T_EXPECT_EQ(le32_get(body + 32 + 16), nlen);
	T_EXPECT(memcmp(body + 32 + 20, name, nlen) == 0);
	T_EXPECT(body[32 + 20 + nlen] == 0 && body[32 + 21 + nlen] == 0);
	T_EXPECT_EQ(smb2_set_info_req_encode(body, sizeof(body), &s, body + 32,
					     (size_t)n),
		    32 + n);
	T_EXPECT_EQ(le16_get(body), 33);
	T_EXPECT_EQ(body[2], 1);
	T_EXPECT_EQ(body[3], 10);
	T_EXPECT_EQ(le32_get(body + 4), n);
	T_EXPECT_EQ(le16_get(body + 8), 96);
	T_EXPECT_EQ(le64_get(body + 16), fid.persistent);
	T_EXPECT_EQ(le32_get(body + 32 + 16), nlen); /* payload intact */
	T_EXPECT_EQ(
		smb2_file_rename_encode(body, 20 + nlen + 1, false, name, nlen),
		-ENOSPC);
	T_EXPECT_EQ(smb2_file_rename_encode(body, 256, false, name, 3),
		    -EINVAL);

	/* End of file from a separate buffer (copied in). */
	T_EXPECT_EQ(smb2_file_eof_encode(tmp, sizeof(tmp), 123456789), 8);
	T_EXPECT_EQ(le64_get(tmp), 123456789);
	T_EXPECT_EQ(smb2_file_eof_encode(tmp, 7, 1), -ENOSPC);
	T_EXPECT_EQ(smb2_file_eof_encode(tmp, 8, (uint64_t)INT64_MAX + 1),
		    -EINVAL);
	s.info_class = FSCC_FILE_END_OF_FILE_INFORMATION;
	T_EXPECT_EQ(smb2_set_info_req_encode(body, sizeof(body), &s, tmp, 8),
		    40);
	T_EXPECT_EQ(le64_get(body + 32), 123456789);
	T_EXPECT_EQ(smb2_set_info_req_encode(body, 39, &s, tmp, 8), -ENOSPC);
	T_EXPECT_EQ(smb2_set_info_req_encode(body, 64, &s, tmp, 0), -EINVAL);

	T_EXPECT_EQ(smb2_file_disposition_encode(tmp, 1, true), 1);
	T_EXPECT_EQ(tmp[0], 1);
	T_EXPECT_EQ(smb2_file_disposition_encode(tmp, 0, true), -ENOSPC);

	/* SET_INFO response: StructureSize 2 and nothing else. */
	memset(msg, 0, 80);
	le16_put(msg + 64, 2);
	{
		struct smb2_hdr h;

		memset(&h, 0, sizeof(h));
		h.command = SMB2_SET_INFO;
		h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
		smb2_hdr_encode(msg, &h);
	}
	T_EXPECT_EQ(smb2_set_info_rsp_decode(msg, 66), 0);
	T_EXPECT_EQ(smb2_set_info_rsp_decode(msg, 65), -EBADMSG);
	le16_put(msg + 64, 9);
	T_EXPECT_EQ(smb2_set_info_rsp_decode(msg, 72), -EBADMSG);
}

int main(void)
{
	T_RUN(test_query_info_req);
	T_RUN(test_query_info_rsp);
	T_RUN(test_basic_standard_netopen);
	T_RUN(test_file_all);
	T_RUN(test_fs_classes);
	T_RUN(test_set_info);
	return t_done();
}
