/* SPDX-License-Identifier: MIT */
/*
 * Model-based random test of files through an smbiov mount (issue 18,
 * "Tests"; run by tests/integration/mount_model.sh, which mounts and
 * unmounts). A seeded, reproducible sequence of operations on a few
 * files in DIR -- pread/pwrite (1 B to 3 MiB, unaligned), O_DIRECT
 * (aligned), O_APPEND writes, ftruncate and truncate(2) up and down,
 * fallocate (extend, ZERO_RANGE with and without KEEP_SIZE, PUNCH_HOLE,
 * KEEP_SIZE alone: EOPNOTSUPP as docs/cli.md says), mmap (MAP_PRIVATE
 * reads; MAP_SHARED refused with ENODEV as documented, or written and
 * msync'd with -S), close and reopen (O_TRUNC too), fsync/fdatasync --
 * each checked against a model of the file kept in memory: every read's
 * bytes and count (so the size too, at every read at or past the end),
 * and every CHECK_EVERY steps the size (fstat), the whole file through
 * the mount and, after fsync, on the server's disk (-D: the share's
 * directory read without SMB). Not fstat after every step: the mount
 * writes back for it (smbiov_fstat), and no dirty data would outlive a
 * step.
 *
 * Files: "single" ones have exactly one descriptor open at a time (so
 * the file layer may hold a write lease and cache dirty data; a reopen
 * may take back the deferred-closed handle), "multi" ones keep four open
 * at once (buffered read-write, read-only, O_DIRECT, O_APPEND: each a
 * handle of its own on the server, kept coherent by lease breaks). With
 * -1 only single files, and only read-write opens (a reopen takes back
 * the one deferred-closed handle; see mount_model.sh,
 * MODEL_KNOWN_BUG=siblings). Under cache=loose (-m loose) one read-write
 * descriptor per file for the whole run (O_APPEND set and cleared with
 * fcntl; no O_DIRECT, no reopen): loose mode serves reads of a handle
 * without a lease from its cache for actimeo, so another handle's writes
 * may not show for that long (include/smbiov/smbiov.h,
 * SMBIOV_CACHE_LOOSE), and a close and open may briefly be two handles
 * (RELEASE comes after close(2)) -- no model can check that without
 * timing.
 *
 * A failure prints the step, the operation, the last operations before
 * it and how to replay: MODEL_SEED=... MODEL_OPS=... MODEL_MODES=...
 * Exit 0 pass, 1 fail, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILES   8
#define MAX_SIZE    (6u << 20) /* no file grows past this */
#define MAX_IO	    (3u << 20) /* largest read or write */
#define DIO_ALIGN   4096u
#define HISTORY	    16
#define OP_TEXT_LEN 240

enum slot { S_RW, S_RO, S_DIO, S_APP, NSLOTS };
static const char *const slot_name[NSLOTS] = {"rw", "ro", "direct", "append"};

enum op {
	OP_READ,
	OP_WRITE,
	OP_DIO_READ,
	OP_DIO_WRITE,
	OP_APPEND,
	OP_FTRUNCATE,
	OP_TRUNCATE,
	OP_FALLOCATE,
	OP_FALLOC_ZERO,
	OP_FALLOC_PUNCH,
	OP_FALLOC_KEEP,
	OP_MMAP_READ,
	OP_MMAP_SHARED,
	OP_REOPEN,
	OP_FSYNC,
	OP_CHECK,
	NOPS
};

/* name, weight: how often it is drawn */
static const struct {
	const char *name;
	unsigned weight;
} op_info[NOPS] = {
	[OP_READ] = {"read", 24},
	[OP_WRITE] = {"write", 22},
	[OP_DIO_READ] = {"dio_read", 8},
	[OP_DIO_WRITE] = {"dio_write", 8},
	[OP_APPEND] = {"append", 5},
	[OP_FTRUNCATE] = {"ftruncate", 4},
	[OP_TRUNCATE] = {"truncate", 2},
	[OP_FALLOCATE] = {"fallocate", 2},
	[OP_FALLOC_ZERO] = {"zero", 2},
	[OP_FALLOC_PUNCH] = {"punch", 2},
	[OP_FALLOC_KEEP] = {"keep", 1},
	[OP_MMAP_READ] = {"mmap", 4},
	[OP_MMAP_SHARED] = {"mmap_shared", 1},
	[OP_REOPEN] = {"reopen", 6},
	[OP_FSYNC] = {"fsync", 3},
	[OP_CHECK] = {"check", 1},
};

struct mfile {
	char name[32];
	char path[4096];
	bool multi;
	int fd[NSLOTS]; /* -1: closed */
	uint8_t *data;	/* the model: the bytes the file must hold */
	size_t size;
};

static struct {
	const char *dir, *disk, *mode, *dump;
	uint64_t seed, rng;
	unsigned long ops, step, check_every, break_at;
	bool one, loose, shared_mmap, skip[NOPS]; /* one: -1, or loose */
	unsigned nfiles;
	struct mfile f[MAX_FILES];
	uint8_t *buf, *rbuf; /* DIO_ALIGN-aligned, MAX_SIZE + DIO_ALIGN */
	char op[OP_TEXT_LEN], hist[HISTORY][OP_TEXT_LEN];
	unsigned long count[NOPS], shared_refused, bytes_read, bytes_written;
} g;

/* ---- randomness: splitmix64, one stream from the seed ---------------- */

static uint64_t rnd(void)
{
	uint64_t z = (g.rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* A length of 1 B .. 3 MiB, small ones most often. */
static size_t rnd_len(void)
{
	uint64_t r = below(100);

	if (r < 50)
		return 1 + below(4096);
	if (r < 80)
		return 1 + below(65536);
	if (r < 95)
		return 1 + below(1u << 20);
	return 1 + below(MAX_IO);
}

/* An offset for a file of @size: inside, at or just past the end. */
static uint64_t rnd_off(size_t size)
{
	uint64_t r = below(100);

	if (r < 8)
		return 0;
	if (r < 65)
		return below(size + 1);
	if (r < 80)
		return size;
	if (r < 92)
		return size + below(65536);
	return below(MAX_SIZE);
}

static void fill(uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(i & 7))
			v = rnd();
		p[i] = (uint8_t)(v >> ((i & 7) * 8));
	}
}

/* ---- reporting ---------------------------------------------------------- */

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g.op, sizeof(g.op), fmt, ap);
	va_end(ap);
	memcpy(g.hist[g.step % HISTORY], g.op, sizeof(g.op));
}

static void replay_line(void)
{
	fprintf(stderr,
		"replay: MODEL_SEED=%" PRIu64
		" MODEL_OPS=%lu MODEL_MODES=%s tests/integration/mount_model.sh"
		" (through ctest: ctest -R integ.mount_model)\n",
		g.seed, g.ops, g.mode);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	unsigned long s;
	va_list ap;

	fprintf(stderr,
		"FAIL: cache=%s seed %" PRIu64 " step %lu: %s: ", g.mode,
		g.seed, g.step, g.op);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fprintf(stderr, "the operations before it:\n");
	for (s = g.step >= HISTORY ? g.step - HISTORY + 1 : 0; s <= g.step; s++)
		fprintf(stderr, "  step %lu: %s\n", s, g.hist[s % HISTORY]);
	replay_line();
	exit(1);
}

/* ---- the model ------------------------------------------------------------
 */

/* Size the model to @n: bytes past the old end are zeros. */
static void model_resize(struct mfile *f, size_t n)
{
	if (n > f->size)
		memset(f->data + f->size, 0, n - f->size);
	f->size = n;
}

static void model_write(struct mfile *f, uint64_t off, const uint8_t *p,
			size_t n)
{
	if (off + n > f->size)
		model_resize(f, off + n);
	memcpy(f->data + off, p, n);
}

static void model_zero(struct mfile *f, uint64_t off, uint64_t end)
{
	if (end > f->size)
		end = f->size;
	if (off < end)
		memset(f->data + off, 0, end - off);
}

/* @got bytes read at @off against the model; @want the count asked. */
static void compare(const struct mfile *f, const char *how, uint64_t off,
		    const uint8_t *got, ssize_t n, size_t want)
{
	size_t expect = off >= f->size	       ? 0
			: f->size - off < want ? f->size - off
					       : want;
	size_t i, j, last, wrong = 0;

	if (n < 0)
		fail("%s: %s", how, strerror(errno));
	if ((size_t)n != expect)
		fail("%s at %" PRIu64 " of %zu: got %zd bytes, the model "
		     "says %zu (size %zu)",
		     how, off, want, n, expect, f->size);
	if (!memcmp(got, f->data + off, expect))
		return;
	for (i = 0; got[i] == f->data[off + i]; i++)
		;
	for (last = expect - 1; got[last] == f->data[off + last]; last--)
		;
	for (j = i; j <= last; j++)
		wrong += got[j] != f->data[off + j];
	fail("%s at %" PRIu64 " of %zu: byte %" PRIu64 " is %#x, the model "
	     "says %#x (%zu bytes differ, the last at %" PRIu64 ")",
	     how, off, want, off + i, got[i], f->data[off + i], wrong,
	     off + last);
}

/* ---- descriptors ----------------------------------------------------------
 */

static int slot_flags(const struct mfile *f, enum slot s)
{
	switch (s) {
	case S_RW:
		return O_RDWR;
	case S_RO:
		return O_RDONLY;
	case S_DIO:
		return O_RDWR | O_DIRECT;
	default:
		/* single files: read-write, so a reopen may take back the
		 * deferred-closed handle of any kind */
		return (f->multi ? O_WRONLY : O_RDWR) | O_APPEND;
	}
}

static void slot_open(struct mfile *f, enum slot s, int extra)
{
	f->fd[s] = open(f->path, slot_flags(f, s) | extra, 0644);
	if (f->fd[s] < 0)
		fail("open %s (%s): %s", f->name, slot_name[s],
		     strerror(errno));
	if (extra & O_TRUNC)
		model_resize(f, 0);
}

static void slot_close(struct mfile *f, enum slot s)
{
	/* close(2) writes back (FUSE flush): its error is the file's */
	if (close(f->fd[s]))
		fail("close %s (%s): %s", f->name, slot_name[s],
		     strerror(errno));
	f->fd[s] = -1;
}

static bool readable(const struct mfile *f, enum slot s)
{
	return (slot_flags(f, s) & O_ACCMODE) != O_WRONLY;
}

/* A random open slot among those @ok takes, or -1. */
static int pick_slot(const struct mfile *f,
		     bool (*ok)(const struct mfile *, enum slot))
{
	int c[NSLOTS], n = 0, s;

	for (s = 0; s < NSLOTS; s++)
		if (f->fd[s] >= 0 && (!ok || ok(f, (enum slot)s)))
			c[n++] = s;
	return n ? c[below((uint64_t)n)] : -1;
}

static bool writable(const struct mfile *f, enum slot s)
{
	return (slot_flags(f, s) & O_ACCMODE) != O_RDONLY;
}

static bool buffered_readable(const struct mfile *f, enum slot s)
{
	return s == S_RW || (s == S_APP && !f->multi) || s == S_RO;
}

/* ---- checks ---------------------------------------------------------------
 */

static void check_size(struct mfile *f)
{
	struct stat st;
	int s = pick_slot(f, NULL);

	if (s < 0)
		return;
	if (fstat(f->fd[s], &st))
		fail("fstat %s: %s", f->name, strerror(errno));
	if ((uint64_t)st.st_size != f->size)
		fail("fstat %s (%s): size %jd, the model says %zu", f->name,
		     slot_name[s], (intmax_t)st.st_size, f->size);
}

/* The whole file through descriptor @s: the size and every byte. */
static void check_through(struct mfile *f, enum slot s)
{
	size_t want = f->size + 1; /* one more: EOF must be there */
	size_t got = 0;
	ssize_t n;

	if (s == S_DIO)
		want = (want + DIO_ALIGN - 1) & ~(size_t)(DIO_ALIGN - 1);
	while (got < want) {
		n = pread(f->fd[s], g.rbuf + got, want - got, (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (s == S_DIO && got % DIO_ALIGN)
			break;
	}
	compare(f, s == S_DIO ? "whole-file O_DIRECT read" : "whole-file read",
		0, g.rbuf, (ssize_t)got, want);
}

/* The file as the server's disk holds it (no SMB on the way). */
static void check_disk(struct mfile *f)
{
	char p[4096 + 40];
	size_t got = 0;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", g.disk, f->name);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		fail("the server's disk: open %s: %s", p, strerror(errno));
	while ((n = read(fd, g.rbuf + got, MAX_SIZE + DIO_ALIGN - got)) > 0)
		got += (size_t)n;
	close(fd);
	compare(f, "the server's disk", 0, g.rbuf, n < 0 ? n : (ssize_t)got,
		MAX_SIZE + DIO_ALIGN);
}

/*
 * With -D, after an fsync of every writable descriptor, the file on the
 * server's disk (so fsync is what put it there: fstat would write back
 * too); then the size and the whole file through a readable descriptor.
 */
static void check_file(struct mfile *f)
{
	int s;

	for (s = 0; g.disk && s < NSLOTS; s++)
		if (f->fd[s] >= 0 && writable(f, (enum slot)s) &&
		    fsync(f->fd[s]))
			fail("fsync %s (%s) before the disk check: %s", f->name,
			     slot_name[s], strerror(errno));
	if (g.disk)
		check_disk(f);
	check_size(f);
	s = pick_slot(f, readable);
	if (s >= 0)
		check_through(f, (enum slot)s);
}

/* ---- operations -----------------------------------------------------------
 */

/* pread @len at @off through @fd, checked against the model. */
static void read_at(struct mfile *f, int fd, const char *how, uint64_t off,
		    size_t len)
{
	ssize_t n = pread(fd, g.rbuf, len, (off_t)off);

	compare(f, how, off, g.rbuf, n, len);
	g.bytes_read += (unsigned long)(n > 0 ? n : 0);
}

#define AT_END UINT64_MAX /* write(2) on an O_APPEND descriptor */

/* @len new bytes written at @off through @fd; the model follows. */
static void write_at(struct mfile *f, int fd, const char *how, uint64_t off,
		     size_t len)
{
	ssize_t n;

	fill(g.buf, len);
	n = off == AT_END ? write(fd, g.buf, len)
			  : pwrite(fd, g.buf, len, (off_t)off);
	if (n != (ssize_t)len)
		fail("%s returned %zd (%s)", how, n,
		     n < 0 ? strerror(errno) : "");
	model_write(f, off == AT_END ? f->size : off, g.buf, len);
	g.bytes_written += len;
}

/* A range that ends within MAX_SIZE. */
static void clamp(uint64_t *off, uint64_t *len)
{
	if (*off >= MAX_SIZE)
		*off = below(MAX_SIZE);
	if (*off + *len > MAX_SIZE)
		*len = MAX_SIZE - *off;
}

static bool do_read(struct mfile *f)
{
	int s = pick_slot(f, buffered_readable);
	uint64_t off = rnd_off(f->size);
	size_t len = rnd_len();

	if (s < 0)
		return false;
	note("%s pread(%s) off %" PRIu64 " len %zu (size %zu)", f->name,
	     slot_name[s], off, len, f->size);
	read_at(f, f->fd[s], "pread", off, len);
	return true;
}

static bool no_append(const struct mfile *f, enum slot s)
{
	return s == S_RW && writable(f, s);
}

static bool do_write(struct mfile *f)
{
	int s = pick_slot(f, no_append);
	uint64_t off = rnd_off(f->size), len = rnd_len();

	if (s < 0)
		return false;
	clamp(&off, &len);
	note("%s pwrite(%s) off %" PRIu64 " len %" PRIu64 " (size %zu)",
	     f->name, slot_name[s], off, len, f->size);
	write_at(f, f->fd[s], "pwrite", off, (size_t)len);
	return true;
}

/* O_DIRECT: offset, length and buffer aligned to 4096. */
static bool do_dio(struct mfile *f, bool write)
{
	uint64_t off = rnd_off(f->size) & ~(uint64_t)(DIO_ALIGN - 1);
	size_t len = (rnd_len() + DIO_ALIGN - 1) & ~(size_t)(DIO_ALIGN - 1);

	if (f->fd[S_DIO] < 0)
		return false;
	if (off + len > MAX_SIZE)
		off = MAX_SIZE - len;
	note("%s O_DIRECT %s off %" PRIu64 " len %zu (size %zu)", f->name,
	     write ? "pwrite" : "pread", off, len, f->size);
	if (write)
		write_at(f, f->fd[S_DIO], "O_DIRECT pwrite", off, len);
	else
		read_at(f, f->fd[S_DIO], "O_DIRECT pread", off, len);
	return true;
}

/* (loose: O_APPEND set on the one descriptor with fcntl, then cleared) */
static bool do_append(struct mfile *f)
{
	int fd = g.loose ? f->fd[S_RW] : f->fd[S_APP], fl = 0;
	size_t len = rnd_len();

	if (fd < 0)
		return false;
	if (f->size + len > MAX_SIZE)
		len = f->size < MAX_SIZE ? MAX_SIZE - f->size : 0;
	if (!len)
		return false;
	note("%s O_APPEND write len %zu (size %zu)%s", f->name, len, f->size,
	     g.loose ? " (F_SETFL)" : "");
	if (g.loose && ((fl = fcntl(fd, F_GETFL)) < 0 ||
			fcntl(fd, F_SETFL, fl | O_APPEND)))
		fail("fcntl O_APPEND: %s", strerror(errno));
	write_at(f, fd, "O_APPEND write", AT_END, len);
	if (g.loose && fcntl(fd, F_SETFL, fl))
		fail("fcntl: %s", strerror(errno));
	return true;
}

/* A new size: smaller, larger, 0 or the same. */
static size_t rnd_size(const struct mfile *f)
{
	uint64_t r = below(10);

	if (r == 0)
		return 0;
	if (r < 5)
		return (size_t)below(f->size + 1);
	if (r < 9)
		return (size_t)(f->size + below(MAX_SIZE - f->size + 1));
	return f->size;
}

static bool do_truncate(struct mfile *f, bool by_path)
{
	size_t n = rnd_size(f);
	int s = pick_slot(f, writable);

	if (by_path) {
		note("%s truncate(path) to %zu (size %zu)", f->name, n,
		     f->size);
		if (truncate(f->path, (off_t)n))
			fail("truncate: %s", strerror(errno));
	} else {
		if (s < 0)
			return false;
		note("%s ftruncate(%s) to %zu (size %zu)", f->name,
		     slot_name[s], n, f->size);
		if (ftruncate(f->fd[s], (off_t)n))
			fail("ftruncate: %s", strerror(errno));
	}
	model_resize(f, n);
	return true;
}

static bool do_fallocate(struct mfile *f, enum op op)
{
	int s = pick_slot(f, writable), mode;
	uint64_t off = rnd_off(f->size), len = rnd_len(), end;
	int ret;

	if (s < 0)
		return false;
	clamp(&off, &len);
	end = off + len;
	switch (op) {
	case OP_FALLOCATE:
		mode = 0;
		break;
	case OP_FALLOC_ZERO:
		mode = FALLOC_FL_ZERO_RANGE |
		       (below(2) ? FALLOC_FL_KEEP_SIZE : 0);
		break;
	case OP_FALLOC_PUNCH:
		mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		break;
	default:
		mode = FALLOC_FL_KEEP_SIZE;
		break;
	}
	note("%s fallocate(%s, %#x) off %" PRIu64 " len %" PRIu64 " (size %zu)",
	     f->name, slot_name[s], mode, off, len, f->size);
	ret = fallocate(f->fd[s], mode, (off_t)off, (off_t)len);
	if (mode == FALLOC_FL_KEEP_SIZE) {
		/* docs/cli.md: SMB cannot reserve blocks */
		if (ret == 0 || errno != EOPNOTSUPP)
			fail("fallocate KEEP_SIZE: %s, docs/cli.md says "
			     "EOPNOTSUPP",
			     ret ? strerror(errno) : "succeeded");
		return true;
	}
	if (ret)
		fail("fallocate: %s", strerror(errno));
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > f->size)
		model_resize(f, end);
	if (mode)
		model_zero(f, off, end);
	return true;
}

/*
 * A page of a mapping past the kernel's end of file is SIGBUS: caught
 * while a mapping is read, and reported as the failure it is.
 */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Diagnosis: the first @len bytes on the server's disk, as they are. */
static const char *disk_differs(const struct mfile *f, size_t len)
{
	char p[4096 + 40];
	ssize_t n;
	int fd;

	if (!g.disk)
		return "not known";
	snprintf(p, sizeof(p), "%s/%s", g.disk, f->name);
	fd = open(p, O_RDONLY);
	n = fd < 0 ? -1 : pread(fd, g.buf, len, 0);
	if (fd >= 0)
		close(fd);
	return n == (ssize_t)len && !memcmp(g.buf, f->data, len)
		       ? "matches the model"
		       : "differs";
}

/* The @len mapped bytes at @p (of descriptor @fd) against the model. */
static void compare_mapped(struct mfile *f, const char *how, const uint8_t *p,
			   size_t len, int fd)
{
	struct stat st;

	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		fail("%s of %zu bytes: SIGBUS: the kernel's file is shorter "
		     "(fstat: %jd)",
		     how, len,
		     fstat(fd, &st) ? (intmax_t)-1 : (intmax_t)st.st_size);
	}
	bus_armed = 1;
	memcpy(g.rbuf, p, len);
	bus_armed = 0;
	if (len <= f->size && memcmp(g.rbuf, f->data, len)) {
		char op[OP_TEXT_LEN];

		/* which copy is wrong: the kernel's pages or the mount's? */
		memcpy(op, g.op, sizeof(op));
		note("%s (a pread of the same bytes through the descriptor "
		     "%s; the server's disk, no fsync: %s)",
		     op,
		     pread(fd, g.buf, len, 0) == (ssize_t)len &&
				     !memcmp(g.buf, f->data, len)
			     ? "matches the model"
			     : "differs too",
		     disk_differs(f, len));
	}
	compare(f, how, 0, g.rbuf, (ssize_t)len, len);
}

static bool do_mmap_read(struct mfile *f)
{
	int s = pick_slot(f, buffered_readable);
	uint8_t *p;

	if (s < 0 || !f->size)
		return false;
	note("%s mmap(%s, MAP_PRIVATE) read of %zu", f->name, slot_name[s],
	     f->size);
	p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, f->fd[s], 0);
	if (p == MAP_FAILED)
		fail("mmap MAP_PRIVATE: %s", strerror(errno));
	compare_mapped(f, "mmap read", p, f->size, f->fd[s]);
	munmap(p, f->size);
	return true;
}

/*
 * MAP_SHARED: the kernel refuses it on a FOPEN_DIRECT_IO file (ENODEV),
 * which every open under cache=none is, and an open under strict or
 * loose whose lease did not allow read caching; an open the kernel
 * caches maps it (docs/cli.md "Caching"). A mapping that works has a
 * range written through it, msync'd, and the model follows. With -S it
 * must work.
 */
static bool do_mmap_shared(struct mfile *f)
{
	int s = pick_slot(f, no_append);
	uint64_t off;
	size_t len;
	uint8_t *p;

	if (s < 0 || !f->size)
		return false;
	off = below(f->size);
	len = 1 + below(f->size - off < 65536 ? f->size - off : 65536);
	note("%s mmap(%s, MAP_SHARED) write off %" PRIu64 " len %zu (size "
	     "%zu)",
	     f->name, slot_name[s], off, len, f->size);
	p = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd[s],
		 0);
	if (!g.shared_mmap && p == MAP_FAILED && errno == ENODEV) {
		g.shared_refused++;
		return true;
	}
	if (p != MAP_FAILED && !strcmp(g.mode, "none"))
		fail("mmap MAP_SHARED: mapped; under cache=none every open is "
		     "FOPEN_DIRECT_IO (ENODEV)");
	if (p == MAP_FAILED)
		fail("mmap MAP_SHARED: %s", strerror(errno));
	compare_mapped(f, "mmap MAP_SHARED read", p, f->size, f->fd[s]);
	fill(p + off, len);
	model_write(f, off, p + off, len);
	if (msync(p, f->size, MS_SYNC))
		fail("msync: %s", strerror(errno));
	munmap(p, f->size);
	return true;
}

/*
 * Close a descriptor and open one again: a multi file the same kind,
 * a single file any kind (its only one); O_TRUNC now and then.
 */
static bool do_reopen(struct mfile *f)
{
	int s = f->multi ? (int)below(NSLOTS) : pick_slot(f, NULL), to = s;
	int extra = below(8) ? 0 : O_TRUNC;

	/*
	 * Not under loose: FUSE sends RELEASE after close(2) has returned,
	 * so the open that follows may find the old handle still open (not
	 * yet deferred-closed) and open a second one, and loose mode's two
	 * handles need not agree for actimeo.
	 */
	if (g.loose)
		return false;

	if (!f->multi)
		to = g.one ? (int)(below(3) == 0   ? S_RW
				   : below(2) == 0 ? S_DIO
						   : S_APP)
			   : (int)below(NSLOTS);
	if ((extra & O_TRUNC) && !writable(f, (enum slot)to))
		extra = 0;
	note("%s close(%s), open(%s%s) (size %zu)", f->name, slot_name[s],
	     slot_name[to], extra ? ", O_TRUNC" : "", f->size);
	slot_close(f, (enum slot)s);
	slot_open(f, (enum slot)to, extra);
	return true;
}

static bool do_fsync(struct mfile *f)
{
	int s = pick_slot(f, writable), data = (int)below(2);

	if (s < 0)
		return false;
	note("%s %s(%s)", f->name, data ? "fdatasync" : "fsync", slot_name[s]);
	if (data ? fdatasync(f->fd[s]) : fsync(f->fd[s]))
		fail("fsync: %s", strerror(errno));
	return true;
}

static enum op pick_op(void)
{
	unsigned total = 0, r, i;

	for (i = 0; i < NOPS; i++)
		total += g.skip[i] ? 0 : op_info[i].weight;
	r = (unsigned)below(total);
	for (i = 0; i < NOPS; i++) {
		if (g.skip[i])
			continue;
		if (r < op_info[i].weight)
			break;
		r -= op_info[i].weight;
	}
	return (enum op)i;
}

/* Apply @op to @f; false when it does not apply (no such descriptor). */
static bool apply(struct mfile *f, enum op op)
{
	switch (op) {
	case OP_READ:
		return do_read(f);
	case OP_WRITE:
		return do_write(f);
	case OP_DIO_READ:
	case OP_DIO_WRITE:
		return do_dio(f, op == OP_DIO_WRITE);
	case OP_APPEND:
		return do_append(f);
	case OP_FTRUNCATE:
	case OP_TRUNCATE:
		return do_truncate(f, op == OP_TRUNCATE);
	case OP_FALLOCATE:
	case OP_FALLOC_ZERO:
	case OP_FALLOC_PUNCH:
	case OP_FALLOC_KEEP:
		return do_fallocate(f, op);
	case OP_MMAP_READ:
		return do_mmap_read(f);
	case OP_MMAP_SHARED:
		return do_mmap_shared(f);
	case OP_REOPEN:
		return do_reopen(f);
	case OP_FSYNC:
		return do_fsync(f);
	default:
		note("%s whole-file check", f->name);
		check_file(f);
		return true;
	}
}

/* One step: operations are drawn until one applies to @f. */
static void step(struct mfile *f)
{
	unsigned tries = 0;
	enum op op;

	do
		op = ++tries < 1000 ? pick_op() : OP_CHECK;
	while (!apply(f, op));
	g.count[op]++;
}

/* ---- setup, the run, the end ----------------------------------------------
 */

static void usage(void)
{
	fprintf(stderr,
		"usage: model -d DIR -m MODE [-s SEED] [-n OPS] [-f FILES] "
		"[-c CHECK_EVERY]\n"
		"             [-D DISK_DIR] [-o DUMP_DIR] [-x OP,...] [-S] "
		"[-B STEP] [-1]\n"
		"  -m MODE  the mount's cache mode (loose: single files, "
		"read-write opens)\n"
		"  -D DIR   the same directory on the server's disk, checked "
		"after fsync\n"
		"  -o DIR   write the model's final files there\n"
		"  -x OPS   operations left out (names as printed at the end)\n"
		"  -S       MAP_SHARED must work (else ENODEV is taken too, "
		"not under cache=none)\n"
		"  -B STEP  corrupt the model at STEP (the checker must "
		"fail)\n"
		"  -1       one descriptor per file, read-write (as loose "
		"mode)\n");
	exit(2);
}

static void skip_ops(char *list)
{
	char *tok, *save = NULL;
	unsigned i;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NOPS && strcmp(tok, op_info[i].name); i++)
			;
		if (i == NOPS) {
			fprintf(stderr, "model: unknown operation '%s'\n", tok);
			usage();
		}
		g.skip[i] = true;
	}
}

static void parse(int argc, char **argv)
{
	int c;

	g.ops = 1000;
	g.nfiles = 3;
	g.check_every = 50;
	while ((c = getopt(argc, argv, "d:m:s:n:f:c:D:o:x:SB:1")) != -1) {
		switch (c) {
		case 'd':
			g.dir = optarg;
			break;
		case 'm':
			g.mode = optarg;
			break;
		case 's':
			g.seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			g.ops = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			g.nfiles = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			g.check_every = strtoul(optarg, NULL, 0);
			break;
		case 'D':
			g.disk = optarg;
			break;
		case 'o':
			g.dump = optarg;
			break;
		case 'x':
			skip_ops(optarg);
			break;
		case 'S':
			g.shared_mmap = true;
			break;
		case 'B':
			g.break_at = strtoul(optarg, NULL, 0);
			break;
		case '1':
			g.one = true;
			break;
		default:
			usage();
		}
	}
	if (!g.dir || !g.mode || optind != argc || !g.nfiles ||
	    g.nfiles > MAX_FILES || !g.check_every)
		usage();
	g.loose = !strcmp(g.mode, "loose");
	g.one = g.one || g.loose;
	g.rng = g.seed;
}

static void setup(void)
{
	struct mfile *f;
	unsigned i;
	int s;

	signal(SIGBUS, on_sigbus);
	if (posix_memalign((void **)&g.buf, DIO_ALIGN, MAX_SIZE + DIO_ALIGN) ||
	    posix_memalign((void **)&g.rbuf, DIO_ALIGN, MAX_SIZE + DIO_ALIGN)) {
		fprintf(stderr, "model: out of memory\n");
		exit(1);
	}
	for (i = 0; i < g.nfiles; i++) {
		f = &g.f[i];
		snprintf(f->name, sizeof(f->name), "f%u", i);
		snprintf(f->path, sizeof(f->path), "%s/f%u", g.dir, i);
		/* a third of the files (not with -1) keep four open */
		f->multi = !g.one && i % 3 == 2;
		f->data = calloc(1, MAX_SIZE + DIO_ALIGN);
		if (!f->data) {
			fprintf(stderr, "model: out of memory\n");
			exit(1);
		}
		for (s = 0; s < NSLOTS; s++)
			f->fd[s] = -1;
		note("%s create (%s)", f->name, f->multi ? "multi" : "single");
		slot_open(f, S_RW, O_CREAT | O_EXCL);
		for (s = 1; f->multi && s < NSLOTS; s++)
			slot_open(f, (enum slot)s, 0);
	}
}

/* Corrupt the model (-B): the next check must fail, and does at once. */
static void corrupt(void)
{
	struct mfile *f = &g.f[0];
	unsigned i;

	for (i = 1; i < g.nfiles; i++)
		if (g.f[i].size > f->size)
			f = &g.f[i];
	note("%s: model corrupted on purpose (-B)", f->name);
	if (f->size)
		f->data[below(f->size)] ^= 0x5a;
	else
		model_resize(f, 1);
	check_file(f);
}

static void dump(const struct mfile *f)
{
	char p[4096 + 40];
	FILE *out;

	snprintf(p, sizeof(p), "%s/%s", g.dump, f->name);
	out = fopen(p, "wb");
	if (!out || fwrite(f->data, 1, f->size, out) != f->size || fclose(out))
		fail("writing the model to %s: %s", p, strerror(errno));
}

static void finish(void)
{
	struct mfile *f;
	unsigned i;
	int s;

	g.step = g.ops;
	for (i = 0; i < g.nfiles; i++) {
		f = &g.f[i];
		note("%s final check, close all", f->name);
		check_file(f);
		for (s = 0; s < NSLOTS; s++)
			if (f->fd[s] >= 0)
				slot_close(f, (enum slot)s);
		/* closed: the server has all of it, without an fsync */
		if (g.disk)
			check_disk(f);
		if (g.dump)
			dump(f);
	}
}

int main(int argc, char **argv)
{
	unsigned long total = 0;
	struct mfile *f;
	unsigned i;

	parse(argc, argv);
	printf("model: cache=%s seed %" PRIu64 ", %lu operations on %u files "
	       "in %s\n",
	       g.mode, g.seed, g.ops, g.nfiles, g.dir);
	fflush(stdout);
	setup();
	for (g.step = 0; g.step < g.ops; g.step++) {
		f = &g.f[below(g.nfiles)];
		step(f);
		if (g.break_at && g.step == g.break_at)
			corrupt();
		if ((g.step + 1) % g.check_every == 0) {
			note("%s whole-file check (every %lu)", f->name,
			     g.check_every);
			check_file(f);
		}
	}
	finish();
	printf("model: cache=%s seed %" PRIu64 " passed:", g.mode, g.seed);
	for (i = 0; i < NOPS; i++) {
		printf(" %s %lu", op_info[i].name, g.count[i]);
		total += g.count[i];
	}
	printf("; %lu MiB read, %lu MiB written", g.bytes_read >> 20,
	       g.bytes_written >> 20);
	if (g.count[OP_MMAP_SHARED])
		printf("; MAP_SHARED written and msync'd %lu times, refused "
		       "with ENODEV %lu times",
		       g.count[OP_MMAP_SHARED] - g.shared_refused,
		       g.shared_refused);
	printf("\n");
	return total == g.ops ? 0 : 1;
}
