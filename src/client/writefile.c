// SPDX-License-Identifier: MIT
/*
 * Write a whole small file in one round trip: CREATE, a related WRITE at
 * offset 0 and a related CLOSE as one compound (MS-SMB2 3.2.4.1.4), where
 * open + write + close would cost three. A tree of small files is mostly
 * round trips.
 *
 * The data rides in the WRITE's body: the engine streams a caller's
 * payload only behind the last element of a compound, and here CLOSE is
 * last. So the bytes are copied once into the message (payload_copied
 * says so); for what this is for (at most one WRITE, 1 MiB) a round trip
 * costs far more than the copy.
 */
#include "mem/access.h"
#include "client/file.h"
#include "proto/rw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>

#define WRITE_FILE_MAX ((size_t)1 << 20)

/* The most one call takes on @c: one WRITE, at most WRITE_FILE_MAX. */
static size_t write_file_max(const struct smbiov_client *c)
{
	size_t m = smb_max_chunk(c, true);

	return m < WRITE_FILE_MAX ? m : WRITE_FILE_MAX;
}

SMBIOV_API ssize_t smbiov_write_file(struct smbiov_client *c, const char *path,
				     int flags, const void *buf, size_t len)
{
	struct smb_create_args a = {.path = path};
	uint8_t body[SMB2_WRITE_REQ_FIXED + 1];
	struct smb2_write_req wq = {.fid = smb_related_fid};
	struct smb2_write_rsp wrsp;
	struct smbiov_iter count;
	struct iovec vec[2];
	struct smb_req wr;
	ssize_t n;
	int ret;

	ret = smb_api_begin(c);
	if (ret)
		return ret;
	ret = smb_open_flags(flags, &a.access, &a.disposition);
	if (!ret && (flags & O_ACCMODE) == O_RDONLY)
		ret = -EINVAL;
	if (ret || !path || (!buf && len))
		return smb_error_set(ret ? ret : -EINVAL, 0, SMBIOV_PHASE_IO,
				     "write_file %s: bad arguments",
				     path ? path : "");
	if (len > write_file_max(c))
		return smb_error_set(-EFBIG, 0, SMBIOV_PHASE_IO,
				     "write_file %s: %zu bytes, one call takes "
				     "at most %zu",
				     path, len, write_file_max(c));
	a.options = SMB2_FILE_NON_DIRECTORY_FILE;
	if (!len) {
		ret = smb_path_op(c, &a, NULL, NULL);
		if (!ret && (flags & O_TRUNC))
			smb_path_changed(c, path, 0, 0, true);
		return ret;
	}

	smbiov_iter_ubuf(&count, SMBIOV_ITER_SOURCE, (void *)buf, len);
	if (mem_user_check(&count))
		return smb_error_set(-EFAULT, 0, SMBIOV_PHASE_IO,
				     "write_file %s: bad buffer", path);
	wq.offset = 0;
	n = smb2_write_req_encode(body, sizeof(body), &wq, &count);
	if (n < 0)
		return smb_error_set((int)n, 0, SMBIOV_PHASE_IO,
				     "write_file %s", path);
	vec[0] = (struct iovec){body, SMB2_WRITE_REQ_FIXED};
	vec[1] = (struct iovec){(void *)buf, len};
	smb_req_init(&wr, SMB2_WRITE);
	wr.body = vec;
	wr.nbody = 2;
	wr.payload_len = len; /* the credit charge, as for any WRITE */

	ret = smb_path_op(c, &a, &wr, NULL);
	if (!ret) {
		atomic_fetch_add(&c->st_payload_sent, len);
		atomic_fetch_add(&c->st_payload_copied, len);
		ret = smb2_write_rsp_decode(wr.rsp, wr.rsp_len, (uint32_t)len,
					    &wrsp);
		if (ret)
			smb_error_set(ret, 0, SMBIOV_PHASE_IO,
				      "WRITE %s: bad reply", path);
		else if (wrsp.count != len)
			ret = smb_error_set(-EIO, 0, SMBIOV_PHASE_IO,
					    "WRITE %s: %u of %zu bytes written",
					    path, wrsp.count, len);
	}
	smb_req_release(&wr);
	if (!ret)
		smb_path_changed(c, path, (flags & O_TRUNC) ? len : 0, len,
				 (flags & O_TRUNC) != 0);
	return ret ? ret : (ssize_t)len;
}
