import Testing
@testable import Inference

/// Shapes per type: rows not a multiple of 16 exercise the padded last panel.
private func testShapes(_ type: GGMLType) -> [(rows: Int, cols: Int)] {
    switch type.blockElements {
    case 256: return [(21, 256), (40, 512)]
    case 32: return [(21, 64), (40, 96), (16, 576)]
    default: return [(21, 64), (37, 172), (5, 7)]
    }
}

private struct Case {
    let type: GGMLType
    let rows: Int
    let cols: Int
    let data: [UInt8]
    let matrix: WeightMatrix

    init(_ type: GGMLType, rows: Int, cols: Int, seed: UInt64) throws {
        var random = TestRandom(seed: seed)
        self.type = type
        self.rows = rows
        self.cols = cols
        data = random.ggmlMatrix(type, rows: rows, cols: cols)
        matrix = try data.withUnsafeBytes { try WeightMatrix(type: type, rows: rows, cols: cols, data: $0) }
    }

    /// The data array must outlive `matrix` for borrowed types; keep it in the same value.
    func reference(_ x: [Float], n: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: n * rows)
        data.withUnsafeBytes { d in
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer {
                    ReferenceMatmul.matmul(type: type, rows: rows, cols: cols, data: d.baseAddress!,
                                           x: xb.baseAddress!, n: n, y: $0.baseAddress!)
                }
            }
        }
        return y
    }

    func fast(_ x: [Float], n: Int, pool: ThreadPool, workspace: MatmulWorkspace, backend: Int8KernelBackend?) -> [Float] {
        var y = [Float](repeating: .nan, count: n * rows)
        data.withUnsafeBytes { _ in  // keeps the borrowed data alive
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer {
                    let a = workspace.prepare(xb.baseAddress!, n: n, cols: cols, pool: pool)
                    Inference.matmul(matrix, a, $0.baseAddress!, pool: pool, backend: backend)
                }
            }
        }
        return y
    }
}

private func firstMismatch(_ a: [Float], _ b: [Float]) -> Int? {
    zip(a, b).enumerated().first { !$0.element.0.bitEqual($0.element.1) }?.offset
}

@Suite struct KernelMatmulTests {
    static let pools = [ThreadPool(threads: 1), ThreadPool(threads: 2)]

    @Test(arguments: GGMLType.allCases)
    func fastMatchesReferenceBitForBit(_ type: GGMLType) throws {
        let workspace = MatmulWorkspace(maxColumns: 4, maxCols: 64, threads: 1)  // grows on demand
        for (s, shape) in testShapes(type).enumerated() {
            let c = try Case(type, rows: shape.rows, cols: shape.cols, seed: 100 * UInt64(type.rawValue) + UInt64(s))
            var random = TestRandom(seed: 7 + UInt64(s))
            for n in [1, 3, 9, 17] {
                let x = random.activations(n * shape.cols)
                let expected = c.reference(x, n: n)
                #expect(expected.allSatisfy { $0.isFinite })
                for backend in [nil] + Int8KernelBackend.available {
                    for pool in Self.pools {
                        let got = c.fast(x, n: n, pool: pool, workspace: workspace, backend: backend)
                        if let i = firstMismatch(got, expected) {
                            let message = "\(type) \(shape) n=\(n) \(backend.map { "\($0)" } ?? "automatic") threads=\(pool.threads): y[\(i)] = \(got[i]), reference \(expected[i])"
                            Issue.record(Comment(rawValue: message))
                        }
                    }
                }
            }
        }
    }

    /// The hard invariant: column j's output does not depend on n, on the other columns, on
    /// j's position or on the thread count.
    @Test(arguments: GGMLType.allCases)
    func columnResultIndependentOfBatch(_ type: GGMLType) throws {
        let shape = testShapes(type)[1]
        let c = try Case(type, rows: shape.rows, cols: shape.cols, seed: 555 + UInt64(type.rawValue))
        let cols = shape.cols
        var random = TestRandom(seed: 99 + UInt64(type.rawValue))
        let probe = random.activations(cols)
        let workspace = MatmulWorkspace(maxColumns: 64, maxCols: cols, threads: 2)
        // The probe alone, one thread, is the baseline.
        let alone = c.fast(probe, n: 1, pool: Self.pools[0], workspace: workspace, backend: nil)
        for backend in [nil] + Int8KernelBackend.available {
            for n in [1, 2, 3, 7, 16, 51, 64] {
                for position in Set([0, n / 2, n - 1]) {
                    var x = random.activations(n * cols, outlierEvery: 31 + n)
                    x.replaceSubrange(position * cols..<(position + 1) * cols, with: probe)
                    for pool in Self.pools {
                        let y = c.fast(x, n: n, pool: pool, workspace: workspace, backend: backend)
                        let column = Array(y[position * shape.rows..<(position + 1) * shape.rows])
                        if let i = firstMismatch(column, alone) {
                            let message = "\(type) \(backend.map { "\($0)" } ?? "automatic") n=\(n) position=\(position) threads=\(pool.threads): row \(i) = \(column[i]) vs alone \(alone[i])"
                            Issue.record(Comment(rawValue: message))
                        }
                    }
                }
            }
        }
    }

    /// The task split of an int8 panel job: one task with one thread; one contiguous range per
    /// thread for decode-sized steps; a few per thread for prefill-sized ones; never more tasks
    /// than panels.
    @Test func panelTaskSplit() {
        #expect(panelTaskCount(panels: 36, columns: 1, threads: 1) == 1)
        #expect(panelTaskCount(panels: 36, columns: 512, threads: 1) == 1)
        #expect(panelTaskCount(panels: 36, columns: 1, threads: 2) == 2)
        #expect(panelTaskCount(panels: 36, columns: onePiecePerThreadColumns, threads: 2) == 2)
        #expect(panelTaskCount(panels: 36, columns: onePiecePerThreadColumns + 1, threads: 2) == 8)
        #expect(panelTaskCount(panels: 5, columns: 512, threads: 2) == 5)
        #expect(panelTaskCount(panels: 1, columns: 1, threads: 4) == 1)
    }

    /// Several matrices on the same columns in one job (the engine's q/k/v and gate/up) give
    /// the bits of one call per matrix, whatever the split of the job's panels over tasks; a
    /// float matrix in the set takes the one-call-per-matrix path.
    @Test(arguments: [[GGMLType.q4_1, .q8_0, .q4_0], [.q4_1, .q4_1], [.q5_1, .f16, .q8_0]])
    func sharedInputMatmulsMatchSeparateCalls(_ types: [GGMLType]) throws {
        let cols = 96
        let cases = try types.enumerated().map { i, type in
            // 5 + 2 + 4 panels: with two threads, one task per thread (n <= 64: 6 + 5 panels)
            // spans matrices 0 and 1, and with 8 tasks (n = 70) one spans matrices 1 and 2.
            try Case(type, rows: [72, 21, 53][i], cols: cols, seed: 900 + UInt64(i))
        }
        var random = TestRandom(seed: 31)
        for n in [1, 3, 9, 70] {
            let x = random.activations(n * cols)
            for pool in Self.pools {
                var separate: [[Float]] = []
                var fused = cases.map { [Float](repeating: .nan, count: n * $0.rows) }
                x.withUnsafeBufferPointer { xb in
                    for c in cases {
                        var y = [Float](repeating: .nan, count: n * c.rows)
                        y.withUnsafeMutableBufferPointer { Inference.matmul(c.matrix, xb.baseAddress!, n: n, $0.baseAddress!, pool: pool) }
                        separate.append(y)
                    }
                    let outputs = fused.indices.map { i in
                        let y = UnsafeMutablePointer<Float>.allocate(capacity: n * cases[i].rows)
                        y.initialize(repeating: .nan, count: n * cases[i].rows)
                        return y
                    }
                    defer { outputs.forEach { $0.deallocate() } }
                    Inference.matmul(cases.map(\.matrix), xb.baseAddress!, n: n, outputs, pool: pool)
                    for i in fused.indices { fused[i] = Array(UnsafeBufferPointer(start: outputs[i], count: n * cases[i].rows)) }
                }
                for i in cases.indices {
                    #expect(separate[i].allSatisfy { $0.isFinite })
                    if let r = firstMismatch(fused[i], separate[i]) {
                        Issue.record("\(types) matrix \(i) n=\(n) threads=\(pool.threads): y[\(r)] = \(fused[i][r]) vs \(separate[i][r])")
                    }
                }
            }
        }
    }

    /// Quantized products stay close to the exact Float product of the dequantized weights.
    @Test(arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0])
    func int8PathCloseToFloat(_ type: GGMLType) throws {
        let rows = 64, cols = 576
        let c = try Case(type, rows: rows, cols: cols, seed: 4242)
        var random = TestRandom(seed: 17)
        let x = random.activations(cols)
        let y = c.fast(x, n: 1, pool: Self.pools[0], workspace: MatmulWorkspace(maxColumns: 1, maxCols: cols, threads: 1),
                       backend: nil)
        let w = referenceDequantized(type, c.data, count: rows * cols)
        var errorSquares = 0.0, magnitudeSquares = 0.0
        for r in 0..<rows {
            var exact = 0.0
            for i in 0..<cols { exact += Double(w[r * cols + i]) * Double(x[i]) }
            errorSquares += (Double(y[r]) - exact) * (Double(y[r]) - exact)
            magnitudeSquares += exact * exact
        }
        let relative = (errorSquares / magnitudeSquares).squareRoot()
        #expect(relative < 0.02, "\(type): relative RMS error \(relative)")
    }

    @Test(arguments: GGMLType.allCases)
    func packedRowsDequantizeLikeTheSource(_ type: GGMLType) throws {
        let shape = testShapes(type)[0]
        let c = try Case(type, rows: shape.rows, cols: shape.cols, seed: 31 + UInt64(type.rawValue))
        let all = referenceDequantized(type, c.data, count: shape.rows * shape.cols)
        var row = [Float](repeating: .nan, count: shape.cols)
        for r in [0, 1, 15, 16, shape.rows - 1] {
            c.data.withUnsafeBytes { _ in row.withUnsafeMutableBufferPointer { c.matrix.dequantizeRow(r, into: $0.baseAddress!) } }
            #expect(zip(row, all[r * shape.cols..<(r + 1) * shape.cols]).allSatisfy { $0.bitEqual($1) }, "\(type) row \(r)")
        }
    }

    @Test func activationQuantizationByHand() {
        // Block 0: amax 2.54 at element 3 -> scale binary16(0.02); block 1: all zero.
        var x = [Float](repeating: 0, count: 64)
        x[0] = 1.0; x[1] = -0.5; x[2] = 0.01; x[3] = -2.54; x[4] = 0.03
        var q = [Int8](repeating: 99, count: 64)
        var scale = [Float](repeating: .nan, count: 2), scaledSum = [Float](repeating: .nan, count: 2)
        var sum = [Int32](repeating: 99, count: 2)
        ActivationQuantization.quantizeColumn(x, cols: 64, q: &q, scale: &scale, sum: &sum, scaledSum: &scaledSum)
        // 127 / 2.54 = 50: 1.0 -> 50, -0.5 -> -25, 0.01 -> 0.5 -> 0 (ties to even), 0.03 -> 1.5 -> 2.
        #expect(Array(q[0..<6]) == [50, -25, 0, -127, 2, 0])
        #expect(scale[0] == Float(Float16(Float(2.54) / 127)))
        #expect(sum[0] == 50 - 25 - 127 + 2)
        #expect(scaledSum[0] == scale[0] * -100)
        #expect(q[32..<64].allSatisfy { $0 == 0 } && scale[1] == 0 && sum[1] == 0 && scaledSum[1] == 0)
    }

    @Test func activationQuantizationMatchesReference() {
        var random = TestRandom(seed: 61)
        let cols = 32 * 40
        var x = random.activations(cols, outlierEvery: 13).map { $0 * 3 }
        // Ties after scaling by 127 / amax = 1 (amax 127): halves round to even.
        for i in 0..<32 { x[i] = Float(i) - 15.5 }
        x[5] = 127
        x[40] = .nan; x[70] = -.infinity; x[100] = .infinity; x[130] = 1e30; x[131] = -1e-30
        for i in 160..<192 { x[i] = 0 }
        func run(_ f: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Int8>, UnsafeMutablePointer<Float>,
                       UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Float>) -> Void) -> ([Int8], [Float], [Int32], [Float]) {
            var q = [Int8](repeating: 0, count: cols), s = [Float](repeating: 0, count: cols / 32)
            var t = [Int32](repeating: 0, count: cols / 32), u = [Float](repeating: 0, count: cols / 32)
            f(x, cols, &q, &s, &t, &u)
            return (q, s, t, u)
        }
        let fast = run { ActivationQuantization.quantizeColumn($0, cols: $1, q: $2, scale: $3, sum: $4, scaledSum: $5) }
        let reference = run { ActivationQuantization.quantizeColumnReference($0, cols: $1, q: $2, scale: $3, sum: $4, scaledSum: $5) }
        #expect(fast.0 == reference.0)
        #expect(fast.2 == reference.2)
        let same = { (a: Float, b: Float) in a.bitEqual(b) || (a.isNaN && b.isNaN) }
        #expect(zip(fast.1, reference.1).allSatisfy(same))
        #expect(zip(fast.3, reference.3).allSatisfy(same))
        #expect(Array(fast.0[14..<18]) == [-2, 0, 0, 2])  // -1.5, -0.5, 0.5, 1.5
    }

    @Test func rejectsBadShapes() {
        let bytes = [UInt8](repeating: 0, count: 40)
        #expect(throws: WeightMatrixError.self) {
            try bytes.withUnsafeBytes { try WeightMatrix(type: .q4_1, rows: 1, cols: 48, data: $0) }
        }
        #expect(throws: WeightMatrixError.sizeMismatch(name: "t", expectedBytes: 20, actualBytes: 40)) {
            try bytes.withUnsafeBytes { try WeightMatrix(type: .q4_1, rows: 1, cols: 32, data: $0, name: "t") }
        }
    }
}

@Suite struct KernelSGEMMTests {
    @Test(arguments: GGMLType.allCases)
    func sgemmMatchesFloatProduct(_ type: GGMLType) throws {
        let rows = 70, cols = type.blockElements == 256 ? 256 : type.blockElements == 32 ? 96 : 172
        var random = TestRandom(seed: 808 + UInt64(type.rawValue))
        let data = random.ggmlMatrix(type, rows: rows, cols: cols)
        let matrix = try data.withUnsafeBytes { try WeightMatrix(type: type, rows: rows, cols: cols, data: $0) }
        let w = referenceDequantized(type, data, count: rows * cols)
        // Tiles dequantize exactly like the reference.
        var tile = [Float](repeating: .nan, count: 64 * cols)
        data.withUnsafeBytes { _ in
            tile.withUnsafeMutableBufferPointer { SGEMMTiles.dequantizeRows(matrix, 0..<64, into: $0.baseAddress!) }
        }
        #expect(zip(tile, w[0..<(64 * cols)]).allSatisfy { $0.bitEqual($1) })

        let n = 5
        let x = random.activations(n * cols)
        var y = [Float](repeating: .nan, count: n * rows)
        data.withUnsafeBytes { _ in
            y.withUnsafeMutableBufferPointer {
                matmulSGEMM(matrix, x, n: n, $0.baseAddress!, pool: ThreadPool(threads: 2),
                            workspace: MatmulWorkspace(maxColumns: n, maxCols: cols, threads: 2))
            }
        }
        for j in 0..<n {
            for r in 0..<rows {
                var exact = 0.0, magnitude = 0.0
                for i in 0..<cols {
                    exact += Double(w[r * cols + i]) * Double(x[j * cols + i])
                    magnitude += abs(Double(w[r * cols + i]) * Double(x[j * cols + i]))
                }
                #expect(abs(Double(y[j * rows + r]) - exact) <= 1e-5 * magnitude + 1e-30, "\(type) y[\(j)][\(r)]")
            }
        }
    }
}
