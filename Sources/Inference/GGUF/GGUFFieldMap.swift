/// Byte offsets of every field of a well-formed GGUF file, for tools that patch files in place
/// (the damaged-file catalogue behind the bad-input tests and fuzz seeds). Offsets are from the
/// start of the file. Building the map checks only what walking the structure needs; use
/// `GGUFFile` to validate a file.
public struct GGUFFieldMap: Sendable {
    /// Fixed header layout: magic (4 bytes), version (u32), tensor count (u64), metadata count (u64).
    public static let versionOffset = 4
    public static let tensorCountOffset = 8
    public static let metadataCountOffset = 16

    public struct MetadataEntry: Sendable {
        public let key: String
        /// The key's u64 length field; the key bytes follow it.
        public let keyOffset: Int
        /// The u32 value type code.
        public let typeOffset: Int
        /// First byte of the value (for an array: its u32 element type).
        public let valueOffset: Int
        public let value: GGUFValue
        /// One past the last byte of the value.
        public let end: Int

        /// For an array: the u64 element count field and the first element.
        public var arrayCountOffset: Int? { value.arrayValue == nil ? nil : valueOffset + 4 }
        public var firstElementOffset: Int? { value.arrayValue == nil ? nil : valueOffset + 12 }
    }

    public struct TensorEntry: Sendable {
        public let name: String
        /// The name's u64 length field; the name bytes follow it.
        public let nameOffset: Int
        /// The u32 dimension count, then one u64 per dimension.
        public let dimensionCountOffset: Int
        public let dimensions: [Int]
        public var dimensionOffsets: [Int] { dimensions.indices.map { dimensionCountOffset + 4 + 8 * $0 } }
        /// The u32 tensor type and the u64 data offset (relative to the data section).
        public let typeOffset: Int
        public let dataOffsetField: Int
        public let typeCode: UInt32
        public let dataOffset: Int
    }

    public let metadata: [MetadataEntry]
    public let tensors: [TensorEntry]
    /// One past the tensor-info table, and the (aligned) start of the data section.
    public let headerEnd: Int
    public let dataSectionOffset: Int
    public let alignment: Int
    public let fileSize: Int

    public func entry(_ key: String) -> MetadataEntry? { metadata.first { $0.key == key } }
    public func tensor(_ name: String) -> TensorEntry? { tensors.first { $0.name == name } }

    public init(bytes: [UInt8], path: String = "<memory>") throws(GGUFError) {
        fileSize = bytes.count
        let result: Result<(meta: [MetadataEntry], tensors: [TensorEntry], end: Int), GGUFError> = bytes.withUnsafeBytes { raw in
            do throws(GGUFError) {
                var r = GGUFByteReader(bytes: raw, path: path)
                guard raw.count >= 24, Array(raw[0..<4]) == Array("GGUF".utf8) else {
                    throw .badMagic(path: path, found: "(not a GGUF header)")
                }
                r.offset = Self.tensorCountOffset
                let tensorCount: UInt64 = try r.read("tensor count")
                let kvCount: UInt64 = try r.read("metadata count")
                guard tensorCount <= UInt64(raw.count), kvCount <= UInt64(raw.count) else {
                    throw .implausible(path: path, what: "header counts exceed the file size")
                }
                var meta: [MetadataEntry] = []
                for i in 0..<Int(kvCount) {
                    let keyOffset = r.offset
                    let key = try r.readString("metadata key #\(i)")
                    let typeOffset = r.offset
                    let code: UInt32 = try r.read("type of \(key)")
                    guard let kind = GGUFValue.Kind(rawValue: code) else {
                        throw .unknownValueType(path: path, key: key, code: code)
                    }
                    let valueOffset = r.offset
                    let value = try r.readValue(kind, key: key, depth: 0)
                    meta.append(MetadataEntry(key: key, keyOffset: keyOffset, typeOffset: typeOffset,
                                              valueOffset: valueOffset, value: value, end: r.offset))
                }
                var tensors: [TensorEntry] = []
                for i in 0..<Int(tensorCount) {
                    let nameOffset = r.offset
                    let name = try r.readString("name of tensor #\(i)")
                    let dimsOffset = r.offset
                    let n: UInt32 = try r.read("dimension count of \(name)")
                    guard n <= 16 else { throw .badShape(path: path, tensor: name, reason: "\(n) dimensions") }
                    var dims: [Int] = []
                    for _ in 0..<Int(n) {
                        let d: UInt64 = try r.read("dimension of \(name)")
                        dims.append(Int(clamping: d))
                    }
                    let typeOffset = r.offset
                    let code: UInt32 = try r.read("type of \(name)")
                    let fieldOffset = r.offset
                    let offset: UInt64 = try r.read("data offset of \(name)")
                    tensors.append(TensorEntry(name: name, nameOffset: nameOffset, dimensionCountOffset: dimsOffset,
                                               dimensions: dims, typeOffset: typeOffset, dataOffsetField: fieldOffset,
                                               typeCode: code, dataOffset: Int(clamping: offset)))
                }
                return .success((meta, tensors, r.offset))
            } catch {
                return .failure(error)
            }
        }
        let parsed = try result.get()
        metadata = parsed.meta
        tensors = parsed.tensors
        headerEnd = parsed.end
        var alignment = 32
        if let a = parsed.meta.first(where: { $0.key == "general.alignment" })?.value.intValue, a > 0 { alignment = a }
        self.alignment = alignment
        dataSectionOffset = tensors.isEmpty ? headerEnd : (headerEnd + alignment - 1) / alignment * alignment
    }
}
