import Foundation
import Testing
@testable import Inference

/// Analytic gradients of the mask-row pass against central finite differences, in Double (the
/// trainer's reference path: the same code as the Float trainer, with dgemm).
@Suite struct TuningGradientTests {
    struct Report: CustomStringConvertible {
        var tensor: String
        var normwise: Double       // ||analytic - numeric|| / max(||analytic||, ||numeric||)
        var worstCoordinate: Double // max |a - n| / max(|a|, |n|) over coordinates not lost in noise
        var checked: Int
        var description: String { "\(tensor): normwise \(normwise), worst coordinate \(worstCoordinate) (\(checked) checked)" }
    }

    /// Loss = sum over mask rows of the cross-entropy, for groups on `starts` of a random sequence.
    static func check(model llama: LlamaModel, promptCount: Int, maskCount: Int, sequence: [Int32],
                      promptLength: Int, starts: [Int], perTensor: Int?, seed: UInt64) -> [Report] {
        let model = FrozenModel<Double>(model: llama)
        let pool = ThreadPool(threads: 2)
        let context = model.encodeContext(sequence, pool: pool, halfPrecisionAttention: false)
        let groups = starts.compactMap { MaskGroup(sequence: sequence, start: $0, maskCount: maskCount) }
        let params: AdapterTensors<Double> = TuningTestSupport.randomAdapter(llama.config, promptCount: promptCount,
                                                                             maskCount: maskCount, std: 0.5, seed: seed)
        let pass = MaskPass(model: model, pool: pool, maxRows: 5)   // small chunks: exercises chunking too
        func loss() -> Double {
            pass.run(context: context, groups: groups, prompt: params.promptKV(), masks: params.masks).lossSum
        }
        let grads = AdapterTensors<Double>(shapeOf: params)
        _ = pass.run(context: context, groups: groups, prompt: params.promptKV(), masks: params.masks, gradients: grads)

        var names: [String] = []
        for l in 0..<llama.config.layerCount { names += ["blk.\(l).prompt_k", "blk.\(l).prompt_v"] }
        names.append("mask_embd")
        var rng = SeededRandom(seed: seed ^ 0x5eed)
        var reports: [Report] = []
        let eps = 1e-5
        for (name, (p, g)) in zip(names, zip(params.buffers, grads.buffers)) {
            let indices = perTensor.map { n in (0..<n).map { _ in rng.nextInt(below: p.count) } } ?? Array(0..<p.count)
            var analytic: [Double] = [], numeric: [Double] = []
            for i in indices {
                let orig = p[i]
                p[i] = orig + eps
                let plus = loss()
                p[i] = orig - eps
                let minus = loss()
                p[i] = orig
                analytic.append(g[i])
                numeric.append((plus - minus) / (2 * eps))
            }
            let diff = zip(analytic, numeric).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let na = analytic.map { $0 * $0 }.reduce(0, +).squareRoot(), nn = numeric.map { $0 * $0 }.reduce(0, +).squareRoot()
            let scale = max(analytic.map(abs).max() ?? 0, 1e-12)
            var worst = 0.0
            for (a, n) in zip(analytic, numeric) where max(abs(a), abs(n)) > 1e-4 * scale {
                worst = max(worst, abs(a - n) / max(abs(a), abs(n)))
            }
            reports.append(Report(tensor: name, normwise: diff / max(na, nn, 1e-300), worstCoordinate: worst,
                                  checked: indices.count))
        }
        return reports
    }

    static func expectAccurate(_ reports: [Report], normwise: Double, coordinate: Double) {
        for r in reports {
            #expect(r.normwise < normwise, "\(r)")
            #expect(r.worstCoordinate < coordinate, "\(r)")
            #expect(r.checked > 0)
        }
    }

    @Test func tinyRandomModelAllCoordinates() throws {
        for tied in [false, true] {
            let llama = try TuningTestSupport.tinyRandomModel(tied: tied)
            let sequence = TuningTestSupport.randomTokens(20, vocab: llama.config.vocabSize, seed: 3)
            // Start 4 hangs on the last prompt token; 17 leaves a single-mask group at the end.
            let reports = Self.check(model: llama, promptCount: 3, maskCount: 3, sequence: sequence, promptLength: 5,
                                     starts: [4, 6, 7, 11, 16, 17], perTensor: nil, seed: 9)
            print("tiny random (tied: \(tied)):\n  " + reports.map(\.description).joined(separator: "\n  "))
            Self.expectAccurate(reports, normwise: 1e-6, coordinate: 1e-3)
        }
    }

    @Test func stories260KSampledCoordinates() throws {
        let llama = try LlamaModel(path: TestModels.stories260K)
        let sequence = TuningTestSupport.randomTokens(40, vocab: llama.config.vocabSize, seed: 4)
        let reports = Self.check(model: llama, promptCount: 4, maskCount: 3, sequence: sequence, promptLength: 10,
                                 starts: [9, 15, 16, 30, 37], perTensor: 24, seed: 5)
        print("stories260K:\n  " + reports.map(\.description).joined(separator: "\n  "))
        Self.expectAccurate(reports, normwise: 1e-6, coordinate: 1e-3)
    }

    /// The Float trainer computes the same gradient as the Double reference, to float precision.
    @Test func floatPathMatchesDoubleReference() throws {
        let llama = try LlamaModel(path: TestModels.stories260K)
        let sequence = TuningTestSupport.randomTokens(40, vocab: llama.config.vocabSize, seed: 6)
        let pool = ThreadPool(threads: 2)
        func gradients<T: TrainingScalar>(_: T.Type) -> (Double, [[Double]]) {
            let model = FrozenModel<T>(model: llama)
            let context = model.encodeContext(sequence, pool: pool, halfPrecisionAttention: false)
            let groups = [9, 20, 33].compactMap { MaskGroup(sequence: sequence, start: $0, maskCount: 3) }
            let params: AdapterTensors<T> = TuningTestSupport.randomAdapter(llama.config, promptCount: 4, maskCount: 3,
                                                                            std: 0.5, seed: 2)
            let grads = AdapterTensors<T>(shapeOf: params)
            let stats = MaskPass(model: model, pool: pool).run(context: context, groups: groups, prompt: params.promptKV(),
                                                               masks: params.masks, gradients: grads)
            return (stats.lossSum, grads.buffers.map { b in (0..<b.count).map { b[$0].doubleValue } })
        }
        let (lossF, gF) = gradients(Float.self)
        let (lossD, gD) = gradients(Double.self)
        #expect(abs(lossF - lossD) / lossD < 1e-5, "loss \(lossF) vs \(lossD)")
        for (a, b) in zip(gF, gD) {
            let diff = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let norm = b.map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(diff / norm < 1e-4, "float vs double gradient: relative \(diff / norm)")
        }
    }

    /// Each backward piece on its own against finite differences.
    @Test func layerPiecesMatchFiniteDifferences() {
        var rng = SeededRandom(seed: 1)
        let dim = 8, rows = 2
        func randoms(_ n: Int) -> [Double] { (0..<n).map { _ in rng.nextGaussian() } }
        let x = randoms(rows * dim), w = randoms(dim).map { 1 + 0.3 * $0 }, dy = randoms(rows * dim)
        let wb = ScalarBuffer<Double>(w)
        // Scalar objective f(x) = <dy, piece(x)>; its gradient is the piece's backward of dy.
        func numeric(_ x: [Double], _ f: ([Double]) -> Double) -> [Double] {
            (0..<x.count).map { i in
                var p = x, m = x
                p[i] += 1e-6; m[i] -= 1e-6
                return (f(p) - f(m)) / 2e-6
            }
        }
        func close(_ a: [Double], _ b: [Double], _ what: String) {
            let err = zip(a, b).map { abs($0 - $1) }.max()! / max(b.map(abs).max()!, 1e-12)
            #expect(err < 1e-7, "\(what): \(err)")
        }
        // RMSNorm.
        func norm(_ x: [Double]) -> Double {
            var y = [Double](repeating: 0, count: rows * dim)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                LayerMath.rmsNorm(xp.baseAddress!, wb, yp.baseAddress!, rows: rows, dim: dim, eps: 1e-5) } }
            return zip(y, dy).map(*).reduce(0, +)
        }
        var dx = [Double](repeating: 0, count: rows * dim)
        x.withUnsafeBufferPointer { xp in dy.withUnsafeBufferPointer { gp in dx.withUnsafeMutableBufferPointer { dp in
            LayerMath.rmsNormBackward(xp.baseAddress!, wb, gp.baseAddress!, dp.baseAddress!, rows: rows, dim: dim, eps: 1e-5) } } }
        close(dx, numeric(x, norm), "rmsNorm")
        // SwiGLU, gate and up separately.
        let up = randoms(dim), gate = randoms(dim), dh = randoms(dim)
        func swi(_ g: [Double], _ u: [Double]) -> Double {
            var h = [Double](repeating: 0, count: dim)
            g.withUnsafeBufferPointer { gp in u.withUnsafeBufferPointer { upp in h.withUnsafeMutableBufferPointer { hp in
                LayerMath.swiGLU(gp.baseAddress!, upp.baseAddress!, hp.baseAddress!, count: dim) } } }
            return zip(h, dh).map(*).reduce(0, +)
        }
        var dGate = [Double](repeating: 0, count: dim), dUp = dGate
        gate.withUnsafeBufferPointer { gp in up.withUnsafeBufferPointer { upp in dh.withUnsafeBufferPointer { hp in
            dGate.withUnsafeMutableBufferPointer { a in dUp.withUnsafeMutableBufferPointer { b in
                LayerMath.swiGLUBackward(gp.baseAddress!, upp.baseAddress!, hp.baseAddress!, a.baseAddress!, b.baseAddress!, count: dim)
            } } } } }
        close(dGate, numeric(gate) { swi($0, up) }, "swiGLU gate")
        close(dUp, numeric(up) { swi(gate, $0) }, "swiGLU up")
        // RoPE.
        let rope = RopeAngles<Double>(headDim: 8, rotatedDims: 6, base: 10000, positions: 40)
        let v = randoms(16), dv = randoms(16)
        func rot(_ v: [Double]) -> Double {
            var y = v
            y.withUnsafeMutableBufferPointer { rope.rotate($0.baseAddress!, heads: 2, position: 37) }
            return zip(y, dv).map(*).reduce(0, +)
        }
        var back = dv
        back.withUnsafeMutableBufferPointer { rope.rotateBack($0.baseAddress!, heads: 2, position: 37) }
        close(back, numeric(v, rot), "rope")
    }
}
