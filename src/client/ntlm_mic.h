/* SPDX-License-Identifier: MIT */
/*
 * The SPNEGO mechListMIC for NTLMSSP (RFC 4178 §5, MS-SPNG 3.2.5.1,
 * MS-NLMP 3.4.4.2): an NTLMSSP message signature over the DER MechTypeList
 * the client sent. Samba requires it from clients whose NTLMSSP
 * AUTHENTICATE carries a MIC, and sends its own, which proves the mech
 * list was not edited on the way (a downgrade check).
 */
#ifndef SMBIOV_CLIENT_NTLM_MIC_H
#define SMBIOV_CLIENT_NTLM_MIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMB_NTLM_MIC_SIZE 16

/* The DER MechTypeList spnego_encode_init() sends: SEQUENCE { NTLMSSP }. */
size_t smb_ntlm_mech_list(uint8_t *out, size_t cap);

/**
 * smb_ntlm_mech_mic - NTLMSSP signature (sequence number 0, fresh RC4 state)
 * @session_key: the ExportedSessionKey (16 bytes)
 * @flags: the NegotiateFlags the AUTHENTICATE message carried (extended
 *	session security is required; KEY_EXCH selects the RC4 step)
 * @client: true for the client-to-server keys, false for server-to-client
 * @msg: the signed bytes, @len of them
 * @out: 16-byte signature: version 1, checksum, sequence number
 *
 * Return: 0, -EOPNOTSUPP without extended session security, -EIO.
 */
int smb_ntlm_mech_mic(const uint8_t session_key[16], uint32_t flags,
		      bool client, const uint8_t *msg, size_t len,
		      uint8_t out[SMB_NTLM_MIC_SIZE]);

#endif
