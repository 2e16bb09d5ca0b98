/* SPDX-License-Identifier: MIT */
/*
 * The SPNEGO (RFC 4178) wrapping SMB2 SESSION_SETUP carries around
 * NTLMSSP: a minimal BER/DER codec for exactly these shapes.
 *
 * Telling the forms apart (spnego_token_kind()): a security blob starting
 * with "NTLMSSP\0" is a raw NTLMSSP message (some servers skip SPNEGO and
 * the client may answer in kind); 0x60 is a GSS-API InitialContextToken
 * ([APPLICATION 0]) holding a NegTokenInit; 0xa1 is a bare NegTokenResp
 * (RFC 4178 4.2: every token after the first). The first bytes never
 * collide ('N' is 0x4e), so the caller dispatches on the kind:
 *
 *	RAW  -> ntlmssp_challenge_decode(blob)
 *	INIT -> spnego_decode_init() (NEGOTIATE response: mech list)
 *	RESP -> spnego_decode_resp(), then its response_token is the NTLMSSP
 *
 * Decoders never allocate: results point into the input. Every BER length
 * is checked against the bytes that remain; long-form lengths of 1 to 4
 * bytes are accepted, indefinite lengths (0x80) and high tag numbers are
 * refused, constructed elements must be consumed exactly, and nesting is
 * bounded by SPNEGO_MAX_DEPTH.
 */
#ifndef SMBIOV_AUTH_SPNEGO_H
#define SMBIOV_AUTH_SPNEGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPNEGO_MAX_DEPTH     8
#define SPNEGO_MAX_TOKEN_LEN 0xffff /* SMB2 SecurityBufferLength is 16 bits */

/* OID contents (no tag/length): 1.3.6.1.5.5.2 and 1.3.6.1.4.1.311.2.2.10 */
extern const uint8_t spnego_oid_spnego[6];
extern const uint8_t spnego_oid_ntlmssp[10];

enum spnego_kind {
	SPNEGO_KIND_RAW_NTLMSSP = 1, /* "NTLMSSP\0..." */
	SPNEGO_KIND_INIT,	     /* 0x60 InitialContextToken/NegTokenInit */
	SPNEGO_KIND_RESP,	     /* 0xa1 NegTokenResp */
};

/* negState (RFC 4178 4.2.2). */
enum spnego_neg_state {
	SPNEGO_ACCEPT_COMPLETED = 0,
	SPNEGO_ACCEPT_INCOMPLETE = 1,
	SPNEGO_REJECT = 2,
	SPNEGO_REQUEST_MIC = 3,
};

/* A decoded NegTokenInit (or the server's NegTokenInit2). */
struct spnego_init {
	const uint8_t *mech_types; /* contents of the MechTypeList SEQUENCE */
	size_t mech_types_len;
	bool has_ntlmssp;	   /* NTLMSSP is among mechTypes */
	bool ntlmssp_first;	   /* ...and is the preferred (first) one */
	const uint8_t *mech_token; /* optimistic token, or NULL */
	size_t mech_token_len;
};

/* NegTokenResp fields; pointers are NULL / has_neg_state false if absent. */
struct spnego_resp {
	bool has_neg_state;
	enum spnego_neg_state neg_state;
	const uint8_t *supported_mech; /* OID contents */
	size_t supported_mech_len;
	const uint8_t *response_token;
	size_t response_token_len;
	const uint8_t *mech_list_mic;
	size_t mech_list_mic_len;
};

/**
 * spnego_token_kind - classify a security blob (see the header comment)
 * Return: an enum spnego_kind value, or -EBADMSG if none fits.
 */
int spnego_token_kind(const uint8_t *buf, size_t len);

/**
 * spnego_encode_init - wrap a first NTLMSSP token for SESSION_SETUP
 * @mech_token: the NEGOTIATE_MESSAGE, @token_len bytes; NULL/0 omits it
 * @out: destination, @cap bytes
 * @out_len: receives the encoded length (also on -ENOSPC)
 *
 * Writes InitialContextToken { SPNEGO OID, NegTokenInit { mechTypes =
 * [NTLMSSP], mechToken } } in DER.
 * Return: 0, -EINVAL (token over SPNEGO_MAX_TOKEN_LEN), -ENOSPC.
 */
int spnego_encode_init(const uint8_t *mech_token, size_t token_len,
		       uint8_t *out, size_t cap, size_t *out_len);

/**
 * spnego_decode_init - parse an InitialContextToken holding NegTokenInit
 * @buf: the blob, @len bytes (peer-controlled)
 * @init: receives the fields (pointers into @buf)
 *
 * Accepts NegTokenInit and Microsoft's NegTokenInit2 (negHints in [3],
 * mechListMIC in [4]); reqFlags, negHints and mechListMIC are skipped.
 * Fields must be in ascending tag order; mechTypes is required and every
 * entry must be an OID.
 * Return: 0 or -EBADMSG.
 */
int spnego_decode_init(const uint8_t *buf, size_t len,
		       struct spnego_init *init);

/**
 * spnego_encode_resp - encode a NegTokenResp (0xa1 ...)
 * @resp: fields to send; absent ones are omitted
 * @out: destination, @cap bytes
 * @out_len: receives the encoded length (also on -ENOSPC)
 * Return: 0, -EINVAL (field over SPNEGO_MAX_TOKEN_LEN, bad negState),
 * -ENOSPC.
 */
int spnego_encode_resp(const struct spnego_resp *resp, uint8_t *out, size_t cap,
		       size_t *out_len);

/**
 * spnego_decode_resp - parse a NegTokenResp
 * @buf: the blob, @len bytes (peer-controlled)
 * @resp: receives the fields (pointers into @buf)
 *
 * negState must be one of the four RFC 4178 values; fields must be in
 * ascending tag order, each at most once.
 * Return: 0 or -EBADMSG.
 */
int spnego_decode_resp(const uint8_t *buf, size_t len,
		       struct spnego_resp *resp);

/**
 * spnego_mech_is_ntlmssp - does the OID content @oid (@len bytes) name
 * NTLMSSP?
 */
bool spnego_mech_is_ntlmssp(const uint8_t *oid, size_t len);

#endif
