/* SPDX-License-Identifier: MIT */
/*
 * SMB2 CREATE (MS-SMB2 2.2.13, 2.2.14) with its create contexts, and the
 * handle-lifecycle commands that take the resulting FileId: CLOSE
 * (2.2.15, 2.2.16) and FLUSH (2.2.17, 2.2.18).
 *
 * Conventions shared by every command codec in src/proto/:
 *  - Request encoders write the command body only, into @buf, which the
 *    caller places directly after the 64-byte SMB2 header (smb2_hdr_encode()
 *    writes that). Offsets inside the body are therefore computed as
 *    SMB2_HDR_SIZE + position. They return the body length or a negative
 *    errno (-EINVAL bad argument, -ENOSPC @buf too small).
 *  - Response decoders take @msg pointing at the SMB2 header of one
 *    (compound) element and @len, the element's length. Pointers they return
 *    borrow @msg: valid only while the caller keeps that buffer. They never
 *    allocate. They return 0 or -EBADMSG (malformed) / -EPROTO (well formed
 *    but inconsistent with what we asked). The caller has already checked
 *    the header's Status: error bodies (StructureSize 9) are not for these.
 */
#ifndef SMBIOV_PROTO_CREATE_H
#define SMBIOV_PROTO_CREATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/le.h"
#include "proto/smb2.h"

/* ---- FileId (MS-SMB2 2.2.14.1) ------------------------------------------ */

#define SMB2_FILEID_SIZE 16

struct smb2_fileid {
	uint64_t persistent;
	uint64_t volatile_id;
};

static inline void smb2_fileid_put(uint8_t *p, const struct smb2_fileid *f)
{
	le64_put(p, f->persistent);
	le64_put(p + 8, f->volatile_id);
}

static inline void smb2_fileid_get(const uint8_t *p, struct smb2_fileid *f)
{
	f->persistent = le64_get(p);
	f->volatile_id = le64_get(p + 8);
}

/* ---- CREATE constants (MS-SMB2 2.2.13) ---------------------------------- */

#define SMB2_OPLOCK_LEVEL_NONE	    0x00
#define SMB2_OPLOCK_LEVEL_II	    0x01
#define SMB2_OPLOCK_LEVEL_EXCLUSIVE 0x08
#define SMB2_OPLOCK_LEVEL_BATCH	    0x09
#define SMB2_OPLOCK_LEVEL_LEASE	    0xFF

#define SMB2_IMPERSONATION_ANONYMOUS	  0
#define SMB2_IMPERSONATION_IDENTIFICATION 1
#define SMB2_IMPERSONATION_IMPERSONATION  2
#define SMB2_IMPERSONATION_DELEGATE	  3

#define SMB2_FILE_SHARE_READ   0x00000001u
#define SMB2_FILE_SHARE_WRITE  0x00000002u
#define SMB2_FILE_SHARE_DELETE 0x00000004u

/* CreateDisposition */
#define SMB2_FILE_SUPERSEDE    0
#define SMB2_FILE_OPEN	       1
#define SMB2_FILE_CREATE       2
#define SMB2_FILE_OPEN_IF      3
#define SMB2_FILE_OVERWRITE    4
#define SMB2_FILE_OVERWRITE_IF 5

/* CreateOptions (subset the client uses) */
#define SMB2_FILE_DIRECTORY_FILE     0x00000001u
#define SMB2_FILE_WRITE_THROUGH	     0x00000002u
#define SMB2_FILE_NON_DIRECTORY_FILE 0x00000040u
#define SMB2_FILE_DELETE_ON_CLOSE    0x00001000u
#define SMB2_FILE_OPEN_REPARSE_POINT 0x00200000u

/* Body sizes without the variable buffer. */
#define SMB2_CREATE_REQ_FIXED 56
#define SMB2_CREATE_RSP_FIXED 88

/* ---- create contexts (MS-SMB2 2.2.13.2, 2.2.14.2) ----------------------- */

/* Header: Next NameOffset NameLength Reserved DataOffset DataLength. */
#define SMB2_CC_HDR_SIZE 16
#define SMB2_CC_ALIGN	 8

#define SMB2_CC_DH2Q  "DH2Q" /* 2.2.13.2.11, 2.2.14.2.12 */
#define SMB2_CC_DH2C  "DH2C" /* 2.2.13.2.12 */
#define SMB2_CC_LEASE "RqLs" /* 2.2.13.2.8/10, 2.2.14.2.10/11 */
#define SMB2_CC_MXAC  "MxAc" /* 2.2.13.2.5, 2.2.14.2.5 */
#define SMB2_CC_QFID  "QFid" /* 2.2.13.2.9, 2.2.14.2.9 */

#define SMB2_DHANDLE_FLAG_PERSISTENT 0x00000002u
#define SMB2_DH2Q_REQ_SIZE	     32 /* Timeout Flags Rsvd CreateGuid */
#define SMB2_DH2Q_RSP_SIZE	     8	/* Timeout Flags */
#define SMB2_DH2C_REQ_SIZE	     36 /* FileId CreateGuid Flags */

#define SMB2_LEASE_NONE			     0x00u
#define SMB2_LEASE_READ_CACHING		     0x01u
#define SMB2_LEASE_HANDLE_CACHING	     0x02u
#define SMB2_LEASE_WRITE_CACHING	     0x04u
#define SMB2_LEASE_FLAG_BREAK_IN_PROGRESS    0x02u
#define SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET 0x04u
#define SMB2_LEASE_KEY_SIZE		     16
#define SMB2_LEASE_V1_SIZE		     32
#define SMB2_LEASE_V2_SIZE		     52

#define SMB2_MXAC_RSP_SIZE 8
#define SMB2_QFID_RSP_SIZE 32

/**
 * struct smb2_create_req - CREATE request fields (MS-SMB2 2.2.13)
 * @oplock_level: RequestedOplockLevel (SMB2_OPLOCK_LEVEL_*)
 * @impersonation: ImpersonationLevel
 * @desired_access: DesiredAccess mask
 * @file_attributes: FileAttributes for a new file
 * @share_access: ShareAccess (SMB2_FILE_SHARE_*)
 * @disposition: CreateDisposition (SMB2_FILE_OPEN ...)
 * @options: CreateOptions
 * @name: path relative to the share in UTF-16LE, backslash-separated, no
 *	leading backslash; NULL/0 for the share root
 * @name_len: bytes at @name (even, < 65536)
 * @contexts: a context chain from struct smb2_cc_builder, or NULL
 * @contexts_len: bytes at @contexts
 */
struct smb2_create_req {
	uint8_t oplock_level;
	uint32_t impersonation;
	uint32_t desired_access;
	uint32_t file_attributes;
	uint32_t share_access;
	uint32_t disposition;
	uint32_t options;
	const uint8_t *name;
	size_t name_len;
	const uint8_t *contexts;
	size_t contexts_len;
};

/*
 * FileNetworkOpenInformation (MS-FSCC 2.4.29). The same 52 bytes (plus 4
 * reserved) sit at body offset 8 of the CREATE and CLOSE responses, so all
 * three decode it with smb2_network_open_get(). Times are FILETIME.
 */
struct smb2_file_network_open {
	uint64_t creation_time;
	uint64_t last_access_time;
	uint64_t last_write_time;
	uint64_t change_time;
	uint64_t allocation_size;
	uint64_t end_of_file;
	uint32_t file_attributes;
};

/* Bytes smb2_network_open_get() reads. */
#define SMB2_NETWORK_OPEN_BYTES 52

/*
 * Decode the block at @p; the caller has checked that
 * SMB2_NETWORK_OPEN_BYTES are there.
 */
void smb2_network_open_get(const uint8_t *p,
			   struct smb2_file_network_open *out);

/**
 * struct smb2_create_rsp - decoded CREATE response (MS-SMB2 2.2.14)
 * @contexts: the create context chain, borrowing the message; already
 *	walked once and found well formed. NULL when @contexts_len is 0.
 * @contexts_len: bytes at @contexts
 *
 * @attrs: times, sizes and attributes of the opened file
 */
struct smb2_create_rsp {
	uint8_t oplock_level;
	uint8_t flags;
	uint32_t create_action;
	struct smb2_file_network_open attrs;
	struct smb2_fileid fid;
	const uint8_t *contexts;
	uint32_t contexts_len;
};

/**
 * smb2_create_req_encode - encode a CREATE request body
 * @buf: body buffer (right after the SMB2 header)
 * @cap: bytes available at @buf
 * @req: request fields; the name and contexts are copied in (metadata)
 *
 * Layout: fixed part, name at offset 120, zero padding to 8, then the
 * contexts (CreateContextsOffset must be 8-aligned, 2.2.13). An empty name
 * still gets one zero Buffer byte (StructureSize 57 counts it).
 *
 * Return: body length, -EINVAL (odd or oversized name, contexts over 4 GiB,
 * NULL pointer with a length), -ENOSPC.
 */
ssize_t smb2_create_req_encode(uint8_t *buf, size_t cap,
			       const struct smb2_create_req *req);

/**
 * smb2_create_rsp_decode - decode a CREATE response
 * @msg: the response element, SMB2 header first
 * @len: bytes in the element
 * @rsp: filled on success
 *
 * CreateContextsOffset/Length must lie inside the element after the fixed
 * part, and the chain is walked once with smb2_cc_next() so a malformed
 * chain fails here rather than in a later lookup.
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_create_rsp_decode(const uint8_t *msg, size_t len,
			   struct smb2_create_rsp *rsp);

/**
 * struct smb2_cc_builder - appends create contexts to a caller buffer
 * @buf: output buffer
 * @cap: its size
 * @len: bytes used so far
 * @last: offset of the last context added (its Next is patched on append)
 * @count: contexts added
 *
 * Initialise with smb2_cc_builder_init(); the chain is @buf[0..@len).
 */
struct smb2_cc_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t last;
	unsigned int count;
};

/**
 * smb2_cc_builder_init - start an empty context chain in a caller buffer
 * @b: builder
 * @buf: output buffer; the builder writes only inside it
 * @cap: bytes at @buf
 */
void smb2_cc_builder_init(struct smb2_cc_builder *b, uint8_t *buf, size_t cap);

/**
 * smb2_cc_add - append one create context
 * @b: builder
 * @name: context name (4-byte tags like "DH2Q", or a 16-byte GUID)
 * @name_len: bytes at @name (1..65535)
 * @data: context data, copied (may be NULL when @data_len is 0)
 * @data_len: bytes at @data
 *
 * Contexts start 8-aligned; the previous context's Next is set to point at
 * this one (MS-SMB2 2.2.13.2). Name at offset 16, data at the next 8-aligned
 * offset after the name.
 *
 * Return: 0, -EINVAL, or -ENOSPC (the builder is then unchanged).
 */
int smb2_cc_add(struct smb2_cc_builder *b, const void *name, size_t name_len,
		const void *data, size_t data_len);

/**
 * struct smb2_dh2q - durable handle v2 (MS-SMB2 2.2.13.2.11, 2.2.14.2.12)
 * @timeout: Timeout in milliseconds (0: server default)
 * @flags: SMB2_DHANDLE_FLAG_PERSISTENT or 0
 * @create_guid: CreateGuid (request only; the response does not carry it)
 */
struct smb2_dh2q {
	uint32_t timeout;
	uint32_t flags;
	uint8_t create_guid[16];
};

/**
 * struct smb2_lease - lease v1/v2 context (MS-SMB2 2.2.13.2.8, 2.2.13.2.10,
 *	2.2.14.2.10, 2.2.14.2.11)
 * @key: LeaseKey
 * @state: LeaseState (SMB2_LEASE_*_CACHING)
 * @flags: Flags (SMB2_LEASE_FLAG_*)
 * @duration: LeaseDuration (reserved, 0)
 * @parent_key: ParentLeaseKey (v2)
 * @epoch: Epoch (v2)
 * @version: 1 or 2: which layout was (or is to be) on the wire
 */
struct smb2_lease {
	uint8_t key[SMB2_LEASE_KEY_SIZE];
	uint32_t state;
	uint32_t flags;
	uint64_t duration;
	uint8_t parent_key[SMB2_LEASE_KEY_SIZE];
	uint16_t epoch;
	uint8_t version;
};

/* Maximal access response (MS-SMB2 2.2.14.2.5). */
struct smb2_mxac {
	uint32_t query_status; /* NTSTATUS of the access query */
	uint32_t maximal_access;
};

/* On-disk id response (MS-SMB2 2.2.14.2.9). */
struct smb2_qfid {
	uint64_t disk_file_id;
	uint64_t volume_id;
};

/**
 * smb2_cc_add_dh2q - append SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2
 *	(MS-SMB2 2.2.13.2.11)
 * @b: builder
 * @d: Timeout, Flags and CreateGuid (keep the GUID for reconnect)
 *
 * Return: 0, -EINVAL, -ENOSPC (builder unchanged).
 */
int smb2_cc_add_dh2q(struct smb2_cc_builder *b, const struct smb2_dh2q *d);

/**
 * smb2_cc_add_dh2c - append SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2
 *	(MS-SMB2 2.2.13.2.12) to reopen a durable handle after reconnect
 * @b: builder
 * @fid: the FileId of the original open
 * @d: CreateGuid and Flags of the original DH2Q request (Timeout unused)
 *
 * Return: 0, -EINVAL, -ENOSPC (builder unchanged).
 */
int smb2_cc_add_dh2c(struct smb2_cc_builder *b, const struct smb2_fileid *fid,
		     const struct smb2_dh2q *d);

/**
 * smb2_cc_add_lease - append SMB2_CREATE_REQUEST_LEASE[_V2]
 *	(MS-SMB2 2.2.13.2.8, 2.2.13.2.10)
 * @b: builder
 * @l: lease; @l->version selects the 32-byte v1 or 52-byte v2 layout
 *	(v2 for the 3.x dialects, with RequestedOplockLevel LEASE)
 *
 * Return: 0, -EINVAL (bad version), -ENOSPC (builder unchanged).
 */
int smb2_cc_add_lease(struct smb2_cc_builder *b, const struct smb2_lease *l);

/**
 * smb2_cc_add_mxac - append SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST
 *	(MS-SMB2 2.2.13.2.5)
 * @b: builder
 * @timestamp: optional Timestamp (FILETIME); 0 sends no data
 *
 * Return: 0, -EINVAL, -ENOSPC (builder unchanged).
 */
int smb2_cc_add_mxac(struct smb2_cc_builder *b, uint64_t timestamp);

/**
 * smb2_cc_add_qfid - append SMB2_CREATE_QUERY_ON_DISK_ID (MS-SMB2
 *	2.2.13.2.9), a context without data
 * @b: builder
 *
 * Return: 0, -EINVAL, -ENOSPC (builder unchanged).
 */
int smb2_cc_add_qfid(struct smb2_cc_builder *b);

/**
 * struct smb2_cc - one create context found by the walker
 * @name: context name bytes, borrowing the chain
 * @name_len: bytes at @name (>= 1)
 * @data: context data, borrowing the chain (NULL when @data_len is 0)
 * @data_len: bytes at @data
 */
struct smb2_cc {
	const uint8_t *name;
	uint16_t name_len;
	const uint8_t *data;
	uint32_t data_len;
};

/* Walker state; see smb2_cc_next(). */
struct smb2_cc_iter {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	int state; /* 0 more, 1 done, < 0 sticky error */
};

/**
 * smb2_cc_iter_init - start walking a create context chain
 * @it: walker
 * @buf: chain bytes (borrowed for the walk; may be NULL when @len is 0)
 * @len: bytes at @buf
 */
void smb2_cc_iter_init(struct smb2_cc_iter *it, const uint8_t *buf, size_t len);

/**
 * smb2_cc_next - return the next context of a chain
 * @it: walker from smb2_cc_iter_init() over the chain bytes
 * @cc: filled when 1 is returned
 *
 * Each context must have its 16-byte header inside the chain; Next is 0
 * (last: the context extends to the end of the chain) or a multiple of 8,
 * at least 16 and leaves room for the next context's 16-byte header inside
 * the chain, so the walk only moves forward and
 * always ends. NameOffset/NameLength and DataOffset/DataLength must lie
 * inside the context after its header; NameLength must be non-zero.
 * An empty chain yields no contexts. Errors are sticky.
 *
 * Return: 1 (a context), 0 (end of chain) or -EBADMSG.
 */
int smb2_cc_next(struct smb2_cc_iter *it, struct smb2_cc *cc);

/**
 * smb2_cc_is - does a context carry a given 4-byte tag?
 * @cc: context from smb2_cc_next()
 * @tag: SMB2_CC_* (4 ASCII bytes)
 *
 * Return: true only for NameLength 4 and equal bytes.
 */
bool smb2_cc_is(const struct smb2_cc *cc, const char *tag);

/**
 * smb2_cc_find - look a context up by 4-byte tag
 * @chain: chain bytes
 * @len: bytes at @chain
 * @tag: SMB2_CC_* tag
 * @cc: filled with the first match
 *
 * The whole chain is validated even after a match.
 * Return: 1 found, 0 absent, -EBADMSG.
 */
int smb2_cc_find(const uint8_t *chain, size_t len, const char *tag,
		 struct smb2_cc *cc);

/**
 * smb2_cc_dh2q_rsp_decode - decode SMB2_CREATE_DURABLE_HANDLE_RESPONSE_V2
 *	(MS-SMB2 2.2.14.2.12)
 * @cc: context from the walker
 * @d: Timeout and Flags; CreateGuid is zeroed (not in the response)
 *
 * Return: 0, or -EBADMSG if DataLength < 8.
 */
int smb2_cc_dh2q_rsp_decode(const struct smb2_cc *cc, struct smb2_dh2q *d);

/**
 * smb2_cc_lease_decode - decode a lease context (MS-SMB2 2.2.14.2.10/11)
 * @cc: context from the walker
 * @l: filled; @l->version is 1 or 2 by layout
 *
 * The two layouts are told apart only by DataLength (32 or 52); anything
 * else is malformed. Also decodes our own request contexts (same layout).
 * Return: 0 or -EBADMSG.
 */
int smb2_cc_lease_decode(const struct smb2_cc *cc, struct smb2_lease *l);

/**
 * smb2_cc_mxac_rsp_decode - decode SMB2_CREATE_QUERY_MAXIMAL_ACCESS_RESPONSE
 *	(MS-SMB2 2.2.14.2.5)
 * @cc: context from the walker
 * @m: QueryStatus and MaximalAccess (valid only if QueryStatus is 0)
 *
 * Return: 0, or -EBADMSG if DataLength < 8.
 */
int smb2_cc_mxac_rsp_decode(const struct smb2_cc *cc, struct smb2_mxac *m);

/**
 * smb2_cc_qfid_rsp_decode - decode SMB2_CREATE_QUERY_ON_DISK_ID response
 *	(MS-SMB2 2.2.14.2.9)
 * @cc: context from the walker
 * @q: DiskFileId and VolumeId
 *
 * Return: 0, or -EBADMSG if DataLength < 32.
 */
int smb2_cc_qfid_rsp_decode(const struct smb2_cc *cc, struct smb2_qfid *q);

/* ---- CLOSE / FLUSH (MS-SMB2 2.2.15 - 2.2.18) ---------------------------- */

#define SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB 0x0001
#define SMB2_CLOSE_REQ_FIXED		 24
#define SMB2_CLOSE_RSP_FIXED		 60
#define SMB2_FLUSH_REQ_FIXED		 24
#define SMB2_FLUSH_RSP_FIXED		 4

/**
 * struct smb2_close_rsp - CLOSE response (MS-SMB2 2.2.16)
 *
 * @attrs is meaningful only when @flags has
 * SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB (the server zeroes them otherwise).
 */
struct smb2_close_rsp {
	uint16_t flags;
	struct smb2_file_network_open attrs;
};

/**
 * smb2_close_req_encode - encode a CLOSE request body (24 bytes)
 * @buf: body buffer
 * @cap: bytes at @buf
 * @fid: handle to close
 * @flags: 0 or SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB
 *
 * Return: 24, -EINVAL (unknown flag), -ENOSPC.
 */
ssize_t smb2_close_req_encode(uint8_t *buf, size_t cap,
			      const struct smb2_fileid *fid, uint16_t flags);

/**
 * smb2_close_rsp_decode - decode a CLOSE response
 * @msg: response element, header first
 * @len: bytes in it
 * @rsp: filled on success
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_close_rsp_decode(const uint8_t *msg, size_t len,
			  struct smb2_close_rsp *rsp);

/**
 * smb2_flush_req_encode - encode a FLUSH request body (24 bytes)
 * @buf: body buffer
 * @cap: bytes at @buf
 * @fid: handle to flush
 *
 * Return: 24 or -ENOSPC.
 */
ssize_t smb2_flush_req_encode(uint8_t *buf, size_t cap,
			      const struct smb2_fileid *fid);

/**
 * smb2_flush_rsp_decode - check a FLUSH response (StructureSize 4)
 * @msg: response element, header first
 * @len: bytes in it
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_flush_rsp_decode(const uint8_t *msg, size_t len);

#endif
