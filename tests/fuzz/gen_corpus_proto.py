#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the deterministic seed corpora for fuzz_header, fuzz_negotiate and
fuzz_session: a few valid messages (laid out from MS-SMB2 2.2.x) and one
malformed variant per bug class the decoders check.

Usage: gen_corpus_proto.py [corpus-dir]   (default: ./corpus next to it)
"""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus")


def hdr(cmd, status=0, flags=1, next_cmd=0, mid=1, tree=1, sess=0x10,
        async_id=None):
    if async_id is not None:
        flags |= 2
        tail = struct.pack("<Q", async_id)
    else:
        tail = struct.pack("<II", 0, tree)
    return (b"\xfeSMB" + struct.pack("<HHIHHII", 64, 1, status, cmd, 1,
                                     flags, next_cmd) +
            struct.pack("<Q", mid) + tail + struct.pack("<Q", sess) +
            bytes(range(16)))


def nbss(msg):
    return struct.pack(">I", len(msg)) + msg


def pad8(b):
    return b + bytes(-len(b) % 8)


def error_rsp(data=b"", count=0, status=0xC0000022):
    body = struct.pack("<HBBI", 9, count, 0, len(data)) + (data or b"\0")
    return hdr(5, status=status) + body


def echo_rsp(next_cmd=0):
    return hdr(13, next_cmd=next_cmd) + struct.pack("<HH", 4, 0)


def ctx(ctype, data):
    return struct.pack("<HHI", ctype, len(data), 0) + data


def neg_rsp(dialect=0x0311, contexts=None, sec=b"`\x06\x06+\x06\x01\x05",
            ctx_off=None, count=None):
    contexts = [] if contexts is None else contexts
    fixed_end = 128
    blob = sec
    cstart = (fixed_end + len(blob) + 7) & ~7
    clist = b""
    for c in contexts:
        clist = pad8(clist) + c
    if ctx_off is None:
        ctx_off = cstart if contexts else 0
    if count is None:
        count = len(contexts)
    body = struct.pack("<HHHH", 65, 1, dialect, count) + bytes(range(16))
    body += struct.pack("<IIIIQQHHI", 0x7F, 1 << 23, 1 << 23, 1 << 23, 1, 0,
                        fixed_end if blob else 0, len(blob), ctx_off)
    msg = hdr(0) + body + blob
    if contexts:
        msg = msg + bytes(cstart - len(msg)) + clist
    return msg


PREAUTH = ctx(1, struct.pack("<HHH", 1, 32, 1) + bytes(range(32)))
ENC = ctx(2, struct.pack("<HH", 1, 2))
SIGN = ctx(8, struct.pack("<HH", 1, 1))


def neg_req(dialects, contexts):
    fixed = struct.pack("<HHHHI", 36, len(dialects), 1, 0, 0x44)
    fixed += bytes(range(16))
    dl = b"".join(struct.pack("<H", d) for d in dialects)
    start = 64 + 36 + len(dl)
    cstart = (start + 7) & ~7 if contexts else 0
    fixed += struct.pack("<IHH", cstart, len(contexts), 0)
    msg = hdr(0, flags=0) + fixed + dl
    if contexts:
        clist = b""
        for c in contexts:
            clist = pad8(clist) + c
        msg += bytes(cstart - len(msg)) + clist
    return msg


def ss_rsp(blob=b"NTLMSSP\0\2\0\0\0", off=72, length=None, flags=0):
    length = len(blob) if length is None else length
    return (hdr(1, status=0xC0000016) +
            struct.pack("<HHHH", 9, flags, off, length) + blob)


def ss_req(blob=b"NTLMSSP\0\1\0\0\0"):
    return (hdr(1, flags=0) +
            struct.pack("<HBBIIHHQ", 25, 0, 1, 1, 0, 88, len(blob), 0) +
            blob)


def tc_req(path="\\\\server\\share", off=72, raw=None):
    p = path.encode("utf-16-le") if raw is None else raw
    return hdr(3, flags=0) + struct.pack("<HHHH", 9, 0, off, len(p)) + p


def tc_rsp(share_type=1):
    return hdr(3) + struct.pack("<HBBIII", 16, share_type, 0, 0x8030, 0x10,
                                0x1F01FF)


def write(sub, name, data):
    d = os.path.join(OUT, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    # ---- header / framing / compound / error ----
    e1 = pad8(echo_rsp(next_cmd=72))
    e1 = e1[:20] + struct.pack("<I", len(e1)) + e1[24:]
    chain = e1 + error_rsp()
    write("header", "echo_sync", echo_rsp())
    write("header", "nbss_echo", nbss(echo_rsp()))
    write("header", "async_pending",
          hdr(8, status=0x103, async_id=0x1234) + struct.pack("<HBBI", 9, 0,
                                                              0, 0) + b"\0")
    write("header", "compound_2", chain)
    write("header", "error_plain", error_rsp(struct.pack("<I", 4096),
                                             status=0xC0000023))
    ectx = pad8(struct.pack("<II", 4, 0) + b"abcd") + \
        struct.pack("<II", 2, 0x72645253) + b"xy"
    write("header", "error_ctx2", error_rsp(ectx, 2))
    write("header", "bad_nbss_short", struct.pack(">I", 63) + echo_rsp())
    write("header", "bad_nbss_type", b"\x85\0\0\x44" + echo_rsp())
    bad = bytearray(chain)
    struct.pack_into("<I", bad, 20, 68)
    write("header", "bad_chain_unaligned", bytes(bad))
    struct.pack_into("<I", bad, 20, 8)
    write("header", "bad_chain_loop", bytes(bad))
    struct.pack_into("<I", bad, 20, 0xFFFFFFB8)
    write("header", "bad_chain_back", bytes(bad))
    struct.pack_into("<I", bad, 20, len(chain) + 64)
    write("header", "bad_chain_past_end", bytes(bad))
    flood = b""
    for _ in range(70):
        flood += hdr(18, next_cmd=64)[:64]
    write("header", "bad_chain_flood", flood + echo_rsp())
    bad = bytearray(error_rsp(ectx, 2))
    struct.pack_into("<I", bad, 68, 0xFFFFFFFF)
    write("header", "bad_error_bytecount", bytes(bad))
    write("header", "bad_error_ctxcount", error_rsp(ectx, 9))
    write("header", "bad_truncated_hdr", echo_rsp()[:40])

    # ---- negotiate ----
    write("negotiate", "rsp_302", neg_rsp(0x0302))
    write("negotiate", "rsp_311", neg_rsp(0x0311, [PREAUTH, ENC, SIGN]))
    write("negotiate", "rsp_311_unknown",
          neg_rsp(0x0311, [PREAUTH, ctx(0x100, b""), ctx(5, b"s\0r\0v\0"),
                           ENC]))
    write("negotiate", "req_all",
          neg_req([0x202, 0x210, 0x300, 0x302, 0x311],
                  [PREAUTH, ctx(2, struct.pack("<HHHHH", 4, 4, 2, 3, 1)),
                   ctx(8, struct.pack("<HHHH", 3, 2, 1, 0))]))
    write("negotiate", "req_21", neg_req([0x202, 0x210], []))
    write("negotiate", "bad_ctx_count",
          neg_rsp(0x0311, [PREAUTH, ENC], count=50))
    write("negotiate", "bad_ctx_off_unaligned",
          neg_rsp(0x0311, [PREAUTH], ctx_off=140))
    write("negotiate", "bad_ctx_off_fixed",
          neg_rsp(0x0311, [PREAUTH], ctx_off=64))
    write("negotiate", "bad_ctx_datalen",
          neg_rsp(0x0311, [PREAUTH, struct.pack("<HHI", 2, 0xFFFF, 0)]))
    write("negotiate", "bad_ctx_zero_len",
          neg_rsp(0x0311, [ctx(1, b""), ENC]))
    write("negotiate", "bad_hash_count",
          neg_rsp(0x0311, [ctx(1, struct.pack("<HHH", 0x7FFF, 0, 1))]))
    write("negotiate", "bad_salt_len",
          neg_rsp(0x0311, [ctx(1, struct.pack("<HHH", 1, 0xFFFF, 1))]))
    write("negotiate", "bad_cipher_count",
          neg_rsp(0x0311, [PREAUTH, ctx(2, struct.pack("<HH", 9, 2))]))
    write("negotiate", "bad_dup_preauth", neg_rsp(0x0311, [PREAUTH, PREAUTH]))
    bad = bytearray(neg_rsp(0x0302))
    struct.pack_into("<HH", bad, 120, 0xFFF0, 0x0100)
    write("negotiate", "bad_secbuf", bytes(bad))
    write("negotiate", "bad_wildcard", neg_rsp(0x02FF))
    write("negotiate", "bad_truncated", neg_rsp(0x0311, [PREAUTH])[:150])

    # ---- session setup / tree connect ----
    write("session", "ss_rsp", ss_rsp())
    write("session", "ss_rsp_empty", ss_rsp(b"", off=0))
    write("session", "ss_req", ss_req())
    write("session", "tc_req", tc_req())
    write("session", "tc_req_astral", tc_req("\\\\srv\\\U0001F600"))
    write("session", "tc_rsp", tc_rsp())
    write("session", "tc_rsp_pipe", tc_rsp(2))
    write("session", "bad_ss_off_fixed", ss_rsp(off=64))
    write("session", "bad_ss_len_past", ss_rsp(length=0xFFFF))
    write("session", "bad_tc_odd", tc_req(raw=b"\\\0\\\0s"))
    write("session", "bad_tc_lone_surrogate", tc_req(raw=b"\\\0\x00\xd8"))
    write("session", "bad_tc_off", tc_req(off=0xFFF0))
    write("session", "bad_tc_share_type", tc_rsp(9))
    write("session", "utf8_overlong", b"\xc0\xaf..\xe0\x80\xaf")


if __name__ == "__main__":
    main()
