/* SPDX-License-Identifier: MIT */
/*
 * The CLI's one table from library failures to exit codes: each failure
 * class the brief names lands on its documented code, phase-specific rows
 * win over generic errno rows, every code used is documented, and the
 * message is one line.
 */
#include <errno.h>

#include "exitcodes.h"
#include "proto/ntstatus.h"
#include "t.h"

struct exit_case {
	enum smbiov_phase phase;
	uint32_t ntstatus;
	int err;
	int code;
};

static const struct exit_case cases[] = {
	/* a reply that fails its signature check after login: protocol */
	{SMBIOV_PHASE_IO, 0, -EKEYREJECTED, CLI_EXIT_PROTO},
	/* unknown host: resolve phase, whatever errno the resolver gave */
	{SMBIOV_PHASE_RESOLVE, 0, -ENOENT, CLI_EXIT_CONNECT},
	{SMBIOV_PHASE_RESOLVE, 0, -EAGAIN, CLI_EXIT_CONNECT},
	/* closed port, timeout, unreachable */
	{SMBIOV_PHASE_CONNECT, 0, -ECONNREFUSED, CLI_EXIT_CONNECT},
	{SMBIOV_PHASE_CONNECT, 0, -ETIMEDOUT, CLI_EXIT_CONNECT},
	{SMBIOV_PHASE_CONNECT, 0, -EHOSTUNREACH, CLI_EXIT_CONNECT},
	/* wrong password and friends */
	{SMBIOV_PHASE_AUTH, STATUS_LOGON_FAILURE, -EACCES, CLI_EXIT_AUTH},
	{SMBIOV_PHASE_AUTH, STATUS_WRONG_PASSWORD, -EACCES, CLI_EXIT_AUTH},
	{SMBIOV_PHASE_AUTH, STATUS_NO_SUCH_USER, -EACCES, CLI_EXIT_AUTH},
	{SMBIOV_PHASE_AUTH, STATUS_ACCOUNT_DISABLED, -EACCES, CLI_EXIT_AUTH},
	{SMBIOV_PHASE_AUTH, STATUS_PASSWORD_EXPIRED, -EKEYEXPIRED,
	 CLI_EXIT_AUTH},
	{SMBIOV_PHASE_AUTH, 0, -EACCES, CLI_EXIT_AUTH},
	/* a malformed reply during auth is a protocol error, not a password */
	{SMBIOV_PHASE_AUTH, 0, -EPROTO, CLI_EXIT_PROTO},
	{SMBIOV_PHASE_AUTH, 0, -EBADMSG, CLI_EXIT_PROTO},
	/* connection dropped during auth */
	{SMBIOV_PHASE_AUTH, 0, -ECONNRESET, CLI_EXIT_CONNECT},
	/* unknown share: -ENOENT at tree connect is the share, not a path */
	{SMBIOV_PHASE_TREE, STATUS_BAD_NETWORK_NAME, -ENOENT, CLI_EXIT_SHARE},
	{SMBIOV_PHASE_TREE, 0, -ENOENT, CLI_EXIT_SHARE},
	{SMBIOV_PHASE_TREE, STATUS_ACCESS_DENIED, -EACCES, CLI_EXIT_PERM},
	/* missing paths */
	{SMBIOV_PHASE_IO, STATUS_OBJECT_NAME_NOT_FOUND, -ENOENT, CLI_EXIT_PATH},
	{SMBIOV_PHASE_IO, STATUS_OBJECT_PATH_NOT_FOUND, -ENOENT, CLI_EXIT_PATH},
	/* a name the server refuses: a path class, its own message */
	{SMBIOV_PHASE_IO, STATUS_OBJECT_NAME_INVALID, -ENOENT, CLI_EXIT_PATH},
	{SMBIOV_PHASE_IO, 0, -ENOTDIR, CLI_EXIT_PATH},
	{SMBIOV_PHASE_NONE, 0, -ENOENT, CLI_EXIT_PATH},
	/* permission denied, read-only share */
	{SMBIOV_PHASE_IO, STATUS_ACCESS_DENIED, -EACCES, CLI_EXIT_PERM},
	{SMBIOV_PHASE_IO, STATUS_MEDIA_WRITE_PROTECTED, -EROFS, CLI_EXIT_PERM},
	{SMBIOV_PHASE_IO, STATUS_MEDIA_WRITE_PROTECTED, -EACCES, CLI_EXIT_PERM},
	{SMBIOV_PHASE_IO, 0, -EPERM, CLI_EXIT_PERM},
	/* malformed replies and refused downgrades */
	{SMBIOV_PHASE_IO, 0, -EPROTO, CLI_EXIT_PROTO},
	{SMBIOV_PHASE_IO, 0, -EBADMSG, CLI_EXIT_PROTO},
	{SMBIOV_PHASE_NEGOTIATE, 0, -EPROTO, CLI_EXIT_PROTO},
	{SMBIOV_PHASE_NEGOTIATE, 0, -EIO, CLI_EXIT_PROTO},
	{SMBIOV_PHASE_NEGOTIATE, STATUS_DOWNGRADE_DETECTED, -EPROTO,
	 CLI_EXIT_PROTO},
	{SMBIOV_PHASE_IO, STATUS_INVALID_NETWORK_RESPONSE, -EIO,
	 CLI_EXIT_PROTO},
	/* interrupted, in any phase */
	{SMBIOV_PHASE_CONNECT, 0, -EINTR, CLI_EXIT_INTR},
	{SMBIOV_PHASE_IO, 0, -EINTR, CLI_EXIT_INTR},
	/* exists / not empty; no space */
	{SMBIOV_PHASE_IO, STATUS_OBJECT_NAME_COLLISION, -EEXIST,
	 CLI_EXIT_EXISTS},
	{SMBIOV_PHASE_IO, STATUS_DIRECTORY_NOT_EMPTY, -ENOTEMPTY,
	 CLI_EXIT_EXISTS},
	{SMBIOV_PHASE_IO, STATUS_DISK_FULL, -ENOSPC, CLI_EXIT_NOSPC},
	{SMBIOV_PHASE_IO, STATUS_DISK_QUOTA_EXCEEDED, -EDQUOT, CLI_EXIT_NOSPC},
	/* lost connection after connecting */
	{SMBIOV_PHASE_IO, 0, -ECONNRESET, CLI_EXIT_CONNECT},
	{SMBIOV_PHASE_IO, 0, -ETIMEDOUT, CLI_EXIT_CONNECT},
	/* anything else */
	{SMBIOV_PHASE_IO, 0, -ENOMEM, CLI_EXIT_ERROR},
	{SMBIOV_PHASE_IO, 0, -EISDIR, CLI_EXIT_USAGE},
	{SMBIOV_PHASE_IO, 0xC0001234u, -EIO, CLI_EXIT_ERROR},
};

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct smbiov_error e = {0};
		const struct cli_exit_class *cls;

		e.err = cases[i].err;
		e.ntstatus = cases[i].ntstatus;
		e.phase = cases[i].phase;
		cls = cli_exit_classify(&e);
		t_checks++;
		if (!cls || cls->code != cases[i].code) {
			t_failures++;
			fprintf(stderr, "case %zu: code %d, want %d\n", i,
				cls ? cls->code : -1, cases[i].code);
		}
		T_EXPECT(cls && cls->message && cls->message[0]);
	}
}

static bool documented(int code)
{
	for (size_t i = 0; i < cli_exit_docs_n; i++)
		if (cli_exit_docs[i].code == code)
			return true;
	return false;
}

/* Every code the table can produce (any errno, any phase) is documented,
 * and the documentation lists each code once, in order. */
static void test_documented(void)
{
	for (int ph = SMBIOV_PHASE_NONE; ph <= SMBIOV_PHASE_IO; ph++)
		for (int err = 1; err < 140; err++) {
			struct smbiov_error e = {0};
			const struct cli_exit_class *cls;

			e.err = -err;
			e.phase = (enum smbiov_phase)ph;
			cls = cli_exit_classify(&e);
			t_checks++;
			if (!documented(cls->code)) {
				t_failures++;
				fprintf(stderr, "code %d not documented\n",
					cls->code);
			}
		}
	for (size_t i = 0; i < cli_exit_docs_n; i++)
		T_EXPECT_EQ(cli_exit_docs[i].code, (int)i);
	T_EXPECT_EQ(cli_exit_docs_n, CLI_EXIT_CHANGED + 1);
}

static void test_format(void)
{
	struct smbiov_error e = {0};
	char buf[512];

	/* detail: the library's message when there is one ... */
	e.err = -EACCES;
	e.ntstatus = STATUS_LOGON_FAILURE;
	e.phase = SMBIOV_PHASE_AUTH;
	snprintf(e.message, sizeof(e.message), "logon failed\nfor bob");
	T_EXPECT_EQ(cli_format_error(buf, sizeof(buf), "smb://h/s", &e),
		    CLI_EXIT_AUTH);
	T_EXPECT(!strcmp(buf, "smbiov: smb://h/s: authentication failed: "
			      "wrong user name or password (logon failed for "
			      "bob)"));
	T_EXPECT(!strchr(buf, '\n'));
	/* ... else the NTSTATUS name ... */
	e.message[0] = '\0';
	cli_format_error(buf, sizeof(buf), "t", &e);
	T_EXPECT(strstr(buf, "(STATUS_LOGON_FAILURE)") != NULL);
	/* ... else strerror; no target */
	e.ntstatus = 0;
	e.err = -ENOENT;
	e.phase = SMBIOV_PHASE_IO;
	T_EXPECT_EQ(cli_format_error(buf, sizeof(buf), NULL, &e),
		    CLI_EXIT_PATH);
	T_EXPECT(!strcmp(buf, "smbiov: no such file or directory"));
	/* a short buffer truncates, never overflows */
	cli_format_error(buf, 8, "target", &e);
	T_EXPECT_EQ(strlen(buf), 7);
}

int main(void)
{
	T_RUN(test_table);
	T_RUN(test_documented);
	T_RUN(test_format);
	return t_done();
}
