// SPDX-License-Identifier: MIT
/*
 * Fork while reads are in flight (issue 14; docs/design.md §2 "Fork"; the
 * kernel's DIO-read-vs-fork race, kernel-iov-iter-design.md §4).
 *
 * FC_FORK_ITERS iterations (default 10000), three kinds in turn:
 *  UBUF   asynchronous reads into a malloc'd buffer, with guard bytes on
 *	   its first and last page (the same heap pages) around it;
 *  FOLIO  asynchronous reads through an XARRAY iterator into folios the
 *	   test allocates with the mem API (library memory), filled with a
 *	   known pattern and locked first, as a page cache's read would;
 *  SYNC   smbiov_pread() on another thread, alternately on a file opened
 *	   with SMBIOV_CACHE_STRICT (under a read lease through the page
 *	   cache, kept small so that its reads keep filling folios from the
 *	   server) and one opened with SMBIOV_CACHE_NONE (direct reads).
 * Every iteration forks from the main thread while those reads are in
 * flight. Half of them ("gated") make sure of it: first a small read is
 * submitted whose completion holds the library's receiver thread until
 * the parent has forked, so no response of the iteration's reads can be
 * taken in before the fork (SYNC also waits until its READ has gone out,
 * or its call returned without one). The other half fork as soon as the
 * reads are submitted or the thread is started, wherever the receiver is.
 *
 * The child, at once, copies the reads' destination memory (for FOLIO
 * also the folio structures) into a snapshot; then writes beside the
 * reads on the same pages; checks that every call on the parent's client
 * fails with -ECHILD and a message (smbiov_pread on each file, and one
 * more entry point in turn: aio read, aio wait, cancel, fstat, stat,
 * fsync, close, disconnect); tells the parent it is done writing and
 * waits until the parent's reads have completed (and its folios are
 * marked read); and checks that its copy still equals the snapshot: the
 * parent's I/O after the fork never wrote into it. It leaves with
 * _exit() (no exit handlers near the parent's connection) and reports
 * failed checks in its exit status.
 *
 * The parent checks every byte it read, the guard and pattern bytes
 * around them, that no pin is left, and each child's status. At the end
 * the connection still reads the whole file byte for byte on every handle
 * and closes cleanly.
 */
#include "file_common.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include <smbiov/mem.h>

#define SEED	   99 /* the file's bytes */
#define FOLIO_SEED 7  /* what the folios hold before the read */
#define FILE_LEN   (4 << 20)
#define CACHE_LEN  (256 << 10) /* the page cache's limit: it keeps missing */
#define BUF_LEN	   24000       /* not a page multiple: reads end mid-page */
#define NPIECES	   3
#define PER	   (BUF_LEN / NPIECES)
#define GUARD	   64 /* heap bytes before and after the UBUF buffer */
#define GATE_LEN   512
#define MAX_ORDER  4 /* of the FOLIO kind's folios */
#define MAX_SPAN   (BUF_LEN + 2 * (SMBIOV_PAGE_SIZE << MAX_ORDER))
#define MAX_FOLIOS (MAX_SPAN / SMBIOV_PAGE_SIZE)

enum kind { K_UBUF, K_FOLIO, K_SYNC, K_NR };

/* Bits of a child's exit status: which of its checks failed. */
enum {
	CH_PREAD = 1 << 0,   /* pread on a parent's file was not -ECHILD */
	CH_MESSAGE = 1 << 1, /* ...or left no -ECHILD error with a message */
	CH_DATA = 1 << 2,    /* its copy of the destination changed */
	CH_FOLIO = 1 << 3,   /* its copy of a folio structure changed */
	CH_EXTRA = 1 << 4,   /* the iteration's other call was not -ECHILD */
	CH_SIGNAL = 1 << 5,  /* the parent's byte did not come */
	CH_TOUCHED = 1 << 6, /* a failed call wrote into the child's buffer */
};

/* ---- the file's bytes, eight at a time ---- */

/* fc_byte(seed, 8 * group + j) is byte j of this (file_common.h). */
static uint64_t pat_word(uint32_t seed, uint64_t group)
{
	uint64_t x = group * 0x9E3779B97F4A7C15ull ^ seed;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return x;
}

/* fc_fill(), one multiplication per eight bytes: 10,000 iterations. */
static void pat_fill(uint8_t *p, size_t len, uint32_t seed, uint64_t off)
{
	size_t k = 0;

	while (k < len) {
		uint64_t pos = off + k, x = pat_word(seed, pos >> 3);

		for (unsigned j = pos & 7; j < 8 && k < len; j++, k++)
			p[k] = (uint8_t)(x >> (8 * j));
	}
}

/* fc_check() on top of pat_fill(): the first wrong byte's index, or len. */
static size_t pat_check(const uint8_t *p, size_t len, uint32_t seed,
			uint64_t off)
{
	uint8_t want[512];

	for (size_t k = 0; k < len; k += sizeof(want)) {
		size_t n = len - k < sizeof(want) ? len - k : sizeof(want);

		pat_fill(want, n, seed, off + k);
		if (memcmp(p + k, want, n))
			for (size_t j = 0; j < n; j++)
				if (p[k + j] != want[j])
					return k + j;
	}
	return len;
}

/* ---- completions ---- */

static _Atomic int done_calls;
static _Atomic long done_res[NPIECES];

static void on_done(void *arg, ssize_t res)
{
	atomic_store((_Atomic long *)arg, (long)res);
	atomic_fetch_add(&done_calls, 1);
}

/*
 * The gate: a read whose completion holds the receiver thread (the one
 * that takes in every response) until the parent has forked. A read can
 * also complete on the submitting thread, inside smbiov_aio_read(), when
 * its response was in before the submission finished: that completion
 * must not wait (nothing would open the gate), and another gate is tried.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	pthread_t armer;
	bool entered, open, on_armer;
	ssize_t res;
} gate = {.lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
static uint8_t gate_buf[GATE_LEN];
static int gate_bad, gate_retries;

static void gate_done(void *arg, ssize_t res)
{
	(void)arg;
	pthread_mutex_lock(&gate.lock);
	gate.res = res;
	gate.entered = true;
	gate.on_armer = pthread_equal(pthread_self(), gate.armer);
	pthread_cond_broadcast(&gate.cv);
	while (!gate.open && !gate.on_armer)
		pthread_cond_wait(&gate.cv, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
}

/* Submit gate reads until one's completion holds the receiver. */
static void gate_arm(struct smbiov_file *f, uint64_t off)
{
	struct smbiov_iter it;
	bool held;

	do {
		pthread_mutex_lock(&gate.lock);
		gate.armer = pthread_self();
		gate.entered = false;
		gate.open = false;
		gate.on_armer = false;
		gate.res = 0;
		pthread_mutex_unlock(&gate.lock);
		memset(gate_buf, 0, sizeof(gate_buf));
		T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, gate_buf,
					  GATE_LEN) == 0);
		T_ASSERT(smbiov_aio_read(f, &it, off, gate_done, NULL) == 0);
		pthread_mutex_lock(&gate.lock);
		while (!gate.entered)
			pthread_cond_wait(&gate.cv, &gate.lock);
		held = !gate.on_armer;
		pthread_mutex_unlock(&gate.lock);
		/* Its bytes are in before its completion runs. */
		if (gate.res != GATE_LEN ||
		    pat_check(gate_buf, GATE_LEN, SEED, off) != GATE_LEN)
			gate_bad++;
		gate_retries += !held;
	} while (!held);
}

static void gate_release(void)
{
	pthread_mutex_lock(&gate.lock);
	gate.open = true;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.lock);
}

/* ---- the SYNC kind's reader thread ---- */

struct reader {
	struct smbiov_file *f;
	uint8_t *buf;
	uint64_t off;
	ssize_t res;
	_Atomic int finished;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	r->res = smbiov_pread(r->f, r->buf, BUF_LEN, r->off);
	atomic_store(&r->finished, 1);
	return NULL;
}

/* ---- the FOLIO kind's page cache ---- */

struct cache {
	struct smbiov_xarray *xa;
	struct smbiov_folio *fol[MAX_FOLIOS];
	size_t nfol;
	uint64_t start, end; /* file range the folios cover */
};

/* Folios of 2^@order pages over [off, off + BUF_LEN), patterned, locked. */
static void cache_build(struct cache *k, uint64_t off, unsigned order,
			bool populate)
{
	uint64_t idx, last = (off + BUF_LEN - 1) >> SMBIOV_PAGE_SHIFT;

	k->xa = smbiov_xarray_new();
	T_ASSERT(k->xa);
	idx = (off >> SMBIOV_PAGE_SHIFT) & ~(((uint64_t)1 << order) - 1);
	if (populate)
		T_ASSERT(smbiov_xarray_populate(k->xa, (int64_t)off, BUF_LEN,
						order) == 0);
	k->nfol = 0;
	while (idx <= last) {
		struct smbiov_folio *fo;

		if (!populate) {
			fo = smbiov_folio_alloc(order);
			T_ASSERT(fo);
			fo->index = idx;
			T_ASSERT(smbiov_xarray_insert(k->xa, fo) == 0);
			smbiov_folio_put(fo); /* the index holds it */
		}
		fo = smbiov_xarray_load(k->xa, idx);
		T_ASSERT(fo && fo->index == idx && fo->order == order);
		T_ASSERT(k->nfol < MAX_FOLIOS);
		k->fol[k->nfol++] = fo;
		pat_fill(fo->addr, smbiov_folio_size(fo), FOLIO_SEED,
			 idx << SMBIOV_PAGE_SHIFT);
		smbiov_folio_lock(fo);
		idx += smbiov_folio_nr_pages(fo);
	}
	T_ASSERT(smbiov_xarray_nr_folios(k->xa) == k->nfol);
	k->start = k->fol[0]->index << SMBIOV_PAGE_SHIFT;
	k->end = idx << SMBIOV_PAGE_SHIFT;
	T_ASSERT(k->end - k->start <= MAX_SPAN);
}

/* Copy the folios' bytes (in file order) into @snap. */
static void cache_copy(const struct cache *k, uint8_t *snap)
{
	for (size_t n = 0; n < k->nfol; n++) {
		size_t sz = smbiov_folio_size(k->fol[n]);

		memcpy(snap, k->fol[n]->addr, sz);
		snap += sz;
	}
}

/* Each folio holds the file's bytes over the read, the pattern around it. */
static bool cache_verify(const struct cache *k, uint64_t off)
{
	for (size_t n = 0; n < k->nfol; n++) {
		const struct smbiov_folio *fo = k->fol[n];
		const uint8_t *p = fo->addr;
		uint64_t base = fo->index << SMBIOV_PAGE_SHIFT;
		uint64_t end = base + smbiov_folio_size(fo);
		uint64_t lo = off > base ? off : base;
		uint64_t hi = off + BUF_LEN < end ? off + BUF_LEN : end;

		if (lo > hi)
			lo = hi = off < base ? base : end; /* not in the read */
		if (pat_check(p, lo - base, FOLIO_SEED, base) != lo - base ||
		    pat_check(p + (lo - base), hi - lo, SEED, lo) != hi - lo ||
		    pat_check(p + (hi - base), end - hi, FOLIO_SEED, hi) !=
			    end - hi) {
			fprintf(stderr, "folio at %llu (read at %llu) wrong\n",
				(unsigned long long)base,
				(unsigned long long)off);
			return false;
		}
		if (!smbiov_folio_test(fo, SMBIOV_FOLIO_UPTODATE) ||
		    smbiov_folio_test(fo, SMBIOV_FOLIO_LOCKED) ||
		    smbiov_folio_test(fo, SMBIOV_FOLIO_ERROR))
			return false;
	}
	return true;
}

/* ---- one iteration ---- */

struct ctx {
	struct smbiov_client *c;
	struct smbiov_file *f;		       /* smbiov_open: the aio reads */
	struct smbiov_file *f_strict, *f_none; /* the SYNC kind's files */
	uint8_t *arena;			       /* GUARD | UBUF buffer | GUARD */
	uint8_t *sync_buf; /* the reader thread's destination */
	uint8_t *snap;	   /* the child's snapshot (allocated before) */
	struct smbiov_folio *fsnap; /* ...of the folio structures */
	struct cache cache;
};

/* Child: one call on the parent's client; true when refused with -ECHILD. */
static bool child_extra_call(struct ctx *x, int which)
{
	struct smbiov_iter it;
	struct smbiov_stat st;
	uint8_t tmp[16];

	switch (which) {
	case 0:
		/* (No T_ASSERT in a child: it would exit(), not _exit().) */
		return smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, tmp,
					sizeof(tmp)) == 0 &&
		       smbiov_aio_read(x->f, &it, 0, on_done, &done_res[0]) ==
			       -ECHILD;
	case 1:
		return smbiov_aio_wait(x->c) == -ECHILD;
	case 2:
		return smbiov_aio_cancel(x->f) == -ECHILD;
	case 3:
		return smbiov_fstat(x->f_strict, &st) == -ECHILD;
	case 4:
		return smbiov_stat(x->c, "fork.bin", &st) == -ECHILD;
	case 5:
		/* Frees the child's copy of the handle; sends nothing. */
		return smbiov_close(x->f) == -ECHILD;
	case 6:
		/*
		 * ...and of a cached file: its page cache is left alone (a
		 * parent's read may be in flight on it; it once waited for
		 * that read forever here).
		 */
		return smbiov_fsync(x->f_strict) == -ECHILD &&
		       smbiov_close(x->f_strict) == -ECHILD;
	case 7:
		return smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, tmp,
					sizeof(tmp)) == 0 &&
		       smbiov_aio_read(x->f_strict, &it, 0, on_done,
				       &done_res[0]) == -ECHILD;
	default:
		/* Must neither log off nor free: it leaves the client be. */
		smbiov_disconnect(x->c);
		return smbiov_pread(x->f_none, tmp, sizeof(tmp), 0) == -ECHILD;
	}
}
#define NR_EXTRA 9 /* odd: each comes gated and not */

/* Child: @f refuses a read with -ECHILD and says why, touching nothing. */
static int child_pread(struct smbiov_file *f, bool say)
{
	struct smbiov_error e;
	uint8_t tmp[16];
	ssize_t r;
	int bad = 0;

	memset(tmp, 0xEE, sizeof(tmp));
	r = smbiov_pread(f, tmp, sizeof(tmp), 0);
	smbiov_last_error(&e);
	if (r != -ECHILD)
		bad |= CH_PREAD;
	if (e.err != -ECHILD || !e.message[0] || strchr(e.message, '\n'))
		bad |= CH_MESSAGE;
	for (size_t k = 0; k < sizeof(tmp); k++)
		if (tmp[k] != 0xEE)
			bad |= CH_TOUCHED;
	if (say || bad)
		fprintf(stderr,
			"child %d: pread on the parent's file: %zd (%s)\n",
			(int)getpid(), r, e.message);
	return bad;
}

/*
 * Child: set the folio bytes of file range [from, to) to @v, and the same
 * bytes of @snap (a cache_copy() of the folios).
 */
static void cache_scribble(const struct cache *k, uint64_t from, uint64_t to,
			   uint8_t v, uint8_t *snap)
{
	for (size_t n = 0; n < k->nfol; n++) {
		uint64_t base = k->fol[n]->index << SMBIOV_PAGE_SHIFT;
		uint64_t lo = from > base ? from : base;
		uint64_t end = base + smbiov_folio_size(k->fol[n]);
		uint64_t hi = to < end ? to : end;

		if (lo >= hi)
			continue;
		memset((uint8_t *)k->fol[n]->addr + (lo - base), v, hi - lo);
		memset(snap + (lo - k->start), v, hi - lo);
	}
}

/* Send (@out) or receive one byte on @sock; false on EOF or error. */
static bool sock_byte(int sock, bool out)
{
	char b = 0;
	ssize_t n;

	do
		n = out ? write(sock, &b, 1) : read(sock, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

/*
 * The child of iteration @it, forked with the reads at @off in flight:
 * never returns. On @sock it says when its own writes are done, then
 * waits for the parent's word that the parent's reads are.
 */
static void __attribute__((noreturn))
child(struct ctx *x, enum kind kind, int it, uint64_t off, int sock,
      pid_t parent)
{
	const struct cache *k = &x->cache;
	const uint8_t *dst = kind == K_UBUF ? x->arena + GUARD : x->sync_buf;
	int bad = 0;

	/* First of all: what the parent's reads have put here so far. */
	if (kind == K_FOLIO) {
		cache_copy(k, x->snap);
		for (size_t j = 0; j < k->nfol; j++)
			x->fsnap[j] = *k->fol[j];
	} else {
		memcpy(x->snap, dst, BUF_LEN);
	}

	/* Not to outlive a parent that stopped early (T_ASSERT). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(CH_SIGNAL);

	/*
	 * Write beside the reads, on their pages: the guards around the
	 * UBUF buffer, the folio bytes before and after the read (and the
	 * same in the snapshot). None of it may reach the parent.
	 */
	if (kind == K_UBUF) {
		memset(x->arena, 0x22, GUARD);
		memset(x->arena + GUARD + BUF_LEN, 0x22, GUARD);
	} else if (kind == K_FOLIO) {
		cache_scribble(k, k->start, off, 0x22, x->snap);
		cache_scribble(k, off + BUF_LEN, k->end, 0x22, x->snap);
	}

	/* The parent's client is not ours: refused, said, nothing sent. */
	bad |= child_pread(x->f, it == 0);
	bad |= child_pread(x->f_strict, false);
	bad |= child_pread(x->f_none, false);
	if (!child_extra_call(x, it / K_NR % NR_EXTRA))
		bad |= CH_EXTRA;

	/* Done writing; wait for the parent's reads (EOF: it died). */
	if (!sock_byte(sock, true) || !sock_byte(sock, false))
		bad |= CH_SIGNAL;

	/* The parent's I/O after the fork wrote nothing of ours. */
	if (kind == K_FOLIO) {
		const uint8_t *was = x->snap;

		for (size_t j = 0; j < k->nfol; j++) {
			size_t sz = smbiov_folio_size(k->fol[j]);

			if (memcmp(k->fol[j]->addr, was, sz))
				bad |= CH_DATA;
			if (memcmp(&x->fsnap[j], k->fol[j],
				   sizeof(x->fsnap[j])))
				bad |= CH_FOLIO;
			was += sz;
		}
	} else if (memcmp(dst, x->snap, BUF_LEN)) {
		bad |= CH_DATA;
	}
	_exit(bad);
}

static struct {
	int iters[K_NR];
	int gated[K_NR];
	int in_flight[K_NR]; /* a read had not completed at the fork */
	int strict, none;
	int filled[2];	   /* STRICT reads that missed the page cache [gated] */
	double secs[K_NR]; /* for the report only */
	int bad_parent, bad_child, child_bits, bad_gate, bad_pins;
} tot;

/*
 * Children still comparing: up to LIVE at once, so that one's last checks
 * and exit overlap the parent's next iterations.
 */
#define LIVE 4
static struct {
	pid_t pid;
	int it;
} live[LIVE];

static void child_reap(int slot)
{
	int status = 0;

	if (!live[slot].pid)
		return;
	T_ASSERT(waitpid(live[slot].pid, &status, 0) == live[slot].pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "child of iteration %d: status %#x\n",
			live[slot].it, status);
		tot.bad_child++;
		tot.child_bits |=
			WIFEXITED(status) ? WEXITSTATUS(status) : 0x100;
	}
	live[slot].pid = 0;
}

static void child_add(pid_t pid, int it)
{
	child_reap(it % LIVE);
	live[it % LIVE].pid = pid;
	live[it % LIVE].it = it;
}

static bool all_pieces_done(void)
{
	if (atomic_load(&done_calls) != NPIECES)
		return false;
	for (int j = 0; j < NPIECES; j++)
		if (atomic_load(&done_res[j]) != PER)
			return false;
	return true;
}

static void iteration(struct ctx *x, int it)
{
	static const unsigned orders[] = {0, 2, MAX_ORDER};
	enum kind kind = (enum kind)(it % K_NR);
	int round = it / K_NR;
	bool gated = round % 2 == 0;
	bool strict = round / 2 % 2 == 0;
	/* Scattered, so that the cached file's reads keep missing. */
	uint64_t off = (uint64_t)it * 0x9E3779B1u % (FILE_LEN - BUF_LEN);
	uint64_t goff = (uint64_t)it * 131 % (FILE_LEN - GATE_LEN);
	uint8_t *buf = x->arena + GUARD;
	struct smbiov_iter iter[NPIECES];
	struct reader rd = {0};
	struct smbiov_cache_stats cs0 = {0};
	bool in_flight, ok = true;
	pthread_t th;
	int sv[2];
	pid_t pid, parent;

	tot.iters[kind]++;
	tot.gated[kind] += gated;
	atomic_store(&done_calls, 0);
	for (int j = 0; j < NPIECES; j++)
		atomic_store(&done_res[j], -1000000);
	if (kind == K_UBUF) {
		memset(x->arena, 0x11, GUARD);
		memset(buf, 0, BUF_LEN);
		memset(buf + BUF_LEN, 0x11, GUARD);
	} else if (kind == K_FOLIO) {
		cache_build(&x->cache, off, orders[round / 2 % 3],
			    round / 6 % 2 == 0);
	} else {
		memset(x->sync_buf, 0, BUF_LEN);
		rd.f = strict ? x->f_strict : x->f_none;
		rd.buf = x->sync_buf;
		rd.off = off;
		tot.strict += strict;
		tot.none += !strict;
	}
	/* The child says when it has written; the parent, when it has read. */
	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);

	if (gated)
		gate_arm(x->f, goff);
	if (kind == K_SYNC) {
		struct smbiov_stats s0, s1;

		smbiov_get_cache_stats(x->c, &cs0);
		fc_stats(x->c, &s0);
		T_ASSERT(pthread_create(&th, NULL, reader_main, &rd) == 0);
		/* Gated: until its READ is out (or it needed none). */
		if (gated)
			do {
				sched_yield();
				fc_stats(x->c, &s1);
			} while (s1.requests == s0.requests &&
				 !atomic_load(&rd.finished));
		in_flight = !atomic_load(&rd.finished);
		/* A direct read cannot complete while the gate holds. */
		if (gated && !strict && !in_flight)
			tot.bad_gate++;
	} else {
		for (int j = 0; j < NPIECES; j++) {
			uint64_t o = off + (uint64_t)j * PER;

			if (kind == K_UBUF)
				T_ASSERT(smbiov_iter_ubuf(
						 &iter[j], SMBIOV_ITER_DEST,
						 buf + j * PER, PER) == 0);
			else
				T_ASSERT(smbiov_iter_xarray(
						 &iter[j], SMBIOV_ITER_DEST,
						 x->cache.xa, (int64_t)o,
						 PER) == 0);
			T_ASSERT(smbiov_aio_read(x->f, &iter[j], o, on_done,
						 &done_res[j]) == 0);
		}
		in_flight = atomic_load(&done_calls) < NPIECES;
		if (gated && atomic_load(&done_calls) != 0)
			tot.bad_gate++;
	}
	tot.in_flight[kind] += in_flight;

	parent = getpid();
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		child(x, kind, it, off, sv[1], parent);
	}
	close(sv[1]);

	if (gated)
		gate_release();
	if (kind == K_SYNC)
		T_ASSERT(pthread_join(th, NULL) == 0);
	T_ASSERT(smbiov_aio_wait(x->c) == 0);
	if (kind == K_SYNC && strict) {
		struct smbiov_cache_stats cs1;

		/* It read into the page cache's folios from the server. */
		smbiov_get_cache_stats(x->c, &cs1);
		if (cs1.miss_bytes > cs0.miss_bytes)
			tot.filled[gated && in_flight]++;
	}
	if (kind == K_FOLIO &&
	    smbiov_folios_read_done(x->cache.xa, (int64_t)off, BUF_LEN,
				    all_pieces_done() ? 0 : -EIO) !=
		    x->cache.nfol)
		ok = false;
	/* Every completion has run: nothing of the caller's is pinned. */
	if (smbiov_pins_outstanding() != 0)
		tot.bad_pins++;
	/* Its writes are done (or it died: its status tells) ... */
	(void)sock_byte(sv[0], false);
	/* ... and it may look at its copy now. */
	(void)sock_byte(sv[0], true);
	close(sv[0]);
	/* It finishes while the next iterations run: reaped later. */
	child_add(pid, it);

	switch (kind) {
	case K_UBUF:
		ok &= all_pieces_done() &&
		      pat_check(buf, BUF_LEN, SEED, off) == BUF_LEN;
		for (int j = 0; j < GUARD; j++)
			ok &= x->arena[j] == 0x11 && buf[BUF_LEN + j] == 0x11;
		break;
	case K_FOLIO:
		ok &= all_pieces_done() && cache_verify(&x->cache, off);
		smbiov_xarray_free(x->cache.xa);
		x->cache.xa = NULL;
		break;
	default:
		ok &= rd.res == BUF_LEN &&
		      pat_check(x->sync_buf, BUF_LEN, SEED, off) == BUF_LEN;
		break;
	}
	if (!ok) {
		tot.bad_parent++;
		fprintf(stderr, "iteration %d (kind %d, gated %d) bad\n", it,
			(int)kind, (int)gated);
	}
}

static int iters_wanted(void)
{
	const char *s = fc_env("FC_FORK_ITERS");
	char *end;
	long n;

	if (!s)
		return 10000;
	n = strtol(s, &end, 10);
	T_ASSERT(*end == '\0' && n >= 1 && n <= 10000000);
	return (int)n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* fc_connect() with a page cache of CACHE_LEN. */
static struct smbiov_client *connect_small_cache(const char *share)
{
	struct smbiov_options o = {.password = fc_env("SMB_PASS"),
				   .cache_bytes = CACHE_LEN};
	struct smbiov_client *c = NULL;
	struct smbiov_error e;
	char url[512];

	snprintf(url, sizeof(url), "smb://%s@%s:%s/%s", fc_env("SMB_USER"),
		 fc_env("SMB_HOST"), fc_env("SMB_PORT"), share);
	if (smbiov_connect(url, &o, &c)) {
		smbiov_last_error(&e);
		fprintf(stderr, "connect %s: %s\n", url, e.message);
		integ_print_logs_hint();
		return NULL;
	}
	return c;
}

/* After all the forks: the whole file, byte for byte, on @f. */
static void full_read(struct smbiov_file *f)
{
	uint8_t *all = malloc(FILE_LEN);

	T_ASSERT(all);
	T_EXPECT_EQ(smbiov_pread(f, all, FILE_LEN, 0), FILE_LEN);
	T_EXPECT_EQ(pat_check(all, FILE_LEN, SEED, 0), FILE_LEN);
	free(all);
}

int main(void)
{
	struct smbiov_lease_info li = {0};
	struct ctx x = {0};
	const char *share;
	int iters, it;
	double t0;

	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	/* pat_*() are fc_fill() and fc_check(), faster. */
	for (uint64_t o = 0; o < 40; o += 3) {
		uint8_t a[37], b[37];

		fc_fill(a, sizeof(a), SEED, o);
		pat_fill(b, sizeof(b), SEED, o);
		T_ASSERT(!memcmp(a, b, sizeof(a)));
		a[o % sizeof(a)] ^= 1;
		T_ASSERT(pat_check(a, sizeof(a), SEED, o) == o % sizeof(a) &&
			 fc_check(a, sizeof(a), SEED, o) == o % sizeof(a));
	}
	iters = iters_wanted();
	share = fc_env("SMB_SHARE");
	x.c = connect_small_cache(share);
	T_ASSERT(x.c);
	fc_disk_write(share, "fork.bin", FILE_LEN, SEED);
	/* All opens first: no lease break arrives during the loop. */
	T_ASSERT(smbiov_open(x.c, "fork.bin", O_RDONLY, &x.f) == 0);
	T_ASSERT(smbiov_open_ex(
			 x.c, "fork.bin", O_RDONLY,
			 &(struct smbiov_open_opts){.cache = SMBIOV_CACHE_NONE},
			 &x.f_none) == 0);
	T_ASSERT(smbiov_open_ex(x.c, "fork.bin", O_RDONLY,
				&(struct smbiov_open_opts){
					.cache = SMBIOV_CACHE_STRICT},
				&x.f_strict) == 0);
	x.arena = malloc(GUARD + BUF_LEN + GUARD);
	x.sync_buf = malloc(BUF_LEN);
	x.snap = malloc(MAX_SPAN);
	x.fsnap = malloc(MAX_FOLIOS * sizeof(*x.fsnap));
	T_ASSERT(x.arena && x.sync_buf && x.snap && x.fsnap);

	t0 = now();
	for (it = 0; it < iters; it++) {
		double t1 = now();

		iteration(&x, it);
		tot.secs[it % K_NR] += now() - t1;
	}
	for (int j = 0; j < LIVE; j++)
		child_reap(j);
	T_EXPECT_EQ(smbiov_lease_info(x.f_strict, &li), 0);
	fprintf(stderr,
		"fork: %d iterations in %.1f s (ubuf/folio/sync %.1f/%.1f/%.1f "
		"s): ubuf %d, folio %d, sync %d (strict %d, none %d); gated "
		"%d/%d/%d; a read in flight at the fork %d/%d/%d; strict "
		"reads that filled page cache folios %d (gated %d; lease "
		"state %#x); parent bad %d, child bad %d (bits %#x), gate bad "
		"%d (gate reads bad %d, retried %d), pins bad %d\n",
		it, now() - t0, tot.secs[0], tot.secs[1], tot.secs[2],
		tot.iters[K_UBUF], tot.iters[K_FOLIO], tot.iters[K_SYNC],
		tot.strict, tot.none, tot.gated[K_UBUF], tot.gated[K_FOLIO],
		tot.gated[K_SYNC], tot.in_flight[K_UBUF],
		tot.in_flight[K_FOLIO], tot.in_flight[K_SYNC],
		tot.filled[0] + tot.filled[1], tot.filled[1], li.state,
		tot.bad_parent, tot.bad_child, tot.child_bits, tot.bad_gate,
		gate_bad, gate_retries, tot.bad_pins);
	T_EXPECT_EQ(tot.bad_parent, 0);
	T_EXPECT_EQ(tot.bad_child, 0);
	T_EXPECT_EQ(tot.bad_gate, 0);
	T_EXPECT_EQ(gate_bad, 0);
	T_EXPECT_EQ(tot.bad_pins, 0);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	/*
	 * Under a read lease the first STRICT read (gated) finds the page
	 * cache empty: its folios were filled across that fork at least.
	 */
	if ((li.state & SMBIOV_LEASE_READ) && iters >= K_NR)
		T_EXPECT(tot.filled[1] >= 1);

	/* The connection the children were refused still works. */
	full_read(x.f);
	full_read(x.f_none);
	full_read(x.f_strict);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	T_EXPECT_EQ(smbiov_close(x.f_strict), 0);
	T_EXPECT_EQ(smbiov_close(x.f_none), 0);
	T_EXPECT_EQ(smbiov_close(x.f), 0);
	smbiov_disconnect(x.c);
	free(x.fsnap);
	free(x.snap);
	free(x.sync_buf);
	free(x.arena);
	return t_done();
}
