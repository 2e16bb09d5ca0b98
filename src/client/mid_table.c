// SPDX-License-Identifier: MIT
/*
 * Pending requests by MessageId (MS-SMB2 3.2.1.2 OutstandingRequests).
 */
#include "client/mid_table.h"

#include <errno.h>
#include <string.h>

static size_t mid_hash(uint64_t mid)
{
	/* MessageIds are sequential: the low bits spread them evenly. */
	return (size_t)(mid & (SMB_MID_BUCKETS - 1));
}

void smb_mid_table_init(struct smb_mid_table *t)
{
	memset(t, 0, sizeof(*t));
}

int smb_mid_insert(struct smb_mid_table *t, struct smb_mid_node *n)
{
	struct smb_mid_node **b = &t->bucket[mid_hash(n->mid)];

	if (smb_mid_lookup(t, n->mid))
		return -EEXIST;
	n->next = *b;
	*b = n;
	t->count++;
	return 0;
}

struct smb_mid_node *smb_mid_lookup(const struct smb_mid_table *t, uint64_t mid)
{
	struct smb_mid_node *n = t->bucket[mid_hash(mid)];

	while (n && n->mid != mid)
		n = n->next;
	return n;
}

int smb_mid_remove(struct smb_mid_table *t, struct smb_mid_node *n)
{
	struct smb_mid_node **p = &t->bucket[mid_hash(n->mid)];

	while (*p && *p != n)
		p = &(*p)->next;
	if (!*p)
		return -ENOENT;
	*p = n->next;
	n->next = NULL;
	t->count--;
	return 0;
}

struct smb_mid_node *smb_mid_pop(struct smb_mid_table *t)
{
	for (size_t i = 0; i < SMB_MID_BUCKETS && t->count; i++) {
		struct smb_mid_node *n = t->bucket[i];

		if (n) {
			t->bucket[i] = n->next;
			n->next = NULL;
			t->count--;
			return n;
		}
	}
	return NULL;
}
