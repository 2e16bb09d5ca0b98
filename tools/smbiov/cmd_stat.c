/* SPDX-License-Identifier: MIT */
/* smbiov stat URL... */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* MS-FSCC 2.6 */
static const struct {
	uint32_t bit;
	const char *name;
} attr_names[] = {
	{0x0001, "READONLY"},	   {0x0002, "HIDDEN"},
	{0x0004, "SYSTEM"},	   {0x0010, "DIRECTORY"},
	{0x0020, "ARCHIVE"},	   {0x0080, "NORMAL"},
	{0x0100, "TEMPORARY"},	   {0x0200, "SPARSE_FILE"},
	{0x0400, "REPARSE_POINT"}, {0x0800, "COMPRESSED"},
	{0x1000, "OFFLINE"},	   {0x2000, "NOT_CONTENT_INDEXED"},
	{0x4000, "ENCRYPTED"},
};

static void fmt_time(char *buf, size_t len, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	char zone[16];

	if (frac < 0) {
		frac += 1000000000;
		t--;
	}
	if (!localtime_r(&t, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%09ld %s", frac, zone);
}

static void print_stat(const char *target, const struct smbiov_stat *st)
{
	char t[64];
	bool first = true;

	printf("  File: %s\n", target);
	printf("  Type: %s\n", st->is_dir ? "directory" : "regular file");
	printf("  Size: %llu\tAllocated: %llu\n", (unsigned long long)st->size,
	       (unsigned long long)st->alloc_size);
	printf("Attrib: 0x%08x (", (unsigned)st->attributes);
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (st->attributes & attr_names[i].bit) {
			printf("%s%s", first ? "" : " ", attr_names[i].name);
			first = false;
		}
	printf(")\n");
	printf("FileId: %llu\n", (unsigned long long)st->file_id);
	fmt_time(t, sizeof(t), st->atime_ns);
	printf("Access: %s\n", t);
	fmt_time(t, sizeof(t), st->mtime_ns);
	printf("Modify: %s\n", t);
	fmt_time(t, sizeof(t), st->ctime_ns);
	printf("Change: %s\n", t);
	fmt_time(t, sizeof(t), st->btime_ns);
	printf(" Birth: %s\n", t);
}

/*
 * Many URLs: each stat is one CREATE+QUERY_INFO+CLOSE compound, a round
 * trip the client can overlap with others on the same connection. A few
 * worker threads issue them concurrently (the client is thread-safe); the
 * main thread opens connections, hands out jobs in argument order and
 * prints each result when its turn comes, so the output is the sequential
 * one. Whatever the main thread prints itself (an invalid URL, a failed
 * connection) waits until every earlier job has been printed, and a new
 * connection (which may close a cached one) is opened only with no job in
 * flight.
 */
#define STAT_WORKERS 16 /* stats in flight */
#define STAT_RING    64 /* jobs handed out but not yet printed */

struct stat_job {
	struct cli_conn cc; /* cc.url: this URL; cc.c borrowed */
	struct smbiov_stat st;
	struct smbiov_error err; /* when ret != 0, taken on the worker */
	int ret;
	bool done;
};

struct stat_pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct stat_job ring[STAT_RING];
	size_t head;   /* next job to print */
	size_t handed; /* next job for a worker */
	size_t tail;   /* next free job */
	bool stop;
	pthread_t th[STAT_WORKERS];
	int nth;
};

static void run_job(struct stat_job *j)
{
	j->ret = smbiov_stat(j->cc.c, j->cc.url.path, &j->st);
	/* the library's last error is the calling thread's */
	if (j->ret)
		cli_error_from(j->ret, SMBIOV_PHASE_IO, &j->err);
}

static void *stat_worker(void *arg)
{
	struct stat_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct stat_job *j;

		while (p->handed == p->tail && !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->handed == p->tail)
			break;
		j = &p->ring[p->handed++ % STAT_RING];
		pthread_mutex_unlock(&p->mu);
		run_job(j);
		pthread_mutex_lock(&p->mu);
		j->done = true;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Print the oldest job once done; keep the first failure's code. */
static void print_one(struct stat_pool *p, int *code)
{
	struct stat_job *j = &p->ring[p->head % STAT_RING];
	char target[1200];

	pthread_mutex_lock(&p->mu);
	while (!j->done)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	cli_target(&j->cc, j->cc.url.path, target, sizeof(target));
	if (j->ret) {
		int c = cli_report(target, &j->err);

		if (!*code)
			*code = c;
	} else {
		print_stat(target, &j->st);
	}
	cli_cache_done(&j->cc);
	p->head++;
}

static void drain(struct stat_pool *p, int *code)
{
	while (p->head != p->tail)
		print_one(p, code);
}

static void pool_start(struct stat_pool *p, int nth)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	/* fewer threads (none: jobs run inline) only cost speed */
	while (p->nth < nth &&
	       !pthread_create(&p->th[p->nth], NULL, stat_worker, p))
		p->nth++;
}

static void pool_stop(struct stat_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
}

int cmd_stat(const struct cli_opts *o, int argc, char **argv)
{
	struct stat_pool *p;
	struct cli_cache k;
	int code = 0;

	p = malloc(sizeof(*p));
	if (!p)
		return cli_report_ret(NULL, -ENOMEM);
	pool_start(p,
		   argc > 1 ? (argc < STAT_WORKERS ? argc : STAT_WORKERS) : 0);
	cli_cache_init(&k, o);
	for (int i = 0; i < argc; i++) {
		struct stat_job *j;
		int c;

		if (p->tail - p->head == STAT_RING)
			print_one(p, &code);
		if (!cli_cache_ready(&k, argv[i]))
			drain(p, &code);
		j = &p->ring[p->tail % STAT_RING];
		c = cli_cache_open(&k, argv[i], &j->cc);
		if (c) {
			if (!code)
				code = c;
			if (k.fatal)
				break;
			continue;
		}
		j->done = false;
		if (!p->nth) {
			run_job(j);
			j->done = true;
			p->tail++;
			continue;
		}
		pthread_mutex_lock(&p->mu);
		p->tail++;
		pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->mu);
	}
	drain(p, &code);
	pool_stop(p);
	free(p);
	cli_cache_release(&k);
	return code;
}
