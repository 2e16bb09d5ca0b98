// SPDX-License-Identifier: MIT
/*
 * The per-command response table (MS-SMB2 2.2.2, 3.3.4.4; DESIGN.md
 * §6.13). StructureSize values are those of the response sections named
 * in each row. The special statuses are the list of MS-SMB2 3.3.4.4
 * "Sending an Error Response" ("An error code other than one of the
 * following indicates a failure"):
 *  - STATUS_MORE_PROCESSING_REQUIRED in SESSION_SETUP (2.2.6);
 *  - STATUS_BUFFER_OVERFLOW in QUERY_INFO (2.2.38);
 *  - STATUS_BUFFER_OVERFLOW in IOCTL for FSCTL_PIPE_TRANSCEIVE,
 *    FSCTL_PIPE_PEEK and FSCTL_DFS_GET_REFERRALS (2.2.32) — other FSCTLs
 *    fail with the error form, hence EITHER;
 *  - STATUS_BUFFER_OVERFLOW in READ on a named pipe (2.2.20) — a file READ
 *    would fail with the error form, hence EITHER;
 *  - STATUS_INVALID_PARAMETER in IOCTL for FSCTL_SRV_COPYCHUNK(_WRITE)
 *    returning an SRV_COPYCHUNK_RESPONSE (3.3.5.15.6.2) — otherwise the
 *    error form, hence EITHER;
 *  - STATUS_NOTIFY_ENUM_DIR in CHANGE_NOTIFY (2.2.36).
 * STATUS_NOTIFY_CLEANUP (a success-severity code, so not an "error code"
 * in 3.3.4.4's sense) is allowed either form on CHANGE_NOTIFY; both are
 * StructureSize 9 there. STATUS_NO_MORE_FILES, STATUS_STOPPED_ON_SYMLINK,
 * STATUS_BUFFER_TOO_SMALL and an interim STATUS_PENDING (3.3.4.2) carry
 * the ERROR Response, as every status not listed.
 */
#include "proto/rsp_table.h"

#include <errno.h>

#include "proto/le.h"
#include "proto/ntstatus.h"
#include "proto/smb2.h"

#define NORMAL SMB2_RSP_BODY_NORMAL
#define EITHER SMB2_RSP_BODY_EITHER

#define ROW(cmd, ...) [cmd] = {.command = cmd, .name = #cmd, __VA_ARGS__}

static const struct smb2_rsp_desc rsp_table[SMB2_OPLOCK_BREAK + 1] = {
	ROW(SMB2_NEGOTIATE, .sizes = {SMB2_NEGOTIATE_RSP_SIZE}), /* 2.2.4 */
	ROW(SMB2_SESSION_SETUP, .sizes = {SMB2_SESSION_SETUP_RSP_SIZE},
	    .special = {{STATUS_MORE_PROCESSING_REQUIRED, NORMAL}}), /* 2.2.6 */
	ROW(SMB2_LOGOFF, .sizes = {SMB2_LOGOFF_SIZE}),		     /* 2.2.8 */
	ROW(SMB2_TREE_CONNECT,
	    .sizes = {SMB2_TREE_CONNECT_RSP_SIZE}), /* 2.2.10 */
	ROW(SMB2_TREE_DISCONNECT,
	    .sizes = {SMB2_TREE_DISCONNECT_SIZE}),	   /* 2.2.12 */
	ROW(SMB2_CREATE, .sizes = {SMB2_CREATE_RSP_SIZE}), /* 2.2.14 */
	ROW(SMB2_CLOSE, .sizes = {SMB2_CLOSE_RSP_SIZE}),   /* 2.2.16 */
	ROW(SMB2_FLUSH, .sizes = {SMB2_FLUSH_RSP_SIZE}),   /* 2.2.18 */
	ROW(SMB2_READ, .sizes = {SMB2_READ_RSP_SIZE},
	    .special = {{STATUS_BUFFER_OVERFLOW, EITHER}}), /* 2.2.20 */
	ROW(SMB2_WRITE, .sizes = {SMB2_WRITE_RSP_SIZE}),    /* 2.2.22 */
	ROW(SMB2_LOCK, .sizes = {SMB2_LOCK_RSP_SIZE}),	    /* 2.2.27 */
	ROW(SMB2_IOCTL, .sizes = {SMB2_IOCTL_RSP_SIZE},
	    .special = {{STATUS_BUFFER_OVERFLOW, EITHER},
			{STATUS_INVALID_PARAMETER, EITHER}}), /* 2.2.32 */
	ROW(SMB2_CANCEL), /* 2.2.30: no response of its own */
	ROW(SMB2_ECHO, .sizes = {SMB2_ECHO_SIZE}), /* 2.2.29 */
	ROW(SMB2_QUERY_DIRECTORY,
	    .sizes = {SMB2_QUERY_DIRECTORY_RSP_SIZE}), /* 2.2.34 */
	ROW(SMB2_CHANGE_NOTIFY, .sizes = {SMB2_CHANGE_NOTIFY_RSP_SIZE},
	    .special = {{STATUS_NOTIFY_ENUM_DIR, NORMAL},
			{STATUS_NOTIFY_CLEANUP, EITHER}}), /* 2.2.36 */
	ROW(SMB2_QUERY_INFO, .sizes = {SMB2_QUERY_INFO_RSP_SIZE},
	    .special = {{STATUS_BUFFER_OVERFLOW, NORMAL}}),    /* 2.2.38 */
	ROW(SMB2_SET_INFO, .sizes = {SMB2_SET_INFO_RSP_SIZE}), /* 2.2.40 */
	/*
	 * Oplock Break Notification/Response (2.2.23.1, 2.2.25.1: 24),
	 * Lease Break Response (2.2.25.2: 36), Lease Break Notification
	 * (2.2.23.2: 44).
	 */
	ROW(SMB2_OPLOCK_BREAK,
	    .sizes = {SMB2_OPLOCK_BREAK_SIZE, SMB2_LEASE_BREAK_ACK_SIZE,
		      SMB2_LEASE_BREAK_NOTIFY_SIZE}),
};

#undef ROW

/**
 * smb2_rsp_desc - the table row of a command
 * @command: SMB2 command code
 *
 * See rsp_table.h. Return: the row or NULL.
 */
const struct smb2_rsp_desc *smb2_rsp_desc(uint16_t command)
{
	if (command >= sizeof(rsp_table) / sizeof(rsp_table[0]))
		return NULL;
	return &rsp_table[command];
}

/**
 * smb2_rsp_body_kind - which body a response with @status carries
 * @command: SMB2 command code
 * @status: NTSTATUS from the response header
 *
 * See rsp_table.h. Return: an enum smb2_rsp_body value or -EPROTO.
 */
int smb2_rsp_body_kind(uint16_t command, uint32_t status)
{
	const struct smb2_rsp_desc *d = smb2_rsp_desc(command);

	if (!d || !d->sizes[0])
		return -EPROTO;
	if (status == STATUS_SUCCESS)
		return SMB2_RSP_BODY_NORMAL;
	for (size_t i = 0; i < SMB2_RSP_SPECIAL_MAX && d->special[i].body; i++)
		if (d->special[i].status == status)
			return d->special[i].body;
	return SMB2_RSP_BODY_ERROR;
}

static int normal_size(const struct smb2_rsp_desc *d, uint16_t size)
{
	for (size_t i = 0; i < SMB2_RSP_SIZES_MAX && d->sizes[i]; i++)
		if (d->sizes[i] == size)
			return 1;
	return 0;
}

/**
 * smb2_rsp_check - check a response element's body against the table
 * @msg: one compound element, SMB2 header at offset 0
 * @len: bytes of it in memory
 *
 * See rsp_table.h. Return: SMB2_RSP_BODY_NORMAL, SMB2_RSP_BODY_ERROR,
 * -EBADMSG, -EPROTO or -EINVAL.
 */
int smb2_rsp_check(const uint8_t *msg, size_t len)
{
	uint16_t command, size;
	int kind;

	if (!msg)
		return -EINVAL;
	/* A response header, and the body's StructureSize field after it. */
	if (len < SMB2_HDR_SIZE + 2 || le32_get(msg) != SMB2_PROTO_ID ||
	    le16_get(msg + 4) != SMB2_HDR_SIZE ||
	    !(le32_get(msg + SMB2_HDR_FLAGS_OFF) & SMB2_FLAGS_SERVER_TO_REDIR))
		return -EBADMSG;
	command = le16_get(msg + 12);
	kind = smb2_rsp_body_kind(command, le32_get(msg + 8));
	if (kind < 0)
		return kind;
	size = le16_get(msg + SMB2_HDR_SIZE);
	if (kind != SMB2_RSP_BODY_ERROR &&
	    normal_size(smb2_rsp_desc(command), size))
		kind = SMB2_RSP_BODY_NORMAL;
	else if (kind != SMB2_RSP_BODY_NORMAL && size == SMB2_ERROR_RSP_SIZE)
		kind = SMB2_RSP_BODY_ERROR;
	else
		return -EBADMSG;
	/* The fixed part must be there; the odd byte is the variable part. */
	if (len - SMB2_HDR_SIZE < (size_t)(size & ~1u))
		return -EBADMSG;
	return kind;
}
