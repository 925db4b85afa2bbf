/// The trainable BiTA parameters (or gradients, or optimizer moments of the same shape) in the
/// trainer's scalar type: per layer prompt keys and values [P, kvDim], and mask embeddings [k, dim].
final class AdapterTensors<T: TrainingScalar>: @unchecked Sendable {
    // @unchecked: owned by one trainer; parallel code writes disjoint ranges.
    let layerCount: Int
    let promptCount: Int
    let kvDim: Int
    let maskCount: Int
    let dim: Int
    let promptKeys: [ScalarBuffer<T>]
    let promptValues: [ScalarBuffer<T>]
    let masks: ScalarBuffer<T>

    init(layerCount: Int, promptCount: Int, kvDim: Int, maskCount: Int, dim: Int) {
        self.layerCount = layerCount
        self.promptCount = promptCount
        self.kvDim = kvDim
        self.maskCount = maskCount
        self.dim = dim
        promptKeys = (0..<layerCount).map { _ in ScalarBuffer(count: promptCount * kvDim) }
        promptValues = (0..<layerCount).map { _ in ScalarBuffer(count: promptCount * kvDim) }
        masks = ScalarBuffer(count: maskCount * dim)
    }

    /// Zeros of the same shape as `other`.
    convenience init<U>(shapeOf other: AdapterTensors<U>) {
        self.init(layerCount: other.layerCount, promptCount: other.promptCount, kvDim: other.kvDim,
                  maskCount: other.maskCount, dim: other.dim)
    }

    convenience init(adapter a: BiTAAdapter) {
        self.init(layerCount: a.base.layerCount, promptCount: a.promptCount, kvDim: a.base.kvDim,
                  maskCount: a.maskCount, dim: a.base.dim)
        for l in 0..<layerCount {
            for (i, v) in a.promptKeys[l].enumerated() { promptKeys[l][i] = T(v) }
            for (i, v) in a.promptValues[l].enumerated() { promptValues[l][i] = T(v) }
        }
        for (i, v) in a.maskEmbeddings.enumerated() { masks[i] = T(v) }
    }

    /// Every buffer in a fixed order (layer 0 keys, layer 0 values, ..., masks): the order of all
    /// reductions over parameters, and of checkpoint tensors.
    var buffers: [ScalarBuffer<T>] {
        var out: [ScalarBuffer<T>] = []
        for l in 0..<layerCount { out.append(promptKeys[l]); out.append(promptValues[l]) }
        out.append(masks)
        return out
    }

    var parameterCount: Int { buffers.reduce(0) { $0 + $1.count } }

    func zero() { buffers.forEach { $0.zero() } }

    func copy(from other: AdapterTensors<T>) {
        for (d, s) in zip(buffers, other.buffers) { d.pointer.update(from: s.pointer, count: d.count) }
    }

    /// Sum of squares of every element, in the fixed buffer order (Double accumulator).
    var squaredNorm: Double {
        var s = 0.0
        for b in buffers { for i in 0..<b.count { let v = b[i].doubleValue; s += v * v } }
        return s
    }

    func promptKV() -> PromptBlocks<T> {
        PromptBlocks(count: promptCount, keys: promptKeys.map { UnsafePointer($0.pointer) },
                     values: promptValues.map { UnsafePointer($0.pointer) })
    }

    /// The adapter file form (Float), for `base` and with `trainingInfo`.
    func adapter(base: BiTAAdapter.BaseModel, trainingInfo: [String: GGUFValue]) -> BiTAAdapter {
        func floats(_ b: ScalarBuffer<T>) -> [Float] { (0..<b.count).map { Float(b[$0]) } }
        return BiTAAdapter(base: base, promptCount: promptCount, maskCount: maskCount,
                           promptKeys: promptKeys.map(floats), promptValues: promptValues.map(floats),
                           maskEmbeddings: floats(masks), trainingInfo: trainingInfo)
    }
}

/// Per-layer prompt keys/values as the mask pass reads them ([P, kvDim] per layer, no RoPE).
struct PromptBlocks<T: TrainingScalar>: @unchecked Sendable {
    let count: Int
    let keys: [UnsafePointer<T>]
    let values: [UnsafePointer<T>]
}
