/* SPDX-License-Identifier: MIT */
/*
 * Resume records for get -C and put -C. A transfer run with -C keeps its
 * partial copy (the local temporary file of a get, the remote temporary
 * file of a put) when it is interrupted, killed or fails, and keeps a
 * record of it here: what the other side was (so that a changed source is
 * never continued), which partial file it wrote (so that another file of
 * that name is never continued), and how many bytes from the start are
 * complete.
 *
 * Records live in the user's state directory, not beside the data: a put's
 * source may be read-only, and a record beside a get's temporary file would
 * need extended attributes that not every local file system keeps
 * (tmpfs before Linux 6.6). The directory is $SMBIOV_STATE_DIR, else
 * $XDG_STATE_HOME/smbiov, else ~/.local/state/smbiov; each record is one
 * small text file named by a hash of its key (direction, absolute local
 * path, remote host, share and path), which it also holds in full.
 *
 * "Complete" is a prefix: chunks move in parallel and finish in any order,
 * so a record says only how far every byte has been written (the transfer
 * reports it as it advances, xfer_end.prefix). The record is replaced
 * atomically (write and rename), so a killed process leaves the old one
 * or the new one. It assumes the process died, not the machine: after a
 * power loss the data the record counts may not have reached the disk
 * (get --fsync narrows that; a resumed get also compares bytes it has).
 */
#ifndef SMBIOV_CLI_RESUME_H
#define SMBIOV_CLI_RESUME_H

#include <stdbool.h>
#include <stdint.h>

struct resume_rec {
	char kind[4]; /* "get" or "put" */
	char *local; /* absolute local path: a get's destination, a put's source
		      */
	char *remote; /* the remote file: "//HOST/SHARE/PATH" */
	char *temp;   /* the partial file: local path (get), share path (put) */
	/* The source as it was when the transfer began. */
	uint64_t size;
	int64_t mtime_ns, ctime_ns;
	uint64_t id;  /* remote file id (get); local st_ino (put) */
	uint64_t dev; /* put: the source's st_dev; get: 0 */
	/* The partial file: local st_ino (get) or remote file id (put). */
	uint64_t temp_id;
	uint64_t done; /* bytes from offset 0 that are written */
	char *path;    /* where the record is kept (malloc'd), NULL: nowhere */
};

/*
 * resume_init - set up @r for @kind ("get"/"put"), @local (made absolute)
 * and the remote file @path on @share of @host, with the record's path.
 * The port is not part of the key: the same server through a tunnel or
 * relay is the same server (the record's checks tell another file). Returns 0,
 * -ENOENT when there is no state directory to keep records in (no HOME),
 * -ENOMEM; on failure @r holds nothing.
 */
int resume_init(struct resume_rec *r, const char *kind, const char *local,
		const char *host, const char *share, const char *path);

/*
 * resume_load - read the record @r names into @r's other fields. Returns
 * 0, -ENOENT when there is none, -EPROTO when it is not one of ours or
 * for another key (its fields are then left zero).
 */
int resume_load(struct resume_rec *r);

/* resume_save - write @r (atomically). 0 or a negative errno. */
int resume_save(const struct resume_rec *r);

/* resume_drop - remove @r's record, if any. */
void resume_drop(const struct resume_rec *r);

/* Free what @r holds. */
void resume_release(struct resume_rec *r);

/*
 * resume_source_differs - does @now describe another source than @was
 * (size, modification or change time, id, device)? The reason, as a
 * phrase for "not resuming: ...", or NULL when it is the same.
 */
const char *resume_source_differs(const struct resume_rec *was,
				  const struct resume_rec *now);

/* A transfer's use of its record (get -C, put -C). */
struct resume_job {
	struct resume_rec r;
	bool on;	/* the record is kept up to date */
	uint64_t start; /* the transfer continues here (0: from the start) */
};

/*
 * resume_checkpoint - xfer_end.prefix for a job (@arg): every byte below
 * @upto is in the partial file; the record says so. A record that cannot
 * be written only means less to resume: not an error.
 */
void resume_checkpoint(void *arg, uint64_t upto);

/* The one line each: "continuing at byte N of SIZE", "not resuming (WHY)". */
void resume_say_continue(const char *name, uint64_t start, uint64_t size);
void resume_say_restart(const char *name, const char *why);

#endif
