/* SPDX-License-Identifier: MIT */
/*
 * SMB2 READ (MS-SMB2 2.2.19, 2.2.20) and WRITE (2.2.21, 2.2.22).
 *
 * Payload is never copied here (DESIGN.md §3, §6.4, §6.5):
 *  - READ: the transport receives the 64-byte header plus the 16-byte fixed
 *    response body into a small buffer, asks smb2_read_rsp_plan() what to
 *    do with the rest of the frame, and executes the plan with recvmsg:
 *    padding to DISCARD, DataLength bytes straight into the caller's
 *    iterator, anything after to DISCARD.
 *  - WRITE: smb2_write_req_encode() writes only the 48-byte fixed part; the
 *    data goes out as the caller's iterator right behind it in one send.
 * See proto/create.h for the encoder/decoder conventions.
 */
#ifndef SMBIOV_PROTO_RW_H
#define SMBIOV_PROTO_RW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <smbiov/iter.h>

#include "proto/create.h"

#define SMB2_READ_REQ_FIXED  48
#define SMB2_READ_RSP_FIXED  16
#define SMB2_WRITE_REQ_FIXED 48
#define SMB2_WRITE_RSP_FIXED 16
/* Bytes of a READ response the transport reads before asking for a plan. */
#define SMB2_READ_RSP_HDR_LEN (SMB2_HDR_SIZE + SMB2_READ_RSP_FIXED)
/* Where our WRITE data starts, counted from the header (2.2.21). */
#define SMB2_WRITE_DATA_OFFSET (SMB2_HDR_SIZE + SMB2_WRITE_REQ_FIXED)

/* READ request Flags (MS-SMB2 2.2.19), 3.0.2+ / 3.1.1+ only. */
#define SMB2_READFLAG_READ_UNBUFFERED	 0x01
#define SMB2_READFLAG_REQUEST_COMPRESSED 0x02
/* WRITE request Flags (MS-SMB2 2.2.21). */
#define SMB2_WRITEFLAG_WRITE_THROUGH	0x00000001u
#define SMB2_WRITEFLAG_WRITE_UNBUFFERED 0x00000002u

/**
 * struct smb2_read_req - READ request fields (MS-SMB2 2.2.19)
 * @fid: open handle
 * @offset: file offset
 * @length: bytes wanted (<= negotiated MaxReadSize; the client checks)
 * @minimum_count: MinimumCount (0: any short read is fine)
 * @remaining: RemainingBytes hint
 * @flags: SMB2_READFLAG_*
 */
struct smb2_read_req {
	struct smb2_fileid fid;
	uint64_t offset;
	uint32_t length;
	uint32_t minimum_count;
	uint32_t remaining;
	uint8_t flags;
};

/**
 * smb2_read_req_encode - encode a READ request body
 * @buf: body buffer (after the SMB2 header)
 * @cap: bytes at @buf
 * @req: request fields
 *
 * Writes 49 bytes: the fixed part plus the one zero Buffer byte the spec
 * requires when there is no channel info. Padding asks the server to put
 * the data at offset 80, right after its fixed part, so no DISCARD step is
 * normally needed. Channel is SMB2_CHANNEL_NONE.
 *
 * Return: 49, -EINVAL or -ENOSPC.
 */
ssize_t smb2_read_req_encode(uint8_t *buf, size_t cap,
			     const struct smb2_read_req *req);

/* What to do with the next bytes of a frame. */
enum smb2_recv_sink {
	SMB2_RECV_DISCARD = 0, /* drain into a DISCARD iterator */
	SMB2_RECV_PAYLOAD = 1, /* receive into the caller's iterator */
};

struct smb2_recv_step {
	uint8_t sink; /* enum smb2_recv_sink */
	uint32_t len;
};

/**
 * struct smb2_read_plan - receive plan for the rest of a READ response
 * @data_offset: DataOffset, from the header start (valid if @data_len)
 * @data_len: DataLength: bytes that go to the caller's iterator
 * @data_remaining: DataRemaining from the server
 * @flags: Reserved2/Flags (e.g. RDMA transform, 3.1.1)
 * @pad: bytes between the fixed part and the data (discarded)
 * @tail: bytes after the data up to the end of the element (discarded)
 * @nr_steps: steps used in @steps (0..3), in receive order
 * @steps: the plan: [@pad -> DISCARD] [@data_len -> PAYLOAD] [@tail -> DISCARD]
 *
 * The steps start at frame offset SMB2_READ_RSP_HDR_LEN (80) and together
 * cover exactly the rest of the element: 80 + sum(steps) == frame length.
 */
struct smb2_read_plan {
	uint32_t data_offset;
	uint32_t data_len;
	uint32_t data_remaining;
	uint32_t flags;
	uint32_t pad;
	uint32_t tail;
	unsigned int nr_steps;
	struct smb2_recv_step steps[3];
};

/**
 * smb2_read_rsp_plan - validate a READ response and plan its payload
 * @hdr: the first bytes of the response element (SMB2 header first)
 * @hdr_len: bytes available at @hdr (at least SMB2_READ_RSP_HDR_LEN)
 * @frame_len: length of the whole element as framed by the transport
 *	(StreamProtocolLength, or NextCommand inside a compound)
 * @requested: the Length our READ request asked for
 * @plan: filled on success
 *
 * Checks StructureSize 17 and then DataOffset/DataLength against what was
 * asked (MS-SMB2 3.2.5.12; bug class 4): DataLength <= @requested, and for a
 * non-empty read DataOffset >= 80 and DataOffset + DataLength <= @frame_len,
 * in 64-bit arithmetic. Only the 80-byte fixed prefix is parsed; the payload
 * is never touched, so the same call serves a frame held fully in memory
 * (@hdr_len == @frame_len) and one still on the socket.
 *
 * Return: 0; -EINVAL if @hdr_len < 80 while @frame_len >= 80 or @hdr_len >
 * @frame_len (caller bug); -EBADMSG for a malformed response (frame shorter
 * than 80, wrong StructureSize, data outside the frame or inside the fixed
 * part); -EPROTO if the server returned more than @requested.
 */
int smb2_read_rsp_plan(const uint8_t *hdr, size_t hdr_len, size_t frame_len,
		       uint32_t requested, struct smb2_read_plan *plan);

/**
 * struct smb2_write_req - WRITE request fields (MS-SMB2 2.2.21)
 * @fid: open handle
 * @offset: file offset
 * @remaining: RemainingBytes hint
 * @flags: SMB2_WRITEFLAG_*
 */
struct smb2_write_req {
	struct smb2_fileid fid;
	uint64_t offset;
	uint32_t remaining;
	uint32_t flags;
};

/**
 * smb2_write_req_encode - encode the fixed part of a WRITE request
 * @buf: body buffer (after the SMB2 header)
 * @cap: bytes at @buf
 * @req: request fields
 * @data: the payload, a SOURCE iterator; only its count is read
 *
 * Sets DataOffset = 112 (header + fixed part) and Length = the iterator's
 * count. The payload is not copied: the caller sends header + these bytes,
 * then @data, back to back (the iterator must stay valid until the send
 * completes). A zero-length write gets one zero Buffer byte so the body is
 * never shorter than StructureSize 49 implies.
 *
 * Return: 48 (or 49 for an empty write), -EINVAL (NULL, a DEST iterator, a
 * count over 4 GiB), -ENOSPC.
 */
ssize_t smb2_write_req_encode(uint8_t *buf, size_t cap,
			      const struct smb2_write_req *req,
			      const struct smbiov_iter *data);

struct smb2_write_rsp {
	uint32_t count; /* bytes written */
	uint32_t remaining;
};

/**
 * smb2_write_rsp_decode - decode a WRITE response (MS-SMB2 2.2.22)
 * @msg: response element, header first
 * @len: bytes in it
 * @requested: the Length our request sent
 * @rsp: filled on success
 *
 * Return: 0, -EBADMSG, or -EPROTO when Count exceeds @requested.
 */
int smb2_write_rsp_decode(const uint8_t *msg, size_t len, uint32_t requested,
			  struct smb2_write_rsp *rsp);

#endif
