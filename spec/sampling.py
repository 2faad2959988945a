#!/usr/bin/env python3
"""Writes spec/vectors/sampling.json: the sampler, the logit sketch and the KV digest of
docs/transcript-spec.md sections 3.16-3.17, implemented a second time from the spec with nothing
but the Python standard library (Python floats are IEEE 754 binary64, so every addition,
multiplication and division here rounds exactly as the spec says). The Java suite
(SamplingVectorsTest) checks that opg reproduces every value; it never regenerates the file.

Run from anywhere:  python3 spec/sampling.py
"""
import hashlib
import json
import math
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors", "sampling.json")

INV_LN2 = float.fromhex("0x1.71547652b82fep0")
LN2_HI = float.fromhex("0x1.62e42fee00000p-1")
LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")
INV_FACT = [1.0 / math.factorial(n) for n in range(14)]


def f32(x):
    """x rounded to binary32 (round to nearest even), as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def random64(seed, position):
    d = hashlib.sha256(b"OPG-SAMPLE" + bytes([1]) + struct.pack("<QQ", seed, position)).digest()
    return struct.unpack("<Q", d[:8])[0]


def uniform(seed, position):
    return (random64(seed, position) >> 11) * 2.0 ** -53


def opg_exp(x):
    assert x <= 0
    if x < -745.0:
        return 0.0
    k = math.floor(x * INV_LN2 + 0.5)
    if k < -1021:
        return 0.0
    r = (x - k * LN2_HI) - k * LN2_LO
    p = INV_FACT[13]
    for n in range(12, -1, -1):
        p = p * r + INV_FACT[n]
    return math.ldexp(p, int(k))


def choose(logits, temperature, top_k, top_p, seed, position):
    """logits: binary32 values as Python floats. Returns (token, uniform, kept)."""
    for v in logits:
        if math.isnan(v) or v == math.inf:
            raise ValueError("refused")
    if temperature == 0.0:
        best = 0
        for i in range(1, len(logits)):
            if logits[i] > logits[best]:
                best = i
        return best, 0.0, 1
    order = sorted(range(len(logits)), key=lambda i: (-logits[i], i))
    kept = len(logits) if top_k == 0 else min(top_k, len(logits))
    m = logits[order[0]]
    w = [opg_exp((logits[order[j]] - m) / temperature) for j in range(kept)]
    if top_p < 1.0:
        total = 0.0
        for j in range(kept):
            total += w[j]
        threshold = top_p * total
        cum, j = 0.0, 0
        while j < kept:
            cum += w[j]
            j += 1
            if cum >= threshold:
                break
        kept = j
    s = 0.0
    for j in range(kept):
        s += w[j]
    u = uniform(seed, position)
    target = u * s
    c = 0.0
    for j in range(kept):
        c += w[j]
        if target < c:
            return order[j], u, kept
    return order[kept - 1], u, kept


def sketch(logits, k):
    out = []
    for j in range(k):
        acc = 0.0
        signs = b""
        for i, v in enumerate(logits):
            if i % 256 == 0:
                signs = hashlib.sha256(b"OPG-LOGIT-SKETCH" + bytes([1]) + struct.pack("<II", j, i // 256)).digest()
            bit = (signs[(i % 256) // 8] >> (i % 8)) & 1
            if v == -math.inf:
                continue  # masked tokens are left out
            acc += -v if bit else v
        v = f32(acc)
        # binary16 overflows to an infinity (struct refuses to pack it)
        out.append(struct.pack("<e", v) if abs(v) < 65520.0 else struct.pack("<H", 0x7C00 if v > 0 else 0xFC00))
    return b"".join(out).hex()


def kv_digest(dtype_code, shape, data):
    """KV digest of a float32 cache [B, H, L, D] whose row-major elements are `data` (floats)."""
    b, h, l, d = shape
    c = hashlib.sha256(b"OPG-KV" + bytes([1, dtype_code]) + struct.pack("<QQQ", b, h, d)).digest()
    for p in range(l):
        elems = []
        for bi in range(b):
            for hi in range(h):
                at = ((bi * h + hi) * l + p) * d
                elems.extend(data[at:at + d])
        body = struct.pack("<%df" % len(elems), *elems)
        t = b"OPGT" + bytes([1, dtype_code, 4]) + struct.pack("<QQQQ", b, h, 1, d) + body
        c = hashlib.sha256(b"OPG-KV-POS" + bytes([1]) + c + hashlib.sha256(t).digest()).digest()
    return c.hex()


def lcg(seed):
    state = seed
    while True:
        state = (state * 6364136223846793005 + 1442695040888963407) % 2 ** 64
        yield state >> 11


def logits_from(seed, n, scale):
    g = lcg(seed)
    return [f32(((next(g) * 2.0 ** -53) * 2 - 1) * scale) for _ in range(n)]


def main():
    cases = []
    specs = [
        ("greedy", 0.0, 0, 1.0, 0, 10, logits_from(1, 10, 4.0)),
        ("greedy ties go to the lowest id", 0.0, 0, 1.0, 0, 3, [1.0, 2.0, 2.0, -1.0]),
        ("temperature 1, no cuts", 1.0, 0, 1.0, 42, 7, logits_from(2, 32, 3.0)),
        ("temperature 0.7, top-k 5", f32(0.7), 5, 1.0, 42, 8, logits_from(3, 32, 3.0)),
        ("temperature 1.3, top-p 0.9", f32(1.3), 0, f32(0.9), 7, 100, logits_from(4, 64, 5.0)),
        ("top-k 40 and top-p 0.95, 461 tokens", f32(0.8), 40, f32(0.95), 2026, 300, logits_from(5, 461, 6.0)),
        ("top-p so small that one token is kept", 1.0, 0, f32(0.01), 3, 4, logits_from(6, 16, 2.0)),
        ("-Infinity logits are never chosen", 1.0, 0, 1.0, 9, 1, [float("-inf"), 0.5, float("-inf"), 0.25]),
        ("equal logits: order by id", 1.0, 0, 1.0, 5, 2, [0.0, 0.0, 0.0, 0.0, 0.0]),
        ("-0.0 equals 0.0", 1.0, 2, 1.0, 5, 3, [-0.0, 0.0, -1.0]),
        ("huge spread: exp underflows to 0", f32(0.05), 0, 1.0, 11, 12, [0.0, -100.0, -50.0, 10.0]),
    ]
    for seed in range(6):
        specs.append(("random case %d" % seed, f32(0.5 + seed / 4), [0, 3, 10, 0, 50, 7][seed],
                      [1.0, f32(0.8), 1.0, f32(0.5), f32(0.99), f32(0.7)][seed], 1000 + seed, 17 * seed,
                      logits_from(100 + seed, 97, 1.0 + seed)))
    for desc, t, k, p, seed, pos, logits in specs:
        token, u, kept = choose(logits, t, k, p, seed, pos)
        cases.append({
            "description": desc,
            "logits": struct.pack("<%df" % len(logits), *logits).hex(),
            "temperature": struct.pack(">f", t).hex(),
            "topK": k,
            "topP": struct.pack(">f", p).hex(),
            "seed": seed,
            "position": pos,
            "random64": "%016x" % random64(seed, pos),
            "uniform": u.hex(),
            "kept": kept,
            "token": token,
            "sketch4": sketch(logits, 4),
        })
    exps = []
    for x in [0.0, -1e-300, -0.5, -1.0, -0.6931471805599453, -2.5, -10.0, -87.3, -700.0, -708.5, -744.9, -745.5,
              float("-inf")]:
        exps.append({"x": x.hex() if math.isfinite(x) else "-inf", "exp": opg_exp(x).hex()})
    kv = []
    for (b, h, l, d) in [(1, 2, 0, 3), (1, 2, 1, 3), (1, 2, 3, 3), (2, 1, 2, 2)]:
        data = logits_from(7 + l, b * h * l * d, 1.0)
        kv.append({"shape": [b, h, l, d], "data": struct.pack("<%df" % len(data), *data).hex(),
                   "digest": kv_digest(0, (b, h, l, d), data)})
    doc = {"description": "opg sampler, logit sketch and KV digest (docs/transcript-spec.md 3.16-3.17); written by spec/sampling.py",
           "cases": cases, "exp": exps, "kv": kv}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote", OUT, len(cases), "sampling cases")


if __name__ == "__main__":
    main()
