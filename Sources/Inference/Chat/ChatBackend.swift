// What a chat front end needs from the engine: render a conversation, answer it as a stream.
// The TUI depends on this protocol only, so it can be driven by a scripted fake in tests.

public enum ChatRole: String, Sendable, Hashable, Codable {
    case system, user, assistant
}

public struct ChatMessage: Sendable, Hashable, Codable {
    public var role: ChatRole
    public var content: String
    public init(role: ChatRole, content: String) { self.role = role; self.content = content }
}

public enum DecodingMode: String, Sendable, Hashable, Codable, CaseIterable {
    case ar, bita
}

public struct GenerationSettings: Sendable, Hashable, Codable {
    /// 0 means greedy.
    public var temperature: Double = 0
    /// 0 disables top-k.
    public var topK: Int = 0
    /// 1 disables top-p.
    public var topP: Double = 1
    public var seed: UInt64 = 0
    public var maxTokens: Int = 512
    public var mode: DecodingMode = .bita

    public init() {}
}

/// Facts the front end shows (status bar, transcripts).
public struct BackendDescription: Sendable, Hashable, Codable {
    public var modelName: String
    public var modelFingerprint: String
    public var adapterName: String?
    public var adapterFingerprint: String?
    public var contextLength: Int
    public var threads: Int

    public init(modelName: String, modelFingerprint: String, adapterName: String?,
                adapterFingerprint: String?, contextLength: Int, threads: Int) {
        self.modelName = modelName; self.modelFingerprint = modelFingerprint
        self.adapterName = adapterName; self.adapterFingerprint = adapterFingerprint
        self.contextLength = contextLength; self.threads = threads
    }
}

public protocol ChatBackend: Sendable {
    var description: BackendDescription { get }
    /// Tokens the conversation occupies once rendered with the chat template.
    func tokenCount(of conversation: [ChatMessage]) -> Int
    /// Answers the last user message. Cancelling the consuming task (or dropping the stream)
    /// stops the decoder within one step; the stream then ends with `.finished(.cancelled, _)`
    /// when anyone is still listening.
    func respond(to conversation: [ChatMessage], settings: GenerationSettings) -> AsyncStream<DecodeEvent>
}
