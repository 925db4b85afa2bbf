import CKernels

/// Scratch memory for `matmul`, allocated up front so that calls allocate nothing: the int8
/// copy of the activation columns and per-thread buffers. It grows (allocating) only if a call
/// needs more than the sizes given to `init`.
///
/// One workspace serves one call at a time. `prepare` overwrites the previous preparation, so a
/// `PreparedActivations` is valid until the next `prepare` on the same workspace.
public final class MatmulWorkspace: @unchecked Sendable {
    private(set) var columnCapacity = 0
    private(set) var colsCapacity = 0
    private(set) var q: UnsafeMutablePointer<Int8>
    private(set) var scale: UnsafeMutablePointer<Float>
    private(set) var sum: UnsafeMutablePointer<Int32>
    private(set) var scaledSum: UnsafeMutablePointer<Float>

    /// Per-worker Float scratch: worker w owns [w * workerFloats, (w + 1) * workerFloats).
    private(set) var workerScratch: UnsafeMutablePointer<Float>
    private(set) var workerFloats = 0
    private(set) var workerCount = 0

    /// - Parameters:
    ///   - maxColumns: the largest n (activation columns) expected per call.
    ///   - maxCols: the longest weight row (activation length) expected.
    ///   - threads: the thread count of the pool the calls will use.
    public init(maxColumns: Int = 64, maxCols: Int = 4096, threads: Int = ThreadPool.activeProcessorCount) {
        q = .allocate(capacity: 1)
        scale = .allocate(capacity: 1)
        sum = .allocate(capacity: 1)
        scaledSum = .allocate(capacity: 1)
        workerScratch = Self.allocateAligned(floats: 16)
        reserveColumns(maxColumns, cols: maxCols)
        reserveWorkers(threads, floats: Self.workerFloatsNeeded(columns: maxColumns, cols: maxCols))
    }

    deinit {
        q.deallocate()
        scale.deallocate()
        sum.deallocate()
        scaledSum.deallocate()
        workerScratch.deallocate()
    }

    /// 64-byte aligned (SIMD16<Float> and zmm loads); each worker's share is a multiple of 16 floats.
    private static func allocateAligned(floats: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: 4 * floats, alignment: 64).bindMemory(to: Float.self, capacity: floats)
    }

    /// Per-worker scratch for a call: accumulators of 16 rows x n columns (portable int8
    /// kernel) or 16 dequantized rows (Float path).
    static func workerFloatsNeeded(columns: Int, cols: Int) -> Int {
        max(16 * columns, 16 * cols) + 64
    }

    func reserveColumns(_ columns: Int, cols: Int) {
        guard columns > columnCapacity || cols > colsCapacity else { return }
        let newColumns = max(columns, columnCapacity), newCols = max(cols, colsCapacity)
        q.deallocate(); scale.deallocate(); sum.deallocate(); scaledSum.deallocate()
        let blocks = max(1, newColumns * ((newCols + 31) / 32))
        q = .allocate(capacity: max(1, newColumns * newCols))
        scale = .allocate(capacity: blocks)
        sum = .allocate(capacity: blocks)
        scaledSum = .allocate(capacity: blocks)
        columnCapacity = newColumns
        colsCapacity = newCols
    }

    func reserveWorkers(_ workers: Int, floats: Int) {
        guard workers > workerCount || floats > workerFloats else { return }
        workerScratch.deallocate()
        workerCount = max(workers, workerCount)
        workerFloats = (max(floats, workerFloats) + 15) & ~15
        workerScratch = Self.allocateAligned(floats: workerCount * workerFloats)
    }

    /// Quantizes n activation columns (column j = x[j * cols ..< (j + 1) * cols]) once, so that
    /// several matrices with the same input (q/k/v, gate/up) can share the work. `x` must stay
    /// valid and unchanged while the result is used (the Float path reads it). With a pool,
    /// many columns (prefill) are quantized in parallel.
    public func prepare(_ x: UnsafePointer<Float>, n: Int, cols: Int, pool: ThreadPool? = nil) -> PreparedActivations {
        precondition(n >= 1 && cols >= 1, "prepare: need n >= 1 and cols >= 1")
        let quantized = cols % 32 == 0
        if quantized {
            reserveColumns(n, cols: cols)
            let blocks = cols / 32
            let q = q, scale = scale, sum = sum, scaledSum = scaledSum
            let quantize = { (j: Int) in
                ActivationQuantization.quantizeColumn(x + j * cols, cols: cols, q: q + j * cols,
                                                      scale: scale + j * blocks, sum: sum + j * blocks,
                                                      scaledSum: scaledSum + j * blocks)
            }
            if let pool, pool.threads > 1, n * cols >= 16 * 1024 {
                let tasks = min(n, 4 * pool.threads)
                pool.parallelFor(tasks) { t in
                    for j in (t * n / tasks)..<((t + 1) * n / tasks) { quantize(j) }
                }
            } else {
                for j in 0..<n { quantize(j) }
            }
        }
        return PreparedActivations(x: x, n: n, cols: cols, quantized: quantized, workspace: self)
    }

    /// The C view of the quantized columns (valid after `prepare`).
    func int8Columns(cols: Int) -> BitaInt8Columns {
        BitaInt8Columns(q: q, scale: scale, sum: sum, scaledSum: scaledSum,
                        qStride: Int64(cols), blockStride: Int64(cols / 32))
    }
}

/// Activation columns prepared by `MatmulWorkspace.prepare` for `matmul`.
public struct PreparedActivations {
    /// Column j is x[j * cols ..< (j + 1) * cols].
    public let x: UnsafePointer<Float>
    public let n: Int
    public let cols: Int
    /// Whether the int8 copy exists (cols a multiple of 32).
    let quantized: Bool
    let workspace: MatmulWorkspace
}
