import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A memory-mapped GGUF file (llama.cpp's model format), validated before anything is trusted:
/// every read is bounds-checked against the file, lengths and counts are capped, tensor types,
/// shapes, alignment and extents are checked. A hostile file yields a `GGUFError`, never a crash.
///
/// Layout: header (magic "GGUF", version, tensor count, metadata count), metadata key/values,
/// tensor infos, padding to `general.alignment` (default 32), tensor data.
public final class GGUFFile: @unchecked Sendable {
    // @unchecked: all stored properties are immutable after init; the mapping is read-only.
    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order (for display).
    public let metadataKeys: [String]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Offset of the data section from the start of the file.
    public let dataOffset: Int
    public let fileSize: Int
    /// Size and modification time when opened: lets callers notice the file changed on disk.
    public let identity: FileIdentity

    private let tensorIndex: [String: Int]
    private let mapping: UnsafeRawBufferPointer

    public init(path: String) throws(GGUFError) {
        self.path = path
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever; the
        // type check below then refuses it. It has no effect on reads of a regular file.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        let mode = st.st_mode & S_IFMT
        guard mode == S_IFREG else {
            let kind: String
            switch mode {
            case S_IFDIR: kind = "a directory"
            case S_IFIFO: kind = "a FIFO (named pipe)"
            case S_IFCHR, S_IFBLK: kind = "a device"
            case S_IFSOCK: kind = "a socket"
            default: kind = "not a regular file"
            }
            throw .notARegularFile(path: path, kind: kind)
        }
        let size = Int(st.st_size)
        guard size > 0 else { throw .empty(path: path) }
        fileSize = size
        identity = FileIdentity(st)
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        mapping = UnsafeRawBufferPointer(start: base, count: size)

        do {
            var reader = GGUFByteReader(bytes: mapping, path: path)
            let parsed = try Self.parse(&reader, path: path)
            version = parsed.version
            metadata = parsed.metadata
            metadataKeys = parsed.keys
            tensors = parsed.tensors
            alignment = parsed.alignment
            dataOffset = parsed.dataOffset
            tensorIndex = Dictionary(uniqueKeysWithValues: parsed.tensors.enumerated().map { ($1.name, $0) })
        } catch {
            munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress), size)
            throw error
        }
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress), mapping.count)
    }

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The bytes of a tensor (validated at open to lie inside the file).
    /// `info` must come from this file's `tensors` (checked: buffer slicing is unchecked in release builds).
    public func data(for info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        precondition(info.offset >= 0 && info.byteCount >= 0 && info.offset <= mapping.count - dataOffset - info.byteCount,
                     "tensor \(info.name) does not belong to \(path)")
        return UnsafeRawBufferPointer(rebasing: mapping[(dataOffset + info.offset)..<(dataOffset + info.offset + info.byteCount)])
    }

    /// The whole mapped file (for fingerprints).
    public var bytes: UnsafeRawBufferPointer { mapping }

    /// Whether the file at `path` is no longer the one that was opened: replaced (new inode),
    /// resized, rewritten (new modification time) or deleted. The mapping keeps the old inode
    /// alive when the file is replaced, but a file truncated in place makes reads of the lost
    /// pages fault, so long-lived users check this before relying on the mapping again.
    /// Limit: an in-place rewrite of the same size within one kernel timestamp tick (a few ms)
    /// is not detectable from metadata.
    public var hasChangedOnDisk: Bool { FileIdentity.current(of: path) != identity }

    /// Throws `GGUFError.changedOnDisk` when `hasChangedOnDisk`.
    public func checkUnchangedOnDisk() throws(GGUFError) {
        if hasChangedOnDisk { throw .changedOnDisk(path: path) }
    }

    // MARK: Typed metadata access

    public func string(_ key: String) -> String? { metadata[key]?.stringValue }
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }
    public func float(_ key: String) -> Float? { metadata[key]?.floatValue }
    public func bool(_ key: String) -> Bool? { metadata[key]?.boolValue }
    public func stringArray(_ key: String) -> [String]? {
        guard let a = metadata[key]?.arrayValue else { return nil }
        var out: [String] = []
        out.reserveCapacity(a.count)
        for v in a {
            guard let s = v.stringValue else { return nil }
            out.append(s)
        }
        return out
    }
    public func floatArray(_ key: String) -> [Float]? {
        guard let a = metadata[key]?.arrayValue else { return nil }
        var out: [Float] = []
        out.reserveCapacity(a.count)
        for v in a {
            guard let f = v.floatValue else { return nil }
            out.append(f)
        }
        return out
    }
    public func intArray(_ key: String) -> [Int]? {
        guard let a = metadata[key]?.arrayValue else { return nil }
        var out: [Int] = []
        out.reserveCapacity(a.count)
        for v in a {
            guard let i = v.intValue else { return nil }
            out.append(i)
        }
        return out
    }

    // MARK: Parsing

    /// Caps on what a sane file holds; they stop hostile counts from driving huge allocations.
    static let maxTensors = 1 << 20
    static let maxMetadataKeys = 1 << 20
    static let maxDimensions = 4
    /// The specification caps keys at 2^16-1 bytes and tensor names at 64 bytes.
    static let maxKeyBytes = (1 << 16) - 1
    static let maxTensorNameBytes = 64
    /// Smallest encodings: a metadata entry (8-byte key length, 1-byte key, type, 1-byte value)
    /// and a tensor info (8-byte name length, 1-byte name, n_dims, one dim, type, offset).
    static let minMetadataEntryBytes = 8 + 1 + 4 + 1
    static let minTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8

    private struct Parsed {
        var version: UInt32
        var metadata: [String: GGUFValue]
        var keys: [String]
        var tensors: [GGUFTensorInfo]
        var alignment: Int
        var dataOffset: Int
    }

    private static func parse(_ r: inout GGUFByteReader, path: String) throws(GGUFError) -> Parsed {
        guard r.bytes.count >= 4 else {
            throw .truncated(path: path, what: "header", offset: 0, needed: 24, fileSize: r.bytes.count)
        }
        let magic = Array(r.bytes[0..<4])
        guard magic == Array("GGUF".utf8) else {
            let shown = magic.allSatisfy { $0 >= 0x20 && $0 < 0x7f }
                ? "\"\(String(decoding: magic, as: UTF8.self))\""
                : magic.map { String(format: "%02x", $0) }.joined(separator: " ")
            throw .badMagic(path: path, found: shown)
        }
        r.offset = 4
        let version: UInt32 = try r.read("header version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(path: path, version: version) }
        let tensorCount: UInt64 = try r.read("header tensor count")
        let kvCount: UInt64 = try r.read("header metadata count")
        // Counts are checked against what the rest of the file could possibly hold, so a flipped
        // or garbage count is reported as such instead of as a truncation deep inside the table.
        guard kvCount <= UInt64(maxMetadataKeys) else {
            throw .implausible(path: path, what: "header claims \(kvCount) metadata entries")
        }
        guard tensorCount <= UInt64(maxTensors) else {
            throw .implausible(path: path, what: "header claims \(tensorCount) tensors")
        }
        let needed = Int(kvCount) * minMetadataEntryBytes + Int(tensorCount) * minTensorInfoBytes
        guard needed <= r.bytes.count - r.offset else {
            throw .truncated(path: path, what: "a table of \(kvCount) metadata entries and \(tensorCount) tensors",
                             offset: r.offset, needed: needed, fileSize: r.bytes.count)
        }

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for i in 0..<Int(kvCount) {
            let key = try r.readString("metadata key #\(i)", cap: maxKeyBytes)
            guard !key.isEmpty else { throw .implausible(path: path, what: "metadata key #\(i) is empty") }
            let code: UInt32 = try r.read("type of metadata \"\(key)\"")
            guard let kind = GGUFValue.Kind(rawValue: code) else {
                throw .unknownValueType(path: path, key: key, code: code)
            }
            let value = try r.readValue(kind, key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw .duplicateKey(path: path, key: key)
            }
            keys.append(key)
        }

        var alignment = 32
        if let a = metadata["general.alignment"] {
            // The specification makes it a uint32 and a multiple of 8; ggml needs a power of two.
            guard case .uint32(let raw) = a else {
                throw .implausible(path: path, what: "general.alignment is stored as \(a.typeName) \(a.summary); "
                    + "GGUF requires a uint32")
            }
            let v = Int(raw)
            guard v >= 8, v <= 1 << 20, v & (v - 1) == 0 else {
                throw .implausible(path: path, what: "general.alignment is \(v), expected a power of two from 8 to \(1 << 20)")
            }
            alignment = v
        }

        var infos: [(name: String, dims: [Int], code: UInt32, offset: UInt64)] = []
        infos.reserveCapacity(Int(tensorCount))
        for i in 0..<Int(tensorCount) {
            let name = try r.readString("name of tensor #\(i)", cap: maxKeyBytes)
            guard !name.isEmpty, name.utf8.count <= maxTensorNameBytes else {
                throw .implausible(path: path, what: "tensor #\(i) has a name of \(name.utf8.count) bytes "
                    + "(expected 1...\(maxTensorNameBytes))")
            }
            let nDims: UInt32 = try r.read("dimension count of tensor \(name)")
            guard nDims >= 1, nDims <= UInt32(maxDimensions) else {
                throw .badShape(path: path, tensor: name, reason: "\(nDims) dimensions (expected 1...\(maxDimensions))")
            }
            var dims: [Int] = []
            for d in 0..<Int(nDims) {
                let n: UInt64 = try r.read("dimension \(d) of tensor \(name)")
                guard n >= 1, n <= UInt64(Int32.max) else {
                    throw .badShape(path: path, tensor: name, reason: "dimension \(d) is \(n)")
                }
                dims.append(Int(n))
            }
            let code: UInt32 = try r.read("type of tensor \(name)")
            let offset: UInt64 = try r.read("data offset of tensor \(name)")
            infos.append((name, dims, code, offset))
        }

        let headerEnd = r.offset
        // Without tensors there is no data section, and writers may omit the trailing padding.
        let dataOffset = tensorCount == 0 ? headerEnd : (headerEnd + alignment - 1) / alignment * alignment
        guard dataOffset <= r.bytes.count else {
            throw .truncated(path: path, what: "data section", offset: headerEnd,
                             needed: dataOffset - headerEnd, fileSize: r.bytes.count)
        }
        let dataBytes = r.bytes.count - dataOffset

        var tensors: [GGUFTensorInfo] = []
        var seen = Set<String>()
        tensors.reserveCapacity(infos.count)
        for info in infos {
            guard seen.insert(info.name).inserted else { throw .duplicateTensor(path: path, name: info.name) }
            guard let type = GGMLType(rawValue: info.code) else {
                throw .unknownTensorType(path: path, tensor: info.name, code: info.code)
            }
            var elements = 1
            for d in info.dims {
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                guard !o, p <= 1 << 40 else {
                    throw .badShape(path: path, tensor: info.name, reason: "element count overflows")
                }
                elements = p
            }
            guard info.dims[0] % type.blockElements == 0, let size = type.byteCount(elements: elements) else {
                throw .badShape(path: path, tensor: info.name,
                                reason: "row length \(info.dims[0]) is not a multiple of the \(type) block size \(type.blockElements)")
            }
            guard info.offset <= UInt64(Int.max / 2) else {
                throw .tensorOutOfBounds(path: path, tensor: info.name, offset: Int.max, size: size, fileSize: r.bytes.count)
            }
            let offset = Int(info.offset)
            guard offset % alignment == 0 else {
                throw .misaligned(path: path, tensor: info.name, offset: offset, alignment: alignment)
            }
            guard offset + size <= dataBytes else {
                throw .tensorOutOfBounds(path: path, tensor: info.name, offset: dataOffset + offset,
                                         size: size, fileSize: r.bytes.count)
            }
            tensors.append(GGUFTensorInfo(name: info.name, dimensions: info.dims, type: type,
                                          offset: offset, byteCount: size, elementCount: elements))
        }
        // Overlapping tensors mean a corrupt (or crafted) table: refuse rather than alias data.
        let byOffset = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw .tensorsOverlap(path: path, first: a.name, second: b.name)
        }
        return Parsed(version: version, metadata: metadata, keys: keys, tensors: tensors,
                      alignment: alignment, dataOffset: dataOffset)
    }
}

/// What identifies a file's contents cheaply: if any field changes, the file changed on disk.
public struct FileIdentity: Sendable, Hashable {
    public var size: Int
    public var modificationTime: Int
    public var modificationNanos: Int
    public var inode: UInt64
    /// Device holding the inode (inode numbers are only unique per device).
    public var device: UInt64 = 0

    init(_ st: stat) {
        size = Int(st.st_size)
        modificationTime = st.st_mtim.tv_sec
        modificationNanos = st.st_mtim.tv_nsec
        inode = UInt64(st.st_ino)
        device = UInt64(st.st_dev)
    }

    /// Reads the identity of `path` now, or nil when it cannot be read.
    public static func current(of path: String) -> FileIdentity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileIdentity(st)
    }
}
