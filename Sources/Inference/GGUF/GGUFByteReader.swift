/// A bounds-checked little-endian cursor over the mapped file.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0
    /// Array elements still allowed in this file. One decoded value takes ~24 bytes however small
    /// its encoding, so without a budget a file of arrays could demand ~24x its size in memory.
    /// Real models hold well under a million (vocabulary, merges, scores, token types).
    var arrayElementBudget = maxArrayElements

    /// Nesting limit for arrays of arrays (GGUF files use at most one level).
    static let maxArrayDepth = 2
    /// A single string may not exceed this (the biggest real ones are chat templates, a few KB).
    static let maxStringBytes = 64 << 20
    /// Array elements per file, all arrays together.
    static let maxArrayElements = 1 << 24

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    private func require(_ n: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard n >= 0, n <= bytes.count - offset else {
            throw .truncated(path: path, what: what(), offset: offset, needed: n, fileSize: bytes.count)
        }
    }

    mutating func read<T: FixedWidthInteger>(_ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try require(MemoryLayout<T>.size, what())
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readString(_ what: @autoclosure () -> String, cap: Int = maxStringBytes) throws(GGUFError) -> String {
        let length: UInt64 = try read("length of \(what())")
        guard length <= UInt64(cap) else {
            throw .implausible(path: path, what: "\(what()) claims a length of \(length) bytes")
        }
        let n = Int(length)
        try require(n, what())
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        offset += n
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw .invalidUTF8(path: path, what: what())
        }
        return s
    }

    mutating func readValue(_ kind: GGUFValue.Kind, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        let what = "value of \"\(key)\""
        switch kind {
        case .uint8: return .uint8(try read(what))
        case .int8: return .int8(try read(what))
        case .uint16: return .uint16(try read(what))
        case .int16: return .int16(try read(what))
        case .uint32: return .uint32(try read(what))
        case .int32: return .int32(try read(what))
        case .uint64: return .uint64(try read(what))
        case .int64: return .int64(try read(what))
        case .float32: return .float32(Float(bitPattern: try read(what)))
        case .float64: return .float64(Double(bitPattern: try read(what)))
        case .bool:
            let b: UInt8 = try read(what)
            guard b <= 1 else { throw .implausible(path: path, what: "\(what) is a bool with byte \(b)") }
            return .bool(b == 1)
        case .string: return .string(try readString(what))
        case .array:
            guard depth < Self.maxArrayDepth else {
                throw .implausible(path: path, what: "\(what) nests arrays too deeply")
            }
            let code: UInt32 = try read("element type of \(what)")
            guard let element = GGUFValue.Kind(rawValue: code) else {
                throw .unknownValueType(path: path, key: key, code: code)
            }
            let count: UInt64 = try read("element count of \(what)")
            let remaining = bytes.count - offset
            guard count <= UInt64(remaining / element.minimumBytes) else {
                let (needed, overflow) = Int(clamping: count).multipliedReportingOverflow(by: element.minimumBytes)
                throw .truncated(path: path, what: "array \(what) with \(count) elements", offset: offset,
                                 needed: overflow ? Int.max : needed, fileSize: bytes.count)
            }
            guard count <= UInt64(arrayElementBudget) else {
                throw .implausible(path: path, what: "\(what) has \(count) elements; a file may hold at most "
                    + "\(Self.maxArrayElements) array elements in all")
            }
            arrayElementBudget -= Int(count)
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                values.append(try readValue(element, key: key, depth: depth + 1))
            }
            return .array(values)
        }
    }
}
