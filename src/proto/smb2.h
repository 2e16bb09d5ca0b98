/* SPDX-License-Identifier: MIT */
/*
 * SMB2/3 protocol constants shared by every codec module, the decoded SMB2
 * packet header and the direct-TCP framing helpers (MS-SMB2 2.1, 2.2.1).
 *
 * Everything here is wire vocabulary only: no connection state. Values are
 * from MS-SMB2 (section cited beside each group); names follow the spec with
 * the SMB2_ prefix so a grep for the spec name finds them.
 */
#ifndef SMBIOV_PROTO_SMB2_H
#define SMBIOV_PROTO_SMB2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- framing (MS-SMB2 2.1 direct TCP transport) ------------------------ */

/* 1 zero byte + 3-byte big-endian StreamProtocolLength. */
#define SMB2_NBSS_HDR_SIZE 4
/* Largest length the 24-bit StreamProtocolLength can express. */
#define SMB2_NBSS_MAX_LEN 0xFFFFFFu
/* Nothing legal on the wire is shorter than one SMB2 header. */
#define SMB2_NBSS_MIN_LEN SMB2_HDR_SIZE

/* ---- protocol identifiers (MS-SMB2 2.2.1, 2.2.41, 2.2.42) -------------- */

#define SMB2_PROTO_ID		  0x424D53FEu /* "\xFESMB" as le32 */
#define SMB2_TRANSFORM_PROTO_ID	  0x424D53FDu /* "\xFDSMB" */
#define SMB2_COMPRESSION_PROTO_ID 0x424D53FCu /* "\xFCSMB" */
#define SMB1_PROTO_ID		  0x424D53FFu /* "\xFFSMB" */

#define SMB2_HDR_SIZE		  64
#define SMB2_SIGNATURE_SIZE	  16
#define SMB2_HDR_SIGNATURE_OFF	  48
#define SMB2_HDR_NEXT_COMMAND_OFF 20
#define SMB2_HDR_FLAGS_OFF	  16
/* Compound elements start on 8-byte boundaries (MS-SMB2 3.2.4.1.4). */
#define SMB2_COMPOUND_ALIGN 8

/* ---- commands (MS-SMB2 2.2.1.2 Command) -------------------------------- */

#define SMB2_NEGOTIATE			   0x0000
#define SMB2_SESSION_SETUP		   0x0001
#define SMB2_LOGOFF			   0x0002
#define SMB2_TREE_CONNECT		   0x0003
#define SMB2_TREE_DISCONNECT		   0x0004
#define SMB2_CREATE			   0x0005
#define SMB2_CLOSE			   0x0006
#define SMB2_FLUSH			   0x0007
#define SMB2_READ			   0x0008
#define SMB2_WRITE			   0x0009
#define SMB2_LOCK			   0x000A
#define SMB2_IOCTL			   0x000B
#define SMB2_CANCEL			   0x000C
#define SMB2_ECHO			   0x000D
#define SMB2_QUERY_DIRECTORY		   0x000E
#define SMB2_CHANGE_NOTIFY		   0x000F
#define SMB2_QUERY_INFO			   0x0010
#define SMB2_SET_INFO			   0x0011
#define SMB2_OPLOCK_BREAK		   0x0012
#define SMB2_SERVER_TO_CLIENT_NOTIFICATION 0x0013
#define SMB2_NR_COMMANDS		   0x0014

/* ---- header flags (MS-SMB2 2.2.1.2 Flags) ------------------------------ */

#define SMB2_FLAGS_SERVER_TO_REDIR    0x00000001u
#define SMB2_FLAGS_ASYNC_COMMAND      0x00000002u
#define SMB2_FLAGS_RELATED_OPERATIONS 0x00000004u
#define SMB2_FLAGS_SIGNED	      0x00000008u
#define SMB2_FLAGS_PRIORITY_MASK      0x00000070u
#define SMB2_FLAGS_PRIORITY_SHIFT     4
#define SMB2_FLAGS_DFS_OPERATIONS     0x10000000u
#define SMB2_FLAGS_REPLAY_OPERATION   0x20000000u

/* Related operations reuse the previous element's ids (MS-SMB2 3.2.4.1.4). */
#define SMB2_RELATED_SESSION_ID 0xFFFFFFFFFFFFFFFFull
#define SMB2_RELATED_TREE_ID	0xFFFFFFFFu
/* MessageId of an unsolicited oplock/lease break (MS-SMB2 3.2.5.19). */
#define SMB2_UNSOLICITED_MESSAGE_ID 0xFFFFFFFFFFFFFFFFull

/* ---- dialects (MS-SMB2 2.2.3 Dialects) --------------------------------- */

#define SMB2_DIALECT_202      0x0202
#define SMB2_DIALECT_210      0x0210
#define SMB2_DIALECT_300      0x0300
#define SMB2_DIALECT_302      0x0302
#define SMB2_DIALECT_311      0x0311
#define SMB2_DIALECT_WILDCARD 0x02FF

/* ---- security mode (MS-SMB2 2.2.3, 2.2.4, 2.2.5) ----------------------- */

#define SMB2_NEGOTIATE_SIGNING_ENABLED	0x0001
#define SMB2_NEGOTIATE_SIGNING_REQUIRED 0x0002

/* ---- global capabilities (MS-SMB2 2.2.3 Capabilities) ------------------ */

#define SMB2_GLOBAL_CAP_DFS		   0x00000001u
#define SMB2_GLOBAL_CAP_LEASING		   0x00000002u
#define SMB2_GLOBAL_CAP_LARGE_MTU	   0x00000004u
#define SMB2_GLOBAL_CAP_MULTI_CHANNEL	   0x00000008u
#define SMB2_GLOBAL_CAP_PERSISTENT_HANDLES 0x00000010u
#define SMB2_GLOBAL_CAP_DIRECTORY_LEASING  0x00000020u
#define SMB2_GLOBAL_CAP_ENCRYPTION	   0x00000040u
#define SMB2_GLOBAL_CAP_NOTIFICATIONS	   0x00000080u

/* ---- negotiate contexts (MS-SMB2 2.2.3.1) ------------------------------ */

#define SMB2_PREAUTH_INTEGRITY_CAPABILITIES 0x0001
#define SMB2_ENCRYPTION_CAPABILITIES	    0x0002
#define SMB2_COMPRESSION_CAPABILITIES	    0x0003
#define SMB2_NETNAME_NEGOTIATE_CONTEXT_ID   0x0005
#define SMB2_TRANSPORT_CAPABILITIES	    0x0006
#define SMB2_RDMA_TRANSFORM_CAPABILITIES    0x0007
#define SMB2_SIGNING_CAPABILITIES	    0x0008
#define SMB2_CONTEXTTYPE_RESERVED	    0x0100

/* Preauth hash algorithm (MS-SMB2 2.2.3.1.1) and its output size. */
#define SMB2_PREAUTH_INTEGRITY_SHA512 0x0001
#define SMB2_PREAUTH_HASH_SIZE	      64
#define SMB2_PREAUTH_SALT_SIZE	      32

/* Ciphers (MS-SMB2 2.2.3.1.2); 0 in a response means "none in common". */
#define SMB2_ENCRYPTION_NONE	   0x0000
#define SMB2_ENCRYPTION_AES128_CCM 0x0001
#define SMB2_ENCRYPTION_AES128_GCM 0x0002
#define SMB2_ENCRYPTION_AES256_CCM 0x0003
#define SMB2_ENCRYPTION_AES256_GCM 0x0004

/* Signing algorithms (MS-SMB2 2.2.3.1.7). */
#define SMB2_SIGNING_HMAC_SHA256 0x0000
#define SMB2_SIGNING_AES_CMAC	 0x0001
#define SMB2_SIGNING_AES_GMAC	 0x0002

/* ---- session setup (MS-SMB2 2.2.5, 2.2.6) ------------------------------ */

#define SMB2_SESSION_FLAG_BINDING      0x01   /* request Flags */
#define SMB2_SESSION_FLAG_IS_GUEST     0x0001 /* response SessionFlags */
#define SMB2_SESSION_FLAG_IS_NULL      0x0002
#define SMB2_SESSION_FLAG_ENCRYPT_DATA 0x0004

/* ---- tree connect (MS-SMB2 2.2.9, 2.2.10) ------------------------------ */

#define SMB2_TREE_CONNECT_FLAG_CLUSTER_RECONNECT 0x0001
#define SMB2_TREE_CONNECT_FLAG_REDIRECT_TO_OWNER 0x0002
#define SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT 0x0004

#define SMB2_SHARE_TYPE_DISK  0x01
#define SMB2_SHARE_TYPE_PIPE  0x02
#define SMB2_SHARE_TYPE_PRINT 0x03

#define SMB2_SHAREFLAG_MANUAL_CACHING		   0x00000000u
#define SMB2_SHAREFLAG_AUTO_CACHING		   0x00000010u
#define SMB2_SHAREFLAG_VDO_CACHING		   0x00000020u
#define SMB2_SHAREFLAG_NO_CACHING		   0x00000030u
#define SMB2_SHAREFLAG_CACHING_MASK		   0x00000030u
#define SMB2_SHAREFLAG_DFS			   0x00000001u
#define SMB2_SHAREFLAG_DFS_ROOT			   0x00000002u
#define SMB2_SHAREFLAG_RESTRICT_EXCLUSIVE_OPENS	   0x00000100u
#define SMB2_SHAREFLAG_FORCE_SHARED_DELETE	   0x00000200u
#define SMB2_SHAREFLAG_ALLOW_NAMESPACE_CACHING	   0x00000400u
#define SMB2_SHAREFLAG_ACCESS_BASED_DIRECTORY_ENUM 0x00000800u
#define SMB2_SHAREFLAG_FORCE_LEVELII_OPLOCK	   0x00001000u
#define SMB2_SHAREFLAG_ENABLE_HASH_V1		   0x00002000u
#define SMB2_SHAREFLAG_ENABLE_HASH_V2		   0x00004000u
#define SMB2_SHAREFLAG_ENCRYPT_DATA		   0x00008000u
#define SMB2_SHAREFLAG_IDENTITY_REMOTING	   0x00040000u
#define SMB2_SHAREFLAG_COMPRESS_DATA		   0x00100000u
#define SMB2_SHAREFLAG_ISOLATED_TRANSPORT	   0x00200000u

#define SMB2_SHARE_CAP_DFS		       0x00000008u
#define SMB2_SHARE_CAP_CONTINUOUS_AVAILABILITY 0x00000010u
#define SMB2_SHARE_CAP_SCALEOUT		       0x00000020u
#define SMB2_SHARE_CAP_CLUSTER		       0x00000040u
#define SMB2_SHARE_CAP_ASYMMETRIC	       0x00000080u
#define SMB2_SHARE_CAP_REDIRECT_TO_OWNER       0x00000100u

/* ---- fixed StructureSize of each body (MS-SMB2 2.2.2 .. 2.2.40) -------- */
/*
 * The value is the fixed part's size, plus one when a variable part
 * follows (the spec counts the first byte of the buffer).
 */
#define SMB2_ERROR_RSP_SIZE	      9
#define SMB2_NEGOTIATE_REQ_SIZE	      36
#define SMB2_NEGOTIATE_RSP_SIZE	      65
#define SMB2_SESSION_SETUP_REQ_SIZE   25
#define SMB2_SESSION_SETUP_RSP_SIZE   9
#define SMB2_LOGOFF_SIZE	      4 /* request and response */
#define SMB2_TREE_CONNECT_REQ_SIZE    9
#define SMB2_TREE_CONNECT_RSP_SIZE    16
#define SMB2_TREE_DISCONNECT_SIZE     4 /* request and response */
#define SMB2_CREATE_REQ_SIZE	      57
#define SMB2_CREATE_RSP_SIZE	      89
#define SMB2_CLOSE_REQ_SIZE	      24
#define SMB2_CLOSE_RSP_SIZE	      60
#define SMB2_FLUSH_REQ_SIZE	      24
#define SMB2_FLUSH_RSP_SIZE	      4
#define SMB2_READ_REQ_SIZE	      49
#define SMB2_READ_RSP_SIZE	      17
#define SMB2_WRITE_REQ_SIZE	      49
#define SMB2_WRITE_RSP_SIZE	      17
#define SMB2_LOCK_REQ_SIZE	      48
#define SMB2_LOCK_RSP_SIZE	      4
#define SMB2_IOCTL_REQ_SIZE	      57
#define SMB2_IOCTL_RSP_SIZE	      49
#define SMB2_CANCEL_REQ_SIZE	      4
#define SMB2_ECHO_SIZE		      4 /* request and response */
#define SMB2_QUERY_DIRECTORY_REQ_SIZE 33
#define SMB2_QUERY_DIRECTORY_RSP_SIZE 9
#define SMB2_CHANGE_NOTIFY_REQ_SIZE   32
#define SMB2_CHANGE_NOTIFY_RSP_SIZE   9
#define SMB2_QUERY_INFO_REQ_SIZE      41
#define SMB2_QUERY_INFO_RSP_SIZE      9
#define SMB2_SET_INFO_REQ_SIZE	      33
#define SMB2_SET_INFO_RSP_SIZE	      2
#define SMB2_OPLOCK_BREAK_SIZE	      24 /* oplock notification/ack/rsp */
#define SMB2_LEASE_BREAK_NOTIFY_SIZE  44
#define SMB2_LEASE_BREAK_ACK_SIZE     36

/* ---- decoded header (MS-SMB2 2.2.1.1 async, 2.2.1.2 sync) -------------- */

/**
 * struct smb2_hdr - one SMB2 packet header, decoded field by field
 * @credit_charge: CreditCharge
 * @status: Status (NTSTATUS) in a response; in a 3.x request the same four
 *	bytes are ChannelSequence (low 16 bits) + Reserved
 * @command: Command (SMB2_NEGOTIATE ...)
 * @credits: CreditRequest (request) or CreditResponse (response)
 * @flags: Flags (SMB2_FLAGS_*); SMB2_FLAGS_ASYNC_COMMAND selects the form
 * @next_command: NextCommand, offset of the next compound element or 0
 * @message_id: MessageId
 * @async_id: AsyncId; meaningful only in the async form (0 otherwise)
 * @tree_id: TreeId; meaningful only in the sync form (0 otherwise). The
 *	sync form's Reserved field (ProcessId) is neither kept nor sent.
 * @session_id: SessionId
 * @signature: Signature, copied out so the caller can zero it in the
 *	message before verifying
 */
struct smb2_hdr {
	uint16_t credit_charge;
	uint32_t status;
	uint16_t command;
	uint16_t credits;
	uint32_t flags;
	uint32_t next_command;
	uint64_t message_id;
	uint64_t async_id;
	uint32_t tree_id;
	uint64_t session_id;
	uint8_t signature[SMB2_SIGNATURE_SIZE];
};

/**
 * smb2_hdr_decode - decode the 64-byte SMB2 header at the start of @buf
 * @buf: message bytes (one compound element or a whole message)
 * @len: bytes available at @buf
 * @hdr: filled on success; untouched on error
 *
 * Checks the ProtocolId (0xFE 'S' 'M' 'B') and StructureSize (64). Picks
 * the sync or async form from SMB2_FLAGS_ASYNC_COMMAND. It does not judge
 * the Command, NextCommand or Flags beyond that: callers validate those
 * against their own state (compound walk, pending-request table).
 *
 * Return: 0, or -EBADMSG if @len < 64 or a fixed field is wrong.
 */
int smb2_hdr_decode(const uint8_t *buf, size_t len, struct smb2_hdr *hdr);

/**
 * smb2_hdr_encode - write a 64-byte SMB2 header
 * @out64: at least SMB2_HDR_SIZE writable bytes
 * @hdr: fields to write; @hdr->flags selects the sync or async form
 *
 * Writes ProtocolId and StructureSize itself. Cannot fail.
 */
void smb2_hdr_encode(uint8_t *out64, const struct smb2_hdr *hdr);

/**
 * smb2_hdr_init_req - zero @hdr and fill it for a client request
 * @hdr: header to fill
 * @command: SMB2 command code
 * @message_id: MessageId
 * @credit_charge: CreditCharge (0 for dialect 2.0.2, else >= 1)
 * @credits: CreditRequest
 *
 * Convenience for encoders: session, tree and flags stay 0 for the caller
 * to set.
 */
void smb2_hdr_init_req(struct smb2_hdr *hdr, uint16_t command,
		       uint64_t message_id, uint16_t credit_charge,
		       uint16_t credits);

/**
 * smb2_proto_id - read the 4-byte protocol identifier of a message
 * @buf: message bytes
 * @len: bytes available
 *
 * Return: SMB2_PROTO_ID, SMB2_TRANSFORM_PROTO_ID, ... as a le32 value, or
 * 0 if @len < 4. Lets the receive path dispatch before decoding.
 */
uint32_t smb2_proto_id(const uint8_t *buf, size_t len);

/**
 * smb2_nbss_encode - write the 4-byte direct-TCP length prefix
 * @out4: 4 writable bytes
 * @len: length of the SMB2 message that follows (MS-SMB2 2.1)
 *
 * Return: 0, or -EINVAL if @len > SMB2_NBSS_MAX_LEN.
 */
int smb2_nbss_encode(uint8_t *out4, size_t len);

/**
 * smb2_nbss_decode - decode the 4-byte direct-TCP length prefix
 * @buf: received bytes
 * @len: bytes available at @buf (at least 4 needed)
 * @max_len: largest message the caller will accept (derived from the
 *	negotiated sizes; 0 means SMB2_NBSS_MAX_LEN)
 * @msg_len: message length on success
 *
 * The first byte must be zero (direct TCP has no NetBIOS message types) and
 * the length must be in [SMB2_NBSS_MIN_LEN, min(@max_len, 0xFFFFFF)]: a
 * length shorter than one header is how bug class 1 (framing) starts.
 *
 * Return: 0, -EAGAIN if @len < 4 (need more bytes), -EBADMSG if the prefix
 * is malformed, -EMSGSIZE if the length exceeds @max_len.
 */
int smb2_nbss_decode(const uint8_t *buf, size_t len, uint32_t max_len,
		     uint32_t *msg_len);

/**
 * smb2_req_begin - start encoding a request: header plus zeroed fixed body
 * @out: output buffer
 * @cap: bytes available at @out
 * @need: total bytes the caller will write (header + fixed body + any
 *	variable part it places in @out)
 * @hdr: header fields; @command overrides @hdr->command
 * @command: SMB2 command code
 *
 * Writes the 64-byte header and zeroes bytes 64..@need so reserved fields
 * go out as zero.
 *
 * Return: 0, or -ENOSPC if @cap < @need, -EINVAL if @out or @hdr is NULL.
 */
int smb2_req_begin(uint8_t *out, size_t cap, size_t need,
		   const struct smb2_hdr *hdr, uint16_t command);

/**
 * smb2_body_check - check a response body's StructureSize and minimum size
 * @buf: the compound element (header at offset 0)
 * @len: bytes in the element
 * @structure_size: StructureSize the command's body must carry
 * @fixed: bytes of the fixed body part that must be present after the
 *	header (usually @structure_size rounded down to even)
 *
 * Also checks the header's ProtocolId and StructureSize, so each body
 * decoder built on it rejects a non-SMB2 header by itself.
 *
 * Return: 0, or -EBADMSG if the element is too short, the header is not
 * an SMB2 header, or the body's StructureSize differs.
 */
int smb2_body_check(const uint8_t *buf, size_t len, uint16_t structure_size,
		    size_t fixed);

/* Fixed body of the responses that carry one OutputBuffer (below). */
#define SMB2_OUT_BUFFER_FIXED 8

/**
 * smb2_out_buffer_decode - locate the OutputBuffer of a QUERY_INFO or
 *	QUERY_DIRECTORY response (MS-SMB2 2.2.38, 2.2.34: same body layout)
 * @msg: response element, header first
 * @len: bytes in it
 * @structure_size: the command's response StructureSize (9 for both)
 * @max_out: the OutputBufferLength we asked for
 * @out: set to the buffer (borrows @msg; NULL when empty)
 * @out_len: its length
 *
 * OutputBufferOffset/Length must lie inside the element after the fixed
 * part (bug class 4).
 * Return: 0, -EBADMSG, -EPROTO (more than @max_out).
 */
int smb2_out_buffer_decode(const uint8_t *msg, size_t len,
			   uint16_t structure_size, uint32_t max_out,
			   const uint8_t **out, uint32_t *out_len);

/* ---- compound chains (MS-SMB2 3.2.4.1.4, 3.2.5.1.9) -------------------- */

/* No legitimate compound needs more; a bound stops vector exhaustion. */
#define SMB2_COMPOUND_MAX_ELEMS 64

/**
 * struct smb2_compound_iter - walk the elements of a compound message
 * @buf: the whole (decrypted) SMB2 message; borrowed, must outlive the walk
 * @len: bytes in @buf
 * @off: offset of the next element to yield
 * @count: elements yielded so far
 * @max: most elements accepted
 * @done: the last element (NextCommand 0) has been yielded
 *
 * Initialise with smb2_compound_iter_init(); fields are private.
 */
struct smb2_compound_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
	unsigned int count;
	unsigned int max;
	int done;
};

/**
 * smb2_compound_iter_init - start walking a compound message
 * @it: iterator to initialise
 * @buf: message bytes (borrowed)
 * @len: message length
 * @max_elems: most elements accepted; 0 means SMB2_COMPOUND_MAX_ELEMS
 */
void smb2_compound_iter_init(struct smb2_compound_iter *it, const uint8_t *buf,
			     size_t len, unsigned int max_elems);

/**
 * smb2_compound_next - yield the next element of a compound message
 * @it: iterator
 * @elem_off: offset of the element's header in the message
 * @elem_len: bytes of the element: up to the next element (padding
 *	included) or to the end of the message for the last one
 *
 * Every NextCommand is checked before use: a multiple of 8, at least 64
 * (so the walk is strictly forward and cannot loop), and leaving room for
 * a whole header of the next element inside the message. The element
 * count is bounded by @max_elems.
 *
 * Return: 1 with an element, 0 when the walk is over, -EBADMSG for a bad
 * header or NextCommand, -E2BIG when there are more than @max_elems
 * elements. After an error the walk stays failed (returns the same code).
 */
int smb2_compound_next(struct smb2_compound_iter *it, size_t *elem_off,
		       size_t *elem_len);

/**
 * smb2_compound_step - bound one element of a compound message
 * @hdr: the element's header (at least 64 bytes at @hdr)
 * @hlen: bytes available at @hdr
 * @rest: bytes from the element's start to the end of the message
 * @elem_len: set to the element's length: NextCommand, or @rest for the
 *	last element
 *
 * The one-element step of smb2_compound_next(), for a receiver that
 * walks a chain while it is still arriving (it has the header of the
 * next element, not the whole message). NextCommand must be 8-aligned,
 * at least a header, and leave a whole header for the next element
 * inside @rest. The caller bounds the number of elements.
 *
 * Return: 1 (@elem_len set, more elements follow), 0 (@elem_len set,
 * the last element) or -EBADMSG (short, not SMB2, bad NextCommand).
 */
int smb2_compound_step(const uint8_t *hdr, size_t hlen, size_t rest,
		       size_t *elem_len);

/**
 * smb2_compound_pad - padding that must follow an element of a chain
 * @elem_len: bytes of the element as encoded (header + body + payload)
 *
 * Return: 0..7 zero bytes to append so the next element is 8-aligned.
 */
size_t smb2_compound_pad(size_t elem_len);

/**
 * smb2_compound_link - chain an encoded element to the one that follows
 * @hdr64: the element's header, already encoded
 * @elem_len: bytes of the element without padding
 *
 * Writes NextCommand = @elem_len + smb2_compound_pad(@elem_len) into the
 * header. The caller sends the padding (zeros) and, for a related
 * operation, sets SMB2_FLAGS_RELATED_OPERATIONS in the next header. Must
 * be called before signing: the signature covers NextCommand.
 *
 * Return: the padding length (0..7), or -EINVAL if @elem_len < 64 or the
 * padded length does not fit in 32 bits.
 */
int smb2_compound_link(uint8_t *hdr64, size_t elem_len);

/* ---- ERROR response (MS-SMB2 2.2.2, 2.2.2.1) --------------------------- */

#define SMB2_ERROR_ID_DEFAULT	     0x00000000u
#define SMB2_ERROR_ID_SHARE_REDIRECT 0x72645253u

/**
 * struct smb2_error_rsp - decoded ERROR response body
 * @context_count: ErrorContextCount (3.1.1 only; 0 otherwise)
 * @byte_count: ByteCount, already checked against the message
 * @data: ErrorData (borrowed from the decoded buffer), or NULL if empty.
 *	With @context_count 0 it is command-specific raw data (e.g. the
 *	symbolic link error response of MS-SMB2 2.2.2.2.1, or the 4-byte
 *	required size of STATUS_BUFFER_TOO_SMALL).
 */
struct smb2_error_rsp {
	uint8_t context_count;
	uint32_t byte_count;
	const uint8_t *data;
};

/**
 * struct smb2_error_ctx - one SMB2 ERROR Context (MS-SMB2 2.2.2.1)
 * @error_id: ErrorId
 * @data: ErrorContextData, borrowed from the decoded buffer
 * @data_len: ErrorDataLength, already bounded by ByteCount
 */
struct smb2_error_ctx {
	uint32_t error_id;
	const uint8_t *data;
	uint32_t data_len;
};

/**
 * smb2_error_rsp_decode - decode an ERROR response element
 * @buf: element bytes, header at offset 0 (borrowed: @rsp points into it)
 * @len: element length
 * @rsp: result
 *
 * Checks StructureSize 9 and that ByteCount fits in the element (64-bit
 * sum, bug class 4), and when ErrorContextCount is nonzero that exactly
 * that many error contexts fit in ByteCount.
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_error_rsp_decode(const uint8_t *buf, size_t len,
			  struct smb2_error_rsp *rsp);

/**
 * smb2_error_ctx_get - fetch the @idx-th error context of a decoded error
 * @rsp: decoded by smb2_error_rsp_decode()
 * @idx: index below @rsp->context_count
 * @ctx: result (borrows the same buffer as @rsp)
 *
 * Contexts start 8-aligned relative to ErrorData (MS-SMB2 2.2.2.1).
 *
 * Return: 0, -ENOENT if @idx is out of range, -EBADMSG if malformed.
 */
int smb2_error_ctx_get(const struct smb2_error_rsp *rsp, unsigned int idx,
		       struct smb2_error_ctx *ctx);

/**
 * smb2_error_rsp_encode - build an ERROR response (fake servers, tests)
 * @out: output buffer
 * @cap: bytes at @out
 * @hdr: header; the command is kept, SERVER_TO_REDIR is set
 * @data: ErrorData bytes (already formatted), may be NULL if @data_len 0
 * @data_len: bytes of @data
 * @context_count: ErrorContextCount to write
 *
 * Writes one ErrorData byte (zero) when @data_len is 0, as the spec's
 * StructureSize 9 implies.
 *
 * Return: bytes written, -ENOSPC, or -EINVAL.
 */
ssize_t smb2_error_rsp_encode(uint8_t *out, size_t cap,
			      const struct smb2_hdr *hdr, const uint8_t *data,
			      uint32_t data_len, uint8_t context_count);

/* ---- bodies with only StructureSize 4 + Reserved (2.2.7, 2.2.8, ...) --- */
/*
 * LOGOFF, TREE_DISCONNECT, ECHO (request and response) and CANCEL
 * (request only) share one layout: a 4-byte body (MS-SMB2 2.2.7, 2.2.8,
 * 2.2.11, 2.2.12, 2.2.28, 2.2.29, 2.2.30).
 */
#define SMB2_SIMPLE_MSG_LEN (SMB2_HDR_SIZE + 4)

/**
 * smb2_simple_msg_encode - encode a 4-byte-body message
 * @out: output buffer (SMB2_SIMPLE_MSG_LEN bytes needed)
 * @cap: bytes at @out
 * @hdr: header fields; @command overrides @hdr->command
 * @command: SMB2_LOGOFF, SMB2_TREE_DISCONNECT, SMB2_ECHO or SMB2_CANCEL
 *
 * Used for requests and, with SERVER_TO_REDIR in @hdr->flags, for the
 * matching responses of fake servers.
 *
 * Return: SMB2_SIMPLE_MSG_LEN, -EINVAL (other command), -ENOSPC.
 */
ssize_t smb2_simple_msg_encode(uint8_t *out, size_t cap,
			       const struct smb2_hdr *hdr, uint16_t command);

/**
 * smb2_simple_msg_decode - check a 4-byte-body message
 * @buf: element, header at offset 0
 * @len: element length
 *
 * Return: 0, or -EBADMSG if shorter than SMB2_SIMPLE_MSG_LEN or the
 * StructureSize is not 4.
 */
int smb2_simple_msg_decode(const uint8_t *buf, size_t len);

/**
 * smb2_echo_req_encode - ECHO request (MS-SMB2 2.2.28), e.g. keep-alive
 * @out: output buffer
 * @cap: bytes at @out
 * @hdr: header fields
 *
 * Return: as smb2_simple_msg_encode().
 */
ssize_t smb2_echo_req_encode(uint8_t *out, size_t cap,
			     const struct smb2_hdr *hdr);

/**
 * smb2_echo_rsp_decode - check an ECHO response (MS-SMB2 2.2.29)
 * @buf: element, header at offset 0
 * @len: element length
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_echo_rsp_decode(const uint8_t *buf, size_t len);

/**
 * smb2_cancel_req_encode - CANCEL request (MS-SMB2 2.2.30, 3.2.4.24)
 * @out: output buffer
 * @cap: bytes at @out
 * @hdr: header of the request being cancelled: its MessageId, and for an
 *	async (interim-acknowledged) request SMB2_FLAGS_ASYNC_COMMAND with
 *	its AsyncId. CreditRequest should be 0: a CANCEL consumes no
 *	credit and gets no response.
 *
 * Return: as smb2_simple_msg_encode().
 */
ssize_t smb2_cancel_req_encode(uint8_t *out, size_t cap,
			       const struct smb2_hdr *hdr);

#endif
