/* SPDX-License-Identifier: MIT */
/*
 * The smbiov client API: connect to a share, open files, move bytes with
 * iterators (zero-copy for plain reads and writes), and the usual file
 * system operations.
 *
 * Conventions:
 *  - Every function returns 0 / a byte count, or a negative errno.
 *  - The NTSTATUS behind the last failure of the calling thread is kept for
 *    messages: smbiov_last_error().
 *  - A client (one connection, one session, one tree) is thread-safe: any
 *    number of threads may issue calls on it and its files at once.
 *  - Buffers and iterators handed to a synchronous call are borrowed until
 *    it returns; to an asynchronous call, until its completion has run.
 *    The library never touches them afterwards (not on cancel or
 *    timeout; a request sent again after a reconnect is sent before its
 *    call returns or its completion runs: smbiov_options.reconnect_ms).
 *  - Fork: a child process cannot use its parent's clients (the socket is
 *    shared); every call on one from a child fails with -ECHILD and leaves
 *    the parent's connection alone. The child may connect anew.
 */
#ifndef SMBIOV_SMBIOV_H
#define SMBIOV_SMBIOV_H

#include <smbiov/common.h>
#include <smbiov/iter.h>

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

SMBIOV_BEGIN_DECLS

struct smbiov_client;
struct smbiov_file;
struct smbiov_dir;

/* ---- URLs ------------------------------------------------------------------
 * smb://[domain;]user@host[:port]/share[/path]   (host may be [IPv6])
 * Percent-escapes are decoded in every part. A password in the URL is
 * refused (-EINVAL): passwords never travel on command lines.
 */
struct smbiov_url {
	char *domain; /* NULL if absent */
	char *user;   /* NULL if absent */
	char *host;
	char *port; /* "445" if absent */
	char *share;
	char *path; /* "" for the share root; '/' separated, no leading '/' */
};

SMBIOV_API int smbiov_url_parse(const char *url, struct smbiov_url *out);
SMBIOV_API void smbiov_url_release(struct smbiov_url *u);

/* ---- connecting ---------------------------------------------------------- */
enum smbiov_mode {
	SMBIOV_AUTO = 0,     /* as the server requires */
	SMBIOV_REQUIRED = 1, /* fail rather than run without it */
	SMBIOV_DISABLED = 2, /* never offer it (signing: refused if required) */
};

#define SMBIOV_DIALECT_202 0x0202
#define SMBIOV_DIALECT_210 0x0210
#define SMBIOV_DIALECT_300 0x0300
#define SMBIOV_DIALECT_302 0x0302
#define SMBIOV_DIALECT_311 0x0311

struct smbiov_options {
	const char *user;   /* overrides the URL's user */
	const char *domain; /* overrides the URL's domain */
	/*
	 * Read only during smbiov_connect(), never copied: the NT hash made
	 * from it lives in the session setup and is wiped there
	 * (OPENSSL_cleanse); the caller wipes its own buffer.
	 */
	const char *password;
	enum smbiov_mode sign;
	enum smbiov_mode encrypt;
	uint16_t min_dialect; /* 0: SMBIOV_DIALECT_202 */
	uint16_t max_dialect; /* 0: SMBIOV_DIALECT_311 */
	int timeout_ms;	      /* per request and for connecting; 0: 30000 */
	/*
	 * Keepalive (MS-SMB2 3.2.4.14): after this many ms with nothing sent,
	 * received or in flight, an ECHO is sent; one left unanswered for
	 * timeout_ms ends the connection, so the next call fails at once
	 * (-ETIMEDOUT) instead of waiting on a dead server. 0: 60000;
	 * negative: never. ECHOs count in smbiov_stats.requests.
	 */
	int keepalive_ms;
	/*
	 * The file layer's page cache: the most bytes all files of this
	 * connection may hold cached (clean and dirty). 0: an eighth of
	 * the machine's RAM, at least 64 MiB and at most 1 GiB.
	 */
	size_t cache_bytes;
	/*
	 * Deferred close (cifs' closetimeo): a cached file closed while its
	 * lease allows handle caching stays open this many ms, its cache
	 * with it; an open of the same path with the same flags and cache
	 * mode takes it back without a round trip. The server breaks the
	 * handle caching before anything that needs the handle gone (another
	 * client's open, a rename or delete of the file), and the library
	 * then closes it at once. An open of the path with other flags
	 * closes it first (sharing its lease would take write caching from
	 * both), and a file open for writing through another open is not
	 * kept (closed, it leaves that open the file's only one, which then
	 * keeps writes again). A handle that wrote has the server set the
	 * file's write time before it is kept, so the time does not move after
	 * the close returned. 0: 5000; negative: close at once.
	 */
	int close_timeout_ms;
	/*
	 * How long a lease or oplock break may wait for the page cache
	 * (writing back what the lost W covered, dropping what the lost R
	 * covered, closing a deferred handle) before it is acknowledged
	 * anyway, counted from the notification's arrival. The server stops
	 * waiting for the acknowledgement after its own timeout (Samba 30 s,
	 * Windows 35 s) and lets the other opener in regardless; acknowledging
	 * first keeps the lease's state known on both sides. The cache goes on
	 * giving up the rights after the acknowledgement, and this open's own
	 * reads and writes of a range still being written back wait for it,
	 * so nothing is lost or read stale by this open; another client may
	 * see the old bytes until the write-back ends, as it would after the
	 * server's timeout. 0: 20000; negative: no bound (acknowledge only
	 * when the cache is done).
	 */
	int break_ack_ms;
	/*
	 * Reconnect: when the connection is lost (reset, timeout, a dead
	 * keepalive), the next call brings it back — new connection,
	 * session (PreviousSessionId: the server drops the old one) and
	 * tree — and reopens the open files: durable handles (cached opens,
	 * which ask for durable handles v2 on SMB 3) with their handle and
	 * lease, other files by path when nothing can be lost (no lease;
	 * the same file, by creation time); a file that cannot be reopened
	 * fails its calls with ESTALE. A synchronous call whose answer was
	 * lost is sent again (writes and the like with the replay flag).
	 * Not exact for an exclusive create (O_CREAT | O_EXCL) whose answer
	 * was lost: sent again, it finds the file it made and fails with
	 * EEXIST. The server does not tell the replay from another create:
	 * Samba (4.17) recognises a replayed create only by its durable
	 * handle's CreateGuid, and only in the smbd process of the lost
	 * connection, which the reset ended. Create under a name of your
	 * own making (random), or tell EEXIST after smbiov_stats.reconnects
	 * changed from another creator's file yourself.
	 * Tries with a growing pause for this many ms, every wait of a try
	 * (connect, each answer) ending by then too, so a server that
	 * accepts and never answers does not hold it a timeout longer;
	 * then calls fail with ENOTCONN (SMBIOV_CONN_FAILED, the message
	 * naming the last try's cause), and requests that were in flight
	 * fail with it; a call made 2 s (or this, if
	 * shorter) after that tries once more, so a long-lived client
	 * comes back with its server. 0: 60000; negative: off (a lost
	 * connection fails every call).
	 */
	int reconnect_ms;
	/*
	 * The most bytes one READ, and one WRITE, of this client carries
	 * (mount.cifs' rsize= and wsize=), where that is less than the
	 * server offers (its MaxReadSize and MaxWriteSize, which the library
	 * takes up to 8 MiB and splits at 2 MiB; 64 KiB without multi-credit
	 * requests). Rounded down to a multiple of 4096, at least 4096.
	 * smbiov_get_info() shows the sizes in use. 0: the server's.
	 */
	uint32_t max_read;
	uint32_t max_write;
};

/* Where a connect failed; a CLI maps this to its exit codes. */
enum smbiov_phase {
	SMBIOV_PHASE_NONE = 0,
	SMBIOV_PHASE_RESOLVE,	/* host name did not resolve */
	SMBIOV_PHASE_CONNECT,	/* TCP connect */
	SMBIOV_PHASE_NEGOTIATE, /* dialect/security negotiation */
	SMBIOV_PHASE_AUTH,	/* session setup: credentials */
	SMBIOV_PHASE_TREE,	/* tree connect: the share */
	SMBIOV_PHASE_IO,	/* after connecting */
	/* the caller's local fd (smbiov_read_to_fd, smbiov_write_from_fd) */
	SMBIOV_PHASE_LOCAL,
};

struct smbiov_error {
	int err;	   /* negative errno */
	uint32_t ntstatus; /* 0 when the failure was not the server's */
	enum smbiov_phase phase;
	char message[160]; /* one line for a human, no trailing newline */
};

/* The calling thread's last failure (any client). */
SMBIOV_API void smbiov_last_error(struct smbiov_error *out);

/**
 * smbiov_ntstatus_name - the MS-ERREF name of an NTSTATUS code
 * @status: a status code, e.g. struct smbiov_error.ntstatus
 *
 * The library's own table of the codes it knows (the same names its
 * messages use), for a caller's messages and logs.
 *
 * Return: a static string such as "STATUS_ACCESS_DENIED", or NULL for a
 * code the library does not know.
 */
SMBIOV_API const char *smbiov_ntstatus_name(uint32_t status);

/**
 * smbiov_connect - connect, negotiate, authenticate and connect the share
 * @url: smb:// URL; its path part is ignored
 * @opt: options (may be NULL: defaults, no password)
 * @out: the client on success
 *
 * Signing and encryption are never silently downgraded: when the options
 * or the share require them and the server cannot provide them, the
 * connect fails (-EPROTO).
 * Returns 0 or a negative errno; details in smbiov_last_error().
 */
SMBIOV_API int smbiov_connect(const char *url, const struct smbiov_options *opt,
			      struct smbiov_client **out);
/* Log off, disconnect and free. Open files must be closed first. */
SMBIOV_API void smbiov_disconnect(struct smbiov_client *c);

struct smbiov_conn_info {
	uint16_t dialect;
	uint16_t cipher; /* 0 when not encrypting; else MS-SMB2 cipher id */
	uint16_t signing_alg; /* MS-SMB2 signing algorithm id */
	bool signing;	      /* messages are signed */
	bool encrypted;	      /* messages are sealed */
	/* The server's sizes (at most 8 MiB); a signed or sealed connection
	 * sends at most 2 MiB per READ or WRITE whatever these say. */
	uint32_t max_read;
	uint32_t max_write;
	/* The least time a request has taken from being sent to its first
	 * response, in microseconds: the round trip to the server over the
	 * whole path (relays and proxies included) plus its quickest
	 * answer. 0 before the first response. */
	uint32_t rtt_us;
};
SMBIOV_API void smbiov_get_info(const struct smbiov_client *c,
				struct smbiov_conn_info *out);

struct smbiov_stats {
	uint64_t requests; /* SMB2 requests sent */
	uint64_t max_credits_in_flight;
	uint64_t payload_sent; /* READ/WRITE payload bytes */
	uint64_t payload_received;
	/* Payload bytes copied by the library in user space (0 for plain
	 * reads and writes: they go straight between socket and caller). */
	uint64_t payload_copied;
	/* Payload bytes the kernel moved between the socket and a local file
	 * descriptor (smbiov_read_to_fd/smbiov_write_from_fd: splice and
	 * sendfile): they never entered user memory at all. */
	uint64_t payload_spliced;
	/* Messages sent: a compound of several requests is one message (one
	 * round trip for them all), so requests - messages is what
	 * compounding saved. CANCEL is counted in neither. */
	uint64_t messages;
	/* Reconnects done; requests sent again after one; open files
	 * reopened on a new connection, and lost (ESTALE) */
	uint64_t reconnects;
	uint64_t replayed;
	uint64_t handles_reopened;
	uint64_t handles_lost;
};
SMBIOV_API void smbiov_get_stats(const struct smbiov_client *c,
				 struct smbiov_stats *out);

/* The connection's state (smbiov_options.reconnect_ms). */
enum smbiov_conn_state {
	SMBIOV_CONN_CONNECTED = 0,
	SMBIOV_CONN_RECONNECTING, /* lost; the next call reconnects */
	/* the last try failed (each call tries once more), or reconnect off */
	SMBIOV_CONN_FAILED,
};
SMBIOV_API enum smbiov_conn_state
smbiov_conn_state(const struct smbiov_client *c);

/* ---- files ----------------------------------------------------------------
 * Paths are relative to the share root, '/' separated (UTF-8).
 * Flags: O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, and
 * SMBIOV_O_DELETE: also ask for DELETE access (smbiov_set_delete_on_close).
 */
#define SMBIOV_O_DELETE 0x40000000 /* no O_* flag uses this bit */
SMBIOV_API int smbiov_open(struct smbiov_client *c, const char *path, int flags,
			   struct smbiov_file **out);

/*
 * Cache modes, in the kernel cifs client's terms (cache=), for
 * smbiov_open_ex(). smbiov_open() is SMBIOV_CACHE_NONE: it keeps the
 * behaviour it always had (every call goes to the server), which is what
 * streaming copies such as the CLI's want.
 * - SMBIOV_CACHE_STRICT: the open asks for a lease (read, handle and
 *   write caching, a key of its own; SMB 2.1 and later where the server
 *   offers leases), else for a batch oplock. Data is cached only while
 *   the lease allows it: reads are served from the page cache (with
 *   readahead) while it holds R, writes are kept and written back later
 *   while it holds W (by smbiov_fsync(), smbiov_close(), memory
 *   pressure, or a break). Without R every read goes to the server,
 *   without W every write. A lease break is handled on a library
 *   thread: dirty data the lost W covered is written back and data the
 *   lost R covered dropped before the break is acknowledged, or at the
 *   latest when smbiov_options.break_ack_ms have passed.
 * - SMBIOV_CACHE_LOOSE: as STRICT, and reads are also cached without a
 *   lease, for @loose_ttl_ms after the data was read (then it is
 *   dropped and the size asked again). Unsafe with other writers: they
 *   may not be seen for that long. What a read-mostly mount wants.
 * - SMBIOV_CACHE_NONE: no lease, no cache: direct I/O, always.
 * A failed write-back is reported by the next smbiov_fsync() or
 * smbiov_close() of that file (once), never lost silently. All files of
 * a connection share one memory limit (smbiov_options.cache_bytes).
 */
enum smbiov_cache {
	SMBIOV_CACHE_STRICT = 0,
	SMBIOV_CACHE_LOOSE = 1,
	SMBIOV_CACHE_NONE = 2,
};
struct smbiov_open_opts {
	enum smbiov_cache cache;
	/* LOOSE: how long data read without a lease stays; 0: 1000 ms. */
	unsigned loose_ttl_ms;
	/*
	 * Optional: told each new lease state (SMBIOV_LEASE_* bits) of a
	 * cached open, on the library's break worker, after the page cache
	 * has taken it (what the lost rights covered written back and
	 * dropped) and before the break is acknowledged (within
	 * smbiov_options.break_ack_ms): where the caller keeps a cache of
	 * its own (a FUSE mount's kernel page cache), it drops it here.
	 * Not called for the state granted at open (smbiov_lease_info()
	 * tells it), nor after smbiov_close() of @f returned; a deferred-
	 * closed file taken back by a later open calls that open's.
	 * It must not call into the library for @f's client (the break is
	 * waiting) nor wait for calls on it.
	 */
	void (*on_lease)(void *arg, struct smbiov_file *f, uint32_t state);
	void *lease_arg;
	/*
	 * A cached open that sends a CREATE (one not taken back from the
	 * deferred close) asks the file's attributes in the same round
	 * trip (a related QUERY_INFO in the CREATE's compound), and
	 * smbiov_fstat() answers from them under the rules it states:
	 * for a caller that stats every file it opens (a FUSE mount's
	 * getattr after the open). Not with O_TRUNC (the open's own
	 * change). false: no QUERY_INFO with the CREATE.
	 */
	bool stat_at_open;
};
/* As smbiov_open(), with options; @opts NULL: SMBIOV_CACHE_STRICT. */
SMBIOV_API int smbiov_open_ex(struct smbiov_client *c, const char *path,
			      int flags, const struct smbiov_open_opts *opts,
			      struct smbiov_file **out);
/*
 * smbiov_open_ex() and the file's first bytes in the same round trip: an
 * open that sends a CREATE (not a handle taken back from the deferred
 * close) and may read puts a READ at offset 0 of up to count(@dst)
 * bytes (one READ: at most 1 MiB and the connection's largest) in its
 * compound, before stat_at_open's QUERY_INFO (whose access time then
 * includes it). The data lands in @dst (advanced by it), past the page
 * cache as SMBIOV_RW_DIRECT reads. @rd->got: the bytes read, -1 when
 * nothing was (a handle taken back, an uncached retry, the READ failed:
 * read as usual); @rd->eof: fewer than that READ asked, so the file
 * ended there when the server read it. Returns what smbiov_open_ex()
 * returns (-EINVAL for a NULL @dst or @rd).
 */
struct smbiov_first_read {
	ssize_t got;
	bool eof;
};
SMBIOV_API int smbiov_open_ex_read(struct smbiov_client *c, const char *path,
				   int flags,
				   const struct smbiov_open_opts *opts,
				   struct smbiov_iter *dst,
				   struct smbiov_first_read *rd,
				   struct smbiov_file **out);

/*
 * The page cache of a connection: what it holds and what it saved.
 * Counters run from the connection's start.
 */
struct smbiov_cache_stats {
	uint64_t limit;		  /* smbiov_options.cache_bytes in effect */
	uint64_t cached;	  /* bytes in folios now (clean + dirty) */
	uint64_t dirty;		  /* bytes in dirty folios now */
	uint64_t hit_bytes;	  /* read from folios already there */
	uint64_t miss_bytes;	  /* read from the server into folios */
	uint64_t readahead_bytes; /* folios created to read ahead */
	uint64_t written_back;	  /* bytes written back */
	uint64_t evicted;	  /* folios evicted to stay in the limit */
	uint64_t deferred_now;	  /* closed files kept open (deferred) */
	uint64_t deferred_total;  /* closes deferred */
	uint64_t deferred_reused; /* opens that took a deferred file back */
};
SMBIOV_API void smbiov_get_cache_stats(const struct smbiov_client *c,
				       struct smbiov_cache_stats *out);

/* Lease state bits (MS-SMB2 2.2.13.2.8 LeaseState). */
#define SMBIOV_LEASE_READ   0x01u
#define SMBIOV_LEASE_HANDLE 0x02u
#define SMBIOV_LEASE_WRITE  0x04u
struct smbiov_lease_info {
	bool leased; /* a lease (or an oplock) was granted on this open */
	bool oplock; /* an oplock: the server has no leases (SMB 2.0.2) */
	/*
	 * SMBIOV_LEASE_* now held: after a break, once the page cache has
	 * given up what the new state does not allow (so R gone here means
	 * reads go to the server)
	 */
	uint32_t state;
	uint16_t epoch;	 /* lease v2: the server's epoch as last seen */
	uint32_t breaks; /* break notifications handled for it */
	/* of them, acknowledged before the cache was done (break_ack_ms) */
	uint32_t acked_early;
	int ack_err; /* 0, or the last acknowledgement's error */
};
/* The lease @f holds. 0, or -EINVAL. */
SMBIOV_API int smbiov_lease_info(struct smbiov_file *f,
				 struct smbiov_lease_info *out);
/*
 * How a cached open came to be, for a caller that keeps a cache of its
 * own across opens (a FUSE mount's kernel page cache): when an open took
 * back a deferred-closed handle whose read caching held since its CREATE
 * (@reused and @r_kept), and the caller remembers @handle_id from an
 * earlier open of that handle, what the caller cached then under read
 * caching is still the file's data as far as other clients go (this
 * client's own changes through other opens or by path are the caller's
 * to track). All zero for an open without a cache (SMBIOV_CACHE_NONE,
 * smbiov_open(), a directory).
 */
struct smbiov_open_info {
	/*
	 * The server handle's number on its connection: the same for every
	 * open that took it back from the deferred close, and no other
	 * handle's, ever (from 1; a freed file's address may be reused, this
	 * is not).
	 */
	uint64_t handle_id;
	bool reused; /* this open took the handle back: no CREATE was sent */
	/*
	 * Read caching held since the handle's CREATE: no break (nor a
	 * reconnect that found it lower) ever took R away. Read once the open
	 * returned it may turn false later (a break), never back.
	 */
	bool r_kept;
};
/* 0 with *@out filled, or -EINVAL. */
SMBIOV_API int smbiov_open_info(struct smbiov_file *f,
				struct smbiov_open_info *out);
SMBIOV_API int smbiov_close(struct smbiov_file *f);

/*
 * Read/write at an offset. Large requests are split into multi-credit
 * subrequests kept in flight together; a read returns less than asked only
 * at end of file. A server may answer a READ with fewer bytes than asked
 * below the end of file (MS-SMB2 does not forbid it): such an answer is
 * continued with further READs, and only STATUS_END_OF_FILE or an empty
 * answer ends a read short. A caller that knows the file's size (at open)
 * and got fewer bytes learns that the file was cut meanwhile, or that the
 * server said end of file early; smbiov get fails such a download (exit
 * 13). The same holds for smbiov_read_to_fd(). An asynchronous read
 * (smbiov_aio_read) is one round: it may complete short of data below the
 * end of file, and the caller reads on from there.
 */
SMBIOV_API ssize_t smbiov_pread(struct smbiov_file *f, void *buf, size_t len,
				uint64_t offset);
SMBIOV_API ssize_t smbiov_pwrite(struct smbiov_file *f, const void *buf,
				 size_t len, uint64_t offset);
SMBIOV_API ssize_t smbiov_preadv(struct smbiov_file *f, const struct iovec *iov,
				 int iovcnt, uint64_t offset);
SMBIOV_API ssize_t smbiov_pwritev(struct smbiov_file *f,
				  const struct iovec *iov, int iovcnt,
				  uint64_t offset);
/* Any iterator type: @dst is a destination, @src a source; advanced. */
SMBIOV_API ssize_t smbiov_read_iter(struct smbiov_file *f,
				    struct smbiov_iter *dst, uint64_t offset);
SMBIOV_API ssize_t smbiov_write_iter(struct smbiov_file *f,
				     struct smbiov_iter *src, uint64_t offset);
/*
 * Per call flags. SMBIOV_RW_DIRECT: O_DIRECT semantics on a cached file:
 * cached dirty data of the range is written back first, the bytes move
 * between the server and @dst/@src without the page cache, and a write
 * drops what the cache held of its range. No alignment is required. A
 * read ends where a cached read would: one that the server ends short
 * below the size this open knows (cached writes past the range extended
 * the file) writes back the dirty data from there on and reads the rest
 * (zeros up to that data).
 */
#define SMBIOV_RW_DIRECT 0x1u
SMBIOV_API ssize_t smbiov_read_iter_ex(struct smbiov_file *f,
				       struct smbiov_iter *dst, uint64_t offset,
				       unsigned flags);
SMBIOV_API ssize_t smbiov_write_iter_ex(struct smbiov_file *f,
					struct smbiov_iter *src,
					uint64_t offset, unsigned flags);
/*
 * Open @path and read its first bytes in one round trip (CREATE + READ at
 * offset 0 sent as one compound). @flags as smbiov_open() and must allow
 * reading. Reads up to min(count(@dst), the connection's largest single
 * READ, 1 MiB) bytes into @dst (advanced by what was read); on a plain
 * connection they land there without a copy. Returns the bytes read (0
 * for an empty file) with the open file in *@out, and the file's size at
 * open (the CREATE response's EndOfFile) in *@size if @size is not NULL:
 * fewer bytes than asked and than *@size means read on with
 * smbiov_read_iter() from the returned count. On error (the CREATE's, or
 * the READ's after the handle was closed again) returns a negative errno,
 * *@out is NULL and nothing stays open on the server.
 */
SMBIOV_API ssize_t smbiov_open_read(struct smbiov_client *c, const char *path,
				    int flags, struct smbiov_iter *dst,
				    uint64_t *size, struct smbiov_file **out);
/*
 * Read a whole small file in one round trip: open @path for reading, read
 * from offset 0 and close, sent as one compound (CREATE + READ + CLOSE).
 * Reads up to min(count(@dst), the connection's largest single READ,
 * 1 MiB) bytes into @dst (advanced by what was read): straight from the
 * socket on a plain unsigned connection, else copied once out of the
 * response (payload_copied). Returns the bytes read, and the file's
 * size at open in *@size if @size is not NULL: fewer bytes than *@size
 * means the file is larger than one call reads (use smbiov_open_read()).
 * On error a negative errno; nothing stays open on the server either way.
 */
SMBIOV_API ssize_t smbiov_read_file(struct smbiov_client *c, const char *path,
				    struct smbiov_iter *dst, uint64_t *size);
/*
 * Write a whole small file in one round trip: open @path with @flags (as
 * smbiov_open(); must allow writing, usually O_WRONLY | O_CREAT |
 * O_TRUNC), write @len bytes of @buf at offset 0 and close, sent as one
 * compound (CREATE + WRITE + CLOSE). @len is at most one WRITE on this
 * connection and 1 MiB (-EFBIG beyond: use smbiov_open() and the
 * writes). The bytes are copied once into the message (counted in
 * payload_copied). Returns @len or a negative errno (the CREATE's, else
 * the WRITE's); nothing stays open on the server either way. An existing
 * directory at @path gives -EISDIR and is left as it was.
 */
SMBIOV_API ssize_t smbiov_write_file(struct smbiov_client *c, const char *path,
				     int flags, const void *buf, size_t len);

/*
 * Asynchronous I/O: submit returns once every piece is on the wire (it
 * blocks only while the credit window is full); @done runs exactly once,
 * on the library's receiver thread, with the byte count or a negative
 * errno — or on the submitting thread, inside smbiov_aio_read/write,
 * when every piece completed (or failed) before submit returned: @done
 * must not take a lock its submitter holds. The iterator's memory is borrowed
 * until then; its segment array is not (the library pins or copies what it
 * needs before returning).
 * @done must not call back into the same client (no synchronous calls, no
 * new submissions, no smbiov_aio_wait or smbiov_aio_cancel): the receiver
 * thread is the one that would have to answer them. Don't close a file
 * with I/O in flight (smbiov_aio_cancel() ends it).
 * On a file with a page cache (smbiov_open_ex) asynchronous I/O bypasses
 * the cache: the range's cached dirty data is written back before submit
 * returns (it may wait for that), and a write drops the range's cached
 * data. smbiov_aio_wait() and smbiov_aio_cancel() also wait for (and
 * cancel) the cache's own readahead and write-back of the file.
 * A buffer that is not mapped (or not writable, for a read) fails any
 * call with -EFAULT before anything is sent.
 */
typedef void (*smbiov_aio_done_fn)(void *arg, ssize_t result);
SMBIOV_API int smbiov_aio_read(struct smbiov_file *f, struct smbiov_iter *dst,
			       uint64_t offset, smbiov_aio_done_fn done,
			       void *arg);
SMBIOV_API int smbiov_aio_write(struct smbiov_file *f, struct smbiov_iter *src,
				uint64_t offset, smbiov_aio_done_fn done,
				void *arg);
/* Wait until every asynchronous request on @c has completed. */
SMBIOV_API int smbiov_aio_wait(struct smbiov_client *c);
/*
 * Cancel the asynchronous I/O of @f: SMB2 CANCEL (MS-SMB2 3.2.4.24) for
 * every piece still on the server, no new pieces sent, then wait until
 * each of those operations has completed and its @done has returned. When
 * this returns, the library has let go of their memory: the caller may
 * free or reuse the buffers.
 * Targeted: the operations whose submit call returned before this call
 * (one submitted concurrently from another thread may or may not be; one
 * submitted afterwards is not). Several threads may cancel at once.
 * An operation the server completed anyway reports its normal result; one
 * of which any piece was cancelled, or never sent, reports -ECANCELED (no
 * partial count).
 * Returns how many operations were in flight (@done not yet returned) at
 * the call (0: none),
 * -EINVAL, -ECHILD (forked child), or -EDEADLK when called from inside a
 * @done callback or on the library's receiver thread (it would wait for
 * itself), -ENOMEM. Works on a dead connection too (everything fails
 * at once).
 */
SMBIOV_API int smbiov_aio_cancel(struct smbiov_file *f);

/*
 * Between a remote file and a local file descriptor, without the payload
 * passing through user memory on a plain connection: READ data is spliced
 * from the socket into @fd, WRITE data sent from @fd with sendfile.
 * smbiov_read_to_fd() writes @len bytes at remote @offset into @fd;
 * smbiov_write_from_fd() writes up to @len bytes read from @fd at remote
 * @offset. @fd_off NULL: use and advance @fd's position (or a pipe);
 * else pwrite/pread-style at *@fd_off, which is advanced (@fd's position
 * is then untouched). Large ranges are split into credit-sized pieces
 * kept in flight together when @fd is a regular file (pieces land at
 * their offsets in any order) or /dev/null; into a pipe one piece is in
 * flight at a time, in file order.
 * Returns the bytes moved, short only at the end of the remote file
 * (read; on a cached open the end it knows: one that the server ends
 * short below cached writes past the range reads on, as
 * SMBIOV_RW_DIRECT does) or of @fd (write), or a negative errno: a failure of
 * @fd itself
 * (-EBADF, -ENOSPC, -EIO, -EPIPE...; smbiov_last_error() phase
 * SMBIOV_PHASE_LOCAL) fails the call, the bytes of that
 * range in @fd (or on the server, for a write: zeros fill what @fd did not
 * give) are then unspecified, and the connection stays usable. On error
 * *@fd_off is not advanced (@fd's position is unspecified).
 * Fallback, correct but copying (counted in payload_copied): a signing or
 * encrypting connection, a read into an O_APPEND file, a tty or a socket,
 * a write from anything but a regular file, or from one whose size says 0
 * (it may read longer: /proc), go through a 1 MiB buffer.
 * Into a pipe the library's receiver thread waits for the reader: replies
 * to other requests on the connection wait too, and a reader that takes
 * no data for the request timeout fails the call (-ETIMEDOUT, phase
 * SMBIOV_PHASE_LOCAL). Give a slow consumer a regular file, or read into
 * memory.
 * A lost connection (reconnect_ms): pieces are sent again on the new
 * one; into a regular file they land at their offsets again. A pipe
 * cannot be rewound: a piece that had put part of its data into it when
 * the connection was lost keeps that part, and only the rest is asked
 * for again, so the pipe gets every byte once, in order.
 */
SMBIOV_API ssize_t smbiov_read_to_fd(struct smbiov_file *f, uint64_t offset,
				     size_t len, int fd, off_t *fd_off);
SMBIOV_API ssize_t smbiov_write_from_fd(struct smbiov_file *f, uint64_t offset,
					size_t len, int fd, off_t *fd_off);

/*
 * Server-side copy (FSCTL_SRV_COPYCHUNK_WRITE): @len bytes of @src's file
 * from @src_off to @dst's at @dst_off, read and written by the server;
 * none cross the network. Both files must be open on the same client
 * (-EXDEV otherwise), @src for reading and @dst for writing. As
 * copy_file_range(2): the range ends at the source's end of file (0 at
 * or past it), ranges of one file must not overlap (-EINVAL), and the
 * return is the bytes copied (fewer than @len when the server copied
 * less: call again for the rest) or a negative errno when none were:
 * -EOPNOTSUPP where the server has no server-side copy (copy through
 * the client then), the server's error otherwise. Cached data of either
 * range is written back first; the destination's is dropped after.
 */
SMBIOV_API ssize_t smbiov_copy_range(struct smbiov_file *src, uint64_t src_off,
				     struct smbiov_file *dst, uint64_t dst_off,
				     size_t len);

SMBIOV_API int smbiov_fsync(struct smbiov_file *f);
/*
 * Write back @f's cached dirty data and wait for it, without the SMB
 * FLUSH smbiov_fsync() adds (what close(2) of a FUSE file wants). Returns
 * 0 or the write-back error not yet reported; unlike smbiov_fsync() it
 * leaves that error to be reported again by the next fsync or close.
 * When anything was written through @f since, it then has the server
 * set the file's write time now (one SET_INFO), as smbiov_close() does:
 * Samba would move it up to 2 s after the first write or at the
 * handle's CLOSE, after the caller's close had returned.
 */
SMBIOV_API int smbiov_writeback(struct smbiov_file *f);
/*
 * Mark the open file to be deleted when its last handle closes (@on), or
 * take that back (MS-FSCC 2.4.11 FileDispositionInformation). The handle
 * must have been opened with SMBIOV_O_DELETE. While it is marked, new
 * opens of the file fail (STATUS_DELETE_PENDING, -ENOENT); handles already
 * open keep working. A connection that drops closes the handle, so a file
 * marked this way never outlives a client that dies while writing it.
 */
SMBIOV_API int smbiov_set_delete_on_close(struct smbiov_file *f, bool on);
SMBIOV_API int smbiov_ftruncate(struct smbiov_file *f, uint64_t size);
/*
 * fallocate(2) on an open file; @mode takes the Linux FALLOC_FL_* values
 * these mirror (so a FUSE handler may pass its mode through):
 * - 0: the file is at least @offset + @len bytes long afterwards (the
 *   size is extended; SMB cannot reserve the blocks, so a later write may
 *   still fail with ENOSPC);
 * - SMBIOV_FALLOC_PUNCH_HOLE | SMBIOV_FALLOC_KEEP_SIZE: the range reads
 *   as zeros (FSCTL_SET_ZERO_DATA: a sparse file gives the space back);
 * - SMBIOV_FALLOC_ZERO_RANGE [| KEEP_SIZE]: the range reads as zeros,
 *   and without KEEP_SIZE the file is extended to cover it.
 * Anything else: -EOPNOTSUPP. Cached data of the range is written back
 * and dropped first.
 */
#define SMBIOV_FALLOC_KEEP_SIZE	 0x01
#define SMBIOV_FALLOC_PUNCH_HOLE 0x02
#define SMBIOV_FALLOC_ZERO_RANGE 0x10
SMBIOV_API int smbiov_fallocate(struct smbiov_file *f, int mode,
				uint64_t offset, uint64_t len);

/*
 * Sparse files. A file marked sparse (FILE_ATTRIBUTE_SPARSE_FILE, MS-FSCC
 * FSCTL_SET_SPARSE) keeps the ranges never written, or zeroed with
 * smbiov_fallocate(), as holes that take no space, and the server
 * reports them as holes; how a server treats a file not so marked is its
 * own: Samba answers that all of it holds data, whatever its disk has.
 * smbiov_set_sparse() marks (@on) or unmarks the open file @f (which must
 * have write access): 0 or a negative errno (-EOPNOTSUPP where the
 * server or its file system has no sparse files).
 */
SMBIOV_API int smbiov_set_sparse(struct smbiov_file *f, bool on);

/* A range of a file: [offset, offset + length). */
struct smbiov_range {
	uint64_t offset;
	uint64_t length;
};
/*
 * The ranges of @f that hold data within [@offset, @offset + @len)
 * (MS-FSCC FSCTL_QUERY_ALLOCATED_RANGES), ascending, disjoint, adjacent
 * ones merged, clipped to the range asked; what lies between them (and
 * after them, up to the end of file) reads as zeros. Data @f holds
 * cached and not yet written back is written back first, so it counts.
 * Returns how many were stored in @out (at most @max; @max: there may be
 * more after the last one), or a negative errno: -EINVAL (@len 0, a
 * range past INT64_MAX), -EOPNOTSUPP where the server cannot tell.
 */
SMBIOV_API ssize_t smbiov_allocated_ranges(struct smbiov_file *f,
					   uint64_t offset, uint64_t len,
					   struct smbiov_range *out,
					   size_t max);
/*
 * lseek(2)'s SEEK_DATA and SEEK_HOLE on @f, as Linux defines them:
 * @whence SEEK_DATA gives the first offset at or after @offset that holds
 * data, SEEK_HOLE the first one in a hole, the end of file counting as
 * one; -ENXIO when @offset is at or past the end of file, and for
 * SEEK_DATA when only holes follow. Data @f holds cached and not yet
 * written back counts (written back first). Where the server cannot say
 * (no FSCTL_QUERY_ALLOCATED_RANGES, or @f lacks read access) the whole
 * file counts as data, as Linux does for a file system without holes.
 * Returns the offset, or a negative errno (-EINVAL: another @whence, a
 * directory).
 */
SMBIOV_API int64_t smbiov_seek_data_hole(struct smbiov_file *f, uint64_t offset,
					 int whence);

/* ---- metadata -------------------------------------------------------------
 */
struct smbiov_stat {
	uint64_t size;
	uint64_t alloc_size;
	int64_t btime_ns, atime_ns, mtime_ns, ctime_ns; /* since the epoch */
	uint32_t attributes;				/* FILE_ATTRIBUTE_* */
	bool is_dir;
	uint64_t file_id;
	/* Names of the file (FileStandardInformation NumberOfLinks), from
	 * smbiov_stat() and smbiov_fstat(); 0 where the server does not say
	 * (smbiov_readdir()'s entries). */
	uint32_t nlink;
};
SMBIOV_API int smbiov_stat(struct smbiov_client *c, const char *path,
			   struct smbiov_stat *st);
/*
 * The file's attributes as the server has them, this open's cached data
 * written back first (so the size includes it). A cached open
 * (smbiov_open_ex(), not SMBIOV_CACHE_NONE) that took a deferred-closed
 * file back answers without a request from the server's answer to the
 * check that took it back (QUERY_INFO of its name), and one opened with
 * smbiov_open_opts.stat_at_open from the QUERY_INFO its CREATE carried,
 * while its lease
 * has held read and write caching with no break since (the one open of
 * the file), none of its READs went out
 * since (the access time), no reconnect happened, and this client has
 * changed nothing of the file since the open (a write, truncate,
 * fallocate or set_attr through any of its opens, a truncate, set_attr,
 * rename, link, unlink or delete-on-close by path, an asynchronous read):
 * after such a change every call asks, for the rest of the open. The
 * answer is then what asking would give, except for what no lease
 * covers: times or attributes another client sets without writing, and
 * links it adds (and, for now, the change time this client's
 * smbiov_setxattr() moves), are seen once the lease is broken or the
 * file opened anew (docs/design.md "Stat from the lease").
 */
SMBIOV_API int smbiov_fstat(struct smbiov_file *f, struct smbiov_stat *st);

struct smbiov_dirent {
	char name[1024]; /* UTF-8, NUL-terminated */
	struct smbiov_stat st;
};
/*
 * Streams the listing in server-sized batches: memory stays bounded.
 * smbiov_opendir() already fetches the first two batches (one round trip
 * with the open); a directory that fits one batch is then read whole and
 * its handle closed in that same round trip, so smbiov_closedir() sends
 * nothing for it.
 */
SMBIOV_API int smbiov_opendir(struct smbiov_client *c, const char *path,
			      struct smbiov_dir **out);
/* 1 with *@ent filled, 0 at the end, or a negative errno. Skips . and .. */
SMBIOV_API int smbiov_readdir(struct smbiov_dir *d, struct smbiov_dirent *ent);
SMBIOV_API int smbiov_closedir(struct smbiov_dir *d);

SMBIOV_API int smbiov_mkdir(struct smbiov_client *c, const char *path);
/*
 * smbiov_mkdir() and the new directory's attributes (as smbiov_stat()) in
 * the same round trip: CREATE + QUERY_INFO + CLOSE. Fails as the mkdir
 * does; when the directory was made but its QUERY_INFO alone failed, the
 * attributes are asked again on their own (that answer's error is then
 * the call's, the directory stays).
 */
SMBIOV_API int smbiov_mkdir_stat(struct smbiov_client *c, const char *path,
				 struct smbiov_stat *st);
SMBIOV_API int smbiov_rmdir(struct smbiov_client *c, const char *path);
SMBIOV_API int smbiov_unlink(struct smbiov_client *c, const char *path);
SMBIOV_API int smbiov_rename(struct smbiov_client *c, const char *from,
			     const char *to, bool replace);
SMBIOV_API int smbiov_truncate(struct smbiov_client *c, const char *path,
			       uint64_t size);
/*
 * A hard link: @newpath becomes another name of the file @oldpath (SET_INFO
 * FileLinkInformation, MS-FSCC 2.4.21), never replacing an existing name
 * (-EEXIST). Where the server or its file system has no hard links:
 * -EOPNOTSUPP (or what the server says, e.g. -EACCES); a directory:
 * what the server says (links to directories are refused by SMB servers).
 */
SMBIOV_API int smbiov_link(struct smbiov_client *c, const char *oldpath,
			   const char *newpath);

/*
 * Extended attributes: the SMB EAs of the file or directory @path
 * (MS-FSCC 2.4.15 FileFullEaInformation through QUERY_INFO and SET_INFO).
 * The calls follow getxattr(2) and friends, with SMB's names: @name is
 * the EA's own name (a Linux "user.x" is the EA "x"), 1..255 bytes, no
 * NUL; the server compares names without regard to case (Windows shows
 * them in capitals, Samba as first set). A value is at most 65535 bytes.
 * An EA whose value is empty does not exist: setting an empty value
 * removes the EA. Errors: -ENODATA (no such EA), -ERANGE (@size too
 * small for the value or the list), -E2BIG (a value over 65535 bytes),
 * -EOPNOTSUPP (the share or its file system has no EAs), -EINVAL (a bad
 * name), what the server says otherwise (-ENOENT, -EACCES...).
 *
 * smbiov_getxattr(): the value of @name into @value (@size bytes);
 * @size 0: only its length. Returns the value's length.
 * smbiov_listxattr(): the names, each followed by a NUL, into @list
 * (@size bytes); @size 0: only the length. Returns the bytes.
 * smbiov_setxattr(): set @name to @value (@size bytes, 0 removes it);
 * @flags SMBIOV_XATTR_CREATE fails with -EEXIST when it exists,
 * SMBIOV_XATTR_REPLACE with -ENODATA when it does not (the check is a
 * query before the change: not atomic against another client).
 * smbiov_removexattr(): -ENODATA when it does not exist (a query first,
 * as above).
 */
#define SMBIOV_XATTR_CREATE  0x1 /* Linux's XATTR_CREATE */
#define SMBIOV_XATTR_REPLACE 0x2 /* Linux's XATTR_REPLACE */
SMBIOV_API ssize_t smbiov_getxattr(struct smbiov_client *c, const char *path,
				   const char *name, void *value, size_t size);
SMBIOV_API ssize_t smbiov_listxattr(struct smbiov_client *c, const char *path,
				    char *list, size_t size);
SMBIOV_API int smbiov_setxattr(struct smbiov_client *c, const char *path,
			       const char *name, const void *value, size_t size,
			       int flags);
SMBIOV_API int smbiov_removexattr(struct smbiov_client *c, const char *path,
				  const char *name);

/*
 * Times and attributes (SET_INFO FileBasicInformation, MS-FSCC 2.4.7),
 * what utimensat(2) and, mapped, chmod(2) need. A time of
 * SMBIOV_TIME_OMIT is left as it is; so are attributes 0 (to clear all
 * attributes of a file, set FILE_ATTRIBUTE_NORMAL, 0x80). Times are
 * kept in 100 ns units. On a file with cached writes those are written
 * back first (else the write-back would set the time again).
 */
#define SMBIOV_TIME_OMIT INT64_MIN
struct smbiov_setattr {
	int64_t atime_ns, mtime_ns, ctime_ns, btime_ns; /* since the epoch */
	uint32_t attributes;				/* FILE_ATTRIBUTE_* */
};
SMBIOV_API int smbiov_set_attr(struct smbiov_client *c, const char *path,
			       const struct smbiov_setattr *a);
SMBIOV_API int smbiov_fset_attr(struct smbiov_file *f,
				const struct smbiov_setattr *a);
/*
 * smbiov_fset_attr() and the file's attributes right after it in *@st,
 * in the same round trip (SET_INFO and QUERY_INFO on the handle as one
 * compound): what smbiov_fstat() called next would give, for a caller
 * that answers with them (a FUSE mount's setattr). -EINVAL for a NULL
 * @st.
 */
SMBIOV_API int smbiov_fset_attr_stat(struct smbiov_file *f,
				     const struct smbiov_setattr *a,
				     struct smbiov_stat *st);

struct smbiov_statvfs {
	uint64_t block_size;
	uint64_t blocks;
	uint64_t blocks_free; /* available to the caller */
};
SMBIOV_API int smbiov_statvfs(struct smbiov_client *c,
			      struct smbiov_statvfs *out);

SMBIOV_END_DECLS

#endif
