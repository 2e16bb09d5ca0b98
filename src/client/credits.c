// SPDX-License-Identifier: MIT
/*
 * Credit and MessageId accounting (MS-SMB2 3.2.4.1.5, 3.2.5.1.4).
 */
#include "client/credits.h"

#include <errno.h>

/* Cap on credits held, far above any server's grant (Samba: 8192). */
#define CREDITS_HELD_MAX 65535u

void smb_credits_init(struct smb_credits *cr, uint32_t target)
{
	/* A new connection owns exactly MessageId 0 (MS-SMB2 3.2.3). */
	cr->avail = 1;
	cr->in_flight = 0;
	cr->max_in_flight = 0;
	cr->target = target ? target : SMB_CREDIT_TARGET;
	cr->need = 0;
	cr->next_mid = 0;
}

uint16_t smb_credits_charge(uint32_t payload_len, bool multi_credit)
{
	uint32_t n;

	if (!multi_credit || payload_len == 0)
		return 1;
	n = (uint32_t)(((uint64_t)payload_len + SMB_CREDIT_UNIT - 1) /
		       SMB_CREDIT_UNIT);
	return (uint16_t)(n > 0xFFFF ? 0xFFFF : n);
}

int smb_credits_take(struct smb_credits *cr, uint16_t charge, uint64_t *mid)
{
	if (!charge)
		return -EINVAL;
	if (cr->avail < charge)
		return cr->in_flight ? -EAGAIN : -ENOBUFS;
	cr->avail -= charge;
	cr->in_flight += charge;
	if (cr->in_flight > cr->max_in_flight)
		cr->max_in_flight = cr->in_flight;
	*mid = cr->next_mid;
	cr->next_mid += charge;
	return 0;
}

uint16_t smb_credits_ask(const struct smb_credits *cr, uint16_t charge)
{
	uint64_t held = (uint64_t)cr->avail + cr->in_flight;
	uint64_t ask = charge;

	if (held < cr->target) {
		uint64_t gap = cr->target - held;

		ask += gap < SMB_CREDIT_ASK_MAX ? gap : SMB_CREDIT_ASK_MAX;
	}
	if (cr->need > held && ask < charge + (cr->need - held))
		ask = charge + (cr->need - held);
	return (uint16_t)(ask > 0xFFFF ? 0xFFFF : ask);
}

void smb_credits_grant(struct smb_credits *cr, uint16_t granted)
{
	uint32_t room = CREDITS_HELD_MAX - cr->avail;

	cr->avail += granted < room ? granted : room;
}

void smb_credits_done(struct smb_credits *cr, uint16_t charge)
{
	cr->in_flight -= charge < cr->in_flight ? charge : cr->in_flight;
}
