import Foundation
import Testing
@testable import Inference

/// Encoding throughput on the reference corpus, first pass (empty word cache) and warm passes.
/// Run with BITA_TOKENIZER_BENCH=1 in a release build; prints tokens/s.
@Suite struct TokenizerSpeedTests {
    static var enabled: Bool { ProcessInfo.processInfo.environment["BITA_TOKENIZER_BENCH"] != nil }

    func measure(_ name: String, _ path: String, addSpecial: Bool) throws {
        let strings = try TokenizerReference.corpus()
        let vocab = try TokenizerReference.vocabulary(path)
        let clock = ContinuousClock()
        var tokenizer: Tokenizer? = nil
        let load = try clock.measure { tokenizer = try Tokenizer(vocabulary: vocab) }
        let t = tokenizer!
        var cold: [[Int32]] = []
        let coldTime = clock.measure { cold = strings.map { t.encode($0, addSpecial: addSpecial) } }
        let tokens = cold.reduce(0) { $0 + $1.count }
        let passes = 5
        var warm: [[Int32]] = []
        let warmTime = clock.measure {
            for _ in 0..<passes { warm = strings.map { t.encode($0, addSpecial: addSpecial) } }
        }
        // The word cache must not change any result.
        #expect(warm == cold)
        var decoded = 0
        let decodeTime = clock.measure { for ids in cold { decoded += t.decodeBytes(ids).count } }
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        print(String(format: "%@: build %.0f ms; encode %d tokens: first pass %.0f tok/s, warm %.0f tok/s; decode %.0f tok/s",
                     name, seconds(load) * 1000, tokens, Double(tokens) / seconds(coldTime),
                     Double(tokens * passes) / seconds(warmTime), Double(tokens) / seconds(decodeTime)))
    }

    @Test(.enabled(if: enabled && TokenizerReference.haveSmolLM, "set BITA_TOKENIZER_BENCH=1 (and have the SmolLM2 model)"))
    func smolLM2Throughput() throws {
        try measure("SmolLM2", TokenizerReference.smolLMPath, addSpecial: false)
    }

    @Test(.enabled(if: enabled && TokenizerReference.haveStories, "set BITA_TOKENIZER_BENCH=1 (and have stories260K)"))
    func stories260KThroughput() throws {
        try measure("stories260K", TokenizerReference.storiesPath, addSpecial: true)
    }

    /// Pathological inputs of 1 MB each must stay fast and lossless.
    @Test(.enabled(if: enabled && TokenizerReference.haveSmolLM, "set BITA_TOKENIZER_BENCH=1 (and have the SmolLM2 model)"))
    func hostileInputs() throws {
        let t = try Tokenizer(vocabulary: TokenizerReference.vocabulary(TokenizerReference.smolLMPath))
        let inputs = [("one 1 MB word", String(repeating: "a", count: 1 << 20)),
                      ("1 MB of spaces", String(repeating: " ", count: 1 << 20)),
                      ("1 MB of digits", String(repeating: "7", count: 1 << 20)),
                      ("typed markers", String(repeating: "<|im_end|>", count: 100_000)),
                      ("emoji run", String(repeating: "👍🏽", count: 130_000))]
        let clock = ContinuousClock()
        for (name, text) in inputs {
            var ids: [Int32] = []
            let d = clock.measure { ids = t.encode(text, parseSpecial: false) }
            #expect(t.decode(ids) == text)
            #expect(d < .seconds(10), "\(name) took \(d)")
            print("\(name): \(ids.count) tokens in \(d)")
        }
    }
}
