/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount -o mfsymlinks: symbolic links stored as the Linux cifs
 * client stores them on a server without the unix extensions
 * ("Minshall+French symlinks"): a regular file of exactly 1067 bytes,
 *
 *	"XSym\n"                  5 bytes
 *	"%04u\n"                  the target's length (at most 1024)
 *	32 lowercase hex digits   the MD5 of the target, then "\n"
 *	the target                then "\n" if there is room, then spaces
 *
 * so a share written by cifs with mfsymlinks and by this mount show the
 * same links. No FUSE here: the unit tests hold these.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "mount.h"

#define MFSYM_LEN_OFF  5		   /* after "XSym\n" */
#define MFSYM_MD5_OFF  (MFSYM_LEN_OFF + 5) /* after "%04u\n" */
#define MFSYM_LINK_OFF (MFSYM_MD5_OFF + 33)

/* The MD5 of @s in lowercase hex (33 bytes with the NUL). */
static int md5_hex(const char *s, size_t len, char hex[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (!EVP_Digest(s, len, md, &mdlen, EVP_md5(), NULL) || mdlen != 16)
		return -EIO;
	for (unsigned i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int mfsym_format(char buf[MFSYM_SIZE], const char *target)
{
	size_t len = strlen(target);
	char hex[33];
	size_t at;
	int ret;

	if (!len)
		return -ENOENT; /* symlink(2) with an empty target */
	if (len > MFSYM_MAX)
		return -ENAMETOOLONG;
	ret = md5_hex(target, len, hex);
	if (ret)
		return ret;
	memcpy(buf, "XSym\n", MFSYM_LEN_OFF);
	snprintf(buf + MFSYM_LEN_OFF, 6, "%04u\n", (unsigned)len);
	memcpy(buf + MFSYM_MD5_OFF, hex, 32);
	buf[MFSYM_MD5_OFF + 32] = '\n';
	memcpy(buf + MFSYM_LINK_OFF, target, len);
	at = MFSYM_LINK_OFF + len;
	if (at < MFSYM_SIZE)
		buf[at++] = '\n';
	memset(buf + at, ' ', MFSYM_SIZE - at);
	return 0;
}

int mfsym_parse(const char *buf, size_t len, char target[MFSYM_MAX + 1])
{
	unsigned tlen = 0;
	char hex[33];

	if (len != MFSYM_SIZE || memcmp(buf, "XSym\n", MFSYM_LEN_OFF))
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char d = buf[MFSYM_LEN_OFF + i];

		if (d < '0' || d > '9')
			return -EINVAL;
		tlen = tlen * 10 + (unsigned)(d - '0');
	}
	if (buf[MFSYM_MD5_OFF - 1] != '\n' || buf[MFSYM_LINK_OFF - 1] != '\n' ||
	    !tlen || tlen > MFSYM_MAX)
		return -EINVAL;
	/* the MD5 says this is a link, not a file that looks like one */
	if (md5_hex(buf + MFSYM_LINK_OFF, tlen, hex) ||
	    memcmp(hex, buf + MFSYM_MD5_OFF, 32))
		return -EINVAL;
	if (memchr(buf + MFSYM_LINK_OFF, '\0', tlen))
		return -EINVAL;
	memcpy(target, buf + MFSYM_LINK_OFF, tlen);
	target[tlen] = '\0';
	return (int)tlen;
}
