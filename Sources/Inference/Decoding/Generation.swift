import Foundation

/// Turns a decoder run into the `DecodeEvent` stream front ends consume. The decoder runs in a
/// detached task; cancelling the consumer (or dropping the stream) stops it within one step.
public enum Generation {
    public struct Request: Sendable {
        public var promptTokens: [Int32]
        public var maxTokens: Int
        /// Tokens that end the answer (EOS, end-of-turn); they are not emitted as text.
        public var stopTokens: Set<Int32>

        public init(promptTokens: [Int32], maxTokens: Int, stopTokens: Set<Int32>) {
            self.promptTokens = promptTokens; self.maxTokens = maxTokens; self.stopTokens = stopTokens
        }
    }

    /// Text hooks: `stream` is fed every emitted token in order and returns the text it completes
    /// (UTF-8 safe); `piece` renders a single token for the draft inspector.
    public struct TextHooks: Sendable {
        public var stream: @Sendable (Int32) -> String
        public var flush: @Sendable () -> String
        public var piece: @Sendable (Int32) -> String
        public init(stream: @escaping @Sendable (Int32) -> String, flush: @escaping @Sendable () -> String,
                    piece: @escaping @Sendable (Int32) -> String) {
            self.stream = stream; self.flush = flush; self.piece = piece
        }
    }

    public static func run(_ decoder: SpeculativeDecoder, _ request: Request, text: TextHooks,
                           onFinish: (@Sendable (SpeculativeDecoder) -> Void)? = nil) -> AsyncStream<DecodeEvent> {
        let (stream, continuation) = AsyncStream<DecodeEvent>.makeStream(bufferingPolicy: .unbounded)
        let task = Task.detached(priority: .userInitiated) {
            defer { onFinish?(decoder) }
            var stats = DecodeStats()
            let t0 = DispatchTime.now().uptimeNanoseconds
            do {
                try decoder.prefill(request.promptTokens)
            } catch {
                continuation.yield(.failed("\(error)"))
                continuation.finish()
                return
            }
            stats.promptTokens = request.promptTokens.count
            stats.prefillMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            continuation.yield(.prefilled(promptTokens: request.promptTokens.count, milliseconds: stats.prefillMilliseconds))
            var reason = FinishReason.maxTokens
            let decodeStart = DispatchTime.now().uptimeNanoseconds
            decoding: while stats.newTokens < request.maxTokens {
                if Task.isCancelled { reason = .cancelled; break }
                let result: StepResult
                do {
                    result = try decoder.step()
                } catch DecoderError.contextFull {
                    reason = .contextFull
                    break
                } catch {
                    continuation.yield(.failed("\(error)"))
                    break
                }
                let stepIndex = stats.steps
                stats.steps += 1
                var emittedThisStep = 0
                for (id, origin) in result.tokens {
                    if request.stopTokens.contains(id) { reason = .endOfTurn; break }
                    if stats.newTokens >= request.maxTokens { break }
                    stats.newTokens += 1
                    emittedThisStep += 1
                    continuation.yield(.token(EmittedToken(id: id, text: text.stream(id), origin: origin, step: stepIndex)))
                }
                // Per-depth accounting for the UI: a depth counts as offered when verification reached it.
                let depths = result.candidatesByDepth.count
                if stats.proposedPerDepth.count < depths {
                    stats.proposedPerDepth += Array(repeating: 0, count: depths - stats.proposedPerDepth.count)
                    stats.acceptedPerDepth += Array(repeating: 0, count: depths - stats.acceptedPerDepth.count)
                }
                var candidates: [[DraftCandidate]] = []
                for (d, ids) in result.candidatesByDepth.enumerated() {
                    let reached = (0..<d).allSatisfy { result.acceptedRankByDepth[$0] == 0 }
                    if reached {
                        stats.proposedPerDepth[d] += 1
                        if result.acceptedRankByDepth[d] != nil { stats.acceptedPerDepth[d] += 1 }
                    }
                    candidates.append(ids.enumerated().map { rank, id in
                        DraftCandidate(text: text.piece(id), depth: d + 1, rank: rank,
                                       accepted: reached && result.acceptedRankByDepth[d] == rank)
                    })
                }
                stats.decodeMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e6
                let bonus = result.tokens.last.map { text.piece($0.id) } ?? ""
                continuation.yield(.step(StepSummary(index: stepIndex, candidatesByDepth: candidates,
                                                     acceptedDrafts: result.tokens.count - 1, bonusText: bonus,
                                                     batchSize: result.rows, milliseconds: result.milliseconds)))
                continuation.yield(.stats(stats))
                if reason == .endOfTurn { break decoding }
            }
            let tail = text.flush()
            if !tail.isEmpty {
                continuation.yield(.token(EmittedToken(id: -1, text: tail, origin: .autoregressive, step: max(0, stats.steps - 1))))
            }
            stats.decodeMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e6
            continuation.yield(.finished(reason, stats))
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
