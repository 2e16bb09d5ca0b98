// SPDX-License-Identifier: MIT
/*
 * Share paths as the file layer compares and hashes them: with empty
 * components dropped ("/a//b/" is "a/b"), since callers spell a name
 * either way. One hash (FNV-1a of the path so spelled) for the siblings'
 * index (conn.c), which hashes a caller's path as given, and the
 * parked files' index (deferred.c), which keeps a normalized copy: both
 * give one file one value. Allocation-free: the siblings' side runs on
 * writes.
 */
#include "fs/cache.h"

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

uint32_t fs_path_hash_n(const char *p, size_t n)
{
	uint32_t h = FNV_BASIS;
	bool any = false, sep = false;

	for (size_t i = 0; i < n && p[i]; i++) {
		if (p[i] == '/') {
			/* a separator counts once, and only between names */
			sep = any;
			continue;
		}
		if (sep)
			h = (h ^ (uint8_t)'/') * FNV_PRIME;
		sep = false;
		h = (h ^ (uint8_t)p[i]) * FNV_PRIME;
		any = true;
	}
	return h;
}

uint32_t fs_path_hash(const char *p)
{
	return fs_path_hash_n(p, SIZE_MAX);
}

/* Past a run of '/'. */
static const char *skip_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return p;
}

bool fs_path_eq(const char *a, const char *b)
{
	a = skip_slashes(a);
	b = skip_slashes(b);
	while (*a && *b) {
		if (*a == '/' || *b == '/') {
			if (*a != *b)
				return false;
			a = skip_slashes(a);
			b = skip_slashes(b);
			continue;
		}
		if (*a++ != *b++)
			return false;
	}
	return !*skip_slashes(a) && !*skip_slashes(b);
}
