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

/* One open file's lease, in its client's table (under the table's lock). */
struct smb_lease {
	uint8_t key[SMB2_LEASE_KEY_SIZE];
	bool oplock;		/* an oplock, known by @fid (no leases) */
	struct smb2_fileid fid; /* oplock: the open it is on */
	uint8_t oplock_level;	/* oplock: SMB2_OPLOCK_LEVEL_* now held */
	uint32_t state;	 /* SMB2_LEASE_*_CACHING, as granted and broken */
	uint16_t epoch;	 /* v2: the server's epoch, as last seen */
	uint8_t version; /* 1 or 2 */
	uint32_t breaks; /* break notifications handled */
	int ack_err;	 /* the last acknowledgement's result */
	bool breaking;	 /* a break is queued or being acknowledged */
	/*
	 * Who caches under it (the file layer): told the new state on the
	 * break worker after the lease took it and before the acknowledgement
	 * goes out, so what the lost rights covered is written back and
	 * dropped first.
	 */
	void (*on_change)(void *owner, uint32_t state);
	void *owner;
	struct smb_lease *next;
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
