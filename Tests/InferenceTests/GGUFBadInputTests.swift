import Foundation
import Testing
@testable import Inference

#if canImport(Glibc)
import Glibc
#endif

/// Damaged and hostile files: every one must give a typed `GGUFError` whose message names the
/// file, never a crash or an out-of-bounds read.
@Suite struct GGUFBadInputTests {
    /// Opens `bytes` written to a fresh file and returns the error the reader gave (nil: it opened).
    static func openError(_ bytes: [UInt8], name: String) -> (path: String, error: GGUFError?) {
        let path = TestModels.temporaryDirectory() + "/\(name).gguf"
        do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch { Issue.record("cannot write \(path): \(error)") }
        do {
            _ = try GGUFFile(path: path)
            return (path, nil)
        } catch {
            return (path, error)
        }
    }

    static func check(_ damages: [GGUFDamage], source: String) {
        for d in damages {
            let (path, error) = openError(d.bytes, name: d.name)
            guard let error else {
                Issue.record("\(source)/\(d.name) (\(d.summary)) was accepted")
                continue
            }
            #expect(d.expected.contains(error.kind), "\(source)/\(d.name) (\(d.summary)): got \(error.kind): \(error)")
            #expect(error.description.contains(path), "\(source)/\(d.name): message does not name the file: \(error)")
        }
    }

    @Test func sampleFileIsValid() throws {
        let (path, error) = Self.openError(GGUFDamage.sampleFile(), name: "sample")
        #expect(error == nil)
        let f = try GGUFFile(path: path)
        #expect(f.alignment == 64)
        #expect(f.tensors.map(\.name) == ["w.a", "w.b", "q.c"])
    }

    @Test func damagedSampleFiles() throws {
        let damages = try GGUFDamage.catalogue(from: GGUFDamage.sampleFile())
        // Every catalogue entry must apply to the sample: it was made to exercise all of them.
        #expect(damages.count >= 55, "only \(damages.count) damages")
        #expect(Set(damages.map(\.name)).count == damages.count, "damage names must be unique")
        let kinds = Set(damages.flatMap(\.expected))
        for k in [GGUFError.Kind.empty, .badMagic, .unsupportedVersion, .truncated, .implausible, .unknownValueType,
                  .invalidUTF8, .duplicateKey, .duplicateTensor, .unknownTensorType, .badShape, .misaligned,
                  .tensorOutOfBounds, .tensorsOverlap] {
            #expect(kinds.contains(k), "no damage expects \(k)")
        }
        Self.check(damages, source: "sample")
    }

    @Test func damagedStoriesCopies() throws {
        let valid = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestModels.stories260K)))
        let damages = try GGUFDamage.catalogue(from: valid)
        #expect(damages.count >= 45, "only \(damages.count) damages apply to stories260K")
        Self.check(damages, source: "stories260K")
    }

    /// Cuts at every offset of the header and metadata of the sample, and every 97th byte after.
    @Test func truncatedAtEveryOffset() throws {
        let valid = GGUFDamage.sampleFile()
        let map = try? GGUFFieldMap(bytes: valid)
        let dataStart = map?.dataSectionOffset ?? valid.count
        // q.c (34 bytes) is last; the padding after it may be cut without harm.
        let dataEnd = dataStart + (map?.tensor("q.c")?.dataOffset ?? 0) + 34
        let dir = TestModels.temporaryDirectory()
        var offsets = Array(0..<dataStart)
        offsets += stride(from: dataStart, to: dataEnd, by: 97)
        offsets.append(dataEnd - 1)
        for n in offsets {
            let path = dir + "/cut-\(n).gguf"
            try Data(valid[0..<n]).write(to: URL(fileURLWithPath: path))
            do {
                _ = try GGUFFile(path: path)
                Issue.record("file cut to \(n) of \(valid.count) bytes was accepted")
            } catch {
                #expect([.empty, .truncated, .implausible, .tensorOutOfBounds].contains(error.kind),
                        "cut at \(n): \(error)")
            }
        }
    }

    @Test func versionMessages() {
        var bigEndian = GGUFDamage.sampleFile()
        bigEndian.patch(UInt32(3).byteSwapped, at: GGUFFieldMap.versionOffset)
        let e1 = Self.openError(bigEndian, name: "be").error
        #expect(e1?.description.contains("big-endian") == true, "\(String(describing: e1))")
        var v1 = GGUFDamage.sampleFile()
        v1.patch(UInt32(1), at: GGUFFieldMap.versionOffset)
        let e2 = Self.openError(v1, name: "v1").error
        #expect(e2?.description.contains("version 1") == true, "\(String(describing: e2))")
    }

    @Test func arraysNestedTooDeeplyAreRefused() {
        var w = GGUFWriter()
        w.set("a.b", .array([.array([.array([.uint8(1)])])]))
        let e = Self.openError(w.serialized(), name: "nested").error
        #expect(e?.kind == .implausible, "\(String(describing: e))")
        var ok = GGUFWriter()
        ok.set("a.b", .array([.array([.uint8(1), .uint8(2)]), .array([])]))
        #expect(Self.openError(ok.serialized(), name: "nested-ok").error == nil)
    }

    /// Decoded arrays cost ~24 bytes per element however small the encoding: the reader caps the
    /// total so a file of arrays cannot demand many times its size in memory.
    @Test func arrayElementBudget() {
        var b: [UInt8] = Array("GGUF".utf8)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
        put(UInt32(3)); put(UInt64(0)); put(UInt64(1))
        put(UInt64(5)); b.append(contentsOf: "a.big".utf8)
        let count = GGUFByteReader.maxArrayElements + 1
        put(GGUFValue.Kind.array.rawValue); put(GGUFValue.Kind.uint8.rawValue); put(UInt64(count))
        b.append(contentsOf: [UInt8](repeating: 7, count: count))
        let e = Self.openError(b, name: "bigarray").error
        #expect(e?.kind == .implausible && e?.description.contains("array elements in all") == true, "\(String(describing: e))")
    }

    @Test func tensorNameLongerThan64BytesIsRefused() {
        // Built by hand: the writer refuses such names.
        var b: [UInt8] = Array("GGUF".utf8)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
        put(UInt32(3)); put(UInt64(1)); put(UInt64(0))
        let name = String(repeating: "x", count: 65)
        put(UInt64(65)); b.append(contentsOf: name.utf8)
        put(UInt32(1)); put(UInt64(8)); put(GGMLType.f32.rawValue); put(UInt64(0))
        while b.count % 32 != 0 { b.append(0) }
        b.append(contentsOf: [UInt8](repeating: 0, count: 32))
        let e = Self.openError(b, name: "longname").error
        #expect(e?.kind == .implausible && e?.description.contains("65 bytes") == true, "\(String(describing: e))")
    }

    @Test func fileWithoutTensorsNeedsNoPadding() throws {
        var w = GGUFWriter()
        w.set("general.architecture", .string("vocab-only"))
        var bytes = w.serialized()
        let map = try GGUFFieldMap(bytes: bytes)
        bytes.removeSubrange(map.headerEnd...)  // drop the alignment padding
        let (path, error) = Self.openError(bytes, name: "notensors")
        #expect(error == nil, "\(String(describing: error))")
        let f = try GGUFFile(path: path)
        #expect(f.tensors.isEmpty)
        #expect(f.string("general.architecture") == "vocab-only")
    }

    @Test func alignmentMustBeUInt32() throws {
        var w = GGUFWriter()
        w.set("general.alignment", .uint64(32))
        let e = Self.openError(w.serialized(), name: "align64").error
        #expect(e?.kind == .implausible && e?.description.contains("uint32") == true, "\(String(describing: e))")
    }

    // MARK: Files that are not regular, readable files

    @Test func emptyFile() {
        let e = Self.openError([], name: "empty").error
        #expect(e?.kind == .empty)
    }

    @Test func directory() {
        let dir = TestModels.temporaryDirectory()
        #expect(throws: GGUFError.notARegularFile(path: dir, kind: "a directory")) { try GGUFFile(path: dir) }
    }

    @Test func fifoIsRefusedWithoutBlocking() {
        let path = TestModels.temporaryDirectory() + "/pipe.gguf"
        #expect(mkfifo(path, 0o600) == 0)
        // Opening a FIFO without O_NONBLOCK would wait here for a writer forever.
        #expect(throws: GGUFError.notARegularFile(path: path, kind: "a FIFO (named pipe)")) { try GGUFFile(path: path) }
    }

    @Test func deviceIsRefused() {
        #expect(throws: GGUFError.notARegularFile(path: "/dev/null", kind: "a device")) { try GGUFFile(path: "/dev/null") }
    }

    @Test func missingFile() {
        let path = TestModels.temporaryDirectory() + "/absent.gguf"
        #expect(throws: GGUFError.cannotOpen(path: path, reason: "No such file or directory")) { try GGUFFile(path: path) }
    }

    @Test func symlinkLoop() {
        let dir = TestModels.temporaryDirectory()
        #expect(symlink(dir + "/b", dir + "/a") == 0 && symlink(dir + "/a", dir + "/b") == 0)
        do {
            _ = try GGUFFile(path: dir + "/a")
            Issue.record("a symlink loop was opened")
        } catch {
            #expect(error.kind == .cannotOpen)
        }
    }

    /// An unreadable file. Root may read any file whatever its mode, so as root this uses a
    /// write-only sysctl, which the kernel refuses to read even to root.
    @Test func unreadableFile() throws {
        let path: String
        if geteuid() == 0 {
            path = "/proc/sys/vm/drop_caches"
            try #require(FileManager.default.fileExists(atPath: path), "no /proc/sys/vm/drop_caches to test with")
        } else {
            path = TestModels.temporaryDirectory() + "/locked.gguf"
            try Data(GGUFDamage.sampleFile()).write(to: URL(fileURLWithPath: path))
            #expect(chmod(path, 0) == 0)
        }
        #expect(throws: GGUFError.cannotOpen(path: path, reason: "Permission denied")) { try GGUFFile(path: path) }
    }

    // MARK: Changed on disk

    @Test func detectsReplacementResizeAndDeletion() throws {
        let path = TestModels.temporaryDirectory() + "/model.gguf"
        let bytes = GGUFDamage.sampleFile()
        try GGUFWriter.writeRaw(bytes, to: path)
        let f = try GGUFFile(path: path)
        #expect(!f.hasChangedOnDisk)
        try f.checkUnchangedOnDisk()

        // Atomic replacement with identical contents: new inode.
        try AtomicFile.write(Data(bytes), to: path, permissions: 0o644)
        #expect(f.hasChangedOnDisk)
        #expect(throws: GGUFError.changedOnDisk(path: path)) { try f.checkUnchangedOnDisk() }
        // The old mapping stays readable after the replacement.
        #expect(f.data(for: f.tensors[0]).count == 48 * 2 * 4)

        let g = try GGUFFile(path: path)
        #expect(!g.hasChangedOnDisk)
        let h = try #require(FileHandle(forWritingAtPath: path))
        h.seekToEndOfFile()
        h.write(Data([0]))
        try h.close()
        #expect(g.hasChangedOnDisk)

        let k = try GGUFFile(path: path)
        #expect(unlink(path) == 0)
        #expect(k.hasChangedOnDisk)
    }
}

extension GGUFWriter {
    /// Writes raw bytes (test helper).
    static func writeRaw(_ bytes: [UInt8], to path: String) throws {
        try AtomicFile.write(Data(bytes), to: path, permissions: 0o644)
    }
}
