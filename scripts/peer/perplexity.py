#!/usr/bin/env python3
"""Reference perplexity and teacher-forced argmax ids from llama.cpp (llama-cpp-python).

Purpose: the numbers our engine must reproduce: perplexity over a text within 1% of
llama.cpp's, and per-position top-1 agreement with llama.cpp's predictions.

Method (our engine's `perplexity` command must follow the same definition):
  * tokens = tokenize(text) with no BOS and special-token parsing off.
  * Non-overlapping windows of exactly `ctx` input tokens. If the model's metadata says
    add_bos, each window is [BOS] + the next ctx-1 text tokens; otherwise the next ctx text
    tokens. A trailing part shorter than a full window is dropped.
  * Each window is evaluated from an empty KV cache in one batch (n_batch = n_ubatch = ctx)
    with logits for every position. Input position j (0 <= j < ctx-1) predicts input token
    j+1: all ctx-1 positions after the first token are scored.
  * NLL = -log softmax(logits_j)[input_{j+1}] in float64; perplexity = exp(mean NLL).
  * argmax[w*(ctx-1) + j] = argmax(logits_j) of window w (first index on ties);
    margin = top-1 logit minus top-2 logit at that position, to tell near-ties from real
    disagreements.

Inputs: --model GGUF, --text FILE (see scripts/reference/eval_text.sh), --ctx N (repeatable),
        --threads N, --out JSON.
Output JSON (compact: ids as base64 of little-endian uint16; margins as base64 of uint8 in
units of `margin_scale` logits, saturating at 255):
  {"model": {...}, "text": {bytes, sha256}, "tokenization": {add_bos, n_tokens, tokens},
   "evaluations": [{ctx, bos_per_window, windows, scored_per_window, n_scored, mean_nll,
                    perplexity, window_mean_nll[], argmax, margin, margin_scale, n_threads, n_batch}]}
The output depends only on the inputs (no timings), so re-running reproduces the file.

Usage: ~/.cache/bita-chat/peer-venv/bin/python scripts/peer/perplexity.py \
         --model models/SmolLM2-135M-Instruct.Q4_1.gguf --text /tmp/bita-eval-text.txt \
         --ctx 512 --out Tests/Data/reference/smollm2-perplexity.json
"""
import argparse
import base64
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
from llama_cpp import Llama, __version__ as llama_cpp_version

MARGIN_SCALE = 0.05  # logits per unit of the stored uint8 margin


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def b64_uint16(values):
    arr = np.asarray(values, dtype=np.int64)
    assert arr.min() >= 0 and arr.max() < 65536, "ids do not fit uint16"
    return base64.b64encode(arr.astype("<u2").tobytes()).decode("ascii")


def b64_margin(margins):
    q = np.clip(np.rint(np.asarray(margins, dtype=np.float64) / MARGIN_SCALE), 0, 255)
    return base64.b64encode(q.astype(np.uint8).tobytes()).decode("ascii")


def add_bos_of(llm):
    value = llm.metadata.get("tokenizer.ggml.add_bos_token")
    if value is not None:
        return value == "true"
    return llm._model.add_bos_token()


def evaluate(model_path, tokens, ctx, threads, add_bos, bos_id):
    llm = Llama(model_path, n_ctx=ctx, n_batch=ctx, n_ubatch=ctx, n_threads=threads,
                n_threads_batch=threads, logits_all=True, verbose=False)
    step = ctx - 1 if add_bos else ctx
    n_windows = len(tokens) // step
    if n_windows == 0:
        raise SystemExit(f"text has {len(tokens)} tokens: too short for one window of {ctx}")
    window_nll, argmax, margins = [], [], []
    start = time.perf_counter()
    for w in range(n_windows):
        chunk = tokens[w * step:(w + 1) * step]
        inp = ([bos_id] + chunk) if add_bos else chunk
        assert len(inp) == ctx
        llm.reset()
        llm.eval(inp)
        logits = np.array(llm.scores[:ctx - 1], dtype=np.float64)  # [ctx-1, n_vocab]
        targets = np.asarray(inp[1:], dtype=np.int64)
        row_max = logits.max(axis=1)
        lse = row_max + np.log(np.exp(logits - row_max[:, None]).sum(axis=1))
        nll = lse - logits[np.arange(ctx - 1), targets]
        window_nll.append(float(nll.mean()))
        top2 = np.partition(logits, -2, axis=1)[:, -2:]
        argmax.extend(int(i) for i in logits.argmax(axis=1))
        margins.extend((top2[:, 1] - top2[:, 0]).tolist())
        print(f"  ctx {ctx}: window {w + 1}/{n_windows} ppl so far "
              f"{math.exp(sum(window_nll) / len(window_nll)):.4f}", file=sys.stderr, end="\r")
    seconds = time.perf_counter() - start
    print(file=sys.stderr)
    mean_nll = sum(window_nll) / n_windows  # every window scores ctx-1 positions
    return {
        "ctx": ctx,
        "bos_per_window": add_bos,
        "windows": n_windows,
        "scored_per_window": ctx - 1,
        "n_scored": n_windows * (ctx - 1),
        "mean_nll": mean_nll,
        "perplexity": math.exp(mean_nll),
        "window_mean_nll": [round(x, 6) for x in window_nll],
        "argmax": b64_uint16(argmax),
        "margin": b64_margin(margins),
        "margin_scale": MARGIN_SCALE,
        "n_threads": threads,
        "n_batch": ctx,
    }, seconds


def main():
    parser = argparse.ArgumentParser(description="llama.cpp reference perplexity and argmax ids")
    parser.add_argument("--model", required=True)
    parser.add_argument("--text", required=True)
    parser.add_argument("--ctx", type=int, action="append", help="window size (repeatable; default 512)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    ctxs = args.ctx or [512]

    with open(args.text, "rb") as f:
        raw = f.read()
    vocab = Llama(args.model, vocab_only=True, verbose=False)
    add_bos = add_bos_of(vocab)
    tokens = vocab.tokenize(raw, add_bos=False, special=False)
    print(f"{os.path.basename(args.model)}: {len(tokens)} tokens, add_bos={add_bos}", file=sys.stderr)

    result = {
        "generator": "scripts/peer/perplexity.py",
        "llama_cpp_python": llama_cpp_version,
        "model": {"file": os.path.basename(args.model), "bytes": os.path.getsize(args.model),
                  "sha256": sha256_of(args.model)},
        "text": {"source": "scripts/reference/eval_text.sh", "bytes": len(raw),
                 "sha256": hashlib.sha256(raw).hexdigest()},
        "tokenization": {"add_bos": add_bos, "bos_id": vocab.token_bos(), "parse_special": False,
                         "n_tokens": len(tokens), "encoding": "base64 uint16 little-endian",
                         "tokens": b64_uint16(tokens)},
        "evaluations": [],
    }
    del vocab
    for ctx in ctxs:
        ev, seconds = evaluate(args.model, tokens, ctx, args.threads, add_bos, result["tokenization"]["bos_id"])
        print(f"  ctx {ctx}: {ev['windows']} windows, {ev['n_scored']} scored, "
              f"perplexity {ev['perplexity']:.4f} ({seconds:.1f} s)", file=sys.stderr)
        result["evaluations"].append(ev)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
