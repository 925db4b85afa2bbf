/// Byte-level BPE over one pre-tokenized word: start from one symbol per byte (its GPT-2
/// character), repeatedly merge the adjacent pair with the lowest merge rank (leftmost on ties)
/// until no pair has a rank. Same order as llama.cpp, hence the same ids.
///
/// Symbols are interned strings: vocabulary texts keep their token id; merge parts that are not
/// in the vocabulary get ids from `vocabularySize` up, so merges work on integer pairs.
final class BytePairEncoder: Sendable {
    struct Merge: Sendable {
        var rank: Int32
        var result: Int32
    }

    let vocabularySize: Int
    /// Symbol of each byte's GPT-2 character.
    let byteSymbol: [Int32]
    /// (left symbol << 32 | right symbol) -> rank and merged symbol. First listing of a pair wins.
    let merges: [UInt64: Merge]
    /// Byte-level texts (UTF-8) of symbols that are not tokens, by `id - vocabularySize`.
    let extraSymbolTexts: [[UInt8]]
    let textIndex: TokenTextIndex
    /// A word spelled exactly like a token becomes that token without merging (Llama 3 family).
    let ignoreMerges: Bool
    /// Encoded words by their bytes; only words of at most `WordKey.capacity` bytes.
    private let cache = Locked<[WordKey: [Int32]]>([:])
    static let cacheLimit = 1 << 16

    init(tokens: [String], merges mergeList: [String], textIndex: TokenTextIndex, ignoreMerges: Bool) {
        vocabularySize = tokens.count
        self.textIndex = textIndex
        self.ignoreMerges = ignoreMerges
        var extra: [[UInt8]: Int32] = [:]
        var extraTexts: [[UInt8]] = []
        let vocabularySize = tokens.count
        func intern(_ text: [UInt8]) -> Int32 {
            if let id = textIndex.id(of: text) { return id }
            if let id = extra[text] { return id }
            let id = Int32(vocabularySize + extraTexts.count)
            extra[text] = id
            extraTexts.append(text)
            return id
        }
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(mergeList.count)
        for (rank, line) in mergeList.enumerated() {
            let bytes = Array(line.utf8)
            // Split at the first space after the first byte (a part may itself be a space).
            guard bytes.count > 1, let cut = bytes[1...].firstIndex(of: 0x20) else { continue }
            let left = Array(bytes[..<cut]), right = Array(bytes[(cut + 1)...])
            let l = intern(left), r = intern(right)
            let key = UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
            if table[key] == nil {
                table[key] = Merge(rank: Int32(rank), result: intern(left + right))
            }
        }
        byteSymbol = (0..<256).map { intern(ByteLevelMapping.utf8OfByte[$0]) }
        merges = table
        extraSymbolTexts = extraTexts
    }

    /// Appends the tokens of one word (raw bytes) to `output`.
    func encodeWord(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        let key = WordKey(word)
        if let key, let hit = cache.withLock({ $0[key] }) {
            output.append(contentsOf: hit)
            return
        }
        let start = output.count
        encodeUncached(word, into: &output)
        if let key {
            let tokens = Array(output[start...])
            cache.withLock { c in
                if c.count >= Self.cacheLimit { c.removeAll(keepingCapacity: true) }
                c[key] = tokens
            }
        }
    }

    func encodeUncached(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if word.isEmpty { return }
        if ignoreMerges, let id = textIndex.id(of: ByteLevelMapping.encode(word)) {
            output.append(id)
            return
        }
        if word.count == 1 {
            emit(byteSymbol[Int(word[0])], into: &output)
            return
        }
        let n = word.count
        var symbol = word.map { byteSymbol[Int($0)] }
        var prev = (0..<n).map { Int32($0) - 1 }
        var next = (0..<n).map { $0 + 1 < n ? Int32($0 + 1) : -1 }
        var heap = PairHeap()
        @inline(__always) func consider(_ l: Int32, _ r: Int32) {
            guard l >= 0, r >= 0 else { return }
            let a = symbol[Int(l)], b = symbol[Int(r)]
            let key = UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
            guard let m = merges[key] else { return }
            heap.push(.init(rank: m.rank, left: l, right: r, leftSymbol: a, rightSymbol: b, result: m.result))
        }
        for i in 1..<n { consider(Int32(i - 1), Int32(i)) }
        while let p = heap.pop() {
            let l = Int(p.left), r = Int(p.right)
            // Stale when either side has been merged away or grown since the pair was queued.
            guard symbol[l] == p.leftSymbol, symbol[r] == p.rightSymbol else { continue }
            symbol[l] = p.result
            symbol[r] = -1
            next[l] = next[r]
            if next[r] >= 0 { prev[Int(next[r])] = p.left }
            consider(prev[l], p.left)
            consider(p.left, next[l])
        }
        var i: Int32 = 0
        while i >= 0 {
            emit(symbol[Int(i)], into: &output)
            i = next[Int(i)]
        }
    }

    /// A finished symbol: its token, or (not a token) the tokens of each single byte of its
    /// byte-level spelling that is one, as llama.cpp does.
    @inline(__always)
    private func emit(_ symbol: Int32, into output: inout [Int32]) {
        if Int(symbol) < vocabularySize {
            output.append(symbol)
            return
        }
        for b in extraSymbolTexts[Int(symbol) - vocabularySize] {
            if let id = textIndex.id(of: [b]) { output.append(id) }
        }
    }
}

/// A queued merge candidate; ordered by rank, then by position of the left symbol.
struct PairCandidate {
    var rank: Int32
    var left: Int32
    var right: Int32
    var leftSymbol: Int32
    var rightSymbol: Int32
    var result: Int32

    @inline(__always) func before(_ o: PairCandidate) -> Bool {
        rank != o.rank ? rank < o.rank : left < o.left
    }
}

/// Binary min-heap of merge candidates.
struct PairHeap {
    private var items: [PairCandidate] = []

    mutating func push(_ c: PairCandidate) {
        items.append(c)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].before(items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> PairCandidate? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < n && items[l].before(items[best]) { best = l }
                if r < n && items[r].before(items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return top
    }
}

/// Up to 24 bytes of a word packed inline, so cache lookups allocate nothing.
struct WordKey: Hashable, Sendable {
    static let capacity = 24
    var a: UInt64 = 0, b: UInt64 = 0, c: UInt64 = 0
    var count: UInt8

    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count <= Self.capacity else { return nil }
        count = UInt8(bytes.count)
        for (i, x) in bytes.enumerated() {
            let shift = UInt64((i & 7) * 8)
            switch i >> 3 {
            case 0: a |= UInt64(x) << shift
            case 1: b |= UInt64(x) << shift
            default: c |= UInt64(x) << shift
            }
        }
    }
}
