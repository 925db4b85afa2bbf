import Foundation

/// The base model's weights dequantized once into the trainer's scalar type, in the layout the
/// trainer's products want: every matrix row-major [outputs, inputs] (GGUF's own row order), so
/// y = W x for a batch of rows X [R, inputs] is X * W^T, and the input gradient dX = dY * W.
/// Frozen: nothing here is ever trained. SmolLM2-135M in F32 is ~540 MB.
final class FrozenModel<T: TrainingScalar>: @unchecked Sendable {
    // @unchecked: immutable after init.
    struct Layer {
        let attentionNorm: ScalarBuffer<T>  // [dim]
        let wq: ScalarBuffer<T>             // [dim, dim]
        let wk: ScalarBuffer<T>             // [kvDim, dim]
        let wv: ScalarBuffer<T>             // [kvDim, dim]
        let wo: ScalarBuffer<T>             // [dim, dim]
        let ffnNorm: ScalarBuffer<T>        // [dim]
        let wGate: ScalarBuffer<T>          // [ff, dim]
        let wUp: ScalarBuffer<T>            // [ff, dim]
        let wDown: ScalarBuffer<T>          // [dim, ff]
    }

    let config: LlamaConfig
    let layers: [Layer]
    let outputNorm: ScalarBuffer<T>         // [dim]
    /// [vocab, dim]: the LM head (logits = output * h). The same buffer as `tokenEmbedding` when tied.
    let output: ScalarBuffer<T>
    /// [vocab, dim]: row t is token t's input embedding.
    let tokenEmbedding: ScalarBuffer<T>
    let rope: RopeAngles<T>

    init(model: LlamaModel) {
        let c = model.config
        config = c
        let w = model.weights
        func matrix(_ m: WeightMatrix) -> ScalarBuffer<T> { Self.dequantize(m) }
        func vector(_ v: [Float]) -> ScalarBuffer<T> { ScalarBuffer(v.map { T($0) }) }
        layers = w.layers.map { lw in
            Layer(attentionNorm: vector(lw.attentionNorm), wq: matrix(lw.wq), wk: matrix(lw.wk), wv: matrix(lw.wv),
                  wo: matrix(lw.wo), ffnNorm: vector(lw.ffnNorm), wGate: matrix(lw.wGate), wUp: matrix(lw.wUp),
                  wDown: matrix(lw.wDown))
        }
        outputNorm = vector(w.outputNorm)
        tokenEmbedding = matrix(w.tokenEmbedding)
        output = c.tiedEmbeddings ? tokenEmbedding : matrix(w.output)
        rope = RopeAngles(headDim: c.headDim, rotatedDims: c.ropeDimensionCount, base: c.ropeFreqBase,
                          positions: c.contextLength)
    }

    private static func dequantize(_ m: WeightMatrix) -> ScalarBuffer<T> {
        let out = ScalarBuffer<T>(count: m.rows * m.cols)
        let row = UnsafeMutablePointer<Float>.allocate(capacity: m.cols)
        defer { row.deallocate() }
        for r in 0..<m.rows {
            m.dequantizeRow(r, into: row)
            let dst = out.pointer + r * m.cols
            for c in 0..<m.cols { dst[c] = T(row[c]) }
        }
        return out
    }
}
