/* SPDX-License-Identifier: MIT */
/*
 * Reconnect: bringing a dead connection back on the next call
 * (reconnect.c), reopening the open files on it (reopen.c), and sending
 * again a request whose answer was lost (resend.c).
 */
#ifndef SMBIOV_CLIENT_RECONNECT_H
#define SMBIOV_CLIENT_RECONNECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "client/engine.h"

/* How long a reconnect keeps trying by default (smbiov_options). */
#define SMB_RECONNECT_MS 60000
/*
 * Requests are sent again while the connections make progress: not after
 * SMB_RESEND_TRIES new connections in a row died before answering
 * anything or taking SMB_RC_PROGRESS_BYTES of requests (a request that
 * kills its connection would loop for ever), and one request at most
 * SMB_RESEND_MAX times. Not a count per request alone: a request at the
 * end of a long queue may see several resets that each let the requests
 * before it through. Bytes too, not answers alone: cuts closer together
 * than a window of WRITEs (the CLI's 8 MiB, in 2 MiB pieces) may leave
 * every connection unanswered while each carries megabytes; such a
 * transfer gets through as the cuts stop, within SMB_RESEND_MAX.
 */
#define SMB_RESEND_TRIES      3
#define SMB_RC_PROGRESS_BYTES ((uint64_t)1 << 20)
/* A FAILED client's calls fail at once for so long after a try. */
#define SMB_RC_PAUSE_MS 2000
#define SMB_RESEND_MAX	32

struct smbiov_file;
struct smb2_fileid;

/* Keep what a new session needs (wiped by smb_rc_release()). */
int smb_rc_keep_creds(struct smbiov_client *c, const struct smbiov_options *o,
		      const char *port, const char *user, const char *domain);
void smb_rc_release(struct smbiov_client *c);

/*
 * @r's payload from its start again (e.src0/dst0/fd_off0, saved when its
 * body was kept): a send that failed part-way may have taken some of it.
 */
static inline void smb_rc_restart(struct smb_req *r)
{
	if (r->src)
		*r->src = r->e.src0;
	if (r->dst)
		*r->dst = r->e.dst0;
	r->fd_off = r->e.fd_off0;
}

/* May a request sent @tries times already go once more? */
bool smb_rc_may_resend(struct smbiov_client *c, unsigned tries);

/* This thread runs a reconnect (its requests are never resent). */
bool smb_rc_inside(void);
/*
 * How long a wait of @ms (<= 0: unbounded) may take: inside a reconnect,
 * no longer than what is left of its bound (reconnect_ms), so that one
 * try against a server that accepts and never answers cannot carry the
 * reconnect a whole timeout past it; elsewhere @ms.
 */
int smb_rc_timeout(int ms);
/*
 * The arithmetic of smb_rc_timeout(): @ms capped by what is left from
 * @now_ns to @until_ns (0: no bound), in whole ms rounded up, at least 1.
 */
int smb_rc_cap_ms(int ms, uint64_t now_ns, uint64_t until_ns);
/* @c is dead of a transport error and this thread may reconnect it. */
bool smb_rc_wanted(const struct smbiov_client *c);
/* The connection's generation: changes with every reconnect. */
uint64_t smb_rc_gen(const struct smbiov_client *c);

/**
 * smb_reconnect - bring @c back (unless done since generation @gen)
 *
 * Return: 0 (connected again, files reopened or marked stale), or
 * -ENOTCONN: it failed for good, as every later call will.
 */
int smb_reconnect(struct smbiov_client *c, uint64_t gen);

/*
 * After a request failed of a lost connection (generation @gen when it
 * was sent): reconnect unless another thread did or does; 0 when it may
 * be sent again (-ENOTCONN: it may not, or reconnecting failed).
 */
int smb_rc_resume(struct smbiov_client *c, uint64_t gen);
/* Did a request fail because the connection was lost? */
bool smb_rc_lost(int err);

/* The open files' list, walked by a reconnect (reopen.c). */
void smb_rc_file_add(struct smbiov_client *c, struct smbiov_file *f);
void smb_rc_file_del(struct smbiov_client *c, struct smbiov_file *f);
/*
 * A reconnect's new session is up: put every open file on it, or mark it
 * stale. 0, or the error that makes the reconnect start over (the new
 * connection died, or memory ran out: not the file's fault).
 */
int smb_rc_reopen_files(struct smbiov_client *c);

/*
 * A @command body being built (@len bytes at @body): a FileId there that
 * names a handle from before a reopen is made the new one, in @keep too
 * (the request's kept copy of its body, or NULL), so that a later resend
 * starts from it. -ESTALE when it names a file that could not be
 * reopened, else 0. A file remembers its last SMB_OLD_FIDS handles: a
 * synchronous request (no kept copy) resent across more reopens than
 * that fails with STATUS_FILE_CLOSED.
 */
#define SMB_OLD_FIDS 8
int smb_rc_patch_fid(struct smbiov_client *c, uint16_t command, uint8_t *body,
		     size_t len, uint8_t *keep);
/*
 * Under c->lock, a reconnect's reopen of @f: its handle is now *@fid (the
 * one it had is remembered), or, @fid NULL, it is lost (stale). From then
 * on smb_rc_patch_fid() checks every message. (Its own function for the
 * unit tests: test_client_rc_fid.)
 */
void smb_rc_file_reopened_locked(struct smbiov_client *c, struct smbiov_file *f,
				 const struct smb2_fileid *fid);

/*
 * Synchronous requests sent again: how many, how often so far. Where
 * each one's payload starts is kept in the request (r->e.src0 ...).
 */
struct smb_resend {
	size_t n;
	unsigned tries;
	bool gave_up; /* the reconnect they waited for failed */
};

/*
 * Under c->lock, from smb_conn_kill(): keep the asynchronous request @r,
 * caught by the connection's death (@err), to send it again; false when
 * it is not to be (it is then completed with @err as before).
 */
bool smb_rc_park_locked(struct smbiov_client *c, struct smb_req *r, int err);
/*
 * smb_submit() on a lost connection where this thread may not reconnect
 * (the receiver, running a done()): hand @r to the reviver, which sends
 * it once the connection is back. False when it may not be sent again.
 */
bool smb_rc_defer(struct smbiov_client *c, struct smb_req *r);
/* Start the reviver thread if requests wait to be sent again. */
void smb_rc_revive(struct smbiov_client *c);
/* Wait for the reviver (the client goes). */
void smb_rc_join(struct smbiov_client *c);
/*
 * smb_submit(): keep what it takes to send @r again (its body copied).
 * 0, or -ENOMEM.
 */
int smb_rc_keep_req(struct smbiov_client *c, struct smb_req *r);

void smb_resend_save(struct smb_resend *rs, struct smb_req **reqs, size_t n);
/*
 * After @reqs failed (@ret, or their results): if the connection was
 * lost and they may go again, reconnect and make them ready to resend.
 */
bool smb_resend_prepare(struct smbiov_client *c, struct smb_resend *rs,
			struct smb_req **reqs, int ret, uint64_t gen);

#endif
