/* SPDX-License-Identifier: MIT */
/* --stats: what the connection negotiated and what it moved. */
#include <stdio.h>

#include "cli.h"

const char *cli_dialect_name(uint16_t dialect)
{
	switch (dialect) {
	case SMBIOV_DIALECT_202:
		return "2.0.2";
	case SMBIOV_DIALECT_210:
		return "2.1";
	case SMBIOV_DIALECT_300:
		return "3.0";
	case SMBIOV_DIALECT_302:
		return "3.0.2";
	case SMBIOV_DIALECT_311:
		return "3.1.1";
	}
	return "unknown";
}

/* MS-SMB2 2.2.3.1.2 */
const char *cli_cipher_name(uint16_t cipher)
{
	switch (cipher) {
	case 0:
		return "none";
	case 1:
		return "AES-128-CCM";
	case 2:
		return "AES-128-GCM";
	case 3:
		return "AES-256-CCM";
	case 4:
		return "AES-256-GCM";
	}
	return "unknown";
}

/* MS-SMB2 2.2.3.1.7 */
const char *cli_signing_name(uint16_t alg)
{
	switch (alg) {
	case 0:
		return "HMAC-SHA256";
	case 1:
		return "AES-CMAC";
	case 2:
		return "AES-GMAC";
	}
	return "unknown";
}

/* label column, then the value */
#define STATS_STR "%-25s%s\n"
#define STATS_NUM "%-25s%llu%s\n"

void cli_stats_line(FILE *f, const char *label, unsigned long long n,
		    const char *unit)
{
	fprintf(f, STATS_NUM, label, n, unit);
}

void cli_stats_print(FILE *f, const char *target,
		     const struct smbiov_conn_info *ci,
		     const struct smbiov_stats *st)
{
	fprintf(f, "stats for %s:\n", target);
	fprintf(f, STATS_STR, "  dialect", cli_dialect_name(ci->dialect));
	fprintf(f, STATS_STR, "  encryption",
		ci->encrypted ? cli_cipher_name(ci->cipher) : "none");
	fprintf(f, STATS_STR, "  signing",
		ci->signing ? cli_signing_name(ci->signing_alg) : "none");
	if (ci->rtt_us)
		fprintf(f, "%-25s%.3f ms\n", "  round trip",
			ci->rtt_us / 1000.0);
	else
		fprintf(f, STATS_STR, "  round trip", "unknown");
	fprintf(f, STATS_NUM, "  requests sent",
		(unsigned long long)st->requests, "");
	fprintf(f, STATS_NUM, "  messages sent",
		(unsigned long long)st->messages, " (a compound is one)");
	fprintf(f, STATS_NUM, "  max credits in flight",
		(unsigned long long)st->max_credits_in_flight, "");
	fprintf(f, STATS_NUM, "  payload sent",
		(unsigned long long)st->payload_sent, " bytes");
	fprintf(f, STATS_NUM, "  payload received",
		(unsigned long long)st->payload_received, " bytes");
	fprintf(f, STATS_NUM, "  payload copied",
		(unsigned long long)st->payload_copied,
		" bytes (in user space)");
	fprintf(f, STATS_NUM, "  payload spliced",
		(unsigned long long)st->payload_spliced,
		" bytes (socket <-> local file in the kernel)");
	fprintf(f, STATS_NUM, "  reconnects",
		(unsigned long long)st->reconnects, "");
	fprintf(f, STATS_NUM, "  requests replayed",
		(unsigned long long)st->replayed, " (sent again after one)");
	fprintf(f, STATS_NUM, "  handles reopened",
		(unsigned long long)st->handles_reopened, "");
	fprintf(f, STATS_NUM, "  handles lost",
		(unsigned long long)st->handles_lost,
		" (calls on them: ESTALE)");
}
