// SPDX-License-Identifier: MIT
/*
 * The NEGOTIATE phase (MS-SMB2 3.2.4.2.2.2, 3.2.5.2) and, after the tree
 * connect, FSCTL_VALIDATE_NEGOTIATE_INFO for 3.0/3.0.2 (3.2.4.20.14,
 * 3.2.5.14.12): both guard against a downgraded negotiation.
 */
#include "client/engine.h"
#include "proto/ioctl.h"
#include "proto/ntstatus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NEG_BUF_SIZE 512
/* Largest frame beyond the negotiated sizes: headers, transform, padding. */
#define FRAME_SLACK 4096

static const uint16_t all_dialects[] = {
	SMB2_DIALECT_202, SMB2_DIALECT_210, SMB2_DIALECT_300,
	SMB2_DIALECT_302, SMB2_DIALECT_311,
};

static int fill_random(void *p, size_t len)
{
	ssize_t n = getrandom(p, len, 0);

	return n == (ssize_t)len ? 0 : -EIO;
}

static int build_offer(struct smbiov_client *c, const struct smbiov_options *o)
{
	struct smb2_negotiate_req *q = &c->offer;
	uint16_t lo = o->min_dialect ? o->min_dialect : SMB2_DIALECT_202;
	uint16_t hi = o->max_dialect ? o->max_dialect : SMB2_DIALECT_311;

	memset(q, 0, sizeof(*q));
	for (size_t i = 0; i < sizeof(all_dialects) / sizeof(all_dialects[0]);
	     i++)
		if (all_dialects[i] >= lo && all_dialects[i] <= hi)
			q->dialects[q->nr_dialects++] = all_dialects[i];
	if (!q->nr_dialects)
		return -EINVAL;
	/* Signing is always enabled; required only when asked to. */
	q->security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED;
	if (o->sign == SMBIOV_REQUIRED)
		q->security_mode |= SMB2_NEGOTIATE_SIGNING_REQUIRED;
	q->capabilities = SMB2_GLOBAL_CAP_LARGE_MTU | SMB2_GLOBAL_CAP_LEASING;
	if (o->encrypt != SMBIOV_DISABLED)
		q->capabilities |= SMB2_GLOBAL_CAP_ENCRYPTION;
	/* One ClientGuid for the client's life: a reconnect is the same
	 * client to the server (durable handles, leases) */
	if ((!c->guid_set &&
	     fill_random(c->client_guid, sizeof(c->client_guid))) ||
	    fill_random(q->salt, sizeof(q->salt)))
		return -EIO;
	c->guid_set = true;
	memcpy(q->client_guid, c->client_guid, sizeof(q->client_guid));
	/* Preference order: GCM is faster than CCM on AES-NI machines. */
	if (o->encrypt != SMBIOV_DISABLED) {
		q->ciphers[0] = SMB2_ENCRYPTION_AES128_GCM;
		q->ciphers[1] = SMB2_ENCRYPTION_AES128_CCM;
		q->ciphers[2] = SMB2_ENCRYPTION_AES256_GCM;
		q->ciphers[3] = SMB2_ENCRYPTION_AES256_CCM;
		q->nr_ciphers = 4;
	}
	q->signing_algs[0] = SMB2_SIGNING_AES_GMAC;
	q->signing_algs[1] = SMB2_SIGNING_AES_CMAC;
	q->signing_algs[2] = SMB2_SIGNING_HMAC_SHA256;
	q->nr_signing_algs = 3;
	return 0;
}

static uint32_t clamp_size(uint32_t v, bool large_mtu)
{
	/* Without LARGE_MTU every request is one credit: 64 KiB at most. */
	if (!large_mtu && v > SMB2_MIN_MAX_SIZE)
		return SMB2_MIN_MAX_SIZE;
	/* 8 MiB keeps a single request's credit charge reasonable. */
	return v > (8u << 20) ? (8u << 20) : v;
}

/*
 * The caller's limit @want (smbiov_options.max_read, max_write; not 0) on
 * the server's @v: whole pages, as cifs rounds rsize and wsize, so the
 * page cache's READs and WRITEs split on page boundaries.
 */
static uint32_t cap_size(uint32_t v, uint32_t want)
{
	want = want < 4096 ? 4096 : want & ~(uint32_t)4095;
	return want < v ? want : v;
}

static int apply_rsp(struct smbiov_client *c, const struct smbiov_options *o,
		     const struct smb2_negotiate_rsp *n)
{
	bool mtu = n->dialect > SMB2_DIALECT_202 &&
		   (n->capabilities & SMB2_GLOBAL_CAP_LARGE_MTU);
	uint32_t m;

	c->dialect = n->dialect;
	c->server_security_mode = n->security_mode;
	c->server_caps = n->capabilities;
	memcpy(c->server_guid, n->server_guid, sizeof(c->server_guid));
	c->max_read = clamp_size(n->max_read_size, mtu);
	c->max_write = clamp_size(n->max_write_size, mtu);
	if (o->max_read)
		c->max_read = cap_size(c->max_read, o->max_read);
	if (o->max_write)
		c->max_write = cap_size(c->max_write, o->max_write);
	c->max_transact = clamp_size(n->max_transact_size, mtu);
	m = c->max_read > c->max_write ? c->max_read : c->max_write;
	m = m > c->max_transact ? m : c->max_transact;
	c->max_frame = m + FRAME_SLACK + SMB2_TRANSFORM_HEADER_SIZE;
	if (c->max_frame > SMB2_NBSS_MAX_LEN)
		c->max_frame = SMB2_NBSS_MAX_LEN;

	/* MS-SMB2 3.2.5.2: cipher and signing algorithm per dialect. */
	if (n->dialect == SMB2_DIALECT_311) {
		c->cipher = n->has_encryption ? n->cipher : 0;
		c->signing_alg =
			n->has_signing ? n->signing_alg : SMB2_SIGNING_AES_CMAC;
	} else if (n->dialect >= SMB2_DIALECT_300) {
		c->cipher = (n->capabilities & SMB2_GLOBAL_CAP_ENCRYPTION) &&
					    o->encrypt != SMBIOV_DISABLED
				    ? SMB2_ENCRYPTION_AES128_CCM
				    : 0;
		c->signing_alg = SMB2_SIGNING_AES_CMAC;
	} else {
		c->cipher = 0;
		c->signing_alg = SMB2_SIGNING_HMAC_SHA256;
	}

	if ((n->security_mode & SMB2_NEGOTIATE_SIGNING_REQUIRED) &&
	    o->sign == SMBIOV_DISABLED)
		return smb_error_set(-EPROTO, 0, SMBIOV_PHASE_NEGOTIATE,
				     "server requires signing, options "
				     "disable it");
	/* Never silently run without encryption that was required. */
	if (o->encrypt == SMBIOV_REQUIRED && !c->cipher)
		return smb_error_set(-EPROTO, 0, SMBIOV_PHASE_NEGOTIATE,
				     "encryption required but dialect "
				     "%x.%02x offers no cipher",
				     c->dialect >> 8, c->dialect & 0xff);
	return 0;
}

int smb_negotiate(struct smbiov_client *c, const struct smbiov_options *o)
{
	uint8_t buf[NEG_BUF_SIZE];
	struct smb2_negotiate_rsp n;
	struct smb2_hdr h;
	struct smb_req r;
	struct iovec iov;
	ssize_t len;
	int ret;

	ret = build_offer(c, o);
	if (ret)
		return smb_error_set(ret, 0, SMBIOV_PHASE_NEGOTIATE,
				     ret == -EINVAL ? "no dialect in range"
						    : "no random numbers");
	memset(&h, 0, sizeof(h));
	len = smb2_negotiate_req_encode(buf, sizeof(buf), &h, &c->offer);
	if (len < 0)
		return smb_error_set((int)len, 0, SMBIOV_PHASE_NEGOTIATE,
				     "cannot encode NEGOTIATE");
	smb_req_init(&r, SMB2_NEGOTIATE);
	r.flags = SMB_REQ_NO_SESSION | SMB_REQ_NO_TREE | SMB_REQ_NO_SIGN |
		  SMB_REQ_QUIET;
	iov.iov_base = buf + SMB2_HDR_SIZE;
	iov.iov_len = (size_t)len - SMB2_HDR_SIZE;
	r.body = &iov;
	r.nbody = 1;
	/* 3.1.1: H(1) over the request, H(2) over the response (3.2.5.2). */
	r.preauth = &c->preauth;
	ret = smb_call(c, &r);
	if (r.status && r.status != STATUS_SUCCESS) {
		ret = smb_error_status(r.status, SMBIOV_PHASE_NEGOTIATE,
				       "NEGOTIATE");
		goto out;
	}
	if (ret) {
		smb_error_set(ret, 0, SMBIOV_PHASE_NEGOTIATE, "NEGOTIATE: %s",
			      smbiov_strerror(ret));
		goto out;
	}
	ret = smb2_negotiate_rsp_decode(r.rsp, r.rsp_len, &n);
	if (!ret)
		ret = smb2_negotiate_check(&c->offer, &n);
	if (ret) {
		smb_error_set(-EPROTO, 0, SMBIOV_PHASE_NEGOTIATE,
			      "NEGOTIATE response rejected (%s)",
			      smbiov_strerror(ret));
		ret = -EPROTO;
		goto out;
	}
	if (n.dialect == SMB2_DIALECT_311) {
		ret = smb2_preauth_update(&c->preauth, r.rsp, r.rsp_len, NULL);
		if (ret) {
			smb_error_set(ret, 0, SMBIOV_PHASE_NEGOTIATE,
				      "preauth hash failed");
			goto out;
		}
	}
	ret = apply_rsp(c, o, &n);
out:
	smb_req_release(&r);
	return ret;
}

/*
 * MS-SMB2 3.2.5.14.12: the reply must be signed (forced here) or sealed;
 * its values must equal what NEGOTIATE produced, else a man in the middle
 * edited the negotiation and the connection is dropped.
 */
int smb_validate_negotiate(struct smbiov_client *c)
{
	uint8_t body[SMB2_IOCTL_REQ_FIXED + SMB2_VNEG_REQ_FIXED +
		     2 * SMB2_MAX_DIALECTS];
	uint8_t in[SMB2_VNEG_REQ_FIXED + 2 * SMB2_MAX_DIALECTS];
	struct smb2_ioctl_req io;
	struct smb2_ioctl_rsp ir;
	struct smb2_vneg v, got, want;
	struct smb_req r;
	struct iovec iov;
	ssize_t ilen, blen;
	int ret;

	if (c->dialect != SMB2_DIALECT_300 && c->dialect != SMB2_DIALECT_302)
		return 0;
	/* A guest or anonymous session has no key to sign with. */
	if (!c->have_signer && !c->sealing)
		return 0;
	memset(&v, 0, sizeof(v));
	v.capabilities = c->offer.capabilities;
	memcpy(v.guid, c->offer.client_guid, sizeof(v.guid));
	v.security_mode = c->offer.security_mode;
	v.dialects = c->offer.dialects;
	v.dialect_count = (uint16_t)c->offer.nr_dialects;
	ilen = smb2_vneg_req_encode(in, sizeof(in), &v);
	if (ilen < 0)
		return smb_error_set((int)ilen, 0, SMBIOV_PHASE_NEGOTIATE,
				     "cannot encode VALIDATE_NEGOTIATE");
	memset(&io, 0, sizeof(io));
	io.ctl_code = FSCTL_VALIDATE_NEGOTIATE_INFO;
	io.fid.persistent = SMB2_FILEID_NONE_PART;
	io.fid.volatile_id = SMB2_FILEID_NONE_PART;
	io.max_output_rsp = SMB2_VNEG_RSP_SIZE;
	io.flags = SMB2_0_IOCTL_IS_FSCTL;
	blen = smb2_ioctl_req_encode(body, sizeof(body), &io, in, (size_t)ilen);
	if (blen < 0)
		return smb_error_set((int)blen, 0, SMBIOV_PHASE_NEGOTIATE,
				     "cannot encode IOCTL");
	smb_req_init(&r, SMB2_IOCTL);
	r.flags = SMB_REQ_FORCE_SIGN | SMB_REQ_QUIET;
	iov.iov_base = body;
	iov.iov_len = (size_t)blen;
	r.body = &iov;
	r.nbody = 1;
	ret = smb_call(c, &r);
	if (ret && !r.status) {
		smb_error_set(ret, 0, SMBIOV_PHASE_NEGOTIATE,
			      "VALIDATE_NEGOTIATE: %s", smbiov_strerror(ret));
		goto out;
	}
	if (r.status == STATUS_NOT_SUPPORTED ||
	    r.status == STATUS_INVALID_DEVICE_REQUEST ||
	    r.status == STATUS_FILE_CLOSED) {
		/* Older servers; the reply was verified, nothing to compare. */
		ret = 0;
		goto out;
	}
	if (r.status) {
		ret = smb_error_status(r.status, SMBIOV_PHASE_NEGOTIATE,
				       "VALIDATE_NEGOTIATE");
		if (r.status == STATUS_ACCESS_DENIED)
			ret = -EPROTO;
		goto out;
	}
	ret = smb2_ioctl_rsp_decode(r.rsp, r.rsp_len, SMB2_VNEG_RSP_SIZE, &ir);
	if (!ret)
		ret = smb2_vneg_rsp_decode(ir.output, ir.output_len, &got);
	if (!ret) {
		memset(&want, 0, sizeof(want));
		want.capabilities = c->server_caps;
		memcpy(want.guid, c->server_guid, sizeof(want.guid));
		want.security_mode = c->server_security_mode;
		want.dialect = c->dialect;
		ret = smb2_vneg_rsp_check(&got, &want);
	}
	if (ret) {
		ret = smb_error_set(-EPROTO, 0, SMBIOV_PHASE_NEGOTIATE,
				    "VALIDATE_NEGOTIATE mismatch: possible "
				    "downgrade");
		smb_conn_kill(c, -EPROTO);
	}
out:
	smb_req_release(&r);
	return ret;
}
