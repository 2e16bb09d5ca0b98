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
 * A scenario, run in a forked child: it arms the fault itself with
 * fault_arm(@cls, @nth > 0 ? @nth : -1) where counting starts, stores in
 * *@count how many calls of the class it counted up to where counting
 * ends (fault_count()), and sets *@fired to fault_fired() there. It
 * returns the number of its own failed checks (t.h counts per file).
 * @child_sec: a child still running after that many seconds hangs.
 * @jobs: a sweep runs up to this many children at once (1 ..
 * FAULT_MAX_JOBS): a scenario that mostly waits for the server can.
 */
#define FAULT_MAX_JOBS 8
struct fault_scenario {
	const char *name;
	unsigned child_sec;
	int jobs;
	int (*run)(enum fault_class cls, long nth, long *count, bool *fired);
};

/* The pass over the public API of scenario.c (fault_run, fault_sweep). */
extern const struct fault_scenario fault_api_scenario;

/*
 * Run @s once in a child with @cls armed at @nth (0: count only).
 * @must_succeed: every call must succeed (EINTR, short transfers, or
 * nothing armed). *@count receives how many calls of the class the child
 * counted. Prints what went wrong, with the class and N.
 */
enum fault_outcome fault_run_in(const struct fault_scenario *s,
				enum fault_class cls, long nth,
				bool must_succeed, long *count);

/*
 * Sweep @cls over N = 1.. until the fault stops firing (every @stride-th
 * N up to 64, then at most about @max_points values of N). Returns the
 * number of broken runs plus 1 when the fault fired in fewer than half of
 * them (0 = pass), and prints a summary line with the broken N, and the
 * N of runs that hit a known bug (fault_known_bug()).
 */
int fault_sweep_in(const struct fault_scenario *s, enum fault_class cls,
		   const char *what, bool must_succeed, int max_points,
		   long stride);

/* fault_run_in() and fault_sweep_in() with fault_api_scenario. */
enum fault_outcome fault_run(enum fault_class cls, long nth, bool must_succeed,
			     long *count);
int fault_sweep(enum fault_class cls, const char *what, bool must_succeed,
		int max_points);

/*
 * For a scenario: a call returned @ret. A failure must be a negative
 * errno, and may be one only when the run may fail (not must_succeed);
 * the thread's last error must say the same in words (@sync: an
 * asynchronous result is not the thread's). Counts the run's failed
 * calls (fault_errors()). Returns true on success.
 */
bool fault_judge(const char *what, long long ret, bool sync);
/* How many calls fault_judge() saw fail in this child. */
int fault_errors(void);

/*
 * For a scenario: this run hit a known library bug (@bug names it, a
 * static string). The run still passes if its checks do; the sweep
 * counts such runs and lists their N under @bug, so they stay visible.
 */
void fault_known_bug(const char *bug);

/* What the child is doing now, named in its message if it hangs. */
void fault_phase(const char *what);

#endif
