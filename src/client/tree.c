// SPDX-License-Identifier: MIT
/*
 * TREE_CONNECT (MS-SMB2 3.2.4.2.4, 3.2.5.5) with the per-share encryption
 * decision, and TREE_DISCONNECT.
 */
#include "client/engine.h"
#include "proto/ntstatus.h"
#include "proto/tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Time allowed for the goodbye messages: a dead server must not stall. */

int smb_tree_connect(struct smbiov_client *c, const struct smbiov_options *o)
{
	struct smb2_tree_connect_req q;
	struct smb2_tree_connect_rsp tr;
	struct smb2_hdr h;
	struct smb_req r;
	struct iovec iov;
	size_t cap = SMB2_TREE_CONNECT_REQ_LEN + 2 * strlen(c->unc) + 8;
	uint8_t *buf = malloc(cap);
	ssize_t len;
	int ret;

	if (!buf)
		return smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_TREE,
				     "out of memory");
	memset(&q, 0, sizeof(q));
	memset(&h, 0, sizeof(h));
	q.path = c->unc;
	q.path_len = strlen(c->unc);
	len = smb2_tree_connect_req_encode(buf, cap, &h, &q);
	if (len < 0) {
		free(buf);
		return smb_error_set((int)len, 0, SMBIOV_PHASE_TREE,
				     "bad share name");
	}
	smb_req_init(&r, SMB2_TREE_CONNECT);
	r.flags = SMB_REQ_NO_TREE | SMB_REQ_QUIET;
	/*
	 * MS-SMB2 3.2.4.1.1: a 3.1.1 TREE_CONNECT is always signed (servers
	 * refuse it otherwise), whatever the session's signing policy.
	 */
	if (c->dialect == SMB2_DIALECT_311 && c->have_signer)
		r.flags |= SMB_REQ_FORCE_SIGN;
	iov.iov_base = buf + SMB2_HDR_SIZE;
	iov.iov_len = (size_t)len - SMB2_HDR_SIZE;
	r.body = &iov;
	r.nbody = 1;
	ret = smb_call(c, &r);
	free(buf);
	if (r.status && r.status != STATUS_SUCCESS) {
		char what[64];

		snprintf(what, sizeof(what), "TREE_CONNECT %.40s", c->share);
		ret = smb_error_status(r.status, SMBIOV_PHASE_TREE, what);
		goto out;
	}
	if (ret) {
		smb_error_set(ret, 0, SMBIOV_PHASE_TREE, "TREE_CONNECT: %s",
			      smbiov_strerror(ret));
		goto out;
	}
	if (smb2_hdr_decode(r.rsp, r.rsp_len, &h) ||
	    smb2_tree_connect_rsp_decode(r.rsp, r.rsp_len, &tr)) {
		ret = smb_error_set(-EBADMSG, 0, SMBIOV_PHASE_TREE,
				    "malformed TREE_CONNECT response");
		goto out;
	}
	c->tree_id = h.tree_id;
	c->share_type = tr.share_type;
	c->share_flags = tr.share_flags;
	c->share_caps = tr.capabilities;
	c->maximal_access = tr.maximal_access;
	/*
	 * MS-SMB2 3.2.5.5: a share that demands encryption gets it, or we
	 * do not use it at all — never silently in the clear.
	 */
	if (tr.share_flags & SMB2_SHAREFLAG_ENCRYPT_DATA) {
		if (!c->have_sealer || o->encrypt == SMBIOV_DISABLED) {
			ret = smb_error_set(-EPROTO, 0, SMBIOV_PHASE_TREE,
					    "share %s requires encryption, "
					    "which is unavailable",
					    c->share);
			goto out;
		}
		c->sealing = true;
	}
out:
	smb_req_release(&r);
	return ret;
}
