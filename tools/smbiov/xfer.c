/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "xfer.h"

struct xfer_slot {
	void *buf;
	struct smbiov_iter it;
	ssize_t result; /* under xfer.lock while pending */
	size_t len;	/* bytes submitted */
	bool busy;	/* submitted, result not yet consumed */
	bool pending;	/* submitted asynchronously, not yet waited for */
	bool done;	/* its completion ran (under xfer.lock) */
};

/*
 * XFER_SLOTS slots, all on the network at once: a slot is waited for on
 * its own (not with smbiov_aio_wait, which waits for every request of the
 * client), so the next chunks' requests are already in flight while this
 * one's data is written out. Four, not two: with signing or sealing the
 * server signs or encrypts a whole chunk before its first byte leaves and
 * we verify or decrypt it after it arrived, so with two the link and both
 * CPUs took turns (bench/RESULTS.md, 2026-11-26).
 */
#ifndef XFER_SLOTS
#define XFER_SLOTS 4
#endif
struct xfer;

struct xfer_cb {
	struct xfer *x;
	struct xfer_slot *s;
};

struct xfer {
	struct xfer_slot s[XFER_SLOTS];
	struct xfer_cb cb[XFER_SLOTS]; /* completion arguments, one per slot */
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool sync; /* the library has no asynchronous I/O: plain calls */
};

/* Runs on the library's receiver thread: record and wake, nothing more. */
static void xfer_done(void *arg, ssize_t result)
{
	struct xfer_cb *cb = arg;

	pthread_mutex_lock(&cb->x->lock);
	cb->s->result = result;
	cb->s->done = true;
	pthread_cond_broadcast(&cb->x->cv);
	pthread_mutex_unlock(&cb->x->lock);
}

/* Private anonymous memory (DESIGN.md §2 "Fork"), page-aligned. */
static int xfer_init(struct xfer *x)
{
	memset(x, 0, sizeof(*x));
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->cv, NULL);
	for (int i = 0; i < XFER_SLOTS; i++) {
		x->cb[i] = (struct xfer_cb){x, &x->s[i]};
		void *p = mmap(NULL, CLI_CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			while (i--)
				munmap(x->s[i].buf, CLI_CHUNK);
			return -ENOMEM;
		}
		x->s[i].buf = p;
	}
	return 0;
}

static void xfer_release(struct xfer *x)
{
	/*
	 * Every submitted slot was waited for (xfer_drain), and the library
	 * runs each completion exactly once, after it let go of the buffer.
	 */
	for (int i = 0; i < XFER_SLOTS; i++)
		munmap(x->s[i].buf, CLI_CHUNK);
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->lock);
}

static bool no_aio(int ret)
{
	return ret == -ENOSYS || ret == -EOPNOTSUPP;
}

/* Start a remote read or write of @len bytes at @off through slot @s. */
static int slot_submit(struct xfer *x, const struct xfer_end *e,
		       struct xfer_slot *s, size_t len, uint64_t off,
		       bool write)
{
	struct xfer_cb *cb = &x->cb[s - x->s];
	int ret;

	ret = smbiov_iter_ubuf(&s->it,
			       write ? SMBIOV_ITER_SOURCE : SMBIOV_ITER_DEST,
			       s->buf, len);
	if (ret)
		return ret;
	s->len = len;
	s->busy = true;
	if (!x->sync) {
		s->done = false;
		s->result = 0;
		if (write)
			ret = smbiov_aio_write(e->f, &s->it, off, xfer_done,
					       cb);
		else
			ret = smbiov_aio_read(e->f, &s->it, off, xfer_done, cb);
		if (!ret) {
			s->pending = true;
			return 0;
		}
		if (!no_aio(ret)) {
			s->busy = false;
			return ret;
		}
		x->sync = true;
	}
	if (write)
		s->result = smbiov_pwrite(e->f, s->buf, len, off);
	else
		s->result = smbiov_pread(e->f, s->buf, len, off);
	return 0;
}

/* The result of @s's request, once the library has let go of its buffer. */
static ssize_t slot_wait(struct xfer *x, struct xfer_slot *s)
{
	ssize_t r;

	s->busy = false;
	if (!s->pending)
		return s->result;
	pthread_mutex_lock(&x->lock);
	while (!s->done)
		pthread_cond_wait(&x->cv, &x->lock);
	r = s->result;
	pthread_mutex_unlock(&x->lock);
	s->pending = false;
	return r;
}

static void xfer_drain(struct xfer *x)
{
	for (int i = 0; i < XFER_SLOTS; i++)
		if (x->s[i].pending)
			slot_wait(x, &x->s[i]);
}

static int write_full(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Fill @buf from a local fd; short only at end of input. */
static ssize_t read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * remote -> local: the reads of the next XFER_SLOTS chunks are on the
 * network while one is written out; chunks are written in file order
 * because slots are waited for in turn.
 */
static int xfer_get(struct xfer *x, const struct xfer_end *src,
		    const struct xfer_end *dst, struct progress *p)
{
	uint64_t next = src->offset;
	int cur = 0, ret, code = 0;

	for (int i = 0; i < XFER_SLOTS; i++) {
		ret = slot_submit(x, src, &x->s[i], CLI_CHUNK, next, false);
		if (ret) {
			code = cli_report_ret(src->target, ret);
			goto out;
		}
		next += CLI_CHUNK;
	}
	for (;;) {
		struct xfer_slot *s = &x->s[cur];
		ssize_t n = slot_wait(x, s);

		if (n < 0) {
			code = cli_report_ret(src->target, (int)n);
			break;
		}
		ret = write_full(dst->fd, s->buf, (size_t)n);
		if (ret) {
			code = ret == -EPIPE ? CLI_EXIT_LOCAL
					     : cli_report_local(dst->target,
								"write", ret);
			break;
		}
		progress_add(p, (uint64_t)n);
		if ((size_t)n < CLI_CHUNK)
			break; /* end of file; the other slots read past it */
		ret = slot_submit(x, src, s, CLI_CHUNK, next, false);
		if (ret) {
			code = cli_report_ret(src->target, ret);
			break;
		}
		next += CLI_CHUNK;
		cur = (cur + 1) % XFER_SLOTS;
	}
out:
	xfer_drain(x);
	return code;
}

/* Read chunk @off of the source into @buf; reports its own failure. */
static ssize_t src_read(const struct xfer_end *src, void *buf, uint64_t off,
			int *code)
{
	ssize_t n;

	if (src->f) {
		n = smbiov_pread(src->f, buf, CLI_CHUNK, off);
		if (n < 0)
			*code = cli_report_ret(src->target, (int)n);
	} else {
		n = read_full(src->fd, buf, CLI_CHUNK);
		if (n < 0)
			*code = cli_report_local(src->target, "read", (int)n);
	}
	return n;
}

/*
 * anything -> remote: XFER_SLOTS chunks are written remotely at once;
 * slots are waited for in turn, each refilled from the source and
 * resubmitted as it completes.
 */
static int xfer_put(struct xfer *x, const struct xfer_end *src,
		    const struct xfer_end *dst, struct progress *p)
{
	uint64_t next = src->offset;
	int cur = 0, ret, code = 0;
	bool more = true; /* the source may have more bytes */

	for (;;) {
		struct xfer_slot *s = &x->s[cur];
		ssize_t w;

		/* Keep every slot busy while the source lasts. */
		for (int i = 0; i < XFER_SLOTS && more && !code; i++) {
			struct xfer_slot *f = &x->s[(cur + i) % XFER_SLOTS];
			ssize_t n;

			if (f->busy)
				continue;
			n = src_read(src, f->buf, next, &code);
			if (n <= 0) {
				more = false;
				break;
			}
			more = (size_t)n == CLI_CHUNK;
			ret = slot_submit(x, dst, f, (size_t)n, next, true);
			if (ret) {
				code = cli_report_ret(dst->target, ret);
				break;
			}
			next += (uint64_t)n;
		}
		if (code || !s->busy)
			break;
		w = slot_wait(x, s);
		if (w < 0) {
			code = cli_report_ret(dst->target, (int)w);
			break;
		}
		if ((size_t)w != s->len) {
			code = cli_report_ret(dst->target, -EIO);
			break;
		}
		progress_add(p, (uint64_t)w);
		cur = (cur + 1) % XFER_SLOTS;
	}
	xfer_drain(x);
	return code;
}

/* ---- the fd path: the library moves the bytes, kernel to kernel ------ */

/*
 * get: FDX_GET_WORKERS workers (this thread and the others) each move one
 * CLI_CHUNK at a time with smbiov_read_to_fd at explicit offsets, so that
 * many chunks are on the network at once, in whatever order they
 * complete.
 * put: one worker; each smbiov_write_from_fd call keeps its pieces in
 * flight together, up to the credit window, but between two calls the
 * link idles while the last piece is answered. So the call size adapts:
 * from FDX_PUT_CHUNK it doubles while a call takes under FDX_PUT_FAST
 * (up to FDX_PUT_MAX) and halves when one takes over FDX_PUT_SLOW —
 * few pauses on a fast link, a progress update at least every second or
 * so on a slow one (measured on loopback: 32 MiB calls 0.95x smbclient,
 * 128 MiB 1.16x; bench/RESULTS.md).
 * Its WRITEs then reach the server in file order: some servers (impacket's
 * smbserver) silently drop a WRITE that starts beyond the current end of
 * file, which a second worker's chunk would.
 * A short chunk is the end of the file: chunks after it move nothing.
 */
#define FDX_PUT_CHUNK (4 * CLI_CHUNK)
#define FDX_PUT_MAX   (32 * CLI_CHUNK)
#define FDX_PUT_FAST  0.5 /* seconds */
#define FDX_PUT_SLOW  1.0
#ifndef FDX_GET_WORKERS
#define FDX_GET_WORKERS 4
#endif
struct fdx {
	const struct xfer_end *remote;
	int fd;
	off_t base;   /* fd offset of remote offset 0 */
	bool use_pos; /* /dev/null: no offsets */
	bool write;   /* put */
	size_t chunk; /* bytes per call */
	struct progress *p;

	pthread_mutex_t lock;
	uint64_t next; /* next chunk's remote offset */
	uint64_t end;  /* after a short chunk: where the file ends */
	bool stop;
	int err;	       /* first failure */
	struct smbiov_error e; /* its description, from its thread */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* put: the next call's size after one of @chunk bytes took @secs. */
static size_t put_chunk_next(size_t chunk, double secs)
{
	if (secs < FDX_PUT_FAST && chunk < FDX_PUT_MAX)
		return chunk * 2;
	if (secs > FDX_PUT_SLOW && chunk > CLI_CHUNK)
		return chunk / 2;
	return chunk;
}

static void *fdx_worker(void *arg)
{
	struct fdx *x = arg;

	for (;;) {
		uint64_t off;
		size_t chunk;
		double t0;
		off_t fo;
		ssize_t n;

		pthread_mutex_lock(&x->lock);
		if (x->stop) {
			pthread_mutex_unlock(&x->lock);
			break;
		}
		off = x->next;
		chunk = x->chunk;
		x->next += chunk;
		pthread_mutex_unlock(&x->lock);
		fo = x->base + (off_t)off;
		t0 = now_s();
		if (x->write)
			n = smbiov_write_from_fd(x->remote->f, off, chunk,
						 x->fd, &fo);
		else
			n = smbiov_read_to_fd(x->remote->f, off, chunk, x->fd,
					      x->use_pos ? NULL : &fo);
		pthread_mutex_lock(&x->lock);
		/* One put worker: nobody else reads x->chunk meanwhile. */
		if (x->write)
			x->chunk = put_chunk_next(chunk, now_s() - t0);
		if (n < 0) {
			if (!x->err) {
				x->err = (int)n;
				cli_error_from((int)n, SMBIOV_PHASE_IO, &x->e);
			}
			x->stop = true;
		} else {
			progress_add(x->p, (uint64_t)n);
			if ((size_t)n < chunk) {
				x->stop = true;
				if (off + (uint64_t)n < x->end)
					x->end = off + (uint64_t)n;
			}
		}
		pthread_mutex_unlock(&x->lock);
	}
	return NULL;
}

/*
 * Can @fd be a splice end for this transfer? The connection must be
 * plain (signing and sealing need the bytes in memory); a get writes a
 * regular file at offsets (not O_APPEND) or /dev/null, a put reads a
 * regular file.
 */
static bool fdx_usable(const struct xfer_end *remote, int fd, bool write,
		       struct fdx *x)
{
	struct smbiov_conn_info ci;
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	smbiov_get_info(remote->c, &ci);
	if (ci.signing || ci.encrypted || fl < 0 || fstat(fd, &st))
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
	x->base -= (off_t)remote->offset;
	return true;
}

static int xfer_fd(const struct xfer_end *remote, const struct xfer_end *local,
		   bool write, struct fdx *x, struct progress *p)
{
	pthread_t th[FDX_GET_WORKERS - 1];
	int code = 0, more = 0;

	x->remote = remote;
	x->fd = local->fd;
	x->write = write;
	x->chunk = write ? FDX_PUT_CHUNK : CLI_CHUNK;
	x->next = remote->offset;
	x->p = p;
	x->end = UINT64_MAX;
	pthread_mutex_init(&x->lock, NULL);
	/* Fewer helpers than asked for (no threads left) is only slower. */
	while (!write && more < FDX_GET_WORKERS - 1 &&
	       pthread_create(&th[more], NULL, fdx_worker, x) == 0)
		more++;
	fdx_worker(x);
	while (more)
		pthread_join(th[--more], NULL);
	pthread_mutex_destroy(&x->lock);
	if (x->err) {
		if (x->e.phase == SMBIOV_PHASE_LOCAL)
			return cli_report_local(local->target,
						write ? "read" : "write",
						x->e.err);
		return cli_report(remote->target, &x->e);
	}
	/* Leave the position after the bytes, as write()/read() would. */
	if (!x->use_pos && x->end != UINT64_MAX &&
	    lseek(local->fd, x->base + (off_t)x->end, SEEK_SET) < 0)
		code = cli_report_local(local->target, "seek", errno);
	return code;
}

int xfer_copy(const struct xfer_end *src, const struct xfer_end *dst,
	      struct progress *p)
{
	struct xfer x;
	struct fdx fx = {0};
	int code;

	if (src->f && !dst->f && fdx_usable(src, dst->fd, false, &fx))
		return xfer_fd(src, dst, false, &fx, p);
	if (!src->f && dst->f && fdx_usable(dst, src->fd, true, &fx))
		return xfer_fd(dst, src, true, &fx, p);

	if (xfer_init(&x))
		return cli_report_ret(NULL, -ENOMEM);
	if (src->f && !dst->f)
		code = xfer_get(&x, src, dst, p);
	else
		code = xfer_put(&x, src, dst, p);
	xfer_release(&x);
	return code;
}
