import Foundation
import Testing
@testable import Inference

private final class Counters: Sendable {
    private let state: Locked<(hits: [Int], maxWorker: Int)>
    init(_ count: Int) { state = Locked((hits: [Int](repeating: 0, count: count), maxWorker: -1)) }

    func record(_ index: Int, worker: Int = 0) {
        state.withLock {
            $0.hits[index] += 1
            $0.maxWorker = max($0.maxWorker, worker)
        }
    }

    var hits: [Int] { state.withLock { $0.hits } }
    var maxWorker: Int { state.withLock { $0.maxWorker } }
}

@Suite struct ThreadPoolTests {
    @Test(arguments: [1, 2, 3])
    func everyIndexRunsExactlyOnce(threads: Int) {
        let pool = ThreadPool(threads: threads, spinIterations: 50)
        for count in [0, 1, 2, 3, 7, 64, 1000] {
            for _ in 0..<20 {
                let counters = Counters(count)
                pool.parallelFor(count) { i, worker in counters.record(i, worker: worker) }
                let hits = counters.hits
                let wrong = (0..<count).filter { hits[$0] != 1 }
                #expect(wrong.isEmpty, "threads \(threads) count \(count): indices run != once: \(wrong.prefix(5))")
                #expect(counters.maxWorker < threads)
            }
        }
    }

    @Test func workersWakeFromSleep() {
        // Spin briefly so the workers go to sleep between jobs, then check that jobs still finish
        // and that a second worker does take part.
        let pool = ThreadPool(threads: 2, spinIterations: 1)
        var sawWorker1 = false
        for _ in 0..<30 {
            usleep(2000)
            let counters = Counters(64)
            pool.parallelFor(64) { (i: Int, worker: Int) in
                if worker == 0 { usleep(50) }  // give the woken worker time to take indices
                counters.record(i, worker: worker)
            }
            #expect(counters.hits.allSatisfy { $0 == 1 })
            if counters.maxWorker == 1 { sawWorker1 = true }
        }
        #expect(sawWorker1)
    }

    @Test func resultsMatchSerialSum() {
        let pool = ThreadPool(threads: 2)
        let n = 10_000
        let partial = UnsafeMutablePointer<Int>.allocate(capacity: n)
        defer { partial.deallocate() }
        for round in 0..<50 {
            pool.parallelFor(n) { i in partial[i] = i * round }
            var total = 0
            for i in 0..<n { total += partial[i] }
            #expect(total == round * n * (n - 1) / 2)
        }
    }

    @Test func concurrentCallersAreSerialized() async {
        let pool = ThreadPool(threads: 2)
        await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<4 {
                group.addTask {
                    var ok = true
                    for _ in 0..<100 {
                        let counters = Counters(37 + caller)
                        pool.parallelFor(37 + caller) { i in counters.record(i) }
                        ok = ok && counters.hits.allSatisfy { $0 == 1 }
                    }
                    return ok
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    /// Many tiny jobs back to back: late workers must never run a finished job's indices or
    /// take indices of the next job.
    @Test func manyShortJobs() {
        let pool = ThreadPool(threads: 3, spinIterations: 20)
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: 16)
        defer { slots.deallocate() }
        var random = TestRandom(seed: 5)
        for job in 1...20_000 {
            let count = random.int(1..<17)
            pool.parallelFor(count) { i in slots[i] = job }
            for i in 0..<count where slots[i] != job {
                Issue.record("job \(job): index \(i) not run")
                return
            }
        }
    }

    @Test func poolsShutDown() {
        for _ in 0..<20 {
            let pool = ThreadPool(threads: 3, spinIterations: 10)
            pool.parallelFor(10) { _ in }
        }
        #expect(ThreadPool.activeProcessorCount >= 1)
        #expect(ThreadPool().threads == ThreadPool.activeProcessorCount)
    }
}
