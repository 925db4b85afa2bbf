/// Forward and input-gradient pieces of a LLaMA block for batches of rows, in the trainer's scalar
/// type. Forward pieces mirror the engine's arithmetic (LlamaModel.forward) so the trainer's
/// activations equal the decoder's up to summation order. No weight gradients exist: the base
/// model is frozen, so each linear layer only passes gradients back to its input.
enum LayerMath<T: TrainingScalar> {
    /// Y[R, out] = X[R, in] * W^T, W row-major [out, in].
    @inline(__always)
    static func linear(_ x: UnsafePointer<T>, rows: Int, _ w: ScalarBuffer<T>, inputs: Int, outputs: Int,
                       _ y: UnsafeMutablePointer<T>) {
        T.gemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs, alpha: 1,
               x, lda: inputs, w.pointer, ldb: inputs, beta: 0, y, ldc: outputs)
    }

    /// dX[R, in] (= or +=) dY[R, out] * W: the input gradient of `linear`.
    @inline(__always)
    static func linearBackward(_ dy: UnsafePointer<T>, rows: Int, _ w: ScalarBuffer<T>, inputs: Int, outputs: Int,
                               _ dx: UnsafeMutablePointer<T>, accumulate: Bool) {
        T.gemm(transposeA: false, transposeB: false, m: rows, n: inputs, k: outputs, alpha: 1,
               dy, lda: outputs, w.pointer, ldb: inputs, beta: accumulate ? 1 : 0, dx, ldc: inputs)
    }

    /// 1 / rms(x) with the engine's epsilon placement: 1 / sqrt(mean(x^2) + eps).
    @inline(__always)
    static func inverseRMS(_ x: UnsafePointer<T>, _ dim: Int, _ eps: T) -> T {
        var ss: T = 0
        for i in 0..<dim { ss += x[i] * x[i] }
        return 1 / T.squareRoot(ss / T(dim) + eps)
    }

    /// y = x / rms(x) * w for `rows` rows of `dim`.
    static func rmsNorm(_ x: UnsafePointer<T>, _ w: ScalarBuffer<T>, _ y: UnsafeMutablePointer<T>,
                        rows: Int, dim: Int, eps: T) {
        let wp = w.pointer
        for r in 0..<rows {
            let xr = x + r * dim, yr = y + r * dim
            let scale = inverseRMS(xr, dim, eps)
            for i in 0..<dim { yr[i] = xr[i] * scale * wp[i] }
        }
    }

    /// dx += d/dx of y = x * s(x) * w, s = (mean(x^2) + eps)^(-1/2):
    /// dx_j = s * g_j - x_j * s^3 / dim * sum_i g_i x_i with g = dy * w.
    static func rmsNormBackward(_ x: UnsafePointer<T>, _ w: ScalarBuffer<T>, _ dy: UnsafePointer<T>,
                                _ dx: UnsafeMutablePointer<T>, rows: Int, dim: Int, eps: T) {
        let wp = w.pointer
        for r in 0..<rows {
            let xr = x + r * dim, gr = dy + r * dim, dr = dx + r * dim
            let s = inverseRMS(xr, dim, eps)
            var dot: T = 0
            for i in 0..<dim { dot += gr[i] * wp[i] * xr[i] }
            let c = s * s * s * dot / T(dim)
            for i in 0..<dim { dr[i] += s * gr[i] * wp[i] - xr[i] * c }
        }
    }

    /// h = silu(gate) * up, silu(g) = g * sigmoid(g), written as the engine does.
    static func swiGLU(_ gate: UnsafePointer<T>, _ up: UnsafePointer<T>, _ h: UnsafeMutablePointer<T>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            h[i] = g / (1 + T.exponential(-g)) * up[i]
        }
    }

    /// Gradients of h = silu(gate) * up: dGate = dh * up * silu'(gate), dUp = dh * silu(gate), with
    /// silu'(g) = sigmoid(g) * (1 + g * (1 - sigmoid(g))). Written over dh's storage: dGate into
    /// `dGate`, dUp into `dUp`.
    static func swiGLUBackward(_ gate: UnsafePointer<T>, _ up: UnsafePointer<T>, _ dh: UnsafePointer<T>,
                               _ dGate: UnsafeMutablePointer<T>, _ dUp: UnsafeMutablePointer<T>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            let sig = 1 / (1 + T.exponential(-g))
            let d = dh[i]
            dUp[i] = d * g * sig
            dGate[i] = d * up[i] * sig * (1 + g * (1 - sig))
        }
    }
}
