/* SPDX-License-Identifier: MIT */
/*
 * smbiov mount without FUSE: the -o option parser (defaults, each
 * option, the last one wins, unknown / valueless / password options
 * refused with exit 2; rsize=, wsize=, cache_size= into the library's
 * options) and the inode table (paths under a base,
 * lookups counted, rename moving a subtree and dropping the replaced
 * node, unlink making a node unreachable, forget freeing, open files
 * keeping a node alive), and mfsymlinks' file format (a known file,
 * round trips up to the longest target, damaged files refused).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mount.h"
#include "t.h"

static int parse1(struct mount_cfg *c, const char *opts)
{
	const char *v[1] = {opts};

	return mount_cfg_parse(c, 1, v);
}

static void test_defaults(void)
{
	struct mount_cfg c;

	T_EXPECT_EQ(mount_cfg_parse(&c, 0, NULL), 0);
	T_EXPECT_EQ(c.uid, getuid());
	T_EXPECT_EQ(c.gid, getgid());
	T_EXPECT_EQ(c.file_mode, 0755);
	T_EXPECT_EQ(c.dir_mode, 0755);
	T_EXPECT_EQ(c.cache, SMBIOV_CACHE_STRICT);
	T_EXPECT_EQ(c.max_read, MOUNT_MAX_IO);
	T_EXPECT(c.attr_timeout_file == 1.0 && c.attr_timeout_dir == 1.0);
	T_EXPECT(!c.ro && !c.allow_other && !c.default_permissions);
	T_EXPECT(!c.close_timeout_set);
	T_EXPECT(!c.mfsymlinks); /* as mount.cifs: docs/cli.md says why */
	/* the library's defaults: the server's sizes, its cache budget */
	T_EXPECT(!c.rsize && !c.wsize && !c.cache_bytes);
	mount_cfg_release(&c);
}

/*
 * rsize=, wsize= (bytes, as mount.cifs; K/M/G suffixes too) and
 * cache_size= reach the library's options; what is not given stays the
 * caller's (the library's default).
 */
static void test_sizes(void)
{
	static const char *const mo[] = {"rsize=65536,wsize=1M",
					 "cache_size=64MiB"};
	/* units: K, KiB (any case); not rounded here (the library does) */
	static const struct {
		const char *opts;
		uint32_t rsize, wsize;
		size_t cache;
	} ok[] = {
		{"rsize=65536,wsize=1m,cache_size=16M", 65536, 1 << 20,
		 (size_t)16 << 20},
		{"rsize=64K,wsize=5000,cache_size=2g", 65536, 5000,
		 (size_t)2 << 30},
		{"rsize=4KiB,wsize=8M,cache_size=4096k", 4096, 8 << 20,
		 (size_t)4 << 20},
	};
	struct smbiov_options so = {.cache_bytes = 1, .max_read = 7};
	struct cli_opts o = {0};
	struct mount_cfg c;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		T_EXPECT_EQ(parse1(&c, ok[i].opts), 0);
		T_EXPECT_EQ(c.rsize, ok[i].rsize);
		T_EXPECT_EQ(c.wsize, ok[i].wsize);
		T_EXPECT_EQ(c.cache_bytes, ok[i].cache);
		mount_cfg_release(&c);
	}

	/* into smbiov_options: given ones only */
	T_EXPECT_EQ(parse1(&c, "wsize=65536"), 0);
	mount_cfg_conn(&c, &so);
	T_EXPECT_EQ(so.max_write, 65536);
	T_EXPECT_EQ(so.max_read, 7);
	T_EXPECT_EQ(so.cache_bytes, 1);
	mount_cfg_release(&c);

	/* and from the CLI's options, as conn.c fills every connection's */
	o.n_mount_o = 2;
	memcpy(o.mount_o, mo, sizeof(mo));
	so = (struct smbiov_options){0};
	mount_conn_options(&o, &so);
	T_EXPECT_EQ(so.max_read, 65536);
	T_EXPECT_EQ(so.max_write, 1 << 20);
	T_EXPECT_EQ(so.cache_bytes, (size_t)64 << 20);
	/* another command: no -o, nothing changed */
	o.n_mount_o = 0;
	so = (struct smbiov_options){.max_write = 3};
	mount_conn_options(&o, &so);
	T_EXPECT(!so.max_read && so.max_write == 3 && !so.cache_bytes);
}

static void test_values(void)
{
	const char *v[2] = {"uid=1234,gid=0,file_mode=0640,dir_mode=700,ro",
			    "cache=loose,actimeo=7,acdirmax=3,max_read=65536,"
			    "allow_other,default_permissions,noserverino,"
			    "vers=3.0,seal,sign,closetimeo=2,nobrl,forceuid"};
	struct mount_cfg c;

	T_EXPECT_EQ(mount_cfg_parse(&c, 2, v), 0);
	T_EXPECT_EQ(c.uid, 1234);
	T_EXPECT_EQ(c.gid, 0);
	T_EXPECT_EQ(c.file_mode, 0640);
	T_EXPECT_EQ(c.dir_mode, 0700);
	T_EXPECT(c.ro && c.allow_other && c.default_permissions);
	T_EXPECT(c.noserverino);
	T_EXPECT_EQ(c.cache, SMBIOV_CACHE_LOOSE);
	T_EXPECT(c.attr_timeout_file == 7.0 && c.attr_timeout_dir == 3.0);
	T_EXPECT_EQ(c.loose_ttl_ms, 7000);
	T_EXPECT_EQ(c.max_read, 65536);
	T_EXPECT_EQ(c.min_dialect, SMBIOV_DIALECT_300);
	T_EXPECT_EQ(c.max_dialect, SMBIOV_DIALECT_300);
	T_EXPECT_EQ(c.sign, SMBIOV_REQUIRED);
	T_EXPECT_EQ(c.encrypt, SMBIOV_REQUIRED);
	T_EXPECT(c.close_timeout_set && c.close_timeout_ms == 2000);
	T_EXPECT_EQ(c.reconnect_ms, 0); /* not given: the default */
	T_EXPECT_EQ(c.dirahead, MOUNT_DIRAHEAD);
	mount_cfg_release(&c);
	T_EXPECT_EQ(parse1(&c, "dirahead=0"), 0);
	T_EXPECT_EQ(c.dirahead, 0);
	mount_cfg_release(&c);
	T_EXPECT_EQ(parse1(&c, "dirahead=1024"), 0);
	T_EXPECT_EQ(c.dirahead, 1024);
	mount_cfg_release(&c);

	/* the last one wins; closetimeo=0 closes at once; uid by name */
	T_EXPECT_EQ(parse1(&c, "ro,rw,cache=none,closetimeo=0,reconnect=0,"
			       "reconnect=3,uid=root,"
			       "vers=2.0,user=bob,domain=CORP,"
			       "credentials=/x/y"),
		    0);
	T_EXPECT(!c.ro);
	T_EXPECT_EQ(c.cache, SMBIOV_CACHE_NONE);
	T_EXPECT(c.close_timeout_set && c.close_timeout_ms < 0);
	T_EXPECT_EQ(c.reconnect_ms, 3000);
	T_EXPECT_EQ(c.uid, 0);
	T_EXPECT_EQ(c.min_dialect, SMBIOV_DIALECT_202);
	T_EXPECT(c.user && !strcmp(c.user, "bob"));
	T_EXPECT(c.domain && !strcmp(c.domain, "CORP"));
	T_EXPECT(c.credentials && !strcmp(c.credentials, "/x/y"));
	mount_cfg_release(&c);

	/* an /etc/fstab line's own options: the kernel's flags go to the
	 * FUSE mount in order, mount(8)'s and systemd's are dropped */
	T_EXPECT_EQ(parse1(&c, "defaults,nosuid,nodev,noexec,_netdev,noauto,"
			       "user,nofail,x-systemd.automount,"
			       "x-systemd.idle-timeout=60,comment=x,"
			       "relatime,exec"),
		    0);
	T_EXPECT(!strcmp(c.vfs, ",nosuid,nodev,noexec,exec"));
	mount_cfg_release(&c);
	T_EXPECT_EQ(parse1(&c, "ro"), 0);
	T_EXPECT(!strcmp(c.vfs, ""));
	mount_cfg_release(&c);

	T_EXPECT_EQ(parse1(&c, "mfsymlinks"), 0);
	T_EXPECT(c.mfsymlinks);
	mount_cfg_release(&c);
	T_EXPECT_EQ(parse1(&c, "mfsymlinks,nomfsymlinks"), 0);
	T_EXPECT(!c.mfsymlinks);
	mount_cfg_release(&c);

	/* empty items are nothing */
	T_EXPECT_EQ(parse1(&c, ",,ro,"), 0);
	T_EXPECT(c.ro);
	mount_cfg_release(&c);
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"bogus",   /* unknown */
		"bogus=1", /* unknown */
		"uid",	   /* needs a value */
		"ro=1",	   /* takes none */
		"uid=-1",  /* bad value */
		"uid=no-such-user-here",
		"file_mode=0999",   /* not octal */
		"dir_mode=10000",   /* too big */
		"cache=fast",	    /* no such mode */
		"actimeo=x",	    /* not a number */
		"max_read=100",	    /* below a page */
		"max_read=2097152", /* above FUSE's largest */
		"dirahead=1025",    /* above its largest */
		"dirahead=x",	    /* not a number */
		"vers=4.0",	    /* no such dialect */
		"user=bob%secret",  /* a password */
		"password=secret",  /* never on a command line */
		"pass=secret",	    /* same */
		"rsize=4095",	    /* below a page */
		"wsize=8388609",    /* above the library's 8 MiB */
		"wsize=9M",	    /* same */
		"rsize=64X",	    /* no such unit */
		"rsize=64KB",	    /* (powers of 1024: K or KiB) */
		"wsize=-65536",	    /* not a number */
		"wsize= 65536",	    /* same */
		"rsize=",	    /* empty */
		"wsize",	    /* needs a value */
		"cache_size=4095k", /* below 4 MiB */
		"cache_size=2048G", /* above 1 TiB */
		"cache_size=18446744073709551615K", /* overflows */
		"cache_size=0",		/* 0 is no cache: cache=none */
		"mfsymlinks=1",		/* takes no value */
		"nosuid=1",		/* takes no value */
		"credentials=",		/* empty */
		"ro,allow_other,bogus", /* one bad among good ones */
	};
	struct mount_cfg c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int code = parse1(&c, bad[i]);

		if (code != CLI_EXIT_USAGE)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		T_EXPECT_EQ(code, CLI_EXIT_USAGE);
		mount_cfg_release(&c);
	}
}

static void expect_path(struct mtable *t, struct mnode *n, const char *name,
			const char *want)
{
	char *p = NULL;
	int ret = mtable_path(t, n, name, &p);

	T_EXPECT_EQ(ret, want ? 0 : -ENOENT);
	if (want && p && strcmp(p, want))
		fprintf(stderr, "path %s, want %s\n", p, want);
	T_EXPECT(!want || (p && !strcmp(p, want)));
	free(p);
}

static void test_paths(void)
{
	struct mtable t;
	struct mnode *a, *b, *c, *a2;

	T_ASSERT(mtable_init(&t, "") == 0);
	expect_path(&t, &t.root, NULL, "");
	expect_path(&t, &t.root, "x", "x");
	a = mtable_lookup(&t, &t.root, "a");
	b = mtable_lookup(&t, a, "b");
	c = mtable_lookup(&t, b, "c");
	T_ASSERT(a && b && c);
	expect_path(&t, c, NULL, "a/b/c");
	expect_path(&t, b, "n", "a/b/n");
	/* a second lookup finds the same node and counts */
	a2 = mtable_lookup(&t, &t.root, "a");
	T_EXPECT(a2 == a);
	T_EXPECT_EQ(a->nlookup, 2);
	/* rename moves the subtree */
	T_EXPECT_EQ(mtable_rename(&t, &t.root, "a", &t.root, "z"), 0);
	expect_path(&t, c, NULL, "z/b/c");
	T_EXPECT(mtable_lookup(&t, &t.root, "z") == a);
	mtable_destroy(&t);

	T_ASSERT(mtable_init(&t, "sub/dir") == 0);
	expect_path(&t, &t.root, NULL, "sub/dir");
	a = mtable_lookup(&t, &t.root, "a");
	T_ASSERT(a);
	expect_path(&t, a, "f", "sub/dir/a/f");
	mtable_destroy(&t);
}

static void test_replace_unhash_forget(void)
{
	struct mtable t;
	struct mnode *a, *b, *x, *child;

	T_ASSERT(mtable_init(&t, "") == 0);
	a = mtable_lookup(&t, &t.root, "a");
	b = mtable_lookup(&t, &t.root, "b");
	T_ASSERT(a && b);
	/* a over b: b is reached no more, a is found as b */
	T_EXPECT_EQ(mtable_rename(&t, &t.root, "a", &t.root, "b"), 0);
	expect_path(&t, b, NULL, NULL);
	expect_path(&t, a, NULL, "b");
	T_EXPECT(mtable_lookup(&t, &t.root, "b") == a);
	mtable_forget(&t, a, 1);
	/* unlink: the node stays for the kernel, but has no path */
	mtable_unhash(&t, &t.root, "b");
	expect_path(&t, a, NULL, NULL);
	x = mtable_lookup(&t, &t.root, "b");
	T_EXPECT(x && x != a);
	/* a directory's children keep it until they go */
	child = mtable_lookup(&t, x, "child");
	T_ASSERT(child);
	T_EXPECT_EQ(t.root.children, 3); /* x, the unlinked a, the old b */
	mtable_forget(&t, a, 1);
	mtable_forget(&t, x, 1);
	T_EXPECT_EQ(t.root.children, 2); /* x (held by child) and old b */
	mtable_forget(&t, child, 1);
	T_EXPECT_EQ(t.root.children, 1);
	mtable_forget(&t, b, 1);
	T_EXPECT_EQ(t.root.children, 0);
	T_EXPECT(t.all == NULL);
	T_EXPECT_EQ(t.count, 0);
	mtable_destroy(&t);
}

static void test_open_files(void)
{
	struct mtable t;
	struct mnode *n;
	struct mfile *ro, *rw, *got;

	T_ASSERT(mtable_init(&t, "") == 0);
	n = mtable_lookup(&t, &t.root, "f");
	ro = calloc(1, sizeof(*ro));
	rw = calloc(1, sizeof(*rw));
	T_ASSERT(n && ro && rw);
	ro->node = rw->node = n;
	rw->writable = true;
	mtable_file_add(&t, ro);
	mtable_file_add(&t, rw);
	got = mtable_file_any(&t, n, true);
	T_EXPECT(got == rw);
	T_EXPECT_EQ(rw->refs, 2);
	mtable_file_put(&t, got);
	/* forget before release: the node lives while its files are open */
	mtable_forget(&t, n, 1);
	T_EXPECT(t.all == n);
	/* a call holds a reference across the release */
	got = mtable_file_any(&t, n, false);
	T_EXPECT(got == rw); /* the newest first */
	mtable_file_remove(&t, rw);
	mtable_file_put(&t, rw);
	T_EXPECT_EQ(rw->refs, 1); /* not closed yet */
	T_EXPECT(t.all == n);
	mtable_file_put(&t, got); /* closes (a NULL file), frees */
	mtable_file_remove(&t, ro);
	T_EXPECT(t.all == NULL); /* the node went with its last file */
	mtable_file_put(&t, ro);
	mtable_destroy(&t);
}

/* A link file as cifs writes it: "XSym", length, MD5, target, padding. */
static void test_mfsym_known(void)
{
	static const char head[] = "XSym\n0001\n"
				   "8fa14cdd754f91cc6554c9e71929cce7\nf\n";
	char want[MFSYM_SIZE], buf[MFSYM_SIZE], target[MFSYM_MAX + 1];

	memset(want, ' ', sizeof(want));
	memcpy(want, head, sizeof(head) - 1);
	T_EXPECT_EQ(mfsym_format(buf, "f"), 0);
	T_EXPECT(!memcmp(buf, want, sizeof(want)));
	T_EXPECT_EQ(mfsym_parse(want, sizeof(want), target), 1);
	T_EXPECT(!strcmp(target, "f"));
}

static void test_mfsym_roundtrip(void)
{
	static const size_t lens[] = {1, 2, 100, 1023, MFSYM_MAX};
	char buf[MFSYM_SIZE], target[MFSYM_MAX + 1], t[MFSYM_MAX + 2];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (size_t j = 0; j < lens[i]; j++)
			t[j] = (char)('!' + (j * 7 + i) % 90);
		t[lens[i]] = '\0';
		T_EXPECT_EQ(mfsym_format(buf, t), 0);
		T_EXPECT_EQ(mfsym_parse(buf, sizeof(buf), target),
			    (int)lens[i]);
		T_EXPECT(!strcmp(target, t));
		/* the byte after the target: '\n' while there is room */
		if (lens[i] < MFSYM_MAX)
			T_EXPECT_EQ(buf[43 + lens[i]], '\n');
	}
	memset(t, 'x', MFSYM_MAX + 1);
	t[MFSYM_MAX + 1] = '\0';
	T_EXPECT_EQ(mfsym_format(buf, t), -ENAMETOOLONG);
	T_EXPECT_EQ(mfsym_format(buf, ""), -ENOENT);
}

/* Not a link: any damage, a wrong size, a digest that does not match. */
static void test_mfsym_refused(void)
{
	char good[MFSYM_SIZE], bad[MFSYM_SIZE], target[MFSYM_MAX + 1];
	static const size_t flip[] = {0, 4, 5, 9, 10, 41, 42, 43, 50};

	T_ASSERT(mfsym_format(good, "../a b/c") == 0);
	T_EXPECT_EQ(mfsym_parse(good, sizeof(good), target), 8);
	T_EXPECT_EQ(mfsym_parse(good, sizeof(good) - 1, target), -EINVAL);
	for (size_t i = 0; i < sizeof(flip) / sizeof(flip[0]); i++) {
		memcpy(bad, good, sizeof(bad));
		bad[flip[i]] ^= 0x01;
		T_EXPECT_EQ(mfsym_parse(bad, sizeof(bad), target), -EINVAL);
	}
	/* a length of 0, and one past the longest */
	memcpy(bad, good, sizeof(bad));
	memcpy(bad + 5, "0000", 4);
	T_EXPECT_EQ(mfsym_parse(bad, sizeof(bad), target), -EINVAL);
	memcpy(bad + 5, "1025", 4);
	T_EXPECT_EQ(mfsym_parse(bad, sizeof(bad), target), -EINVAL);
}

int main(void)
{
	T_RUN(test_defaults);
	T_RUN(test_values);
	T_RUN(test_refused);
	T_RUN(test_sizes);
	T_RUN(test_paths);
	T_RUN(test_replace_unhash_forget);
	T_RUN(test_open_files);
	T_RUN(test_mfsym_known);
	T_RUN(test_mfsym_roundtrip);
	T_RUN(test_mfsym_refused);
	return t_done();
}
