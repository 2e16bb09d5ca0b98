/* SPDX-License-Identifier: MIT */
/*
 * The client engine: one connection (socket, credits, MessageId table,
 * receiver thread), one session and one tree per struct smbiov_client,
 * and the internal request API every file operation is built on
 * (DESIGN.md §1 "src/client/ owns concurrency", §3 data paths).
 *
 * A request is described by a struct smb_req: the command, its body
 * (everything after the 64-byte SMB2 header, which the engine writes),
 * an optional payload source iterator (WRITE data, sent from the caller's
 * memory in the same sendmsg) and an optional destination iterator for a
 * READ response's data (received straight into it with recvmsg when the
 * response is not sealed and is not followed by another compound element).
 * The engine assigns
 * MessageIds, charges and requests credits, signs or seals, matches the
 * response, verifies it and hands back a malloc'd copy of the response
 * element (header + body, never READ data).
 *
 * Threads: any number of threads may call smb_call()/smb_submit() on one
 * client at once. Completions of smb_submit() run on the receiver thread.
 *
 * Lifetimes: r->body is read before smb_call()/smb_submit()/smb_compound()
 * sends, i.e. before they return, and may live on the caller's stack.
 * r->src and r->dst (and the memory they describe) are borrowed until the
 * request completes; the engine never touches them afterwards, not on
 * timeout or connection loss (a timed-out wait lets the receiver finish
 * with a buffer it is writing into before the request is completed).
 */
#ifndef SMBIOV_CLIENT_ENGINE_H
#define SMBIOV_CLIENT_ENGINE_H

#include <smbiov/smbiov.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "client/credits.h"
#include "client/mid_table.h"
#include "crypto/preauth.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "proto/negotiate.h"
#include "proto/smb2.h"
#include "transport/transport.h"

/* ---- requests ------------------------------------------------------------ */

/* r->flags */
#define SMB_REQ_NO_SESSION 0x0001u /* SessionId 0 (NEGOTIATE) */
#define SMB_REQ_NO_TREE	   0x0002u /* TreeId 0 (session-level commands) */
#define SMB_REQ_NO_SIGN	   0x0004u /* never sign this one (internal) */
/*
 * Don't record the NTSTATUS of a failure in the thread's smbiov_last_error
 * (expected failures: probing, cleanup paths).
 */
#define SMB_REQ_QUIET 0x0008u
/* Fail with -EAGAIN instead of waiting when no credit is available. */
#define SMB_REQ_NOWAIT 0x0010u
/*
 * Sign this request and require a valid signature on its response even
 * when the session does not sign everything (VALIDATE_NEGOTIATE,
 * MS-SMB2 3.2.4.1.1 / 3.2.5.14.12). Needs a session signer.
 */
#define SMB_REQ_FORCE_SIGN 0x0020u
/*
 * Internal: on a credit shortfall with nothing in flight fail with
 * -ENOBUFS instead of asking for credits (the refill ECHO itself).
 */
#define SMB_REQ_NO_REFILL 0x0040u
/*
 * The payload is a local file descriptor, not an iterator (fdio.c): a
 * READ's data goes from the socket into @fd, a WRITE's @fd_len bytes from
 * @fd to the socket, by splice/sendfile. Only on a connection that neither
 * signs nor seals, and never in a compound (-EOPNOTSUPP / -EINVAL).
 */
#define SMB_REQ_FD 0x0080u
/* With SMB_REQ_FD: use @fd's own position (or a pipe), not @fd_off. */
#define SMB_REQ_FD_POS 0x0100u
/*
 * smb_submit() may hold this request back while another thread is
 * sending and let that thread send it, with whatever else queued up
 * meanwhile, as one compound of unrelated requests (submit.c). Only a
 * READ of at most SMB_BATCH_READ_MAX bytes into @dst qualifies, and its
 * @body must stay valid until @done runs (not only until smb_submit()
 * returns). The receiver thread never queues.
 */
#define SMB_REQ_BATCH 0x0200u

struct smb_req;

/**
 * struct smb_req - one SMB2 request and, after completion, its response
 * @command: SMB2_* command code
 * @flags: SMB_REQ_*
 * @hdr_flags: extra SMB2 header flags (e.g. SMB2_FLAGS_DFS_OPERATIONS,
 *	SMB2_FLAGS_REPLAY_OPERATION); the engine sets SIGNED and
 *	RELATED_OPERATIONS itself
 * @body: body vectors after the header (library or stack memory, small);
 *	read before the submitting call returns
 * @nbody: entries in @body
 * @src: payload sent right after the body (WRITE data), a SOURCE iterator,
 *	or NULL; advanced by what was sent. Borrowed until completion.
 * @dst: destination of a READ response's data, a DEST iterator, or NULL;
 *	advanced by @data_len. Borrowed until completion.
 * @read_len: the Length the READ asked for (DataLength is checked
 *	against it, MS-SMB2 3.2.5.12); required with @dst
 * @payload_len: bytes for the CreditCharge (MS-SMB2 3.2.4.1.5: the larger
 *	of the request payload and the expected response, e.g. a
 *	QUERY_DIRECTORY OutputBufferLength); 0: count(@src) or @read_len
 * @timeout_ms: 0: the client's timeout; < 0: none (blocking LOCK,
 *	CHANGE_NOTIFY); the wait restarts when an interim response arrives
 * @preauth: 3.1.1 session setup only: the engine chains the request bytes
 *	as sent into it (the caller chains the response, r->rsp)
 * @done: smb_submit() completion, run once on the receiver thread (or on
 *	the thread that notices the connection died, or on the sending
 *	thread when the answer came before its send returned: e.in_send).
 *	It must not block on the connection (no smb_call(), no credit
 *	wait); it may free @r's container after calling smb_req_release().
 * @priv: for @done
 *
 * Results (valid once complete):
 * @result: 0 when the final response has STATUS_SUCCESS; else a negative
 *	errno: the engine's (@status 0, @rsp NULL: -ETIMEDOUT, -ECONNRESET,
 *	-EKEYREJECTED bad signature, -EPROTO unsealed reply on a sealed
 *	session, -EBADMSG ...) or the server's NTSTATUS mapped by
 *	ntstatus_to_errno() (@status and @rsp set)
 * @status: NTSTATUS of the final response (0 if none arrived)
 * @rsp: malloc'd copy of the response element: SMB2 header + body (for a
 *	READ: header + 16-byte fixed part + padding, never the data);
 *	NULL if no response; freed by smb_req_release()
 * @rsp_len: bytes at @rsp
 * @data_len: READ bytes delivered into @dst (or @fd); with
 *	SMB_REQ_FD_POS also when the connection failed while the data was
 *	arriving: the bytes that reached @fd (a pipe cannot take them back)
 *
 * With SMB_REQ_FD, instead of @src/@dst:
 * @fd: the local descriptor; borrowed until completion
 * @fd_off: where in @fd (unless SMB_REQ_FD_POS); a READ advances it, a
 *	WRITE does not
 * @fd_len: WRITE: bytes to send from @fd
 * @fd_err: result: @fd's own failure (negative errno) or 0; then @result
 *	is that error too and the connection is still usable (the payload
 *	was drained, or padded with zeros: the server wrote zeros)
 * @e: engine-private state; zero it (smb_req_init()) and don't touch it
 */
struct smb_req {
	uint16_t command;
	uint32_t flags;
	uint32_t hdr_flags;
	const struct iovec *body;
	size_t nbody;
	struct smbiov_iter *src;
	struct smbiov_iter *dst;
	uint32_t read_len;
	uint32_t payload_len;
	int timeout_ms;
	struct smb2_preauth *preauth;
	void (*done)(struct smb_req *r);
	void *priv;

	int result;
	uint32_t status;
	uint8_t *rsp;
	size_t rsp_len;
	uint32_t data_len;

	int fd;
	off_t fd_off;
	uint32_t fd_len;
	int fd_err;

	struct {
		uint64_t mid;
		uint64_t async_id;
		uint16_t charge;
		bool interim;	/* STATUS_PENDING seen: async */
		bool receiving; /* the receiver is writing into @dst */
		bool complete;
		/*
		 * Senders inside smb_send_reqs() with this request (the
		 * submitter and the reviver's resend may overlap). The answer
		 * can arrive before the transport returns, and the transport
		 * still walks the payload iterator then (advancing it over
		 * the last bytes sent), whose segments done() may free: while
		 * any sender is in, done() is left to the last one out
		 * (@done_owed). Under c->lock.
		 */
		uint8_t in_send;
		bool done_owed;
		bool sync;		  /* a thread waits on @cv */
		pthread_cond_t *cv;	  /* that thread's condvar */
		struct timespec deadline; /* CLOCK_MONOTONIC; 0: none */
		uint64_t sent_ns;	  /* ns, when it took its MessageId */
		struct smb_mid_node node; /* MessageId table linkage */
		/*
		 * Reconnect (resend.c): the iterators and fd offset before
		 * sending and the times sent again; smb_submit() only: the
		 * body as submitted (its caller's memory may be gone) and the
		 * link in the client's list of requests to send again.
		 */
		uint8_t *body_copy;
		struct iovec body_vec;
		struct smbiov_iter src0, dst0;
		off_t fd_off0;
		uint8_t resent;
		struct smb_req *replay_next;
		/* submit.c: the link in c's queue, and whether it is in it */
		struct smb_req *bq_next;
		bool queued;
		struct smbiov_client *c;
		/*
		 * The reconnect generation (rc_gen) of the connection its
		 * last send met, as take_credits() let it go (under
		 * c->lock): what a failure of that connection asks
		 * smb_rc_resume() to reconnect from (never older than the
		 * caller's own reading before the send).
		 */
		uint64_t rc_gen;
	} e;
};

/**
 * smb_req_init - zero @r and set its command
 * @r: request (caller memory: stack, or inside an async context)
 * @command: SMB2_* command
 */
void smb_req_init(struct smb_req *r, uint16_t command);

/**
 * smb_req_release - free what a completed request holds (@r->rsp)
 * @r: request; may be called more than once; @r itself is not freed
 */
void smb_req_release(struct smb_req *r);

/**
 * smb_call - send one request and wait for its final response
 * @c: connected client
 * @r: request, initialised with smb_req_init() and filled in
 *
 * Waits for credit (MS-SMB2 3.2.4.1.5), sends, and waits through interim
 * STATUS_PENDING responses (3.2.5.1.5) for the final one, at most the
 * request's timeout; a timeout kills the connection (-ETIMEDOUT here and
 * for every other pending request) because the server's view of the
 * MessageId window is then unknown.
 * Returns @r->result: 0, -ECHILD (called in a forked child: the socket is
 * not touched), the connection's error once it is dead, or as described
 * for @result. On failure the thread's smbiov_last_error() is set (phase
 * IO) unless SMB_REQ_QUIET. Call smb_req_release() afterwards.
 */
int smb_call(struct smbiov_client *c, struct smb_req *r);

/**
 * smb_submit - send one request; @r->done runs when it completes
 * @c: connected client
 * @r: request with @done set; it and its @src/@dst must stay valid until
 *	@done has run
 *
 * Returns 0 once sent (then @done runs exactly once), or a negative errno
 * (not sent, @done will not run): -ECHILD, -EAGAIN (SMB_REQ_NOWAIT and no
 * credit), -EINVAL, -ENOMEM, the connection's error.
 */
int smb_submit(struct smbiov_client *c, struct smb_req *r);

/**
 * smb_compound - send related requests in one message and wait for all
 * @c: connected client
 * @reqs: 1..SMB_COMPOUND_MAX requests; the 2nd and later are sent with
 *	SMB2_FLAGS_RELATED_OPERATIONS (MS-SMB2 3.2.4.1.4), so their FileId
 *	fields should be 0xFFFFFFFFFFFFFFFF:0xFFFFFFFFFFFFFFFF to use the
 *	handle the first one creates. Only the last may have @src. A @dst
 *	of the last request is filled straight from the socket when the
 *	response is plain (not sealed); any other @dst is filled by copying
 *	from the buffered response (counted in payload_copied). @done is
 *	ignored.
 * @n: number of requests
 *
 * Every element is signed on its own (covering its padding); a sealed
 * session seals the whole chain in one transform. The server may answer
 * in one message or several; each request completes on its own.
 * Returns 0 when all were sent and all have completed (look at each
 * @result: a failed CREATE makes the following related ones fail with
 * the same status), or a negative errno when sending failed (then every
 * request has that @result).
 */
#define SMB_COMPOUND_MAX 8
int smb_compound(struct smbiov_client *c, struct smb_req **reqs, size_t n);

/* ---- batching (submit.c) ------------------------------------------------ */

/* The largest READ that may wait for a batch (one credit's worth). */
#define SMB_BATCH_READ_MAX 65536u

/*
 * Requests in flight (credits charged) from which the sender yields once
 * before it takes the queue, so that the threads with further reads can
 * queue them (submit.c).
 */
#define SMB_BATCH_YIELD_MIN 4u

/* @r is still waiting in the queue (not sent yet). */
bool smb_bq_queued(struct smbiov_client *c, const struct smb_req *r);
/* Whether the sender yields with @in_flight credits charged (submit.c). */
bool smb_bq_should_yield(uint32_t in_flight);

/**
 * smb_call_pipelined - send requests one message each, back to back, and
 * wait for all
 * @c: connected client
 * @reqs: requests as for smb_call(); sent in this order without waiting
 *	for a response in between (unrelated: no compound, no shared
 *	handle), so the whole costs one round trip
 * @n: number of requests, at least 1
 *
 * Returns 0 when every request was sent (each one's own outcome is in its
 * @result), or the error that stopped sending: the requests from the
 * failed one on get it as @result, those already sent are waited for.
 */
int smb_call_pipelined(struct smbiov_client *c, struct smb_req **reqs,
		       size_t n);

/**
 * smb_cancel - ask the server to cancel a request still in flight
 * @c: client
 * @r: a submitted, not yet completed request (async or not)
 *
 * Sends SMB2 CANCEL (MS-SMB2 3.2.4.24): no credit, no response. The
 * request still completes normally (usually STATUS_CANCELLED).
 * Returns 0, -EALREADY (already complete), or a send error.
 */
int smb_cancel(struct smbiov_client *c, struct smb_req *r);

/*
 * Linkage of an asynchronous file operation (io.c) in its client's list of
 * live ones, under the client's lock; a circular list with a head.
 */
struct smb_aio_link {
	struct smb_aio_link *prev, *next;
};

/* The largest frame accepted before NEGOTIATE set the real limit. */
#define SMB_INITIAL_MAX_FRAME (SMB2_MIN_MAX_SIZE + 4096)

/* ---- client state ---------------------------------------------------------
 * Fields marked "fixed" do not change after smbiov_connect() returned and
 * may be read without a lock by other modules.
 */
struct smb_leases;

struct smbiov_client {
	pid_t pid;	/* fixed: getpid() at connect */
	int timeout_ms; /* fixed */

	/* connection */
	/* one sender (under send_lock) and the receiver thread share it */
	struct smb_transport *t;
	/*
	 * The transport moves bytes to and from a file descriptor itself
	 * (recv_to_fd, send_from_fd): set with @t (smb_set_transport()),
	 * kept while a reconnect has none, so a sender can plan a request
	 * without @t (NULL between connections, freed by a failed reconnect).
	 */
	_Atomic bool t_fd_ok;
	char *host;  /* fixed */
	char *share; /* fixed: share name */
	char *unc;   /* fixed: \\host\share */
	struct smb2_negotiate_req offer;
	struct smb2_preauth preauth; /* Connection.PreauthIntegrityHashValue */

	/* negotiated: fixed */
	uint16_t dialect;
	uint16_t server_security_mode;
	uint32_t server_caps;
	uint8_t server_guid[SMB2_GUID_SIZE];
	uint32_t max_read;
	uint32_t max_write;
	uint32_t max_transact;
	uint16_t cipher;      /* SMB2_ENCRYPTION_*, 0 = none negotiated */
	uint16_t signing_alg; /* SMB2_SIGNING_* */

	/* session and tree: fixed */
	uint64_t session_id;
	uint16_t session_flags;
	uint32_t tree_id;
	uint8_t share_type;
	uint32_t share_flags;
	uint32_t share_caps;
	uint32_t maximal_access;

	/*
	 * Security state. Set while connecting, before anything else can
	 * run concurrently; afterwards fixed. One signer/sealer per
	 * direction: OpenSSL contexts are not shared between the sender
	 * (under send_lock) and the receiver thread.
	 */
	bool signing; /* sign requests, require signed responses */
	bool sealing; /* seal requests, require sealed responses */
	bool have_signer;
	bool have_sealer;
	struct smb_signer tx_signer;
	struct smb_signer rx_signer;
	struct smb_sealer tx_sealer;
	struct smb_sealer rx_sealer;

	/* engine */
	pthread_mutex_t lock; /* table, credits, next_mid, dead, stats */
	pthread_cond_t credit_cv;
	/*
	 * Credits asked for by smb_credit_refill() and not yet granted: no
	 * second ECHO goes out while one is on its way (under @lock).
	 */
	bool refilling;
	pthread_mutex_t send_lock; /* one message on the wire at a time */
	/*
	 * SMB_REQ_BATCH requests held back while a thread is sending
	 * (submit.c): @bq_busy says a thread is in smb_submit()'s send and
	 * will send everything queued before it returns.
	 */
	pthread_mutex_t bq_lock;
	struct smb_req *bq_head, **bq_tail;
	bool bq_busy;
	struct smb_credits credits;
	struct smb_mid_table table; /* pending requests by MessageId */
	uint32_t max_frame;	    /* largest frame accepted from the server */
	int dead; /* 0, or the error that ended the connection */
	bool closing;
	bool rx_started;
	pthread_t rx_thread;
	/* The receiver is inside a frame (receiver thread only). */
	bool rx_in_frame;

	/*
	 * Deadline watchdog: a thread that sleeps until the earliest deadline
	 * of an asynchronous request (synchronous callers watch their own in
	 * smb_wait()) and kills the connection when one passes. The receiver
	 * cannot do it: its socket waits are bounded by the transport's
	 * timeout, not by the nearest deadline. Under @lock.
	 */
	pthread_cond_t wd_cv;
	struct timespec wd_until; /* what the watchdog sleeps until; 0: idle */
	bool wd_started;
	pthread_t wd_thread;

	/*
	 * Asynchronous file I/O not yet completed (io.c: counted from
	 * submission until after the caller's done() returned);
	 * smbiov_aio_wait() sleeps on @aio_cv until it is 0. Under @lock.
	 */
	size_t aio_pending;
	pthread_cond_t aio_cv;
	/*
	 * The asynchronous file operations not yet finished (io.c: from
	 * submission until their done() returned), for smbiov_aio_cancel();
	 * it waits on @aio_cv too. Under @lock.
	 */
	struct smb_aio_link aio_ops;

	/*
	 * Keepalive (MS-SMB2 3.2.4.14): the watchdog sends an ECHO when
	 * nothing was sent or completed for @keepalive_ms (<= 0: off) and
	 * nothing is in flight; one at a time (@ka_busy, @ka_req). Under
	 * @lock; @ka_last is the last send or completion (CLOCK_MONOTONIC).
	 */
	int keepalive_ms;
	bool ka_busy;
	struct timespec ka_last;
	struct smb_req ka_req;

	/*
	 * Unsolicited OPLOCK_BREAK handler (MS-SMB2 3.2.5.19): runs on the
	 * receiver thread with the whole (verified) element; NULL: ignored.
	 */
	void (*on_break)(struct smbiov_client *c, const uint8_t *msg,
			 size_t len, void *arg);
	void *on_break_arg;
	/* Leases of open files and their break worker (lease.c), lazily. */
	struct smb_leases *leases;
	/*
	 * The file layer's state for this connection (src/fs: the page
	 * cache's memory budget), made on first use under @lock and freed
	 * by @fs_release when the client goes. @cache_bytes: its limit
	 * (smbiov_options.cache_bytes; 0: the default).
	 */
	void *fs;
	void (*fs_release)(void *fs);
	/* ...and its files' last CLOSEs, sent before LOGOFF (disconnect). */
	void (*fs_shutdown)(void *fs);
	/*
	 * A delete or rename of @path (or under it) is about to be sent:
	 * files the layer keeps open there (deferred close) go first.
	 */
	void (*fs_path_busy)(void *fs, const char *path);
	/*
	 * A call by path wrote [@off, @off + @len) of @path, or, @resized,
	 * set its size to @off: the layer's opens of it take that in.
	 */
	void (*fs_path_changed)(void *fs, const char *path, uint64_t off,
				uint64_t len, bool resized);
	size_t cache_bytes;
	int close_timeout_ms; /* smbiov_options.close_timeout_ms */
	int break_ack_ms;     /* smbiov_options.break_ack_ms */

	/*
	 * Reconnect (reconnect.c). @rc_ms: how long one reconnect keeps
	 * trying (<= 0: off). What a new session needs, kept for the
	 * client's life and wiped with it: @rc_opts (pointers cleared),
	 * port, user, domain, password. One reconnect at a time (@rc_lock,
	 * taken before @lock); @rc_gen counts them; @rc_state is an enum
	 * smbiov_conn_state. While @rc_busy (under @lock) other threads'
	 * requests wait in take_credits(). @files: the open files (under
	 * @lock; removed under @rc_lock too), reopened by a reconnect.
	 * @prev_session_id: PreviousSessionId of the next SESSION_SETUP.
	 * @guid_set: @offer.client_guid is this client's for good.
	 */
	_Atomic int rc_ms;
	/*
	 * Which transport @t is (changed under @lock and @send_lock when a
	 * reconnect drops one): a sender that took its credits on an older
	 * one must not put its message on the new.
	 */
	uint64_t conn_gen;
	pthread_mutex_t rc_lock;
	/*
	 * Asynchronous requests the connection's death caught, waiting to
	 * be sent again by the reviver thread (resend.c). Under @lock.
	 */
	struct smb_req *replay;
	bool reviver_running;
	bool reviver_started; /* joinable */
	pthread_t reviver;
	_Atomic uint64_t rc_gen;
	_Atomic int rc_state;
	bool rc_busy;
	/*
	 * A reopen gave a file another handle or lost it (set under @lock
	 * as it does, before @rc_busy lets requests go): FileIds of the
	 * messages built from then on are checked (smb_rc_patch_fid()).
	 */
	_Atomic bool rc_fids_moved;
	_Atomic int rc_err;	       /* why the last try failed (FAILED) */
	_Atomic uint64_t rc_failed_ns; /* when (smb_now_ns()) */
	/* ...in words, for the calls that fail of it (under @lock) */
	char rc_why[128];
	/*
	 * Progress between reconnects (smb_rc_may_resend()): requests
	 * answered (any status; under @lock), the count when the last
	 * reconnect was done, and new connections in a row that died
	 * before answering one more or carrying SMB_RC_PROGRESS_BYTES of
	 * requests; @rc_sent_at: the transport's bytes_sent when the last
	 * reconnect was done (under @lock).
	 */
	_Atomic uint64_t rc_answered;
	_Atomic uint64_t rc_answered_at;
	_Atomic unsigned rc_barren;
	uint64_t rc_sent_at;
	_Atomic uint16_t channel_seq; /* ChannelSequence (send.c) */
	bool rc_sealing; /* sealed at the first connect: a reconnect must be */
	struct smbiov_options rc_opts;
	char *rc_port, *rc_user, *rc_domain, *rc_password;
	uint64_t prev_session_id;
	bool guid_set;
	uint8_t client_guid[SMB2_GUID_SIZE];
	struct smbiov_file *files;
	_Atomic uint64_t st_reconnects;
	_Atomic uint64_t st_replayed;
	_Atomic uint64_t st_handles_reopened;
	_Atomic uint64_t st_handles_lost;

	/* counters (struct smbiov_stats), atomics: no lock needed */
	_Atomic uint64_t st_requests;
	_Atomic uint64_t st_max_credits_in_flight;
	_Atomic uint64_t st_payload_sent;
	_Atomic uint64_t st_payload_received;
	_Atomic uint64_t st_payload_copied;
	_Atomic uint64_t st_payload_spliced;
	_Atomic uint64_t st_messages;
	/* Least time from a request's MessageId to its first response. */
	_Atomic uint64_t st_rtt_min_ns;
};

/**
 * smb_client_check - may this thread use @c at all?
 * @c: client
 *
 * Returns 0, -EINVAL (NULL), -ECHILD (forked child: leave the parent's
 * socket alone) or the error the connection died of. Sets the thread's
 * last error on failure. Call at the top of every public entry point.
 */
int smb_client_check(const struct smbiov_client *c);
/*
 * The opening of a public call that reports through smbiov_last_error():
 * smb_client_check(), then (when it passed) the thread's last error is
 * cleared, so a stale one from an earlier call cannot be mistaken for
 * this call's.
 */
int smb_api_begin(const struct smbiov_client *c);

/* Count @n payload bytes the library copied in user space (stats). */
static inline void smb_stat_copied(struct smbiov_client *c, uint64_t n)
{
	atomic_fetch_add_explicit(&c->st_payload_copied, n,
				  memory_order_relaxed);
}

/**
 * smb_echo - one ECHO round trip (MS-SMB2 3.2.4.14): liveness check
 * @c: client
 *
 * Returns 0 or a negative errno as smb_call().
 */
int smb_echo(struct smbiov_client *c);

/**
 * smb_set_break_handler - install the unsolicited OPLOCK_BREAK handler
 * @c: client
 * @fn: handler (runs on the receiver thread; must not block on @c, may
 *	smb_submit() with SMB_REQ_NOWAIT to acknowledge), or NULL
 * @arg: for @fn
 */
void smb_set_break_handler(struct smbiov_client *c,
			   void (*fn)(struct smbiov_client *c,
				      const uint8_t *msg, size_t len,
				      void *arg),
			   void *arg);

/* ---- errors (errors.c) ------------------------------------------------------
 */

/**
 * smb_error_set - record the calling thread's last error
 * @err: negative errno
 * @status: NTSTATUS behind it, or 0
 * @phase: where it happened
 * @fmt: printf-style message (one line; never include a password)
 *
 * Returns @err, so callers can write "return smb_error_set(...)".
 */
int smb_error_set(int err, uint32_t status, enum smbiov_phase phase,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/**
 * smb_error_status - record a server failure and map it
 * @status: NTSTATUS from a response
 * @phase: where
 * @what: what failed, e.g. "CREATE foo/bar"
 *
 * Returns ntstatus_to_errno(@status) (negative), after recording it with
 * the status name in the message.
 */
int smb_error_status(uint32_t status, enum smbiov_phase phase,
		     const char *what);

/* Clear the calling thread's last error (start of an operation). */
void smb_error_clear(void);
/* Put back a last error saved with smbiov_last_error(). */
void smb_error_restore(const struct smbiov_error *e);

/*
 * smb_conn_strerror - @err in words for a message about a call on @c:
 * the ENOTCONN of a client whose reconnect gave up (and which is not
 * connected again since) names the last try's cause ("reconnecting failed:
 * connect to HOST port PORT: Connection refused"), not "Transport endpoint is
 * not connected"; anything else is smbiov_strerror(@err). The text is the
 * calling thread's until its next call.
 */
const char *smb_conn_strerror(const struct smbiov_client *c, int err);

/*
 * smb_error_keep - @err as the calling thread's last error: the one
 * already recorded if it is @err (a lower layer said more), else a new
 * one "@what: strerror". Returns @err.
 */
int smb_error_keep(int err, const char *what);

/* ---- internal, between the engine's own files -----------------------------
 */

/* @t becomes @c's transport (under c->send_lock and c->lock). */
static inline void smb_set_transport(struct smbiov_client *c,
				     struct smb_transport *t)
{
	c->t = t;
	atomic_store(&c->t_fd_ok,
		     t && t->ops->recv_to_fd && t->ops->send_from_fd);
}

/* conn.c: the receiver and watchdog threads' start and teardown. */
int smb_engine_start(struct smbiov_client *c);
void smb_engine_stop(struct smbiov_client *c);
/*
 * conn.c: a client on an already connected transport @t (ownership
 * passes), threads running, no phases run: the caller (unit tests with a
 * scripted server) fills in what NEGOTIATE and SESSION_SETUP would have.
 * Released with smbiov_disconnect().
 */
int smb_client_from_transport(struct smb_transport *t, int timeout_ms,
			      struct smbiov_client **out);
/*
 * conn.c: count an asynchronous operation in (smb_aio_get) and out
 * (smb_aio_put, after its completion has run); smbiov_aio_wait() waits
 * for the count to reach 0.
 */
void smb_aio_get(struct smbiov_client *c);
void smb_aio_put(struct smbiov_client *c);
/*
 * conn.c: an asynchronous request with deadline @d entered the table:
 * wake the watchdog if @d is earlier than what it sleeps until. Under
 * c->lock.
 */
void smb_watchdog_arm_locked(struct smbiov_client *c, const struct timespec *d);
/*
 * conn.c: a request was sent or completed: the connection is not idle
 * (the keepalive's clock). Under c->lock.
 */
void smb_activity_locked(struct smbiov_client *c);
/*
 * conn.c: send a keepalive ECHO after @ms of idleness (<= 0: never);
 * smbiov_connect() sets it from the options once connected.
 */
void smb_keepalive_set(struct smbiov_client *c, int ms);
/* Mark the connection dead with @err and fail everything pending. */
void smb_conn_kill(struct smbiov_client *c, int err);

/* send.c: build, sign/seal and send one message of @n requests. */
int smb_send_reqs(struct smbiov_client *c, struct smb_req **reqs, size_t n,
		  bool wait_credit);
/*
 * send.c: the newest reconnect generation @reqs' sends met, or @gen (read
 * before them): what a failure asks smb_rc_resume() to reconnect from.
 */
uint64_t smb_sent_gen(struct smb_req **reqs, size_t n, uint64_t gen);
/*
 * send.c: the connection holds fewer credits than one request of
 * @charge needs and nothing is in flight that would bring more: ask the
 * server for them with an ECHO (MS-SMB2 3.2.4.1.5 lets any request ask).
 * Returns 0 when the ECHO brought enough, -ENOBUFS when the server would
 * not grant them, or the ECHO's error.
 */
int smb_credit_refill(struct smbiov_client *c, uint16_t charge);
/* send.c: "READ", "CREATE", ... for messages ("request" if unknown). */
const char *smb_cmd_name(uint16_t command);
/* send.c: wait for @r to complete (sync callers). */
int smb_wait(struct smbiov_client *c, struct smb_req *r);
/* send.c: a condvar timed on CLOCK_MONOTONIC; a deadline @timeout_ms on. */
int smb_cond_init(pthread_cond_t *cv);
void smb_deadline(struct timespec *ts, int timeout_ms);
/* @ms (>= 0) later than @t, in place. */
void smb_ts_add_ms(struct timespec *t, int ms);
/* CLOCK_MONOTONIC now, in nanoseconds. */
uint64_t smb_now_ns(void);
bool smb_deadline_passed(const struct timespec *d);
/* recv.c: the receiver thread body. */
void *smb_recv_thread(void *arg);
/*
 * recv.c: complete @r with @result. Called with c->lock held and @r
 * already out of the table; wakes a sync waiter. Returns true when the
 * caller must run r->done(r) after dropping the lock.
 */
bool smb_req_finish_locked(struct smbiov_client *c, struct smb_req *r,
			   int result);
/*
 * recv.c: @r (asynchronous, just completed) is due its done(): true when
 * the caller runs it after dropping c->lock, false when a sender is still
 * inside the transport with it and runs it when out. Under c->lock.
 */
bool smb_req_done_due_locked(struct smb_req *r);

/* negotiate.c, session.c, tree.c: the connect phases. */
int smb_negotiate(struct smbiov_client *c, const struct smbiov_options *o);
int smb_session_setup(struct smbiov_client *c, const char *user,
		      const char *domain, const char *password,
		      const struct smbiov_options *o);
int smb_tree_connect(struct smbiov_client *c, const struct smbiov_options *o);
int smb_validate_negotiate(struct smbiov_client *c);
/*
 * session.c: TREE_DISCONNECT (when connected to a tree) and LOGOFF (when
 * a session exists), sent back to back: one round trip, each bounded by
 * a short timeout so a dead server cannot stall a disconnect.
 */
void smb_goodbye(struct smbiov_client *c);

#endif
