/* SPDX-License-Identifier: MIT */
/*
 * Leases of open files (MS-SMB2 3.2.4.3.8 requesting, 3.2.5.19.2 breaks,
 * 3.2.4.24 acknowledging), what the file layer's page cache (src/fs)
 * caches under.
 * A file opened with a cache mode other than "none" asks for a lease (v2
 * on SMB 3, v1 on 2.1) with one key per file: an open of a path that an
 * open of this client holds a lease on asks with that lease's key, as
 * MS-SMB2's client keeps one LeaseKey per file (File.LeaseKey), so the
 * client's handles of a file share one lease state and a second open
 * breaks nothing of the first (with a key each, Samba grants each only
 * RH, and another client's write then takes read caching away with a
 * break nobody waits for). Each open keeps its own entry in the table,
 * with its own owner; a break of the key is handled for all of them and
 * acknowledged once. Where the server has no leases (2.0.2, or no LEASING
 * capability) an open asks for a batch oplock instead, which the table
 * keeps the same way, by FileId. The
 * client keeps a table of its leases; a LEASE_BREAK notification, which arrives
 * on the receiver thread, is queued to the client's break worker, which updates
 * the lease, tells its owner (the page cache writes back and drops what the
 * lost rights covered) and then sends the acknowledgement, so the receiver
 * never waits for the server.
 */
#ifndef SMBIOV_CLIENT_LEASE_H
#define SMBIOV_CLIENT_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/create.h"

struct smbiov_client;
struct smbiov_file;

/*
 * How long a break waits for the cache before it is acknowledged anyway
 * (smbiov_options.break_ack_ms = 0): below Samba's 30 s and Windows' 35 s
 * acknowledgement timeouts, with room for a slow round trip.
 */
#define SMB_BREAK_ACK_MS 20000

/*
 * One open file's lease, in its client's table (under the table's lock).
 * Opens of one file share the key (and the server's lease): one entry each.
 */
struct smb_lease {
	uint8_t key[SMB2_LEASE_KEY_SIZE];
	char *path; /* the share path it was opened by (leases) */
	/* next of the entries the worker's break is being handled for */
	struct smb_lease *brk_next;
	bool oplock;		/* an oplock, known by @fid (no leases) */
	struct smb2_fileid fid; /* oplock: the open it is on */
	uint8_t oplock_level;	/* oplock: SMB2_OPLOCK_LEVEL_* now held */
	uint32_t state; /* SMB2_LEASE_*_CACHING, as granted and broken */
	/*
	 * The key's state as the server last said it (the grant, then its
	 * breaks; not smb_lease_share()'s lowering): what the entry may
	 * hold again once it is its key's only one (smb_lease_forget()).
	 */
	uint32_t srv;
	bool writer; /* its handle was opened for writing */
	/*
	 * The state its owner has taken (what the cache still relies on):
	 * @state once the owner's callback returned. smbiov_lease_info()
	 * reports this one, so a caller that sees R gone also finds the
	 * cache without it.
	 */
	uint32_t held;
	uint16_t epoch;	      /* v2: the server's epoch, as last seen */
	uint8_t version;      /* 1 or 2 */
	uint32_t breaks;      /* break notifications handled */
	uint32_t acked_early; /* acknowledged before @on_change returned */
	int ack_err;	      /* the last acknowledgement's result */
	/*
	 * Holds on it: the worker's while it handles a break, an owner
	 * job's while it runs (smb_lease_forget() waits for none).
	 */
	unsigned busy;
	struct smb_owner_job *job; /* @on_change running for it, or NULL */
	/*
	 * Who caches under it (the file layer): told the new state on an
	 * owner job after the lease took it and, unless the break's deadline
	 * (smbiov_options.break_ack_ms) passes first, before the
	 * acknowledgement goes out, so what the lost rights covered is
	 * written back and dropped first. One job per lease at a time; a
	 * break while it runs makes it run again with the newest state.
	 */
	void (*on_change)(void *owner, uint32_t state);
	void *owner;
	struct smb_lease *next, *prev; /* the client's leases (lease.c) */
	/* the chain of its path's bucket (leases with a path only) */
	struct smb_lease *pnext, *pprev;
	unsigned pbucket;
};

/**
 * smb_lease_want - the lease context to ask for on an open of @path
 * @c: client (its dialect and capabilities decide)
 * @path: the share path to open; NULL: a fresh key whatever is open
 * @l: filled with RWH, v2 on 3.x or v1 on 2.1, and the key of a lease an
 *	open of @path holds in @c's table, or a fresh random one
 *
 * A shared key the server refuses (STATUS_INVALID_PARAMETER: the name
 * is another file now, renamed or replaced under it) is the caller's to
 * retry with a fresh one (@path NULL).
 *
 * Return: 0 (a fresh key), 1 (a key shared with an open of @path), or
 * -EOPNOTSUPP when the server has no leases.
 */
int smb_lease_want(struct smbiov_client *c, const char *path,
		   struct smb2_lease *l);

/**
 * smb_lease_add - keep the lease the server granted (@got, from the
 *	CREATE response of an open of @path) in @c's table; starts the
 *	break worker and installs the break handler on first use
 *
 * Return: the lease (owned by the table until smb_lease_forget()) or NULL
 * when out of memory (the open then works without one).
 */
struct smb_lease *smb_lease_add(struct smbiov_client *c,
				const struct smb2_lease *got, const char *path,
				bool writer);

/**
 * smb_oplock_add - keep the oplock of @level the server granted on @fid
 *	(a CREATE without leases), as smb_lease_add() does a lease; its
 *	state is the lease bits the level amounts to (batch: RWH,
 *	exclusive: RW, level II: R)
 *
 * Return: the entry, or NULL (none granted, out of memory).
 */
struct smb_lease *smb_oplock_add(struct smbiov_client *c,
				 const struct smb2_fileid *fid, uint8_t level);

/*
 * smb_lease_share - an open was granted a lease with @key (16 bytes),
 * which another open of its file holds: every open of the key, the new
 * one too, gives up write caching, as the server's break would have, had
 * the new open a key of its own (call it also when the new open keeps no
 * lease: the others must not keep writes it would not see). Their caches write
 * back and stop keeping writes before this returns, so a read through
 * any of them finds on the server what another wrote: each open has a
 * cache of its own, and only a file's one open may keep dirty bytes. The
 * server's lease keeps W; the entries hold less than it (a break lowers
 * them further) until one of them is left (smb_lease_forget() gives it
 * back what the server still grants). Waits for the owners, without a deadline;
 * never call it from an owner's callback. 0 or -ENOMEM (the caller fails the
 * open).
 */
int smb_lease_share(struct smbiov_client *c, const uint8_t *key);

/*
 * smb_lease_forget - drop @l from @c's table (its file is being closed).
 * When that leaves one entry of its key, the entry takes back what the
 * server still grants the key (write caching a share took: one open
 * again, one cache), through the break worker, before this returns.
 * Never call it from an owner's callback.
 */
void smb_lease_forget(struct smbiov_client *c, struct smb_lease *l);

/*
 * smb_lease_other_writer - does another open of @l's key have its file
 * open for writing? (Then @l's file is closed, not kept after its
 * close: the writer, left alone, takes write caching back.)
 */
bool smb_lease_other_writer(struct smbiov_client *c, const struct smb_lease *l);

/*
 * smb_lease_regranted - a reconnect's DH2C answer granted @l the lease
 * @got: when that is less than @l holds (broken while the connection was
 * down), the break worker takes the state away as for a break (the owner
 * writes back and drops what the lost rights covered), acknowledging
 * nothing. Never waits for the owner (the caller is reconnecting).
 */
void smb_lease_regranted(struct smbiov_client *c, struct smb_lease *l,
			 const struct smb2_lease *got);

/*
 * smb_lease_set_owner - install (or, @fn NULL, remove) @l's state change
 *	callback; waits for a break being handled, so once it returns with
 *	NULL the old owner is never called again
 */
void smb_lease_set_owner(struct smbiov_client *c, struct smb_lease *l,
			 void (*fn)(void *owner, uint32_t state), void *owner);

/* smb_lease_snapshot - @l's fields, read under the table's lock. */
void smb_lease_snapshot(struct smbiov_client *c, const struct smb_lease *l,
			struct smb_lease *out);

/*
 * smb_leases_release - stop @c's break worker and free its table; from
 * client_free(), after the engine stopped (idempotent).
 */
void smb_leases_release(struct smbiov_client *c);

#endif
