import Foundation
import Testing
@testable import Inference

/// Windowing, per-row statistics, agreement counting and reference parsing, on hand-made data.
@Suite struct PerplexityTests {
    @Test func windowsWithBOSTakeContextMinusOneTextTokens() throws {
        let text: [Int32] = Array(10..<31)  // 21 tokens
        let w = try PerplexityWindows(context: 5, beginToken: 1, textTokenCount: text.count)
        #expect(w.textTokensPerWindow == 4)
        #expect(w.count == 5)  // 21 / 4, the last token dropped
        #expect(w.scoredPerWindow == 4)
        #expect(w.scored() == 20)
        #expect(w.inputs(ofWindow: 0, text: text) == [1, 10, 11, 12, 13])
        #expect(w.inputs(ofWindow: 4, text: text) == [1, 26, 27, 28, 29])
    }

    @Test func windowsWithoutBOSAreConsecutiveSlices() throws {
        let text: [Int32] = Array(0..<12)
        let w = try PerplexityWindows(context: 4, beginToken: nil, textTokenCount: text.count)
        #expect(w.count == 3)
        #expect(w.inputs(ofWindow: 1, text: text) == [4, 5, 6, 7])
        #expect(w.scored(windows: 2) == 6)
    }

    @Test func tooShortTextOrContextIsAnError() {
        #expect(throws: EvaluationError.textTooShort(tokens: 3, needed: 4, context: 5)) {
            try PerplexityWindows(context: 5, beginToken: 1, textTokenCount: 3)
        }
        #expect(throws: EvaluationError.contextTooSmall(1)) {
            try PerplexityWindows(context: 1, beginToken: nil, textTokenCount: 100)
        }
        #expect("\(EvaluationError.textTooShort(tokens: 3, needed: 4, context: 5))".contains("smaller --ctx"))
    }

    @Test func rowStatisticsAreLogSoftmaxArgmaxAndMargin() {
        let row: [Float] = [0.5, 2.0, -1.0, 1.25]
        let s = row.withUnsafeBufferPointer { RowStatistics($0.baseAddress!, count: row.count, target: 3) }
        let lse = log(row.map { exp(Double($0)) }.reduce(0, +))
        #expect(abs(s.nll - (lse - 1.25)) < 1e-12)
        #expect(s.argmax == 1)
        #expect(s.margin == 0.75)
    }

    @Test func rowStatisticsTiesGoToTheFirstIndexWithZeroMargin() {
        let row: [Float] = [1, 3, 3, 2]
        let s = row.withUnsafeBufferPointer { RowStatistics($0.baseAddress!, count: row.count, target: 0) }
        #expect(s.argmax == 1)
        #expect(s.margin == 0)
        // A uniform row: NLL is log(count) for any target.
        let flat = [Float](repeating: -3, count: 8)
        let u = flat.withUnsafeBufferPointer { RowStatistics($0.baseAddress!, count: 8, target: 5) }
        #expect(abs(u.nll - log(8.0)) < 1e-12)
    }

    @Test func agreementCountsAndKeepsDisagreementMargins() {
        var a = TopOneAgreement()
        a.add(ours: [1, 2, 3, 4], ourMargins: [1, 0.05, 2, 3], reference: [1, 9, 3, 8][...],
              referenceMargins: [1, 0.5, 1, 0.02][...], offset: 100)
        #expect(a.compared == 4)
        #expect(a.agreed == 2)
        #expect(a.rate == 0.5)
        #expect(a.disagreements.map(\.position) == [101, 103])
        #expect(a.disagreements.map(\.reference) == [9, 8])
        #expect(a.nearTies(below: 0.1) == 2)
        #expect(a.nearTies(below: 0.01) == 0)
        #expect(a.largestReferenceMargin == 0.5)
        #expect(TopOneAgreement().largestReferenceMargin == nil)
    }

    @Test func firstDifferenceFindsMismatchAndLengthDifference() {
        #expect(firstDifference([1, 2, 3], [1, 2, 3], limit: 32) == nil)
        #expect(firstDifference([1, 2, 3], [1, 5, 3], limit: 32) == 1)
        #expect(firstDifference([1, 2], [1, 2, 7], limit: 32) == 2)
        #expect(firstDifference([1, 2, 3, 4], [1, 2, 3, 5], limit: 3) == nil)
    }

    @Test func referenceJSONIsDecoded() throws {
        func b64u16(_ v: [UInt16]) -> String { Data(v.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }).base64EncodedString() }
        let json = """
            {"llama_cpp_python": "0.3.36", "model": {"file": "m.gguf", "bytes": 10},
             "text": {"bytes": 42, "sha256": "ab"},
             "tokenization": {"add_bos": true, "bos_id": 1, "n_tokens": 3, "tokens": "\(b64u16([5, 300, 65535]))"},
             "evaluations": [{"ctx": 3, "bos_per_window": true, "windows": 2, "scored_per_window": 2,
                              "mean_nll": 1.5, "perplexity": 4.4817, "window_mean_nll": [1.0, 2.0],
                              "argmax": "\(b64u16([7, 8, 9, 10]))", "margin": "\(Data([0, 1, 20, 255]).base64EncodedString())",
                              "margin_scale": 0.05}]}
            """
        let r = try PerplexityReference(data: Data(json.utf8))
        #expect(r.tokens == [5, 300, 65535])
        #expect(r.addBOS && r.bosID == 1)
        let e = try #require(r.evaluation(context: 3))
        #expect(e.argmax == [7, 8, 9, 10])
        #expect(e.margin == [0, 0.05, 1.0, 12.75].map { Float($0) })
        #expect(abs(e.perplexity(windows: 1) - exp(1.0)) < 1e-12)
        #expect(abs(e.perplexity(windows: 2) - exp(1.5)) < 1e-12)
        #expect(r.evaluation(context: 512) == nil)
    }

    @Test func inconsistentReferenceIsRejected() {
        let json = """
            {"model": {"file": "m.gguf", "bytes": 10}, "text": {"bytes": 42, "sha256": "ab"},
             "tokenization": {"add_bos": false, "n_tokens": 2, "tokens": "AQA="}, "evaluations": []}
            """
        #expect(throws: ReferenceDataError.self) { try PerplexityReference(data: Data(json.utf8)) }
    }
}
