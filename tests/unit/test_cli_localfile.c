/* SPDX-License-Identifier: MIT */
/*
 * get's local destinations: the temporary name, rename on commit, nothing
 * left behind on abort, existing files replaced atomically with their
 * mode kept, and direct writes to pipes and /dev/null.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "localfile.h"
#include "t.h"

static char dir[] = "/tmp/smbiov-localfile-XXXXXX";

static void test_template(void)
{
	static const struct {
		const char *dest, *want;
	} rows[] = {
		{"file.txt", ".file.txt.smbiov-XXXXXX"},
		{"dir/file", "dir/.file.smbiov-XXXXXX"},
		{"/a/b/c.bin", "/a/b/.c.bin.smbiov-XXXXXX"},
		{"/top", "/.top.smbiov-XXXXXX"},
		{".hidden", "..hidden.smbiov-XXXXXX"},
	};
	char *t;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		T_ASSERT(local_tmp_template(rows[i].dest, &t) == 0);
		t_checks++;
		if (strcmp(t, rows[i].want)) {
			t_failures++;
			fprintf(stderr, "%s: \"%s\"\n", rows[i].dest, t);
		}
		free(t);
	}
	/* A name NAME_MAX - 15 long still gets its own; one byte more the
	 * short one; both fit NAME_MAX (mkstemp then works). */
	{
		char name[NAME_MAX + 8], want[NAME_MAX + 40];

		memset(name, 'n', sizeof(name));
		strcpy(name, "d/");
		memset(name + 2, 'n', NAME_MAX - LOCAL_TMP_EXTRA);
		name[2 + NAME_MAX - LOCAL_TMP_EXTRA] = '\0';
		T_ASSERT(local_tmp_template(name, &t) == 0);
		snprintf(want, sizeof(want), "d/.%s.smbiov-XXXXXX", name + 2);
		T_EXPECT(!strcmp(t, want));
		T_EXPECT_EQ(strlen(t) - 2, NAME_MAX);
		free(t);
		strcat(name, "n");
		T_ASSERT(local_tmp_template(name, &t) == 0);
		T_EXPECT(!strcmp(t, "d/.smbiov-XXXXXX"));
		free(t);
	}
	T_EXPECT_EQ(local_tmp_template("dir/", &t), -EINVAL);
	T_EXPECT_EQ(local_tmp_template("", &t), -EINVAL);
}

/* Entries of the test directory other than . and .. */
static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	T_ASSERT(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void test_commit_new(void)
{
	struct local_out lo;
	char p[128], got[8] = {0};
	struct stat st;
	mode_t m = umask(022);
	int fd;

	path_in(p, sizeof(p), "new");
	T_ASSERT(local_out_open(p, &lo) == 0);
	T_EXPECT(!lo.direct && lo.tmp && strstr(lo.tmp, "/.new.smbiov-"));
	/* while writing, only the temporary name exists */
	T_EXPECT(access(p, F_OK) != 0);
	T_EXPECT(access(lo.tmp, F_OK) == 0);
	T_ASSERT(write(lo.fd, "abc", 3) == 3);
	T_EXPECT_EQ(local_out_commit(&lo), 0);
	T_EXPECT_EQ(count_entries(), 1);
	fd = open(p, O_RDONLY);
	T_ASSERT(fd >= 0);
	T_EXPECT_EQ(read(fd, got, sizeof(got)), 3);
	T_EXPECT(!strcmp(got, "abc"));
	close(fd);
	/* a new file gets 0666 & ~umask, not mkstemp's 0600 */
	T_ASSERT(stat(p, &st) == 0);
	T_EXPECT_EQ(st.st_mode & 0777, 0644);
	umask(m);
	unlink(p);
}

static void test_abort(void)
{
	struct local_out lo;
	char p[128];

	path_in(p, sizeof(p), "failed");
	T_ASSERT(local_out_open(p, &lo) == 0);
	T_ASSERT(write(lo.fd, "partial", 7) == 7);
	local_out_abort(&lo);
	/* a failed transfer leaves nothing: no file, no temporary */
	T_EXPECT_EQ(count_entries(), 0);
}

static void test_replace_existing(void)
{
	struct local_out lo;
	char p[128], got[16] = {0};
	struct stat st;
	int fd;

	path_in(p, sizeof(p), "old");
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, "old contents", 12) == 12);
	T_ASSERT(fchmod(fd, 0640) == 0);
	close(fd);

	/* an aborted replacement keeps the old file intact */
	T_ASSERT(local_out_open(p, &lo) == 0);
	T_ASSERT(write(lo.fd, "x", 1) == 1);
	local_out_abort(&lo);
	fd = open(p, O_RDONLY);
	T_EXPECT_EQ(read(fd, got, sizeof(got)), 12);
	close(fd);
	T_EXPECT_EQ(count_entries(), 1);

	/* a committed one replaces it and keeps its mode */
	T_ASSERT(local_out_open(p, &lo) == 0);
	T_ASSERT(write(lo.fd, "new", 3) == 3);
	T_EXPECT_EQ(local_out_commit(&lo), 0);
	memset(got, 0, sizeof(got));
	fd = open(p, O_RDONLY);
	T_EXPECT_EQ(read(fd, got, sizeof(got)), 3);
	close(fd);
	T_ASSERT(stat(p, &st) == 0);
	T_EXPECT_EQ(st.st_mode & 0777, 0640);
	T_EXPECT_EQ(count_entries(), 1);
	unlink(p);
}

static void test_direct(void)
{
	struct local_out lo;
	char p[128], got[4];
	int fd;

	/* /dev/null: written in place, no temporary file beside it */
	T_ASSERT(local_out_open("/dev/null", &lo) == 0);
	T_EXPECT(lo.direct && !lo.tmp);
	T_EXPECT_EQ(write(lo.fd, "x", 1), 1);
	T_EXPECT_EQ(local_out_commit(&lo), 0);

	/* "-" is stdout, never closed by us */
	T_ASSERT(local_out_open("-", &lo) == 0);
	T_EXPECT(lo.direct && lo.fd == STDOUT_FILENO && !lo.own_fd);
	T_EXPECT_EQ(local_out_commit(&lo), 0);
	T_EXPECT(fcntl(STDOUT_FILENO, F_GETFD) >= 0);

	/* a FIFO: direct */
	path_in(p, sizeof(p), "fifo");
	T_ASSERT(mkfifo(p, 0600) == 0);
	fd = open(p, O_RDONLY | O_NONBLOCK);
	T_ASSERT(fd >= 0);
	T_ASSERT(local_out_open(p, &lo) == 0);
	T_EXPECT(lo.direct && !lo.tmp);
	T_EXPECT_EQ(write(lo.fd, "abc", 3), 3);
	T_EXPECT_EQ(read(fd, got, sizeof(got)), 3);
	local_out_abort(&lo);
	close(fd);
	/* abort of a direct destination does not remove it */
	T_EXPECT(access(p, F_OK) == 0);
	unlink(p);

	/* a directory is refused */
	T_EXPECT_EQ(local_out_open(dir, &lo), -EISDIR);
	/* a missing parent directory */
	path_in(p, sizeof(p), "missing/file");
	T_EXPECT_EQ(local_out_open(p, &lo), -ENOENT);
	T_EXPECT_EQ(count_entries(), 0);
}

/*
 * put's check of its source: unchanged, appended to, rewritten in place
 * with the same size (only the modification time tells), fewer bytes
 * read than its size, and a pipe (never "changed").
 */
static void test_source_changed(void)
{
	struct stat before;
	struct timespec ts[2] = {{0, UTIME_OMIT}, {1234567, 0}};
	char p[64];
	int fd, pp[2];

	snprintf(p, sizeof(p), "%s/src", dir);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, "0123456789", 10) == 10);
	T_ASSERT(fstat(fd, &before) == 0);
	T_EXPECT(!local_source_changed(fd, &before, 10));
	T_EXPECT(local_source_changed(fd, &before, 9));
	/* same size, new contents: the modification time says so */
	T_ASSERT(futimens(fd, ts) == 0);
	T_EXPECT(local_source_changed(fd, &before, 10));
	T_ASSERT(fstat(fd, &before) == 0);
	T_ASSERT(write(fd, "x", 1) == 1);
	T_EXPECT(local_source_changed(fd, &before, 10));
	close(fd);
	unlink(p);
	/* a size of 0 says nothing (/proc): only size and time compared */
	fd = open("/proc/self/status", O_RDONLY);
	T_ASSERT(fd >= 0);
	T_ASSERT(fstat(fd, &before) == 0);
	T_EXPECT_EQ(before.st_size, 0);
	T_EXPECT(!local_source_changed(fd, &before, 1234));
	close(fd);
	T_ASSERT(pipe(pp) == 0);
	T_ASSERT(fstat(pp[0], &before) == 0);
	T_EXPECT(!local_source_changed(pp[0], &before, 12345));
	close(pp[0]);
	close(pp[1]);
}

/*
 * A destination that is a symbolic link is written through (as cp): the
 * link stays, the file it names gets the bytes; a dangling link is
 * refused, not replaced.
 */
static void test_symlink_written_through(void)
{
	struct local_out lo;
	char target[64], link[64], buf[8] = {0};
	struct stat st;
	int fd;

	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	T_ASSERT(fd >= 0 && write(fd, "old", 3) == 3);
	close(fd);
	T_ASSERT(symlink("target", link) == 0);
	T_ASSERT(local_out_open(link, &lo) == 0);
	T_ASSERT(write(lo.fd, "new!", 4) == 4);
	T_EXPECT_EQ(local_out_commit(&lo), 0);
	T_EXPECT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	fd = open(target, O_RDONLY);
	T_ASSERT(fd >= 0);
	T_EXPECT_EQ(read(fd, buf, sizeof(buf)), 4);
	T_EXPECT(!memcmp(buf, "new!", 4));
	T_EXPECT(fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0640);
	close(fd);
	unlink(target);
	/* dangling now */
	T_EXPECT_EQ(local_out_open(link, &lo), -ENOENT);
	T_EXPECT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	unlink(link);
	T_EXPECT_EQ(count_entries(), 0);
}

/*
 * A part file with -C (keep) outlives a failed transfer and the next open
 * with keep finds its bytes; an open without keep takes it over, empty.
 */
static void test_part_kept_and_taken_over(void)
{
	struct local_out lo;
	char p[128];
	uint64_t ino;

	path_in(p, sizeof(p), "kept");
	T_ASSERT(local_out_open_keep(p, &lo, true) == 0);
	T_EXPECT(lo.keep && strstr(lo.tmp, "/.kept.smbiov-part"));
	T_EXPECT(lo.kept == 0 && !lo.stale);
	T_ASSERT(write(lo.fd, "partial", 7) == 7);
	ino = lo.part_ino;
	local_out_abort(&lo); /* failed: kept */
	T_EXPECT_EQ(count_entries(), 1);
	T_ASSERT(local_out_open_keep(p, &lo, true) == 0);
	T_EXPECT(lo.keep && lo.kept == 7 && lo.stale && lo.part_ino == ino);
	local_out_abort(&lo);
	/* without keep: the same name, emptied, and gone on abort */
	T_ASSERT(local_out_open(p, &lo) == 0);
	T_EXPECT(!lo.keep && lo.stale && lo.kept == 0);
	T_EXPECT(strstr(lo.tmp, "/.kept.smbiov-part") != NULL);
	{
		struct stat st;

		T_ASSERT(fstat(lo.fd, &st) == 0);
		T_EXPECT_EQ(st.st_size, 0);
	}
	local_out_abort(&lo);
	T_EXPECT_EQ(count_entries(), 0);
}

/*
 * While one transfer holds the part file (its lock), another to the same
 * destination takes a name of its own and neither disturbs the other.
 */
static void test_part_busy_gets_own_name(void)
{
	struct local_out a, b;
	char p[128], got[8] = {0};
	int fd;

	path_in(p, sizeof(p), "busy");
	T_ASSERT(local_out_open_keep(p, &a, true) == 0);
	T_ASSERT(local_out_open_keep(p, &b, true) == 0);
	T_EXPECT(strstr(a.tmp, "-part") && !strstr(b.tmp, "-part"));
	T_EXPECT(strstr(b.tmp, "/.busy.smbiov-") != NULL);
	T_EXPECT(!b.keep); /* not a name the next run would find */
	T_ASSERT(write(a.fd, "aaa", 3) == 3);
	T_ASSERT(write(b.fd, "bb", 2) == 2);
	T_EXPECT_EQ(local_out_commit(&b), 0);
	T_EXPECT_EQ(local_out_commit(&a), 0);
	/* the last commit wins, whole; no temporary file stays */
	T_EXPECT_EQ(count_entries(), 1);
	fd = open(p, O_RDONLY);
	T_ASSERT(fd >= 0);
	T_EXPECT_EQ(read(fd, got, sizeof(got)), 3);
	T_EXPECT(!strcmp(got, "aaa"));
	close(fd);
	unlink(p);
}

int main(void)
{
	T_ASSERT(mkdtemp(dir));
	T_RUN(test_template);
	T_RUN(test_commit_new);
	T_RUN(test_abort);
	T_RUN(test_replace_existing);
	T_RUN(test_direct);
	T_RUN(test_source_changed);
	T_RUN(test_symlink_written_through);
	T_RUN(test_part_kept_and_taken_over);
	T_RUN(test_part_busy_gets_own_name);
	rmdir(dir);
	return t_done();
}
