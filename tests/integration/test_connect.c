// SPDX-License-Identifier: MIT
/*
 * Connecting against the fixture's smbd: every security mode (plain,
 * signing required, encryption required), forced dialects, the failure
 * phases of smbiov_last_error(), ECHO from many threads, and the fork
 * guard (a child gets -ECHILD, the parent carries on).
 */
#include "client/engine.h"
#include "integ.h"
#include "proto/ntstatus.h"
#include "t.h"

#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *host, *port, *user, *pass, *share, *enc_share;
static const char *signed_port, *signed_share;

static void make_url(char *buf, size_t len, const char *p, const char *s)
{
	snprintf(buf, len, "smb://%s@%s:%s/%s", user, host, p, s);
}

static struct smbiov_options opts(void)
{
	struct smbiov_options o;

	memset(&o, 0, sizeof(o));
	o.password = pass;
	o.timeout_ms = 20000;
	return o;
}

static int try_connect(const char *p, const char *s,
		       const struct smbiov_options *o, struct smbiov_client **c)
{
	char url[512];
	int ret;

	make_url(url, sizeof(url), p, s);
	ret = smbiov_connect(url, o, c);
	if (ret) {
		struct smbiov_error e;

		smbiov_last_error(&e);
		fprintf(stderr, "  connect %s: %d phase %d status 0x%08x: %s\n",
			url, ret, e.phase, e.ntstatus, e.message);
	}
	return ret;
}

static void test_public(void)
{
	struct smbiov_options o = opts();
	struct smbiov_conn_info info;
	struct smbiov_stats st;
	struct smbiov_client *c = NULL;

	T_ASSERT(try_connect(port, share, &o, &c) == 0);
	smbiov_get_info(c, &info);
	T_EXPECT_EQ(info.dialect, SMBIOV_DIALECT_311);
	T_EXPECT(!info.encrypted);
	T_EXPECT(info.max_read >= 65536);
	/* The handshake's requests were timed: loopback answers well
	 * under a second, and never in no time at all. */
	T_EXPECT(info.rtt_us > 0 && info.rtt_us < 1000000);
	T_EXPECT_EQ(smb_echo(c), 0);
	smbiov_get_stats(c, &st);
	T_EXPECT(st.requests >= 4);
	T_EXPECT_EQ(st.payload_copied, 0);
	smbiov_disconnect(c);
}

static void test_encrypted(void)
{
	struct smbiov_options o = opts();
	struct smbiov_conn_info info;
	struct smbiov_client *c = NULL;

	/* The share demands it: the tree connect turns sealing on. */
	T_ASSERT(try_connect(port, enc_share, &o, &c) == 0);
	smbiov_get_info(c, &info);
	T_EXPECT(info.encrypted);
	T_EXPECT(info.cipher != 0);
	T_EXPECT_EQ(smb_echo(c), 0);
	smbiov_disconnect(c);

	/* Required by the options on a plain share: sealed from the start. */
	o.encrypt = SMBIOV_REQUIRED;
	T_ASSERT(try_connect(port, share, &o, &c) == 0);
	smbiov_get_info(c, &info);
	T_EXPECT(info.encrypted);
	T_EXPECT(info.cipher != 0);
	T_EXPECT_EQ(smb_echo(c), 0);
	smbiov_disconnect(c);

	/* 3.0 has only AES-128-CCM. */
	o.max_dialect = SMBIOV_DIALECT_300;
	T_ASSERT(try_connect(port, enc_share, &o, &c) == 0);
	smbiov_get_info(c, &info);
	T_EXPECT_EQ(info.dialect, SMBIOV_DIALECT_300);
	T_EXPECT(info.encrypted);
	T_EXPECT_EQ(info.cipher, 1);
	T_EXPECT_EQ(smb_echo(c), 0);
	smbiov_disconnect(c);
}

static void test_signed_server(void)
{
	struct smbiov_options o = opts();
	struct smbiov_conn_info info;
	struct smbiov_client *c = NULL;

	if (!signed_port || !signed_share)
		return;
	T_ASSERT(try_connect(signed_port, signed_share, &o, &c) == 0);
	smbiov_get_info(c, &info);
	T_EXPECT(info.signing);
	T_EXPECT(!info.encrypted);
	T_EXPECT_EQ(smb_echo(c), 0);
	smbiov_disconnect(c);

	/* A client that refuses to sign cannot talk to it. */
	o.sign = SMBIOV_DISABLED;
	T_EXPECT_EQ(try_connect(signed_port, signed_share, &o, &c), -EPROTO);
}

static void test_dialects(void)
{
	static const uint16_t dialects[] = {
		SMBIOV_DIALECT_202, SMBIOV_DIALECT_210, SMBIOV_DIALECT_300,
		SMBIOV_DIALECT_302, SMBIOV_DIALECT_311,
	};

	for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++) {
		struct smbiov_options o = opts();
		struct smbiov_conn_info info;
		struct smbiov_client *c = NULL;

		o.min_dialect = o.max_dialect = dialects[i];
		o.sign = SMBIOV_REQUIRED;
		T_EXPECT_EQ(try_connect(port, share, &o, &c), 0);
		if (!c)
			continue;
		smbiov_get_info(c, &info);
		T_EXPECT_EQ(info.dialect, dialects[i]);
		T_EXPECT(info.signing);
		T_EXPECT_EQ(info.signing_alg,
			    dialects[i] < SMBIOV_DIALECT_300 ? 0
			    : dialects[i] == SMBIOV_DIALECT_311
				    ? info.signing_alg
				    : 1);
		T_EXPECT_EQ(smb_echo(c), 0);
		smbiov_disconnect(c);
	}
}

static void test_encrypt_required_old_dialect(void)
{
	struct smbiov_options o = opts();
	struct smbiov_client *c = NULL;
	struct smbiov_error e;

	o.max_dialect = SMBIOV_DIALECT_210;
	o.encrypt = SMBIOV_REQUIRED;
	T_EXPECT_EQ(try_connect(port, share, &o, &c), -EPROTO);
	T_EXPECT(c == NULL);
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.err, -EPROTO);
	T_EXPECT_EQ(e.phase, SMBIOV_PHASE_NEGOTIATE);

	/* An encrypted share over 2.1 must fail too, never run in clear. */
	o.encrypt = SMBIOV_AUTO;
	T_EXPECT(try_connect(port, enc_share, &o, &c) < 0);
	T_EXPECT(c == NULL);
}

static void test_wrong_password(void)
{
	struct smbiov_options o = opts();
	struct smbiov_client *c = NULL;
	struct smbiov_error e;

	o.password = "definitely-not-the-password";
	T_EXPECT_EQ(try_connect(port, share, &o, &c), -EACCES);
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.phase, SMBIOV_PHASE_AUTH);
	T_EXPECT_EQ(e.ntstatus, STATUS_LOGON_FAILURE);
	T_EXPECT(strstr(e.message, "definitely") == NULL);
}

static void test_unknown_share(void)
{
	struct smbiov_options o = opts();
	struct smbiov_client *c = NULL;
	struct smbiov_error e;

	T_EXPECT_EQ(try_connect(port, "no-such-share", &o, &c), -ENOENT);
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.phase, SMBIOV_PHASE_TREE);
	T_EXPECT_EQ(e.ntstatus, STATUS_BAD_NETWORK_NAME);
}

static void test_closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct smbiov_options o = opts();
	struct smbiov_client *c = NULL;
	struct smbiov_error e;
	char p[16], url[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	T_ASSERT(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_ASSERT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	T_ASSERT(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	close(fd);
	snprintf(p, sizeof(p), "%u", ntohs(sa.sin_port));
	snprintf(url, sizeof(url), "smb://%s@127.0.0.1:%s/%s", user, p, share);
	T_EXPECT_EQ(smbiov_connect(url, &o, &c), -ECONNREFUSED);
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.phase, SMBIOV_PHASE_CONNECT);
}

static void test_unknown_host(void)
{
	struct smbiov_options o = opts();
	struct smbiov_client *c = NULL;
	struct smbiov_error e;
	char url[128];

	snprintf(url, sizeof(url), "smb://%s@no-such-host.invalid/%s", user,
		 share);
	T_EXPECT_EQ(smbiov_connect(url, &o, &c), -ENXIO);
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.phase, SMBIOV_PHASE_RESOLVE);
}

/* A listener that never answers (or closes at once): no hang, clear errors. */
static void test_silent_server(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct smbiov_options o = opts();
	struct smbiov_client *c = NULL;
	struct smbiov_error e;
	struct timespec t0, t1;
	char url[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0), afd;

	T_ASSERT(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_ASSERT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	T_ASSERT(listen(fd, 4) == 0);
	T_ASSERT(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	snprintf(url, sizeof(url), "smb://%s@127.0.0.1:%u/%s", user,
		 ntohs(sa.sin_port), share);
	/* The kernel completes the handshake; nobody ever replies. */
	o.timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	T_EXPECT_EQ(smbiov_connect(url, &o, &c), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	T_EXPECT(t1.tv_sec - t0.tv_sec < 5);
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.phase, SMBIOV_PHASE_NEGOTIATE);

	/* Accepted and closed: the pending NEGOTIATE fails, no hang. */
	afd = accept(fd, NULL, NULL); /* the first attempt's connection */
	if (afd >= 0)
		close(afd);
	o.timeout_ms = 5000;
	if (fork() == 0) {
		int a = accept(fd, NULL, NULL);

		close(a);
		_exit(0);
	}
	T_EXPECT(smbiov_connect(url, &o, &c) < 0);
	smbiov_last_error(&e);
	T_EXPECT_EQ(e.phase, SMBIOV_PHASE_NEGOTIATE);
	T_EXPECT(e.err == -ECONNRESET || e.err == -EPIPE);
	wait(NULL);
	close(fd);
}

#define ECHO_THREADS 16
#define ECHO_ROUNDS  200

static void *echo_worker(void *arg)
{
	struct smbiov_client *c = arg;
	intptr_t bad = 0;

	for (int i = 0; i < ECHO_ROUNDS; i++) {
		int ret = smb_echo(c);

		if (ret && !bad++)
			fprintf(stderr, "  echo: %s\n", smbiov_strerror(ret));
	}
	return (void *)bad;
}

static void echo_storm(const char *p, const char *s, enum smbiov_mode enc)
{
	struct smbiov_options o = opts();
	struct smbiov_client *c = NULL;
	struct smbiov_stats st;
	pthread_t th[ECHO_THREADS];

	o.encrypt = enc;
	T_ASSERT(try_connect(p, s, &o, &c) == 0);
	for (int i = 0; i < ECHO_THREADS; i++)
		T_ASSERT(pthread_create(&th[i], NULL, echo_worker, c) == 0);
	for (int i = 0; i < ECHO_THREADS; i++) {
		void *bad;

		pthread_join(th[i], &bad);
		T_EXPECT_EQ((intptr_t)bad, 0);
	}
	smbiov_get_stats(c, &st);
	T_EXPECT(st.requests >= ECHO_THREADS * ECHO_ROUNDS);
	T_EXPECT(st.max_credits_in_flight > 1);
	smbiov_disconnect(c);
}

static void test_echo_threads(void)
{
	echo_storm(port, share, SMBIOV_AUTO);
	echo_storm(port, share, SMBIOV_REQUIRED);
	if (signed_port && signed_share)
		echo_storm(signed_port, signed_share, SMBIOV_AUTO);
}

static void test_fork(void)
{
	struct smbiov_options o = opts();
	struct smbiov_client *c = NULL;
	int status;
	pid_t pid;

	T_ASSERT(try_connect(port, share, &o, &c) == 0);
	T_EXPECT_EQ(smb_echo(c), 0);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		struct smbiov_error e;
		int ok = smb_echo(c) == -ECHILD;

		smbiov_last_error(&e);
		ok = ok && e.err == -ECHILD;
		/* Disconnecting from the child must leave the socket alone. */
		smbiov_disconnect(c);
		_exit(ok ? 0 : 1);
	}
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	T_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int i = 0; i < 10; i++)
		T_EXPECT_EQ(smb_echo(c), 0);
	smbiov_disconnect(c);
}

int main(void)
{
	if (integ_env_load() < 0 || !getenv("SMB_HOST"))
		return t_skip("no test server (SMB_HOST unset)");
	host = getenv("SMB_HOST");
	port = getenv("SMB_PORT");
	user = getenv("SMB_USER");
	pass = getenv("SMB_PASS");
	share = getenv("SMB_SHARE");
	enc_share = getenv("SMB_ENC_SHARE");
	signed_port = getenv("SMB_SIGNED_PORT");
	signed_share = getenv("SMB_SIGNED_SHARE");
	if (!port || !user || !pass || !share || !enc_share)
		return t_skip("incomplete server environment");
	if (signed_port && !strcmp(signed_port, "0"))
		signed_port = NULL;

	T_RUN(test_public);
	T_RUN(test_encrypted);
	T_RUN(test_signed_server);
	T_RUN(test_dialects);
	T_RUN(test_encrypt_required_old_dialect);
	T_RUN(test_wrong_password);
	T_RUN(test_unknown_share);
	T_RUN(test_closed_port);
	T_RUN(test_unknown_host);
	T_RUN(test_silent_server);
	T_RUN(test_echo_threads);
	T_RUN(test_fork);
	if (t_failures)
		integ_print_logs_hint();
	return t_done();
}
