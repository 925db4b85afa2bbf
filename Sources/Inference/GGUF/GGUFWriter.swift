import Foundation

/// Builds a GGUF (version 3) file in memory: metadata in insertion order, then tensors, each
/// aligned to `alignment`. Used for BiTA adapter files and to craft files in tests.
public struct GGUFWriter {
    public var alignment: Int
    private var metadata: [(String, GGUFValue)] = []
    private var tensors: [(name: String, dimensions: [Int], type: GGMLType, data: [UInt8])] = []

    /// `alignment`: a power of two from 8 up (the specification asks for a multiple of 8).
    public init(alignment: Int = 32) { self.alignment = alignment }

    /// Sets a metadata value (replacing an earlier one of the same key, keeping its position).
    /// Arrays must hold values of one type, as the format stores a single element type.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        precondition(!key.isEmpty && key.utf8.count < 1 << 16, "GGUF keys are 1...65535 bytes")
        if case .array(let a) = value, let first = a.first {
            precondition(a.allSatisfy { $0.kind == first.kind }, "\(key): GGUF arrays hold a single element type")
        }
        if let i = metadata.firstIndex(where: { $0.0 == key }) { metadata[i].1 = value } else { metadata.append((key, value)) }
    }

    /// Adds a tensor; `dimensions` in GGUF order (ne0 first). `data` must match type and shape.
    public mutating func addTensor(_ name: String, dimensions: [Int], type: GGMLType, data: [UInt8]) {
        precondition(!name.isEmpty && name.utf8.count <= 64, "tensor \(name): GGUF names are 1...64 bytes")
        precondition((1...4).contains(dimensions.count) && dimensions.allSatisfy { $0 >= 1 }, "tensor \(name): bad shape")
        precondition(dimensions[0] % type.blockElements == 0, "tensor \(name): row length not a whole number of blocks")
        precondition(type.byteCount(elements: dimensions.reduce(1, *)) == data.count, "tensor \(name): data size mismatch")
        tensors.append((name, dimensions, type, data))
    }

    public mutating func addTensor(_ name: String, dimensions: [Int], floats: [Float]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(floats.count * 4)
        for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        addTensor(name, dimensions: dimensions, type: .f32, data: bytes)
    }

    public func serialized() -> [UInt8] {
        precondition(alignment >= 8 && alignment & (alignment - 1) == 0, "alignment must be a power of two >= 8")
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func putString(_ s: String) { put(UInt64(s.utf8.count)); out.append(contentsOf: s.utf8) }
        func putValue(_ v: GGUFValue) {
            switch v {
            case .uint8(let x): put(x)
            case .int8(let x): put(x)
            case .uint16(let x): put(x)
            case .int16(let x): put(x)
            case .uint32(let x): put(x)
            case .int32(let x): put(x)
            case .uint64(let x): put(x)
            case .int64(let x): put(x)
            case .float32(let x): put(x.bitPattern)
            case .float64(let x): put(x.bitPattern)
            case .bool(let x): put(UInt8(x ? 1 : 0))
            case .string(let s): putString(s)
            case .array(let a):
                put((a.first?.kind ?? .uint8).rawValue)
                put(UInt64(a.count))
                for e in a { putValue(e) }
            }
        }
        out.append(contentsOf: "GGUF".utf8)
        put(UInt32(3))
        put(UInt64(tensors.count))
        var meta = metadata
        if alignment != 32, !meta.contains(where: { $0.0 == "general.alignment" }) {
            meta.append(("general.alignment", .uint32(UInt32(alignment))))
        }
        put(UInt64(meta.count))
        for (k, v) in meta {
            putString(k)
            put(v.kind.rawValue)
            putValue(v)
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, off) in zip(tensors, offsets) {
            putString(t.name)
            put(UInt32(t.dimensions.count))
            for d in t.dimensions { put(UInt64(d)) }
            put(t.type.rawValue)
            put(UInt64(off))
        }
        while out.count % alignment != 0 { out.append(0) }
        for t in tensors {
            out.append(contentsOf: t.data)
            while out.count % alignment != 0 { out.append(0) }
        }
        return out
    }

    /// Writes atomically: a temporary file in the same directory, fsync, then rename.
    public func write(to path: String) throws {
        try AtomicFile.write(Data(serialized()), to: path, permissions: 0o644)
    }
}
