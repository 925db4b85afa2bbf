import Foundation

/// llama.cpp's perplexity and teacher-forced argmax for a text, as written by
/// `scripts/peer/perplexity.py` (format: Tests/Data/reference/README.md).
public struct PerplexityReference: Sendable {
    public struct Evaluation: Sendable {
        /// Window size in input tokens.
        public var context: Int
        public var beginsWithBOS: Bool
        public var windows: Int
        public var scoredPerWindow: Int
        public var meanNLL: Double
        public var perplexity: Double
        /// Mean NLL of each window (rounded to 1e-6 by the script).
        public var windowMeanNLL: [Double]
        /// llama.cpp's top-1 token at scored position `w * scoredPerWindow + j`.
        public var argmax: [Int32]
        /// Its top-1 minus top-2 logit, quantized to `marginScale` steps and saturating at 255 steps.
        public var margin: [Float]
        public var marginScale: Float

        /// Perplexity over the first `windows` windows: exp of the mean of their mean NLLs.
        public func perplexity(windows n: Int) -> Double {
            let k = min(n, windowMeanNLL.count)
            return exp(windowMeanNLL.prefix(k).reduce(0, +) / Double(max(1, k)))
        }
    }

    public var modelFile: String
    public var modelBytes: Int
    public var textBytes: Int
    public var textSHA256: String
    public var addBOS: Bool
    public var bosID: Int32?
    /// The text's token ids as llama.cpp tokenizes it (no BOS, special-token parsing off).
    public var tokens: [Int32]
    public var evaluations: [Evaluation]
    public var llamaCppPythonVersion: String

    public func evaluation(context: Int) -> Evaluation? { evaluations.first { $0.context == context } }

    public init(path: String) throws(ReferenceDataError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        try self.init(data: data, path: path)
    }

    public init(data: Data, path: String = "reference") throws(ReferenceDataError) {
        let raw: RawFile
        do { raw = try JSONDecoder().decode(RawFile.self, from: data) } catch {
            throw .malformed(path: path, reason: "\(error)")
        }
        modelFile = raw.model.file
        modelBytes = raw.model.bytes
        textBytes = raw.text.bytes
        textSHA256 = raw.text.sha256
        addBOS = raw.tokenization.add_bos
        bosID = raw.tokenization.bos_id.map(Int32.init)
        llamaCppPythonVersion = raw.llama_cpp_python ?? "?"
        tokens = try Self.uint16s(raw.tokenization.tokens, field: "tokenization.tokens", path: path).map(Int32.init)
        guard tokens.count == raw.tokenization.n_tokens else {
            throw .malformed(path: path, reason: "tokenization.tokens holds \(tokens.count) ids, n_tokens says \(raw.tokenization.n_tokens)")
        }
        var evals: [Evaluation] = []
        for e in raw.evaluations {
            let ids = try Self.uint16s(e.argmax, field: "argmax", path: path).map(Int32.init)
            guard let m = Data(base64Encoded: e.margin) else { throw .malformed(path: path, reason: "margin is not base64") }
            let n = e.windows * e.scored_per_window
            guard ids.count == n, m.count == n, e.window_mean_nll.count == e.windows else {
                throw .malformed(path: path, reason: "ctx \(e.ctx): \(ids.count) argmax ids, \(m.count) margins, \(e.window_mean_nll.count) window NLLs for \(e.windows) windows of \(e.scored_per_window)")
            }
            evals.append(Evaluation(context: e.ctx, beginsWithBOS: e.bos_per_window, windows: e.windows,
                                    scoredPerWindow: e.scored_per_window, meanNLL: e.mean_nll, perplexity: e.perplexity,
                                    windowMeanNLL: e.window_mean_nll, argmax: ids,
                                    margin: m.map { Float($0) * Float(e.margin_scale) }, marginScale: Float(e.margin_scale)))
        }
        evaluations = evals
    }

    static func uint16s(_ base64: String, field: String, path: String) throws(ReferenceDataError) -> [UInt16] {
        guard let d = Data(base64Encoded: base64), d.count % 2 == 0 else {
            throw .malformed(path: path, reason: "\(field) is not base64 of little-endian uint16")
        }
        return stride(from: 0, to: d.count, by: 2).map { UInt16(d[d.startIndex + $0]) | UInt16(d[d.startIndex + $0 + 1]) << 8 }
    }

    // The JSON as the script writes it.
    private struct RawFile: Decodable {
        struct Model: Decodable { var file: String; var bytes: Int }
        struct Text: Decodable { var bytes: Int; var sha256: String }
        struct Tokenization: Decodable {
            var add_bos: Bool; var bos_id: Int?; var n_tokens: Int; var tokens: String
        }
        struct Eval: Decodable {
            var ctx: Int; var bos_per_window: Bool; var windows: Int; var scored_per_window: Int
            var mean_nll: Double; var perplexity: Double; var window_mean_nll: [Double]
            var argmax: String; var margin: String; var margin_scale: Double
        }
        var llama_cpp_python: String?
        var model: Model
        var text: Text
        var tokenization: Tokenization
        var evaluations: [Eval]
    }
}

public enum ReferenceDataError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path):
            return "cannot read reference file \(path) (generate it with scripts/peer/, see Tests/Data/reference/README.md)"
        case let .malformed(path, reason):
            return "reference file \(path) is not in the format scripts/peer/ writes: \(reason)"
        }
    }
}
