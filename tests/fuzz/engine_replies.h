/* SPDX-License-Identifier: MIT */
/*
 * fuzz_engine's scripted server, the part that is not the input's: its
 * limits and configuration bits (fuzz_engine.c's header comment), the
 * state of one input, and the well-formed template replies
 * (engine_replies.c) that the input's ops then change (fuzz_engine.c).
 */
#ifndef SMBIOV_FUZZ_ENGINE_REPLIES_H
#define SMBIOV_FUZZ_ENGINE_REPLIES_H

#include "proto/create.h"
#include "proto/smb2.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_DIALS   4 /* the first connection and three reconnects */
#define MAX_INTERIM 4 /* interim replies per request */
#define MAX_RAW	    4096
#define IO_MAX	    (200u << 10)
#define SESSION_ID  0x1122334455667788ull
#define TREE_ID	    5u
#define FILE_SIZE   (1u << 20)
#define FILETIME    0x01d8000000000000ull

/* configuration bits (header comment) */
#define C0_AUTH	     0x08
#define C0_RAW_NTLM  0x10
#define C0_CACHED    0x20
#define C0_COMPOUNDS 0x40
#define C0_RC_LONG   0x80
#define C1_AIO	     0x04
#define C1_NO_MTU    0x08
#define C1_NO_LEASE  0x10
#define C1_BIG	     0x20

/* One fuzz input's state, shared by the client side and the peers. */
struct fz_state {
	pthread_mutex_t lock;
	const uint8_t *in;
	size_t len, pos;
	uint8_t cfg[2];
	unsigned ndial;
	pthread_t peers[MAX_DIALS];
	uint64_t next_fid;
	struct smb2_fileid last_fid;
	uint8_t lease_key[SMB2_LEASE_KEY_SIZE];
};

extern struct fz_state fz;

/* One connection's server end. */
struct peer {
	int fd;
	unsigned ss_round; /* SESSION_SETUPs seen: odd ones get CHALLENGE */
};

/* One reply being built: header and body, room for compound padding. */
struct reply {
	uint8_t *m;
	size_t len, cap;
};

/* Room for @len bytes of message (the contents kept). */
void reply_size(struct reply *r, size_t len);
/* DataOffset 80, DataLength @n, the file's bytes from @off. */
void read_data(struct reply *r, const struct smb2_hdr *h, uint64_t off,
	       uint32_t n);
/* The template reply to the element @e (header @q) into @r. */
void build(struct peer *p, const struct smb2_hdr *q, const uint8_t *e,
	   size_t elen, struct reply *r);

#endif
