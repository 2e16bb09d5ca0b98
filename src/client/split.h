/* SPDX-License-Identifier: MIT */
/*
 * Carving a large READ/WRITE into credit-sized subrequests
 * (DESIGN.md §3 "Large I/O"; kernel-iov-iter-design.md §3.3).
 *
 * Pure logic, no I/O: a subrequest's iterator is a *view* of the caller's
 * iterator (struct copy + smbiov_iter_truncate), and the parent is advanced
 * past each piece. That works identically for every iterator type (UBUF,
 * IOVEC, KVEC, BVEC, XARRAY, BVECQ): the splitter never looks at segments
 * (DESIGN.md §2 pitfall: the kernel's limiter only understood BVEC).
 */
#ifndef SMBIOV_CLIENT_SPLIT_H
#define SMBIOV_CLIENT_SPLIT_H

#include <smbiov/iter.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One credit pays for 64 KiB of payload (MS-SMB2 3.1.5.2). */
#define SMB_CREDIT_BYTES ((size_t)65536)

/**
 * struct smb_subreq - one piece of a split READ/WRITE
 * @iter: the piece's view of the caller's iterator; the engine receives
 *	into it (READ) or sends from it (WRITE) and advances it
 * @offset: file offset of the piece
 * @len: bytes asked
 * @charge: CreditCharge, ceil(@len / 64 KiB), at least 1
 * @result: bytes done or a negative errno, set when the piece completes
 * @done: set (after @result) when the piece has completed
 */
struct smb_subreq {
	struct smbiov_iter iter;
	uint64_t offset;
	uint32_t len;
	uint16_t charge;
	ssize_t result;
	bool done;
};

/**
 * struct smb_split - state of one request being carved
 * @rest: the part of the caller's iterator not carved yet
 * @offset: file offset of @rest
 * @max_chunk: largest piece (negotiated MaxReadSize/MaxWriteSize)
 */
struct smb_split {
	struct smbiov_iter rest;
	uint64_t offset;
	size_t max_chunk;
};

/**
 * smb_credit_charge - CreditCharge for a payload of @len bytes
 * @len: payload bytes
 *
 * Return: ceil(@len / 64 KiB), at least 1 (MS-SMB2 3.1.5.2).
 */
uint16_t smb_credit_charge(size_t len);

/**
 * smb_split_init - start carving @it
 * @s: state to fill
 * @it: the caller's iterator; copied (the copy is advanced, @it is not)
 * @offset: file offset of the first byte
 * @max_chunk: negotiated MaxReadSize/MaxWriteSize (0 is taken as 64 KiB)
 *
 * The views made later borrow whatever @it describes: its segment array
 * and memory must stay valid until every subrequest has completed.
 */
void smb_split_init(struct smb_split *s, const struct smbiov_iter *it,
		    uint64_t offset, size_t max_chunk);

/**
 * smb_split_next - carve the next piece
 * @s: state
 * @budget: bytes the caller's credits allow now (0: no limit other than
 *	@s->max_chunk)
 * @sub: filled with the piece (view, offset, length, charge)
 *
 * A piece is min(rest, max_chunk, budget) bytes; when it is not the last
 * one it is rounded down to whole 64 KiB credits if that leaves anything,
 * so no credit pays for less than 64 KiB in the middle of a request.
 *
 * Return: the piece's length, 0 when nothing is left.
 */
size_t smb_split_next(struct smb_split *s, size_t budget,
		      struct smb_subreq *sub);

/**
 * smb_split_collect - total of completed pieces, in order
 * @subs: the pieces in file order
 * @n: how many
 *
 * Sums results in order. A short piece (EOF on a read, a short write)
 * ends the count: later pieces' bytes are not counted even if they
 * arrived (they lie beyond the end the server reported). An error in a
 * piece before any short one fails the whole request.
 *
 * Return: bytes, or the first negative errno met before a short piece.
 */
ssize_t smb_split_collect(const struct smb_subreq *subs, size_t n);

#endif
