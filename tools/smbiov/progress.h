/* SPDX-License-Identifier: MIT */
/*
 * The transfer progress bar: bytes, percentage, rate and ETA on one line
 * of stderr, redrawn at most ten times a second, only when enabled (by
 * default when stderr is a TTY). The formatting functions are pure.
 */
#ifndef SMBIOV_CLI_PROGRESS_H
#define SMBIOV_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "0 B", "1023 B", "1.0 KiB", "8.0 MiB", "1.5 GiB" ... */
void progress_fmt_bytes(char *buf, size_t len, uint64_t bytes);
/* "0:07", "12:34", "1:02:03"; "--:--" when unknown (< 0 or huge). */
void progress_fmt_eta(char *buf, size_t len, double seconds);
/*
 * The whole line, at most @width columns (the terminal's), e.g.
 * "name  [=====>    ]  45%  12.0 MiB/27.0 MiB  85.2 MiB/s  ETA 0:02".
 * @total 0 means unknown (no bar, no percentage, no ETA). @elapsed in
 * seconds; rate is done/elapsed.
 */
void progress_fmt_line(char *buf, size_t len, int width, const char *name,
		       uint64_t done, uint64_t total, double elapsed);

struct progress {
	bool on;
	const char *name;
	uint64_t total, done;
	double start, last_draw;
	int width;
};

/* @mode: -1 auto (stderr is a TTY and @out_fd is not), 0 off, 1 on. */
void progress_begin(struct progress *p, int mode, int out_fd, const char *name,
		    uint64_t total);
void progress_add(struct progress *p, uint64_t bytes);
/* Final redraw and newline (or nothing when off). */
void progress_end(struct progress *p);

#endif
