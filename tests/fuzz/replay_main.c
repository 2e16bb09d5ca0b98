/* SPDX-License-Identifier: MIT */
/*
 * Replay driver for fuzz targets in non-fuzzing builds: runs
 * LLVMFuzzerTestOneInput on every file of the corpus directories (or files)
 * given as arguments. The corpus must not be empty: an empty corpus would
 * make the test pass without exercising anything.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		fclose(f);
		free(buf);
		fprintf(stderr, "%s: read failed\n", path);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	size_t ran = 0;

	for (int a = 1; a < argc; a++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[a], &st) != 0) {
			perror(argv[a]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[a]) != 0)
				return 1;
			ran++;
			continue;
		}
		d = opendir(argv[a]);
		if (!d) {
			perror(argv[a]);
			return 1;
		}
		while ((e = readdir(d)) != NULL) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[a],
				 e->d_name);
			if (run_file(path) != 0) {
				closedir(d);
				return 1;
			}
			ran++;
		}
		closedir(d);
	}
	fprintf(stderr, "replayed %zu inputs\n", ran);
	return ran ? 0 : 1;
}
