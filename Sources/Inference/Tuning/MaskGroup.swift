/// One group of mask tokens in a training sequence, and where its labels come from.
///
/// Indexing (0-based over the whole sequence x = [prompt][response]): a group hanging on real
/// token s sees x[0...s] (plus the prompt K/V and its own earlier masks); mask i (1-based) sits
/// at position s + i and learns to predict x[s + i + 1]. The base model's own logits at x[s]
/// give x[s + 1], so the masks draft the tokens *after* that one.
///
/// This is exactly how SpeculativeDecoder uses a group: the group on the step's last accepted
/// node x[s] (position s) drafts the next step, whose root is the bonus token x[s + 1] (the
/// model's argmax at s); the next step's depth-d draft sits at position s + 1 + d and must equal
/// the model's argmax after x[s + d], i.e. x[s + d + 1]. That draft came from mask d. So mask i
/// predicts x[s + i + 1].
///
/// Worked example, k = 3: prompt [a b c], response [d e f g h], x = a b c d e f g h (0...7).
/// Group on s = 2 (token c, the first decoding step's root: prefill leaves c as the root):
///   the model's logits at c give d (that step's bonus token);
///   masks at positions 3, 4, 5 see a b c, and predict e (x[4]), f (x[5]), g (x[6]).
/// Next step: root d at position 3, depth-1 draft e at 4 (checked against the argmax at d),
/// depth 2 f at 5, depth 3 g at 6. Group on s = 5 (token f): masks predict x[7] = h only; a
/// group that would run past the sequence keeps just the masks that have a label.
/// Valid starts: promptCount - 1 ... count - 3 (at least one label).
struct MaskGroup: Sendable, Equatable {
    /// Index of the last real token the group sees.
    var start: Int
    /// labels[i - 1] = x[start + i + 1] for mask i = 1 ... labels.count (<= k).
    var labels: [Int32]

    /// The group on real token `start` of `sequence`, with up to `maskCount` masks (fewer near
    /// the end); nil when not even mask 1 has a label.
    init?(sequence: [Int32], start: Int, maskCount: Int) {
        let rows = min(maskCount, sequence.count - start - 2)
        guard start >= 0, rows >= 1 else { return nil }
        self.start = start
        labels = (1...rows).map { sequence[start + $0 + 1] }
    }

    var rowCount: Int { labels.count }
    /// RoPE position of mask i (1-based).
    func position(ofMask i: Int) -> Int { start + i }
    /// Real tokens the group sees: x[0 ... start].
    var contextCount: Int { start + 1 }

    /// Range of start points whose groups hang inside the response: from the last prompt token
    /// to the last token that still leaves one label.
    static func validStarts(promptCount: Int, sequenceCount: Int) -> Range<Int> {
        let lo = max(promptCount - 1, 0), hi = sequenceCount - 2
        return lo < hi ? lo..<hi : lo..<lo
    }

    /// `count` distinct start points drawn uniformly from `validStarts` (all of them when there are
    /// fewer), ascending. Consumes the generator deterministically.
    static func sampleStarts(promptCount: Int, sequenceCount: Int, count: Int, rng: inout SeededRandom) -> [Int] {
        let range = validStarts(promptCount: promptCount, sequenceCount: sequenceCount)
        if range.count <= count { return Array(range) }
        // Partial Fisher-Yates over the range.
        var pool = Array(range)
        for i in 0..<count {
            let j = i + rng.nextInt(below: pool.count - i)
            pool.swapAt(i, j)
        }
        return pool[0..<count].sorted()
    }
}
