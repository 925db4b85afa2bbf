import Foundation

/// Measures cost(n), the wall time of one forward pass of n rows, on this machine and caches it
/// (per model fingerprint, thread count and build) so later launches skip the measurement.
public enum StepCostCalibration {
    /// Context the measurement runs against: decode steps happen after a prompt, and attention
    /// cost grows with it.
    static let contextRows = 128

    /// Best of `rounds` timings per size, after one untimed pass. A smaller step cannot cost
    /// more than a larger one, so each size is capped by every larger size's time (a burst of
    /// other work during one size's passes once made a 4-row step look 1.8x a 1-row step).
    public static func measure(model: LlamaModel, pool: ThreadPool, sizes: [Int] = StepCostModel.calibrationSizes,
                               rounds: Int = 5) -> StepCostModel {
        let cache = model.makeCache(capacity: contextRows + (sizes.max() ?? 1) + 1)
        let state = RunState(pool: pool)
        let vocab = model.config.vocabSize
        var logits = [Float](repeating: 0, count: (sizes.max() ?? 1) * vocab)
        let context = (0..<contextRows).map { Int32(($0 * 7919) % vocab) }
        logits.withUnsafeMutableBufferPointer { buf in
            var start = 0
            while start < contextRows {
                let piece = Array(context[start..<min(start + 64, contextRows)])
                model.forward(.causal(tokens: piece, startPosition: start), cache: cache, state: state,
                              logitRows: [], logits: buf.baseAddress!)
                start += piece.count
            }
        }
        var best = [Int: Double]()
        for n in sizes {
            // One untimed pass, then `rounds` in a row, best time: how `bita-chat bench` measures
            // both engines' curves. Sizes taken in turn (one pass each) instead made the one-row
            // time 40-60% slower than in steady decoding, and every cost(n)/cost(1) too flat.
            let batch = ForwardBatch.causal(tokens: (0..<n).map { Int32(($0 * 31) % vocab) }, startPosition: contextRows)
            for run in 0...rounds {
                let t0 = DispatchTime.now().uptimeNanoseconds
                logits.withUnsafeMutableBufferPointer { buf in
                    model.forward(batch, cache: cache, state: state, logitRows: Array(0..<n), logits: buf.baseAddress!)
                }
                if run > 0 { best[n] = min(best[n] ?? .infinity, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6) }
                cache.truncate(to: contextRows)
            }
        }
        var cap = Double.infinity
        for n in sizes.sorted().reversed() {
            cap = min(cap, best[n]!)
            best[n] = cap
        }
        return StepCostModel(measured: best)
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
