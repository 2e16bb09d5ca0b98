/* SPDX-License-Identifier: MIT */
/*
 * Sparse files: the FSCTL payloads of FSCTL_SET_SPARSE (MS-FSCC 2.3.64,
 * FILE_SET_SPARSE_BUFFER) and FSCTL_QUERY_ALLOCATED_RANGES (MS-FSCC
 * 2.3.46, FILE_ALLOCATED_RANGE_BUFFER in and out). Both travel in an
 * SMB2 IOCTL (proto/ioctl.h); these helpers work on its input and output
 * buffers. Conventions as in proto/create.h.
 */
#ifndef SMBIOV_PROTO_SPARSE_H
#define SMBIOV_PROTO_SPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FSCTL_SET_SPARSE	     0x000900C4u
#define FSCTL_QUERY_ALLOCATED_RANGES 0x000940CFu

/* FILE_ATTRIBUTE_SPARSE_FILE (MS-FSCC 2.6) */
#define SMB_FILE_ATTRIBUTE_SPARSE_FILE 0x00000200u

#define SMB2_SET_SPARSE_SIZE  1
#define SMB2_ALLOC_RANGE_SIZE 16

/* One FILE_ALLOCATED_RANGE_BUFFER: [offset, offset + length). */
struct smb2_alloc_range {
	uint64_t offset;
	uint64_t length;
};

/**
 * smb2_set_sparse_encode - FILE_SET_SPARSE_BUFFER, the input of
 *	FSCTL_SET_SPARSE
 * @p: output (the IOCTL input buffer)
 * @cap: bytes at @p
 * @sparse: SetSparse: mark (true) or unmark the file
 *
 * Return: 1, -EINVAL, -ENOSPC.
 */
ssize_t smb2_set_sparse_encode(uint8_t *p, size_t cap, bool sparse);

/**
 * smb2_qar_req_encode - FILE_ALLOCATED_RANGE_BUFFER, the input of
 *	FSCTL_QUERY_ALLOCATED_RANGES: the range [@off, @off + @len) asked about
 * @p: output (the IOCTL input buffer)
 * @cap: bytes at @p
 *
 * Return: 16, -EINVAL (@len 0, or the end past INT64_MAX: the fields are
 * signed), -ENOSPC.
 */
ssize_t smb2_qar_req_encode(uint8_t *p, size_t cap, uint64_t off, uint64_t len);

/**
 * smb2_qar_rsp_decode - the output of FSCTL_QUERY_ALLOCATED_RANGES: an
 *	array of FILE_ALLOCATED_RANGE_BUFFER
 * @p: IOCTL output buffer (NULL when @len is 0)
 * @len: its length: a whole number of 16-byte entries
 * @out: receives the first @max entries (may be NULL when @max is 0)
 * @max: entries @out holds
 * @count: set to the number of entries in the buffer (may exceed @max)
 *
 * Every entry is checked, not only those copied: FileOffset and Length
 * are signed 64-bit fields, so each must be at most INT64_MAX and their
 * sum too; a Length of 0 says nothing and is refused; the entries must be
 * in ascending order and must not overlap (each starts at or after the
 * end of the one before), so a caller walking them always moves forward.
 * Return: 0, or -EBADMSG (a partial entry, a bad field, disorder).
 */
int smb2_qar_rsp_decode(const uint8_t *p, size_t len,
			struct smb2_alloc_range *out, size_t max,
			size_t *count);

#endif
