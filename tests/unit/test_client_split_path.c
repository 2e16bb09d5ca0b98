// SPDX-License-Identifier: MIT
/*
 * The argument translation under smbiov_open() and the path-based calls
 * (src/client/file.c), without a server: UTF-8 '/' paths to UTF-16LE '\\'
 * names, POSIX open flags to CREATE access and disposition, FILETIME to
 * nanoseconds since the epoch.
 */
#include "client/file.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>

/* Does @path become the UTF-16LE form of the ASCII string @want? */
static bool path_is(const char *path, const char *want)
{
	uint8_t *u = NULL;
	size_t len = 0, k, n = strlen(want);
	bool ok;

	if (smb_path_utf16(path, &u, &len))
		return false;
	ok = len == 2 * n && (n > 0 || u == NULL);
	for (k = 0; ok && k < n; k++)
		ok = u[2 * k] == (uint8_t)want[k] && u[2 * k + 1] == 0;
	free(u);
	return ok;
}

static void test_paths(void)
{
	uint8_t *u = NULL;
	size_t len = 7;

	T_EXPECT(path_is("a/b/c.txt", "a\\b\\c.txt"));
	T_EXPECT(path_is("/a//b/", "a\\b"));
	T_EXPECT(path_is("///", ""));
	T_EXPECT(path_is("", ""));
	T_EXPECT(path_is(NULL, ""));
	T_EXPECT(path_is("x", "x"));
	/* A backslash has no representation on the wire. */
	T_EXPECT_EQ(smb_path_utf16("a\\b", &u, &len), -EINVAL);
	T_EXPECT(u == NULL && len == 0);
	/* Invalid UTF-8 is refused. */
	T_EXPECT_EQ(smb_path_utf16("a\xff", &u, &len), -EINVAL);
	/* Non-ASCII: U+00E9 is one UTF-16 unit. */
	T_ASSERT(smb_path_utf16("\xc3\xa9/x", &u, &len) == 0);
	T_EXPECT_EQ(len, 6);
	T_EXPECT(u[0] == 0xe9 && u[1] == 0 && u[2] == '\\' && u[4] == 'x');
	free(u);
}

static void test_flags(void)
{
	uint32_t acc, disp;

	T_EXPECT_EQ(smb_open_flags(O_RDONLY, &acc, &disp), 0);
	T_EXPECT_EQ(disp, SMB2_FILE_OPEN);
	T_EXPECT(acc & SMB_FILE_READ_DATA);
	T_EXPECT(!(acc & SMB_FILE_WRITE_DATA));
	T_EXPECT_EQ(smb_open_flags(O_WRONLY | O_CREAT, &acc, &disp), 0);
	T_EXPECT_EQ(disp, SMB2_FILE_OPEN_IF);
	T_EXPECT(acc & SMB_FILE_WRITE_DATA);
	T_EXPECT(!(acc & SMB_FILE_READ_DATA));
	T_EXPECT_EQ(smb_open_flags(O_RDWR | O_CREAT | O_EXCL, &acc, &disp), 0);
	T_EXPECT_EQ(disp, SMB2_FILE_CREATE);
	T_EXPECT(acc & SMB_FILE_READ_DATA && acc & SMB_FILE_WRITE_DATA);
	T_EXPECT_EQ(smb_open_flags(O_RDWR | O_CREAT | O_TRUNC, &acc, &disp), 0);
	T_EXPECT_EQ(disp, SMB2_FILE_OVERWRITE_IF);
	T_EXPECT_EQ(smb_open_flags(O_WRONLY | O_TRUNC, &acc, &disp), 0);
	T_EXPECT_EQ(disp, SMB2_FILE_OVERWRITE);
	T_EXPECT_EQ(smb_open_flags(O_RDONLY | O_TRUNC, &acc, &disp), -EINVAL);
	T_EXPECT_EQ(smb_open_flags(O_ACCMODE, &acc, &disp), -EINVAL);
}

static void test_filetime(void)
{
	T_EXPECT_EQ(smb_filetime_ns(0), 0);
	/* 1970-01-01T00:00:00Z */
	T_EXPECT_EQ(smb_filetime_ns(116444736000000000ULL), 0);
	/* One second and 100 ns later. */
	T_EXPECT_EQ(smb_filetime_ns(116444736000000000ULL + 10000001),
		    1000000100LL);
	/* 2000-01-01T00:00:00Z = 946684800 s */
	T_EXPECT_EQ(smb_filetime_ns(125911584000000000ULL),
		    946684800LL * 1000000000LL);
	/* Before the epoch is negative; out of int64 range saturates. */
	T_EXPECT(smb_filetime_ns(116444736000000000ULL - 1) == -100);
	T_EXPECT_EQ(smb_filetime_ns(1), INT64_MIN);
	T_EXPECT_EQ(smb_filetime_ns(UINT64_MAX), INT64_MAX);
}

int main(void)
{
	T_RUN(test_paths);
	T_RUN(test_flags);
	T_RUN(test_filetime);
	return t_done();
}
