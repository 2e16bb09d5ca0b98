// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the iterator differential engine (tests/unit/
 * iter_diff.h) on fuzzer input. Any difference between the iterator core
 * and the flat reference model aborts, so libFuzzer reports it with the
 * input. In normal builds it replays tests/fuzz/corpus/iter_diff/.
 */
#include "iter_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char *arena, *shadow, *tmp;
	struct diff d;

	if (!arena) {
		arena = aligned_alloc(DIFF_PG, DIFF_ARENA);
		shadow = malloc(DIFF_ARENA);
		tmp = malloc(DIFF_ARENA);
		if (!arena || !shadow || !tmp)
			abort();
	}
	if (!diff_run(&d, data, size, arena, shadow, tmp)) {
		fprintf(stderr, "iter_diff mismatch: %s\n", d.msg);
		abort();
	}
	return 0;
}
