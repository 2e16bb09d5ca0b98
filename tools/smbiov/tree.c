/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cli.h"

/* Failures after which every further entry would fail the same way. */
static bool tree_fatal(int code)
{
	switch (code) {
	case CLI_EXIT_CONNECT:
	case CLI_EXIT_AUTH:
	case CLI_EXIT_PROTO:
	case CLI_EXIT_INTR:
	case CLI_EXIT_NOSPC:
		return true;
	}
	return false;
}

bool cli_tree_note(struct cli_tree *t, const struct cli_opts *o, int code)
{
	if (!code) {
		t->ok++;
		return false;
	}
	t->failed++;
	if (!t->code)
		t->code = code;
	return o->fail_fast || tree_fatal(code);
}

int cli_tree_end(const struct cli_tree *t, const char *what)
{
	if (t->failed && (t->ok || t->failed > 1))
		fprintf(stderr, "smbiov: %s: %llu done, %llu failed\n", what,
			(unsigned long long)t->ok,
			(unsigned long long)t->failed);
	return t->code;
}
