// SPDX-License-Identifier: MIT
/*
 * Allocation-failure sweep (DESIGN.md §5 tests/fault): the N-th malloc,
 * calloc, realloc, strdup, mmap or pthread_create the library makes
 * fails, for N over the whole scenario (scenario.c) against the fixture's
 * smbd. Each run must report clean errors, never crash or hang, and (ASan
 * build) leak nothing.
 */
#include "scenario.h"

#include "integ.h"
#include "t.h"

int main(void)
{
	if (integ_env_load() < 0)
		return t_skip("no test server (run through ctest)");
	T_EXPECT_EQ(fault_sweep(FAULT_ALLOC, "allocation failures", false, 250),
		    0);
	return t_done();
}
