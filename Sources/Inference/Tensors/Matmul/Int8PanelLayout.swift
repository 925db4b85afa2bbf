// The weight layout of the int8 matmul kernels, made once at load time from GGML blocks.
//
// Rows are grouped into panels of 16 (the last panel padded with zero rows). For each
// 32-element block b of a panel the 16 rows' codes are interleaved so that one 64-byte vector
// holds 4 consecutive elements of all 16 rows (row r at bytes 4r..<4r+4) -- the operand shape
// of `vpdpbusd` with one int32 lane per row. Codes are unsigned: weight = d * (code - offset)
// (+ m for the types with a minimum). A panel is
//   [codes of block 0] ... [codes of block nb-1]    codeBytes each (256 or 512)
//   [d of block 0, rows 0..<16] ... [d of block nb-1]   16 x binary16 each
//   [m of block 0, rows 0..<16] ... (hasMin only)
// padded to a multiple of 64 bytes. Byte-level details: CKernels.h (BitaPanelMatrix).

/// How a 32-element GGML block type is stored in int8 panels.
struct Int8PanelFormat: Sendable, Equatable {
    /// 4: two codes per byte (Q4_0, Q4_1); 8: one code per byte (Q5_0, Q5_1, Q8_0).
    let codeBits: Int
    /// Subtracted from a code to get the signed quant (0 for the types with a minimum).
    let offset: Int32
    /// Whether blocks carry a minimum m (weight = d * code + m).
    let hasMin: Bool

    static let rowsPerPanel = 16

    /// Code bytes per block per panel.
    var codeBytes: Int { codeBits == 4 ? 256 : 512 }

    /// Bytes of one panel of a matrix with `blocks` blocks per row (a multiple of 64).
    func panelBytes(blocks: Int) -> Int {
        let raw = blocks * (codeBytes + 32 + (hasMin ? 32 : 0))
        return (raw + 63) & ~63
    }
}

extension GGMLType {
    /// The int8 panel format of this type, or nil when its matmul goes through Float
    /// (F32, F16, BF16 and the 256-element K-quants).
    var int8PanelFormat: Int8PanelFormat? {
        switch self {
        case .q4_0: return Int8PanelFormat(codeBits: 4, offset: 8, hasMin: false)
        case .q4_1: return Int8PanelFormat(codeBits: 4, offset: 0, hasMin: true)
        case .q5_0: return Int8PanelFormat(codeBits: 8, offset: 16, hasMin: false)
        case .q5_1: return Int8PanelFormat(codeBits: 8, offset: 0, hasMin: true)
        case .q8_0: return Int8PanelFormat(codeBits: 8, offset: 128, hasMin: false)
        case .f32, .f16, .bf16, .q4_K, .q5_K, .q6_K: return nil
        }
    }
}

enum Int8PanelPacking {
    /// The 32 five-bit codes and the binary16 m (0 for Q5_0) of a Q5_0 / Q5_1 block.
    static func q5Codes(_ type: GGMLType, _ block: UnsafeRawPointer, _ codes: UnsafeMutablePointer<UInt8>) -> UInt16 {
        let hasMin = type == .q5_1
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: hasMin ? 4 : 2, as: UInt32.self))
        let qs = block + (hasMin ? 8 : 6)
        for j in 0..<16 {
            let byte = qs.load(fromByteOffset: j, as: UInt8.self)
            codes[j] = (byte & 0x0F) | UInt8((qh >> UInt32(j)) & 1) << 4
            codes[j + 16] = (byte >> 4) | UInt8((qh >> UInt32(j + 16)) & 1) << 4
        }
        return hasMin ? block.loadUnaligned(fromByteOffset: 2, as: UInt16.self) : 0
    }

    /// Writes panel `panel` of a `rows` x `cols` GGML-layout matrix at `dst`.
    static func packPanel(_ type: GGMLType, _ format: Int8PanelFormat, source: UnsafeRawPointer,
                          rows: Int, cols: Int, panel: Int, dst: UnsafeMutableRawPointer) {
        let blocks = cols / 32
        let rowBytes = blocks * type.blockBytes
        let panelBytes = format.panelBytes(blocks: blocks)
        let firstRow = panel * Int8PanelFormat.rowsPerPanel
        let validRows = min(Int8PanelFormat.rowsPerPanel, rows - firstRow)
        let usedBytes = blocks * (format.codeBytes + 32 + (format.hasMin ? 32 : 0))
        if validRows < Int8PanelFormat.rowsPerPanel || type == .q5_0 || type == .q5_1 {
            dst.initializeMemory(as: UInt8.self, repeating: 0, count: panelBytes)
        } else if usedBytes < panelBytes {
            (dst + usedBytes).initializeMemory(as: UInt8.self, repeating: 0, count: panelBytes - usedBytes)
        }
        let codeBase = dst.assumingMemoryBound(to: UInt8.self)
        let dBase = (dst + blocks * format.codeBytes).assumingMemoryBound(to: UInt16.self)
        let mBase = dBase + 16 * blocks
        for r in 0..<validRows {
            let row = source + (firstRow + r) * rowBytes
            for b in 0..<blocks {
                let block = row + b * type.blockBytes
                let blockCodes = UnsafeMutableRawPointer(codeBase + b * format.codeBytes)
                dBase[16 * b + r] = block.loadUnaligned(as: UInt16.self)
                switch type {
                case .q4_0, .q4_1:
                    // GGML byte j holds elements j (low nibble) and j + 16 (high); the panel pairs
                    // element 4p + t with 4p + t + 16 in byte 64p + 4r + t: a 4-byte copy per p.
                    let qs = block + (type == .q4_0 ? 2 : 4)
                    for p in 0..<4 {
                        blockCodes.storeBytes(of: qs.loadUnaligned(fromByteOffset: 4 * p, as: UInt32.self),
                                              toByteOffset: 64 * p + 4 * r, as: UInt32.self)
                    }
                    if type == .q4_1 { mBase[16 * b + r] = block.loadUnaligned(fromByteOffset: 2, as: UInt16.self) }
                case .q8_0:
                    for g in 0..<8 {  // code = q + 128: flip the sign bit of each byte
                        let q = block.loadUnaligned(fromByteOffset: 2 + 4 * g, as: UInt32.self)
                        blockCodes.storeBytes(of: q ^ 0x8080_8080, toByteOffset: 64 * g + 4 * r, as: UInt32.self)
                    }
                case .q5_0, .q5_1:
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
                        let codes = buffer.baseAddress!
                        let m = q5Codes(type, block, codes)
                        if format.hasMin { mBase[16 * b + r] = m }
                        for i in 0..<32 {
                            blockCodes.storeBytes(of: codes[i], toByteOffset: 64 * (i / 4) + 4 * r + i % 4, as: UInt8.self)
                        }
                    }
                case .f32, .f16, .bf16, .q4_K, .q5_K, .q6_K:
                    preconditionFailure("\(type) has no int8 panel format")
                }
            }
        }
    }

    /// The code of element `i` of row `r` (within its panel) in block `b`.
    @inline(__always)
    static func code(_ format: Int8PanelFormat, panel: UnsafeRawPointer, block b: Int, row r: Int, element i: Int) -> UInt8 {
        let codes = panel + b * format.codeBytes
        let group = i / 4, t = i % 4
        if format.codeBits == 8 {
            return codes.load(fromByteOffset: 64 * group + 4 * r + t, as: UInt8.self)
        }
        let byte = codes.load(fromByteOffset: 64 * (group % 4) + 4 * r + t, as: UInt8.self)
        return group < 4 ? byte & 0x0F : byte >> 4
    }
}
