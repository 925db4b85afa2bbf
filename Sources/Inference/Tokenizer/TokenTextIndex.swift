/// Token id by the exact bytes of its text: an open-addressing hash table over one flat byte
/// buffer, so lookups of a slice allocate nothing.
///
/// Bytes, not `String`: Swift strings compare by canonical equivalence ("é" == "e\u{301}"),
/// while token texts must match byte for byte. When two tokens share a text the later id wins,
/// as in llama.cpp.
struct TokenTextIndex: Sendable {
    /// Concatenated token texts; token i is bytes[starts[i] ..< starts[i + 1]].
    private let bytes: [UInt8]
    private let starts: [Int32]
    /// Slot -> token id, -1 when empty. Count is a power of two, at least twice the entries.
    private let slots: [Int32]
    private let mask: Int

    init(texts: [[UInt8]]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(texts.reduce(0) { $0 + $1.count })
        var starts: [Int32] = [0]
        starts.reserveCapacity(texts.count + 1)
        for t in texts {
            bytes.append(contentsOf: t)
            starts.append(Int32(bytes.count))
        }
        var capacity = 16
        while capacity < texts.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        bytes.withUnsafeBufferPointer { all in
            for (id, t) in texts.enumerated() {
                var slot = Int(truncatingIfNeeded: Self.hash(t.withUnsafeBufferPointer { $0 })) & mask
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    let o = UnsafeBufferPointer(rebasing: all[Int(starts[other])..<Int(starts[other + 1])])
                    if o.elementsEqual(t) { break }
                    slot = (slot + 1) & mask
                }
                slots[slot] = Int32(id)
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.slots = slots
        self.mask = mask
    }

    /// FNV-1a over the bytes.
    @inline(__always)
    static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for x in b { h = (h ^ UInt64(x)) &* 0x100_0000_01b3 }
        return h
    }

    func id(of text: UnsafeBufferPointer<UInt8>) -> Int32? {
        var slot = Int(truncatingIfNeeded: Self.hash(text)) & mask
        return bytes.withUnsafeBufferPointer { all in
            while true {
                let id = slots[slot]
                if id < 0 { return nil }
                let s = Int(starts[Int(id)]), e = Int(starts[Int(id) + 1])
                if e - s == text.count && UnsafeBufferPointer(rebasing: all[s..<e]).elementsEqual(text) {
                    return id
                }
                slot = (slot + 1) & mask
            }
        }
    }

    func id(of text: [UInt8]) -> Int32? {
        text.withUnsafeBufferPointer { id(of: $0) }
    }

    func id(of text: String) -> Int32? {
        id(of: Array(text.utf8))
    }

    /// The bytes of token `id`'s text.
    func text(of id: Int32) -> ArraySlice<UInt8> {
        bytes[Int(starts[Int(id)])..<Int(starts[Int(id) + 1])]
    }
}
