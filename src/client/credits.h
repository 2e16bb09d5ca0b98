/* SPDX-License-Identifier: MIT */
/*
 * Credit and MessageId accounting of one connection (MS-SMB2 3.2.4.1.5,
 * 3.2.5.1.4): pure arithmetic, no locks; the engine calls it under its
 * connection lock, unit tests call it directly.
 *
 * Every credit is one MessageId the server allows. A request charged N
 * credits consumes the N consecutive MessageIds starting at its own; the
 * server grants new ones in every response (interim ones included).
 */
#ifndef SMBIOV_CLIENT_CREDITS_H
#define SMBIOV_CLIENT_CREDITS_H

#include <stdbool.h>
#include <stdint.h>

/* One credit pays for 64 KiB of payload (MS-SMB2 3.1.5.2). */
#define SMB_CREDIT_UNIT 65536u
/* Window we try to keep: enough to pipeline many large requests. */
#define SMB_CREDIT_TARGET 512u
/* Most extra credits asked for by one request beyond its charge. */
#define SMB_CREDIT_ASK_MAX 64u

/**
 * struct smb_credits - a connection's credit state
 * @avail: credits granted and not yet spent
 * @in_flight: credits charged to requests still waiting for a final reply
 * @max_in_flight: the largest @in_flight seen (statistics)
 * @target: window size we ask the server to grow to
 * @need: window a request is waiting for (its charge) that we don't hold,
 *	or 0: requests ask for the whole shortfall at once
 * @next_mid: the next unused MessageId
 */
struct smb_credits {
	uint32_t avail;
	uint32_t in_flight;
	uint32_t max_in_flight;
	uint32_t target;
	uint32_t need;
	uint64_t next_mid;
};

/**
 * smb_credits_init - state of a new connection: one credit, MessageId 0
 * @cr: state
 * @target: window to grow to (0: SMB_CREDIT_TARGET)
 */
void smb_credits_init(struct smb_credits *cr, uint32_t target);

/**
 * smb_credits_charge - CreditCharge of a request moving @payload_len bytes
 * @payload_len: larger of request and expected response payload
 * @multi_credit: the connection uses multi-credit requests (dialect > 2.0.2
 *	and SMB2_GLOBAL_CAP_LARGE_MTU)
 *
 * Return: max(1, ceil(@payload_len / 64 KiB)) with @multi_credit, else 1.
 */
uint16_t smb_credits_charge(uint32_t payload_len, bool multi_credit);

/**
 * smb_credits_take - spend @charge credits and MessageIds for one request
 * @cr: state
 * @charge: 1..65535
 * @mid: receives the request's MessageId (the first of @charge)
 *
 * Return: 0; -EAGAIN when fewer than @charge credits are available now
 * but requests in flight will bring more; -ENOBUFS when waiting cannot
 * help (nothing in flight); -EINVAL for @charge 0.
 */
int smb_credits_take(struct smb_credits *cr, uint16_t charge, uint64_t *mid);

/**
 * smb_credits_ask - CreditRequest for a request charged @charge
 * @cr: state (after smb_credits_take())
 * @charge: its charge
 *
 * Asks for the charge back plus part of the shortfall against the target
 * window, so the window grows to @cr->target and then holds steady; and
 * when a request waits for more than is held (@cr->need), for all of that
 * shortfall (MS-SMB2 3.2.4.1.5: a client may ask for credits in any
 * request).
 */
uint16_t smb_credits_ask(const struct smb_credits *cr, uint16_t charge);

/**
 * smb_credits_grant - the server granted @granted credits (any response)
 * @cr: state
 * @granted: CreditResponse of the response
 */
void smb_credits_grant(struct smb_credits *cr, uint16_t granted);

/**
 * smb_credits_done - a request charged @charge received its final reply
 * (or failed)
 * @cr: state
 * @charge: what smb_credits_take() charged
 */
void smb_credits_done(struct smb_credits *cr, uint16_t charge);

#endif
