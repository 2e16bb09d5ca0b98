// SPDX-License-Identifier: MIT
/*
 * The file layer's one path hash and comparison (src/fs/path.c): every
 * spelling of a path with empty components ("/a//b/") hashes and
 * compares as the path without them ("a/b"), which is what the parked
 * files' index stores (a normalized copy) and what the siblings' index
 * is asked with (a caller's spelling); a prefix hashes as that
 * directory; different names differ.
 */
#include "fs/cache.h"
#include "t.h"

#include <string.h>

static void test_spellings(void)
{
	static const char *same[] = {"a/b", "/a/b", "a//b", "a/b/",
				     "//a///b//"};

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		T_EXPECT_EQ(fs_path_hash(same[i]), fs_path_hash("a/b"));
		T_EXPECT(fs_path_eq(same[i], "a/b"));
		T_EXPECT(fs_path_eq("a/b", same[i]));
	}
	/* the root, spelled any way */
	T_EXPECT_EQ(fs_path_hash("/"), fs_path_hash(""));
	T_EXPECT(fs_path_eq("//", ""));
	T_EXPECT(!fs_path_eq("a/b", "a/bc"));
	T_EXPECT(!fs_path_eq("a/b", "ab"));
	T_EXPECT(!fs_path_eq("a", "a/b"));
	T_EXPECT(fs_path_hash("a/b") != fs_path_hash("ab"));
	T_EXPECT(fs_path_hash("a/b") != fs_path_hash("b/a"));
}

/* A directory's hash from the path of a file below it (deferred.c). */
static void test_prefix(void)
{
	const char *p = "dir/sub/file";

	T_EXPECT_EQ(fs_path_hash_n(p, 3), fs_path_hash("dir"));
	T_EXPECT_EQ(fs_path_hash_n(p, 7), fs_path_hash("/dir//sub/"));
	T_EXPECT_EQ(fs_path_hash_n(p, strlen(p) + 10), fs_path_hash(p));
}

int main(void)
{
	T_RUN(test_spellings);
	T_RUN(test_prefix);
	return t_done();
}
