import CKernels
import Foundation
import Testing
@testable import Inference

/// Kernel microbenchmark with SmolLM2-135M's exact matrix shapes and synthetic weights:
/// 30 layers x {q 576x576, k 192x576, v 192x576, o 576x576, gate 1536x576, up 1536x576,
/// down 576x1536} in Q4_1 plus the 49152x576 Q8_0 output head (~96 MB packed). Reports the
/// time of one step (all 211 matmuls, activation quantization included) for n columns, best of
/// several runs. Run: BITA_BENCH=1 swift test -c release ... --filter KernelBenchmark
/// (scripts/bench-kernels.sh). Optional: BITA_BENCH_RUNS (default 7), BITA_BENCH_THREADS
/// ("1,2"), BITA_BENCH_N ("1,2,4,8,16,32,64"), BITA_BENCH_BACKENDS ("automatic,avx512vnni,amx";
/// also "portable").
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["BITA_BENCH"] == "1"))
struct KernelBenchmarkTests {
    static let dim = 576, hidden = 1536, kvDim = 192, vocab = 49152, layers = 30

    struct Layer { let q, k, v, o, gate, up, down: WeightMatrix }

    static func env(_ key: String, _ fallback: String) -> String { ProcessInfo.processInfo.environment[key] ?? fallback }
    static func list(_ key: String, _ fallback: String) -> [String] {
        env(key, fallback).split(separator: ",").map { String($0) }
    }

    static let arena = WeightArena()

    static func matrix(_ type: GGMLType, _ rows: Int, _ cols: Int, _ random: inout TestRandom, pool: ThreadPool) -> WeightMatrix {
        let bytes = random.ggmlMatrix(type, rows: rows, cols: cols)
        return try! bytes.withUnsafeBytes {
            try WeightMatrix(type: type, rows: rows, cols: cols, data: $0, arena: arena, pool: pool)
        }
    }

    static func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }

    /// CPU time of the calling thread (with one thread, the whole step), which excludes time
    /// lost to other processes on a shared machine.
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    @Test func smolLM2StepCost() {
        let setupPool = ThreadPool(threads: 2)
        var random = TestRandom(seed: 2024)
        let model: [Layer] = (0..<Self.layers).map { _ in
            Layer(q: Self.matrix(.q4_1, Self.dim, Self.dim, &random, pool: setupPool),
                  k: Self.matrix(.q4_1, Self.kvDim, Self.dim, &random, pool: setupPool),
                  v: Self.matrix(.q4_1, Self.kvDim, Self.dim, &random, pool: setupPool),
                  o: Self.matrix(.q4_1, Self.dim, Self.dim, &random, pool: setupPool),
                  gate: Self.matrix(.q4_1, Self.hidden, Self.dim, &random, pool: setupPool),
                  up: Self.matrix(.q4_1, Self.hidden, Self.dim, &random, pool: setupPool),
                  down: Self.matrix(.q4_1, Self.dim, Self.hidden, &random, pool: setupPool))
        }
        let head = Self.matrix(.q8_0, Self.vocab, Self.dim, &random, pool: setupPool)
        let bytes = model.reduce(head.streamedBytes) {
            $0 + [$1.q, $1.k, $1.v, $1.o, $1.gate, $1.up, $1.down].reduce(0) { $0 + $1.streamedBytes }
        }
        print(String(format: "weights streamed per step: %.1f MB; int8 backends here: %@", Double(bytes) / 1e6,
                     Int8KernelBackend.available.map { "\($0)" }.joined(separator: ", ")))

        let runs = Int(Self.env("BITA_BENCH_RUNS", "7")) ?? 7
        let ns = Self.list("BITA_BENCH_N", "1,2,4,8,16,32,64").compactMap { Int($0) }
        let threadCounts = Self.list("BITA_BENCH_THREADS", "1,2").compactMap { Int($0) }
        // "automatic" = what matmul picks for each n.
        let backends: [Int8KernelBackend?] = Self.list("BITA_BENCH_BACKENDS", "automatic,avx512vnni,amx").compactMap { name in
            name == "automatic" ? .some(nil) : Int8KernelBackend.available.first { "\($0)" == name }.map { .some($0) }
        }
        let maxN = ns.max() ?? 1
        let x576 = random.activations(maxN * Self.dim), x1536 = random.activations(maxN * Self.hidden)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: maxN * Self.vocab)
        defer { y.deallocate() }

        for backend in backends {
            for threads in threadCounts {
                let pool = ThreadPool(threads: threads)
                let workspace = MatmulWorkspace(maxColumns: maxN, maxCols: Self.hidden, threads: threads)
                var baseline = 0.0
                var line = "\(backend.map { "\($0)" } ?? "automatic") threads=\(threads):"
                for n in ns {
                    var best = Double.infinity, bestHead = Double.infinity, bestCPU = Double.infinity
                    x576.withUnsafeBufferPointer { a in
                        x1536.withUnsafeBufferPointer { b in
                            for _ in 0..<runs {
                                var headTime = 0.0
                                let cpuStart = Self.threadCPUSeconds()
                                let total = Self.seconds {
                                    for layer in model {
                                        let attention = workspace.prepare(a.baseAddress!, n: n, cols: Self.dim)
                                        matmul(layer.q, attention, y, pool: pool, backend: backend)
                                        matmul(layer.k, attention, y, pool: pool, backend: backend)
                                        matmul(layer.v, attention, y, pool: pool, backend: backend)
                                        matmul(layer.o, workspace.prepare(a.baseAddress!, n: n, cols: Self.dim), y,
                                               pool: pool, backend: backend)
                                        let ffn = workspace.prepare(a.baseAddress!, n: n, cols: Self.dim)
                                        matmul(layer.gate, ffn, y, pool: pool, backend: backend)
                                        matmul(layer.up, ffn, y, pool: pool, backend: backend)
                                        matmul(layer.down, workspace.prepare(b.baseAddress!, n: n, cols: Self.hidden), y,
                                               pool: pool, backend: backend)
                                    }
                                    headTime = Self.seconds {
                                        matmul(head, workspace.prepare(a.baseAddress!, n: n, cols: Self.dim), y,
                                               pool: pool, backend: backend)
                                    }
                                }
                                bestCPU = min(bestCPU, Self.threadCPUSeconds() - cpuStart)
                                best = min(best, total)
                                bestHead = min(bestHead, headTime)
                            }
                        }
                    }
                    if n == ns.first { baseline = best }
                    line += String(format: "\n  n=%2d  %7.2f ms  x%.2f  (head %.2f ms)", n, best * 1e3, best / baseline, bestHead * 1e3)
                    if threads == 1 { line += String(format: "  cpu %.2f ms", bestCPU * 1e3) }
                }
                print(line)
            }
        }
    }

    /// Prompt prefill: the 30 layers' matmuls for a long prompt, int8 kernels vs OpenBLAS sgemm.
    @Test func prefillCost() {
        let setupPool = ThreadPool(threads: 2)
        var random = TestRandom(seed: 2025)
        let model: [Layer] = (0..<Self.layers).map { _ in
            Layer(q: Self.matrix(.q4_1, Self.dim, Self.dim, &random, pool: setupPool),
                  k: Self.matrix(.q4_1, Self.kvDim, Self.dim, &random, pool: setupPool),
                  v: Self.matrix(.q4_1, Self.kvDim, Self.dim, &random, pool: setupPool),
                  o: Self.matrix(.q4_1, Self.dim, Self.dim, &random, pool: setupPool),
                  gate: Self.matrix(.q4_1, Self.hidden, Self.dim, &random, pool: setupPool),
                  up: Self.matrix(.q4_1, Self.hidden, Self.dim, &random, pool: setupPool),
                  down: Self.matrix(.q4_1, Self.dim, Self.hidden, &random, pool: setupPool))
        }
        let n = Int(Self.env("BITA_BENCH_PREFILL_N", "512")) ?? 512
        let x576 = random.activations(n * Self.dim), x1536 = random.activations(n * Self.hidden)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: n * Self.hidden)
        defer { y.deallocate() }
        for threads in Self.list("BITA_BENCH_THREADS", "1,2").compactMap({ Int($0) }) {
            let pool = ThreadPool(threads: threads)
            let workspace = MatmulWorkspace(maxColumns: n, maxCols: Self.hidden, threads: threads)
            var line = "prefill n=\(n) threads=\(threads), 30 layers:"
            for sgemm in [false, true] {
                var best = Double.infinity
                for _ in 0..<3 {
                    best = min(best, Self.seconds {
                        for layer in model {
                            for (w, x) in [(layer.q, x576), (layer.k, x576), (layer.v, x576), (layer.o, x576),
                                           (layer.gate, x576), (layer.up, x576), (layer.down, x1536)] {
                                x.withUnsafeBufferPointer { xb in
                                    if sgemm {
                                        matmulSGEMM(w, xb.baseAddress!, n: n, y, pool: pool, workspace: workspace)
                                    } else {
                                        matmul(w, xb.baseAddress!, n: n, y, pool: pool, workspace: workspace)
                                    }
                                }
                            }
                        }
                    })
                }
                line += String(format: "  %@ %.1f ms", sgemm ? "sgemm" : "int8", best * 1e3)
            }
            print(line)
        }
    }

    /// Error of the int8 activation paths against the exact product, with one scale per 32
    /// elements (what the kernels do) and with one scale per column (the alternative).
    @Test func activationScaleGranularityError() {
        var random = TestRandom(seed: 77)
        let rows = 256
        for (type, cols) in [(GGMLType.q4_1, 576), (.q4_1, 1536), (.q8_0, 576)] {
            let data = random.ggmlMatrix(type, rows: rows, cols: cols)
            let w = referenceDequantized(type, data, count: rows * cols)
            let matrix = try! data.withUnsafeBytes { try WeightMatrix(type: type, rows: rows, cols: cols, data: $0) }
            for outlierScale in [1, 20, 200] as [Float] {
                let x = (0..<cols).map { i in random.unit() * (i % 97 == 5 ? outlierScale : 1) }
                var y = [Float](repeating: 0, count: rows)
                x.withUnsafeBufferPointer { xb in
                    y.withUnsafeMutableBufferPointer {
                        matmul(matrix, xb.baseAddress!, n: 1, $0.baseAddress!, pool: ThreadPool(threads: 1),
                               workspace: MatmulWorkspace(maxColumns: 1, maxCols: cols, threads: 1))
                    }
                }
                // One scale for the whole column, values rounded the same way.
                let amax = x.map(abs).max()!
                let xRow = x.map { ($0 * 127 / amax).rounded(.toNearestOrEven) * (amax / 127) }
                var blockError = 0.0, rowError = 0.0, magnitude = 0.0
                for r in 0..<rows {
                    var exact = 0.0, rowScaled = 0.0
                    for i in 0..<cols {
                        exact += Double(w[r * cols + i]) * Double(x[i])
                        rowScaled += Double(w[r * cols + i]) * Double(xRow[i])
                    }
                    blockError += (Double(y[r]) - exact) * (Double(y[r]) - exact)
                    rowError += (rowScaled - exact) * (rowScaled - exact)
                    magnitude += exact * exact
                }
                print(String(format: "%@ cols=%d outliers x%.0f: relative RMS error per-32 scales %.5f, per-column scale %.5f",
                             "\(type)", cols, outlierScale, (blockError / magnitude).squareRoot(), (rowError / magnitude).squareRoot()))
                #expect(blockError <= rowError)
            }
        }
    }

    /// Softmax and SiLU exponentials per forward-pass row of SmolLM2 with a 256-token context:
    /// 30 layers x 9 heads x 256 scores plus 30 x 1536 gate values, scalar `expf` against
    /// `Exponential` (the same bits). Thread CPU time, best of the runs.
    @Test func exponentialsPerRow() {
        let scores = 30 * 9 * 256, gates = 30 * 1536, runs = Int(Self.env("BITA_BENCH_RUNS", "7"))!
        var rng = SeededRandom(seed: 7)
        let input = (0..<(scores + gates)).map { _ in Float(rng.nextUniform() * 16 - 12) }
        var buffer = input
        var scalar = Double.infinity, vector = Double.infinity
        for _ in 0..<runs {
            buffer = input
            var t0 = Self.threadCPUSeconds()
            buffer.withUnsafeMutableBufferPointer { Exponential.exponentiateReference($0.baseAddress!, count: $0.count, subtracting: 2) }
            scalar = min(scalar, Self.threadCPUSeconds() - t0)
            let expected = buffer
            buffer = input
            t0 = Self.threadCPUSeconds()
            buffer.withUnsafeMutableBufferPointer { Exponential.exponentiate($0.baseAddress!, count: $0.count, subtracting: 2) }
            vector = min(vector, Self.threadCPUSeconds() - t0)
            #expect(buffer.map(\.bitPattern) == expected.map(\.bitPattern))
        }
        print(String(format: "exponentials per row (%d): scalar expf %.3f ms, Exponential %.3f ms (%.1fx)",
                     scores + gates, scalar * 1e3, vector * 1e3, scalar / vector))
    }

    /// One row's attention at a 256-key context: 30 layers x 9 query heads (3 KV heads of 64),
    /// keys and values laid out as in the cache (binary16, 64-byte aligned). The reference loops
    /// (Swift: `attentionDot`'s 16-lane SIMD dot per key, then the plain value loop) against the
    /// C kernel, thread CPU time: the measurement behind keeping the C version.
    @Test func attentionPerRow() {
        let keys = 256, kvDim = 192, heads = 9, layers = 30, runs = Int(Self.env("BITA_BENCH_RUNS", "7"))!
        var rng = SeededRandom(seed: 8)
        func values(_ n: Int) -> [Float] { (0..<n).map { _ in roundedToHalfPrecision(Float(rng.nextUniform() * 2 - 1)) } }
        func aligned(_ a: [Float]) -> UnsafeBufferPointer<KVElement> {
            let p = allocateCacheLineAligned(KVElement.self, count: a.count)
            for (i, x) in a.enumerated() { (p + i).initialize(to: KVElement(x)) }
            return UnsafeBufferPointer(start: p, count: a.count)
        }
        let k = aligned(values(layers * keys * kvDim)), v = aligned(values(layers * keys * kvDim))
        defer { k.deallocate(); v.deallocate() }
        let q = values(layers * heads * 64)
        var out = [Float](repeating: 0, count: layers * heads * 64), scores = [Float](repeating: 0, count: keys)
        // BITA_BENCH_ONE_LAYER=1: every layer reads layer 0's keys (cache-resident; compute only).
        let oneLayer = Self.env("BITA_BENCH_ONE_LAYER", "0") == "1"
        func row(useKernel: Bool) -> Double {
            let t0 = Self.threadCPUSeconds()
            q.withUnsafeBufferPointer { q in
                out.withUnsafeMutableBufferPointer { o in scores.withUnsafeMutableBufferPointer { s in
                    for l in 0..<layers {
                        for h in 0..<heads {
                            let off = (oneLayer ? 0 : l) * keys * kvDim + (h / 3) * 64
                            AttentionKernel.attend(query: q.baseAddress! + (l * heads + h) * 64, headDim: 64, stride: kvDim,
                                                   scale: 0.125, scores: s.baseAddress!,
                                                   out: o.baseAddress! + (l * heads + h) * 64,
                                                   useKernel: useKernel) { visit in
                                visit(k.baseAddress! + off, v.baseAddress! + off, keys)
                            }
                        }
                    }
                } }
            }
            return Self.threadCPUSeconds() - t0
        }
        var reference = Double.infinity, kernel = Double.infinity
        for _ in 0..<runs {
            reference = min(reference, row(useKernel: false))
            let expected = out
            if AttentionKernel.vectorized {
                kernel = min(kernel, row(useKernel: true))
                #expect(out.map(\.bitPattern) == expected.map(\.bitPattern))
            }
        }
        print(String(format: "attention per row (%d keys, %d heads, %d layers): reference %.3f ms, kernel %.3f ms (%.1fx)",
                     keys, heads, layers, reference * 1e3, kernel * 1e3, reference / kernel))
    }
}
