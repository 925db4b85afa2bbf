import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum AtomicFileError: Error, CustomStringConvertible {
    case io(path: String, operation: String, reason: String)
    public var description: String {
        switch self {
        case let .io(path, operation, reason): return "cannot \(operation) \(path): \(reason)"
        }
    }
}

/// Replaces a file's contents all at once: write a temporary file next to it, fsync it, rename
/// it over the target, fsync the directory. Readers see the old contents or the new, never a mix;
/// a failure (full disk, permissions) leaves the old file untouched.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, permissions: mode_t) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let tmp = (dir.isEmpty ? "." : dir) + "/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        func fail(_ op: String, _ p: String) -> AtomicFileError {
            .io(path: p, operation: op, reason: String(cString: strerror(errno)))
        }
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw fail("create", tmp) }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        do {
            defer { close(fd) }
            _ = fchmod(fd, permissions)  // not subject to the umask
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw fail("write", tmp)
                    }
                    done += n
                }
            }
            guard fsync(fd) == 0 else { throw fail("fsync", tmp) }
        }
        guard rename(tmp, path) == 0 else { throw fail("rename onto", path) }
        ok = true
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }
}
