/* SPDX-License-Identifier: MIT */
/*
 * Files, directories and metadata on top of the engine (engine.h): the
 * open-file object, path and flag translation, and small helpers shared by
 * file.c (open/close), io.c (READ/WRITE), dir.c (listing) and meta.c
 * (stat and namespace operations).
 */
#ifndef SMBIOV_CLIENT_FILE_H
#define SMBIOV_CLIENT_FILE_H

#include <smbiov/smbiov.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "client/engine.h"
#include "proto/create.h"
#include "proto/info.h"
#include "proto/rw.h"

/* Access mask bits (MS-SMB2 2.2.13.1.1, MS-DTYP 2.4.3). */
#define SMB_FILE_READ_DATA	     0x00000001u
#define SMB_FILE_LIST_DIRECTORY	     0x00000001u
#define SMB_FILE_WRITE_DATA	     0x00000002u
#define SMB_FILE_APPEND_DATA	     0x00000004u
#define SMB_FILE_READ_EA	     0x00000008u
#define SMB_FILE_WRITE_EA	     0x00000010u
#define SMB_FILE_READ_ATTRIBUTES     0x00000080u
#define SMB_FILE_WRITE_ATTRIBUTES    0x00000100u
#define SMB_DELETE		     0x00010000u
#define SMB_READ_CONTROL	     0x00020000u
#define SMB_SYNCHRONIZE		     0x00100000u
#define SMB_FILE_ATTRIBUTE_DIRECTORY 0x00000010u
#define SMB_FILE_ATTRIBUTE_NORMAL    0x00000080u

#define SMB_ACCESS_READ                                                        \
	(SMB_FILE_READ_DATA | SMB_FILE_READ_EA | SMB_FILE_READ_ATTRIBUTES |    \
	 SMB_READ_CONTROL | SMB_SYNCHRONIZE)
#define SMB_ACCESS_WRITE                                                       \
	(SMB_FILE_WRITE_DATA | SMB_FILE_APPEND_DATA | SMB_FILE_WRITE_EA |      \
	 SMB_FILE_WRITE_ATTRIBUTES | SMB_SYNCHRONIZE)

/* The handle of a related compound element (MS-SMB2 3.2.4.1.4). */
extern const struct smb2_fileid smb_related_fid;

/**
 * struct smbiov_file - an open file
 * @c: the client it was opened on (borrowed: close files before
 *	smbiov_disconnect())
 * @fid: the server's handle
 * @access: DesiredAccess granted at open
 * @is_dir: the handle is a directory
 */
struct smb_lease;
struct fs_mapping;

struct smbiov_file {
	struct smbiov_client *c;
	struct smb2_fileid fid;
	uint32_t access;
	bool is_dir;
	struct smb_lease *lease; /* granted on open (lease.h), or NULL */
	uint64_t size_at_open;	 /* the CREATE response's EndOfFile */
	int flags;		 /* the open's flags */
	bool delete_on_close;	 /* smbiov_set_delete_on_close(f, true) */
	bool fid_closed;	 /* CLOSE already sent (a break closed it) */
	/* The file layer's page cache (src/fs), or NULL: every call direct. */
	struct fs_mapping *map;
	/*
	 * Reconnect (reopen.c): in the client's list; the path and
	 * creation time to find it again; a durable handle's CreateGuid and
	 * the lease it asked for; the handle before the last reopen (a
	 * resent request naming it is pointed at @fid); @stale: lost, its
	 * calls fail with ESTALE.
	 */
	struct smbiov_file *rc_prev, *rc_next;
	char *path;
	uint64_t creation_time;
	struct smb2_qfid disk_id; /* the server's file and volume ids */
	bool have_disk_id;
	bool durable;
	uint8_t create_guid[16];
	struct smb2_lease lease_req; /* version 0: none asked */
	/* the last handles it had (SMB_OLD_FIDS, reopen.c) */
	struct smb2_fileid old_fids[8];
	unsigned nr_old_fids;
	bool stale;
	/*
	 * A WRITE went out on the handle since the file layer last had the
	 * server stamp its write time (smb_file_stamp_write_time()).
	 */
	_Atomic bool wrote;
};

/*
 * The opening of a public call on @f: -EINVAL without a file, else
 * smb_api_begin() of its client.
 */
static inline int smb_file_api_begin(const struct smbiov_file *f)
{
	return f ? smb_api_begin(f->c) : -EINVAL;
}

/*
 * smb_file_stamp_write_time - if a WRITE went out on @f since the last
 * stamp, have the server set its write time now (a SET_INFO
 * FileBasicInformation that changes nothing: Samba then updates the
 * write time of a written handle at once instead of 2 s after its first
 * write or at its CLOSE). For a handle kept open after its close
 * (deferred close): without it, the file's modification time moved by
 * itself after the caller's close had returned, and an editor that
 * compares it before saving (vim) refused to save. Best effort: a
 * failure changes nothing else and is not reported.
 */
void smb_file_stamp_write_time(struct smbiov_file *f);

/**
 * smb_path_utf16 - share-relative UTF-8 path to an SMB2 name
 * @path: '/' separated, leading/trailing/repeated '/' allowed; NULL or ""
 *	is the share root
 * @out: set to a malloc'd UTF-16LE name with '\\' separators, no leading
 *	separator (NULL for the root); the caller frees it
 * @out_len: set to its byte count (0 for the root)
 *
 * Return: 0, -EINVAL (a '\\' or invalid UTF-8 in @path, name over 64 KiB),
 * -ENOMEM.
 */
int smb_path_utf16(const char *path, uint8_t **out, size_t *out_len);

/*
 * How long an open that creates waits for a name whose file is being
 * deleted (STATUS_DELETE_PENDING: another client still has it open) to
 * be free: a deferred close keeps a handle 5 s here, 1 s in cifs; twice
 * that, so a loaded machine's late timer does not turn it into EBUSY.
 */
#define SMB_DELETE_PENDING_WAIT_MS 10000u

/**
 * smb_open_flags - CREATE parameters for POSIX open flags
 * @flags: O_RDONLY/O_WRONLY/O_RDWR | O_CREAT | O_EXCL | O_TRUNC
 * @access: set to DesiredAccess
 * @disposition: set to CreateDisposition
 *
 * Return: 0 or -EINVAL (bad access mode, O_TRUNC without write access).
 */
int smb_open_flags(int flags, uint32_t *access, uint32_t *disposition);

/**
 * smb_filetime_ns - FILETIME (100 ns units since 1601) to ns since 1970
 * @ft: FILETIME; 0 means "not set" and gives 0
 */
int64_t smb_filetime_ns(uint64_t ft);

/**
 * struct smb_create_args - one CREATE
 * @path: share-relative UTF-8 path (see smb_path_utf16())
 * @access: DesiredAccess
 * @disposition: CreateDisposition
 * @options: CreateOptions
 * @attributes: FileAttributes for a new file (0: NORMAL)
 */
struct smb_create_args {
	const char *path;
	uint32_t access;
	uint32_t disposition;
	uint32_t options;
	uint32_t attributes;
	uint8_t oplock_level; /* RequestedOplockLevel; 0: none */
	const uint8_t
		*contexts; /* create contexts (smb2_cc_builder), or NULL */
	size_t contexts_len;
};

/**
 * struct smb_create_msg - an encoded CREATE request, ready for an smb_req
 * @name: the UTF-16LE name (owned; freed by smb_create_msg_release())
 * @body: the encoded body, @body_len bytes (owned)
 * @vec: one vector over @body for smb_req.body
 */
struct smb_create_msg {
	uint8_t *name;
	uint8_t *body;
	size_t body_len;
	struct iovec vec;
};

/**
 * smb_create_msg_init - encode a CREATE request
 * @m: message to fill; release with smb_create_msg_release() even on error
 * @a: what to open
 *
 * Return: 0, -EINVAL (bad path), -ENOMEM.
 */
int smb_create_msg_init(struct smb_create_msg *m,
			const struct smb_create_args *a);

/**
 * smb_create_msg_release - free what smb_create_msg_init() allocated
 * @m: message; zeroed afterwards, so releasing twice is harmless. The
 *	request that borrowed @m->vec must have been sent (smb_call(),
 *	smb_compound() and smb_submit() read the body before returning).
 */
void smb_create_msg_release(struct smb_create_msg *m);

/*
 * Identity for a reconnect's reopen by path (reopen.c): with reconnect
 * on, a CREATE asks for the on-disk ids (QFid: Samba's inode and device),
 * which say "the same file" better than the creation time does — Samba
 * reports another creation time for a file written behind its back.
 * smb_file_disk_id() reads them from a CREATE response (false: none).
 */
void smb_file_want_id(const struct smbiov_client *c, struct smb2_cc_builder *b);
bool smb_file_disk_id(const struct smb2_create_rsp *rsp, struct smb2_qfid *q);

/* The create contexts @b holds, if any, go with the CREATE @a. */
static inline void smb_create_args_contexts(struct smb_create_args *a,
					    const struct smb2_cc_builder *b)
{
	if (b->len) {
		a->contexts = b->buf;
		a->contexts_len = b->len;
	}
}

/*
 * The lease a CREATE response grants for the lease key @key (16 bytes)
 * into *@got; false when it grants none, or one for another key.
 */
bool smb_file_lease_of(const struct smb2_create_rsp *rsp, const uint8_t *key,
		       struct smb2_lease *got);

/**
 * smb_file_new - a new open file of @c for a CREATE's answer @rsp
 * (path, flags and creation time kept for a reconnect's reopen); the
 * caller adds lease and durable state, then smb_rc_file_add(). NULL when
 * out of memory: then @rsp's handle is closed and -ENOMEM recorded as the
 * last error ("CREATE @path").
 */
struct smbiov_file *smb_file_new(struct smbiov_client *c, const char *path,
				 int flags, uint32_t access,
				 const struct smb2_create_rsp *rsp);

/*
 * A call by path changed @path's data ([@off, @off + @len)) or, @resized,
 * set its size to @off: the file layer's cached opens of it take that in
 * before the call returns (engine.h fs_path_changed).
 */
static inline void smb_path_changed(struct smbiov_client *c, const char *path,
				    uint64_t off, uint64_t len, bool resized)
{
	if (c->fs && c->fs_path_changed)
		c->fs_path_changed(c->fs, path ? path : "", off, len, resized);
}

/**
 * smb_close_fid - CLOSE a handle (MS-SMB2 3.2.4.5)
 * @c: client
 * @fid: the handle
 *
 * Return: 0 or a negative errno (the handle is gone either way).
 */
int smb_close_fid(struct smbiov_client *c, const struct smb2_fileid *fid);

/**
 * smb_req_status_err - the error of a completed request, recorded
 * @r: completed request with a non-zero @result
 * @what: what failed, for the message
 *
 * For requests completed on another thread (smb_submit()) whose failure
 * must become the calling thread's smbiov_last_error().
 * Return: @r->result.
 */
int smb_req_status_err(const struct smb_req *r, const char *what);

/*
 * io.c: the largest single READ (or, @write, WRITE) on @c: the server's
 * limit, one credit's 64 KiB without multi-credit requests.
 */
size_t smb_max_chunk(const struct smbiov_client *c, bool write);

/*
 * A CLOSE of the handle its compound's CREATE made (related, FileId
 * smb_related_fid), quiet: the CREATE's or the middle request's error is
 * the one to report. @m holds its body and must stay put while @r is used.
 */
struct smb_close_msg {
	uint8_t body[SMB2_CLOSE_REQ_FIXED];
	struct iovec vec;
};
void smb_related_close_init(struct smb_req *r, struct smb_close_msg *m);

/**
 * smb_path_op - CREATE @a, then one optional SET_INFO/QUERY_INFO body on
 *	the new handle, then CLOSE, as one compound (MS-SMB2 3.2.4.1.4)
 * @c: client
 * @a: what to open
 * @mid: the middle request (command and body set; FileId in its body must
 *	be smb_related_fid), or NULL for CREATE+CLOSE only
 * @create_rsp: if not NULL, receives the decoded CREATE response
 *
 * When the CREATE succeeded but the related CLOSE did not, the handle is
 * closed again by its real FileId, so no open leaks on the server. The
 * thread's last error is the CREATE's when it failed (the middle request
 * then fails with it), else the middle request's.
 * The caller must smb_req_release(@mid) afterwards.
 * Return: 0, or the first failure (CREATE's, else @mid's).
 */
int smb_path_op(struct smbiov_client *c, const struct smb_create_args *a,
		struct smb_req *mid, struct smb2_create_rsp *create_rsp);

struct smb2_file_all;

/**
 * smb_stat_from_all - fill a public stat from FileAllInformation
 * @st: output, fully overwritten
 * @a: decoded FileAllInformation (MS-FSCC 2.4.2); only read
 *
 * Times become ns since the epoch (smb_filetime_ns()); is_dir comes from
 * StandardInformation.Directory or FILE_ATTRIBUTE_DIRECTORY; file_id is
 * InternalInformation.IndexNumber.
 */
void smb_stat_from_all(struct smbiov_stat *st, const struct smb2_file_all *a);

/**
 * smb_io_fd - READ into or WRITE from a local fd, split and pipelined
 * @f: open file
 * @offset: remote file offset; @len: bytes (already range-checked)
 * @write: WRITE (@fd is read) or READ (@fd is written)
 * @fd: the local descriptor
 * @fd_off: @fd's offset of the byte at @offset (pieces go to/come from
 *	@fd_off + their distance from @offset, in any order)
 * @use_pos: ignore @fd_off, use @fd's position / a pipe; needs @serial
 * @serial: one piece in flight at a time, in file order
 *
 * The engine path of fdio.c (SMB_REQ_FD pieces of io.c). Returns bytes
 * moved (short only at the remote EOF) or a negative errno, recorded as
 * the thread's last error; a failure of @fd is reported as @fd's errno
 * and leaves the connection usable.
 */
ssize_t smb_io_fd(struct smbiov_file *f, uint64_t offset, size_t len,
		  bool write, int fd, off_t fd_off, bool use_pos, bool serial);

/*
 * The file calls the file layer (src/fs/) is built on; the public ones
 * are its. Each is what the public call did before there was a cache:
 * straight to the server.
 */
/*
 * openread.c: the READ at offset 0 that follows a CREATE in a compound
 * (its FileId the related one), of up to count(@dst) bytes, at most one
 * READ and 1 MiB; smb_first_read_eof() turns an answer of END_OF_FILE
 * (an empty file) into nothing read, and says so.
 */
struct smb_first_read {
	uint8_t body[SMB2_READ_REQ_SIZE];
	struct iovec vec;
	struct smbiov_iter view; /* @dst cut to what is asked */
	struct smb_req rd;
	uint32_t len; /* asked */
};
int smb_first_read_init(const struct smbiov_client *c,
			const struct smbiov_iter *dst,
			struct smb_first_read *fr);
bool smb_first_read_eof(struct smb_first_read *fr);

/*
 * What a CREATE may carry in its compound (one round trip): @rd not
 * NULL: a READ at offset 0 into @rd (smb_first_read: advanced by what
 * was read; @rd_got the bytes, or -1 when nothing was read), sent
 * before @st's QUERY_INFO, so that the access time the READ moves is
 * in that answer. @st not NULL: a related QUERY_INFO of the file's
 * attributes, its answer in *@st when @st_ok says so.
 */
struct smb_open_extra {
	struct smbiov_iter *rd;
	ssize_t rd_got;
	bool rd_eof; /* fewer than the READ asked: the end of file */
	struct smbiov_stat *st;
	bool st_ok;
};
/* CREATE @path: with a lease (or oplock) unless @cache is NONE; @x: NULL
 * or what goes with it. */
int smb_file_open(struct smbiov_client *c, const char *path, int flags,
		  enum smbiov_cache cache, struct smbiov_file **out,
		  struct smb_open_extra *x);
/* CLOSE and free @f (its mapping must be gone). */
int smb_file_close(struct smbiov_file *f);
/* io.c: argument checks of a READ/WRITE call (records the error). */
int smb_io_check(struct smbiov_file *f, const struct smbiov_iter *it,
		 uint64_t offset, bool write);
/* io.c: synchronous READ/WRITE of @it at @offset; @it is advanced. */
ssize_t smb_io_sync(struct smbiov_file *f, struct smbiov_iter *it,
		    uint64_t offset, bool write);
/* io.c: asynchronous READ/WRITE (smbiov_aio_read's contract). */
int smb_io_async(struct smbiov_file *f, struct smbiov_iter *it, uint64_t offset,
		 bool write, smbiov_aio_done_fn done, void *arg);
/* fdio.c: smbiov_read_to_fd / smbiov_write_from_fd, uncached. */
ssize_t smb_read_to_fd(struct smbiov_file *f, uint64_t offset, size_t len,
		       int fd, off_t *fd_off);
ssize_t smb_write_from_fd(struct smbiov_file *f, uint64_t offset, size_t len,
			  int fd, off_t *fd_off);
/*
 * meta.c: a QUERY_INFO of FileAllInformation (a stat) on @fid, to send
 * alone or in a compound: smb_stat_req_init() fills @s->q,
 * smb_stat_req_decode() reads its answer (recording a bad one).
 */
struct smb_stat_req {
	uint8_t body[SMB2_QUERY_INFO_REQ_FIXED + 8];
	struct iovec v;
	struct smb_req q;
	uint32_t outlen;
};
int smb_stat_req_init(struct smb_stat_req *s, const struct smbiov_client *c,
		      const struct smb2_fileid *fid);
int smb_stat_req_decode(const struct smb_stat_req *s, struct smbiov_stat *st);
/* meta.c: FLUSH, QUERY_INFO and SET_INFO(EndOfFile) on the handle. */
int smb_fsync(struct smbiov_file *f);
int smb_fstat(struct smbiov_file *f, struct smbiov_stat *st);
int smb_ftruncate(struct smbiov_file *f, uint64_t size);
/*
 * meta.c: is @f's file still the one @path names (its name as the server
 * knows it now, compared exactly)? 1, 0 (renamed, or another spelling),
 * or a negative errno.
 */
int smb_file_at_path(struct smbiov_file *f, const char *path);
/*
 * As smb_file_at_path(), giving also the attributes of the same
 * QUERY_INFO answer in *@st (NULL: not wanted): a deferred-closed file
 * taken back asks its name, and that answer is its stat too.
 */
int smb_file_at_path_stat(struct smbiov_file *f, const char *path,
			  struct smbiov_stat *st);
/*
 * meta.c: SET_INFO FileBasicInformation on the handle (smbiov_fset_attr);
 * @st not NULL: with a related QUERY_INFO in the same compound, the
 * attributes after it in *@st.
 */
int smb_fset_attr(struct smbiov_file *f, const struct smbiov_setattr *a,
		  struct smbiov_stat *st);
/* meta.c: FSCTL_SET_ZERO_DATA: the server zeroes [@off, @end). */
int smb_zero_data(struct smbiov_file *f, uint64_t off, uint64_t end);
/*
 * meta.c: CREATE @from with @access, SET_INFO @cls naming @to (class
 * FSCC_FILE_RENAME_INFORMATION or FSCC_FILE_LINK_INFORMATION: one
 * layout), CLOSE, as one compound. @what names the call in messages.
 * The caller has called smb_api_begin().
 */
int smb_path_set_name(struct smbiov_client *c, const char *from,
		      uint32_t access, uint8_t cls, const char *to,
		      bool replace, const char *what);

#endif
