/// The pre-tokenizer a byte-level BPE vocabulary names in `tokenizer.ggml.pre`: how text is cut
/// into words before merges run. Each kind is a chain of splitting stages; a stage cuts every
/// piece the previous one produced and never merges pieces.
///
/// The stages mirror llama.cpp's behaviour exactly (its hand-written GPT-2 and Llama-3 scanners,
/// and its std::regex passes over text whose non-ASCII code points are collapsed to their
/// category), since token ids must match it.
public enum PreTokenizerKind: String, Sendable, Hashable, CaseIterable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`.
    case gpt2
    /// Every number character on its own, then GPT-2 (SmolLM, StarCoder, Refact, Command-R).
    case smollm
    /// Llama 3: case-insensitive contractions, `[^\r\n\p{L}\p{N}]?\p{L}+`, numbers in runs of
    /// at most three, newline-aware whitespace; whole words found in the vocabulary skip merges.
    case llama3
    /// Qwen 2: Llama 3's pattern with single-digit numbers.
    case qwen2
    /// llama.cpp's fallback: punctuation runs, GPT-2, number runs, ASCII digit triples.
    case `default`
    /// Falcon: like `default` with the backquote counted as punctuation and no number-run pass.
    case falcon

    static let llama3Names: Set<String> = ["llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral"]

    /// `tokenizer.ggml.pre` values and the kind each selects.
    static let byName: [String: PreTokenizerKind] = {
        var m: [String: PreTokenizerKind] = [:]
        for n in ["gpt-2", "phi-2", "mpt", "olmo", "jais", "jina-es", "jina-de", "gigachat", "roberta-bpe"] { m[n] = .gpt2 }
        for n in ["smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b"] { m[n] = .smollm }
        for n in llama3Names { m[n] = .llama3 }
        for n in ["dbrx", "smaug-bpe"] { m[n] = .llama3 }
        for n in ["qwen2", "deepseek-r1-qwen", "stablelm2"] { m[n] = .qwen2 }
        m["default"] = .default
        m["falcon"] = .falcon
        return m
    }()

    static var supportedNames: [String] { byName.keys.sorted() }

    /// The kind for a `tokenizer.ggml.pre` value; nil or empty means `default`.
    static func named(_ name: String?) -> PreTokenizerKind? {
        guard let name, !name.isEmpty else { return .default }
        return byName[name]
    }

    var stages: [PreTokenizerStage] {
        switch self {
        case .gpt2: return [.gpt2]
        case .smollm: return [.isolatedNumbers, .gpt2]
        case .llama3: return [.llama3(maxDigits: 3)]
        case .qwen2: return [.llama3(maxDigits: 1)]
        case .default: return [.punctuationRuns(backquote: false), .gpt2, .numberRuns, .asciiDigitTriples]
        case .falcon: return [.punctuationRuns(backquote: true), .gpt2, .asciiDigitTriples]
        }
    }
}

enum PreTokenizerStage: Sendable, Hashable {
    case gpt2
    case llama3(maxDigits: Int)
    /// `\p{N}`: each number character is a piece; text between them is a piece.
    case isolatedNumbers
    /// `\p{N}+`.
    case numberRuns
    /// `[0-9][0-9][0-9]`, leftmost first.
    case asciiDigitTriples
    /// `[\p{P}\$\+<=>\^~\|]+` (plus '`' for Falcon).
    case punctuationRuns(backquote: Bool)
}

/// Cuts code points into words. Works on piece lengths (in code points), like a list of offsets.
struct PreTokenizer: Sendable {
    let stages: [PreTokenizerStage]

    init(kind: PreTokenizerKind) { stages = kind.stages }

    /// Word lengths in code points, covering `cps` in order.
    func split(_ cps: UnsafeBufferPointer<UInt32>, flags: UnsafeBufferPointer<CodepointFlags>) -> [Int] {
        var lengths = cps.isEmpty ? [] : [cps.count]
        for stage in stages {
            var out: [Int] = []
            out.reserveCapacity(lengths.count * 2)
            var start = 0
            for len in lengths {
                let end = start + len
                switch stage {
                case .gpt2: Self.splitGPT2(cps, flags, start, end, &out)
                case .llama3(let maxDigits): Self.splitLlama3(cps, flags, start, end, maxDigits, &out)
                case .isolatedNumbers:
                    Self.splitRuns(start, end, &out, single: true) { flags[$0].isNumber }
                case .numberRuns:
                    Self.splitRuns(start, end, &out, single: false) { flags[$0].isNumber }
                case .asciiDigitTriples: Self.splitDigitTriples(cps, start, end, &out)
                case .punctuationRuns(let backquote):
                    Self.splitRuns(start, end, &out, single: false) {
                        Self.isRegexPunctuation(cps[$0], flags[$0], backquote: backquote)
                    }
                }
                start = end
            }
            lengths = out
        }
        return lengths
    }

    /// The class `[\p{P}\$\+<=>\^~\|]` as llama.cpp evaluates it: ASCII by character, other
    /// code points by category unless they are whitespace.
    @inline(__always)
    static func isRegexPunctuation(_ cp: UInt32, _ f: CodepointFlags, backquote: Bool) -> Bool {
        if cp < 0x80 {
            switch UInt8(cp) {
            case UInt8(ascii: "`"): return backquote
            case 0x21...0x2F, 0x3A...0x40, 0x5B...0x5E, 0x5F, 0x7B...0x7E: return true
            default: return false
            }
        }
        return f.isPunctuation && !f.isWhitespace
    }

    /// Pieces that match `member` (one per code point when `single`, else maximal runs), with
    /// the stretches between them kept as pieces.
    @inline(__always)
    static func splitRuns(_ start: Int, _ end: Int, _ out: inout [Int], single: Bool, _ member: (Int) -> Bool) {
        var pieceStart = start
        var pos = start
        while pos < end {
            if member(pos) {
                if pos > pieceStart { out.append(pos - pieceStart) }
                var runEnd = pos + 1
                if !single { while runEnd < end && member(runEnd) { runEnd += 1 } }
                out.append(runEnd - pos)
                pos = runEnd
                pieceStart = pos
            } else {
                pos += 1
            }
        }
        if end > pieceStart { out.append(end - pieceStart) }
    }

    static func splitDigitTriples(_ cps: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int, _ out: inout [Int]) {
        @inline(__always) func digit(_ i: Int) -> Bool { cps[i] >= 0x30 && cps[i] <= 0x39 }
        var pieceStart = start
        var pos = start
        while pos + 3 <= end {
            if digit(pos) && digit(pos + 1) && digit(pos + 2) {
                if pos > pieceStart { out.append(pos - pieceStart) }
                out.append(3)
                pos += 3
                pieceStart = pos
            } else {
                pos += 1
            }
        }
        if end > pieceStart { out.append(end - pieceStart) }
    }

    static let outOfRange = UInt32.max

    /// GPT-2's pattern, scanned by hand (`\s+(?!\S)` leaves the last space of a run for the
    /// next word when something follows inside the piece).
    static func splitGPT2(_ cps: UnsafeBufferPointer<UInt32>, _ flags: UnsafeBufferPointer<CodepointFlags>,
                          _ start: Int, _ end: Int, _ out: inout [Int]) {
        @inline(__always) func cp(_ i: Int) -> UInt32 { i >= start && i < end ? cps[i] : outOfRange }
        @inline(__always) func fl(_ i: Int) -> CodepointFlags { i >= start && i < end ? flags[i] : [] }
        let space = UInt32(0x20), apostrophe = UInt32(0x27)
        var wordStart = start
        @inline(__always) func cut(_ at: Int) -> Int {
            let n = at - wordStart
            if n > 0 { out.append(n) }
            wordStart = at
            return n
        }
        var pos = start
        while pos < end {
            let c = cp(pos)
            let f = fl(pos)
            if c == apostrophe && pos + 1 < end {
                let n1 = cp(pos + 1)
                if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 {  // s t m d
                    pos += cut(pos + 2)
                    continue
                }
                if pos + 2 < end {
                    let n2 = cp(pos + 2)
                    if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {  // re ve ll
                        pos += cut(pos + 3)
                        continue
                    }
                }
            }
            var f2 = c == space ? fl(pos + 1) : f
            if f2.isLetter {
                if c == space { pos += 1 }
                while f2.isLetter { pos += 1; f2 = fl(pos) }
                _ = cut(pos)
                continue
            }
            if f2.isNumber {
                if c == space { pos += 1 }
                while f2.isNumber { pos += 1; f2 = fl(pos) }
                _ = cut(pos)
                continue
            }
            if !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.rawValue != 0 {
                if c == space { pos += 1 }
                while !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.rawValue != 0 { pos += 1; f2 = fl(pos) }
                _ = cut(pos)
                continue
            }
            var spaces = 0
            while fl(pos + spaces).isWhitespace { spaces += 1 }
            if spaces > 1 && cp(pos + spaces) != outOfRange {
                pos += spaces - 1
                _ = cut(pos)
                continue
            }
            if spaces > 0 {
                pos += spaces
                _ = cut(pos)
                continue
            }
            pos += 1
            _ = cut(pos)
        }
    }

    /// Llama 3's pattern (Qwen 2's with `maxDigits` 1), scanned by hand.
    static func splitLlama3(_ cps: UnsafeBufferPointer<UInt32>, _ flags: UnsafeBufferPointer<CodepointFlags>,
                            _ start: Int, _ end: Int, _ maxDigits: Int, _ out: inout [Int]) {
        @inline(__always) func cp(_ i: Int) -> UInt32 { i >= start && i < end ? cps[i] : outOfRange }
        @inline(__always) func fl(_ i: Int) -> CodepointFlags { i >= start && i < end ? flags[i] : [] }
        // Only ASCII letters lower-case to the contraction letters.
        @inline(__always) func lower(_ c: UInt32) -> UInt32 { c >= 0x41 && c <= 0x5A ? c + 0x20 : c }
        let space = UInt32(0x20), apostrophe = UInt32(0x27), cr = UInt32(0x0D), lf = UInt32(0x0A)
        var wordStart = start
        @inline(__always) func cut(_ at: Int) -> Int {
            let n = at - wordStart
            if n > 0 { out.append(n) }
            wordStart = at
            return n
        }
        var pos = start
        while pos < end {
            let c = cp(pos)
            let f = fl(pos)
            if c == apostrophe && pos + 1 < end {
                let n1 = lower(cp(pos + 1))
                if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 {
                    pos += cut(pos + 2)
                    continue
                }
                if pos + 2 < end {
                    let n2 = lower(cp(pos + 2))
                    if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
                        pos += cut(pos + 3)
                        continue
                    }
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if !(c == cr || c == lf || f.isNumber) && (f.isLetter || fl(pos + 1).isLetter) {
                pos += 1
                while fl(pos).isLetter { pos += 1 }
                _ = cut(pos)
                continue
            }
            // \p{N}{1,maxDigits}
            if f.isNumber {
                var groupStart = pos
                while fl(pos).isNumber {
                    pos += 1
                    if pos - groupStart >= maxDigits {
                        _ = cut(pos)
                        groupStart = pos
                    }
                }
                _ = cut(pos)
                continue
            }
            //  ?[^\s\p{L}\p{N}]+[\r\n]*
            var f2 = c == space ? fl(pos + 1) : f
            if !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f.rawValue != 0 {
                if c == space { pos += 1 }
                while !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.rawValue != 0 { pos += 1; f2 = fl(pos) }
                var c2 = cp(pos)
                while c2 == cr || c2 == lf { pos += 1; c2 = cp(pos) }
                _ = cut(pos)
                continue
            }
            var spaces = 0
            var afterLastNewline = 0
            while fl(pos + spaces).isWhitespace {
                let c2 = cp(pos + spaces)
                if c2 == cr || c2 == lf { afterLastNewline = pos + spaces + 1 }
                spaces += 1
            }
            // \s*[\r\n]+
            if afterLastNewline > 0 {
                pos = afterLastNewline
                _ = cut(pos)
                continue
            }
            // \s+(?!\S)
            if spaces > 1 && cp(pos + spaces) != outOfRange {
                pos += spaces - 1
                _ = cut(pos)
                continue
            }
            if spaces > 0 {
                pos += spaces
                _ = cut(pos)
                continue
            }
            pos += 1
            _ = cut(pos)
        }
    }
}
