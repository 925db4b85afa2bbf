import Foundation
import Testing
@testable import Inference

/// Starts and cancels generation 1,000 times while a consumer reads the event stream, the way
/// the chat's UI does when the user interrupts: every stream must end, every decoder run must
/// unwind, and the decoder must give exactly the answer of a fresh one afterwards.
/// Runs in `make test` (a few seconds in release) and under ASan/TSan in `make sanitize`.
@Suite(.serialized) struct StressStartCancelTests {
    static let iterations = 1_000
    /// Far above any healthy wait, even under ThreadSanitizer.
    static let deadline = Duration.seconds(30)

    static var haveStories: Bool { TestModels.exists(TestModels.stories260K) }

    /// stories260K with a random adapter (drafts near-random, so verification rejects most of
    /// them and the cache is compacted every step), two threads, a small context. The tree is
    /// small (1,1/g2: 9 rows a step) so that the storm stays a few seconds long.
    static func engine() throws -> Engine {
        let file = try GGUFFile(path: TestModels.stories260K)
        let adapter = BiTAAdapter.random(for: try LlamaConfig(file: file), fingerprint: ModelFingerprint(file: file),
                                         maskCount: 3, seed: 5)
        let path = TestModels.temporaryDirectory() + "/stress" + BiTAAdapter.fileExtension
        try adapter.write(to: path)
        return try Engine(modelPath: TestModels.stories260K, adapterPath: path, threads: 2, contextLength: 512)
    }

    static let prompts: [[ChatMessage]] = [
        [ChatMessage(role: .user, content: "Once upon a time")],
        [ChatMessage(role: .user, content: "Tom had a red ball.")],
        [ChatMessage(role: .system, content: "Tell a story."), ChatMessage(role: .user, content: "Lily saw a cat")],
    ]

    /// How the consumer stops listening.
    enum Stop: CaseIterable {
        /// The consuming task is cancelled before it reads anything.
        case cancelAtOnce
        /// The consumer cancels its own task after some events and keeps reading until the stream ends.
        case cancelAfterEvents
        /// The consumer leaves the loop after some events and drops the stream.
        case dropAfterEvents
        /// Reads to the end.
        case readToEnd
    }

    struct Observed: Sendable {
        var events: [String] = []
        var tokens: [Int32] = []
        var finish: FinishReason?
        var failure: String?
    }

    /// Reads `stream` the way `stop` says; returns what it saw.
    static func consume(_ stream: AsyncStream<DecodeEvent>, stop: Stop, after: Int) -> Task<Observed, Never> {
        Task {
            var seen = Observed()
            for await event in stream {
                switch event {
                case .prefilled: seen.events.append("prefilled")
                case .token(let t): seen.events.append("token"); if t.id >= 0 { seen.tokens.append(t.id) }
                case .step: seen.events.append("step")
                case .stats: seen.events.append("stats")
                case .finished(let r, _): seen.events.append("finished"); seen.finish = r
                case .failed(let m): seen.events.append("failed"); seen.failure = m
                }
                if seen.events.count >= after {
                    if stop == .cancelAfterEvents { withUnsafeCurrentTask { $0?.cancel() } }
                    if stop == .dropAfterEvents { break }
                }
            }
            return seen
        }
    }

    /// True for the first caller only.
    final class Once: Sendable {
        private let taken = Locked(false)
        func claim() -> Bool { taken.withLock { t in defer { t = true }; return !t } }
    }

    /// The value of `task`, or nil (and a recorded issue) when it does not finish by the deadline.
    static func waitFor<T: Sendable>(_ task: Task<T, Never>, _ what: @autoclosure () -> String) async -> T? {
        let result = await withCheckedContinuation { (c: CheckedContinuation<T?, Never>) in
            let once = Once()
            let timer = Task {
                // Cancelled (the task finished first): not a timeout.
                guard (try? await Task.sleep(for: deadline)) != nil else { return }
                if once.claim() { c.resume(returning: nil) }
            }
            Task {
                let v = await task.value
                timer.cancel()
                if once.claim() { c.resume(returning: v) }
            }
        }
        if result == nil { Issue.record("\(what()) did not finish within \(deadline): deadlock or runaway decoder") }
        return result
    }

    /// What a healthy stream looks like, whatever the consumer did.
    static func checkShape(_ seen: Observed, stop: Stop, label: String) {
        #expect(seen.failure == nil, "\(label): failed: \(seen.failure ?? "")")
        if let first = seen.events.first { #expect(first == "prefilled", "\(label): first event \(first)") }
        if let i = seen.events.firstIndex(of: "finished") {
            #expect(i == seen.events.count - 1, "\(label): events after finished")
        }
        if stop == .readToEnd {
            #expect(seen.finish == .maxTokens || seen.finish == .endOfTurn, "\(label): finished \(String(describing: seen.finish))")
        }
    }

    static func settings(maxTokens: Int) -> GenerationSettings {
        var s = GenerationSettings()
        s.maxTokens = maxTokens
        s.mode = .bita
        return s
    }

    /// The full greedy answer of a fresh backend (fresh decoder, empty cache).
    static func freshAnswer(_ engine: Engine, tree: TreeShape, _ conversation: [ChatMessage], maxTokens: Int) async -> [Int32]? {
        let backend = EngineChatBackend(engine: engine, tree: tree)
        let seen = await Self.waitFor(consume(backend.respond(to: conversation, settings: settings(maxTokens: maxTokens)),
                                            stop: .readToEnd, after: .max), "fresh answer")
        return seen?.tokens
    }

    /// Generation.run on one decoder: each run must unwind (onFinish) before the next starts,
    /// since a decoder serves one run at a time.
    @Test(.enabled(if: haveStories, "stories260K.gguf absent from ../shared/models"), .timeLimit(.minutes(5)))
    func decoderSurvivesAThousandCancelledRuns() async throws {
        let engine = try Self.engine()
        let tree = try TreeShape(parsing: "1,1/g2", maskCount: 3)
        let decoder = engine.makeDecoder(mode: .bita, tree: tree, sampling: SamplingParameters(), seed: 0)
        // Short raw prompts: the storm is about starting and stopping, not about prefill.
        let prompts: [[Int32]] = [[1, 403, 407, 261], [1, 87, 300, 42, 7, 99], [1, 200, 201]]
        let stops = Stop.allCases
        var rng = SeededRandom(seed: 2024)
        let unwound = Locked(0)
        var completed = 0
        for i in 0..<Self.iterations {
            let stop = stops[i % stops.count]
            // Half the runs decode plainly: switching policy between runs is what the chat does too.
            decoder.policy = rng.next() % 2 == 0 ? .autoregressive : .fixed(tree)
            let request = Generation.Request(promptTokens: prompts[Int(rng.next() % UInt64(prompts.count))],
                                             maxTokens: 1 + Int(rng.next() % 12),
                                             stopTokens: engine.tokenizer.endOfGenerationIDs)
            let (done, doneSignal) = AsyncStream<Void>.makeStream()
            let stream = Generation.run(decoder, request, text: engine.textHooks()) { finished in
                unwound.withLock { $0 += finished === decoder ? 1 : 1_000_000 }
                doneSignal.yield()
                doneSignal.finish()
            }
            let consumer = Self.consume(stream, stop: stop, after: 1 + Int(rng.next() % 8))
            if stop == .cancelAtOnce { consumer.cancel() }
            guard let seen = await Self.waitFor(consumer, "consumer \(i) (\(stop))") else { return }
            Self.checkShape(seen, stop: stop, label: "run \(i) \(stop)")
            if seen.finish != nil, seen.finish != .cancelled { completed += 1 }
            let waiter = Task { for await _ in done { break } }
            guard await Self.waitFor(waiter, "decoder run \(i) (\(stop)) unwinding") != nil else { return }
        }
        #expect(unwound.withLock { $0 } == Self.iterations)
        #expect(completed >= Self.iterations / 4, "only \(completed) runs read to the end")

        // The decoder is reusable: the same answer as a fresh decoder, for every prompt.
        decoder.policy = .fixed(tree)
        for (p, prompt) in prompts.enumerated() {
            let request = Generation.Request(promptTokens: prompt, maxTokens: 40, stopTokens: engine.tokenizer.endOfGenerationIDs)
            let reused = await Self.waitFor(Self.consume(Generation.run(decoder, request, text: engine.textHooks()),
                                                       stop: .readToEnd, after: .max), "run after the storm")
            let fresh = engine.makeDecoder(mode: .bita, tree: tree, sampling: SamplingParameters(), seed: 0)
            let expected = await Self.waitFor(Self.consume(Generation.run(fresh, request, text: engine.textHooks()),
                                                         stop: .readToEnd, after: .max), "fresh run")
            #expect(reused?.tokens == expected?.tokens, "prompt \(p): reused decoder differs from a fresh one")
            #expect((expected?.tokens.count ?? 0) > 0)
        }
    }

    /// The chat backend, as the TUI drives it: a new answer may start while the previous one is
    /// still unwinding (it then gets its own decoder). Every answer read to the end must be the
    /// fresh answer (or its prefix, for a smaller token budget), however many runs were
    /// cancelled on the reused decoder and its KV cache before.
    @Test(.enabled(if: haveStories, "stories260K.gguf absent from ../shared/models"), .timeLimit(.minutes(5)))
    func chatBackendSurvivesAThousandInterruptions() async throws {
        let engine = try Self.engine()
        let tree = try TreeShape(parsing: "1,1/g2", maskCount: 3)
        var reference: [[Int32]] = []
        for conversation in Self.prompts {
            guard let answer = await Self.freshAnswer(engine, tree: tree, conversation, maxTokens: 12) else { return }
            #expect(!answer.isEmpty)
            reference.append(answer)
        }
        let backend = EngineChatBackend(engine: engine, tree: tree)
        let stops = Stop.allCases
        var rng = SeededRandom(seed: 77)
        var checkedAnswers = 0
        for i in 0..<Self.iterations {
            let stop = stops[Int(rng.next() % UInt64(stops.count))]
            // The conversation changes every 50 answers: the cached prompt is mostly reused, as in a chat.
            let c = (i / 50) % Self.prompts.count
            let maxTokens = 1 + Int(rng.next() % 12)
            // Plain and BiTA answers alternate on the same decoder; both must give the same tokens.
            var settings = Self.settings(maxTokens: maxTokens)
            if rng.next() % 2 == 0 { settings.mode = .ar }
            let consumer = Self.consume(backend.respond(to: Self.prompts[c], settings: settings),
                                        stop: stop, after: 1 + Int(rng.next() % 8))
            if stop == .cancelAtOnce { consumer.cancel() }
            guard let seen = await Self.waitFor(consumer, "answer \(i) (\(stop))") else { return }
            Self.checkShape(seen, stop: stop, label: "answer \(i) \(stop)")
            if stop == .readToEnd {
                let expected = Array(reference[c].prefix(maxTokens))
                #expect(seen.tokens == expected, "answer \(i) to conversation \(c) after cancelled runs differs from a fresh one")
                checkedAnswers += 1
            }
        }
        #expect(checkedAnswers >= Self.iterations / 8, "only \(checkedAnswers) answers read to the end")

        // After the storm: full answers equal a fresh backend's, with a longer budget too.
        for (c, conversation) in Self.prompts.enumerated() {
            let again = await Self.waitFor(Self.consume(backend.respond(to: conversation, settings: Self.settings(maxTokens: 48)),
                                                      stop: .readToEnd, after: .max), "answer after the storm")
            let fresh = await Self.freshAnswer(engine, tree: tree, conversation, maxTokens: 48)
            #expect(again?.tokens == fresh, "conversation \(c): answer after the storm differs from a fresh backend's")
        }
    }
}
