// SPDX-License-Identifier: MIT
/*
 * Compound responses against a scripted server on a socketpair (MS-SMB2
 * 3.2.5.1.9): a READ that ends a compound lands straight in the
 * request's iterator (no payload copy), whether the server answers in
 * one message or splits the chain into one message per element; a
 * NextCommand that breaks the frame kills the connection cleanly; a
 * failed CREATE cascades; an error in the middle of a three-element
 * chain; a READ element longer than asked is drained and fails alone;
 * signed chains are verified element by element, the directly landed
 * READ after its data arrived (a bad signature fails that READ alone).
 */
#include "client/engine.h"
#include "crypto/sign.h"
#include "proto/le.h"
#include "proto/ntstatus.h"
#include "proto/rw.h"
#include "peer.h"
#include "t.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum mode {
	M_ONE,	     /* CREATE + READ in one message */
	M_SPLIT,     /* one message per element */
	M_BAD_NEXT,  /* unaligned NextCommand in the CREATE element */
	M_PAST_END,  /* NextCommand past the end of the frame */
	M_NO_CREATE, /* CREATE fails, the related READ with it */
	M_MID_ERROR, /* CREATE ok, QUERY_INFO fails, CLOSE ok */
	M_TOO_LONG,  /* READ DataLength larger than asked */
	M_PADDED,    /* READ data after 8 bytes of padding, tail after */
	M_BAD_SIG,   /* signed; the READ element's data altered after */
};

#define DATA_LEN 5000u
#define DATA	 0x5c

struct fake {
	int fd;
	pthread_t th;
	_Atomic int mode;
	bool sign; /* sign every element with @signer (MS-SMB2 3.3.4.1.1) */
	struct smb_signer signer;
};

static const uint8_t key[16] = "compound-key-16";

/*
 * Append one response element for @req to @m (at *@off, after the 4-byte
 * length prefix): header with @status, then @body. Elements that are
 * not @last are padded to 8 and linked by NextCommand.
 */
static void put_el(struct fake *f, uint8_t *m, size_t *off,
		   const struct smb2_hdr *req, uint32_t status,
		   const void *body, size_t blen, bool last)
{
	struct smb2_hdr h;
	size_t len = SMB2_HDR_SIZE + blen, start = *off;

	peer_rsp_hdr(&h, req, status);
	if (req->flags & SMB2_FLAGS_RELATED_OPERATIONS)
		h.flags |= SMB2_FLAGS_RELATED_OPERATIONS;
	if (!last)
		h.next_command = (uint32_t)(len + smb2_compound_pad(len));
	if (f->sign)
		h.flags |= SMB2_FLAGS_SIGNED;
	smb2_hdr_encode(m + 4 + *off, &h);
	memcpy(m + 4 + *off + SMB2_HDR_SIZE, body, blen);
	*off += len;
	if (!last) {
		memset(m + 4 + *off, 0, smb2_compound_pad(len));
		*off += smb2_compound_pad(len);
	}
	/* Each element is signed on its own, padding included (3.3.4.1.1). */
	if (f->sign)
		T_ASSERT(smb_signer_sign(&f->signer, m + 4 + start,
					 *off - start, NULL) == 0);
}

static void flush(struct fake *f, uint8_t *m, size_t *off)
{
	smb2_nbss_encode(m, *off);
	peer_write_full(f->fd, m, 4 + *off);
	*off = 0;
}

static size_t create_body(uint8_t *b)
{
	memset(b, 0, 89);
	le16_put(b, SMB2_CREATE_RSP_SIZE);
	le32_put(b + 4, 1);	    /* FILE_OPENED */
	le64_put(b + 48, DATA_LEN); /* EndOfFile */
	le64_put(b + 64, 0x1111);   /* FileId */
	le64_put(b + 72, 0x2222);
	return 89;
}

/* A READ body: DataOffset @doff, @dlen bytes of DATA, @tail zeros after. */
static size_t read_body(uint8_t *b, uint32_t doff, uint32_t dlen, uint32_t tail)
{
	size_t pad = doff - SMB2_READ_RSP_HDR_LEN;

	memset(b, 0, SMB2_READ_RSP_FIXED + pad);
	b[0] = SMB2_READ_RSP_SIZE;
	b[2] = (uint8_t)doff;
	le32_put(b + 4, dlen);
	memset(b + SMB2_READ_RSP_FIXED + pad, DATA, dlen);
	memset(b + SMB2_READ_RSP_FIXED + pad + dlen, 0, tail);
	return SMB2_READ_RSP_FIXED + pad + dlen + tail;
}

static const uint8_t err_body[9] = {SMB2_ERROR_RSP_SIZE};

/* Answer the chain in @msg according to the mode. */
static void answer(struct fake *f, const uint8_t *msg, size_t len)
{
	static uint8_t out[4 + 65536], b[16384];
	struct smb2_compound_iter it;
	struct smb2_hdr hs[8];
	size_t n = 0, off = 0, eoff, elen, bl;
	int mode = f->mode;

	smb2_compound_iter_init(&it, msg, len, 0);
	while (n < 8 && smb2_compound_next(&it, &eoff, &elen) == 1)
		T_ASSERT(smb2_hdr_decode(msg + eoff, elen, &hs[n++]) == 0);
	if (n == 1) {
		/* An ECHO (credit refill) or a lone request: plain success. */
		static const uint8_t echo[4] = {SMB2_ECHO_SIZE};

		put_el(f, out, &off, &hs[0], STATUS_SUCCESS, echo, 4, true);
		flush(f, out, &off);
		return;
	}
	switch (mode) {
	case M_ONE:
	case M_SPLIT:
	case M_BAD_NEXT:
	case M_PAST_END:
	case M_TOO_LONG:
	case M_PADDED:
	case M_BAD_SIG:
		bl = create_body(b);
		/* M_SPLIT: the server answers each element on its own. */
		put_el(f, out, &off, &hs[0], STATUS_SUCCESS, b, bl,
		       mode == M_SPLIT);
		if (mode == M_SPLIT)
			flush(f, out, &off);
		if (mode == M_BAD_NEXT)
			le32_put(out + 4 + SMB2_HDR_NEXT_COMMAND_OFF, 156);
		if (mode == M_PAST_END)
			le32_put(out + 4 + SMB2_HDR_NEXT_COMMAND_OFF, 60000);
		if (mode == M_PADDED)
			bl = read_body(b, SMB2_READ_RSP_HDR_LEN + 8, DATA_LEN,
				       13);
		else
			bl = read_body(b, SMB2_READ_RSP_HDR_LEN,
				       mode == M_TOO_LONG ? DATA_LEN + 1
							  : DATA_LEN,
				       0);
		put_el(f, out, &off, &hs[1], STATUS_SUCCESS, b, bl, true);
		if (mode == M_BAD_SIG)
			out[4 + off - 1] ^= 1; /* the last data byte */
		break;
	case M_NO_CREATE:
		put_el(f, out, &off, &hs[0], STATUS_OBJECT_NAME_NOT_FOUND,
		       err_body, sizeof(err_body), false);
		put_el(f, out, &off, &hs[1], STATUS_OBJECT_NAME_NOT_FOUND,
		       err_body, sizeof(err_body), true);
		break;
	case M_MID_ERROR:
		bl = create_body(b);
		put_el(f, out, &off, &hs[0], STATUS_SUCCESS, b, bl, false);
		put_el(f, out, &off, &hs[1], STATUS_ACCESS_DENIED, err_body,
		       sizeof(err_body), false);
		memset(b, 0, 60);
		b[0] = SMB2_CLOSE_RSP_SIZE;
		put_el(f, out, &off, &hs[2], STATUS_SUCCESS, b, 60, true);
		break;
	}
	flush(f, out, &off);
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

static struct smbiov_client *fake_start_ex(struct fake *f, int mode, bool sign)
{
	struct smbiov_client *c;

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->sign = sign;
	if (sign)
		T_ASSERT(smb_signer_init(&f->signer, SMB2_SIGN_AES_CMAC, key,
					 sizeof(key)) == 0);
	c = peer_client(&f->fd, 5000);
	T_ASSERT(pthread_create(&f->th, NULL, fake_thread, f) == 0);
	pthread_mutex_lock(&c->lock);
	if (sign) {
		/* What SESSION_SETUP would have set up: sign everything. */
		T_ASSERT(smb_signer_init(&c->tx_signer, SMB2_SIGN_AES_CMAC, key,
					 sizeof(key)) == 0);
		T_ASSERT(smb_signer_init(&c->rx_signer, SMB2_SIGN_AES_CMAC, key,
					 sizeof(key)) == 0);
		c->have_signer = true;
		c->signing = true;
	}
	pthread_mutex_unlock(&c->lock);
	return c;
}

static struct smbiov_client *fake_start(struct fake *f, int mode)
{
	return fake_start_ex(f, mode, false);
}

static void fake_stop(struct fake *f, struct smbiov_client *c)
{
	peer_client_stop(c);
	pthread_join(f->th, NULL);
	close(f->fd);
	if (f->sign)
		smb_signer_release(&f->signer);
}

/* Any request with a 4-byte body: the fake only looks at the headers. */
static const uint8_t dummy[4] = {4};
static const struct iovec dummy_vec = {(void *)dummy, sizeof(dummy)};

static void req(struct smb_req *r, uint16_t cmd)
{
	smb_req_init(r, cmd);
	r->body = &dummy_vec;
	r->nbody = 1;
	r->flags = SMB_REQ_QUIET;
}

/*
 * CREATE + READ of @want bytes into @buf; returns the compound's result
 * with the two requests' results in @cr/@rr and data_len in @got.
 */
static int open_read(struct smbiov_client *c, uint8_t *buf, uint32_t want,
		     int *cr, int *rr, uint32_t *got, size_t *left)
{
	struct smb_req create, rd, *reqs[2] = {&create, &rd};
	struct smbiov_iter it;
	int ret;

	req(&create, SMB2_CREATE);
	req(&rd, SMB2_READ);
	T_ASSERT(smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, buf, want) == 0);
	rd.dst = &it;
	rd.read_len = want;
	ret = smb_compound(c, reqs, 2);
	*cr = create.result;
	*rr = rd.result;
	*got = rd.data_len;
	*left = smbiov_iter_count(&it);
	smb_req_release(&create);
	smb_req_release(&rd);
	return ret;
}

static size_t count_data(const uint8_t *buf, size_t len)
{
	size_t k = 0;

	while (k < len && buf[k] == DATA)
		k++;
	return k;
}

static void direct_case(int mode, bool sign, bool copied)
{
	static uint8_t buf[2 * DATA_LEN];
	struct smbiov_stats s0, s1;
	struct fake f;
	struct smbiov_client *c = fake_start_ex(&f, mode, sign);
	int cr, rr;
	uint32_t got;
	size_t left;

	memset(buf, 0, sizeof(buf));
	smbiov_get_stats(c, &s0);
	T_EXPECT_EQ(open_read(c, buf, DATA_LEN + 100, &cr, &rr, &got, &left),
		    0);
	smbiov_get_stats(c, &s1);
	T_EXPECT_EQ(cr, 0);
	T_EXPECT_EQ(rr, 0);
	T_EXPECT_EQ(got, DATA_LEN);
	T_EXPECT_EQ(left, 100);
	T_EXPECT_EQ(count_data(buf, sizeof(buf)), DATA_LEN);
	/*
	 * Straight from the socket: not one byte copied; unless a signature
	 * must cover a tail after the data (then the element is buffered).
	 */
	T_EXPECT_EQ(s1.payload_copied - s0.payload_copied,
		    copied ? DATA_LEN : 0);
	T_EXPECT_EQ(s1.payload_received - s0.payload_received, DATA_LEN);
	/* The stream is still in step: the same again. */
	memset(buf, 0, sizeof(buf));
	T_EXPECT_EQ(open_read(c, buf, DATA_LEN, &cr, &rr, &got, &left), 0);
	T_EXPECT_EQ(rr, 0);
	T_EXPECT_EQ(got, DATA_LEN);
	T_EXPECT_EQ(count_data(buf, sizeof(buf)), DATA_LEN);
	fake_stop(&f, c);
}

static void test_one_message(void)
{
	direct_case(M_ONE, false, false);
}

static void test_split(void)
{
	direct_case(M_SPLIT, false, false);
}

static void test_padded(void)
{
	direct_case(M_PADDED, false, false);
}

/* Signed: each element verified; the READ's after its data landed. */
static void test_signed(void)
{
	direct_case(M_ONE, true, false);
	direct_case(M_SPLIT, true, false);
	/* A tail after the data: the MAC needs it, the element is buffered. */
	direct_case(M_PADDED, true, true);
}

/* A READ element whose data was altered: only that request fails. */
static void test_bad_sig(void)
{
	static uint8_t buf[DATA_LEN];
	struct fake f;
	struct smbiov_client *c = fake_start_ex(&f, M_BAD_SIG, true);
	int cr, rr;
	uint32_t got;
	size_t left;

	T_EXPECT_EQ(open_read(c, buf, DATA_LEN, &cr, &rr, &got, &left), 0);
	T_EXPECT_EQ(cr, 0);
	T_EXPECT_EQ(rr, -EKEYREJECTED);
	/* The buffer was written but is not declared valid. */
	T_EXPECT_EQ(got, 0);
	T_EXPECT_EQ(left, DATA_LEN);
	T_EXPECT_EQ(c->dead, 0);
	T_EXPECT_EQ(smb_echo(c), 0);
	fake_stop(&f, c);
}

static void bad_frame_case(int mode)
{
	static uint8_t buf[DATA_LEN];
	struct fake f;
	struct smbiov_client *c = fake_start(&f, mode);
	int cr, rr;
	uint32_t got;
	size_t left;

	T_EXPECT_EQ(open_read(c, buf, DATA_LEN, &cr, &rr, &got, &left), 0);
	/* The frame can't be walked: the connection is gone, both fail. */
	T_EXPECT(cr < 0);
	T_EXPECT(rr < 0);
	T_EXPECT_EQ(got, 0);
	T_EXPECT_EQ(left, DATA_LEN);
	T_EXPECT(c->dead != 0);
	T_EXPECT(smb_echo(c) < 0);
	fake_stop(&f, c);
}

static void test_bad_next(void)
{
	bad_frame_case(M_BAD_NEXT);
}

static void test_past_end(void)
{
	bad_frame_case(M_PAST_END);
}

static void test_no_create(void)
{
	static uint8_t buf[DATA_LEN];
	struct fake f;
	struct smbiov_client *c = fake_start(&f, M_NO_CREATE);
	int cr, rr;
	uint32_t got;
	size_t left;

	T_EXPECT_EQ(open_read(c, buf, DATA_LEN, &cr, &rr, &got, &left), 0);
	T_EXPECT_EQ(cr, -ENOENT);
	T_EXPECT_EQ(rr, -ENOENT);
	T_EXPECT_EQ(got, 0);
	T_EXPECT_EQ(left, DATA_LEN);
	T_EXPECT_EQ(smb_echo(c), 0);
	fake_stop(&f, c);
}

static void test_mid_error(void)
{
	struct smb_req cr, qi, cl, *reqs[3] = {&cr, &qi, &cl};
	struct fake f;
	struct smbiov_client *c = fake_start(&f, M_MID_ERROR);

	req(&cr, SMB2_CREATE);
	req(&qi, SMB2_QUERY_INFO);
	req(&cl, SMB2_CLOSE);
	T_EXPECT_EQ(smb_compound(c, reqs, 3), 0);
	T_EXPECT_EQ(cr.result, 0);
	T_EXPECT_EQ(qi.result, -EACCES);
	T_EXPECT_EQ(qi.status, STATUS_ACCESS_DENIED);
	T_EXPECT_EQ(cl.result, 0);
	T_EXPECT(cr.rsp && cr.rsp_len >= SMB2_HDR_SIZE + 88);
	smb_req_release(&cr);
	smb_req_release(&qi);
	smb_req_release(&cl);
	T_EXPECT_EQ(smb_echo(c), 0);
	fake_stop(&f, c);
}

/* A READ element with more data than asked: drained, fails alone. */
static void test_too_long(void)
{
	static uint8_t buf[DATA_LEN + 1];
	struct fake f;
	struct smbiov_client *c = fake_start(&f, M_TOO_LONG);
	int cr, rr;
	uint32_t got;
	size_t left;

	T_EXPECT_EQ(open_read(c, buf, DATA_LEN, &cr, &rr, &got, &left), 0);
	T_EXPECT_EQ(cr, 0);
	T_EXPECT(rr < 0);
	T_EXPECT_EQ(got, 0);
	T_EXPECT_EQ(left, DATA_LEN);
	T_EXPECT_EQ(c->dead, 0);
	T_EXPECT_EQ(smb_echo(c), 0);
	fake_stop(&f, c);
}

int main(void)
{
	T_RUN(test_one_message);
	T_RUN(test_split);
	T_RUN(test_padded);
	T_RUN(test_signed);
	T_RUN(test_bad_sig);
	T_RUN(test_bad_next);
	T_RUN(test_past_end);
	T_RUN(test_no_create);
	T_RUN(test_mid_error);
	T_RUN(test_too_long);
	return t_done();
}
