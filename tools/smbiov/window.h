/* SPDX-License-Identifier: MIT */
/*
 * A transfer's window: how many bytes one connection keeps in flight,
 * following the bandwidth-delay product the transfer itself observes.
 *
 * Every sampling interval (at least one round trip and XWIN_TICK_NS) the
 * bytes that completed give a delivery rate; the target is XWIN_GAIN x
 * rate x round trip (the round trip is the connection's least
 * request-to-response time, smbiov_conn_info.rtt_us). The window moves
 * toward the target by at most x2 up and x3/4 down per interval, inside
 * [min, max].
 *
 * Why this converges where it should: while the window is what limits the
 * transfer, rate = window / (rtt + service), so the target is
 * XWIN_GAIN x window x rtt / (rtt + service): the window grows while the
 * link's delay outweighs the time the two ends spend on a window's bytes,
 * and settles near XWIN_GAIN x the bandwidth-delay product once the link
 * or a CPU is the limit (BBR's cwnd gain). On loopback the round trip is
 * tiny next to the time spent signing or sealing a chunk, so the window
 * stays at its minimum — one chunk per connection, which keeps both
 * ends' passes over the data in the CPU caches (bench/RESULTS.md,
 * 2026-11-26) — and a loaded machine whose round trip grows only grows
 * the window in proportion: there is no threshold to cross.
 *
 * Pure arithmetic on the numbers it is fed (times in ns): the caller
 * supplies the clock, so tests/unit/test_cli_window.c drives it with
 * chosen round trips and rates.
 */
#ifndef SMBIOV_CLI_WINDOW_H
#define SMBIOV_CLI_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define XWIN_GAIN    2
#define XWIN_TICK_NS 10000000ull /* 10 ms: shorter samples are noise */

struct xwin {
	uint64_t min, max; /* bounds, bytes */
	uint64_t cwnd;	   /* the window, bytes */
	uint64_t t0;	   /* start of the current sampling interval */
	uint64_t acc;	   /* bytes completed since t0 */
	uint64_t rate;	   /* last sample, bytes per second (0: none yet) */
	uint64_t rtt;	   /* the round trip last fed, ns */
	uint64_t peak;	   /* the largest window so far */
};

/* Start at @min at time @now. @min <= @max, both > 0. */
void xwin_init(struct xwin *w, uint64_t min, uint64_t max, uint64_t now);

/*
 * xwin_done - @bytes completed at @now on a connection whose round trip
 * is @rtt ns (0: not known yet; the window then stays where it is)
 *
 * Returns the window to use from now on.
 */
uint64_t xwin_done(struct xwin *w, uint64_t now, uint64_t bytes, uint64_t rtt);

/*
 * xwin_chunk - the size of the next request for window @cwnd: a quarter of
 * it, so several are in flight once it has grown, in units of @unit, at
 * least @lo and at most @hi (@unit divides both).
 */
size_t xwin_chunk(uint64_t cwnd, size_t lo, size_t hi, size_t unit);

#endif
