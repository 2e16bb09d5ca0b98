/* SPDX-License-Identifier: MIT */
/*
 * Moving file contents in CLI_CHUNK pieces with four page-aligned
 * buffers, all on the network at once (asynchronous library reads or
 * writes, each split by the engine into subrequests): a get writes chunk
 * k out while the next ones are already being received, a put refills
 * each slot as it finishes, so the link never waits for the local side.
 *
 * A get into a regular file or /dev/null and a put from a regular file
 * take the parallel path instead (xfer_par.c) when the connection is plain
 * (the library then splices between socket and local file: no payload
 * byte passes through user memory) or the file is big enough to be spread
 * over several connections (--streams).
 */
#ifndef SMBIOV_CLI_XFER_H
#define SMBIOV_CLI_XFER_H

#include "cli.h"
#include "progress.h"

/* The other end of a transfer: a local fd or a remote file. */
struct xfer_end {
	int fd;			 /* local, when f is NULL */
	struct smbiov_file *f;	 /* remote */
	struct smbiov_client *c; /* remote: its client */
	const char *target;	 /* for messages */
	/*
	 * Remote end: the file offset to start at (a get whose first bytes
	 * came with the open, a resumed transfer); the local fd's position
	 * then stands for this offset.
	 */
	uint64_t offset;
	/*
	 * Remote end, optional: the connection and path it was opened with,
	 * so that a big file can be opened on more connections (--streams),
	 * and the transfer's size (a get: the remote file's at open; a put:
	 * the local file's; 0 unknown).
	 */
	const struct cli_conn *cc;
	const char *rpath;
	uint64_t size;
	/*
	 * Remote destination, optional: called once every connection of the
	 * transfer has opened the file (or given up), before the last byte
	 * is written: a put marks its temporary file delete-on-close there,
	 * which would keep further connections from opening it.
	 */
	void (*opened)(void *arg);
	void *opened_arg;
	/*
	 * Remote end, optional: told how far from its start offset on every
	 * byte has been moved (the remote file offset after them), each time
	 * that grows — chunks finish in any order. A transfer that can be
	 * resumed records it (resume.h). Called from any of the transfer's
	 * threads, one call at a time; never after a failure.
	 */
	void (*prefix)(void *arg, uint64_t upto);
	void *prefix_arg;
};

/*
 * xfer_copy - copy everything from @src to @dst until @src's end
 * @src: a remote file (read asynchronously when @dst is local, from
 *	 @src->offset) or a local fd (read to the end: a pipe works)
 * @dst: a local fd or a remote file (written from @dst->offset, or from
 *	 @src->offset when both are remote)
 * @p: progress, advanced per chunk (may be off)
 *
 * Returns 0 or an exit code after printing one line. Never returns while
 * the library still holds a buffer.
 */
int xfer_copy(const struct xfer_end *src, const struct xfer_end *dst,
	      struct progress *p);

#endif
