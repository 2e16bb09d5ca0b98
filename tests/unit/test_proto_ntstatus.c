/* SPDX-License-Identifier: MIT */
/*
 * The NTSTATUS table: sorted and unique (binary search relies on it),
 * spot-checked values from MS-ERREF 2.3.1, errno mapping, unknown codes.
 */
#include <errno.h>

#include "proto/ntstatus.h"
#include "t.h"

static void test_sorted(void)
{
	size_t n = ntstatus_table_size();

	T_EXPECT(n >= 60);
	for (size_t i = 1; i < n; i++)
		T_EXPECT(ntstatus_table_code(i - 1) < ntstatus_table_code(i));
	T_EXPECT_EQ(ntstatus_table_code(n), 0);
	/* Every entry is found by the search. */
	for (size_t i = 0; i < n; i++)
		T_EXPECT(ntstatus_name(ntstatus_table_code(i)) != NULL);
}

static void test_values(void)
{
	static const struct {
		uint32_t code;
		const char *name;
		int err;
	} rows[] = {
		{0x00000000, "STATUS_SUCCESS", 0},
		{0x00000103, "STATUS_PENDING", -EINPROGRESS},
		{0x80000005, "STATUS_BUFFER_OVERFLOW", -EOVERFLOW},
		{0x80000006, "STATUS_NO_MORE_FILES", -ENODATA},
		{0x8000002D, "STATUS_STOPPED_ON_SYMLINK", -ELOOP},
		{0xC0000011, "STATUS_END_OF_FILE", -ENODATA},
		{0xC0000016, "STATUS_MORE_PROCESSING_REQUIRED", -EAGAIN},
		{0xC0000022, "STATUS_ACCESS_DENIED", -EACCES},
		{0xC0000034, "STATUS_OBJECT_NAME_NOT_FOUND", -ENOENT},
		{0xC0000035, "STATUS_OBJECT_NAME_COLLISION", -EEXIST},
		{0xC000003A, "STATUS_OBJECT_PATH_NOT_FOUND", -ENOENT},
		{0xC0000043, "STATUS_SHARING_VIOLATION", -EBUSY},
		{0xC000006D, "STATUS_LOGON_FAILURE", -EACCES},
		{0xC000007F, "STATUS_DISK_FULL", -ENOSPC},
		{0xC00000BA, "STATUS_FILE_IS_A_DIRECTORY", -EISDIR},
		{0xC00000BB, "STATUS_NOT_SUPPORTED", -EOPNOTSUPP},
		{0xC00000CC, "STATUS_BAD_NETWORK_NAME", -ENOENT},
		{0xC0000101, "STATUS_DIRECTORY_NOT_EMPTY", -ENOTEMPTY},
		{0xC0000103, "STATUS_NOT_A_DIRECTORY", -ENOTDIR},
		{0xC0000120, "STATUS_CANCELLED", -ECANCELED},
		{0xC0000203, "STATUS_USER_SESSION_DELETED", -ENETRESET},
		{0xC000035C, "STATUS_NETWORK_SESSION_EXPIRED", -EKEYEXPIRED},
		{0xC000A000, "STATUS_INVALID_SIGNATURE", -EBADMSG},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *nm = ntstatus_name(rows[i].code);

		T_ASSERT(nm != NULL);
		T_EXPECT(strcmp(nm, rows[i].name) == 0);
		T_EXPECT_EQ(ntstatus_to_errno(rows[i].code), rows[i].err);
	}
	T_EXPECT_EQ(STATUS_LOCK_NOT_GRANTED, 0xC0000055u);
	T_EXPECT_EQ(STATUS_FILE_CLOSED, 0xC0000128u);
}

static void test_unknown(void)
{
	char buf[NTSTATUS_STR_MIN], small[8];

	T_EXPECT(ntstatus_name(0xC0DEC0DE) == NULL);
	T_EXPECT_EQ(ntstatus_to_errno(0xC0DEC0DE), -EIO);
	T_EXPECT_EQ(ntstatus_to_errno(0x40000001), -EIO);
	T_EXPECT(strcmp(ntstatus_str(0xC0DEC0DE, buf, sizeof(buf)),
			"STATUS_UNKNOWN_0xC0DEC0DE") == 0);
	T_EXPECT(strcmp(ntstatus_str(0xC0DEC0DE, small, sizeof(small)),
			"STATUS_") == 0);
	T_EXPECT(strcmp(ntstatus_str(0xC0DEC0DE, NULL, 0), "STATUS_UNKNOWN") ==
		 0);
	T_EXPECT(strcmp(ntstatus_str(STATUS_DISK_FULL, buf, sizeof(buf)),
			"STATUS_DISK_FULL") == 0);
}

int main(void)
{
	T_RUN(test_sorted);
	T_RUN(test_values);
	T_RUN(test_unknown);
	return t_done();
}
