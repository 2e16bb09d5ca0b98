// SPDX-License-Identifier: MIT
/*
 * Fuzz the FILE_FULL_EA_INFORMATION chain walker (proto/ea.c): entry
 * bounds, the name's terminator, NextEntryOffset forward only. Input byte
 * 0 bit 0: the rest is a whole QUERY_INFO response element (its output
 * buffer is walked) or a bare information buffer. Names and values are
 * read in full so ASan reports any that escape the input; the walk must
 * end (each step moves forward).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ea.h"
#include "proto/info.h"

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
	const uint8_t *p;
	struct smb2_ea ea;
	size_t pos = 0, last;
	uint32_t len;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (smb2_query_info_rsp_decode(data + 1, size - 1, 0xFFFFFFFFu,
					       &p, &len) != 0)
			return 0;
	} else {
		p = data + 1;
		len = (uint32_t)(size - 1);
	}
	for (;;) {
		last = pos;
		if (smb2_full_ea_next(p, len, &pos, &ea) != 1)
			break;
		if (pos <= last || pos > len || !ea.name_len ||
		    strlen(ea.name) != ea.name_len)
			abort();
		touch((const uint8_t *)ea.name, ea.name_len + 1u);
		if (ea.value_len)
			touch(ea.value, ea.value_len);
	}
	return 0;
}
