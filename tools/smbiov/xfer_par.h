/* SPDX-License-Identifier: MIT */
/*
 * The parallel path of xfer_copy (xfer_par.c): chunks at explicit offsets
 * moved by several workers, over one or (--streams) more connections.
 */
#ifndef SMBIOV_CLI_XFER_PAR_H
#define SMBIOV_CLI_XFER_PAR_H

#include <stdbool.h>

#include "xfer.h"

/*
 * xfer_par - copy @remote to @local (get) or @local to @remote (put,
 * @write) with parallel workers, if this path applies: @local is a
 * regular file (or /dev/null for a get), and the connection is plain or
 * the file is big enough for streams.
 *
 * Returns false, having done nothing, when it does not apply; true with
 * *@code set (0 or an exit code after printing one line) when it ran.
 */
bool xfer_par(const struct xfer_end *remote, const struct xfer_end *local,
	      bool write, struct progress *p, int *code);

#endif
