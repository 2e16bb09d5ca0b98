/* SPDX-License-Identifier: MIT */
/*
 * smbiov — command-line SMB2/3 client. Dispatch, global options, help and
 * signal handling. The exit codes are in exitcodes.h and docs/cli.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "creds.h"
#include "localfile.h"
#include "rtmp.h"

#define URLHELP "URL is smb://[domain;]user@host[:port]/share[/path]."
#define STDINHELP                                                              \
	"A URL argument '-' reads more URLs from stdin, one per line; URLs "   \
	"on "                                                                  \
	"one share\nuse one connection.\n"

static const struct cli_cmd cli_cmds[] = {
	{"ls", cmd_ls, CLI_F_LONG | CLI_F_HUMAN, 1, -1, "[-l] [-H] URL...",
	 "List a directory (or show one file), sorted by name; directories "
	 "end in '/'.\n"
	 "  -l, --long            type, size, modification time, name\n"
	 "  -h, -H, --human-readable  sizes in KiB, MiB, ... (with "
	 "-l)\n" STDINHELP,
	 true},
	{"stat", cmd_stat, 0, 1, -1, "URL...",
	 "Show size, attributes, file id and times of files or "
	 "directories. Goes on after\na URL that fails (and exits with the "
	 "first failure's code); stats of URLs on\none share run "
	 "concurrently on one connection, printed in argument "
	 "order.\n" STDINHELP,
	 true},
	{"cat", cmd_cat, 0, 1, -1, "URL...", "Write files to stdout.\n", false},
	{"get", cmd_get, CLI_F_RECURSIVE | CLI_F_FAILFAST | CLI_F_CONTINUE, 1,
	 2, "[-r [--fail-fast]] [-C] URL [LOCAL]",
	 "Download a file (or with -r a directory tree) to LOCAL: a file "
	 "name, an existing\ndirectory (the remote name is kept), or '-' "
	 "for stdout. Default: the remote\nname in the current directory. "
	 "A regular file is written under a temporary\nname "
	 "(.NAME.smbiov-part) and renamed when complete (--fsync: made "
	 "durable\nfirst): a failed transfer leaves no partial file. Pipes "
	 "and devices are\nwritten directly.\n"
	 "  -r, --recursive       copy a directory tree; an entry that fails "
	 "is reported\n"
	 "                        and the rest goes on (a summary at the end)\n"
	 "  --fail-fast           with -r: stop at the first failing entry\n"
	 "  -C, --continue        keep the partial file of a download that "
	 "fails or is\n"
	 "                        interrupted, and continue one kept before "
	 "if the remote\n"
	 "                        file is unchanged (size, times, file id)\n",
	 false},
	{"put", cmd_put,
	 CLI_F_RECURSIVE | CLI_F_INPLACE | CLI_F_FAILFAST | CLI_F_CONTINUE |
		 CLI_F_DEREF,
	 2, 2, "[-r [-L] [--fail-fast]] [-C | --inplace] LOCAL URL",
	 "Upload a file (or with -r a directory tree); LOCAL '-' is stdin. "
	 "When URL is a\nshare root or an existing directory, the upload "
	 "keeps its local name inside it.\n"
	 "A file over 1 MiB is written under a temporary name, deleted if "
	 "the client\nor its connection dies, and renamed over URL once "
	 "complete and checked.\n"
	 "  -r, --recursive       copy a directory tree; an entry that fails "
	 "is reported\n"
	 "                        and the rest goes on (a summary at the end)\n"
	 "  --fail-fast           with -r: stop at the first failing entry\n"
	 "  -L, --dereference     with -r: follow symbolic links (default: "
	 "skip them)\n"
	 "  -C, --continue        keep the temporary file of an upload that "
	 "fails or is\n"
	 "                        interrupted, and continue one kept before "
	 "if LOCAL is\n"
	 "                        unchanged (size, times, inode)\n"
	 "  --inplace             write URL itself as the data arrives\n",
	 false},
	{"cp", cmd_cp, 0, 2, 2, "URL URL",
	 "Copy a remote file to another remote place (possibly another "
	 "server),\nthrough this machine.\n",
	 false},
	{"rm", cmd_rm, CLI_F_RECURSIVE | CLI_F_FAILFAST, 1, -1,
	 "[-r [--fail-fast]] URL...",
	 "Delete files; with -r also directories and everything in them.\n"
	 "  -r, --recursive       delete directory trees; an entry that "
	 "fails is reported\n"
	 "                        and the rest goes on (a summary at the end)\n"
	 "  --fail-fast           with -r: stop at the first failing "
	 "entry\n" STDINHELP,
	 true},
	{"mkdir", cmd_mkdir, CLI_F_PARENTS, 1, -1, "[-p] URL...",
	 "Create directories.\n"
	 "  -p, --parents         create missing parents; no error if "
	 "it exists\n" STDINHELP,
	 true},
	{"rmdir", cmd_rmdir, 0, 1, -1, "URL...",
	 "Remove empty directories.\n" STDINHELP, true},
	{"mv", cmd_mv, CLI_F_FORCE, 2, 2, "[-f] URL DEST",
	 "Rename within one share. DEST is a URL on the same share or a "
	 "path: from the\nshare root when it starts with '/', else beside "
	 "the source. Into an existing\ndirectory DEST the source keeps "
	 "its name.\n"
	 "  -f, --force           replace an existing file\n",
	 false},
	{"df", cmd_df, CLI_F_HUMAN, 1, -1, "[-H] URL...",
	 "Show the size and free space of shares.\n"
	 "  -h, -H, --human-readable  sizes in KiB, MiB, ...\n" STDINHELP,
	 true},
	{"mount", cmd_mount, CLI_F_MOUNTFG | CLI_F_MOUNTOPTS, 2, 2,
	 "[-f] [-o OPTIONS] URL MOUNTPOINT",
	 "Mount a share (or a directory of it) on MOUNTPOINT with FUSE. "
	 "Connects first:\na failure exits with its code and leaves no "
	 "process behind; then serves the\nmount in the background (with "
	 "-f in the foreground, until unmounted or\ninterrupted). Unmount "
	 "with 'smbiov umount MOUNTPOINT'.\n"
	 "  -f                    stay in the foreground\n"
	 "  -o OPT[,OPT...]       options (docs/cli.md):\n"
	 "     uid=, gid=         owner shown for every file (default: "
	 "yours)\n"
	 "     file_mode=, dir_mode=  permissions shown (octal, default "
	 "0755)\n"
	 "     ro, rw             read-only or read-write (default rw)\n"
	 "     cache=strict|loose|none  the file layer's cache (default "
	 "strict)\n"
	 "     actimeo=S          attribute and name cache time, seconds "
	 "(default 1);\n"
	 "                        acregmax=, acdirmax= for files or "
	 "directories only\n"
	 "     closetimeo=S       keep a closed file's handle S seconds "
	 "(default 5, 0: off)\n"
	 "     reconnect=S        try a lost connection again S seconds "
	 "(default 10, 0: off)\n"
	 "     rsize=N, wsize=N   largest READ, WRITE sent to the server "
	 "(bytes; K, M)\n"
	 "     cache_size=N       the file layer's cache (default: RAM/8, "
	 "at most 1G)\n"
	 "     credentials=FILE, user=, domain=  as --credentials, "
	 "--user\n"
	 "     vers=, sign, seal  dialect, signing, encryption required\n"
	 "     noserverino        inode numbers of the mount's own, not "
	 "the server's\n"
	 "     allow_other, default_permissions, max_read=N  FUSE's "
	 "own\n"
	 "     forceuid, forcegid, nobrl  accepted (that is what the "
	 "mount does)\n"
	 "  Unknown options are refused.\n",
	 false},
	{"umount", cmd_umount, 0, 1, 1, "MOUNTPOINT",
	 "Unmount a smbiov mount (fusermount3 -u); the mount's process "
	 "then writes\nback what it holds, closes its files and exits.\n",
	 false},
};

#ifndef SMBIOV_HAVE_FUSE
int cmd_mount(const struct cli_opts *o, int argc, char **argv)
{
	(void)o;
	(void)argc;
	(void)argv;
	fprintf(stderr, "smbiov: mount: this smbiov was built without "
			"libfuse3 (Debian package libfuse3-dev)\n");
	return CLI_EXIT_ERROR;
}

int cmd_umount(const struct cli_opts *o, int argc, char **argv)
{
	return cmd_mount(o, argc, argv);
}
#endif

#define CLI_NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

static void print_version(void)
{
	printf("smbiov %s\n", SMBIOV_CLI_VERSION);
}

static void print_help(void)
{
	printf("Usage: smbiov [OPTIONS] COMMAND [COMMAND-OPTIONS] ARGS\n"
	       "A userspace SMB2/3 client. " URLHELP "\n\nCommands:\n");
	for (size_t i = 0; i < CLI_NCMDS; i++)
		printf("  %-6s %s\n", cli_cmds[i].name, cli_cmds[i].synopsis);
	printf("\n");
	cli_print_options();
	printf("  -V, --version        print the version\n\n"
	       "Environment: SMBIOV_PASSWORD  the password (when no "
	       "--credentials file gives one)\n\nExit codes:\n");
	cli_exit_print_docs(stdout);
	printf("\n'smbiov COMMAND --help' describes one command.\n");
}

static void print_cmd_help(const struct cli_cmd *cmd)
{
	printf("Usage: smbiov %s [OPTIONS] %s\n%s\n%s\n\n", cmd->name,
	       cmd->synopsis, cmd->help, URLHELP);
	cli_print_options();
	printf("\nExit codes:\n");
	cli_exit_print_docs(stdout);
}

static const struct cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < CLI_NCMDS; i++)
		if (!strcmp(cli_cmds[i].name, name))
			return &cli_cmds[i];
	return NULL;
}

/* Remove the local temporary file, restore the terminal, exit 10. */
_Noreturn void cli_interrupted_exit(void)
{
	static const char msg[] = "\nsmbiov: interrupted\n";
	ssize_t w;

	local_out_signal_cleanup();
	creds_signal_restore();
	w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)w;
	_exit(CLI_EXIT_INTR);
}

/*
 * SIGINT/SIGTERM/SIGHUP. Only async-signal-safe calls here: a remote
 * temporary file is left to the reaper thread (rtmp.c), which exits when
 * done; a second signal exits at once. Other remote handles die with the
 * connection.
 */
static void on_signal(int sig)
{
	static volatile sig_atomic_t again;

	(void)sig;
	if (!again) {
		again = 1;
		if (rtmp_signal())
			return;
	}
	cli_interrupted_exit();
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a closed pipe or socket is an error to report, not a death */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * mount -t fuse.smbiov SOURCE DIR -o OPTIONS (and so an /etc/fstab line)
 * runs mount.fuse3, which runs "smbiov SOURCE DIR -o OPTIONS": that is
 * "smbiov mount", with cifs' //host/share as a URL of smb://host/share
 * (the user from user= or credentials=). The new argv lives as long as
 * the process.
 */
static char **as_mount(int argc, char **argv)
{
	/* kept here, reachable: a leak checker must not count it */
	static char **v;

	v = calloc((size_t)argc + 2, sizeof(*v));
	if (!v)
		return NULL;
	v[0] = "mount";
	memcpy(v + 1, argv, (size_t)argc * sizeof(*v));
	if (argv[0][0] == '/' && asprintf(&v[1], "smb:%s", argv[0]) < 0) {
		free(v);
		return NULL;
	}
	return v;
}

static int run(int argc, char **argv)
{
	const struct cli_cmd *cmd;
	struct cli_opts o;
	int first, code, nargs;

	cli_opts_init(&o);
	code = cli_parse_args(argc, argv, &o, 0, true, &first);
	if (code)
		return code;
	if (o.version) {
		print_version();
		return 0;
	}
	if (first >= argc) {
		if (o.help) {
			print_help();
			return 0;
		}
		fprintf(stderr, "smbiov: no command (see 'smbiov --help')\n");
		return CLI_EXIT_USAGE;
	}
	argc -= first;
	argv += first;
	if (!strncmp(argv[0], "smb://", 6) || !strncmp(argv[0], "//", 2)) {
		argv = as_mount(argc, argv);
		if (!argv)
			return cli_report_local("mount", NULL, ENOMEM);
		argc++;
	}
	if (!strcmp(argv[0], "help")) {
		cmd = argc > 1 ? find_cmd(argv[1]) : NULL;
		if (cmd)
			print_cmd_help(cmd);
		else
			print_help();
		return argc > 1 && !cmd ? CLI_EXIT_USAGE : 0;
	}
	cmd = find_cmd(argv[0]);
	if (!cmd) {
		fprintf(stderr,
			"smbiov: unknown command '%s' (see 'smbiov --help')\n",
			argv[0]);
		return CLI_EXIT_USAGE;
	}
	if (o.help) {
		print_cmd_help(cmd);
		return 0;
	}
	code = cli_parse_args(argc, argv, &o, cmd->flags, false, &first);
	if (code)
		return code;
	if (o.help) {
		print_cmd_help(cmd);
		return 0;
	}
	nargs = argc - first;
	if (nargs < cmd->min_args ||
	    (cmd->max_args >= 0 && nargs > cmd->max_args)) {
		fprintf(stderr,
			"smbiov: usage: smbiov %s %s (see 'smbiov %s "
			"--help')\n",
			cmd->name, cmd->synopsis, cmd->name);
		return CLI_EXIT_USAGE;
	}
	install_signals();
	if (cmd->stdin_urls) {
		struct cli_urls u;

		code = cli_urls_expand(stdin, nargs, argv + first, &u);
		if (code)
			return code;
		code = cmd->run(&o, u.argc, u.argv);
		cli_urls_release(&u);
		return code;
	}
	return cmd->run(&o, nargs, argv + first);
}

int main(int argc, char **argv)
{
	int code = run(argc, argv);

	cli_creds_wipe();
	if (fflush(stdout) && !code)
		code = CLI_EXIT_LOCAL;
	return code;
}
