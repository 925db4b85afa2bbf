/// Deliberately damaged variants of a valid GGUF file: truncations at many offsets, flipped and
/// huge counts and lengths, wrong or unknown types, bad shapes, misaligned, out-of-bounds and
/// overlapping offsets, bad alignment values, duplicates, wrong magic and version. Each variant
/// says which `GGUFError` kinds a correct reader may answer with. Used by the bad-input tests
/// (reader and `bita-chat info`) and as seeds for fuzzing.
public struct GGUFDamage: Sendable {
    /// Short identifier, usable as a file name.
    public let name: String
    /// What was changed.
    public let summary: String
    public let bytes: [UInt8]
    /// Error kinds a correct reader may report for this variant.
    public let expected: Set<GGUFError.Kind>

    /// A small valid file with every feature the catalogue damages: an explicit alignment (64),
    /// strings, a bool, a string array, two keys and two tensor names of equal length, an F32
    /// tensor whose rows are not a multiple of 32, and a quantized tensor last.
    public static func sampleFile() -> [UInt8] {
        var w = GGUFWriter(alignment: 64)
        w.set("general.architecture", .string("sample"))
        w.set("general.name", .string("damage sample"))
        w.set("test.aa", .uint32(7))
        w.set("test.bb", .uint32(9))
        w.set("test.flag", .bool(true))
        w.set("tokenizer.ggml.tokens", .array(["<s>", "</s>", "a", "b", "ab", "hello"].map { GGUFValue.string($0) }))
        w.addTensor("w.a", dimensions: [48, 2], floats: (0..<96).map { Float($0) / 8 })
        w.addTensor("w.b", dimensions: [32, 2], floats: (0..<64).map { -Float($0) })
        w.addTensor("q.c", dimensions: [32, 1], type: .q8_0, data: [UInt8](repeating: 1, count: 34))
        return w.serialized()
    }

    /// Every damage that applies to `valid` (some need a feature the file lacks, such as a
    /// `general.alignment` key, and are then left out).
    public static func catalogue(from valid: [UInt8]) throws(GGUFError) -> [GGUFDamage] {
        let map = try GGUFFieldMap(bytes: valid)
        var out: [GGUFDamage] = []
        let anyKind = Set(GGUFError.Kind.allCases)

        func add(_ name: String, _ summary: String, _ expected: Set<GGUFError.Kind>, _ edit: (inout [UInt8]) -> Void) {
            var b = valid
            edit(&b)
            out.append(GGUFDamage(name: name, summary: summary, bytes: b, expected: expected))
        }
        func cut(_ name: String, at n: Int, _ expected: Set<GGUFError.Kind> = [.truncated]) {
            guard n >= 0, n < valid.count else { return }
            out.append(GGUFDamage(name: name, summary: "file cut to \(n) of \(valid.count) bytes",
                                  bytes: Array(valid[0..<n]), expected: expected))
        }

        // Header.
        out.append(GGUFDamage(name: "empty", summary: "0 bytes", bytes: [], expected: [.empty]))
        add("magic-ggml", "magic \"GGML\"", [.badMagic]) { $0.replaceSubrange(0..<4, with: Array("GGML".utf8)) }
        add("magic-zip", "magic of a ZIP archive", [.badMagic]) { $0.replaceSubrange(0..<4, with: [0x50, 0x4B, 3, 4]) }
        add("version-1", "version 1", [.unsupportedVersion]) { $0.patch(UInt32(1), at: GGUFFieldMap.versionOffset) }
        add("version-4", "version 4", [.unsupportedVersion]) { $0.patch(UInt32(4), at: GGUFFieldMap.versionOffset) }
        add("version-big-endian", "version 3 written big-endian", [.unsupportedVersion]) {
            $0.patch(UInt32(3).byteSwapped, at: GGUFFieldMap.versionOffset)
        }
        cut("truncated-in-magic", at: 2)
        cut("truncated-in-version", at: 6)
        cut("truncated-in-tensor-count", at: 12)
        cut("truncated-in-metadata-count", at: 20)
        add("tensor-count-huge", "tensor count 2^64-1", [.implausible]) {
            $0.patch(UInt64.max, at: GGUFFieldMap.tensorCountOffset)
        }
        add("metadata-count-huge", "metadata count 2^40", [.implausible]) {
            $0.patch(UInt64(1) << 40, at: GGUFFieldMap.metadataCountOffset)
        }
        add("metadata-count-plus-one", "one metadata entry more than present", anyKind) {
            $0.patch(UInt64(map.metadata.count + 1), at: GGUFFieldMap.metadataCountOffset)
        }
        add("metadata-count-zero", "metadata count 0 (entries read as tensor infos)", anyKind) {
            $0.patch(UInt64(0), at: GGUFFieldMap.metadataCountOffset)
        }
        add("tensor-count-plus-one", "one tensor more than present", anyKind) {
            $0.patch(UInt64(map.tensors.count + 1), at: GGUFFieldMap.tensorCountOffset)
        }

        // Metadata.
        if let e = map.metadata.first {
            cut("truncated-in-key-length", at: e.keyOffset + 3)
            cut("truncated-in-key", at: e.keyOffset + 8 + 2)
            add("key-length-huge", "first key claims 2^40 bytes", [.implausible]) { $0.patch(UInt64(1) << 40, at: e.keyOffset) }
            add("key-empty", "first key has length 0", [.implausible]) { $0.patch(UInt64(0), at: e.keyOffset) }
            add("key-invalid-utf8", "first key starts with byte 0xFF", [.invalidUTF8]) { $0[e.keyOffset + 8] = 0xFF }
            add("value-type-unknown", "first value has type code 99", [.unknownValueType]) { $0.patch(UInt32(99), at: e.typeOffset) }
        }
        if let e = map.metadata.first(where: { if case .uint32 = $0.value { return true } else { return false } }) {
            cut("truncated-in-value", at: e.valueOffset + 2)
        }
        let byKeyLength = Dictionary(grouping: map.metadata, by: { $0.key.utf8.count })
        if let pair = byKeyLength.values.filter({ $0.count >= 2 }).min(by: { $0[0].keyOffset < $1[0].keyOffset }) {
            add("duplicate-key", "key \"\(pair[1].key)\" renamed to \"\(pair[0].key)\"", [.duplicateKey]) {
                $0.replaceSubrange((pair[1].keyOffset + 8)..<(pair[1].typeOffset), with: Array(pair[0].key.utf8))
            }
        }
        if let e = map.metadata.first(where: { $0.value.stringValue != nil }) {
            add("value-type-mismatch", "string \"\(e.key)\" retyped as uint64", anyKind) { $0.patch(UInt32(10), at: e.typeOffset) }
            add("string-length-huge", "string \"\(e.key)\" claims 2^50 bytes", [.implausible]) {
                $0.patch(UInt64(1) << 50, at: e.valueOffset)
            }
            add("string-length-past-end", "string \"\(e.key)\" claims the whole file", [.truncated, .implausible]) {
                $0.patch(UInt64(valid.count), at: e.valueOffset)
            }
        }
        if let e = map.metadata.filter({ $0.value.arrayValue != nil }).max(by: { $0.end - $0.valueOffset < $1.end - $1.valueOffset }),
           let countOffset = e.arrayCountOffset, let first = e.firstElementOffset {
            cut("truncated-in-array", at: (first + e.end) / 2)
            add("array-count-huge", "array \"\(e.key)\" claims 2^61 elements", [.truncated]) {
                $0.patch(UInt64(1) << 61, at: countOffset)
            }
            add("array-element-type-unknown", "array \"\(e.key)\" has element type 77", [.unknownValueType]) {
                $0.patch(UInt32(77), at: e.valueOffset)
            }
        }
        if let e = map.metadata.first(where: { $0.value.boolValue != nil }) {
            add("bool-invalid", "bool \"\(e.key)\" holds byte 2", [.implausible]) { $0[e.valueOffset] = 2 }
        }
        if let e = map.entry("general.alignment"), case .uint32 = e.value {
            add("alignment-zero", "general.alignment 0", [.implausible]) { $0.patch(UInt32(0), at: e.valueOffset) }
            add("alignment-not-power-of-two", "general.alignment 48", [.implausible]) { $0.patch(UInt32(48), at: e.valueOffset) }
            add("alignment-huge", "general.alignment 2^30", [.implausible]) { $0.patch(UInt32(1) << 30, at: e.valueOffset) }
            add("alignment-wrong-type", "general.alignment stored as int32", [.implausible]) { $0.patch(UInt32(5), at: e.typeOffset) }
        }

        // Tensor infos.
        func byteCount(_ t: GGUFFieldMap.TensorEntry) -> Int? {
            GGMLType(rawValue: t.typeCode)?.byteCount(elements: t.dimensions.reduce(1, *))
        }
        let dataBytes = valid.count - map.dataSectionOffset
        if let t = map.tensors.first {
            cut("truncated-in-tensor-table", at: t.nameOffset + 10)
            cut("truncated-in-dimensions", at: t.dimensionCountOffset + 4 + 4)
            add("tensor-name-empty", "tensor \(t.name) renamed to \"\"", [.implausible]) { $0.patch(UInt64(0), at: t.nameOffset) }
            add("tensor-name-too-long", "tensor \(t.name) name length set to 65", [.implausible, .invalidUTF8, .truncated]) {
                $0.patch(UInt64(65), at: t.nameOffset)
            }
            add("tensor-name-length-huge", "tensor \(t.name) name claims 2^40 bytes", [.implausible]) {
                $0.patch(UInt64(1) << 40, at: t.nameOffset)
            }
            add("tensor-type-unknown", "tensor \(t.name) has type 99", [.unknownTensorType]) { $0.patch(UInt32(99), at: t.typeOffset) }
            add("tensor-type-unsupported", "tensor \(t.name) has type Q2_K (10)", [.unknownTensorType]) {
                $0.patch(UInt32(10), at: t.typeOffset)
            }
            add("dimension-count-zero", "tensor \(t.name) has 0 dimensions", [.badShape]) {
                $0.patch(UInt32(0), at: t.dimensionCountOffset)
            }
            add("dimension-count-huge", "tensor \(t.name) has 9 dimensions", [.badShape]) {
                $0.patch(UInt32(9), at: t.dimensionCountOffset)
            }
            add("dimension-zero", "tensor \(t.name) dimension 0 is 0", [.badShape]) { $0.patch(UInt64(0), at: t.dimensionOffsets[0]) }
            add("dimension-huge", "tensor \(t.name) dimension 0 is 2^40", [.badShape]) {
                $0.patch(UInt64(1) << 40, at: t.dimensionOffsets[0])
            }
            add("offset-misaligned", "tensor \(t.name) data offset moved by 4 bytes", [.misaligned]) {
                $0.patch(UInt64(t.dataOffset + 4), at: t.dataOffsetField)
            }
            add("offset-huge", "tensor \(t.name) data offset 2^64-1", [.tensorOutOfBounds]) {
                $0.patch(UInt64.max, at: t.dataOffsetField)
            }
            let pastEnd = (dataBytes + map.alignment - 1) / map.alignment * map.alignment
            add("offset-past-end", "tensor \(t.name) data offset at the end of the file", [.tensorOutOfBounds]) {
                $0.patch(UInt64(pastEnd), at: t.dataOffsetField)
            }
        }
        if let t = map.tensors.first(where: { $0.dimensions.count >= 2 }) {
            add("element-count-overflow", "tensor \(t.name) is 2^31-1 x 2^31-1", [.badShape]) {
                $0.patch(UInt64(Int32.max), at: t.dimensionOffsets[0])
                $0.patch(UInt64(Int32.max), at: t.dimensionOffsets[1])
            }
        }
        if let t = map.tensors.first(where: { $0.typeCode == GGMLType.f32.rawValue && $0.dimensions[0] % 32 != 0 }) {
            add("row-not-whole-blocks", "tensor \(t.name) (row \(t.dimensions[0])) retyped Q8_0", [.badShape]) {
                $0.patch(GGMLType.q8_0.rawValue, at: t.typeOffset)
            }
        }
        let byNameLength = Dictionary(grouping: map.tensors, by: { $0.name.utf8.count })
        if let pair = byNameLength.values.filter({ $0.count >= 2 }).min(by: { $0[0].nameOffset < $1[0].nameOffset }) {
            add("duplicate-tensor", "tensor \(pair[1].name) renamed to \(pair[0].name)", [.duplicateTensor]) {
                $0.replaceSubrange((pair[1].nameOffset + 8)..<(pair[1].dimensionCountOffset), with: Array(pair[0].name.utf8))
            }
        }
        if let a = map.tensors.first, let b = map.tensors.dropFirst().first(where: { (byteCount($0) ?? .max) <= dataBytes - a.dataOffset }) {
            add("tensors-overlap", "tensor \(b.name) placed on top of \(a.name)", [.tensorsOverlap]) {
                $0.patch(UInt64(a.dataOffset), at: b.dataOffsetField)
            }
        }

        // Data section.
        if map.headerEnd < map.dataSectionOffset, !map.tensors.isEmpty {
            cut("truncated-before-data", at: map.headerEnd + 1)
        }
        if let last = map.tensors.max(by: { $0.dataOffset < $1.dataOffset }), let size = byteCount(last) {
            let start = map.dataSectionOffset + last.dataOffset
            cut("truncated-in-data", at: start + size / 2, [.tensorOutOfBounds])
            cut("truncated-last-data-byte", at: start + size - 1, [.tensorOutOfBounds])
        }
        // A file may end right after its last tensor (the final padding is optional).
        let dataEnd = map.tensors.compactMap { t in byteCount(t).map { map.dataSectionOffset + t.dataOffset + $0 } }.max()
            ?? map.headerEnd
        for percent in [1, 25, 50, 75, 99] where valid.count * percent / 100 < dataEnd {
            cut("truncated-at-\(percent)-percent", at: valid.count * percent / 100, [.truncated, .tensorOutOfBounds, .implausible])
        }
        return out
    }
}

extension Array where Element == UInt8 {
    /// Overwrites `MemoryLayout<T>.size` bytes at `offset` with `value` in little-endian order.
    mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        var v = value
        for i in 0..<MemoryLayout<T>.size {
            self[offset + i] = UInt8(truncatingIfNeeded: v)
            v >>= 8
        }
    }
}
