/* SPDX-License-Identifier: MIT */
#include "window.h"

void xwin_init(struct xwin *w, uint64_t min, uint64_t max, uint64_t now)
{
	*w = (struct xwin){.min = min, .max = max, .cwnd = min, .t0 = now};
	w->peak = w->cwnd;
}

/* a * b / c without overflow for the sizes and times seen here */
static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c)
{
	return (uint64_t)((unsigned __int128)a * b / c);
}

uint64_t xwin_done(struct xwin *w, uint64_t now, uint64_t bytes, uint64_t rtt)
{
	uint64_t dt, target, lo, hi;

	w->acc += bytes;
	if (now <= w->t0)
		return w->cwnd;
	dt = now - w->t0;
	/* A sample shorter than a round trip sees a burst, not a rate. */
	if (!rtt || dt < rtt || dt < XWIN_TICK_NS)
		return w->cwnd;
	w->rtt = rtt;
	w->rate = mul_div(w->acc, 1000000000ull, dt);
	w->t0 = now;
	w->acc = 0;
	target = mul_div(w->rate, rtt, 1000000000ull) * XWIN_GAIN;
	/* Smoothly: one interval moves the window x2 up, x3/4 down at most. */
	hi = w->cwnd * 2;
	lo = w->cwnd - w->cwnd / 4;
	if (target > hi)
		target = hi;
	if (target < lo)
		target = lo;
	if (target > w->max)
		target = w->max;
	if (target < w->min)
		target = w->min;
	w->cwnd = target;
	if (w->cwnd > w->peak)
		w->peak = w->cwnd;
	return w->cwnd;
}

size_t xwin_chunk(uint64_t cwnd, size_t lo, size_t hi, size_t unit)
{
	uint64_t c = cwnd / 4 / unit * unit;

	if (c < lo)
		return lo;
	return c > hi ? hi : (size_t)c;
}
