/* SPDX-License-Identifier: MIT */
/*
 * Minimal test helpers shared by the unit tests: expectation macros that
 * count failures and report file:line, and the exit-code convention
 * (0 pass, 1 fail, 77 skip; under CI=true a skip is a failure).
 */
#ifndef SMBIOV_TEST_T_H
#define SMBIOV_TEST_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

/* Atomic: scripted peers and worker threads check too, beside main. */
static _Atomic int t_failures;
static _Atomic int t_checks;

#define T_EXPECT(cond)                                                         \
	do {                                                                   \
		t_checks++;                                                    \
		if (!(cond)) {                                                 \
			t_failures++;                                          \
			fprintf(stderr, "%s:%d: expected %s\n", __FILE__,      \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

/* Compare two integers and print both values on mismatch. */
#define T_EXPECT_EQ(a, b)                                                      \
	do {                                                                   \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);        \
		t_checks++;                                                    \
		if (t_a_ != t_b_) {                                            \
			t_failures++;                                          \
			fprintf(stderr, "%s:%d: %s == %s: %lld != %lld\n",     \
				__FILE__, __LINE__, #a, #b, t_a_, t_b_);       \
		}                                                              \
	} while (0)

/* Fatal: stop the test program now. */
#define T_ASSERT(cond)                                                         \
	do {                                                                   \
		t_checks++;                                                    \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: assertion %s failed\n",        \
				__FILE__, __LINE__, #cond);                    \
			exit(T_EXIT_FAIL);                                     \
		}                                                              \
	} while (0)

/* Run one test function and report it. */
#define T_RUN(fn)                                                              \
	do {                                                                   \
		int t_before_ = t_failures;                                    \
		fn();                                                          \
		fprintf(stderr, "%-40s %s\n", #fn,                             \
			t_failures == t_before_ ? "ok" : "FAILED");            \
	} while (0)

static inline int t_done(void)
{
	fprintf(stderr, "%d checks, %d failed\n", (int)t_checks,
		(int)t_failures);
	if (t_checks == 0)
		return T_EXIT_FAIL; /* a test that checked nothing proves
				       nothing */
	return t_failures ? T_EXIT_FAIL : T_EXIT_PASS;
}

/* Skip, except under CI=true where a skip is a failure. */
static inline int t_skip(const char *why)
{
	const char *ci = getenv("CI");
	fprintf(stderr, "SKIP: %s\n", why);
	if (ci && strcmp(ci, "true") == 0)
		return T_EXIT_FAIL;
	return T_EXIT_SKIP;
}

static inline int t_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode a hex string (either case, spaces ignored) into @out; returns the
 * byte count. A bad digit, an odd digit count or more than @max bytes stops
 * the test: a mistyped test vector must not pass as a shorter one.
 */
static inline size_t t_unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		T_ASSERT(t_hexval(s[0]) >= 0 && s[1] && t_hexval(s[1]) >= 0);
		T_ASSERT(n < max);
		out[n++] =
			(unsigned char)(t_hexval(s[0]) << 4 | t_hexval(s[1]));
		s += 2;
	}
	return n;
}

static inline unsigned char t_pattern(size_t x)
{
	return (unsigned char)(x & 0xff);
}

#endif
