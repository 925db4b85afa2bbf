import ArgumentParser
import Foundation
import Inference
import TUI

/// Options of the chat, shared by anything that opens one. `generationSettings()` and
/// `chatConfiguration()` turn them into what the engine and the TUI take; `model`, `adapter`
/// and `threads` are for the backend factory.
struct ChatOptions: ParsableArguments {
    @Option(help: "GGUF model file (default: the model in models/).")
    var model: String?

    @Option(help: "BiTA adapter file (default: the adapter that goes with the model).")
    var adapter: String?

    @Option(help: "Decoding mode: ar (plain) or bita (draft and verify, same output, faster). Default: bita when an adapter is found.")
    var mode: String?

    @Option(help: "Draft tree: 'auto' (default: shapes chosen from measured step costs and acceptance; decodes plainly while drafting does not pay), or a fixed shape drafted on every step, like '1,1,1/g3' (to watch BiTA draft, whatever it costs). Same output either way.")
    var tree: String = "auto"

    @Option(help: "System prompt.")
    var system: String?

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Double = GenerationSettings().temperature

    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold; 1 disables it.")
    var topP: Double = GenerationSettings().topP

    @Option(name: .customLong("top-k"), help: "Sample among the k most likely tokens; 0 disables it.")
    var topK: Int = GenerationSettings().topK

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = GenerationSettings().seed

    @Option(name: .customLong("max-tokens"), help: "Longest answer, in tokens.")
    var maxTokens: Int = GenerationSettings().maxTokens

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("transcript-dir"),
            help: "Where sessions are autosaved (default: $XDG_DATA_HOME/bita-chat/sessions).")
    var transcriptDir: String?

    @Option(help: "Colour theme: dark, light or mono.")
    var theme: String = ThemeName.dark.rawValue

    @Flag(name: .customLong("no-color"), help: "No colours: highlighting uses underline and bold (also when NO_COLOR is set).")
    var noColor = false

    func validate() throws {
        if let mode, DecodingMode(rawValue: mode) == nil { throw ValidationError("--mode must be ar or bita") }
        guard ThemeName(rawValue: theme) != nil else {
            throw ValidationError("--theme must be one of: " + ThemeName.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard temperature.isFinite, temperature >= 0, temperature <= 5 else { throw ValidationError("--temperature must be in 0...5") }
        guard topP.isFinite, topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard topK >= 0 else { throw ValidationError("--top-k must be >= 0") }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be >= 1") }
        if let threads { guard threads >= 1 else { throw ValidationError("--threads must be >= 1") } }
    }

    func generationSettings() -> GenerationSettings {
        var s = GenerationSettings()
        s.mode = mode.flatMap(DecodingMode.init(rawValue:)) ?? .bita
        s.temperature = temperature
        s.topP = topP
        s.topK = topK
        s.seed = seed
        s.maxTokens = maxTokens
        return s
    }

    func chatConfiguration() -> ChatConfiguration {
        ChatConfiguration(settings: generationSettings(), systemPrompt: system ?? ChatDefaults.systemPrompt, transcriptDirectory: transcriptDir,
                          theme: ThemeName(rawValue: theme) ?? .dark, colorEnabled: !noColor)
    }
}

/// Makes the backend the chat talks to, from the chat's options.
typealias ChatBackendFactory = @Sendable (ChatOptions) async throws -> any ChatBackend

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Open the chat (the default when no subcommand is given).",
        discussion: """
            In a terminal: a full-screen chat where words BiTA drafted and verification accepted \
            are highlighted (a colour per draft depth; F2 toggles, F3 opens the draft inspector, \
            F1 lists keys and /commands). Every turn is saved as JSON and Markdown.
            With stdin or stdout redirected: reads one message per line, writes one answer per line.
            """
    )

    @OptionGroup var options: ChatOptions

    @Flag(name: .customLong("demo-backend"), help: .hidden)
    var demoBackend = false

    @Option(name: .customLong("demo-step-ms"), help: .hidden)
    var demoStepMilliseconds: Int = 30

    @Option(name: .customLong("demo-context"), help: .hidden)
    var demoContext: Int = 2048

    @Flag(name: .customLong("demo-burn-cpu"), help: .hidden)
    var demoBurnCPU = false

    /// The real engine's backend: model and adapter from the options, KV cache reused across turns.
    static let engineBackend: ChatBackendFactory = { options in
        let loaded = try EngineOptions.load(model: options.model, adapter: options.adapter, noAdapter: false,
                                            mode: options.mode.flatMap(DecodingMode.init(rawValue:)), tree: options.tree,
                                            threads: options.threads, context: nil)
        if let notice = loaded.notice { printError("note: \(notice)") }
        return EngineChatBackend(engine: loaded.engine, tree: loaded.tree)
    }

    @MainActor
    func run() async throws {
        let factory: ChatBackendFactory
        if demoBackend {
            let step = Duration.milliseconds(max(0, demoStepMilliseconds))
            let context = max(64, demoContext)
            let burn = demoBurnCPU
            factory = { _ in ScriptedChatBackend(stepDelay: step, contextLength: context, burnsCPU: burn) }
        } else {
            factory = ChatCommand.engineBackend
        }
        try await ChatCommand.runChat(options: options, factory: factory)
    }

    /// Builds the backend, then runs the chat (TUI or plain mode) until the user leaves.
    @MainActor
    static func runChat(options: ChatOptions, factory: ChatBackendFactory) async throws {
        let backend = try await factory(options)
        var configuration = options.chatConfiguration()
        if options.mode == nil && backend.description.adapterName == nil { configuration.settings.mode = .ar }
        let status = await ChatRunner.run(backend: backend, configuration: configuration)
        if status != 0 { throw ExitCode(status) }
    }
}
