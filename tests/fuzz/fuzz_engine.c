// SPDX-License-Identifier: MIT
/*
 * The whole engine against a server whose every reply comes from the
 * fuzzer's input (issue 15). The public path: smbiov_connect() (TCP,
 * NEGOTIATE, SESSION_SETUP in two rounds, TREE_CONNECT), open, pwrite,
 * pread, aio write and read, fstat, close, and as the input chooses a
 * cached open (lease, durable handle v2, the page cache, fsync) and the
 * one-round-trip compounds (read_file, write_file, stat); then
 * smbiov_disconnect(). Lost connections come back through reconnect.c.
 *
 * The dial: smb_tcp_connect() is wrapped at link time
 * (-Wl,--wrap=smb_tcp_connect, tests/CMakeLists.txt), so the first
 * connection and every reconnect (reestablish()) get a socketpair whose
 * other end a peer thread serves; after MAX_DIALS dials a dial is
 * refused. reconnect_ms is 40 (one try, no backoff sleep) or, by the
 * input, 120 (a second try after 50 ms); timeout_ms 200, keepalive off.
 *
 * The peer answers every request with a well-formed reply built from a
 * template (NEGOTIATE, SESSION_SETUP: NTLMSSP CHALLENGE then success,
 * TREE_CONNECT, CREATE with the lease and DH2Q contexts asked for, READ
 * with the bytes asked for, WRITE, CLOSE, FLUSH, QUERY_INFO, ECHO, break
 * acknowledgements, LOGOFF, TREE_DISCONNECT; anything else
 * STATUS_NOT_SUPPORTED) and lets the input change it.
 *
 * Input: two configuration bytes, then the ops of each reply, consumed in
 * the order the peer builds replies. An exhausted input reads as zeros:
 * plain template replies, so a short input still runs a whole session.
 *   byte 0: bits 0-2 dialect (0 3.1.1, 1 3.0.2, 2 3.0, 3 2.1, 4 2.0.2,
 *           5-7 3.1.1); bit 3 an authenticated session instead of a guest
 *           one; bit 4 the CHALLENGE as raw NTLMSSP (no SPNEGO); bit 5 a
 *           cached open; bit 6 the compound calls; bit 7 reconnect_ms 120
 *   byte 1: bits 0-1 the I/O size (1000, 65636, 200000, 5 bytes); bit 2
 *           aio; bit 3 no LARGE_MTU; bit 4 no LEASING; bit 5 1 MiB
 *           Max*Size instead of 64 KiB
 *   op:     bits 0-3 enum op, bits 4-6 a parameter, bit 7 another op for
 *           the same reply follows. Ops may read bytes of their own.
 * A reply that comes out as an interim one (STATUS_PENDING with
 * ASYNC_COMMAND) is sent and the request answered again (at most
 * MAX_INTERIM times), so no op leaves a request waiting on its own,
 * except OP_DROP and ops that change the framing: those wait for the
 * 200 ms timeout.
 *
 * Signing: a mutated reply cannot be signed by a peer that has no session
 * key, and NTLM's key depends on the client's random challenge and
 * random session key. The client checks signatures only when the session
 * signs (the server requires it, or the options do) and on FORCE_SIGN
 * requests: the 3.1.1 TREE_CONNECT of a session with a key (MS-SMB2
 * 3.2.4.1.1) and 3.0/3.0.2's VALIDATE_NEGOTIATE. So the NEGOTIATE never
 * sets SIGNING_REQUIRED, and by default the session is a GUEST one (no
 * key: nothing signed or sealed on any dialect, so every dialect reaches
 * the file calls and reconnect). Bit 3 of byte 0 gives an authenticated
 * session instead: the session key, key derivation and the signers are
 * set up; it completes on 2.0.2 and 2.1, where nothing is signed unless
 * required, and on 3.x fails at the signed TREE_CONNECT or
 * VALIDATE_NEGOTIATE (error paths, kept). Encryption needs keys too: the
 * templates never ask for it (an op may, which the client refuses).
 *
 * What the target found in the library (all fixed; the reproducers are
 * in the replayed corpus): tests/fuzz/corpus/engine-findings/README.
 * FUZZ_ENGINE_TRACE=1 prints each request the peer answers and each
 * call's result (how gen_corpus_engine.py's seeds were written).
 */
#include "auth/spnego.h"
#include "engine_replies.h"
#include "client/reconnect.h"
#include "proto/create.h"
#include "proto/le.h"
#include "proto/negotiate.h"
#include "proto/ntstatus.h"
#include "proto/oplock.h"
#include "proto/rw.h"
#include "proto/session.h"
#include "proto/tree.h"
#include "peer.h"
#include "transport/transport.h"

#include <smbiov/smbiov.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum op {
	OP_PLAIN,
	OP_STATUS,	/* a status from status_tab (p 7: 4 input bytes) */
	OP_CREDITS,	/* credits granted: 1 input byte (p != 0: 2) */
	OP_TRUNC,	/* the message cut to a 2-byte length */
	OP_POKE,	/* 1 << (p & 3) bytes at a 2-byte offset */
	OP_FLAGS,	/* header flags toggled */
	OP_INTERIM,	/* an interim reply first, granting p credits */
	OP_EXTRA,	/* another message after it (enum extra) */
	OP_CLOSE,	/* no reply: the connection closed */
	OP_CLOSE_AFTER, /* the reply, then the connection closed */
	OP_RAW_BODY,	/* the body replaced by input bytes */
	OP_RAW_MSG,	/* the whole message from input bytes */
	OP_COUNT,	/* READ data length, WRITE Count, CREATE EndOfFile */
	OP_SPLIT,	/* a compound's replies as separate messages */
	OP_DROP,	/* p 7: no reply at all (the request times out) */
	OP_NBSS,	/* the frame length off by a signed byte */
};

enum extra {
	EX_DUP,	      /* the same reply again */
	EX_NEXT_MID,  /* the reply with the next MessageId */
	EX_FAR_MID,   /* the reply with a MessageId never used */
	EX_OPLOCK,    /* an oplock break for the last FileId */
	EX_LEASE,     /* a lease break for the last lease key */
	EX_UNSOL,     /* an ECHO with the unsolicited MessageId */
	EX_INTERIM,   /* an interim reply for the next MessageId */
	EX_TRANSFORM, /* a TRANSFORM_HEADER frame (nothing is sealed) */
};

static const uint32_t status_tab[] = {
	STATUS_SUCCESS,
	STATUS_PENDING,
	STATUS_MORE_PROCESSING_REQUIRED,
	STATUS_BUFFER_OVERFLOW,
	STATUS_END_OF_FILE,
	STATUS_ACCESS_DENIED,
	STATUS_OBJECT_NAME_NOT_FOUND,
	STATUS_INVALID_PARAMETER,
	STATUS_NETWORK_NAME_DELETED,
	STATUS_FILE_CLOSED,
	STATUS_INSUFFICIENT_RESOURCES,
	STATUS_NOT_SUPPORTED,
	STATUS_CANCELLED,
	STATUS_LOGON_FAILURE,
	STATUS_INVALID_HANDLE,
	STATUS_DISK_FULL,
	STATUS_IO_TIMEOUT,
	STATUS_USER_SESSION_DELETED,
	STATUS_NETWORK_SESSION_EXPIRED,
	STATUS_INVALID_NETWORK_RESPONSE,
};

/* (engine_replies.h) */
struct fz_state fz = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* FUZZ_ENGINE_TRACE set: requests and results on stderr (writing seeds). */
static bool trace;

/* What the ops asked for besides changing the reply's bytes. */
struct fx {
	int interim; /* -1, or credits the interim reply grants */
	int extra;   /* -1, or enum extra */
	int nbss_delta;
	bool close_now, close_after, split, drop;
};

static uint8_t in_u8(void)
{
	uint8_t v = 0;

	pthread_mutex_lock(&fz.lock);
	if (fz.pos < fz.len)
		v = fz.in[fz.pos++];
	pthread_mutex_unlock(&fz.lock);
	return v;
}

/* Where the input is read next (for the trace). */
static size_t in_pos(void)
{
	size_t pos;

	pthread_mutex_lock(&fz.lock);
	pos = fz.pos;
	pthread_mutex_unlock(&fz.lock);
	return pos;
}

/* @n (1..8) input bytes, little-endian */
static uint64_t in_le(unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)in_u8() << (8 * i);
	return v;
}

/* Up to @n input bytes into @dst; how many there were. */
static size_t in_bytes(uint8_t *dst, size_t n)
{
	pthread_mutex_lock(&fz.lock);
	if (n > fz.len - fz.pos)
		n = fz.len - fz.pos;
	memcpy(dst, fz.in + fz.pos, n);
	fz.pos += n;
	pthread_mutex_unlock(&fz.lock);
	return n;
}

static bool is_error(uint32_t status)
{
	return (status >> 30) == 3 && status != STATUS_MORE_PROCESSING_REQUIRED;
}

/* OP_COUNT: the command's length field, with the data to match (p odd: not). */
static void op_count(struct reply *r, const struct smb2_hdr *q, unsigned p)
{
	uint8_t *b = r->m + SMB2_HDR_SIZE;
	uint32_t v = (uint32_t)in_le(3);
	struct smb2_hdr h;

	if (r->len < SMB2_HDR_SIZE + 16)
		return;
	switch (q->command) {
	case SMB2_READ:
		if (p & 1 || smb2_hdr_decode(r->m, r->len, &h)) {
			le32_put(b + 4, v);
			return;
		}
		read_data(r, &h, 0, v % (2 * IO_MAX));
		return;
	case SMB2_WRITE:
		le32_put(b + 4, v);
		return;
	case SMB2_CREATE:
		if (r->len >= SMB2_HDR_SIZE + SMB2_CREATE_RSP_FIXED)
			le64_put(b + 48, v);
		return;
	}
}

/* Apply the input's ops for one reply. */
static void apply_ops(struct reply *r, const struct smb2_hdr *q, struct fx *fx)
{
	static const uint32_t flag_map[8] = {
		SMB2_FLAGS_ASYNC_COMMAND,    SMB2_FLAGS_RELATED_OPERATIONS,
		SMB2_FLAGS_SIGNED,	     SMB2_FLAGS_SERVER_TO_REDIR,
		SMB2_FLAGS_REPLAY_OPERATION, SMB2_FLAGS_DFS_OPERATIONS,
		SMB2_FLAGS_PRIORITY_MASK,    0x80000000u,
	};
	uint8_t op;

	do {
		unsigned p;
		size_t n;
		uint32_t v;

		op = in_u8();
		p = (op >> 4) & 7;
		switch ((enum op)(op & 15)) {
		case OP_PLAIN:
			break;
		case OP_STATUS:
			v = p == 7 ? (uint32_t)in_le(4)
				   : status_tab[in_u8() %
						(sizeof(status_tab) /
						 sizeof(status_tab[0]))];
			le32_put(r->m + 8, v);
			if (is_error(v) && !(p & 1)) {
				reply_size(r, SMB2_HDR_SIZE + 9);
				memset(r->m + SMB2_HDR_SIZE, 0, 9);
				r->m[SMB2_HDR_SIZE] = 9;
			}
			break;
		case OP_CREDITS:
			le16_put(r->m + 14, (uint16_t)in_le(p ? 2 : 1));
			break;
		case OP_TRUNC:
			n = (size_t)in_le(2);
			if (n < r->len)
				r->len = n;
			break;
		case OP_POKE: {
			size_t off = r->len ? (size_t)in_le(2) % r->len : 0;
			uint64_t x = in_le(8);

			for (unsigned i = 0; i < (1u << (p & 3)); i++)
				if (off + i < r->len)
					r->m[off + i] = (uint8_t)(x >> (8 * i));
			le64_put(r->m + 24, q->message_id);
			break;
		}
		case OP_FLAGS:
			v = le32_get(r->m + 16);
			for (unsigned i = 0, f = in_u8(); i < 8; i++)
				if (f & (1u << i))
					v ^= flag_map[i];
			le32_put(r->m + 16, v);
			if (v & SMB2_FLAGS_ASYNC_COMMAND)
				le64_put(r->m + 32, 0x7700 + q->message_id);
			break;
		case OP_INTERIM:
			fx->interim = (int)p;
			break;
		case OP_EXTRA:
			fx->extra = (int)p;
			break;
		case OP_CLOSE:
			fx->close_now = true;
			break;
		case OP_CLOSE_AFTER:
			fx->close_after = true;
			break;
		case OP_RAW_BODY:
			n = (size_t)in_le(2) % MAX_RAW;
			reply_size(r, SMB2_HDR_SIZE + n);
			r->len = SMB2_HDR_SIZE +
				 in_bytes(r->m + SMB2_HDR_SIZE, n);
			break;
		case OP_RAW_MSG:
			n = (size_t)in_le(2) % MAX_RAW;
			reply_size(r, n < SMB2_HDR_SIZE ? SMB2_HDR_SIZE : n);
			r->len = in_bytes(r->m, n);
			/* the id of the request, or the reply is only lost */
			le64_put(r->m + 24, q->message_id);
			break;
		case OP_COUNT:
			op_count(r, q, p);
			break;
		case OP_SPLIT:
			fx->split = true;
			break;
		case OP_DROP:
			fx->drop = p == 7;
			break;
		case OP_NBSS:
			fx->nbss_delta = (int8_t)in_u8();
			break;
		}
	} while (op & 0x80);
}

/* One NetBIOS frame around @m (its length off by @delta). */
static void send_frame(struct peer *p, const uint8_t *m, size_t len, int delta)
{
	long n = (long)len + delta;
	uint8_t nb[4];

	n = n < 0			  ? 0
	    : n > (long)SMB2_NBSS_MAX_LEN ? (long)SMB2_NBSS_MAX_LEN
					  : n;
	nb[0] = 0;
	nb[1] = (uint8_t)(n >> 16);
	nb[2] = (uint8_t)(n >> 8);
	nb[3] = (uint8_t)n;
	peer_write_full(p->fd, nb, 4);
	peer_write_full(p->fd, m, len);
}

/* A header-only message for @q's id + @mid_delta, built from @h. */
static void send_hdr_msg(struct peer *p, struct smb2_hdr *h, uint16_t cmd,
			 const uint8_t *body, size_t blen)
{
	uint8_t m[SMB2_HDR_SIZE + 64];

	h->command = cmd;
	h->flags |= SMB2_FLAGS_SERVER_TO_REDIR;
	smb2_hdr_encode(m, h);
	memcpy(m + SMB2_HDR_SIZE, body, blen);
	send_frame(p, m, SMB2_HDR_SIZE + blen, 0);
}

/* MS-SMB2 2.2.23.1 and 2.2.23.2: breaks the server starts itself. */
static void send_break(struct peer *p, bool lease)
{
	uint8_t b[SMB2_LEASE_BREAK_NOTIFY_FIXED];
	struct smb2_hdr h;

	memset(&h, 0, sizeof(h));
	memset(b, 0, sizeof(b));
	h.message_id = SMB2_UNSOLICITED_MESSAGE_ID;
	pthread_mutex_lock(&fz.lock);
	if (lease) {
		b[0] = SMB2_LEASE_BREAK_NOTIFY_FIXED;
		le16_put(b + 2, 2);		 /* NewEpoch */
		le32_put(b + 4, 1);		 /* ACK_REQUIRED */
		memcpy(b + 8, fz.lease_key, 16); /* LeaseKey */
		le32_put(b + 24, 7);		 /* CurrentLeaseState */
		pthread_mutex_unlock(&fz.lock);
		le32_put(b + 28, in_u8() & 7); /* NewLeaseState */
	} else {
		b[0] = 24;
		smb2_fileid_put(b + 8, &fz.last_fid);
		pthread_mutex_unlock(&fz.lock);
		b[2] = in_u8() & 1 ? SMB2_OPLOCK_LEVEL_II
				   : SMB2_OPLOCK_LEVEL_NONE;
	}
	send_hdr_msg(p, &h, SMB2_OPLOCK_BREAK, b, lease ? sizeof(b) : 24);
}

static void send_extra(struct peer *p, const struct reply *r,
		       const struct smb2_hdr *q, enum extra x)
{
	static const uint8_t echo[4] = {4};
	static const uint8_t interim[9] = {9};
	uint8_t *m;
	struct smb2_hdr h;

	switch (x) {
	case EX_DUP:
		send_frame(p, r->m, r->len, 0);
		return;
	case EX_NEXT_MID:
	case EX_FAR_MID:
		if (r->len < SMB2_HDR_SIZE)
			return;
		m = malloc(r->len);
		T_ASSERT(m);
		memcpy(m, r->m, r->len);
		le64_put(m + 24, q->message_id + (x == EX_NEXT_MID ? 1 : 1000));
		send_frame(p, m, r->len, 0);
		free(m);
		return;
	case EX_OPLOCK:
	case EX_LEASE:
		send_break(p, x == EX_LEASE);
		return;
	case EX_UNSOL:
		memset(&h, 0, sizeof(h));
		h.message_id = SMB2_UNSOLICITED_MESSAGE_ID;
		send_hdr_msg(p, &h, SMB2_ECHO, echo, sizeof(echo));
		return;
	case EX_INTERIM:
		peer_rsp_hdr(&h, q, STATUS_PENDING);
		h.message_id++;
		h.flags |= SMB2_FLAGS_ASYNC_COMMAND;
		h.async_id = 0x8800;
		send_hdr_msg(p, &h, q->command, interim, sizeof(interim));
		return;
	case EX_TRANSFORM: {
		uint8_t t[SMB2_HDR_SIZE + 52] = {0xfd, 'S', 'M', 'B'};

		le32_put(t + 36, SMB2_HDR_SIZE); /* OriginalMessageSize */
		le64_put(t + 44, SESSION_ID);
		send_frame(p, t, sizeof(t), 0);
		return;
	}
	}
}

/* MS-SMB2 3.3.4.2: STATUS_PENDING with an AsyncId, granting @credits. */
static void send_interim(struct peer *p, const struct smb2_hdr *q,
			 uint16_t credits)
{
	static const uint8_t body[9] = {9};
	struct smb2_hdr h;

	peer_rsp_hdr(&h, q, STATUS_PENDING);
	h.credits = credits;
	h.flags |= SMB2_FLAGS_ASYNC_COMMAND;
	h.async_id = 0x7700 + q->message_id;
	send_hdr_msg(p, &h, q->command, body, sizeof(body));
}

static bool reply_is_interim(const struct reply *r)
{
	return r->len >= SMB2_HDR_SIZE &&
	       le32_get(r->m + 8) == STATUS_PENDING &&
	       (le32_get(r->m + 16) & SMB2_FLAGS_ASYNC_COMMAND);
}

/*
 * Answer one request message (one or more compounded elements). Returns
 * false when the connection is to be closed.
 */
static bool answer(struct peer *p, const uint8_t *msg, size_t len)
{
	struct reply out[8], r = {0};
	struct smb2_compound_iter it;
	size_t off, elen, nout = 0, total = 0;
	bool split = false, close_after = false, ok = true;
	int delta = 0;

	if (smb2_proto_id(msg, len) != SMB2_PROTO_ID)
		return false; /* sealed: no keys here */
	smb2_compound_iter_init(&it, msg, len, 8);
	while (ok && smb2_compound_next(&it, &off, &elen) == 1) {
		struct smb2_hdr q;
		struct fx fx;

		if (smb2_hdr_decode(msg + off, elen, &q))
			return false;
		if (trace)
			fprintf(stderr,
				"fuzz_engine: peer %d: command %u id %llu, "
				"input at %zu\n",
				p->fd, q.command,
				(unsigned long long)q.message_id, in_pos());
		if (q.command == SMB2_CANCEL)
			continue;
		for (int i = 0;; i++) {
			memset(&fx, 0, sizeof(fx));
			fx.interim = fx.extra = -1;
			build(p, &q, msg + off, elen, &r);
			if (i < MAX_INTERIM)
				apply_ops(&r, &q, &fx);
			if (fx.close_now) {
				ok = false;
				break;
			}
			if (fx.interim >= 0)
				send_interim(p, &q, (uint16_t)fx.interim);
			if (fx.drop)
				break;
			if (!reply_is_interim(&r) || i >= MAX_INTERIM) {
				out[nout] = r;
				memset(&r, 0, sizeof(r));
				nout++;
				break;
			}
			send_frame(p, r.m, r.len, 0);
		}
		split |= fx.split;
		close_after |= fx.close_after;
		delta += fx.nbss_delta;
		if (ok && fx.extra >= 0 && nout)
			send_extra(p, &out[nout - 1], &q, (enum extra)fx.extra);
	}
	/* the finals: one compound, or each on its own */
	for (size_t i = 0; i < nout; i++) {
		if (i + 1 < nout && !split && out[i].len >= SMB2_HDR_SIZE) {
			int pad = smb2_compound_link(out[i].m, out[i].len);

			if (pad > 0) {
				memset(out[i].m + out[i].len, 0, (size_t)pad);
				out[i].len += (size_t)pad;
			}
		}
		total += out[i].len;
	}
	if (ok && nout && split) {
		for (size_t i = 0; i < nout; i++)
			send_frame(p, out[i].m, out[i].len, i ? 0 : delta);
	} else if (ok && nout) {
		uint8_t *m = malloc(total), *w = m;

		T_ASSERT(m);
		for (size_t i = 0; i < nout; i++) {
			memcpy(w, out[i].m, out[i].len);
			w += out[i].len;
		}
		send_frame(p, m, total, delta);
		free(m);
	}
	for (size_t i = 0; i < nout; i++)
		free(out[i].m);
	free(r.m);
	return ok && !close_after;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	uint8_t *m;
	uint32_t len;

	while ((m = peer_read_frame(p->fd, &len))) {
		bool go_on = answer(p, m, len);

		free(m);
		if (!go_on)
			break;
	}
	shutdown(p->fd, SHUT_RDWR);
	close(p->fd);
	free(p);
	return NULL;
}

int __wrap_smb_tcp_connect(const char *host, const char *port, int timeout_ms,
			   struct smb_transport **out);

/* Every dial of the engine (connect, reconnect) lands on a peer. */
int __wrap_smb_tcp_connect(const char *host, const char *port, int timeout_ms,
			   struct smb_transport **out)
{
	struct peer *p;
	int sv[2];

	(void)host;
	(void)port;
	pthread_mutex_lock(&fz.lock);
	if (fz.ndial >= MAX_DIALS ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		pthread_mutex_unlock(&fz.lock);
		return -ECONNREFUSED;
	}
	p = calloc(1, sizeof(*p));
	T_ASSERT(p);
	p->fd = sv[1];
	T_ASSERT(pthread_create(&fz.peers[fz.ndial], NULL, peer_main, p) == 0);
	fz.ndial++;
	pthread_mutex_unlock(&fz.lock);
	return smb_tcp_from_fd(sv[0], timeout_ms, out);
}

/* ---- the client ---------------------------------------------------------- */

static uint8_t wbuf[IO_MAX], rbuf[IO_MAX];

static void aio_done(void *arg, ssize_t res)
{
	(void)arg;
	(void)res;
}

static long long traced(const char *what, long long ret)
{
	if (trace)
		fprintf(stderr, "fuzz_engine: %-12s %lld\n", what, ret);
	return ret;
}

static void file_io(struct smbiov_client *c, struct smbiov_file *f, size_t n,
		    bool aio)
{
	struct smbiov_iter src, dst;
	struct smbiov_stat st;

	traced("pwrite", smbiov_pwrite(f, wbuf, n, 0));
	traced("pread", smbiov_pread(f, rbuf, n, 0));
	if (aio) {
		if (!smbiov_iter_ubuf(&src, SMBIOV_ITER_SOURCE, wbuf, n))
			traced("aio_write",
			       smbiov_aio_write(f, &src, n, aio_done, NULL));
		if (!smbiov_iter_ubuf(&dst, SMBIOV_ITER_DEST, rbuf, n))
			traced("aio_read",
			       smbiov_aio_read(f, &dst, n, aio_done, NULL));
		smbiov_aio_wait(c);
	}
	traced("fstat", smbiov_fstat(f, &st));
}

static void run_client(void)
{
	static const size_t sizes[4] = {1000, SMB2_MIN_MAX_SIZE + 100, IO_MAX,
					5};
	struct smbiov_open_opts cached = {.cache = SMBIOV_CACHE_STRICT};
	size_t n = sizes[fz.cfg[1] & 3];
	struct smbiov_options o;
	struct smbiov_client *c;
	struct smbiov_stats stats;
	struct smbiov_file *f;
	struct smbiov_iter it;
	struct smbiov_stat st;
	uint64_t size;

	memset(&o, 0, sizeof(o));
	o.password = "pw";
	o.timeout_ms = 200;
	o.keepalive_ms = -1;
	o.reconnect_ms = fz.cfg[0] & C0_RC_LONG ? 120 : 40;
	o.break_ack_ms = 50;
	o.cache_bytes = 4u << 20;
	if (traced("connect", smbiov_connect("smb://user@fuzz/share", &o, &c)))
		return;
	if (!traced("open",
		    smbiov_open(c, "dir/a.bin", O_RDWR | O_CREAT, &f))) {
		file_io(c, f, n, fz.cfg[1] & C1_AIO);
		traced("close", smbiov_close(f));
	}
	if ((fz.cfg[0] & C0_CACHED) &&
	    !traced("open_ex",
		    smbiov_open_ex(c, "b.bin", O_RDWR, &cached, &f))) {
		traced("pwrite", smbiov_pwrite(f, wbuf, n, 0));
		traced("pread", smbiov_pread(f, rbuf, n, 0));
		traced("fsync", smbiov_fsync(f));
		traced("close", smbiov_close(f));
	}
	if (fz.cfg[0] & C0_COMPOUNDS) {
		if (!smbiov_iter_ubuf(&it, SMBIOV_ITER_DEST, rbuf, 4096))
			traced("read_file",
			       smbiov_read_file(c, "c.txt", &it, &size));
		traced("write_file",
		       smbiov_write_file(c, "d.txt",
					 O_WRONLY | O_CREAT | O_TRUNC, wbuf,
					 3000));
		traced("stat", smbiov_stat(c, "e", &st));
	}
	smbiov_get_stats(c, &stats);
	traced("reconnects", (long long)stats.reconnects);
	traced("reopened", (long long)stats.handles_reopened);
	traced("state", smbiov_conn_state(c));
	smbiov_disconnect(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned n;

	pthread_mutex_lock(&fz.lock);
	fz.in = data;
	fz.len = size;
	fz.pos = 0;
	fz.ndial = 0;
	fz.next_fid = 0x100;
	memset(&fz.last_fid, 0, sizeof(fz.last_fid));
	memset(fz.lease_key, 0, sizeof(fz.lease_key));
	pthread_mutex_unlock(&fz.lock);
	trace = getenv("FUZZ_ENGINE_TRACE") != NULL;
	fz.cfg[0] = in_u8();
	fz.cfg[1] = in_u8();
	run_client();
	/* every transport is gone: each peer has seen its end close */
	pthread_mutex_lock(&fz.lock);
	n = fz.ndial;
	pthread_mutex_unlock(&fz.lock);
	for (unsigned i = 0; i < n; i++)
		pthread_join(fz.peers[i], NULL);
	return 0;
}
