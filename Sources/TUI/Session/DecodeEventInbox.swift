import Inference

/// Hands decoder events from the consuming task to the UI loop. The consumer never waits for the
/// UI (the decoder is never slowed by drawing); the UI drains everything that arrived once per tick.
/// The first event posted into an empty inbox wakes the loop through `wake`.
final class DecodeEventInbox: Sendable {
    enum Entry: Sendable {
        case event(DecodeEvent)
        /// The stream ended (after `.finished`, or without it if the backend stopped early).
        case ended
    }

    private let pending = Locked<[(generation: Int, entry: Entry)]>([])
    let wake = WakePipe()

    func post(_ entry: Entry, generation: Int) {
        let wasEmpty = pending.withLock { queue in
            let wasEmpty = queue.isEmpty
            queue.append((generation, entry))
            return wasEmpty
        }
        if wasEmpty { wake.notify() }
    }

    func drain() -> [(generation: Int, entry: Entry)] {
        // Empty the pipe first: an event posted after this point either is taken below or
        // writes a fresh byte, so none can sit unseen while the loop sleeps.
        wake.drain()
        return pending.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
    }
}
