/* SPDX-License-Identifier: MIT */
/*
 * The fault sweeps' scenario (tests/fault/): one pass over the library's
 * public API against the fixture's smbd, run in a forked child with one
 * fault armed, judged there (every failure is a negative errno with a
 * message, every success is right, nothing hangs), and under the ASan
 * build LeakSanitizer checks at the child's exit that nothing leaked.
 */
#ifndef SMBIOV_TEST_FAULT_SCENARIO_H
#define SMBIOV_TEST_FAULT_SCENARIO_H

#include "fault.h"

/* What one child run reports to the sweep. */
enum fault_outcome {
	FAULT_OK_FIRED, /* the fault fired and was handled */
	FAULT_OK_QUIET, /* everything passed; the fault never fired */
	FAULT_BROKEN,	/* a check failed, a crash, a hang or a leak */
};

/*
 * Run the scenario once in a child with @cls armed at @nth (0: count
 * only). @must_succeed: every call must succeed (EINTR, short transfers,
 * or nothing armed). *@count receives how many calls of the class the
 * child counted. Prints what went wrong.
 */
enum fault_outcome fault_run(enum fault_class cls, long nth, bool must_succeed,
			     long *count);

/*
 * Sweep @cls over N = 1.. until the fault stops firing, sampling at most
 * about @max_points values of N (every one while few). Returns the number
 * of broken runs plus 1 when the fault fired in fewer than half of them
 * (0 = pass), and prints a summary line.
 */
int fault_sweep(enum fault_class cls, const char *what, bool must_succeed,
		int max_points);

#endif
