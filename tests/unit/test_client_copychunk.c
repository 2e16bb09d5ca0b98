/* SPDX-License-Identifier: MIT */
/*
 * Server-side copy on the engine (client/copychunk.c) against a scripted
 * server on a socketpair, for what a real server will not show:
 *   - STATUS_INVALID_PARAMETER carrying lower limits (MS-SMB2
 *     3.3.5.15.6): asked again within them, every later request obeys
 *     them, and the whole range is copied;
 *   - an answer claiming more bytes or chunks than asked: -EPROTO, and
 *     nothing counted;
 *   - a short answer: the bytes copied so far, no further request;
 *   - a failure after a first request: that request's bytes;
 *   - limits of zero, and a server without server-side copy
 *     (-EOPNOTSUPP at the resume key).
 * The fake copies nothing: it checks each chunk list against the range
 * asked (contiguous, in order, source and target in step) and answers.
 */
#include "client/file.h"
#include "client/sparse.h"
#include "peer.h"
#include "proto/ioctl.h"
#include "proto/le.h"
#include "proto/ntstatus.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB ((uint64_t)1 << 20)

enum answer {
	ANS_ALL,     /* success, everything asked */
	ANS_LIMITS,  /* STATUS_INVALID_PARAMETER with limits */
	ANS_MORE,    /* claims one byte more than asked */
	ANS_HALF,    /* success, half the bytes */
	ANS_FAIL,    /* STATUS_DISK_FULL */
	ANS_NOCOPY,  /* STATUS_NOT_SUPPORTED */
	ANS_ZEROLIM, /* STATUS_INVALID_PARAMETER, limits of zero */
};

struct fake {
	int fd;
	pthread_t th;
	const enum answer *script; /* per copy request; then ANS_ALL */
	unsigned nscript;
	bool no_resume_key;
	uint32_t lim[3];	     /* limits ANS_LIMITS names */
	unsigned ncopy;		     /* copy requests seen */
	uint32_t max_n, max_len;     /* the most chunks, longest chunk asked */
	uint64_t max_total;	     /* the most bytes one request asked */
	uint64_t next_src, next_dst; /* where the next chunk must start */
	bool bad_list;		     /* a list not in step with the range */
};

/* An IOCTL answer of @status whose output is @out (@n bytes). */
static void reply_ioctl(struct fake *f, const struct smb2_hdr *h,
			uint32_t status, uint32_t code, const uint8_t *out,
			uint32_t n)
{
	uint8_t b[SMB2_IOCTL_RSP_FIXED + 32];

	memset(b, 0, sizeof(b));
	le16_put(b, SMB2_IOCTL_RSP_SIZE);
	le32_put(b + 4, code);
	le32_put(b + 32, SMB2_HDR_SIZE + SMB2_IOCTL_RSP_FIXED);
	le32_put(b + 36, n);
	memcpy(b + SMB2_IOCTL_RSP_FIXED, out, n);
	peer_reply(f->fd, h, status, b, SMB2_IOCTL_RSP_FIXED + n, NULL, 0);
}

static void reply_cc(struct fake *f, const struct smb2_hdr *h, uint32_t status,
		     uint32_t a, uint32_t b, uint32_t c)
{
	uint8_t o[12];

	le32_put(o, a);
	le32_put(o + 4, b);
	le32_put(o + 8, c);
	reply_ioctl(f, h, status, FSCTL_SRV_COPYCHUNK_WRITE, o, sizeof(o));
}

/* A copy request's chunk list (at InputOffset 120): checked, totalled. */
static uint64_t take_list(struct fake *f, const uint8_t *m, uint32_t len,
			  uint32_t *n)
{
	uint64_t total = 0;

	*n = len >= 120 + 32 ? le32_get(m + 120 + 24) : 0;
	if (!*n || len < 120 + 32 + 24ull * *n) {
		f->bad_list = true;
		return 0;
	}
	for (uint32_t i = 0; i < *n; i++) {
		const uint8_t *e = m + 120 + 32 + 24 * i;
		uint32_t l = le32_get(e + 16);

		if (le64_get(e) != f->next_src ||
		    le64_get(e + 8) != f->next_dst)
			f->bad_list = true;
		f->next_src += l;
		f->next_dst += l;
		total += l;
		if (l > f->max_len)
			f->max_len = l;
	}
	if (*n > f->max_n)
		f->max_n = *n;
	if (total > f->max_total)
		f->max_total = total;
	return total;
}

static void handle(void *arg, const uint8_t *m, uint32_t len,
		   const struct smb2_hdr *h)
{
	struct fake *f = arg;
	uint32_t code = len >= 72 ? le32_get(m + SMB2_HDR_SIZE + 4) : 0, n;
	uint64_t total;
	enum answer a;

	if (h->command != SMB2_IOCTL) {
		peer_reply_error(f->fd, h, STATUS_NOT_SUPPORTED);
		return;
	}
	if (code == FSCTL_SRV_REQUEST_RESUME_KEY) {
		uint8_t key[28] = {1, 2, 3};

		if (f->no_resume_key)
			peer_reply_error(f->fd, h, STATUS_NOT_SUPPORTED);
		else
			reply_ioctl(f, h, 0, code, key, sizeof(key));
		return;
	}
	if (code != FSCTL_SRV_COPYCHUNK_WRITE) {
		peer_reply_error(f->fd, h, STATUS_INVALID_DEVICE_REQUEST);
		return;
	}
	a = f->ncopy < f->nscript ? f->script[f->ncopy] : ANS_ALL;
	f->ncopy++;
	total = take_list(f, m, len, &n);
	switch (a) {
	case ANS_LIMITS:
	case ANS_ZEROLIM:
		/* nothing copied: the list starts again; maxima from now */
		f->next_src -= total;
		f->next_dst -= total;
		f->max_n = f->max_len = 0;
		f->max_total = 0;
		if (a == ANS_LIMITS)
			reply_cc(f, h, STATUS_INVALID_PARAMETER, f->lim[0],
				 f->lim[1], f->lim[2]);
		else
			reply_cc(f, h, STATUS_INVALID_PARAMETER, 0, 0, 0);
		break;
	case ANS_MORE:
		reply_cc(f, h, 0, n, 0, (uint32_t)total + 1);
		break;
	case ANS_HALF:
		reply_cc(f, h, 0, n / 2, 0, (uint32_t)(total / 2));
		break;
	case ANS_FAIL:
		peer_reply_error(f->fd, h, STATUS_DISK_FULL);
		break;
	case ANS_NOCOPY:
		peer_reply_error(f->fd, h, STATUS_NOT_SUPPORTED);
		break;
	default:
		reply_cc(f, h, 0, n, 0, (uint32_t)total);
	}
}

static void *fake_thread(void *arg)
{
	struct fake *f = arg;

	peer_serve(f->fd, handle, f);
	return NULL;
}

struct rig {
	struct fake f;
	struct smbiov_client *c;
	struct smbiov_file src, dst;
};

static void rig_start(struct rig *g, uint64_t soff, uint64_t doff)
{
	g->c = peer_client(&g->f.fd, 5000);
	memset(&g->src, 0, sizeof(g->src));
	memset(&g->dst, 0, sizeof(g->dst));
	g->src.c = g->dst.c = g->c;
	g->src.fid.persistent = 0x51;
	g->dst.fid.persistent = 0x61;
	g->f.next_src = soff;
	g->f.next_dst = doff;
	T_ASSERT(pthread_create(&g->f.th, NULL, fake_thread, &g->f) == 0);
}

static void rig_stop(struct rig *g)
{
	peer_client_stop(g->c);
	pthread_join(g->f.th, NULL);
	close(g->f.fd);
}

static void test_all(void)
{
	struct rig g = {0};

	rig_start(&g, 5, 7);
	T_EXPECT_EQ(smb_copy_chunks(&g.src, 5, &g.dst, 7, 40 * MIB + 3),
		    (ssize_t)(40 * MIB + 3));
	T_EXPECT_EQ(g.f.ncopy, 3u); /* 16 + 16 + 8 MiB */
	T_EXPECT_EQ(g.f.max_n, 16u);
	T_EXPECT_EQ(g.f.max_len, (uint32_t)MIB);
	T_EXPECT_EQ(g.f.max_total, 16 * MIB);
	T_EXPECT(!g.f.bad_list);
	T_EXPECT(atomic_load(&g.dst.wrote));
	rig_stop(&g);
}

static void test_limits(void)
{
	static const enum answer s[] = {ANS_LIMITS};
	struct rig g = {
		.f = {.script = s, .nscript = 1, .lim = {3, 65536, 150000}}};

	rig_start(&g, 0, 0);
	T_EXPECT_EQ(smb_copy_chunks(&g.src, 0, &g.dst, 0, MIB), (ssize_t)MIB);
	/* refused, then 1 MiB in requests within the limits named */
	T_EXPECT_EQ(g.f.ncopy, 1u + 7u);
	T_EXPECT(g.f.max_n <= 3u);
	T_EXPECT_EQ(g.f.max_len, 65536u);
	T_EXPECT_EQ(g.f.max_total, 150000u);
	T_EXPECT(!g.f.bad_list);
	rig_stop(&g);
}

static void test_bad_answers(void)
{
	static const enum answer more[] = {ANS_MORE}, half[] = {ANS_HALF},
				 fail[] = {ANS_ALL, ANS_FAIL},
				 zero[] = {ANS_ZEROLIM},
				 nocopy[] = {ANS_NOCOPY};
	static const struct {
		const enum answer *script;
		unsigned nscript;
		uint64_t len;
		ssize_t want;
		unsigned ncopy;
	} cases[] = {
		{more, 1, 4 * MIB, -EPROTO, 1},
		{half, 1, 4 * MIB, (ssize_t)(2 * MIB), 1},
		{fail, 2, 20 * MIB, (ssize_t)(16 * MIB), 2},
		{zero, 1, MIB, -EINVAL, 1},
		{nocopy, 1, MIB, -EOPNOTSUPP, 1},
	};
	struct rig g;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&g, 0, sizeof(g));
		g.f.script = cases[i].script;
		g.f.nscript = cases[i].nscript;
		rig_start(&g, 0, 0);
		T_EXPECT_EQ(smb_copy_chunks(&g.src, 0, &g.dst, 0, cases[i].len),
			    cases[i].want);
		T_EXPECT_EQ(g.f.ncopy, cases[i].ncopy);
		rig_stop(&g);
	}
	/* no resume key: nothing asked to copy, nothing marked written */
	memset(&g, 0, sizeof(g));
	g.f.no_resume_key = true;
	rig_start(&g, 0, 0);
	T_EXPECT_EQ(smb_copy_chunks(&g.src, 0, &g.dst, 0, MIB), -EOPNOTSUPP);
	T_EXPECT_EQ(g.f.ncopy, 0u);
	T_EXPECT(!atomic_load(&g.dst.wrote));
	rig_stop(&g);
}

int main(void)
{
	T_RUN(test_all);
	T_RUN(test_limits);
	T_RUN(test_bad_answers);
	return t_done();
}
