// SPDX-License-Identifier: MIT
/*
 * NTLMSSP client messages (MS-NLMP 2.2.1, 3.1.5.1, 3.3.2).
 *
 * Layout decisions:
 * - NEGOTIATE is the 32-byte fixed part plus an 8-byte VERSION and no
 *   payload: we never send domain or workstation there (the *_SUPPLIED
 *   flags stay clear), so nothing about the user leaks before the server
 *   has proven anything.
 * - AUTHENTICATE puts its payload in the order Domain, User, Workstation,
 *   LmChallengeResponse, NtChallengeResponse, EncryptedRandomSessionKey,
 *   the order of the MS-NLMP 4.2.4.3 example, right after the header:
 *   72 bytes, or 88 when a 16-byte MIC field follows VERSION. The MIC field
 *   is present exactly when the server sent MsvAvTimestamp, because only
 *   then do we set MsvAvFlags.MIC-present (MS-NLMP 3.1.5.1.2); without it
 *   the message matches the 4.2.4.3 example byte for byte.
 * - All lengths are computed before anything is written and bounded to
 *   0xffff bytes in total, so no 16-bit length or 32-bit offset can wrap.
 */
#include "auth/ntlmssp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "proto/le.h"
#include "proto/utf16.h"
#include "proto/span.h"

static const uint8_t ntlmssp_sig[NTLMSSP_SIGNATURE_LEN] = "NTLMSSP";

/* Flags we drop from AUTHENTICATE when the server did not offer them. */
#define NTLMSSP_SERVER_NEGOTIABLE                                              \
	(NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_SIGN |                  \
	 NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_ALWAYS_SIGN |              \
	 NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |                          \
	 NTLMSSP_NEGOTIATE_TARGET_INFO | NTLMSSP_NEGOTIATE_128 |               \
	 NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_56)

/* NTLMv2_CLIENT_CHALLENGE up to AvPairs (MS-NLMP 2.2.2.7). */
#define NTLMV2_BLOB_HDR_LEN 28

/* Seconds from 1601-01-01 to 1970-01-01. */
#define FILETIME_UNIX_EPOCH 11644473600ull

static int ntlmssp_dup_utf16(const char *s, uint8_t **out, size_t *out_len)
{
	size_t len, n = 0;
	int ret;

	*out = NULL;
	*out_len = 0;
	if (!s)
		return 0;
	len = strlen(s);
	if (len > NTLMSSP_MAX_NAME_LEN)
		return -EINVAL;
	ret = utf16_from_utf8(s, len, NULL, 0, &n);
	if (ret)
		return ret;
	if (!n)
		return 0;
	*out = malloc(n);
	if (!*out)
		return -ENOMEM;
	ret = utf16_from_utf8(s, len, *out, n, &n);
	if (ret) {
		free(*out);
		*out = NULL;
		return ret;
	}
	*out_len = n;
	return 0;
}

int ntlmssp_ctx_init(struct ntlmssp_ctx *ctx, const char *user,
		     const char *domain, const char *password,
		     const char *workstation)
{
	int ret;

	if (!ctx)
		return -EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	if (!user || !*user || !password)
		return -EINVAL;
	ctx->flags = NTLMSSP_CLIENT_FLAGS;
	/*
	 * VERSION (MS-NLMP 2.2.2.10) is informational only; we send 10.0,
	 * build 0, NTLMSSP revision 15 (NTLMSSP_REVISION_W2K3), the current
	 * revision that defines the MIC.
	 */
	ctx->version[0] = 10;
	ctx->version[7] = 0x0f;

	ret = ntlmssp_dup_utf16(user, &ctx->user, &ctx->user_len);
	if (ret)
		goto fail;
	ret = ntlmssp_dup_utf16(domain, &ctx->domain, &ctx->domain_len);
	if (ret)
		goto fail;
	ret = ntlmssp_dup_utf16(workstation, &ctx->workstation,
				&ctx->workstation_len);
	if (ret)
		goto fail;
	ret = ntlm_nt_hash(password, ctx->nt_hash);
	if (ret)
		goto fail;
	return 0;
fail:
	ntlmssp_ctx_release(ctx);
	return ret;
}

void ntlmssp_ctx_release(struct ntlmssp_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->user)
		OPENSSL_clear_free(ctx->user, ctx->user_len);
	if (ctx->domain)
		OPENSSL_clear_free(ctx->domain, ctx->domain_len);
	if (ctx->workstation)
		OPENSSL_clear_free(ctx->workstation, ctx->workstation_len);
	/* OPENSSL_cleanse cannot be optimised away, unlike memset. */
	OPENSSL_cleanse(ctx, sizeof(*ctx));
}

void ntlmssp_ctx_set_test_values(struct ntlmssp_ctx *ctx,
				 const uint8_t client_challenge[8],
				 uint64_t time,
				 const uint8_t random_session_key[16])
{
	ctx->test.set = true;
	memcpy(ctx->test.client_challenge, client_challenge,
	       NTLM_CHALLENGE_LEN);
	ctx->test.time = time;
	memcpy(ctx->test.random_session_key, random_session_key, NTLM_HASH_LEN);
}

int ntlmssp_negotiate_encode(struct ntlmssp_ctx *ctx, uint8_t *out, size_t cap,
			     size_t *out_len)
{
	uint8_t *m;

	if (!ctx || !out_len || ctx->state != NTLMSSP_STATE_INIT)
		return -EINVAL;
	*out_len = NTLMSSP_NEGOTIATE_LEN;
	if (!out || cap < NTLMSSP_NEGOTIATE_LEN)
		return -ENOSPC;
	m = ctx->negotiate;
	memset(m, 0, NTLMSSP_NEGOTIATE_LEN);
	memcpy(m, ntlmssp_sig, NTLMSSP_SIGNATURE_LEN);
	le32_put(m + 8, 1);
	le32_put(m + 12, ctx->flags);
	/* Empty DomainNameFields and WorkstationFields point at the end. */
	le32_put(m + 20, NTLMSSP_NEGOTIATE_LEN);
	le32_put(m + 28, NTLMSSP_NEGOTIATE_LEN);
	memcpy(m + 32, ctx->version, sizeof(ctx->version));
	ctx->negotiate_len = NTLMSSP_NEGOTIATE_LEN;
	memcpy(out, m, NTLMSSP_NEGOTIATE_LEN);
	ctx->state = NTLMSSP_STATE_NEGOTIATE_SENT;
	return 0;
}

/*
 * Walk the AV_PAIR list of a TargetInfo field (MS-NLMP 2.2.2.1). Bounded:
 * every step consumes at least 4 bytes and each AvLen is checked against
 * what remains before it is used. Sets target_info_len to the bytes
 * through MsvAvEOL; trailing bytes after EOL are ignored.
 */
static int ntlmssp_av_parse(const uint8_t *p, size_t len,
			    struct ntlmssp_challenge *chal)
{
	size_t pos = 0;

	for (;;) {
		uint16_t id, alen;

		if (len - pos < 4)
			return -EBADMSG; /* ran out before MsvAvEOL */
		id = le16_get(p + pos);
		alen = le16_get(p + pos + 2);
		if (alen > len - pos - 4)
			return -EBADMSG;
		switch (id) {
		case MSV_AV_EOL:
			if (alen)
				return -EBADMSG;
			chal->target_info = p;
			chal->target_info_len = pos + 4;
			return 0;
		case MSV_AV_TIMESTAMP:
			/* Two timestamps would make the MIC decision and
			 * the response time ambiguous: refuse. */
			if (alen != 8 || chal->has_timestamp)
				return -EBADMSG;
			chal->has_timestamp = true;
			chal->timestamp = le64_get(p + pos + 4);
			break;
		case MSV_AV_FLAGS:
			if (alen != 4 || chal->has_av_flags)
				return -EBADMSG;
			chal->has_av_flags = true;
			chal->av_flags = le32_get(p + pos + 4);
			break;
		default:
			break;
		}
		pos += 4 + (size_t)alen;
	}
}

int ntlmssp_challenge_decode(const uint8_t *buf, size_t len,
			     struct ntlmssp_challenge *chal)
{
	uint32_t tn_off, ti_off;
	uint16_t tn_len, ti_len;
	int ret;

	if (!chal)
		return -EINVAL;
	memset(chal, 0, sizeof(*chal));
	if (!buf || len < NTLMSSP_CHALLENGE_MIN_LEN)
		return -EBADMSG;
	if (memcmp(buf, ntlmssp_sig, NTLMSSP_SIGNATURE_LEN) != 0 ||
	    le32_get(buf + 8) != 2)
		return -EBADMSG;
	tn_len = le16_get(buf + 12);
	tn_off = le32_get(buf + 16);
	chal->flags = le32_get(buf + 20);
	memcpy(chal->server_challenge, buf + 24, NTLM_CHALLENGE_LEN);
	ti_len = le16_get(buf + 40);
	ti_off = le32_get(buf + 44);

	ret = span_check(len, NTLMSSP_CHALLENGE_MIN_LEN, tn_off, tn_len);
	if (ret)
		goto bad;
	ret = span_check(len, NTLMSSP_CHALLENGE_MIN_LEN, ti_off, ti_len);
	if (ret)
		goto bad;
	if (tn_len) {
		chal->target_name = buf + tn_off;
		chal->target_name_len = tn_len;
	}
	if (ti_len) {
		ret = ntlmssp_av_parse(buf + ti_off, ti_len, chal);
		if (ret)
			goto bad;
	}
	chal->msg = buf;
	chal->msg_len = len;
	return 0;
bad:
	memset(chal, 0, sizeof(*chal));
	return -EBADMSG;
}

/*
 * The AV pairs we echo in the NTLMv2 blob: the server's, in order, with
 * MsvAvFlags gaining MIC-present when @mic (added if the server sent none),
 * then MsvAvEOL. With @out NULL only the length is computed.
 */
static size_t ntlmssp_av_echo(const struct ntlmssp_challenge *chal, bool mic,
			      uint8_t *out)
{
	const uint8_t *p = chal->target_info;
	size_t pos = 0, o = 0;
	bool flags_done = false;

	/* target_info was validated by ntlmssp_av_parse(): it ends in EOL. */
	while (p && pos + 4 <= chal->target_info_len) {
		uint16_t id = le16_get(p + pos);
		uint16_t alen = le16_get(p + pos + 2);

		if (id == MSV_AV_EOL)
			break;
		if (out)
			memcpy(out + o, p + pos, 4 + (size_t)alen);
		if (id == MSV_AV_FLAGS && mic) {
			if (out)
				le32_put(out + o + 4,
					 le32_get(p + pos + 4) |
						 MSV_AV_FLAG_MIC_PRESENT);
			flags_done = true;
		}
		o += 4 + (size_t)alen;
		pos += 4 + (size_t)alen;
	}
	if (mic && !flags_done) {
		if (out) {
			le16_put(out + o, MSV_AV_FLAGS);
			le16_put(out + o + 2, 4);
			le32_put(out + o + 4, MSV_AV_FLAG_MIC_PRESENT);
		}
		o += 8;
	}
	if (out)
		memset(out + o, 0, 4); /* MsvAvEOL */
	return o + 4;
}

static uint64_t ntlmssp_filetime_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return ((uint64_t)ts.tv_sec + FILETIME_UNIX_EPOCH) * 10000000u +
	       (uint64_t)ts.tv_nsec / 100u;
}

/* Write one (Len, MaxLen, BufferOffset) triple of the fixed header. */
static void ntlmssp_put_field(uint8_t *p, size_t len, size_t off)
{
	le16_put(p, (uint16_t)len);
	le16_put(p + 2, (uint16_t)len);
	le32_put(p + 4, (uint32_t)off);
}

/*
 * Where AUTHENTICATE's fields go: lengths and offsets, all computed before
 * anything is written (the file comment has the order and the bound).
 */
struct ntlmssp_auth_layout {
	size_t temp_len; /* the NTLMv2 blob, "temp" of MS-NLMP 3.3.2 */
	size_t nt_len, lm_len, ek_len, total;
	size_t dom_off, user_off, ws_off, lm_off, nt_off, ek_off;
};

static void ntlmssp_auth_layout(const struct ntlmssp_ctx *ctx,
				const struct ntlmssp_challenge *chal,
				uint32_t flags, bool mic,
				struct ntlmssp_auth_layout *l)
{
	size_t hdr = NTLMSSP_AUTH_HDR_LEN + (mic ? NTLM_HASH_LEN : 0);

	l->temp_len =
		NTLMV2_BLOB_HDR_LEN + ntlmssp_av_echo(chal, mic, NULL) + 4;
	l->nt_len = NTLM_HASH_LEN + l->temp_len;
	l->lm_len = NTLM_LMV2_RESP_LEN;
	l->ek_len = (flags & NTLMSSP_NEGOTIATE_KEY_EXCH) ? NTLM_HASH_LEN : 0;
	l->dom_off = hdr;
	l->user_off = l->dom_off + ctx->domain_len;
	l->ws_off = l->user_off + ctx->user_len;
	l->lm_off = l->ws_off + ctx->workstation_len;
	l->nt_off = l->lm_off + l->lm_len;
	l->ek_off = l->nt_off + l->nt_len;
	l->total = l->ek_off + l->ek_len;
}

/* The blob's ClientChallenge and Time (fixed ones under ctx->test). */
static int ntlmssp_auth_nonce(const struct ntlmssp_ctx *ctx,
			      const struct ntlmssp_challenge *chal,
			      uint8_t cc[NTLM_CHALLENGE_LEN], uint64_t *time)
{
	int ret;

	if (ctx->test.set) {
		memcpy(cc, ctx->test.client_challenge, NTLM_CHALLENGE_LEN);
	} else {
		ret = ntlm_random(cc, NTLM_CHALLENGE_LEN);
		if (ret)
			return ret;
	}
	/* MS-NLMP 3.1.5.1.2: use the server's time when it sent one. */
	if (chal->has_timestamp)
		*time = chal->timestamp;
	else if (ctx->test.set)
		*time = ctx->test.time;
	else
		*time = ntlmssp_filetime_now();
	return 0;
}

/*
 * Everything of the message but what the keys give (the responses, the
 * encrypted session key, the MIC), which stays zero for now.
 */
static void ntlmssp_auth_write(const struct ntlmssp_ctx *ctx,
			       const struct ntlmssp_challenge *chal,
			       const struct ntlmssp_auth_layout *l,
			       uint32_t flags, bool mic,
			       const uint8_t cc[NTLM_CHALLENGE_LEN],
			       uint64_t time, uint8_t *out)
{
	uint8_t *temp;

	memset(out, 0, l->total);
	memcpy(out, ntlmssp_sig, NTLMSSP_SIGNATURE_LEN);
	le32_put(out + 8, 3);
	ntlmssp_put_field(out + 12, l->lm_len, l->lm_off);
	ntlmssp_put_field(out + 20, l->nt_len, l->nt_off);
	ntlmssp_put_field(out + 28, ctx->domain_len, l->dom_off);
	ntlmssp_put_field(out + 36, ctx->user_len, l->user_off);
	ntlmssp_put_field(out + 44, ctx->workstation_len, l->ws_off);
	ntlmssp_put_field(out + 52, l->ek_len, l->ek_off);
	le32_put(out + 60, flags);
	memcpy(out + 64, ctx->version, sizeof(ctx->version));
	if (ctx->domain_len)
		memcpy(out + l->dom_off, ctx->domain, ctx->domain_len);
	memcpy(out + l->user_off, ctx->user, ctx->user_len);
	if (ctx->workstation_len)
		memcpy(out + l->ws_off, ctx->workstation, ctx->workstation_len);

	/* temp (MS-NLMP 3.3.2): 1, 1, Z(6), Time, ClientChallenge, Z(4),
	 * ServerName (our AV pairs), Z(4). Built in place in the message. */
	temp = out + l->nt_off + NTLM_HASH_LEN;
	temp[0] = 1;
	temp[1] = 1;
	le64_put(temp + 8, time);
	memcpy(temp + 16, cc, NTLM_CHALLENGE_LEN);
	ntlmssp_av_echo(chal, mic, temp + NTLMV2_BLOB_HDR_LEN);
}

/*
 * The responses into @out (NTProofStr over the blob written there; the
 * LMv2 response unless @mic) and the ExportedSessionKey into @exported
 * (sent encrypted under KEY_EXCH). The keys it derives on the way are
 * wiped here.
 */
static int ntlmssp_auth_keys(const struct ntlmssp_ctx *ctx,
			     const struct ntlmssp_challenge *chal,
			     const struct ntlmssp_auth_layout *l, bool mic,
			     const uint8_t cc[NTLM_CHALLENGE_LEN], uint8_t *out,
			     uint8_t exported[NTLM_HASH_LEN])
{
	uint8_t key_nt[NTLM_HASH_LEN], sbk[NTLM_HASH_LEN];
	int ret;

	ret = ntlm_ntowfv2(ctx->nt_hash, ctx->user, ctx->user_len, ctx->domain,
			   ctx->domain_len, key_nt);
	if (ret)
		goto out;
	ret = ntlm_ntproofstr(key_nt, chal->server_challenge,
			      out + l->nt_off + NTLM_HASH_LEN, l->temp_len,
			      out + l->nt_off);
	if (ret)
		goto out;
	ret = ntlm_session_base_key(key_nt, out + l->nt_off, sbk);
	if (ret)
		goto out;
	/* MS-NLMP 3.1.5.1.2: with a timestamp, the LM response is Z(24). */
	if (!mic) {
		ret = ntlm_lmv2_response(key_nt, chal->server_challenge, cc,
					 out + l->lm_off);
		if (ret)
			goto out;
	}
	/* KXKEY() is the SessionBaseKey itself for NTLMv2 (3.4.5.1). */
	if (l->ek_len) {
		if (ctx->test.set) {
			memcpy(exported, ctx->test.random_session_key,
			       NTLM_HASH_LEN);
		} else {
			ret = ntlm_random(exported, NTLM_HASH_LEN);
			if (ret)
				goto out;
		}
		ret = ntlm_encrypt_session_key(sbk, exported, out + l->ek_off);
	} else {
		memcpy(exported, sbk, NTLM_HASH_LEN);
	}
out:
	OPENSSL_cleanse(key_nt, sizeof(key_nt));
	OPENSSL_cleanse(sbk, sizeof(sbk));
	return ret;
}

int ntlmssp_authenticate_encode(struct ntlmssp_ctx *ctx,
				const struct ntlmssp_challenge *chal,
				uint8_t *out, size_t cap, size_t *out_len)
{
	struct ntlmssp_auth_layout l;
	uint8_t cc[NTLM_CHALLENGE_LEN];
	uint8_t exported[NTLM_HASH_LEN], mic_val[NTLM_HASH_LEN];
	uint32_t flags;
	uint64_t time;
	bool mic;
	int ret;

	if (!ctx || !chal || !out_len ||
	    ctx->state != NTLMSSP_STATE_NEGOTIATE_SENT || !chal->msg)
		return -EINVAL;
	/* We only speak UTF-16; an OEM-only server cannot understand us. */
	if (!(chal->flags & NTLMSSP_NEGOTIATE_UNICODE))
		return -EOPNOTSUPP;
	flags = ctx->flags & (chal->flags | ~NTLMSSP_SERVER_NEGOTIABLE);
	mic = chal->has_timestamp;

	ntlmssp_auth_layout(ctx, chal, flags, mic, &l);
	/*
	 * Names are bounded at init (2 KiB of UTF-16 each), so only the
	 * server's TargetInfo can push us past 16-bit lengths: its fault.
	 */
	if (l.total > NTLMSSP_MAX_MSG_LEN)
		return -EBADMSG;
	*out_len = l.total;
	if (!out || cap < l.total)
		return -ENOSPC;

	ret = ntlmssp_auth_nonce(ctx, chal, cc, &time);
	if (ret)
		return ret;
	ntlmssp_auth_write(ctx, chal, &l, flags, mic, cc, time, out);
	ret = ntlmssp_auth_keys(ctx, chal, &l, mic, cc, out, exported);
	if (ret)
		goto fail;
	if (mic) {
		/* The MIC field is still zero, as the MIC requires. */
		ret = ntlm_mic(exported, ctx->negotiate, ctx->negotiate_len,
			       chal->msg, chal->msg_len, out, l.total, mic_val);
		if (ret)
			goto fail;
		memcpy(out + NTLMSSP_AUTH_MIC_OFFSET, mic_val, NTLM_HASH_LEN);
	}
	memcpy(ctx->session_key, exported, NTLM_HASH_LEN);
	ctx->auth_flags = flags;
	ctx->state = NTLMSSP_STATE_DONE;
	ret = 0;
	goto out;
fail:
	/* Never leave a half-built message that could be sent by mistake. */
	OPENSSL_cleanse(out, l.total);
out:
	OPENSSL_cleanse(exported, sizeof(exported));
	return ret;
}

int ntlmssp_session_key(const struct ntlmssp_ctx *ctx,
			uint8_t out[NTLM_HASH_LEN])
{
	if (!ctx || !out || ctx->state != NTLMSSP_STATE_DONE)
		return -EINVAL;
	memcpy(out, ctx->session_key, NTLM_HASH_LEN);
	return 0;
}
