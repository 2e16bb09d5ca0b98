/* SPDX-License-Identifier: MIT */
/*
 * The transfer window (tools/smbiov/window.c), driven with chosen round
 * trips and rates, no clock: a simulated link delivers at
 * min(window / (rtt + service), bandwidth) and the window is fed what
 * completed each interval.
 *   - loopback (tiny round trip next to the time a chunk takes to sign or
 *     seal) stays at the minimum, also when a loaded machine makes the
 *     round trip ten times longer: no threshold, a continuous response;
 *   - a long link grows to about XWIN_GAIN x its bandwidth-delay product,
 *     or to the maximum when that is smaller;
 *   - growth and shrinkage are bounded per interval (x2, x3/4);
 *   - samples shorter than a round trip or XWIN_TICK_NS change nothing;
 *   - no round trip known: the window stays;
 *   - the window as a function of the round trip is monotone and has no
 *     jump: doubling the round trip never more than doubles it;
 *   - chunk sizes for a window.
 */
#include <stdbool.h>
#include <stdint.h>

#include "t.h"
#include "window.h"

#define MiB (1ull << 20)
#define MS  1000000ull /* ns */
#define US  1000ull

/*
 * A link of @bw bytes/s and round trip @rtt ns, where the ends spend
 * @svc ns per MiB (signing, sealing, copying); run @steps intervals of
 * @tick ns and return the final window.
 */
static uint64_t simulate(struct xwin *w, uint64_t bw, uint64_t rtt,
			 uint64_t svc, uint64_t tick, int steps)
{
	uint64_t now = w->t0;

	for (int i = 0; i < steps; i++) {
		/* time to move one window: the link's delay plus the work */
		uint64_t per = rtt + svc * w->cwnd / MiB;
		uint64_t rate = (uint64_t)((unsigned __int128)w->cwnd *
					   1000000000ull / per);

		if (rate > bw)
			rate = bw;
		now += tick;
		xwin_done(w, now,
			  (uint64_t)((unsigned __int128)rate * tick /
				     1000000000ull),
			  rtt);
	}
	return w->cwnd;
}

static void test_loopback_stays_minimal(void)
{
	struct xwin w;
	/* 1 GB/s, 1 ms of work per MiB: rtt 50 us, then 0.5 ms (loaded) */
	static const uint64_t rtts[] = {50 * US, 200 * US, 500 * US, 900 * US};

	for (unsigned i = 0; i < sizeof(rtts) / sizeof(rtts[0]); i++) {
		xwin_init(&w, 2 * MiB, 32 * MiB, 0);
		T_EXPECT_EQ(simulate(&w, 1000000000ull, rtts[i], 1 * MS,
				     20 * MS, 200),
			    2 * MiB);
		T_EXPECT_EQ(w.peak, 2 * MiB);
	}
}

static void test_long_link_grows_to_bdp(void)
{
	struct xwin w;
	uint64_t bdp = 125000000ull / 1000 * 10; /* 1 Gbit/s x 10 ms */
	uint64_t got;

	xwin_init(&w, 2 * MiB, 32 * MiB, 0);
	got = simulate(&w, 125000000ull, 10 * MS, 100 * US, 20 * MS, 200);
	/* about XWIN_GAIN x the BDP (2.5 MB), within one step's rounding */
	T_EXPECT(got >= XWIN_GAIN * bdp * 9 / 10);
	T_EXPECT(got <= XWIN_GAIN * bdp * 11 / 10 + MiB);
	T_EXPECT(w.rate >= 125000000ull * 9 / 10);

	/* 40 ms and 1.25 GB/s: far more than the maximum -> the maximum */
	xwin_init(&w, 2 * MiB, 32 * MiB, 0);
	T_EXPECT_EQ(
		simulate(&w, 1250000000ull, 40 * MS, 100 * US, 50 * MS, 100),
		32 * MiB);
}

/* Each interval moves the window by at most x2 up and x3/4 down. */
static void test_bounded_steps(void)
{
	struct xwin w;
	uint64_t prev;

	xwin_init(&w, 1 * MiB, 1024 * MiB, 0);
	/* 1 GB/s seen over a 100 ms round trip: target 200 MB */
	prev = w.cwnd;
	xwin_done(&w, 100 * MS, 100000000ull, 100 * MS);
	T_EXPECT_EQ(w.cwnd, 2 * prev);
	prev = w.cwnd;
	xwin_done(&w, 200 * MS, 100000000ull, 100 * MS);
	T_EXPECT_EQ(w.cwnd, 2 * prev);
	/* nothing completes: down by a quarter per interval, not to 0 */
	prev = w.cwnd;
	xwin_done(&w, 300 * MS, 0, 100 * MS);
	T_EXPECT_EQ(w.cwnd, prev - prev / 4);
	for (int i = 0; i < 100; i++)
		xwin_done(&w, (400 + 100 * (uint64_t)i) * MS, 0, 100 * MS);
	T_EXPECT_EQ(w.cwnd, 1 * MiB);
	T_EXPECT_EQ(w.peak, 4 * MiB);
}

static void test_short_samples_and_unknown_rtt(void)
{
	struct xwin w;

	xwin_init(&w, 2 * MiB, 64 * MiB, 1000 * MS);
	/* shorter than the round trip (50 ms): no sample */
	xwin_done(&w, 1040 * MS, 100 * MiB, 50 * MS);
	T_EXPECT_EQ(w.cwnd, 2 * MiB);
	T_EXPECT_EQ(w.rate, 0);
	/* shorter than XWIN_TICK_NS with a tiny round trip: none either */
	xwin_done(&w, 1000 * MS + XWIN_TICK_NS - 1, 0, 10 * US);
	T_EXPECT_EQ(w.rate, 0);
	/* the bytes were kept: the next sample counts them (100 MiB/60 ms) */
	xwin_done(&w, 1060 * MS, 0, 50 * MS);
	T_EXPECT(w.rate > 1700000000ull && w.rate < 1800000000ull);
	T_EXPECT_EQ(w.cwnd, 4 * MiB);
	/* round trip unknown (0): stays, whatever completes */
	xwin_done(&w, 2000 * MS, 500 * MiB, 0);
	T_EXPECT_EQ(w.cwnd, 4 * MiB);
	/* time going backwards (another thread's clock read): ignored */
	xwin_done(&w, 10 * MS, 1, 1 * MS);
	T_EXPECT_EQ(w.cwnd, 4 * MiB);
}

/*
 * Steady state over round trips from 10 us to 100 ms at 400 MB/s with
 * 2.5 ms of work per MiB: the window never falls as the round trip grows,
 * and a doubled round trip at most doubles it (plus one rounding step):
 * a continuous plan, no cliff at any round trip.
 */
static void test_continuous_in_rtt(void)
{
	uint64_t prev = 0;

	for (uint64_t rtt = 10 * US; rtt <= 100 * MS; rtt = rtt * 5 / 4) {
		struct xwin w;
		uint64_t got;

		xwin_init(&w, 2 * MiB, 256 * MiB, 0);
		got = simulate(&w, 400000000ull, rtt, 2500 * US,
			       rtt > 20 * MS ? rtt : 20 * MS, 300);
		T_EXPECT(got >= 2 * MiB && got <= 256 * MiB);
		if (prev) {
			T_EXPECT(got + got / 8 >= prev);
			T_EXPECT(got <= prev * 2 * 5 / 4 + 2 * MiB);
		}
		prev = got;
	}
	/*
	 * and ends far above the minimum: at 100 ms the window settles where
	 * XWIN_GAIN x rtt / (rtt + the work on a window) is 1, 40 MiB
	 */
	T_EXPECT(prev >= 36 * MiB && prev <= 44 * MiB);
}

static void test_chunks(void)
{
	static const struct {
		uint64_t cwnd;
		size_t want;
	} rows[] = {
		{0, 2 * MiB},	       /* never below the minimum */
		{2 * MiB, 2 * MiB},    /* minimum window: one chunk */
		{9 * MiB, 2 * MiB},    /* a quarter, whole MiB: 2 */
		{13 * MiB, 3 * MiB},   /* 3.25 -> 3 */
		{32 * MiB, 8 * MiB},   /* four chunks of the maximum */
		{1024 * MiB, 8 * MiB}, /* never above it */
	};

	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		T_EXPECT_EQ(xwin_chunk(rows[i].cwnd, 2 * MiB, 8 * MiB, MiB),
			    rows[i].want);
}

int main(void)
{
	T_RUN(test_loopback_stays_minimal);
	T_RUN(test_long_link_grows_to_bdp);
	T_RUN(test_bounded_steps);
	T_RUN(test_short_samples_and_unknown_rtt);
	T_RUN(test_continuous_in_rtt);
	T_RUN(test_chunks);
	return t_done();
}
