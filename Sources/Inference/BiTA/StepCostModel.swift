import Foundation

/// Wall time of one forward pass as a function of its row count n, measured on this machine.
/// Seeded by a short calibration (cached on disk per model and thread count), then tracked
/// online with an exponential moving average of real steps.
public struct StepCostModel: Sendable, Codable {
    /// milliseconds[n - 1] for n = 1 ... maxRows.
    public private(set) var milliseconds: [Double]

    public static let calibrationSizes = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]

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

    public func cost(_ n: Int) -> Double {
        milliseconds[min(max(n, 1), milliseconds.count) - 1]
    }

    public mutating func observe(rows n: Int, milliseconds ms: Double) {
        guard n >= 1, n <= milliseconds.count, ms.isFinite, ms > 0 else { return }
        milliseconds[n - 1] = 0.9 * milliseconds[n - 1] + 0.1 * ms
    }

    /// cost(n) / cost(1) for display and benchmarks.
    public func relative(_ n: Int) -> Double { cost(n) / cost(1) }
}
