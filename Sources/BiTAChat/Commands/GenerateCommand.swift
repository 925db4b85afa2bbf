import ArgumentParser

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "(not implemented yet)"
    )

    func run() async throws {
        try notImplementedYet("generate")
    }
}
