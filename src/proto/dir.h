/* SPDX-License-Identifier: MIT */
/*
 * SMB2 QUERY_DIRECTORY (MS-SMB2 2.2.33, 2.2.34) and a walker over the
 * returned entries: FileIdBothDirectoryInformation (MS-FSCC 2.4.17) and
 * FileIdFullDirectoryInformation (MS-FSCC 2.4.18). The walker never
 * allocates; names point into the response buffer.
 * See proto/create.h for the encoder/decoder conventions.
 */
#ifndef SMBIOV_PROTO_DIR_H
#define SMBIOV_PROTO_DIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/create.h"

#define FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION 37
#define FSCC_FILE_ID_FULL_DIRECTORY_INFORMATION 38

/* Fixed entry sizes, up to the FileName field. */
#define FSCC_ID_BOTH_DIR_FIXED 104
#define FSCC_ID_FULL_DIR_FIXED 80
#define FSCC_SHORT_NAME_MAX    24 /* ShortName is 12 WCHARs */
#define FSCC_DIR_ENTRY_ALIGN   8

/* QUERY_DIRECTORY Flags (MS-SMB2 2.2.33) */
#define SMB2_RESTART_SCANS	 0x01
#define SMB2_RETURN_SINGLE_ENTRY 0x02
#define SMB2_INDEX_SPECIFIED	 0x04
#define SMB2_REOPEN		 0x10

#define SMB2_QUERY_DIRECTORY_REQ_FIXED 32
#define SMB2_QUERY_DIRECTORY_RSP_FIXED 8

/**
 * struct smb2_query_dir_req - QUERY_DIRECTORY request (MS-SMB2 2.2.33)
 * @info_class: FSCC_FILE_ID_{BOTH,FULL}_DIRECTORY_INFORMATION
 * @flags: SMB2_RESTART_SCANS ...
 * @file_index: FileIndex (with SMB2_INDEX_SPECIFIED)
 * @fid: directory handle
 * @output_len: OutputBufferLength: most bytes the server may return
 * @pattern: search pattern in UTF-16LE (e.g. "*"), copied; required
 * @pattern_len: bytes at @pattern (even, 2..65534)
 */
struct smb2_query_dir_req {
	uint8_t info_class;
	uint8_t flags;
	uint32_t file_index;
	struct smb2_fileid fid;
	uint32_t output_len;
	const uint8_t *pattern;
	size_t pattern_len;
};

/**
 * smb2_query_dir_req_encode - encode a QUERY_DIRECTORY request body
 * @buf: body buffer (after the SMB2 header)
 * @cap: bytes at @buf
 * @req: request fields
 *
 * Return: body length (32 + pattern), -EINVAL, -ENOSPC.
 */
ssize_t smb2_query_dir_req_encode(uint8_t *buf, size_t cap,
				  const struct smb2_query_dir_req *req);

/**
 * smb2_query_dir_rsp_decode - locate the entry buffer of a QUERY_DIRECTORY
 *	response (MS-SMB2 2.2.34)
 * @msg: response element, header first
 * @len: bytes in it
 * @max_out: the OutputBufferLength we asked for
 * @out: set to the buffer (borrows @msg; NULL when empty)
 * @out_len: its length
 *
 * Return: 0, -EBADMSG (offset/length outside the element or inside the
 * fixed part), -EPROTO (more than @max_out).
 */
int smb2_query_dir_rsp_decode(const uint8_t *msg, size_t len, uint32_t max_out,
			      const uint8_t **out, uint32_t *out_len);

/**
 * struct smb2_dirent - one directory entry, decoded
 * @name: FileName, UTF-16LE, borrows the buffer; never empty
 * @name_len: bytes at @name (even, >= 2)
 * @short_name: ShortName, UTF-16LE (IdBoth only; NULL otherwise or empty)
 * @short_name_len: bytes at @short_name (even, <= 24)
 * @file_id: FileId (the 8-byte file reference number)
 *
 * Times are FILETIME as on the wire.
 */
struct smb2_dirent {
	uint32_t file_index;
	uint64_t creation_time;
	uint64_t last_access_time;
	uint64_t last_write_time;
	uint64_t change_time;
	uint64_t end_of_file;
	uint64_t allocation_size;
	uint32_t file_attributes;
	uint32_t ea_size;
	uint64_t file_id;
	const uint8_t *name;
	uint32_t name_len;
	const uint8_t *short_name;
	uint8_t short_name_len;
};

/* Walker state; see smb2_dir_next(). */
struct smb2_dir_iter {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	size_t fixed;
	uint8_t info_class;
	int state; /* 0 more, 1 done, < 0 sticky error */
};

/**
 * smb2_dir_iter_init - start walking a QUERY_DIRECTORY output buffer
 * @it: walker
 * @info_class: the class that was requested
 * @buf: the OutputBuffer (may be NULL when @len is 0)
 * @len: its length
 *
 * Return: 0, or -EINVAL for a class this walker does not know.
 */
int smb2_dir_iter_init(struct smb2_dir_iter *it, uint8_t info_class,
		       const uint8_t *buf, size_t len);

/**
 * smb2_dir_next - decode the next entry
 * @it: walker
 * @e: filled when 1 is returned
 *
 * Checks (bug classes 5 and 6): the fixed entry is inside the buffer;
 * NextEntryOffset is 0 (last entry: it extends to the end of the buffer) or
 * a multiple of 8, at least fixed size + FileNameLength, and leaves room for
 * a whole fixed entry after it, so the walk moves strictly forward and
 * terminates; FileNameLength
 * is even, non-zero and inside the entry; ShortNameLength is even and
 * <= 24; the name holds no U+0000, '/' or '\\' (no path injection into
 * callers that build paths from it). Errors are sticky.
 *
 * Return: 1 (an entry), 0 (end), -EBADMSG.
 */
int smb2_dir_next(struct smb2_dir_iter *it, struct smb2_dirent *e);

#endif
