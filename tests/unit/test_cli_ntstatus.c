/* SPDX-License-Identifier: MIT */
/*
 * The CLI's view of NTSTATUS through the public API: the CLI keeps its own
 * copies of the MS-ERREF values its exit-code table compares against
 * (tools/smbiov/exitcodes.c), so each is checked here against the
 * library's table by the row it must select; and smbiov_ntstatus_name(),
 * which names a status in the CLI's messages, is the library's table.
 */
#include <errno.h>

#include "exitcodes.h"
#include "proto/ntstatus.h"
#include "t.h"

struct status_case {
	enum smbiov_phase phase;
	uint32_t ntstatus;
	int code;
	const char *message;
};

/*
 * Every status exitcodes.c names, with an errno no row of its phase matches
 * (-EIO): only the NTSTATUS value can select the expected row.
 */
static const struct status_case cases[] = {
	{SMBIOV_PHASE_NEGOTIATE, STATUS_DOWNGRADE_DETECTED, CLI_EXIT_PROTO,
	 "security downgrade detected"},
	{SMBIOV_PHASE_AUTH, STATUS_LOGON_FAILURE, CLI_EXIT_AUTH,
	 "authentication failed: wrong user name or password"},
	{SMBIOV_PHASE_AUTH, STATUS_WRONG_PASSWORD, CLI_EXIT_AUTH,
	 "authentication failed: wrong user name or password"},
	{SMBIOV_PHASE_AUTH, STATUS_NO_SUCH_USER, CLI_EXIT_AUTH,
	 "authentication failed: wrong user name or password"},
	{SMBIOV_PHASE_AUTH, STATUS_ACCOUNT_DISABLED, CLI_EXIT_AUTH,
	 "authentication failed: account disabled"},
	{SMBIOV_PHASE_AUTH, STATUS_ACCOUNT_LOCKED_OUT, CLI_EXIT_AUTH,
	 "authentication failed: account locked out"},
	{SMBIOV_PHASE_AUTH, STATUS_ACCOUNT_EXPIRED, CLI_EXIT_AUTH,
	 "authentication failed: account expired"},
	{SMBIOV_PHASE_AUTH, STATUS_PASSWORD_EXPIRED, CLI_EXIT_AUTH,
	 "authentication failed: password expired"},
	{SMBIOV_PHASE_AUTH, STATUS_PASSWORD_MUST_CHANGE, CLI_EXIT_AUTH,
	 "authentication failed: password must be changed"},
	{SMBIOV_PHASE_TREE, STATUS_BAD_NETWORK_NAME, CLI_EXIT_SHARE,
	 "share not found"},
	{SMBIOV_PHASE_IO, STATUS_OBJECT_NAME_INVALID, CLI_EXIT_PATH,
	 "the server refuses this name (? * : < > | \" \\ or a reserved "
	 "name)"},
	{SMBIOV_PHASE_IO, STATUS_MEDIA_WRITE_PROTECTED, CLI_EXIT_PERM,
	 "read-only share"},
	{SMBIOV_PHASE_IO, STATUS_INVALID_NETWORK_RESPONSE, CLI_EXIT_PROTO,
	 "malformed reply from server"},
};

/* A failure with no message of the library's: -EIO and @status. */
static struct smbiov_error failure(enum smbiov_phase phase, uint32_t status)
{
	struct smbiov_error e = {0};

	e.err = -EIO;
	e.ntstatus = status;
	e.phase = phase;
	return e;
}

static const struct cli_exit_class *classify(enum smbiov_phase phase,
					     uint32_t status)
{
	struct smbiov_error e = failure(phase, status);

	return cli_exit_classify(&e);
}

static void test_cli_values(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct status_case *c = &cases[i];
		const struct cli_exit_class *cls;

		cls = classify(c->phase, c->ntstatus);
		t_checks++;
		if (cls->code != c->code || strcmp(cls->message, c->message)) {
			t_failures++;
			fprintf(stderr, "%s: code %d \"%s\", want %d \"%s\"\n",
				ntstatus_name(c->ntstatus), cls->code,
				cls->message, c->code, c->message);
		}
		/* without the status the same failure is something else */
		cls = classify(c->phase, 0);
		T_EXPECT(strcmp(cls->message, c->message) != 0);
	}
}

static void test_public_name(void)
{
	size_t n = ntstatus_table_size();

	T_ASSERT(n > 0);
	for (size_t i = 0; i < n; i++) {
		uint32_t code = ntstatus_table_code(i);

		T_EXPECT(smbiov_ntstatus_name(code) == ntstatus_name(code));
	}
	T_EXPECT(!strcmp(smbiov_ntstatus_name(STATUS_ACCESS_DENIED),
			 "STATUS_ACCESS_DENIED"));
	T_EXPECT(smbiov_ntstatus_name(0xC0DEC0DEu) == NULL);
}

/* The message's detail: the status name, else strerror for an unknown one. */
static void test_format_detail(void)
{
	static const struct {
		uint32_t status;
		const char *line;
	} want[] = {
		{STATUS_SHARING_VIOLATION,
		 "smbiov: failed (STATUS_SHARING_VIOLATION)"},
		{0xC0DEC0DEu, "smbiov: failed (Input/output error)"},
	};
	char buf[512];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct smbiov_error e =
			failure(SMBIOV_PHASE_IO, want[i].status);

		cli_format_error(buf, sizeof(buf), NULL, &e);
		T_EXPECT(!strcmp(buf, want[i].line));
	}
}

int main(void)
{
	T_RUN(test_cli_values);
	T_RUN(test_public_name);
	T_RUN(test_format_detail);
	return t_done();
}
