// SPDX-License-Identifier: MIT
/*
 * Metadata and namespace operations against the fixture's smbd, each
 * checked on the server's disk (SMB_ROOT/<share>/...): stat/fstat fields,
 * a 5,000-entry directory listing, mkdir/rmdir/unlink/rename/truncate/
 * ftruncate/fsync, statvfs and hard links.
 */
#include "file_common.h"

#include <dirent.h>
#include <errno.h>
#include <sys/statvfs.h>
#include <time.h>

static const char *share;
static struct smbiov_client *c;

static bool disk_exists(const char *path, struct stat *st)
{
	char p[1024];
	struct stat tmp;

	fc_disk_path(p, sizeof(p), share, path);
	return stat(p, st ? st : &tmp) == 0;
}

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void test_stat(void)
{
	struct smbiov_stat st, fst;
	struct smbiov_file *f;
	struct stat ds;
	int64_t d;

	fc_disk_write(share, "stat.bin", 123457, 5);
	T_ASSERT(disk_exists("stat.bin", &ds));
	T_EXPECT_EQ(smbiov_stat(c, "stat.bin", &st), 0);
	T_EXPECT_EQ(st.size, 123457);
	T_EXPECT(!st.is_dir);
	d = st.mtime_ns - ns_of(&ds.st_mtim);
	T_EXPECT(d > -1000000000LL && d < 1000000000LL);
	T_EXPECT(st.alloc_size >= st.size);
	T_EXPECT(st.file_id != 0);

	T_ASSERT(smbiov_open(c, "stat.bin", O_RDONLY, &f) == 0);
	T_EXPECT_EQ(smbiov_fstat(f, &fst), 0);
	T_EXPECT_EQ(fst.size, st.size);
	T_EXPECT_EQ(fst.mtime_ns, st.mtime_ns);
	T_EXPECT_EQ(fst.file_id, st.file_id);
	T_EXPECT_EQ(smbiov_close(f), 0);

	/* Directories, the root, leading/trailing slashes. */
	T_EXPECT_EQ(smbiov_mkdir(c, "statdir"), 0);
	T_EXPECT_EQ(smbiov_stat(c, "/statdir/", &st), 0);
	T_EXPECT(st.is_dir);
	T_EXPECT_EQ(smbiov_stat(c, "", &st), 0);
	T_EXPECT(st.is_dir);
	T_EXPECT_EQ(smbiov_stat(c, "nope.bin", &st), -ENOENT);
	T_EXPECT_EQ(smbiov_stat(c, "nope/deeper.bin", &st), -ENOENT);
	T_EXPECT_EQ(smbiov_open(c, "statdir", O_RDONLY, &f), -EISDIR);
	T_EXPECT_EQ(smbiov_rmdir(c, "statdir"), 0);
	T_EXPECT(!disk_exists("statdir", NULL));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define NENT 5000

static void test_readdir(void)
{
	char **want = calloc(NENT, sizeof(char *));
	char **got = calloc(NENT + 1, sizeof(char *));
	struct smbiov_dirent *ent = malloc(sizeof(*ent));
	struct smbiov_dir *d;
	char p[1200], name[64];
	size_t ngot = 0, nwant = 0;
	DIR *dd;
	struct dirent *de;
	int ret;

	T_ASSERT(want && got && ent);
	smbiov_rmdir(c, "big"); /* leftovers of an earlier run, if empty */
	T_ASSERT(smbiov_mkdir(c, "big") == 0);
	/* Make the entries on disk directly: fast, and independent. */
	for (int k = 0; k < NENT; k++) {
		int fd;

		snprintf(name, sizeof(name), "big/entry-%05d-%s", k,
			 k % 7 ? "file" : "x\xc3\xa9");
		fc_disk_path(p, sizeof(p), share, name);
		fd = open(p, O_WRONLY | O_CREAT, 0644);
		T_ASSERT(fd >= 0);
		if (k % 100 == 0)
			T_ASSERT(write(fd, name, 10) == 10);
		close(fd);
	}
	fc_disk_path(p, sizeof(p), share, "big");
	dd = opendir(p);
	T_ASSERT(dd);
	while ((de = readdir(dd)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		T_ASSERT(nwant < NENT);
		want[nwant++] = strdup(de->d_name);
	}
	closedir(dd);
	T_EXPECT_EQ(nwant, NENT);

	T_ASSERT(smbiov_opendir(c, "big", &d) == 0);
	while ((ret = smbiov_readdir(d, ent)) == 1) {
		T_ASSERT(ngot < NENT + 1);
		T_EXPECT(strcmp(ent->name, ".") && strcmp(ent->name, ".."));
		T_EXPECT(!ent->st.is_dir);
		if (!strncmp(ent->name, "entry-00100-", 12))
			T_EXPECT_EQ(ent->st.size, 10);
		got[ngot++] = strdup(ent->name);
	}
	T_EXPECT_EQ(ret, 0);
	T_EXPECT_EQ(smbiov_readdir(d, ent), 0); /* stays at the end */
	T_EXPECT_EQ(smbiov_closedir(d), 0);
	T_EXPECT_EQ(ngot, NENT);
	if (ngot == nwant) {
		qsort(want, nwant, sizeof(char *), cmp_str);
		qsort(got, ngot, sizeof(char *), cmp_str);
		for (size_t k = 0; k < ngot; k++)
			if (strcmp(want[k], got[k])) {
				fprintf(stderr, "entry %zu: %s vs %s\n", k,
					want[k], got[k]);
				T_EXPECT(0);
				break;
			}
	}
	/* Non-empty directory: rmdir refuses. */
	T_EXPECT_EQ(smbiov_rmdir(c, "big"), -ENOTEMPTY);
	for (size_t k = 0; k < nwant; k++) {
		char rel[300];

		snprintf(rel, sizeof(rel), "big/%.200s", want[k]);
		if (k % 1000 == 0) /* a few through the client */
			T_EXPECT_EQ(smbiov_unlink(c, rel), 0);
		else {
			fc_disk_path(p, sizeof(p), share, rel);
			unlink(p);
		}
	}
	T_EXPECT_EQ(smbiov_rmdir(c, "big"), 0);
	T_EXPECT(!disk_exists("big", NULL));
	for (size_t k = 0; k < nwant; k++)
		free(want[k]);
	for (size_t k = 0; k < ngot; k++)
		free(got[k]);
	free(want);
	free(got);
	free(ent);

	/* Listing the share root and a missing directory. */
	T_EXPECT_EQ(smbiov_opendir(c, "", &d), 0);
	T_EXPECT(smbiov_readdir(d, ent = malloc(sizeof(*ent))) >= 0);
	free(ent);
	T_EXPECT_EQ(smbiov_closedir(d), 0);
	T_EXPECT_EQ(smbiov_opendir(c, "nodir", &d), -ENOENT);
}

/*
 * A small directory is listed to its end and closed in one round trip
 * against the real server (CREATE + two QUERY_DIRECTORY + CLOSE, related):
 * one message from opendir to closedir, and every name.
 */
static void test_readdir_one_round_trip(void)
{
	struct smbiov_dirent *ent = malloc(sizeof(*ent));
	struct smbiov_stats s0, s1;
	struct smbiov_dir *d;
	char p[1200], name[64];
	int ret, n = 0;

	T_ASSERT(ent);
	T_ASSERT(smbiov_mkdir(c, "few") == 0);
	for (int k = 0; k < 3; k++) {
		int fd;

		snprintf(name, sizeof(name), "few/f%d", k);
		fc_disk_path(p, sizeof(p), share, name);
		fd = open(p, O_WRONLY | O_CREAT, 0644);
		T_ASSERT(fd >= 0);
		close(fd);
	}
	smbiov_get_stats(c, &s0);
	T_ASSERT(smbiov_opendir(c, "few", &d) == 0);
	while ((ret = smbiov_readdir(d, ent)) == 1)
		n++;
	T_EXPECT_EQ(ret, 0);
	T_EXPECT_EQ(smbiov_closedir(d), 0);
	smbiov_get_stats(c, &s1);
	T_EXPECT_EQ(n, 3);
	T_EXPECT_EQ(s1.messages - s0.messages, 1);
	for (int k = 0; k < 3; k++) {
		snprintf(name, sizeof(name), "few/f%d", k);
		T_EXPECT_EQ(smbiov_unlink(c, name), 0);
	}
	/* the listing's handle is gone: the directory can go at once */
	T_EXPECT_EQ(smbiov_rmdir(c, "few"), 0);
	T_EXPECT(!disk_exists("few", NULL));
	free(ent);
}

static void test_namespace(void)
{
	struct smbiov_file *f;
	struct stat ds;

	/* mkdir / rmdir */
	smbiov_unlink(c, "ns/f2.bin");
	smbiov_unlink(c, "ns/f.bin");
	smbiov_rmdir(c, "ns");
	T_EXPECT_EQ(smbiov_mkdir(c, "ns"), 0);
	T_EXPECT(disk_exists("ns", &ds) && S_ISDIR(ds.st_mode));
	T_EXPECT_EQ(smbiov_mkdir(c, "ns"), -EEXIST);
	T_EXPECT_EQ(smbiov_mkdir(c, "nope/ns"), -ENOENT);

	/* create, truncate up and down, checked on disk */
	T_ASSERT(smbiov_open(c, "ns/f.bin", O_RDWR | O_CREAT | O_EXCL, &f) ==
		 0);
	T_EXPECT_EQ(smbiov_pwrite(f, "0123456789", 10, 0), 10);
	T_EXPECT_EQ(smbiov_fsync(f), 0);
	T_EXPECT(disk_exists("ns/f.bin", &ds) && ds.st_size == 10);
	T_EXPECT_EQ(smbiov_ftruncate(f, 4), 0);
	T_EXPECT(disk_exists("ns/f.bin", &ds) && ds.st_size == 4);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_truncate(c, "ns/f.bin", 100000), 0);
	T_EXPECT(disk_exists("ns/f.bin", &ds) && ds.st_size == 100000);
	T_EXPECT_EQ(smbiov_truncate(c, "ns/f.bin", 3), 0);
	T_EXPECT(disk_exists("ns/f.bin", &ds) && ds.st_size == 3);
	T_EXPECT_EQ(smbiov_truncate(c, "ns/none.bin", 3), -ENOENT);

	/* O_TRUNC on open */
	T_ASSERT(smbiov_open(c, "ns/f.bin", O_WRONLY | O_TRUNC, &f) == 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT(disk_exists("ns/f.bin", &ds) && ds.st_size == 0);

	/* rename, with and without replace */
	T_EXPECT_EQ(smbiov_rename(c, "ns/f.bin", "ns/f2.bin", false), 0);
	T_EXPECT(!disk_exists("ns/f.bin", NULL));
	T_EXPECT(disk_exists("ns/f2.bin", NULL));
	fc_disk_write(share, "ns/f.bin", 7, 1);
	T_EXPECT_EQ(smbiov_rename(c, "ns/f2.bin", "ns/f.bin", false), -EEXIST);
	T_EXPECT(disk_exists("ns/f2.bin", NULL));
	T_EXPECT_EQ(smbiov_rename(c, "ns/f2.bin", "ns/f.bin", true), 0);
	T_EXPECT(!disk_exists("ns/f2.bin", NULL));
	T_EXPECT(disk_exists("ns/f.bin", &ds) && ds.st_size == 0);
	T_EXPECT_EQ(smbiov_rename(c, "ns/missing", "ns/x", false), -ENOENT);

	/* unlink / rmdir */
	T_EXPECT_EQ(smbiov_rmdir(c, "ns"), -ENOTEMPTY);
	T_EXPECT_EQ(smbiov_unlink(c, "ns"), -EISDIR);
	T_EXPECT_EQ(smbiov_rmdir(c, "ns/f.bin"), -ENOTDIR);
	T_EXPECT_EQ(smbiov_unlink(c, "ns/f.bin"), 0);
	T_EXPECT(!disk_exists("ns/f.bin", NULL));
	T_EXPECT_EQ(smbiov_unlink(c, "ns/f.bin"), -ENOENT);
	T_EXPECT_EQ(smbiov_rmdir(c, "ns"), 0);
	T_EXPECT(!disk_exists("ns", NULL));
	T_EXPECT_EQ(smbiov_rmdir(c, ""), -EBUSY);
}

static void test_statvfs(void)
{
	struct smbiov_statvfs sv;
	struct statvfs ds;
	char p[1024];
	double a, b;

	fc_disk_path(p, sizeof(p), share, "");
	T_ASSERT(statvfs(p, &ds) == 0);
	T_EXPECT_EQ(smbiov_statvfs(c, &sv), 0);
	T_EXPECT(sv.block_size > 0 && sv.blocks > 0);
	T_EXPECT(sv.blocks_free <= sv.blocks);
	a = (double)sv.block_size * (double)sv.blocks;
	b = (double)ds.f_frsize * (double)ds.f_blocks;
	fprintf(stderr, "statvfs: smb %.0f bytes total, disk %.0f\n", a, b);
	/* Same file system: total size agrees (Samba may round to units). */
	T_EXPECT(a > b * 0.98 && a < b * 1.02);
}

/*
 * Times and attributes: set by path and by handle, seen by stat and on
 * the server's disk; a handle with cached writes writes them back first
 * (else its write-back would move the time again); omitted fields stay.
 */
static void test_set_attr(void)
{
	const int64_t t1 =
		981173106123456700LL; /* 2001-02-03 04:05:06.1234567 */
	const int64_t t2 = 1262304000000000000LL; /* 2010-01-01 */
	struct smbiov_setattr a = {.atime_ns = SMBIOV_TIME_OMIT,
				   .mtime_ns = t1,
				   .ctime_ns = SMBIOV_TIME_OMIT,
				   .btime_ns = SMBIOV_TIME_OMIT};
	struct smbiov_file *f;
	struct smbiov_stat st;
	struct stat ds;
	char p[1024];
	int64_t atime;

	fc_disk_write(share, "attr.bin", 1000, 3);
	fc_disk_path(p, sizeof(p), share, "attr.bin");
	T_ASSERT(chmod(p, 0666) == 0);
	T_EXPECT_EQ(smbiov_stat(c, "attr.bin", &st), 0);
	atime = st.atime_ns;
	T_EXPECT_EQ(smbiov_set_attr(c, "attr.bin", &a), 0);
	T_EXPECT_EQ(smbiov_stat(c, "attr.bin", &st), 0);
	T_EXPECT_EQ(st.mtime_ns, t1);
	T_EXPECT_EQ(st.atime_ns, atime);
	T_ASSERT(stat(p, &ds) == 0);
	T_EXPECT_EQ((int64_t)ds.st_mtim.tv_sec * 1000000000 +
			    ds.st_mtim.tv_nsec,
		    t1);
	/* read-only, then back to normal */
	a.mtime_ns = SMBIOV_TIME_OMIT;
	a.attributes = 0x1;
	T_EXPECT_EQ(smbiov_set_attr(c, "attr.bin", &a), 0);
	T_EXPECT_EQ(smbiov_stat(c, "attr.bin", &st), 0);
	T_EXPECT(st.attributes & 0x1);
	T_EXPECT_EQ(st.mtime_ns, t1);
	a.attributes = 0x80;
	T_EXPECT_EQ(smbiov_set_attr(c, "attr.bin", &a), 0);
	T_EXPECT_EQ(smbiov_stat(c, "attr.bin", &st), 0);
	T_EXPECT(!(st.attributes & 0x1));
	/* by handle, with a cached write before it */
	T_ASSERT(smbiov_open_ex(c, "attr.bin", O_RDWR, NULL, &f) == 0);
	T_EXPECT_EQ(smbiov_pwrite(f, "x", 1, 10), 1);
	a = (struct smbiov_setattr){.atime_ns = SMBIOV_TIME_OMIT,
				    .mtime_ns = t2,
				    .ctime_ns = SMBIOV_TIME_OMIT,
				    .btime_ns = SMBIOV_TIME_OMIT};
	T_EXPECT_EQ(smbiov_fset_attr(f, &a), 0);
	T_EXPECT_EQ(smbiov_close(f), 0);
	T_EXPECT_EQ(smbiov_stat(c, "attr.bin", &st), 0);
	T_EXPECT_EQ(st.mtime_ns, t2);
	/* before 1970 works too (FILETIME counts from 1601) */
	a.mtime_ns = -1000000000LL * 86400 * 365;
	T_EXPECT_EQ(smbiov_set_attr(c, "attr.bin", &a), 0);
	T_EXPECT_EQ(smbiov_stat(c, "attr.bin", &st), 0);
	T_EXPECT_EQ(st.mtime_ns, a.mtime_ns);
	T_EXPECT_EQ(smbiov_set_attr(c, "no-such-file", &a), -ENOENT);
	T_EXPECT_EQ(smbiov_set_attr(c, "attr.bin", NULL), -EINVAL);
	unlink(p);
}

/*
 * smbiov_fset_attr_stat(): the set and the attributes after it in one
 * message of two requests (uncached and cached open); they show what was
 * set and are what smbiov_fstat() asked next says. A NULL stat is
 * -EINVAL. With the QUERY_INFO sent on its own after the SET_INFO (two
 * messages) the message counts fail.
 */
/*
 * smbiov_mkdir_stat(): the directory made and its attributes in one
 * message (CREATE + QUERY_INFO + CLOSE), the same as a stat after it;
 * an existing name fails as mkdir does, in one message too.
 */
static void test_mkdir_stat(void)
{
	struct smbiov_stats s0, s1;
	struct smbiov_stat st, st2;

	smbiov_rmdir(c, "mks");
	smbiov_get_stats(c, &s0);
	T_ASSERT(smbiov_mkdir_stat(c, "mks", &st) == 0);
	smbiov_get_stats(c, &s1);
	T_EXPECT_EQ(s1.messages - s0.messages, 1);
	T_EXPECT_EQ(s1.requests - s0.requests, 3);
	T_EXPECT(st.is_dir);
	T_EXPECT(disk_exists("mks", NULL));
	T_ASSERT(smbiov_stat(c, "mks", &st2) == 0);
	T_EXPECT_EQ(st2.file_id, st.file_id);
	T_EXPECT_EQ(st2.mtime_ns, st.mtime_ns);
	T_EXPECT_EQ(st2.btime_ns, st.btime_ns);
	T_EXPECT_EQ(st2.attributes, st.attributes);
	smbiov_get_stats(c, &s0);
	T_EXPECT_EQ(smbiov_mkdir_stat(c, "mks", &st), -EEXIST);
	smbiov_get_stats(c, &s1);
	T_EXPECT_EQ(s1.messages - s0.messages, 1);
	T_EXPECT_EQ(smbiov_mkdir_stat(c, "", &st), -EEXIST);
	T_EXPECT_EQ(smbiov_mkdir_stat(c, "mks2", NULL), -EINVAL);
	T_EXPECT(!disk_exists("mks2", NULL));
	T_EXPECT_EQ(smbiov_rmdir(c, "mks"), 0);
}

static void test_fset_attr_stat(void)
{
	const int64_t t1 = 1262304000000000000LL; /* 2010-01-01 */
	struct smbiov_setattr a = {.atime_ns = SMBIOV_TIME_OMIT,
				   .mtime_ns = t1,
				   .ctime_ns = SMBIOV_TIME_OMIT,
				   .btime_ns = SMBIOV_TIME_OMIT};
	struct smbiov_stats s0, s1;
	struct smbiov_stat st, st2;
	/* its own client: no handle of another test parked (a CLOSE) */
	struct smbiov_client *cc = fc_connect(share, NULL);
	struct smbiov_file *f;
	char p[1024];

	T_ASSERT(cc);
	fc_disk_write(share, "fas.bin", 1000, 3);
	fc_disk_path(p, sizeof(p), share, "fas.bin");
	T_ASSERT(chmod(p, 0666) == 0);
	for (int cached = 0; cached < 2; cached++) {
		T_ASSERT((cached ? smbiov_open_ex(cc, "fas.bin", O_RDWR, NULL,
						  &f)
				 : smbiov_open(cc, "fas.bin", O_RDWR, &f)) ==
			 0);
		a.mtime_ns = t1 + cached * 1000000000LL;
		a.attributes = cached ? 0x1 : 0x80;
		smbiov_get_stats(cc, &s0);
		T_EXPECT_EQ(smbiov_fset_attr_stat(f, &a, &st), 0);
		smbiov_get_stats(cc, &s1);
		T_EXPECT_EQ(s1.messages - s0.messages, 1);
		T_EXPECT_EQ(s1.requests - s0.requests, 2);
		T_EXPECT_EQ(st.mtime_ns, a.mtime_ns);
		T_EXPECT_EQ(!!(st.attributes & 0x1), cached);
		T_EXPECT_EQ(st.size, 1000);
		T_EXPECT_EQ(st.nlink, 1);
		T_EXPECT_EQ(smbiov_fstat(f, &st2), 0);
		T_EXPECT_EQ(st2.mtime_ns, st.mtime_ns);
		T_EXPECT_EQ(st2.ctime_ns, st.ctime_ns);
		T_EXPECT_EQ(st2.atime_ns, st.atime_ns);
		T_EXPECT_EQ(st2.attributes, st.attributes);
		T_EXPECT_EQ(st2.file_id, st.file_id);
		T_EXPECT_EQ(smbiov_fset_attr_stat(f, &a, NULL), -EINVAL);
		T_EXPECT_EQ(smbiov_close(f), 0);
	}
	a.attributes = 0x80;
	a.mtime_ns = SMBIOV_TIME_OMIT;
	T_EXPECT_EQ(smbiov_set_attr(cc, "fas.bin", &a), 0);
	smbiov_disconnect(cc);
	unlink(p);
}

/*
 * Hard links (smbiov_link: SET_INFO FileLinkInformation): the new name is
 * the same inode on the disk (st_ino, st_nlink), smbiov_stat/smbiov_fstat
 * count the names (nlink) and agree on the file id, a write through one
 * name is read through the other, an existing name is never replaced
 * (-EEXIST, its bytes untouched), a missing source or target directory
 * fails and makes nothing, a directory cannot be linked, unlinking a name
 * leaves the others.
 */
static void test_link(void)
{
	struct smbiov_stat s1, s2, fs;
	struct stat d1, d2;
	struct smbiov_file *f;
	uint8_t *got, *src;
	size_t n;

	/*
	 * Made through the server: a file the test wrote on the disk as
	 * root would not be linked by the share's user (Linux'
	 * protected_hardlinks: the server says STATUS_ACCESS_DENIED).
	 */
	smbiov_unlink(c, "hl.bin"); /* a failed run's leftover */
	src = malloc(70001);
	T_ASSERT(src);
	fc_fill(src, 70001, 3, 0);
	T_ASSERT(smbiov_open(c, "hl.bin", O_WRONLY | O_CREAT | O_EXCL, &f) ==
		 0);
	T_EXPECT_EQ(smbiov_pwrite(f, src, 70001, 0), 70001);
	T_EXPECT_EQ(smbiov_close(f), 0);
	free(src);
	T_EXPECT_EQ(smbiov_stat(c, "hl.bin", &s1), 0);
	T_EXPECT_EQ(s1.nlink, 1);

	T_ASSERT(smbiov_link(c, "hl.bin", "hl2.bin") == 0);
	T_ASSERT(disk_exists("hl.bin", &d1) && disk_exists("hl2.bin", &d2));
	T_EXPECT_EQ(d1.st_ino, d2.st_ino);
	T_EXPECT_EQ(d1.st_nlink, 2);
	T_EXPECT_EQ(smbiov_stat(c, "hl.bin", &s1), 0);
	T_EXPECT_EQ(smbiov_stat(c, "hl2.bin", &s2), 0);
	T_EXPECT_EQ(s1.nlink, 2);
	T_EXPECT_EQ(s2.nlink, 2);
	T_EXPECT_EQ(s1.file_id, s2.file_id);
	T_EXPECT_EQ(s2.size, 70001);

	/* into a subdirectory; fstat counts the names too */
	T_ASSERT(smbiov_mkdir(c, "hld") == 0);
	T_EXPECT_EQ(smbiov_link(c, "hl2.bin", "hld/hl3.bin"), 0);
	T_ASSERT(smbiov_open(c, "hld/hl3.bin", O_RDWR, &f) == 0);
	T_EXPECT_EQ(smbiov_fstat(f, &fs), 0);
	T_EXPECT_EQ(fs.nlink, 3);
	T_EXPECT_EQ(fs.file_id, s1.file_id);
	/* a write through one name is the file of every name */
	T_EXPECT_EQ(smbiov_pwrite(f, "LINKED", 6, 100), 6);
	T_EXPECT_EQ(smbiov_close(f), 0);
	got = fc_disk_read(share, "hl.bin", &n);
	T_ASSERT(got);
	T_EXPECT_EQ(n, 70001);
	T_EXPECT(!memcmp(got + 100, "LINKED", 6));
	T_EXPECT_EQ(fc_check(got, 100, 3, 0), 100);
	free(got);

	/* never over an existing name: it keeps its bytes */
	fc_disk_write(share, "hl-other.bin", 5000, 9);
	T_EXPECT_EQ(smbiov_link(c, "hl.bin", "hl-other.bin"), -EEXIST);
	got = fc_disk_read(share, "hl-other.bin", &n);
	T_ASSERT(got);
	T_EXPECT_EQ(n, 5000);
	T_EXPECT_EQ(fc_check(got, n, 9, 0), n);
	free(got);

	/* nothing to link, nowhere to put it, no name: nothing made */
	T_EXPECT_EQ(smbiov_link(c, "hl-none.bin", "hl4.bin"), -ENOENT);
	T_EXPECT(!disk_exists("hl4.bin", &d2));
	T_EXPECT(smbiov_link(c, "hl.bin", "hl-nodir/hl5.bin") < 0);
	T_EXPECT(!disk_exists("hl-nodir", &d2));
	T_EXPECT_EQ(smbiov_link(c, "hl.bin", ""), -EINVAL);
	/* a directory is not linked */
	T_EXPECT(smbiov_link(c, "hld", "hld-link") < 0);
	T_EXPECT(!disk_exists("hld-link", &d2));

	/* unlinking a name leaves the others */
	T_EXPECT_EQ(smbiov_unlink(c, "hl.bin"), 0);
	T_EXPECT(!disk_exists("hl.bin", &d1));
	T_EXPECT_EQ(smbiov_stat(c, "hl2.bin", &s2), 0);
	T_EXPECT_EQ(s2.nlink, 2);
	T_ASSERT(disk_exists("hld/hl3.bin", &d2));
	T_EXPECT_EQ(d2.st_nlink, 2);

	T_EXPECT_EQ(smbiov_unlink(c, "hl2.bin"), 0);
	T_EXPECT_EQ(smbiov_unlink(c, "hld/hl3.bin"), 0);
	T_EXPECT_EQ(smbiov_unlink(c, "hl-other.bin"), 0);
	T_EXPECT_EQ(smbiov_rmdir(c, "hld"), 0);
}

int main(void)
{
	if (integ_env_load() < 0 || !fc_env("SMB_HOST"))
		return t_skip("no test server (run through ctest)");
	share = fc_env("SMB_SHARE");
	c = fc_connect(share, NULL);
	T_ASSERT(c);
	T_RUN(test_stat);
	T_RUN(test_namespace);
	T_RUN(test_readdir);
	T_RUN(test_readdir_one_round_trip);
	T_RUN(test_statvfs);
	T_RUN(test_set_attr);
	T_RUN(test_fset_attr_stat);
	T_RUN(test_mkdir_stat);
	T_RUN(test_link);
	smbiov_disconnect(c);
	if (t_failures)
		integ_print_logs_hint();
	return t_done();
}
