import CKernels
import Foundation

/// Which implementation runs the int8 panel matmul. All give bit-identical results.
enum Int8KernelBackend: Sendable, CaseIterable {
    /// C with AMX tiles (Sapphire Rapids and later), for many columns.
    case amx
    /// C with AVX-512 VNNI (`vpdpbusd`).
    case avx512vnni
    /// C with AVX-VNNI (256-bit `vpdpbusd`; Alder Lake and later, Zen 5), no AVX-512.
    case avxvnni
    /// C with AVX2 (`vpmaddubsw` + `vpmaddwd`; Haswell and later, Zen).
    case avx2
    /// Swift, any CPU.
    case portable

    /// Usable on this machine, fastest first (AMX only pays from `amxMinColumns`).
    static let available: [Int8KernelBackend] = {
        var list: [Int8KernelBackend] = []
        if bita_cpu_has_amx_int8() != 0 { list.append(.amx) }
        if bita_cpu_has_avx512vnni() != 0 { list.append(.avx512vnni) }
        if bita_cpu_has_avxvnni() != 0 { list.append(.avxvnni) }
        if bita_cpu_has_avx2() != 0 { list.append(.avx2) }
        list.append(.portable)
        return list
    }()

    /// Columns from which AMX beats VNNI (measured with KernelBenchmarkTests).
    static let amxMinColumns = 10

    /// Whether the kernels prefetch the weight stream into L2 (else L1). Measured, matmuls of a
    /// whole SmolLM2 step alone (KernelBenchmarkTests.smolLM2StepCost, one thread, runs of the
    /// two settings interleaved): on AMD EPYC (Zen 4) L2 took n = 1 from 4.2-4.8 to 3.3-3.8 ms,
    /// n = 2 from 4.6-5.4 to 2.8-3.3 ms and n = 8 from 8.5-9.0 to 7.2-7.3 ms; real forward passes
    /// after 256 tokens of context, n = 8: 14.3-14.7 -> 12.5 ms. On Intel Xeon, L1 was the
    /// setting measured against no prefetch (see panel_prefetch.h). Results are the same
    /// bits either way. `BITA_WEIGHT_PREFETCH=l1|l2` overrides, for measuring other CPUs.
    static let weightPrefetchToL2: Bool = {
        switch ProcessInfo.processInfo.environment["BITA_WEIGHT_PREFETCH"] {
        case "l1": return false
        case "l2": return true
        default: return bita_cpu_is_amd() != 0
        }
    }()

    /// The C kernel of this backend (nil for `portable`).
    var panelKernel: (@convention(c) (UnsafePointer<BitaPanelMatrix>?, UnsafePointer<BitaInt8Columns>?, Int32, Int64, Int64,
                                       Int64, UnsafeMutablePointer<Float>?, Int64) -> Void)? {
        switch self {
        case .amx: bita_int8_panels_amx
        case .avx512vnni: bita_int8_panels_avx512vnni
        case .avxvnni: bita_int8_panels_avxvnni
        case .avx2: bita_int8_panels_avx2
        case .portable: nil
        }
    }

    /// The backend for a call with n columns.
    static func best(columns n: Int) -> Int8KernelBackend {
        let candidates = available
        if candidates[0] == .amx && n < amxMinColumns { return candidates[1] }
        return candidates[0]
    }
}

/// y[j * w.rows + r] = dot(W[r], x[j]) for every row r and the n prepared columns j.
///
/// Decode-path numerics (any n): each output element has one fixed reduction order, so column
/// j's result is bit-identical whatever n is, whatever the other columns hold, wherever j
/// sits and however many threads run (ReferenceMatmul documents the arithmetic). Int8 types
/// quantize the activations to int8 with one scale per 32 elements, like llama.cpp.
/// Allocates nothing unless the workspace must grow.
public func matmul(_ w: WeightMatrix, _ a: PreparedActivations, _ y: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    matmul(w, a, y, pool: pool, backend: nil)
}

/// As above with the pool's own workspace (created on first use, grown when needed; concurrent
/// callers of the same pool take turns). Column j of `x` is x[j * w.cols ..< (j + 1) * w.cols];
/// y is [n][w.rows].
public func matmul(_ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int, _ y: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    withDefaultWorkspace(of: pool, columns: n, cols: w.cols) { workspace in
        matmul(w, workspace.prepare(x, n: n, cols: w.cols, pool: pool), y, pool: pool, backend: nil)
    }
}

/// Runs `body` with the pool's own workspace, created on first use (sized for at least n
/// columns of `cols` elements; it grows on demand). Concurrent callers of one pool take turns.
private func withDefaultWorkspace(of pool: ThreadPool, columns n: Int, cols: Int, _ body: (MatmulWorkspace) -> Void) {
    pool.defaultWorkspace.withLock { workspace in
        if workspace == nil { workspace = MatmulWorkspace(maxColumns: max(n, 64), maxCols: max(cols, 4096), threads: pool.threads) }
        body(workspace!)
    }
}

/// Several matrices applied to the same columns, y_i = W_i x (q, k and v; gate and up), with the
/// pool's own workspace: the columns are quantized once, and when every matrix is in the int8
/// panel layout all their panels are one parallel job, so the threads meet once instead of once
/// per matrix and share the work more evenly (k and v alone are 12 panels each). Each output
/// is the same bits as `matmul(w_i, x, n:, y_i, pool:)`. `outputs[i]` is [n][weights[i].rows].
public func matmul(_ weights: [WeightMatrix], _ x: UnsafePointer<Float>, n: Int,
                   _ outputs: [UnsafeMutablePointer<Float>], pool: ThreadPool) {
    precondition(weights.count == outputs.count && !weights.isEmpty, "matmul: one output per matrix")
    let cols = weights[0].cols
    precondition(weights.allSatisfy { $0.cols == cols }, "matmul: matrices of different widths")
    withDefaultWorkspace(of: pool, columns: n, cols: cols) { workspace in
        let a = workspace.prepare(x, n: n, cols: cols, pool: pool)
        let matrices = weights.compactMap(\.panelMatrix)  // all, or some are Float-path matrices
        guard a.quantized, matrices.count == weights.count, let kernel = Int8KernelBackend.best(columns: n).panelKernel else {
            for (w, y) in zip(weights, outputs) { matmul(w, a, y, pool: pool, backend: nil) }
            return
        }
        var columns = workspace.int8Columns(cols: cols)
        // Panel p of the job is panel p - starts[i] of matrix i, for starts[i] <= p < starts[i + 1].
        var starts = [0]
        for w in weights { starts.append(starts.last! + w.panelCount) }
        let total = starts.last!
        let tasks = panelTaskCount(panels: total, columns: n, threads: pool.threads)
        matrices.withUnsafeBufferPointer { matrices in
            withUnsafePointer(to: &columns) { columns in
                pool.parallelFor(tasks) { t in
                    let begin = t * total / tasks, end = (t + 1) * total / tasks
                    for i in 0..<weights.count where starts[i] < end && starts[i + 1] > begin {
                        let w = weights[i]
                        kernel(matrices.baseAddress! + i, columns, Int32(n), Int64(max(begin, starts[i]) - starts[i]),
                               Int64(min(end, starts[i + 1]) - starts[i]), Int64(w.rows), outputs[i], Int64(w.rows))
                    }
                }
            }
        }
    }
}

/// How many parallel tasks an int8 panel job of `panels` panels and n columns is cut into
/// (contiguous panel ranges, claimed dynamically).
///
/// Up to `onePiecePerThreadColumns` columns: one contiguous range per thread. A decode or BiTA
/// step streams its weights, and every task restarts that stream (the first 16 KB of a task are
/// read before the kernel's prefetch runs ahead of it) and is one more claim on the pool's
/// shared counter. Measured with 2 threads, the same binary with the two settings interleaved
/// (`generate --mode ar --threads 2 --max-tokens 256`): Zen 2, 4 tasks per thread 164.6-172.5
/// tokens/s, one per thread 183.5-188.6; Zen 4, 204-226 against 250-259. Whole forward passes
/// (the bench cost curve, Zen 4) were as fast or faster at every n up to 64. Beyond that (prefill
/// chunks) a few tasks per thread keep a descheduled thread from holding everyone up.
func panelTaskCount(panels: Int, columns n: Int, threads: Int) -> Int {
    if threads == 1 { return 1 }
    return min(panels, n <= onePiecePerThreadColumns ? threads : 4 * threads)
}

/// See `panelTaskCount`.
let onePiecePerThreadColumns = 64

/// Convenience: prepare (quantize) `x` in `workspace`, then `matmul`. Column j of `x` is
/// x[j * w.cols ..< (j + 1) * w.cols]; y is [n][w.rows].
public func matmul(_ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int, _ y: UnsafeMutablePointer<Float>,
                   pool: ThreadPool, workspace: MatmulWorkspace) {
    matmul(w, workspace.prepare(x, n: n, cols: w.cols, pool: pool), y, pool: pool, backend: nil)
}

/// `backend`: nil chooses by n (Int8KernelBackend.best); tests force each one.
func matmul(_ w: WeightMatrix, _ a: PreparedActivations, _ y: UnsafeMutablePointer<Float>, pool: ThreadPool,
            backend: Int8KernelBackend?) {
    precondition(a.cols == w.cols, "matmul: activations have \(a.cols) elements per column, weight rows \(w.cols)")
    let n = a.n
    let workspace = a.workspace
    let threads = pool.threads

    if w.format != nil {
        precondition(a.quantized)
        var columns = workspace.int8Columns(cols: w.cols)
        let panelCount = w.panelCount
        let tasks = panelTaskCount(panels: panelCount, columns: n, threads: threads)
        let backend = backend ?? Int8KernelBackend.best(columns: n)
        if let kernel = backend.panelKernel {
            var matrix = w.panelMatrix!
            withUnsafePointer(to: &matrix) { matrix in
                withUnsafePointer(to: &columns) { columns in
                    pool.parallelFor(tasks) { t in
                        kernel(matrix, columns, Int32(n), Int64(t * panelCount / tasks),
                               Int64((t + 1) * panelCount / tasks), Int64(w.rows), y, Int64(w.rows))
                    }
                }
            }
        } else {
            workspace.reserveWorkers(threads, floats: PortableInt8Kernel.scratchFloats(columns: n))
            let scratch = workspace.workerScratch, stride = workspace.workerFloats
            pool.parallelFor(tasks) { t, worker in
                PortableInt8Kernel.run(w, columns, n: n, panels: t * panelCount / tasks..<(t + 1) * panelCount / tasks,
                                       y: y, ldy: w.rows, scratch: UnsafeMutableRawPointer(scratch + worker * stride))
            }
        }
    } else {
        workspace.reserveWorkers(threads, floats: FloatMatmulKernel.scratchFloats(cols: w.cols))
        let scratch = workspace.workerScratch, stride = workspace.workerFloats
        let groups = (w.rows + 15) / 16
        let tasks = threads == 1 ? 1 : min(groups, 4 * threads)
        pool.parallelFor(tasks) { t, worker in
            let lo = min(w.rows, 16 * (t * groups / tasks)), hi = min(w.rows, 16 * ((t + 1) * groups / tasks))
            FloatMatmulKernel.run(w, x: a.x, n: n, rows: lo..<hi, y: y, ldy: w.rows, scratch: scratch + worker * stride)
        }
    }
}
