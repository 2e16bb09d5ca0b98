/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xfer.h"

struct xfer_slot {
	void *buf;
	struct smbiov_iter it;
	_Atomic ssize_t result;
	bool pending; /* submitted asynchronously, not yet waited for */
};

struct xfer {
	struct xfer_slot s[2];
	bool sync;  /* the library has no asynchronous I/O: plain calls */
	bool stuck; /* a wait failed: the library may still hold a buffer */
};

static void xfer_done(void *arg, ssize_t result)
{
	struct xfer_slot *s = arg;

	atomic_store(&s->result, result);
}

/* Private anonymous memory (DESIGN.md §2 "Fork"), page-aligned. */
static int xfer_init(struct xfer *x)
{
	memset(x, 0, sizeof(*x));
	for (int i = 0; i < 2; i++) {
		void *p = mmap(NULL, CLI_CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			if (i)
				munmap(x->s[0].buf, CLI_CHUNK);
			return -ENOMEM;
		}
		x->s[i].buf = p;
	}
	return 0;
}

static void xfer_release(struct xfer *x)
{
	/* never free what an unfinished request may still write into */
	if (x->stuck)
		return;
	for (int i = 0; i < 2; i++)
		munmap(x->s[i].buf, CLI_CHUNK);
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
	int ret;

	ret = smbiov_iter_ubuf(&s->it,
			       write ? SMBIOV_ITER_SOURCE : SMBIOV_ITER_DEST,
			       s->buf, len);
	if (ret)
		return ret;
	if (!x->sync) {
		atomic_store(&s->result, 0);
		if (write)
			ret = smbiov_aio_write(e->f, &s->it, off, xfer_done, s);
		else
			ret = smbiov_aio_read(e->f, &s->it, off, xfer_done, s);
		if (!ret) {
			s->pending = true;
			return 0;
		}
		if (!no_aio(ret))
			return ret;
		x->sync = true;
	}
	if (write)
		atomic_store(&s->result, smbiov_pwrite(e->f, s->buf, len, off));
	else
		atomic_store(&s->result, smbiov_pread(e->f, s->buf, len, off));
	return 0;
}

static ssize_t slot_wait(struct xfer *x, const struct xfer_end *e,
			 struct xfer_slot *s)
{
	ssize_t r;

	if (s->pending) {
		int ret = smbiov_aio_wait(e->c);

		s->pending = false;
		r = atomic_load(&s->result);
		if (ret < 0) {
			x->stuck = true;
			return r < 0 ? r : ret;
		}
	}
	return atomic_load(&s->result);
}

static void xfer_drain(struct xfer *x, const struct xfer_end *e)
{
	for (int i = 0; i < 2; i++)
		if (x->s[i].pending)
			slot_wait(x, e, &x->s[i]);
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

/* remote -> local: asynchronous read of chunk k+1 while chunk k is written */
static int xfer_get(struct xfer *x, const struct xfer_end *src,
		    const struct xfer_end *dst, struct progress *p)
{
	uint64_t off = 0;
	int cur = 0, ret, code = 0;

	ret = slot_submit(x, src, &x->s[0], CLI_CHUNK, 0, false);
	if (ret)
		return cli_report_ret(src->target, ret);
	for (;;) {
		struct xfer_slot *s = &x->s[cur];
		ssize_t n = slot_wait(x, src, s);

		if (n < 0) {
			code = cli_report_ret(src->target, (int)n);
			break;
		}
		if ((size_t)n == CLI_CHUNK) {
			ret = slot_submit(x, src, &x->s[cur ^ 1], CLI_CHUNK,
					  off + (uint64_t)n, false);
			if (ret) {
				code = cli_report_ret(src->target, ret);
				break;
			}
		}
		ret = write_full(dst->fd, s->buf, (size_t)n);
		if (ret) {
			code = ret == -EPIPE ? CLI_EXIT_LOCAL
					     : cli_report_local(dst->target,
								"write", ret);
			break;
		}
		off += (uint64_t)n;
		progress_add(p, (uint64_t)n);
		if ((size_t)n < CLI_CHUNK)
			break;
		cur ^= 1;
	}
	xfer_drain(x, src);
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

/* anything -> remote: read chunk k+1 while chunk k is written remotely */
static int xfer_put(struct xfer *x, const struct xfer_end *src,
		    const struct xfer_end *dst, struct progress *p)
{
	uint64_t off = 0;
	int cur = 0, ret, code = 0;
	ssize_t n = src_read(src, x->s[0].buf, 0, &code);

	while (n > 0 && !code) {
		struct xfer_slot *s = &x->s[cur];
		ssize_t next = 0, w;

		ret = slot_submit(x, dst, s, (size_t)n, off, true);
		if (ret) {
			code = cli_report_ret(dst->target, ret);
			break;
		}
		if ((size_t)n == CLI_CHUNK)
			next = src_read(src, x->s[cur ^ 1].buf,
					off + (uint64_t)n, &code);
		w = slot_wait(x, dst, s);
		if (w < 0 && !code)
			code = cli_report_ret(dst->target, (int)w);
		else if (w != n && !code)
			code = cli_report_ret(dst->target, -EIO);
		if (code)
			break;
		off += (uint64_t)n;
		progress_add(p, (uint64_t)n);
		n = next;
		cur ^= 1;
	}
	xfer_drain(x, dst);
	return code;
}

int xfer_copy(const struct xfer_end *src, const struct xfer_end *dst,
	      struct progress *p)
{
	struct xfer x;
	int code;

	if (xfer_init(&x))
		return cli_report_ret(NULL, -ENOMEM);
	if (src->f && !dst->f)
		code = xfer_get(&x, src, dst, p);
	else
		code = xfer_put(&x, src, dst, p);
	xfer_release(&x);
	return code;
}
