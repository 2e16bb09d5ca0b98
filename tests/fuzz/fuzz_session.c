/* SPDX-License-Identifier: MIT */
/*
 * Fuzz SESSION_SETUP and TREE_CONNECT decoders (responses and the
 * requests a fake server parses) and the UTF-16 converters, with
 * encode -> decode round trips of whatever decoded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/session.h"
#include "proto/tree.h"
#include "proto/utf16.h"

static uint8_t out[1 << 17];
static char text[1 << 18];

static void session(const uint8_t *data, size_t size)
{
	struct smb2_session_setup_rsp r, d;
	struct smb2_session_setup_req q;
	struct smb2_hdr h;
	ssize_t n;

	if (smb2_session_setup_req_decode(data, size, &q) == 0 && q.sec_len &&
	    q.sec_buf + q.sec_len > data + size)
		abort();
	if (smb2_session_setup_rsp_decode(data, size, &r))
		return;
	if (r.sec_len && r.sec_buf + r.sec_len > data + size)
		abort();
	if (smb2_hdr_decode(data, size, &h))
		abort();
	n = smb2_session_setup_rsp_encode(out, sizeof(out), &h, &r);
	if (n < 0 || smb2_session_setup_rsp_decode(out, (size_t)n, &d) ||
	    d.session_flags != r.session_flags || d.sec_len != r.sec_len ||
	    (r.sec_len && memcmp(d.sec_buf, r.sec_buf, r.sec_len)))
		abort();
}

static void tree(const uint8_t *data, size_t size)
{
	struct smb2_tree_connect_rsp r, d;
	struct smb2_tree_connect_req q, qd;
	struct smb2_hdr h;
	size_t n8;
	ssize_t n;

	if (smb2_tree_connect_req_decode(data, size, &q) == 0 &&
	    utf16_to_utf8(q.path16, q.path16_len, text, sizeof(text), &n8) ==
		    0 &&
	    smb2_hdr_decode(data, size, &h) == 0) {
		q.path = text;
		q.path_len = n8;
		n = smb2_tree_connect_req_encode(out, sizeof(out), &h, &q);
		if (n < 0 ||
		    smb2_tree_connect_req_decode(out, (size_t)n, &qd) ||
		    qd.path16_len != q.path16_len ||
		    memcmp(qd.path16, q.path16, q.path16_len))
			abort();
	}
	if (smb2_tree_connect_rsp_decode(data, size, &r))
		return;
	if (smb2_hdr_decode(data, size, &h))
		abort();
	n = smb2_tree_connect_rsp_encode(out, sizeof(out), &h, &r);
	if (n < 0 || smb2_tree_connect_rsp_decode(out, (size_t)n, &d) ||
	    d.share_type != r.share_type || d.share_flags != r.share_flags ||
	    d.capabilities != r.capabilities ||
	    d.maximal_access != r.maximal_access)
		abort();
}

static void utf16(const uint8_t *data, size_t size)
{
	size_t n16, n8;

	if (size > sizeof(out) / 2)
		return;
	/* UTF-8 in: if accepted, it must come back byte for byte. */
	if (utf16_from_utf8((const char *)data, size, out, sizeof(out), &n16) ==
	    0) {
		if (utf16_to_utf8(out, n16, text, sizeof(text), &n8) ||
		    n8 != size || memcmp(text, data, size))
			abort();
	}
	/* UTF-16 in: if accepted, it must come back unit for unit. */
	if (utf16_to_utf8(data, size, text, sizeof(text), &n8) == 0) {
		if (utf16_from_utf8(text, n8, out, sizeof(out), &n16) ||
		    n16 != size || memcmp(out, data, size))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	session(data, size);
	tree(data, size);
	utf16(data, size);
	return 0;
}
