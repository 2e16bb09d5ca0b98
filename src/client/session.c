// SPDX-License-Identifier: MIT
/*
 * SESSION_SETUP with NTLMSSP inside SPNEGO (MS-SMB2 3.2.4.2.3, 3.2.5.3),
 * the session keys (3.2.5.3.1: SP800-108 for 3.x, the NTLM session key
 * itself for 2.x), the signing and sealing decisions, and LOGOFF.
 */
#include "auth/ntlmssp.h"
#include "auth/spnego.h"
#include "client/engine.h"
#include "client/ntlm_mic.h"
#include "crypto/kdf.h"
#include "proto/ntstatus.h"
#include "proto/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* NTLM needs NEGOTIATE -> CHALLENGE -> AUTHENTICATE: two round trips. */
#define SS_MAX_ROUNDS 2
/* A dead server must not stall a disconnect. */
#define GOODBYE_TIMEOUT_MS 5000
#define SS_BLOB_SLACK	   64 /* SPNEGO wrapping around an NTLMSSP token */

/* One SESSION_SETUP round trip carrying @blob. */
static int ss_round(struct smbiov_client *c, const uint8_t *blob, size_t blen,
		    struct smb2_preauth *sp, bool want_sign, struct smb_req *r)
{
	uint8_t fixed[SMB2_SESSION_SETUP_REQ_LEN];
	struct smb2_session_setup_req q;
	struct smb2_hdr h;
	struct iovec iov[2];
	ssize_t len;

	memset(&q, 0, sizeof(q));
	memset(&h, 0, sizeof(h));
	q.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED;
	if (want_sign)
		q.security_mode |= SMB2_NEGOTIATE_SIGNING_REQUIRED;
	q.sec_buf = blob;
	q.sec_len = blen;
	/* a reconnect: the server drops the old session (3.2.4.2.3) */
	q.previous_session_id = c->prev_session_id;
	len = smb2_session_setup_req_encode(fixed, sizeof(fixed), &h, &q);
	if (len < 0)
		return (int)len;
	smb_req_init(r, SMB2_SESSION_SETUP);
	/* Unsigned: no key exists until this exchange ends (3.2.4.2.3). */
	r->flags = SMB_REQ_NO_TREE | SMB_REQ_NO_SIGN | SMB_REQ_QUIET;
	iov[0].iov_base = fixed + SMB2_HDR_SIZE;
	iov[0].iov_len = (size_t)len - SMB2_HDR_SIZE;
	iov[1].iov_base = (void *)blob;
	iov[1].iov_len = blen;
	r->body = iov;
	r->nbody = 2;
	r->preauth = sp;
	smb_call(c, r);
	return 0;
}

/* Pull the NTLMSSP token out of the server's security blob. */
static int server_token(const uint8_t *blob, size_t len, const uint8_t **tok,
			size_t *tlen)
{
	struct spnego_resp sr;
	int kind = spnego_token_kind(blob, len);

	if (kind == SPNEGO_KIND_RAW_NTLMSSP) {
		*tok = blob;
		*tlen = len;
		return 0;
	}
	if (kind != SPNEGO_KIND_RESP || spnego_decode_resp(blob, len, &sr) ||
	    !sr.response_token)
		return -EBADMSG;
	if (sr.has_neg_state && sr.neg_state == SPNEGO_REJECT)
		return -EACCES;
	*tok = sr.response_token;
	*tlen = sr.response_token_len;
	return 0;
}

/* CHALLENGE in, SPNEGO-wrapped AUTHENTICATE out (malloc'd into *@out). */
static int answer_challenge(struct ntlmssp_ctx *nt, const uint8_t *rsp,
			    size_t rsp_len, uint8_t **out, size_t *out_len)
{
	struct smb2_session_setup_rsp sr;
	struct ntlmssp_challenge chal;
	struct spnego_resp resp;
	const uint8_t *tok;
	uint8_t *auth = NULL, *blob = NULL;
	uint8_t key[NTLM_HASH_LEN], mechs[32], mic[SMB_NTLM_MIC_SIZE];
	size_t tlen, alen = 0, blen = 0, mlen;
	int ret;

	ret = smb2_session_setup_rsp_decode(rsp, rsp_len, &sr);
	if (!ret)
		ret = server_token(sr.sec_buf, sr.sec_len, &tok, &tlen);
	if (!ret)
		ret = ntlmssp_challenge_decode(tok, tlen, &chal);
	if (ret)
		return ret;
	ret = ntlmssp_authenticate_encode(nt, &chal, NULL, 0, &alen);
	if (ret != -ENOSPC)
		return ret ? ret : -EINVAL;
	auth = malloc(alen);
	blob = malloc(alen + SS_BLOB_SLACK);
	if (!auth || !blob) {
		ret = -ENOMEM;
		goto out;
	}
	ret = ntlmssp_authenticate_encode(nt, &chal, auth, alen, &alen);
	if (!ret)
		ret = ntlmssp_session_key(nt, key);
	if (!ret) {
		mlen = smb_ntlm_mech_list(mechs, sizeof(mechs));
		ret = smb_ntlm_mech_mic(key, nt->auth_flags, true, mechs, mlen,
					mic);
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (ret)
		goto out;
	memset(&resp, 0, sizeof(resp));
	resp.response_token = auth;
	resp.response_token_len = alen;
	/* RFC 4178 §5: protects the mech list we offered (MS-SPNG 3.3.5.1). */
	resp.mech_list_mic = mic;
	resp.mech_list_mic_len = sizeof(mic);
	ret = spnego_encode_resp(&resp, blob, alen + SS_BLOB_SLACK, &blen);
out:
	if (auth)
		OPENSSL_cleanse(auth, alen);
	free(auth);
	if (ret) {
		free(blob);
		return ret;
	}
	*out = blob;
	*out_len = blen;
	return 0;
}

static int auth_fail(int err, const char *what)
{
	return smb_error_set(err, 0, SMBIOV_PHASE_AUTH, "SESSION_SETUP: %s",
			     what);
}

/*
 * Turn the session key into signers and sealers (MS-SMB2 3.2.5.3.1) and
 * check the final response's signature with them.
 */
static int session_keys(struct smbiov_client *c, const uint8_t *skey,
			const struct smb2_preauth *sp, const struct smb_req *r,
			bool want_sign)
{
	struct smb3_keys keys;
	const uint8_t *sign_key = skey;
	struct smb2_hdr h;
	size_t klen = c->cipher ? smb2_cipher_key_len(c->cipher) : 16;
	int ret;

	memset(&keys, 0, sizeof(keys));
	if (c->dialect >= SMB2_DIALECT_300) {
		ret = smb3_derive_keys(c->dialect, skey, NTLM_HASH_LEN,
				       sp->value, klen, &keys);
		if (ret)
			return auth_fail(ret, "key derivation failed");
		sign_key = keys.signing;
	}
	ret = smb_signer_init(&c->tx_signer, c->signing_alg, sign_key, 16);
	if (!ret) {
		ret = smb_signer_init(&c->rx_signer, c->signing_alg, sign_key,
				      16);
		if (ret)
			smb_signer_release(&c->tx_signer);
	}
	if (ret) {
		ret = auth_fail(ret, "cannot set up signing");
		goto out;
	}
	c->have_signer = true;
	if (c->cipher && c->dialect >= SMB2_DIALECT_300) {
		ret = smb_sealer_init(&c->tx_sealer, c->cipher, c->session_id,
				      keys.encryption, keys.decryption, klen);
		if (!ret) {
			ret = smb_sealer_init(&c->rx_sealer, c->cipher,
					      c->session_id, keys.encryption,
					      keys.decryption, klen);
			if (ret)
				smb_sealer_release(&c->tx_sealer);
		}
		if (ret) {
			ret = auth_fail(ret, "cannot set up encryption");
			goto out;
		}
		c->have_sealer = true;
	}
	/*
	 * The final response proves the server holds the key: verify it
	 * whenever it is signed, and insist on it when signing is required
	 * (MS-SMB2 3.2.5.3.1 / 3.2.5.1.3). Never continue unsigned.
	 */
	ret = smb2_hdr_decode(r->rsp, r->rsp_len, &h);
	if (ret)
		goto out;
	if (h.flags & SMB2_FLAGS_SIGNED) {
		if (smb_signer_verify(&c->rx_signer, r->rsp, r->rsp_len, NULL))
			ret = auth_fail(-EKEYREJECTED,
					"bad signature on the final response");
	} else if (want_sign) {
		ret = auth_fail(-EKEYREJECTED, "final response is not signed");
	}
out:
	smb3_keys_wipe(&keys);
	return ret;
}

/*
 * The server's mechListMIC in its final token, when present, must match
 * the mech list we sent (RFC 4178 §5: detects an edited negotiation).
 */
static int check_server_mic(const struct ntlmssp_ctx *nt, const uint8_t *skey,
			    const struct smb2_session_setup_rsp *sr)
{
	uint8_t mechs[32], mic[SMB_NTLM_MIC_SIZE];
	struct spnego_resp resp;
	size_t mlen;
	int ret;

	if (!sr->sec_len ||
	    spnego_token_kind(sr->sec_buf, sr->sec_len) != SPNEGO_KIND_RESP)
		return 0;
	if (spnego_decode_resp(sr->sec_buf, sr->sec_len, &resp))
		return -EBADMSG;
	if (resp.has_neg_state && resp.neg_state == SPNEGO_REJECT)
		return -EACCES;
	if (!resp.mech_list_mic)
		return 0;
	mlen = smb_ntlm_mech_list(mechs, sizeof(mechs));
	ret = smb_ntlm_mech_mic(skey, nt->auth_flags, false, mechs, mlen, mic);
	if (ret)
		return ret;
	if (resp.mech_list_mic_len != sizeof(mic) ||
	    CRYPTO_memcmp(resp.mech_list_mic, mic, sizeof(mic)))
		return -EKEYREJECTED;
	return 0;
}

static int session_finish(struct smbiov_client *c, struct ntlmssp_ctx *nt,
			  const struct smb2_preauth *sp, struct smb_req *r,
			  bool want_sign, const struct smbiov_options *o)
{
	struct smb2_session_setup_rsp sr;
	uint8_t skey[NTLM_HASH_LEN];
	bool enc;
	int ret;

	if (smb2_session_setup_rsp_decode(r->rsp, r->rsp_len, &sr))
		return auth_fail(-EBADMSG, "malformed response");
	c->session_flags = sr.session_flags;
	if (sr.session_flags &
	    (SMB2_SESSION_FLAG_IS_GUEST | SMB2_SESSION_FLAG_IS_NULL)) {
		/* No session key: neither signing nor sealing possible. */
		if (want_sign || o->encrypt == SMBIOV_REQUIRED)
			return auth_fail(-EACCES, "server granted only guest "
						  "access; cannot sign");
		return 0;
	}
	ret = ntlmssp_session_key(nt, skey);
	if (ret)
		return auth_fail(ret, "no session key");
	ret = check_server_mic(nt, skey, &sr);
	if (ret) {
		OPENSSL_cleanse(skey, sizeof(skey));
		return auth_fail(ret, "bad mechListMIC from the server");
	}
	ret = session_keys(c, skey, sp, r, want_sign);
	OPENSSL_cleanse(skey, sizeof(skey));
	if (ret)
		return ret;
	enc = o->encrypt == SMBIOV_REQUIRED ||
	      (sr.session_flags & SMB2_SESSION_FLAG_ENCRYPT_DATA);
	if (enc && (!c->have_sealer || o->encrypt == SMBIOV_DISABLED))
		return smb_error_set(-EPROTO, 0, SMBIOV_PHASE_AUTH,
				     "session needs encryption, which is "
				     "unavailable or disabled");
	c->sealing = enc;
	c->signing = want_sign;
	return 0;
}

int smb_session_setup(struct smbiov_client *c, const char *user,
		      const char *domain, const char *password,
		      const struct smbiov_options *o)
{
	uint8_t neg[NTLMSSP_NEGOTIATE_LEN], first[NTLMSSP_NEGOTIATE_LEN + 64];
	struct ntlmssp_ctx nt;
	struct smb2_preauth sp = c->preauth;
	struct smb2_preauth *spp = c->dialect == SMB2_DIALECT_311 ? &sp : NULL;
	bool want_sign =
		(c->server_security_mode & SMB2_NEGOTIATE_SIGNING_REQUIRED) ||
		o->sign == SMBIOV_REQUIRED;
	uint8_t *blob = first, *next = NULL;
	size_t nlen, blen;
	struct smb_req r;
	int ret;

	memset(&nt, 0, sizeof(nt));
	memset(&r, 0, sizeof(r));
	if (!user || !*user)
		return auth_fail(-EINVAL, "no user name (anonymous logon is "
					  "not supported)");
	ret = ntlmssp_ctx_init(&nt, user, domain, password ? password : "",
			       NULL);
	if (ret)
		return auth_fail(ret, "cannot prepare NTLMSSP");
	ret = ntlmssp_negotiate_encode(&nt, neg, sizeof(neg), &nlen);
	if (!ret)
		ret = spnego_encode_init(neg, nlen, first, sizeof(first),
					 &blen);
	if (ret) {
		auth_fail(ret, "cannot encode NEGOTIATE_MESSAGE");
		goto out;
	}
	c->session_id = 0;
	for (int round = 0;; round++) {
		ret = ss_round(c, blob, blen, spp, want_sign, &r);
		if (ret) {
			auth_fail(ret, "cannot encode request");
			goto out;
		}
		if (r.status == STATUS_SUCCESS && !r.result)
			break;
		if (r.status != STATUS_MORE_PROCESSING_REQUIRED) {
			ret = r.status ? smb_error_status(r.status,
							  SMBIOV_PHASE_AUTH,
							  "SESSION_SETUP")
				       : auth_fail(r.result,
						   smbiov_strerror(r.result));
			goto out;
		}
		if (round + 1 >= SS_MAX_ROUNDS) {
			ret = auth_fail(-EPROTO, "too many rounds");
			goto out;
		}
		/* 3.2.5.3: the session id comes with the first reply. */
		{
			struct smb2_hdr h;

			if (smb2_hdr_decode(r.rsp, r.rsp_len, &h) ||
			    !h.session_id) {
				ret = auth_fail(-EBADMSG, "no SessionId");
				goto out;
			}
			c->session_id = h.session_id;
		}
		if (spp) {
			ret = smb2_preauth_update(spp, r.rsp, r.rsp_len, NULL);
			if (ret) {
				auth_fail(ret, "preauth hash failed");
				goto out;
			}
		}
		ret = answer_challenge(&nt, r.rsp, r.rsp_len, &next, &blen);
		smb_req_release(&r);
		if (ret == -ENOMEM) {
			/* ours, not the server's: a reconnect tries again */
			auth_fail(ret, "out of memory answering the CHALLENGE");
			goto out;
		}
		if (ret) {
			auth_fail(ret == -EACCES ? ret : -EPROTO,
				  "bad CHALLENGE from the server");
			ret = ret == -EACCES ? ret : -EPROTO;
			goto out;
		}
		if (blob != first) {
			OPENSSL_cleanse(blob, blen);
			free(blob);
		}
		blob = next;
		next = NULL;
	}
	/* The final response is not part of the preauth hash (3.2.5.3.1). */
	ret = session_finish(c, &nt, &sp, &r, want_sign, o);
out:
	smb_req_release(&r);
	if (blob != first) {
		OPENSSL_cleanse(blob, blen);
		free(blob);
	}
	ntlmssp_ctx_release(&nt);
	return ret;
}

/*
 * MS-SMB2 3.2.4.23: the client closes its tree connects (3.2.4.22), then
 * sends LOGOFF. Both go out before either answer is awaited: a command
 * line tool pays this round trip on every run.
 */
void smb_goodbye(struct smbiov_client *c)
{
	static const uint8_t tdis[4] = {SMB2_TREE_DISCONNECT_SIZE, 0, 0, 0};
	static const uint8_t logoff[4] = {SMB2_LOGOFF_SIZE, 0, 0, 0};
	struct iovec iov[2] = {{(void *)tdis, sizeof(tdis)},
			       {(void *)logoff, sizeof(logoff)}};
	struct smb_req r[2], *reqs[2];
	size_t n = 0;

	if (c->dead || !c->session_id)
		return;
	if (c->tree_id) {
		smb_req_init(&r[n], SMB2_TREE_DISCONNECT);
		r[n].flags = SMB_REQ_QUIET;
		r[n].body = &iov[0];
		r[n].nbody = 1;
		reqs[n] = &r[n];
		n++;
	}
	smb_req_init(&r[n], SMB2_LOGOFF);
	r[n].flags = SMB_REQ_NO_TREE | SMB_REQ_QUIET;
	r[n].body = &iov[1];
	r[n].nbody = 1;
	reqs[n] = &r[n];
	n++;
	for (size_t i = 0; i < n; i++)
		r[i].timeout_ms = GOODBYE_TIMEOUT_MS;
	smb_call_pipelined(c, reqs, n);
	for (size_t i = 0; i < n; i++)
		smb_req_release(&r[i]);
	c->tree_id = 0;
	c->session_id = 0;
}
