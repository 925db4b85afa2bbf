import Foundation

/// Checkpoints of a tuning run, one GGUF file (written atomically):
///
///   metadata  general.architecture = "bita-tune-checkpoint", bita.ckpt.version = 1,
///             bita.ckpt.step, bita.ckpt.adam_updates, bita.ckpt.mask_tokens (u64),
///             bita.ckpt.seconds (f64), bita.ckpt.data (digest of the records),
///             bita.ckpt.threads (u32), bita.base.fingerprint,
///             bita.ckpt.setting.<name> (string; every TuningConfiguration.recordedSettings entry)
///   tensors   param.<t>, adam_m.<t>, adam_v.<t> for t in blk.N.prompt_k, blk.N.prompt_v, mask_embd (F32)
///
/// No generator state is stored: every random choice of update s derives from (seed, s).
extension AdapterTrainer {
    static let checkpointArchitecture = "bita-tune-checkpoint"

    var tensorNames: [String] {
        var names: [String] = []
        for l in 0..<parameters.layerCount { names += ["blk.\(l).prompt_k", "blk.\(l).prompt_v"] }
        return names + ["mask_embd"]
    }

    public func saveCheckpoint(to path: String) throws(TuningError) {
        var w = GGUFWriter()
        w.set("general.architecture", .string(Self.checkpointArchitecture))
        w.set("bita.ckpt.version", .uint32(1))
        w.set("bita.ckpt.step", .uint64(UInt64(step)))
        w.set("bita.ckpt.adam_updates", .uint64(UInt64(optimizer.updates)))
        w.set("bita.ckpt.mask_tokens", .uint64(UInt64(maskTokensTrained)))
        w.set("bita.ckpt.seconds", .float64(trainingSeconds))
        w.set("bita.ckpt.data", .string(dataset.digest))
        w.set("bita.ckpt.threads", .uint32(UInt32(configuration.threads)))
        w.set("bita.base.fingerprint", .string(base.fingerprint.description))
        for (k, v) in configuration.recordedSettings.sorted(by: { $0.key < $1.key }) {
            w.set("bita.ckpt.setting." + k, .string(v))
        }
        for (prefix, tensors) in [("param.", parameters), ("adam_m.", optimizer.firstMoment), ("adam_v.", optimizer.secondMoment)] {
            for (name, b) in zip(tensorNames, tensors.buffers) {
                w.addTensor(prefix + name, dimensions: [b.count], floats: b.array)
            }
        }
        do { try w.write(to: path) } catch { throw .cannotWrite(path: path, reason: "\(error)") }
    }

    /// Restores parameters, optimizer moments and progress from `path`. Refuses a checkpoint of
    /// another model, other data or other settings (listing the differences).
    public func loadCheckpoint(from path: String) throws(TuningError) {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw .badCheckpoint(path: path, reason: "\(error)") }
        guard file.string("general.architecture") == Self.checkpointArchitecture else {
            throw .badCheckpoint(path: path, reason: "it is not a tuning checkpoint")
        }
        guard file.int("bita.ckpt.version") == 1 else { throw .badCheckpoint(path: path, reason: "unknown checkpoint version") }
        var differences: [String] = []
        if file.string("bita.base.fingerprint") != base.fingerprint.description {
            differences.append("model fingerprint \(file.string("bita.base.fingerprint") ?? "?") vs \(base.fingerprint)")
        }
        if file.string("bita.ckpt.data") != dataset.digest { differences.append("the training data changed") }
        for (k, v) in configuration.recordedSettings.sorted(by: { $0.key < $1.key }) {
            let saved = file.string("bita.ckpt.setting." + k)
            if saved != v { differences.append("\(k) \(saved ?? "missing") vs \(v)") }
        }
        guard differences.isEmpty else { throw .checkpointMismatch(path: path, differences: differences) }
        guard let savedStep = file.int("bita.ckpt.step"), let updates = file.int("bita.ckpt.adam_updates"),
              let tokens = file.int("bita.ckpt.mask_tokens"), case .float64(let seconds)? = file.metadata["bita.ckpt.seconds"]
        else { throw .badCheckpoint(path: path, reason: "progress fields are missing") }
        for (prefix, tensors) in [("param.", parameters), ("adam_m.", optimizer.firstMoment), ("adam_v.", optimizer.secondMoment)] {
            for (name, b) in zip(tensorNames, tensors.buffers) {
                guard let t = file.tensor(named: prefix + name), t.type == .f32, t.elementCount == b.count else {
                    throw .badCheckpoint(path: path, reason: "tensor \(prefix + name) is missing or has the wrong size")
                }
                let raw = file.data(for: t)
                for i in 0..<b.count { b[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
            }
        }
        step = savedStep
        optimizer.updates = updates
        maskTokensTrained = tokens
        trainingSeconds = seconds
    }
}
