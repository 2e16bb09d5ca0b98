/* SPDX-License-Identifier: MIT */
/*
 * Share paths as the library compares and hashes them (path.c): empty
 * components dropped, "/a//b/" is "a/b". The file layer's indexes and the
 * client's lease table (one lease key per file, lease.c) match names so.
 */
#ifndef SMBIOV_FS_PATH_H
#define SMBIOV_FS_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* FNV-1a of @p's first @n bytes (or up to its NUL) so spelled. */
uint32_t fs_path_hash_n(const char *p, size_t n);
uint32_t fs_path_hash(const char *p);
bool fs_path_eq(const char *a, const char *b);

#endif
