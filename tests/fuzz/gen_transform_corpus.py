#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz_transform (tests/fuzz/corpus/transform/).

Deterministic: the same files every run. Seeds are a control byte (see
fuzz_transform.c) followed by data:
  - Microsoft's published server-to-client frames from "SMB 3.1.1
    Encryption in Windows 10", Appendix A.1 (AES-128-GCM) and A.2
    (AES-128-CCM), which decrypt with the fuzz target's fixed keys;
  - the same frames damaged field by field (truncated, bad ProtocolId,
    flags, sizes, SessionId, nonce padding, tag);
  - round-trip seeds (control bit 2) with and without a flipped bit.
Usage: gen_transform_corpus.py [output-dir]
"""
import os
import sys

GCM_FRAMES = [
    "FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B400000000"
    "0000000050000000000001002500000000100000"
    "26BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8F2D793A8"
    "15C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA"
    "6179159B82E03C9E18A050FF0EA1C967",
    "FD534D427F714B3B9D8FA1198584E71C2BAA1CB6E16831DD2E8EB7B400000000"
    "0000000067000000000001002500000000100000"
    "FECEDF4D03BB11A6CC5D8A53BE33D6D8701986342B4197D306E16F9CBB218E92"
    "F7F8281F51CE68BB85A20D87DE90EBBF80538066D1C37513C0A58D70936D537B"
    "624F5500202A612B6CD30D448A82791A0B2E049ED512AFAEFB06E98AB3D6F931"
    "D7D50DB2DBD36A",
]
CCM_FRAMES = [
    "FD534D42DD33EC41A927DD51476FE887C2D3C136D96831DD2E8EB7B400000000"
    "0000000050000000000001002100000000100000"
    "F783157E0F6F1C055D746753CA16D20C21088E2A67564E056C2F68A7F14F226C"
    "3BD809B7A2D52E5FE4ECF49821BC6001733430CF174E2764B3CCB213AAD8BB9F"
    "BAF6C15E13D9120965390E004A96A3F7",
    "FD534D42E241A13C7E1EE42ECF1FD69F3B8668C6DA6831DD2E8EB7B400000000"
    "0000000067000000000001002100000000100000"
    "15D67234FC8358D7BA1BF037ABC8EFD41A0A8F9BB04B16DEB1E85606BD8C2770"
    "823FE6239A286CB3E3D5762ABBD53FD8DE11ED491FE905E146A8FFCE09414AB7"
    "41103D637E28B19C6BA759B399DCC21FAE24CF2A455A13B215FC2857ABB51392"
    "7F9F271D1C208B",
]


def damaged(frame):
    """Yield (name, bytes) variants of a valid frame, one field each."""
    yield "ok", frame
    yield "short", frame[:51]
    yield "header-only", frame[:52]
    yield "truncated", frame[:-1]
    yield "extra", frame + b"\x00"
    f = bytearray(frame); f[0] = 0xFE; yield "protocol", bytes(f)
    for flags in (0, 2, 3, 0x8001):
        f = bytearray(frame); f[42:44] = flags.to_bytes(2, "little")
        yield "flags%04x" % flags, bytes(f)
    f = bytearray(frame); f[40] = 0xFF; yield "reserved", bytes(f)
    f = bytearray(frame); f[36:40] = (0xFFFFFFFF).to_bytes(4, "little")
    yield "size-huge", bytes(f)
    f = bytearray(frame); f[36:40] = (10).to_bytes(4, "little")
    yield "size-small", bytes(f)
    f = bytearray(frame); f[44] ^= 1; yield "session", bytes(f)
    f = bytearray(frame); f[35] = 1; yield "nonce-pad", bytes(f)
    f = bytearray(frame); f[4] ^= 0x80; yield "tag", bytes(f)
    f = bytearray(frame); f[-1] ^= 1; yield "ciphertext", bytes(f)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "corpus", "transform")
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for cipher, frames in ((1, GCM_FRAMES), (0, CCM_FRAMES)):
        for i, hexframe in enumerate(frames):
            frame = bytes.fromhex(hexframe)
            for name, data in damaged(frame):
                seg = (i * 3 + len(name)) % 8
                for in_place in (0, 0x40):
                    ctl = cipher | seg << 3 | in_place
                    seeds["%s-%d-%s-%s" % ("gcm" if cipher else "ccm", i,
                                           name, "inplace" if in_place
                                           else "out")] = \
                        bytes([ctl]) + data
    seeds["empty"] = b""
    seeds["ctl-only"] = b"\x01"
    for cipher in range(4):
        for size in (64, 65, 200, 1000):
            plain = bytes((7 * k + size) & 0xFF for k in range(size))
            for flip in (0, 0x80):
                ctl = cipher | 4 | ((size // 64) % 8) << 3 | flip
                seeds["roundtrip-c%d-%d%s" % (cipher, size,
                                              "-flip" if flip else "")] = \
                    bytes([ctl]) + plain
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), out))


if __name__ == "__main__":
    main()
