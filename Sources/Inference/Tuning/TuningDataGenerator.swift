/// Makes tuning records: the base model answers prompts with greedy decoding through the
/// engine's own decoder, so the targets are exactly what the model says. An adapter may be
/// given to speed this up; greedy BiTA output is identical to plain decoding, so it does not
/// change the data.
public final class TuningDataGenerator {
    public let model: LlamaModel
    let decoder: SpeculativeDecoder

    /// - Parameters: capacity: KV-cache rows (prompt + answer + a step's tree must fit).
    public init(model: LlamaModel, adapter: BiTAParameters? = nil, policy: ShapePolicy = .autoregressive,
                threads: Int = 1, capacity: Int? = nil) {
        self.model = model
        let cap = min(capacity ?? model.config.contextLength, model.config.contextLength)
        decoder = SpeculativeDecoder(model: model, bita: adapter, cache: model.makeCache(capacity: cap),
                                     pool: ThreadPool(threads: threads), policy: adapter == nil ? .autoregressive : policy,
                                     sampling: SamplingParameters(), seed: 0)
    }

    /// The greedy answer to `prompt`: up to `maxTokens` tokens, ending with (and including) the
    /// first stop token if one comes. Stops early when the context is full.
    public func respond(to prompt: [Int32], maxTokens: Int, stopTokens: Set<Int32>) throws(DecoderError) -> [Int32] {
        try decoder.prefill(prompt)
        var out: [Int32] = []
        while out.count < maxTokens {
            let r: StepResult
            do { r = try decoder.step() } catch .contextFull { break }
            for (id, _) in r.tokens where out.count < maxTokens {
                out.append(id)
                if stopTokens.contains(id) { return out }
            }
        }
        return out
    }

    /// Token-level prompts for models without a chat template (tests, tiny models): `prefix`
    /// followed by 1...maxSampled tokens sampled from the model itself at `temperature`, seeded.
    public func sampledPrompts(count: Int, prefix: [Int32], maxSampled: Int, temperature: Double,
                               seed: UInt64) throws(DecoderError) -> [[Int32]] {
        let sampler = SpeculativeDecoder(model: model, bita: nil, cache: model.makeCache(capacity: prefix.count + maxSampled + 300),
                                         pool: ThreadPool(threads: 1), policy: .autoregressive,
                                         sampling: SamplingParameters(temperature: temperature), seed: seed)
        var rng = SeededRandom(seed: seed)
        var prompts: [[Int32]] = []
        for i in 0..<count {
            sampler.reseed(AdapterTrainer.streamSeed(seed, 0x9409, UInt64(i)))
            try sampler.prefill(prefix)
            let length = 1 + rng.nextInt(below: maxSampled)
            var p = prefix
            while p.count < prefix.count + length {
                p += try sampler.step().tokens.map(\.id)
            }
            prompts.append(Array(p.prefix(prefix.count + length)))
        }
        return prompts
    }
}

/// Tokens per step of the real decoder with an adapter, greedy, on recorded prompts.
public struct DecoderAcceptanceReport: Sendable {
    public var tokens = 0
    public var steps = 0
    /// Records whose decoded answer differed from the recorded one (data made with other numerics).
    public var mismatches = 0
    public var records = 0
    /// Mean tokens emitted per step (>= 1).
    public var tokensPerStep: Double { steps > 0 ? Double(tokens) / Double(steps) : .nan }
}

public enum AdapterEvaluation {
    /// Decodes each record's prompt greedily with `bita` under `policy` until its recorded answer
    /// length (at most `maxTokens`) and counts tokens and steps.
    public static func decoderAcceptance(model: LlamaModel, bita: BiTAParameters?, policy: ShapePolicy,
                                         records: [TuningRecord], maxTokens: Int, threads: Int = 1) throws(DecoderError)
        -> DecoderAcceptanceReport {
        let need = records.map { $0.promptTokens.count + min($0.responseTokens.count, maxTokens) }.max() ?? 0
        let decoder = SpeculativeDecoder(model: model, bita: bita,
                                         cache: model.makeCache(capacity: min(need + 512, model.config.contextLength)),
                                         pool: ThreadPool(threads: threads), policy: policy,
                                         sampling: SamplingParameters(), seed: 0)
        var report = DecoderAcceptanceReport()
        for r in records {
            let target = min(r.responseTokens.count, maxTokens)
            guard target > 0, !r.promptTokens.isEmpty else { continue }
            try decoder.prefill(r.promptTokens)
            var out: [Int32] = []
            var steps = 0
            while out.count < target {
                out += try decoder.step().tokens.map(\.id)
                steps += 1
            }
            report.tokens += target
            report.steps += steps
            report.records += 1
            if Array(out.prefix(target)) != Array(r.responseTokens.prefix(target)) { report.mismatches += 1 }
        }
        return report
    }
}
