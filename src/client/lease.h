/* SPDX-License-Identifier: MIT */
/*
 * Leases of open files (MS-SMB2 3.2.4.3.8 requesting, 3.2.5.19.2 breaks,
 * 3.2.4.24 acknowledging), what the file layer's page cache (src/fs)
 * caches under.
 * A file opened with a cache mode other than "none" asks for a lease with
 * a key of its own (one per open file, v2 on SMB 3, v1 on 2.1); where the
 * server has no leases (2.0.2, or no LEASING capability) it asks for a
 * batch oplock instead, which the table keeps the same way, by FileId. The
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

/* One open file's lease, in its client's table (under the table's lock). */
struct smb_lease {
	uint8_t key[SMB2_LEASE_KEY_SIZE];
	bool oplock;		/* an oplock, known by @fid (no leases) */
	struct smb2_fileid fid; /* oplock: the open it is on */
	uint8_t oplock_level;	/* oplock: SMB2_OPLOCK_LEVEL_* now held */
	uint32_t state; /* SMB2_LEASE_*_CACHING, as granted and broken */
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
};

/**
 * smb_lease_want - the lease context to ask for on an open of @c
 * @c: client (its dialect and capabilities decide)
 * @l: filled with a fresh random key, RWH, v2 on 3.x or v1 on 2.1
 *
 * Return: 0, or -EOPNOTSUPP when the server has no leases.
 */
int smb_lease_want(const struct smbiov_client *c, struct smb2_lease *l);

/**
 * smb_lease_add - keep the lease the server granted (@got, from the
 *	CREATE response) in @c's table; starts the break worker and installs
 *	the break handler on first use
 *
 * Return: the lease (owned by the table until smb_lease_forget()) or NULL
 * when out of memory (the open then works without one).
 */
struct smb_lease *smb_lease_add(struct smbiov_client *c,
				const struct smb2_lease *got);

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

/* smb_lease_forget - drop @l from @c's table (its file is being closed). */
void smb_lease_forget(struct smbiov_client *c, struct smb_lease *l);

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
