/// SentencePiece-style BPE as llama.cpp runs it for `tokenizer.ggml.model = llama`: spaces are
/// spelled "▁", the text starts as one symbol per UTF-8 character, and the adjacent pair whose
/// concatenation is a token with the highest score merges first (leftmost on ties). Symbols
/// that end up not being tokens fall back to byte tokens `<0xNN>`.
struct SentencePieceEncoder: Sendable {
    let textIndex: TokenTextIndex
    let scores: [Float]
    /// Token of each byte value, for the fallback.
    let byteToken: [Int32]

    init(tokens: [String], scores: [Float], textIndex: TokenTextIndex, unknownID: Int32?) {
        self.textIndex = textIndex
        self.scores = scores.count >= tokens.count ? scores : scores + Array(repeating: 0, count: tokens.count - scores.count)
        let hex = Array("0123456789ABCDEF".utf8)
        byteToken = (0..<256).map { b in
            let spelled: [UInt8] = Array("<0x".utf8) + [hex[b >> 4], hex[b & 15], UInt8(ascii: ">")]
            return textIndex.id(of: spelled) ?? textIndex.id(of: [UInt8(b)]) ?? unknownID ?? 0
        }
    }

    private struct Candidate {
        var score: Float
        var left: Int32
        var right: Int32
        var byteCount: Int32

        @inline(__always) func before(_ o: Candidate) -> Bool {
            score != o.score ? score > o.score : left < o.left
        }
    }

    /// Appends the tokens of `text` (already escaped: spaces as "▁") to `output`.
    func encode(_ text: [UInt8], into output: inout [Int32]) {
        guard !text.isEmpty else { return }
        text.withUnsafeBufferPointer { bytes in
            // Symbols: byte offset and length; length 0 once merged into the left neighbour.
            var start: [Int32] = [], length: [Int32] = []
            var offset = 0
            while offset < bytes.count {
                let n = min(Self.sequenceLength(bytes[offset]), bytes.count - offset)
                start.append(Int32(offset)); length.append(Int32(n))
                offset += n
            }
            let count = start.count
            var prev = (0..<count).map { Int32($0) - 1 }
            var next = (0..<count).map { $0 + 1 < count ? Int32($0 + 1) : -1 }
            var heap: [Candidate] = []

            func push(_ c: Candidate) {
                heap.append(c)
                var i = heap.count - 1
                while i > 0 {
                    let p = (i - 1) / 2
                    guard heap[i].before(heap[p]) else { break }
                    heap.swapAt(i, p); i = p
                }
            }
            func pop() -> Candidate? {
                guard let top = heap.first else { return nil }
                let last = heap.removeLast()
                if !heap.isEmpty {
                    heap[0] = last
                    var i = 0
                    while true {
                        let l = 2 * i + 1, r = l + 1
                        var best = i
                        if l < heap.count && heap[l].before(heap[best]) { best = l }
                        if r < heap.count && heap[r].before(heap[best]) { best = r }
                        if best == i { break }
                        heap.swapAt(i, best); i = best
                    }
                }
                return top
            }
            func consider(_ l: Int32, _ r: Int32) {
                guard l >= 0, r >= 0 else { return }
                let s = Int(start[Int(l)]), n = Int(length[Int(l)] + length[Int(r)])
                guard let id = textIndex.id(of: UnsafeBufferPointer(rebasing: bytes[s..<(s + n)])) else { return }
                push(Candidate(score: scores[Int(id)], left: l, right: r, byteCount: Int32(n)))
            }

            for i in 1..<max(count, 1) { consider(Int32(i - 1), Int32(i)) }
            while let c = pop() {
                let l = Int(c.left), r = Int(c.right)
                // Stale when a side was merged away or has grown since the pair was queued.
                guard length[l] > 0, length[r] > 0, length[l] + length[r] == c.byteCount else { continue }
                length[l] += length[r]
                length[r] = 0
                next[l] = next[r]
                if next[r] >= 0 { prev[Int(next[r])] = c.left }
                consider(prev[l], c.left)
                consider(c.left, next[l])
            }
            var i: Int32 = 0
            while i >= 0 {
                let s = Int(start[Int(i)]), n = Int(length[Int(i)])
                let piece = UnsafeBufferPointer(rebasing: bytes[s..<(s + n)])
                if let id = textIndex.id(of: piece) {
                    output.append(id)
                } else {
                    for b in piece { output.append(byteToken[Int(b)]) }
                }
                i = next[Int(i)]
            }
        }
    }

    /// Length of the UTF-8 sequence a lead byte starts (continuation bytes count as 1).
    @inline(__always)
    static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }
}
