/* SPDX-License-Identifier: MIT */
/* Messages for the library's failures: errno values and NTSTATUS codes. */
#include <smbiov/smbiov.h>

#include <string.h>

#include "proto/ntstatus.h"

SMBIOV_API const char *smbiov_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	/* strerrordesc_np is thread-safe and never builds a buffer. */
	s = strerrordesc_np(err);
	return s ? s : "unknown error";
}

/* The public face of the library's one NTSTATUS table (proto/ntstatus.c). */
SMBIOV_API const char *smbiov_ntstatus_name(uint32_t status)
{
	return ntstatus_name(status);
}
