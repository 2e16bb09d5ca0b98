/* SPDX-License-Identifier: MIT */
/*
 * Allocated ranges and SEEK_DATA/SEEK_HOLE (client/sparse.c, fs/sparse.c)
 * against a scripted server on a socketpair. The server knows the file's
 * size and its data ranges and answers FSCTL_QUERY_ALLOCATED_RANGES from
 * them, after a script of replies each case sets:
 *   - adjacent ranges merged, ranges clipped to the range asked;
 *   - STATUS_BUFFER_OVERFLOW (Windows: a reply cut short) goes on from
 *     the end of its last range;
 *   - STATUS_BUFFER_TOO_SMALL with nothing in it (Samba) asks again
 *     about a sixteenth of the range, then moves on window by window;
 *   - malformed replies: cut short without a range, cut short at a range
 *     behind the one asked (it would never end), ranges out of order;
 *   - a server without the FSCTL: -EOPNOTSUPP, and SEEK_DATA/SEEK_HOLE
 *     then take the whole file as data;
 *   - SEEK_DATA and SEEK_HOLE at, before, inside and after data, at and
 *     past the end of file (-ENXIO), over several replies.
 */
#include "client/file.h"
#include "client/sparse.h"
#include "peer.h"
#include "proto/info.h"
#include "proto/ioctl.h"
#include "proto/le.h"
#include "proto/ntstatus.h"
#include "proto/sparse.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB ((uint64_t)1 << 20)

struct step {
	uint32_t status;
	unsigned n;
	uint64_t r[4][2];
};

struct fake {
	int fd;
	pthread_t th;
	uint64_t size;
	unsigned ndata;
	uint64_t data[8][2]; /* the file's data ranges */
	const struct step *script;
	unsigned nscript;
	unsigned nioctl;       /* FSCTLs asked */
	uint64_t asked[32][2]; /* their (offset, length) */
	unsigned batch;	       /* most ranges in a model reply (0: all) */
};

static void reply_ranges(struct fake *f, const struct smb2_hdr *h,
			 uint32_t status, const uint64_t (*r)[2], unsigned n)
{
	uint8_t b[SMB2_IOCTL_RSP_FIXED + 16 * 8];

	memset(b, 0, sizeof(b));
	le16_put(b, SMB2_IOCTL_RSP_SIZE);
	le32_put(b + 4, FSCTL_QUERY_ALLOCATED_RANGES);
	le32_put(b + 32, n ? SMB2_HDR_SIZE + SMB2_IOCTL_RSP_FIXED : 0);
	le32_put(b + 36, 16 * n);
	for (unsigned i = 0; i < n; i++) {
		le64_put(b + SMB2_IOCTL_RSP_FIXED + 16 * i, r[i][0]);
		le64_put(b + SMB2_IOCTL_RSP_FIXED + 16 * i + 8, r[i][1]);
	}
	peer_reply(f->fd, h, status, b, SMB2_IOCTL_RSP_FIXED + 16 * n, NULL, 0);
}

/* The model: the file's data ranges within [off, off + len), clipped. */
static void qar_model(struct fake *f, const struct smb2_hdr *h, uint64_t off,
		      uint64_t len)
{
	uint64_t r[8][2];
	unsigned n = 0;

	for (unsigned i = 0; i < f->ndata; i++) {
		uint64_t s = f->data[i][0], e = s + f->data[i][1];

		s = s < off ? off : s;
		e = e > off + len ? off + len : e;
		e = e > f->size ? f->size : e;
		if (s >= e)
			continue;
		if (f->batch && n == f->batch) {
			reply_ranges(f, h, STATUS_BUFFER_OVERFLOW,
				     (const uint64_t(*)[2])r, n);
			return;
		}
		r[n][0] = s;
		r[n++][1] = e - s;
	}
	reply_ranges(f, h, STATUS_SUCCESS, (const uint64_t(*)[2])r, n);
}

static void handle(void *arg, const uint8_t *m, uint32_t len,
		   const struct smb2_hdr *h)
{
	struct fake *f = arg;
	uint8_t b[SMB2_QUERY_INFO_RSP_FIXED + 100];
	uint64_t off, l;
	unsigned k;

	if (h->command == SMB2_QUERY_INFO) {
		/* FileAllInformation: only EndOfFile matters here */
		memset(b, 0, sizeof(b));
		le16_put(b, SMB2_QUERY_INFO_RSP_SIZE);
		le16_put(b + 2, SMB2_HDR_SIZE + SMB2_QUERY_INFO_RSP_FIXED);
		le32_put(b + 4, 100);
		le64_put(b + SMB2_QUERY_INFO_RSP_FIXED + 48, f->size);
		peer_reply(f->fd, h, STATUS_SUCCESS, b, sizeof(b), NULL, 0);
		return;
	}
	if (h->command != SMB2_IOCTL || len < 120 + 16) {
		peer_reply_error(f->fd, h, STATUS_NOT_SUPPORTED);
		return;
	}
	off = le64_get(m + 120); /* the input, at InputOffset 120 */
	l = le64_get(m + 128);
	k = f->nioctl++;
	if (k < 32) {
		f->asked[k][0] = off;
		f->asked[k][1] = l;
	}
	if (k >= f->nscript) {
		qar_model(f, h, off, l);
		return;
	}
	if (f->script[k].status == STATUS_BUFFER_TOO_SMALL ||
	    f->script[k].status == STATUS_INVALID_DEVICE_REQUEST)
		peer_reply_error(f->fd, h, f->script[k].status);
	else
		reply_ranges(f, h, f->script[k].status,
			     (const uint64_t(*)[2])f->script[k].r,
			     f->script[k].n);
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
	struct smbiov_file file;
};

static void rig_start(struct rig *g)
{
	g->c = peer_client(&g->f.fd, 5000);
	memset(&g->file, 0, sizeof(g->file));
	g->file.c = g->c;
	g->file.fid.persistent = 0x51;
	g->file.fid.volatile_id = 0x52;
	T_ASSERT(pthread_create(&g->f.th, NULL, fake_thread, &g->f) == 0);
}

static void rig_stop(struct rig *g)
{
	peer_client_stop(g->c);
	pthread_join(g->f.th, NULL);
	close(g->f.fd);
}

static void test_merge_clip(void)
{
	static const struct step s[] = {
		{0, 3, {{0, 4096}, {4096, 4096}, {65536, 100000}}},
		{0, 2, {{0, 20000}, {40000, MIB}}},
	};
	struct rig g = {.f = {.script = s, .nscript = 2}};
	struct smbiov_range r[4];

	rig_start(&g);
	T_EXPECT_EQ(smb_allocated_ranges(&g.file, 0, MIB, r, 4), 2);
	T_EXPECT(r[0].offset == 0 && r[0].length == 8192);
	T_EXPECT(r[1].offset == 65536 && r[1].length == 100000);
	T_EXPECT_EQ(smb_allocated_ranges(&g.file, 10000, 50000, r, 4), 2);
	T_EXPECT(r[0].offset == 10000 && r[0].length == 10000);
	T_EXPECT(r[1].offset == 40000 && r[1].length == 20000);
	T_EXPECT(g.f.asked[1][0] == 10000 && g.f.asked[1][1] == 50000);
	rig_stop(&g);
}

static void test_overflow(void)
{
	static const struct step s[] = {
		{STATUS_BUFFER_OVERFLOW, 1, {{0, 4096}}},
		{0, 1, {{8192, 4096}}},
	};
	struct rig g = {.f = {.script = s, .nscript = 2}};
	struct smbiov_range r[4];

	rig_start(&g);
	T_EXPECT_EQ(smb_allocated_ranges(&g.file, 0, MIB, r, 4), 2);
	T_EXPECT_EQ(g.f.nioctl, 2);
	/* the second asks from the end of the first reply's last range */
	T_EXPECT(g.f.asked[1][0] == 4096 && g.f.asked[1][1] == MIB - 4096);
	T_EXPECT(r[1].offset == 8192 && r[1].length == 4096);
	rig_stop(&g);
}

static void test_too_small(void)
{
	static const struct step s[] = {{STATUS_BUFFER_TOO_SMALL, 0, {{0}}}};
	struct rig g = {.f = {.script = s, .nscript = 1, .size = 64 * MIB}};
	struct smbiov_range r[4];

	g.f.ndata = 1;
	g.f.data[0][0] = 5 * MIB;
	g.f.data[0][1] = 1;
	rig_start(&g);
	T_EXPECT_EQ(smb_allocated_ranges(&g.file, 0, 32 * MIB, r, 4), 1);
	T_EXPECT(r[0].offset == 5 * MIB && r[0].length == 1);
	/* 32 MiB refused, then 16 windows of 2 MiB */
	T_EXPECT_EQ(g.f.nioctl, 17);
	T_EXPECT(g.f.asked[1][0] == 0 && g.f.asked[1][1] == 2 * MIB);
	T_EXPECT(g.f.asked[16][0] == 30 * MIB && g.f.asked[16][1] == 2 * MIB);
	rig_stop(&g);
}

static void test_bad_replies(void)
{
	static const struct step s[] = {
		{STATUS_BUFFER_OVERFLOW, 1, {{0, 4096}}}, /* behind 8192 */
		{STATUS_BUFFER_OVERFLOW, 0, {{0}}},	  /* cut, nothing */
		{0, 2, {{8192, 1}, {0, 1}}},		  /* descending */
		{0, 1, {{(uint64_t)1 << 63, 1}}},	  /* negative */
		{STATUS_INVALID_DEVICE_REQUEST, 0, {{0}}},
	};
	struct rig g = {.f = {.script = s, .nscript = 5}};
	struct smbiov_range r[4];

	rig_start(&g);
	T_EXPECT_EQ(smb_allocated_ranges(&g.file, 8192, MIB, r, 4), -EPROTO);
	T_EXPECT_EQ(smb_allocated_ranges(&g.file, 0, MIB, r, 4), -EPROTO);
	T_EXPECT_EQ(smb_allocated_ranges(&g.file, 0, MIB, r, 4), -EBADMSG);
	T_EXPECT_EQ(smb_allocated_ranges(&g.file, 0, MIB, r, 4), -EBADMSG);
	T_EXPECT_EQ(smb_allocated_ranges(&g.file, 0, MIB, r, 4), -EOPNOTSUPP);
	/* arguments */
	T_EXPECT_EQ(smb_allocated_ranges(&g.file, 0, 0, r, 4), -EINVAL);
	T_EXPECT_EQ(smb_allocated_ranges(&g.file, INT64_MAX, 1, r, 4), -EINVAL);
	T_EXPECT_EQ(g.f.nioctl, 5);
	rig_stop(&g);
}

static void test_seek(void)
{
	struct rig g = {.f = {.size = MIB + 100}};

	/* data [0, 4096), [8192, 12288), [1 MiB, 1 MiB + 100) */
	g.f.ndata = 3;
	g.f.data[0][1] = 4096;
	g.f.data[1][0] = 8192;
	g.f.data[1][1] = 4096;
	g.f.data[2][0] = MIB;
	g.f.data[2][1] = 100;
	rig_start(&g);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 0, SEEK_DATA), 0);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 100, SEEK_DATA), 100);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 4096, SEEK_DATA), 8192);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 12288, SEEK_DATA), MIB);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 0, SEEK_HOLE), 4096);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 5000, SEEK_HOLE), 5000);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 8192, SEEK_HOLE), 12288);
	/* the end of file is a hole */
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, MIB, SEEK_HOLE), MIB + 100);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, MIB + 100, SEEK_HOLE),
		    -ENXIO);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, MIB + 100, SEEK_DATA),
		    -ENXIO);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, UINT64_MAX, SEEK_DATA),
		    -ENXIO);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 0, SEEK_SET), -EINVAL);
	/* only holes after: ENXIO for data */
	g.f.size = 3 * MIB;
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, MIB + 100, SEEK_DATA),
		    -ENXIO);
	/* ranges over several replies: one range per reply */
	g.f.batch = 1;
	g.f.data[0][1] = 8192; /* [0, 12288) in two adjacent pieces */
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 0, SEEK_HOLE), 12288);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 12288, SEEK_DATA), MIB);
	rig_stop(&g);
}

static void test_seek_unsupported(void)
{
	static const struct step s[] = {
		{STATUS_INVALID_DEVICE_REQUEST, 0, {{0}}},
		{STATUS_INVALID_DEVICE_REQUEST, 0, {{0}}},
	};
	struct rig g = {.f = {.script = s, .nscript = 2, .size = 5000}};

	rig_start(&g);
	/* all of it is data, as Linux says of a file system without holes */
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 10, SEEK_DATA), 10);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 10, SEEK_HOLE), 5000);
	T_EXPECT_EQ(smbiov_seek_data_hole(&g.file, 5000, SEEK_HOLE), -ENXIO);
	rig_stop(&g);
}

int main(void)
{
	T_RUN(test_merge_clip);
	T_RUN(test_overflow);
	T_RUN(test_too_small);
	T_RUN(test_bad_replies);
	T_RUN(test_seek);
	T_RUN(test_seek_unsupported);
	return t_done();
}
