import Foundation
import Testing
@testable import Inference

/// `bita-chat generate` on SmolLM2 through the built binary: the known greedy answer, and which
/// system prompt reaches the model.
@Suite struct GenerateCommandTests {
    static var smolLM: String { CLI.repoRoot + "/models/SmolLM2-135M-Instruct.Q4_1.gguf" }
    static var haveSmolLM: Bool { FileManager.default.fileExists(atPath: smolLM) }
    /// The app's default system prompt (ChatDefaults.systemPrompt, chosen in docs/NUMERICS.md).
    static let defaultSystem = "You are a helpful assistant."

    struct Output: Decodable {
        struct Token: Decodable { var id: Int32; var text: String }
        var text: String
        var finish_reason: String
        var tokens: [Token]
        var prompt_token_ids: [Int32]
    }

    static func generate(_ extra: [String]) throws -> Output {
        let r = try CLI.run(["generate", "--model", smolLM, "--mode", "ar", "--temperature", "0", "--json"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONDecoder().decode(Output.self, from: Data(r.stdout.utf8))
    }

    static func promptIDs(system: String?, user: String) throws -> [Int32] {
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: smolLM))
        var template = tokenizer.chatTemplate
        template.systemPrompt = nil
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(role: .system, content: system)) }
        messages.append(ChatMessage(role: .user, content: user))
        return tokenizer.encode(conversation: messages, template: template)
    }

    @Test(.enabled(if: haveSmolLM, "SmolLM2 model file absent (run `make model`)"))
    func capitalOfFranceIsParis() throws {
        let out = try Self.generate(["--system", "You are a helpful assistant.", "--prompt", "What is the capital of France?",
                                     "--max-tokens", "32"])
        #expect(out.text.trimmingCharacters(in: .whitespacesAndNewlines) == "The capital of France is Paris.")
        #expect(out.finish_reason == "endOfTurn")
        #expect(out.tokens.map(\.text).joined() == out.text)
        #expect(out.prompt_token_ids == (try Self.promptIDs(system: "You are a helpful assistant.", user: "What is the capital of France?")))
    }

    @Test(.enabled(if: haveSmolLM, "SmolLM2 model file absent (run `make model`)"))
    func defaultAndEmptySystemPrompts() throws {
        let user = "Name a colour."
        let byDefault = try Self.generate(["--prompt", user, "--max-tokens", "1"])
        #expect(byDefault.prompt_token_ids == (try Self.promptIDs(system: Self.defaultSystem, user: user)))
        // "" means no system turn at all, not the template's built-in one.
        let none = try Self.generate(["--system", "", "--prompt", user, "--max-tokens", "1"])
        #expect(none.prompt_token_ids == (try Self.promptIDs(system: nil, user: user)))
        let rendered = try Tokenizer(gguf: GGUFFile(path: Self.smolLM)).decode(none.prompt_token_ids)
        #expect(!rendered.contains("system"), "\(rendered)")
    }
}
