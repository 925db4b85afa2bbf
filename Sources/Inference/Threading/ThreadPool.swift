import CKernels
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed set of worker threads for data-parallel loops. The calling thread takes part as
/// worker 0, so `ThreadPool(threads: 2)` starts one extra thread. Threads are created once;
/// between jobs they spin for a short while (jobs in a forward pass come every few
/// microseconds) and then sleep on a condition variable.
///
/// Concurrent `parallelFor` calls from different threads are serialized (one job at a time);
/// calling `parallelFor` from inside a body deadlocks.
public final class ThreadPool: @unchecked Sendable {
    /// Workers including the calling thread.
    public let threads: Int

    /// How long an idle worker spins before it sleeps, in `pause` instructions.
    let spinIterations: Int

    // One job at a time. `work` packs the job's generation (high 32 bits) and the next
    // unclaimed index (low 32 bits): a thread claims an index by compare-and-swap, which fails
    // if a new job has started, so a worker that wakes up late can never run a stale job or
    // steal an index of the next one. The caller waits for `completed` to reach the count, not
    // for every worker to check in: a descheduled worker costs nothing (on a busy machine the
    // caller simply runs more of the indices itself).
    private let work = Atomic<UInt64>(0)
    private let completed = Atomic<Int>(0)
    private let jobCount = Atomic<Int>(0)
    private let jobBody = Atomic<UInt>(0)  // UnsafePointer<(Int, Int) -> Void> bit pattern
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)

    /// The workspace `matmul(_:_:n:_:pool:)` uses, created on first use and guarded so that
    /// concurrent callers take turns.
    let defaultWorkspace = Locked<MatmulWorkspace?>(nil)

    /// Held by the caller for the whole of a job.
    private let callerLock = Locked<Void>(())
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private var workerThreads: [pthread_t] = []

    /// Processors this process may run on (sched_getaffinity), at least 1.
    public static var activeProcessorCount: Int {
        Int(bita_active_cpu_count())
    }

    /// - Parameters:
    ///   - threads: workers including the caller (default: the active processor count).
    ///   - spinIterations: `pause` instructions an idle worker spins before sleeping (4000 is
    ///     roughly 0.1-0.3 ms, depending on the CPU's pause latency).
    public init(threads: Int = ThreadPool.activeProcessorCount, spinIterations: Int = 4000) {
        self.threads = max(1, threads)
        self.spinIterations = spinIterations
        mutex = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        for worker in 1..<self.threads {
            let context = Unmanaged.passRetained(WorkerContext(pool: self, worker: worker))
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.pool.workerLoop(context.worker)
                return nil
            }, context.toOpaque())
            precondition(rc == 0, "ThreadPool: pthread_create failed (\(rc))")
            workerThreads.append(thread)
        }
    }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        let generation = ((work.load(ordering: .sequentiallyConsistent) >> 32) &+ 1) & 0xFFFF_FFFF
        work.store(generation << 32 | 0xFFFF_FFFF, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
        for thread in workerThreads { pthread_join(thread, nil) }
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        wake.deallocate()
    }

    /// Runs `body(index)` for every index in 0..<count, spread over the workers; returns when
    /// all are done. Indices are handed out one at a time in increasing order, so give each
    /// index a sizeable piece of work (e.g. a range of rows).
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        parallelFor(count) { index, _ in body(index) }
    }

    /// As `parallelFor(_:_:)`, also passing the worker number (0..<threads, 0 = the
    /// caller), e.g. to pick a per-thread scratch buffer.
    public func parallelFor(_ count: Int, _ body: (_ index: Int, _ worker: Int) -> Void) {
        if count <= 0 { return }
        if threads == 1 || count == 1 {
            for i in 0..<count { body(i, 0) }
            return
        }
        callerLock.withLock { _ in runJob(count, body) }
    }

    private func runJob(_ count: Int, _ body: (_ index: Int, _ worker: Int) -> Void) {
        precondition(count < Int(UInt32.max), "parallelFor: too many indices")
        withoutActuallyEscaping(body) { escapable in
            withUnsafePointer(to: escapable) { pointer in
                // Two generations per job. First `closed` (no index can be claimed): a worker
                // still looking at the previous job then fails its compare-and-swap instead of
                // claiming an index against this job's count and body, which would run an index
                // twice and let this call return while an index still runs. Then `generation`,
                // with the job's fields in place.
                let base = work.load(ordering: .relaxed) >> 32
                let closed = (base &+ 1) & 0xFFFF_FFFF, generation = (base &+ 2) & 0xFFFF_FFFF
                work.store(closed << 32 | 0xFFFF_FFFF, ordering: .sequentiallyConsistent)
                jobCount.store(count, ordering: .relaxed)
                jobBody.store(UInt(bitPattern: pointer), ordering: .relaxed)
                completed.store(0, ordering: .relaxed)
                work.store(generation << 32, ordering: .sequentiallyConsistent)  // publishes the above
                if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                    pthread_mutex_lock(mutex)
                    pthread_cond_broadcast(wake)
                    pthread_mutex_unlock(mutex)
                }
                runIndices(generation: generation, worker: 0)
                var spins = 0
                while completed.load(ordering: .acquiring) < count {
                    spins += 1
                    if spins & 1023 == 0 { sched_yield() } else { bita_cpu_relax() }
                }
            }
        }
    }

    /// Claims and runs indices of job `generation` until none are left or another job started.
    @inline(never)
    private func runIndices(generation: UInt64, worker: Int) {
        while true {
            let current = work.load(ordering: .acquiring)
            if current >> 32 != generation { return }
            let index = Int(current & 0xFFFF_FFFF)
            if index >= jobCount.load(ordering: .relaxed) { return }
            guard work.compareExchange(expected: current, desired: current &+ 1, ordering: .acquiringAndReleasing).exchanged
            else { continue }
            // The claim pins the job: its caller waits for this index to complete.
            let body = UnsafePointer<(Int, Int) -> Void>(bitPattern: jobBody.load(ordering: .relaxed))!
            body.pointee(index, worker)
            completed.add(1, ordering: .releasing)
        }
    }

    private func workerLoop(_ worker: Int) {
        var seen: UInt64 = 0
        while true {
            var spins = 0
            while work.load(ordering: .acquiring) >> 32 == seen {
                if spins < spinIterations {
                    bita_cpu_relax()
                    spins += 1
                    continue
                }
                pthread_mutex_lock(mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while work.load(ordering: .sequentiallyConsistent) >> 32 == seen {
                    pthread_cond_wait(wake, mutex)
                }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            if stopping.load(ordering: .acquiring) { return }
            seen = work.load(ordering: .acquiring) >> 32
            runIndices(generation: seen, worker: worker)
        }
    }
}

private final class WorkerContext {
    // Unowned: the pool's deinit joins its threads before its storage goes away.
    unowned(unsafe) let pool: ThreadPool
    let worker: Int
    init(pool: ThreadPool, worker: Int) {
        self.pool = pool
        self.worker = worker
    }
}
