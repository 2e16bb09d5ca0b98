// SPDX-License-Identifier: MIT
/*
 * Extended attributes by path (smbiov_getxattr() and friends): each call
 * is one compound CREATE + QUERY_INFO or SET_INFO FileFullEaInformation
 * (MS-FSCC 2.4.15) + CLOSE (smb_path_op()); setting with a condition and
 * removing ask first, in a round trip of their own.
 */
#include "client/file.h"
#include "proto/ea.h"
#include "proto/info.h"
#include "proto/ntstatus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* STATUS_NONEXISTENT_EA_ENTRY (MS-ERREF): a name asked for is not there */
#define STATUS_NONEXISTENT_EA_ENTRY 0xC0000051u

/*
 * The first output buffer asked for holds any one EA (a value of 64 KiB
 * and its name); a list that does not fit is asked again with the
 * larger one.
 */
#define EA_OUT_FIRST ((uint32_t)(SMB2_FULL_EA_MAX + 8))
#define EA_OUT_MAX   ((uint32_t)4 << 20)

/* The opening of a call that fills @buf (@size bytes; 0: none). */
static int ea_begin(struct smbiov_client *c, const void *buf, size_t size,
		    const char *what)
{
	int ret = smb_api_begin(c);

	if (!ret && size && !buf)
		ret = smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				    "%s: no buffer", what);
	return ret;
}

/* An EA's name, as given and checked. */
static int name_check(const char *name, size_t *len, const char *what)
{
	*len = name ? strlen(name) : 0;
	if (!smb2_ea_name_ok(name, *len))
		return smb_error_set(*len > SMB2_EA_NAME_MAX ? -ERANGE
							     : -EINVAL,
				     0, SMBIOV_PHASE_IO,
				     "%s: an EA name is 1 to 255 bytes", what);
	return 0;
}

/*
 * The EAs of @path, or only @name's where the server honours the list
 * asked for (Samba sends all): a malloc'd FILE_FULL_EA_INFORMATION chain
 * in *@buf, *@len bytes (*@buf NULL, *@len 0: none). Returns 0 or a
 * negative errno (recorded).
 */
static int ea_fetch(struct smbiov_client *c, const char *path, const char *name,
		    size_t name_len, uint8_t **buf, uint32_t *len)
{
	struct smb_create_args a = {
		.path = path,
		.access = SMB_FILE_READ_EA | SMB_FILE_READ_ATTRIBUTES |
			  SMB_SYNCHRONIZE,
		.disposition = SMB2_FILE_OPEN,
	};
	uint8_t body[SMB2_QUERY_INFO_REQ_FIXED + SMB2_GET_EA_FIXED +
		     SMB2_EA_NAME_MAX + 8];
	uint8_t in[SMB2_GET_EA_FIXED + SMB2_EA_NAME_MAX + 1];
	struct smb2_query_info_req q = {
		.info_type = SMB2_0_INFO_FILE,
		.info_class = FSCC_FILE_FULL_EA_INFORMATION,
		.flags = SMB2_SL_RESTART_SCAN,
		.fid = smb_related_fid,
	};
	uint32_t outlen = EA_OUT_FIRST;
	const uint8_t *out;
	struct iovec v;
	struct smb_req r;
	ssize_t n;
	int ret;

	*buf = NULL;
	*len = 0;
	if (name) {
		n = smb2_get_ea_encode(in, sizeof(in), name, name_len);
		if (n < 0)
			return smb_error_set((int)n, 0, SMBIOV_PHASE_IO,
					     "EA query: bad name");
		q.input = in;
		q.input_len = (uint32_t)n;
	}
	for (;;) {
		if (c->max_transact && c->max_transact < outlen)
			outlen = c->max_transact;
		q.output_len = outlen;
		n = smb2_query_info_req_encode(body, sizeof(body), &q);
		if (n < 0)
			return smb_error_set((int)n, 0, SMBIOV_PHASE_IO,
					     "EA query: cannot encode");
		v.iov_base = body;
		v.iov_len = (size_t)n;
		smb_req_init(&r, SMB2_QUERY_INFO);
		r.body = &v;
		r.nbody = 1;
		r.payload_len = outlen;
		ret = smb_path_op(c, &a, &r, NULL);
		if ((r.status == STATUS_BUFFER_OVERFLOW ||
		     r.status == STATUS_BUFFER_TOO_SMALL) &&
		    outlen < EA_OUT_MAX &&
		    (!c->max_transact || outlen < c->max_transact)) {
			smb_req_release(&r);
			outlen = EA_OUT_MAX;
			continue;
		}
		break;
	}
	if (r.status == STATUS_NO_EAS_ON_FILE ||
	    r.status == STATUS_NONEXISTENT_EA_ENTRY ||
	    r.status == STATUS_NO_MORE_EAS) {
		smb_req_release(&r);
		smb_error_clear();
		return 0;
	}
	if (r.status == STATUS_BUFFER_OVERFLOW ||
	    r.status == STATUS_BUFFER_TOO_SMALL) {
		smb_req_release(&r);
		return smb_error_set(-E2BIG, 0, SMBIOV_PHASE_IO,
				     "%s: its EAs take more than %u bytes",
				     path ? path : "", outlen);
	}
	if (ret) {
		smb_req_release(&r);
		return ret;
	}
	ret = smb2_query_info_rsp_decode(r.rsp, r.rsp_len, outlen, &out, len);
	if (!ret && *len) {
		*buf = malloc(*len);
		if (*buf)
			memcpy(*buf, out, *len);
		else
			ret = -ENOMEM;
	}
	smb_req_release(&r);
	if (ret) {
		*len = 0;
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "QUERY_INFO: bad FileFullEaInformation");
	}
	return 0;
}

/*
 * The value of @name in the chain @p (@len bytes): 1 with *@ea set, 0
 * when it is not there (or empty: no EA), or -EBADMSG (recorded).
 */
static int ea_find(const uint8_t *p, uint32_t len, const char *name,
		   size_t name_len, struct smb2_ea *ea)
{
	size_t pos = 0;
	int ret;

	while ((ret = smb2_full_ea_next(p, len, &pos, ea)) == 1) {
		if (ea->name_len == name_len &&
		    !strncasecmp(ea->name, name, name_len))
			return ea->value_len ? 1 : 0;
	}
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "QUERY_INFO: bad FileFullEaInformation");
	return 0;
}

SMBIOV_API ssize_t smbiov_getxattr(struct smbiov_client *c, const char *path,
				   const char *name, void *value, size_t size)
{
	struct smb2_ea ea;
	size_t name_len;
	uint8_t *buf;
	uint32_t len;
	int ret;

	ret = ea_begin(c, value, size, "getxattr");
	if (!ret)
		ret = name_check(name, &name_len, "getxattr");
	if (!ret)
		ret = ea_fetch(c, path, name, name_len, &buf, &len);
	if (ret)
		return ret;
	ret = ea_find(buf, len, name, name_len, &ea);
	if (ret == 0)
		ret = smb_error_set(-ENODATA, 0, SMBIOV_PHASE_IO,
				    "getxattr %s: no EA %s", path ? path : "",
				    name);
	else if (ret == 1 && size && size < ea.value_len)
		ret = smb_error_set(-ERANGE, 0, SMBIOV_PHASE_IO,
				    "getxattr: the value has %u bytes",
				    ea.value_len);
	else if (ret == 1)
		ret = ea.value_len;
	if (ret > 0 && size)
		memcpy(value, ea.value, ea.value_len);
	free(buf);
	return ret;
}

SMBIOV_API ssize_t smbiov_listxattr(struct smbiov_client *c, const char *path,
				    char *list, size_t size)
{
	struct smb2_ea ea;
	size_t pos = 0, total = 0;
	uint8_t *buf;
	uint32_t len;
	int ret;

	ret = ea_begin(c, list, size, "listxattr");
	if (!ret)
		ret = ea_fetch(c, path, NULL, 0, &buf, &len);
	if (ret)
		return ret;
	while ((ret = smb2_full_ea_next(buf, len, &pos, &ea)) == 1) {
		if (!ea.value_len)
			continue;
		if (size && total + ea.name_len + 1 > size) {
			ret = smb_error_set(-ERANGE, 0, SMBIOV_PHASE_IO,
					    "listxattr: more than %zu bytes",
					    size);
			break;
		}
		if (size) {
			memcpy(list + total, ea.name, ea.name_len);
			list[total + ea.name_len] = 0;
		}
		total += ea.name_len + 1;
	}
	if (ret < 0 && ret != -ERANGE)
		smb_error_set(ret, 0, SMBIOV_PHASE_IO,
			      "QUERY_INFO: bad FileFullEaInformation");
	free(buf);
	return ret < 0 ? ret : (ssize_t)total;
}

/* SET_INFO FileFullEaInformation: @name = @value (empty: removed). */
static int ea_store(struct smbiov_client *c, const char *path, const char *name,
		    size_t name_len, const void *value, size_t size)
{
	struct smb_create_args a = {
		.path = path,
		.access = SMB_FILE_WRITE_EA | SMB_FILE_READ_ATTRIBUTES |
			  SMB_SYNCHRONIZE,
		.disposition = SMB2_FILE_OPEN,
	};
	struct smb2_set_info_req s = {
		.info_type = SMB2_0_INFO_FILE,
		.info_class = FSCC_FILE_FULL_EA_INFORMATION,
		.fid = smb_related_fid,
	};
	size_t cap = SMB2_SET_INFO_REQ_FIXED + SMB2_FULL_EA_FIXED + name_len +
		     1 + size;
	uint8_t *body = malloc(cap);
	struct iovec v;
	struct smb_req r;
	ssize_t n;
	int ret;

	if (!body)
		return smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "setxattr");
	n = smb2_full_ea_encode(body + SMB2_SET_INFO_REQ_FIXED,
				cap - SMB2_SET_INFO_REQ_FIXED, name, name_len,
				value, size);
	if (n >= 0)
		n = smb2_set_info_req_encode(body, cap, &s,
					     body + SMB2_SET_INFO_REQ_FIXED,
					     (size_t)n);
	if (n < 0) {
		free(body);
		return smb_error_set((int)n, 0, SMBIOV_PHASE_IO,
				     "setxattr: cannot encode");
	}
	v.iov_base = body;
	v.iov_len = (size_t)n;
	smb_req_init(&r, SMB2_SET_INFO);
	r.body = &v;
	r.nbody = 1;
	r.payload_len = (uint32_t)n;
	ret = smb_path_op(c, &a, &r, NULL);
	smb_req_release(&r);
	free(body);
	/*
	 * The file's change time moved (and its EAs): cached opens of it
	 * keep no stat answer. Attributes only, as set_attr by path: no
	 * byte or size changed, so their cached data stays.
	 */
	if (!ret)
		smb_path_changed(c, path, 0, 0, false);
	return ret;
}

/* Does @name exist on @path? 1, 0, or a negative errno (recorded). */
static int ea_exists(struct smbiov_client *c, const char *path,
		     const char *name, size_t name_len)
{
	struct smb2_ea ea;
	uint8_t *buf;
	uint32_t len;
	int ret;

	ret = ea_fetch(c, path, name, name_len, &buf, &len);
	if (!ret)
		ret = ea_find(buf, len, name, name_len, &ea);
	free(buf);
	return ret;
}

SMBIOV_API int smbiov_setxattr(struct smbiov_client *c, const char *path,
			       const char *name, const void *value, size_t size,
			       int flags)
{
	size_t name_len;
	int ret;

	ret = smb_api_begin(c);
	if (ret)
		return ret;
	if ((size && !value) ||
	    (flags & ~(SMBIOV_XATTR_CREATE | SMBIOV_XATTR_REPLACE)) ||
	    flags == (SMBIOV_XATTR_CREATE | SMBIOV_XATTR_REPLACE))
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "setxattr: bad arguments");
	ret = name_check(name, &name_len, "setxattr");
	if (ret)
		return ret;
	if (size > SMB2_EA_VALUE_MAX)
		return smb_error_set(-E2BIG, 0, SMBIOV_PHASE_IO,
				     "setxattr: an EA value is at most 65535 "
				     "bytes");
	if (flags) {
		ret = ea_exists(c, path, name, name_len);
		if (ret < 0)
			return ret;
		if (ret && (flags & SMBIOV_XATTR_CREATE))
			return smb_error_set(-EEXIST, 0, SMBIOV_PHASE_IO,
					     "setxattr: EA %s exists", name);
		if (!ret && (flags & SMBIOV_XATTR_REPLACE))
			return smb_error_set(-ENODATA, 0, SMBIOV_PHASE_IO,
					     "setxattr: no EA %s", name);
	}
	return ea_store(c, path, name, name_len, value, size);
}

SMBIOV_API int smbiov_removexattr(struct smbiov_client *c, const char *path,
				  const char *name)
{
	size_t name_len;
	int ret;

	ret = smb_api_begin(c);
	if (ret)
		return ret;
	ret = name_check(name, &name_len, "removexattr");
	if (!ret)
		ret = ea_exists(c, path, name, name_len);
	if (ret < 0)
		return ret;
	if (!ret)
		return smb_error_set(-ENODATA, 0, SMBIOV_PHASE_IO,
				     "removexattr: no EA %s", name);
	return ea_store(c, path, name, name_len, NULL, 0);
}
