// SPDX-License-Identifier: MIT
/*
 * Metadata and namespace operations: stat/fstat (QUERY_INFO
 * FileAllInformation, MS-FSCC 2.4.2), statvfs (FileFsFullSizeInformation,
 * 2.5.4), mkdir/rmdir/unlink/rename/truncate (SET_INFO, MS-SMB2 3.2.4.18)
 * and fsync/ftruncate on an open file. Path-based calls are one compound
 * CREATE + op + CLOSE (smb_path_op()).
 */
#include "client/file.h"
#include "fs/path.h"
#include "proto/info.h"
#include "proto/ioctl.h"
#include "proto/ntstatus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Enough for FileAllInformation with any name NameLength can carry. */
#define QI_MAX ((uint32_t)65536)

static uint32_t qi_len(const struct smbiov_client *c, uint32_t want)
{
	return c->max_transact && c->max_transact < want ? c->max_transact
							 : want;
}

/* A QUERY_INFO request in @body (>= 48 bytes) on @fid. */
static int qi_req(struct smb_req *r, uint8_t *body, size_t cap, struct iovec *v,
		  const struct smb2_fileid *fid, uint8_t type, uint8_t cls,
		  uint32_t outlen)
{
	struct smb2_query_info_req q = {
		.info_type = type,
		.info_class = cls,
		.output_len = outlen,
		.fid = *fid,
	};
	ssize_t n = smb2_query_info_req_encode(body, cap, &q);

	if (n < 0)
		return (int)n;
	v->iov_base = body;
	v->iov_len = (size_t)n;
	smb_req_init(r, SMB2_QUERY_INFO);
	r->body = v;
	r->nbody = 1;
	r->payload_len = outlen;
	return 0;
}

static int all_decode(const struct smb_req *r, uint32_t outlen,
		      struct smbiov_stat *st)
{
	struct smb2_file_all a;
	const uint8_t *buf;
	uint32_t len;
	int ret;

	ret = smb2_query_info_rsp_decode(r->rsp, r->rsp_len, outlen, &buf,
					 &len);
	/* stat never uses FileName: don't fail on how a peer encodes it. */
	if (ret == 0)
		ret = smb2_file_all_fixed_decode(buf, len, &a);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "QUERY_INFO: bad FileAllInformation");
	smb_stat_from_all(st, &a);
	return 0;
}

int smb_stat_req_init(struct smb_stat_req *s, const struct smbiov_client *c,
		      const struct smb2_fileid *fid)
{
	s->outlen = qi_len(c, QI_MAX);
	return qi_req(&s->q, s->body, sizeof(s->body), &s->v, fid,
		      SMB2_0_INFO_FILE, FSCC_FILE_ALL_INFORMATION, s->outlen);
}

int smb_stat_req_decode(const struct smb_stat_req *s, struct smbiov_stat *st)
{
	return all_decode(&s->q, s->outlen, st);
}

/*
 * The CREATE @a, the QUERY_INFO of its attributes into *@st and a CLOSE,
 * one compound. *@made (if not NULL): the CREATE succeeded, whatever
 * the QUERY_INFO's fate.
 */
static int path_stat_op(struct smbiov_client *c,
			const struct smb_create_args *a, struct smbiov_stat *st,
			bool *made)
{
	struct smb2_create_rsp crsp = {0};
	struct smb_stat_req q;
	int ret;

	if (!st)
		return -EINVAL;
	ret = smb_api_begin(c);
	if (ret)
		return ret;
	ret = smb_stat_req_init(&q, c, &smb_related_fid);
	if (ret)
		return ret;
	ret = smb_path_op(c, a, &q.q, &crsp);
	if (ret == 0)
		ret = smb_stat_req_decode(&q, st);
	smb_req_release(&q.q);
	/* the CREATE's answer is copied only when the CREATE succeeded */
	if (made)
		*made = crsp.create_action != 0;
	return ret;
}

SMBIOV_API int smbiov_stat(struct smbiov_client *c, const char *path,
			   struct smbiov_stat *st)
{
	struct smb_create_args a = {
		.path = path,
		.access = SMB_FILE_READ_ATTRIBUTES | SMB_FILE_READ_EA |
			  SMB_SYNCHRONIZE,
		.disposition = SMB2_FILE_OPEN,
	};

	return path_stat_op(c, &a, st, NULL);
}

int smb_fstat(struct smbiov_file *f, struct smbiov_stat *st)
{
	struct smb_stat_req q;
	int ret;

	if (!f || !st)
		return -EINVAL;
	ret = smb_api_begin(f->c);
	if (ret)
		return ret;
	ret = smb_stat_req_init(&q, f->c, &f->fid);
	if (ret)
		return ret;
	ret = smb_call(f->c, &q.q);
	if (ret == 0)
		ret = smb_stat_req_decode(&q, st);
	smb_req_release(&q.q);
	return ret;
}

int smb_zero_data(struct smbiov_file *f, uint64_t off, uint64_t end)
{
	uint8_t body[SMB2_IOCTL_REQ_FIXED + 8 + SMB2_ZERO_DATA_SIZE];
	uint8_t in[SMB2_ZERO_DATA_SIZE];
	struct smb2_ioctl_req io = {
		.ctl_code = FSCTL_SET_ZERO_DATA,
		.fid = f->fid,
		.flags = SMB2_0_IOCTL_IS_FSCTL,
	};
	struct iovec v;
	struct smb_req r;
	ssize_t n;
	int ret;

	n = smb2_zero_data_encode(in, sizeof(in), off, end);
	if (n >= 0)
		n = smb2_ioctl_req_encode(body, sizeof(body), &io, in,
					  (size_t)n);
	if (n < 0)
		return smb_error_set((int)n, 0, SMBIOV_PHASE_IO,
				     "zero data: bad range");
	smb_req_init(&r, SMB2_IOCTL);
	v.iov_base = body;
	v.iov_len = (size_t)n;
	r.body = &v;
	r.nbody = 1;
	ret = smb_call(f->c, &r);
	smb_req_release(&r);
	return ret;
}

int smb_file_at_path(struct smbiov_file *f, const char *path)
{
	return smb_file_at_path_stat(f, path, NULL);
}

/* As smb_file_at_path(), and the same answer's attributes into @st. */
int smb_file_at_path_stat(struct smbiov_file *f, const char *path,
			  struct smbiov_stat *st)
{
	uint8_t body[SMB2_QUERY_INFO_REQ_FIXED + 8];
	struct smb2_file_all a;
	const uint8_t *buf;
	uint8_t *want = NULL;
	size_t want_len;
	struct iovec v;
	struct smb_req q;
	uint32_t outlen, len;
	int ret;

	ret = smb_path_utf16(path, &want, &want_len);
	if (ret)
		return ret;
	outlen = qi_len(f->c, QI_MAX);
	ret = qi_req(&q, body, sizeof(body), &v, &f->fid, SMB2_0_INFO_FILE,
		     FSCC_FILE_ALL_INFORMATION, outlen);
	if (ret) {
		free(want);
		return ret;
	}
	ret = smb_call(f->c, &q);
	if (ret == 0)
		ret = smb2_query_info_rsp_decode(q.rsp, q.rsp_len, outlen, &buf,
						 &len);
	if (ret == 0)
		ret = smb2_file_all_decode(buf, len, &a);
	if (ret == 0) {
		const uint8_t *n = a.name;
		size_t nl = a.name_len;

		/* the server names it from the share root: "\dir\file" */
		if (nl >= 2 && n[0] == '\\' && n[1] == 0) {
			n += 2;
			nl -= 2;
		}
		ret = nl == want_len && (!nl || !memcmp(n, want, nl));
		if (st)
			smb_stat_from_all(st, &a);
	}
	smb_req_release(&q);
	free(want);
	return ret;
}

SMBIOV_API int smbiov_statvfs(struct smbiov_client *c,
			      struct smbiov_statvfs *out)
{
	struct smb_create_args a = {
		.path = "",
		.access = SMB_FILE_READ_ATTRIBUTES | SMB_SYNCHRONIZE,
		.disposition = SMB2_FILE_OPEN,
		.options = SMB2_FILE_DIRECTORY_FILE,
	};
	uint8_t body[SMB2_QUERY_INFO_REQ_FIXED + 8];
	struct smb2_fs_full_size fs;
	const uint8_t *buf;
	struct iovec v;
	struct smb_req q;
	uint32_t len, outlen = 64;
	int ret;

	if (!out)
		return -EINVAL;
	ret = smb_api_begin(c);
	if (ret)
		return ret;
	ret = qi_req(&q, body, sizeof(body), &v, &smb_related_fid,
		     SMB2_0_INFO_FILESYSTEM, FSCC_FILE_FS_FULL_SIZE_INFORMATION,
		     outlen);
	if (ret)
		return ret;
	ret = smb_path_op(c, &a, &q, NULL);
	if (ret == 0) {
		ret = smb2_query_info_rsp_decode(q.rsp, q.rsp_len, outlen, &buf,
						 &len);
		if (ret == 0)
			ret = smb2_fs_full_size_decode(buf, len, &fs);
		if (ret)
			smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				      "QUERY_INFO: bad FileFsFullSize");
	}
	if (ret == 0) {
		out->block_size =
			(uint64_t)fs.sectors_per_unit * fs.bytes_per_sector;
		out->blocks = fs.total_allocation_units;
		out->blocks_free = fs.caller_available_units;
	}
	smb_req_release(&q);
	return ret;
}

/*
 * A SET_INFO request on @fid whose information buffer is already encoded
 * at @body + SMB2_SET_INFO_REQ_FIXED (@info_len bytes).
 */
static int si_req(struct smb_req *r, uint8_t *body, size_t cap, struct iovec *v,
		  const struct smb2_fileid *fid, uint8_t cls, size_t info_len)
{
	struct smb2_set_info_req s = {
		.info_type = SMB2_0_INFO_FILE,
		.info_class = cls,
		.fid = *fid,
	};
	ssize_t n = smb2_set_info_req_encode(
		body, cap, &s, body + SMB2_SET_INFO_REQ_FIXED, info_len);

	if (n < 0)
		return (int)n;
	v->iov_base = body;
	v->iov_len = (size_t)n;
	smb_req_init(r, SMB2_SET_INFO);
	r->body = v;
	r->nbody = 1;
	return 0;
}

/* CREATE @path, mark it delete-on-close with SET_INFO, CLOSE. */
/* Handles the file layer keeps open at or under @path are closed first. */
static void path_busy(struct smbiov_client *c, const char *path)
{
	if (c->fs && c->fs_path_busy)
		c->fs_path_busy(c->fs, path ? path : "");
}

/*
 * A file deleted by path while this client has it open: the delete waits
 * for those handles (delete-on-close), so none of them is kept after its
 * close (deferred close): the name would stay taken for seconds, and a
 * later open of it could take the deleted file back.
 */
static void mark_deleted(struct smbiov_client *c, const char *path)
{
	pthread_mutex_lock(&c->lock);
	for (struct smbiov_file *f = c->files; f; f = f->rc_next)
		if (!f->is_dir && f->path && fs_path_eq(f->path, path))
			f->delete_on_close = true;
	pthread_mutex_unlock(&c->lock);
}

static int delete_path(struct smbiov_client *c, const char *path, bool dir)
{
	struct smb_create_args a = {
		.path = path,
		.access =
			SMB_DELETE | SMB_FILE_READ_ATTRIBUTES | SMB_SYNCHRONIZE,
		.disposition = SMB2_FILE_OPEN,
		.options = dir ? SMB2_FILE_DIRECTORY_FILE
			       : SMB2_FILE_NON_DIRECTORY_FILE,
	};
	uint8_t body[SMB2_SET_INFO_REQ_FIXED + 8];
	struct iovec v;
	struct smb_req s;
	int ret;

	ret = smb_api_begin(c);
	if (ret)
		return ret;
	/* The root is not a thing one deletes. */
	if (!path || !path[strspn(path, "/")])
		return smb_error_set(-EBUSY, 0, SMBIOV_PHASE_IO,
				     "cannot delete the share root");
	path_busy(c, path);
	ret = (int)smb2_file_disposition_encode(
		body + SMB2_SET_INFO_REQ_FIXED,
		sizeof(body) - SMB2_SET_INFO_REQ_FIXED, true);
	if (ret < 0)
		return ret;
	ret = si_req(&s, body, sizeof(body), &v, &smb_related_fid,
		     FSCC_FILE_DISPOSITION_INFORMATION, (size_t)ret);
	if (ret)
		return ret;
	ret = smb_path_op(c, &a, &s, NULL);
	smb_req_release(&s);
	if (!ret && !dir)
		mark_deleted(c, path);
	return ret;
}

SMBIOV_API int smbiov_unlink(struct smbiov_client *c, const char *path)
{
	return delete_path(c, path, false);
}

SMBIOV_API int smbiov_rmdir(struct smbiov_client *c, const char *path)
{
	return delete_path(c, path, true);
}

/* The CREATE of a new directory at @path; 0, or -EEXIST for the root. */
static int mkdir_args(struct smb_create_args *a, const char *path)
{
	*a = (struct smb_create_args){
		.path = path,
		.access = SMB_FILE_READ_ATTRIBUTES | SMB_FILE_READ_EA |
			  SMB_SYNCHRONIZE,
		.disposition = SMB2_FILE_CREATE,
		.options = SMB2_FILE_DIRECTORY_FILE,
		.attributes = SMB_FILE_ATTRIBUTE_DIRECTORY,
	};
	if (!path || !path[strspn(path, "/")])
		return smb_error_set(-EEXIST, 0, SMBIOV_PHASE_IO,
				     "mkdir: the share root exists");
	return 0;
}

SMBIOV_API int smbiov_mkdir(struct smbiov_client *c, const char *path)
{
	struct smb_create_args a;
	int ret = smb_api_begin(c);

	if (!ret)
		ret = mkdir_args(&a, path);
	return ret ? ret : smb_path_op(c, &a, NULL, NULL);
}

SMBIOV_API int smbiov_mkdir_stat(struct smbiov_client *c, const char *path,
				 struct smbiov_stat *st)
{
	struct smb_create_args a;
	bool made = false;
	int ret = st ? mkdir_args(&a, path) : -EINVAL;

	if (!ret)
		ret = path_stat_op(c, &a, st, &made);
	/* made, but not stated: ask alone (the mkdir is not undone) */
	if (ret && made)
		ret = smbiov_stat(c, path, st);
	return ret;
}

int smb_path_set_name(struct smbiov_client *c, const char *from,
		      uint32_t access, uint8_t cls, const char *to,
		      bool replace, const char *what)
{
	struct smb_create_args a = {
		.path = from,
		.access = access,
		.disposition = SMB2_FILE_OPEN,
	};
	uint8_t *name = NULL, *body = NULL;
	size_t name_len, cap;
	struct iovec v;
	struct smb_req s;
	ssize_t n;
	int ret;

	ret = smb_path_utf16(to, &name, &name_len);
	if (ret == 0 && !name_len)
		ret = -EINVAL;
	if (ret) {
		free(name);
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "%s: bad target path", what);
	}
	cap = SMB2_SET_INFO_REQ_FIXED + FSCC_FILE_RENAME_FIXED + name_len + 8;
	body = malloc(cap);
	if (!body) {
		free(name);
		return smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "%s", what);
	}
	n = smb2_file_rename_encode(body + SMB2_SET_INFO_REQ_FIXED,
				    cap - SMB2_SET_INFO_REQ_FIXED, replace,
				    name, name_len);
	ret = n < 0 ? (int)n
		    : si_req(&s, body, cap, &v, &smb_related_fid, cls,
			     (size_t)n);
	free(name);
	if (ret == 0) {
		ret = smb_path_op(c, &a, &s, NULL);
		smb_req_release(&s);
	}
	free(body);
	/* its change time (and a link's count of names) moved */
	if (ret == 0) {
		smb_path_changed(c, from, 0, 0, false);
		smb_path_changed(c, to, 0, 0, false);
	}
	return ret;
}

SMBIOV_API int smbiov_rename(struct smbiov_client *c, const char *from,
			     const char *to, bool replace)
{
	int ret = smb_api_begin(c);

	if (ret)
		return ret;
	path_busy(c, from);
	path_busy(c, to);
	return smb_path_set_name(
		c, from,
		SMB_DELETE | SMB_FILE_READ_ATTRIBUTES | SMB_SYNCHRONIZE,
		FSCC_FILE_RENAME_INFORMATION, to, replace, "rename");
}

static int eof_req(struct smb_req *r, uint8_t *body, size_t cap,
		   struct iovec *v, const struct smb2_fileid *fid,
		   uint64_t size)
{
	ssize_t n = smb2_file_eof_encode(body + SMB2_SET_INFO_REQ_FIXED,
					 cap - SMB2_SET_INFO_REQ_FIXED, size);

	if (n < 0)
		return (int)n;
	return si_req(r, body, cap, v, fid, FSCC_FILE_END_OF_FILE_INFORMATION,
		      (size_t)n);
}

/*
 * Send the SET_INFO @s on @f's handle, built by the caller (@built 0) or
 * not (@built < 0: why, reported with @what), and release it.
 */
static int fid_set_info(struct smbiov_file *f, struct smb_req *s, int built,
			const char *what)
{
	int ret;

	if (built)
		return smb_error_set(built, 0, SMBIOV_PHASE_IO, "%s", what);
	ret = smb_call(f->c, s);
	smb_req_release(s);
	return ret;
}

/*
 * ns since 1970 (or SMBIOV_TIME_OMIT) to a FILETIME (0: leave as is).
 * int64 ns reach back to 1677 only, so every one is after 1601: > 0.
 */
static uint64_t ns_filetime(int64_t ns)
{
	const int64_t epoch = 116444736000000000LL; /* 1601 to 1970, 100 ns */

	return ns == SMBIOV_TIME_OMIT ? 0 : (uint64_t)(ns / 100 + epoch);
}

/* A SET_INFO FileBasicInformation request on @fid in @body. */
static int basic_req(struct smb_req *s, uint8_t *body, size_t cap,
		     struct iovec *v, const struct smb2_fileid *fid,
		     const struct smbiov_setattr *a)
{
	struct smb2_file_basic b = {
		.creation_time = ns_filetime(a->btime_ns),
		.last_access_time = ns_filetime(a->atime_ns),
		.last_write_time = ns_filetime(a->mtime_ns),
		.change_time = ns_filetime(a->ctime_ns),
		.file_attributes = a->attributes,
	};
	ssize_t n;

	n = smb2_file_basic_encode(body + SMB2_SET_INFO_REQ_FIXED,
				   cap - SMB2_SET_INFO_REQ_FIXED, &b);
	if (n < 0)
		return (int)n;
	return si_req(s, body, cap, v, fid, FSCC_FILE_BASIC_INFORMATION,
		      (size_t)n);
}

SMBIOV_API int smbiov_set_attr(struct smbiov_client *c, const char *path,
			       const struct smbiov_setattr *a)
{
	struct smb_create_args ca = {
		.path = path,
		.access = SMB_FILE_WRITE_ATTRIBUTES | SMB_FILE_READ_ATTRIBUTES |
			  SMB_SYNCHRONIZE,
		.disposition = SMB2_FILE_OPEN,
	};
	uint8_t body[SMB2_SET_INFO_REQ_FIXED + FSCC_FILE_BASIC_SIZE + 8];
	struct iovec v;
	struct smb_req s;
	int ret;

	ret = smb_api_begin(c);
	if (ret)
		return ret;
	if (!a)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "set_attr: no attributes");
	ret = basic_req(&s, body, sizeof(body), &v, &smb_related_fid, a);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "set_attr %s: cannot encode",
				     path ? path : "");
	ret = smb_path_op(c, &ca, &s, NULL);
	smb_req_release(&s);
	/* a stat open: no lease is broken, the file layer must hear it */
	if (!ret)
		smb_path_changed(c, path, 0, 0, false);
	return ret;
}

int smb_fset_attr(struct smbiov_file *f, const struct smbiov_setattr *a,
		  struct smbiov_stat *st)
{
	uint8_t body[SMB2_SET_INFO_REQ_FIXED + FSCC_FILE_BASIC_SIZE + 8];
	struct smb_stat_req q;
	struct smb_req *reqs[2];
	struct iovec v;
	struct smb_req s;
	int ret = basic_req(&s, body, sizeof(body), &v, &f->fid, a);

	if (!st || ret)
		return fid_set_info(f, &s, ret, "set_attr: cannot encode");
	ret = smb_stat_req_init(&q, f->c, &smb_related_fid);
	if (ret) {
		smb_req_release(&s);
		return ret;
	}
	/* the SET_INFO's failure is the call's; the stat's only if alone */
	q.q.flags |= SMB_REQ_QUIET;
	reqs[0] = &s;
	reqs[1] = &q.q;
	ret = smb_compound(f->c, reqs, 2);
	if (!ret)
		ret = s.result;
	if (!ret && (q.q.result || smb_stat_req_decode(&q, st)))
		ret = smb_fstat(f, st); /* asked on its own, as before */
	smb_req_release(&s);
	smb_req_release(&q.q);
	return ret;
}

void smb_file_stamp_write_time(struct smbiov_file *f)
{
	/* every time 0 ("leave as is", not a time the handle then keeps) */
	static const struct smbiov_setattr none = {
		.atime_ns = SMBIOV_TIME_OMIT,
		.mtime_ns = SMBIOV_TIME_OMIT,
		.ctime_ns = SMBIOV_TIME_OMIT,
		.btime_ns = SMBIOV_TIME_OMIT,
	};

	if (!atomic_exchange(&f->wrote, false))
		return;
	if (smb_fset_attr(f, &none, NULL))
		smb_error_clear();
}

SMBIOV_API int smbiov_truncate(struct smbiov_client *c, const char *path,
			       uint64_t size)
{
	struct smb_create_args a = {
		.path = path,
		.access = SMB_FILE_WRITE_DATA | SMB_FILE_READ_ATTRIBUTES |
			  SMB_SYNCHRONIZE,
		.disposition = SMB2_FILE_OPEN,
		.options = SMB2_FILE_NON_DIRECTORY_FILE,
	};
	uint8_t body[SMB2_SET_INFO_REQ_FIXED + 16];
	struct iovec v;
	struct smb_req s;
	int ret;

	ret = smb_api_begin(c);
	if (ret)
		return ret;
	ret = eof_req(&s, body, sizeof(body), &v, &smb_related_fid, size);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				     "truncate: bad size");
	ret = smb_path_op(c, &a, &s, NULL);
	smb_req_release(&s);
	if (!ret)
		smb_path_changed(c, path, size, 0, true);
	return ret;
}

int smb_ftruncate(struct smbiov_file *f, uint64_t size)
{
	uint8_t body[SMB2_SET_INFO_REQ_FIXED + 16];
	struct iovec v;
	struct smb_req s;
	int ret;

	ret = smb_file_api_begin(f);
	if (ret)
		return ret;
	return fid_set_info(f, &s,
			    eof_req(&s, body, sizeof(body), &v, &f->fid, size),
			    "ftruncate: bad size");
}

SMBIOV_API int smbiov_set_delete_on_close(struct smbiov_file *f, bool on)
{
	uint8_t body[SMB2_SET_INFO_REQ_FIXED + 8];
	struct iovec v;
	struct smb_req s;
	ssize_t n;
	int ret;

	ret = smb_file_api_begin(f);
	if (ret)
		return ret;
	n = smb2_file_disposition_encode(body + SMB2_SET_INFO_REQ_FIXED,
					 sizeof(body) - SMB2_SET_INFO_REQ_FIXED,
					 on);
	ret = n < 0 ? (int)n
		    : si_req(&s, body, sizeof(body), &v, &f->fid,
			     FSCC_FILE_DISPOSITION_INFORMATION, (size_t)n);
	ret = fid_set_info(f, &s, ret, "set delete-on-close");
	/* a close must then really close (never deferred) */
	if (!ret)
		f->delete_on_close = on;
	/* the server counts a name less (nlink) */
	if (!ret)
		smb_path_changed(f->c, f->path, 0, 0, false);
	return ret;
}

int smb_fsync(struct smbiov_file *f)
{
	uint8_t body[SMB2_FLUSH_REQ_FIXED];
	struct iovec v = {body, sizeof(body)};
	struct smb_req r;
	int ret;

	ret = smb_file_api_begin(f);
	if (ret)
		return ret;
	smb2_flush_req_encode(body, sizeof(body), &f->fid);
	smb_req_init(&r, SMB2_FLUSH);
	r.body = &v;
	r.nbody = 1;
	ret = smb_call(f->c, &r);
	smb_req_release(&r);
	return ret;
}
