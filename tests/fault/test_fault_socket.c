// SPDX-License-Identifier: MIT
/*
 * Socket-fault sweep (DESIGN.md §5 tests/fault), against the fixture's
 * smbd with the scenario of scenario.c:
 *  - the N-th sendmsg/recvmsg/recv fails with ECONNRESET: every call from
 *    then on fails cleanly, nothing hangs, crashes or leaks;
 *  - the N-th socket call (poll included) fails with EINTR: nothing may
 *    fail at all, an interrupted call is simply retried;
 *  - every transfer moves at most a few bytes (partial sends and
 *    receives): everything must still succeed with the right bytes.
 */
#include "scenario.h"

#include "integ.h"
#include "t.h"

int main(void)
{
	long count;

	if (integ_env_load() < 0)
		return t_skip("no test server (run through ctest)");
	T_EXPECT_EQ(fault_sweep(FAULT_SOCK_ERR, "connection reset", false, 200),
		    0);
	T_EXPECT_EQ(fault_sweep(FAULT_SOCK_EINTR, "EINTR", true, 200), 0);
	/* Every transfer short: 3 MiB moved a few bytes at a time is slow,
	 * so this one runs once. */
	T_EXPECT_EQ(fault_run(FAULT_SOCK_SHORT, 1, true, &count),
		    FAULT_OK_FIRED);
	T_EXPECT(count > 0);
	return t_done();
}
