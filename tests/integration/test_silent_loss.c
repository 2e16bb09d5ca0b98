// SPDX-License-Identifier: MIT
/*
 * Silent loss (issue 15): an nft rule drops every packet the test's
 * connection sends, so nothing tells either end that it is dead — no
 * reset, no FIN; the server's side stays up and holds the durable handle.
 * With 6 MiB dirty in the cache of a file opened under a lease (a
 * durable handle), the client must notice by itself (its keepalive or a
 * request's timeout), reconnect on a new connection (another local port:
 * not dropped) with PreviousSessionId, so that the server lets the old
 * session and its handle go, take the handle back with DH2C, and write
 * everything: the server's file is exact, no handle lost.
 *
 * The rule matches only this connection (its local port, found with ss
 * by this process's pid), in a table of this process's own, deleted at
 * the end. Needs nft (Debian package nftables, scripts/install-deps).
 * No timing: the keepalive and timeout only decide how soon the loss is
 * noticed, not whether.
 */
#include "file_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)

static char table[64];
static const char *share;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* The local port of this process's one connection to the server. */
static unsigned my_port(void)
{
	char cmd[512], line[64];
	unsigned port = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "ss -tnpH state established '( dport = :%s )' | "
		 "grep 'pid=%d,' | awk '{ n = split($3, a, \":\"); "
		 "print a[n] }'",
		 fc_env("SMB_PORT"), (int)getpid());
	p = popen(cmd, "r");
	T_ASSERT(p);
	if (fgets(line, sizeof(line), p))
		port = (unsigned)atoi(line);
	T_EXPECT(!fgets(line, sizeof(line), p)); /* one connection */
	pclose(p);
	return port;
}

static void drop_port(unsigned port)
{
	T_ASSERT(sh("nft add table inet %s", table) == 0);
	T_ASSERT(sh("nft 'add chain inet %s out { type filter hook output "
		    "priority 0 ; }'",
		    table) == 0);
	T_ASSERT(sh("nft add rule inet %s out tcp sport %u drop", table,
		    port) == 0);
}

static void test_silent_loss(void)
{
	static const struct smbiov_open_opts strict = {
		.cache = SMBIOV_CACHE_STRICT};
	struct smbiov_options o = {.keepalive_ms = 300, .timeout_ms = 1500};
	struct smbiov_client *c = fc_connect_opts(share, &o);
	size_t len = 6 * MiB, got;
	uint8_t *buf = malloc(len), *disk;
	struct smbiov_lease_info li;
	struct smbiov_stats st;
	struct smbiov_file *f;
	unsigned port;

	T_ASSERT(c && buf);
	fc_disk_file(share, "rc_silent.bin", MiB, 61);
	T_ASSERT(smbiov_open_ex(c, "rc_silent.bin", O_RDWR, &strict, &f) == 0);
	smbiov_lease_info(f, &li);
	T_EXPECT(li.state & SMBIOV_LEASE_WRITE);
	fc_fill(buf, len, 62, 0);
	T_EXPECT_EQ(smbiov_pwrite(f, buf, len, 0), (ssize_t)len);
	port = my_port();
	T_ASSERT(port);
	drop_port(port);
	/* the write-back meets the dead connection and goes on after it */
	T_EXPECT_EQ(smbiov_fsync(f), 0);
	T_EXPECT(my_port() != port);
	smbiov_get_stats(c, &st);
	T_EXPECT(st.reconnects >= 1);
	T_EXPECT_EQ(st.handles_reopened, st.reconnects);
	T_EXPECT_EQ(st.handles_lost, 0);
	/* DH2C's answer read back: the lease is as it was (nobody broke it) */
	smbiov_lease_info(f, &li);
	T_EXPECT(li.state & SMBIOV_LEASE_WRITE);
	disk = fc_disk_read(share, "rc_silent.bin", &got);
	T_ASSERT(disk);
	T_EXPECT_EQ(got, len);
	T_EXPECT_EQ(fc_check(disk, got, 62, 0), len);
	free(disk);
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(c);
	free(buf);
}

int main(void)
{
	int ret;

	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	if (system("command -v nft >/dev/null") != 0)
		return t_skip("nft not installed (scripts/install-deps)");
	share = fc_env("SMB_SHARE");
	snprintf(table, sizeof(table), "smbiov_silent_%d", (int)getpid());
	T_RUN(test_silent_loss);
	ret = t_done();
	/* the rule goes whatever happened */
	if (sh("nft delete table inet %s 2>/dev/null", table) != 0 && !ret)
		fprintf(stderr, "note: no nft table %s to delete\n", table);
	return ret;
}
