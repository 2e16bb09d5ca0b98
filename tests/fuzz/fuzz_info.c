// SPDX-License-Identifier: MIT
/*
 * Fuzz the QUERY_INFO response decoder and the MS-FSCC typed decoders (bug
 * classes 4 and 6: FileAll FileNameLength, libsmb2 #457). Input byte 0
 * picks the decoder (low 3 bits) and whether the rest is a whole response
 * element (bit 3) or a bare information buffer. Returned names are read in
 * full so ASan reports any that escape the input.
 */
#include <stddef.h>
#include <stdint.h>

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
	uint32_t len;
	struct smb2_file_basic b;
	struct smb2_file_standard s;
	struct smb2_file_network_open no;
	struct smb2_file_all a;
	struct smb2_fs_full_size fs;
	struct smb2_fs_attribute at;
	struct smb2_fs_volume v;

	if (size < 1)
		return 0;
	if (data[0] & 8) {
		if (smb2_query_info_rsp_decode(data + 1, size - 1, 0xFFFFFFFFu,
					       &p, &len) != 0)
			return 0;
		if (len)
			touch(p, len);
	} else {
		p = data + 1;
		len = (uint32_t)(size - 1);
	}
	(void)smb2_set_info_rsp_decode(data + 1, size - 1);
	switch (data[0] & 7) {
	case 0:
		(void)smb2_file_basic_decode(p, len, &b);
		break;
	case 1:
		(void)smb2_file_standard_decode(p, len, &s);
		break;
	case 2:
		(void)smb2_file_network_open_decode(p, len, &no);
		break;
	case 3:
		if (smb2_file_all_decode(p, len, &a) == 0 && a.name_len)
			touch(a.name, a.name_len);
		break;
	case 4:
		(void)smb2_fs_full_size_decode(p, len, &fs);
		break;
	case 5:
		if (smb2_fs_attribute_decode(p, len, &at) == 0 && at.name_len)
			touch(at.name, at.name_len);
		break;
	default:
		if (smb2_fs_volume_decode(p, len, &v) == 0 && v.label_len)
			touch(v.label, v.label_len);
		break;
	}
	return 0;
}
