// SPDX-License-Identifier: MIT
/*
 * cut_relay — a TCP relay for the reconnect tests that resets its
 * connections at chosen byte positions, and can go away and come back.
 *
 *   cut_relay -c HOST:PORT [-n CUTS -b BYTES [-s SEED] [-f FIRST]]
 *             [-d up|down|both]
 *
 * Listens on 127.0.0.1 (a port the kernel picks) and prints "ready PORT".
 * Every connection it accepts gets its own connection to HOST:PORT and
 * two pumps, one per direction. The bytes of the counted direction(s)
 * (-d: up = client to server, down = server to client, default both)
 * are counted over the relay's whole life, across connections; CUTS
 * positions are drawn from SEED in the middle of BYTES (2 % to 98 %, at
 * least half the mean gap apart; all FIRST bytes later, so that none falls
 * in a command's first connect), and when the count reaches one the connection
 * carrying that byte is cut: the bytes before it are forwarded, the rest is
 * not, and both ends get a reset (RST), as when a link or middlebox drops a
 * connection. It prints "cut K at BYTE". Cuts come from positions in the
 * stream, not from time, so a test sees the same cuts however fast it runs.
 *
 * SIGUSR1: down — the listening socket closed (connects are refused) and
 * every connection reset; SIGUSR2: back on the same port ("ready PORT"
 * again). SIGTERM/SIGINT: prints "cuts K" and exits.
 *
 * A test tool, not part of the library.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define CUTS_MAX  4096
#define CONNS_MAX 256
#define BUF_SIZE  (64 * 1024)

enum { DIR_UP = 1, DIR_DOWN = 2 };

struct conn {
	int cfd, sfd; /* client side, server side */
	int evfd;     /* written to stop both pumps */
	atomic_int users;
	bool cut; /* reset, not closed: both ends get an RST */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t counted;	/* bytes of the counted direction(s) */
static uint64_t cuts[CUTS_MAX]; /* ascending */
static unsigned ncuts, next_cut, done_cuts;
static int dirs = DIR_UP | DIR_DOWN;
static struct conn *conns[CONNS_MAX];
static struct sockaddr_storage target;
static socklen_t target_len;
static int sigpipe_fds[2];

static void die(const char *what)
{
	fprintf(stderr, "cut_relay: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void stop(struct conn *k, bool cut)
{
	uint64_t one = 1;

	if (cut)
		k->cut = true;
	if (write(k->evfd, &one, sizeof(one)) < 0) {
		/* eventfd counter saturated: already stopped */
	}
}

static void conn_put(struct conn *k)
{
	if (atomic_fetch_sub(&k->users, 1) != 1)
		return;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < CONNS_MAX; i++)
		if (conns[i] == k)
			conns[i] = NULL;
	pthread_mutex_unlock(&mu);
	if (k->cut) {
		struct linger l = {.l_onoff = 1, .l_linger = 0};

		setsockopt(k->cfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		setsockopt(k->sfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(k->cfd);
	close(k->sfd);
	close(k->evfd);
	free(k);
}

/* Wait for @fd to be ready for @ev; false when the pumps must stop. */
static bool wait_fd(struct conn *k, int fd, short ev)
{
	struct pollfd p[2] = {{.fd = fd, .events = ev},
			      {.fd = k->evfd, .events = POLLIN}};

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (p[1].revents)
			return false;
		if (p[0].revents)
			return true;
	}
}

/*
 * How many of @n bytes may pass before the next cut position (all of
 * them: @n; the cut is then due with the rest not forwarded).
 */
static size_t account(size_t n, bool *cut_now)
{
	size_t pass = n;

	*cut_now = false;
	pthread_mutex_lock(&mu);
	if (next_cut < ncuts && counted + n >= cuts[next_cut]) {
		pass = (size_t)(cuts[next_cut] - counted);
		*cut_now = true;
		printf("cut %u at %llu\n", ++done_cuts,
		       (unsigned long long)cuts[next_cut]);
		fflush(stdout);
		/* positions a short stream already passed go too */
		while (next_cut < ncuts && cuts[next_cut] <= counted + pass)
			next_cut++;
	}
	counted += pass;
	pthread_mutex_unlock(&mu);
	return pass;
}

struct pump {
	struct conn *k;
	int from, to;
	bool count;
};

static void *pump_main(void *arg)
{
	struct pump *p = arg;
	struct conn *k = p->k;
	char *buf = malloc(BUF_SIZE);
	bool cut = false;

	while (buf && !cut && wait_fd(k, p->from, POLLIN)) {
		ssize_t n = recv(p->from, buf, BUF_SIZE, MSG_DONTWAIT);
		size_t len, off = 0;
		bool cut_now = false;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		len = (size_t)n;
		if (p->count)
			len = account(len, &cut_now);
		while (off < len && wait_fd(k, p->to, POLLOUT)) {
			ssize_t w = send(p->to, buf + off, len - off,
					 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		if (off < len)
			break;
		cut = cut_now;
	}
	free(buf);
	/* a cut resets both ends; an end that closed closes the other */
	stop(k, cut);
	conn_put(k);
	free(p);
	return NULL;
}

static void start_pump(struct conn *k, int from, int to, bool count)
{
	struct pump *p = calloc(1, sizeof(*p));
	pthread_t th;

	if (!p)
		die("calloc");
	*p = (struct pump){.k = k, .from = from, .to = to, .count = count};
	atomic_fetch_add(&k->users, 1);
	if (pthread_create(&th, NULL, pump_main, p))
		die("pthread_create");
	pthread_detach(th);
}

static void relay(int cfd)
{
	struct conn *k = calloc(1, sizeof(*k));
	int slot = -1;

	if (!k)
		die("calloc");
	k->cfd = cfd;
	k->sfd = socket(target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	k->evfd = eventfd(0, EFD_CLOEXEC);
	if (k->sfd < 0 || k->evfd < 0)
		die("socket");
	if (connect(k->sfd, (struct sockaddr *)&target, target_len)) {
		/* the server refused: so does the relay */
		k->cut = true;
		atomic_store(&k->users, 1);
		conn_put(k);
		return;
	}
	pthread_mutex_lock(&mu);
	for (int i = 0; i < CONNS_MAX && slot < 0; i++)
		if (!conns[i])
			slot = i;
	if (slot >= 0)
		conns[slot] = k;
	pthread_mutex_unlock(&mu);
	if (slot < 0) {
		errno = EMFILE;
		die("too many connections");
	}
	atomic_store(&k->users, 1); /* the relay's, dropped below */
	start_pump(k, cfd, k->sfd, dirs & DIR_UP);
	start_pump(k, k->sfd, cfd, dirs & DIR_DOWN);
	conn_put(k);
}

static void reset_all(void)
{
	pthread_mutex_lock(&mu);
	for (int i = 0; i < CONNS_MAX; i++)
		if (conns[i])
			stop(conns[i], true);
	pthread_mutex_unlock(&mu);
}

static int listen_on(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		die("listen");
	printf("ready %u\n", ntohs(a.sin_port));
	fflush(stdout);
	return fd;
}

static void on_signal(int sig)
{
	unsigned char s = (unsigned char)sig;

	if (write(sigpipe_fds[1], &s, 1) < 0) {
		/* the main loop is behind; the signal is not lost for long */
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void parse_target(const char *hp)
{
	char host[256];
	const char *colon = strrchr(hp, ':');
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;

	if (!colon || (size_t)(colon - hp) >= sizeof(host)) {
		fprintf(stderr, "cut_relay: -c HOST:PORT\n");
		exit(2);
	}
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai)) {
		fprintf(stderr, "cut_relay: cannot resolve %s\n", hp);
		exit(2);
	}
	memcpy(&target, ai->ai_addr, ai->ai_addrlen);
	target_len = ai->ai_addrlen;
	freeaddrinfo(ai);
}

int main(int argc, char **argv)
{
	uint64_t bytes = 0, seed = 1, first = 0;
	uint16_t port = 0;
	int opt, lfd;
	bool have_target = false;

	while ((opt = getopt(argc, argv, "c:n:b:s:f:d:")) != -1) {
		switch (opt) {
		case 'c':
			parse_target(optarg);
			have_target = true;
			break;
		case 'n':
			ncuts = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			bytes = strtoull(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10) | 1;
			break;
		case 'f':
			first = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			dirs = !strcmp(optarg, "up")	 ? DIR_UP
			       : !strcmp(optarg, "down") ? DIR_DOWN
							 : DIR_UP | DIR_DOWN;
			break;
		default:
			fprintf(stderr,
				"usage: cut_relay -c HOST:PORT [-n CUTS "
				"-b BYTES [-s SEED] [-f FIRST]] "
				"[-d up|down|both]\n");
			return 2;
		}
	}
	if (!have_target || ncuts > CUTS_MAX || (ncuts && bytes < 100)) {
		fprintf(stderr,
			"cut_relay: -c needed; -n at most %d, with -b "
			"of 100 or more\n",
			CUTS_MAX);
		return 2;
	}
	/*
	 * At least half the mean gap apart: a link does not fail several
	 * times within one response, and a client gives up when new
	 * connections keep dying before anything is answered.
	 */
	if (ncuts) {
		uint64_t span = bytes - bytes / 25, gap = span / ncuts / 2;

		for (unsigned i = 0; i < ncuts; i++)
			cuts[i] = xorshift(&seed) % (span - (ncuts - 1) * gap);
		qsort(cuts, ncuts, sizeof(cuts[0]), cmp_u64);
		for (unsigned i = 0; i < ncuts; i++)
			cuts[i] += first + bytes / 50 + i * gap;
	}

	if (pipe2(sigpipe_fds, O_CLOEXEC))
		die("pipe");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	lfd = listen_on(0);
	{
		struct sockaddr_in a;
		socklen_t len = sizeof(a);

		getsockname(lfd, (struct sockaddr *)&a, &len);
		port = ntohs(a.sin_port);
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = sigpipe_fds[0], .events = POLLIN},
				      {.fd = lfd, .events = POLLIN}};
		unsigned char sig;

		if (poll(p, lfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[0].revents) {
			if (read(sigpipe_fds[0], &sig, 1) != 1)
				continue;
			if (sig == SIGUSR1 && lfd >= 0) {
				close(lfd);
				lfd = -1;
				reset_all();
				printf("down\n");
				fflush(stdout);
			} else if (sig == SIGUSR2 && lfd < 0) {
				lfd = listen_on(port);
			} else if (sig == SIGTERM || sig == SIGINT) {
				pthread_mutex_lock(&mu);
				printf("cuts %u\n", done_cuts);
				fflush(stdout);
				return 0;
			}
			continue;
		}
		if (lfd >= 0 && p[1].revents) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (cfd >= 0)
				relay(cfd);
		}
	}
}
