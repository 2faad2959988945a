#!/usr/bin/env python3
"""Writes spec/vectors/jobroot.json: job roots (docs/transcript-spec.md section 3.15) computed
independently of the Java code: key bytes, key order, RFC 9162 root over the row roots in that
order, and every row's inclusion proof."""
import hashlib, json, struct, os

def sha(b): return hashlib.sha256(b).digest()
def leaf(d): return sha(b"\x00" + d)
def node(l, r): return sha(b"\x01" + l + r)

def mth(ls):
    if len(ls) == 1: return ls[0]
    k = 1
    while k * 2 < len(ls): k *= 2
    return node(mth(ls[:k]), mth(ls[k:]))

def path(m, ls):
    if len(ls) == 1: return []
    k = 1
    while k * 2 < len(ls): k *= 2
    if m < k: return path(m, ls[:k]) + [mth(ls[k:])]
    return path(m - k, ls[k:]) + [mth(ls[:k])]

def key_bytes(kind, v):
    if kind == "string": return v.encode("utf-8")
    if kind == "long": return struct.pack(">Q", (v + (1 << 64)) % (1 << 64) ^ (1 << 63))
    if kind == "binary": return bytes.fromhex(v)
    raise ValueError(kind)

def case(kind, keys):
    rows = []
    for k in keys:
        kb = key_bytes(kind, k)
        rows.append({"key": k, "keyBytes": kb.hex(), "rowRoot": sha(b"row " + kb).hex()})
    order = sorted(range(len(rows)), key=lambda i: bytes.fromhex(rows[i]["keyBytes"]))
    leaves = [leaf(bytes.fromhex(rows[i]["rowRoot"])) for i in order]
    return {"keyType": kind, "rows": rows, "order": [rows[i]["key"] for i in order],
            "jobRoot": mth(leaves).hex(),
            "inclusion": [{"key": rows[i]["key"], "index": j, "path": [p.hex() for p in path(j, leaves)]} for j, i in enumerate(order)]}

cases = [case("long", [300, -1, 0, 7, -9223372036854775808, 9223372036854775807, 42]),
         case("string", ["b", "a", "ab", "\u00e9", "B"]),
         case("binary", ["ff", "00", "0000", ""])]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors", "jobroot.json")
with open(out, "w") as f:
    json.dump({"cases": cases}, f, indent=1)
    f.write("\n")
print(out)
