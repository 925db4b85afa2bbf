import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// Errors from preparing a weight matrix for the matmul kernels.
public enum WeightMatrixError: Error, CustomStringConvertible, Equatable {
    case invalidShape(name: String, type: GGMLType, rows: Int, cols: Int)
    case sizeMismatch(name: String, expectedBytes: Int, actualBytes: Int)

    public var description: String {
        switch self {
        case let .invalidShape(name, type, rows, cols):
            return "weight \(name.isEmpty ? "matrix" : name): shape \(rows) x \(cols) is not usable with type \(type) "
                + "(rows and columns must be positive and the row length a multiple of \(type.blockElements))"
        case let .sizeMismatch(name, expected, actual):
            return "weight \(name.isEmpty ? "matrix" : name): expected \(expected) bytes of data, got \(actual)"
        }
    }
}

/// A weight matrix W[rows, cols] ready for `matmul`: y[j][r] = dot(W[r], x[j]).
///
/// Built from GGML-layout data (row-major; a row is cols/blockElements blocks; GGUF lists the
/// dimensions as [cols, rows], ne0 = cols).
/// - Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 are copied once into the int8 panel layout
///   (Int8PanelLayout.swift; about the size of the GGML data) and the source is not used
///   afterwards, so a memory-mapped file region may be released (madvise) after `init`.
/// - F32, F16, BF16, Q4_K, Q5_K, Q6_K are used in place: `data` is borrowed and must stay valid
///   (e.g. the GGUF mapping kept open) for the lifetime of this object.
/// `base` keeps pointing at the GGML data for callers that read it directly (valid while the
/// caller keeps that memory alive).
public final class WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int
    public let cols: Int
    /// The GGML-layout data this matrix was made from (borrowed).
    public let base: UnsafeRawPointer

    /// Int8 panel layout (owned, 64-byte aligned), for the 32-element block types.
    let format: Int8PanelFormat?
    let panels: UnsafeMutableRawPointer?
    let panelBytes: Int
    let panelCount: Int
    /// The C kernels' view of `panels` (nil for the Float-path types).
    let panelMatrix: BitaPanelMatrix?
    /// GGML layout (borrowed), for the Float-path types.
    let source: UnsafeRawPointer?
    /// Owner of `panels` when it lives in an arena (shared, or this matrix's own when >= 2 MB);
    /// otherwise `panels` is a plain allocation freed in deinit.
    private let arena: WeightArena?
    /// Bytes per GGML row.
    let rowBytes: Int

    /// - Parameters:
    ///   - data: the tensor's GGML-layout bytes (exactly rows * rowBytes).
    ///   - name: used in error messages.
    ///   - arena: where the packed copy goes; pass one arena for all of a model's matrices so
    ///     they share huge pages (default: a private allocation).
    ///   - pool: spreads the repacking over threads (load time).
    public init(type: GGMLType, rows: Int, cols: Int, data: UnsafeRawBufferPointer, name: String = "",
                arena: WeightArena? = nil, pool: ThreadPool? = nil) throws(WeightMatrixError) {
        guard rows > 0, cols > 0, cols % type.blockElements == 0, let base = data.baseAddress else {
            throw .invalidShape(name: name, type: type, rows: rows, cols: cols)
        }
        let rowBytes = cols / type.blockElements * type.blockBytes
        let (expected, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
        guard !overflow else { throw .invalidShape(name: name, type: type, rows: rows, cols: cols) }
        guard data.count == expected else {
            throw .sizeMismatch(name: name, expectedBytes: expected, actualBytes: data.count)
        }
        self.type = type
        self.rows = rows
        self.cols = cols
        self.base = base
        self.rowBytes = rowBytes
        if let format = type.int8PanelFormat {
            let panelBytes = format.panelBytes(blocks: cols / 32)
            let panelCount = (rows + Int8PanelFormat.rowsPerPanel - 1) / Int8PanelFormat.rowsPerPanel
            let bytes = panelBytes * panelCount
            let owner = arena ?? (bytes >= WeightArena.hugePage ? WeightArena(chunkBytes: bytes) : nil)
            let panels = owner?.allocate(bytes) ?? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            let pack = { (range: Range<Int>) in
                for p in range {
                    Int8PanelPacking.packPanel(type, format, source: base, rows: rows, cols: cols, panel: p,
                                               dst: panels + p * panelBytes)
                }
            }
            if let pool, pool.threads > 1 {
                let chunks = min(panelCount, 8 * pool.threads)
                pool.parallelFor(chunks) { c in pack(c * panelCount / chunks..<(c + 1) * panelCount / chunks) }
            } else {
                pack(0..<panelCount)
            }
            self.format = format
            self.panels = panels
            self.panelBytes = panelBytes
            self.panelCount = panelCount
            panelMatrix = BitaPanelMatrix(panels: panels.assumingMemoryBound(to: UInt8.self), panelBytes: Int64(panelBytes),
                                          blocks: Int32(cols / 32), codeBytes: Int32(format.codeBytes),
                                          offset: format.offset, hasMin: format.hasMin ? 1 : 0,
                                          prefetchToL2: Int8KernelBackend.weightPrefetchToL2 ? 1 : 0)
            self.source = nil
            self.arena = owner
        } else {
            self.format = nil
            self.panels = nil
            self.panelBytes = 0
            self.panelCount = 0
            panelMatrix = nil
            self.source = base
            self.arena = nil
        }
    }

    /// As the throwing initializer, for data whose shape was validated already (e.g. by the
    /// GGUF reader): `base` points at rows * rowBytes bytes of GGML-layout data.
    public convenience init(type: GGMLType, rows: Int, cols: Int, base: UnsafeRawPointer,
                            arena: WeightArena? = nil, pool: ThreadPool? = nil) {
        let bytes = (type.byteCount(elements: max(0, cols)) ?? 0) * max(0, rows)
        do {
            try self.init(type: type, rows: rows, cols: cols, data: UnsafeRawBufferPointer(start: base, count: bytes),
                          arena: arena, pool: pool)
        } catch {
            preconditionFailure("\(error)")
        }
    }

    deinit {
        if arena == nil { panels?.deallocate() }
    }

    /// For a packed matrix whose GGML data lies in a read-only file mapping (a GGUF file): drops
    /// the whole pages of that data from the resident set, since matmul reads only the packed
    /// copy (the OS re-reads them from the file if `base` is used again, e.g. for an embedding
    /// row). Does nothing for the types used in place. Never use it on anonymous memory, whose
    /// contents would be lost.
    public func releaseMappedSource() {
        guard panels != nil else { return }
        #if canImport(Glibc)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + page - 1) & ~(page - 1)
        let end = (Int(bitPattern: base) + rowBytes * rows) & ~(page - 1)
        if end > start, let p = UnsafeMutableRawPointer(bitPattern: start) {
            _ = madvise(p, end - start, Int32(MADV_DONTNEED))
        }
        #endif
    }

    /// Bytes the matmul streams per call (the packed panels or the borrowed GGML data).
    public var streamedBytes: Int { panels != nil ? panelBytes * panelCount : rowBytes * rows }

    /// Row `r` as Float, with exactly the values of `dequantizeRow` on the GGML data
    /// (e.g. an embedding lookup in a tied embedding / output matrix).
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(r >= 0 && r < rows, "row \(r) out of range 0..<\(rows)")
        guard let format, let panels else {
            Inference.dequantizeRow(type, base + r * rowBytes, count: cols, out)
            return
        }
        let panel = UnsafeRawPointer(panels + (r / 16) * panelBytes)
        let rowInPanel = r % 16
        let blocks = cols / 32
        let dBase = (panel + blocks * format.codeBytes).assumingMemoryBound(to: UInt16.self)
        let mBase = dBase + 16 * blocks
        for b in 0..<blocks {
            let d = floatFromHalfBits(dBase[16 * b + rowInPanel])
            let o = out + 32 * b
            if format.hasMin {
                let m = floatFromHalfBits(mBase[16 * b + rowInPanel])
                for i in 0..<32 {
                    let c = Int8PanelPacking.code(format, panel: panel, block: b, row: rowInPanel, element: i)
                    o[i] = Float(c) * d + m
                }
            } else {
                for i in 0..<32 {
                    let c = Int8PanelPacking.code(format, panel: panel, block: b, row: rowInPanel, element: i)
                    o[i] = Float(Int32(c) - format.offset) * d
                }
            }
        }
    }
}
