#!/usr/bin/python3
"""Trains opg's example decoder and exports it to ONNX in the common decoder layout.

The corpus: the Book of Genesis, King James Version (1611; its copyright has expired), as
Debian's package `bible-kjv-text` ships it (read through the `bible` program of `bible-kjv`:
`apt-get install -y bible-kjv bible-kjv-text`). One verse a line, without the references; each
verse is a document ended by the end-of-text token.

The tokenizer: byte-pair encoding learnt here from the corpus (words split at spaces, each
prefixed with U+2581 as SentencePiece and HuggingFace's Metaspace do; MERGES merges over single
characters; ties broken by the pair's text), written as a HuggingFace `tokenizer.json` (BPE model,
Metaspace pre-tokenizer and decoder), with the end-of-text token as id 0.

The model: a GPT-style decoder (learned token and position embeddings, pre-norm
transformer layers with causal multi-head self-attention and a GELU MLP, a final LayerNorm and a
linear head), trained with fixed seeds on one CPU thread for a few minutes.

The export: inputs `input_ids` [batch, seq] int64, `attention_mask` [batch, past+seq] int64,
`position_ids` [batch, seq] int64, `past_key_values.{i}.key` / `.value` [batch, heads, past,
head_dim] float32; outputs `logits` [batch, seq, vocab] and `present.{i}.key` / `.value` [batch,
heads, past+seq, head_dim], each `present` the Concat of the `past` with the new positions along
axis 2 (what GPT-2 exports produce). Prefill feeds a past of length 0.

Writes, next to this script, kjv-gpt/model.onnx, kjv-gpt/tokenizer.json (HuggingFace tokenizers
format: a WordLevel model over single characters, a Split pre-tokenizer that isolates every
character, and the Fuse decoder) and kjv-gpt/generation.json (the decoder's layout and its
end-of-text token). Usage: /usr/bin/python3 opg-examples/models/train_gpt.py [--steps N]

A larger decoder of the same design, for measuring proving cost on a model of a few million
parameters (opg-examples/models/kjv-gpt-medium, used by GenerationBenchmark):
/usr/bin/python3 opg-examples/models/train_gpt.py --layers 4 --heads 6 --d-model 192 --out kjv-gpt-medium --steps 300

And at 8 layers of width 512 (25.9M parameters, 103 MB, not committed), from its seeded initial weights
(--steps 0: what a forward pass costs does not depend on the weights), which benchmarks/run.sh makes
for GenerationBenchmark; --out takes an absolute path too:
/usr/bin/python3 opg-examples/models/train_gpt.py --layers 8 --heads 8 --d-model 512 --steps 0 --out "$PWD/benchmarks/target/models/kjv-gpt-large"
"""
import argparse
import hashlib
import json
import math
import os
import random
import subprocess
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "kjv-gpt")
EOT = "<|endoftext|>"

N_LAYER, N_HEAD, D_MODEL, N_POSITIONS = 2, 4, 96, 320
CONTEXT = 64
MERGES = 400
SPACE = "\u2581"


def words(verse):
    return [SPACE + w for w in verse.split(" ") if w]


def learn_bpe(verses):
    """Classic BPE: merge the most frequent adjacent pair (ties: the smallest pair text) MERGES times."""
    freq = {}
    for v in verses:
        for w in words(v):
            freq[w] = freq.get(w, 0) + 1
    seqs = {w: list(w) for w in freq}
    merges = []
    for _ in range(MERGES):
        pairs = {}
        for w, f in freq.items():
            s = seqs[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + f
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        for w in seqs:
            s, out, i = seqs[w], [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            seqs[w] = out
    return merges


def bpe_encode(word, ranks):
    """HuggingFace's BPE on one word: repeatedly merge the adjacent pair of lowest rank."""
    s = list(word)
    while len(s) > 1:
        best, at = None, -1
        for i in range(len(s) - 1):
            r = ranks.get((s[i], s[i + 1]))
            if r is not None and (best is None or r < best):
                best, at = r, i
        if best is None:
            break
        s = s[:at] + [s[at] + s[at + 1]] + s[at + 2:]
    return s


def corpus():
    """Genesis, one verse a line, from Debian's bible-kjv-text through `bible`."""
    raw = subprocess.run(["bible", "Ge1:1-50:26"], check=True, capture_output=True, text=True).stdout
    verses = []
    for line in raw.splitlines():
        line = line.strip()
        if not line or line.startswith("Genesis"):
            continue
        num, _, text = line.partition(" ")
        if num.isdigit() and text:
            verses.append(text)
    return verses


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(D_MODEL)
        self.qkv = nn.Linear(D_MODEL, 3 * D_MODEL)
        self.proj = nn.Linear(D_MODEL, D_MODEL)
        self.ln_2 = nn.LayerNorm(D_MODEL)
        self.fc = nn.Linear(D_MODEL, 4 * D_MODEL)
        self.out = nn.Linear(4 * D_MODEL, D_MODEL)

    def forward(self, x, bias, past_k, past_v):
        b, t, _ = x.shape
        hd = D_MODEL // N_HEAD
        q, k, v = self.qkv(self.ln_1(x)).split(D_MODEL, dim=2)
        q = q.reshape(b, t, N_HEAD, hd).transpose(1, 2)
        k = k.reshape(b, t, N_HEAD, hd).transpose(1, 2)
        v = v.reshape(b, t, N_HEAD, hd).transpose(1, 2)
        k = torch.cat([past_k, k], dim=2)  # present.{i}.key = Concat(past, new) on axis 2
        v = torch.cat([past_v, v], dim=2)
        att = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(hd)) + bias
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, D_MODEL)
        x = x + self.proj(y)
        x = x + self.out(F.gelu(self.fc(self.ln_2(x))))
        return x, k, v


class Decoder(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, D_MODEL)
        self.wpe = nn.Embedding(N_POSITIONS, D_MODEL)
        self.layers = nn.ModuleList([Layer() for _ in range(N_LAYER)])
        self.ln_f = nn.LayerNorm(D_MODEL)
        self.head = nn.Linear(D_MODEL, vocab, bias=False)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        t = input_ids.shape[1]
        total = attention_mask.shape[1]
        # query i sits at absolute position total - t + i and sees keys 0..that position that the mask keeps
        qpos = torch.arange(t, device=input_ids.device).unsqueeze(1) + (total - t)
        kpos = torch.arange(total, device=input_ids.device).unsqueeze(0)
        allowed = (kpos <= qpos).unsqueeze(0).unsqueeze(0) & (attention_mask[:, None, None, :] > 0)
        bias = (~allowed).to(torch.float32) * -1e9
        x = self.wte(input_ids) + self.wpe(position_ids)
        present = []
        for i, layer in enumerate(self.layers):
            x, k, v = layer(x, bias, past[2 * i], past[2 * i + 1])
            present += [k, v]
        return (self.head(self.ln_f(x)), *present)


def empty_past(batch):
    return [torch.zeros(batch, N_HEAD, 0, D_MODEL // N_HEAD) for _ in range(2 * N_LAYER)]


def main():
    global N_LAYER, N_HEAD, D_MODEL, OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--layers", type=int, default=N_LAYER)
    ap.add_argument("--heads", type=int, default=N_HEAD)
    ap.add_argument("--d-model", type=int, default=D_MODEL)
    ap.add_argument("--out", default="kjv-gpt", help="directory next to this script to write the model to")
    args = ap.parse_args()
    N_LAYER, N_HEAD, D_MODEL = args.layers, args.heads, args.d_model
    if D_MODEL % N_HEAD:
        raise SystemExit(f"--d-model {D_MODEL} is not a multiple of --heads {N_HEAD}")
    OUT = os.path.join(HERE, args.out)
    torch.set_num_threads(args.threads)
    random.seed(1611)
    np.random.seed(1611)
    torch.manual_seed(1611)

    verses = corpus()
    text = "".join(EOT + v for v in verses) + EOT
    merges = learn_bpe(verses)
    ranks = {m: i for i, m in enumerate(merges)}
    chars = sorted(set(SPACE + "".join(verses)))
    vocab = [EOT] + chars + [a + b for a, b in merges]
    stoi = {c: i for i, c in enumerate(vocab)}
    assert len(stoi) == len(vocab), "a merge produced a token twice"
    cache = {}
    ids = []
    for v in verses:
        ids.append(0)
        for w in words(v):
            if w not in cache:
                cache[w] = [stoi[t] for t in bpe_encode(w, ranks)]
            ids.extend(cache[w])
    ids.append(0)
    data = torch.tensor(ids, dtype=torch.long)
    print(f"corpus: {len(verses)} verses, {len(ids)} tokens, vocabulary {len(vocab)}, sha256 of the text "
          f"{hashlib.sha256(text.encode()).hexdigest()}")

    model = Decoder(len(vocab))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n_params}")
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.01, betas=(0.9, 0.99))
    block = CONTEXT
    gen = torch.Generator().manual_seed(1611)
    t0 = time.time()
    model.train()
    for step in range(args.steps):
        lr = 5e-3 * min(1.0, (step + 1) / 50) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, len(data) - block - 1, (args.batch,), generator=gen)
        x = torch.stack([data[s:s + block] for s in starts])
        y = torch.stack([data[s + 1:s + block + 1] for s in starts])
        # random offsets, so that every position embedding up to N_POSITIONS is trained
        off = torch.randint(0, N_POSITIONS - block + 1, (args.batch, 1), generator=gen)
        pos = torch.arange(block).unsqueeze(0) + off
        logits = model(x, torch.ones(args.batch, block, dtype=torch.long), pos, *empty_past(args.batch))[0]
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step} loss {loss.item():.3f} lr {lr:.5f} {time.time() - t0:.0f}s", flush=True)
    model.eval()

    # greedy sample with the KV cache, as opg will run the export
    prompt = "In the beginning God"
    with torch.no_grad():
        tok = [t for w in words(prompt) for t in (stoi[x] for x in bpe_encode(w, ranks))]
        out, past = list(tok), empty_past(1)
        inp = torch.tensor([tok])
        for _ in range(80):
            n = len(out)
            res = model(inp, torch.ones(1, n, dtype=torch.long),
                        torch.arange(n - inp.shape[1], n).unsqueeze(0), *past)
            past = list(res[1:])
            nxt = int(res[0][0, -1].argmax())
            if nxt == 0:
                break
            out.append(nxt)
            inp = torch.tensor([[nxt]])
    print("sample:", "".join(vocab[i] for i in out).replace(SPACE, " ").strip())

    os.makedirs(OUT, exist_ok=True)
    names_in = ["input_ids", "attention_mask", "position_ids"]
    names_out = ["logits"]
    dyn = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "total"},
           "position_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
    for i in range(N_LAYER):
        for kv in ("key", "value"):
            names_in.append(f"past_key_values.{i}.{kv}")
            names_out.append(f"present.{i}.{kv}")
            dyn[f"past_key_values.{i}.{kv}"] = {0: "batch", 2: "past"}
            dyn[f"present.{i}.{kv}"] = {0: "batch", 2: "total"}
    ex_past = [torch.zeros(1, N_HEAD, 3, D_MODEL // N_HEAD) for _ in range(2 * N_LAYER)]
    ex = (torch.tensor([[1, 2]]), torch.ones(1, 5, dtype=torch.long), torch.tensor([[3, 4]]), *ex_past)
    path = os.path.join(OUT, "model.onnx")
    torch.onnx.export(model, ex, path, input_names=names_in, output_names=names_out, dynamic_axes=dyn,
                      opset_version=14, do_constant_folding=True)
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": 0, "content": EOT, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "always", "split": True},
        "post_processor": None,
        "decoder": {"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "always", "split": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {c: i for i, c in enumerate(vocab)}, "merges": [a + " " + b for a, b in merges]},
    }
    with open(os.path.join(OUT, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=1)
        f.write("\n")
    config = {
        "format": "opg-decoder",
        "model": "model.onnx",
        "tokenizer": "tokenizer.json",
        "numLayers": N_LAYER,
        "numHeads": N_HEAD,
        "headDim": D_MODEL // N_HEAD,
        "maxPositions": N_POSITIONS,
        "vocabSize": len(vocab),
        "eosTokenId": 0,
        "merges": len(merges),
        "corpus": "Genesis, King James Version (public domain), Debian package bible-kjv-text",
        "parameters": n_params,
        "trainingSteps": args.steps,
    }
    with open(os.path.join(OUT, "generation.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
