import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Gives readers that take a path (the GGUF reader maps its file) a file holding fuzz input:
/// an anonymous in-memory file (memfd) opened through /proc/self/fd, so nothing is left on disk
/// even when the process dies; a temporary file where memfd is unavailable. Each call makes its
/// own file, so concurrent callers (parallel tests) never share one.
enum FuzzInputFile {
    private typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
    /// memfd_create is not exported by the Glibc module (it needs _GNU_SOURCE); look it up.
    private static let memfdCreate: MemfdCreate? = {
        guard let symbol = dlsym(nil, "memfd_create") else { return nil }
        return unsafeBitCast(symbol, to: MemfdCreate.self)
    }()
    private static let cloexec: UInt32 = 1  // MFD_CLOEXEC

    static func with<R>(_ bytes: [UInt8], _ body: (String) throws(FuzzPropertyViolation) -> R) throws(FuzzPropertyViolation) -> R {
        var fd: Int32 = -1
        var path: String
        var unlinkAfter = false
        if let create = memfdCreate, case let m = create("bita-fuzz-input", cloexec), m >= 0 {
            fd = m
            path = "/proc/self/fd/\(m)"
        } else {
            var template = Array((NSTemporaryDirectory() + "/bita-fuzz-XXXXXX").utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { fatalError("cannot create a temporary file for fuzz input: \(String(cString: strerror(errno)))") }
            path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            unlinkAfter = true
        }
        defer {
            close(fd)
            if unlinkAfter { unlink(path) }
        }
        var written = 0
        bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; fatalError("cannot write fuzz input: \(String(cString: strerror(errno)))") }
                written += n
            }
        }
        return try body(path)
    }
}
