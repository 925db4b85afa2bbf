import Foundation

/// Measures cost(n), the wall time of one forward pass of n rows, on this machine and caches it
/// (per model fingerprint, thread count and build) so later launches skip the measurement.
public enum StepCostCalibration {
    /// Context the measurement runs against: decode steps happen after a prompt, and attention
    /// cost grows with it.
    static let contextRows = 128

    /// Best of `rounds` timings per size (`passTimes`). A smaller step cannot cost more than a
    /// larger one, so each size is capped by every larger size's time (a burst of other work
    /// during one size's passes once made a 4-row step look 1.8x a 1-row step).
    public static func measure(model: LlamaModel, pool: ThreadPool, sizes: [Int] = StepCostModel.calibrationSizes,
                               rounds: Int = 5) -> StepCostModel {
        let vocab = model.config.vocabSize
        let times = passTimes(model: model, pool: pool, context: (0..<contextRows).map { Int32(($0 * 7919) % vocab) },
                              newTokens: (0..<(sizes.max() ?? 1)).map { Int32(($0 * 31) % vocab) },
                              sizes: sizes, repeats: rounds)
        var best = [Int: Double]()
        var cap = Double.infinity
        for (n, t) in zip(sizes, times).sorted(by: { $0.0 > $1.0 }) {
            cap = min(cap, t.best)
            best[n] = cap
        }
        return StepCostModel(measured: best)
    }

    /// Wall time in milliseconds of one forward pass of n new rows (logits for all of them)
    /// after `context`, for each n in `sizes` (the rows are `newTokens.prefix(n)`): one untimed
    /// pass, then `repeats` in a row, best and median. The rows are dropped after each pass.
    /// Used by the calibration and by `bita-chat bench`, whose llama.cpp side measures the same
    /// way. Sizes taken in turn (one pass each) instead made the one-row time 40-60% slower than
    /// in steady decoding, and every cost(n)/cost(1) too flat.
    public static func passTimes(model: LlamaModel, pool: ThreadPool, context: [Int32], newTokens: [Int32],
                                 sizes: [Int], repeats: Int) -> [(best: Double, median: Double)] {
        let maxRows = sizes.max() ?? 1
        precondition(maxRows <= newTokens.count && repeats >= 1)
        let cache = model.makeCache(capacity: context.count + maxRows)
        let state = RunState(pool: pool)
        var logits = [Float](repeating: 0, count: maxRows * model.config.vocabSize)
        return logits.withUnsafeMutableBufferPointer { buf in
            var start = 0
            while start < context.count {
                let piece = Array(context[start..<min(start + 64, context.count)])
                model.forward(.causal(tokens: piece, startPosition: start), cache: cache, state: state,
                              logitRows: [], logits: buf.baseAddress!)
                start += piece.count
            }
            return sizes.map { n in
                let batch = ForwardBatch.causal(tokens: Array(newTokens.prefix(n)), startPosition: context.count)
                var times: [Double] = []
                for run in 0...repeats {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    model.forward(batch, cache: cache, state: state, logitRows: Array(0..<n), logits: buf.baseAddress!)
                    if run > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6) }
                    cache.truncate(to: context.count)
                }
                times.sort()
                return (times[0], times[times.count / 2])
            }
        }
    }

    /// Loads the cached curve for this model and thread count, or measures and stores it.
    public static func cached(model: LlamaModel, fingerprint: ModelFingerprint, pool: ThreadPool,
                              directory: String? = defaultDirectory()) -> StepCostModel {
        let name = "cost-\(fingerprint)-t\(pool.threads)-\(buildTag).json"
        if let dir = directory, let data = FileManager.default.contents(atPath: dir + "/" + name),
           let model = try? JSONDecoder().decode(StepCostModel.self, from: data) {
            return model
        }
        let measured = measure(model: model, pool: pool)
        if let dir = directory {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            if let data = try? JSONEncoder().encode(measured) {
                try? AtomicFile.write(data, to: dir + "/" + name, permissions: 0o644)
            }
        }
        return measured
    }

    /// $XDG_CACHE_HOME/bita-chat, else ~/.cache/bita-chat.
    public static func defaultDirectory() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let x = env["XDG_CACHE_HOME"], !x.isEmpty { return x + "/bita-chat" }
        if let h = env["HOME"], !h.isEmpty { return h + "/.cache/bita-chat" }
        return nil
    }

    /// Changes whenever the binary changes, so a rebuilt engine re-measures.
    static let buildTag: String = {
        guard let exe = Bundle.main.executablePath,
              let attrs = try? FileManager.default.attributesOfItem(atPath: exe),
              let date = attrs[.modificationDate] as? Date else { return "unknown" }
        return String(Int(date.timeIntervalSince1970))
    }()
}
