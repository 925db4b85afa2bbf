#!/usr/bin/env python3
"""llama.cpp (llama-cpp-python) speed on the benchmark prompts: the peer side of `make bench`.

Measures, for each thread count (default 1 and 2):
  * decode: for every prompt of prompts/bench.jsonl, the first user turn rendered with the
    model's ChatML template (the prompt's own system prompt, else "You are a helpful
    assistant."), greedy (argmax of the logits, computed here), up to --max-tokens new tokens,
    stopping after an end-of-generation token. The first new token comes from the prompt
    pass; every further token costs one single-token forward pass. Decode tokens/s =
    number of those passes / their total wall time (prefill excluded). Reported per prompt,
    per category and overall (total tokens / total time), plus 1000 / median ms per pass,
    which resists interference from other processes. Thread counts run interleaved prompt
    by prompt, so slow drifts in machine load hit both alike.
  * prefill: one forward pass over a 512-token prompt (logits for the last row only), from an
    empty cache; best (and median) of --repeats runs; tokens/s = 512 / best time. The prompt is the first 512
    tokens of all bench first turns joined by blank lines (no template, no BOS).
  * cost curve: after a fixed 256-token context (the start of that same token stream), the
    time of one forward pass over n new tokens with logits for all n rows, n = 1..64,
    best (and median) of --repeats runs (the n rows are removed from the cache after each
    run); reported in ms and relative to n = 1 (best times).

Inputs: --model GGUF (default models/SmolLM2-135M-Instruct.Q4_1.gguf), --prompts JSONL,
        --threads 1,2, --max-tokens 256, --repeats 7; for quick runs --limit N (first N prompts)
        or --per-category K (first K prompts of each category).
Output: JSON at --out (default bench/results/llamacpp.json) and a table on stdout:
  {"generator", "llama_cpp_python", "model", "machine": {cpu, cores, loadavg_start/end},
   "settings": {...}, "threads": {"1": {"decode": {"overall", "per_category"},
   "prefill_512": {...}, "cost_curve": {"context", "n", "ms", "relative"}}, "2": {...}},
   "prompts": [{"id", "category", "prompt_tokens", "ids", "identical_across_threads",
                "threads": {"1": {"new_tokens", "decode_passes", "decode_s", "tokens_per_second"}}}]}

Usage: ~/.cache/bita-chat/peer-venv/bin/python scripts/peer/bench_llamacpp.py [--limit 6 --max-tokens 64]
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

# numpy's bundled OpenBLAS starts worker threads that spin on the second core and slow
# llama.cpp's own threads down; argmax needs none of them.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import llama_cpp
from llama_cpp import Llama

DEFAULT_SYSTEM = "You are a helpful assistant."
CATEGORIES = ["chat", "writing", "summarization", "code", "qa", "math"]


def chatml(system, user):
    return (f"<|im_start|>system\n{system}<|im_end|>\n"
            f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")


class Peer:
    """One llama.cpp context with a fixed thread count and a hand-driven eval loop."""

    def __init__(self, model, threads, n_ctx):
        self.llm = Llama(model, n_ctx=n_ctx, n_batch=512, n_ubatch=512, n_threads=threads,
                         n_threads_batch=threads, verbose=False)
        self.n_vocab = self.llm.n_vocab()
        self.vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self.batch = llama_cpp.llama_batch_init(512, 0, 1)

    def forward(self, tokens, n_past, all_logits):
        """One llama_decode over `tokens` at positions n_past.. (sequence 0)."""
        b = self.batch
        b.n_tokens = len(tokens)
        for i, t in enumerate(tokens):
            b.token[i] = t
            b.pos[i] = n_past + i
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = 0
            b.logits[i] = all_logits
        b.logits[len(tokens) - 1] = True
        rc = llama_cpp.llama_decode(self.llm.ctx, b)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")

    def clear(self, from_pos=0):
        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(self.llm.ctx), 0, from_pos, -1)

    def argmax_last(self):
        row = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.llm.ctx, -1), shape=(self.n_vocab,))
        return int(row.argmax())

    def generate(self, prompt_ids, max_tokens):
        """Greedy decode; returns (ids, prefill seconds, per-pass decode seconds)."""
        self.clear()
        t0 = time.perf_counter()
        self.forward(prompt_ids, 0, False)
        tok = self.argmax_last()
        prefill = time.perf_counter() - t0
        ids = [tok]
        pass_times = []
        n_past = len(prompt_ids)
        while len(ids) < max_tokens and not llama_cpp.llama_vocab_is_eog(self.vocab, tok):
            t0 = time.perf_counter()
            self.forward([tok], n_past, False)
            tok = self.argmax_last()
            pass_times.append(time.perf_counter() - t0)
            n_past += 1
            ids.append(tok)
        return ids, prefill, pass_times

    def time_prefill(self, tokens, repeats):
        times = []
        for _ in range(repeats + 1):  # first run warms caches, not counted
            self.clear()
            t0 = time.perf_counter()
            self.forward(tokens, 0, False)
            times.append(time.perf_counter() - t0)
        return times[1:]

    def cost_curve(self, context, new_tokens, n_max, repeats):
        self.clear()
        self.forward(context, 0, False)
        best, median = [], []
        for n in range(1, n_max + 1):
            times = []
            for _ in range(repeats + 1):
                t0 = time.perf_counter()
                self.forward(new_tokens[:n], len(context), True)
                times.append(time.perf_counter() - t0)
                self.clear(len(context))
            best.append(min(times[1:]) * 1000)
            median.append(statistics.median(times[1:]) * 1000)
        return best, median


def rate(tokens, seconds):
    return tokens / seconds if seconds > 0 else 0.0


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description="llama.cpp decode/prefill/cost-curve benchmark")
    parser.add_argument("--model", default=os.path.join(root, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    parser.add_argument("--prompts", default=os.path.join(root, "prompts", "bench.jsonl"))
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cost-max", type=int, default=64)
    parser.add_argument("--limit", type=int, default=0, help="only the first N prompts (0: all)")
    parser.add_argument("--per-category", type=int, default=0, help="only the first K prompts of each category (0: all)")
    parser.add_argument("--out", default=os.path.join(root, "bench", "results", "llamacpp.json"))
    args = parser.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]
    load_start = os.getloadavg()
    if load_start[0] > 0.5 * (os.cpu_count() or 1):
        print(f"warning: load average {load_start[0]:.1f} on {os.cpu_count()} cores: other processes "
              "will distort these timings", file=sys.stderr)

    rows = [json.loads(line) for line in open(args.prompts, encoding="utf-8")]
    if args.per_category:
        seen = {}
        rows = [r for r in rows if seen.setdefault(r["category"], []).append(r) or len(seen[r["category"]]) <= args.per_category]
    if args.limit:
        rows = rows[:args.limit]
    peers = {t: Peer(args.model, t, n_ctx=1024) for t in thread_counts}
    any_peer = peers[thread_counts[0]]
    add_bos = any_peer.llm.metadata.get("tokenizer.ggml.add_bos_token") == "true"

    # Decode, interleaving thread counts per prompt.
    prompts = []
    all_pass_times = {t: [] for t in thread_counts}
    for row in rows:
        rendered = chatml(row.get("system", DEFAULT_SYSTEM), row["turns"][0])
        prompt_ids = any_peer.llm.tokenize(rendered.encode("utf-8"), add_bos=add_bos, special=True)
        entry = {"id": row["id"], "category": row["category"], "prompt_tokens": len(prompt_ids), "threads": {}}
        outputs = []
        for t in thread_counts:
            ids, prefill, pass_times = peers[t].generate(prompt_ids, args.max_tokens)
            all_pass_times[t].extend(pass_times)
            passes, decode = len(pass_times), sum(pass_times)
            outputs.append(ids)
            entry["threads"][str(t)] = {"new_tokens": len(ids), "decode_passes": passes,
                                        "decode_s": round(decode, 5), "prefill_s": round(prefill, 5),
                                        "tokens_per_second": round(rate(passes, decode), 2),
                                        "median_ms_per_pass": round(1000 * statistics.median(pass_times), 3) if pass_times else None}
        entry["ids"] = outputs[0]
        entry["identical_across_threads"] = all(o == outputs[0] for o in outputs)
        prompts.append(entry)
        speeds = "  ".join(f"{t}t {entry['threads'][str(t)]['tokens_per_second']:6.1f}" for t in thread_counts)
        print(f"{row['id']:<18} {len(prompt_ids):4d} prompt  {len(outputs[0]):4d} new  {speeds} tok/s",
              file=sys.stderr)

    # Prefill and cost curve use one token stream built from the prompts themselves.
    stream_text = "\n\n".join(r["turns"][0] for r in (json.loads(l) for l in open(args.prompts, encoding="utf-8")))
    stream = any_peer.llm.tokenize(stream_text.encode("utf-8"), add_bos=False, special=False)
    assert len(stream) >= 512 + args.cost_max, "benchmark prompts too short for the prefill test"
    prefill_tokens = stream[:512]
    context, new_tokens = stream[:256], stream[256:256 + args.cost_max]

    result = {
        "generator": "scripts/peer/bench_llamacpp.py",
        "llama_cpp_python": llama_cpp.__version__,
        "model": {"file": os.path.basename(args.model), "bytes": os.path.getsize(args.model)},
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "loadavg_start": [round(x, 2) for x in load_start]},
        "settings": {"prompts": os.path.relpath(args.prompts, root), "n_prompts": len(rows),
                     "turns": "first", "default_system": DEFAULT_SYSTEM, "max_tokens": args.max_tokens,
                     "greedy": "argmax of logits", "repeats": args.repeats, "n_batch": 512},
        "threads": {},
        "prompts": prompts,
    }
    for t in thread_counts:
        per_cat = {}
        for cat in CATEGORIES + sorted({p["category"] for p in prompts} - set(CATEGORIES)):
            sel = [p["threads"][str(t)] for p in prompts if p["category"] == cat]
            if not sel:
                continue
            passes = sum(s["decode_passes"] for s in sel)
            secs = sum(s["decode_s"] for s in sel)
            per_cat[cat] = {"prompts": len(sel), "decode_passes": passes, "decode_s": round(secs, 4),
                            "tokens_per_second": round(rate(passes, secs), 2)}
        passes = sum(p["threads"][str(t)]["decode_passes"] for p in prompts)
        secs = sum(p["threads"][str(t)]["decode_s"] for p in prompts)
        times = peers[t].time_prefill(prefill_tokens, args.repeats)
        ms, ms_median = peers[t].cost_curve(context, new_tokens, args.cost_max, args.repeats)
        median_pass = statistics.median(all_pass_times[t])
        result["threads"][str(t)] = {
            "decode": {"overall": {"decode_passes": passes, "decode_s": round(secs, 4),
                                   "tokens_per_second": round(rate(passes, secs), 2),
                                   "ms_per_token": round(1000 * secs / max(passes, 1), 3),
                                   "median_ms_per_pass": round(1000 * median_pass, 3),
                                   "tokens_per_second_from_median": round(1 / median_pass, 2)},
                       "per_category": per_cat},
            "prefill_512": {"tokens": 512, "best_ms": round(min(times) * 1000, 2),
                            "median_ms": round(statistics.median(times) * 1000, 2),
                            "tokens_per_second": round(512 / min(times), 1)},
            "cost_curve": {"context": len(context), "n": list(range(1, args.cost_max + 1)),
                           "ms": [round(x, 3) for x in ms], "relative": [round(x / ms[0], 3) for x in ms],
                           "median_ms": [round(x, 3) for x in ms_median]},
        }
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print_table(result, thread_counts)
    print(f"\nwrote {args.out}")


def print_table(result, thread_counts):
    th = result["threads"]
    print(f"llama.cpp {result['llama_cpp_python']} AR, {result['model']['file']}, "
          f"{result['settings']['n_prompts']} prompts, <= {result['settings']['max_tokens']} new tokens, greedy")
    print(f"machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, "
          f"load {result['machine']['loadavg_start'][0]} -> {result['machine']['loadavg_end'][0]}")
    head = "".join(f"{str(t) + ' thread' + ('s' if t > 1 else ''):>14}" for t in thread_counts)
    print(f"\n{'decode tok/s':<16}{head}")
    cats = list(th[str(thread_counts[0])]["decode"]["per_category"])
    for cat in cats + ["overall"]:
        vals = []
        for t in thread_counts:
            d = th[str(t)]["decode"]
            v = d["overall"] if cat == "overall" else d["per_category"][cat]
            vals.append(f"{v['tokens_per_second']:>14.1f}")
        print(f"{cat:<16}{''.join(vals)}")
    print(f"{'1/median pass':<16}" + "".join(f"{th[str(t)]['decode']['overall']['tokens_per_second_from_median']:>14.1f}" for t in thread_counts))
    print(f"{'prefill 512 tok/s':<16}" + "".join(f"{th[str(t)]['prefill_512']['tokens_per_second']:>14.1f}" for t in thread_counts))
    print(f"\ncost(n)/cost(1) after {th[str(thread_counts[0])]['cost_curve']['context']} tokens of context")
    print(f"{'n':<16}" + "".join(f"{str(t) + 't ms':>10}{str(t) + 't x':>8}" for t in thread_counts))
    for n in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64):
        if n > len(th[str(thread_counts[0])]["cost_curve"]["ms"]):
            break
        cells = "".join(f"{th[str(t)]['cost_curve']['ms'][n - 1]:>10.2f}{th[str(t)]['cost_curve']['relative'][n - 1]:>8.2f}"
                        for t in thread_counts)
        print(f"{n:<16}{cells}")
    same = sum(1 for p in result["prompts"] if p["identical_across_threads"])
    print(f"\ngreedy output identical across thread counts: {same}/{len(result['prompts'])} prompts")


if __name__ == "__main__":
    main()
