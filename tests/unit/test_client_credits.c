// SPDX-License-Identifier: MIT
/*
 * The engine's pure bookkeeping: credit accounting and MessageId
 * allocation (MS-SMB2 3.2.4.1.5) and the pending-request table.
 */
#include "client/credits.h"
#include "client/mid_table.h"
#include "t.h"

#include <errno.h>

static void test_charge(void)
{
	/* Each row: payload bytes, multi-credit?, expected CreditCharge. */
	static const struct {
		uint32_t len;
		bool multi;
		uint16_t charge;
	} rows[] = {
		{0, true, 1}, /* no payload still costs one */
		{1, true, 1},
		{65536, true, 1},      /* exactly one unit */
		{65537, true, 2},      /* one byte over: two */
		{8u << 20, true, 128}, /* 8 MiB */
		{8u << 20, false, 1},  /* 2.0.2 / no LARGE_MTU: always 1 */
		{0xFFFFFFFFu, true, 0xFFFF}, /* clamps to the 16-bit field */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		T_EXPECT_EQ(smb_credits_charge(rows[i].len, rows[i].multi),
			    rows[i].charge);
}

static void test_take_grant(void)
{
	struct smb_credits cr;
	uint64_t mid = 99;

	smb_credits_init(&cr, 16);
	/* A new connection: one credit, MessageId 0. */
	T_EXPECT_EQ(smb_credits_take(&cr, 1, &mid), 0);
	T_EXPECT_EQ(mid, 0);
	T_EXPECT_EQ(cr.in_flight, 1);
	/* None left and one in flight: wait. */
	T_EXPECT_EQ(smb_credits_take(&cr, 1, &mid), -EAGAIN);
	/* The response grants 10 and retires the request. */
	smb_credits_grant(&cr, 10);
	smb_credits_done(&cr, 1);
	T_EXPECT_EQ(cr.avail, 10);
	T_EXPECT_EQ(cr.in_flight, 0);
	/* A 4-credit request consumes MessageIds 1..4. */
	T_EXPECT_EQ(smb_credits_take(&cr, 4, &mid), 0);
	T_EXPECT_EQ(mid, 1);
	T_EXPECT_EQ(smb_credits_take(&cr, 1, &mid), 0);
	T_EXPECT_EQ(mid, 5);
	T_EXPECT_EQ(cr.max_in_flight, 5);
	/* 5 left: 6 must wait for the ones in flight. */
	T_EXPECT_EQ(smb_credits_take(&cr, 6, &mid), -EAGAIN);
	smb_credits_done(&cr, 4);
	smb_credits_done(&cr, 1);
	/* Nothing in flight and still short: waiting cannot help. */
	T_EXPECT_EQ(smb_credits_take(&cr, 6, &mid), -ENOBUFS);
	T_EXPECT_EQ(smb_credits_take(&cr, 0, &mid), -EINVAL);
	/* done() never underflows. */
	smb_credits_done(&cr, 100);
	T_EXPECT_EQ(cr.in_flight, 0);
}

static void test_ask(void)
{
	struct smb_credits cr;

	smb_credits_init(&cr, 512);
	/* Far below the target: the charge plus at most ASK_MAX more. */
	T_EXPECT_EQ(smb_credits_ask(&cr, 1), 1 + SMB_CREDIT_ASK_MAX);
	cr.avail = 510;
	/* Two short of the target. */
	T_EXPECT_EQ(smb_credits_ask(&cr, 3), 5);
	cr.avail = 600;
	/* At or above it: just the charge back. */
	T_EXPECT_EQ(smb_credits_ask(&cr, 3), 3);
	/*
	 * A request waits for 900 credits, more than the target: ask for
	 * the whole shortfall at once, not ASK_MAX at a time.
	 */
	cr.avail = 100;
	cr.need = 900;
	T_EXPECT_EQ(smb_credits_ask(&cr, 1), 1 + 800);
	/* Held already covers it: back to the target rule. */
	cr.avail = 950;
	T_EXPECT_EQ(smb_credits_ask(&cr, 2), 2);
	cr.avail = 0;
	cr.need = 0x20000; /* clamps to the 16-bit field */
	T_EXPECT_EQ(smb_credits_ask(&cr, 1), 0xFFFF);
	cr.need = 0;
	/* Grants saturate instead of wrapping. */
	cr.avail = 65530;
	smb_credits_grant(&cr, 100);
	T_EXPECT_EQ(cr.avail, 65535);
}

static void test_mid_table(void)
{
	struct smb_mid_table t;
	struct smb_mid_node n[600], dup;
	size_t popped = 0;

	smb_mid_table_init(&t);
	for (size_t i = 0; i < 600; i++) {
		/* Spread over many buckets and collide in some. */
		n[i].mid = i * 3;
		T_EXPECT_EQ(smb_mid_insert(&t, &n[i]), 0);
	}
	T_EXPECT_EQ(t.count, 600);
	dup.mid = 300;
	T_EXPECT_EQ(smb_mid_insert(&t, &dup), -EEXIST);
	T_EXPECT(smb_mid_lookup(&t, 300) == &n[100]);
	T_EXPECT(smb_mid_lookup(&t, 301) == NULL);
	T_EXPECT_EQ(smb_mid_remove(&t, &n[100]), 0);
	T_EXPECT_EQ(smb_mid_remove(&t, &n[100]), -ENOENT);
	T_EXPECT(smb_mid_lookup(&t, 300) == NULL);
	/* The unsolicited id is an ordinary key here. */
	dup.mid = 0xFFFFFFFFFFFFFFFFull;
	T_EXPECT_EQ(smb_mid_insert(&t, &dup), 0);
	T_EXPECT(smb_mid_lookup(&t, dup.mid) == &dup);
	while (smb_mid_pop(&t))
		popped++;
	T_EXPECT_EQ(popped, 600);
	T_EXPECT_EQ(t.count, 0);
	T_EXPECT(smb_mid_pop(&t) == NULL);
}

int main(void)
{
	T_RUN(test_charge);
	T_RUN(test_take_grant);
	T_RUN(test_ask);
	T_RUN(test_mid_table);
	return t_done();
}
