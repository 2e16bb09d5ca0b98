/* SPDX-License-Identifier: MIT */
/*
 * NTLMSSP client (MS-NLMP): NEGOTIATE_MESSAGE encoding, CHALLENGE_MESSAGE
 * decoding with a bounded AV_PAIR walk, AUTHENTICATE_MESSAGE encoding with
 * an NTLMv2 response, key exchange and MIC. Sans-I/O: bytes in, bytes out.
 *
 * Typical use (SESSION_SETUP, wrapped by spnego.h):
 *
 *	struct ntlmssp_ctx ctx;
 *	struct ntlmssp_challenge chal;
 *
 *	ntlmssp_ctx_init(&ctx, user, domain, password, workstation);
 *	ntlmssp_negotiate_encode(&ctx, buf, cap, &len);        -> server
 *	ntlmssp_challenge_decode(reply, reply_len, &chal);    <- server
 *	ntlmssp_authenticate_encode(&ctx, &chal, buf, cap, &len); -> server
 *	ntlmssp_session_key(&ctx, key);                        for SMB keys
 *	ntlmssp_ctx_release(&ctx);
 */
#ifndef SMBIOV_AUTH_NTLMSSP_H
#define SMBIOV_AUTH_NTLMSSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/ntlm_crypto.h"

/* NegotiateFlags (MS-NLMP 2.2.2.5). */
#define NTLMSSP_NEGOTIATE_UNICODE		   0x00000001u
#define NTLMSSP_NEGOTIATE_OEM			   0x00000002u
#define NTLMSSP_REQUEST_TARGET			   0x00000004u
#define NTLMSSP_NEGOTIATE_SIGN			   0x00000010u
#define NTLMSSP_NEGOTIATE_SEAL			   0x00000020u
#define NTLMSSP_NEGOTIATE_LM_KEY		   0x00000080u
#define NTLMSSP_NEGOTIATE_NTLM			   0x00000200u
#define NTLMSSP_ANONYMOUS			   0x00000800u
#define NTLMSSP_NEGOTIATE_ALWAYS_SIGN		   0x00008000u
#define NTLMSSP_TARGET_TYPE_DOMAIN		   0x00010000u
#define NTLMSSP_TARGET_TYPE_SERVER		   0x00020000u
#define NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u
#define NTLMSSP_NEGOTIATE_IDENTIFY		   0x00100000u
#define NTLMSSP_NEGOTIATE_TARGET_INFO		   0x00800000u
#define NTLMSSP_NEGOTIATE_VERSION		   0x02000000u
#define NTLMSSP_NEGOTIATE_128			   0x20000000u
#define NTLMSSP_NEGOTIATE_KEY_EXCH		   0x40000000u
#define NTLMSSP_NEGOTIATE_56			   0x80000000u

/*
 * What we offer in NEGOTIATE (0xe2888235):
 *   UNICODE            - all our strings are UTF-16LE; we never speak OEM.
 *   REQUEST_TARGET     - lets the server name itself in TargetName.
 *   SIGN, SEAL         - ask for key material fit for integrity and
 *                        confidentiality; servers only honour KEY_EXCH
 *                        when one of them is set.
 *   NTLM               - NTLM (v2 here) authentication.
 *   ALWAYS_SIGN        - expected by Windows alongside SIGN.
 *   EXTENDED_SESSIONSECURITY - NTLM2 session security, never the LM key.
 *   TARGET_INFO        - we need the server's AV pairs for NTLMv2.
 *   VERSION            - send a VERSION structure; also fixes the header
 *                        layout that puts the MIC at offset 72.
 *   128, 56            - strongest key lengths.
 *   KEY_EXCH           - the exported session key is a fresh random key
 *                        sent RC4-encrypted, not the password-derived one.
 * Not offered: OEM, LM_KEY, DATAGRAM, IDENTIFY, ANONYMOUS.
 * These are the flags of the MS-NLMP 4.2.4 example AUTHENTICATE_MESSAGE.
 */
#define NTLMSSP_CLIENT_FLAGS                                                   \
	(NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET |                  \
	 NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL |                     \
	 NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_ALWAYS_SIGN |              \
	 NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |                          \
	 NTLMSSP_NEGOTIATE_TARGET_INFO | NTLMSSP_NEGOTIATE_VERSION |           \
	 NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_KEY_EXCH |                  \
	 NTLMSSP_NEGOTIATE_56)

/* AV_PAIR AvId values (MS-NLMP 2.2.2.1). */
#define MSV_AV_EOL		 0
#define MSV_AV_NB_COMPUTER_NAME	 1
#define MSV_AV_NB_DOMAIN_NAME	 2
#define MSV_AV_DNS_COMPUTER_NAME 3
#define MSV_AV_DNS_DOMAIN_NAME	 4
#define MSV_AV_DNS_TREE_NAME	 5
#define MSV_AV_FLAGS		 6
#define MSV_AV_TIMESTAMP	 7
#define MSV_AV_SINGLE_HOST	 8
#define MSV_AV_TARGET_NAME	 9
#define MSV_AV_CHANNEL_BINDINGS	 10

/* MsvAvFlags bit: the AUTHENTICATE_MESSAGE carries a MIC. */
#define MSV_AV_FLAG_MIC_PRESENT 0x00000002u

#define NTLMSSP_SIGNATURE_LEN	  8
#define NTLMSSP_NEGOTIATE_LEN	  40 /* fixed part + VERSION, no payload */
#define NTLMSSP_CHALLENGE_MIN_LEN 48 /* through TargetInfoFields */
#define NTLMSSP_AUTH_HDR_LEN	  72 /* through VERSION */
#define NTLMSSP_AUTH_MIC_OFFSET	  72
#define NTLMSSP_MAX_MSG_LEN	  0xffff /* every length field is 16 bits */

/* Longest user, domain or workstation name we accept, in UTF-8 bytes. */
#define NTLMSSP_MAX_NAME_LEN 1024

/*
 * A decoded CHALLENGE_MESSAGE. Every pointer points into the buffer given
 * to ntlmssp_challenge_decode(), which must stay alive and unchanged until
 * ntlmssp_authenticate_encode() returns (the MIC covers the raw bytes).
 */
struct ntlmssp_challenge {
	const uint8_t *msg; /* the whole message, for the MIC */
	size_t msg_len;
	uint32_t flags; /* NegotiateFlags as sent */
	uint8_t server_challenge[NTLM_CHALLENGE_LEN];
	const uint8_t *target_name; /* UTF-16LE or OEM, not terminated */
	size_t target_name_len;
	const uint8_t *target_info; /* AV pairs through MsvAvEOL */
	size_t target_info_len;	    /* 0: the server sent none */
	bool has_timestamp;	    /* MsvAvTimestamp present */
	uint64_t timestamp;	    /* FILETIME, 100 ns since 1601 */
	bool has_av_flags;	    /* MsvAvFlags present */
	uint32_t av_flags;
};

enum ntlmssp_state {
	NTLMSSP_STATE_INIT,	      /* nothing sent yet */
	NTLMSSP_STATE_NEGOTIATE_SENT, /* NEGOTIATE encoded and saved */
	NTLMSSP_STATE_DONE,	      /* AUTHENTICATE encoded; key ready */
};

/*
 * One client authentication. The password itself is never stored: init
 * keeps its NT hash (MD4 of UTF-16LE, password-equivalent for NTLM) in
 * @nt_hash, and ntlmssp_ctx_release() wipes it, the names and every key.
 * Fields are visible for tests; callers use the functions below.
 */
struct ntlmssp_ctx {
	uint32_t flags;	    /* NEGOTIATE flags we offer */
	uint8_t version[8]; /* VERSION structure we send */
	uint8_t nt_hash[NTLM_HASH_LEN];
	uint8_t *user; /* UTF-16LE, malloc'd, wiped on release */
	size_t user_len;
	uint8_t *domain;
	size_t domain_len;
	uint8_t *workstation;
	size_t workstation_len;
	uint8_t negotiate[NTLMSSP_NEGOTIATE_LEN]; /* saved for the MIC */
	size_t negotiate_len;
	uint32_t auth_flags;		    /* flags sent in AUTHENTICATE */
	uint8_t session_key[NTLM_HASH_LEN]; /* ExportedSessionKey */
	enum ntlmssp_state state;
	struct {
		bool set;
		uint8_t client_challenge[NTLM_CHALLENGE_LEN];
		uint64_t time;
		uint8_t random_session_key[NTLM_HASH_LEN];
	} test;
};

/**
 * ntlmssp_ctx_init - prepare a client authentication
 * @ctx: caller-owned context, fully initialised on success
 * @user: UTF-8 user name (required, non-empty)
 * @domain: UTF-8 domain, or NULL/"" for none
 * @password: UTF-8 password (required; may be "")
 * @workstation: UTF-8 workstation name sent to the server, or NULL
 *
 * The caller may wipe and free @password as soon as this returns.
 * Return: 0; -EINVAL for missing or invalid (non-UTF-8, too long)
 * arguments; -ENOMEM; -ENOPKG when MD4 is unavailable; -EIO. On error @ctx
 * holds nothing that needs releasing (releasing it anyway is harmless).
 */
int ntlmssp_ctx_init(struct ntlmssp_ctx *ctx, const char *user,
		     const char *domain, const char *password,
		     const char *workstation);

/**
 * ntlmssp_ctx_release - wipe and free everything @ctx holds
 *
 * Cleanses the NT hash, the session key, names and saved messages, then
 * zeroes the whole structure. Safe on a zeroed or released context.
 */
void ntlmssp_ctx_release(struct ntlmssp_ctx *ctx);

/**
 * ntlmssp_ctx_set_test_values - make the AUTHENTICATE message deterministic
 * @client_challenge: 8 bytes used instead of random ones
 * @time: FILETIME used when the server sends no MsvAvTimestamp
 * @random_session_key: 16 bytes used as the exported key under KEY_EXCH
 *
 * For known-answer tests only (MS-NLMP 4.2.4 uses 0xaa..., 0, 0x55...).
 */
void ntlmssp_ctx_set_test_values(struct ntlmssp_ctx *ctx,
				 const uint8_t client_challenge[8],
				 uint64_t time,
				 const uint8_t random_session_key[16]);

/**
 * ntlmssp_negotiate_encode - write the NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1)
 * @out: destination, @cap bytes
 * @out_len: receives the message length (also on -ENOSPC)
 *
 * Sends @ctx->flags and @ctx->version, no domain or workstation (those
 * "supplied" flags are not set). The bytes are saved in @ctx for the MIC.
 * Return: 0, -EINVAL (wrong state), -ENOSPC.
 */
int ntlmssp_negotiate_encode(struct ntlmssp_ctx *ctx, uint8_t *out, size_t cap,
			     size_t *out_len);

/**
 * ntlmssp_challenge_decode - parse a CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2)
 * @buf: the message, @len bytes (peer-controlled)
 * @chal: receives the fields; pointers point into @buf
 *
 * Checks signature and type, validates TargetName and TargetInfo
 * (offset, length) with span_check() in 64-bit arithmetic, and walks the AV
 * pairs: every AvLen must fit in what remains, MsvAvEOL (with AvLen 0) must
 * end the list, MsvAvTimestamp must be 8 bytes and MsvAvFlags 4, and
 * neither may appear twice. Other pairs are kept opaque. Nothing allocated.
 * Return: 0 or -EBADMSG.
 */
int ntlmssp_challenge_decode(const uint8_t *buf, size_t len,
			     struct ntlmssp_challenge *chal);

/**
 * ntlmssp_authenticate_encode - write the AUTHENTICATE_MESSAGE (2.2.1.3)
 * @ctx: context after ntlmssp_negotiate_encode()
 * @chal: the decoded CHALLENGE; its buffer must still be valid
 * @out: destination, @cap bytes
 * @out_len: receives the message length (also on -ENOSPC, so a caller can
 *           size a buffer with @cap 0)
 *
 * Builds the NTLMv2 response over the server's AV pairs (plus MsvAvFlags
 * with MIC-present when the server sent a timestamp), derives the session
 * base key, performs key exchange when KEY_EXCH was negotiated, and adds a
 * MIC when the server sent a timestamp (in which case the LM response is
 * Z(24), MS-NLMP 3.1.5.1.2; otherwise it is the LMv2 response).
 * On success the exported session key is available from
 * ntlmssp_session_key(); on -ENOSPC the context is unchanged and the call
 * can be repeated.
 * Return: 0; -EINVAL (wrong state, NULL args); -EOPNOTSUPP if the server
 * does not offer Unicode; -EBADMSG if the server's AV pairs make the
 * message exceed 64 KiB; -ENOSPC; -ENOPKG; -EIO.
 */
int ntlmssp_authenticate_encode(struct ntlmssp_ctx *ctx,
				const struct ntlmssp_challenge *chal,
				uint8_t *out, size_t cap, size_t *out_len);

/**
 * ntlmssp_session_key - copy the ExportedSessionKey (SMB2 "Session.SessionKey")
 * Return: 0, or -EINVAL before a successful ntlmssp_authenticate_encode().
 */
int ntlmssp_session_key(const struct ntlmssp_ctx *ctx,
			uint8_t out[NTLM_HASH_LEN]);

#endif
