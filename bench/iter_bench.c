/* SPDX-License-Identifier: MIT */
/*
 * iter_bench - throughput of smbiov_copy_to_iter()/smbiov_copy_from_iter()
 * against plain memcpy() over the same bytes.
 *
 * For each iterator type (IOVEC, KVEC, BVEC) and segment size (4 KiB,
 * 64 KiB, 1 MiB) an array of segments covering one buffer of --mib MiB is
 * built. "iter" copies the whole buffer in one call through the iterator;
 * "memcpy" copies the same segments to/from the same flat buffer with a
 * plain loop of memcpy() calls, i.e. what a caller would write by hand.
 * Each case is repeated enough times that one timed run takes about
 * --seconds/5, the two methods alternate run by run (so drift hits both),
 * and the median of 5 runs is reported.
 *
 * It is a benchmark, not a test: it never fails on a ratio. It exits 1 if
 * any copy returned a wrong count or wrong bytes, 2 on a setup error.
 */
#include <smbiov/iter.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

#define RUNS	       5
#define TARGET_RATIO   0.9
#define TARGET_MIN_SEG ((size_t)64 << 10)

enum method { M_ITER, M_MEMCPY };
enum dir { D_TO, D_FROM }; /* copy_to_iter / copy_from_iter */

struct bench {
	size_t total;	       /* bytes per copy */
	double seconds;	       /* time budget per case and method */
	unsigned char *segbuf; /* memory the segments describe */
	unsigned char *flat;   /* the plain buffer on the other side */
	struct iovec *iov;
	struct smbiov_bvec *bv;
	size_t nsegs;
	size_t seg;
	int type; /* SMBIOV_ITER_IOVEC, _KVEC or _BVEC */
	bool bad; /* a copy went wrong somewhere */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *alloc_region(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, len); /* fault every page in before timing */
	return p;
}

static void fill(unsigned char *p, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t k = 0; k < len; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[k] = (unsigned char)x;
	}
}

static int build_iter(struct bench *b, struct smbiov_iter *it, enum dir d)
{
	unsigned dir = d == D_TO ? SMBIOV_ITER_DEST : SMBIOV_ITER_SOURCE;

	switch (b->type) {
	case SMBIOV_ITER_IOVEC:
		return smbiov_iter_iovec(it, dir, b->iov, b->nsegs, b->total);
	case SMBIOV_ITER_KVEC:
		return smbiov_iter_kvec(it, dir, b->iov, b->nsegs, b->total);
	default:
		return smbiov_iter_bvec(it, dir, b->bv, b->nsegs, b->total);
	}
}

/* One pass over all bytes with @m in direction @d. Returns bytes moved. */
static size_t one_pass(struct bench *b, enum method m, enum dir d)
{
	struct smbiov_iter it;
	size_t n = 0;

	if (m == M_ITER) {
		if (build_iter(b, &it, d) != 0)
			return 0;
		if (d == D_TO)
			return smbiov_copy_to_iter(b->flat, b->total, &it);
		return smbiov_copy_from_iter(b->flat, b->total, &it);
	}
	for (size_t s = 0; s < b->nsegs; s++) {
		if (d == D_TO)
			memcpy(b->iov[s].iov_base, b->flat + n,
			       b->iov[s].iov_len);
		else
			memcpy(b->flat + n, b->iov[s].iov_base,
			       b->iov[s].iov_len);
		n += b->iov[s].iov_len;
	}
	return n;
}

/* Time @reps passes; returns GB/s, or -1 if a pass moved a wrong count. */
static double timed_run(struct bench *b, enum method m, enum dir d,
			unsigned reps)
{
	double t0, t1;

	t0 = now();
	for (unsigned r = 0; r < reps; r++) {
		if (one_pass(b, m, d) != b->total)
			return -1;
	}
	t1 = now();
	return (double)b->total * reps / (t1 - t0) / 1e9;
}

/* Do the bytes on both sides agree after one pass of @m? */
static bool verify(struct bench *b, enum method m, enum dir d, unsigned seed)
{
	unsigned char *src = d == D_TO ? b->flat : b->segbuf;
	unsigned char *dst = d == D_TO ? b->segbuf : b->flat;

	fill(src, b->total, seed);
	memset(dst, 0, b->total);
	if (one_pass(b, m, d) != b->total)
		return false;
	/* Segments are laid out back to back in segbuf, in order. */
	return memcmp(src, dst, b->total) == 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static const char *type_name(int type)
{
	switch (type) {
	case SMBIOV_ITER_IOVEC:
		return "IOVEC";
	case SMBIOV_ITER_KVEC:
		return "KVEC";
	default:
		return "BVEC";
	}
}

static void seg_name(char *buf, size_t len, size_t seg)
{
	if (seg >= ((size_t)1 << 20))
		snprintf(buf, len, "%zu MiB", seg >> 20);
	else
		snprintf(buf, len, "%zu KiB", seg >> 10);
}

static void setup_segments(struct bench *b, size_t seg)
{
	b->seg = seg;
	b->nsegs = b->total / seg;
	for (size_t s = 0; s < b->nsegs; s++) {
		b->iov[s].iov_base = b->segbuf + s * seg;
		b->iov[s].iov_len = seg;
		/* seg is a multiple of the page size: offset 0 in a page run */
		b->bv[s].page = b->segbuf + s * seg;
		b->bv[s].offset = 0;
		b->bv[s].len = seg;
	}
}

/* Returns the iter/memcpy ratio, or -1 if the case copied wrong bytes. */
static double run_case(struct bench *b, enum dir d)
{
	double iter_gbs[RUNS], mem_gbs[RUNS];
	double t0, one;
	unsigned reps;
	const char *what = d == D_TO ? "copy_to_iter" : "copy_from_iter";
	char segname[32];

	if (!verify(b, M_ITER, d, 1) || !verify(b, M_MEMCPY, d, 2)) {
		printf("iter_bench: %s %s %zu: WRONG BYTES\n",
		       type_name(b->type), what, b->seg);
		b->bad = true;
		return -1;
	}
	/* Calibrate on the iterator (also warms caches and TLB). */
	t0 = now();
	if (one_pass(b, M_ITER, d) != b->total) {
		b->bad = true;
		return -1;
	}
	one = now() - t0;
	reps = 1;
	if (one > 0 && b->seconds / RUNS > one)
		reps = (unsigned)(b->seconds / RUNS / one + 0.5);

	for (int r = 0; r < RUNS; r++) {
		iter_gbs[r] = timed_run(b, M_ITER, d, reps);
		mem_gbs[r] = timed_run(b, M_MEMCPY, d, reps);
		if (iter_gbs[r] < 0 || mem_gbs[r] < 0) {
			printf("iter_bench: %s %s %zu: SHORT COPY\n",
			       type_name(b->type), what, b->seg);
			b->bad = true;
			return -1;
		}
	}
	/* The timed passes must not have disturbed correctness either. */
	if (!verify(b, M_ITER, d, 3)) {
		printf("iter_bench: %s %s %zu: WRONG BYTES after timing\n",
		       type_name(b->type), what, b->seg);
		b->bad = true;
		return -1;
	}
	qsort(iter_gbs, RUNS, sizeof(double), cmp_double);
	qsort(mem_gbs, RUNS, sizeof(double), cmp_double);
	seg_name(segname, sizeof(segname), b->seg);
	printf("%-6s %-15s %8s %7zu %5u %10.2f %11.2f %7.3f\n",
	       type_name(b->type), what, segname, b->nsegs, reps,
	       iter_gbs[RUNS / 2], mem_gbs[RUNS / 2],
	       iter_gbs[RUNS / 2] / mem_gbs[RUNS / 2]);
	fflush(stdout);
	return iter_gbs[RUNS / 2] / mem_gbs[RUNS / 2];
}

static void usage(FILE *f)
{
	fprintf(f, "usage: iter_bench [-m MIB] [-t SECONDS]\n"
		   "  -m MIB      bytes per copy, in MiB (default 64, at least "
		   "1)\n"
		   "  -t SECONDS  time per case and method, 5 runs (default "
		   "0.3)\n");
}

int main(int argc, char **argv)
{
	static const size_t segs[] = {(size_t)4 << 10, (size_t)64 << 10,
				      (size_t)1 << 20};
	static const int types[] = {SMBIOV_ITER_IOVEC, SMBIOV_ITER_KVEC,
				    SMBIOV_ITER_BVEC};
	struct bench b = {.seconds = 0.3};
	size_t mib = 64;
	double worst = 1e9;
	const char *worst_what = "";
	char worst_buf[96];

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "-m") == 0 && a + 1 < argc) {
			mib = strtoul(argv[++a], NULL, 10);
		} else if (strcmp(argv[a], "-t") == 0 && a + 1 < argc) {
			b.seconds = strtod(argv[++a], NULL);
		} else if (strcmp(argv[a], "-h") == 0 ||
			   strcmp(argv[a], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (mib < 1 || mib > 4096 || !(b.seconds > 0)) {
		usage(stderr);
		return 2;
	}
	b.total = mib << 20;
	b.segbuf = alloc_region(b.total);
	b.flat = alloc_region(b.total);
	b.iov = calloc(b.total / segs[0], sizeof(*b.iov));
	b.bv = calloc(b.total / segs[0], sizeof(*b.bv));
	if (!b.segbuf || !b.flat || !b.iov || !b.bv) {
		fprintf(stderr, "iter_bench: out of memory for %zu MiB\n", mib);
		return 2;
	}

	printf("iter_bench: %zu MiB per copy, median of %d runs, ~%.2f s per "
	       "case and method\n",
	       mib, RUNS, b.seconds);
	printf("%-6s %-15s %8s %7s %5s %10s %11s %7s\n", "type", "op",
	       "segment", "nsegs", "reps", "iter GB/s", "memcpy GB/s", "ratio");
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		b.type = types[t];
		for (size_t s = 0; s < sizeof(segs) / sizeof(segs[0]); s++) {
			if (segs[s] > b.total)
				continue;
			setup_segments(&b, segs[s]);
			for (int d = D_TO; d <= D_FROM; d++) {
				double r = run_case(&b, (enum dir)d);

				if (r < 0 || segs[s] < TARGET_MIN_SEG)
					continue;
				if (r < worst) {
					char sn[32];

					worst = r;
					seg_name(sn, sizeof(sn), segs[s]);
					snprintf(worst_buf, sizeof(worst_buf),
						 "%s %s %s", type_name(b.type),
						 d == D_TO ? "copy_to_iter"
							   : "copy_from_iter",
						 sn);
					worst_what = worst_buf;
				}
			}
		}
	}

	munmap(b.segbuf, b.total);
	munmap(b.flat, b.total);
	free(b.iov);
	free(b.bv);

	if (b.bad) {
		printf("iter_bench: FAILED: an iterator copy moved wrong bytes "
		       "(see above)\n");
		return 1;
	}
	if (worst >= TARGET_RATIO)
		printf("target (>= %.1fx memcpy at 64 KiB and above): met "
		       "(worst %.3fx, %s)\n",
		       TARGET_RATIO, worst, worst_what);
	else
		printf("target (>= %.1fx memcpy at 64 KiB and above): NOT met "
		       "(worst %.3fx, %s)\n",
		       TARGET_RATIO, worst, worst_what);
	return 0;
}
