#!/usr/bin/env python3
"""Reference greedy continuations from llama.cpp (llama-cpp-python, low-level eval loop).

Purpose: token-level ground truth for our tokenizer, chat template and AR decoder:
the exact rendered prompt, its token ids, and llama.cpp's greedy (pure argmax) next tokens.

Modes:
  chat   SmolLM2-style chat models. For the first N prompts per category of
         prompts/bench.jsonl (first turn only; N = 5 gives 30 prompts), renders
             <|im_start|>system\\n{system}<|im_end|>\\n<|im_start|>user\\n{user}<|im_end|>\\n<|im_start|>assistant\\n
         with the fixed system prompt "You are a helpful assistant." and checks that this equals
         the GGUF's own `tokenizer.chat_template` rendered with jinja2 (add_generation_prompt).
         Prompt ids: tokenize(rendered, add_bos per metadata, special=True).
  story  Base models such as stories260K: 20 short story openings written for this project,
         tokenized with add_bos per metadata and special=False.

Decoding: one batch for the prompt, then one token per eval; the next token is the argmax
of the last row of logits (first index on ties), computed here, no sampler involved.
Generation stops after `--new-tokens` tokens or after an end-of-generation token (kept).
Each step also records the margin top-1 minus top-2 logit, to tell near-ties from real
disagreements when another engine diverges.

Output JSON: {"model": {...}, "mode", "add_bos", "parse_special", "system", "new_tokens",
              "cases": [{"id", "category"?, "user"|"opening", "rendered", "prompt_ids",
                         "greedy_ids", "greedy_text", "margins", "stop": "eog"|"length"}]}

Usage (peer venv python):
  greedy.py chat  --model models/SmolLM2-135M-Instruct.Q4_1.gguf --bench prompts/bench.jsonl \\
                  --per-category 5 --new-tokens 32 --out Tests/Data/reference/smollm2-greedy.json
  greedy.py story --model ../shared/models/stories260K.gguf --new-tokens 64 \\
                  --out Tests/Data/reference/stories260k-greedy.json
"""
import argparse
import json
import os
import sys

import numpy as np
import llama_cpp
from llama_cpp import Llama

SYSTEM_PROMPT = "You are a helpful assistant."

STORY_OPENINGS = [
    "Once upon a time",
    "One day, a little boy named Tim",
    "There was a big red ball in the park.",
    "Lily and her mom went to the store.",
    "The sun was shining and the birds were singing.",
    "Max had a small dog called Spot.",
    "Once upon a time, there was a tiny bird who could not fly.",
    "Sam found a shiny key under his bed.",
    "It was raining, so Anna stayed inside and",
    "The old tree in the garden was very tall.",
    "Ben wanted to build a boat.",
    "A little cat sat on the window and looked at the snow.",
    "Mia loved to draw pictures of the sea.",
    "One morning, the farmer saw that his cow was gone.",
    "Tom and Sue were best friends.",
    "There was a small house at the end of the road.",
    "The princess had a magic box.",
    "Every night, the moon talked to the stars.",
    "Jack was sad because he lost his toy car.",
    "The bunny hopped into the forest to find a carrot.",
]


def add_bos_of(llm):
    value = llm.metadata.get("tokenizer.ggml.add_bos_token")
    if value is not None:
        return value == "true"
    return llm._model.add_bos_token()


def chatml(system, user):
    return (f"<|im_start|>system\n{system}<|im_end|>\n"
            f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")


def render_gguf_template(template, system, user):
    """The GGUF's own chat template, rendered the way Hugging Face tokenizers do."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return env.from_string(template).render(messages=messages, add_generation_prompt=True)


def greedy(llm, prompt_ids, new_tokens):
    """Pure argmax decoding; returns (ids, margins, stop)."""
    llm.reset()
    llm.eval(prompt_ids)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    n_vocab = llm.n_vocab()
    ids, margins = [], []
    stop = "length"
    for _ in range(new_tokens):
        row = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,))
        row = row.astype(np.float64)
        tok = int(row.argmax())
        top2 = np.partition(row, -2)[-2:]
        ids.append(tok)
        margins.append(round(float(top2[1] - top2[0]), 4))
        if llama_cpp.llama_vocab_is_eog(vocab, tok):
            stop = "eog"
            break
        llm.eval([tok])
    return ids, margins, stop


def detokenize(llm, ids):
    return llm.detokenize(ids, special=True).decode("utf-8", errors="replace")


def model_info(path):
    return {"file": os.path.basename(path), "bytes": os.path.getsize(path)}


def run_chat(args):
    llm = Llama(args.model, n_ctx=args.ctx, n_batch=args.ctx, n_threads=args.threads,
                n_threads_batch=args.threads, verbose=False)
    template = llm.metadata.get("tokenizer.chat_template")
    if template is None:
        raise SystemExit(f"{args.model} has no tokenizer.chat_template")
    add_bos = add_bos_of(llm)
    rows = [json.loads(line) for line in open(args.bench, encoding="utf-8")]
    picked, per = [], {}
    for row in rows:
        if per.get(row["category"], 0) < args.per_category:
            per[row["category"]] = per.get(row["category"], 0) + 1
            picked.append(row)
    cases = []
    for row in picked:
        user = row["turns"][0]
        rendered = chatml(SYSTEM_PROMPT, user)
        from_template = render_gguf_template(template, SYSTEM_PROMPT, user)
        if rendered != from_template:
            raise SystemExit(f"ChatML rendering differs from the GGUF template for {row['id']}:\n"
                             f"{rendered!r}\nvs\n{from_template!r}")
        prompt_ids = llm.tokenize(rendered.encode("utf-8"), add_bos=add_bos, special=True)
        ids, margins, stop = greedy(llm, prompt_ids, args.new_tokens)
        cases.append({"id": row["id"], "category": row["category"], "user": user, "rendered": rendered,
                      "prompt_ids": prompt_ids, "greedy_ids": ids, "greedy_text": detokenize(llm, ids),
                      "margins": margins, "stop": stop})
        print(f"{row['id']}: {len(prompt_ids)} prompt tokens -> {detokenize(llm, ids)[:70]!r}", file=sys.stderr)
    return {"model": model_info(args.model), "mode": "chat", "chat_template": template,
            "system": SYSTEM_PROMPT, "add_bos": add_bos, "parse_special": True,
            "new_tokens": args.new_tokens, "cases": cases}


def run_story(args):
    llm = Llama(args.model, n_ctx=args.ctx, n_batch=args.ctx, n_threads=args.threads,
                n_threads_batch=args.threads, verbose=False)
    add_bos = add_bos_of(llm)
    cases = []
    for i, opening in enumerate(STORY_OPENINGS, 1):
        prompt_ids = llm.tokenize(opening.encode("utf-8"), add_bos=add_bos, special=False)
        ids, margins, stop = greedy(llm, prompt_ids, args.new_tokens)
        cases.append({"id": f"story-{i:02d}", "opening": opening, "rendered": opening,
                      "prompt_ids": prompt_ids, "greedy_ids": ids, "greedy_text": detokenize(llm, ids),
                      "margins": margins, "stop": stop})
        print(f"story-{i:02d}: {opening!r} -> {detokenize(llm, ids)[:70]!r}", file=sys.stderr)
    return {"model": model_info(args.model), "mode": "story", "add_bos": add_bos, "parse_special": False,
            "new_tokens": args.new_tokens, "cases": cases}


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description="llama.cpp greedy reference continuations")
    sub = parser.add_subparsers(dest="mode", required=True)
    for name in ("chat", "story"):
        p = sub.add_parser(name)
        p.add_argument("--model", required=True)
        p.add_argument("--new-tokens", type=int, default=32 if name == "chat" else 64)
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--ctx", type=int, default=512 if name == "chat" else 256)
        p.add_argument("--out", required=True)
        if name == "chat":
            p.add_argument("--bench", default=os.path.join(root, "prompts", "bench.jsonl"))
            p.add_argument("--per-category", type=int, default=5)
    args = parser.parse_args()
    result = run_chat(args) if args.mode == "chat" else run_story(args)
    result["generator"] = "scripts/peer/greedy.py " + args.mode
    result["llama_cpp_python"] = llama_cpp.__version__
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {args.out} ({len(result['cases'])} cases)", file=sys.stderr)


if __name__ == "__main__":
    main()
