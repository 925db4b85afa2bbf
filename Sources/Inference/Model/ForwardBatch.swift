/// What a row of a forward pass consumes: a vocabulary token, or one of the extra input
/// embeddings supplied with the batch (BiTA's mask tokens).
public enum BatchInput: Sendable, Hashable {
    case token(Int32)
    case embedding(Int)
}

/// n new rows at arbitrary positions with arbitrary visibility among themselves.
///
/// Every new row sees all rows already in the KV cache, itself, and the new rows its mask
/// allows. Rows flagged `seesPromptKV` also see the per-layer extra K/V block (BiTA's learned
/// prompt tokens); no other row does, which keeps real tokens' numbers exactly the base model's.
public struct ForwardBatch: Sendable {
    public var inputs: [BatchInput]
    public var positions: [Int]
    /// visible[i * n + j]: new row i may attend new row j (j < i in any layout that makes sense;
    /// i == j is always visible).
    public var visible: [Bool]
    public var seesPromptKV: [Bool]

    public var count: Int { inputs.count }

    public init(inputs: [BatchInput], positions: [Int], visible: [Bool], seesPromptKV: [Bool]) {
        precondition(inputs.count == positions.count && visible.count == inputs.count * inputs.count
                     && seesPromptKV.count == inputs.count, "ForwardBatch: inconsistent sizes")
        self.inputs = inputs
        self.positions = positions
        self.visible = visible
        self.seesPromptKV = seesPromptKV
    }

    /// A plain causal run of tokens at consecutive positions starting at `start`.
    public static func causal(tokens: [Int32], startPosition start: Int) -> ForwardBatch {
        let n = tokens.count
        var vis = [Bool](repeating: false, count: n * n)
        for i in 0..<n { for j in 0...i { vis[i * n + j] = true } }
        return ForwardBatch(inputs: tokens.map { .token($0) }, positions: (0..<n).map { start + $0 },
                            visible: vis, seesPromptKV: [Bool](repeating: false, count: n))
    }
}

/// Per-layer extra K/V rows (BiTA prompt tokens), no RoPE: keys[layer][p * kvDim + c], binary16
/// like the KV cache (attention reads them as one more run of the same keys).
public struct PromptKV: @unchecked Sendable {
    public let count: Int
    public let keys: [UnsafePointer<KVElement>]
    public let values: [UnsafePointer<KVElement>]
    public init(count: Int, keys: [UnsafePointer<KVElement>], values: [UnsafePointer<KVElement>]) {
        self.count = count; self.keys = keys; self.values = values
    }
}
