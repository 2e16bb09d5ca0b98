/* SPDX-License-Identifier: MIT */
/*
 * A transfer's further connection (--streams) is used only when it came
 * out exactly as protected as the first: same dialect, signing and its
 * algorithm, encryption and its cipher (cli_same_protection). Each field
 * that differs, in either direction, refuses it; fields that do not apply
 * (the algorithm of signing that is off) do not.
 */
#include <stdbool.h>

#include "cli.h"
#include "t.h"

static const struct smbiov_conn_info sealed = {
	.dialect = 0x0311,
	.cipher = 0x0002, /* AES-128-GCM */
	.signing_alg = 0x0002,
	.signing = false,
	.encrypted = true,
	.max_read = 8u << 20,
	.max_write = 8u << 20,
};

static void test_same(void)
{
	struct smbiov_conn_info b = sealed;

	T_EXPECT(cli_same_protection(&sealed, &b));
	/* Sizes are not protection. */
	b.max_read = 65536;
	T_EXPECT(cli_same_protection(&sealed, &b));
}

static void test_each_difference_refuses(void)
{
	struct smbiov_conn_info b;

	b = sealed;
	b.dialect = 0x0302;
	T_EXPECT(!cli_same_protection(&sealed, &b));
	b = sealed;
	b.encrypted = false;
	b.cipher = 0;
	T_EXPECT(!cli_same_protection(&sealed, &b));
	/* Stronger is also different: not used either. */
	T_EXPECT(!cli_same_protection(&b, &sealed));
	b = sealed;
	b.cipher = 0x0001; /* AES-128-CCM */
	T_EXPECT(!cli_same_protection(&sealed, &b));
	b = sealed;
	b.signing = true;
	T_EXPECT(!cli_same_protection(&sealed, &b));
}

static void test_signed(void)
{
	struct smbiov_conn_info a = sealed, b;

	a.encrypted = false;
	a.cipher = 0;
	a.signing = true;
	b = a;
	T_EXPECT(cli_same_protection(&a, &b));
	b.signing_alg = 0x0001; /* AES-CMAC instead of GMAC */
	T_EXPECT(!cli_same_protection(&a, &b));
	b = a;
	b.signing = false;
	T_EXPECT(!cli_same_protection(&a, &b));
	/* Plain both: the algorithm of signing that is off does not count. */
	a.signing = false;
	b = a;
	b.signing_alg = 0x0000;
	T_EXPECT(cli_same_protection(&a, &b));
}

int main(void)
{
	T_RUN(test_same);
	T_RUN(test_each_difference_refuses);
	T_RUN(test_signed);
	return t_done();
}
