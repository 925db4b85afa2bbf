import ArgumentParser
import TUI

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Open the chat (the default when no subcommand is given)."
    )

    @MainActor
    func run() async throws {
        try await WelcomeScreen.run(version: BiTAVersion.string)
    }
}
