// SPDX-License-Identifier: MIT
/*
 * Differential test of the iterator core against a flat reference model
 * (iter_diff.h): 20,000 reproducible pseudo-random inputs, each choosing an
 * iterator type, a random segmentation of the same bytes and up to 64
 * operations (copies, advance, revert, truncate/reexpand, zero, geometry,
 * extract + unpin, views, save/restore, dup, short walks).
 *
 * A failure prints the run number and the input in hex; save it as a file
 * under tests/fuzz/corpus/iter_diff/ to replay it with fuzz_iter_diff.
 * SMBIOV_DIFF_RUNS overrides the number of runs.
 */
#include "iter_diff.h"

#include "t.h"

#define DEFAULT_RUNS 20000
#define INPUT_MAX    300

/* splitmix64: a fixed seed makes every run reproducible. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int main(void)
{
	static uint8_t input[INPUT_MAX];
	unsigned char *arena = aligned_alloc(DIFF_PG, DIFF_ARENA);
	unsigned char *shadow = malloc(DIFF_ARENA);
	unsigned char *tmp = malloc(DIFF_ARENA);
	const char *env = getenv("SMBIOV_DIFF_RUNS");
	unsigned long runs = env ? strtoul(env, NULL, 0) : DEFAULT_RUNS;
	unsigned per_type[8] = {0};
	uint64_t seed = 0x5eed1e55c0ffee00ull;
	struct diff d;

	T_ASSERT(arena && shadow && tmp);
	for (unsigned long r = 0; r < runs; r++) {
		size_t len = 8 + next_rand(&seed) % (INPUT_MAX - 8);
		bool ok;

		for (size_t k = 0; k < len; k += 8) {
			uint64_t v = next_rand(&seed);

			for (size_t b = 0; b < 8 && k + b < len; b++)
				input[k + b] = (uint8_t)(v >> (8 * b));
		}
		ok = diff_run(&d, input, len, arena, shadow, tmp);
		T_EXPECT(ok);
		if (d.type >= 1 && d.type <= 7)
			per_type[d.type]++;
		if (!ok) {
			fprintf(stderr, "run %lu: %s\ninput:", r, d.msg);
			for (size_t k = 0; k < len; k++)
				fprintf(stderr, "%s%02x", k % 32 ? "" : "\n  ",
					input[k]);
			fprintf(stderr, "\n");
			if (t_failures >= 5)
				break;
		}
	}
	/* Every type was exercised. */
	for (int t = SMBIOV_ITER_UBUF; t <= SMBIOV_ITER_DISCARD; t++)
		T_EXPECT(per_type[t] > 0 || runs < 100);
	T_EXPECT_EQ(smbiov_pins_outstanding(), 0);
	free(arena);
	free(shadow);
	free(tmp);
	return t_done();
}
