/* SPDX-License-Identifier: MIT */
/*
 * SMB2 OPLOCK_BREAK command family (MS-SMB2 2.2.23 - 2.2.25): oplock and
 * lease break notifications from the server, the client's acknowledgements
 * and the server's responses; plus byte-range LOCK (2.2.26, 2.2.27), the
 * other per-open coherency command. See proto/create.h for conventions.
 *
 * All three OPLOCK_BREAK shapes share one command code; they are told apart
 * by StructureSize (24 oplock, 44 lease notification, 36 lease ack and
 * response), see smb2_break_classify(). Unsolicited notifications carry
 * MessageId 0xFFFFFFFFFFFFFFFF (SMB2_UNSOLICITED_MESSAGE_ID).
 */
#ifndef SMBIOV_PROTO_OPLOCK_H
#define SMBIOV_PROTO_OPLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/create.h"

#define SMB2_OPLOCK_BREAK_FIXED	      24
#define SMB2_LEASE_BREAK_NOTIFY_FIXED 44
#define SMB2_LEASE_BREAK_ACK_FIXED    36

/* Lease break notification Flags (MS-SMB2 2.2.23.2) */
#define SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED 0x00000001u

enum smb2_break_kind {
	SMB2_BREAK_OPLOCK = 1,	     /* 2.2.23.1 / 2.2.24.1 / 2.2.25.1 */
	SMB2_BREAK_LEASE_NOTIFY = 2, /* 2.2.23.2 */
	SMB2_BREAK_LEASE_ACK = 3,    /* 2.2.24.2 / 2.2.25.2 */
};

/**
 * smb2_break_classify - which OPLOCK_BREAK body an element carries
 * @msg: element, header first
 * @len: bytes in it
 *
 * Return: an enum smb2_break_kind, or -EBADMSG (too short for the
 * StructureSize field, or an unknown StructureSize).
 */
int smb2_break_classify(const uint8_t *msg, size_t len);

/* Oplock break notification, acknowledgement and response share a body. */
struct smb2_oplock_break {
	uint8_t oplock_level; /* SMB2_OPLOCK_LEVEL_* */
	struct smb2_fileid fid;
};

/**
 * smb2_oplock_break_decode - oplock break notification or response
 *	(MS-SMB2 2.2.23.1, 2.2.25.1)
 * @msg: element, header first
 * @len: bytes in it
 * @ob: new OplockLevel and FileId
 *
 * Return: 0 or -EBADMSG (short or StructureSize not 24).
 */
int smb2_oplock_break_decode(const uint8_t *msg, size_t len,
			     struct smb2_oplock_break *ob);
/**
 * smb2_oplock_break_ack_encode - oplock break acknowledgement body
 *	(MS-SMB2 2.2.24.1)
 * @buf: body buffer (after the SMB2 header)
 * @cap: bytes at @buf
 * @ob: the level the client accepts and the FileId from the notification
 *
 * Return: 24, -EINVAL, -ENOSPC.
 */
ssize_t smb2_oplock_break_ack_encode(uint8_t *buf, size_t cap,
				     const struct smb2_oplock_break *ob);

/* Lease break notification (MS-SMB2 2.2.23.2). */
struct smb2_lease_break {
	uint16_t new_epoch;
	uint32_t flags; /* SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED */
	uint8_t key[SMB2_LEASE_KEY_SIZE];
	uint32_t current_state;
	uint32_t new_state;
	uint32_t break_reason;
	uint32_t access_mask_hint;
	uint32_t share_mask_hint;
};

/**
 * smb2_lease_break_decode - lease break notification (MS-SMB2 2.2.23.2)
 * @msg: element, header first
 * @len: bytes in it
 * @lb: filled on success
 *
 * Return: 0 or -EBADMSG (short or StructureSize not 44).
 */
int smb2_lease_break_decode(const uint8_t *msg, size_t len,
			    struct smb2_lease_break *lb);

/* Lease break acknowledgement / response (MS-SMB2 2.2.24.2, 2.2.25.2). */
struct smb2_lease_ack {
	uint32_t flags; /* reserved in the ack */
	uint8_t key[SMB2_LEASE_KEY_SIZE];
	uint32_t state;
	uint64_t duration; /* reserved */
};

/**
 * smb2_lease_break_ack_encode - lease break acknowledgement body
 *	(MS-SMB2 2.2.24.2)
 * @buf: body buffer (after the SMB2 header)
 * @cap: bytes at @buf
 * @ack: LeaseKey and the LeaseState the client keeps (Flags and
 *	LeaseDuration are reserved and sent as 0)
 *
 * Return: 36, -EINVAL, -ENOSPC.
 */
ssize_t smb2_lease_break_ack_encode(uint8_t *buf, size_t cap,
				    const struct smb2_lease_ack *ack);
/**
 * smb2_lease_break_rsp_decode - lease break response (MS-SMB2 2.2.25.2)
 * @msg: element, header first
 * @len: bytes in it
 * @ack: LeaseKey and granted LeaseState
 *
 * Return: 0 or -EBADMSG (short or StructureSize not 36).
 */
int smb2_lease_break_rsp_decode(const uint8_t *msg, size_t len,
				struct smb2_lease_ack *ack);

/* ---- LOCK (MS-SMB2 2.2.26, 2.2.27) -------------------------------------- */

#define SMB2_LOCKFLAG_SHARED_LOCK      0x00000001u
#define SMB2_LOCKFLAG_EXCLUSIVE_LOCK   0x00000002u
#define SMB2_LOCKFLAG_UNLOCK	       0x00000004u
#define SMB2_LOCKFLAG_FAIL_IMMEDIATELY 0x00000010u

#define SMB2_LOCK_REQ_FIXED    24
#define SMB2_LOCK_ELEMENT_SIZE 24
#define SMB2_LOCK_RSP_FIXED    4

/* One SMB2_LOCK_ELEMENT (MS-SMB2 2.2.26.1). */
struct smb2_lock_element {
	uint64_t offset;
	uint64_t length;
	uint32_t flags; /* SMB2_LOCKFLAG_* */
};

/**
 * struct smb2_lock_req - LOCK request (MS-SMB2 2.2.26)
 * @fid: handle
 * @seq_number: LockSequenceNumber (4 bits; 2.1+ lock replay)
 * @seq_index: LockSequenceIndex (28 bits; 0 = not tracked)
 * @locks: elements
 * @count: LockCount (>= 1)
 */
struct smb2_lock_req {
	struct smb2_fileid fid;
	uint8_t seq_number;
	uint32_t seq_index;
	const struct smb2_lock_element *locks;
	uint16_t count;
};

/**
 * smb2_lock_req_encode - encode a LOCK request body
 * @buf: body buffer (after the SMB2 header)
 * @cap: bytes at @buf
 * @req: request
 *
 * Return: 24 + 24 * count, -EINVAL (no elements, unknown flag bits,
 * sequence fields out of range), -ENOSPC.
 */
ssize_t smb2_lock_req_encode(uint8_t *buf, size_t cap,
			     const struct smb2_lock_req *req);

/**
 * smb2_lock_rsp_decode - check a LOCK response (StructureSize 4)
 * @msg: element, header first
 * @len: bytes in it
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_lock_rsp_decode(const uint8_t *msg, size_t len);

#endif
