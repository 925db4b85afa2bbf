import COpenBLAS

/// y[j * w.rows + r] = dot(W[r], x[j]) through OpenBLAS sgemm: tiles of 64 rows are
/// dequantized to Float and multiplied by the Float activations, the tiles spread over `pool`
/// (OpenBLAS itself is set to one thread).
///
/// Numerics differ from `matmul`: activations are not quantized and BLAS chooses its own
/// summation order, so results are close to but not bit-identical with the decode path, and
/// may differ between n. Use it only where that is acceptable (long-prompt prefill), and the
/// same way in every decoding mode. On CPUs with AVX-512 VNNI or AMX the int8 `matmul` is
/// faster even for long prompts (KernelBenchmarkTests measures both).
public func matmulSGEMM(_ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int, _ y: UnsafeMutablePointer<Float>,
                        pool: ThreadPool, workspace: MatmulWorkspace) {
    precondition(n >= 1)
    let tileRows = SGEMMTiles.rows
    let cols = w.cols
    workspace.reserveWorkers(pool.threads, floats: tileRows * cols)
    let scratch = workspace.workerScratch, stride = workspace.workerFloats
    openblas_set_num_threads(1)
    let tiles = (w.rows + tileRows - 1) / tileRows
    pool.parallelFor(tiles) { t, worker in
        let r0 = t * tileRows
        let count = min(tileRows, w.rows - r0)
        let tile = scratch + worker * stride
        SGEMMTiles.dequantizeRows(w, r0..<(r0 + count), into: tile)
        // Row-major: Y[n x count] (ldc = rows) = X[n x cols] * Tile[count x cols]^T.
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(count), Int32(cols),
                    1, x, Int32(cols), tile, Int32(cols), 0, y + r0, Int32(w.rows))
    }
}

enum SGEMMTiles {
    /// Rows per sgemm call (a multiple of the 16-row panel).
    static let rows = 64

    /// Rows `range` of W as Float, row-major with stride cols (same values as dequantizeRow).
    static func dequantizeRows(_ w: WeightMatrix, _ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        guard let format = w.format, let panels = w.panels, range.lowerBound % 16 == 0 else {
            for r in range { w.dequantizeRow(r, into: out + (r - range.lowerBound) * w.cols) }
            return
        }
        let cols = w.cols, blocks = cols / 32
        var p = range.lowerBound / 16
        while 16 * p < range.upperBound {
            let panel = UnsafeRawPointer(panels + p * w.panelBytes)
            let codes = panel.assumingMemoryBound(to: UInt8.self)
            let dh = (panel + blocks * format.codeBytes).assumingMemoryBound(to: UInt16.self)
            let mh = dh + 16 * blocks
            let valid = min(16, range.upperBound - 16 * p)
            let base = out + (16 * p - range.lowerBound) * cols
            for b in 0..<blocks {
                let c = codes + b * format.codeBytes
                for r in 0..<valid {
                    let d = floatFromHalfBits(dh[16 * b + r])
                    let m = format.hasMin ? floatFromHalfBits(mh[16 * b + r]) : 0
                    let o = base + r * cols + 32 * b
                    for g in 0..<8 {
                        for t in 0..<4 {
                            let code: UInt8
                            if format.codeBits == 8 {
                                code = c[64 * g + 4 * r + t]
                            } else {
                                code = (c[64 * (g % 4) + 4 * r + t] &>> (g < 4 ? 0 : 4)) & 0x0F
                            }
                            o[4 * g + t] = format.hasMin ? Float(code) * d + m : Float(Int32(code) &- format.offset) * d
                        }
                    }
                }
            }
            p += 1
        }
    }
}
