import Foundation

/// The real `ChatBackend`: renders the conversation with the model's chat template and decodes
/// it with BiTA or plainly. The KV cache of the previous turn is reused (the longest common prefix
/// of the new prompt is not recomputed).
public final class EngineChatBackend: ChatBackend {
    public let engine: Engine
    public let tree: TreeShape?
    /// A decoder not in use; taken by a run and given back when it ends. A run that starts while
    /// another is still unwinding gets a fresh decoder instead of waiting.
    private let idle = Locked<SpeculativeDecoder?>(nil)

    public init(engine: Engine, tree: TreeShape? = nil) {
        self.engine = engine
        self.tree = tree
    }

    public var description: BackendDescription {
        BackendDescription(modelName: engine.model.config.name, modelFingerprint: engine.fingerprint.description,
                           adapterName: engine.adapterPath.map { ($0 as NSString).lastPathComponent },
                           adapterFingerprint: engine.adapter.map { _ in engine.fingerprint.description },
                           contextLength: engine.contextLength, threads: engine.pool.threads)
    }

    public func tokenCount(of conversation: [ChatMessage]) -> Int {
        engine.promptTokens(for: conversation).count
    }

    public func respond(to conversation: [ChatMessage], settings: GenerationSettings) -> AsyncStream<DecodeEvent> {
        // The weights are read through the file's mapping: a model file truncated or rewritten
        // in place would fault or give garbage, so a changed file ends the answer with a message.
        if engine.model.file.hasChangedOnDisk {
            let (stream, continuation) = AsyncStream<DecodeEvent>.makeStream()
            continuation.yield(.failed(GGUFError.changedOnDisk(path: engine.modelPath).description
                + " (restart bita-chat to use the new file)"))
            continuation.finish()
            return stream
        }
        let sampling = SamplingParameters(temperature: settings.temperature, topK: settings.topK, topP: settings.topP)
        let decoder: SpeculativeDecoder
        if let d = idle.withLock({ d -> SpeculativeDecoder? in defer { d = nil }; return d }) {
            decoder = d
            decoder.policy = engine.policy(mode: settings.mode, tree: tree)
            decoder.sampling = sampling
            decoder.reseed(settings.seed)
        } else {
            decoder = engine.makeDecoder(mode: settings.mode, tree: tree, sampling: sampling, seed: settings.seed)
        }
        let request = Generation.Request(promptTokens: engine.promptTokens(for: conversation),
                                         maxTokens: settings.maxTokens,
                                         stopTokens: engine.tokenizer.endOfGenerationIDs)
        return Generation.run(decoder, request, text: engine.textHooks()) { [self] finished in
            idle.withLock { $0 = finished }
        }
    }
}
