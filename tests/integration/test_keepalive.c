// SPDX-License-Identifier: MIT
/*
 * The idle keepalive (MS-SMB2 3.2.4.14) against the fixture's smbd: an
 * idle connection sends ECHOs at keepalive_ms (counted in the stats as
 * requests), the server answers them (plain, sealed and signed), and the
 * connection still works afterwards; keepalive_ms < 0 sends none.
 */
#include "file_common.h"

#include <errno.h>
#include <time.h>

#define DATA_LEN 100000

static struct smbiov_client *connect_ka(const char *share, const char *port,
					int keepalive_ms)
{
	struct smbiov_options o = {0};
	struct smbiov_client *c = NULL;
	struct smbiov_error e;
	char url[512];

	if (!port)
		port = fc_env("SMB_PORT");
	snprintf(url, sizeof(url), "smb://%s@%s:%s/%s", fc_env("SMB_USER"),
		 fc_env("SMB_HOST"), port, share);
	o.password = fc_env("SMB_PASS");
	o.keepalive_ms = keepalive_ms;
	if (smbiov_connect(url, &o, &c)) {
		smbiov_last_error(&e);
		fprintf(stderr, "connect %s: %s\n", url, e.message);
		integ_print_logs_hint();
		return NULL;
	}
	return c;
}

static void msleep(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static uint64_t requests(struct smbiov_client *c)
{
	struct smbiov_stats s;

	smbiov_get_stats(c, &s);
	return s.requests;
}

/* Read the test file back and compare; true when all is well. */
static bool read_ok(struct smbiov_file *f)
{
	uint8_t *buf = malloc(DATA_LEN);
	bool ok;

	T_ASSERT(buf);
	ok = smbiov_pread(f, buf, DATA_LEN, 0) == DATA_LEN &&
	     fc_check(buf, DATA_LEN, 4242, 0) == DATA_LEN;
	free(buf);
	return ok;
}

static void idle_echoes(const char *share, const char *port)
{
	struct smbiov_client *c = connect_ka(share, port, 200);
	struct smbiov_file *f;
	uint64_t r0, r1 = 0;
	uint8_t *src = malloc(DATA_LEN);

	T_ASSERT(c && src);
	fc_fill(src, DATA_LEN, 4242, 0);
	T_ASSERT(smbiov_open(c, "keepalive.bin", O_RDWR | O_CREAT | O_TRUNC,
			     &f) == 0);
	T_EXPECT_EQ(smbiov_pwrite(f, src, DATA_LEN, 0), DATA_LEN);
	r0 = requests(c);
	/*
	 * Idle for 6 intervals; a loaded machine may run the watchdog late,
	 * so wait longer for the count rather than assert on the clock.
	 */
	msleep(1200);
	for (int i = 0; i < 40 && (r1 = requests(c)) < r0 + 3; i++)
		msleep(100);
	T_EXPECT(r1 >= r0 + 3);
	fprintf(stderr, "%s: %llu keepalive ECHOs while idle\n", share,
		(unsigned long long)(r1 - r0));
	T_EXPECT(read_ok(f));
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(c);
	free(src);
}

static void test_idle_echoes(void)
{
	idle_echoes(fc_env("SMB_SHARE"), NULL);
	idle_echoes(fc_env("SMB_ENC_SHARE"), NULL);
	idle_echoes(fc_env("SMB_SIGNED_SHARE"), fc_env("SMB_SIGNED_PORT"));
}

/* Negative: off. Nothing is sent while idle. */
static void test_keepalive_off(void)
{
	struct smbiov_client *c = connect_ka(fc_env("SMB_SHARE"), NULL, -1);
	struct smbiov_file *f;
	uint64_t r0;

	T_ASSERT(c);
	T_ASSERT(smbiov_open(c, "keepalive.bin", O_RDONLY, &f) == 0);
	r0 = requests(c);
	msleep(800);
	T_EXPECT_EQ(requests(c), r0);
	T_EXPECT(read_ok(f));
	T_EXPECT_EQ(smbiov_close(f), 0);
	smbiov_disconnect(c);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	T_RUN(test_idle_echoes);
	T_RUN(test_keepalive_off);
	if (t_failures)
		integ_print_logs_hint();
	return t_done();
}
