#!/usr/bin/env python3
"""Writes spec/vectors/merkle.json and spec/vectors/tensor.json; checks spec/vectors/transcript.json.

This generator is a second, independent implementation of the protocol constants in
docs/transcript-spec.md (RFC 9162 Merkle tree over SHA-256; the OPGT tensor encoding), written
from the spec with nothing but the Python standard library. The Java tests check that opg's own
code reproduces every value here; they never regenerate the files.

attestation.json and registry.json (spec sections 5 and 6) are written by the Java suite too (their
signatures need secp256k1 and keccak256, which the standard library lacks; the contract on anvil
checks those independently); this script recomputes every PAE, each envelope's statement from its
transcript case, the signatures' form (65 bytes, v 27 or 28, low s), the artifact digests (SHA-256 of
a file, in-toto dirHash of a directory) and the ABI layout of the register call data after its selector.

transcript.json holds a real DJL run, so the Java suite writes it; this script recomputes, from
each case's JSON alone, the profile encoding, the header leaf (version 3: granularity, scope and
cuts, input names),
every step leaf, the leaf hashes and the root, and re-serialises the canonical JSON with the
spec's escape rules (section 3.8), and fails if any byte differs. For the DJL MLP it also checks
that the block, output and descent cases follow from the node-granularity one (section 3.14).

Run from anywhere:  python3 spec/generate_vectors.py
"""
import base64
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


# --- transcript leaves (spec 3.1-3.4) and canonical JSON (3.8), from the spec alone -------------

DTYPE_CODES = ["float32", "float64", "float16", "bfloat16", "int8", "uint8", "int32", "int64", "boolean"]


def u8(v):
    return struct.pack("<B", v)


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def string(s_):
    b = s_.encode("utf-8")  # strict: a lone surrogate raises
    return u32(len(b)) + b


def digests(hexes):
    return u32(len(hexes)) + b"".join(bytes.fromhex(h) for h in hexes)


def profile_encoding(p):
    out = b"OPG-PROFILE" + u8(1)
    for k in ["engine", "engineVersion", "djlVersion", "nativeLibrary", "os", "arch", "cpuCapability"]:
        out += string(p[k])
    out += u32(p["intraOpThreads"]) + u32(p["interOpThreads"])
    out += u8(1 if p["graphOptimizer"] else 0) + u8(1 if p["deterministicAlgorithms"] else 0)
    return out + u64(p["seed"]) + u8(DTYPE_CODES.index(p["dtype"]))


GRANULARITIES = {"node": 0, "block": 1, "output": 2}


def header_leaf(h):
    """Spec 3.2, version 3: mode, k, granularity, scope and cuts, model id, profile digest, bound inputs, outputs."""
    out = b"OPG-HEADER" + u8(3) + u8({"full": 0, "sketch": 1}[h["mode"]]) + u32(h["sketchDimension"])
    out += u8(GRANULARITIES[h["granularity"]]) + string(h["scope"])
    out += u32(len(h["cuts"])) + b"".join(string(c) for c in h["cuts"])
    out += bytes.fromhex(h["modelId"]) + bytes.fromhex(h["profileDigest"])
    out += u32(len(h["inputs"]))
    for i in h["inputs"]:
        out += string(i["name"]) + bytes.fromhex(i["digest"])
    return out + digests(h["outputs"])


def step_leaf(st):
    out = b"OPG-STEP" + u8(1) + u64(st["index"]) + string(st["name"])
    out += digests(st["inputs"]) + digests(st["outputs"]) + u32(len(st["sketches"]))
    for k in st["sketches"]:
        values = bytes.fromhex(k["values"])
        out += u8(DTYPE_CODES.index(k["dtype"])) + u8(len(k["shape"])) + b"".join(u64(d) for d in k["shape"])
        out += u32(len(values) // 4) + values
    return out


def json_string(s_):
    """Spec 3.8: the short escapes, other controls and non-BMP characters as upper-case backslash-u escapes, the rest raw."""
    out = ['"']
    for ch in s_:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\f\n\r\t":
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif c < 0x20:
            out.append("\\u%04X" % c)
        elif c > 0xFFFF:
            v = c - 0x10000
            out.append("\\u%04X\\u%04X" % (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canonical(v):
    """Canonical JSON of a parsed transcript: keys in document order, no whitespace (spec 3.8)."""
    if isinstance(v, dict):
        return "{" + ",".join(json_string(k) + ":" + canonical(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canonical(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json_string(v)
    raise ValueError("not in the canonical JSON form: %r" % (v,))


def check_transcripts():
    with open(os.path.join(OUT, "transcript.json"), encoding="utf-8") as f:
        doc = json.load(f)
    for c in doc["cases"]:
        text = c["transcript"]
        t = json.loads(text)
        assert t["version"] == 3, c["description"]
        h = t["header"]
        assert list(h) == ["mode", "sketchDimension", "granularity", "scope", "cuts", "modelId", "profileDigest", "inputs",
                           "outputs"], c["description"]
        # spec 3.2: cuts only at block granularity, each once; a scope (a descent) only at node granularity
        assert h["granularity"] == "block" or h["cuts"] == [], c["description"]
        assert len(set(h["cuts"])) == len(h["cuts"]), c["description"]
        assert h["scope"] == "" or h["granularity"] == "node", c["description"]
        assert canonical(t) == text, "canonical JSON differs: " + c["description"]
        pe = profile_encoding(t["profile"])
        assert pe.hex() == c["profileEncoding"], c["description"]
        assert sha256(pe).hex() == c["profileDigest"] == t["header"]["profileDigest"], c["description"]
        leaves = [header_leaf(t["header"])] + [step_leaf(st) for st in t["steps"]]
        assert [x.hex() for x in leaves] == c["leaves"], "leaves differ: " + c["description"]
        assert [sha256(b"\x00" + x).hex() for x in leaves] == c["leafHashes"], c["description"]
        assert mth(leaves).hex() == c["root"] == t["root"], "root differs: " + c["description"]
    check_djl_blocks([json.loads(c["transcript"]) for c in doc["cases"]])
    print("checked", len(doc["cases"]), "transcript cases in", os.path.join(OUT, "transcript.json"))


def check_djl_blocks(ts):
    """Spec 3.14 on the DJL MLP cases (a sequential plan): the block, output and descent transcripts
    follow from the node-granularity one. Block names are 'first' or 'first .. last'; a block
    reads all outputs of the block before it (the first: the model inputs) and commits all outputs
    of its last node step; a descent into a block repeats that block's node steps, leaf for leaf,
    from the block's committed inputs to its committed outputs."""
    node = [t for t in ts if t["header"]["granularity"] == "node" and t["header"]["scope"] == ""
            and t["steps"] and t["steps"][0]["name"] == "01Linear"]
    assert len(node) == 1, "one node-granularity DJL MLP case"
    node = node[0]
    names = [st["name"] for st in node["steps"]]
    same_model = [t for t in ts if t["header"]["modelId"] == node["header"]["modelId"] and t is not node]
    assert len(same_model) >= 4, "block, output and descent cases of the DJL MLP"
    for t in same_model:
        h = t["header"]
        if h["scope"]:
            first, _, last = h["scope"].partition(" .. ")
            a, b = names.index(first), names.index(last or first)
            assert [st["name"] for st in t["steps"]] == names[a:b + 1], h["scope"]
            # the same steps as the node transcript (names and digests; the index is the descent's own)
            strip = lambda st: (st["name"], st["inputs"], st["outputs"], st["sketches"])
            assert [strip(st) for st in t["steps"]] == [strip(st) for st in node["steps"][a:b + 1]], h["scope"]
            assert [st["index"] for st in t["steps"]] == list(range(b + 1 - a))
            assert [i["digest"] for i in h["inputs"]] == node["steps"][a]["inputs"]
            assert h["outputs"] == node["steps"][b]["outputs"]
            continue
        starts = [0] + [names.index(c) for c in h["cuts"]]
        assert starts == sorted(set(starts)), "cuts in execution order, after the first node step"
        ends = starts[1:] + [len(names)]
        assert len(t["steps"]) == len(starts)
        for st, a, e in zip(t["steps"], starts, ends):
            want = names[a] if e - a == 1 else names[a] + " .. " + names[e - 1]
            assert st["name"] == want, (st["name"], want)
            assert st["inputs"] == node["steps"][a]["inputs"] and st["outputs"] == node["steps"][e - 1]["outputs"], want
        assert h["inputs"] == node["header"]["inputs"] and h["outputs"] == node["header"]["outputs"]


# --- spec sections 5 and 6: attestations and the model registry --------------------------------

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def pae(payload_type: bytes, body: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    return b"DSSEv1 " + str(len(payload_type)).encode() + b" " + payload_type + b" " + str(len(body)).encode() + b" " + body


def compact(v):
    """The statement's JSON layout: no whitespace, keys in the order written, non-ASCII kept."""
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def check_attestations():
    with open(os.path.join(OUT, "attestation.json"), encoding="utf-8") as f:
        doc = json.load(f)
    with open(os.path.join(OUT, "transcript.json"), encoding="utf-8") as f:
        transcripts = json.load(f)["cases"]
    spec_case = doc["pae"][0]
    assert pae(spec_case["payloadType"].encode(), bytes.fromhex(spec_case["payloadHex"])) == \
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world", "the DSSE specification's own vector"
    for c in doc["pae"]:
        assert pae(c["payloadType"].encode("utf-8"), bytes.fromhex(c["payloadHex"])).hex() == c["paeHex"], c["description"]
    for e in doc["envelopes"]:
        env = json.loads(e["envelope"])
        assert list(env) == ["payloadType", "payload", "signatures"], e["description"]
        assert env["payloadType"] == "application/vnd.in-toto+json"
        payload = base64.b64decode(env["payload"], validate=True)
        assert payload.decode("utf-8") == e["statement"], e["description"]
        assert pae(env["payloadType"].encode(), payload).hex() == e["paeHex"], e["description"]
        assert len(env["signatures"]) == 1 and env["signatures"][0]["keyid"] == e["signer"], e["description"]
        sig = base64.b64decode(env["signatures"][0]["sig"], validate=True)
        assert sig.hex() == e["signature"] and len(sig) == 65 and sig[64] in (27, 28), e["description"]
        r, s_ = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big")
        assert 0 < r < SECP256K1_N and 0 < s_ <= SECP256K1_N // 2, "low s: " + e["description"]
        # The statement says exactly what its transcript's header says.
        case = transcripts[e["transcriptCase"]]
        t = json.loads(case["transcript"])
        h = t["header"]
        st = json.loads(e["statement"])
        assert compact(st) == e["statement"], "statement layout: " + e["description"]
        assert list(st) == ["_type", "subject", "predicateType", "predicate"]
        assert st["_type"] == "https://in-toto.io/Statement/v1"
        assert st["predicateType"] == "https://opg.dev/attestation/verification/v1"
        assert st["subject"] == [{"name": "output/%d" % i, "digest": {"opgTensorSha256": d}} for i, d in enumerate(h["outputs"])]
        p = st["predicate"]
        assert list(p) == ["verdict", "transcriptRoot", "modelId", "profileDigest", "granularity", "commitmentMode",
                           "verificationMode", "comparison", "stepsChecked", "steps", "inputs"]
        assert p["verdict"] == "VALID" and p["transcriptRoot"] == case["root"] == t["root"]
        assert p["modelId"] == h["modelId"] and p["profileDigest"] == h["profileDigest"] == case["profileDigest"]
        assert p["granularity"] == h["granularity"] and p["commitmentMode"] == h["mode"]
        assert p["steps"] == len(t["steps"]) and 0 <= p["stepsChecked"] <= p["steps"]
        assert p["inputs"] == h["inputs"]
    honest = json.loads(doc["envelopes"][0]["envelope"])
    for r in doc["rejections"]:
        env = json.loads(r["envelope"])
        assert env != honest, r["description"]
        assert r["requiredSigner"] == doc["envelopes"][0]["signer"], r["description"]
    print("checked", len(doc["pae"]), "PAE cases,", len(doc["envelopes"]), "envelopes and", len(doc["rejections"]),
          "rejections in", os.path.join(OUT, "attestation.json"))


def abi_words_register(name, version, model_id, artifact, uri, kind):
    """ABI encoding of (string,string,bytes32,bytes32,string,string), without the selector."""
    def dyn(sv):
        b = sv.encode("utf-8")
        return len(b).to_bytes(32, "big") + b + b"\x00" * ((32 - len(b) % 32) % 32)
    tails = [dyn(name), dyn(version), None, None, dyn(uri), dyn(kind)]
    statics = {2: bytes.fromhex(model_id), 3: bytes.fromhex(artifact)}
    head, tail, offset = b"", b"", 32 * 6
    for i, t in enumerate(tails):
        if t is None:
            head += statics[i]
        else:
            head += offset.to_bytes(32, "big")
            tail += t
            offset += len(t)
    return head + tail


def check_registry():
    with open(os.path.join(OUT, "registry.json"), encoding="utf-8") as f:
        doc = json.load(f)
    for c in doc["artifactDigests"]:
        files = {x["name"]: bytes.fromhex(x["hex"]) for x in c["files"]}
        if c["layout"] == "file":
            (content,) = files.values()
            assert sha256(content).hex() == c["digest"], c["description"]
        else:
            names = sorted(files, key=lambda n: n.encode("utf-8"))
            lines = "".join("%s  %s\n" % (sha256(files[n]).hex(), n) for n in names)
            assert lines == c["lines"], c["description"]
            assert sha256(lines.encode("utf-8")).hex() == c["digest"], c["description"]
    for e in doc["entries"]:
        body = abi_words_register(e["name"], e["version"], e["modelId"], e["artifactDigest"], e["uri"], e["kind"])
        assert e["registerCalldata"][8:] == body.hex(), e["description"]
        for field in ("name", "version", "uri"):
            assert e[field] and all(0x21 <= ord(ch) <= 0x7E for ch in e[field]), field
        assert all(ch in "abcdefghijklmnopqrstuvwxyz0123456789-" for ch in e["kind"])
    print("checked", len(doc["artifactDigests"]), "artifact digests and", len(doc["entries"]), "registry entries in",
          os.path.join(OUT, "registry.json"))


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
    check_transcripts()
    check_attestations()
    check_registry()
