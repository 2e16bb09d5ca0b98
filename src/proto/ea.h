/* SPDX-License-Identifier: MIT */
/*
 * Extended attributes: FILE_FULL_EA_INFORMATION (MS-FSCC 2.4.15), the
 * information buffer of QUERY_INFO and SET_INFO with class
 * FileFullEaInformation, and FILE_GET_EA_INFORMATION (MS-FSCC 2.4.15.1),
 * the QUERY_INFO input naming the EAs wanted. EA names are 8-bit strings
 * of 1..255 bytes (EaNameLength is one byte) without NUL, NUL-terminated
 * on the wire outside the length; values are at most 65535 bytes
 * (EaValueLength is two). An EA whose value is empty does not exist:
 * setting one empty removes it. Conventions as in proto/create.h.
 */
#ifndef SMBIOV_PROTO_EA_H
#define SMBIOV_PROTO_EA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FSCC_FILE_FULL_EA_INFORMATION 15

/* QUERY_INFO Flags for EA queries (MS-SMB2 2.2.37) */
#define SMB2_SL_RESTART_SCAN	    0x00000001u
#define SMB2_SL_RETURN_SINGLE_ENTRY 0x00000002u
#define SMB2_SL_INDEX_SPECIFIED	    0x00000004u

#define SMB2_EA_NAME_MAX   255
#define SMB2_EA_VALUE_MAX  65535
#define SMB2_FULL_EA_FIXED 8 /* NextEntryOffset, Flags, two lengths */
#define SMB2_GET_EA_FIXED  5 /* NextEntryOffset, EaNameLength */

/* The largest single FILE_FULL_EA_INFORMATION entry this encodes. */
#define SMB2_FULL_EA_MAX                                                       \
	(SMB2_FULL_EA_FIXED + SMB2_EA_NAME_MAX + 1 + SMB2_EA_VALUE_MAX)

/**
 * struct smb2_ea - one decoded FILE_FULL_EA_INFORMATION entry
 * @flags: Flags (FILE_NEED_EA 0x80 or 0)
 * @name: EaName, borrows the buffer; @name[@name_len] is its NUL
 * @name_len: EaNameLength (1..255)
 * @value: EaValue, borrows the buffer (NULL when @value_len is 0)
 * @value_len: EaValueLength
 */
struct smb2_ea {
	uint8_t flags;
	const char *name;
	uint8_t name_len;
	const uint8_t *value;
	uint16_t value_len;
};

/**
 * smb2_ea_name_ok - may @name (@len bytes) be sent as an EA name?
 *
 * 1..255 bytes, no NUL. Return: true or false.
 */
bool smb2_ea_name_ok(const char *name, size_t len);

/**
 * smb2_full_ea_encode - one FILE_FULL_EA_INFORMATION entry (the only one:
 *	NextEntryOffset 0, Flags 0), for SET_INFO
 * @p: output
 * @cap: bytes at @p (SMB2_FULL_EA_MAX is always enough)
 * @name: EA name, @name_len bytes (smb2_ea_name_ok())
 * @value: the value, @value_len bytes (0..65535; 0 removes the EA); may be
 *	NULL when @value_len is 0
 *
 * Return: 8 + @name_len + 1 + @value_len, -EINVAL, -E2BIG (@value_len
 * over 65535), -ENOSPC.
 */
ssize_t smb2_full_ea_encode(uint8_t *p, size_t cap, const char *name,
			    size_t name_len, const void *value,
			    size_t value_len);

/**
 * smb2_get_ea_encode - one FILE_GET_EA_INFORMATION entry (the only one),
 *	the QUERY_INFO input asking for the EA @name
 * @p: output
 * @cap: bytes at @p
 * @name: EA name, @name_len bytes (smb2_ea_name_ok())
 *
 * Return: 5 + @name_len + 1, -EINVAL, -ENOSPC.
 */
ssize_t smb2_get_ea_encode(uint8_t *p, size_t cap, const char *name,
			   size_t name_len);

/**
 * smb2_full_ea_next - walk a chain of FILE_FULL_EA_INFORMATION entries
 * @p: the information buffer (a QUERY_INFO OutputBuffer)
 * @len: bytes at @p
 * @pos: where the next entry starts; 0 for the first. Advanced past the
 *	entry returned (to @len after the last one)
 * @ea: filled with the entry; its pointers borrow @p
 *
 * Each entry must lie inside the buffer with its name, the name's NUL
 * (which must be there) and its value; the name must hold no NUL and
 * have 1..255 bytes; a NextEntryOffset other than 0 must pass the end of
 * the entry's value (entries never overlap, and the walk always moves
 * forward) and leave room for another entry's fixed part.
 * Return: 1 with *@ea filled, 0 at the end of the chain, -EBADMSG.
 */
int smb2_full_ea_next(const uint8_t *p, size_t len, size_t *pos,
		      struct smb2_ea *ea);

#endif
