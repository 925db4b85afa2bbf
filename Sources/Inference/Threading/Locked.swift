#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a pthread mutex: `withLock` gives one thread at a time `inout` access.
///
/// Why not `Synchronization.Mutex`: with this toolchain on Linux its lock lives in the
/// uninstrumented Swift runtime, so ThreadSanitizer sees no happens-before edge and reports
/// every guarded access as a race. pthread locks are intercepted by TSan, so with `Locked` a
/// TSan report means a real race. Uncontended lock + unlock costs ~20 ns here; every user takes
/// it at most a few hundred times per decoded token.
public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value. Not reentrant: calling `withLock` on the
    /// same instance from inside `body` deadlocks.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
