import ArgumentParser
import Foundation

@main
struct BiTAChat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bita-chat",
        abstract: "Chat with a local quantized language model, accelerated losslessly by BiTA.",
        discussion: """
            Without a subcommand, opens the chat with the default model (models/ of the install) \
            and its adapter from prompts/. BiTA lets the model draft several tokens and verify \
            them in one forward pass; the answer is token-for-token what plain decoding gives.

            Examples:
              bita-chat                                   open the chat
              bita-chat info --model models/SmolLM2-135M-Instruct.Q4_1.gguf
              bita-chat generate --prompt "What is the capital of France?"
            """,
        version: BiTAVersion.string,
        subcommands: [
            ChatCommand.self,
            InfoCommand.self,
            TokenizeCommand.self,
            GenerateCommand.self,
            PerplexityCommand.self,
            BenchCommand.self,
            TuneCommand.self,
            TranscriptCommand.self,
        ],
        defaultSubcommand: ChatCommand.self
    )
}

enum BiTAVersion {
    static let string = "0.1.0"
}

/// Exit with a message on stderr and status 1: the uniform way commands report user errors.
struct UserFacingError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// Placeholder for a subcommand whose issue has not landed: says so and fails.
func notImplementedYet(_ name: String) throws -> Never {
    FileHandle.standardError.write(Data("bita-chat \(name): not implemented yet\n".utf8))
    throw ExitCode(2)
}
