/* SPDX-License-Identifier: MIT */
/*
 * cache_bench - the file layer's page cache (issue 14) against direct I/O,
 * on one server in one run, with the public API only.
 *
 *   cache_bench [options] smb://user@host[:port]/share[/dir]
 *
 * The password comes from SMBIOV_PASSWORD. The bench creates its files
 * in the URL's directory (cache_bench.big, .hot, .w) and removes them at
 * the end. Cases (-c, default all), each the median of -r rounds, the
 * variants of a case alternating round by round, after one untimed and
 * verified warm-up round per variant:
 *
 *   seq    cold sequential read of the big file (-s MiB), 1 MiB preads (-b),
 *          a new connection per round (an empty cache): through the cache
 *          (STRICT, cache limit above the file), with SMBIOV_RW_DIRECT on
 *          that cached file, direct (cache NONE), and through a cache of
 *          64 MiB (streaming with eviction). Timed: open, reads, close.
 *   hot    re-read of a file that fits the cache (-H MiB, limit -C MiB):
 *          read once, then full re-reads with 1 MiB preads (-b), timed, with
 *          the requests sent meanwhile (should be 0); memcpy() of the same
 *          bytes out of a plain buffer as the memory-speed reference.
 *   rand   -n 4 KiB preads at random 4 KiB-aligned offsets of the big file
 *          (fixed seed): direct, cached from an empty cache, and cached
 *          after one full sequential read. Timed: the reads only.
 *   write  sequential write of -s MiB in 1 MiB pwrites, then fsync and
 *          close, on a new file: write-back cached (limit above the file),
 *          cached with a 64 MiB limit, direct (NONE). Timed: open to close.
 *
 * Per case and variant: MB/s (or reads/s), the process's CPU (user + sys
 * from getrusage, every thread of the library included), the SMB2
 * requests sent, the cache counters' change, and how busy the machine was
 * (from /proc/stat, both cores = 2.00) while it ran.
 *
 * It is a benchmark, not a test: it never fails on a number. Exit status
 * 0; 1 if anything read back wrong bytes or a call failed; 2 on usage.
 */
#include <smbiov/smbiov.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MIB	   ((size_t)1 << 20)
#define CHUNK	   MIB
#define PAGE	   ((size_t)4096)
#define MAX_ROUNDS 99
#define SMALL_MIB  64 /* the small cache of seq and write */
#define TAG_SEED   0x5ca1ab1e0ddba11ull

/* ---- settings ------------------------------------------------------------ */

static struct {
	const char *url;
	const char *password;
	char *dir;   /* the URL's path: where the files go */
	size_t size; /* the big file, bytes */
	size_t hot;  /* the hot file, bytes */
	size_t hot_cache;
	size_t rsize; /* -b: bytes per read call of seq and hot */
	unsigned rounds;
	unsigned nrand;
	uint64_t seed;
	enum smbiov_mode sign, encrypt;
	bool cases[4];
	const char *only; /* -V: run only the variants of this name */
	bool bad;	  /* wrong bytes or a failed call: exit 1 */
} g = {
	.size = 1024 * MIB,
	.hot = 256 * MIB,
	.hot_cache = 512 * MIB,
	.rsize = CHUNK,
	.rounds = 5,
	.nrand = 20000,
	.seed = 42,
};

enum { C_SEQ, C_HOT, C_RAND, C_WRITE };
static const char *const case_names[] = {"seq", "hot", "rand", "write"};

/* ---- the file's bytes ------------------------------------------------------
 * Every 4 KiB page starts with a tag made from its offset; the rest of the
 * page is the template, a fixed 1 MiB of pseudo-random words, at the
 * offset modulo 1 MiB. A misplaced page or chunk shows in its tag, a
 * corrupted byte in the template; filling a 1 MiB buffer for any offset is
 * a copy of the template and 256 stores.
 */
static unsigned char *tmpl;

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t tag(uint64_t off)
{
	return mix64(off ^ TAG_SEED);
}

static int make_template(void)
{
	tmpl = malloc(CHUNK);
	if (!tmpl)
		return -ENOMEM;
	for (size_t i = 0; i < CHUNK / 8; i++) {
		uint64_t v = mix64(i + 1);

		memcpy(tmpl + i * 8, &v, 8);
	}
	return 0;
}

/* Stamp the tags of a template copy in @buf (CHUNK bytes, @off aligned). */
static void stamp(unsigned char *buf, uint64_t off)
{
	for (size_t p = 0; p < CHUNK; p += PAGE) {
		uint64_t t = tag(off + p);

		memcpy(buf + p, &t, 8);
	}
}

/* @len bytes read at @off (page aligned) as written? */
static bool check(const unsigned char *buf, uint64_t off, size_t len,
		  const char *what)
{
	for (size_t p = 0; p < len; p += PAGE) {
		uint64_t t = tag(off + p), v;
		size_t in = (size_t)((off + p) % CHUNK);
		size_t n = len - p < PAGE ? len - p : PAGE;

		memcpy(&v, buf + p, 8);
		if (n < 8 || v != t ||
		    memcmp(buf + p + 8, tmpl + in + 8, n - 8)) {
			fprintf(stderr,
				"cache_bench: %s: wrong bytes in the page at "
				"offset %llu\n",
				what, (unsigned long long)(off + p));
			g.bad = true;
			return false;
		}
	}
	return true;
}

/* ---- measuring -------------------------------------------------------------
 */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The process's CPU seconds, user + sys, every thread. */
static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* The machine: busy and total jiffies of all CPUs (/proc/stat). */
static void machine(uint64_t *busy, uint64_t *total)
{
	unsigned long long v[8] = {0};
	FILE *fp = fopen("/proc/stat", "r");

	*busy = *total = 0;
	if (!fp)
		return;
	if (fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) >= 7) {
		*busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
		*total = *busy + v[3] + v[4];
	}
	fclose(fp);
}

static long ncpu;

/* One timed run. */
struct sample {
	double wall, cpu, mach; /* mach: cores busy on the machine */
	double t_fsync;		/* write: fsync + close */
	uint64_t requests;
	struct smbiov_cache_stats cs; /* counters' change */
};

struct meter {
	struct smbiov_client *c;
	double t, cpu;
	uint64_t busy, total, req;
	struct smbiov_cache_stats cs;
};

static void meter_start(struct meter *m, struct smbiov_client *c)
{
	struct smbiov_stats s;

	memset(m, 0, sizeof(*m));
	m->c = c;
	if (c) {
		smbiov_get_stats(c, &s);
		m->req = s.requests;
		smbiov_get_cache_stats(c, &m->cs);
	}
	machine(&m->busy, &m->total);
	m->cpu = cpu_now();
	m->t = now();
}

static void meter_stop(struct meter *m, struct sample *out)
{
	double t = now(), cpu = cpu_now();
	uint64_t busy, total;
	struct smbiov_stats s = {0};
	struct smbiov_cache_stats cs = {0};

	machine(&busy, &total);
	if (m->c) {
		smbiov_get_stats(m->c, &s);
		smbiov_get_cache_stats(m->c, &cs);
	} else {
		s.requests = m->req;
		cs = m->cs;
	}
	out->wall = t - m->t;
	out->cpu = cpu - m->cpu;
	out->mach = total > m->total
			    ? (double)(busy - m->busy) /
				      (double)(total - m->total) * (double)ncpu
			    : 0;
	out->requests = s.requests - m->req;
	out->cs.limit = cs.limit;
	out->cs.cached = cs.cached;
	out->cs.dirty = cs.dirty;
	out->cs.hit_bytes = cs.hit_bytes - m->cs.hit_bytes;
	out->cs.miss_bytes = cs.miss_bytes - m->cs.miss_bytes;
	out->cs.readahead_bytes = cs.readahead_bytes - m->cs.readahead_bytes;
	out->cs.written_back = cs.written_back - m->cs.written_back;
	out->cs.evicted = cs.evicted - m->cs.evicted;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned n)
{
	double s[MAX_ROUNDS];

	if (!n)
		return 0;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ---- talking to the server -------------------------------------------------
 */

static int fail(const char *what, const char *name, int err)
{
	struct smbiov_error e;

	smbiov_last_error(&e);
	fprintf(stderr, "cache_bench: %s %s: %s\n", what, name ? name : "",
		e.message[0] ? e.message : strerror(err < 0 ? -err : err));
	g.bad = true;
	return err < 0 ? err : -EIO;
}

static int connect_opts(size_t cache_bytes, int close_timeout_ms,
			struct smbiov_client **c)
{
	struct smbiov_options o = {
		.password = g.password,
		.sign = g.sign,
		.encrypt = g.encrypt,
		.cache_bytes = cache_bytes,
		.close_timeout_ms = close_timeout_ms,
	};
	int ret = smbiov_connect(g.url, &o, c);

	if (ret)
		return fail("connect", g.url, ret);
	return 0;
}

static int connect_new(size_t cache_bytes, struct smbiov_client **c)
{
	return connect_opts(cache_bytes, 0, c);
}

static char *path_of(const char *name)
{
	size_t n = strlen(g.dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s%s", g.dir, g.dir[0] ? "/" : "", name);
	return p;
}

static int open_file(struct smbiov_client *c, const char *path, int flags,
		     enum smbiov_cache cache, struct smbiov_file **f)
{
	struct smbiov_open_opts oo = {.cache = cache};
	int ret = smbiov_open_ex(c, path, flags, &oo, f);

	if (ret)
		return fail("open", path, ret);
	return 0;
}

static int close_file(struct smbiov_file *f, const char *path)
{
	int ret = smbiov_close(f);

	if (ret)
		return fail("close", path, ret);
	return 0;
}

/* Write @size bytes of the pattern to @path (direct, untimed). */
static int create_file(const char *path, size_t size)
{
	struct smbiov_client *c;
	struct smbiov_file *f;
	unsigned char *buf = malloc(CHUNK);
	double t = now();
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = connect_new(0, &c);
	if (ret)
		goto out_buf;
	ret = open_file(c, path, O_WRONLY | O_CREAT | O_TRUNC,
			SMBIOV_CACHE_NONE, &f);
	if (ret)
		goto out;
	memcpy(buf, tmpl, CHUNK);
	for (uint64_t off = 0; off < size && !ret; off += CHUNK) {
		ssize_t n;

		stamp(buf, off);
		n = smbiov_pwrite(f, buf, CHUNK, off);
		if (n != (ssize_t)CHUNK)
			ret = fail("write", path, n < 0 ? (int)n : -EIO);
	}
	if (close_file(f, path) && !ret)
		ret = -EIO;
	if (!ret)
		printf("created %s: %zu MiB in %.2f s\n", path, size / MIB,
		       now() - t);
out:
	smbiov_disconnect(c);
out_buf:
	free(buf);
	return ret;
}

/* Read @f from 0 to the end in -b calls; check the bytes if @verify. */
static int read_all(struct smbiov_file *f, const char *path, size_t size,
		    unsigned char *buf, unsigned flags, bool verify)
{
	uint64_t off = 0;

	for (;;) {
		struct smbiov_iter it;
		ssize_t n;

		if (flags) {
			smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, g.rsize);
			n = smbiov_read_iter_ex(f, &it, off, flags);
		} else {
			n = smbiov_pread(f, buf, g.rsize, off);
		}
		if (n < 0)
			return fail("read", path, (int)n);
		if (n == 0)
			break;
		if (verify && !check(buf, off, (size_t)n, path))
			return -EIO;
		off += (uint64_t)n;
	}
	if (off != size) {
		fprintf(stderr, "cache_bench: %s: read %llu bytes, not %zu\n",
			path, (unsigned long long)off, size);
		g.bad = true;
		return -EIO;
	}
	return 0;
}

/* ---- reporting -------------------------------------------------------------
 */

struct variant {
	const char *name;
	enum smbiov_cache cache;
	size_t cache_bytes; /* 0: the library's default */
	unsigned flags;	    /* SMBIOV_RW_DIRECT per call */
	bool warm;	    /* rand: read the whole file first */
	/* seq: one connection for all rounds, closes not deferred */
	bool keep;
	struct smbiov_client *conn;
	struct sample s[MAX_ROUNDS];
	unsigned n;
	double wall, cpu, mach, fsync, req; /* medians */
};

static void summarise(struct variant *v)
{
	double w[MAX_ROUNDS], c[MAX_ROUNDS], m[MAX_ROUNDS], fs[MAX_ROUNDS],
		r[MAX_ROUNDS];

	for (unsigned i = 0; i < v->n; i++) {
		w[i] = v->s[i].wall;
		c[i] = v->s[i].cpu;
		m[i] = v->s[i].mach;
		fs[i] = v->s[i].t_fsync;
		r[i] = (double)v->s[i].requests;
	}
	v->wall = median(w, v->n);
	v->cpu = median(c, v->n);
	v->mach = median(m, v->n);
	v->fsync = median(fs, v->n);
	v->req = median(r, v->n);
}

static bool skipped(const struct variant *v)
{
	return g.only && strcmp(g.only, v->name);
}

static double absd(double x)
{
	return x < 0 ? -x : x;
}

static double mib(uint64_t b)
{
	return (double)b / (double)MIB;
}

/* One row: a throughput case (bytes per run) or an IOPS case (ops). */
static void row(const char *cs, struct variant *v, double bytes, double ops)
{
	double lo = 1e30, hi = 0, unit = ops ? ops : bytes / 1e6;
	const struct smbiov_cache_stats *d;
	unsigned mi = 0;

	summarise(v);
	if (skipped(v))
		return;
	if (!v->n) {
		printf("%-6s %-12s (no successful round)\n", cs, v->name);
		return;
	}
	for (unsigned i = 0; i < v->n; i++) {
		if (v->s[i].wall < lo)
			lo = v->s[i].wall;
		if (v->s[i].wall > hi)
			hi = v->s[i].wall;
	}
	/* the counters of the round whose wall time is nearest the median */
	for (unsigned i = 1; i < v->n; i++)
		if (absd(v->s[i].wall - v->wall) <
		    absd(v->s[mi].wall - v->wall))
			mi = i;
	d = &v->s[mi].cs;
	printf("%-6s %-12s %9.0f %9.0f %9.0f %7.3f %8.3f %6.2f %5.2f %8.0f "
	       "%7.0f %7.0f %7.0f %7.0f %6.0f\n",
	       cs, v->name, unit / v->wall, unit / hi, unit / lo, v->wall,
	       v->cpu, v->cpu / v->wall, v->mach, v->req, mib(d->hit_bytes),
	       mib(d->miss_bytes), mib(d->readahead_bytes),
	       mib(d->written_back), (double)d->evicted);
}

static void header(const char *unit)
{
	printf("%-6s %-12s %9s %9s %9s %7s %8s %6s %5s %8s %7s %7s %7s %7s "
	       "%6s\n",
	       "case", "variant", unit, "min", "max", "wall s", "CPU s",
	       "cores", "mach", "requests", "hit MiB", "miss", "ra", "wb",
	       "evict");
}

/* ---- seq: cold sequential read ---------------------------------------------
 */

static int seq_round(struct variant *v, const char *path, unsigned char *buf,
		     bool verify, struct sample *s)
{
	struct smbiov_client *c;
	struct smbiov_file *f;
	struct meter m;
	int ret;

	/*
	 * keep: the connection of a running mount, whose cache memory was
	 * used before; the close drops the file's cache (not deferred), so
	 * the data is cold every round all the same.
	 */
	if (v->keep && v->conn)
		c = v->conn;
	else if ((ret = connect_opts(v->cache_bytes, v->keep ? -1 : 0, &c)))
		return ret;
	if (v->keep)
		v->conn = c;
	meter_start(&m, c);
	ret = open_file(c, path, O_RDONLY, v->cache, &f);
	if (!ret) {
		ret = read_all(f, path, g.size, buf, v->flags, verify);
		if (close_file(f, path) && !ret)
			ret = -EIO;
	}
	meter_stop(&m, s);
	if (!v->keep)
		smbiov_disconnect(c);
	return ret;
}

static void run_rounds(struct variant *vs, unsigned nv,
		       int (*fn)(struct variant *, bool, struct sample *))
{
	for (unsigned i = 0; i < nv; i++) {
		struct sample s;

		if (skipped(&vs[i]))
			continue;
		if (fn(&vs[i], true, &s))
			fprintf(stderr, "cache_bench: %s: warm-up failed\n",
				vs[i].name);
	}
	for (unsigned r = 0; r < g.rounds; r++)
		for (unsigned i = 0; i < nv; i++) {
			struct variant *v = &vs[i];

			if (!skipped(v) && !fn(v, false, &v->s[v->n]))
				v->n++;
		}
}

static const char *big_path, *hot_path, *w_path;
static unsigned char *iobuf;

static int seq_fn(struct variant *v, bool verify, struct sample *s)
{
	return seq_round(v, big_path, iobuf, verify, s);
}

/*
 * "ratio CASE A/B: speed S, CPU C": speed = B's median wall / A's (> 1: A
 * faster), CPU = A's median CPU / B's (< 1: A cheaper). With @target, also
 * whether speed reaches it. Nothing when either did not run.
 */
static void print_ratio(const char *cs, const struct variant *a,
			const struct variant *b, double target)
{
	double speed, cpu;

	if (!a->n || !b->n || a->wall <= 0 || b->cpu <= 0)
		return;
	speed = b->wall / a->wall;
	cpu = a->cpu / b->cpu;
	printf("ratio %s %s/%s: speed %.2f, CPU %.2f", cs, a->name, b->name,
	       speed, cpu);
	if (target > 0)
		printf(" (target speed >= %.2f: %s)", target,
		       speed >= target ? "met" : "NOT met");
	printf("\n");
}

static void case_seq(void)
{
	size_t big = g.size + 64 * MIB;
	struct variant vs[] = {
		{.name = "cached",
		 .cache = SMBIOV_CACHE_STRICT,
		 .cache_bytes = big},
		{.name = "direct",
		 .cache = SMBIOV_CACHE_NONE,
		 .cache_bytes = big},
		{.name = "rw_direct",
		 .cache = SMBIOV_CACHE_STRICT,
		 .cache_bytes = big,
		 .flags = SMBIOV_RW_DIRECT},
		{.name = "cached-64M",
		 .cache = SMBIOV_CACHE_STRICT,
		 .cache_bytes = SMALL_MIB * MIB},
		{.name = "cached-kept",
		 .cache = SMBIOV_CACHE_STRICT,
		 .cache_bytes = big,
		 .keep = true},
	};
	unsigned nv = sizeof(vs) / sizeof(vs[0]);

	printf("\n== seq: cold sequential read, %zu MiB, %zu KiB preads, new "
	       "connection per round (cached-kept: one for all rounds, its "
	       "cache's memory used before; open..close timed)\n",
	       g.size / MIB, g.rsize >> 10);
	/*
	 * cached-kept's rounds come after the others': while its connection
	 * lives, its cache's reservation keeps freed folio memory mapped, and
	 * the other variants' new connections would find it too.
	 */
	run_rounds(vs, nv - 1, seq_fn);
	run_rounds(&vs[nv - 1], 1, seq_fn);
	header("MB/s");
	for (unsigned i = 0; i < nv; i++) {
		row("seq", &vs[i], (double)g.size, 0);
		if (vs[i].conn)
			smbiov_disconnect(vs[i].conn);
	}
	print_ratio("seq", &vs[0], &vs[1], 0.9);
	print_ratio("seq", &vs[2], &vs[1], 0);
	print_ratio("seq", &vs[3], &vs[1], 0);
	print_ratio("seq", &vs[4], &vs[1], 0.9);
}

/* ---- hot: re-read of a cached file ------------------------------------------
 */

static void case_hot(void)
{
	struct variant hot = {.name = "cached"}, mem = {.name = "memcpy"};
	struct smbiov_lease_info li = {0};
	struct smbiov_client *c;
	struct smbiov_file *f;
	unsigned char *src = NULL;
	/* several passes per timed round: rounds of about 2 GiB */
	unsigned passes = g.hot >= ((size_t)2 << 30)
				  ? 1
				  : (unsigned)(((size_t)2 << 30) / g.hot);
	uint64_t maxreq = 0;
	struct sample first;
	struct meter m;
	int ret = 0;

	if (skipped(&hot) && skipped(&mem))
		return;
	printf("\n== hot: re-read of a %zu MiB file in a %zu MiB cache, %zu "
	       "KiB preads, one open\n",
	       g.hot / MIB, g.hot_cache / MIB, g.rsize >> 10);
	if (connect_new(g.hot_cache, &c))
		return;
	if (open_file(c, hot_path, O_RDONLY, SMBIOV_CACHE_STRICT, &f))
		goto out;
	smbiov_lease_info(f, &li);
	printf("lease: %s state %s%s%s\n", li.leased ? "granted" : "none",
	       li.state & SMBIOV_LEASE_READ ? "R" : "",
	       li.state & SMBIOV_LEASE_HANDLE ? "H" : "",
	       li.state & SMBIOV_LEASE_WRITE ? "W" : "");
	/* the first read fills the cache; verified */
	meter_start(&m, c);
	ret = read_all(f, hot_path, g.hot, iobuf, 0, true);
	meter_stop(&m, &first);
	if (ret)
		goto out_close;
	printf("first read (cold): %.0f MB/s, %llu requests, cached %.0f MiB\n",
	       (double)g.hot / 1e6 / first.wall,
	       (unsigned long long)first.requests, mib(first.cs.cached));
	/* one untimed re-read, then the timed ones */
	if (read_all(f, hot_path, g.hot, iobuf, 0, false))
		goto out_close;
	printf("timed rounds: %u full re-reads each (%.0f MiB)\n", passes,
	       mib((uint64_t)passes * g.hot));
	for (unsigned r = 0; r < g.rounds; r++) {
		struct sample *s = &hot.s[hot.n];

		meter_start(&m, c);
		for (unsigned k = 0; k < passes && !ret; k++)
			ret = read_all(f, hot_path, g.hot, iobuf, 0, false);
		meter_stop(&m, s);
		if (ret)
			break;
		if (s->requests > maxreq)
			maxreq = s->requests;
		hot.n++;
	}
	/* and verify what the cache serves now */
	read_all(f, hot_path, g.hot, iobuf, 0, true);
	/* the memory-speed reference: the same bytes out of a plain buffer */
	src = malloc(g.hot);
	if (src) {
		for (size_t off = 0; off < g.hot; off += CHUNK)
			memcpy(src + off, tmpl, CHUNK);
		for (unsigned r = 0; r < g.rounds; r++) {
			meter_start(&m, NULL);
			for (unsigned k = 0; k < passes; k++)
				for (size_t off = 0; off < g.hot;
				     off += g.rsize) {
					size_t n = g.hot - off < g.rsize
							   ? g.hot - off
							   : g.rsize;

					memcpy(iobuf, src + off, n);
					__asm__ volatile(""
							 :
							 : "r"(iobuf)
							 : "memory");
				}
			meter_stop(&m, &mem.s[mem.n++]);
		}
	}
	header("MB/s");
	row("hot", &hot, (double)passes * (double)g.hot, 0);
	row("hot", &mem, (double)passes * (double)g.hot, 0);
	if (hot.n) {
		double gbs = (double)passes * (double)g.hot / 1e9 / hot.wall;

		printf("hot re-read: %.2f GB/s, requests during the timed "
		       "re-reads: %llu (max of a round) -> target (>= 5 GB/s, "
		       "0 requests): %s\n",
		       gbs, (unsigned long long)maxreq,
		       gbs >= 5 && maxreq == 0 ? "met" : "NOT met");
		print_ratio("hot", &hot, &mem, 0);
	}
	free(src);
out_close:
	close_file(f, hot_path);
out:
	smbiov_disconnect(c);
}

/* ---- rand: 4 KiB random reads ----------------------------------------------
 */

static uint64_t *offsets;

static void make_offsets(void)
{
	uint64_t x = g.seed * 0x9e3779b97f4a7c15ull + 1, pages = g.size / PAGE;

	for (unsigned i = 0; i < g.nrand; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		offsets[i] = (mix64(x) % pages) * PAGE;
	}
}

static int rand_fn(struct variant *v, bool verify, struct sample *s)
{
	struct smbiov_client *c;
	struct smbiov_file *f;
	struct meter m;
	int ret;

	ret = connect_new(v->cache_bytes, &c);
	if (ret)
		return ret;
	ret = open_file(c, big_path, O_RDONLY, v->cache, &f);
	if (ret)
		goto out;
	if (v->warm)
		ret = read_all(f, big_path, g.size, iobuf, 0, false);
	if (ret)
		goto out_close;
	meter_start(&m, c);
	for (unsigned i = 0; i < g.nrand && !ret; i++) {
		ssize_t n = smbiov_pread(f, iobuf, PAGE, offsets[i]);

		if (n != (ssize_t)PAGE)
			ret = fail("read", big_path, n < 0 ? (int)n : -EIO);
		else if (verify && !check(iobuf, offsets[i], PAGE, big_path))
			ret = -EIO;
	}
	meter_stop(&m, s);
out_close:
	if (close_file(f, big_path) && !ret)
		ret = -EIO;
out:
	smbiov_disconnect(c);
	return ret;
}

static void case_rand(void)
{
	size_t big = g.size + 64 * MIB;
	struct variant vs[] = {
		{.name = "direct",
		 .cache = SMBIOV_CACHE_NONE,
		 .cache_bytes = big},
		{.name = "cached-cold",
		 .cache = SMBIOV_CACHE_STRICT,
		 .cache_bytes = big},
		{.name = "cached-warm",
		 .cache = SMBIOV_CACHE_STRICT,
		 .cache_bytes = big,
		 .warm = true},
	};

	offsets = malloc(g.nrand * sizeof(*offsets));
	if (!offsets) {
		g.bad = true;
		return;
	}
	make_offsets();
	printf("\n== rand: %u preads of 4 KiB at random aligned offsets of the "
	       "%zu MiB file (seed %llu; reads timed, warm-up read not)\n",
	       g.nrand, g.size / MIB, (unsigned long long)g.seed);
	run_rounds(vs, 3, rand_fn);
	header("reads/s");
	for (unsigned i = 0; i < 3; i++)
		row("rand", &vs[i], 0, g.nrand);
	for (unsigned i = 0; i < 3; i++)
		if (vs[i].n)
			printf("rand %-12s %.1f us CPU per read, %.1f us wall "
			       "per read\n",
			       vs[i].name, vs[i].cpu / g.nrand * 1e6,
			       vs[i].wall / g.nrand * 1e6);
	print_ratio("rand", &vs[2], &vs[0], 0);
	print_ratio("rand", &vs[1], &vs[0], 0);
	free(offsets);
}

/* ---- write: write-back against direct writes --------------------------------
 */

static int verify_file(const char *path, size_t size)
{
	struct smbiov_client *c;
	struct smbiov_file *f;
	int ret;

	ret = connect_new(0, &c);
	if (ret)
		return ret;
	ret = open_file(c, path, O_RDONLY, SMBIOV_CACHE_NONE, &f);
	if (!ret) {
		ret = read_all(f, path, size, iobuf, 0, true);
		close_file(f, path);
	}
	smbiov_disconnect(c);
	return ret;
}

static int write_fn(struct variant *v, bool verify, struct sample *s)
{
	struct smbiov_client *c;
	struct smbiov_file *f;
	struct meter m;
	double t_loop = 0;
	int ret;

	ret = connect_new(v->cache_bytes, &c);
	if (ret)
		return ret;
	smbiov_unlink(c, w_path); /* the previous round's, untimed */
	memcpy(iobuf, tmpl, CHUNK);
	meter_start(&m, c);
	ret = open_file(c, w_path, O_WRONLY | O_CREAT | O_TRUNC, v->cache, &f);
	if (ret)
		goto out;
	for (uint64_t off = 0; off < g.size && !ret; off += CHUNK) {
		ssize_t n;

		stamp(iobuf, off);
		n = smbiov_pwrite(f, iobuf, CHUNK, off);
		if (n != (ssize_t)CHUNK)
			ret = fail("write", w_path, n < 0 ? (int)n : -EIO);
	}
	t_loop = now();
	if (!ret && smbiov_fsync(f))
		ret = fail("fsync", w_path, -EIO);
	if (close_file(f, w_path) && !ret)
		ret = -EIO;
	meter_stop(&m, s);
	s->t_fsync = now() - t_loop;
out:
	smbiov_disconnect(c);
	if (!ret && verify)
		ret = verify_file(w_path, g.size);
	return ret;
}

static void case_write(void)
{
	size_t big = g.size + 64 * MIB;
	struct variant vs[] = {
		{.name = "cached",
		 .cache = SMBIOV_CACHE_STRICT,
		 .cache_bytes = big},
		{.name = "direct",
		 .cache = SMBIOV_CACHE_NONE,
		 .cache_bytes = big},
		{.name = "cached-64M",
		 .cache = SMBIOV_CACHE_STRICT,
		 .cache_bytes = SMALL_MIB * MIB},
	};
	struct smbiov_client *c;

	printf("\n== write: %zu MiB in 1 MiB pwrites + fsync + close, new "
	       "file, "
	       "new connection per round (open..close timed)\n",
	       g.size / MIB);
	run_rounds(vs, 3, write_fn);
	header("MB/s");
	for (unsigned i = 0; i < 3; i++)
		row("write", &vs[i], (double)g.size, 0);
	for (unsigned i = 0; i < 3; i++)
		if (vs[i].n)
			printf("write %-12s fsync+close %.3f s of %.3f s\n",
			       vs[i].name, vs[i].fsync, vs[i].wall);
	print_ratio("write", &vs[0], &vs[1], 0);
	print_ratio("write", &vs[2], &vs[1], 0);
	if (!connect_new(0, &c)) {
		smbiov_unlink(c, w_path);
		smbiov_disconnect(c);
	}
}

/* ---- main
 * --------------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr,
		"usage: cache_bench [-s MIB] [-r ROUNDS] [-H MIB] [-C MIB] "
		"[-n READS] [-S SEED] [-b KIB] [-V VARIANT]\n"
		"                   [-c seq,hot,rand,write] [--sign] "
		"[--encrypt] smb://user@host[:port]/share[/dir]\n"
		"password from SMBIOV_PASSWORD\n");
	return 2;
}

static bool parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || !v || v > (1ul << 20))
		return false;
	*out = v * MIB;
	return true;
}

static bool parse_cases(char *s)
{
	memset(g.cases, 0, sizeof(g.cases));
	for (char *t = strtok(s, ","); t; t = strtok(NULL, ",")) {
		unsigned i;

		for (i = 0; i < 4 && strcmp(t, case_names[i]); i++)
			;
		if (i == 4)
			return false;
		g.cases[i] = true;
	}
	return true;
}

static void loadavg(const char *when)
{
	char line[128] = "?";
	FILE *fp = fopen("/proc/loadavg", "r");

	if (fp) {
		if (!fgets(line, sizeof(line), fp))
			strcpy(line, "?\n");
		fclose(fp);
	}
	printf("load average %s: %s", when, line);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"sign", no_argument, NULL, 'g'},
		{"encrypt", no_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct smbiov_url u;
	char *bp, *hp, *wp;
	int opt, ret;

	memset(g.cases, 1, sizeof(g.cases));
	while ((opt = getopt_long(argc, argv, "s:r:H:C:n:S:c:V:b:h", lo,
				  NULL)) != -1) {
		switch (opt) {
		case 's':
			if (!parse_size(optarg, &g.size))
				return usage();
			break;
		case 'H':
			if (!parse_size(optarg, &g.hot))
				return usage();
			break;
		case 'C':
			if (!parse_size(optarg, &g.hot_cache))
				return usage();
			break;
		case 'r':
			g.rounds = (unsigned)atoi(optarg);
			if (g.rounds < 1 || g.rounds > MAX_ROUNDS)
				return usage();
			break;
		case 'n':
			g.nrand = (unsigned)atoi(optarg);
			if (g.nrand < 1)
				return usage();
			break;
		case 'b': {
			unsigned long kib = strtoul(optarg, NULL, 10);

			if (kib < 4 || kib % 4 || kib > 64 * 1024)
				return usage();
			g.rsize = kib << 10;
			break;
		}
		case 'S':
			g.seed = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			if (!parse_cases(optarg))
				return usage();
			break;
		case 'V':
			g.only = optarg;
			break;
		case 'g':
			g.sign = SMBIOV_REQUIRED;
			break;
		case 'e':
			g.encrypt = SMBIOV_REQUIRED;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 1)
		return usage();
	g.url = argv[optind];
	g.password = getenv("SMBIOV_PASSWORD");
	ret = smbiov_url_parse(g.url, &u);
	if (ret) {
		fprintf(stderr, "cache_bench: bad URL %s: %s\n", g.url,
			strerror(-ret));
		return 2;
	}
	g.dir = strdup(u.path);
	smbiov_url_release(&u);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	iobuf = aligned_alloc(PAGE, g.rsize > CHUNK ? g.rsize : CHUNK);
	bp = path_of("cache_bench.big");
	hp = path_of("cache_bench.hot");
	wp = path_of("cache_bench.w");
	if (!g.dir || !iobuf || !bp || !hp || !wp || make_template()) {
		fprintf(stderr, "cache_bench: out of memory\n");
		return 1;
	}
	big_path = bp;
	hot_path = hp;
	w_path = wp;

	printf("cache_bench: %s, big file %zu MiB, hot file %zu MiB in %zu "
	       "MiB, %u rounds (median), %u random reads, %ld CPUs\n",
	       g.url, g.size / MIB, g.hot / MIB, g.hot_cache / MIB, g.rounds,
	       g.nrand, ncpu);
	loadavg("before");
	printf("columns: MB/s (or reads/s) of the median round, min and max "
	       "over the rounds; wall s, CPU s: medians (CPU: user + sys of "
	       "this process, all its threads); cores = CPU / wall; mach: "
	       "cores busy on the whole machine (/proc/stat); requests: SMB2 "
	       "requests sent in the timed part (median); hit, miss, ra, wb: "
	       "the cache counters' change in MiB, evict: folios evicted "
	       "(the median round's)\n");
	fflush(stdout);
	if ((g.cases[C_SEQ] || g.cases[C_RAND]) && create_file(bp, g.size))
		return 1;
	if (g.cases[C_HOT] && create_file(hp, g.hot))
		return 1;
	if (g.cases[C_SEQ])
		case_seq();
	fflush(stdout);
	if (g.cases[C_HOT])
		case_hot();
	fflush(stdout);
	if (g.cases[C_RAND])
		case_rand();
	fflush(stdout);
	if (g.cases[C_WRITE])
		case_write();
	printf("\n");
	loadavg("after");
	{
		struct smbiov_client *c;

		if (!connect_new(0, &c)) {
			smbiov_unlink(c, bp);
			smbiov_unlink(c, hp);
			smbiov_disconnect(c);
		}
	}
	if (g.bad)
		fprintf(stderr, "cache_bench: FAILED: wrong bytes or a failed "
				"call (see above)\n");
	free(tmpl);
	free(iobuf);
	free(bp);
	free(hp);
	free(wp);
	free(g.dir);
	return g.bad ? 1 : 0;
}
