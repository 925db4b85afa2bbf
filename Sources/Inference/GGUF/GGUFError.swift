/// Why a GGUF file was refused. Every message names the file and says what is wrong with it.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case notARegularFile(path: String, kind: String)
    case empty(path: String)
    case badMagic(path: String, found: String)
    case unsupportedVersion(path: String, version: UInt32)
    case truncated(path: String, what: String, offset: Int, needed: Int, fileSize: Int)
    case implausible(path: String, what: String)
    case unknownValueType(path: String, key: String, code: UInt32)
    case invalidUTF8(path: String, what: String)
    case duplicateKey(path: String, key: String)
    case duplicateTensor(path: String, name: String)
    case unknownTensorType(path: String, tensor: String, code: UInt32)
    case badShape(path: String, tensor: String, reason: String)
    case misaligned(path: String, tensor: String, offset: Int, alignment: Int)
    case tensorOutOfBounds(path: String, tensor: String, offset: Int, size: Int, fileSize: Int)
    case tensorsOverlap(path: String, first: String, second: String)
    /// The file's size, modification time or inode differ from when it was opened.
    case changedOnDisk(path: String)

    /// The case without its payload: lets callers and tests branch on what went wrong.
    public enum Kind: String, Sendable, CaseIterable {
        case cannotOpen, notARegularFile, empty, badMagic, unsupportedVersion, truncated, implausible
        case unknownValueType, invalidUTF8, duplicateKey, duplicateTensor, unknownTensorType, badShape
        case misaligned, tensorOutOfBounds, tensorsOverlap, changedOnDisk
    }

    public var kind: Kind {
        switch self {
        case .cannotOpen: return .cannotOpen
        case .notARegularFile: return .notARegularFile
        case .empty: return .empty
        case .badMagic: return .badMagic
        case .unsupportedVersion: return .unsupportedVersion
        case .truncated: return .truncated
        case .implausible: return .implausible
        case .unknownValueType: return .unknownValueType
        case .invalidUTF8: return .invalidUTF8
        case .duplicateKey: return .duplicateKey
        case .duplicateTensor: return .duplicateTensor
        case .unknownTensorType: return .unknownTensorType
        case .badShape: return .badShape
        case .misaligned: return .misaligned
        case .tensorOutOfBounds: return .tensorOutOfBounds
        case .tensorsOverlap: return .tensorsOverlap
        case .changedOnDisk: return .changedOnDisk
        }
    }

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open \(path): \(reason)"
        case let .notARegularFile(path, kind):
            return "\(path) is \(kind), not a model file"
        case let .empty(path):
            return "\(path) is empty (0 bytes): not a GGUF model; download it again"
        case let .badMagic(path, found):
            return "\(path) is not a GGUF file (starts with \(found), expected \"GGUF\")"
        case let .unsupportedVersion(path, version):
            if version != 0, version & 0xFFFF == 0 {
                // A small version number read with the wrong byte order lands in the high half.
                return "\(path) looks like a big-endian GGUF file (version field reads \(version), "
                    + "byte-swapped \(version.byteSwapped)); only little-endian GGUF files are supported"
            }
            if version == 1 {
                return "\(path) uses GGUF version 1 (the 2023 draft format), which is no longer supported; "
                    + "convert the model again with a current llama.cpp (versions 2 and 3 are supported)"
            }
            return "\(path) uses GGUF version \(version); supported versions are 2 and 3"
        case let .truncated(path, what, offset, needed, fileSize):
            return "\(path) is truncated: \(what) at offset \(offset) needs \(needed) bytes but the file has \(fileSize) bytes"
        case let .implausible(path, what):
            return "\(path) looks corrupt: \(what)"
        case let .unknownValueType(path, key, code):
            return "\(path): metadata key \"\(key)\" has unknown value type \(code)"
        case let .invalidUTF8(path, what):
            return "\(path): \(what) is not valid UTF-8"
        case let .duplicateKey(path, key):
            return "\(path): metadata key \"\(key)\" appears twice"
        case let .duplicateTensor(path, name):
            return "\(path): tensor \(name) appears twice"
        case let .unknownTensorType(path, tensor, code):
            return "\(path): tensor \(tensor) has type \(code), which bita-chat does not support "
                + "(supported: \(GGMLType.allCases.map(\.description).joined(separator: ", ")))"
        case let .badShape(path, tensor, reason):
            return "\(path): tensor \(tensor) has an invalid shape: \(reason)"
        case let .misaligned(path, tensor, offset, alignment):
            return "\(path): tensor \(tensor) data offset \(offset) is not a multiple of the alignment \(alignment)"
        case let .tensorOutOfBounds(path, tensor, offset, size, fileSize):
            return "\(path): tensor \(tensor) extends past end of file (offset \(offset), size \(size), file \(fileSize))"
        case let .tensorsOverlap(path, first, second):
            return "\(path): tensors \(first) and \(second) overlap in the file"
        case let .changedOnDisk(path):
            return "\(path) changed on disk after it was opened; load it again"
        }
    }
}
