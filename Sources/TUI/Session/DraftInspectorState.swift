import Inference

/// What the draft inspector shows, updated from the event stream: the latest step's tree, the
/// answer's running statistics, and accepted drafts per step for the sparkline.
struct DraftInspectorState: Hashable {
    var lastStep: StepSummary?
    var stats = DecodeStats()
    var acceptedPerStep: [Int] = []
    /// Bumped on every change so the view can be drawn at most once per frame.
    private(set) var version = 0

    mutating func reset() {
        lastStep = nil; stats = DecodeStats(); acceptedPerStep = []; version += 1
    }

    mutating func record(_ step: StepSummary) {
        lastStep = step
        acceptedPerStep.append(step.acceptedDrafts)
        version += 1
    }

    mutating func record(_ stats: DecodeStats) {
        self.stats = stats; version += 1
    }

    /// Rebuilds from a finished answer (after /load, or when looking back at the last answer).
    mutating func restore(from turn: ChatTurn) {
        lastStep = nil
        stats = turn.stats ?? DecodeStats()
        acceptedPerStep = turn.acceptedDraftsPerStep
        version += 1
    }
}
