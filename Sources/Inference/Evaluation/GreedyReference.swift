import Foundation

/// llama.cpp's greedy continuations of fixed prompts, as written by `scripts/peer/greedy.py`
/// (format: Tests/Data/reference/README.md).
public struct GreedyReference: Sendable {
    public struct Case: Sendable {
        public var id: String
        public var category: String?
        /// The user message (chat mode) or story opening.
        public var prompt: String
        /// The exact text llama.cpp was given.
        public var rendered: String
        public var promptIDs: [Int32]
        /// Argmax tokens in order; ends with the end-of-generation token when `stoppedAtEnd`.
        public var greedyIDs: [Int32]
        public var greedyText: String
        /// Top-1 minus top-2 logit at each generated token.
        public var margins: [Double]
        public var stoppedAtEnd: Bool
    }

    public var mode: String
    public var system: String?
    public var newTokens: Int
    public var addBOS: Bool
    public var cases: [Case]

    public init(path: String) throws(ReferenceDataError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        let raw: RawFile
        do { raw = try JSONDecoder().decode(RawFile.self, from: data) } catch {
            throw .malformed(path: path, reason: "\(error)")
        }
        mode = raw.mode
        system = raw.system
        newTokens = raw.new_tokens
        addBOS = raw.add_bos
        cases = try raw.cases.map { c throws(ReferenceDataError) in
            guard let prompt = c.user ?? c.opening else { throw .malformed(path: path, reason: "case \(c.id) has neither user nor opening") }
            guard c.margins.count == c.greedy_ids.count else {
                throw .malformed(path: path, reason: "case \(c.id): \(c.margins.count) margins for \(c.greedy_ids.count) ids")
            }
            return Case(id: c.id, category: c.category, prompt: prompt, rendered: c.rendered,
                        promptIDs: c.prompt_ids.map(Int32.init), greedyIDs: c.greedy_ids.map(Int32.init),
                        greedyText: c.greedy_text, margins: c.margins, stoppedAtEnd: c.stop == "eog")
        }
    }

    private struct RawFile: Decodable {
        struct RawCase: Decodable {
            var id: String; var category: String?; var user: String?; var opening: String?
            var rendered: String; var prompt_ids: [Int]; var greedy_ids: [Int]; var greedy_text: String
            var margins: [Double]; var stop: String
        }
        var mode: String; var system: String?; var new_tokens: Int; var add_bos: Bool; var cases: [RawCase]
    }
}

/// Where two token sequences first differ, over at most `limit` tokens (nil: identical there).
public func firstDifference(_ a: [Int32], _ b: [Int32], limit: Int) -> Int? {
    let n = min(limit, max(a.count, b.count))
    for i in 0..<n where i >= a.count || i >= b.count || a[i] != b[i] { return i }
    return nil
}
