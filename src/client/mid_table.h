/* SPDX-License-Identifier: MIT */
/*
 * The pending-request table: requests in flight indexed by MessageId
 * (MS-SMB2 3.2.1.2 Connection.OutstandingRequests). Intrusive hash table:
 * the node lives inside the request, so inserting never allocates and
 * cannot fail for memory. No locking: the engine holds its connection lock.
 */
#ifndef SMBIOV_CLIENT_MID_TABLE_H
#define SMBIOV_CLIENT_MID_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define SMB_MID_BUCKETS 256 /* power of two */

struct smb_mid_node {
	uint64_t mid;
	struct smb_mid_node *next;
};

struct smb_mid_table {
	struct smb_mid_node *bucket[SMB_MID_BUCKETS];
	size_t count;
};

/* Empty the table (does not touch nodes that were in it). */
void smb_mid_table_init(struct smb_mid_table *t);

/**
 * smb_mid_insert - add @n under @n->mid
 * Return: 0, or -EEXIST if that MessageId is already pending (the table is
 * unchanged).
 */
int smb_mid_insert(struct smb_mid_table *t, struct smb_mid_node *n);

/* The node pending under @mid, or NULL. */
struct smb_mid_node *smb_mid_lookup(const struct smb_mid_table *t,
				    uint64_t mid);

/**
 * smb_mid_remove - take @n out of the table
 * Return: 0, or -ENOENT if it was not in it.
 */
int smb_mid_remove(struct smb_mid_table *t, struct smb_mid_node *n);

/* Remove and return any one node (for failing everything), or NULL. */
struct smb_mid_node *smb_mid_pop(struct smb_mid_table *t);

#endif
