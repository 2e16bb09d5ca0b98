/* SPDX-License-Identifier: MIT */
/*
 * Per-command response table (DESIGN.md §6.13, after Samba's smb2cli
 * {status, body size} tables): for every SMB2 command the StructureSize of
 * its response body, and the non-success statuses that still carry that
 * body. Every other status carries the SMB2 ERROR Response (MS-SMB2 2.2.2,
 * StructureSize 9) — MS-SMB2 3.3.4.4 lists the exceptions, and an interim
 * STATUS_PENDING response is an ERROR Response too (3.3.4.2).
 *
 * A receiver asks smb2_rsp_check() which body an element carries before
 * any decoder runs, then hands it to the command's decoder or to
 * smb2_error_rsp_decode().
 */
#ifndef SMBIOV_PROTO_RSP_TABLE_H
#define SMBIOV_PROTO_RSP_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* Which response body a {command, status} pair carries. */
enum smb2_rsp_body {
	SMB2_RSP_BODY_NORMAL = 1, /* the command's own response structure */
	SMB2_RSP_BODY_ERROR = 2,  /* SMB2 ERROR Response (2.2.2) */
	/*
	 * The status is sent with either, depending on what the request
	 * was (e.g. STATUS_BUFFER_OVERFLOW on a pipe READ vs a file READ):
	 * the body's StructureSize decides.
	 */
	SMB2_RSP_BODY_EITHER = 3,
};

#define SMB2_RSP_SIZES_MAX   3 /* OPLOCK_BREAK: oplock, lease ack, lease */
#define SMB2_RSP_SPECIAL_MAX 2

/**
 * struct smb2_rsp_special - a non-success status with its own body rule
 * @status: NTSTATUS
 * @body: SMB2_RSP_BODY_NORMAL or SMB2_RSP_BODY_EITHER
 */
struct smb2_rsp_special {
	uint32_t status;
	uint8_t body;
};

/**
 * struct smb2_rsp_desc - one row of the table
 * @command: SMB2 command code
 * @name: the MS-SMB2 name, for messages
 * @sizes: the normal body's StructureSize values (0-terminated; empty for
 *	a command that has no response, CANCEL)
 * @special: statuses other than STATUS_SUCCESS that carry the normal body
 *	always or sometimes (0-terminated)
 */
struct smb2_rsp_desc {
	uint16_t command;
	const char *name;
	uint16_t sizes[SMB2_RSP_SIZES_MAX];
	struct smb2_rsp_special special[SMB2_RSP_SPECIAL_MAX];
};

/**
 * smb2_rsp_desc - the table row of a command
 * @command: SMB2 command code
 *
 * Return: the row, or NULL for a command code the table does not know.
 */
const struct smb2_rsp_desc *smb2_rsp_desc(uint16_t command);

/**
 * smb2_rsp_body_kind - which body a response with @status carries
 * @command: SMB2 command code from the response header
 * @status: Status from the response header
 *
 * STATUS_SUCCESS and the row's special statuses give the row's rule;
 * every other status gives SMB2_RSP_BODY_ERROR.
 * Return: an enum smb2_rsp_body value, or -EPROTO for a command the table
 * does not know or one that has no response (CANCEL).
 */
int smb2_rsp_body_kind(uint16_t command, uint32_t status);

/**
 * smb2_rsp_check - check a response element's body against the table
 * @msg: one compound element, SMB2 header at offset 0
 * @len: bytes of it in memory (at least header + the body's fixed part)
 *
 * Reads Command and Status from the header, and checks the body's
 * StructureSize against the form smb2_rsp_body_kind() allows (for
 * SMB2_RSP_BODY_EITHER, a normal size wins where the two coincide) and
 * that the body's fixed part (StructureSize rounded down to even) is
 * present. It does not validate the body's fields: the decoder does.
 * Return: SMB2_RSP_BODY_NORMAL or SMB2_RSP_BODY_ERROR — the decoder to run
 * — or -EBADMSG (not an SMB2 response header, truncated, or a
 * StructureSize the table does not allow), -EPROTO (unknown command, or
 * CANCEL, which has no response), -EINVAL (@msg NULL).
 */
int smb2_rsp_check(const uint8_t *msg, size_t len);

#endif
