/// Cuts text at occurrences of special-token texts before ordinary tokenization.
///
/// Candidates are tried longest text first; each one splits every remaining text fragment at
/// all its non-overlapping occurrences, left to right (llama.cpp's order, which decides what
/// wins when texts overlap). Control and unknown tokens are candidates only when special text
/// is parsed; user-defined tokens always are.
struct SpecialTokenSplitter: Sendable {
    enum Fragment: Equatable {
        /// Byte range of the input.
        case text(Range<Int>)
        case token(Int32)
    }

    struct Candidate: Sendable {
        var id: Int32
        var text: [UInt8]
        var onlyWhenParsing: Bool
    }

    let candidates: [Candidate]

    init(texts: [[UInt8]], kinds: [TokenKind]) {
        var c: [Candidate] = []
        for (i, kind) in kinds.enumerated() where kind.isSpecial && !texts[i].isEmpty {
            c.append(Candidate(id: Int32(i), text: texts[i], onlyWhenParsing: kind != .userDefined))
        }
        // Longest first; equal lengths by id so the order is deterministic.
        c.sort { $0.text.count != $1.text.count ? $0.text.count > $1.text.count : $0.id < $1.id }
        candidates = c
    }

    func split(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        split(bytes, parts: [(0..<bytes.count, parseSpecial)])
    }

    /// Splits each part with its own setting; adjacent text fragments are joined again, so
    /// text only ever breaks at a special token.
    func split(_ bytes: [UInt8], parts: [(range: Range<Int>, parseSpecial: Bool)]) -> [Fragment] {
        var out: [Fragment] = []
        for part in parts where !part.range.isEmpty {
            for f in split(bytes, range: part.range, parseSpecial: part.parseSpecial) {
                if case .text(let r) = f, case .text(let previous)? = out.last, previous.upperBound == r.lowerBound {
                    out[out.count - 1] = .text(previous.lowerBound..<r.upperBound)
                } else {
                    out.append(f)
                }
            }
        }
        return out
    }

    private func split(_ bytes: [UInt8], range: Range<Int>, parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = [.text(range)]
        bytes.withUnsafeBufferPointer { all in
            for cand in candidates where parseSpecial || !cand.onlyWhenParsing {
                var out: [Fragment] = []
                out.reserveCapacity(fragments.count + 2)
                var changed = false
                for f in fragments {
                    guard case .text(let range) = f else { out.append(f); continue }
                    var from = range.lowerBound
                    while let hit = Self.find(cand.text, in: all, from: from, to: range.upperBound) {
                        if hit > from { out.append(.text(from..<hit)) }
                        out.append(.token(cand.id))
                        from = hit + cand.text.count
                        changed = true
                    }
                    if from < range.upperBound { out.append(.text(from..<range.upperBound)) }
                }
                if changed { fragments = out }
            }
        }
        return fragments
    }

    /// First index >= `from` where `needle` occurs entirely before `to`.
    static func find(_ needle: [UInt8], in hay: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let n = needle.count
        guard n > 0, to - from >= n else { return nil }
        let first = needle[0]
        var i = from
        let last = to - n
        while i <= last {
            if hay[i] == first {
                var j = 1
                while j < n && hay[i + j] == needle[j] { j += 1 }
                if j == n { return i }
            }
            i += 1
        }
        return nil
    }
}
