/* SPDX-License-Identifier: MIT */
/*
 * Transfers between a remote file and a local file the CLI can address by
 * offset (a regular file, or /dev/null for a get): workers take chunks at
 * explicit offsets from one counter and move each on their own, so many
 * chunks are on the network at once and complete in any order.
 *
 * A worker moves its chunk kernel to kernel on a plain connection
 * (smbiov_read_to_fd / smbiov_write_from_fd: splice and sendfile), or
 * through its own buffer when the connection signs or seals (the bytes
 * must pass through memory anyway).
 *
 * Streams: a file of CLI_STREAM_MIN bytes or more also runs over up to
 * --streams - 1 more connections to the same share. Each is opened by its
 * own thread while the first connection already moves data; once it has
 * the file open its workers join in and take chunks from the same
 * counter, so a stream that connects late, or not at all, only means
 * fewer hands. On Samba every connection is a separate smbd process: one
 * process copies, signs or seals every byte of its connection on one
 * thread, and that is what limits a single connection on a fast link
 * (bench/RESULTS.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "localfile.h"
#include "window.h"
#include "xfer_par.h"

/*
 * Workers per connection. A splicing get keeps PAR_GET_WORKERS chunks in
 * flight on the first connection, as many as the one-connection path
 * always had, and half that on each further one; through buffers, and for
 * a splicing put, every connection has PAR_BUF_WORKERS and its window
 * decides how many move a chunk at once and how big.
 * Only the first worker writes in file order. Some servers (impacket's
 * smbserver) silently drop a WRITE that starts beyond the current end of
 * file, which any other worker's chunk may: a put of more than one chunk
 * extends the file to its final size before any data goes
 * (par_extend_first), and a put of one chunk has one worker.
 */
#define PAR_GET_WORKERS 4
#define PAR_BUF_WORKERS 4
#define PAR_WORKERS_MAX                                                        \
	(PAR_GET_WORKERS > PAR_BUF_WORKERS ? PAR_GET_WORKERS : PAR_BUF_WORKERS)
/*
 * Through buffers (signed or sealed) each connection keeps a window of
 * bytes in flight that follows the bandwidth-delay product the transfer
 * observes (window.h): at least PAR_WIN_MIN — one request of
 * SMB_IO_MAX (src/client/io.c) — and at most its workers' buffers.
 * A worker waits for room in its connection's window before it takes a
 * chunk of xwin_chunk() bytes. On loopback the window stays at its
 * minimum: both sides pass over every byte several times (read, sign or
 * seal, copy), and with less in flight those passes hit the caches (32 +
 * 16 MiB in flight cost the client and the server a quarter to a third
 * more CPU per byte, bench/RESULTS.md, 2026-11-26, 11:18). A long link
 * grows it until the data in flight covers the link.
 */
#define PAR_WIN_MIN  ((size_t)2 << 20)
#define PAR_WIN_UNIT ((size_t)1 << 20)
/*
 * A splicing put (plain: sendfile from the file) is windowed too, with
 * calls of xwin_chunk() bytes, at least one request (PAR_WIN_MIN) and at
 * most PAR_PUT_CALL_MAX. Its window starts at PAR_PUT_WIN_MIN: four
 * requests of 2 MiB, one per worker. Before, each worker's call kept up to
 * 32 MiB of 2 MiB WRITEs in flight at once (a call grew to 256 MiB on a
 * fast link): Samba took them all on together, and its CPU per byte — the
 * limit of a plain put on 2 cores — rose by a half against one request
 * at a time. With four 2 MiB requests in flight the put of 1 GiB from a
 * file went 0.63 -> 0.55 s on tmpfs and 1.00 -> 0.70 s on disk, server
 * CPU 0.60 -> 0.49 and 1.06 -> 0.64 s/GiB (bench/RESULTS.md, 2026-12-06).
 * A long link grows the window, and with it the calls, as for buffers.
 */
#define PAR_PUT_WIN_MIN	 ((size_t)8 << 20)
#define PAR_PUT_CALL_MAX ((size_t)32 << 20)
/* Every worker of every further connection can give its chunk back once. */
#define PAR_BACK_MAX (CLI_STREAMS_MAX * PAR_WORKERS_MAX)

struct par;

struct par_stream;

struct par_worker {
	struct par *x;
	struct par_stream *s; /* whose connection it uses */
	struct smbiov_file *f;
	bool extend_first; /* a put's worker that may write out of order */
	void *buf;	   /* x->buf_size bytes when not splicing */
	pthread_t th;
};

/* One connection's part of the transfer. */
struct par_stream {
	struct par *x;
	int idx;		 /* 0: the command's own connection */
	struct cli_conn cc;	 /* streams 1..: opened here */
	struct smbiov_client *c; /* its connection */
	struct smbiov_file *f;	 /* the remote file on this connection */
	struct xwin win;	 /* through buffers: its window (x->lock) */
	uint64_t inflight;	 /* bytes its workers are moving (x->lock) */
	int err;      /* streams 1..: why it did not (fully) take part */
	bool dead;    /* it failed: its workers stop (under x->lock) */
	pthread_t th; /* streams 1..: connects, then works */
	bool started; /* th was created */
	int nw;	      /* workers it runs */
	struct par_worker w[PAR_WORKERS_MAX];
	/* Offset of the chunk each worker moves, UINT64_MAX idle (x->lock). */
	uint64_t busy[PAR_WORKERS_MAX];
};

struct par {
	const struct xfer_end *remote;
	int fd;
	off_t base;	   /* fd offset of remote offset 0 */
	bool use_pos;	   /* /dev/null: no offsets */
	bool write;	   /* put */
	bool splice;	   /* plain connection: kernel to kernel */
	bool fsync_behind; /* a get with --fsync into a file */
	size_t buf_size;   /* a worker's buffer and chunk when not splicing */
	bool windowed;	   /* through buffers, or a splicing put: xwin */
	size_t win_min;	   /* the window's least size */
	size_t call_max;   /* windowed: the largest chunk one call moves */
	int nstreams;
	int unsettled; /* further streams not yet open or failed (lock) */
	int hands;     /* workers planned over all streams */
	struct progress *p;

	pthread_mutex_t lock;
	pthread_mutex_t wlock; /* one local write at a time (move_chunk_) */
	pthread_cond_t room;   /* a chunk completed: window room, or stop */
	uint64_t next;	       /* next chunk's remote offset */
	uint64_t end;	       /* after a short chunk: where the file ends */
	uint64_t prefix;       /* last told to remote->prefix */
	uint64_t hole;	       /* the lowest chunk that failed: none done */
	bool stop;     /* no more chunks from x->next (end of file, failure) */
	bool extended; /* a put's file was extended to remote->size */
	/* Chunks a failed further connection gave back, for the others. */
	struct {
		uint64_t off;
		size_t len;
	} back[PAR_BACK_MAX];
	int nback;
	int err;	       /* first failure */
	struct smbiov_error e; /* its description, from its thread */
	struct par_stream s[CLI_STREAMS_MAX];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * With several workers a big call must not leave one holding the tail
 * while the others are idle: at most a 2 * workers-th of what is left
 * (under x->lock).
 */
static size_t chunk_cap(const struct par *x, size_t chunk)
{
	uint64_t size = x->remote->size, left, cap;

	if (x->hands < 2 || x->next >= size)
		return chunk;
	left = size - x->next;
	cap = left / (2 * (uint64_t)x->hands) / CLI_CHUNK * CLI_CHUNK;
	if (cap < CLI_CHUNK)
		cap = CLI_CHUNK;
	return chunk < cap ? chunk : (size_t)cap;
}

/*
 * Move @len bytes at remote offset @off; returns the bytes moved (short at
 * the end of the file) or a negative errno, *@local set when the local
 * file failed.
 */
static ssize_t move_chunk_(struct par_worker *w, uint64_t off, size_t len,
			   bool *local)
{
	struct par *x = w->x;
	off_t fo = x->base + (off_t)off;
	ssize_t n, r;

	if (x->splice)
		return x->write ? smbiov_write_from_fd(w->f, off, len, x->fd,
						       &fo)
				: smbiov_read_to_fd(w->f, off, len, x->fd,
						    x->use_pos ? NULL : &fo);
	if (x->write) {
		n = local_read_full(x->fd, w->buf, len, &fo);
		if (n <= 0) {
			*local = n < 0;
			return n;
		}
		r = smbiov_pwrite(w->f, w->buf, (size_t)n, off);
		return r == n || r < 0 ? r : -EIO;
	}
	n = smbiov_pread(w->f, w->buf, len, off);
	if (n <= 0)
		return n;
	/*
	 * One local write at a time: writers of one file queue on its inode
	 * lock, and the kernel spins for it (rwsem_spin_on_owner, 4 % of an
	 * encrypted get's client CPU on tmpfs); they sleep here instead.
	 */
	pthread_mutex_lock(&x->wlock);
	r = local_write_full(x->fd, w->buf, (size_t)n, x->use_pos ? NULL : &fo);
	pthread_mutex_unlock(&x->wlock);
	*local = r < 0;
	return r < 0 ? r : n;
}

static ssize_t move_chunk(struct par_worker *w, uint64_t off, size_t len,
			  bool *local)
{
	struct par *x = w->x;
	ssize_t n = move_chunk_(w, off, len, local);

	/*
	 * --fsync: start writing this chunk back now, so the fsync at the end
	 * waits only for what arrived last (SYNC_FILE_RANGE_WRITE does not
	 * wait; an error shows up at that fsync).
	 */
	if (n > 0 && x->fsync_behind)
		sync_file_range(x->fd, x->base + (off_t)off, n,
				SYNC_FILE_RANGE_WRITE);
	return n;
}

/*
 * Record the first failure, described from this thread's last library
 * error (a local one only by its errno), and stop handing out chunks;
 * under x->lock.
 */
static void par_fail(struct par *x, int err, enum smbiov_phase phase)
{
	x->stop = true;
	if (x->err)
		return;
	x->err = err;
	if (phase == SMBIOV_PHASE_IO) {
		cli_error_from(err, phase, &x->e);
		return;
	}
	memset(&x->e, 0, sizeof(x->e));
	x->e.err = err;
	x->e.phase = phase;
}

/*
 * A put's chunks beyond what the first worker has written so far would
 * start past the end of the file: extend it to its final size first (a
 * source that turns out shorter is cut back at the end, par_finish). Done
 * by the worker that needs it, so the first one starts at once. False
 * when the server refused: this worker then stays out.
 */
static bool par_extend(struct par_worker *w)
{
	struct par *x = w->x;
	bool done;
	int ret;

	pthread_mutex_lock(&x->lock);
	done = x->extended;
	pthread_mutex_unlock(&x->lock);
	if (done)
		return true;
	ret = smbiov_ftruncate(w->f, x->remote->size);
	pthread_mutex_lock(&x->lock);
	if (!ret)
		x->extended = true;
	else if (!w->s->err)
		w->s->err = ret;
	pthread_mutex_unlock(&x->lock);
	return !ret;
}

/*
 * A put of more than one chunk: extend the file before any data goes, on
 * the first connection, while no other thread runs. Done later, beside the
 * first worker's writes, a server may put its extension over data already
 * written: impacket's smbserver sets an end of file by writing a zero byte
 * just before it (a 65537-byte put lost its last byte). If it fails here,
 * each further worker tries again (par_extend) and drops out on failure.
 */
static void par_extend_first(struct par *x)
{
	if (!x->write || x->remote->size <= PAR_WIN_MIN)
		return;
	if (!smbiov_ftruncate(x->remote->f, x->remote->size))
		x->extended = true;
}

/*
 * May a chunk of *@len bytes start on @s now? Always when nothing of @s is
 * in flight; else when it fits in the window, or (@shrink) when a part of
 * it of whole PAR_WIN_UNITs does: *@len is then cut to that part. Without
 * the parts a window between one and two chunks would keep one in flight,
 * measure the rate of one, and never grow. Under x->lock.
 */
static bool window_admits(const struct par_stream *s, size_t *len, bool shrink)
{
	uint64_t room;

	if (!s->x->windowed || !s->inflight)
		return true;
	room = s->inflight < s->win.cwnd ? s->win.cwnd - s->inflight : 0;
	if (*len <= room)
		return true;
	if (!shrink || room < PAR_WIN_UNIT)
		return false;
	*len = (size_t)(room / PAR_WIN_UNIT * PAR_WIN_UNIT);
	return true;
}

/*
 * Take the next chunk for @w: a given-back one first (they lie before
 * x->next), else @want bytes (capped) from x->next. Through buffers it
 * waits until the chunk fits in its connection's window, or nothing of
 * the connection is in flight. False when there is nothing more to do.
 * Under x->lock.
 */
static bool take_chunk(struct par_worker *w, size_t want, uint64_t *off,
		       size_t *len)
{
	struct par *x = w->x;
	struct par_stream *s = w->s;

	for (;;) {
		if (x->err || s->dead || (x->stop && !x->nback))
			return false;
		if (x->nback) {
			*len = x->back[x->nback - 1].len;
			if (window_admits(s, len, false))
				break;
		} else if (!x->windowed) {
			*len = chunk_cap(x, want);
			break;
		} else {
			*len = chunk_cap(x,
					 xwin_chunk(s->win.cwnd, PAR_WIN_MIN,
						    x->call_max, PAR_WIN_UNIT));
			if (window_admits(s, len, true))
				break;
		}
		pthread_cond_wait(&x->room, &x->lock);
	}
	if (x->nback) {
		x->nback--;
		*off = x->back[x->nback].off;
	} else {
		*off = x->next;
		x->next += *len;
	}
	s->inflight += *len;
	s->busy[w - s->w] = *off;
	return true;
}

/*
 * Tell remote->prefix how far every byte is done: up to the lowest chunk
 * still moving, given back or failed, or the next one to take. Under
 * x->lock. After a failure too: a chunk below the failed one may still
 * complete (with a full share, a later chunk can fail while an earlier
 * one is being written), and put -C keeps what is done.
 */
static void par_prefix(struct par *x)
{
	uint64_t m = x->next < x->end ? x->next : x->end;

	if (!x->remote->prefix)
		return;
	if (x->hole < m)
		m = x->hole;
	for (int i = 0; i < x->nstreams; i++)
		for (int j = 0; j < PAR_WORKERS_MAX; j++)
			if (x->s[i].busy[j] < m)
				m = x->s[i].busy[j];
	for (int i = 0; i < x->nback; i++)
		if (x->back[i].off < m)
			m = x->back[i].off;
	if (m > x->prefix) {
		x->prefix = m;
		x->remote->prefix(x->remote->prefix_arg, m);
	}
}

/* @len bytes taken at @off came back with @n; under x->lock. */
static void chunk_done(struct par_worker *w, uint64_t off, size_t len,
		       ssize_t n, bool local)
{
	struct par *x = w->x;
	struct par_stream *s = w->s;

	s->inflight -= len;
	s->busy[w - s->w] = UINT64_MAX;
	if (x->windowed) {
		struct smbiov_conn_info ci;

		smbiov_get_info(s->c, &ci);
		xwin_done(&s->win, now_ns(), n > 0 ? (uint64_t)n : 0,
			  (uint64_t)ci.rtt_us * 1000);
	}
	pthread_cond_broadcast(&x->room);
	if (n < 0 && !local && s->idx && x->nback < PAR_BACK_MAX) {
		/*
		 * A further connection failed: it drops out and its chunk goes
		 * back to the others (moving it again writes the same bytes to
		 * the same offsets). The first connection's failures stay the
		 * transfer's.
		 */
		x->back[x->nback].off = off;
		x->back[x->nback].len = len;
		x->nback++;
		s->dead = true;
		if (!s->err)
			s->err = (int)n;
	} else if (n < 0) {
		if (off < x->hole)
			x->hole = off;
		par_fail(x, (int)n,
			 local ? SMBIOV_PHASE_LOCAL : SMBIOV_PHASE_IO);
	} else {
		progress_add(x->p, (uint64_t)n);
		if ((size_t)n < len) {
			x->stop = true;
			if (off + (uint64_t)n < x->end)
				x->end = off + (uint64_t)n;
		}
	}
	par_prefix(x);
}

static void *par_worker(void *arg)
{
	struct par_worker *w = arg;
	struct par *x = w->x;
	size_t want = CLI_CHUNK; /* a splicing get's; the others: the window */

	if (w->extend_first && !par_extend(w))
		return NULL;

	for (;;) {
		bool local = false;
		uint64_t off;
		size_t chunk;
		ssize_t n;

		pthread_mutex_lock(&x->lock);
		if (!take_chunk(w, want, &off, &chunk)) {
			pthread_mutex_unlock(&x->lock);
			break;
		}
		pthread_mutex_unlock(&x->lock);
		n = move_chunk(w, off, chunk, &local);
		pthread_mutex_lock(&x->lock);
		chunk_done(w, off, chunk, n, local);
		pthread_mutex_unlock(&x->lock);
	}
	return NULL;
}

static void buffers_release(struct par_stream *s)
{
	for (int i = 0; i < s->nw; i++)
		if (s->w[i].buf)
			munmap(s->w[i].buf, s->x->buf_size);
}

/*
 * Run @s's workers on this thread and s->nw - 1 more; fewer threads than
 * asked for (none left) or fewer buffers only means fewer hands.
 */
static void stream_work(struct par_stream *s)
{
	struct par *x = s->x;
	int more = 0;

	for (int i = 0; i < s->nw; i++) {
		/* Only the first connection's first worker writes in order. */
		s->w[i] = (struct par_worker){.x = x,
					      .s = s,
					      .f = s->f,
					      .extend_first = x->write &&
							      (s->idx || i)};
		if (x->splice)
			continue;
		/* Private anonymous memory (DESIGN.md §2 "Fork"). */
		s->w[i].buf = mmap(NULL, x->buf_size, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->w[i].buf == MAP_FAILED) {
			s->w[i].buf = NULL;
			s->nw = i;
			break;
		}
	}
	if (!s->nw) {
		/* The first connection's workers are the ones that must run. */
		if (!s->idx) {
			pthread_mutex_lock(&x->lock);
			par_fail(x, -ENOMEM, SMBIOV_PHASE_NONE);
			pthread_mutex_unlock(&x->lock);
		}
		return;
	}
	if (x->windowed && !s->win.max) {
		pthread_mutex_lock(&x->lock);
		xwin_init(&s->win, x->win_min, (uint64_t)s->nw * x->call_max,
			  now_ns());
		pthread_mutex_unlock(&x->lock);
	}
	while (more < s->nw - 1 &&
	       pthread_create(&s->w[more + 1].th, NULL, par_worker,
			      &s->w[more + 1]) == 0)
		more++;
	par_worker(&s->w[0]);
	for (int i = 1; i <= more; i++)
		pthread_join(s->w[i].th, NULL);
	buffers_release(s);
}

static bool par_done(struct par *x)
{
	bool stop;

	pthread_mutex_lock(&x->lock);
	stop = x->stop;
	pthread_mutex_unlock(&x->lock);
	return stop;
}

/*
 * A further stream has opened the file or given up: the last one to do
 * so tells the remote end (xfer_end.opened).
 */
static void stream_settled(struct par *x)
{
	bool last;

	pthread_mutex_lock(&x->lock);
	last = --x->unsettled == 0;
	pthread_mutex_unlock(&x->lock);
	if (last && x->remote->opened)
		x->remote->opened(x->remote->opened_arg);
}

/* A further stream: connect, open, work, close, disconnect. */
static void *stream_main(void *arg)
{
	struct par_stream *s = arg;
	struct par *x = s->x;
	int ret;

	ret = cli_connect_stream(x->remote->cc, s->idx, &s->cc);
	if (ret) {
		s->err = ret;
		stream_settled(x);
		return NULL;
	}
	s->c = s->cc.c;
	ret = smbiov_open(s->c, x->remote->rpath,
			  x->write ? O_WRONLY : O_RDONLY, &s->f);
	stream_settled(x);
	if (ret) {
		s->err = ret;
		cli_disconnect(&s->cc);
		return NULL;
	}
	if (!par_done(x))
		stream_work(s);
	ret = smbiov_close(s->f);
	/*
	 * A put's data is on the server only once its handle closed well;
	 * after the connection failed, the chunks it had not finished went
	 * back to the others, and those it finished were answered.
	 */
	if (ret && x->write && !s->dead) {
		pthread_mutex_lock(&x->lock);
		par_fail(x, ret, SMBIOV_PHASE_IO);
		pthread_mutex_unlock(&x->lock);
	}
	cli_disconnect(&s->cc);
	return NULL;
}

/*
 * Can @fd be this transfer's local end? A get writes a regular file at
 * offsets (not O_APPEND) or /dev/null, a put reads a regular file.
 */
static bool local_usable(int fd, bool write, struct par *x)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fstat(fd, &st))
		return false;
	if (!write && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
		x->use_pos = true;
		return true;
	}
	if (!S_ISREG(st.st_mode) || (!write && (fl & O_APPEND)))
		return false;
	/* The fd's position stands for the remote start offset. */
	x->base = lseek(fd, 0, SEEK_CUR);
	if (x->base < 0)
		return false;
	x->base -= (off_t)x->remote->offset;
	return true;
}

/* How many connections, and may this path run at all? */
static bool par_plan(struct par *x)
{
	const struct xfer_end *r = x->remote;
	struct smbiov_conn_info ci;

	smbiov_get_info(r->c, &ci);
	x->splice = !ci.signing && !ci.encrypted;
	x->fsync_behind = !x->write && !x->use_pos && x->remote->cc &&
			  x->remote->cc->o->fsync;
	x->buf_size = CLI_CHUNK;
	x->windowed = !x->splice || x->write;
	x->win_min = x->splice ? PAR_PUT_WIN_MIN : PAR_WIN_MIN;
	x->call_max = x->splice ? PAR_PUT_CALL_MAX : x->buf_size;
	x->nstreams = 1;
	if (r->cc && r->rpath && r->size >= CLI_STREAM_MIN)
		x->nstreams = r->cc->o->streams ? r->cc->o->streams
			      : x->splice	? 1
						: CLI_STREAMS_SECURED;
	/* One connection through buffers: xfer.c's in-order slots. */
	return x->splice || x->nstreams > 1;
}

static int workers_for(const struct par *x, int idx)
{
	/* a put of one chunk: one worker, which writes it in order */
	if (x->write && x->remote->size <= PAR_WIN_MIN)
		return 1;
	if (x->windowed)
		return PAR_BUF_WORKERS; /* the window decides how many run */
	return idx ? PAR_GET_WORKERS / 2 : PAR_GET_WORKERS;
}

/* --stats: each connection's window, and which streams took part. */
static void streams_note(const struct par *x)
{
	if (!x->remote->cc || !x->remote->cc->o->stats)
		return;
	for (int i = 0; x->windowed && i < x->nstreams; i++)
		if (x->s[i].win.max)
			fprintf(stderr,
				"smbiov: stream %d window: largest %.1f MiB, "
				"last %.1f MiB (%.0f MB/s at a round trip of "
				"%.3f ms)\n",
				i + 1, x->s[i].win.peak / 1048576.0,
				x->s[i].win.cwnd / 1048576.0,
				x->s[i].win.rate / 1e6, x->s[i].win.rtt / 1e6);
	for (int i = 1; i < x->nstreams; i++)
		if (x->s[i].dead)
			fprintf(stderr,
				"smbiov: stream %d dropped out: %s (the others "
				"moved what it had not finished)\n",
				i + 1, smbiov_strerror(x->s[i].err));
		else if (x->s[i].err)
			fprintf(stderr, "smbiov: stream %d not used: %s\n",
				i + 1, smbiov_strerror(x->s[i].err));
}

static int par_finish(struct par *x, const struct xfer_end *local)
{
	const struct xfer_end *r = x->remote;

	if (x->err) {
		/*
		 * A put's source ended before the size it had at the start
		 * (the library sends from it by offset, up to that size).
		 */
		if (x->write && x->e.phase == SMBIOV_PHASE_LOCAL &&
		    x->e.err == -ENODATA) {
			fprintf(stderr,
				"smbiov: %s: the file changed during the "
				"transfer (it ended early)\n",
				local->target);
			return CLI_EXIT_CHANGED;
		}
		if (x->e.phase == SMBIOV_PHASE_LOCAL)
			return cli_report_local(local->target,
						x->write ? "read" : "write",
						x->e.err);
		return cli_report(r->target, &x->e);
	}
	/* The source ended before the size the file was extended to. */
	if (x->extended && x->end < r->size) {
		int ret = smbiov_ftruncate(r->f, x->end);

		if (ret)
			return cli_report_ret(r->target, ret);
	}
	/* Leave the position after the bytes, as write()/read() would. */
	if (!x->use_pos && x->end != UINT64_MAX &&
	    lseek(local->fd, x->base + (off_t)x->end, SEEK_SET) < 0)
		return cli_report_local(local->target, "seek", errno);
	return 0;
}

bool xfer_par(const struct xfer_end *remote, const struct xfer_end *local,
	      bool write, struct progress *p, int *code)
{
	struct par *x;
	int i;

	x = calloc(1, sizeof(*x));
	if (!x)
		return false;
	x->remote = remote;
	x->fd = local->fd;
	x->write = write;
	x->p = p;
	x->next = remote->offset;
	x->prefix = remote->offset;
	x->hole = UINT64_MAX;
	x->end = UINT64_MAX;
	if (!local_usable(local->fd, write, x) || !par_plan(x)) {
		free(x);
		return false;
	}
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->room, NULL);
	pthread_mutex_init(&x->wlock, NULL);
	for (i = 0; i < x->nstreams; i++) {
		x->s[i] = (struct par_stream){
			.x = x, .idx = i, .nw = workers_for(x, i)};
		for (int j = 0; j < PAR_WORKERS_MAX; j++)
			x->s[i].busy[j] = UINT64_MAX;
		x->hands += x->s[i].nw;
	}
	x->s[0].c = remote->c;
	x->s[0].f = remote->f;
	par_extend_first(x);
	/* held at one until every thread is started, so none settles last */
	x->unsettled = x->nstreams;
	for (i = 1; i < x->nstreams; i++) {
		x->s[i].started = pthread_create(&x->s[i].th, NULL, stream_main,
						 &x->s[i]) == 0;
		if (!x->s[i].started) {
			x->s[i].err = -EAGAIN;
			pthread_mutex_lock(&x->lock);
			x->unsettled--;
			pthread_mutex_unlock(&x->lock);
		}
	}
	stream_settled(x);
	stream_work(&x->s[0]);
	/*
	 * A stream still connecting is waited for: it has the file's name
	 * and our credentials, and holds x. Connecting is bounded by the
	 * timeout, and normally takes a few round trips.
	 */
	for (i = 1; i < x->nstreams; i++)
		if (x->s[i].started)
			pthread_join(x->s[i].th, NULL);
	/* Chunks given back after the first connection's workers ended. */
	if (x->nback && !x->err)
		stream_work(&x->s[0]);
	*code = par_finish(x, local);
	streams_note(x);
	pthread_mutex_destroy(&x->wlock);
	pthread_cond_destroy(&x->room);
	pthread_mutex_destroy(&x->lock);
	free(x);
	return true;
}
