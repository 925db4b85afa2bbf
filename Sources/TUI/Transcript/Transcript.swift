import Foundation
import Inference

/// A saved chat session, as written to `<session>.json`. Strings keep the exact text (JSON
/// escapes control characters); renderers escape them again for terminals and HTML.
public struct Transcript: Codable, Hashable, Sendable {
    public static let formatName = "bita-chat-transcript"
    public static let currentVersion = 1
    /// Files larger than this are refused before parsing (a session of this size would not fit
    /// any context window many times over).
    public static let maximumFileBytes = 64 << 20

    public var format: String = Transcript.formatName
    public var version: Int = Transcript.currentVersion
    /// ISO 8601 UTC timestamps, kept as text so a load/save round trip is exact.
    public var created: String
    public var updated: String
    /// The model and adapter (names and fingerprints) that produced the answers.
    public var backend: BackendDescription
    public var settings: GenerationSettings
    public var systemPrompt: String?
    /// Index of the first message still in the model's context (older ones were dropped).
    public var contextStart: Int
    public var messages: [TranscriptMessage]

    public init(created: String, updated: String, backend: BackendDescription, settings: GenerationSettings,
                conversation: Conversation) {
        self.created = created; self.updated = updated
        self.backend = backend; self.settings = settings
        systemPrompt = conversation.systemPrompt
        contextStart = conversation.firstTurnInContext
        messages = conversation.turns.map(TranscriptMessage.init)
    }

    /// The conversation this transcript holds. Token lists that do not spell the message exactly
    /// are dropped (the text wins; only the highlighting is lost).
    public var conversation: Conversation {
        var c = Conversation(systemPrompt: systemPrompt)
        c.turns = messages.map { $0.turn }
        c.firstTurnInContext = min(max(contextStart, 0), c.turns.count)
        return c
    }

    public static func timestamp(_ date: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        // Compact: answers carry one object per token. The Markdown twin is the readable copy.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Parses and validates a transcript file's bytes.
    public static func decode(_ data: Data, path: String = "transcript") throws(TranscriptError) -> Transcript {
        guard data.count <= maximumFileBytes else { throw .tooLarge(path: path, bytes: data.count) }
        let transcript: Transcript
        do {
            transcript = try JSONDecoder().decode(Transcript.self, from: data)
        } catch {
            throw .invalid(path: path, reason: describe(error))
        }
        try transcript.validate(path: path)
        return transcript
    }

    public static func load(path: String) throws(TranscriptError) -> Transcript {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .notFound(path: path) }
        guard !isDirectory.boolValue else { throw .invalid(path: path, reason: "it is a directory") }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maximumFileBytes {
            throw .tooLarge(path: path, bytes: size)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable(path: path) }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: maximumFileBytes + 1) ?? Data() } catch { throw .unreadable(path: path) }
        return try decode(data, path: path)
    }

    func validate(path: String) throws(TranscriptError) {
        guard format == Transcript.formatName else {
            throw .invalid(path: path, reason: "not a bita-chat transcript (format \"\(VisibleText.escaped(String(format.prefix(40)), keepNewlines: false))\")")
        }
        guard version >= 1, version <= Transcript.currentVersion else {
            throw .invalid(path: path, reason: "transcript version \(version) is newer than this bita-chat understands (\(Transcript.currentVersion))")
        }
        for (i, m) in messages.enumerated() {
            guard m.role != .system else {
                throw .invalid(path: path, reason: "message \(i + 1) has role system; the system prompt belongs in \"systemPrompt\"")
            }
            for t in m.tokens ?? [] where t.depth < 0 || t.depth > 1024 || t.step < 0 {
                throw .invalid(path: path, reason: "message \(i + 1) has a token with depth \(t.depth), step \(t.step)")
            }
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return "not valid JSON (\(c.debugDescription))"
        case DecodingError.keyNotFound(let k, let c): return "missing \"\(k.stringValue)\" at \(pathString(c.codingPath))"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "unexpected value at \(pathString(c.codingPath)): \(c.debugDescription)"
        default: return "\(error)"
        }
    }

    private static func pathString(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "top level" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

public struct TranscriptMessage: Codable, Hashable, Sendable {
    public var role: ChatRole
    public var content: String
    public var tokens: [AnswerToken]?
    public var interrupted: Bool?
    public var finish: FinishReason?
    public var failure: String?
    public var mode: DecodingMode?
    public var stats: DecodeStats?

    init(_ turn: ChatTurn) {
        role = turn.role
        content = turn.text
        tokens = turn.role == .assistant ? turn.tokens : nil
        interrupted = turn.interrupted ? true : nil
        finish = turn.finishReason
        failure = turn.failure
        mode = turn.mode
        stats = turn.stats
    }

    var turn: ChatTurn {
        var t = ChatTurn(role: role, text: content)
        if let tokens, tokens.map(\.text).joined() == content { t.tokens = tokens }
        t.interrupted = interrupted ?? false
        t.finishReason = finish
        t.failure = failure
        t.mode = mode
        t.stats = stats
        return t
    }
}
