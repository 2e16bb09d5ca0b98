/* SPDX-License-Identifier: MIT */
/*
 * Sparse files on the engine (sparse.c): the allocated ranges of an open
 * file (FSCTL_QUERY_ALLOCATED_RANGES) for the file layer's public
 * smbiov_allocated_ranges() and smbiov_seek_data_hole() (src/fs/sparse.c),
 * which write back cached data first.
 */
#ifndef SMBIOV_CLIENT_SPARSE_H
#define SMBIOV_CLIENT_SPARSE_H

#include <smbiov/smbiov.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * smb_allocated_ranges - the ranges of @f's file that hold data, within
 *	[@off, @off + @len), as the server knows them
 * @f: open file (the server wants read access)
 * @off, @len: the range asked about (@len > 0, the end within INT64_MAX)
 * @out: receives up to @max ranges, ascending, disjoint, adjacent ones
 *	merged, each clipped to the range asked
 * @max: entries at @out (> 0)
 *
 * One FSCTL_QUERY_ALLOCATED_RANGES after another: a reply cut short with
 * STATUS_BUFFER_OVERFLOW (Windows) goes on from the end of its last
 * range; STATUS_BUFFER_TOO_SMALL with nothing in it (Samba, when the
 * ranges do not fit the output buffer) asks again about a shorter range.
 * Every offset and length from the server is checked
 * (smb2_qar_rsp_decode()), and a reply must move forward.
 * Return: the ranges found (fewer than @max: none more in the range; @max:
 * there may be more after the last), or a negative errno: -EOPNOTSUPP
 * where the server has no such FSCTL, -EPROTO for a reply that does not
 * move on, the server's error otherwise (recorded).
 */
ssize_t smb_allocated_ranges(struct smbiov_file *f, uint64_t off, uint64_t len,
			     struct smbiov_range *out, size_t max);

#endif
