#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Deterministic seed corpus for the whole-engine target (fuzz_engine.c).

Writes tests/fuzz/corpus/engine/. An input is two configuration bytes and
then the ops of each reply, in the order the peer answers requests (the
format is in fuzz_engine.c's header comment); a reply with no ops of its
own reads one zero byte (OP_PLAIN). The reply numbers below were read off
FUZZ_ENGINE_TRACE=1 runs of the target. With configuration 00 00 the
requests are: 0 NEGOTIATE, 1-2 SESSION_SETUP, 3 TREE_CONNECT, 4 CREATE,
5 WRITE, 6 READ, 7 QUERY_INFO (fstat), 8 CLOSE, 9 TREE_DISCONNECT,
10 LOGOFF; cached opens and compounds (byte 0 bits 5, 6) come after 8,
aio (byte 1 bit 2) after 6. Run from anywhere; output is the same bytes
every time.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "engine")

# enum op (bits 0-3) and enum extra (the parameter of OP_EXTRA)
STATUS, CREDITS, TRUNC, POKE, FLAGS, INTERIM, EXTRA = 1, 2, 3, 4, 5, 6, 7
CLOSE, CLOSE_AFTER, RAW_BODY, RAW_MSG, COUNT, SPLIT, DROP, NBSS = range(8, 16)
EX_DUP, EX_NEXT_MID, EX_FAR_MID, EX_OPLOCK, EX_LEASE = range(5)
EX_UNSOL, EX_INTERIM, EX_TRANSFORM = 5, 6, 7
MORE = 0x80  # another op for the same reply follows


def op(kind, p=0, more=False):
    return bytes([kind | p << 4 | (MORE if more else 0)])


def seed(cfg0, cfg1, ops=None):
    """ops: {reply number: op bytes}; replies in between are plain."""
    ops = ops or {}
    n = max(ops) + 1 if ops else 0
    return bytes([cfg0, cfg1]) + b"".join(ops.get(i, b"\0") for i in range(n))


# status_tab indexes (fuzz_engine.c)
ST_PENDING, ST_NOT_FOUND, ST_SESSION_DELETED = 1, 6, 17

SEEDS = {
    # whole successful sessions
    "plain_311_guest": seed(0x00, 0x00),
    "all_calls_aio_200k": seed(0x60, 0x06),
    "auth_smb21_all": seed(0x6B, 0x05),
    "auth_smb311_tree_unsigned": seed(0x68, 0x00),
    "smb202_oplock_no_mtu": seed(0x64, 0x1A),
    "smb300_raw_ntlm_cached": seed(0x72, 0x02),
    "big_sizes_311": seed(0x60, 0x26),
    # reconnect: the connection closed instead of the READ's reply
    "reconnect_mid_read": seed(0x00, 0x00, {6: op(CLOSE)}),
    # ... a cached file's READ: durable reopen (DH2C) with its lease
    "reconnect_durable": seed(0x20, 0x00, {12: op(CLOSE)}),
    # ... and each new connection closed at its NEGOTIATE until no dial
    # is left: the client fails for good
    "reconnect_fails": seed(0x80, 0x00, {i: op(CLOSE) for i in range(6, 10)}),
    # ... and the next two connections too: the reviver spun forever
    # (finding 4, fixed in 99cc112)
    "reviver_spin": seed(0x80, 0x00, {6: op(CLOSE), 7: op(CLOSE),
                                      8: op(CLOSE)}),
    # ... a compound's CLOSE lost
    "reconnect_compound": seed(0x40, 0x00, {11: op(CLOSE)}),
    # interim replies: an explicit one, and one made by status and flags
    "interim_read": seed(0x00, 0x00, {6: op(INTERIM, 3)}),
    "pending_by_ops": seed(0x00, 0x00, {
        6: op(STATUS, more=True) + bytes([ST_PENDING]) + op(FLAGS) +
        b"\x01"}),
    "create_not_found": seed(0x00, 0x00,
                             {4: op(STATUS) + bytes([ST_NOT_FOUND])}),
    "credits_zero": seed(0x00, 0x02, {5: op(CREDITS) + b"\0",
                                      6: op(CREDITS) + b"\0"}),
    "short_read": seed(0x00, 0x00, {6: op(COUNT) + b"\x64\0\0"}),
    "read_length_lies": seed(0x00, 0x00, {6: op(COUNT, 1) + b"\xff\xff\0"}),
    "lease_break": seed(0x20, 0x00, {9: op(EXTRA, EX_LEASE) + b"\x01"}),
    "oplock_break_smb202": seed(0x24, 0x00,
                                {9: op(EXTRA, EX_OPLOCK) + b"\x01"}),
    "compound_split": seed(0x40, 0x00, {9: op(SPLIT)}),
    "truncated_read": seed(0x00, 0x00, {6: op(TRUNC) + b"\x46\0"}),
    "raw_create_body": seed(0x00, 0x00, {
        4: op(RAW_BODY) + b"\x10\0" + struct.pack("<HBBI", 89, 0, 0, 1) +
        b"\xff" * 8}),
    "raw_read_msg": seed(0x00, 0x00, {
        6: op(RAW_MSG) + b"\x50\0" + b"\xfeSMB" + struct.pack(
            "<HHIHHI", 64, 1, 0, 8, 1, 1) + b"\0" * 60 + b"\x11\0\x50\0" +
        b"\x08\0\0\0"}),
    "extras_mids": seed(0x00, 0x00, {4: op(EXTRA, EX_DUP),
                                     5: op(EXTRA, EX_NEXT_MID),
                                     6: op(EXTRA, EX_FAR_MID),
                                     7: op(EXTRA, EX_UNSOL)}),
    "extra_interim_next": seed(0x00, 0x00, {5: op(EXTRA, EX_INTERIM)}),
    "extra_transform": seed(0x00, 0x00, {5: op(EXTRA, EX_TRANSFORM)}),
    "nbss_short": seed(0x00, 0x00, {6: op(NBSS) + b"\xfc"}),
    "poke_negotiate": seed(0x00, 0x00, {
        0: op(POKE, 2) + b"\x44\0" + b"\x02\x03\0\0\0\0\0\0"}),
    "flags_signed_guest": seed(0x00, 0x00, {4: op(FLAGS) + b"\x04"}),
    # no reply at all: the request times out (200 ms), then reconnect
    "dropped_reply": seed(0x00, 0x00, {7: op(DROP, 7)}),
    # What the target found (engine-findings/README), fixed since and
    # replayed as regression checks.
    # 1: a WRITE piece answered STATUS_USER_SESSION_DELETED waits forever
    "enetreset_status_hang": seed(0x00, 0x00, {
        5: op(STATUS) + bytes([ST_SESSION_DELETED])}),
    # 1: the cached open's first READ (the page cache's) answered so:
    # smbiov_disconnect() waits forever for the file's mapping
    "enetreset_cache_hang": seed(0x20, 0x00, {
        11: op(STATUS) + bytes([ST_SESSION_DELETED])}),
    # 2: a READ piece's connection closed, the reconnect's NEGOTIATE
    # answered with garbage: the body copy of a piece leaks (sometimes)
    "submit_body_copy_leak": bytes([0x00, 0xC9]) + b"\0" * 7 + b"\x08" +
    b"\x0a" * 79,
    # 3: an aio WRITE piece dropped (timeout), resent by the reviver:
    # use-after-free of the operation's bvec array (about 1 run in 10)
    "reviver_resend_uaf": bytes([0xF7, 0xFF, 0, 0, 0x66, 0, 0, 0, 0, 0x7E]),
}


def write_dir(path, files):
    os.makedirs(path, exist_ok=True)
    for name, data in sorted(files.items()):
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
    print(f"{len(files)} inputs in {os.path.relpath(path)}")


def main():
    write_dir(OUT, SEEDS)


if __name__ == "__main__":
    main()
