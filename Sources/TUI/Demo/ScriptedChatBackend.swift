import Foundation
import Inference

/// A demo and test double, not a model. It replays canned answers as a BiTA decoder would emit
/// them: text cut into word-piece "tokens", grouped into steps that accept a pseudo-random number
/// of drafted tokens (seeded, so runs repeat), with made-up rejected candidates for the draft
/// inspector and a delay per step. It lets the chat be demonstrated and tested end to end
/// without an engine (`bita-chat --demo-backend`).
///
/// Answers depend on words in the question: "long"/"story" gives a long answer (for interrupting),
/// "hostile"/"escape" one full of terminal control sequences, "wide"/"emoji"/"unicode" one with
/// CJK, emoji and combining marks; anything else a short answer that quotes the question.
public struct ScriptedChatBackend: ChatBackend {
    public let description: BackendDescription
    /// Wall time of one decoder step (prefill takes two).
    public var stepDelay: Duration
    /// Deepest draft position the synthetic tree proposes.
    public var maxDraftDepth = 4
    /// Spin the CPU during a step instead of sleeping, to measure what the UI costs a busy decoder.
    public var burnsCPU: Bool

    public init(stepDelay: Duration = .milliseconds(30), contextLength: Int = 2048, burnsCPU: Bool = false) {
        self.stepDelay = stepDelay
        self.burnsCPU = burnsCPU
        description = BackendDescription(
            modelName: "demo (scripted)", modelFingerprint: "scripted-demo-1",
            adapterName: "demo drafts", adapterFingerprint: "scripted-demo-1",
            contextLength: contextLength, threads: 1)
    }

    /// About four bytes per token plus four tokens of template per message.
    public func tokenCount(of conversation: [ChatMessage]) -> Int {
        conversation.reduce(0) { $0 + ($1.content.utf8.count + 3) / 4 + 4 }
    }

    public func respond(to conversation: [ChatMessage], settings: GenerationSettings) -> AsyncStream<DecodeEvent> {
        let (stream, continuation) = AsyncStream<DecodeEvent>.makeStream(bufferingPolicy: .unbounded)
        let question = conversation.last(where: { $0.role == .user })?.content ?? ""
        let promptTokens = tokenCount(of: conversation)
        let me = self
        let task = Task.detached {
            await me.decode(question: question, promptTokens: promptTokens, settings: settings, into: continuation)
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func decode(question: String, promptTokens: Int, settings: GenerationSettings,
                        into out: AsyncStream<DecodeEvent>.Continuation) async {
        let pieces = ScriptedChatBackend.tokenize(ScriptedChatBackend.answer(to: question))
        var rng = SplitMix64(seed: settings.seed ^ ScriptedChatBackend.fnv1a(question))
        var stats = DecodeStats()
        stats.promptTokens = promptTokens
        let clock = ContinuousClock()

        let prefillStart = clock.now
        guard await pause(stepDelay * 2) else { out.yield(.finished(.cancelled, stats)); return }
        stats.prefillMilliseconds = milliseconds(clock.now - prefillStart)
        out.yield(.prefilled(promptTokens: promptTokens, milliseconds: stats.prefillMilliseconds))

        let depthLimit = settings.mode == .bita ? maxDraftDepth : 0
        if depthLimit > 0 {
            stats.proposedPerDepth = Array(repeating: 0, count: depthLimit)
            stats.acceptedPerDepth = Array(repeating: 0, count: depthLimit)
        }
        var next = 0
        var step = 0
        let decodeStart = clock.now
        while next < pieces.count {
            let stepStart = clock.now
            guard await pause(stepDelay) else {
                stats.decodeMilliseconds = milliseconds(clock.now - decodeStart)
                out.yield(.finished(.cancelled, stats)); return
            }
            // How many drafted tokens verification accepts this step: mostly 1-3.
            let budgetLeft = settings.maxTokens - stats.newTokens
            var accepted = 0
            if depthLimit > 0 {
                let roll = rng.next() % 100
                accepted = roll < 15 ? 0 : roll < 45 ? 1 : roll < 75 ? 2 : roll < 92 ? 3 : 4
                accepted = min(accepted, depthLimit, pieces.count - next - 1, max(0, budgetLeft - 1))
                accepted = max(accepted, 0)
            }
            var candidates: [[DraftCandidate]] = []
            for d in 1...max(1, depthLimit) where depthLimit > 0 {
                var level: [DraftCandidate] = []
                let reached = d <= accepted + 1
                if d <= accepted {
                    level.append(DraftCandidate(text: pieces[next + d - 1], depth: d, rank: 0, accepted: true))
                } else {
                    level.append(DraftCandidate(text: ScriptedChatBackend.distractor(&rng), depth: d, rank: 0, accepted: false))
                }
                for rank in 1...2 {
                    level.append(DraftCandidate(text: ScriptedChatBackend.distractor(&rng), depth: d, rank: rank, accepted: false))
                }
                candidates.append(level)
                if reached { stats.proposedPerDepth[d - 1] += 1 }
                if d <= accepted { stats.acceptedPerDepth[d - 1] += 1 }
            }
            for d in 0...accepted {
                let origin: TokenOrigin = d < accepted ? .draft(depth: d + 1) : .autoregressive
                out.yield(.token(EmittedToken(id: Int32(truncatingIfNeeded: ScriptedChatBackend.fnv1a(pieces[next]) & 0x7fff),
                                              text: pieces[next], origin: origin, step: step)))
                next += 1
                stats.newTokens += 1
            }
            stats.steps += 1
            stats.decodeMilliseconds = milliseconds(clock.now - decodeStart)
            out.yield(.step(StepSummary(index: step, candidatesByDepth: candidates, acceptedDrafts: accepted,
                                        bonusText: pieces[next - 1], batchSize: 1 + 3 * depthLimit + depthLimit,
                                        milliseconds: milliseconds(clock.now - stepStart))))
            out.yield(.stats(stats))
            step += 1
            if stats.newTokens >= settings.maxTokens, next < pieces.count {
                out.yield(.finished(.maxTokens, stats)); return
            }
            if promptTokens + stats.newTokens >= description.contextLength, next < pieces.count {
                out.yield(.finished(.contextFull, stats)); return
            }
        }
        out.yield(.finished(.endOfTurn, stats))
    }

    /// Waits one step; false when the consumer went away.
    private func pause(_ d: Duration) async -> Bool {
        if Task.isCancelled { return false }
        if burnsCPU {
            // A fixed amount of work, not a fixed time: if the UI takes CPU from the decoder,
            // steps get slower and tokens/s drops, as they would with a real model.
            let iterations = Int(milliseconds(d) * Double(ScriptedChatBackend.burnIterationsPerMillisecond))
            var x: UInt64 = 1
            var done = 0
            while done < iterations {
                x = ScriptedChatBackend.burn(x, iterations: min(10_000, iterations - done))
                done += 10_000
                if Task.isCancelled { return false }
            }
            if x == 0 { print("") }  // keeps the work from being optimised away
            return true
        }
        do { try await Task.sleep(for: d) } catch { return false }
        return !Task.isCancelled
    }

    /// Iterations of `burn` per millisecond on this machine, measured once.
    static let burnIterationsPerMillisecond: Int = {
        let clock = ContinuousClock()
        var best = Duration.seconds(1)
        var x: UInt64 = 1
        for _ in 0..<5 {
            let start = clock.now
            x = burn(x, iterations: 200_000)
            best = min(best, clock.now - start)
        }
        let ms = max(1e-3, Double(best.components.attoseconds) / 1e15 + Double(best.components.seconds) * 1000)
        return max(1, Int(200_000 / ms)) + Int(x & 1)
    }()

    @inline(never)
    static func burn(_ seed: UInt64, iterations: Int) -> UInt64 {
        var x = seed
        for _ in 0..<iterations { x = x &* 6364136223846793005 &+ 1442695040888963407; x ^= x >> 29 }
        return x
    }

    private func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    // MARK: Scripts

    static func answer(to question: String) -> String {
        let q = question.lowercased()
        if q.contains("hostile") || q.contains("escape") {
            return "Here is text a model should never send raw: \u{1b}]52;c;cHduZWQ=\u{07} (clipboard write), "
                + "\u{1b}[2J\u{1b}[H (clear screen), \u{1b}[31mred\u{1b}[0m, \u{9b}6n, a bell \u{07}, "
                + "a backspace a\u{08}b, a carriage return x\ry, and a bidi override \u{202e}txet desrever\u{202c}. "
                + "All of it should appear as visible escapes."
        }
        if q.contains("wide") || q.contains("emoji") || q.contains("unicode") {
            return "Wide text: 日本語の文章は二列を使います。한국어도 마찬가지입니다. "
                + "Emoji 🎉🚀🧪 take two columns; combining marks like e\u{301} and n\u{303} take none; "
                + "a family 👩‍👩‍👧 is built with joiners. Mixed: 漢字 and ASCII side by side."
        }
        if q.contains("long") || q.contains("story") {
            return longStory
        }
        let shortQuestion = question.count > 60 ? String(question.prefix(57)) + "..." : question
        let bodies = [
            "BiTA lets a model draft several tokens at once with learned prompt and mask tokens, then verify them all in one forward pass. The answer is exactly what plain decoding would give; only faster.",
            "The highlighted words were drafted ahead of time and accepted by verification. Plain words came from ordinary autoregressive steps or were the bonus token of a step.",
            "A step that accepts three drafts emits four tokens for the price of one forward pass. The mean number of tokens per step is called tau.",
        ]
        let body = bodies[Int(fnv1a(question) % UInt64(bodies.count))]
        return "You asked: \"\(shortQuestion)\". \(body)"
    }

    static let longStory: String = {
        let paragraphs = [
            "Once upon a time, in a small village at the edge of a quiet forest, there lived a clockmaker who could hear the ticking of every clock in town at once.",
            "Every morning she walked the narrow streets and listened. When a clock ran slow, she knew before its owner did, and she would knock on the door with her little box of tools.",
            "One winter the great clock on the tower stopped. The villagers climbed the stairs, argued about the weights and the springs, and went home without an answer.",
            "The clockmaker climbed alone. Inside the tower she found a family of sparrows nesting among the gears, warm and safe from the snow.",
            "She did not wake them. Instead she built a second, smaller clock beside the first, and for the rest of that winter the village kept time by it.",
            "When spring came, the sparrows flew away, the great clock began to tick again, and the small clock stayed in the tower, running a few seconds ahead, as if it were drafting the future.",
        ]
        var text = ""
        for round in 0..<4 {
            for p in paragraphs {
                text += (round == 0 ? "" : "And again: ") + p + "\n\n"
            }
        }
        return String(text.dropLast(2))
    }()

    /// Word pieces of at most five letters, each word's leading space attached to its first piece,
    /// punctuation and line breaks on their own, multi-byte characters kept whole.
    static func tokenize(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var letters = 0
        func flush() { if !current.isEmpty { pieces.append(current) }; current = ""; letters = 0 }
        for ch in text {
            if ch == " " {
                flush(); current = " "
            } else if ch.isLetter || ch.isNumber {
                if letters >= 5 { flush() }
                current.append(ch); letters += 1
            } else {
                if current != " " { flush() }
                current.append(ch); flush()
            }
        }
        flush()
        return pieces
    }

    static let distractors = [" the", " a", " of", " and", " to", " it", " was", " in", " that", " time",
                              " clock", " model", " draft", " snow", " tower", ",", ".", " she", " they", " one"]

    static func distractor(_ rng: inout SplitMix64) -> String {
        distractors[Int(rng.next() % UInt64(distractors.count))]
    }

    /// FNV-1a over UTF-8: a stable hash (Swift's Hasher is seeded per process).
    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h
    }
}

/// A small seeded generator: the scripted backend must repeat exactly for a given seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e3779b97f4a7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        return z ^ (z >> 31)
    }
}
