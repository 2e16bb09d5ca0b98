/* SPDX-License-Identifier: MIT */
#include <smbiov/common.h>

#include <string.h>

SMBIOV_API const char *smbiov_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	/* strerrordesc_np is thread-safe and never builds a buffer. */
	s = strerrordesc_np(err);
	return s ? s : "unknown error";
}
