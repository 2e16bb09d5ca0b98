/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "localfile.h"
#include "xfer.h"
#include "xfer_par.h"

struct xfer_slot {
	void *buf;
	struct smbiov_iter it;
	ssize_t result; /* under xfer.lock while pending */
	size_t len;	/* bytes submitted */
	uint64_t off;	/* at this file offset */
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
	s->off = off;
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

		/*
		 * An asynchronous read may come back short of data below the
		 * end of file (a server may answer part of a READ): the rest
		 * synchronously, which goes on until the end of file.
		 */
		if (n > 0 && (size_t)n < s->len) {
			ssize_t m = smbiov_pread(src->f, (uint8_t *)s->buf + n,
						 s->len - (size_t)n,
						 s->off + (uint64_t)n);

			n = m < 0 ? m : n + m;
		}
		if (n < 0) {
			code = cli_report_ret(src->target, (int)n);
			break;
		}
		ret = local_write_full(dst->fd, s->buf, (size_t)n, NULL);
		if (ret) {
			code = ret == -EPIPE ? CLI_EXIT_LOCAL
					     : cli_report_local(dst->target,
								"write", ret);
			break;
		}
		progress_add(p, (uint64_t)n);
		/* chunks are written out in file order */
		if (src->prefix)
			src->prefix(src->prefix_arg, s->off + (uint64_t)n);
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
		n = local_read_full(src->fd, buf, CLI_CHUNK, NULL);
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
	uint64_t next = src->f ? src->offset : dst->offset;
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
		/* slots are waited for in the order they were filled */
		if (dst->prefix)
			dst->prefix(dst->prefix_arg, s->off + (uint64_t)w);
		cur = (cur + 1) % XFER_SLOTS;
	}
	xfer_drain(x);
	return code;
}

int xfer_copy(const struct xfer_end *src, const struct xfer_end *dst,
	      struct progress *p)
{
	struct xfer x;
	int code;

	if (src->f && !dst->f && xfer_par(src, dst, false, p, &code))
		return code;
	if (!src->f && dst->f && xfer_par(dst, src, true, p, &code))
		return code;

	if (xfer_init(&x))
		return cli_report_ret(NULL, -ENOMEM);
	if (dst->f && dst->opened)
		dst->opened(dst->opened_arg); /* one connection: now */
	if (src->f && !dst->f)
		code = xfer_get(&x, src, dst, p);
	else
		code = xfer_put(&x, src, dst, p);
	xfer_release(&x);
	return code;
}
