import Inference

/// Hands decoder events from the consuming task to the UI loop. The consumer never waits for the
/// UI (the decoder is never slowed by drawing); the UI drains everything that arrived once per tick.
final class DecodeEventInbox: Sendable {
    enum Entry: Sendable {
        case event(DecodeEvent)
        /// The stream ended (after `.finished`, or without it if the backend stopped early).
        case ended
    }

    private let pending = Locked<[(generation: Int, entry: Entry)]>([])

    func post(_ entry: Entry, generation: Int) {
        pending.withLock { $0.append((generation, entry)) }
    }

    func drain() -> [(generation: Int, entry: Entry)] {
        pending.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
    }
}
