import Foundation
import Testing
@testable import Inference

/// Tuning data must be the engine's own greedy answers.
@Suite struct TuningDataGenerationTests {
    static func compare(modelPath: String, prompts: [[Int32]], maxTokens: Int, width: Int, stops: Set<Int32>) throws {
        let model = try LlamaModel(path: modelPath)
        let plain = TuningDataGenerator(model: model, capacity: 512)
        var batched: [String: [Int32]] = [:]
        BatchedGreedyGenerator(model: model, threads: 2).run(
            prompts.enumerated().map { ("p\($0.offset)", $0.element) }, maxTokens: maxTokens, stopTokens: stops,
            width: width) { batched[$0.id] = $0.responseTokens }
        #expect(batched.count == prompts.count)
        for (i, p) in prompts.enumerated() {
            let expected = try plain.respond(to: p, maxTokens: maxTokens, stopTokens: stops)
            #expect(batched["p\(i)"] == expected, "prompt \(i)")
        }
    }

    @Test func storiesBatchedAnswersAreTheDecodersAnswers() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let prompts = try TuningDataGenerator(model: model, capacity: 512)
            .sampledPrompts(count: 7, prefix: [1], maxSampled: 9, temperature: 1, seed: 5)
        // Width 3 < 7 prompts: sequences start and finish at different steps.
        try Self.compare(modelPath: TestModels.stories260K, prompts: prompts, maxTokens: 70, width: 3, stops: [2])
    }

    @Test(.enabled(if: TestModels.exists(TestModels.smolLM2), "run `make model` first"))
    func smolLM2BatchedAnswersAreTheDecodersAnswers() throws {
        let model = try LlamaModel(path: TestModels.smolLM2)
        let tokenizer = try Tokenizer(gguf: model.file)
        let prompts = ["What is the capital of France?", "Write a haiku about rain.", "2+2?"].map {
            tokenizer.encode(conversation: [ChatMessage(role: .system, content: "You are a helpful assistant."),
                                            ChatMessage(role: .user, content: $0)])
        }
        try Self.compare(modelPath: TestModels.smolLM2, prompts: prompts, maxTokens: 24, width: 2,
                         stops: tokenizer.endOfGenerationIDs)
    }

    @Test func dataFileRoundTripAndTruncatedTail() throws {
        let path = TestModels.temporaryDirectory() + "/data.jsonl"
        let a = TuningRecord(id: "a", promptTokens: [1, 2], responseTokens: [3, 4, 5])
        let b = TuningRecord(id: "b", promptTokens: [7], responseTokens: [8, 9])
        try TuningDataFile.append([a], to: path)
        // An interrupted append leaves a partial line: it is ignored, and the next append starts a new line.
        let h = FileHandle(forWritingAtPath: path)!
        h.seekToEndOfFile()
        h.write(Data("{\"id\": \"broken\", \"prompt_tok".utf8))
        try h.close()
        #expect(try TuningDataFile.read(path: path) == [a])
        try TuningDataFile.append([b], to: path)
        #expect(throws: TuningError.self) { try TuningDataFile.read(path: path) }   // the broken line is now in the middle
        try Data((try String(contentsOfFile: path, encoding: .utf8)).split(separator: "\n")
            .filter { !$0.contains("broken") }.joined(separator: "\n").utf8 + [10]).write(to: URL(fileURLWithPath: path))
        #expect(try TuningDataFile.read(path: path) == [a, b])
    }

    @Test func indexingWorkedExample() {
        // x = a b c d e f g h (0...7), prompt a b c, k = 3 (see MaskGroup).
        let x: [Int32] = [10, 11, 12, 13, 14, 15, 16, 17]
        let g = MaskGroup(sequence: x, start: 2, maskCount: 3)!
        #expect(g.labels == [14, 15, 16])                      // e f g
        #expect((1...3).map(g.position(ofMask:)) == [3, 4, 5])
        #expect(g.contextCount == 3)                           // sees a b c
        #expect(MaskGroup(sequence: x, start: 5, maskCount: 3)!.labels == [17])
        #expect(MaskGroup(sequence: x, start: 6, maskCount: 3) == nil)
        #expect(MaskGroup.validStarts(promptCount: 3, sequenceCount: 8) == 2..<6)
        var rng = SeededRandom(seed: 1)
        let starts = MaskGroup.sampleStarts(promptCount: 3, sequenceCount: 40, count: 10, rng: &rng)
        #expect(starts.count == 10 && Set(starts).count == 10 && starts == starts.sorted())
        #expect(starts.allSatisfy { (2..<38).contains($0) })
    }

    @Test func scheduleWarmsUpThenDecays() {
        let s = LearningRateSchedule(peak: 0.1, warmupSteps: 10, totalSteps: 110)
        #expect(abs(s.rate(at: 0) - 0.01) < 1e-12)
        #expect(abs(s.rate(at: 9) - 0.1) < 1e-12)
        #expect(abs(s.rate(at: 60) - 0.05) < 1e-12)
        #expect(s.rate(at: 109) < 0.001 && s.rate(at: 109) >= 0)
    }
}
