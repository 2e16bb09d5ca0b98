// SPDX-License-Identifier: MIT
/*
 * Hard links: smbiov_link() is one compound CREATE(@oldpath) + SET_INFO
 * FileLinkInformation (MS-FSCC 2.4.21.2; MS-SMB2 3.2.4.18) naming
 * @newpath + CLOSE, rename's path (meta.c smb_path_set_name) with the
 * link class. The open asks only to read attributes, as the Linux cifs
 * client does for a hard link: the server checks what making a name in
 * the new directory needs.
 */
#include "client/file.h"
#include "proto/info.h"

#include <errno.h>

SMBIOV_API int smbiov_link(struct smbiov_client *c, const char *oldpath,
			   const char *newpath)
{
	int ret = smb_api_begin(c);

	if (ret)
		return ret;
	if (!oldpath || !newpath)
		return smb_error_set(-EINVAL, 0, SMBIOV_PHASE_IO,
				     "link: no path");
	return smb_path_set_name(
		c, oldpath, SMB_FILE_READ_ATTRIBUTES | SMB_SYNCHRONIZE,
		FSCC_FILE_LINK_INFORMATION, newpath, false, "link");
}
