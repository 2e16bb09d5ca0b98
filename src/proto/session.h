/* SPDX-License-Identifier: MIT */
/*
 * SESSION_SETUP (MS-SMB2 2.2.5, 2.2.6) and LOGOFF (2.2.7, 2.2.8).
 */
#ifndef SMBIOV_PROTO_SESSION_H
#define SMBIOV_PROTO_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/smb2.h"

/* Header + fixed request body; the security buffer starts here. */
#define SMB2_SESSION_SETUP_REQ_LEN (SMB2_HDR_SIZE + 24)
/* Header + fixed response body. */
#define SMB2_SESSION_SETUP_RSP_MIN (SMB2_HDR_SIZE + 8)

/**
 * struct smb2_session_setup_req - SESSION_SETUP request fields
 * @flags: SMB2_SESSION_FLAG_BINDING or 0
 * @security_mode: SMB2_NEGOTIATE_SIGNING_* (one byte on the wire)
 * @capabilities: SMB2_GLOBAL_CAP_DFS only is meaningful
 * @channel: Channel, must be 0
 * @previous_session_id: PreviousSessionId for reconnect, else 0
 * @sec_buf: security blob (NTLMSSP/SPNEGO token) in caller memory; the
 *	encoder does not copy it (DESIGN.md §6.5): the caller sends it
 *	right after the encoded bytes and keeps it alive until sent. When
 *	decoding it borrows the decoded buffer.
 * @sec_len: blob length, at most 65535
 */
struct smb2_session_setup_req {
	uint8_t flags;
	uint8_t security_mode;
	uint32_t capabilities;
	uint32_t channel;
	uint64_t previous_session_id;
	const uint8_t *sec_buf;
	size_t sec_len;
};

/**
 * struct smb2_session_setup_rsp - decoded SESSION_SETUP response
 * @session_flags: SMB2_SESSION_FLAG_IS_GUEST / IS_NULL / ENCRYPT_DATA
 * @sec_buf: security blob, borrowed from the decoded buffer (NULL if
 *	@sec_len is 0)
 * @sec_len: SecurityBufferLength
 */
struct smb2_session_setup_rsp {
	uint16_t session_flags;
	const uint8_t *sec_buf;
	uint16_t sec_len;
};

/**
 * smb2_session_setup_req_encode - header + fixed SESSION_SETUP request
 * @out: output buffer (SMB2_SESSION_SETUP_REQ_LEN bytes needed)
 * @cap: bytes at @out
 * @hdr: header fields (command forced to SESSION_SETUP)
 * @req: fields; SecurityBufferOffset is set to SMB2_SESSION_SETUP_REQ_LEN
 *	and SecurityBufferLength to @req->sec_len
 *
 * Writes only the header and fixed part; @req->sec_buf is sent from the
 * caller's memory after it (one sendmsg with two iovecs).
 *
 * Return: SMB2_SESSION_SETUP_REQ_LEN, -EINVAL (@sec_len > 65535), -ENOSPC.
 */
ssize_t smb2_session_setup_req_encode(uint8_t *out, size_t cap,
				      const struct smb2_hdr *hdr,
				      const struct smb2_session_setup_req *req);

/**
 * smb2_session_setup_req_decode - decode a SESSION_SETUP request (fake
 *	servers and tests)
 * @buf: message, header at offset 0 (borrowed by @req->sec_buf)
 * @len: message length
 * @req: result
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_session_setup_req_decode(const uint8_t *buf, size_t len,
				  struct smb2_session_setup_req *req);

/**
 * smb2_session_setup_rsp_decode - decode a SESSION_SETUP response
 * @buf: element, header at offset 0 (borrowed by @rsp->sec_buf)
 * @len: element length
 * @rsp: result
 *
 * Works for STATUS_SUCCESS and STATUS_MORE_PROCESSING_REQUIRED replies
 * (both carry this body). SecurityBufferOffset/Length must lie inside the
 * element and after the fixed part (bug class 4).
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_session_setup_rsp_decode(const uint8_t *buf, size_t len,
				  struct smb2_session_setup_rsp *rsp);

/**
 * smb2_session_setup_rsp_encode - encode a SESSION_SETUP response (fake
 *	servers, tests), copying the blob after the fixed part
 * @out: output buffer
 * @cap: bytes at @out
 * @hdr: header (SERVER_TO_REDIR is set)
 * @rsp: fields
 *
 * Return: bytes written, -EINVAL, -ENOSPC.
 */
ssize_t smb2_session_setup_rsp_encode(uint8_t *out, size_t cap,
				      const struct smb2_hdr *hdr,
				      const struct smb2_session_setup_rsp *rsp);

/**
 * smb2_logoff_req_encode - LOGOFF request (MS-SMB2 2.2.7)
 * @out: output buffer
 * @cap: bytes at @out
 * @hdr: header (its SessionId names the session)
 *
 * Return: SMB2_SIMPLE_MSG_LEN or -ENOSPC/-EINVAL.
 */
ssize_t smb2_logoff_req_encode(uint8_t *out, size_t cap,
			       const struct smb2_hdr *hdr);

/**
 * smb2_logoff_rsp_decode - check a LOGOFF response (MS-SMB2 2.2.8)
 * @buf: element, header at offset 0
 * @len: element length
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_logoff_rsp_decode(const uint8_t *buf, size_t len);

#endif
