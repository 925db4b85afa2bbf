import Foundation

/// How a decoder picks its tree each step.
public enum ShapePolicy: Sendable {
    /// Plain autoregressive decoding: one row per step, no drafts.
    case autoregressive
    case fixed(TreeShape)
    /// Chosen each step from measured costs and running acceptance statistics.
    case adaptive(ShapeChooser)
}

/// What one step produced.
public struct StepResult: Sendable {
    /// Emitted tokens in order: accepted drafts (origin .draft(depth)) then the bonus token.
    public var tokens: [(id: Int32, origin: TokenOrigin)]
    /// Candidate ids per depth of this step's tree, and which rank was accepted at each depth
    /// (nil when verification stopped before or at that depth).
    public var candidatesByDepth: [[Int32]]
    public var acceptedRankByDepth: [Int?]
    public var rows: Int
    public var milliseconds: Double
    /// Drafts of this step that were read from the context (`ContextLookup`) instead of the
    /// mask tokens: how many the tree held, and how many verification accepted.
    public var contextDraftsOffered = 0
    public var contextDraftsAccepted = 0
}

/// Decodes one sequence with BiTA: each step runs [root] + draft tree + mask groups in one
/// forward pass, verifies the drafts against the model's own predictions (greedy: argmax; sampling:
/// exact rejection, see TreeAcceptance), keeps the accepted path in the KV cache and drafts the
/// next step from the mask group of the last accepted token. With no adapter, or the `ar` shape,
/// it is plain autoregressive decoding through the same code.
///
/// Losslessness rests on two facts: only mask rows see the prompt K/V, and the forward pass gives
/// a row the same bits in any batch. So every emitted token is exactly what plain decoding emits
/// (greedy), or is drawn from exactly the same distribution (sampling).
///
/// A decoder owns its KV cache and scratch state: one task uses it at a time (the backend hands
/// it from run to run), hence `@unchecked Sendable`.
public final class SpeculativeDecoder: @unchecked Sendable {
    public let model: LlamaModel
    public let bita: BiTAParameters?
    public let cache: KVCache
    public var policy: ShapePolicy
    public var sampling: SamplingParameters
    private var rng: SeededRandom
    let state: RunState

    /// Tokens whose K/V are in the cache, in order (for prompt prefix reuse across turns).
    public private(set) var cachedTokens: [Int32] = []
    /// Newest verified token, not yet in the cache: the next step's root.
    public private(set) var root: Int32?
    /// Next step's draft candidates per depth (best first), from the last accepted mask group.
    private var pendingDrafts: [[Int32]] = []
    /// Candidates kept per mask position for later steps.
    static let draftsKept = 8

    private var logits: [Float] = []
    /// Embedding rows for the draft ranking: [root + candidatesConsidered][dim].
    private var rankingRows: [Float] = []
    /// Sees, once per step that leaves a mask group for the next one, the first mask's best
    /// candidates and the root they will be drafted after (before any re-ranking). The token
    /// that follows that root (the next step's first emitted token) is what they try to guess.
    /// Used to collect data for `DraftRankingFit`.
    public var draftObserver: ((DraftObservation) -> Void)?
    /// Drafts read from the context: when set and the policy is adaptive, a step whose recent
    /// tokens occurred earlier may run the lookup's chain instead of the mask tree (the shape
    /// chooser decides from acceptance statistics and step costs).
    public var contextLookup: ContextLookup? = ContextLookup()

    public init(model: LlamaModel, bita: BiTAParameters?, cache: KVCache, pool: ThreadPool,
                policy: ShapePolicy, sampling: SamplingParameters, seed: UInt64) {
        self.model = model
        self.bita = bita
        self.cache = cache
        self.policy = bita == nil ? .autoregressive : policy
        self.sampling = sampling
        self.rng = SeededRandom(seed: seed)
        self.state = RunState(pool: pool)
    }

    public func reseed(_ seed: UInt64) { rng = SeededRandom(seed: seed) }

    /// Puts `tokens` (a rendered prompt) into the cache, reusing the longest cached prefix; the last
    /// token becomes the root of the first step. Prompt rows run in causal chunks of `chunk`.
    public func prefill(_ tokens: [Int32], chunk: Int = 64) throws(DecoderError) {
        guard let last = tokens.last else { throw .emptyPrompt }
        guard tokens.count < cache.capacity else {
            throw .contextFull(needed: tokens.count, capacity: cache.capacity)
        }
        var keep = 0
        let body = tokens.dropLast()
        while keep < cachedTokens.count, keep < body.count, cachedTokens[keep] == body[body.startIndex + keep] { keep += 1 }
        cache.truncate(to: keep)
        cachedTokens.removeLast(cachedTokens.count - keep)
        var i = keep
        let vocab = model.config.vocabSize
        if logits.count < vocab { logits = [Float](repeating: 0, count: vocab) }
        while i < body.count {
            let piece = Array(body[(body.startIndex + i)..<min(body.startIndex + i + chunk, body.endIndex)])
            logits.withUnsafeMutableBufferPointer {
                model.forward(.causal(tokens: piece, startPosition: i), cache: cache, state: state,
                              logitRows: [], logits: $0.baseAddress!)
            }
            cachedTokens += piece
            i += piece.count
        }
        root = last
        pendingDrafts = []
    }

    /// Replaces the next step's draft candidates (tests use it to drive acceptance on purpose).
    func overrideDrafts(_ drafts: [[Int32]]) { pendingDrafts = drafts }

    public var contextUsed: Int { cachedTokens.count + (root == nil ? 0 : 1) }

    /// Runs one step. Precondition: `prefill` was called.
    public func step() throws(DecoderError) -> StepResult {
        guard let root else { throw .notPrefilled }
        let started = DispatchTime.now().uptimeNanoseconds
        let maskCount = bita?.maskCount ?? 0

        // Context drafts (adaptive policy only): the chooser runs the lookup's chain instead of
        // the mask tree when it expects more tokens per millisecond from it.
        var lookupChain: [Int32] = []
        var lookupMatch = 0
        var shape: TreeShape
        switch policy {
        case .autoregressive: shape = .autoregressive
        case .fixed(let s): shape = s
        case .adaptive(var chooser):
            if bita != nil, let lookup = contextLookup, let proposal = lookup.propose(cachedTokens + [root]) {
                let n = chooser.contextChainLength(match: proposal.match, available: proposal.tokens.count,
                                                   maskDraftsPending: !pendingDrafts.isEmpty)
                lookupChain = Array(proposal.tokens.prefix(n))
                lookupMatch = proposal.match
            }
            shape = lookupChain.isEmpty ? chooser.choose() : .autoregressive
            policy = .adaptive(chooser)
        }
        if bita == nil { shape = .autoregressive }
        let groupSize = min(shape.groupSize, maskCount)
        var candidates: [[Int32]] = []
        for (d, c) in shape.candidates.enumerated() where d < pendingDrafts.count {
            guard candidates.count == d else { break }
            candidates.append(Array(pendingDrafts[d].prefix(c)))
        }
        let base = cache.count
        let tree = lookupChain.isEmpty
            ? DraftTree(base: base, root: root, candidatesByDepth: candidates, groupSize: groupSize, lean: shape.lean)
            : DraftTree(base: base, root: root, chain: lookupChain, groupSize: 0)
        guard base + tree.rowCount <= cache.capacity else {
            throw .contextFull(needed: base + tree.rowCount, capacity: cache.capacity)
        }
        let batch = tree.batch()
        let vocab = model.config.vocabSize
        let rows = tree.rowCount
        if logits.count < rows * vocab { logits = [Float](repeating: 0, count: rows * vocab) }
        logits.withUnsafeMutableBufferPointer { buf in
            model.forward(batch, cache: cache, state: state, promptKV: bita?.promptKV,
                          extraEmbeddings: bita?.maskEmbeddings, logitRows: Array(0..<rows), logits: buf.baseAddress!)
        }

        // Verify along the tree.
        var emitted: [(id: Int32, origin: TokenOrigin)] = []
        var acceptedRows: [Int] = []
        var acceptedRank = [Int?](repeating: nil, count: candidates.count)
        var current = 0
        while true {
            let children = tree.children(ofRow: current)
            let childTokens = children.map { tree.token(ofRow: $0) }
            var next: Int? = nil
            var bonus: Int32 = 0
            logits.withUnsafeBufferPointer { buf in
                let row = buf.baseAddress! + current * vocab
                if sampling.isGreedy {
                    let t = SamplingParameters.argmax(row, count: vocab)
                    if let i = childTokens.firstIndex(of: t) { next = i } else { bonus = t }
                } else {
                    let p = sampling.distribution(row, count: vocab)
                    switch TreeAcceptance.choose(p, candidates: childTokens, rng: &rng) {
                    case .accepted(let i): next = i
                    case .resampled(let t): bonus = t
                    }
                }
            }
            let depth = tree.depth(ofRow: current) + 1
            if !children.isEmpty, depth - 1 < acceptedRank.count { acceptedRank[depth - 1] = next }
            if let i = next {
                let row = children[i]
                acceptedRows.append(row)
                emitted.append((tree.token(ofRow: row), .draft(depth: depth)))
                current = row
            } else {
                emitted.append((bonus, .autoregressive))
                break
            }
        }

        // Keep root + accepted drafts in the cache; drop everything else of the step.
        cache.compact(keepingPrefix: base, thenRows: [base] + acceptedRows.map { base + $0 })
        cachedTokens.append(root)
        cachedTokens += acceptedRows.map { tree.token(ofRow: $0) }
        self.root = emitted.last!.id

        // Next drafts: the mask group on the last accepted node.
        pendingDrafts = []
        if let g = tree.groupStart[current] {
            logits.withUnsafeBufferPointer { buf in
                for i in 0..<tree.groupSize {
                    let row = buf.baseAddress! + (g + i) * vocab
                    if i == 0, bita?.ranking != nil || draftObserver != nil {
                        let top = SamplingParameters.topEntries(row, count: vocab, k: DraftRanking.candidatesConsidered)
                        draftObserver?(DraftObservation(root: self.root!, candidates: top))
                        pendingDrafts.append(Array(rankedDrafts(top, root: self.root!).prefix(Self.draftsKept)))
                    } else {
                        pendingDrafts.append(SamplingParameters.topIDs(row, count: vocab, k: Self.draftsKept))
                    }
                }
            }
        }

        let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        if case .adaptive(var chooser) = policy {
            for (d, c) in candidates.enumerated() {
                // Depth d+1 was reached when every shallower depth accepted its top... any candidate
                // on the spine; only spine (rank 0) nodes have children.
                let reached = (0..<d).allSatisfy { acceptedRank[$0] == 0 }
                if reached { chooser.record(depth: d + 1, candidates: c.count, acceptedRank: acceptedRank[d]) }
            }
            if !lookupChain.isEmpty {
                chooser.recordContext(match: lookupMatch, offered: lookupChain.count, accepted: acceptedRows.count)
            }
            chooser.observe(rows: rows, milliseconds: ms)
            policy = .adaptive(chooser)
        }
        var result = StepResult(tokens: emitted, candidatesByDepth: candidates, acceptedRankByDepth: acceptedRank,
                                rows: rows, milliseconds: ms)
        result.contextDraftsOffered = lookupChain.count
        result.contextDraftsAccepted = lookupChain.isEmpty ? 0 : acceptedRows.count
        return result
    }
}

extension SpeculativeDecoder {
    /// The first mask's candidates in the order they are drafted: re-ranked by `root` when the
    /// adapter has a draft ranking, else as they came.
    func rankedDrafts(_ top: [(id: Int32, logit: Float)], root: Int32) -> [Int32] {
        guard let ranking = bita?.ranking else { return top.map(\.id) }
        let dim = model.config.dim
        if rankingRows.count < (top.count + 1) * dim { rankingRows = [Float](repeating: 0, count: (top.count + 1) * dim) }
        return rankingRows.withUnsafeMutableBufferPointer { rows in
            let base = rows.baseAddress!
            model.embedding(of: root, into: base)
            for (i, c) in top.enumerated() { model.embedding(of: c.id, into: base + (i + 1) * dim) }
            let w = ranking.query(rootEmbedding: base)
            return ranking.ranked(top, embeddings: base + dim, query: w)
        }
    }
}

/// What the first mask token of the group a step ended on proposed, and after which root.
public struct DraftObservation: Sendable {
    /// The next step's root: the token the candidates will be drafted after.
    public var root: Int32
    /// The mask's best candidates with their logits, best first.
    public var candidates: [(id: Int32, logit: Float)]
}

public enum DecoderError: Error, CustomStringConvertible, Equatable {
    case emptyPrompt
    case notPrefilled
    case contextFull(needed: Int, capacity: Int)

    public var description: String {
        switch self {
        case .emptyPrompt: return "the prompt is empty"
        case .notPrefilled: return "internal error: decoding before the prompt was processed"
        case let .contextFull(needed, capacity):
            return "the conversation needs \(needed) tokens of context but only \(capacity) fit; start a new chat (/clear) or raise --context"
        }
    }
}
