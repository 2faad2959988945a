#!/usr/bin/env python3
"""Writes spec/vectors/merkle.json and spec/vectors/tensor.json.

This generator is a second, independent implementation of the protocol constants in
docs/transcript-spec.md (RFC 9162 Merkle tree over SHA-256; the OPGT tensor encoding), written
from the spec with nothing but the Python standard library. The Java tests check that opg's own
code reproduces every value here; they never regenerate the files.

Run from anywhere:  python3 spec/generate_vectors.py
"""
import hashlib
import json
import math
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# --- RFC 9162 section 2.1, written straight from the recursive definitions -------------------

def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    """MTH(D[n]) of RFC 9162 2.1.1."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + leaves[0])
    k = largest_power_of_two_below(n)
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m, leaves):
    """PATH(m, D[n]) of RFC 9162 2.1.3.1."""
    n = len(leaves)
    if n <= 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, complete):
    """SUBPROOF(m, D[n], b) of RFC 9162 2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def leaf_data(n, i):
    # Varied lengths, the empty leaf included, so that no implementation can assume 32-byte leaves.
    length = (i * 7 + n) % 41
    seed = sha256(b"opg merkle vector %d %d" % (n, i))
    return (seed * 2)[:length]


def merkle_cases():
    cases = []
    for n in (0, 1, 2, 3, 4, 5, 7, 8, 9, 1000):
        leaves = [leaf_data(n, i) for i in range(n)]
        if n <= 9:
            indices = list(range(n))
            firsts = list(range(1, n + 1))
        else:
            indices = [0, 1, 2, 255, 256, 499, 511, 512, 767, 768, 991, 992, 998, 999]
            firsts = [1, 2, 3, 7, 8, 255, 256, 500, 511, 512, 513, 768, 999, 1000]
        cases.append({
            "leaves": [l.hex() for l in leaves],
            "root": mth(leaves).hex(),
            "inclusion": [{"index": i, "path": [h.hex() for h in path(i, leaves)]} for i in indices],
            "consistency": [{"first": m, "path": [h.hex() for h in subproof(m, leaves, True)]}
                            for m in firsts],
        })
    return cases


# --- The OPGT tensor encoding -------------------------------------------------------------------

DTYPES = {  # name: (code, struct format of one element, little-endian)
    "float32": (0, "<f"), "float64": (1, "<d"), "float16": (2, "<e"), "bfloat16": (3, None),
    "int8": (4, "<b"), "uint8": (5, "<B"), "int32": (6, "<i"), "int64": (7, "<q"), "boolean": (8, "<B"),
}


def header(dtype, shape):
    code = DTYPES[dtype][0]
    return b"OPGT" + bytes([1, code, len(shape)]) + b"".join(struct.pack("<Q", d) for d in shape)


def tensor_case(dtype, shape, data: bytes, note):
    return {"dtype": dtype, "shape": shape, "data": data.hex(),
            "digest": sha256(header(dtype, shape) + data).hex(), "note": note}


def pack(dtype, values):
    return b"".join(struct.pack(DTYPES[dtype][1], v) for v in values)


def bf16(values):
    # bfloat16 = the upper 16 bits of the float32 pattern (values here are exact in bfloat16).
    return b"".join(struct.pack("<H", struct.unpack("<I", struct.pack("<f", v))[0] >> 16) for v in values)


def tensor_cases():
    c = []
    c.append(tensor_case("float32", [2, 3], pack("float32", [0.0, 1.0, -2.5, 3.25, 1e-38, 65504.0]), "matrix"))
    c.append(tensor_case("float32", [], pack("float32", [3.5]), "rank 0: a scalar"))
    c.append(tensor_case("float32", [2, 0, 3], b"", "an empty dimension: no data bytes"))
    c.append(tensor_case("float32", [0], b"", "an empty vector"))
    c.append(tensor_case("float32", [2], bytes.fromhex("00000000" "00000080"), "+0.0 and -0.0 differ by their bytes"))
    c.append(tensor_case("float32", [3], bytes.fromhex("0000c07f" "0100c07f" "0000c0ff"),
                         "NaN payloads: quiet NaN, NaN with payload 1, negative NaN; bytes are what count"))
    c.append(tensor_case("float32", [1, 1, 1, 4], pack("float32", [math.inf, -math.inf, 1.5, -0.125]), "rank 4, infinities"))
    c.append(tensor_case("float64", [3], pack("float64", [1.0, -0.0, 2.0 ** -1074]), "float64 with -0.0 and a subnormal"))
    c.append(tensor_case("float64", [2], bytes.fromhex("010000000000f87f" "000000000000f8ff"), "float64 NaN payloads"))
    c.append(tensor_case("float16", [4], pack("float16", [1.0, -2.0, 65504.0, 0.0]), "float16"))
    c.append(tensor_case("float16", [2], bytes.fromhex("0080" "017e"), "float16 -0.0 and a NaN payload"))
    c.append(tensor_case("bfloat16", [2, 2], bf16([1.0, -2.0, 0.5, 3.0]), "bfloat16"))
    c.append(tensor_case("bfloat16", [2], bytes.fromhex("0080" "c17f"), "bfloat16 -0.0 and a NaN payload"))
    c.append(tensor_case("int8", [5], pack("int8", [-128, -1, 0, 1, 127]), "int8 extremes"))
    c.append(tensor_case("uint8", [2, 2], pack("uint8", [0, 1, 128, 255]), "uint8 extremes"))
    c.append(tensor_case("int32", [3], pack("int32", [-2 ** 31, 0, 2 ** 31 - 1]), "int32 extremes"))
    c.append(tensor_case("int64", [2, 1], pack("int64", [-2 ** 63, 2 ** 63 - 1]), "int64 extremes"))
    c.append(tensor_case("int64", [], pack("int64", [42]), "int64 scalar"))
    c.append(tensor_case("boolean", [4], bytes([1, 0, 0, 1]), "boolean: one byte each, 0 or 1"))
    c.append(tensor_case("boolean", [0, 5], b"", "empty boolean"))
    return c


def write(name, obj):
    path_ = os.path.join(OUT, name)
    with open(path_, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    print("wrote", path_)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write("merkle.json", {
        "description": "RFC 9162 Merkle tree over SHA-256: leaf = SHA-256(0x00 || data), node = "
                       "SHA-256(0x01 || left || right), empty tree = SHA-256(''). Inclusion paths "
                       "(2.1.3.1) list siblings from the leaf up; consistency paths (2.1.4.1) go "
                       "from the tree of the first 'first' leaves to the whole tree. Generated by "
                       "spec/generate_vectors.py.",
        "cases": merkle_cases()})
    write("tensor.json", {
        "description": "Tensor digest = SHA-256('OPGT' || u8 version=1 || u8 dtype code || u8 rank || "
                       "u64le dims... || data), data = elements row-major, each little-endian. "
                       "'data' is that data in hex. Generated by spec/generate_vectors.py.",
        "cases": tensor_cases()})
