/* SPDX-License-Identifier: MIT */
/*
 * get -C / put -C resume records (tools/smbiov/resume.c): kept where the
 * environment says, read back exactly, refused when damaged or made for
 * another key, and a changed source is told apart by every field.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resume.h"
#include "t.h"

static char dir[] = "/tmp/smbiov-resume-XXXXXX";

static void fill(struct resume_rec *r)
{
	r->temp = strdup("/x/.f.smbiov-part");
	r->size = 100663296;
	r->mtime_ns = 1700000000123456789;
	r->ctime_ns = 1700000001987654321;
	r->id = 0x1234567890ull;
	r->dev = 2049;
	r->temp_id = 77;
	r->done = 9437184;
}

static void test_roundtrip(void)
{
	struct resume_rec a, b;
	char want[256];

	T_ASSERT(resume_init(&a, "get", "/abs/file", "host", "share",
			     "dir/file") == 0);
	snprintf(want, sizeof(want), "%s/partial/", dir);
	T_EXPECT(!strncmp(a.path, want, strlen(want)));
	/* nothing kept yet */
	T_ASSERT(resume_init(&b, "get", "/abs/file", "host", "share",
			     "dir/file") == 0);
	T_EXPECT_EQ(resume_load(&b), -ENOENT);
	fill(&a);
	T_EXPECT_EQ(resume_save(&a), 0);
	T_EXPECT_EQ(resume_load(&b), 0);
	T_EXPECT(!strcmp(b.temp, a.temp));
	T_EXPECT(b.size == a.size && b.mtime_ns == a.mtime_ns &&
		 b.ctime_ns == a.ctime_ns && b.id == a.id && b.dev == a.dev &&
		 b.temp_id == a.temp_id && b.done == a.done);
	T_EXPECT(resume_source_differs(&a, &b) == NULL);
	/* a later save replaces it */
	a.done = 17825792;
	T_EXPECT_EQ(resume_save(&a), 0);
	resume_release(&b);
	T_ASSERT(resume_init(&b, "get", "/abs/file", "host", "share",
			     "dir/file") == 0);
	T_EXPECT_EQ(resume_load(&b), 0);
	T_EXPECT(b.done == 17825792);
	/* a save killed before its rename left its temporary file: the
	 * drop takes both */
	{
		char tmp[512];
		FILE *fp;

		snprintf(tmp, sizeof(tmp), "%s.tmp", a.path);
		fp = fopen(tmp, "w");
		T_ASSERT(fp != NULL);
		fclose(fp);
		resume_drop(&a);
		T_EXPECT(access(tmp, F_OK) != 0);
	}
	resume_release(&b);
	T_ASSERT(resume_init(&b, "get", "/abs/file", "host", "share",
			     "dir/file") == 0);
	T_EXPECT_EQ(resume_load(&b), -ENOENT);
	resume_release(&a);
	resume_release(&b);
}

/* Another key's record under this key's name (a hash collision, a copy). */
static void test_other_key_refused(void)
{
	struct resume_rec a, b;
	char cmd[1024];

	T_ASSERT(resume_init(&a, "put", "/src/a", "h", "s", "p/a") == 0);
	T_ASSERT(resume_init(&b, "put", "/src/b", "h", "s", "p/a") == 0);
	T_EXPECT(strcmp(a.path, b.path) != 0);
	fill(&a);
	T_ASSERT(resume_save(&a) == 0);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", a.path, b.path);
	T_ASSERT(system(cmd) == 0);
	T_EXPECT_EQ(resume_load(&b), -EPROTO);
	T_EXPECT(b.temp == NULL && b.done == 0);
	/* the direction is part of the key too */
	resume_release(&b);
	T_ASSERT(resume_init(&b, "get", "/src/a", "h", "s", "p/a") == 0);
	T_EXPECT(strcmp(a.path, b.path) != 0);
	resume_drop(&a);
	resume_release(&a);
	resume_release(&b);
}

static void test_damaged_refused(void)
{
	static const char *const bodies[] = {
		"",
		"not a record\n",
		"smbiov-resume 1\nkind get\n",
		/* a number that is not one */
		"smbiov-resume 1\nkind get\nlocal /l\nremote //h/s/p\ntemp "
		"/t\nsize 12x\nmtime_ns 1\nctime_ns 1\nid 1\ndev 0\ntemp_id "
		"1\ndone 1\n",
	};
	struct resume_rec r;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		int fd;

		T_ASSERT(resume_init(&r, "get", "/l", "h", "s", "p") == 0);
		fill(&r);
		T_ASSERT(resume_save(&r) == 0); /* makes the directory */
		free(r.temp);
		r.temp = NULL;
		fd = open(r.path, O_WRONLY | O_TRUNC);
		T_ASSERT(fd >= 0);
		T_ASSERT(write(fd, bodies[i], strlen(bodies[i])) ==
			 (ssize_t)strlen(bodies[i]));
		close(fd);
		T_EXPECT_EQ(resume_load(&r), -EPROTO);
		resume_drop(&r);
		resume_release(&r);
	}
	/* a name with a newline cannot be recorded */
	T_ASSERT(resume_init(&r, "get", "/l\nx", "h", "s", "p") == 0);
	fill(&r);
	T_EXPECT_EQ(resume_save(&r), -EINVAL);
	T_EXPECT_EQ(resume_load(&r), -ENOENT);
	resume_release(&r);
}

static void test_source_differs(void)
{
	struct resume_rec a = {0}, b;

	fill(&a);
	b = a;
	T_EXPECT(resume_source_differs(&a, &b) == NULL);
	b.size++;
	T_EXPECT(!strcmp(resume_source_differs(&a, &b), "its size changed"));
	b = a;
	b.mtime_ns++;
	T_EXPECT(strstr(resume_source_differs(&a, &b), "modification"));
	b = a;
	b.ctime_ns--;
	T_EXPECT(strstr(resume_source_differs(&a, &b), "change time"));
	b = a;
	b.id++;
	T_EXPECT(strstr(resume_source_differs(&a, &b), "another file"));
	b = a;
	b.dev++;
	T_EXPECT(strstr(resume_source_differs(&a, &b), "another file"));
	/* a record that counts more than the file has is not believed */
	a.done = a.size + 1;
	b = a;
	T_EXPECT(resume_source_differs(&a, &b) != NULL);
	free(a.temp);
}

/* Where records go: SMBIOV_STATE_DIR, XDG_STATE_HOME, HOME, or nowhere. */
static void test_state_dir(void)
{
	struct resume_rec r;

	unsetenv("SMBIOV_STATE_DIR");
	setenv("XDG_STATE_HOME", "/xdg", 1);
	T_ASSERT(resume_init(&r, "get", "/l", "h", "s", "p") == 0);
	T_EXPECT(!strncmp(r.path, "/xdg/smbiov/partial/", 20));
	resume_release(&r);
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/u", 1);
	T_ASSERT(resume_init(&r, "get", "/l", "h", "s", "p") == 0);
	T_EXPECT(!strncmp(r.path, "/home/u/.local/state/smbiov/partial/", 36));
	resume_release(&r);
	unsetenv("HOME");
	T_EXPECT_EQ(resume_init(&r, "get", "/l", "h", "s", "p"), -ENOENT);
	T_EXPECT(r.local == NULL && r.path == NULL);
	/* a relative local name is made absolute from the working directory */
	setenv("SMBIOV_STATE_DIR", dir, 1);
	T_ASSERT(chdir(dir) == 0);
	T_ASSERT(resume_init(&r, "get", "rel", "h", "s", "p") == 0);
	T_EXPECT(!strncmp(r.local, dir, strlen(dir)) &&
		 strstr(r.local, "/rel"));
	resume_release(&r);
}

int main(void)
{
	char cmd[128];

	T_ASSERT(mkdtemp(dir) != NULL);
	setenv("SMBIOV_STATE_DIR", dir, 1);
	T_RUN(test_roundtrip);
	T_RUN(test_other_key_refused);
	T_RUN(test_damaged_refused);
	T_RUN(test_source_differs);
	T_RUN(test_state_dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	T_EXPECT(system(cmd) == 0);
	return t_done();
}
