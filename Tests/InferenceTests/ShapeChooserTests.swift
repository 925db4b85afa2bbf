import Foundation
import Testing
@testable import Inference

/// The adaptive tree-shape choice: expected tokens from acceptance statistics, backing off when
/// drafts do not pay, and the memory shared by the decoders of one engine.
@Suite struct ShapeChooserTests {
    /// Costs shaped like the measured ones: extra rows are cheap at first, then grow linearly.
    static let costs = StepCostModel(measured: [1: 10, 2: 11.4, 4: 13.7, 8: 19.5, 16: 30, 64: 155])

    @Test func expectedTokensOfAChainAndATree() throws {
        // Prior 0.5 / 0.4 at depths 1 / 2; lower ranks share what the top leaves: 0.25 * (1 - top).
        let stats = AcceptanceStatistics(maxDepth: 2, prior: [0.5, 0.4])
        #expect(abs(stats.expectedTokens(try TreeShape(parsing: "1,1", maskCount: 2)) - (1 + 0.5 + 0.5 * 0.4)) < 1e-12)
        // Two candidates at depth 1: 0.5 + 0.125 of the time depth 1 yields a token; only the
        // top one continues to depth 2.
        #expect(abs(stats.expectedTokens(try TreeShape(parsing: "2,1", maskCount: 2)) - (1 + 0.625 + 0.5 * 0.4)) < 1e-12)
        #expect(stats.expectedTokens(.autoregressive) == 1)
    }

    @Test func forgetsOldObservations() {
        var stats = AcceptanceStatistics(maxDepth: 1, prior: [0.5])
        for _ in 0..<1000 { stats.record(depth: 1, candidates: 1, acceptedRank: nil) }
        #expect(stats.rate(depth: 1, rank: 0) < 0.01)
        for _ in 0..<128 { stats.record(depth: 1, candidates: 1, acceptedRank: 0) }
        // With a memory of 64 observations, 128 recent acceptances dominate 1,000 old rejections.
        #expect(stats.rate(depth: 1, rank: 0) > 0.8)
    }

    /// Drives a chooser through `steps` steps in which every draft is rejected (a random
    /// adapter); returns how many steps drafted.
    static func runRejected(_ chooser: inout ShapeChooser, steps: Int) -> Int {
        var drafting = 0
        var pendingDrafts = false
        for _ in 0..<steps {
            let shape = chooser.choose()
            if shape != .autoregressive { drafting += 1 }
            if pendingDrafts {
                for (d, c) in shape.candidates.enumerated() where d == 0 {
                    chooser.record(depth: d + 1, candidates: c, acceptedRank: nil)
                }
            }
            pendingDrafts = shape.groupSize > 0
        }
        return drafting
    }

    @Test func backsOffWhenDraftsAreRejectedAndStillExplores() {
        var chooser = ShapeChooser(maskCount: 3, costModel: Self.costs, prior: nil)
        let drafting = Self.runRejected(&chooser, steps: 320)
        // A few steps while the optimistic prior fades, then two in every 16 steps, backing off
        // to two in every 64 while explorations keep failing.
        #expect(drafting >= 2 * 320 / 64, "never explores: \(drafting)")
        #expect(drafting <= 10 + 2 * 8, "does not back off: \(drafting)")
        #expect(chooser.exploreInterval == 64)
    }

    @Test func draftsWhenDraftsPay() {
        var chooser = ShapeChooser(maskCount: 3, costModel: Self.costs, prior: [0.9, 0.8, 0.7])
        let shape = chooser.choose()
        #expect(shape != .autoregressive)
        #expect(chooser.expectedTokensPerMillisecond(shape) > chooser.expectedTokensPerMillisecond(.autoregressive))
    }

    /// A lean shape's rate counts the undrafted steps that follow a step ending off its spine.
    @Test func leanShapesPayWhereRowsAreDear() throws {
        // Extra rows dear (AVX2-like): 4 rows cost 1.6x one.
        let dear = StepCostModel(measured: [1: 10, 2: 11, 3: 13, 4: 16, 8: 30, 16: 58, 64: 230])
        var chooser = ShapeChooser(maskCount: 3, costModel: dear, prior: [0.5, 0.3, 0.2])
        let lean = try TreeShape(parsing: "1/g1/lean", maskCount: 3)
        let full = try TreeShape(parsing: "1/g1", maskCount: 3)
        #expect(chooser.statistics.spineAcceptance(lean) == 0.5)
        // (1.5 tokens + 0.5 undrafted steps' tokens) / (13 ms + 0.5 x 11 ms of root + mask)
        #expect(abs(chooser.expectedTokensPerMillisecond(lean) - 2.0 / 18.5) < 1e-12)
        #expect(abs(chooser.expectedTokensPerMillisecond(full) - 1.5 / 16) < 1e-12)
        #expect(chooser.expectedTokensPerMillisecond(full) < chooser.expectedTokensPerMillisecond(.autoregressive))
        let chosen = chooser.choose()
        #expect(chosen.lean, "chose \(chosen)")
        #expect(chooser.expectedTokensPerMillisecond(chosen) > chooser.expectedTokensPerMillisecond(.autoregressive))

        // Extra rows nearly free (AVX-512 VNNI-like): a group on every node is worth its rows.
        let cheap = StepCostModel(measured: [1: 10, 2: 10.1, 4: 10.4, 8: 11, 16: 13, 64: 40])
        var wide = ShapeChooser(maskCount: 3, costModel: cheap, prior: [0.5, 0.3, 0.2])
        let best = wide.choose()
        #expect(!best.lean && best != .autoregressive, "chose \(best)")
    }

    @Test func memoryCarriesStatisticsToTheNextChooser() {
        let memory = ShapeChooserMemory(maskCount: 3, costModel: Self.costs, prior: nil)
        var first = ShapeChooser(maskCount: 3, costModel: Self.costs, prior: nil, memory: memory)
        _ = Self.runRejected(&first, steps: 320)
        // A fresh chooser with the memory knows drafts are rejected and starts plain; one
        // without it starts from the optimistic prior again and drafts until it has learnt.
        var second = ShapeChooser(maskCount: 3, costModel: Self.costs, prior: nil, memory: memory)
        var fresh = ShapeChooser(maskCount: 3, costModel: Self.costs, prior: nil)
        #expect(second.statistics.rate(depth: 1, rank: 0) < 0.3)
        #expect(fresh.statistics.rate(depth: 1, rank: 0) == 0.5)
        let secondDrafting = Self.runRejected(&second, steps: 12)
        let freshDrafting = Self.runRejected(&fresh, steps: 12)
        #expect(secondDrafting == 0)
        #expect(freshDrafting > 0)
        // Step costs observed by one chooser reach the next through the memory.
        var timed = ShapeChooser(maskCount: 3, costModel: Self.costs, prior: nil, memory: memory)
        for _ in 0..<50 { timed.observe(rows: 4, milliseconds: 30) }
        let later = ShapeChooser(maskCount: 3, costModel: Self.costs, prior: nil, memory: memory)
        #expect(later.costModel.cost(4) > 29)
        // Steps ~2.2x slower than calibrated also say the machine is slower: other sizes follow.
        #expect(later.costModel.cost(1) > 15)
    }
}

/// The machine's cost curve: measured round-robin, never cheaper for more rows, cached on disk.
@Suite struct StepCostCalibrationTests {
    @Test func curveIsMonotoneAndCached() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let file = try GGUFFile(path: TestModels.stories260K)
        let pool = ThreadPool(threads: 1)
        let sizes = [1, 2, 4, 8, 16]
        let curve = StepCostCalibration.measure(model: model, pool: pool, sizes: sizes, rounds: 3)
        for (a, b) in zip(sizes, sizes.dropFirst()) {
            #expect(curve.cost(a) <= curve.cost(b), "cost(\(a)) \(curve.cost(a)) > cost(\(b)) \(curve.cost(b))")
        }
        #expect(curve.cost(1) > 0 && curve.cost(1).isFinite)

        let dir = TestModels.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fingerprint = ModelFingerprint(file: file)
        let first = StepCostCalibration.cached(model: model, fingerprint: fingerprint, pool: pool, directory: dir)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).count == 1)
        let second = StepCostCalibration.cached(model: model, fingerprint: fingerprint, pool: pool, directory: dir)
        #expect(first.milliseconds == second.milliseconds, "the second call must read the cached curve")
    }
}

/// The online cost model: sizes that are not being run follow the machine's speed, one stalled
/// step cannot swing it, and curves cached before the speed factor still load.
@Suite struct StepCostModelTests {
    static let calibrated = StepCostModel(measured: [1: 10, 2: 10.5, 3: 12, 4: 14])

    @Test func observedSizeConverges() {
        var m = Self.calibrated
        for _ in 0..<100 { m.observe(rows: 3, milliseconds: 9) }
        #expect(abs(m.cost(3) - 9) < 0.05)
        for _ in 0..<100 { m.observe(rows: 1, milliseconds: 8) }
        #expect(abs(m.cost(1) - 8) < 0.05)
        #expect(abs(m.cost(3) - 9) < 9 * 0.1)  // moved with the speed, not pinned
    }

    @Test func driftReachesSizesNotRun() {
        // The machine becomes 1.5x slower while only three-row steps run (a decoder that always
        // drafts): the one-row cost it compares against must rise too, most of the way.
        var m = Self.calibrated
        for _ in 0..<200 { m.observe(rows: 3, milliseconds: 18) }
        #expect(abs(m.cost(3) - 18) < 0.1)
        #expect(m.cost(1) > 13.5 && m.cost(1) < 15.5, "cost(1) \(m.cost(1))")
        // And back: 1.5x faster again, seen only through one-row steps.
        for _ in 0..<200 { m.observe(rows: 1, milliseconds: 10) }
        #expect(m.cost(3) < 15, "cost(3) \(m.cost(3))")
    }

    @Test func oneStalledStepMovesLittle() {
        var m = Self.calibrated
        m.observe(rows: 2, milliseconds: 1000)  // descheduled for a second
        #expect(m.cost(1) <= 11 + 1e-9)
        #expect(m.cost(2) < 10.5 * 1.2)
        m.observe(rows: 2, milliseconds: 1e-3)
        #expect(m.cost(1) > 9)
        var unchanged = Self.calibrated
        for bad in [0, -1, .nan, .infinity] { unchanged.observe(rows: 2, milliseconds: bad) }
        unchanged.observe(rows: 0, milliseconds: 5)
        #expect(unchanged.cost(2) == 10.5 && unchanged.speed == 1)
    }

    @Test func cachedCurvesWithoutSpeedStillLoad() throws {
        let legacy = Data(#"{"milliseconds":[4,5,6]}"#.utf8)
        let m = try JSONDecoder().decode(StepCostModel.self, from: legacy)
        #expect(m.speed == 1 && m.cost(2) == 5)
        var moved = m
        moved.observe(rows: 1, milliseconds: 8)
        let again = try JSONDecoder().decode(StepCostModel.self, from: JSONEncoder().encode(moved))
        #expect(again.cost(1) == moved.cost(1) && again.cost(3) == moved.cost(3))
    }
}
