/* SPDX-License-Identifier: MIT */
/*
 * Install smoke test (DESIGN.md §6.10): built by scripts/test against the
 * *installed* headers and library through pkg-config, once shared and once
 * static. It only uses the public API: a KVEC source over three segments is
 * copied out with smbiov_copy_from_iter() and the bytes are compared.
 * Exit 0 = the installed library works, 1 = it does not.
 */
#include <smbiov/iter.h>

#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

int main(void)
{
	static char a[] = "hello, ";
	static char b[] = "installed ";
	static char c[] = "smbiov";
	const char want[] = "hello, installed smbiov";
	struct iovec kv[3] = {
		{.iov_base = a, .iov_len = strlen(a)},
		{.iov_base = b, .iov_len = strlen(b)},
		{.iov_base = c, .iov_len = strlen(c)},
	};
	size_t total = strlen(want);
	char out[64];
	struct smbiov_iter it;
	size_t n;
	int err;

	err = smbiov_iter_kvec(&it, SMBIOV_ITER_SOURCE, kv, 3, total);
	if (err) {
		fprintf(stderr, "smoke: smbiov_iter_kvec: %s\n",
			smbiov_strerror(err));
		return 1;
	}
	memset(out, 0, sizeof(out));
	/* Ask for more than there is: the copy must stop at the count. */
	n = smbiov_copy_from_iter(out, sizeof(out), &it);
	if (n != total || memcmp(out, want, total) != 0 ||
	    smbiov_iter_count(&it) != 0) {
		fprintf(stderr,
			"smoke: copied %zu bytes \"%.*s\", want %zu \"%s\"\n",
			n, (int)n, out, total, want);
		return 1;
	}
	printf("smoke: ok (%zu bytes through the installed libsmbiov)\n", n);
	return 0;
}
