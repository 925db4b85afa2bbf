import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file so that readers (and a crash at any instant) see either the old content or
/// the new one, never a mix: write a temporary file in the same directory (created 0600 with
/// O_EXCL, so nobody else can hold it), fsync it, rename it over the target, fsync the directory.
/// On any failure the temporary file is removed and the target is untouched.
struct AtomicFileWriter: Sendable {
    enum Stage: Sendable { case create, write, sync, rename }

    var permissions: mode_t = 0o600
    /// Test seam: return an errno to make that stage fail as if the system had refused it
    /// (e.g. ENOSPC at `.write` for a full disk).
    var injectFault: (@Sendable (Stage) -> Int32?)?

    init(permissions: mode_t = 0o600, injectFault: (@Sendable (Stage) -> Int32?)? = nil) {
        self.permissions = permissions; self.injectFault = injectFault
    }

    func write(_ data: Data, to path: String) throws(TranscriptError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

        func fail(_ stage: String, _ code: Int32) -> TranscriptError {
            .writeFailed(path: path, reason: "\(stage): \(String(cString: strerror(code)))")
        }

        if let e = injectFault?(.create) { throw fail("creating a temporary file", e) }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, permissions)
        guard fd >= 0 else { throw fail("creating a temporary file in \(directory)", errno) }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
        }
        // The mode given to open() is filtered by the umask; set it exactly.
        _ = fchmod(fd, permissions)

        let writeError: Int32? = data.withUnsafeBytes { raw -> Int32? in
            guard var p = raw.baseAddress else { return nil }
            var left = raw.count
            while left > 0 {
                if let e = injectFault?(.write) { return e }
                let n = Glibc.write(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                left -= n
                p += n
            }
            return nil
        }
        if let writeError { throw fail("writing", writeError) }
        if let e = injectFault?(.sync) { throw fail("flushing to disk", e) }
        if fsync(fd) != 0 { throw fail("flushing to disk", errno) }
        closed = true
        if close(fd) != 0 { throw fail("closing", errno) }
        if let e = injectFault?(.rename) { throw fail("replacing the file", e) }
        if rename(temporary, path) != 0 { throw fail("replacing the file", errno) }
        renamed = true
        // Make the rename itself durable.
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 { _ = fsync(dirfd); close(dirfd) }
    }
}
