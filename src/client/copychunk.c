// SPDX-License-Identifier: MIT
/*
 * Server-side copy (MS-SMB2 3.2.4.20.2): the source's ResumeKey
 * (FSCTL_SRV_REQUEST_RESUME_KEY), then FSCTL_SRV_COPYCHUNK_WRITE on the
 * destination with a list of chunks. The server reads and writes; the
 * bytes never cross the network.
 */
#include "client/file.h"
#include "client/sparse.h"
#include "proto/ioctl.h"
#include "proto/ntstatus.h"

#include <errno.h>

/*
 * What a request asks at most, MS-SMB2 3.3.3's defaults for a server
 * (ServerSideCopyMaxNumberofChunks 256, MaxChunkSize 1 MiB, MaxDataSize
 * 16 MiB; Samba's too): 16 chunks of 1 MiB fill 16 MiB.
 */
#define CC_CHUNK  ((uint32_t)1 << 20)
#define CC_CHUNKS 16u
#define CC_TOTAL  ((uint32_t)16 << 20)

/* The limits of one request; a server may say lower ones. */
struct cc_limits {
	uint32_t chunk, chunks, total;
};

/* SRV_REQUEST_RESUME_KEY output: the key, a context length, a context */
#define RESUME_KEY_OUT 32u

/* The error of a refused FSCTL @what: -EOPNOTSUPP where there is none. */
static int fsctl_err(const struct smb_req *r, const char *what)
{
	if (r->status == STATUS_NOT_SUPPORTED ||
	    r->status == STATUS_INVALID_DEVICE_REQUEST)
		return smb_error_set(-EOPNOTSUPP, r->status, SMBIOV_PHASE_IO,
				     "copy: the server has no server-side "
				     "copy");
	return smb_req_status_err(r, what);
}

static int resume_key(struct smbiov_file *src,
		      uint8_t key[SMB2_RESUME_KEY_SIZE])
{
	struct smb2_ioctl_rsp rsp;
	struct smb_req r;
	int ret = smb_fsctl(src, &r, FSCTL_SRV_REQUEST_RESUME_KEY, NULL, 0,
			    RESUME_KEY_OUT);

	if (ret) {
		ret = fsctl_err(&r, "FSCTL_SRV_REQUEST_RESUME_KEY");
		smb_req_release(&r);
		return ret;
	}
	ret = smb2_ioctl_rsp_decode(r.rsp, r.rsp_len, RESUME_KEY_OUT, &rsp);
	if (!ret)
		ret = smb2_resume_key_rsp_decode(rsp.output, rsp.output_len,
						 key);
	smb_req_release(&r);
	if (ret)
		return smb_error_set(-EBADMSG, 0, SMBIOV_PHASE_IO,
				     "copy: bad resume key answer");
	return 0;
}

/*
 * Chunks for [@soff, @soff + @len) to @doff within @lim, into @c;
 * their count, their bytes in *@total.
 */
static uint32_t plan(const struct cc_limits *lim, uint64_t soff, uint64_t doff,
		     uint64_t len, struct smb2_copychunk *c, uint32_t *total)
{
	uint32_t n = 0;

	*total = 0;
	while (n < lim->chunks && len && *total < lim->total) {
		uint64_t l = len;

		if (l > lim->chunk)
			l = lim->chunk;
		if (l > lim->total - *total)
			l = lim->total - *total;
		c[n].source_offset = soff;
		c[n].target_offset = doff;
		c[n].length = (uint32_t)l;
		n++;
		soff += l;
		doff += l;
		len -= l;
		*total += (uint32_t)l;
	}
	return n;
}

/*
 * STATUS_INVALID_PARAMETER with an SRV_COPYCHUNK_RESPONSE: the server's
 * limits (3.3.5.15.6), taken where lower than @lim and not zero. True
 * when they let a request go on that the last one did not fit.
 */
static bool take_limits(const struct smb_req *r, struct cc_limits *lim)
{
	struct smb2_copychunk_rsp cr;
	struct smb2_ioctl_rsp rsp;
	struct cc_limits old = *lim;

	if (!r->rsp ||
	    smb2_ioctl_rsp_decode(r->rsp, r->rsp_len, SMB2_COPYCHUNK_RSP_SIZE,
				  &rsp) ||
	    smb2_copychunk_rsp_decode(rsp.output, rsp.output_len, &cr) ||
	    !cr.chunks_written || !cr.chunk_bytes_written ||
	    !cr.total_bytes_written)
		return false;
	if (cr.chunks_written < lim->chunks)
		lim->chunks = cr.chunks_written;
	if (cr.chunk_bytes_written < lim->chunk)
		lim->chunk = cr.chunk_bytes_written;
	if (cr.total_bytes_written < lim->total)
		lim->total = cr.total_bytes_written;
	return lim->chunks != old.chunks || lim->chunk != old.chunk ||
	       lim->total != old.total;
}

/*
 * One request: the bytes it copied (at most @total), or a negative
 * errno; -EAGAIN: the server named lower limits, now in @lim.
 */
static ssize_t copy_once(struct smbiov_file *dst, const uint8_t *key,
			 const struct smb2_copychunk *c, uint32_t n,
			 uint32_t total, struct cc_limits *lim)
{
	uint8_t in[SMB2_COPYCHUNK_REQ_FIXED +
		   CC_CHUNKS * SMB2_COPYCHUNK_ENTRY_SIZE];
	struct smb2_copychunk_rsp cr;
	struct smb2_ioctl_rsp rsp;
	struct smb_req r;
	ssize_t len = smb2_copychunk_req_encode(in, sizeof(in), key, c, n);
	int ret;

	if (len < 0)
		return smb_error_set((int)len, 0, SMBIOV_PHASE_IO,
				     "copy: cannot encode");
	ret = smb_fsctl(dst, &r, FSCTL_SRV_COPYCHUNK_WRITE, in, (size_t)len,
			SMB2_COPYCHUNK_RSP_SIZE);
	if (ret && r.status == STATUS_INVALID_PARAMETER &&
	    take_limits(&r, lim)) {
		smb_req_release(&r);
		return -EAGAIN;
	}
	if (ret) {
		ret = fsctl_err(&r, "FSCTL_SRV_COPYCHUNK_WRITE");
		smb_req_release(&r);
		return ret;
	}
	ret = smb2_ioctl_rsp_decode(r.rsp, r.rsp_len, SMB2_COPYCHUNK_RSP_SIZE,
				    &rsp);
	if (!ret)
		ret = smb2_copychunk_rsp_decode(rsp.output, rsp.output_len,
						&cr);
	smb_req_release(&r);
	if (ret)
		return smb_error_set(-EBADMSG, 0, SMBIOV_PHASE_IO,
				     "copy: bad answer");
	if (cr.total_bytes_written > total || cr.chunks_written > n)
		return smb_error_set(-EPROTO, 0, SMBIOV_PHASE_IO,
				     "copy: the server claims %u bytes of %u",
				     cr.total_bytes_written, total);
	return cr.total_bytes_written;
}

ssize_t smb_copy_chunks(struct smbiov_file *src, uint64_t soff,
			struct smbiov_file *dst, uint64_t doff, uint64_t len)
{
	struct cc_limits lim = {CC_CHUNK, CC_CHUNKS, CC_TOTAL};
	struct smb2_copychunk c[CC_CHUNKS];
	uint8_t key[SMB2_RESUME_KEY_SIZE];
	uint64_t done = 0;
	int ret = resume_key(src, key);

	if (ret)
		return ret;
	/* a CLOSE or the deferred close stamps its write time (file.h) */
	atomic_store(&dst->wrote, true);
	while (done < len) {
		uint32_t total, n = plan(&lim, soff + done, doff + done,
					 len - done, c, &total);
		ssize_t got = copy_once(dst, key, c, n, total, &lim);

		if (got == -EAGAIN)
			continue; /* lower limits: each retry lowers one */
		if (got < 0)
			return done ? (ssize_t)done : got;
		done += (uint64_t)got;
		if ((uint32_t)got < total || !got)
			break;
	}
	return (ssize_t)done;
}
