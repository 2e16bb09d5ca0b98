/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 <-> UTF-16LE for names on the wire (MS-SMB2 paths and share names
 * are UTF-16LE without a terminator). Both directions reject what cannot
 * be represented faithfully, so a hostile name cannot smuggle bytes past a
 * later check (bug class 6: odd lengths, invalid surrogates).
 */
#ifndef SMBIOV_PROTO_UTF16_H
#define SMBIOV_PROTO_UTF16_H

#include <stddef.h>
#include <stdint.h>

/**
 * utf16_from_utf8 - encode UTF-8 text as UTF-16LE
 * @in: UTF-8 bytes (no terminator needed; an embedded NUL is rejected)
 * @in_len: bytes at @in
 * @out: destination, or NULL to only compute the length
 * @out_cap: bytes available at @out (ignored when @out is NULL)
 * @out_len: set to the UTF-16LE byte count on success
 *
 * Rejects overlong forms, encoded surrogates, code points above U+10FFFF,
 * truncated sequences and NUL.
 *
 * Return: 0, -EINVAL for invalid UTF-8 (whatever @out_cap is), -ENOSPC if
 * @out_cap is too small; then @out_len still says the size needed and
 * nothing useful is left in @out.
 */
int utf16_from_utf8(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
		    size_t *out_len);

/**
 * utf16_to_utf8 - decode peer-supplied UTF-16LE into UTF-8
 * @in: UTF-16LE bytes from the wire (borrowed, not modified)
 * @in_len: bytes at @in; must be even
 * @out: destination, or NULL to only compute the length
 * @out_cap: bytes available at @out; no terminator is written
 * @out_len: set to the UTF-8 byte count on success
 *
 * Return: 0, -EBADMSG for an odd length, an unpaired surrogate or a NUL
 * code unit, -ENOSPC if @out_cap is too small.
 */
int utf16_to_utf8(const uint8_t *in, size_t in_len, char *out, size_t out_cap,
		  size_t *out_len);

#endif
