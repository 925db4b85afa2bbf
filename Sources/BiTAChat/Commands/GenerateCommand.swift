import ArgumentParser
import Foundation
import Inference

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Answer one prompt and print the answer (text or JSON with per-token origins).",
        discussion: """
            The prompt is rendered with the model's chat template (a system message, then the \
            user message) unless --raw is given. Greedy by default (--temperature 0); sampling \
            is reproducible with --seed. In bita mode the answer is token-for-token the same as \
            in ar mode; --json shows which tokens came from accepted drafts.

            \(ModelLocator.helpText)

            Examples:
              bita-chat generate --prompt "What is the capital of France?"
              bita-chat generate --prompt "Write a haiku" --temperature 0.8 --seed 7
              bita-chat generate --prompt "Explain RoPE" --mode ar --json
              bita-chat generate --prompt "List three colours" --tree 2,1/g2 --json
            """
    )

    @OptionGroup var engineOptions: EngineOptions

    @Option(name: .long, help: "The user message ('-' reads standard input).")
    var prompt: String

    @Option(name: .long, help: "System prompt (default: \"\(ChatDefaults.systemPrompt)\"; \"\" for none).")
    var system: String?

    @Flag(name: .long, help: "Feed the prompt as plain text, without the chat template.")
    var raw = false

    @Option(name: .long, help: "Maximum new tokens.")
    var maxTokens: Int = 256

    @Option(name: .long, help: "Sampling temperature; 0 is greedy.")
    var temperature: Double = 0

    @Option(name: .long, help: "Sample from the K most likely tokens only (0: off).")
    var topK: Int = 0

    @Option(name: .long, help: "Sample from the smallest set of tokens whose probability reaches P (1: off).")
    var topP: Double = 1

    @Option(name: .long, help: "Random seed for sampling.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Print {text, tokens:[{id, text, origin, depth}], stats:{...}} as JSON.")
    var json = false

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be 0 or more") }
        guard topK >= 0 else { throw ValidationError("--top-k must be 0 or more") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
    }

    func run() async throws {
        var text = prompt
        if prompt == "-" {
            guard let s = String(data: FileHandle.standardInput.readDataToEndOfFile(), encoding: .utf8) else {
                throw UserFacingError("standard input is not valid UTF-8 text")
            }
            text = s
        }
        let loaded = try engineOptions.load()
        if let notice = loaded.notice, !json { printError("note: \(notice)") }
        let engine = loaded.engine
        let promptTokens: [Int32]
        if raw {
            promptTokens = engine.tokenizer.encode(text)
        } else {
            var messages: [ChatMessage] = []
            let sys = system ?? ChatDefaults.systemPrompt
            if !sys.isEmpty { messages.append(ChatMessage(role: .system, content: sys)) }
            messages.append(ChatMessage(role: .user, content: text))
            // The system turn is decided here: "" must mean none, not the template's built-in one.
            var template = engine.tokenizer.chatTemplate
            template.systemPrompt = nil
            promptTokens = engine.tokenizer.encode(conversation: messages, template: template)
        }
        let sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP)
        let decoder = engine.makeDecoder(mode: loaded.mode, tree: loaded.tree, sampling: sampling, seed: seed)
        let request = Generation.Request(promptTokens: promptTokens, maxTokens: maxTokens,
                                         stopTokens: engine.tokenizer.endOfGenerationIDs)
        var tokens: [EmittedToken] = []
        var answer = ""
        var final = DecodeStats()
        var reason = FinishReason.maxTokens
        let terminal = isatty(STDOUT_FILENO) == 1
        for await event in Generation.run(decoder, request, text: engine.textHooks()) {
            switch event {
            case .token(let t):
                if t.id >= 0 { tokens.append(t) } else if var last = tokens.popLast() { last.text += t.text; tokens.append(last) }
                answer += t.text
                if !json {
                    FileHandle.standardOutput.write(Data((terminal ? TerminalText.visible(t.text) : t.text).utf8))
                }
            case .finished(let r, let s):
                reason = r; final = s
            case .failed(let message):
                throw UserFacingError(message)
            default:
                break
            }
        }
        if json {
            let out = GenerateJSON(text: answer, mode: loaded.mode.rawValue, tree: loaded.tree?.description ?? (loaded.mode == .bita ? "auto" : "ar"),
                                   finishReason: reason.rawValue,
                                   tokens: tokens.map { .init(id: $0.id, text: $0.text, origin: $0.origin.draftDepth == nil ? "ar" : "draft",
                                                               depth: $0.origin.draftDepth ?? 0) },
                                   promptTokenIDs: promptTokens,
                                   stats: .init(promptTokens: final.promptTokens, newTokens: final.newTokens, steps: final.steps,
                                                tau: final.tau, prefillMs: final.prefillMilliseconds,
                                                decodeMs: final.decodeMilliseconds, tokensPerSecond: final.tokensPerSecond))
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try enc.encode(out) + Data("\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data("\n".utf8))
            printError(String(format: "[%d prompt tokens, %d new tokens in %d steps (tau %.2f), %.1f tokens/s, %@]",
                              final.promptTokens, final.newTokens, final.steps, final.tau, final.tokensPerSecond,
                              loaded.mode.rawValue))
        }
    }
}

/// The JSON shape of `generate --json`.
struct GenerateJSON: Encodable {
    struct Token: Encodable { var id: Int32; var text: String; var origin: String; var depth: Int }
    struct Stats: Encodable {
        var promptTokens, newTokens, steps: Int
        var tau, prefillMs, decodeMs, tokensPerSecond: Double
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", newTokens = "new_tokens", steps, tau
            case prefillMs = "prefill_ms", decodeMs = "decode_ms", tokensPerSecond = "tokens_per_second"
        }
    }
    var text: String
    var mode: String
    var tree: String
    var finishReason: String
    var tokens: [Token]
    var promptTokenIDs: [Int32]
    var stats: Stats
    enum CodingKeys: String, CodingKey {
        case text, mode, tree, tokens, stats
        case finishReason = "finish_reason", promptTokenIDs = "prompt_token_ids"
    }
}

enum ChatDefaults {
    /// Measured on the bench prompts: the template's built-in SmolLM system prompt makes this
    /// small model answer worse than a plain one.
    static let systemPrompt = "You are a helpful assistant."
}

/// Control characters made visible, so model text cannot drive the terminal.
enum TerminalText {
    static func visible(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u.value {
            case 0x0a, 0x09: out.unicodeScalars.append(u)
            case 0x00..<0x20: out += "^" + String(UnicodeScalar(UInt8(u.value) + 0x40))
            case 0x7f: out += "^?"
            case 0x80..<0xa0: out += String(format: "\\u{%02x}", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
