// SPDX-License-Identifier: MIT
/*
 * READ/WRITE against the fixture's smbd, cross-checked with the file on
 * the server's disk (SMB_ROOT/<share>/...): round trips of many sizes on
 * the plain, encrypted and signed shares, zero payload copies and
 * pipelining on the plain share, every iterator type as source and
 * destination, short reads at EOF, asynchronous I/O whose iovec array is
 * gone right after submit, and the expected errors.
 */
#include "file_common.h"
#include "proto/smb2.h"

#include <smbiov/mem.h>

#include <errno.h>
#include <pthread.h>

#define MiB ((size_t)1 << 20)

static const char *share_pub;

/* ---- round trips ------------------------------------------------------- */

static void roundtrip(struct smbiov_client *c, const char *share, size_t size,
		      bool measure)
{
	const size_t extra = 9 * MiB; /* read past EOF across pieces */
	struct smbiov_stats s0, s1, s2;
	struct smbiov_conn_info ci;
	struct smbiov_file *f;
	uint8_t *src = malloc(size + 1), *dst = malloc(size + extra), *disk;
	char name[64];
	size_t dlen = 0, bad;
	uint32_t seed = (uint32_t)size * 2654435761u;
	ssize_t n;

	T_ASSERT(src && dst);
	fc_fill(src, size, seed, 0);
	snprintf(name, sizeof(name), "rt_%zu.bin", size);
	T_ASSERT(smbiov_open(c, name, O_RDWR | O_CREAT | O_TRUNC, &f) == 0);
	fc_stats(c, &s0);
	n = smbiov_pwrite(f, src, size, 0);
	fc_stats(c, &s1);
	T_EXPECT_EQ(n, size);

	disk = fc_disk_read(share, name, &dlen);
	T_EXPECT(disk != NULL);
	T_EXPECT_EQ(dlen, size);
	if (disk && dlen == size)
		T_EXPECT(memcmp(disk, src, size) == 0);
	free(disk);

	memset(dst, 0xA5, size + extra);
	n = smbiov_pread(f, dst, size + extra, 0);
	fc_stats(c, &s2);
	T_EXPECT_EQ(n, size);
	bad = fc_check(dst, size, seed, 0);
	if (bad != size)
		fprintf(stderr, "%s %s: first bad byte at %zu\n", share, name,
			bad);
	T_EXPECT_EQ(bad, size);
	/* Nothing lands past EOF. */
	T_EXPECT(dst[size] == 0xA5 && dst[size + extra - 1] == 0xA5);
	/* At and past EOF: 0 bytes, not an error. */
	T_EXPECT_EQ(smbiov_pread(f, dst, 10, size), 0);
	T_EXPECT_EQ(smbiov_pread(f, dst, 10, size + 12345), 0);
	T_EXPECT_EQ(smbiov_close(f), 0);

	if (measure) {
		smbiov_get_info(c, &ci);
		fprintf(stderr,
			"%s %zu bytes: write copied %llu, read copied %llu; "
			"max credits in flight %llu (one %u-byte READ charges "
			"%u); requests %llu\n",
			share, size,
			(unsigned long long)(s1.payload_copied -
					     s0.payload_copied),
			(unsigned long long)(s2.payload_copied -
					     s1.payload_copied),
			(unsigned long long)s2.max_credits_in_flight,
			ci.max_read, (ci.max_read + 65535) / 65536,
			(unsigned long long)(s2.requests - s0.requests));
		if (!ci.encrypted && !ci.signing) {
			T_EXPECT_EQ(s1.payload_copied - s0.payload_copied, 0);
			T_EXPECT_EQ(s2.payload_copied - s1.payload_copied, 0);
			/* Pipelining: more than one maximal READ in flight. */
			T_EXPECT(s2.max_credits_in_flight >
				 (ci.max_read + 65535) / 65536);
		}
		/*
		 * GCM is decrypted in place in the caller's memory as it
		 * lands (recv.c rx_unseal_read): a sealed READ copies
		 * nothing either. CCM buffers the message (one update).
		 */
		if (ci.encrypted && (ci.cipher == SMB2_ENCRYPTION_AES128_GCM ||
				     ci.cipher == SMB2_ENCRYPTION_AES256_GCM))
			T_EXPECT_EQ(s2.payload_copied - s1.payload_copied, 0);
		T_EXPECT(s1.payload_sent - s0.payload_sent >= size);
		T_EXPECT(s2.payload_received - s1.payload_received >= size);
	}
	free(src);
	free(dst);
}

static void roundtrips_on(struct smbiov_client *c, const char *share,
			  enum fc_kind kind, void *arg)
{
	static const size_t sizes[] = {
		0, 1, 4095, 4096, 65537, 8 * MiB + 1, 100 * MiB,
	};

	(void)kind;
	(void)arg;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++)
		roundtrip(c, share, sizes[k], sizes[k] == 100 * MiB);
}

static void test_roundtrips(void)
{
	fc_for_each_share(roundtrips_on, NULL);
}

/* ---- every iterator type ------------------------------------------------ */

#define IT_LEN	 (3 * MiB + 12345)
#define IT_NSEGS 1000

enum it_kind { K_UBUF, K_IOVEC, K_KVEC, K_BVEC, K_XARRAY, K_BVECQ, K_NR };
static const char *const kname[K_NR] = {"UBUF", "IOVEC",  "KVEC",
					"BVEC", "XARRAY", "BVECQ"};

struct it_mem {
	uint8_t *flat;		    /* UBUF */
	uint8_t *segbuf;	    /* IOVEC/KVEC storage */
	struct iovec vec[IT_NSEGS]; /* IOVEC/KVEC */
	uint8_t *pages;		    /* BVEC storage */
	struct smbiov_bvec *bv;	    /* BVEC */
	size_t nbv;
	struct smbiov_xarray *xa; /* XARRAY */
	struct smbiov_bvecq *q;	  /* BVECQ */
	void **qpages;
	size_t nq;
};

static void it_mem_init(struct it_mem *m)
{
	size_t off = 0, k, left;

	memset(m, 0, sizeof(*m));
	m->flat = malloc(IT_LEN);
	m->segbuf = malloc(2 * IT_LEN);
	T_ASSERT(m->flat && m->segbuf);
	/* Segments of uneven sizes with gaps between them. */
	left = IT_LEN;
	for (k = 0; k < IT_NSEGS; k++) {
		size_t len = k + 1 == IT_NSEGS
				     ? left
				     : 1 + (k * 7919) % (2 * IT_LEN / IT_NSEGS);

		if (len > left)
			len = left;
		m->vec[k].iov_base = m->segbuf + off;
		m->vec[k].iov_len = len;
		off += len + 1 + k % 13;
		left -= len;
	}
	T_ASSERT(off <= 2 * IT_LEN);

	/* BVEC: each element inside one page, starting at offset 13. */
	m->nbv = (IT_LEN + 4083 - 1) / 4083;
	m->pages = aligned_alloc(4096, m->nbv * 4096);
	m->bv = calloc(m->nbv, sizeof(*m->bv));
	T_ASSERT(m->pages && m->bv);
	left = IT_LEN;
	for (k = 0; k < m->nbv; k++) {
		m->bv[k].page = m->pages + k * 4096;
		m->bv[k].offset = 13;
		m->bv[k].len = left < 4083 ? left : 4083;
		left -= m->bv[k].len;
	}

	m->xa = smbiov_xarray_new();
	T_ASSERT(m->xa);
	T_ASSERT(smbiov_xarray_populate(m->xa, 0, IT_LEN, 2) == 0);

	m->nq = (IT_LEN + 4095) / 4096;
	m->qpages = calloc(m->nq, sizeof(void *));
	m->q = smbiov_bvecq_new(64, SMBIOV_CLEANUP_NONE);
	T_ASSERT(m->qpages && m->q);
	left = IT_LEN;
	for (k = 0; k < m->nq; k++) {
		m->qpages[k] = smbiov_page_alloc();
		T_ASSERT(m->qpages[k]);
		T_ASSERT(smbiov_bvecq_append(m->q, m->qpages[k], 0,
					     left < 4096 ? left : 4096) == 0);
		left -= left < 4096 ? left : 4096;
	}
}

static void it_mem_fini(struct it_mem *m)
{
	smbiov_bvecq_put(m->q);
	for (size_t k = 0; k < m->nq; k++)
		smbiov_page_free(m->qpages[k]);
	free(m->qpages);
	smbiov_xarray_free(m->xa);
	free(m->bv);
	free(m->pages);
	free(m->segbuf);
	free(m->flat);
}

static void it_build(struct it_mem *m, enum it_kind k, unsigned dir,
		     struct smbiov_iter *it)
{
	int ret = -1;

	switch (k) {
	case K_UBUF:
		ret = smbiov_iter_ubuf(it, dir, m->flat, IT_LEN);
		break;
	case K_IOVEC:
		ret = smbiov_iter_iovec(it, dir, m->vec, IT_NSEGS, IT_LEN);
		break;
	case K_KVEC:
		ret = smbiov_iter_kvec(it, dir, m->vec, IT_NSEGS, IT_LEN);
		break;
	case K_BVEC:
		ret = smbiov_iter_bvec(it, dir, m->bv, m->nbv, IT_LEN);
		break;
	case K_XARRAY:
		ret = smbiov_iter_xarray(it, dir, m->xa, 0, IT_LEN);
		break;
	case K_BVECQ:
		ret = smbiov_iter_bvecq(it, dir, m->q, 0, 0, IT_LEN);
		break;
	default:
		break;
	}
	T_ASSERT(ret == 0);
}

/* Put pattern @seed into the memory of kind @k (test-side copy). */
static void it_load(struct it_mem *m, enum it_kind k, uint32_t seed)
{
	struct smbiov_iter it;
	uint8_t *tmp = malloc(IT_LEN);

	T_ASSERT(tmp);
	fc_fill(tmp, IT_LEN, seed, 0);
	it_build(m, k, SMBIOV_ITER_DEST, &it);
	T_ASSERT(smbiov_copy_to_iter(tmp, IT_LEN, &it) == IT_LEN);
	free(tmp);
}

/* Does the memory of kind @k hold pattern @seed? */
static bool it_verify(struct it_mem *m, enum it_kind k, uint32_t seed)
{
	struct smbiov_iter it;
	uint8_t *tmp = malloc(IT_LEN);
	bool ok;

	T_ASSERT(tmp);
	it_build(m, k, SMBIOV_ITER_SOURCE, &it);
	T_ASSERT(smbiov_copy_from_iter(tmp, IT_LEN, &it) == IT_LEN);
	ok = fc_check(tmp, IT_LEN, seed, 0) == IT_LEN;
	free(tmp);
	return ok;
}

static void test_iter_types(void)
{
	struct smbiov_client *c = fc_connect(share_pub, NULL);
	struct it_mem m;

	T_ASSERT(c);
	it_mem_init(&m);
	for (int k = 0; k < K_NR; k++) {
		struct smbiov_stats s0, s1;
		struct smbiov_file *f;
		struct smbiov_iter it;
		uint32_t seed = 1000 + (uint32_t)k;
		char name[64];
		uint8_t *disk;
		size_t dlen = 0;
		ssize_t n;

		snprintf(name, sizeof(name), "iter_%s.bin", kname[k]);
		T_ASSERT(smbiov_open(c, name, O_RDWR | O_CREAT | O_TRUNC, &f) ==
			 0);
		/* As source. */
		it_load(&m, k, seed);
		it_build(&m, k, SMBIOV_ITER_SOURCE, &it);
		fc_stats(c, &s0);
		n = smbiov_write_iter(f, &it, 0);
		T_EXPECT_EQ(n, IT_LEN);
		T_EXPECT_EQ(smbiov_iter_count(&it), 0);
		disk = fc_disk_read(share_pub, name, &dlen);
		T_EXPECT(disk && dlen == IT_LEN &&
			 fc_check(disk, IT_LEN, seed, 0) == IT_LEN);
		free(disk);

		/* As destination: wipe, read back, compare. */
		it_load(&m, k, 0xdead);
		it_build(&m, k, SMBIOV_ITER_DEST, &it);
		n = smbiov_read_iter(f, &it, 0);
		fc_stats(c, &s1);
		T_EXPECT_EQ(n, IT_LEN);
		T_EXPECT_EQ(smbiov_iter_count(&it), 0);
		if (!it_verify(&m, k, seed)) {
			fprintf(stderr, "%s: read data wrong\n", kname[k]);
			T_EXPECT(0);
		}
		T_EXPECT_EQ(s1.payload_copied - s0.payload_copied, 0);
		fprintf(stderr, "%-6s write+read %d bytes: ok=%d copied %llu\n",
			kname[k], (int)IT_LEN, t_failures == 0,
			(unsigned long long)(s1.payload_copied -
					     s0.payload_copied));
		T_EXPECT_EQ(smbiov_close(f), 0);
	}
	it_mem_fini(&m);
	smbiov_disconnect(c);
}

/* ---- asynchronous I/O ---------------------------------------------------- */

struct aio_res {
	pthread_mutex_t lock;
	int calls;
	ssize_t result;
};

static void aio_done(void *arg, ssize_t result)
{
	struct aio_res *r = arg;

	pthread_mutex_lock(&r->lock);
	r->calls++;
	r->result = result;
	pthread_mutex_unlock(&r->lock);
}

#define AIO_LEN	 (5 * MiB + 777)
#define AIO_SEGS 300

/* An iovec array over @buf in AIO_SEGS pieces, malloc'd. */
static struct iovec *aio_vec(uint8_t *buf)
{
	struct iovec *v = malloc(AIO_SEGS * sizeof(*v));
	size_t per = AIO_LEN / AIO_SEGS;

	T_ASSERT(v);
	for (size_t k = 0; k < AIO_SEGS; k++) {
		v[k].iov_base = buf + k * per;
		v[k].iov_len = k + 1 == AIO_SEGS ? AIO_LEN - k * per : per;
	}
	return v;
}

static void test_aio(void)
{
	struct smbiov_client *c = fc_connect(share_pub, NULL);
	struct aio_res w = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
	struct aio_res r[3] = {{PTHREAD_MUTEX_INITIALIZER, 0, 0},
			       {PTHREAD_MUTEX_INITIALIZER, 0, 0},
			       {PTHREAD_MUTEX_INITIALIZER, 0, 0}};
	uint8_t *src = malloc(AIO_LEN), *dst[3];
	struct smbiov_file *f;
	struct smbiov_iter it;
	struct iovec *v, *kv;
	struct smbiov_bvec *bv;
	uint8_t *disk;
	size_t dlen = 0, k, nbv;

	T_ASSERT(c && src);
	fc_fill(src, AIO_LEN, 77, 0);
	T_ASSERT(smbiov_open(c, "aio.bin", O_RDWR | O_CREAT | O_TRUNC, &f) ==
		 0);

	/* Write from an IOVEC whose array is scribbled on and freed. */
	v = aio_vec(src);
	T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_SOURCE, v, AIO_SEGS,
				   AIO_LEN) == 0);
	T_EXPECT_EQ(smbiov_aio_write(f, &it, 0, aio_done, &w), 0);
	memset(v, 0xFF, AIO_SEGS * sizeof(*v));
	free(v);
	memset(&it, 0xFF, sizeof(it));
	T_EXPECT_EQ(smbiov_aio_wait(c), 0);
	T_EXPECT_EQ(w.calls, 1);
	T_EXPECT_EQ(w.result, AIO_LEN);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	disk = fc_disk_read(share_pub, "aio.bin", &dlen);
	T_EXPECT(disk && dlen == AIO_LEN && !memcmp(disk, src, AIO_LEN));
	free(disk);

	/* Three reads in flight at once: IOVEC, KVEC (dup) and BVEC (dup). */
	for (k = 0; k < 3; k++) {
		dst[k] = aligned_alloc(4096, (AIO_LEN + 4095) / 4096 * 4096);
		T_ASSERT(dst[k]);
		memset(dst[k], 0, AIO_LEN);
	}
	v = aio_vec(dst[0]);
	T_ASSERT(smbiov_iter_iovec(&it, SMBIOV_ITER_DEST, v, AIO_SEGS,
				   AIO_LEN) == 0);
	T_EXPECT_EQ(smbiov_aio_read(f, &it, 0, aio_done, &r[0]), 0);
	memset(v, 0xFF, AIO_SEGS * sizeof(*v));
	free(v);

	kv = aio_vec(dst[1]);
	T_ASSERT(smbiov_iter_kvec(&it, SMBIOV_ITER_DEST, kv, AIO_SEGS,
				  AIO_LEN) == 0);
	T_EXPECT_EQ(smbiov_aio_read(f, &it, 0, aio_done, &r[1]), 0);
	memset(kv, 0xFF, AIO_SEGS * sizeof(*kv));
	free(kv);

	nbv = (AIO_LEN + 4095) / 4096;
	bv = calloc(nbv, sizeof(*bv));
	T_ASSERT(bv);
	for (k = 0; k < nbv; k++) {
		bv[k].page = dst[2] + k * 4096;
		bv[k].len = k + 1 == nbv ? AIO_LEN - k * 4096 : 4096;
	}
	T_ASSERT(smbiov_iter_bvec(&it, SMBIOV_ITER_DEST, bv, nbv, AIO_LEN) ==
		 0);
	T_EXPECT_EQ(smbiov_aio_read(f, &it, 0, aio_done, &r[2]), 0);
	memset(bv, 0xFF, nbv * sizeof(*bv));
	free(bv);

	T_EXPECT_EQ(smbiov_aio_wait(c), 0);
	for (k = 0; k < 3; k++) {
		T_EXPECT_EQ(r[k].calls, 1);
		T_EXPECT_EQ(r[k].result, AIO_LEN);
		T_EXPECT(memcmp(dst[k], src, AIO_LEN) == 0);
		free(dst[k]);
	}
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);

	/* A read starting past EOF completes with 0. */
	r[0].calls = 0;
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, src, 100) == 0);
	T_EXPECT_EQ(smbiov_aio_read(f, &it, AIO_LEN + 5, aio_done, &r[0]), 0);
	T_EXPECT_EQ(smbiov_aio_wait(c), 0);
	T_EXPECT_EQ(r[0].calls, 1);
	T_EXPECT_EQ(r[0].result, 0);

	T_EXPECT_EQ(smbiov_close(f), 0);
	free(src);
	smbiov_disconnect(c);
}

/* ---- errors
 * ------------------------------------------------------------------
 */
static void test_errors(void)
{
	struct smbiov_client *c = fc_connect(share_pub, NULL), *ro;
	struct smbiov_file *f = NULL;
	struct smbiov_error e;
	char buf[64];
	int ret;

	T_ASSERT(c);
	ret = smbiov_open(c, "no/such/file", O_RDONLY, &f);
	T_EXPECT_EQ(ret, -ENOENT);
	T_EXPECT(f == NULL);
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.err, -ENOENT);
	T_EXPECT(e.ntstatus != 0);
	T_EXPECT_EQ(smbiov_open(c, "missing.bin", O_RDONLY, &f), -ENOENT);
	T_EXPECT_EQ(smbiov_open(c, "x", O_RDONLY | O_TRUNC, &f), -EINVAL);
	T_EXPECT_EQ(smbiov_open(c, "a\\b", O_RDONLY, &f), -EINVAL);
	/* O_EXCL on an existing file. */
	T_ASSERT(smbiov_open(c, "excl.bin", O_RDWR | O_CREAT | O_TRUNC, &f) ==
		 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_open(c, "excl.bin", O_RDWR | O_CREAT | O_EXCL, &f),
		    -EEXIST);
	smbiov_disconnect(c);

	ro = fc_connect(fc_env("SMB_RO_SHARE"), NULL);
	T_ASSERT(ro);
	T_ASSERT(smbiov_open(ro, "hello.txt", O_RDONLY, &f) == 0);
	memset(buf, 0, sizeof(buf));
	T_EXPECT_EQ(smbiov_pread(f, buf, sizeof(buf), 0), 14);
	T_EXPECT(strcmp(buf, "hello from ro\n") == 0);
	/* Writing on a read-only handle fails at the server. */
	ret = (int)smbiov_pwrite(f, "x", 1, 0);
	T_EXPECT(ret == -EACCES || ret == -EROFS || ret == -EBADF);
	T_EXPECT_EQ(smbiov_close(f), 0);
	ret = smbiov_open(ro, "hello.txt", O_WRONLY, &f);
	T_EXPECT(ret == -EACCES || ret == -EROFS);
	ret = smbiov_open(ro, "new.txt", O_WRONLY | O_CREAT, &f);
	T_EXPECT(ret == -EACCES || ret == -EROFS);
	ret = smbiov_mkdir(ro, "newdir");
	T_EXPECT(ret == -EACCES || ret == -EROFS);
	ret = smbiov_unlink(ro, "hello.txt");
	T_EXPECT(ret == -EACCES || ret == -EROFS);
	smbiov_disconnect(ro);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	share_pub = fc_env("SMB_SHARE");
	T_RUN(test_errors);
	T_RUN(test_iter_types);
	T_RUN(test_aio);
	T_RUN(test_roundtrips);
	if (t_failures)
		integ_print_logs_hint();
	return t_done();
}
