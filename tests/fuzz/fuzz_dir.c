// SPDX-License-Identifier: MIT
/*
 * Fuzz the QUERY_DIRECTORY response decoder and the entry walker (bug
 * classes 4, 5 and 6). Input byte 0 picks the class (bit 0: IdBoth or
 * IdFull) and the mode (bit 1: bare entry buffer, or a whole response
 * element whose OutputBuffer is walked). Names are read in full so ASan
 * reports any pointer that escapes the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s ^= p[i];
	sink = s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_dir_iter it;
	struct smb2_dirent e;
	const uint8_t *buf;
	uint32_t blen;
	uint8_t cls;
	unsigned int n = 0;

	if (size < 1)
		return 0;
	cls = (data[0] & 1) ? FSCC_FILE_ID_FULL_DIRECTORY_INFORMATION
			    : FSCC_FILE_ID_BOTH_DIRECTORY_INFORMATION;
	if (data[0] & 2) {
		if (smb2_query_dir_rsp_decode(data + 1, size - 1, 0xFFFFFFFFu,
					      &buf, &blen) != 0)
			return 0;
	} else {
		buf = data + 1;
		blen = (uint32_t)(size - 1);
	}
	if (smb2_dir_iter_init(&it, cls, buf, blen) != 0)
		return 0;
	while (smb2_dir_next(&it, &e) == 1) {
		touch(e.name, e.name_len);
		if (e.short_name_len)
			touch(e.short_name, e.short_name_len);
		n++;
	}
	sink = (uint8_t)n;
	return 0;
}
