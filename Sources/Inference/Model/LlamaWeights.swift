/// The weights of one transformer block, views into the mapped model file.
/// Matrix shapes are [rows (outputs), cols (inputs)].
struct LlamaLayerWeights: @unchecked Sendable {
    var attentionNorm: [Float]   // [dim]
    var wq: WeightMatrix         // [dim, dim]
    var wk: WeightMatrix         // [kvDim, dim]
    var wv: WeightMatrix         // [kvDim, dim]
    var wo: WeightMatrix         // [dim, dim]
    var ffnNorm: [Float]         // [dim]
    var wGate: WeightMatrix      // [ff, dim]
    var wUp: WeightMatrix        // [ff, dim]
    var wDown: WeightMatrix      // [dim, ff]
}

struct LlamaWeights: @unchecked Sendable {
    var tokenEmbedding: WeightMatrix  // [vocab, dim]; row t is token t's embedding
    var layers: [LlamaLayerWeights]
    var outputNorm: [Float]           // [dim]
    var output: WeightMatrix          // [vocab, dim]; the embedding itself when tied

    init(file: GGUFFile, config: LlamaConfig) throws {
        // One arena for all packed matrices, so they share huge pages.
        let arena = WeightArena()
        func matrix(_ name: String) throws -> WeightMatrix {
            guard let t = file.tensor(named: name) else { throw ModelLoadError.missingTensor(name) }
            let m = WeightMatrix(type: t.type, rows: t.rowCount, cols: t.rowLength,
                                 base: file.data(for: t).baseAddress!, arena: arena)
            // Matmuls read the packed copy: let the mapped original leave the resident set now,
            // not after the last matrix, so loading never holds the file and the packed copy
            // both (peak resident while loading SmolLM2's 98 MB file: 222 -> 145 MB).
            m.releaseMappedSource()
            return m
        }
        func vector(_ name: String) throws -> [Float] {
            guard let t = file.tensor(named: name) else { throw ModelLoadError.missingTensor(name) }
            var out = [Float](repeating: 0, count: t.elementCount)
            out.withUnsafeMutableBufferPointer { dequantizeRow(t.type, file.data(for: t).baseAddress!, count: t.elementCount, $0.baseAddress!) }
            return out
        }
        tokenEmbedding = try matrix("token_embd.weight")
        layers = try (0..<config.layerCount).map { l in
            LlamaLayerWeights(
                attentionNorm: try vector("blk.\(l).attn_norm.weight"),
                wq: try matrix("blk.\(l).attn_q.weight"), wk: try matrix("blk.\(l).attn_k.weight"),
                wv: try matrix("blk.\(l).attn_v.weight"), wo: try matrix("blk.\(l).attn_output.weight"),
                ffnNorm: try vector("blk.\(l).ffn_norm.weight"),
                wGate: try matrix("blk.\(l).ffn_gate.weight"), wUp: try matrix("blk.\(l).ffn_up.weight"),
                wDown: try matrix("blk.\(l).ffn_down.weight"))
        }
        outputNorm = try vector("output_norm.weight")
        output = file.tensor(named: "output.weight") != nil ? try matrix("output.weight") : tokenEmbedding
    }
}

public enum ModelLoadError: Error, CustomStringConvertible {
    case missingTensor(String)
    public var description: String {
        switch self {
        case .missingTensor(let n): return "the model file has no tensor \(n)"
        }
    }
}
