// SPDX-License-Identifier: MIT
/*
 * SMB2 QUERY_INFO / SET_INFO (MS-SMB2 2.2.37 - 2.2.40) and the MS-FSCC
 * information classes the client reads and writes.
 */
#include <errno.h>
#include <string.h>

#include "proto/info.h"
#include "proto/span.h"

ssize_t smb2_query_info_req_encode(uint8_t *buf, size_t cap,
				   const struct smb2_query_info_req *req)
{
	size_t body;

	if (!buf || !req || (req->input_len && !req->input))
		return -EINVAL;
	body = SMB2_QUERY_INFO_REQ_FIXED +
	       (req->input_len ? req->input_len : 1);
	if (cap < body)
		return -ENOSPC;
	le16_put(buf + 0, SMB2_QUERY_INFO_REQ_SIZE);
	buf[2] = req->info_type;
	buf[3] = req->info_class;
	le32_put(buf + 4, req->output_len);
	le16_put(buf + 8, req->input_len
				  ? SMB2_HDR_SIZE + SMB2_QUERY_INFO_REQ_FIXED
				  : 0);
	le16_put(buf + 10, 0); /* Reserved */
	le32_put(buf + 12, req->input_len);
	le32_put(buf + 16, req->additional);
	le32_put(buf + 20, req->flags);
	smb2_fileid_put(buf + 24, &req->fid);
	if (req->input_len)
		memcpy(buf + SMB2_QUERY_INFO_REQ_FIXED, req->input,
		       req->input_len);
	else
		buf[SMB2_QUERY_INFO_REQ_FIXED] = 0;
	return (ssize_t)body;
}

int smb2_query_info_rsp_decode(const uint8_t *msg, size_t len, uint32_t max_out,
			       const uint8_t **out, uint32_t *out_len)
{
	return smb2_out_buffer_decode(msg, len, SMB2_QUERY_INFO_RSP_SIZE,
				      max_out, out, out_len);
}

/* ---- typed decoders ------------------------------------------------------ */

static void basic_get(const uint8_t *p, struct smb2_file_basic *o)
{
	o->creation_time = le64_get(p);
	o->last_access_time = le64_get(p + 8);
	o->last_write_time = le64_get(p + 16);
	o->change_time = le64_get(p + 24);
	o->file_attributes = le32_get(p + 32);
}

static void standard_get(const uint8_t *p, struct smb2_file_standard *o)
{
	o->allocation_size = le64_get(p);
	o->end_of_file = le64_get(p + 8);
	o->number_of_links = le32_get(p + 16);
	o->delete_pending = p[20];
	o->directory = p[21];
}

/*
 * The trailing Reserved fields of Basic (4 bytes) and Standard (2 bytes)
 * carry nothing; some servers omit them, so only the meaningful bytes are
 * required.
 */
int smb2_file_basic_decode(const uint8_t *p, size_t len,
			   struct smb2_file_basic *out)
{
	if (!p || len < FSCC_FILE_BASIC_SIZE - 4)
		return -EBADMSG;
	basic_get(p, out);
	return 0;
}

int smb2_file_standard_decode(const uint8_t *p, size_t len,
			      struct smb2_file_standard *out)
{
	if (!p || len < FSCC_FILE_STANDARD_SIZE - 2)
		return -EBADMSG;
	standard_get(p, out);
	return 0;
}

int smb2_file_network_open_decode(const uint8_t *p, size_t len,
				  struct smb2_file_network_open *out)
{
	if (!p || len < SMB2_NETWORK_OPEN_BYTES)
		return -EBADMSG;
	smb2_network_open_get(p, out);
	return 0;
}

void smb2_network_open_get(const uint8_t *p, struct smb2_file_network_open *out)
{
	out->creation_time = le64_get(p);
	out->last_access_time = le64_get(p + 8);
	out->last_write_time = le64_get(p + 16);
	out->change_time = le64_get(p + 24);
	out->allocation_size = le64_get(p + 32);
	out->end_of_file = le64_get(p + 40);
	out->file_attributes = le32_get(p + 48);
}

/*
 * Check an embedded UTF-16 name of @nlen bytes at @off inside a buffer of
 * @len bytes: even, and wholly inside (64-bit arithmetic, no wrap).
 */
static int name_check(size_t len, size_t off, uint32_t nlen)
{
	if (nlen & 1)
		return -EBADMSG;
	return span_check(len, off, off, nlen);
}

int smb2_file_all_decode(const uint8_t *p, size_t len,
			 struct smb2_file_all *out)
{
	uint32_t nlen;
	int ret;

	if (!p || len < FSCC_FILE_ALL_FIXED)
		return -EBADMSG;
	nlen = le32_get(p + 96);
	if (name_check(len, FSCC_FILE_ALL_FIXED, nlen))
		return -EBADMSG;
	ret = smb2_file_all_fixed_decode(p, len, out);
	out->name = nlen ? p + FSCC_FILE_ALL_FIXED : NULL;
	out->name_len = nlen;
	return ret;
}

int smb2_file_all_fixed_decode(const uint8_t *p, size_t len,
			       struct smb2_file_all *out)
{
	if (!p || len < FSCC_FILE_ALL_FIXED)
		return -EBADMSG;
	basic_get(p, &out->basic);
	standard_get(p + 40, &out->standard);
	out->index_number = le64_get(p + 64);
	out->ea_size = le32_get(p + 72);
	out->access_flags = le32_get(p + 76);
	out->current_byte_offset = le64_get(p + 80);
	out->mode = le32_get(p + 88);
	out->alignment_requirement = le32_get(p + 92);
	out->name = NULL;
	out->name_len = 0;
	return 0;
}

int smb2_fs_full_size_decode(const uint8_t *p, size_t len,
			     struct smb2_fs_full_size *out)
{
	if (!p || len < FSCC_FS_FULL_SIZE_SIZE)
		return -EBADMSG;
	out->total_allocation_units = le64_get(p);
	out->caller_available_units = le64_get(p + 8);
	out->actual_available_units = le64_get(p + 16);
	out->sectors_per_unit = le32_get(p + 24);
	out->bytes_per_sector = le32_get(p + 28);
	return 0;
}

int smb2_fs_attribute_decode(const uint8_t *p, size_t len,
			     struct smb2_fs_attribute *out)
{
	uint32_t nlen;

	if (!p || len < FSCC_FS_ATTRIBUTE_FIXED)
		return -EBADMSG;
	nlen = le32_get(p + 8);
	if (name_check(len, FSCC_FS_ATTRIBUTE_FIXED, nlen))
		return -EBADMSG;
	out->attributes = le32_get(p);
	out->max_component_name_len = le32_get(p + 4);
	out->name = nlen ? p + FSCC_FS_ATTRIBUTE_FIXED : NULL;
	out->name_len = nlen;
	return 0;
}

int smb2_fs_volume_decode(const uint8_t *p, size_t len,
			  struct smb2_fs_volume *out)
{
	uint32_t nlen;

	if (!p || len < FSCC_FS_VOLUME_FIXED)
		return -EBADMSG;
	nlen = le32_get(p + 12);
	if (name_check(len, FSCC_FS_VOLUME_FIXED, nlen))
		return -EBADMSG;
	out->creation_time = le64_get(p);
	out->serial_number = le32_get(p + 8);
	out->supports_objects = p[16];
	out->label = nlen ? p + FSCC_FS_VOLUME_FIXED : NULL;
	out->label_len = nlen;
	return 0;
}

/* ---- SET_INFO ------------------------------------------------------------ */

ssize_t smb2_set_info_req_encode(uint8_t *buf, size_t cap,
				 const struct smb2_set_info_req *req,
				 const uint8_t *data, size_t data_len)
{
	size_t body;

	if (!buf || !req || !data || data_len == 0 || data_len > UINT32_MAX)
		return -EINVAL;
	if (data_len > cap || cap - data_len < SMB2_SET_INFO_REQ_FIXED)
		return -ENOSPC;
	body = SMB2_SET_INFO_REQ_FIXED + data_len;
	/* The buffer may have been encoded in place already: memmove. */
	memmove(buf + SMB2_SET_INFO_REQ_FIXED, data, data_len);
	le16_put(buf + 0, SMB2_SET_INFO_REQ_SIZE);
	buf[2] = req->info_type;
	buf[3] = req->info_class;
	le32_put(buf + 4, (uint32_t)data_len);
	le16_put(buf + 8, SMB2_HDR_SIZE + SMB2_SET_INFO_REQ_FIXED);
	le16_put(buf + 10, 0); /* Reserved */
	le32_put(buf + 12, req->additional);
	smb2_fileid_put(buf + 16, &req->fid);
	return (ssize_t)body;
}

int smb2_set_info_rsp_decode(const uint8_t *msg, size_t len)
{
	return smb2_body_check(msg, len, SMB2_SET_INFO_RSP_SIZE,
			       SMB2_SET_INFO_RSP_FIXED);
}

ssize_t smb2_file_basic_encode(uint8_t *p, size_t cap,
			       const struct smb2_file_basic *in)
{
	if (!p || !in)
		return -EINVAL;
	if (cap < FSCC_FILE_BASIC_SIZE)
		return -ENOSPC;
	le64_put(p, in->creation_time);
	le64_put(p + 8, in->last_access_time);
	le64_put(p + 16, in->last_write_time);
	le64_put(p + 24, in->change_time);
	le32_put(p + 32, in->file_attributes);
	le32_put(p + 36, 0); /* Reserved */
	return FSCC_FILE_BASIC_SIZE;
}

ssize_t smb2_file_eof_encode(uint8_t *p, size_t cap, uint64_t end_of_file)
{
	if (!p)
		return -EINVAL;
	/* EndOfFile is a signed LARGE_INTEGER (MS-FSCC 2.4.13). */
	if (end_of_file > INT64_MAX)
		return -EINVAL;
	if (cap < FSCC_FILE_EOF_SIZE)
		return -ENOSPC;
	le64_put(p, end_of_file);
	return FSCC_FILE_EOF_SIZE;
}

ssize_t smb2_file_disposition_encode(uint8_t *p, size_t cap,
				     bool delete_pending)
{
	if (!p)
		return -EINVAL;
	if (cap < FSCC_FILE_DISPOSITION_SIZE)
		return -ENOSPC;
	p[0] = delete_pending ? 1 : 0;
	return FSCC_FILE_DISPOSITION_SIZE;
}

ssize_t smb2_file_rename_encode(uint8_t *p, size_t cap, bool replace,
				const uint8_t *name, size_t name_len)
{
	size_t total;

	if (!p || !name || name_len == 0 || (name_len & 1) ||
	    name_len > UINT32_MAX - FSCC_FILE_RENAME_FIXED - 2)
		return -EINVAL;
	total = FSCC_FILE_RENAME_FIXED + name_len + 2;
	if (cap < total)
		return -ENOSPC;
	memset(p, 0, FSCC_FILE_RENAME_FIXED);
	p[0] = replace ? 1 : 0; /* ReplaceIfExists; Reserved (7) zero */
	le64_put(p + 8, 0);	/* RootDirectory: must be 0 over SMB2 */
	le32_put(p + 16, (uint32_t)name_len);
	memcpy(p + FSCC_FILE_RENAME_FIXED, name, name_len);
	p[total - 2] = 0;
	p[total - 1] = 0;
	return (ssize_t)total;
}
