import Foundation
import Testing
@testable import Inference

@Suite struct LockedTests {
    /// Four threads add 1 each 20,000 times: without mutual exclusion increments get lost.
    @Test func incrementsFromManyThreadsAreNotLost() {
        let counter = Locked(0)
        let threads = 4, increments = 20_000
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<increments { counter.withLock { $0 += 1 } }
        }
        #expect(counter.withLock { $0 } == threads * increments)
    }

    @Test func returnsAndRethrowsWhatTheBodyDoes() {
        struct Failure: Error {}
        let list = Locked([1, 2])
        #expect(list.withLock { $0.append(3); return $0.count } == 3)
        #expect(throws: Failure.self) { try list.withLock { _ in throw Failure() } }
        // The lock was released by the throw: taking it again does not deadlock.
        #expect(list.withLock { $0 } == [1, 2, 3])
    }
}
