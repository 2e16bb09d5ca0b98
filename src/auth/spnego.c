// SPDX-License-Identifier: MIT
/*
 * Minimal SPNEGO (RFC 4178) over GSS-API framing (RFC 2743 3.1), just
 * the shapes SMB2 SESSION_SETUP uses with NTLMSSP:
 *
 *   InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
 *           thisMech OID (1.3.6.1.5.5.2), negTokenInit [0] NegTokenInit }
 *   NegTokenInit ::= SEQUENCE { mechTypes [0] SEQUENCE OF OID,
 *           reqFlags [1] BIT STRING OPT, mechToken [2] OCTET STRING OPT,
 *           mechListMIC [3] OCTET STRING OPT }
 *   NegTokenResp ::= [1] SEQUENCE { negState [0] ENUMERATED OPT,
 *           supportedMech [1] OID OPT, responseToken [2] OCTET STRING OPT,
 *           mechListMIC [3] OCTET STRING OPT }
 *
 * We encode DER and decode BER restricted to definite lengths. The decoder
 * is a fixed descent, not a generic ASN.1 walker, so no input can make it
 * recurse; the depth counter is a second line of defence should the shapes
 * ever grow.
 */
#include "auth/spnego.h"

#include <errno.h>
#include <string.h>

const uint8_t spnego_oid_spnego[6] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
const uint8_t spnego_oid_ntlmssp[10] = {0x2b, 0x06, 0x01, 0x04, 0x01,
					0x82, 0x37, 0x02, 0x02, 0x0a};

#define BER_OCTET_STRING 0x04
#define BER_OID		 0x06
#define BER_ENUMERATED	 0x0a
#define BER_BIT_STRING	 0x03
#define BER_SEQUENCE	 0x30
#define BER_APP0	 0x60		       /* [APPLICATION 0] constructed */
#define BER_CTX(n)	 (uint8_t)(0xa0 | (n)) /* [n] constructed */

/* A window of BER input: the contents of one constructed element. */
struct ber {
	const uint8_t *p;
	size_t len;
	size_t pos;
	unsigned int depth;
};

static int ber_init(struct ber *b, const uint8_t *p, size_t len,
		    unsigned int depth)
{
	if (depth > SPNEGO_MAX_DEPTH)
		return -EBADMSG;
	b->p = p;
	b->len = len;
	b->pos = 0;
	b->depth = depth;
	return 0;
}

static bool ber_done(const struct ber *b)
{
	return b->pos == b->len;
}

/* Read the next TLV; its value must lie inside the window. */
static int ber_next(struct ber *b, uint8_t *tag, const uint8_t **val,
		    size_t *vlen)
{
	size_t rem = b->len - b->pos, n;
	const uint8_t *p = b->p + b->pos;
	size_t hdr = 2;
	uint8_t l;

	if (rem < 2)
		return -EBADMSG;
	/* High tag numbers (low five bits all set) are never used here. */
	if ((p[0] & 0x1f) == 0x1f)
		return -EBADMSG;
	l = p[1];
	if (l < 0x80) {
		n = l;
	} else {
		size_t nb = l & 0x7f;

		/* 0x80 is the indefinite form; more than 4 length bytes
		 * describe more than any SMB message can hold. */
		if (nb == 0 || nb > 4 || nb > rem - 2)
			return -EBADMSG;
		n = 0;
		for (size_t i = 0; i < nb; i++)
			n = n << 8 | p[2 + i];
		hdr += nb;
	}
	if (n > rem - hdr)
		return -EBADMSG;
	*tag = p[0];
	*val = p + hdr;
	*vlen = n;
	b->pos += hdr + n;
	return 0;
}

/* The window [p, len) must hold exactly one element, tagged @want. */
static int ber_only(const uint8_t *p, size_t len, unsigned int depth,
		    uint8_t want, const uint8_t **val, size_t *vlen)
{
	struct ber b;
	uint8_t tag;
	int ret;

	ret = ber_init(&b, p, len, depth);
	if (ret)
		return ret;
	ret = ber_next(&b, &tag, val, vlen);
	if (ret)
		return ret;
	if (tag != want || !ber_done(&b))
		return -EBADMSG;
	return 0;
}

bool spnego_mech_is_ntlmssp(const uint8_t *oid, size_t len)
{
	return oid && len == sizeof(spnego_oid_ntlmssp) &&
	       memcmp(oid, spnego_oid_ntlmssp, len) == 0;
}

int spnego_token_kind(const uint8_t *buf, size_t len)
{
	if (!buf || len < 2)
		return -EBADMSG;
	if (len >= 8 && memcmp(buf, "NTLMSSP", 8) == 0)
		return SPNEGO_KIND_RAW_NTLMSSP;
	if (buf[0] == BER_APP0)
		return SPNEGO_KIND_INIT;
	if (buf[0] == BER_CTX(1))
		return SPNEGO_KIND_RESP;
	return -EBADMSG;
}

/* ---- decoding ----------------------------------------------------------- */

static int spnego_mech_list(const uint8_t *p, size_t len, unsigned int depth,
			    struct spnego_init *init)
{
	struct ber b;
	bool first = true;
	int ret;

	ret = ber_init(&b, p, len, depth);
	if (ret)
		return ret;
	if (ber_done(&b))
		return -EBADMSG; /* an empty mechanism list offers nothing */
	while (!ber_done(&b)) {
		const uint8_t *oid;
		size_t oid_len;
		uint8_t tag;

		ret = ber_next(&b, &tag, &oid, &oid_len);
		if (ret)
			return ret;
		if (tag != BER_OID || oid_len == 0)
			return -EBADMSG;
		if (spnego_mech_is_ntlmssp(oid, oid_len)) {
			init->has_ntlmssp = true;
			if (first)
				init->ntlmssp_first = true;
		}
		first = false;
	}
	init->mech_types = p;
	init->mech_types_len = len;
	return 0;
}

int spnego_decode_init(const uint8_t *buf, size_t len, struct spnego_init *init)
{
	const uint8_t *v, *oid, *seq;
	size_t vlen, oid_len, seq_len;
	struct ber gss, fields;
	int last = -1, ret;
	uint8_t tag;

	if (!init)
		return -EINVAL;
	memset(init, 0, sizeof(*init));
	if (!buf)
		return -EBADMSG;
	ret = ber_only(buf, len, 0, BER_APP0, &v, &vlen);
	if (ret)
		goto bad;
	ret = ber_init(&gss, v, vlen, 1);
	if (ret)
		goto bad;
	ret = ber_next(&gss, &tag, &oid, &oid_len);
	if (ret || tag != BER_OID || oid_len != sizeof(spnego_oid_spnego) ||
	    memcmp(oid, spnego_oid_spnego, oid_len) != 0)
		goto bad;
	/* The rest of the GSS token must be exactly negTokenInit [0]. */
	ret = ber_only(gss.p + gss.pos, gss.len - gss.pos, 2, BER_CTX(0), &v,
		       &vlen);
	if (ret)
		goto bad;
	ret = ber_only(v, vlen, 3, BER_SEQUENCE, &seq, &seq_len);
	if (ret)
		goto bad;
	ret = ber_init(&fields, seq, seq_len, 4);
	if (ret)
		goto bad;
	while (!ber_done(&fields)) {
		const uint8_t *inner;
		size_t inner_len;
		int n;

		ret = ber_next(&fields, &tag, &v, &vlen);
		if (ret)
			goto bad;
		n = tag - BER_CTX(0);
		/* Ascending order also rules out duplicates. */
		if (tag < BER_CTX(0) || n > 4 || n <= last)
			goto bad;
		last = n;
		switch (n) {
		case 0:
			ret = ber_only(v, vlen, 5, BER_SEQUENCE, &inner,
				       &inner_len);
			if (!ret)
				ret = spnego_mech_list(inner, inner_len, 6,
						       init);
			break;
		case 1:
			ret = ber_only(v, vlen, 5, BER_BIT_STRING, &inner,
				       &inner_len);
			break;
		case 2:
			ret = ber_only(v, vlen, 5, BER_OCTET_STRING,
				       &init->mech_token,
				       &init->mech_token_len);
			break;
		case 3:
			/* mechListMIC in NegTokenInit, negHints in
			 * NegTokenInit2: either shape, skipped. */
			ret = ber_only(v, vlen, 5, BER_OCTET_STRING, &inner,
				       &inner_len);
			if (ret)
				ret = ber_only(v, vlen, 5, BER_SEQUENCE, &inner,
					       &inner_len);
			break;
		default:
			ret = ber_only(v, vlen, 5, BER_OCTET_STRING, &inner,
				       &inner_len);
			break;
		}
		if (ret)
			goto bad;
	}
	if (!init->mech_types)
		goto bad;
	return 0;
bad:
	memset(init, 0, sizeof(*init));
	return -EBADMSG;
}

int spnego_decode_resp(const uint8_t *buf, size_t len, struct spnego_resp *resp)
{
	const uint8_t *v, *seq, *inner;
	size_t vlen, seq_len, inner_len;
	struct ber fields;
	int last = -1, ret;
	uint8_t tag;

	if (!resp)
		return -EINVAL;
	memset(resp, 0, sizeof(*resp));
	if (!buf)
		return -EBADMSG;
	ret = ber_only(buf, len, 0, BER_CTX(1), &v, &vlen);
	if (ret)
		goto bad;
	ret = ber_only(v, vlen, 1, BER_SEQUENCE, &seq, &seq_len);
	if (ret)
		goto bad;
	ret = ber_init(&fields, seq, seq_len, 2);
	if (ret)
		goto bad;
	while (!ber_done(&fields)) {
		int n;

		ret = ber_next(&fields, &tag, &v, &vlen);
		if (ret)
			goto bad;
		n = tag - BER_CTX(0);
		if (tag < BER_CTX(0) || n > 3 || n <= last)
			goto bad;
		last = n;
		switch (n) {
		case 0: {
			uint32_t st = 0;

			ret = ber_only(v, vlen, 3, BER_ENUMERATED, &inner,
				       &inner_len);
			/* BER allows non-minimal integers; a negative
			 * (high bit set) or huge one is no negState. */
			if (ret || inner_len == 0 || inner_len > 4 ||
			    (inner[0] & 0x80))
				goto bad;
			for (size_t i = 0; i < inner_len; i++)
				st = st << 8 | inner[i];
			if (st > SPNEGO_REQUEST_MIC)
				goto bad;
			resp->has_neg_state = true;
			resp->neg_state = (enum spnego_neg_state)st;
			break;
		}
		case 1:
			ret = ber_only(v, vlen, 3, BER_OID,
				       &resp->supported_mech,
				       &resp->supported_mech_len);
			if (ret || resp->supported_mech_len == 0)
				goto bad;
			break;
		case 2:
			ret = ber_only(v, vlen, 3, BER_OCTET_STRING,
				       &resp->response_token,
				       &resp->response_token_len);
			break;
		default:
			ret = ber_only(v, vlen, 3, BER_OCTET_STRING,
				       &resp->mech_list_mic,
				       &resp->mech_list_mic_len);
			break;
		}
		if (ret)
			goto bad;
	}
	return 0;
bad:
	memset(resp, 0, sizeof(*resp));
	return -EBADMSG;
}

/* ---- encoding (DER) ----------------------------------------------------- */

static size_t der_len_size(size_t n)
{
	if (n < 0x80)
		return 1;
	if (n < 0x100)
		return 2;
	if (n < 0x10000)
		return 3;
	return 4; /* callers bound contents far below 2^24 */
}

static size_t der_tlv_size(size_t n)
{
	return 1 + der_len_size(n) + n;
}

static uint8_t *der_put_hdr(uint8_t *p, uint8_t tag, size_t n)
{
	size_t ls = der_len_size(n);

	*p++ = tag;
	if (ls == 1) {
		*p++ = (uint8_t)n;
		return p;
	}
	*p++ = (uint8_t)(0x80 | (ls - 1));
	for (size_t i = ls - 1; i > 0; i--)
		*p++ = (uint8_t)(n >> (8 * (i - 1)));
	return p;
}

static uint8_t *der_put_tlv(uint8_t *p, uint8_t tag, const uint8_t *v, size_t n)
{
	p = der_put_hdr(p, tag, n);
	if (n)
		memcpy(p, v, n);
	return p + n;
}

int spnego_encode_init(const uint8_t *mech_token, size_t token_len,
		       uint8_t *out, size_t cap, size_t *out_len)
{
	size_t oid_tlv, mechs, f0, f2 = 0, seq, choice, gss, total;
	uint8_t *p;

	if (!out_len || token_len > SPNEGO_MAX_TOKEN_LEN ||
	    (token_len && !mech_token))
		return -EINVAL;
	oid_tlv = der_tlv_size(sizeof(spnego_oid_ntlmssp));
	mechs = der_tlv_size(oid_tlv);
	f0 = der_tlv_size(mechs);
	if (token_len)
		f2 = der_tlv_size(der_tlv_size(token_len));
	seq = der_tlv_size(f0 + f2);
	choice = der_tlv_size(seq);
	gss = der_tlv_size(sizeof(spnego_oid_spnego)) + choice;
	total = der_tlv_size(gss);
	*out_len = total;
	if (!out || cap < total)
		return -ENOSPC;

	p = der_put_hdr(out, BER_APP0, gss);
	p = der_put_tlv(p, BER_OID, spnego_oid_spnego,
			sizeof(spnego_oid_spnego));
	p = der_put_hdr(p, BER_CTX(0), seq);
	p = der_put_hdr(p, BER_SEQUENCE, f0 + f2);
	p = der_put_hdr(p, BER_CTX(0), mechs);
	p = der_put_hdr(p, BER_SEQUENCE, oid_tlv);
	p = der_put_tlv(p, BER_OID, spnego_oid_ntlmssp,
			sizeof(spnego_oid_ntlmssp));
	if (token_len) {
		p = der_put_hdr(p, BER_CTX(2), der_tlv_size(token_len));
		p = der_put_tlv(p, BER_OCTET_STRING, mech_token, token_len);
	}
	return p == out + total ? 0 : -EINVAL;
}

int spnego_encode_resp(const struct spnego_resp *resp, uint8_t *out, size_t cap,
		       size_t *out_len)
{
	size_t f0 = 0, f1 = 0, f2 = 0, f3 = 0, body, seq, total;
	uint8_t *p;

	if (!resp || !out_len)
		return -EINVAL;
	if (resp->has_neg_state &&
	    (unsigned int)resp->neg_state > (unsigned int)SPNEGO_REQUEST_MIC)
		return -EINVAL;
	if (resp->supported_mech_len > SPNEGO_MAX_TOKEN_LEN ||
	    resp->response_token_len > SPNEGO_MAX_TOKEN_LEN ||
	    resp->mech_list_mic_len > SPNEGO_MAX_TOKEN_LEN)
		return -EINVAL;
	if ((resp->supported_mech_len && !resp->supported_mech) ||
	    (resp->response_token_len && !resp->response_token) ||
	    (resp->mech_list_mic_len && !resp->mech_list_mic))
		return -EINVAL;
	if (resp->has_neg_state)
		f0 = der_tlv_size(der_tlv_size(1));
	if (resp->supported_mech)
		f1 = der_tlv_size(der_tlv_size(resp->supported_mech_len));
	if (resp->response_token)
		f2 = der_tlv_size(der_tlv_size(resp->response_token_len));
	if (resp->mech_list_mic)
		f3 = der_tlv_size(der_tlv_size(resp->mech_list_mic_len));
	body = f0 + f1 + f2 + f3;
	seq = der_tlv_size(body);
	total = der_tlv_size(seq);
	*out_len = total;
	if (!out || cap < total)
		return -ENOSPC;

	p = der_put_hdr(out, BER_CTX(1), seq);
	p = der_put_hdr(p, BER_SEQUENCE, body);
	if (resp->has_neg_state) {
		uint8_t st = (uint8_t)resp->neg_state;

		p = der_put_hdr(p, BER_CTX(0), der_tlv_size(1));
		p = der_put_tlv(p, BER_ENUMERATED, &st, 1);
	}
	if (resp->supported_mech) {
		p = der_put_hdr(p, BER_CTX(1),
				der_tlv_size(resp->supported_mech_len));
		p = der_put_tlv(p, BER_OID, resp->supported_mech,
				resp->supported_mech_len);
	}
	if (resp->response_token) {
		p = der_put_hdr(p, BER_CTX(2),
				der_tlv_size(resp->response_token_len));
		p = der_put_tlv(p, BER_OCTET_STRING, resp->response_token,
				resp->response_token_len);
	}
	if (resp->mech_list_mic) {
		p = der_put_hdr(p, BER_CTX(3),
				der_tlv_size(resp->mech_list_mic_len));
		p = der_put_tlv(p, BER_OCTET_STRING, resp->mech_list_mic,
				resp->mech_list_mic_len);
	}
	return p == out + total ? 0 : -EINVAL;
}
