#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Deterministic seed corpus for the file-operation decoders.

Writes tests/fuzz/corpus/{create,read,dir,info,ioctl}/: a few valid
responses and one seed per malformed-reply class the decoders check
(shared/reference/users-and-bug-classes.md section 5, classes 4, 5, 6, 12).
Layouts follow MS-SMB2 2.2.14, 2.2.20, 2.2.32, 2.2.34, 2.2.38 and MS-FSCC
2.4.2, 2.4.17, 2.4.18, 2.5.1, 2.5.9. Run from anywhere; output is the same
bytes every time.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def hdr(cmd, status=0):
    """64-byte sync SMB2 response header (MS-SMB2 2.2.1.2)."""
    return (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 1, status, cmd, 1,
                                     1, 0, 7, 0, 1, 0x11) + b"\0" * 16)


def u16(s):
    return s.encode("utf-16-le")


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def write(sub, name, data):
    d = os.path.join(CORPUS, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- create ---------------------------------------------------------------

def ctx(name, data, last=False, next_override=None):
    """One create context (MS-SMB2 2.2.13.2), padded to 8 unless last."""
    doff = (16 + len(name) + 7) & ~7 if data else 0
    body = bytearray(16 + len(name))
    body[16:] = name
    if data:
        body += b"\0" * (doff - len(body)) + data
    length = len(body) if last else (len(body) + 7) & ~7
    nxt = 0 if last else length
    if next_override is not None:
        nxt = next_override
    struct.pack_into("<IHHHHI", body, 0, nxt, 16, len(name), 0, doff,
                     len(data))
    return bytes(body) + b"\0" * (length - len(body))


def chain(items):
    out = b""
    for i, (n, d) in enumerate(items):
        out += ctx(n, d, last=(i == len(items) - 1))
    return out


def create_rsp(contexts, off=None, clen=None):
    fixed = struct.pack("<HBBIQQQQQQII QQ II", 89, 0xFF, 0, 1, 1, 2, 3, 4,
                        4096, 1234, 0x20, 0, 0x1111, 0x2222,
                        64 + 88 if contexts else 0, len(contexts))
    fixed = bytearray(fixed)
    if off is not None:
        struct.pack_into("<I", fixed, 80, off)
    if clen is not None:
        struct.pack_into("<I", fixed, 84, clen)
    return hdr(5) + bytes(fixed) + contexts


def gen_create():
    lease_v2 = bytes(range(16)) + struct.pack("<IIQ", 7, 0, 0) + \
        b"\x5a" * 16 + struct.pack("<HH", 3, 0)
    full = chain([(b"DH2Q", struct.pack("<II", 60000, 2)),
                  (b"RqLs", lease_v2),
                  (b"MxAc", struct.pack("<II", 0, 0x1F01FF)),
                  (b"QFid", struct.pack("<QQ", 0xABCDEF, 0x42) + b"\0" * 16)])
    write("create", "valid_all_contexts", create_rsp(full))
    write("create", "valid_no_contexts", create_rsp(b""))
    lease_v1 = bytes(range(16)) + struct.pack("<IIQ", 1, 0, 0)
    write("create", "valid_lease_v1", create_rsp(chain([(b"RqLs", lease_v1)])))
    write("create", "ctx_offset_in_fixed", create_rsp(full, off=64 + 80))
    write("create", "ctx_len_past_end", create_rsp(full, clen=len(full) + 8))
    write("create", "ctx_offset_wrap", create_rsp(full, off=0xFFFFFFF8,
                                                  clen=0x10))
    bad = ctx(b"MxAc", b"\0" * 8, next_override=20) + ctx(b"QFid", b"", True)
    write("create", "next_unaligned", create_rsp(bad))
    bad = ctx(b"MxAc", b"\0" * 8, next_override=8) + ctx(b"QFid", b"", True)
    write("create", "next_backwards_into_self", create_rsp(bad))
    bad = ctx(b"MxAc", b"\0" * 8, next_override=0x1000)
    write("create", "next_past_chain", create_rsp(bad))
    c = bytearray(ctx(b"MxAc", b"\0" * 8, True))
    struct.pack_into("<I", c, 12, 0xFFFFFFFF)
    write("create", "data_len_wrap", create_rsp(bytes(c)))
    c = bytearray(ctx(b"MxAc", b"\0" * 8, True))
    struct.pack_into("<HH", c, 4, 0xFFF0, 0x20)
    write("create", "name_past_ctx", create_rsp(bytes(c)))
    c = bytearray(ctx(b"RqLs", lease_v2[:40], True))
    write("create", "lease_bad_size", create_rsp(bytes(c)))
    write("create", "truncated_fixed", create_rsp(full)[:100])
    close = hdr(6) + struct.pack("<HHIQQQQQQI", 60, 1, 0, 1, 2, 3, 4, 8192,
                                 5000, 0x80)
    write("create", "close_valid", close)


# ---- read -----------------------------------------------------------------

def read_rsp(requested, off, dlen, frame_extra=b"", payload=None):
    body = struct.pack("<HBBIII", 17, off, 0, dlen, 0, 0)
    if payload is None:
        payload = bytes((i * 7) & 0xFF for i in range(dlen))
    pad = b"\0" * max(0, off - 80)
    return struct.pack("<I", requested) + hdr(8) + body + pad + payload + \
        frame_extra


def gen_read():
    write("read", "valid_80", read_rsp(4096, 80, 64))
    write("read", "valid_padded_tail", read_rsp(4096, 96, 32, b"\0" * 8))
    write("read", "valid_empty", read_rsp(4096, 0, 0))
    write("read", "exact_requested", read_rsp(64, 80, 64))
    write("read", "more_than_requested", read_rsp(63, 80, 64))
    write("read", "offset_in_header", read_rsp(4096, 64, 16, payload=b""))
    write("read", "offset_79", read_rsp(4096, 79, 16, payload=b"\0" * 17))
    write("read", "len_past_frame", read_rsp(4096, 80, 100,
                                             payload=b"\1" * 50))
    write("read", "len_wrap", read_rsp(0xFFFFFFFF, 80, 0xFFFFFFF0,
                                       payload=b"\1" * 32))
    write("read", "truncated_fixed", read_rsp(4096, 80, 64)[:60])
    write("read", "write_rsp", struct.pack("<I", 4096) + hdr(9) +
          struct.pack("<HHIIHH", 17, 0, 4096, 0, 0, 0))


# ---- dir ------------------------------------------------------------------

def dirent(cls_both, name, short="", nxt=None, nlen=None, slen=None):
    n = u16(name)
    if cls_both:
        fixed = bytearray(104)
        sn = u16(short)
        fixed[68] = len(sn) if slen is None else slen
        fixed[70:70 + len(sn)] = sn
        struct.pack_into("<Q", fixed, 96, 0x1000)
    else:
        fixed = bytearray(80)
        struct.pack_into("<Q", fixed, 72, 0x1000)
    struct.pack_into("<IIQQQQQQII", fixed, 0, 0, 0, 1, 2, 3, 4, 100, 4096,
                     0x20, len(n) if nlen is None else nlen)
    e = bytes(fixed) + n
    if nxt is not None:
        e = bytearray(pad8(e) if nxt == "auto" else e)
        struct.pack_into("<I", e, 0, len(e) if nxt == "auto" else nxt)
        e = bytes(e)
    return e


def dir_buf(both, entries):
    return bytes([0 if both else 1]) + b"".join(entries)


def dir_rsp(both, buf, off=72, olen=None):
    body = struct.pack("<HHI", 9, off, len(buf) if olen is None else olen)
    return bytes([2 if both else 3]) + hdr(14) + body + buf


def gen_dir():
    for both, tag in ((True, "both"), (False, "full")):
        ents = [dirent(both, ".", nxt="auto"), dirent(both, "..", nxt="auto"),
                dirent(both, "file.txt", "FILE.TXT", nxt="auto"),
                dirent(both, "Longer Name.docx", "LONGER~1.DOC")]
        write("dir", "valid_" + tag, dir_buf(both, ents))
        write("dir", "valid_rsp_" + tag, dir_rsp(both, b"".join(ents)))
        write("dir", "next_small_" + tag,
              dir_buf(both, [dirent(both, "a", nxt=8), ents[3]]))
        write("dir", "next_backwards_" + tag,
              dir_buf(both, [dirent(both, "a", nxt=0xFFFFFFF8), ents[3]]))
        write("dir", "next_unaligned_" + tag,
              dir_buf(both, [dirent(both, "a", nxt=(106 if both else 82) + 1),
                             ents[3]]))
        write("dir", "next_past_buf_" + tag,
              dir_buf(both, [dirent(both, "a", nxt=0x10000)]))
        write("dir", "name_odd_" + tag, dir_buf(both, [dirent(both, "ab",
                                                              nlen=3)]))
        write("dir", "name_huge_" + tag,
              dir_buf(both, [dirent(both, "ab", nlen=0xFFFFFFFE)]))
        write("dir", "name_slash_" + tag, dir_buf(both, [dirent(both, "a/b")]))
        write("dir", "rsp_offset_wrap_" + tag,
              dir_rsp(both, b"".join(ents), off=0xFFFF, olen=0xFFFFFFFF))
    write("dir", "short_name_25",
          dir_buf(True, [dirent(True, "file", "FILE", slen=25)]))


# ---- info -----------------------------------------------------------------

def info(sel, buf, wrap=False, off=72, olen=None):
    if not wrap:
        return bytes([sel]) + buf
    body = struct.pack("<HHI", 9, off, len(buf) if olen is None else olen)
    return bytes([sel | 8]) + hdr(16) + body + buf


def file_all(name, nlen=None):
    n = u16(name)
    basic = struct.pack("<QQQQII", 1, 2, 3, 4, 0x20, 0)
    std = struct.pack("<QQIBBH", 4096, 3000, 1, 0, 0, 0)
    rest = struct.pack("<QIIQIII", 0xDEAD, 0, 0x120089, 0, 0, 0,
                       len(n) if nlen is None else nlen)
    return basic + std + rest + n


def gen_info():
    write("info", "basic", info(0, struct.pack("<QQQQII", 1, 2, 3, 4, 0x20,
                                                0), wrap=True))
    write("info", "standard", info(1, struct.pack("<QQIBBH", 1, 2, 1, 0, 1,
                                                   0)))
    write("info", "netopen", info(2, struct.pack("<QQQQQQII", 1, 2, 3, 4, 5,
                                                  6, 0x20, 0)))
    write("info", "all_valid", info(3, file_all("\\dir\\file.txt"), True))
    write("info", "all_name_past_end", info(3, file_all("abc", nlen=200)))
    write("info", "all_name_wrap", info(3, file_all("abc", nlen=0xFFFFFFFE)))
    write("info", "all_name_odd", info(3, file_all("abc", nlen=5)))
    write("info", "fs_full_size", info(4, struct.pack("<QQQII", 100, 50, 60,
                                                       8, 512)))
    fsname = u16("NTFS")
    write("info", "fs_attribute", info(5, struct.pack("<III", 0x8F, 255,
                                                       len(fsname)) + fsname))
    write("info", "fs_attribute_name_long",
          info(5, struct.pack("<III", 0x8F, 255, 0x7FFFFFFF) + fsname))
    label = u16("Data")
    write("info", "fs_volume", info(6, struct.pack("<QIIBB", 1, 0xCAFE,
                                                    len(label), 1, 0) + label))
    write("info", "fs_volume_label_odd",
          info(6, struct.pack("<QIIBB", 1, 0xCAFE, 7, 1, 0) + label))
    write("info", "rsp_offset_in_fixed", info(0, b"\0" * 40, True, off=66))
    write("info", "rsp_len_wrap", info(0, b"\0" * 40, True, off=0xFFFF,
                                       olen=0xFFFFFFFF))


# ---- ioctl ----------------------------------------------------------------

def ioctl_rsp(code, inp, out, ioff=None, icnt=None, ooff=None, ocnt=None):
    i_off = 112 if inp else 0
    o_off = (112 + len(pad8(inp))) if out else 0
    body = struct.pack("<HHIQQIIIIII", 49, 0, code, 1, 2,
                       i_off if ioff is None else ioff,
                       len(inp) if icnt is None else icnt,
                       o_off if ooff is None else ooff,
                       len(out) if ocnt is None else ocnt, 0, 0)
    return hdr(11) + body + pad8(inp) + out


def gen_ioctl():
    vneg = struct.pack("<I", 0x2F) + bytes(range(16)) + struct.pack("<HH", 1,
                                                                     0x302)
    write("ioctl", "vneg_valid", ioctl_rsp(0x00140204, b"", vneg))
    key = bytes(range(1, 25)) + struct.pack("<I", 0)
    write("ioctl", "resume_key_valid", ioctl_rsp(0x00140078, b"", key))
    write("ioctl", "resume_key_ctx_long",
          ioctl_rsp(0x00140078, b"", bytes(range(24)) +
                    struct.pack("<I", 0xFFFFFFFF)))
    write("ioctl", "copychunk_valid",
          ioctl_rsp(0x001480F2, b"\0" * 8, struct.pack("<III", 1, 4096, 4096)))
    write("ioctl", "output_past_frame", ioctl_rsp(0x00140204, b"", vneg,
                                                  ocnt=64))
    write("ioctl", "output_offset_wrap", ioctl_rsp(0x00140204, b"", vneg,
                                                   ooff=0xFFFFFFF0, ocnt=0x20))
    write("ioctl", "output_in_fixed", ioctl_rsp(0x00140204, b"", vneg,
                                                ooff=100))
    write("ioctl", "input_past_frame", ioctl_rsp(0x00140204, b"\0" * 8, vneg,
                                                 icnt=0x10000))
    write("ioctl", "oplock_break", hdr(18) + struct.pack("<HBBIQQ", 24, 1, 0,
                                                         0, 1, 2))
    write("ioctl", "lease_break", hdr(18) + struct.pack("<HHI", 44, 1, 1) +
          bytes(16) + struct.pack("<IIIII", 7, 1, 0, 0, 0))
    write("ioctl", "lease_break_rsp", hdr(18) + struct.pack("<HHI", 36, 0, 0) +
          bytes(16) + struct.pack("<IQ", 1, 0))
    write("ioctl", "truncated", ioctl_rsp(0x00140204, b"", vneg)[:90])


if __name__ == "__main__":
    gen_create()
    gen_read()
    gen_dir()
    gen_info()
    gen_ioctl()
