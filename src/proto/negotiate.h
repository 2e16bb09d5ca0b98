/* SPDX-License-Identifier: MIT */
/*
 * NEGOTIATE request/response (MS-SMB2 2.2.3, 2.2.4) with the 3.1.1
 * negotiate contexts (2.2.3.1): preauth integrity, encryption and signing
 * capabilities.
 */
#ifndef SMBIOV_PROTO_NEGOTIATE_H
#define SMBIOV_PROTO_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/smb2.h"

#define SMB2_MAX_DIALECTS     8
#define SMB2_MAX_CIPHERS      4
#define SMB2_MAX_SIGNING_ALGS 3
#define SMB2_GUID_SIZE	      16

/*
 * The server's Max*Size below which a client SHOULD disconnect
 * (MS-SMB2 3.2.5.2).
 */
#define SMB2_MIN_MAX_SIZE 65536u

/**
 * struct smb2_negotiate_req - what the client offers
 * @security_mode: SMB2_NEGOTIATE_SIGNING_* bits
 * @capabilities: SMB2_GLOBAL_CAP_* bits
 * @client_guid: ClientGuid
 * @dialects: dialects offered, in any order
 * @nr_dialects: 1..SMB2_MAX_DIALECTS
 * @salt: preauth salt, sent when 3.1.1 is offered
 * @ciphers: encryption ciphers in preference order (3.1.1)
 * @nr_ciphers: 0 (no encryption context) .. SMB2_MAX_CIPHERS
 * @signing_algs: signing algorithms in preference order (3.1.1)
 * @nr_signing_algs: 0 (no signing context) .. SMB2_MAX_SIGNING_ALGS
 *
 * The same struct is the "offer" smb2_negotiate_check() judges a response
 * against, so the engine keeps it until the response arrives.
 */
struct smb2_negotiate_req {
	uint16_t security_mode;
	uint32_t capabilities;
	uint8_t client_guid[SMB2_GUID_SIZE];
	uint16_t dialects[SMB2_MAX_DIALECTS];
	unsigned int nr_dialects;
	uint8_t salt[SMB2_PREAUTH_SALT_SIZE];
	uint16_t ciphers[SMB2_MAX_CIPHERS];
	unsigned int nr_ciphers;
	uint16_t signing_algs[SMB2_MAX_SIGNING_ALGS];
	unsigned int nr_signing_algs;
};

/**
 * struct smb2_negotiate_rsp - decoded NEGOTIATE response
 * @security_mode: SecurityMode
 * @dialect: DialectRevision
 * @server_guid: ServerGuid
 * @capabilities: Capabilities
 * @max_transact_size: MaxTransactSize
 * @max_read_size: MaxReadSize
 * @max_write_size: MaxWriteSize
 * @system_time: SystemTime (FILETIME)
 * @server_start_time: ServerStartTime (FILETIME)
 * @sec_buf: security buffer (GSS token), borrowed from the decoded
 *	message, NULL when @sec_len is 0
 * @sec_len: SecurityBufferLength
 * @context_count: NegotiateContextCount (3.1.1 only, else 0)
 * @has_preauth: a preauth integrity context was present
 * @preauth_hash_count: its HashAlgorithmCount (>= 1)
 * @preauth_hash: its first HashAlgorithm
 * @preauth_salt: its Salt, borrowed; NULL when @preauth_salt_len is 0
 * @preauth_salt_len: its SaltLength
 * @has_encryption: an encryption capabilities context was present
 * @cipher_count: its CipherCount (>= 1)
 * @cipher: its first Cipher (0 = no common cipher)
 * @has_signing: a signing capabilities context was present
 * @signing_count: its SigningAlgorithmCount (>= 1)
 * @signing_alg: its first SigningAlgorithm
 * @unknown_contexts: contexts of other types, skipped
 *
 * Only the first entry of each list is kept: a response carries exactly
 * one, which smb2_negotiate_check() enforces.
 */
struct smb2_negotiate_rsp {
	uint16_t security_mode;
	uint16_t dialect;
	uint8_t server_guid[SMB2_GUID_SIZE];
	uint32_t capabilities;
	uint32_t max_transact_size;
	uint32_t max_read_size;
	uint32_t max_write_size;
	uint64_t system_time;
	uint64_t server_start_time;
	const uint8_t *sec_buf;
	uint16_t sec_len;
	uint16_t context_count;
	bool has_preauth;
	uint16_t preauth_hash_count;
	uint16_t preauth_hash;
	const uint8_t *preauth_salt;
	uint16_t preauth_salt_len;
	bool has_encryption;
	uint16_t cipher_count;
	uint16_t cipher;
	bool has_signing;
	uint16_t signing_count;
	uint16_t signing_alg;
	unsigned int unknown_contexts;
};

/**
 * smb2_negotiate_req_encode - encode a NEGOTIATE request
 * @out: output buffer (header + body + contexts are written here)
 * @cap: bytes at @out
 * @hdr: header fields (command is forced to NEGOTIATE)
 * @req: the offer
 *
 * When 3.1.1 is among @req->dialects the request carries a preauth
 * context (SHA-512 + @req->salt) and, if their counts are nonzero, the
 * encryption and signing contexts, each 8-aligned (MS-SMB2 2.2.3.1);
 * otherwise ClientStartTime is 0.
 *
 * Return: bytes written, -EINVAL for a bad @req (no dialect, too many
 * entries), -ENOSPC if @cap is too small.
 */
ssize_t smb2_negotiate_req_encode(uint8_t *out, size_t cap,
				  const struct smb2_hdr *hdr,
				  const struct smb2_negotiate_req *req);

/**
 * smb2_negotiate_req_decode - decode a NEGOTIATE request (fake servers)
 * @buf: message with header at offset 0
 * @len: message length
 * @req: result; lists longer than the struct's arrays are -EBADMSG
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_negotiate_req_decode(const uint8_t *buf, size_t len,
			      struct smb2_negotiate_req *req);

/**
 * smb2_negotiate_rsp_decode - decode a NEGOTIATE response
 * @buf: the response element, header at offset 0 (borrowed: pointers in
 *	@rsp point into it and live as long as it does)
 * @len: element length
 * @rsp: result, zeroed first
 *
 * Validates StructureSize, SecurityBufferOffset/Length (inside the message,
 * not in the fixed part) and, for dialect 3.1.1, NegotiateContextOffset
 * (8-aligned, after the fixed part) and every context: the whole header
 * and DataLength inside the message, the 8-aligned walk, a duplicate of a
 * known context type, list counts >= 1 and bounded by DataLength. Unknown
 * context types are skipped. Whether the values are acceptable is
 * smb2_negotiate_check()'s job.
 *
 * Return: 0 or -EBADMSG.
 */
int smb2_negotiate_rsp_decode(const uint8_t *buf, size_t len,
			      struct smb2_negotiate_rsp *rsp);

/**
 * smb2_negotiate_rsp_encode - encode a NEGOTIATE response (fake servers,
 *	tests and fuzz round trips)
 * @out: output buffer
 * @cap: bytes at @out
 * @hdr: header fields (command NEGOTIATE, SERVER_TO_REDIR set)
 * @rsp: values; lists are written with one entry each (the has_* flags
 *	say which contexts to write; only for dialect 3.1.1)
 *
 * Return: bytes written, -EINVAL, -ENOSPC.
 */
ssize_t smb2_negotiate_rsp_encode(uint8_t *out, size_t cap,
				  const struct smb2_hdr *hdr,
				  const struct smb2_negotiate_rsp *rsp);

/**
 * smb2_negotiate_check - judge a decoded response against our offer
 * @offer: what the request offered
 * @rsp: decoded response
 *
 * Rejects a dialect we did not offer (including the 0x02FF wildcard,
 * which answers only SMB1 multi-protocol negotiates), Max*Size below
 * 64 KiB (MS-SMB2 3.2.5.2), and for 3.1.1: a missing preauth context or
 * one whose HashAlgorithmCount is not 1 or whose hash is not SHA-512; an
 * encryption context when we offered none, a CipherCount other than 1, or
 * a cipher we did not offer (0, "no common cipher", is accepted); the
 * same for the signing context. This is the downgrade check of bug
 * class 12.
 *
 * Return: 0, or -EPROTO.
 */
int smb2_negotiate_check(const struct smb2_negotiate_req *offer,
			 const struct smb2_negotiate_rsp *rsp);

#endif
