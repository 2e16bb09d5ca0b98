// SPDX-License-Identifier: MIT
/*
 * Extended attributes by path (client/ea.c) against a scripted server on
 * a socketpair that answers each CREATE + QUERY_INFO/SET_INFO + CLOSE
 * compound from a script of FileFullEaInformation replies:
 *   - a server that sends every EA whatever was asked (Samba): the one
 *     asked for is found by name without regard to case; size probes,
 *     ERANGE, the list with its NULs;
 *   - a server that answers the name asked for with an empty value
 *     (Windows, for one it does not have): ENODATA;
 *   - STATUS_NO_EAS_ON_FILE: ENODATA, an empty list;
 *   - STATUS_BUFFER_OVERFLOW: asked again once with a larger buffer;
 *   - STATUS_EAS_NOT_SUPPORTED: -EOPNOTSUPP;
 *   - malformed replies: an entry pointing back, a name without its NUL,
 *     an output buffer length past the element;
 *   - what is sent: the EA name asked for (FILE_GET_EA_INFORMATION),
 *     the SET_INFO entry, and no SET_INFO at all when XATTR_CREATE,
 *     XATTR_REPLACE or a remove fails its check.
 */
#include "client/engine.h"
#include "peer.h"
#include "proto/ea.h"
#include "proto/le.h"
#include "proto/ntstatus.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATUS_EAS_NOT_SUPPORTED_ 0xC000004Fu

struct qreply {
	uint32_t status;
	const uint8_t *buf; /* FILE_FULL_EA_INFORMATION chain */
	size_t len;
	uint32_t claim; /* OutputBufferLength to claim; 0: len */
};

struct fake {
	int fd;
	pthread_t th;
	const struct qreply *script;
	unsigned nscript, nquery, nset;
	uint32_t outlen[8];   /* each QUERY_INFO's OutputBufferLength */
	uint8_t asked[8][64]; /* each QUERY_INFO's input */
	uint32_t asked_len[8];
	uint8_t set[512]; /* the last SET_INFO's buffer */
	uint32_t set_len;
	uint8_t set_class;
};

static void put_el(uint8_t *m, size_t *off, const struct smb2_hdr *req,
		   uint32_t status, const void *body, size_t blen, bool last)
{
	struct smb2_hdr h;
	size_t len = SMB2_HDR_SIZE + blen;

	peer_rsp_hdr(&h, req, status);
	if (req->flags & SMB2_FLAGS_RELATED_OPERATIONS)
		h.flags |= SMB2_FLAGS_RELATED_OPERATIONS;
	if (!last)
		h.next_command = (uint32_t)(len + smb2_compound_pad(len));
	smb2_hdr_encode(m + 4 + *off, &h);
	memcpy(m + 4 + *off + SMB2_HDR_SIZE, body, blen);
	*off += len;
	if (!last) {
		memset(m + 4 + *off, 0, smb2_compound_pad(len));
		*off += smb2_compound_pad(len);
	}
}

static const uint8_t err_body[9] = {SMB2_ERROR_RSP_SIZE};

static void answer(struct fake *f, const uint8_t *msg, size_t len)
{
	static uint8_t out[4 + 8192], b[4096];
	static const uint8_t set_rsp[2] = {SMB2_SET_INFO_RSP_SIZE};
	struct smb2_compound_iter it;
	struct smb2_hdr hs[3];
	size_t n = 0, off = 0, eo[3], el[3], bl;
	const uint8_t *mid;
	const struct qreply *q = NULL;
	struct qreply ok = {0, NULL, 0, 0};
	unsigned k;

	smb2_compound_iter_init(&it, msg, len, 0);
	while (n < 3 && smb2_compound_next(&it, &eo[n], &el[n]) == 1) {
		T_ASSERT(smb2_hdr_decode(msg + eo[n], el[n], &hs[n]) == 0);
		n++;
	}
	if (n == 1) {
		/* an ECHO: the client asks for credits for the chain */
		static const uint8_t echo[4] = {SMB2_ECHO_SIZE};

		put_el(out, &off, &hs[0], STATUS_SUCCESS, echo, 4, true);
		smb2_nbss_encode(out, off);
		peer_write_full(f->fd, out, 4 + off);
		return;
	}
	T_ASSERT(n == 3 && hs[0].command == SMB2_CREATE &&
		 hs[2].command == SMB2_CLOSE);
	mid = msg + eo[1] + SMB2_HDR_SIZE;
	/* CREATE */
	memset(b, 0, SMB2_CREATE_RSP_SIZE);
	le16_put(b, SMB2_CREATE_RSP_SIZE);
	le32_put(b + 4, 1);
	le64_put(b + 64, 0x61);
	le64_put(b + 72, 0x62);
	put_el(out, &off, &hs[0], STATUS_SUCCESS, b, SMB2_CREATE_RSP_SIZE,
	       false);
	if (hs[1].command == SMB2_SET_INFO) {
		f->nset++;
		f->set_class = mid[3];
		f->set_len = le32_get(mid + 4);
		if (f->set_len <= sizeof(f->set))
			memcpy(f->set, msg + eo[1] + le16_get(mid + 8),
			       f->set_len);
		put_el(out, &off, &hs[1], STATUS_SUCCESS, set_rsp, 2, false);
	} else {
		k = f->nquery++;
		if (k < 8) {
			f->outlen[k] = le32_get(mid + 4);
			f->asked_len[k] = le32_get(mid + 12);
			if (f->asked_len[k] <= 64)
				memcpy(f->asked[k],
				       msg + eo[1] + le16_get(mid + 8),
				       f->asked_len[k]);
		}
		q = k < f->nscript ? &f->script[k] : &ok;
		if (q->status && q->status != STATUS_BUFFER_OVERFLOW) {
			put_el(out, &off, &hs[1], q->status, err_body,
			       sizeof(err_body), false);
		} else {
			memset(b, 0, 8);
			le16_put(b, SMB2_QUERY_INFO_RSP_SIZE);
			le16_put(b + 2, SMB2_HDR_SIZE + 8);
			le32_put(b + 4, q->claim ? q->claim : (uint32_t)q->len);
			if (q->len)
				memcpy(b + 8, q->buf, q->len);
			bl = 8 + q->len;
			put_el(out, &off, &hs[1], q->status, b, bl, false);
		}
	}
	/* CLOSE */
	memset(b, 0, SMB2_CLOSE_RSP_SIZE);
	le16_put(b, SMB2_CLOSE_RSP_SIZE);
	put_el(out, &off, &hs[2], STATUS_SUCCESS, b, SMB2_CLOSE_RSP_SIZE, true);
	smb2_nbss_encode(out, off);
	peer_write_full(f->fd, out, 4 + off);
}

static void *fake_thread(void *arg)
{
	struct fake *f = arg;
	uint32_t len;
	uint8_t *m;

	while ((m = peer_read_frame(f->fd, &len))) {
		answer(f, m, len);
		free(m);
	}
	return NULL;
}

struct rig {
	struct fake f;
	struct smbiov_client *c;
};

static void rig_start(struct rig *g)
{
	g->c = peer_client(&g->f.fd, 5000);
	T_ASSERT(pthread_create(&g->f.th, NULL, fake_thread, &g->f) == 0);
}

static void rig_stop(struct rig *g)
{
	peer_client_stop(g->c);
	pthread_join(g->f.th, NULL);
	close(g->f.fd);
}

/* A chain of @n entries (name, value) in @b, 4-aligned; its length. */
static size_t chain(uint8_t *b, const char *const (*e)[2], unsigned n)
{
	size_t off = 0, at;

	for (unsigned i = 0; i < n; i++) {
		at = off;
		off += (size_t)smb2_full_ea_encode(b + at, 256, e[i][0],
						   strlen(e[i][0]), e[i][1],
						   strlen(e[i][1]));
		if (i + 1 < n) {
			while (off % 4)
				b[off++] = 0;
			le32_put(b + at, (uint32_t)(off - at));
		}
	}
	return off;
}

static void test_samba_style(void)
{
	static const char *const e[][2] = {
		{"A", "1"}, {"Color", "blue"}, {"gone", ""}, {"zz", "last"}};
	static uint8_t buf[512];
	struct qreply s[8];
	struct rig g = {.f = {.script = s, .nscript = 8}};
	char v[16], list[64];
	size_t len = chain(buf, e, 4);

	for (int i = 0; i < 8; i++)
		s[i] = (struct qreply){0, buf, len, 0};
	rig_start(&g);
	T_EXPECT_EQ(smbiov_getxattr(g.c, "f", "COLOR", v, sizeof(v)), 4);
	T_EXPECT(!memcmp(v, "blue", 4));
	/* the name asked for went out as FILE_GET_EA_INFORMATION */
	T_EXPECT_EQ(g.f.asked_len[0], 11);
	T_EXPECT(g.f.asked[0][4] == 5 && !memcmp(g.f.asked[0] + 5, "COLOR", 6));
	T_EXPECT_EQ(smbiov_getxattr(g.c, "f", "color", NULL, 0), 4);
	T_EXPECT_EQ(smbiov_getxattr(g.c, "f", "color", v, 3), -ERANGE);
	/* an EA with an empty value is no EA */
	T_EXPECT_EQ(smbiov_getxattr(g.c, "f", "gone", v, sizeof(v)), -ENODATA);
	T_EXPECT_EQ(smbiov_listxattr(g.c, "f", NULL, 0), 11);
	T_EXPECT_EQ(smbiov_listxattr(g.c, "f", list, sizeof(list)), 11);
	T_EXPECT(!memcmp(list, "A\0Color\0zz\0", 11));
	T_EXPECT_EQ(g.f.asked_len[4], 0); /* a list asks for no name */
	T_EXPECT_EQ(smbiov_listxattr(g.c, "f", list, 10), -ERANGE);
	T_EXPECT_EQ(g.f.nset, 0);
	rig_stop(&g);
}

static void test_missing(void)
{
	static const char *const e[][2] = {{"nope", ""}};
	static uint8_t buf[64];
	struct qreply s[] = {
		{0, buf, chain(buf, e, 1), 0}, /* Windows: asked, empty */
		{STATUS_NO_EAS_ON_FILE, NULL, 0, 0},
		{STATUS_NO_EAS_ON_FILE, NULL, 0, 0},
		{STATUS_EAS_NOT_SUPPORTED_, NULL, 0, 0},
		{STATUS_EAS_NOT_SUPPORTED_, NULL, 0, 0},
	};
	struct rig g = {.f = {.script = s, .nscript = 5}};
	char v[8];

	rig_start(&g);
	T_EXPECT_EQ(smbiov_getxattr(g.c, "f", "nope", v, 8), -ENODATA);
	T_EXPECT_EQ(smbiov_getxattr(g.c, "f", "nope", v, 8), -ENODATA);
	T_EXPECT_EQ(smbiov_listxattr(g.c, "f", NULL, 0), 0);
	T_EXPECT_EQ(smbiov_getxattr(g.c, "f", "x", v, 8), -EOPNOTSUPP);
	T_EXPECT_EQ(smbiov_setxattr(g.c, "f", "x", "1", 1, SMBIOV_XATTR_CREATE),
		    -EOPNOTSUPP);
	T_EXPECT_EQ(g.f.nset, 0);
	rig_stop(&g);
}

static void test_overflow(void)
{
	static const char *const e[][2] = {{"k", "v"}};
	static uint8_t buf[64];
	struct qreply s[] = {
		{STATUS_BUFFER_OVERFLOW, NULL, 0, 0},
		{0, buf, chain(buf, e, 1), 0},
		{STATUS_BUFFER_OVERFLOW, NULL, 0, 0},
		{STATUS_BUFFER_OVERFLOW, NULL, 0, 0},
	};
	struct rig g = {.f = {.script = s, .nscript = 4}};
	char list[8];

	rig_start(&g);
	T_EXPECT_EQ(smbiov_listxattr(g.c, "f", list, sizeof(list)), 2);
	T_EXPECT_EQ(g.f.nquery, 2);
	/* first one maximal EA, then the larger buffer (the peer's 1 MiB) */
	T_EXPECT_EQ(g.f.outlen[0], SMB2_FULL_EA_MAX + 8);
	T_EXPECT_EQ(g.f.outlen[1], 1u << 20);
	/* still too large: once more only, then E2BIG */
	T_EXPECT_EQ(smbiov_listxattr(g.c, "f", list, sizeof(list)), -E2BIG);
	T_EXPECT_EQ(g.f.nquery, 4);
	rig_stop(&g);
}

static void test_malformed(void)
{
	static uint8_t back[64], nonul[64];
	struct qreply s[] = {
		{0, back, 0, 0},
		{0, nonul, 0, 0},
		{0, nonul, 0, 0},
		{0, back, 16,
		 SMB2_FULL_EA_MAX + 9}, /* claims more than asked */
	};
	struct rig g = {.f = {.script = s, .nscript = 4}};
	char v[8];

	/* two entries, the second pointing back at the first */
	s[0].len = (size_t)smb2_full_ea_encode(back, 64, "a", 1, "1", 1);
	le32_put(back, 12);
	smb2_full_ea_encode(back + 12, 52, "b", 1, "2", 1);
	le32_put(back + 12, 0xFFFFFFF4u);
	s[0].len = 24;
	s[1].len = (size_t)smb2_full_ea_encode(nonul, 64, "abc", 3, "x", 1);
	nonul[8 + 3] = 'Q';
	s[2].len = s[1].len;
	rig_start(&g);
	T_EXPECT_EQ(smbiov_listxattr(g.c, "f", NULL, 0), -EBADMSG);
	T_EXPECT_EQ(smbiov_getxattr(g.c, "f", "abc", v, 8), -EBADMSG);
	T_EXPECT_EQ(smbiov_listxattr(g.c, "f", NULL, 0), -EBADMSG);
	T_EXPECT_EQ(smbiov_listxattr(g.c, "f", NULL, 0), -EBADMSG);
	rig_stop(&g);
}

/* What the file layer heard (engine.h fs_path_changed). */
struct heard {
	unsigned n;
	char path[16];
	uint64_t off, len;
	bool resized;
};

static void heard_changed(void *fs, const char *path, uint64_t off,
			  uint64_t len, bool resized)
{
	struct heard *h = fs;

	h->n++;
	snprintf(h->path, sizeof(h->path), "%s", path);
	h->off = off;
	h->len = len;
	h->resized = resized;
}

static void test_set(void)
{
	static const char *const e[][2] = {{"have", "1"}};
	static uint8_t buf[64];
	struct qreply s[4];
	struct rig g = {.f = {.script = s, .nscript = 4}};
	char big[300];
	struct heard h = {0};

	for (int i = 0; i < 4; i++)
		s[i] = (struct qreply){0, buf, chain(buf, e, 1), 0};
	rig_start(&g);
	/* the file layer hears of each change: attributes only */
	g.c->fs = &h;
	g.c->fs_path_changed = heard_changed;
	T_EXPECT_EQ(smbiov_setxattr(g.c, "f", "new", "val", 3, 0), 0);
	T_EXPECT_EQ(h.n, 1);
	T_EXPECT(!strcmp(h.path, "f") && !h.off && !h.len && !h.resized);
	T_EXPECT_EQ(g.f.nquery, 0); /* no flags: no query */
	T_EXPECT_EQ(g.f.set_class, FSCC_FILE_FULL_EA_INFORMATION);
	T_EXPECT_EQ(g.f.set_len, 15);
	T_EXPECT(!memcmp(g.f.set, "\0\0\0\0\0\3\3\0new\0val", 15));
	/* checks that fail send no SET_INFO */
	T_EXPECT_EQ(
		smbiov_setxattr(g.c, "f", "HAVE", "2", 1, SMBIOV_XATTR_CREATE),
		-EEXIST);
	T_EXPECT_EQ(
		smbiov_setxattr(g.c, "f", "none", "2", 1, SMBIOV_XATTR_REPLACE),
		-ENODATA);
	T_EXPECT_EQ(smbiov_removexattr(g.c, "f", "none"), -ENODATA);
	T_EXPECT_EQ(g.f.nset, 1);
	T_EXPECT_EQ(h.n, 1); /* nothing changed */
	/* a remove that passes its check sends an empty value */
	T_EXPECT_EQ(smbiov_removexattr(g.c, "f", "have"), 0);
	T_EXPECT_EQ(g.f.nset, 2);
	T_EXPECT_EQ(h.n, 2);
	T_EXPECT_EQ(g.f.set_len, 13);
	T_EXPECT_EQ(le16_get(g.f.set + 6), 0);
	/* refused before anything is sent */
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	T_EXPECT_EQ(smbiov_setxattr(g.c, "f", big, "1", 1, 0), -ERANGE);
	T_EXPECT_EQ(smbiov_setxattr(g.c, "f", "", "1", 1, 0), -EINVAL);
	T_EXPECT_EQ(smbiov_setxattr(g.c, "f", "v", big, 65536, 0), -E2BIG);
	T_EXPECT_EQ(smbiov_setxattr(g.c, "f", "v", "1", 1, 3), -EINVAL);
	T_EXPECT_EQ(smbiov_getxattr(g.c, "f", "v", NULL, 4), -EINVAL);
	T_EXPECT_EQ(g.f.nset, 2);
	T_EXPECT_EQ(g.f.nquery, 4); /* CREATE, REPLACE, 2 removes */
	g.c->fs = NULL;
	rig_stop(&g);
}

int main(void)
{
	T_RUN(test_samba_style);
	T_RUN(test_missing);
	T_RUN(test_overflow);
	T_RUN(test_malformed);
	T_RUN(test_set);
	return t_done();
}
