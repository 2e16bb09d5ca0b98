/* SPDX-License-Identifier: MIT */
/*
 * TREE_CONNECT (MS-SMB2 2.2.9, 2.2.10) and TREE_DISCONNECT (2.2.11/12).
 */
#ifndef SMBIOV_PROTO_TREE_H
#define SMBIOV_PROTO_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/smb2.h"

/* Header + fixed request body; the UTF-16LE path starts here. */
#define SMB2_TREE_CONNECT_REQ_LEN (SMB2_HDR_SIZE + 8)
#define SMB2_TREE_CONNECT_RSP_LEN (SMB2_HDR_SIZE + 16)

/**
 * struct smb2_tree_connect_req - TREE_CONNECT request
 * @flags: SMB2_TREE_CONNECT_FLAG_* (3.1.1; Reserved before). The
 *	EXTENSION_PRESENT form is not produced.
 * @path: when encoding, the share path "\\server\share" in UTF-8 (not
 *	NUL-terminated necessarily); when decoding, unused (NULL)
 * @path_len: bytes at @path
 * @path16: when decoding, the UTF-16LE path borrowed from the buffer
 * @path16_len: its byte length (even)
 */
struct smb2_tree_connect_req {
	uint16_t flags;
	const char *path;
	size_t path_len;
	const uint8_t *path16;
	size_t path16_len;
};

/**
 * struct smb2_tree_connect_rsp - decoded TREE_CONNECT response
 * @share_type: SMB2_SHARE_TYPE_DISK / PIPE / PRINT
 * @share_flags: SMB2_SHAREFLAG_*
 * @capabilities: SMB2_SHARE_CAP_*
 * @maximal_access: MaximalAccess (access mask)
 */
struct smb2_tree_connect_rsp {
	uint8_t share_type;
	uint32_t share_flags;
	uint32_t capabilities;
	uint32_t maximal_access;
};

/**
 * smb2_tree_connect_req_encode - encode TREE_CONNECT with its path
 * @out: output buffer; the path is converted to UTF-16LE into it (names
 *	are small, this is not payload)
 * @cap: bytes at @out
 * @hdr: header (command forced; SessionId must be set by the caller)
 * @req: @flags, @path, @path_len
 *
 * Return: bytes written, -EINVAL (empty or invalid UTF-8 path, or a path
 * longer than 65535 bytes in UTF-16), -ENOSPC.
 */
ssize_t smb2_tree_connect_req_encode(uint8_t *out, size_t cap,
				     const struct smb2_hdr *hdr,
				     const struct smb2_tree_connect_req *req);

/**
 * smb2_tree_connect_req_decode - decode a TREE_CONNECT request (fake
 *	servers, tests)
 * @buf: message, header at offset 0 (borrowed by @req->path16)
 * @len: message length
 * @req: result; @path16/@path16_len set, @path NULL
 *
 * Return: 0 or -EBADMSG (PathOffset/PathLength outside the message or in
 * the fixed part, odd PathLength, or the extension form).
 */
int smb2_tree_connect_req_decode(const uint8_t *buf, size_t len,
				 struct smb2_tree_connect_req *req);

/**
 * smb2_tree_connect_rsp_decode - decode a TREE_CONNECT response
 * @buf: element, header at offset 0
 * @len: element length
 * @rsp: result
 *
 * Return: 0, or -EBADMSG (short, wrong StructureSize, unknown ShareType).
 */
int smb2_tree_connect_rsp_decode(const uint8_t *buf, size_t len,
				 struct smb2_tree_connect_rsp *rsp);

/**
 * smb2_tree_connect_rsp_encode - encode a TREE_CONNECT response (fake
 *	servers, tests)
 * @out: output buffer
 * @cap: bytes at @out
 * @hdr: header (SERVER_TO_REDIR is set; TreeId carries the new tree)
 * @rsp: fields
 *
 * Return: SMB2_TREE_CONNECT_RSP_LEN, -EINVAL, -ENOSPC.
 */
ssize_t smb2_tree_connect_rsp_encode(uint8_t *out, size_t cap,
				     const struct smb2_hdr *hdr,
				     const struct smb2_tree_connect_rsp *rsp);

/**
 * smb2_tree_disconnect_req_encode - TREE_DISCONNECT request (2.2.11)
 * @out: output buffer
 * @cap: bytes at @out
 * @hdr: header (its TreeId names the tree)
 *
 * Return: SMB2_SIMPLE_MSG_LEN or -ENOSPC/-EINVAL.
 */
ssize_t smb2_tree_disconnect_req_encode(uint8_t *out, size_t cap,
					const struct smb2_hdr *hdr);

/**
 * smb2_tree_disconnect_rsp_decode - check a TREE_DISCONNECT response
 * @buf: element, header at offset 0
 * @len: element length
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_tree_disconnect_rsp_decode(const uint8_t *buf, size_t len);

#endif
