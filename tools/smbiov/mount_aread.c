/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount: O_DIRECT reads answered from the library's completion.
 * A synchronous read kept a FUSE thread asleep for the round trip, and
 * its answer took two wake-ups: the library's receiver thread woke the
 * FUSE thread, which replied. Submitted with smbiov_aio_read() instead,
 * the FUSE thread goes back to /dev/fuse at once and the receiver thread
 * replies itself (fuse_reply_buf() may run on any thread): one wake-up
 * less per read and fewer threads (bench/RESULTS.md, mount, 4 KiB random
 * reads; docs/cli.md "smbiov mount", design.md §5).
 *
 * Only opens without the kernel's page cache (O_DIRECT: mf->kc_node is
 * NULL), so no page invalidation is ever due after the reply (it could
 * wait for pages of other READs whose answers need the receiver thread).
 * Each read takes a buffer from a small pool (bounded: past MAX_INFLIGHT
 * reads, or without memory, the caller reads synchronously, which holds
 * its thread as before) and a reference to its open file.
 *
 * The completion runs on the receiver thread and must not call into the
 * client: an answer short of the size below the end of file (an async
 * read is one round) is finished by this file's own thread with a
 * synchronous read, as smbiov_read_iter_ex() would have continued it (0
 * there: the end of file). mount_aread_stop() waits for every read in
 * flight before the session goes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "mount_fs.h"

/* Reads in flight at most; past that the FUSE thread reads itself. */
#define MAX_INFLIGHT 64
/* Buffers of 4 KiB << k, k < NCLASS (1 MiB: MOUNT_MAX_IO). */
#define MIN_SHIFT 12
#define NCLASS	  9
/* Bytes of free buffers the pool keeps for the next reads. */
#define POOL_KEEP ((size_t)4 << 20)

struct aread {
	struct aread *next; /* the free list, or the finisher's queue */
	struct mount_ctx *m;
	fuse_req_t req;
	struct mfile *mf;
	uint64_t off;
	size_t size;
	ssize_t got;
	unsigned cls;
	char buf[];
};

struct mount_areads {
	pthread_mutex_t lock;
	/* the finisher: work queued or stop; mount_aread_stop(): all done */
	pthread_cond_t cond;
	struct aread *free[NCLASS];
	size_t kept; /* bytes on the free lists */
	struct aread *queue, **qtail;
	unsigned inflight; /* taken and not yet given back */
	/* O_DIRECT reads in progress, either way (atomic; mount_aread()) */
	unsigned busy;
	bool stop;
	pthread_t finisher;
};

static size_t class_size(unsigned cls)
{
	return (size_t)1 << (MIN_SHIFT + cls);
}

static unsigned class_of(size_t size)
{
	unsigned cls = 0;

	while (cls + 1 < NCLASS && class_size(cls) < size)
		cls++;
	return cls;
}

/* A buffer for @size bytes counted in flight, or NULL (read in place). */
static struct aread *aread_take(struct mount_areads *p, size_t size)
{
	unsigned cls = class_of(size);
	struct aread *a = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->stop || p->inflight >= MAX_INFLIGHT) {
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	p->inflight++;
	a = p->free[cls];
	if (a) {
		p->free[cls] = a->next;
		p->kept -= class_size(cls);
	}
	pthread_mutex_unlock(&p->lock);
	if (!a) {
		a = malloc(sizeof(*a) + class_size(cls));
		if (!a) {
			pthread_mutex_lock(&p->lock);
			if (!--p->inflight)
				pthread_cond_broadcast(&p->cond);
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		a->cls = cls;
	}
	return a;
}

static void aread_give(struct mount_areads *p, struct aread *a)
{
	size_t sz = class_size(a->cls);

	pthread_mutex_lock(&p->lock);
	if (p->kept + sz <= POOL_KEEP) {
		a->next = p->free[a->cls];
		p->free[a->cls] = a;
		p->kept += sz;
		a = NULL;
	}
	if (!--p->inflight)
		pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	free(a);
}

/*
 * The reply, on whichever thread the read ended. The file's reference
 * goes first and is never its last: the kernel holds the open until the
 * READ is answered (the FUSE handle's reference, dropped by RELEASE,
 * stays), so no close runs here, on the receiver thread.
 */
static void aread_reply(struct aread *a, ssize_t got)
{
	struct mount_ctx *m = a->m;

	mtable_file_put(&m->t, a->mf);
	mount_aread_end(m);
	if (got < 0)
		fuse_reply_err(a->req, mount_err((int)got));
	else
		fuse_reply_buf(a->req, a->buf, (size_t)got);
	aread_give(m->ar, a);
}

/* smbiov_aio_read()'s completion: the receiver thread, usually. */
static void aread_done(void *arg, ssize_t got)
{
	struct aread *a = arg;
	struct mount_areads *p = a->m->ar;

	if (got <= 0 || (size_t)got == a->size) {
		aread_reply(a, got);
		return;
	}
	/* short below the end, or the end: the finisher reads on */
	a->got = got;
	a->next = NULL;
	pthread_mutex_lock(&p->lock);
	*p->qtail = a;
	p->qtail = &a->next;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/*
 * The rest of a short answer, synchronously (smbiov_read_iter_ex() reads
 * on until the size or the end of file). A failure there ends the read
 * with what arrived, as a read(2) that fails part way returns its count.
 */
static void aread_finish(struct aread *a)
{
	size_t rest = a->size - (size_t)a->got;
	struct smbiov_iter it;
	ssize_t n;

	smbiov_iter_kvec(&it, SMBIOV_ITER_DEST,
			 &(struct iovec){a->buf + a->got, rest}, 1, rest);
	n = smbiov_read_iter_ex(a->mf->f, &it, a->off + (uint64_t)a->got,
				SMBIOV_RW_DIRECT);
	aread_reply(a, n > 0 ? a->got + n : a->got);
}

static void *finisher(void *arg)
{
	struct mount_areads *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct aread *a = p->queue;

		if (!a) {
			if (p->stop)
				break;
			pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		p->queue = a->next;
		if (!p->queue)
			p->qtail = &p->queue;
		pthread_mutex_unlock(&p->lock);
		aread_finish(a);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int mount_aread_start(struct mount_ctx *m)
{
	struct mount_areads *p = calloc(1, sizeof(*p));

	m->ar = NULL;
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->qtail = &p->queue;
	if (pthread_create(&p->finisher, NULL, finisher, p)) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return -EAGAIN;
	}
	m->ar = p;
	return 0;
}

void mount_aread_stop(struct mount_ctx *m)
{
	struct mount_areads *p = m->ar;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true; /* no new ones: the loop has ended anyway */
	while (p->inflight)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->finisher, NULL);
	for (unsigned c = 0; c < NCLASS; c++)
		while (p->free[c]) {
			struct aread *a = p->free[c];

			p->free[c] = a->next;
			free(a);
		}
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
	m->ar = NULL;
}

/*
 * Before the reply: a reader at iodepth 1 sends its next read as soon as
 * it has the answer, and that one must not count this one.
 */
void mount_aread_end(struct mount_ctx *m)
{
	if (m->ar)
		__atomic_sub_fetch(&m->ar->busy, 1, __ATOMIC_SEQ_CST);
}

/*
 * A read with no other O_DIRECT read in progress is read synchronously:
 * at iodepth 1 the FUSE thread that replies then finds the reader's next
 * read on /dev/fuse while it still runs, where the asynchronous path
 * wakes a sleeping FUSE thread for each; on a loaded machine (both cores
 * busy) that cost 2.5x: 5,634 against 14,124 IOPS, medians of 9 rounds
 * in one run (bench/RESULTS.md). With others in flight (iodepth > 1, or
 * several readers) asynchronous pays: no thread waits or is woken to
 * reply.
 */
bool mount_aread(struct mount_ctx *m, fuse_req_t req, struct mfile *mf,
		 size_t size, off_t off)
{
	struct smbiov_iter it;
	struct aread *a;

	if (!m->ar)
		return false;
	if (!__atomic_fetch_add(&m->ar->busy, 1, __ATOMIC_SEQ_CST) ||
	    !(a = aread_take(m->ar, size)))
		return false;
	a->m = m;
	a->req = req;
	a->mf = mf;
	a->off = (uint64_t)off;
	a->size = size;
	mtable_file_get(&m->t, mf);
	smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, &(struct iovec){a->buf, size},
			 1, size);
	/*
	 * A submission that fails (no connection now, ...) did not run the
	 * completion: the synchronous read, with its reconnect, answers.
	 */
	if (smbiov_aio_read(mf->f, &it, (uint64_t)off, aread_done, a)) {
		mtable_file_put(&m->t, mf);
		aread_give(m->ar, a);
		return false;
	}
	return true;
}
