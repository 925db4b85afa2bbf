#!/usr/bin/env python3
"""Merges one `make bench` run into a single table, JSON summary and SVG chart.

Inputs (all from the same run, written by scripts/bench.sh):
  bench/results/llamacpp.json        scripts/peer/bench_llamacpp.py (llama.cpp AR, threads 1 and 2),
                                     or one file per thread count given with --peer (merged into
                                     llamacpp.json; scripts/bench.sh runs each next to ours)
  bench/results/bita-chat-t<N>.json  `bita-chat bench --json --threads N` (our AR and BiTA)
Outputs:
  stdout                              the table (tokens/s per category and overall, tau, ratios,
                                      prefill, cost(n)/cost(1))
  bench/results/summary.json          the same numbers, machine-readable
  bench/results/bench.svg             decode tokens/s per category and the cost curves

Decode tokens/s: llama.cpp counts single-token passes after the prompt pass; ours counts every
answer token over the time of the decode steps (prefill excluded). Standard library only.
"""
import argparse
import json
import os
import sys

CATEGORIES = ["chat", "writing", "summarization", "code", "qa", "math"]


def ours_summary(rows, cats):
    """tokens/s and tau per category (and overall) from `bita-chat bench --json` rows."""
    out = {}
    for cat in cats + ["overall"]:
        sel = rows if cat == "overall" else [r for r in rows if r["category"] == cat]
        if not sel:
            continue
        def total(key):
            runs = [r[key] for r in sel if r.get(key)]
            toks = sum(len(r["tokens"]) for r in runs)
            ms = sum(r["milliseconds"] for r in runs)
            steps = sum(r["steps"] for r in runs)
            return toks, ms, steps
        at, ams, _ = total("ar")
        bt, bms, bsteps = total("bita")
        same = [r["identical"] for r in sel if r.get("identical") is not None]
        out[cat] = {
            "prompts": len(sel),
            "ar_tokens_per_second": round(at / ams * 1000, 2) if ams > 0 else None,
            "bita_tokens_per_second": round(bt / bms * 1000, 2) if bms > 0 else None,
            "tau": round(bt / max(1, bsteps), 3),
            "identical": f"{sum(same)}/{len(same)}",
        }
    return out


def draft_sources(rows):
    """Accepted drafts by source over all prompts: the mask tokens' or the context's."""
    runs = [r["bita"] for r in rows]
    if not any("draftsAccepted" in r for r in runs):
        return None  # results written before drafts were counted by source
    total = sum(r.get("draftsAccepted", 0) for r in runs)
    context = sum(r.get("contextDraftsAccepted", 0) for r in runs)
    return {"mask": total - context, "context": context,
            "context_steps": sum(r.get("contextSteps", 0) for r in runs),
            "steps": sum(r.get("steps", 0) for r in runs)}


def step_mix(rows):
    """Share of BiTA steps per forward-pass row count, e.g. {"1": 0.4, "3": 0.6} (older result
    files without `stepsByRows` give {})."""
    counts = {}
    for r in rows:
        for k, n in r["bita"].get("stepsByRows", {}).items():
            counts[int(k)] = counts.get(int(k), 0) + n
    total = sum(counts.values())
    return {str(k): round(counts[k] / total, 3) for k in sorted(counts)} if total else {}


def ratio(a, b):
    return round(a / b, 3) if a and b else None


def svg_chart(summary, path):
    """Grouped bars (tokens/s per category, per thread count) and cost curves, plain SVG."""
    threads = sorted(summary["threads"], key=int)
    cats = CATEGORIES + ["overall"]
    series = [("llama.cpp AR", "llamacpp_ar", "#888888"), ("bita-chat AR", "ours_ar", "#4477aa"),
              ("bita-chat BiTA", "ours_bita", "#ee6677")]
    width, bar_h = 900, 300
    top = max((summary["threads"][t]["decode"][c].get(k) or 0)
              for t in threads for c in cats if c in summary["threads"][t]["decode"] for _, k, _ in series) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{len(threads) * (bar_h + 60) + 320}" '
             f'font-family="sans-serif" font-size="12">',
             f'<text x="10" y="20" font-size="14">Decode tokens/s, {summary["model"]}, greedy, '
             f'{summary["max_tokens"]} new tokens (one run)</text>']
    y0 = 40
    for t in threads:
        d = summary["threads"][t]["decode"]
        parts.append(f'<text x="10" y="{y0 + 15}">{t} thread(s)</text>')
        group_w = (width - 80) / len(cats)
        for ci, cat in enumerate(cats):
            row = d.get(cat, {})
            gx = 60 + ci * group_w
            for si, (_, key, color) in enumerate(series):
                v = row.get(key) or 0
                h = (bar_h - 40) * v / top
                x = gx + 6 + si * (group_w - 12) / 3
                parts.append(f'<rect x="{x:.1f}" y="{y0 + bar_h - h:.1f}" width="{(group_w - 12) / 3 - 2:.1f}" '
                             f'height="{h:.1f}" fill="{color}"><title>{cat} {key} {v}</title></rect>')
                parts.append(f'<text x="{x + 2:.1f}" y="{y0 + bar_h - h - 3:.1f}" font-size="9">{v:.0f}</text>')
            parts.append(f'<text x="{gx + 8:.1f}" y="{y0 + bar_h + 15}">{cat}</text>')
        y0 += bar_h + 60
    for si, (label, _, color) in enumerate(series):
        parts.append(f'<rect x="{60 + si * 160}" y="{y0 - 30}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{76 + si * 160}" y="{y0 - 20}">{label}</text>')
    # Cost curves: cost(n)/cost(1), n = 1..64.
    cw, ch, cx, cy = 700, 220, 60, y0 + 20
    curves = []
    for t in threads:
        c = summary["threads"][t]["cost_curve"]
        curves.append((f"llama.cpp {t}t", c["llamacpp"], "#888888" if t == "1" else "#444444"))
        curves.append((f"bita-chat {t}t", c["ours"], "#4477aa" if t == "1" else "#223377"))
    ymax = max(max(v for v in cv if v is not None) for _, cv, _ in curves if cv)
    parts.append(f'<text x="{cx}" y="{cy - 5}" font-size="14">cost(n)/cost(1) of one forward pass over n tokens</text>')
    parts.append(f'<rect x="{cx}" y="{cy}" width="{cw}" height="{ch}" fill="none" stroke="#ccc"/>')
    for li, (label, cv, color) in enumerate(curves):
        if not cv:
            continue
        pts = " ".join(f"{cx + cw * (i) / 63:.1f},{cy + ch - ch * v / ymax:.1f}" for i, v in enumerate(cv))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.append(f'<text x="{cx + cw + 8}" y="{cy + 14 + 14 * li}" fill="{color}">{label}: n=64 {cv[-1]:.1f}x</text>')
    parts.append(f'<text x="{cx}" y="{cy + ch + 15}">n = 1</text><text x="{cx + cw - 30}" y="{cy + ch + 15}">n = 64</text>')
    parts.append(f'<text x="{cx - 45}" y="{cy + 10}">{ymax:.1f}x</text>')
    parts.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


def merge_peers(peers):
    """One llama.cpp result from runs of the same prompts with different thread counts: thread
    sections side by side, per-prompt timings joined, identical_across_threads recomputed."""
    merged = peers[0]
    for other in peers[1:]:
        if [p["id"] for p in other["prompts"]] != [p["id"] for p in merged["prompts"]]:
            sys.exit("bench_report: the llama.cpp result files cover different prompts")
        merged["threads"].update(other["threads"])
        for mine, theirs in zip(merged["prompts"], other["prompts"]):
            mine["threads"].update(theirs["threads"])
            mine["identical_across_threads"] = (mine["identical_across_threads"] and theirs["identical_across_threads"]
                                                and mine["ids"] == theirs["ids"])
        merged["machine"]["loadavg_end"] = other["machine"].get("loadavg_end")
    return merged


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", default="bench/results")
    p.add_argument("--peer", action="append", default=[],
                   help="llama.cpp result file(s) in --results, one per thread count (default: llamacpp.json)")
    args = p.parse_args()
    peers = [json.load(open(os.path.join(args.results, f), encoding="utf-8")) for f in args.peer or ["llamacpp.json"]]
    peer = merge_peers(peers)
    if len(peers) > 1:
        with open(os.path.join(args.results, "llamacpp.json"), "w", encoding="utf-8") as f:
            json.dump(peer, f, indent=1)
            f.write("\n")
    ours = {}
    for t in peer["threads"]:
        f = os.path.join(args.results, f"bita-chat-t{t}.json")
        if not os.path.exists(f):
            sys.exit(f"bench_report: {f} is missing (run scripts/bench.sh)")
        ours[t] = json.load(open(f, encoding="utf-8"))
    cats = CATEGORIES + sorted({r["category"] for o in ours.values() for r in o["rows"]} - set(CATEGORIES))
    summary = {"model": peer["model"]["file"], "max_tokens": peer["settings"]["max_tokens"],
               "machine": peer["machine"], "llama_cpp_python": peer["llama_cpp_python"],
               "adapter": next(iter(ours.values()))["adapter"], "threads": {}}
    for t, o in ours.items():
        pt = peer["threads"][t]
        mine = ours_summary(o["rows"], cats)
        decode = {}
        for cat in cats + ["overall"]:
            ref = pt["decode"]["overall"] if cat == "overall" else pt["decode"]["per_category"].get(cat)
            if cat not in mine or not ref:
                continue
            m = mine[cat]
            l_tps = ref["tokens_per_second"]
            decode[cat] = {"prompts": m["prompts"], "llamacpp_ar": l_tps, "ours_ar": m["ar_tokens_per_second"],
                           "ours_bita": m["bita_tokens_per_second"], "tau": m["tau"], "identical": m["identical"],
                           "ours_ar_vs_llamacpp": ratio(m["ar_tokens_per_second"], l_tps),
                           "bita_vs_llamacpp": ratio(m["bita_tokens_per_second"], l_tps),
                           "bita_vs_ours_ar": ratio(m["bita_tokens_per_second"], m["ar_tokens_per_second"])}
        summary["threads"][t] = {
            "decode": decode,
            "prefill_512": {"llamacpp_tokens_per_second": pt["prefill_512"]["tokens_per_second"],
                            "ours_tokens_per_second": round(o["prefill"]["tokensPerSecond"], 1),
                            "ratio": ratio(o["prefill"]["tokensPerSecond"], pt["prefill_512"]["tokens_per_second"])},
            "bita_steps_by_rows": step_mix(o["rows"]),
            "bita_drafts_accepted": draft_sources(o["rows"]),
            "cost_curve": {"n": list(range(1, 65)), "llamacpp": pt["cost_curve"]["relative"],
                           "ours": [round(x, 3) for x in o["costCurve"]]},
        }
    with open(os.path.join(args.results, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    svg_chart(summary, os.path.join(args.results, "bench.svg"))

    m = summary["machine"]
    print(f"\n== {summary['model']}, adapter {summary['adapter']}, greedy, <= {summary['max_tokens']} new tokens, "
          f"first turns of prompts/bench.jsonl")
    print(f"   machine: {m['cpu']}, {m['cores']} cores; llama.cpp via llama-cpp-python {summary['llama_cpp_python']}")
    for t in sorted(summary["threads"], key=int):
        s = summary["threads"][t]
        print(f"\n{t} thread(s)         llama.cpp   our AR    our BiTA   tau    AR/llama  BiTA/llama  BiTA/AR  identical")
        for cat, d in s["decode"].items():
            def f(v, w=8, fmt="{:.1f}"):
                return (fmt.format(v) if v is not None else "-").rjust(w)
            print(f"  {cat:<16}{f(d['llamacpp_ar'], 9)}{f(d['ours_ar'], 9)}{f(d['ours_bita'], 11)}"
                  f"{f(d['tau'], 7, '{:.2f}')}{f(d['ours_ar_vs_llamacpp'], 9, '{:.2f}x')}"
                  f"{f(d['bita_vs_llamacpp'], 11, '{:.2f}x')}{f(d['bita_vs_ours_ar'], 9, '{:.2f}x')}   {d['identical']}")
        if s["bita_steps_by_rows"]:
            print("  BiTA steps by rows per pass: " + ", ".join(
                f"{k} {'row' if k == '1' else 'rows'} {v:.0%}" for k, v in s["bita_steps_by_rows"].items()))
        ds = s.get("bita_drafts_accepted")
        if ds and ds["steps"]:
            print(f"  accepted drafts: {ds['mask']} from mask tokens, {ds['context']} from the context "
                  f"({ds['context_steps']} of {ds['steps']} steps ran a context chain)")
        pf = s["prefill_512"]
        print(f"  prefill 512: llama.cpp {pf['llamacpp_tokens_per_second']:.0f} tok/s, ours "
              f"{pf['ours_tokens_per_second']:.0f} tok/s ({pf['ratio']:.2f}x)")
        cc = s["cost_curve"]
        pick = [1, 2, 4, 8, 16, 32, 64]
        print("  cost(n)/cost(1)  n=" + "  ".join(f"{n:>5}" for n in pick))
        print("    llama.cpp        " + "  ".join(f"{cc['llamacpp'][n - 1]:5.2f}" for n in pick))
        print("    ours             " + "  ".join(f"{cc['ours'][n - 1]:5.2f}" for n in pick))
    print(f"\nwrote {args.results}/summary.json and {args.results}/bench.svg")


if __name__ == "__main__":
    main()
