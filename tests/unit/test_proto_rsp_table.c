// SPDX-License-Identifier: MIT
/*
 * The per-command response table (proto/rsp_table.c): every command's
 * normal StructureSize (typed here from the MS-SMB2 2.2.x response
 * sections, independently of smb2.h), the ERROR Response form for every
 * other status, the MS-SMB2 3.3.4.4 exceptions, the interim
 * STATUS_PENDING response, unknown commands and CANCEL, and truncated or
 * malformed elements at every length.
 */
#include "proto/rsp_table.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proto/le.h"
#include "proto/ntstatus.h"
#include "proto/smb2.h"
#include "t.h"

/* Command -> response StructureSize(s), MS-SMB2 section. */
static const struct {
	uint16_t command;
	uint16_t sizes[3];
	const char *section;
} expect[] = {
	{0x0000, {65}, "2.2.4 NEGOTIATE Response"},
	{0x0001, {9}, "2.2.6 SESSION_SETUP Response"},
	{0x0002, {4}, "2.2.8 LOGOFF Response"},
	{0x0003, {16}, "2.2.10 TREE_CONNECT Response"},
	{0x0004, {4}, "2.2.12 TREE_DISCONNECT Response"},
	{0x0005, {89}, "2.2.14 CREATE Response"},
	{0x0006, {60}, "2.2.16 CLOSE Response"},
	{0x0007, {4}, "2.2.18 FLUSH Response"},
	{0x0008, {17}, "2.2.20 READ Response"},
	{0x0009, {17}, "2.2.22 WRITE Response"},
	{0x000A, {4}, "2.2.27 LOCK Response"},
	{0x000B, {49}, "2.2.32 IOCTL Response"},
	{0x000D, {4}, "2.2.29 ECHO Response"},
	{0x000E, {9}, "2.2.34 QUERY_DIRECTORY Response"},
	{0x000F, {9}, "2.2.36 CHANGE_NOTIFY Response"},
	{0x0010, {9}, "2.2.38 QUERY_INFO Response"},
	{0x0011, {2}, "2.2.40 SET_INFO Response"},
	/* Oplock Break Notification/Response, Lease Break Response and
	 * Notification: 2.2.23.1, 2.2.25.1, 2.2.25.2, 2.2.23.2. */
	{0x0012, {24, 36, 44}, "2.2.23/2.2.25 OPLOCK_BREAK"},
};

#define NEXPECT (sizeof(expect) / sizeof(expect[0]))

static uint8_t msg[SMB2_HDR_SIZE + 128];

/* A response header for @command with @status and a body StructureSize. */
static size_t build(uint16_t command, uint32_t status, uint16_t size)
{
	struct smb2_hdr h;

	memset(msg, 0, sizeof(msg));
	smb2_hdr_init_req(&h, command, 7, 1, 1);
	h.flags |= SMB2_FLAGS_SERVER_TO_REDIR;
	h.status = status;
	smb2_hdr_encode(msg, &h);
	le16_put(msg + SMB2_HDR_SIZE, size);
	/* The fixed part plus the odd byte StructureSize counts. */
	return SMB2_HDR_SIZE + size;
}

static void test_normal_sizes(void)
{
	for (size_t i = 0; i < NEXPECT; i++) {
		const struct smb2_rsp_desc *d =
			smb2_rsp_desc(expect[i].command);

		T_ASSERT(d != NULL);
		T_EXPECT_EQ(d->command, expect[i].command);
		T_EXPECT(d->name != NULL);
		for (size_t k = 0; k < 3; k++)
			T_EXPECT_EQ(d->sizes[k], expect[i].sizes[k]);
		T_EXPECT_EQ(smb2_rsp_body_kind(expect[i].command, 0),
			    SMB2_RSP_BODY_NORMAL);
		for (size_t k = 0; k < 3 && expect[i].sizes[k]; k++) {
			uint16_t sz = expect[i].sizes[k];
			size_t len = build(expect[i].command, 0, sz);

			if (smb2_rsp_check(msg, len) != SMB2_RSP_BODY_NORMAL)
				fprintf(stderr, "%s size %u\n",
					expect[i].section, sz);
			T_EXPECT_EQ(smb2_rsp_check(msg, len),
				    SMB2_RSP_BODY_NORMAL);
			/* Only the fixed part is required... */
			T_EXPECT_EQ(
				smb2_rsp_check(msg, SMB2_HDR_SIZE + (sz & ~1u)),
				SMB2_RSP_BODY_NORMAL);
			/* ...but all of it. */
			T_EXPECT_EQ(smb2_rsp_check(msg, SMB2_HDR_SIZE +
								(sz & ~1u) - 1),
				    -EBADMSG);
			/* Any other StructureSize is refused on success
			 * (9 too: success never carries the error body
			 * unless the command's own size is 9). */
			for (uint32_t other = 0; other < 100; other++) {
				int want = -EBADMSG;

				for (size_t m = 0; m < 3; m++)
					if (other &&
					    other == expect[i].sizes[m])
						want = SMB2_RSP_BODY_NORMAL;
				len = build(expect[i].command, 0,
					    (uint16_t)other);
				T_EXPECT_EQ(smb2_rsp_check(msg, len + 2), want);
			}
		}
	}
}

/* Any failure status carries the ERROR Response (StructureSize 9). */
static void test_error_form(void)
{
	static const uint32_t errs[] = {
		STATUS_ACCESS_DENIED,
		STATUS_OBJECT_NAME_NOT_FOUND,
		STATUS_NO_MORE_FILES,
		STATUS_STOPPED_ON_SYMLINK,
		STATUS_BUFFER_TOO_SMALL,
		STATUS_END_OF_FILE,
		STATUS_USER_SESSION_DELETED,
		STATUS_NETWORK_SESSION_EXPIRED,
		STATUS_CANCELLED,
		STATUS_INVALID_PARAMETER,
		STATUS_BUFFER_OVERFLOW,
		STATUS_MORE_PROCESSING_REQUIRED,
		0xC0DEC0DE, /* unknown codes too */
	};

	for (size_t i = 0; i < NEXPECT; i++) {
		uint16_t c = expect[i].command;

		for (size_t e = 0; e < sizeof(errs) / sizeof(errs[0]); e++) {
			int kind = smb2_rsp_body_kind(c, errs[e]);
			size_t len;

			if (kind != SMB2_RSP_BODY_ERROR)
				continue; /* a special: test_specials */
			len = build(c, errs[e], SMB2_ERROR_RSP_SIZE);
			T_EXPECT_EQ(smb2_rsp_check(msg, len),
				    SMB2_RSP_BODY_ERROR);
			/* ByteCount present, ErrorData byte may be missing. */
			T_EXPECT_EQ(smb2_rsp_check(msg, SMB2_HDR_SIZE + 8),
				    SMB2_RSP_BODY_ERROR);
			T_EXPECT_EQ(smb2_rsp_check(msg, SMB2_HDR_SIZE + 7),
				    -EBADMSG);
			/* The command's own body with a failure status is
			 * malformed, unless its size is 9 as well. */
			len = build(c, errs[e], expect[i].sizes[0]);
			T_EXPECT_EQ(smb2_rsp_check(msg, len),
				    expect[i].sizes[0] == 9
					    ? SMB2_RSP_BODY_ERROR
					    : -EBADMSG);
		}
	}
	/* The exceptions are per command: elsewhere these are errors. */
	T_EXPECT_EQ(smb2_rsp_body_kind(SMB2_CREATE, STATUS_BUFFER_OVERFLOW),
		    SMB2_RSP_BODY_ERROR);
	T_EXPECT_EQ(smb2_rsp_body_kind(SMB2_TREE_CONNECT,
				       STATUS_MORE_PROCESSING_REQUIRED),
		    SMB2_RSP_BODY_ERROR);
	T_EXPECT_EQ(
		smb2_rsp_body_kind(SMB2_QUERY_INFO, STATUS_INVALID_PARAMETER),
		SMB2_RSP_BODY_ERROR);
	T_EXPECT_EQ(
		smb2_rsp_body_kind(SMB2_QUERY_DIRECTORY, STATUS_NO_MORE_FILES),
		SMB2_RSP_BODY_ERROR);
	T_EXPECT_EQ(smb2_rsp_body_kind(SMB2_CREATE, STATUS_STOPPED_ON_SYMLINK),
		    SMB2_RSP_BODY_ERROR);
}

/* MS-SMB2 3.3.4.4's list, and what the body's StructureSize decides. */
static void test_specials(void)
{
	static const struct {
		uint16_t command;
		uint32_t status;
		int kind;
		uint16_t size;
		int check;
		const char *why;
	} rows[] = {
		{SMB2_SESSION_SETUP, STATUS_MORE_PROCESSING_REQUIRED,
		 SMB2_RSP_BODY_NORMAL, 9, SMB2_RSP_BODY_NORMAL,
		 "2.2.6: SPNEGO leg continues"},
		{SMB2_QUERY_INFO, STATUS_BUFFER_OVERFLOW, SMB2_RSP_BODY_NORMAL,
		 9, SMB2_RSP_BODY_NORMAL, "2.2.38: truncated info"},
		{SMB2_CHANGE_NOTIFY, STATUS_NOTIFY_ENUM_DIR,
		 SMB2_RSP_BODY_NORMAL, 9, SMB2_RSP_BODY_NORMAL,
		 "2.2.36: too many changes"},
		{SMB2_CHANGE_NOTIFY, STATUS_NOTIFY_CLEANUP,
		 SMB2_RSP_BODY_EITHER, 9, SMB2_RSP_BODY_NORMAL,
		 "success code: sizes coincide"},
		{SMB2_READ, STATUS_BUFFER_OVERFLOW, SMB2_RSP_BODY_EITHER, 17,
		 SMB2_RSP_BODY_NORMAL, "2.2.20: pipe message continues"},
		{SMB2_READ, STATUS_BUFFER_OVERFLOW, SMB2_RSP_BODY_EITHER, 9,
		 SMB2_RSP_BODY_ERROR, "not a pipe: error form"},
		{SMB2_READ, STATUS_BUFFER_OVERFLOW, SMB2_RSP_BODY_EITHER, 49,
		 -EBADMSG, "neither size"},
		{SMB2_IOCTL, STATUS_BUFFER_OVERFLOW, SMB2_RSP_BODY_EITHER, 49,
		 SMB2_RSP_BODY_NORMAL, "2.2.32: PIPE_TRANSCEIVE/PEEK, DFS"},
		{SMB2_IOCTL, STATUS_BUFFER_OVERFLOW, SMB2_RSP_BODY_EITHER, 9,
		 SMB2_RSP_BODY_ERROR, "other FSCTLs"},
		{SMB2_IOCTL, STATUS_INVALID_PARAMETER, SMB2_RSP_BODY_EITHER, 49,
		 SMB2_RSP_BODY_NORMAL, "3.3.5.15.6.2: SRV_COPYCHUNK_RESPONSE"},
		{SMB2_IOCTL, STATUS_INVALID_PARAMETER, SMB2_RSP_BODY_EITHER, 9,
		 SMB2_RSP_BODY_ERROR, "plain invalid parameter"},
		{SMB2_IOCTL, STATUS_INVALID_PARAMETER, SMB2_RSP_BODY_EITHER, 17,
		 -EBADMSG, "neither size"},
		/* Interim response (3.3.4.2): ERROR Response, any command. */
		{SMB2_CREATE, STATUS_PENDING, SMB2_RSP_BODY_ERROR, 9,
		 SMB2_RSP_BODY_ERROR, "interim"},
		{SMB2_CREATE, STATUS_PENDING, SMB2_RSP_BODY_ERROR, 89, -EBADMSG,
		 "interim with a CREATE body"},
		{SMB2_CHANGE_NOTIFY, STATUS_PENDING, SMB2_RSP_BODY_ERROR, 9,
		 SMB2_RSP_BODY_ERROR, "interim"},
		{SMB2_READ, STATUS_PENDING, SMB2_RSP_BODY_ERROR, 9,
		 SMB2_RSP_BODY_ERROR, "interim"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len =
			build(rows[i].command, rows[i].status, rows[i].size);

		if (rows[i].status == STATUS_PENDING) /* async header */
			msg[SMB2_HDR_FLAGS_OFF] |= SMB2_FLAGS_ASYNC_COMMAND;
		if (smb2_rsp_check(msg, len) != rows[i].check)
			fprintf(stderr, "row %zu: %s\n", i, rows[i].why);
		T_EXPECT_EQ(smb2_rsp_body_kind(rows[i].command, rows[i].status),
			    rows[i].kind);
		T_EXPECT_EQ(smb2_rsp_check(msg, len), rows[i].check);
	}
}

static void test_unknown_commands(void)
{
	static const uint16_t bad[] = {SMB2_CANCEL, 0x0013, 0x0014, 0x0100,
				       0xFFFF};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = build(bad[i], 0, 9);

		T_EXPECT_EQ(smb2_rsp_body_kind(bad[i], 0), -EPROTO);
		T_EXPECT_EQ(smb2_rsp_body_kind(bad[i], STATUS_ACCESS_DENIED),
			    -EPROTO);
		T_EXPECT_EQ(smb2_rsp_check(msg, len), -EPROTO);
	}
	T_EXPECT(smb2_rsp_desc(0x0013) == NULL);
	T_EXPECT(smb2_rsp_desc(0xFFFF) == NULL);
	T_ASSERT(smb2_rsp_desc(SMB2_CANCEL) != NULL);
	T_EXPECT_EQ(smb2_rsp_desc(SMB2_CANCEL)->sizes[0], 0);
}

/* Malformed elements: truncated at every length, wrong header. */
static void test_malformed(void)
{
	size_t full = build(SMB2_CREATE, 0, 89);

	for (size_t len = 0; len <= full; len++)
		T_EXPECT_EQ(smb2_rsp_check(msg, len),
			    len >= SMB2_HDR_SIZE + 88 ? SMB2_RSP_BODY_NORMAL
						      : -EBADMSG);
	full = build(SMB2_CREATE, STATUS_ACCESS_DENIED, 9);
	for (size_t len = 0; len <= full; len++)
		T_EXPECT_EQ(smb2_rsp_check(msg, len),
			    len >= SMB2_HDR_SIZE + 8 ? SMB2_RSP_BODY_ERROR
						     : -EBADMSG);

	full = build(SMB2_ECHO, 0, 4);
	msg[0] = 0xFD; /* a transform header is not an SMB2 response */
	T_EXPECT_EQ(smb2_rsp_check(msg, full), -EBADMSG);
	full = build(SMB2_ECHO, 0, 4);
	le16_put(msg + 4, 65); /* header StructureSize */
	T_EXPECT_EQ(smb2_rsp_check(msg, full), -EBADMSG);
	full = build(SMB2_ECHO, 0, 4);
	msg[SMB2_HDR_FLAGS_OFF] &= (uint8_t)~SMB2_FLAGS_SERVER_TO_REDIR;
	T_EXPECT_EQ(smb2_rsp_check(msg, full), -EBADMSG); /* a request */
	T_EXPECT_EQ(smb2_rsp_check(NULL, 100), -EINVAL);
}

int main(void)
{
	T_RUN(test_normal_sizes);
	T_RUN(test_error_form);
	T_RUN(test_specials);
	T_RUN(test_unknown_commands);
	T_RUN(test_malformed);
	return t_done();
}
