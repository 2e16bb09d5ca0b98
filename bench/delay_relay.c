// SPDX-License-Identifier: MIT
/*
 * delay_relay — a TCP relay that holds every chunk for a fixed delay in each
 * direction, for emulated long links (DESIGN.md §5: this kernel has no netem).
 *
 *   delay_relay -l LISTEN_ADDR:PORT -c CONNECT_ADDR:PORT -d ONE_WAY_MS [-b
 * BUF_KIB] [-s STALL_KIB]
 *
 * Each accepted connection gets a connection to the target and two pumps,
 * one per direction. A pump's reader thread reads what arrives, stamps it with
 * now + delay and queues it; its writer thread writes each chunk once its
 * stamp has passed. The queue holds at most BUF_KIB (default 8192) per
 * direction; a full queue stops the reader, so TCP flow control reaches the
 * sender (a bounded buffer, like a router's). The round-trip time added is
 * 2 × ONE_WAY_MS. The rate limit is not ours: TBF on the veth gives it.
 *
 * -s: each direction of each connection passes STALL_KIB and then holds
 * everything after it (no more reads: flow control stalls the sender) until
 * the relay gets SIGUSR1 (then everything flows again) or is killed. A test
 * uses it to stop a transfer part-way for certain, with no race against how
 * fast the transfer runs, and to let it go on when it has changed
 * something.
 *
 * Prints "ready PORT" on stdout once listening (LISTEN_ADDR's port may be
 * 0: the kernel picks one). Runs until killed. A benchmark
 * helper, not part of the library.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_MAX (256 * 1024)

struct chunk {
	struct chunk *next;
	uint64_t due_ns;
	size_t len;
	unsigned char data[];
};

struct pump {
	int from, to;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk *head, *tail;
	size_t queued;
	uint64_t passed; /* bytes read so far, against stall_max */
	bool eof, dead;
	struct conn *conn;
};

struct conn {
	struct pump up, down;
	pthread_mutex_t mu;
	int live_threads;
};

static uint64_t delay_ns;
static size_t buf_max = 8u << 20;
static uint64_t stall_max = UINT64_MAX;
static volatile sig_atomic_t released; /* SIGUSR1: -s no longer holds */

static void on_usr1(int sig)
{
	(void)sig;
	released = 1;
}

/* -s holds this pump now (under p->mu). */
static bool stalled(const struct pump *p)
{
	return !released && p->passed >= stall_max;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / 1000000000u),
			      .tv_nsec = (long)(t % 1000000000u)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static void conn_release(struct conn *c)
{
	bool last;

	pthread_mutex_lock(&c->mu);
	last = --c->live_threads == 0;
	pthread_mutex_unlock(&c->mu);
	if (!last)
		return;
	close(c->up.from);
	close(c->up.to);
	for (struct pump *p = &c->up; p; p = p == &c->up ? &c->down : NULL) {
		while (p->head) {
			struct chunk *k = p->head;

			p->head = k->next;
			free(k);
		}
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Both sockets are shut down when one pump fails: the other pump's blocked
 * read or write returns and its threads end too. */
static void pump_fail(struct pump *p)
{
	shutdown(p->from, SHUT_RDWR);
	shutdown(p->to, SHUT_RDWR);
	pthread_mutex_lock(&p->mu);
	p->dead = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void *reader(void *arg)
{
	struct pump *p = arg;

	for (;;) {
		struct chunk *k = malloc(sizeof(*k) + CHUNK_MAX);
		ssize_t n;

		if (!k) {
			pump_fail(p);
			break;
		}
		size_t want = CHUNK_MAX;

		pthread_mutex_lock(&p->mu);
		/*
		 * -s: at the stall point nothing more is read until SIGUSR1,
		 * which a handler can only flag: look at it now and then.
		 */
		while (!p->dead &&
		       (p->queued + CHUNK_MAX > buf_max || stalled(p))) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 50000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		}
		if (!released && stall_max - p->passed < want)
			want = (size_t)(stall_max - p->passed);
		pthread_mutex_unlock(&p->mu);
		if (p->dead) {
			free(k);
			break;
		}
		do
			n = read(p->from, k->data, want);
		while (n < 0 && errno == EINTR);
		pthread_mutex_lock(&p->mu);
		if (n <= 0) {
			free(k);
			p->eof = true;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			break;
		}
		if ((size_t)n < CHUNK_MAX / 2) {
			struct chunk *small =
				realloc(k, sizeof(*k) + (size_t)n);

			if (small)
				k = small;
		}
		k->len = (size_t)n;
		p->passed += (uint64_t)n;
		k->due_ns = now_ns() + delay_ns;
		k->next = NULL;
		if (p->tail)
			p->tail->next = k;
		else
			p->head = k;
		p->tail = k;
		p->queued += k->len;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	conn_release(p->conn);
	return NULL;
}

static void *writer(void *arg)
{
	struct pump *p = arg;

	for (;;) {
		struct chunk *k;
		size_t off = 0;
		bool short_write;

		pthread_mutex_lock(&p->mu);
		while (!p->head && !p->eof && !p->dead)
			pthread_cond_wait(&p->cv, &p->mu);
		k = p->head;
		if (!k) {
			bool eof = p->eof && !p->dead;

			pthread_mutex_unlock(&p->mu);
			if (eof)
				shutdown(p->to, SHUT_WR);
			break;
		}
		pthread_mutex_unlock(&p->mu);
		sleep_until(k->due_ns);
		while (off < k->len) {
			ssize_t n = write(p->to, k->data + off, k->len - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		pthread_mutex_lock(&p->mu);
		p->head = k->next;
		if (!p->head)
			p->tail = NULL;
		p->queued -= k->len;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		short_write = off < k->len;
		free(k);
		if (short_write) {
			pump_fail(p);
			break;
		}
	}
	conn_release(p->conn);
	return NULL;
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static bool start_pump(struct pump *p, struct conn *c, int from, int to)
{
	pthread_t t;

	p->from = from;
	p->to = to;
	p->conn = c;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&t, NULL, reader, p))
		return false;
	pthread_detach(t);
	if (pthread_create(&t, NULL, writer, p))
		return false; /* cannot happen in practice; the relay exits */
	pthread_detach(t);
	return true;
}

int main(int argc, char **argv)
{
	struct sockaddr_in lsa, csa;
	bool have_l = false, have_c = false;
	int opt, ls, one = 1;
	double ms = -1;

	while ((opt = getopt(argc, argv, "l:c:d:b:s:")) != -1) {
		switch (opt) {
		case 'l':
			have_l = parse_addr(optarg, &lsa) == 0;
			break;
		case 'c':
			have_c = parse_addr(optarg, &csa) == 0 && csa.sin_port;
			break;
		case 'd':
			ms = atof(optarg);
			break;
		case 'b':
			buf_max = (size_t)atol(optarg) * 1024u;
			break;
		case 's':
			stall_max = (uint64_t)atoll(optarg) * 1024u;
			break;
		default:
			goto usage;
		}
	}
	if (!have_l || !have_c || ms < 0 || buf_max < 2 * CHUNK_MAX)
		goto usage;
	delay_ns = (uint64_t)(ms * 1e6);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, on_usr1);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&lsa, sizeof(lsa)) ||
	    listen(ls, 64)) {
		perror("delay_relay: listen");
		return 1;
	}
	/* The port too: a listen port of 0 lets the kernel pick one. */
	{
		struct sockaddr_in got;
		socklen_t gl = sizeof(got);

		if (getsockname(ls, (struct sockaddr *)&got, &gl))
			got.sin_port = lsa.sin_port;
		printf("ready %u\n", (unsigned)ntohs(got.sin_port));
	}
	fflush(stdout);
	for (;;) {
		int a = accept(ls, NULL, NULL), b;
		struct conn *c;

		if (a < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("delay_relay: accept");
			return 1;
		}
		b = socket(AF_INET, SOCK_STREAM, 0);
		if (b < 0 || connect(b, (struct sockaddr *)&csa, sizeof(csa))) {
			perror("delay_relay: connect");
			close(a);
			if (b >= 0)
				close(b);
			continue;
		}
		setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(a);
			close(b);
			continue;
		}
		pthread_mutex_init(&c->mu, NULL);
		c->live_threads = 4;
		if (!start_pump(&c->up, c, a, b) ||
		    !start_pump(&c->down, c, b, a)) {
			fprintf(stderr, "delay_relay: cannot start threads\n");
			return 1;
		}
	}
usage:
	fprintf(stderr,
		"usage: delay_relay -l ADDR:PORT -c ADDR:PORT -d ONE_WAY_MS "
		"[-b BUF_KIB] [-s STALL_KIB]\n");
	return 2;
}
