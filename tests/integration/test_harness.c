/* SPDX-License-Identifier: MIT */
/*
 * Harness self-check, not a test of smbiov: the CTest fixture `samba` gave
 * the integration tests what they rely on. The env file loads; both smbd
 * instances (main on SMB_PORT, signing-required on SMB_SIGNED_PORT) accept
 * TCP connections on SMB_HOST; the ro share holds hello.txt. When this fails,
 * every other integration test's failure is the harness's, not the client's.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "integ.h"
#include "t.h"

/* 0 if a TCP connection to host:port is accepted, else a negative errno. */
static int tcp_connect(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *res;
	int fd, err;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -EINVAL;
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
		    res->ai_protocol);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = connect(fd, res->ai_addr, res->ai_addrlen) < 0 ? -errno : 0;
	close(fd);
out:
	freeaddrinfo(res);
	if (err)
		fprintf(stderr, "connect %s:%s: %s\n", host, port,
			strerror(-err));
	return err;
}

static void main_instance_accepts(void)
{
	const char *port = getenv("SMB_PORT");

	T_ASSERT(port && strcmp(port, "0") != 0);
	T_EXPECT_EQ(tcp_connect(getenv("SMB_HOST"), port), 0);
}

/* The fixture always starts the signing-required instance. */
static void signed_instance_accepts(void)
{
	const char *port = getenv("SMB_SIGNED_PORT");

	T_ASSERT(port);
	T_EXPECT(strcmp(port, "0") != 0);
	T_EXPECT(strcmp(port, getenv("SMB_PORT")) != 0);
	if (strcmp(port, "0") != 0)
		T_EXPECT_EQ(tcp_connect(getenv("SMB_HOST"), port), 0);
}

static void env_complete(void)
{
	static const char *const names[] = {
		"SMB_USER",	 "SMB_PASS",	 "SMB_SHARE",
		"SMB_ENC_SHARE", "SMB_RO_SHARE", "SMB_SIGNED_SHARE",
		"SMB_ROOT",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);

		if (!v || !*v)
			fprintf(stderr, "%s is not set\n", names[i]);
		T_EXPECT(v && *v);
	}
}

static void ro_share_has_hello(void)
{
	const char *root = getenv("SMB_ROOT"), *ro = getenv("SMB_RO_SHARE");
	char path[4096];
	struct stat st;

	T_ASSERT(root && ro);
	snprintf(path, sizeof(path), "%s/%s/hello.txt", root, ro);
	if (stat(path, &st) < 0)
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
	T_ASSERT(stat(path, &st) == 0);
	T_EXPECT(S_ISREG(st.st_mode) && st.st_size > 0);
}

int main(void)
{
	if (integ_env_load() < 0)
		return t_skip("no test server env (run through ctest, which "
			      "starts one)");
	T_RUN(env_complete);
	T_RUN(main_instance_accepts);
	T_RUN(signed_instance_accepts);
	T_RUN(ro_share_has_hello);
	if (t_failures)
		integ_print_logs_hint();
	return t_done();
}
