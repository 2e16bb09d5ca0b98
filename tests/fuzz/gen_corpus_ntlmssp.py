#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerate the seed corpus of fuzz_ntlmssp deterministically.

Seeds are whole security blobs as a server sends them: raw NTLMSSP
CHALLENGE messages (the MS-NLMP 4.2.4 example, one with MsvAvTimestamp and
MsvAvFlags, one without TargetInfo), the same wrapped in SPNEGO
NegTokenResp, a server NegTokenInit2, a final accept-completed, and a few
near-misses (AV walk without EOL, TargetInfo offset past the end, a BER
length beyond the input) so mutation starts next to the error paths.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "ntlmssp")

SERVER_CHALLENGE = bytes.fromhex("0123456789abcdef")
VERSION = bytes.fromhex("060070170000000f")


def utf16(s):
    return s.encode("utf-16-le")


def av(av_id, value=b""):
    return struct.pack("<HH", av_id, len(value)) + value


def challenge(flags, target_name, target_info, ti_off=None):
    payload_off = 56
    tn_off = payload_off
    ti_at = tn_off + len(target_name)
    if ti_off is None:
        ti_off = ti_at
    hdr = b"NTLMSSP\0" + struct.pack("<I", 2)
    hdr += struct.pack("<HHI", len(target_name), len(target_name), tn_off)
    hdr += struct.pack("<I", flags) + SERVER_CHALLENGE + bytes(8)
    hdr += struct.pack("<HHI", len(target_info), len(target_info), ti_off)
    hdr += VERSION
    return hdr + target_name + target_info


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, value):
    return bytes([tag]) + der_len(len(value)) + value


OID_SPNEGO = bytes.fromhex("2b0601050502")
OID_NTLMSSP = bytes.fromhex("2b06010401823702020a")


def neg_token_resp(state=None, mech=None, token=None, mic=None):
    body = b""
    if state is not None:
        body += tlv(0xA0, tlv(0x0A, bytes([state])))
    if mech is not None:
        body += tlv(0xA1, tlv(0x06, mech))
    if token is not None:
        body += tlv(0xA2, tlv(0x04, token))
    if mic is not None:
        body += tlv(0xA3, tlv(0x04, mic))
    return tlv(0xA1, tlv(0x30, body))


def neg_token_init2():
    mechs = tlv(0xA0, tlv(0x30, tlv(0x06, OID_NTLMSSP)))
    hints = tlv(0xA3, tlv(0x30, tlv(0xA0, tlv(0x1B,
                b"not_defined_in_RFC4178@please_ignore"))))
    inner = tlv(0xA0, tlv(0x30, mechs + hints))
    return tlv(0x60, tlv(0x06, OID_SPNEGO) + inner)


def main():
    os.makedirs(OUT, exist_ok=True)
    spec_ti = (av(2, utf16("Domain")) + av(1, utf16("Server")) + av(0))
    spec = challenge(0xE28A8233, utf16("Server"), spec_ti)
    ts_ti = (av(2, utf16("DOM")) + av(1, utf16("SRV")) +
             av(4, utf16("dom.example")) + av(3, utf16("srv.dom.example")) +
             av(7, struct.pack("<Q", 0x01D9A0B0C0D0E0F0)) +
             av(6, struct.pack("<I", 1)) + av(0))
    with_ts = challenge(0xE28A8215, utf16("DOM"), ts_ti)
    no_ti = challenge(0x00000201, b"", b"")
    seeds = {
        "challenge_spec": spec,
        "challenge_timestamp": with_ts,
        "challenge_no_target_info": no_ti,
        "challenge_no_eol": challenge(0xE28A8233, b"",
                                      av(1, utf16("Server"))),
        "challenge_ti_offset_past_end": challenge(0xE28A8233, b"", spec_ti,
                                                  ti_off=0x200),
        "resp_challenge": neg_token_resp(1, OID_NTLMSSP, with_ts),
        "resp_challenge_spec": neg_token_resp(1, OID_NTLMSSP, spec),
        "resp_completed": neg_token_resp(0),
        "resp_completed_mic": neg_token_resp(0, None, None, bytes(16)),
        # Outer length 8 with 7 bytes behind it.
        "resp_length_beyond": bytes.fromhex("a1083005a0030a0100"),
        "init2_hints": neg_token_init2(),
    }
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
