#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora for fuzz_sparse (FSCTL_QUERY_ALLOCATED_RANGES
replies) and fuzz_ea (FILE_FULL_EA_INFORMATION chains): valid replies laid
out from MS-FSCC 2.3.46 / 2.4.15 and MS-SMB2 2.2.32 / 2.2.38, and one
malformed variant per check the decoders make.

Usage: gen_corpus_sparse_ea.py [corpus-dir]   (default: ./corpus next to it)
"""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus")
I64 = (1 << 63) - 1


def hdr(cmd, status=0):
    return (b"\xfeSMB" + struct.pack("<HHIHHII", 64, 1, status, cmd, 1, 1, 0) +
            struct.pack("<QII", 1, 0, 1) + struct.pack("<Q", 0x10) +
            bytes(16))


def ioctl_rsp(out, status=0, ooff=None):
    ooff = 112 if ooff is None else ooff
    body = struct.pack("<HHIQQIIIIII", 49, 0, 0x000940CF, 5, 6, 112, 0,
                       ooff if out else 0, len(out), 0, 0)
    return hdr(11, status) + body + out


def qi_rsp(out, status=0, ooff=72):
    return hdr(16, status) + struct.pack("<HHI", 9, ooff, len(out)) + out


def ranges(*rs):
    return b"".join(struct.pack("<QQ", o, n) for o, n in rs)


def ea(name, value, nxt=0, flags=0, nlen=None, vlen=None, term=b"\0"):
    nlen = len(name) if nlen is None else nlen
    vlen = len(value) if vlen is None else vlen
    return struct.pack("<IBBH", nxt, flags, nlen, vlen) + name + term + value


def chain(*entries):
    out = b""
    for i, e in enumerate(entries):
        if i != len(entries) - 1:
            e = e + bytes(-len(e) % 4)
            e = struct.pack("<I", len(e)) + e[4:]
        out += e
    return out


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    S = "sparse"
    good = ranges((0, 4096), (8192, 4096), (1 << 20, 65536))
    write(S, "rsp_three", b"\x01\x08" + ioctl_rsp(good))
    write(S, "rsp_overflow", b"\x01\x01" + ioctl_rsp(good, 0x80000005))
    write(S, "rsp_empty", b"\x01\x04" + ioctl_rsp(b""))
    write(S, "bare_three", b"\x00\x02" + good)
    write(S, "bare_max", b"\x00\x01" + ranges((0, I64)))
    write(S, "bad_partial", b"\x00\x02" + good[:-1])
    write(S, "bad_zero_len", b"\x00\x02" + ranges((0, 0)))
    write(S, "bad_offset_sign", b"\x00\x02" + ranges((1 << 63, 1)))
    write(S, "bad_sum", b"\x00\x02" + ranges((I64, 1)))
    write(S, "bad_descending", b"\x00\x02" + ranges((8192, 1), (0, 1)))
    write(S, "bad_overlap", b"\x00\x02" + ranges((0, 8192), (4096, 1)))
    write(S, "bad_repeat", b"\x00\x02" + ranges((0, 4096), (0, 4096)))
    write(S, "rsp_output_past", b"\x01\x02" +
          ioctl_rsp(good)[:-8])

    E = "ea"
    c = chain(ea(b"foo", b"bar"), ea(b"Big", b"v" * 300), ea(b"e", b""))
    write(E, "rsp_chain", b"\x01" + qi_rsp(c))
    write(E, "rsp_overflow", b"\x01" + qi_rsp(c, 0x80000005))
    write(E, "bare_chain", b"\x00" + c)
    write(E, "bare_one_max", b"\x00" + ea(b"n" * 255, b"v" * 1000))
    write(E, "bad_value_past", b"\x00" + ea(b"abc", b"xyz", vlen=4))
    write(E, "bad_no_nul", b"\x00" + ea(b"abc", b"xyz", term=b"Q"))
    write(E, "bad_nul_in_name", b"\x00" + ea(b"a\0c", b"xyz"))
    write(E, "bad_next_inside", b"\x00" + ea(b"abc", b"xyz", nxt=4) +
          bytes(16))
    write(E, "bad_next_past", b"\x00" + ea(b"abc", b"xyz", nxt=0xFFFFFFF0))
    write(E, "bad_next_no_room", b"\x00" + ea(b"abc", b"xyzw", nxt=16) +
          bytes(4))
    write(E, "bad_name_len_0", b"\x00" + ea(b"", b"xyz"))
    write(E, "bad_short", b"\x00" + b"\0\0\0\0\0")


if __name__ == "__main__":
    main()
