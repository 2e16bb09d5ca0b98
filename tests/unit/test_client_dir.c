/* SPDX-License-Identifier: MIT */
/*
 * Directory listings (client/dir.c) against a scripted server on a
 * socketpair:
 *   - a listing in two batches, then STATUS_NO_MORE_FILES: every name,
 *     then the end. opendir asks CREATE + two QUERY_DIRECTORY + CLOSE in
 *     one compound: a directory of one batch is listed and closed in that
 *     one round trip; one of more batches is opened again without the
 *     CLOSE (CREATE + two QUERY_DIRECTORY) and listed on from there;
 *   - a server that answers every QUERY_DIRECTORY with the same batch (a
 *     broken resume), or cycles between two: the listing fails with
 *     -EPROTO after the names it has, within a bounded number of batches,
 *     instead of growing forever.
 */
#include "client/engine.h"
#include "peer.h"
#include "proto/dir.h"
#include "proto/le.h"
#include "proto/ntstatus.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum mode { M_TWO_THEN_END, M_ONE_THEN_END, M_SAME, M_CYCLE };

struct fake {
	int fd;
	pthread_t th;
	enum mode mode;
	unsigned nquery;   /* QUERY_DIRECTORY requests in all */
	unsigned pos;	   /* of them since the last CREATE (a new handle) */
	unsigned nrelated; /* elements sent related to the one before */
	unsigned nframes;  /* messages of the listing: round trips */
};

static void reply(struct fake *f, const struct smb2_hdr *req, uint32_t status,
		  const uint8_t *body, size_t blen)
{
	uint8_t m[4 + SMB2_HDR_SIZE];
	struct smb2_hdr h;

	peer_rsp_hdr(&h, req, status);
	smb2_hdr_encode(m + 4, &h);
	smb2_nbss_encode(m, SMB2_HDR_SIZE + blen);
	peer_write_full(f->fd, m, sizeof(m));
	peer_write_full(f->fd, body, blen);
}

/* One FileIdBothDirectoryInformation entry named @name (ASCII) at @p. */
static size_t entry(uint8_t *p, const char *name, bool last)
{
	size_t nl = strlen(name), len = FSCC_ID_BOTH_DIR_FIXED + 2 * nl;
	size_t next = (len + 7) & ~(size_t)7;

	memset(p, 0, next);
	le32_put(p, last ? 0 : (uint32_t)next);
	le64_put(p + 40, 1000 + nl); /* EndOfFile */
	le32_put(p + 56, 0x20);	     /* FILE_ATTRIBUTE_ARCHIVE */
	le32_put(p + 60, (uint32_t)(2 * nl));
	for (size_t i = 0; i < nl; i++)
		p[FSCC_ID_BOTH_DIR_FIXED + 2 * i] = (uint8_t)name[i];
	return last ? len : next;
}

/* A QUERY_DIRECTORY response body holding @names. */
static size_t batch(uint8_t *b, const char *const *names, unsigned n)
{
	size_t off = SMB2_QUERY_DIRECTORY_RSP_FIXED, len = 0;

	memset(b, 0, off);
	le16_put(b, SMB2_QUERY_DIRECTORY_RSP_SIZE);
	le16_put(b + 2, SMB2_HDR_SIZE + SMB2_QUERY_DIRECTORY_RSP_FIXED);
	for (unsigned i = 0; i < n; i++)
		len += entry(b + off + len, names[i], i + 1 == n);
	le32_put(b + 4, (uint32_t)len);
	return off + len;
}

static void handle(struct fake *f, const struct smb2_hdr *h)
{
	static const char *const first[] = {"alpha", "beta"};
	static const char *const second[] = {"gamma", "delta"};
	uint8_t b[4096];
	size_t n;

	switch (h->command) {
	case SMB2_CREATE:
		f->pos = 0;
		memset(b, 0, SMB2_CREATE_RSP_SIZE);
		le16_put(b, SMB2_CREATE_RSP_SIZE);
		le32_put(b + 4, 1);	/* FILE_OPENED */
		le32_put(b + 56, 0x10); /* a directory */
		le64_put(b + 64, 0x31); /* FileId */
		le64_put(b + 72, 0x32);
		reply(f, h, STATUS_SUCCESS, b, SMB2_CREATE_RSP_SIZE);
		return;
	case SMB2_QUERY_DIRECTORY:
		f->nquery++;
		f->pos++;
		if ((f->mode == M_TWO_THEN_END && f->pos > 2) ||
		    (f->mode == M_ONE_THEN_END && f->pos > 1)) {
			static const uint8_t err[9] = {9};

			reply(f, h, STATUS_NO_MORE_FILES, err, sizeof(err));
			return;
		}
		if (f->mode == M_SAME || (f->pos % 2))
			n = batch(b, first, 2);
		else
			n = batch(b, second, 2);
		reply(f, h, STATUS_SUCCESS, b, n);
		return;
	case SMB2_CLOSE:
		memset(b, 0, SMB2_CLOSE_RSP_SIZE);
		le16_put(b, SMB2_CLOSE_RSP_SIZE);
		reply(f, h, STATUS_SUCCESS, b, SMB2_CLOSE_RSP_SIZE);
		return;
	default:
		memset(b, 0, 4);
		b[0] = SMB2_ECHO_SIZE;
		reply(f, h, STATUS_SUCCESS, b, 4);
	}
}

static void *fake_thread(void *arg)
{
	struct fake *f = arg;

	for (;;) {
		struct smb2_compound_iter it;
		struct smb2_hdr h;
		size_t off, elen;
		uint32_t len;
		uint8_t *m = peer_read_frame(f->fd, &len);

		if (!m)
			break;
		/* a compound's elements are answered one message each */
		smb2_compound_iter_init(&it, m, len, 0);
		while (smb2_compound_next(&it, &off, &elen) == 1 &&
		       !smb2_hdr_decode(m + off, elen, &h)) {
			if (h.flags & SMB2_FLAGS_RELATED_OPERATIONS)
				f->nrelated++;
			/* the engine's own ECHO is not the listing's */
			if (off == 0 && h.command != SMB2_ECHO)
				f->nframes++;
			handle(f, &h);
		}
		free(m);
	}
	return NULL;
}

/*
 * List with @mode; the names seen are appended to @names (comma
 * separated). Returns readdir's final result (0 at the end); the fake's
 * counters in *@out.
 */
static int list(enum mode mode, char *names, size_t cap, struct fake *out)
{
	struct fake f = {.mode = mode};
	struct smbiov_client *c = peer_client(&f.fd, 5000);
	struct smbiov_dirent ent;
	struct smbiov_dir *d = NULL;
	int ret, calls = 0;

	T_ASSERT(pthread_create(&f.th, NULL, fake_thread, &f) == 0);
	names[0] = '\0';
	T_ASSERT(smbiov_opendir(c, "dir", &d) == 0);
	/* bounded: a listing that never ends fails this loop, not the box */
	while ((ret = smbiov_readdir(d, &ent)) == 1 && ++calls < 1000) {
		strncat(names, ent.name, cap - strlen(names) - 1);
		strncat(names, ",", cap - strlen(names) - 1);
	}
	smbiov_closedir(d);
	peer_client_stop(c);
	pthread_join(f.th, NULL);
	close(f.fd);
	*out = f;
	return ret;
}

static void test_listing_ends(void)
{
	char names[256];
	struct fake f;

	T_EXPECT_EQ(list(M_TWO_THEN_END, names, sizeof(names), &f), 0);
	T_EXPECT(!strcmp(names, "alpha,beta,gamma,delta,"));
	/*
	 * CREATE + 2 QUERY_DIRECTORY + CLOSE (the second was a batch: more
	 * may follow), CREATE + 2 QUERY_DIRECTORY, the third, the CLOSE
	 */
	T_EXPECT_EQ(f.nquery, 5);
	T_EXPECT_EQ(f.nrelated, 5);
	T_EXPECT_EQ(f.nframes, 4);
}

/*
 * A directory of one batch is listed to its end and closed in the opening
 * round trip (CREATE + QUERY_DIRECTORY + QUERY_DIRECTORY + CLOSE, the
 * second QUERY_DIRECTORY answered STATUS_NO_MORE_FILES): one message in
 * all, where opendir, two QUERY_DIRECTORY and closedir took four.
 */
static void test_one_batch_one_round_trip(void)
{
	char names[256];
	struct fake f;

	T_EXPECT_EQ(list(M_ONE_THEN_END, names, sizeof(names), &f), 0);
	T_EXPECT(!strcmp(names, "alpha,beta,"));
	T_EXPECT_EQ(f.nquery, 2);
	T_EXPECT_EQ(f.nframes, 1);
}

static void test_repeating_server_fails(void)
{
	char names[4096];
	struct smbiov_error e;
	struct fake f;

	/* the same batch again: the second one is refused */
	T_EXPECT_EQ(list(M_SAME, names, sizeof(names), &f), -EPROTO);
	T_EXPECT(!strcmp(names, "alpha,beta,"));
	T_EXPECT_EQ(f.nquery, 4); /* two in each opening compound */
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.err, -EPROTO);
	T_EXPECT(strstr(e.message, "repeats") != NULL);
	/* two batches in turn: the third is a repeat */
	T_EXPECT_EQ(list(M_CYCLE, names, sizeof(names), &f), -EPROTO);
	T_EXPECT(!strcmp(names, "alpha,beta,gamma,delta,"));
	T_EXPECT_EQ(f.nquery, 5);
}

int main(void)
{
	T_RUN(test_listing_ends);
	T_RUN(test_one_batch_one_round_trip);
	T_RUN(test_repeating_server_fails);
	return t_done();
}
