/// Drafts read from the conversation itself: when the text's last few tokens already occurred
/// earlier in the context (the prompt, an earlier answer, or this answer repeating itself), the
/// tokens that followed that occurrence are a guess at what comes next.
///
/// Small models repeat themselves a lot (lists with the same lead-in, a sentence said again, code
/// that reuses names from the prompt), and there a match of 3 or more tokens predicts the next
/// token most of the time. The guesses are verified like any other draft, so they never change
/// what is emitted; they only decide how many tokens one forward pass can confirm.
public struct ContextLookup: Sendable, Equatable {
    /// Shortest suffix match (tokens) that may propose a draft.
    public var minimumMatch: Int
    /// Suffix lengths beyond this count as this long (a longer match says little more).
    public var maximumMatch: Int
    /// Most tokens proposed per step (the decoder may run fewer).
    public var length: Int

    public init(minimumMatch: Int = 1, maximumMatch: Int = 4, length: Int = 6) {
        self.minimumMatch = max(1, minimumMatch)
        self.maximumMatch = max(self.minimumMatch, maximumMatch)
        self.length = max(1, length)
    }

    /// A proposal: the tokens that followed the latest earlier occurrence of the longest
    /// matching suffix, and that suffix's length in tokens (capped at `maximumMatch`).
    public struct Proposal: Sendable, Equatable {
        public var tokens: [Int32]
        public var match: Int
    }

    /// Looks for the longest suffix of `history` (between `minimumMatch` and `maximumMatch`
    /// tokens) that also ends earlier in `history`; among equally long matches the latest wins.
    /// Returns nil when there is none. O(history.count x maximumMatch).
    public func propose(_ history: [Int32]) -> Proposal? {
        let n = history.count
        guard n >= minimumMatch + 1 else { return nil }
        return history.withUnsafeBufferPointer { h -> Proposal? in
            var bestEnd = -1      // index just past the earlier occurrence (where its continuation starts)
            var bestMatch = 0
            // An occurrence ending at index e - 1 (continuation starts at e), e from n - 1 down.
            var e = n - 1
            while e >= minimumMatch {
                var m = 0
                while m < maximumMatch, m < e, h[e - 1 - m] == h[n - 1 - m] { m += 1 }
                if m > bestMatch {
                    bestMatch = m
                    bestEnd = e
                    if m == maximumMatch { break }
                }
                e -= 1
            }
            guard bestMatch >= minimumMatch else { return nil }
            let end = min(bestEnd + length, n)
            return Proposal(tokens: Array(h[bestEnd..<end]), match: bestMatch)
        }
    }
}

extension ContextLookup {
    /// A plain, obviously correct twin of `propose` (for tests): for each suffix length from
    /// longest to shortest, the latest earlier occurrence.
    static func referencePropose(_ history: [Int32], minimumMatch: Int, maximumMatch: Int, length: Int) -> Proposal? {
        let n = history.count
        for m in stride(from: maximumMatch, through: minimumMatch, by: -1) where n >= m + 1 {
            let suffix = Array(history[(n - m)...])
            for start in stride(from: n - m - 1, through: 0, by: -1) where Array(history[start..<(start + m)]) == suffix {
                let from = start + m
                return Proposal(tokens: Array(history[from..<min(from + length, n)]), match: m)
            }
        }
        return nil
    }
}
