/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the receive-side entry points that see raw bytes first: the
 * direct-TCP length prefix, the SMB2 header, the compound walk, the
 * ERROR response with its contexts, and the responses whose body is only
 * a StructureSize (ECHO, FLUSH, LOCK, LOGOFF, TREE_DISCONNECT). Malformed input
 * must only produce errors; a decode that succeeds must survive an encode ->
 * decode round trip unchanged (abort() flags a codec bug, never bad input).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/create.h"
#include "proto/oplock.h"
#include "proto/session.h"
#include "proto/smb2.h"
#include "proto/tree.h"

static uint8_t out[1 << 17];

static void check_hdr(const uint8_t *p, size_t n)
{
	struct smb2_hdr h, d;

	if (smb2_hdr_decode(p, n, &h))
		return;
	smb2_hdr_encode(out, &h);
	if (smb2_hdr_decode(out, SMB2_HDR_SIZE, &d) ||
	    memcmp(&h.signature, &d.signature, sizeof(d.signature)) ||
	    h.command != d.command || h.flags != d.flags ||
	    h.message_id != d.message_id || h.session_id != d.session_id ||
	    h.tree_id != d.tree_id || h.async_id != d.async_id ||
	    h.status != d.status || h.credits != d.credits ||
	    h.credit_charge != d.credit_charge ||
	    h.next_command != d.next_command)
		abort();
}

static void check_error(const uint8_t *p, size_t n)
{
	struct smb2_error_rsp r, d;
	struct smb2_error_ctx c;
	struct smb2_hdr h;
	ssize_t len;

	if (smb2_error_rsp_decode(p, n, &r))
		return;
	for (unsigned int i = 0; i < r.context_count; i++)
		if (smb2_error_ctx_get(&r, i, &c) ||
		    (c.data_len && c.data + c.data_len > p + n))
			abort();
	if (smb2_hdr_decode(p, n, &h))
		abort();
	len = smb2_error_rsp_encode(out, sizeof(out), &h, r.data, r.byte_count,
				    r.context_count);
	if (len < 0)
		return; /* ByteCount larger than our scratch buffer */
	if (smb2_error_rsp_decode(out, (size_t)len, &d) ||
	    d.byte_count != r.byte_count ||
	    d.context_count != r.context_count ||
	    (r.byte_count && memcmp(d.data, r.data, r.byte_count)))
		abort();
}

/*
 * The streaming step (what the receiver uses while a chain arrives) must
 * bound every element exactly as the whole-message walk does.
 */
static void check_step(const uint8_t *p, size_t n)
{
	struct smb2_compound_iter it;
	size_t off = 0, elen, woff, wlen;
	int ret, wret;

	smb2_compound_iter_init(&it, p, n, 0);
	for (;;) {
		wret = smb2_compound_next(&it, &woff, &wlen);
		if (wret == -E2BIG || wret == 0)
			return;
		ret = smb2_compound_step(n - off >= SMB2_HDR_SIZE ? p + off
								  : NULL,
					 SMB2_HDR_SIZE, n - off, &elen);
		if ((ret < 0) != (wret < 0))
			abort();
		if (ret < 0)
			return;
		if (woff != off || wlen != elen || elen < SMB2_HDR_SIZE ||
		    elen > n - off)
			abort();
		off += elen;
		if (ret == 0)
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_compound_iter it;
	size_t off, len;
	uint32_t msg_len;
	int ret;

	/* Inputs may start with a length prefix; try both readings. */
	if (smb2_nbss_decode(data, size, 0, &msg_len) == 0 &&
	    msg_len <= size - SMB2_NBSS_HDR_SIZE) {
		data += SMB2_NBSS_HDR_SIZE;
		size = msg_len;
	}
	(void)smb2_proto_id(data, size);
	smb2_compound_iter_init(&it, data, size, 0);
	while ((ret = smb2_compound_next(&it, &off, &len)) == 1) {
		if (off > size || len > size - off || len < SMB2_HDR_SIZE)
			abort();
		check_hdr(data + off, len);
		check_error(data + off, len);
		(void)smb2_simple_msg_decode(data + off, len);
		/* the bodies that are a StructureSize and nothing else */
		(void)smb2_echo_rsp_decode(data + off, len);
		(void)smb2_flush_rsp_decode(data + off, len);
		(void)smb2_lock_rsp_decode(data + off, len);
		(void)smb2_logoff_rsp_decode(data + off, len);
		(void)smb2_tree_disconnect_rsp_decode(data + off, len);
	}
	check_step(data, size);
	return 0;
}
