// SPDX-License-Identifier: MIT
/*
 * SMB2 QUERY_DIRECTORY (MS-SMB2 2.2.33, 2.2.34) and the entry walker for
 * FileIdBothDirectoryInformation / FileIdFullDirectoryInformation
 * (MS-FSCC 2.4.17, 2.4.18).
 */
#include <errno.h>
#include <string.h>

#include "proto/dir.h"
#include "proto/span.h"

ssize_t smb2_query_dir_req_encode(uint8_t *buf, size_t cap,
				  const struct smb2_query_dir_req *req)
{
	size_t body;

	if (!buf || !req || !req->pattern || req->pattern_len == 0 ||
	    (req->pattern_len & 1) || req->pattern_len > 0xFFFE)
		return -EINVAL;
	body = SMB2_QUERY_DIRECTORY_REQ_FIXED + req->pattern_len;
	if (cap < body)
		return -ENOSPC;
	le16_put(buf + 0, SMB2_QUERY_DIRECTORY_REQ_SIZE);
	buf[2] = req->info_class;
	buf[3] = req->flags;
	le32_put(buf + 4, req->file_index);
	smb2_fileid_put(buf + 8, &req->fid);
	le16_put(buf + 24, SMB2_HDR_SIZE + SMB2_QUERY_DIRECTORY_REQ_FIXED);
	le16_put(buf + 26, (uint16_t)req->pattern_len);
	le32_put(buf + 28, req->output_len);
	memcpy(buf + SMB2_QUERY_DIRECTORY_REQ_FIXED, req->pattern,
	       req->pattern_len);
	return (ssize_t)body;
}

int smb2_query_dir_rsp_decode(const uint8_t *msg, size_t len, uint32_t max_out,
			      const uint8_t **out, uint32_t *out_len)
{
	return smb2_out_buffer_decode(msg, len, SMB2_QUERY_DIRECTORY_RSP_SIZE,
				      max_out, out, out_len);
}

int smb2_dir_iter_init(struct smb2_dir_iter *it, uint8_t info_class,
		       const uint8_t *buf, size_t len)
{
	switch (info_class) {
	case FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION:
		it->fixed = FSCC_ID_BOTH_DIR_FIXED;
		break;
	case FSCC_FILE_ID_FULL_DIRECTORY_INFORMATION:
		it->fixed = FSCC_ID_FULL_DIR_FIXED;
		break;
	default:
		return -EINVAL;
	}
	it->info_class = info_class;
	it->buf = buf;
	it->len = buf ? len : 0;
	it->pos = 0;
	it->state = 0;
	return 0;
}

/*
 * A file name component never holds NUL or a path separator (MS-FSCC 2.1.5
 * names); a server that sends one is trying to inject a path.
 */
static int name_ok(const uint8_t *n, uint32_t len)
{
	for (uint32_t i = 0; i < len; i += 2) {
		uint16_t c = le16_get(n + i);

		if (c == 0 || c == '/' || c == '\\')
			return 0;
	}
	return 1;
}

int smb2_dir_next(struct smb2_dir_iter *it, struct smb2_dirent *e)
{
	const uint8_t *p;
	size_t rest, ext;
	uint32_t next, nlen;
	uint8_t slen = 0;

	if (it->state)
		return it->state > 0 ? 0 : it->state;
	if (it->pos >= it->len) {
		it->state = 1;
		return 0;
	}
	rest = it->len - it->pos;
	if (rest < it->fixed)
		goto bad;
	p = it->buf + it->pos;
	next = le32_get(p);
	nlen = le32_get(p + 60);
	if (nlen == 0 || (nlen & 1))
		goto bad;
	if (next) {
		/*
		 * Forward past this entry's own bytes, aligned, and leaving
		 * room for a whole next entry: a chain cannot loop, go back,
		 * overlap or overrun (libsmb2 bae5ef5).
		 */
		if (next % FSCC_DIR_ENTRY_ALIGN ||
		    (uint64_t)it->fixed + nlen > next ||
		    next > rest - it->fixed)
			goto bad;
		ext = next;
	} else {
		ext = rest;
	}
	if (span_check(ext, it->fixed, it->fixed, nlen))
		goto bad;
	if (it->info_class == FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION) {
		slen = p[68];
		if (slen > FSCC_SHORT_NAME_MAX || (slen & 1))
			goto bad;
	}
	if (!name_ok(p + it->fixed, nlen))
		goto bad;

	e->file_index = le32_get(p + 4);
	e->creation_time = le64_get(p + 8);
	e->last_access_time = le64_get(p + 16);
	e->last_write_time = le64_get(p + 24);
	e->change_time = le64_get(p + 32);
	e->end_of_file = le64_get(p + 40);
	e->allocation_size = le64_get(p + 48);
	e->file_attributes = le32_get(p + 56);
	e->ea_size = le32_get(p + 64);
	if (it->info_class == FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION) {
		/* ShortName at 70 (24 bytes), Reserved2, FileId at 96. */
		e->short_name = slen ? p + 70 : NULL;
		e->short_name_len = slen;
		e->file_id = le64_get(p + 96);
	} else {
		/* Reserved at 68, FileId at 72. */
		e->short_name = NULL;
		e->short_name_len = 0;
		e->file_id = le64_get(p + 72);
	}
	e->name = p + it->fixed;
	e->name_len = nlen;
	if (next)
		it->pos += next;
	else
		it->state = 1;
	return 1;
bad:
	it->state = -EBADMSG;
	return -EBADMSG;
}
