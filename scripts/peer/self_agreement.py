#!/usr/bin/env python3
"""How closely llama.cpp agrees with itself: its batched path against its one-token path.

The reference files (perplexity.py, greedy.py) come from llama.cpp's batched path: a window or
a prompt goes through in one batch of up to n_batch tokens. When llama.cpp generates text it
runs a different path, one token per forward pass. The two paths use different kernels
(batched matrix products and single-row dot products), so their float results differ in the
last bits. Activations are quantized to int8 before every quantized matmul, and a last-bit
difference that moves one activation across a rounding boundary grows layer by layer into a
full quantization-noise difference. This script measures that spread, on the same inputs as
the references:

  * teacher forcing: the first `--windows` windows of the perplexity reference's own token ids,
    evaluated with n_batch = 1 (every position its own forward pass); top-1 agreement with the
    reference's argmax, and the RMS logit difference against a fresh batched run;
  * greedy: the greedy reference's 30 chat prompts with the prompt fed one token at a time,
    then greedy decoding; how many continuations equal the reference over its tokens.

The numbers are the noise floor for comparing any other engine with llama.cpp: an engine with
its own (equally valid) summation order cannot be expected to agree with the reference more
often than llama.cpp's two paths agree with each other.

Output (JSON): {generator, llama_cpp_python, model, perplexity: {...}, greedy: {...}}.
"""
import argparse
import base64
import json
import os
import sys

import numpy as np
from llama_cpp import Llama
from llama_cpp import __version__ as llama_cpp_version
import llama_cpp


def b64_uint16(values):
    return base64.b64encode(np.asarray(values, dtype="<u2").tobytes()).decode("ascii")


def unb64_uint16(text):
    return np.frombuffer(base64.b64decode(text), dtype="<u2").astype(np.int64)


def window_logits(llm, tokens, ctx):
    llm.reset()
    llm.eval(tokens)
    return np.array(llm.scores[:ctx - 1], dtype=np.float64)


def teacher_forced(model, reference, windows, threads):
    evaluation = reference["evaluations"][0]
    ctx = evaluation["ctx"]
    if evaluation["bos_per_window"]:
        raise SystemExit("windows with a BOS per window are not supported here")
    tokens = unb64_uint16(reference["tokenization"]["tokens"]).tolist()
    ref_argmax = unb64_uint16(evaluation["argmax"])
    batched = Llama(model, n_ctx=ctx, n_batch=ctx, n_ubatch=ctx, n_threads=threads,
                    n_threads_batch=threads, logits_all=True, verbose=False)
    single = Llama(model, n_ctx=ctx, n_batch=1, n_ubatch=1, n_threads=threads,
                   n_threads_batch=threads, logits_all=True, verbose=False)
    argmax, agreed, compared, squares, reproduced = [], 0, 0, 0.0, 0
    for w in range(windows):
        window = tokens[w * ctx:(w + 1) * ctx]
        a = window_logits(batched, window, ctx)
        b = window_logits(single, window, ctx)
        ids = b.argmax(axis=1)
        expected = ref_argmax[w * (ctx - 1):(w + 1) * (ctx - 1)]
        reproduced += int((a.argmax(axis=1) == expected).sum())
        agreed += int((ids == expected).sum())
        compared += len(ids)
        squares += float(((a - b) ** 2).sum())
        argmax.extend(int(i) for i in ids)
        print(f"  window {w + 1}/{windows}: {agreed}/{compared} agree", file=sys.stderr)
    if reproduced != compared:
        raise SystemExit(f"the batched run reproduces only {reproduced}/{compared} reference argmax ids: "
                         "different llama.cpp build or settings than the reference")
    vocab = a.shape[1]
    return {
        "ctx": ctx, "windows": windows, "compared": compared,
        "one_token_path_agreed": agreed,
        "one_token_path_agreement": agreed / compared,
        "rms_logit_difference": (squares / (compared * vocab)) ** 0.5,
        "one_token_path_argmax": b64_uint16(argmax),
        "n_threads": threads,
    }


def greedy_one_token_prefill(model, reference, threads):
    llm = Llama(model, n_ctx=1024, n_batch=1, n_ubatch=1, n_threads=threads,
                n_threads_batch=threads, logits_all=True, verbose=False)
    vocab = llm._model.vocab
    identical, diverged = 0, []
    for case in reference["cases"]:
        expected = case["greedy_ids"]
        llm.reset()
        llm.eval(case["prompt_ids"])
        ids = []
        while len(ids) < len(expected):
            token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
            ids.append(token)
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                break
            llm.eval([token])
        first = next((i for i, (x, y) in enumerate(zip(ids, expected)) if x != y), None)
        if first is None and len(ids) == len(expected):
            identical += 1
        else:
            diverged.append({"id": case["id"], "first_difference": first,
                             "reference_margin": case["margins"][first] if first is not None else None})
        print(f"  {case['id']}: {'same' if first is None else f'differs at {first}'}", file=sys.stderr)
    return {"cases": len(reference["cases"]), "tokens": reference["new_tokens"],
            "one_token_prefill_identical": identical, "diverged": diverged, "n_threads": threads}


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    data = os.path.join(root, "Tests", "Data", "reference")
    parser = argparse.ArgumentParser(description="llama.cpp batched path vs its one-token path")
    parser.add_argument("--model", default=os.path.join(root, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    parser.add_argument("--perplexity", default=os.path.join(data, "smollm2-perplexity.json"))
    parser.add_argument("--greedy", default=os.path.join(data, "smollm2-greedy.json"))
    parser.add_argument("--windows", type=int, default=2, help="windows compared (the test scores 2)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=os.path.join(data, "smollm2-self-agreement.json"))
    args = parser.parse_args()

    perplexity_ref = json.load(open(args.perplexity, encoding="utf-8"))
    greedy_ref = json.load(open(args.greedy, encoding="utf-8"))
    result = {
        "generator": "scripts/peer/self_agreement.py",
        "llama_cpp_python": llama_cpp_version,
        "model": {"file": os.path.basename(args.model), "bytes": os.path.getsize(args.model)},
        "perplexity": teacher_forced(args.model, perplexity_ref, args.windows, args.threads),
        "greedy": greedy_one_token_prefill(args.model, greedy_ref, args.threads),
    }
    p, g = result["perplexity"], result["greedy"]
    print(f"teacher forcing: one-token path agrees with the batched reference on "
          f"{p['one_token_path_agreed']}/{p['compared']} ({100 * p['one_token_path_agreement']:.2f}%), "
          f"RMS logit difference {p['rms_logit_difference']:.4f}", file=sys.stderr)
    print(f"greedy: {g['one_token_prefill_identical']}/{g['cases']} identical over {g['tokens']} tokens "
          f"with a one-token-at-a-time prefill", file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
