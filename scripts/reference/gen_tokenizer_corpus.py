#!/usr/bin/env python3
"""Builds the tokenizer reference corpus and records llama.cpp's token ids for it.

Strings are generated here from a fixed seed (no external text). For each model the ids come
from llama-cpp-python (`Llama(vocab_only=True).tokenize(s.encode(), add_bos=<model add_bos>,
special=False)`), and the decoded text from `llama_token_to_piece` (special=False), joined,
with the leading space dropped after a BOS as llama-cpp-python's `detokenize` does; it is
stored (as hex bytes) only where it differs from the input string.

Besides the two real models, the SmolLM2 vocabulary is re-labelled with other
`tokenizer.ggml.pre` values (gpt-2, llama-bpe, qwen2, default) in vocab-only GGUF files written
to a temporary folder, so each pre-tokenizer variant is checked against llama.cpp too.

Usage (from the repo root, with the peer venv from scripts/setup-peer.sh):
  ~/.cache/bita-chat/peer-venv/bin/python scripts/reference/gen_tokenizer_corpus.py
Writes Tests/Data/tokenizer/{corpus.json, <name>.ids.json, <name>.special.json (ids with special-token
parsing for strings holding '<' or '['), smollm2.chat.json (conversations rendered with SmolLM2's
ChatML template and their ids with special parsing), <name>.vocab-facts.json (special ids,
end-of-generation set, control tokens, hashes of every token's piece)}.
"""
import json
import os
import random
import struct
import sys
import tempfile

SEED = 20261127
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "Tests", "Data", "tokenizer")
SMOLLM = os.environ.get("BITA_MODEL", os.path.join(REPO, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
STORIES = os.path.join(REPO, "..", "shared", "models", "stories260K.gguf")
if not os.path.exists(STORIES):
    STORIES = "/work/shared/models/stories260K.gguf"
CORPUS_SIZE = 2400
VARIANT_SIZE = 700  # strings checked per re-labelled pre-tokenizer

# ---------------------------------------------------------------- string generation

WORDS = {
    "en": "the quick brown fox jumps over lazy dog while seven wizards quietly judge boxing matches "
          "I you we they it's don't can't won't she'll we've they're I'm he'd Mr. Dr. e.g. "
          "although because therefore hello world tokenizer model answer question capital Paris".split(),
    "fr": "le la les un une des être avoir très où déjà garçon français Noël cœur naïve "
          "l'homme qu'il aujourd'hui s'il c'est réponse château forêt".split(),
    "de": "der die das und ist nicht Straße Mädchen Größe übermorgen Fußball schön Käse "
          "Donaudampfschifffahrtsgesellschaft Zeitung Frühstück".split(),
    "es": "el la los que está niño año mañana corazón ¿Qué ¡Hola! canción pingüino "
          "lluvia ciudad".split(),
    "ru": "привет мир это быстрый текст ёлка съешь же ещё этих мягких французских булок "
          "Москва вопрос ответ".split(),
    "el": "καλημέρα κόσμε γρήγορη καφέ αλεπού ψυχή Αθήνα ερώτηση".split(),
    "ar": "مرحبا بالعالم هذا نص عربي السلام عليكم كتاب مدينة".split(),
    "he": "שלום עולם זה טקסט בעברית ספר".split(),
    "hi": "नमस्ते दुनिया यह हिंदी पाठ है किताब प्रश्न".split(),
    "ja": "こんにちは 世界 これは 日本語 の 文章 です カタカナ 東京 質問".split(),
    "zh": "你好 世界 这是 中文 文本 北京 问题 答案 模型".split(),
    "ko": "안녕하세요 세계 이것은 한국어 텍스트 입니다 서울".split(),
    "vi": "xin chào thế giới đây là văn bản tiếng Việt".split(),
    "tr": "merhaba dünya bu Türkçe metin İstanbul ığdır şeker".split(),
    "pl": "zażółć gęślą jaźń cześć świat Kraków źdźbło".split(),
    "th": "สวัสดี ชาวโลก นี่คือ ข้อความ ภาษาไทย".split(),
}
PUNCT = [".", ",", "!", "?", ";", ":", "...", " -", " —", "…", "。", "、", "！", "؟", "«", "»", "\"", "'", "(", ")"]
SPECIAL_TEXTS = ["<|im_end|>", "<|im_start|>", "<|endoftext|>", "<s>", "</s>", "<unk>", "\n<s>\n",
                 "\n</s>\n", "<repo_name>", "<reponame>", "<file_sep>", "<|im_start|>assistant\n",
                 "<|im_", "im_end|>", "<<SYS>>", "[INST]", "[/INST]", "<|eot_id|>", "<0x41>", "<0x0A>"]
COMBINING = [chr(c) for c in range(0x300, 0x370)] + ["\u0483", "\u05b4", "\u064b", "\u093f", "\u0e31", "\u20dd", "\ufe0f", "\u200d"]
EMOJI = ["😀", "😂", "🥲", "👍", "👍🏽", "❤️", "🔥", "🎉", "🇫🇷", "🇯🇵", "👨‍👩‍👧‍👦", "🧑🏾‍💻", "🏳️‍🌈", "✋🏿", "🤖",
         "🐍", "☕", "⭐", "1️⃣", "#️⃣", "🫠", "🪿", "©", "™", "⌘"]
WHITESPACE = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2009", "\u0085",
              "\u2028", "\u200b", "\u000b", "\u000c", "\u1680", "\u202f"]
ODD = ["\ufffd", "\\xff", "\\x00", "%C3%28", "Ã©", "â€™", "\ufeff", "\u200e", "\u202e", "\uffff", "\ufffe",
       "\U0010ffff", "\ue000", "\x00", "\x01", "\x1b[31m", "\x7f", "\u00ad", "\u034f", "\\u00e9", "&amp;",
       "&#x27;", "\u0378", "\U000e0001", "\u0897", "\U0001ccf0", "\u1c89", "\u2ffc", "\U0002ebf0"]
DIGIT_SETS = ["0123456789", "٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "０１２３４５６７８９", "²³¹⁴", "½¼¾", "ⅠⅡⅢⅫ", "①②③", "𝟘𝟙𝟚"]


def rand_word(r, lang=None):
    lang = lang or r.choice(list(WORDS))
    return r.choice(WORDS[lang])


def prose(r):
    lang = r.choice(list(WORDS))
    n = r.randint(1, 25)
    parts = []
    for i in range(n):
        w = rand_word(r, lang if r.random() < 0.9 else None)
        if r.random() < 0.15:
            w = w.capitalize()
        if r.random() < 0.05:
            w = w.upper()
        parts.append(w)
        if r.random() < 0.15:
            parts[-1] += r.choice(PUNCT)
    sep = "" if lang in ("ja", "zh") and r.random() < 0.5 else " "
    s = sep.join(parts)
    if r.random() < 0.5:
        s += r.choice([".", "!", "?", "。", "\n"])
    if r.random() < 0.2:
        s = " " + s
    return s


IDENTS = ["x", "y", "i", "count", "tokenIds", "self", "foo_bar", "_private", "HTTPServer", "naïve", "变量", "π"]


def code(r):
    k = r.randint(0, 7)
    a, b = r.choice(IDENTS), r.choice(IDENTS)
    ind = r.choice(["", "    ", "  ", "\t", "        ", "\t\t"])
    n = r.randint(0, 99999)
    snippets = [
        f"def {a}({b}, *args, **kw):\n{ind}return {b} + {n}\n",
        f"for (int {a} = 0; {a} < {n}; ++{a}) {{\n{ind}{b}[{a}] += {a} * 2;\n}}",
        f"let {a}: [Int32] = [{n}, {n // 7}, -{n % 13}]\n{ind}print({a}.map {{ $0 &* 3 }})",
        f"if ({a} != null && {b}.length >= {n}) {{ console.log(`${{{a}}}`); }}",
        f"SELECT {a}, COUNT(*) FROM t WHERE {b} <> '{n}' GROUP BY 1;",
        f"<div class=\"{a}\">{b} &lt; {n}</div>\n{ind}<br/>",
        f"{{\"{a}\": {n}, \"{b}\": [true, null, {n / 3:.4f}], \"s\": \"\\u00e9\\n\"}}",
        f"#!/bin/bash\n{a}=$(( {n} >> 2 )) && echo \"${{{a}}}\" | grep -E '^[0-9]+$' >/dev/null 2>&1",
    ]
    s = snippets[k]
    if r.random() < 0.3:
        s = s.replace("    ", "\t")
    if r.random() < 0.3:
        s = ind + s + r.choice(["\n", "\n\n", "  \n", ""])
    return s


def whitespace_mix(r):
    out = []
    for _ in range(r.randint(1, 12)):
        if r.random() < 0.5:
            out.append(r.choice(WHITESPACE) * r.randint(1, 6))
        else:
            out.append(rand_word(r))
    return "".join(out)


def digits(r):
    out = []
    for _ in range(r.randint(1, 6)):
        t = r.random()
        if t < 0.5:
            out.append(str(r.randint(0, 10 ** r.randint(1, 30))))
        elif t < 0.7:
            out.append(f"{r.uniform(-1e6, 1e6):.{r.randint(0, 8)}f}")
        elif t < 0.85:
            ds = r.choice(DIGIT_SETS)
            out.append("".join(r.choice(ds) for _ in range(r.randint(1, 12))))
        else:
            out.append(f"{r.randint(1, 12):02d}/{r.randint(1, 28):02d}/{r.randint(1900, 2100)} {r.randint(0, 23)}:{r.randint(0, 59):02d}")
        out.append(r.choice([" ", "", ", ", "x", "a1b2", "\n", "-", "$", "%", " ٪"]))
    return "".join(out)


def emoji(r):
    out = []
    for _ in range(r.randint(1, 10)):
        out.append(r.choice(EMOJI) if r.random() < 0.6 else rand_word(r, "en"))
        out.append(r.choice(["", " ", "  ", "!"]))
    return "".join(out)


def cjk(r):
    ranges = [(0x4E00, 0x9FFF), (0x3040, 0x309F), (0x30A0, 0x30FF), (0xAC00, 0xD7A3), (0x3000, 0x303F),
              (0xFF01, 0xFF5E), (0x20000, 0x2A6DF), (0x3400, 0x4DBF)]
    out = []
    for _ in range(r.randint(1, 30)):
        lo, hi = r.choice(ranges)
        out.append(chr(r.randint(lo, hi)))
        if r.random() < 0.1:
            out.append(r.choice([" ", "，", "。", "\n", "a", "1"]))
    return "".join(out)


def combining(r):
    out = []
    for _ in range(r.randint(1, 15)):
        out.append(r.choice("aeiouAEOnczsy" + "αиאاक"))
        for _ in range(r.choice([0, 1, 1, 2, 3])):
            out.append(r.choice(COMBINING))
        if r.random() < 0.2:
            out.append(" ")
    return "".join(out)


def odd(r):
    out = []
    for _ in range(r.randint(1, 8)):
        t = r.random()
        if t < 0.5:
            out.append(r.choice(ODD))
        elif t < 0.7:
            out.append(chr(r.randint(0x80, 0x2FFF)))
        elif t < 0.8:
            c = r.randint(0x10000, 0x10FFFF)
            out.append(chr(c))
        else:
            out.append(rand_word(r))
        out.append(r.choice(["", " ", "\n"]))
    return "".join(out)


def long_word(r):
    t = r.random()
    n = r.randint(60, 1200)
    if t < 0.25:
        return "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))
    if t < 0.4:
        return r.choice("ax") * n
    if t < 0.55:
        return "https://example.org/" + "/".join(rand_word(r, "en") for _ in range(n // 20)) + "?q=" + str(r.randint(0, 10**9))
    if t < 0.7:
        return "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(n)) + "=="
    if t < 0.85:
        return "".join(rand_word(r, r.choice(["de", "ru", "ja"])) for _ in range(n // 10))
    return " " * r.randint(20, 300) + rand_word(r) + "\n" * r.randint(5, 50) + "-" * r.randint(10, 200)


def special_text(r):
    out = []
    for _ in range(r.randint(1, 6)):
        if r.random() < 0.5:
            out.append(r.choice(SPECIAL_TEXTS))
        else:
            out.append(prose(r))
    return r.choice(["", " ", "\n"]).join(out)


def contractions(r):
    base = ["don't", "DON'T", "it's", "IT'S", "we'll", "We'LL", "they've", "I'm", "I'M", "she'd", "you're",
            "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "''", "'", "’s", "don’t", "rock'n'roll", "'S'", "o'clock"]
    return r.choice(["", " "]).join(r.choice(base) for _ in range(r.randint(1, 8)))


def random_codepoints(r):
    out = []
    for _ in range(r.randint(1, 40)):
        t = r.random()
        if t < 0.4:
            out.append(chr(r.randint(0x20, 0x7E)))
        elif t < 0.8:
            out.append(chr(r.randint(0xA0, 0xFFFF)))
        else:
            out.append(chr(r.randint(0x10000, 0x3FFFF)))
    s = "".join(out)
    return "".join(c for c in s if not (0xD800 <= ord(c) <= 0xDFFF))


GENERATORS = [(prose, 5), (code, 3), (whitespace_mix, 2), (digits, 2), (emoji, 1), (cjk, 1), (combining, 1),
              (odd, 2), (long_word, 1), (special_text, 2), (contractions, 1), (random_codepoints, 2)]


def make_corpus():
    r = random.Random(SEED)
    fixed = ["", " ", "  ", "\n", "a", " a", "Hello world", " Hello world", "Hello  world", "Hello\n\nworld",
             "What is the capital of France?", "<|im_start|>user\nHi<|im_end|>\n", "<s>", " <s> ", "</s>",
             "<unk>", "1234567890", " 123", "a1", "\t\tx", "x  ", "x \n", "  \n  y", "▁", "▁▁a", "\u00e9",
             "e\u0301", "日本語", "👍🏽", "don't", "DON'T", "x" * 5000]
    weights = [w for _, w in GENERATORS]
    strings = list(fixed)
    seen = set(strings)
    while len(strings) < CORPUS_SIZE:
        g = r.choices([g for g, _ in GENERATORS], weights)[0]
        s = g(r)
        if s not in seen:
            seen.add(s)
            strings.append(s)
    return strings

# ---------------------------------------------------------------- GGUF metadata copy (vocab-only variants)

def _read(f, fmt):
    return struct.unpack("<" + fmt, f.read(struct.calcsize("<" + fmt)))[0]


_SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def _read_value(f, t):
    if t in _SCALAR:
        return _read(f, _SCALAR[t])
    if t == 8:
        return f.read(_read(f, "Q"))
    if t == 9:
        et, n = _read(f, "I"), _read(f, "Q")
        return (et, [_read_value(f, et) for _ in range(n)])
    raise ValueError(f"unknown GGUF type {t}")


def read_metadata(path):
    with open(path, "rb") as f:
        assert f.read(4) == b"GGUF"
        _read(f, "I")
        _read(f, "Q")
        n_kv = _read(f, "Q")
        kvs = []
        for _ in range(n_kv):
            key = f.read(_read(f, "Q")).decode()
            t = _read(f, "I")
            kvs.append((key, t, _read_value(f, t)))
        return kvs


def _write_value(out, t, v):
    if t in _SCALAR:
        out += struct.pack("<" + _SCALAR[t], v)
    elif t == 8:
        out += struct.pack("<Q", len(v)) + v
    else:
        et, items = v
        out += struct.pack("<IQ", et, len(items))
        for x in items:
            _write_value(out, et, x)


def write_vocab_only(kvs, path, pre):
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)))
    for key, t, v in kvs:
        if key == "tokenizer.ggml.pre":
            v = pre.encode()
        out += struct.pack("<Q", len(key)) + key.encode() + struct.pack("<I", t)
        _write_value(out, t, v)
    out += b"\0" * ((-len(out)) % 32)
    with open(path, "wb") as f:
        f.write(out)

# ---------------------------------------------------------------- reference ids

def reference(model_path, strings, add_bos):
    import ctypes
    import llama_cpp
    llm = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    bos = llm.token_bos()
    buf = ctypes.create_string_buffer(4096)

    def piece(t):
        n = llama_cpp.llama_token_to_piece(vocab, t, buf, len(buf), 0, False)
        assert 0 <= n <= len(buf)
        return buf.raw[:n]

    ids_out, decoded = [], {}
    for i, s in enumerate(strings):
        ids = llm.tokenize(s.encode("utf-8"), add_bos=add_bos, special=False)
        text = b"".join(piece(t) for t in ids)
        if ids and ids[0] == bos and text.startswith(b" "):
            text = text[1:]
        ids_out.append(ids)
        if text != s.encode("utf-8"):
            decoded[str(i)] = text.hex()
    return ids_out, decoded


SMOLLM_DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


def make_conversations(strings, count):
    """Conversations built from corpus strings that hold no special-token text, rendered the way
    SmolLM2's ChatML template does (its default system turn when none is given)."""
    r = random.Random(SEED + 1)
    plain = [s for s in strings if "<" not in s and len(s) < 400]
    convos = []
    for _ in range(count):
        system_mode = r.choice(["default", "none", "custom"])
        messages = []
        if system_mode == "custom":
            messages.append({"role": "system", "content": r.choice(plain)})
        for turn in range(r.randint(1, 3)):
            messages.append({"role": "user", "content": r.choice(plain)})
            if turn + 1 < 3 and r.random() < 0.6:
                messages.append({"role": "assistant", "content": r.choice(plain)})
        if messages[-1]["role"] == "assistant":
            messages.append({"role": "user", "content": r.choice(plain)})
        system = None if system_mode == "none" else (SMOLLM_DEFAULT_SYSTEM if system_mode == "default" else None)
        out = ""
        if messages[0]["role"] != "system" and system is not None:
            out += "<|im_start|>system\n" + system + "<|im_end|>\n"
        for m in messages:
            out += "<|im_start|>" + m["role"] + "\n" + m["content"] + "<|im_end|>\n"
        out += "<|im_start|>assistant\n"
        convos.append({"system": system_mode, "messages": messages, "rendered": out})
    return convos


def special_reference(model_path, strings, add_bos):
    """llama.cpp's ids with special-token parsing on, for every string holding '<' or '['."""
    import llama_cpp
    llm = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    picked = [i for i, s in enumerate(strings) if "<" in s or "[" in s]
    ids = [llm.tokenize(strings[i].encode("utf-8"), add_bos=add_bos, special=True) for i in picked]
    return {"indices": picked, "ids": ids}


PIECE_BLOCK = 512


def fnv1a64(data, h=0xCBF29CE484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def vocabulary_facts(model_path):
    """Special ids, the end-of-generation set, control tokens, and a hash per block of 512
    token pieces (each piece as 4-byte little-endian length + bytes, FNV-1a 64) with special
    tokens rendered and without."""
    import ctypes
    import llama_cpp
    llm = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    n = llama_cpp.llama_vocab_n_tokens(vocab)
    buf = ctypes.create_string_buffer(4096)

    def piece(t, special):
        k = llama_cpp.llama_token_to_piece(vocab, t, buf, len(buf), 0, special)
        assert 0 <= k <= len(buf)
        return buf.raw[:k]

    hashes = {True: [], False: []}
    for special in (True, False):
        for start in range(0, n, PIECE_BLOCK):
            h = 0xCBF29CE484222325
            for t in range(start, min(n, start + PIECE_BLOCK)):
                p = piece(t, special)
                h = fnv1a64(struct.pack("<I", len(p)) + p, h)
            hashes[special].append(f"{h:016x}")
    eot = llama_cpp.llama_vocab_eot(vocab)
    return {"vocab_size": n, "bos": llama_cpp.llama_vocab_bos(vocab), "eos": llama_cpp.llama_vocab_eos(vocab),
            "eot": None if eot < 0 else eot,
            "eog": [t for t in range(n) if llama_cpp.llama_vocab_is_eog(vocab, t)],
            "control": [t for t in range(n) if llama_cpp.llama_vocab_is_control(vocab, t)],
            "piece_block": PIECE_BLOCK, "piece_hashes_special": hashes[True], "piece_hashes_plain": hashes[False]}


def main():
    import llama_cpp
    strings = make_corpus()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "corpus.json"), "w", encoding="utf-8") as f:
        json.dump({"seed": SEED, "strings": strings}, f, ensure_ascii=False, separators=(",", ":"))

    meta = {m[0]: m for m in read_metadata(SMOLLM)}
    stories_meta = {m[0]: m for m in read_metadata(STORIES)}
    jobs = [("smollm2", SMOLLM, None, bool(meta["tokenizer.ggml.add_bos_token"][2]), len(strings)),
            ("stories260k", STORIES, None, bool(stories_meta["tokenizer.ggml.add_bos_token"][2]), len(strings))]
    tmp = tempfile.mkdtemp(prefix="bita-tok-")
    kvs = read_metadata(SMOLLM)
    for pre in ["gpt-2", "llama-bpe", "qwen2", "default"]:
        path = os.path.join(tmp, f"smollm2-vocab-{pre}.gguf")
        write_vocab_only(kvs, path, pre)
        jobs.append((f"smollm2-pre-{pre}", path, pre, False, VARIANT_SIZE))

    for name, path, add_bos in [("smollm2", SMOLLM, False), ("stories260k", STORIES, True)]:
        with open(os.path.join(OUT, f"{name}.vocab-facts.json"), "w", encoding="utf-8") as f:
            json.dump(vocabulary_facts(path), f, separators=(",", ":"))
        record = special_reference(path, strings, add_bos)
        record["add_bos"] = add_bos
        with open(os.path.join(OUT, f"{name}.special.json"), "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, separators=(",", ":"))
        print(f"{name}: {len(record['indices'])} strings with special parsing")

    convos = make_conversations(strings, 300)
    llm = llama_cpp.Llama(model_path=SMOLLM, vocab_only=True, verbose=False)
    for c in convos:
        c["ids"] = llm.tokenize(c["rendered"].encode("utf-8"), add_bos=False, special=True)
    with open(os.path.join(OUT, "smollm2.chat.json"), "w", encoding="utf-8") as f:
        json.dump({"conversations": convos}, f, ensure_ascii=False, separators=(",", ":"))
    print(f"smollm2: {len(convos)} rendered conversations")

    for name, path, pre, add_bos, count in jobs:
        ids, decoded = reference(path, strings[:count], add_bos)
        record = {"model": os.path.basename(path) if pre is None else "SmolLM2-135M-Instruct.Q4_1.gguf",
                  "pre_override": pre, "add_bos": add_bos, "count": count,
                  "llama_cpp_python": llama_cpp.__version__, "ids": ids, "decoded_hex_if_different": decoded}
        with open(os.path.join(OUT, f"{name}.ids.json"), "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, separators=(",", ":"))
        n_tok = sum(len(x) for x in ids)
        print(f"{name}: {count} strings, {n_tok} tokens, {len(decoded)} decode differences")


if __name__ == "__main__":
    sys.exit(main())
