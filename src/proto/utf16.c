/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 <-> UTF-16LE conversion (RFC 3629, RFC 2781). Hand-written rather
 * than iconv so it never allocates, never depends on the locale and gives
 * the same strict answer everywhere.
 */
#include <errno.h>

#include "proto/le.h"
#include "proto/utf16.h"

/* Decode one UTF-8 sequence at @s; returns its length or -EINVAL. */
static int utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	int len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0) {
		len = 2;
		c &= 0x1F;
		min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3;
		c &= 0x0F;
		min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return -EINVAL; /* continuation byte or 0xF8.. lead */
	}
	if (n < (size_t)len)
		return -EINVAL;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -EINVAL;
		c = c << 6 | (s[i] & 0x3F);
	}
	/* Overlong forms and surrogates are how filters get bypassed. */
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -EINVAL;
	*cp = c;
	return len;
}

int utf16_from_utf8(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
		    size_t *out_len)
{
	const uint8_t *s = (const uint8_t *)in;
	size_t i = 0, o = 0;

	if ((!in && in_len) || !out_len)
		return -EINVAL;
	/*
	 * The whole input is validated even once @out is full, so bad UTF-8
	 * is -EINVAL whatever the buffer size, and -ENOSPC can report the
	 * size needed.
	 */
	while (i < in_len) {
		uint32_t cp;
		int n = utf8_next(s + i, in_len - i, &cp);

		if (n < 0 || cp == 0)
			return -EINVAL;
		i += (size_t)n;
		if (cp >= 0x10000) {
			if (out && o <= out_cap && out_cap - o >= 4) {
				cp -= 0x10000;
				le16_put(out + o,
					 (uint16_t)(0xD800 | cp >> 10));
				le16_put(out + o + 2,
					 (uint16_t)(0xDC00 | (cp & 0x3FF)));
			}
			o += 4;
		} else {
			if (out && o <= out_cap && out_cap - o >= 2)
				le16_put(out + o, (uint16_t)cp);
			o += 2;
		}
	}
	*out_len = o;
	return out && o > out_cap ? -ENOSPC : 0;
}

int utf16_to_utf8(const uint8_t *in, size_t in_len, char *out, size_t out_cap,
		  size_t *out_len)
{
	size_t i = 0, o = 0;

	if ((!in && in_len) || !out_len)
		return -EINVAL;
	if (in_len & 1)
		return -EBADMSG;
	while (i < in_len) {
		uint32_t cp = le16_get(in + i);
		uint8_t tmp[4];
		size_t n;

		i += 2;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			uint32_t lo;

			if (in_len - i < 2)
				return -EBADMSG;
			lo = le16_get(in + i);
			if (lo < 0xDC00 || lo > 0xDFFF)
				return -EBADMSG;
			i += 2;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
			return -EBADMSG; /* low surrogate without a high one */
		} else if (cp == 0) {
			return -EBADMSG; /* would truncate a C string later */
		}
		if (cp < 0x80) {
			tmp[0] = (uint8_t)cp;
			n = 1;
		} else if (cp < 0x800) {
			tmp[0] = (uint8_t)(0xC0 | cp >> 6);
			tmp[1] = (uint8_t)(0x80 | (cp & 0x3F));
			n = 2;
		} else if (cp < 0x10000) {
			tmp[0] = (uint8_t)(0xE0 | cp >> 12);
			tmp[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
			tmp[2] = (uint8_t)(0x80 | (cp & 0x3F));
			n = 3;
		} else {
			tmp[0] = (uint8_t)(0xF0 | cp >> 18);
			tmp[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
			tmp[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
			tmp[3] = (uint8_t)(0x80 | (cp & 0x3F));
			n = 4;
		}
		if (out) {
			if (out_cap - o < n)
				return -ENOSPC;
			for (size_t k = 0; k < n; k++)
				out[o + k] = (char)tmp[k];
		}
		o += n;
	}
	*out_len = o;
	return 0;
}
