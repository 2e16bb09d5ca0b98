// SPDX-License-Identifier: MIT
/*
 * The calling thread's last failure (smbiov_last_error()): one record per
 * thread, so concurrent callers never see each other's errors.
 */
#include "client/engine.h"
#include "proto/ntstatus.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local struct smbiov_error last_error;

int smb_error_set(int err, uint32_t status, enum smbiov_phase phase,
		  const char *fmt, ...)
{
	va_list ap;

	last_error.err = err;
	last_error.ntstatus = status;
	last_error.phase = phase;
	va_start(ap, fmt);
	vsnprintf(last_error.message, sizeof(last_error.message), fmt, ap);
	va_end(ap);
	return err;
}

int smb_error_status(uint32_t status, enum smbiov_phase phase, const char *what)
{
	char buf[NTSTATUS_STR_MIN];
	int err = ntstatus_to_errno(status);

	if (!err)
		err = -EIO;
	return smb_error_set(err, status, phase, "%s: %s", what,
			     ntstatus_str(status, buf, sizeof(buf)));
}

int smb_error_keep(int err, const char *what)
{
	if (last_error.err == err)
		return err;
	return smb_error_set(err, 0, SMBIOV_PHASE_IO, "%s: %s", what,
			     smbiov_strerror(err));
}

const char *smb_conn_strerror(const struct smbiov_client *c, int err)
{
	static _Thread_local char buf[sizeof(last_error.message)];
	struct smbiov_client *m = (struct smbiov_client *)c; /* its lock */

	/*
	 * Not only FAILED: a later call's one more try (RECONNECTING) after
	 * a give-up leaves the last give-up the best reason, and another
	 * thread may word its ENOTCONN while that try runs.
	 */
	if (!c || err != -ENOTCONN || !atomic_load(&c->rc_err) ||
	    atomic_load(&c->rc_state) == SMBIOV_CONN_CONNECTED)
		return smbiov_strerror(err);
	pthread_mutex_lock(&m->lock);
	snprintf(buf, sizeof(buf), "reconnecting failed: %s",
		 c->rc_why[0] ? c->rc_why : smbiov_strerror(c->rc_err));
	pthread_mutex_unlock(&m->lock);
	return buf;
}

void smb_error_clear(void)
{
	memset(&last_error, 0, sizeof(last_error));
}

void smb_error_restore(const struct smbiov_error *e)
{
	last_error = *e;
}

SMBIOV_API void smbiov_last_error(struct smbiov_error *out)
{
	if (out)
		*out = last_error;
}
