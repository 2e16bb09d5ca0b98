/* SPDX-License-Identifier: MIT */
/*
 * SMB2 IOCTL (MS-SMB2 2.2.31, 2.2.32) and the FSCTLs the client issues:
 * FSCTL_VALIDATE_NEGOTIATE_INFO (2.2.31.4, 2.2.32.6),
 * FSCTL_SRV_REQUEST_RESUME_KEY (2.2.32.3) and FSCTL_SRV_COPYCHUNK[_WRITE]
 * (2.2.31.1, 2.2.32.1). See proto/create.h for the conventions; FSCTL
 * helpers work on the IOCTL input/output buffers themselves.
 */
#ifndef SMBIOV_PROTO_IOCTL_H
#define SMBIOV_PROTO_IOCTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/create.h"

/* CtlCode values (MS-SMB2 2.2.31, MS-FSCC 2.3) */
#define FSCTL_DFS_GET_REFERRALS	      0x00060194u
#define FSCTL_PIPE_TRANSCEIVE	      0x0011C017u
#define FSCTL_SRV_REQUEST_RESUME_KEY  0x00140078u
#define FSCTL_VALIDATE_NEGOTIATE_INFO 0x00140204u
#define FSCTL_SRV_COPYCHUNK	      0x001440F2u
#define FSCTL_SRV_COPYCHUNK_WRITE     0x001480F2u
#define FSCTL_SET_ZERO_DATA	      0x000980C8u /* MS-FSCC 2.3.85 */

#define SMB2_0_IOCTL_IS_FSCTL 0x00000001u

#define SMB2_IOCTL_REQ_FIXED 56
#define SMB2_IOCTL_RSP_FIXED 48

/* FileId for IOCTLs not tied to an open (validate negotiate: 2.2.31). */
#define SMB2_FILEID_NONE_PART 0xFFFFFFFFFFFFFFFFull

#define SMB2_RESUME_KEY_SIZE	  24
#define SMB2_VNEG_REQ_FIXED	  24
#define SMB2_VNEG_RSP_SIZE	  24
#define SMB2_COPYCHUNK_REQ_FIXED  32
#define SMB2_COPYCHUNK_ENTRY_SIZE 24
#define SMB2_COPYCHUNK_RSP_SIZE	  12
#define SMB2_ZERO_DATA_SIZE	  16

/**
 * struct smb2_ioctl_req - IOCTL request fields (MS-SMB2 2.2.31)
 * @ctl_code: CtlCode (FSCTL_*)
 * @fid: target handle (both parts SMB2_FILEID_NONE_PART when none)
 * @max_input_rsp: MaxInputResponse
 * @max_output_rsp: MaxOutputResponse
 * @flags: SMB2_0_IOCTL_IS_FSCTL or 0
 */
struct smb2_ioctl_req {
	uint32_t ctl_code;
	struct smb2_fileid fid;
	uint32_t max_input_rsp;
	uint32_t max_output_rsp;
	uint32_t flags;
};

/**
 * smb2_ioctl_req_encode - encode an IOCTL request body
 * @buf: body buffer (after the SMB2 header)
 * @cap: bytes at @buf
 * @req: request fields
 * @input: input buffer; may already sit at @buf + 56 (encode it in place
 *	to avoid a copy); NULL when @input_len is 0
 * @input_len: bytes at @input
 *
 * Input is placed at offset 120; no output buffer is sent. Without input
 * one zero Buffer byte is sent (StructureSize 57).
 * Return: body length, -EINVAL, -ENOSPC.
 */
ssize_t smb2_ioctl_req_encode(uint8_t *buf, size_t cap,
			      const struct smb2_ioctl_req *req,
			      const uint8_t *input, size_t input_len);

/**
 * struct smb2_ioctl_rsp - decoded IOCTL response (MS-SMB2 2.2.32)
 * @input: echoed input, borrows the message (NULL when empty)
 * @output: output buffer, borrows the message (NULL when empty)
 */
struct smb2_ioctl_rsp {
	uint32_t ctl_code;
	struct smb2_fileid fid;
	const uint8_t *input;
	uint32_t input_len;
	const uint8_t *output;
	uint32_t output_len;
	uint32_t flags;
};

/**
 * smb2_ioctl_rsp_decode - decode an IOCTL response
 * @msg: response element, header first
 * @len: bytes in it
 * @max_out: the MaxOutputResponse we sent
 * @rsp: filled on success
 *
 * InputOffset/InputCount and OutputOffset/OutputCount must each lie inside
 * the element after the fixed part, computed in 64 bits (bug class 4; the
 * libsmb2 fix in bae5ef5 sized a copy by one count and copied both).
 * Return: 0, -EBADMSG, -EPROTO (OutputCount > @max_out).
 */
int smb2_ioctl_rsp_decode(const uint8_t *msg, size_t len, uint32_t max_out,
			  struct smb2_ioctl_rsp *rsp);

/**
 * struct smb2_vneg - VALIDATE_NEGOTIATE_INFO request/response
 *	(MS-SMB2 2.2.31.4, 2.2.32.6)
 * @capabilities: Capabilities
 * @guid: ClientGuid (request) / ServerGuid (response)
 * @security_mode: SecurityMode
 * @dialect: Dialect (response only)
 * @dialects: Dialects (request only), @dialect_count of them
 * @dialect_count: DialectCount (request only)
 */
struct smb2_vneg {
	uint32_t capabilities;
	uint8_t guid[16];
	uint16_t security_mode;
	uint16_t dialect;
	const uint16_t *dialects;
	uint16_t dialect_count;
};

/**
 * smb2_vneg_req_encode - VALIDATE_NEGOTIATE_INFO input (MS-SMB2 2.2.31.4)
 * @p: output (the IOCTL input buffer)
 * @cap: bytes at @p
 * @v: Capabilities, ClientGuid, SecurityMode and the dialects we offered
 *	in NEGOTIATE (exactly as sent there)
 *
 * Return: 24 + 2 * dialect_count, -EINVAL (no dialects), -ENOSPC.
 */
ssize_t smb2_vneg_req_encode(uint8_t *p, size_t cap, const struct smb2_vneg *v);
/**
 * smb2_vneg_rsp_decode - VALIDATE_NEGOTIATE_INFO output (MS-SMB2 2.2.32.6)
 * @p: IOCTL output buffer
 * @len: its length (>= 24)
 * @v: Capabilities, ServerGuid, SecurityMode, Dialect
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_vneg_rsp_decode(const uint8_t *p, size_t len, struct smb2_vneg *v);

/**
 * smb2_vneg_rsp_check - compare a validate-negotiate reply with the values
 *	the NEGOTIATE exchange produced (MS-SMB2 3.2.5.14.12 / 3.2.4.1.x)
 * @got: decoded reply
 * @want: Capabilities, ServerGuid, SecurityMode and Dialect from NEGOTIATE
 *
 * Any difference means the negotiate was tampered with (downgrade): the
 * client must drop the connection (bug class 12).
 * Return: 0 or -EPROTO.
 */
int smb2_vneg_rsp_check(const struct smb2_vneg *got,
			const struct smb2_vneg *want);

/**
 * smb2_resume_key_rsp_decode - decode SRV_REQUEST_RESUME_KEY output
 *	(MS-SMB2 2.2.32.3)
 * @p: IOCTL output buffer
 * @len: its length
 * @key: receives the 24-byte ResumeKey
 *
 * ContextLength must fit in what follows the key.
 * Return: 0 or -EBADMSG.
 */
int smb2_resume_key_rsp_decode(const uint8_t *p, size_t len,
			       uint8_t key[SMB2_RESUME_KEY_SIZE]);

/**
 * smb2_zero_data_encode - FILE_ZERO_DATA_INFORMATION (MS-FSCC 2.3.86), the
 *	input of FSCTL_SET_ZERO_DATA: zero [@off, @end)
 * @p: output (the IOCTL input buffer), at least SMB2_ZERO_DATA_SIZE bytes
 * @cap: bytes at @p
 *
 * Return: 16, -EINVAL (@end < @off, or past INT64_MAX: the fields are
 * signed), -ENOSPC.
 */
ssize_t smb2_zero_data_encode(uint8_t *p, size_t cap, uint64_t off,
			      uint64_t end);

/* One SRV_COPYCHUNK entry (MS-SMB2 2.2.31.1.1). */
struct smb2_copychunk {
	uint64_t source_offset;
	uint64_t target_offset;
	uint32_t length;
};

/**
 * smb2_copychunk_req_encode - encode SRV_COPYCHUNK_COPY input
 *	(MS-SMB2 2.2.31.1)
 * @p: output (the IOCTL input buffer)
 * @cap: bytes at @p
 * @key: ResumeKey of the source open
 * @chunks: chunk list
 * @count: entries in @chunks (1..65535; servers cap far lower)
 *
 * Return: 32 + 24 * @count, -EINVAL, -ENOSPC.
 */
ssize_t smb2_copychunk_req_encode(uint8_t *p, size_t cap,
				  const uint8_t key[SMB2_RESUME_KEY_SIZE],
				  const struct smb2_copychunk *chunks,
				  uint32_t count);

/*
 * SRV_COPYCHUNK_RESPONSE (MS-SMB2 2.2.32.1). On success: what was written.
 * With STATUS_INVALID_PARAMETER the same fields carry the server's limits
 * (max chunks, max chunk size, max total), see 3.3.5.15.6.
 */
struct smb2_copychunk_rsp {
	uint32_t chunks_written;
	uint32_t chunk_bytes_written;
	uint32_t total_bytes_written;
};

/**
 * smb2_copychunk_rsp_decode - SRV_COPYCHUNK_RESPONSE (MS-SMB2 2.2.32.1)
 * @p: IOCTL output buffer
 * @len: its length (>= 12)
 * @r: the three counters
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_copychunk_rsp_decode(const uint8_t *p, size_t len,
			      struct smb2_copychunk_rsp *r);

#endif
