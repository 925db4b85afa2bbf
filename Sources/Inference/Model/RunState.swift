/// Scratch buffers for forward passes, grown on demand and reused so steady decoding allocates
/// nothing. One RunState per decoder (not thread-safe).
public final class RunState: @unchecked Sendable {
    public let pool: ThreadPool
    private(set) var rowCapacity = 0
    private(set) var scoreStride = 0
    private var scoreTasks = 0
    private(set) var x = UnsafeMutablePointer<Float>.allocate(capacity: 1)            // [n, dim] residual stream
    private(set) var xb = UnsafeMutablePointer<Float>.allocate(capacity: 1)           // [n, dim] normed / matmul out
    private(set) var q = UnsafeMutablePointer<Float>.allocate(capacity: 1)            // [n, dim]
    private(set) var k = UnsafeMutablePointer<Float>.allocate(capacity: 1)            // [n, kvDim]
    private(set) var v = UnsafeMutablePointer<Float>.allocate(capacity: 1)            // [n, kvDim]
    private(set) var attentionOut = UnsafeMutablePointer<Float>.allocate(capacity: 1) // [n, dim]
    private(set) var hidden1 = UnsafeMutablePointer<Float>.allocate(capacity: 1)      // [n, ff]
    private(set) var hidden2 = UnsafeMutablePointer<Float>.allocate(capacity: 1)      // [n, ff]
    private(set) var scores = UnsafeMutablePointer<Float>.allocate(capacity: 1)       // [n * heads, keys]

    public init(pool: ThreadPool) { self.pool = pool }

    deinit {
        for p in [x, xb, q, k, v, attentionOut, hidden1, hidden2, scores] { p.deallocate() }
    }

    func reserve(rows n: Int, config c: LlamaConfig, keys: Int, heads: Int) {
        if n > rowCapacity {
            let cap = max(n, 16)
            for p in [x, xb, q, k, v, attentionOut, hidden1, hidden2] { p.deallocate() }
            x = .allocate(capacity: cap * c.dim); xb = .allocate(capacity: cap * c.dim)
            q = .allocate(capacity: cap * c.dim); k = .allocate(capacity: cap * c.kvDim)
            v = .allocate(capacity: cap * c.kvDim); attentionOut = .allocate(capacity: cap * c.dim)
            hidden1 = .allocate(capacity: cap * c.feedForwardDim); hidden2 = .allocate(capacity: cap * c.feedForwardDim)
            rowCapacity = cap
        }
        if keys > scoreStride || n * heads > scoreTasks {
            scores.deallocate()
            scoreStride = max(keys, scoreStride, 256)
            scoreTasks = max(n * heads, scoreTasks)
            scores = .allocate(capacity: scoreStride * scoreTasks)
        }
    }
}
