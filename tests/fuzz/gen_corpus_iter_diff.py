#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerate the seed corpus of fuzz_iter_diff deterministically.

Input format (tests/unit/iter_diff.h): byte 0 picks the type (1 + b % 7:
ubuf, iovec, kvec, bvec, xarray, bvecq, discard), byte 1 flags (bit 0
source, bit 1 range to the end, bit 2 short count, bit 3 BVECQ start
offset, bit 4 XARRAY hole), byte 2 the segment count, then layout bytes,
then one op byte (b % 14) followed by its arguments per operation.
One seed per type and direction mix, filled from a fixed PRNG.
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "iter_diff")

# (name, type byte, flags byte)
SEEDS = [
    ("ubuf_dest", 0, 0x02),
    ("ubuf_source", 0, 0x03),
    ("iovec_dest", 1, 0x00),
    ("iovec_source_short", 1, 0x05),
    ("kvec_dest", 2, 0x00),
    ("kvec_source", 2, 0x01),
    ("bvec_dest", 3, 0x00),
    ("bvec_source_short", 3, 0x05),
    ("xarray_dest", 4, 0x02),
    ("xarray_source_hole", 4, 0x13),
    ("bvecq_dest_offset", 5, 0x08),
    ("bvecq_source", 5, 0x01),
    ("discard", 6, 0x00),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(0x5EED)
    for name, t, f in SEEDS:
        body = bytes(rng.randrange(256) for _ in range(200))
        with open(os.path.join(OUT, name), "wb") as fh:
            fh.write(bytes([t, f]) + body)


if __name__ == "__main__":
    main()
