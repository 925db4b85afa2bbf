import Foundation
import Testing
@testable import Inference

/// End-to-end tuning on stories260K: self-generated data, a short run, held-out metrics and the
/// real decoder's accepted tokens per step before and after.
@Suite struct TuningRunTests {
    /// The model's own greedy continuations of short prompts it sampled itself.
    static func storiesRecords(count: Int, answerTokens: Int, seed: UInt64) throws -> (LlamaModel, [TuningRecord]) {
        let model = try LlamaModel(path: TestModels.stories260K)
        let generator = TuningDataGenerator(model: model, capacity: 512)
        let prompts = try generator.sampledPrompts(count: count, prefix: [1], maxSampled: 6, temperature: 1.0, seed: seed)
        let records = try prompts.enumerated().map { i, p in
            TuningRecord(id: "story-\(i)", promptTokens: p,
                         responseTokens: try generator.respond(to: p, maxTokens: answerTokens, stopTokens: [2]))
        }
        return (model, records)
    }

    static func configuration(steps: Int) -> TuningConfiguration {
        var c = TuningConfiguration()
        c.promptCount = 8
        c.maskCount = 3
        c.steps = steps
        c.batchSize = 2
        c.groupsPerSequence = 16
        c.learningRate = 0.1
        c.warmupSteps = 10
        c.seed = 1
        c.threads = 2
        return c
    }

    @Test func shortRunLowersLossAndRaisesAcceptance() throws {
        let started = Date()
        let (model, records) = try Self.storiesRecords(count: 120, answerTokens: 96, seed: 3)
        let dataset = TuningDataset(records: records, validationFraction: 0.15)
        #expect(dataset.validation.count >= 10 && dataset.training.count >= 80)
        let fingerprint = ModelFingerprint(file: model.file)
        let trainer = try AdapterTrainer(model: model, fingerprint: fingerprint, dataset: dataset,
                                         configuration: Self.configuration(steps: 300))
        let chain = ShapePolicy.fixed(try TreeShape(parsing: "1,1,1", maskCount: 3))
        let before = trainer.validate()
        let tauBefore = try AdapterEvaluation.decoderAcceptance(model: model, bita: trainer.decoderParameters(), policy: chain,
                                                                records: dataset.validation, maxTokens: 96)
        var losses: [Double] = []
        while trainer.step < trainer.configuration.steps { losses.append(trainer.trainStep().loss) }
        let after = trainer.validate()
        let tauAfter = try AdapterEvaluation.decoderAcceptance(model: model, bita: trainer.decoderParameters(), policy: chain,
                                                               records: dataset.validation, maxTokens: 96)
        print("""
            stories260K tuning: \(trainer.maskTokensTrained) mask tokens in \(String(format: "%.1f", trainer.trainingSeconds)) s \
            (\(Int(Double(trainer.maskTokensTrained) / trainer.trainingSeconds)) /s); total test time \
            \(String(format: "%.1f", Date().timeIntervalSince(started))) s
              validation loss \(before.loss) -> \(after.loss)
              accuracy by depth \(before.accuracyByDepth) -> \(after.accuracyByDepth)
              expected chain tau \(before.expectedTau) -> \(after.expectedTau)
              decoder tokens/step \(tauBefore.tokensPerStep) -> \(tauAfter.tokensPerStep) (mismatches \(tauAfter.mismatches))
              train loss first 10 \(losses.prefix(10).reduce(0, +) / 10), last 10 \(losses.suffix(10).reduce(0, +) / 10)
            """)
        #expect(after.loss < before.loss - 1.0)
        #expect(after.expectedTau > before.expectedTau + 0.15)
        #expect(tauAfter.tokensPerStep > tauBefore.tokensPerStep + 0.15)
        #expect(tauAfter.mismatches == 0 && tauBefore.mismatches == 0, "greedy BiTA must reproduce the recorded answers")
    }

    /// Stopping, checkpointing and resuming gives the very same parameters as running straight.
    @Test func resumeIsBitIdentical() throws {
        let (model, records) = try Self.storiesRecords(count: 12, answerTokens: 40, seed: 4)
        let dataset = TuningDataset(records: records, validationFraction: 0)
        let fingerprint = ModelFingerprint(file: model.file)
        var config = Self.configuration(steps: 6)
        config.batchSize = 2
        config.groupsPerSequence = 4
        let straight = try AdapterTrainer(model: model, fingerprint: fingerprint, dataset: dataset, configuration: config)
        for _ in 0..<6 { straight.trainStep() }

        let path = TestModels.temporaryDirectory() + "/run.checkpoint"
        let first = try AdapterTrainer(model: model, fingerprint: fingerprint, dataset: dataset, configuration: config)
        for _ in 0..<3 { first.trainStep() }
        try first.saveCheckpoint(to: path)
        let resumed = try AdapterTrainer(model: model, fingerprint: fingerprint, dataset: dataset, configuration: config)
        try resumed.loadCheckpoint(from: path)
        #expect(resumed.step == 3)
        for _ in 0..<3 { resumed.trainStep() }
        let a = straight.adapter(), b = resumed.adapter()
        #expect(a.promptKeys == b.promptKeys && a.promptValues == b.promptValues && a.maskEmbeddings == b.maskEmbeddings)
        #expect(straight.maskTokensTrained == resumed.maskTokensTrained)
        // A different run (other seed) is not the same: the comparison above can fail.
        var other = config
        other.seed = 2
        let different = try AdapterTrainer(model: model, fingerprint: fingerprint, dataset: dataset, configuration: other)
        for _ in 0..<6 { different.trainStep() }
        #expect(different.adapter().maskEmbeddings != a.maskEmbeddings)
        // Settings that change the numbers are checked on resume.
        var changed = config
        changed.learningRate = 0.5
        let mismatched = try AdapterTrainer(model: model, fingerprint: fingerprint, dataset: dataset, configuration: changed)
        #expect(throws: TuningError.self) { try mismatched.loadCheckpoint(from: path) }
    }
}
