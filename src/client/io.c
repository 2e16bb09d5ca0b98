// SPDX-License-Identifier: MIT
/*
 * The READ and WRITE paths (DESIGN.md §3; kernel-iov-iter-design.md §3.2,
 * §3.3, §3.7).
 *
 * A request is carved into credit-sized subrequests (client/split.c): each
 * is a struct-copy + truncate view of the caller's iterator, submitted with
 * smb_submit() as soon as it is carved, so all of them are in flight at
 * once up to the credit window (the submitter blocks in smb_submit() only
 * when the window is full). The engine receives READ data straight from the
 * socket into the piece's view and sends WRITE data straight from it: this
 * file never touches payload bytes. Results are collected in file order; a
 * short piece (EOF) ends the count.
 *
 * Synchronous calls borrow the caller's iterator as it is until they
 * return. Asynchronous ones must not refer to the caller's segment array
 * after submit returns, so they convert (kernel §3.2): UBUF/IOVEC become a
 * BVEC of pinned pages, KVEC/BVEC arrays are duplicated, XARRAY is used as
 * is and BVECQ gets a reference. That is released exactly once, at
 * completion, before the caller's done() runs.
 *
 * Asynchronous completions: done() runs on the engine's receiver thread
 * (or on the submitting thread when every piece completed before submit
 * returned, e.g. a failure). It must therefore not make synchronous calls
 * on the same client, submit new asynchronous I/O, or call
 * smbiov_aio_wait(): those wait for the receiver thread. Submission itself
 * blocks while the credit window is full (pieces are sent as credits come
 * back); it does not wait for the I/O.
 *
 * Cancellation (smbiov_aio_cancel(), DESIGN.md §2 "cancel waits until the
 * I/O side has let go"): every live asynchronous operation is in its
 * client's list from submission until its done() returned. A canceller
 * takes a reference on each of the file's, marks them cancelled (their
 * submitters carve nothing more), sends CANCEL for each piece already sent
 * and not completed, and sleeps on c->aio_cv until all of them finished.
 * The list is the client's rather than the file's because the file may be
 * closed the moment done() returned, while the operation still has to be
 * unlinked; @f only identifies the operations.
 */
#include "client/file.h"
#include "client/reconnect.h"
#include "client/split.h"
#include "mem/access.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"

#include <smbiov/mem.h>

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct io_ctx;

/* One subrequest: its SMB2 request, its view and its encoded body. */
struct io_sub {
	struct smb_req req;
	struct smb_subreq sr;
	uint32_t status;
	uint8_t body[SMB2_READ_REQ_FIXED + 8];
	struct iovec vec;
	struct io_ctx *x;
	bool sent; /* smb_submit() accepted it (under x->lock) */
};

struct io_ctx {
	struct smbiov_client *c;
	struct smb2_fileid fid;
	bool write;
	bool async;
	struct smbiov_iter it; /* what the pieces are carved from */
	size_t asked;
	/* Cleanup owed at completion (async only). */
	struct smbiov_bvec_list bv;
	void *dup;
	struct smbiov_bvecq *q;

	struct io_sub **subs;
	size_t nsub, cap;
	int cut_err; /* why not everything was carved, or 0 */

	pthread_mutex_t lock;
	pthread_cond_t cv;
	size_t pending;	 /* submitted, not completed */
	bool submitting; /* the submitter has not finished its loop */
	bool stop;	 /* a piece came back short or failed */

	smbiov_aio_done_fn done;
	void *arg;

	/*
	 * A local fd instead of memory (fdio.c): @it is then a DISCARD of
	 * the length, only carved for sizes, and each piece carries
	 * SMB_REQ_FD with its own fd offset. @serial: one piece in flight
	 * at a time (an fd without offsets must see the pieces in order).
	 */
	bool fd_io;
	bool serial;
	int fd;
	uint32_t fd_flags;
	off_t fd_base; /* fd offset of file offset @start */
	uint64_t start;
	bool fd_failed; /* a piece failed because of the local fd */

	/*
	 * Cancellation (async only). In c->aio_ops from submission until
	 * done() returned; @f is the file's identity there, compared, never
	 * dereferenced (the file may be closed as soon as done() returned).
	 * @refs: the completion path plus each smbiov_aio_cancel() waiting
	 * for it; the last one frees @x. Under c->lock, but @cancelled under
	 * @lock.
	 */
	struct smb_aio_link link;
	const struct smbiov_file *f;
	unsigned refs;
	bool finished; /* done() has returned */
	bool cancelled;
};

/* done() is running on this thread: smbiov_aio_cancel() would deadlock. */
static _Thread_local unsigned aio_in_done;

/* ---- sizing ----------------------------------------------------------------
 */
static bool multi_credit(const struct smbiov_client *c)
{
	return c->dialect > SMB2_DIALECT_202 &&
	       (c->server_caps & SMB2_GLOBAL_CAP_LARGE_MTU);
}

/*
 * At most 2 MiB per READ or WRITE, on every connection. Signed or sealed,
 * both ends pass over every byte of a message several times (copy, sign
 * or encrypt, send; receive, verify or decrypt, copy) and the server does
 * it to a whole message before its first byte leaves: at 2 MiB a message
 * stays in the caches between those passes, at 8 MiB it does not
 * (bench/RESULTS.md, 2026-11-26: encrypted get 0.80 -> 0.71 s, signed put
 * 0.96 -> 0.80 s per GiB). Plain, Samba reads or writes each message
 * through a buffer of its size, and the same holds for its copies: a
 * plain get of 1 GiB into a file on tmpfs took 0.55 s instead of 0.69
 * (0.50 vs 0.65 on disk), a put 0.73 s instead of 1.13, with less server
 * CPU (bench/RESULTS.md, 2026-12-05). 1 MiB was no better plain and far
 * worse sealed (Samba's CPU per GiB more than doubled).
 */
#define SMB_IO_MAX ((size_t)2 << 20)

size_t smb_max_chunk(const struct smbiov_client *c, bool write)
{
	size_t m = write ? c->max_write : c->max_read;

	if (!multi_credit(c) && m > SMB_CREDIT_BYTES)
		m = SMB_CREDIT_BYTES;
	if (m > SMB_IO_MAX)
		m = SMB_IO_MAX;
	if (m < SMB_CREDIT_BYTES && m < 4096)
		m = 4096; /* a server offering less is broken; stay sane */
	return m;
}

/*
 * Bytes the next piece may carry: half the window the server has granted
 * us (available + in flight), so at least two pieces are always in flight.
 */
static size_t credit_budget(struct smbiov_client *c)
{
	uint32_t w;

	if (!multi_credit(c))
		return SMB_CREDIT_BYTES;
	pthread_mutex_lock(&c->lock);
	w = c->credits.avail + c->credits.in_flight;
	pthread_mutex_unlock(&c->lock);
	w /= 2;
	if (w == 0)
		w = 1;
	return (size_t)w * SMB_CREDIT_BYTES;
}

/* ---- one piece ---------------------------------------------------------- */
static ssize_t sub_result(struct io_sub *s)
{
	struct smb_req *r = &s->req;
	struct smb2_write_rsp w;
	int ret;

	if (r->result) {
		/* MS-SMB2 3.3.5.12: a read at or past EOF. */
		if (r->command == SMB2_READ && r->status == STATUS_END_OF_FILE)
			return 0;
		/*
		 * The connection was lost after part of the data reached a
		 * pipe (recv.c): those bytes count, as a short piece, and
		 * the next round asks for the rest on the new connection
		 * (smb_io_fd()); the pipe cannot take them back.
		 */
		if ((r->flags & SMB_REQ_FD_POS) && r->data_len && !r->fd_err &&
		    smb_rc_lost(r->result))
			return r->data_len <= s->sr.len ? (ssize_t)r->data_len
							: -EPROTO;
		return r->result;
	}
	if (r->command == SMB2_READ)
		return r->data_len <= s->sr.len ? (ssize_t)r->data_len
						: -EPROTO;
	ret = smb2_write_rsp_decode(r->rsp, r->rsp_len, s->sr.len, &w);
	return ret ? ret : (ssize_t)w.count;
}

static void io_finish_async(struct io_ctx *x);

/* Completion of one piece, on the engine's receiver thread. */
static void sub_done(struct smb_req *r)
{
	struct io_sub *s = r->priv;
	struct io_ctx *x = s->x;
	bool async = x->async, last;

	s->status = r->status;
	s->sr.result = sub_result(s);
	smb_req_release(r);
	pthread_mutex_lock(&x->lock);
	if (r->fd_err)
		x->fd_failed = true;
	s->sr.done = true;
	if (s->sr.result < (ssize_t)s->sr.len)
		x->stop = true;
	last = --x->pending == 0 && !x->submitting;
	if ((last || x->serial) && !async)
		pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->lock);
	/* A synchronous waiter may free @x from here on. */
	if (last && async)
		io_finish_async(x);
}

static int add_sub(struct io_ctx *x, struct io_sub *s)
{
	if (x->nsub == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		struct io_sub **p = realloc(x->subs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		x->subs = p;
		x->cap = cap;
	}
	x->subs[x->nsub++] = s;
	return 0;
}

static int sub_prepare(struct io_ctx *x, struct io_sub *s)
{
	ssize_t n;

	s->x = x;
	if (x->write) {
		struct smb2_write_req w = {.fid = x->fid,
					   .offset = s->sr.offset};
		struct smbiov_iter len_only = s->sr.iter;

		/* fd payload: the encoder only takes the count of it. */
		if (x->fd_io)
			len_only.source = true;
		n = smb2_write_req_encode(s->body, sizeof(s->body), &w,
					  &len_only);
		smb_req_init(&s->req, SMB2_WRITE);
		s->req.src = &s->sr.iter;
	} else {
		struct smb2_read_req rd = {
			.fid = x->fid,
			.offset = s->sr.offset,
			.length = s->sr.len,
		};

		n = smb2_read_req_encode(s->body, sizeof(s->body), &rd);
		smb_req_init(&s->req, SMB2_READ);
		s->req.dst = &s->sr.iter;
		s->req.read_len = s->sr.len;
	}
	if (n < 0)
		return (int)n;
	if (x->fd_io) {
		s->req.src = NULL;
		s->req.dst = NULL;
		s->req.fd = x->fd;
		s->req.fd_off = x->fd_base + (off_t)(s->sr.offset - x->start);
		s->req.fd_len = s->sr.len;
	}
	s->vec.iov_base = s->body;
	s->vec.iov_len = (size_t)n;
	s->req.body = &s->vec;
	s->req.nbody = 1;
	/* recorded by the caller's thread */
	s->req.flags = SMB_REQ_QUIET | (x->fd_io ? x->fd_flags : 0);
	/* a small READ may share a message (submit.c): s->body outlives it */
	if (!x->write && !x->fd_io)
		s->req.flags |= SMB_REQ_BATCH;
	s->req.done = sub_done;
	s->req.priv = s;
	return 0;
}

/*
 * Carve and submit every piece. Returns true if the caller must finish the
 * request (everything already completed while we were submitting).
 */
static bool io_submit_all(struct io_ctx *x, uint64_t offset)
{
	struct smb_split sp;
	bool stop, last;

	smb_split_init(&sp, &x->it, offset, smb_max_chunk(x->c, x->write));
	x->submitting = true;
	for (;;) {
		struct io_sub *s;
		bool cancel;
		int ret = 0;

		pthread_mutex_lock(&x->lock);
		while (x->serial && x->pending && !x->stop)
			pthread_cond_wait(&x->cv, &x->lock);
		stop = x->stop;
		pthread_mutex_unlock(&x->lock);
		if (stop || !smbiov_iter_count(&sp.rest))
			break;
		s = calloc(1, sizeof(*s));
		if (s) {
			/* A canceller walks x->subs under x->lock. */
			pthread_mutex_lock(&x->lock);
			ret = add_sub(x, s);
			pthread_mutex_unlock(&x->lock);
		}
		if (!s || ret) {
			free(s);
			x->cut_err = -ENOMEM;
			break;
		}
		smb_split_next(&sp, credit_budget(x->c), &s->sr);
		ret = sub_prepare(x, s);
		if (ret == 0) {
			pthread_mutex_lock(&x->lock);
			x->pending++;
			pthread_mutex_unlock(&x->lock);
			ret = smb_submit(x->c, &s->req);
			pthread_mutex_lock(&x->lock);
			if (ret)
				x->pending--;
			else
				s->sent = true;
			/*
			 * A canceller that came between the stop check and
			 * now did not see this piece: cancel it here.
			 */
			cancel = !ret && x->cancelled;
			pthread_mutex_unlock(&x->lock);
			if (cancel)
				smb_cancel(x->c, &s->req);
		}
		if (ret) {
			/* Never sent: fails in place, in file order. */
			pthread_mutex_lock(&x->lock);
			s->sr.result = ret;
			s->sr.done = true;
			pthread_mutex_unlock(&x->lock);
			break;
		}
	}
	pthread_mutex_lock(&x->lock);
	x->submitting = false;
	last = x->pending == 0;
	pthread_mutex_unlock(&x->lock);
	return last;
}

/* The request's result once every piece has completed. */
static ssize_t io_result(const struct io_ctx *x, uint32_t *status)
{
	ssize_t total = 0;
	size_t k;

	*status = 0;
	for (k = 0; k < x->nsub; k++) {
		const struct io_sub *s = x->subs[k];

		if (s->sr.result < 0) {
			*status = s->status;
			return s->sr.result;
		}
		total += s->sr.result;
		if ((size_t)s->sr.result < s->sr.len)
			return total;
	}
	/* Everything carved came back whole, but not everything was carved. */
	if (x->cut_err && (size_t)total < x->asked)
		return x->cut_err;
	if (x->cancelled && (size_t)total < x->asked)
		return -ECANCELED;
	return total;
}

static void io_free(struct io_ctx *x)
{
	size_t k;

	for (k = 0; k < x->nsub; k++)
		free(x->subs[k]);
	free(x->subs);
	pthread_mutex_destroy(&x->lock);
	pthread_cond_destroy(&x->cv);
	free(x);
}

static void aio_unlink_locked(struct io_ctx *x)
{
	x->link.prev->next = x->link.next;
	x->link.next->prev = x->link.prev;
	x->link.prev = x->link.next = &x->link;
}

static struct io_ctx *link_ctx(struct smb_aio_link *l)
{
	return (struct io_ctx *)((char *)l - offsetof(struct io_ctx, link));
}

static void io_finish_async(struct io_ctx *x)
{
	struct smbiov_client *c = x->c;
	uint32_t status;
	ssize_t res;
	bool last;

	pthread_mutex_lock(&x->lock);
	res = io_result(x, &status);
	pthread_mutex_unlock(&x->lock);
	/* Let go of the caller's memory before telling the caller. */
	if (x->bv.bv)
		smbiov_bvec_list_release(&x->bv);
	free(x->dup);
	x->dup = NULL;
	if (x->q)
		smbiov_bvecq_put(x->q);
	x->q = NULL;
	aio_in_done++;
	x->done(x->arg, res);
	aio_in_done--;
	/* @x itself lives on while a canceller still looks at it. */
	pthread_mutex_lock(&c->lock);
	aio_unlink_locked(x);
	x->finished = true;
	if (x->refs > 1)
		pthread_cond_broadcast(&c->aio_cv);
	last = --x->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (last)
		io_free(x);
	/* After done(): smbiov_aio_wait() returning means done() ran. */
	smb_aio_put(c);
}

static struct io_ctx *io_new(struct smbiov_file *f, bool write)
{
	struct io_ctx *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	if (pthread_mutex_init(&x->lock, NULL)) {
		free(x);
		return NULL;
	}
	if (pthread_cond_init(&x->cv, NULL)) {
		pthread_mutex_destroy(&x->lock);
		free(x);
		return NULL;
	}
	x->c = f->c;
	x->fid = f->fid;
	x->write = write;
	if (write)
		atomic_store(&f->wrote, true);
	return x;
}

int smb_io_check(struct smbiov_file *f, const struct smbiov_iter *it,
		 uint64_t offset, bool write)
{
	int ret;

	if (!f || !it)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "%s: no file or iterator",
				     write ? "write" : "read");
	ret = smb_api_begin(f->c);
	if (ret)
		return ret;
	if (f->stale)
		return smb_error_set(-ESTALE, 0, SMBIOV_PHASE_IO,
				     "%s: the file's handle was lost with the "
				     "connection and could not be reopened",
				     write ? "write" : "read");
	if (it->source != write || (write && it->type == SMBIOV_ITER_DISCARD))
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "%s: iterator has the wrong direction",
				     write ? "write" : "read");
	if (offset > INT64_MAX || smbiov_iter_count(it) > INT64_MAX - offset)
		return smb_error_set(-EFBIG, 0, SMBIOV_PHASE_IO,
				     "%s: offset %llu out of range",
				     write ? "write" : "read",
				     (unsigned long long)offset);
	/* A bad buffer found mid-message would crash or kill the link. */
	if (mem_user_check(it))
		return smb_error_set(-EFAULT, 0, SMBIOV_PHASE_IO,
				     "%s: bad buffer (not mapped, or not %s)",
				     write ? "write" : "read",
				     write ? "readable" : "writable");
	return 0;
}

/*
 * After io_result(): did a READ stop early at a piece that came back with
 * fewer bytes than asked but more than none? MS-SMB2 3.3.5.12 does not
 * bind a server to answer a READ below end of file in full, so such a
 * piece is not the end of the file: the caller asks again for the rest.
 * Only STATUS_END_OF_FILE or an empty answer ends a read short.
 */
static bool io_short_data(const struct io_ctx *x)
{
	for (size_t k = 0; k < x->nsub; k++) {
		const struct io_sub *s = x->subs[k];

		if (s->sr.result < 0)
			return false;
		if ((size_t)s->sr.result < s->sr.len)
			return !x->write && s->sr.result > 0;
	}
	return false;
}

/* Submit every piece of @x and wait for all of them; its result. */
static ssize_t io_run_sync(struct io_ctx *x, uint64_t offset, uint32_t *status)
{
	io_submit_all(x, offset);
	pthread_mutex_lock(&x->lock);
	while (x->pending || x->submitting)
		pthread_cond_wait(&x->cv, &x->lock);
	pthread_mutex_unlock(&x->lock);
	return io_result(x, status);
}

/*
 * One round of a synchronous READ/WRITE of @it at @offset: every piece
 * sent and answered. *@more: a READ came back short of data below the
 * end of file (io_short_data) and should go on.
 */
static ssize_t io_sync_round(struct smbiov_file *f, struct smbiov_iter *it,
			     uint64_t offset, bool write, bool *more)
{
	struct io_ctx *x;
	uint32_t status;
	ssize_t res;

	x = io_new(f, write);
	if (!x)
		return smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "%s",
				     write ? "write" : "read");
	/* Borrowed as it is: we return only after every piece completed. */
	x->it = *it;
	x->asked = smbiov_iter_count(it);
	res = io_run_sync(x, offset, &status);
	*more = res >= 0 && io_short_data(x);
	io_free(x);
	if (res < 0) {
		if (status)
			return smb_error_status(status, SMBIOV_PHASE_IO,
						write ? "WRITE" : "READ");
		return smb_error_set((int)res, 0, SMBIOV_PHASE_IO, "%s: %s",
				     write ? "WRITE" : "READ",
				     smb_conn_strerror(f->c, (int)res));
	}
	smbiov_iter_advance(it, (size_t)res);
	return res;
}

/*
 * Synchronous READ/WRITE of @it at @offset; @it is advanced by the bytes
 * moved. A READ goes on after a short answer until the asked length, the
 * end of file or an error: short means the end of file, as for pread().
 * Every further round moved at least one byte, so this ends.
 */
ssize_t smb_io_sync(struct smbiov_file *f, struct smbiov_iter *it,
		    uint64_t offset, bool write)
{
	ssize_t total = 0, res;
	bool more = true;
	int ret;

	ret = smb_io_check(f, it, offset, write);
	if (ret)
		return ret;
	while (more && smbiov_iter_count(it)) {
		res = io_sync_round(f, it, offset + (uint64_t)total, write,
				    &more);
		if (res < 0)
			return res;
		total += res;
	}
	return total;
}

static ssize_t io_fd_round(struct smbiov_file *f, uint64_t offset, size_t len,
			   bool write, int fd, off_t fd_off, bool use_pos,
			   bool serial, bool *more)
{
	const char *what = write ? "WRITE" : "READ";
	struct io_ctx *x;
	uint32_t status;
	ssize_t res;
	bool local;

	x = io_new(f, write);
	if (!x)
		return smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "%s", what);
	smbiov_iter_discard(&x->it, SMBIOV_ITER_DEST, len);
	x->asked = len;
	x->fd_io = true;
	x->serial = serial;
	x->fd = fd;
	x->fd_flags = SMB_REQ_FD | (use_pos ? SMB_REQ_FD_POS : 0);
	x->fd_base = fd_off;
	x->start = offset;
	res = io_run_sync(x, offset, &status);
	local = x->fd_failed;
	*more = res >= 0 && io_short_data(x);
	io_free(x);
	if (res < 0) {
		if (status && status != STATUS_SUCCESS)
			return smb_error_status(status, SMBIOV_PHASE_IO, what);
		return smb_error_set(
			(int)res, 0,
			local ? SMBIOV_PHASE_LOCAL : SMBIOV_PHASE_IO,
			"%s: %s%s", what, local ? "local file: " : "",
			smb_conn_strerror(f->c, (int)res));
	}
	return res;
}

/* As io_sync(), between the file and @fd (fdio.c). */
ssize_t smb_io_fd(struct smbiov_file *f, uint64_t offset, size_t len,
		  bool write, int fd, off_t fd_off, bool use_pos, bool serial)
{
	ssize_t total = 0, res;
	bool more = true;

	while (more && (size_t)total < len) {
		res = io_fd_round(
			f, offset + (uint64_t)total, len - (size_t)total, write,
			fd, fd_off + (off_t)total, use_pos, serial, &more);
		if (res < 0)
			return res;
		total += res;
	}
	return total;
}

/*
 * Take what an asynchronous request needs from @it so that the caller's
 * segment array may go away when submit returns (kernel §3.2).
 */
static int io_adopt(struct io_ctx *x, const struct smbiov_iter *it)
{
	struct smbiov_iter tmp = *it;
	ssize_t n;

	x->asked = smbiov_iter_count(it);
	switch (it->type) {
	case SMBIOV_ITER_UBUF:
	case SMBIOV_ITER_IOVEC:
		n = smbiov_iter_to_bvec(&tmp, x->asked, &x->bv, &x->it);
		if (n < 0)
			return (int)n;
		if ((size_t)n != x->asked) {
			smbiov_bvec_list_release(&x->bv);
			return -EFAULT;
		}
		return 0;
	case SMBIOV_ITER_KVEC:
	case SMBIOV_ITER_BVEC:
		return smbiov_iter_dup(&x->it, it, &x->dup);
	case SMBIOV_ITER_BVECQ:
		x->it = *it;
		x->q = smbiov_bvecq_get((struct smbiov_bvecq *)it->bvecq);
		return 0;
	default:
		x->it = *it;
		return 0;
	}
}

int smb_io_async(struct smbiov_file *f, struct smbiov_iter *it, uint64_t offset,
		 bool write, smbiov_aio_done_fn done, void *arg)
{
	struct io_ctx *x;
	int ret;

	ret = smb_io_check(f, it, offset, write);
	if (ret)
		return ret;
	if (!done)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "aio: no completion function");
	x = io_new(f, write);
	if (!x)
		return smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "aio");
	x->async = true;
	x->done = done;
	x->arg = arg;
	ret = io_adopt(x, it);
	if (ret) {
		if (x->bv.bv)
			smbiov_bvec_list_release(&x->bv);
		free(x->dup);
		if (x->q)
			smbiov_bvecq_put(x->q);
		io_free(x);
		return smb_error_set(ret, 0, SMBIOV_PHASE_IO, "aio: %s",
				     smbiov_strerror(ret));
	}
	/* From here on done() runs exactly once, whatever happens. */
	x->f = f;
	x->refs = 1;
	pthread_mutex_lock(&f->c->lock);
	x->link.prev = f->c->aio_ops.prev;
	x->link.next = &f->c->aio_ops;
	x->link.prev->next = &x->link;
	f->c->aio_ops.prev = &x->link;
	pthread_mutex_unlock(&f->c->lock);
	smb_aio_get(f->c);
	if (io_submit_all(x, offset))
		io_finish_async(x);
	return 0;
}

/*
 * CANCEL every piece of @x on the server (MS-SMB2 3.2.4.24) and stop the
 * submitter from sending more. Pieces are freed only with @x (the caller
 * holds a reference), so one may be cancelled after x->lock is dropped:
 * smb_cancel() takes the engine's lock, and a send failure there runs
 * completions (sub_done() takes x->lock) on this thread. A piece that
 * completes meanwhile is answered -EALREADY or its CANCEL is ignored by
 * the server (3.3.5.16: no matching request).
 */
static void io_cancel_pieces(struct io_ctx *x)
{
	size_t k = 0;

	pthread_mutex_lock(&x->lock);
	x->cancelled = true;
	x->stop = true;
	for (;;) {
		struct io_sub *s = NULL;

		while (k < x->nsub && !s) {
			struct io_sub *q = x->subs[k++];

			if (q->sent && !q->sr.done)
				s = q;
		}
		if (!s)
			break;
		pthread_mutex_unlock(&x->lock);
		smb_cancel(x->c, &s->req);
		pthread_mutex_lock(&x->lock);
	}
	pthread_mutex_unlock(&x->lock);
}

SMBIOV_API int smbiov_aio_cancel(struct smbiov_file *f)
{
	struct smbiov_client *c;
	struct smb_aio_link *l;
	struct io_ctx **t;
	size_t n = 0, k, nfree = 0;

	if (!f || !f->c)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "aio cancel: no file");
	c = f->c;
	/* A forked child's copy of the lock may be held by a dead thread. */
	if (mem_self_pid() != c->pid)
		return smb_client_check(c);
	/*
	 * It waits for done() callbacks, which run on the receiver thread
	 * (or on whichever thread noticed the connection die).
	 */
	if (aio_in_done ||
	    (c->rx_started && pthread_equal(pthread_self(), c->rx_thread)))
		return smb_error_set(-EDEADLK, 0, SMBIOV_PHASE_IO,
				     "aio cancel: called from a completion");
	pthread_mutex_lock(&c->lock);
	for (l = c->aio_ops.next; l != &c->aio_ops; l = l->next)
		n += link_ctx(l)->f == f;
	t = n ? malloc(n * sizeof(*t)) : NULL;
	if (n && !t) {
		pthread_mutex_unlock(&c->lock);
		return smb_error_set(-ENOMEM, 0, SMBIOV_PHASE_IO, "aio cancel");
	}
	k = 0;
	for (l = c->aio_ops.next; l != &c->aio_ops; l = l->next) {
		struct io_ctx *x = link_ctx(l);

		if (x->f == f) {
			x->refs++;
			t[k++] = x;
		}
	}
	pthread_mutex_unlock(&c->lock);

	for (k = 0; k < n; k++)
		io_cancel_pieces(t[k]);

	pthread_mutex_lock(&c->lock);
	for (k = 0; k < n; k++) {
		while (!t[k]->finished)
			pthread_cond_wait(&c->aio_cv, &c->lock);
		/* Keep the ones whose last reference we hold, to free. */
		if (--t[k]->refs == 0)
			t[nfree++] = t[k];
	}
	pthread_mutex_unlock(&c->lock);
	for (k = 0; k < nfree; k++)
		io_free(t[k]);
	free(t);
	return (int)n;
}
