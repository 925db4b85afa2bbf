import Foundation

/// Wall time of one forward pass as a function of its row count n, measured on this machine.
/// Seeded by a short calibration (cached on disk per model and thread count), then tracked
/// online from real steps.
///
/// cost(n) = speed * milliseconds[n - 1]. Every observed step, whatever its size, moves `speed`
/// (how fast the machine runs now against the calibration), and its own size's entry
/// (what a step of that size costs relative to the rest). Both matter: a decoder that always
/// drafts never times a one-row step, and one that decodes plainly times a three-row step only
/// when it explores, so without a shared factor the sizes it does not run keep the machine
/// speed of the calibration. On a 2-core VM whose speed drifts by up to 1.5x within an hour,
/// that left the chooser comparing today's drafting steps with yesterday's plain ones, and
/// with two threads its choice flipped between drafting and not from one run to the next.
public struct StepCostModel: Sendable, Codable {
    /// milliseconds[n - 1] for n = 1 ... maxRows, at the calibration's speed.
    public private(set) var milliseconds: [Double]
    /// The machine's current speed against the calibration (2 = steps take twice as long).
    public private(set) var speed: Double = 1

    public static let calibrationSizes = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]

    /// Weight of one step in the shared speed factor, and in its own size's entry.
    /// The speed learns faster than the entries, so a drift seen only in the sizes being run
    /// reaches the others: with only three-row steps observed after the machine became 1.5x
    /// slower, cost(1) follows ~3/4 of the way (~1.4x); the observed size itself is within 5%
    /// after ~14 steps.
    static let speedWeight = 0.1, sizeWeight = 0.03

    public init(measured: [Int: Double], maxRows: Int = 256) {
        let points = measured.sorted { $0.key < $1.key }
        precondition(!points.isEmpty)
        milliseconds = (1...maxRows).map { n in
            if let exact = measured[n] { return exact }
            if n < points[0].key { return points[0].value }
            for (a, b) in zip(points, points.dropFirst()) where n > a.key && n < b.key {
                let t = Double(n - a.key) / Double(b.key - a.key)
                return a.value + t * (b.value - a.value)
            }
            // Beyond the last point: extend the last segment's slope.
            let last = points[points.count - 1]
            let prev = points.count > 1 ? points[points.count - 2] : (key: 0, value: 0.0)
            let slope = (last.value - prev.value) / Double(max(1, last.key - prev.key))
            return last.value + slope * Double(n - last.key)
        }
    }

    private enum CodingKeys: String, CodingKey { case milliseconds, speed }

    /// Reads curves cached before `speed` existed as speed 1.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        milliseconds = try c.decode([Double].self, forKey: .milliseconds)
        speed = try c.decodeIfPresent(Double.self, forKey: .speed) ?? 1
    }

    public func cost(_ n: Int) -> Double {
        speed * milliseconds[min(max(n, 1), milliseconds.count) - 1]
    }

    /// One real step of n rows took `ms`: the shared speed moves 10% of the way to what this
    /// step says, then this size's entry 3% of the way to the step at the new speed. A step is
    /// counted as at most twice (at least half) its expected time, so one step stalled by the
    /// scheduler moves the speed by 10% at most.
    public mutating func observe(rows n: Int, milliseconds ms: Double) {
        guard n >= 1, n <= milliseconds.count, ms.isFinite, ms > 0 else { return }
        let expected = cost(n)
        let ratio = min(max(ms / expected, 0.5), 2)
        speed *= 1 + Self.speedWeight * (ratio - 1)
        milliseconds[n - 1] = (1 - Self.sizeWeight) * milliseconds[n - 1] + Self.sizeWeight * ratio * expected / speed
    }

    /// cost(n) / cost(1) for display and benchmarks.
    public func relative(_ n: Int) -> Double { cost(n) / cost(1) }
}
