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

struct smb_req;

/* The most input smb_fsctl() sends (a copy of 16 chunks: 416 bytes). */
#define SMB_FSCTL_IN_MAX 512

/*
 * smb_fsctl - an FSCTL @code on @f's handle with input @in (@in_len
 * bytes, at most SMB_FSCTL_IN_MAX), output up to @out bytes, its answer
 * in @r (quiet: the caller words a failure). @r is initialised first:
 * release it whatever this returns. Returns smb_call()'s result, or
 * -ENOSPC for an input too long (nothing sent).
 */
int smb_fsctl(struct smbiov_file *f, struct smb_req *r, uint32_t code,
	      const uint8_t *in, size_t in_len, uint32_t out);

/**
 * smb_copy_chunks - server-side copy (MS-SMB2 3.2.4.20.2): @len bytes of
 *	@src's file from @soff to @dst's at @doff, none through this machine
 * @src: open for reading; its ResumeKey is asked first
 * @dst: open for writing, on the same connection (the key is the
 *	server's, per connection)
 *
 * FSCTL_SRV_COPYCHUNK_WRITE in requests of up to 16 chunks of 1 MiB (the
 * spec's server defaults); a server that answers STATUS_INVALID_PARAMETER
 * with lower limits is asked again within them. The source range must
 * lie within its file (the caller clips it to the end of file). Every
 * count in an answer is checked against what was asked.
 * Return: the bytes copied (less than @len only when the server copied
 * less: the caller may go on), or, when none were, a negative errno:
 * -EOPNOTSUPP (no server-side copy here), -EPROTO (an answer claiming
 * more than asked, or limits of zero), the server's error (recorded).
 */
ssize_t smb_copy_chunks(struct smbiov_file *src, uint64_t soff,
			struct smbiov_file *dst, uint64_t doff, uint64_t len);

#endif
