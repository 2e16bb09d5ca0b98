/* SPDX-License-Identifier: MIT */
/*
 * A remote file written under a temporary name beside its destination and
 * renamed over it only once complete and checked (put, cp): the
 * destination is the old file or the whole new one, never a mix.
 *
 * The temporary name is "DIR/.smbiov-<16 hex digits>.part": short and
 * fixed, so any destination name has room. On SMB 3 it is marked
 * delete-on-close once every connection of the transfer has it open
 * (rtmp_mark, the transfer's xfer_end.opened hook; the mark keeps new opens
 * out), and the mark is taken back just before the rename: a killed client
 * or a dropped connection leaves nothing behind once the server closed the
 * handle. Not below SMB 3: a server that speaks no more than 2.0.2 may take
 * the mark as a close-time flag that cannot be taken back (impacket's
 * smbserver ignores DeletePending = 0 and deletes at close), which would
 * delete the finished file; there the rename still makes it atomic, and
 * only a killed client's temporary file stays.
 *
 * Not with reconnect on either (the default, --reconnect): the file must
 * outlive a dropped connection to be reopened by its name and written on.
 * A failed transfer still removes it (rtmp_drop), an interrupted one too
 * (SIGINT/SIGTERM/SIGHUP: rtmp_signal()); only a client killed with
 * SIGKILL, or its host going down, leaves the ".smbiov-*.part" file
 * behind, as rsync leaves its temporary files. --reconnect 0 keeps the
 * mark.
 */
#ifndef SMBIOV_CLI_RTMP_H
#define SMBIOV_CLI_RTMP_H

#include <stdbool.h>
#include <stdint.h>

#include <smbiov/smbiov.h>

struct rtmp {
	struct smbiov_client *c;
	struct smbiov_file *f; /* open while written */
	char *path;	       /* the temporary name (malloc'd) */
	int marked; /* delete-on-close: 1 set, < 0 the server refused */
};

/*
 * rtmp_name - "DIR/.smbiov-<16 random hex digits>.part" beside @rpath
 * (malloc'd), or NULL when out of memory.
 */
char *rtmp_name(const char *rpath);

/*
 * rtmp_open - create a new temporary file beside @rpath on @c, open for
 * writing. 0 or a negative errno (@t then holds nothing).
 */
int rtmp_open(struct rtmp *t, struct smbiov_client *c, const char *rpath);

/* xfer_end.opened: mark the file delete-on-close (SMB 3 only). */
void rtmp_mark(void *arg);

/*
 * rtmp_commit - the data is all there: check that the server holds
 * exactly @sent bytes, take the mark back, close, and rename over @rpath
 * (replacing it). 0 or a negative errno; on failure the caller drops it.
 */
int rtmp_commit(struct rtmp *t, uint64_t sent, const char *rpath);

/*
 * rtmp_signal - from a signal handler (async-signal-safe): true when a
 * temporary file is being written, and the reaper thread now marks it
 * delete-on-close and then calls cli_interrupted_exit(); false: nothing
 * to do, the handler exits itself.
 */
bool rtmp_signal(void);

/*
 * rtmp_drop - give up: close (delete-on-close removes a marked file) and
 * unlink one that was not marked; frees @t's name.
 */
void rtmp_drop(struct rtmp *t);

/* rtmp_release - close what is open, free the name; the file stays. */
void rtmp_release(struct rtmp *t);

#endif
