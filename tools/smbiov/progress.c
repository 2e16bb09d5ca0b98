/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

void progress_fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const unit[] = {"KiB", "MiB", "GiB",
					   "TiB", "PiB", "EiB"};
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	/* 1023.96 would print as "1024.0": move to the next unit */
	if (v >= 1023.95 && u < 5) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[u]);
}

void progress_fmt_eta(char *buf, size_t len, double seconds)
{
	unsigned long s;

	if (!(seconds >= 0) || seconds > 360000.0 * 24) {
		snprintf(buf, len, "--:--");
		return;
	}
	s = (unsigned long)(seconds + 0.5);
	if (s >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
			 s % 60);
	else
		snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
}

void progress_fmt_line(char *buf, size_t len, int width, const char *name,
		       uint64_t done, uint64_t total, double elapsed)
{
	char d[32], t[32], r[32], eta[32], stats[160], bar[128];
	double rate = elapsed > 0 ? (double)done / elapsed : 0;
	int pct = -1, room, namew;

	progress_fmt_bytes(d, sizeof(d), done);
	progress_fmt_bytes(r, sizeof(r), (uint64_t)rate);
	if (total) {
		uint64_t left = total > done ? total - done : 0;

		pct = done >= total ? 100 : (int)((double)done * 100 / total);
		progress_fmt_bytes(t, sizeof(t), total);
		progress_fmt_eta(eta, sizeof(eta),
				 rate > 0 ? (double)left / rate : -1);
		snprintf(stats, sizeof(stats), "%3d%%  %s/%s  %s/s  ETA %s",
			 pct, d, t, r, eta);
	} else {
		snprintf(stats, sizeof(stats), "%s  %s/s", d, r);
	}
	if (width < 20)
		width = 20;
	if ((size_t)width >= len)
		width = (int)len - 1;
	/* name, then a bar in whatever room the numbers leave */
	room = width - (int)strlen(stats) - 2;
	namew = (int)strlen(name);
	if (namew > room / 3 && room > 0)
		namew = room / 3;
	if (room <= 0)
		namew = 0;
	room -= namew + 2;
	bar[0] = '\0';
	if (pct >= 0 && room >= 8) {
		int inner = room - 2, fill, i;

		if (inner > (int)sizeof(bar) - 3)
			inner = (int)sizeof(bar) - 3;
		fill = inner * pct / 100;
		bar[0] = '[';
		for (i = 0; i < inner; i++)
			bar[1 + i] = i < fill		      ? '='
				     : i == fill && pct < 100 ? '>'
							      : ' ';
		bar[1 + inner] = ']';
		bar[2 + inner] = '\0';
	}
	if (namew > 0 && (int)strlen(name) > namew && namew > 3)
		snprintf(buf, len, "...%s  %s%s%s",
			 name + strlen(name) - (size_t)(namew - 3), bar,
			 bar[0] ? "  " : "", stats);
	else if (namew > 0)
		snprintf(buf, len, "%.*s  %s%s%s", namew, name, bar,
			 bar[0] ? "  " : "", stats);
	else
		snprintf(buf, len, "%s", stats);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_draw(struct progress *p)
{
	char line[512];

	progress_fmt_line(line, sizeof(line), p->width, p->name, p->done,
			  p->total, now_s() - p->start);
	/* \r, the line, then clear whatever a longer line left behind */
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
}

void progress_begin(struct progress *p, int mode, int out_fd, const char *name,
		    uint64_t total)
{
	struct winsize ws;

	memset(p, 0, sizeof(*p));
	if (mode < 0)
		p->on = isatty(STDERR_FILENO) && !isatty(out_fd);
	else
		p->on = mode > 0;
	p->name = name;
	p->total = total;
	p->start = now_s();
	p->width = 80;
	if (p->on && !ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		p->width = ws.ws_col - 1;
}

void progress_add(struct progress *p, uint64_t bytes)
{
	double t;

	p->done += bytes;
	if (!p->on)
		return;
	t = now_s();
	if (t - p->last_draw < 0.1)
		return;
	p->last_draw = t;
	progress_draw(p);
}

void progress_end(struct progress *p)
{
	if (!p->on)
		return;
	progress_draw(p);
	fputc('\n', stderr);
	p->on = false;
}
