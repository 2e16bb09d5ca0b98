/* SPDX-License-Identifier: MIT */
/*
 * SMB2 QUERY_INFO (MS-SMB2 2.2.37, 2.2.38) and SET_INFO (2.2.39, 2.2.40),
 * with typed codecs for the MS-FSCC information classes the client uses.
 * See proto/create.h for the encoder/decoder conventions. Typed decoders
 * take the OutputBuffer that smb2_query_info_rsp_decode() returned and
 * borrow it for any name they return (UTF-16LE, not terminated).
 */
#ifndef SMBIOV_PROTO_INFO_H
#define SMBIOV_PROTO_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/create.h"

/* InfoType (MS-SMB2 2.2.37) */
#define SMB2_0_INFO_FILE       0x01
#define SMB2_0_INFO_FILESYSTEM 0x02
#define SMB2_0_INFO_SECURITY   0x03
#define SMB2_0_INFO_QUOTA      0x04

/* File information classes (MS-FSCC 2.4) */
#define FSCC_FILE_BASIC_INFORMATION	   4
#define FSCC_FILE_STANDARD_INFORMATION	   5
#define FSCC_FILE_INTERNAL_INFORMATION	   6
#define FSCC_FILE_RENAME_INFORMATION	   10
#define FSCC_FILE_LINK_INFORMATION	   11
#define FSCC_FILE_DISPOSITION_INFORMATION  13
#define FSCC_FILE_ALL_INFORMATION	   18
#define FSCC_FILE_END_OF_FILE_INFORMATION  20
#define FSCC_FILE_NETWORK_OPEN_INFORMATION 34
/* File system information classes (MS-FSCC 2.5) */
#define FSCC_FILE_FS_VOLUME_INFORMATION	   1
#define FSCC_FILE_FS_SIZE_INFORMATION	   3
#define FSCC_FILE_FS_ATTRIBUTE_INFORMATION 5
#define FSCC_FILE_FS_FULL_SIZE_INFORMATION 7

#define SMB2_QUERY_INFO_REQ_FIXED 40
#define SMB2_QUERY_INFO_RSP_FIXED 8
#define SMB2_SET_INFO_REQ_FIXED	  32
#define SMB2_SET_INFO_RSP_FIXED	  2

/* Sizes of the fixed structures (MS-FSCC section in the decoder's doc). */
#define FSCC_FILE_BASIC_SIZE	    40
#define FSCC_FILE_STANDARD_SIZE	    24
#define FSCC_FILE_ALL_FIXED	    100
#define FSCC_FILE_NETWORK_OPEN_SIZE 56
#define FSCC_FILE_EOF_SIZE	    8
#define FSCC_FILE_RENAME_FIXED	    20
#define FSCC_FILE_DISPOSITION_SIZE  1
#define FSCC_FS_FULL_SIZE_SIZE	    32
#define FSCC_FS_ATTRIBUTE_FIXED	    12
#define FSCC_FS_VOLUME_FIXED	    18

/**
 * struct smb2_query_info_req - QUERY_INFO request fields (MS-SMB2 2.2.37)
 * @info_type: SMB2_0_INFO_*
 * @info_class: FSCC_* class for FILE/FILESYSTEM, 0 for SECURITY
 * @output_len: OutputBufferLength: the most the server may return
 * @additional: AdditionalInformation (security/EA selectors)
 * @flags: Flags (SL_RESTART_SCAN ... for EA queries)
 * @fid: handle
 * @input: InputBuffer (quota/EA queries), copied; NULL if none
 * @input_len: bytes at @input
 */
struct smb2_query_info_req {
	uint8_t info_type;
	uint8_t info_class;
	uint32_t output_len;
	uint32_t additional;
	uint32_t flags;
	struct smb2_fileid fid;
	const uint8_t *input;
	uint32_t input_len;
};

/**
 * smb2_query_info_req_encode - encode a QUERY_INFO request body
 * @buf: body buffer (after the SMB2 header)
 * @cap: bytes at @buf
 * @req: request fields
 *
 * Input, if any, is placed at offset 104 (right after the fixed part);
 * without input one zero Buffer byte is sent (StructureSize 41).
 * Return: body length, -EINVAL, -ENOSPC.
 */
ssize_t smb2_query_info_req_encode(uint8_t *buf, size_t cap,
				   const struct smb2_query_info_req *req);

/**
 * smb2_query_info_rsp_decode - locate the OutputBuffer of a QUERY_INFO
 *	response (MS-SMB2 2.2.38)
 * @msg: response element, header first
 * @len: bytes in it
 * @max_out: the OutputBufferLength we asked for
 * @out: set to the buffer (borrows @msg; NULL when empty)
 * @out_len: its length
 *
 * OutputBufferOffset/Length must lie inside the element after the fixed
 * part (bug class 4). Also used for STATUS_BUFFER_OVERFLOW replies, which
 * carry a truncated buffer in the same body.
 * Return: 0, -EBADMSG, -EPROTO (more than @max_out).
 */
int smb2_query_info_rsp_decode(const uint8_t *msg, size_t len, uint32_t max_out,
			       const uint8_t **out, uint32_t *out_len);

/* FileBasicInformation (MS-FSCC 2.4.7). Times are FILETIME. */
struct smb2_file_basic {
	uint64_t creation_time;
	uint64_t last_access_time;
	uint64_t last_write_time;
	uint64_t change_time;
	uint32_t file_attributes;
};

/* FileStandardInformation (MS-FSCC 2.4.41). */
struct smb2_file_standard {
	uint64_t allocation_size;
	uint64_t end_of_file;
	uint32_t number_of_links;
	uint8_t delete_pending;
	uint8_t directory;
};

/* struct smb2_file_network_open is in proto/create.h (CREATE uses it). */

/*
 * FileAllInformation (MS-FSCC 2.4.2): Basic, Standard, Internal, EA,
 * Access, Position, Mode, Alignment, then Name (FileNameLength + name).
 */
struct smb2_file_all {
	struct smb2_file_basic basic;
	struct smb2_file_standard standard;
	uint64_t index_number;
	uint32_t ea_size;
	uint32_t access_flags;
	uint64_t current_byte_offset;
	uint32_t mode;
	uint32_t alignment_requirement;
	const uint8_t *name; /* UTF-16LE, borrows the buffer; NULL if empty */
	uint32_t name_len;   /* bytes */
};

/* FileFsFullSizeInformation (MS-FSCC 2.5.4). */
struct smb2_fs_full_size {
	uint64_t total_allocation_units;
	uint64_t caller_available_units;
	uint64_t actual_available_units;
	uint32_t sectors_per_unit;
	uint32_t bytes_per_sector;
};

/* FileFsAttributeInformation (MS-FSCC 2.5.1). */
struct smb2_fs_attribute {
	uint32_t attributes;
	uint32_t max_component_name_len;
	const uint8_t *name; /* file system name, UTF-16LE, borrowed */
	uint32_t name_len;
};

/* FileFsVolumeInformation (MS-FSCC 2.5.9). */
struct smb2_fs_volume {
	uint64_t creation_time;
	uint32_t serial_number;
	uint8_t supports_objects;
	const uint8_t *label; /* UTF-16LE, borrowed */
	uint32_t label_len;
};

/*
 * Typed decoders over an OutputBuffer (@p, @len), all borrowing @p for any
 * name they return. Each checks that @len covers the fixed structure and
 * that an embedded name length is even and fits in what follows (bug
 * classes 4 and 6: libsmb2 #457 read past the buffer on an unbounded FileAll
 * FileNameLength). Trailing Reserved fields may be absent.
 */

/**
 * smb2_file_basic_decode - FileBasicInformation (MS-FSCC 2.4.7)
 * @p: information buffer
 * @len: bytes at @p (>= 36)
 * @out: filled on success
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_file_basic_decode(const uint8_t *p, size_t len,
			   struct smb2_file_basic *out);

/**
 * smb2_file_standard_decode - FileStandardInformation (MS-FSCC 2.4.41)
 * @p: information buffer
 * @len: bytes at @p (>= 22)
 * @out: filled on success
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_file_standard_decode(const uint8_t *p, size_t len,
			      struct smb2_file_standard *out);

/**
 * smb2_file_network_open_decode - FileNetworkOpenInformation
 *	(MS-FSCC 2.4.29)
 * @p: information buffer
 * @len: bytes at @p (>= 52)
 * @out: filled on success
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_file_network_open_decode(const uint8_t *p, size_t len,
				  struct smb2_file_network_open *out);

/**
 * smb2_file_all_decode - FileAllInformation (MS-FSCC 2.4.2)
 * @p: information buffer
 * @len: bytes at @p (>= 100 + FileNameLength)
 * @out: filled on success; @out->name borrows @p
 *
 * A reply truncated by STATUS_BUFFER_OVERFLOW (FileNameLength longer than
 * the bytes present) is rejected: ask again with a bigger buffer.
 * Return: 0 or -EBADMSG (short, odd or out-of-bounds FileNameLength).
 */
int smb2_file_all_decode(const uint8_t *p, size_t len,
			 struct smb2_file_all *out);

/**
 * smb2_file_all_fixed_decode - FileAllInformation without its name
 * @p: information buffer
 * @len: bytes at @p (>= 100)
 * @out: filled on success; @out->name is NULL
 *
 * For callers that never use FileName (stat): the name field is not
 * looked at, so a peer that fills it oddly (impacket sends ASCII with a
 * character count) costs nothing; the fixed part is still bounds-checked.
 * Return: 0 or -EBADMSG (shorter than the fixed part).
 */
int smb2_file_all_fixed_decode(const uint8_t *p, size_t len,
			       struct smb2_file_all *out);

/**
 * smb2_fs_full_size_decode - FileFsFullSizeInformation (MS-FSCC 2.5.4)
 * @p: information buffer
 * @len: bytes at @p (>= 32)
 * @out: filled on success
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_fs_full_size_decode(const uint8_t *p, size_t len,
			     struct smb2_fs_full_size *out);

/**
 * smb2_fs_attribute_decode - FileFsAttributeInformation (MS-FSCC 2.5.1)
 * @p: information buffer
 * @len: bytes at @p (>= 12 + FileSystemNameLength)
 * @out: filled on success; @out->name borrows @p
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_fs_attribute_decode(const uint8_t *p, size_t len,
			     struct smb2_fs_attribute *out);

/**
 * smb2_fs_volume_decode - FileFsVolumeInformation (MS-FSCC 2.5.9)
 * @p: information buffer
 * @len: bytes at @p (>= 18 + VolumeLabelLength)
 * @out: filled on success; @out->label borrows @p
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_fs_volume_decode(const uint8_t *p, size_t len,
			  struct smb2_fs_volume *out);

/**
 * struct smb2_set_info_req - SET_INFO request fields (MS-SMB2 2.2.39)
 * @info_type: SMB2_0_INFO_*
 * @info_class: FSCC_* class
 * @additional: AdditionalInformation
 * @fid: handle
 */
struct smb2_set_info_req {
	uint8_t info_type;
	uint8_t info_class;
	uint32_t additional;
	struct smb2_fileid fid;
};

/**
 * smb2_set_info_req_encode - encode a SET_INFO request body
 * @buf: body buffer (after the SMB2 header)
 * @cap: bytes at @buf
 * @req: request fields
 * @data: the information buffer; it may already sit at @buf + 32 (encode
 *	it there with one of the smb2_file_*_encode() helpers to avoid a copy)
 * @data_len: bytes at @data (>= 1)
 *
 * Return: body length, -EINVAL, -ENOSPC.
 */
ssize_t smb2_set_info_req_encode(uint8_t *buf, size_t cap,
				 const struct smb2_set_info_req *req,
				 const uint8_t *data, size_t data_len);

/**
 * smb2_set_info_rsp_decode - check a SET_INFO response (StructureSize 2)
 * @msg: response element, header first
 * @len: bytes in it
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_set_info_rsp_decode(const uint8_t *msg, size_t len);

/**
 * smb2_file_basic_encode - FileBasicInformation for SET_INFO (MS-FSCC 2.4.7)
 * @p: output
 * @cap: bytes at @p
 * @in: times and attributes; 0 means "leave unchanged"
 *
 * Return: 40, -EINVAL, -ENOSPC.
 */
ssize_t smb2_file_basic_encode(uint8_t *p, size_t cap,
			       const struct smb2_file_basic *in);

/**
 * smb2_file_eof_encode - FileEndOfFileInformation (MS-FSCC 2.4.13)
 * @p: output
 * @cap: bytes at @p
 * @end_of_file: new size (a signed 64-bit value on the wire)
 *
 * Return: 8, -EINVAL (above INT64_MAX), -ENOSPC.
 */
ssize_t smb2_file_eof_encode(uint8_t *p, size_t cap, uint64_t end_of_file);

/**
 * smb2_file_disposition_encode - FileDispositionInformation
 *	(MS-FSCC 2.4.11)
 * @p: output
 * @cap: bytes at @p
 * @delete_pending: mark (or unmark) the file for deletion on last close
 *
 * Return: 1, -EINVAL, -ENOSPC.
 */
ssize_t smb2_file_disposition_encode(uint8_t *p, size_t cap,
				     bool delete_pending);

/**
 * smb2_file_rename_encode - FILE_RENAME_INFORMATION_TYPE_2
 *	(MS-FSCC 2.4.37.2)
 * @p: output
 * @cap: bytes at @p
 * @replace: ReplaceIfExists
 * @name: full new path from the share root, UTF-16LE
 * @name_len: bytes at @name (even, non-zero)
 *
 * RootDirectory is 0 as SMB2 requires (MS-SMB2 2.2.39). Two zero bytes
 * follow the name, outside FileNameLength, because some servers check the
 * buffer length against the C structure size.
 * FileLinkInformation for SMB2 (MS-FSCC 2.4.21.2) has the same layout
 * (ReplaceIfExists, Reserved, RootDirectory, FileNameLength, FileName):
 * this encodes it too.
 * Return: 20 + @name_len + 2, -EINVAL, -ENOSPC.
 */
ssize_t smb2_file_rename_encode(uint8_t *p, size_t cap, bool replace,
				const uint8_t *name, size_t name_len);

#endif
